//! Personal access tokens, and who the caller is (`/me`).
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::{ProjectSlug, TokenScope};
use uuid::Uuid;

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::documents::projects;
use crate::error::Error;
use crate::identity::{Via, access, parse_ttl};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tokens")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .route("/tokens/{id}", web::delete().to(revoke))
    .route("/me", web::get().to(me));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    /// `read` (refused every change) or `write`.
    #[schema(value_type = String)]
    scope: TokenScope,
    /// Limit the token to this project (slug).
    project: Option<String>,
    /// Lifetime like `90d`, `12h`; default: until revoked.
    expires_in: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    id: Uuid,
    /// The token, shown this once: only its SHA-256 is kept.
    token: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    items: Vec<access::TokenView>,
}

/// Tokens are made and revoked by people (a JWT or a session), never by a
/// token: a project token must not mint itself a wider one.
fn person(user: &AuthUser) -> Result<(), Error> {
    match user.via {
        Via::AccessToken { .. } => Err(Error::Forbidden(
            "access tokens cannot manage access tokens; sign in or use a JWT".into(),
        )),
        _ => Ok(()),
    }
}

/// Make a personal access token; the answer is the only time it is shown.
#[utoipa::path(post, operation_id = "create_token", path = "/api/v1/tokens", tag = "identity", security(("bearer" = [])),
    request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = super::Problem),
        (status = 401, body = super::Problem), (status = 403, body = super::Problem),
        (status = 404, description = "no such project of the caller's", body = super::Problem)))]
pub async fn create(
    user: AuthUser,
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CreateToken>,
) -> Result<HttpResponse, Error> {
    person(&user)?;
    let body = body.into_inner();
    let project = match body.project {
        Some(slug) => {
            projects::membership(state.pool(), &slug, &user.id).await?;
            Some(ProjectSlug::parse(&slug).map_err(|e| Error::Invalid(e.to_string()))?)
        }
        None => None,
    };
    let expires_in = body
        .expires_in
        .map(|raw| parse_ttl(&raw).map_err(|e| Error::Invalid(format!("expires_in: {e}"))))
        .transpose()?;
    let new = access::NewToken {
        name: body.name,
        scope: body.scope,
        project,
        expires_in,
    };
    let (id, token) = access::create(&state.store, &user, new, meta(&user, &request)).await?;
    Ok(HttpResponse::Created().json(CreatedToken { id, token }))
}

/// The caller's tokens (names, scopes, dates; never the tokens).
#[utoipa::path(get, operation_id = "list_tokens", path = "/api/v1/tokens", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = TokenList), (status = 401, body = super::Problem)))]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<TokenList>, Error> {
    person(&user)?;
    Ok(web::Json(TokenList {
        items: access::list(state.pool(), &user.id).await?,
    }))
}

/// Revoke one of the caller's tokens; it is refused from the next request on.
#[utoipa::path(delete, operation_id = "revoke_token", path = "/api/v1/tokens/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "revoked"), (status = 401, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn revoke(
    user: AuthUser,
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    person(&user)?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound(format!("token {id} not found")))?;
    access::revoke(&state.store, &user.id, id, meta(&user, &request)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    user: String,
    name: Option<String>,
    admin: bool,
    /// `jwt`, `token` or `session`.
    via: &'static str,
    /// For a session: send it as `X-CSRF-Token` with every unsafe request.
    csrf_token: Option<String>,
}

/// Who the caller is, and how they are authenticated.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = super::Problem)))]
pub async fn me(user: AuthUser) -> web::Json<Me> {
    let csrf_token = match &user.via {
        Via::Session { csrf_token, .. } => Some(csrf_token.clone()),
        _ => None,
    };
    web::Json(Me {
        via: user.via.as_str(),
        user: user.id.to_string(),
        name: user.name,
        admin: user.admin,
        csrf_token,
    })
}
