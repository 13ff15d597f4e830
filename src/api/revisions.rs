//! Revisions: new content, history, old content, labels, restore.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::content::{self, Download};
use super::form;
use super::{AppState, meta};
use crate::domain::document::{DocumentCommand, NewFile};
use crate::error::Error;
use crate::permissions::{DocumentAccess, Need};
use crate::storage::policy::FileName;
use crate::storage::receive;
use crate::versions::add;
use crate::versions::revisions::{self, RevisionView};
use stockage_events::{Event, RecordedEvent, Sha256};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/projects/{slug}/documents/{id}/content",
        web::put().to(put_content),
    )
    .route(
        "/projects/{slug}/documents/{id}/revisions",
        web::get().to(list),
    )
    .route(
        "/projects/{slug}/documents/{id}/revisions/{n}",
        web::patch().to(label),
    )
    .route(
        "/projects/{slug}/documents/{id}/revisions/{n}/content",
        web::get().to(download),
    )
    .route(
        "/projects/{slug}/documents/{id}/revisions/{n}/restore",
        web::post().to(restore),
    );
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    items: Vec<RevisionView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionsQuery {
    /// Revisions per page, 1 to 1,000 (default 1,000).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

const MAX_REVISIONS_PAGE: i64 = 1000;

/// 201 with the revision that `recorded` (this request's events) created,
/// whatever other writers appended since.
async fn created(
    state: &AppState,
    doc: &DocumentAccess,
    recorded: &[RecordedEvent],
) -> Result<HttpResponse, Error> {
    let revision = recorded
        .iter()
        .find_map(|e| match e.event() {
            Ok(
                Event::RevisionAdded { revision, .. } | Event::RevisionRestored { revision, .. },
            ) => Some(revision),
            _ => None,
        })
        .ok_or_else(|| Error::internal("a new revision recorded no revision event"))?;
    revision_created(state, doc, revision).await
}

/// 201 with revision `revision` of the document.
async fn revision_created(
    state: &AppState,
    doc: &DocumentAccess,
    revision: u32,
) -> Result<HttpResponse, Error> {
    let id = doc.document.id;
    let view = revisions::get(state.pool(), id, revision, revision as i32).await?;
    let location = format!(
        "/api/v1/projects/{}/documents/{id}/revisions/{}",
        doc.membership.project.slug, view.revision
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, format!("\"{}\"", view.revision)))
        .json(view))
}

/// New content: a raw body (name from `X-Filename`, else the current one)
/// or a multipart `file` part. `If-Match: "<revision>"` makes it
/// conditional. The type may not change across revisions.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/documents/{id}/content", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path)),
    request_body(content_type = "application/octet-stream", description = "the file's bytes, or multipart with part file"),
    responses((status = 201, body = RevisionView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 412, description = "stale If-Match; body has current_revision", body = super::Problem),
        (status = 413, body = super::Problem), (status = 415, body = super::Problem)))]
pub async fn put_content(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "add-revision")
        .await?;
    let expected = revisions::if_match(
        req.headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or("?")),
    )?;
    // A stale condition is refused before a byte is read.
    add::check_expected(expected, &doc)?;
    // Locked or frozen: refused before a byte is read, too.
    crate::locks::may_change(&state.store, &doc, &user.id).await?;
    form::check_declared_length(&req, state.max_upload_bytes)?;
    let room = super::room::check(&req, &state, doc.document.project_id).await?;
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (filename, blob, mut reservation) = if is_form {
        let received = form::receive(
            &req,
            body,
            &state.blobs,
            state.max_upload_bytes,
            Some(doc.document.kind()?),
            &room,
        )
        .await?;
        (received.filename, received.blob, received.reservation)
    } else {
        let raw = req
            .headers()
            .get("x-filename")
            .map(|v| {
                v.to_str()
                    .map_err(|_| Error::Invalid("X-Filename is not readable text".into()))
            })
            .transpose()?
            .unwrap_or(&doc.document.filename);
        let filename = FileName::parse(raw)?;
        add::check_kind(&doc, filename.kind())?;
        let staged =
            receive::receive_stream(body, filename.kind(), &state.blobs, state.max_upload_bytes)
                .await?;
        let (blob, reservation) = room.commit(staged).await?;
        (filename, blob, reservation)
    };
    let file = NewFile {
        filename: filename.as_str().to_owned(),
        kind: filename.kind(),
        size: blob.size,
        sha256: blob.sha256,
    };
    let revision = reservation
        .recorded(add::add(
            &state.store,
            &doc,
            file,
            expected,
            meta(&user, &req),
        ))
        .await?;
    revision_created(&state, &doc, revision).await
}

