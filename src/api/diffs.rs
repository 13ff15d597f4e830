//! Comparing two revisions of a document (`GET .../diff`).
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use crate::error::Error;
use crate::permissions::{DocumentAccess, Need};
use crate::versions::diff::{self, Comparison, Side, pixels};
use crate::versions::revisions;
use stockage_events::{FileKind, Sha256};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{slug}/documents/{id}/diff", web::get().to(diff));
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
    /// `png`: a highlight image of the changed pixels (two images of equal size).
    format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DiffView {
    from: u32,
    to: u32,
    #[serde(flatten)]
    comparison: Comparison,
}

/// One side of a diff, its bytes not yet read.
async fn side(state: &AppState, doc: &DocumentAccess, n: u32) -> Result<Side, Error> {
    let revision = revisions::kept(state.pool(), doc.document.id, n, doc.document.revision).await?;
    Ok(Side {
        kind: doc.document.kind()?,
        sha256: Sha256::parse(&revision.sha256).map_err(Error::internal)?,
        size: u64::try_from(revision.size).unwrap_or(0),
        bytes: None,
    })
}

/// Reads a side's bytes, when the file is small enough to inspect.
async fn load(state: &AppState, side: &mut Side) -> Result<(), Error> {
    if side.size > diff::MAX_INSPECT_BYTES {
        return Ok(());
    }
    let mut body = state.blobs.read(&side.sha256, None).await?;
    let mut bytes = Vec::with_capacity(side.size as usize);
    while let Some(chunk) = body.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    side.bytes = Some(bytes);
    Ok(())
}

/// Compare two revisions: a structured metadata diff always, a unified
/// text diff for glTF, ASCII STL and PDF text, a pixel summary (or with
/// `format=png` a highlight image) for images of equal size.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}/diff", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), DiffQuery),
    responses((status = 200, body = DiffView), (status = 400, body = super::Problem), (status = 404, body = super::Problem), (status = 422, body = super::Problem), (status = 503, body = super::Problem)))]
pub async fn diff(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<DiffQuery>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "diff")
        .await?;
    let query = query.into_inner();
    let number = |raw: Option<String>, what: &str| match raw {
        Some(raw) => revisions::parse(&raw, what),
        None => Err(Error::Invalid(format!(
            "{what} is required, e.g. ?from=1&to=2"
        ))),
    };
    let (from, to) = (number(query.from, "from")?, number(query.to, "to")?);
    let png = match query.format.as_deref() {
        None | Some("json") => false,
        Some("png") => true,
        Some(other) => {
            return Err(Error::Invalid(format!(
                "format {other:?} is not json or png"
            )));
        }
    };
    let (mut before, mut after) = (
        side(&state, &doc, from).await?,
        side(&state, &doc, to).await?,
    );
    let not_images = || {
        Error::Invalid(format!(
            "format=png needs two image revisions of the same size, of at most {} pixels",
            pixels::MAX_PIXELS
        ))
    };
    if png && !matches!(after.kind, FileKind::Png | FileKind::Jpg) {
        return Err(not_images());
    }
    let key = (before.sha256.clone(), after.sha256.clone());
    // Answers are cached by content; blobs are read only when not known.
    if png {
        if let Some(picture) = state.diffs.cached_picture(&key) {
            return Ok(picture_response(picture));
        }
    } else if let Some(comparison) = state.diffs.cached_comparison(&key) {
        return Ok(comparison_response(from, to, &comparison));
    }
    let _permit = state.diffs.permit()?;
    load(&state, &mut before).await?;
    load(&state, &mut after).await?;
    if png {
        if before.bytes.is_none() || after.bytes.is_none() {
            return Err(not_images());
        }
        let picture = state.diffs.highlight(before, after).await?;
        return picture.map(picture_response).ok_or_else(not_images);
    }
    let comparison = state.diffs.compare(before, after).await?;
    Ok(comparison_response(from, to, &comparison))
}

fn comparison_response(from: u32, to: u32, comparison: &Comparison) -> HttpResponse {
    HttpResponse::Ok().json(DiffView {
        from,
        to,
        comparison: comparison.clone(),
    })
}

fn picture_response(png: bytes::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(png)
}
