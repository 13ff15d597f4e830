//! Per-document ACLs and the explanation of a permission.
use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::{Permission, Principal, Role, UserId};

use super::{ApiError, AppState, meta};
use crate::access::{self, DocumentAccess, Need};
use crate::auth::AuthUser;
use crate::domain::document::DocumentCommand;
use crate::permissions::{AclEntry, Decision, effective};
use crate::projects;

/// More entries than this is a mistake, not a policy.
const MAX_ENTRIES: usize = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects/{slug}/documents/{id}/acl")
            .route(web::get().to(get_acl))
            .route(web::put().to(put_acl)),
    )
    .route(
        "/projects/{slug}/documents/{id}/permissions",
        web::get().to(explain),
    );
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AclEntryBody {
    /// `user:<id>` or `role:<viewer|editor|admin|owner>`
    principal: String,
    /// `none` (denies), `read`, `write` or `admin`
    permission: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acl {
    entries: Vec<AclEntryBody>,
}

impl Acl {
    fn of(entries: &[AclEntry]) -> Self {
        let mut entries: Vec<AclEntryBody> = entries
            .iter()
            .map(|e| AclEntryBody {
                principal: e.principal.to_string(),
                permission: e.permission.to_string(),
            })
            .collect();
        entries.sort_by(|a, b| a.principal.cmp(&b.principal));
        Acl { entries }
    }

    fn parse(self) -> Result<Vec<AclEntry>, ApiError> {
        if self.entries.len() > MAX_ENTRIES {
            return Err(ApiError::BadRequest(format!(
                "an ACL has at most {MAX_ENTRIES} entries"
            )));
        }
        let mut seen = BTreeSet::new();
        self.entries
            .into_iter()
            .map(|entry| {
                let principal = Principal::parse(entry.principal.trim())
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let permission = Permission::parse(entry.permission.trim())
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
                if !seen.insert(principal.clone()) {
                    return Err(ApiError::BadRequest(format!(
                        "{principal} appears more than once"
                    )));
                }
                Ok(AclEntry {
                    principal,
                    permission,
                })
            })
            .collect()
    }
}

async fn admin_access(
    state: &AppState,
    user: &AuthUser,
    path: &(String, String),
    action: &'static str,
) -> Result<DocumentAccess, ApiError> {
    access::document(
        state.pool(),
        &path.0,
        &path.1,
        &user.id,
        Need::Admin,
        action,
    )
    .await?
    .live()
}

/// The document's ACL. Needs admin on the document.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}/acl", tag = "permissions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Acl), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn get_acl(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let doc = admin_access(&state, &user, &path, "acl-get").await?;
    Ok(HttpResponse::Ok().json(Acl::of(&doc.document.acl()?)))
}

/// Replace the document's ACL (recorded as grant and revoke events).
/// Needs admin on the document.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/documents/{id}/acl", tag = "permissions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path)), request_body = Acl,
    responses((status = 200, body = Acl), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn put_acl(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Acl>,
) -> Result<HttpResponse, ApiError> {
    let doc = admin_access(&state, &user, &path, "acl-put").await?;
    let entries = body.into_inner().parse()?;
    let command = DocumentCommand::ReplaceAcl(entries.clone());
    doc.execute(&state.store, command, meta(&user, &req))
        .await?;
    Ok(HttpResponse::Ok().json(Acl::of(&entries)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExplainQuery {
    /// Whose permission; the caller's own when absent.
    user: Option<String>,
}

/// A user's effective permission on the document and the rule that decided
/// it. Anyone who can read the document may ask about themselves; asking
/// about others needs admin on the document.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}/permissions", tag = "permissions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path), ExplainQuery),
    responses((status = 200, body = Decision), (status = 400, body = super::Problem),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn explain(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<ExplainQuery>,
) -> Result<HttpResponse, ApiError> {
    let subject = match query.into_inner().user.filter(|u| !u.is_empty()) {
        Some(raw) => UserId::parse(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?,
        None => user.id.clone(),
    };
    let need = if subject == user.id {
        Need::Read
    } else {
        Need::Admin
    };
    let doc = access::document(
        state.pool(),
        &path.0,
        &path.1,
        &user.id,
        need,
        "permissions",
    )
    .await?
    .live()?;
    let role = projects::member(state.pool(), doc.membership.project.id, &subject)
        .await?
        .map(|member| Role::parse(&member.role).map_err(ApiError::internal))
        .transpose()?;
    let (permission, because) = effective(&subject, role, &doc.document.acl()?);
    Ok(HttpResponse::Ok().json(Decision {
        permission,
        because: because.to_string(),
    }))
}
