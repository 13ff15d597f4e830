//! Per-document ACLs and the explanation of a permission.
use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::{Permission, Principal, Role, UserId};

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::documents::projects;
use crate::domain::document::DocumentCommand;
use crate::error::Error;
use crate::permissions::{AclEntry, Decision, Need, effective};

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

    fn parse(self) -> Result<Vec<AclEntry>, Error> {
        if self.entries.len() > MAX_ENTRIES {
            return Err(Error::Invalid(format!(
                "an ACL has at most {MAX_ENTRIES} entries"
            )));
        }
        let mut seen = BTreeSet::new();
        self.entries
            .into_iter()
            .map(|entry| {
                let principal = Principal::parse(entry.principal.trim())
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                let permission = Permission::parse(entry.permission.trim())
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                if !seen.insert(principal.clone()) {
                    return Err(Error::Invalid(format!(
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

/// The document's ACL. Needs admin on the document.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/documents/{id}/acl", tag = "permissions",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Acl), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn get_acl(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Admin, "acl-get")
        .await?;
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
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Admin, "acl-put")
        .await?;
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
) -> Result<HttpResponse, Error> {
    let subject = match query.into_inner().user.filter(|u| !u.is_empty()) {
        Some(raw) => UserId::parse(&raw).map_err(|e| Error::Invalid(e.to_string()))?,
        None => user.id.clone(),
    };
    let need = if subject == user.id {
        Need::Read
    } else {
        Need::Admin
    };
    let doc = state
        .document(&user, &path.0, &path.1, need, "permissions")
        .await?;
    let role = projects::member(state.pool(), doc.membership.project.id, &subject)
        .await?
        .map(|member| Role::parse(&member.role).map_err(Error::internal))
        .transpose()?;
    let (permission, because) = effective(&subject, role, &doc.document.acl()?);
    Ok(HttpResponse::Ok().json(Decision {
        permission,
        because: because.to_string(),
    }))
}