/// The revisions in pages, ascending, with no gaps.
#[utoipa::path(get, operation_id = "list_revisions", path = "/api/v1/projects/{slug}/documents/{id}/revisions", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), RevisionsQuery),
    responses((status = 200, body = RevisionList), (status = 404, body = super::Problem)))]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<RevisionsQuery>,
) -> Result<HttpResponse, Error> {
    // The gate first: a stranger learns nothing, not even from a 400.
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "revisions")
        .await?;
    let limit = crate::paging::limit(query.limit, MAX_REVISIONS_PAGE, MAX_REVISIONS_PAGE)?;
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => i32::try_from(revisions::parse(cursor, "cursor")?)
            .map_err(|_| Error::Invalid(format!("cursor: {cursor:?} is out of range")))?,
        None => 0,
    };
    let mut items = revisions::page(state.pool(), doc.document.id, after, limit + 1).await?;
    let next = crate::paging::next_cursor(&mut items, limit, |r| r.revision);
    Ok(HttpResponse::Ok().json(RevisionList {
        items,
        next_cursor: next.map(|n| n.to_string()),
    }))
}

/// The bytes of revision n; same headers as the latest content.
#[utoipa::path(get, operation_id = "download_revision", path = "/api/v1/projects/{slug}/documents/{id}/revisions/{n}/content", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), ("n" = u32, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 304, description = "not modified"), (status = 400, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn download(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "download-revision")
        .await?;
    let n = revisions::parse(&path.2, "revision")?;
    let revision = revisions::kept(state.pool(), doc.document.id, n, doc.document.revision).await?;
    let download = Download {
        sha256: Sha256::parse(&revision.sha256).map_err(Error::internal)?,
        size: u64::try_from(revision.size).unwrap_or(0),
        filename: &revision.filename,
        content_type: &revision.content_type,
    };
    content::send(&req, &state.blobs, download).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Label {
    /// e.g. "Issued for construction"; null or "" removes the label.
    label: Option<String>,
}

const MAX_LABEL: usize = 100;

/// Label a revision. Needs write.
#[utoipa::path(patch, path = "/api/v1/projects/{slug}/documents/{id}/revisions/{n}", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), ("n" = u32, Path)),
    request_body = Label,
    responses((status = 200, body = RevisionView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn label(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: web::Json<Label>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "label-revision")
        .await?;
    let n = revisions::parse(&path.2, "revision")?;
    let label = body
        .into_inner()
        .label
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if label
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_LABEL || l.chars().any(char::is_control))
    {
        return Err(Error::Invalid(format!(
            "a label is at most {MAX_LABEL} characters without control characters"
        )));
    }
    let id = doc.document.id;
    let command = DocumentCommand::Label { revision: n, label };
    doc.execute(&state.store, command, meta(&user, &req))
        .await?;
    Ok(HttpResponse::Ok().json(revisions::get(state.pool(), id, n, doc.document.revision).await?))
}

/// Restore revision n as a new revision (same blob, no bytes copied). Needs write.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/documents/{id}/revisions/{n}/restore", tag = "revisions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), ("n" = u32, Path)),
    responses((status = 201, body = RevisionView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn restore(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "restore-revision")
        .await?;
    let n = revisions::parse(&path.2, "revision")?;
    let command = DocumentCommand::Restore { from: n };
    let recorded = doc
        .execute(&state.store, command, meta(&user, &req))
        .await?;
    created(&state, &doc, &recorded).await
}
