//! Check-out locks and lifecycle transitions of a document.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use stockage_events::LifecycleState;

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::documents::{DocumentView, queries};
use crate::error::Error;
use crate::locks::{self, LockView};
use crate::permissions::gate::Need;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects/{slug}/documents/{id}/lock")
            .route(web::post().to(lock))
            .route(web::delete().to(unlock)),
    )
    .route(
        "/projects/{slug}/documents/{id}/state",
        web::post().to(change_state),
    );
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct LockRequest {
    /// Why it is checked out ("redrawing the north elevation").
    note: Option<String>,
    /// How long: `30m`, `8h`, `2d` (default 24h, at most 7d).
    ttl: Option<String>,
}

/// Check a document out: changes by anyone else get 423 until it is
/// unlocked or expires. Locking again by the holder renews it (200). Needs write.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/documents/{id}/lock", tag = "locks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = uuid::Uuid, Path)), request_body = LockRequest,
    responses((status = 201, body = LockView), (status = 200, body = LockView, description = "renewed"),
        (status = 400, body = super::Problem), (status = 403, body = super::Problem),
        (status = 404, body = super::Problem),
        (status = 409, body = super::Problem, description = "locked by someone else: `locked_by`, `expires_at`")))]
pub async fn lock(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "lock")
        .await?;
    // The body is optional; when sent it must be the JSON object above.
    let body: LockRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LockRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Error::Invalid(format!("the lock request is not valid JSON: {e}")))?
    };
    let ttl = locks::parse_ttl(body.ttl.as_deref())?;
    let note = locks::parse_note(body.note.as_deref())?;
    let (view, created) = locks::lock(&state.store, &doc, ttl, note, meta(&user, &req)).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnlockQuery {
    /// Why a document admin breaks someone else's lock (kept in the event).
    reason: Option<String>,
}

/// Release one's lock, or break someone else's (document admins; the event
/// names who broke it and why). Anyone else: 403. No lock: 204, nothing recorded.
#[utoipa::path(delete, path = "/api/v1/projects/{slug}/documents/{id}/lock", tag = "locks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = uuid::Uuid, Path), UnlockQuery),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn unlock(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<UnlockQuery>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "unlock")
        .await?;
    let reason = locks::parse_comment(query.reason.as_deref(), "reason")?;
    locks::unlock(&state.store, &doc, reason, meta(&user, &req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StateRequest {
    /// `wip`, `in_review`, `released` or `obsolete`.
    to: String,
    comment: Option<String>,
}

/// Move a document through its lifecycle: wip→in_review, in_review→wip,
/// released→wip (revise) need write; in_review→released needs admin and
/// someone other than the uploader of the revision it freezes;
/// released→obsolete and obsolete→wip need admin. Anything else: 409.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/documents/{id}/state", tag = "locks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = uuid::Uuid, Path)), request_body = StateRequest,
    responses((status = 200, body = DocumentView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 423, body = super::Problem)))]
pub async fn change_state(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<StateRequest>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "change-state")
        .await?;
    let to = LifecycleState::parse(body.to.trim()).map_err(|e| Error::Invalid(e.to_string()))?;
    let comment = locks::parse_comment(body.comment.as_deref(), "comment")?;
    locks::change_state(&state.store, &doc, to, comment, meta(&user, &req)).await?;
    let row = queries::get(state.pool(), doc.document.id).await?;
    Ok(HttpResponse::Ok().json(DocumentView::new(&doc.membership.project.slug, &row)))
}
