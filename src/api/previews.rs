//! Thumbnails of revisions, for the web UI.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::AuthUser;
use crate::error::Error;
use crate::permissions::Need;
use crate::preview::store::Source;
use crate::preview::{RENDERER_VERSION, Size, Status};
use crate::versions::revisions;
use stockage_events::Sha256;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/projects/{slug}/documents/{id}/revisions/{n}/preview",
        web::get().to(preview),
    );
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// The bounding square in pixels: 128, 256 (default) or 512.
    size: Option<String>,
}

/// A real thumbnail never changes for its content, size and renderer.
const IMMUTABLE: &str = "private, max-age=31536000, immutable";
/// A placeholder may become a thumbnail under a later renderer.
const SHORT: &str = "private, max-age=300";

/// A PNG thumbnail of revision n fitting in size×size, aspect kept: the
/// image for PNG/JPG, the first page for PDF, a flat-shaded 3/4 view for
/// STL/GLB/glTF. A file that cannot be drawn gets its type's placeholder
/// card, with `X-Preview: placeholder`, or `X-Preview: failed` when
/// rendering failed. Same permission as the revision's content.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}/revisions/{n}/preview", tag = "revisions",
    security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = uuid::Uuid, Path), ("n" = u32, Path), PreviewQuery),
    responses(
        (status = 200, content_type = "image/png", description = "the thumbnail, or a placeholder (see X-Preview)",
            headers(("ETag" = String, description = "from the content's sha256, the size and the renderer version"),
                ("Cache-Control" = String, description = "immutable for a thumbnail, short for a placeholder"),
                ("X-Preview" = String, description = "placeholder or failed; absent for a real thumbnail"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "size is not 128, 256 or 512", body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn preview(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "preview")
        .await?;
    let n = revisions::parse(&path.2, "revision")?;
    let revision = revisions::kept(state.pool(), doc.document.id, n, doc.document.revision).await?;
    let size = Size::parse(query.size.as_deref()).map_err(Error::Invalid)?;
    let source = Source {
        kind: doc.document.kind()?,
        sha256: Sha256::parse(&revision.sha256).map_err(Error::internal)?,
        size: u64::try_from(revision.size).unwrap_or(0),
    };
    let preview = state.previews.get(&source, size).await?;
    let (cache, marker) = match preview.status {
        Status::Rendered => (IMMUTABLE, None),
        Status::Placeholder => (SHORT, Some("placeholder")),
        Status::Failed => (SHORT, Some("failed")),
    };
    let etag = format!(
        "\"{}-{}-v{RENDERER_VERSION}{}\"",
        source.sha256,
        size.pixels(),
        marker.map(|m| format!("-{m}")).unwrap_or_default()
    );
    let matched = super::content::matches_etag(&req, &etag);
    let mut response = if matched {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some(marker) = marker {
        response.insert_header(("X-Preview", marker));
    }
    if matched {
        return Ok(response.finish());
    }
    Ok(response.content_type("image/png").body(preview.png))
}
