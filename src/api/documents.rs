//! Documents (ProjectResource): upload, get, change, delete, download
//! (the list is in `document_list`).
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::AuthUser;
use super::content::{self, Download};
use super::form;
use super::{AppState, meta};
use crate::documents::queries;
use crate::documents::{DocumentView, fields};
use crate::domain::document::{DocumentCommand, NewFile};
use crate::error::Error;
use crate::permissions::gate::{self, DocumentAccess, Need};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects/{slug}/documents")
            .route(web::get().to(super::document_list::list))
            .route(web::post().to(upload)),
    )
    .service(
        web::resource("/projects/{slug}/documents/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch))
            .route(web::delete().to(delete)),
    )
    .route(
        "/projects/{slug}/documents/{id}/content",
        web::get().to(download),
    )
    .route(
        "/projects/{slug}/documents/{id}/restore-deleted",
        web::post().to(restore_deleted),
    );
}

/// 200 with the document as it is now, after this request's command.
async fn current(state: &AppState, doc: &DocumentAccess) -> Result<HttpResponse, Error> {
    let (row, index) = queries::get_indexed(state.pool(), doc.document.id).await?;
    let view = DocumentView::new(&doc.membership.project.slug, &row);
    Ok(HttpResponse::Ok().json(view.with_index(index)))
}

/// The parts of an upload, for the OpenAPI document: the handler streams
/// them as they come (see `form::receive`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the multipart body; never built")]
pub struct UploadForm {
    /// The file; its name's extension gives the type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The document's title (default: the file's name), at most 1 KB.
    title: Option<String>,
    /// Comma-separated tags, at most 8 KB.
    tags: Option<String>,
}

/// Upload a document: multipart part `file` (its name gives the type),
/// optional `title` and comma-separated `tags`. Needs write.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/documents", tag = "documents", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 413, body = super::Problem), (status = 415, body = super::Problem)))]
pub async fn upload(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    let membership = gate::project(state.pool(), &slug, &user.id, "upload").await?;
    form::check_declared_length(&req, state.max_upload_bytes)?;
    let room = super::room::check(&req, &state, membership.project.id).await?;
    let mut received = form::receive(
        &req,
        body,
        &state.blobs,
        state.max_upload_bytes,
        None,
        &room,
    )
    .await?;
    let title = received
        .title
        .unwrap_or_else(|| received.filename.stem().to_owned());
    let file = NewFile {
        filename: received.filename.as_str().to_owned(),
        kind: received.filename.kind(),
        size: received.blob.size,
        sha256: received.blob.sha256,
    };
    let tags = received.tags.unwrap_or_default();
    let id = received
        .reservation
        .recorded(crate::documents::add::add(
            &state.store,
            &membership,
            file,
            title,
            tags,
            meta(&user, &req),
        ))
        .await?;
    let (row, index) = queries::get_indexed(state.pool(), id).await?;
    let view = DocumentView::new(&membership.project.slug, &row).with_index(index);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/projects/{}/documents/{id}", view.project),
        ))
        .json(view))
}

/// One document, at its latest revision.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = super::Problem)))]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "get")
        .await?;
    let view = doc.view().with_index(doc.index.clone());
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PatchDocument {
    title: Option<String>,
    tags: Option<Vec<String>>,
}

/// Change a document's title and/or tags. Needs write.
#[utoipa::path(patch, operation_id = "patch_document", path = "/api/v1/projects/{slug}/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = Uuid, Path)), request_body = PatchDocument,
    responses((status = 200, body = DocumentView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn patch(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<PatchDocument>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let command = DocumentCommand::ChangeMetadata {
        title: body.title.as_deref().map(fields::parse_title).transpose()?,
        tags: body
            .tags
            .as_ref()
            .map(|tags| fields::parse_tags(tags.iter().map(String::as_str)))
            .transpose()?,
    };
    let path = (path.0.as_str(), path.1.as_str());
    let meta = meta(&user, &req);
    let ran = (state.kept)
        .run(&state.store, path, "patch", command, meta)
        .await?;
    match ran.row {
        Some(row) => {
            let view = DocumentView::new(&ran.access.membership.project.slug, &row);
            Ok(HttpResponse::Ok().json(view.with_index(ran.access.index)))
        }
        None => current(&state, &ran.access).await,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeleteQuery {
    /// `true`: purge at once, for good (project admins; not under legal hold).
    purge: Option<bool>,
}

/// Soft-delete a document (an event; restore with restore-deleted). Needs
/// write. With `?purge=true` the document (in the trash or not) is purged
/// at once: its bytes go, its history stays. Needs the admin role.
#[utoipa::path(delete, path = "/api/v1/projects/{slug}/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = Uuid, Path), DeleteQuery),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, description = "legal hold", body = super::Problem), (status = 410, body = super::Problem)))]
pub async fn delete(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, Error> {
    if query.purge == Some(true) {
        return purge(&user, &state, &req, &path).await;
    }
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "delete")
        .await?;
    doc.execute(&state.store, DocumentCommand::Delete, meta(&user, &req))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn purge(
    user: &AuthUser,
    state: &AppState,
    req: &HttpRequest,
    path: &(String, String),
) -> Result<HttpResponse, Error> {
    // In the trash too: emptying it is the point. Purged already: 204 again.
    let doc = gate::document(
        state.pool(),
        &path.0,
        &path.1,
        &user.id,
        Need::Read,
        "purge",
    )
    .await?;
    if !doc.membership.role.can_manage() {
        return Err(Error::Forbidden(format!(
            "purging needs the admin or owner role; you are {}",
            doc.membership.role
        )));
    }
    let (project, id) = (doc.document.project_id, doc.document.id);
    state
        .purger()
        .document(
            project,
            id,
            stockage_events::PurgeRule::Manual,
            meta(user, req),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Bring back a soft-deleted document. Needs write.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/documents/{id}/restore-deleted", tag = "documents",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn restore_deleted(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    // Deleted documents too: bringing one back is the point.
    let doc = gate::document(
        state.pool(),
        &path.0,
        &path.1,
        &user.id,
        Need::Write,
        "restore-deleted",
    )
    .await?;
    doc.execute(&state.store, DocumentCommand::Undelete, meta(&user, &req))
        .await?;
    current(&state, &doc).await
}

/// The bytes of the latest revision; supports Range and If-None-Match.
#[utoipa::path(get, operation_id = "download_document", path = "/api/v1/projects/{slug}/documents/{id}/content", tag = "documents",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 304, description = "not modified"), (status = 404, body = super::Problem),
        (status = 416, body = super::Problem)))]
pub async fn download(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "download")
        .await?;
    let row = &doc.document;
    let download = Download {
        sha256: row.sha256()?,
        size: row.size(),
        filename: &row.filename,
        content_type: row.kind()?.content_type(),
    };
    content::send(&req, &state.blobs, download).await
}
