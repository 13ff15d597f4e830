//! Trash, retention policy, legal hold, usage and quota of a project.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::documents::projects::{self, Membership};
use crate::domain::project::ProjectCommand;
use crate::domain::retention::{Change, Policy};
use crate::error::Error;
use crate::retention::quota::Usage;
use crate::retention::trash::{self, RetentionView, TrashItem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{slug}/trash", web::get().to(list_trash))
        .service(
            web::resource("/projects/{slug}/retention")
                .route(web::get().to(get_retention))
                .route(web::put().to(put_retention)),
        )
        .route("/projects/{slug}/hold", web::put().to(put_hold))
        .route("/projects/{slug}/usage", web::get().to(usage));
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrashList {
    items: Vec<TrashItem>,
}

/// Deleted documents not yet purged, most recently deleted first. Needs
/// the editor role or higher; lists only documents the caller may read.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/trash", tag = "retention", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = TrashList), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn list_trash(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    if !membership.role.can_write() {
        return Err(Error::Forbidden(format!(
            "the trash needs the editor role or higher; you are {}",
            membership.role
        )));
    }
    let items = trash::list(state.pool(), &membership, &user.id).await?;
    Ok(HttpResponse::Ok().json(TrashList { items }))
}

/// The project's retention policy, legal hold and quota. Any member.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/retention", tag = "retention", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = RetentionView), (status = 404, body = super::Problem)))]
pub async fn get_retention(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    let view = trash::settings(state.pool(), membership.project.id).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRetention {
    /// Keep the last N revisions of each document (at least 1).
    keep_revisions: Option<u32>,
    /// Keep revisions younger than D days.
    keep_days: Option<u32>,
    /// Purge documents that have been in the trash for D days.
    trash_days: Option<u32>,
}

/// Set the retention policy; fields left out keep everything. The latest,
/// labelled and released revisions are kept whatever the rule. Needs admin.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/retention", tag = "retention", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = PutRetention,
    responses((status = 200, body = RetentionView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn put_retention(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<PutRetention>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let change = Change::Policy(Policy {
        keep_revisions: body.keep_revisions,
        keep_days: body.keep_days,
        trash_days: body.trash_days,
    });
    change_settings(&state, &user, &req, &slug, change).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutHold {
    on: bool,
    reason: Option<String>,
}

const MAX_REASON: usize = 500;

/// Put the project on legal hold, or lift it: while on, nothing in the
/// project is purged (purge-now answers 409). Needs owner.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/hold", tag = "retention", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = PutHold,
    responses((status = 200, body = RetentionView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn put_hold(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<PutHold>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON || r.chars().any(char::is_control))
    {
        return Err(Error::Invalid(format!(
            "a reason is at most {MAX_REASON} characters without control characters"
        )));
    }
    let change = Change::Hold {
        on: body.on,
        reason,
    };
    change_settings(&state, &user, &req, &slug, change).await
}

/// Change project settings: `{"quota_mb": N}` in MB (10^6 bytes), null
/// for the default (owner); `{"shares_allowed": bool}` allows or forbids
/// share links (admin or owner). Both are checked before either applies.
#[utoipa::path(patch, path = "/api/v1/projects/{slug}", tag = "projects", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body(content = Object, description = "{\"quota_mb\": N | null, \"shares_allowed\": bool}"),
    responses((status = 200, body = crate::documents::projects::ProjectView), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn patch_project(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    if let Some(other) = body
        .keys()
        .find(|k| !["quota_mb", "shares_allowed"].contains(&k.as_str()))
    {
        return Err(Error::Invalid(format!(
            "{other:?} cannot be changed here; send {{\"quota_mb\": N}} or {{\"shares_allowed\": bool}}"
        )));
    }
    if body.is_empty() {
        return Err(Error::Invalid(
            "send {\"quota_mb\": N} (null: the default) or {\"shares_allowed\": bool}".into(),
        ));
    }
    let sharing = match body.get("shares_allowed") {
        None => None,
        Some(value) => Some(
            value
                .as_bool()
                .ok_or_else(|| Error::Invalid("shares_allowed is true or false".into()))?,
        ),
    };
    let quota = match body.get("quota_mb") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => Some(Some(value.as_u64().ok_or_else(|| {
            Error::Invalid("quota_mb is a whole number of MB (10^6 bytes), or null".into())
        })?)),
    };
    if let Some(allowed) = sharing {
        crate::shares::set_sharing(&state.store, &slug, allowed, meta(&user, &req)).await?;
    }
    if let Some(quota) = quota {
        settle(&state, &user, &req, &slug, Change::Quota(quota)).await?;
    }
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    Ok(HttpResponse::Ok().json(membership.project))
}

/// What the project weighs: documents, revisions, logical and stored bytes, quota.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/usage", tag = "retention", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = Usage), (status = 404, body = super::Problem)))]
pub async fn usage(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    let usage = state
        .quota
        .usage(state.pool(), membership.project.id)
        .await?;
    Ok(HttpResponse::Ok().json(usage))
}

async fn change_settings(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    slug: &str,
    change: Change,
) -> Result<HttpResponse, Error> {
    let membership = settle(state, user, req, slug, change).await?;
    let view: RetentionView = trash::settings(state.pool(), membership.project.id).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn settle(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    slug: &str,
    change: Change,
) -> Result<Membership, Error> {
    let membership = projects::membership(state.pool(), slug, &user.id).await?;
    let command = ProjectCommand::Retention {
        change,
        by: user.id.clone(),
    };
    projects::execute(
        &state.store,
        membership.project.id,
        command,
        meta(user, req),
    )
    .await?;
    Ok(membership)
}
