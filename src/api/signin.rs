//! Sign-in for people through OpenID Connect: `/auth/login` sends the
//! browser to the provider, `/auth/callback` turns its answer into a
//! session cookie, `/auth/logout` ends the session. Off (404) until
//! configured.
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::Deserialize;

use super::AppState;
use super::auth::AuthUser;
use crate::error::Error;
use crate::identity::oidc::Oidc;
use crate::identity::{Via, sessions};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/config", web::get().to(config))
        .route("/auth/login", web::get().to(login))
        .route("/auth/callback", web::get().to(callback))
        .route("/auth/logout", web::post().to(logout));
}

fn oidc(state: &AppState) -> Result<&Oidc, Error> {
    state
        .oidc
        .as_ref()
        .ok_or_else(|| Error::NotFound("sign-in is not configured on this server".into()))
}

/// This server as the browser sees it: `STOCKAGE_PUBLIC_URL`, or the
/// request's scheme and host.
fn base(oidc: &Oidc, req: &HttpRequest) -> String {
    match &oidc.config().public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

fn is_loopback(base: &str) -> bool {
    let host = base.split_once("://").map_or(base, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.starts_with("127.")
}

/// Whether the UI should show "Sign in".
#[utoipa::path(get, path = "/auth/config", tag = "sign-in",
    responses((status = 200, body = SignInConfig)))]
pub async fn config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(SignInConfig {
        oidc: state.oidc.is_some(),
    })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignInConfig {
    /// Whether OpenID Connect sign-in is configured.
    oidc: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// A path of this server to come back to after signing in.
    return_to: Option<String>,
}

/// Only this server's own pages: a path, never `//host` or a URL.
fn local_path(path: Option<String>) -> String {
    path.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
        .unwrap_or_else(|| "/".into())
}

/// Sends the browser to the OpenID provider. 404 until sign-in is
/// configured.
#[utoipa::path(get, path = "/auth/login", tag = "sign-in", params(LoginQuery),
    responses((status = 303, description = "to the provider's authorization endpoint"),
        (status = 404, body = super::Problem)))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, Error> {
    let oidc = oidc(&state)?;
    let redirect = format!("{}/auth/callback", base(oidc, &req));
    let url = oidc
        .begin(
            state.pool(),
            &redirect,
            &local_path(query.into_inner().return_to),
        )
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where the provider sends the browser back: starts a session (cookie)
/// and returns to the page sign-in began on.
#[utoipa::path(get, path = "/auth/callback", tag = "sign-in", params(CallbackQuery),
    responses((status = 303, description = "signed in: the session cookie is set"),
        (status = 400, body = super::Problem), (status = 401, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, Error> {
    let oidc = oidc(&state)?;
    let query = query.into_inner();
    if let Some(error) = query.error {
        return Err(Error::Unauthenticated(format!(
            "the sign-in provider answered {error}: {}",
            query.error_description.unwrap_or_default()
        )));
    }
    let (Some(code), Some(login_state)) = (query.code, query.state) else {
        return Err(Error::Invalid("the callback needs code and state".into()));
    };
    let base = base(oidc, &req);
    let redirect = format!("{base}/auth/callback");
    let (who, return_to) = oidc
        .finish(state.pool(), &redirect, &login_state, &code)
        .await?;
    let previous = req.cookie(sessions::COOKIE);
    let ttl = oidc.config().session_ttl;
    let id = sessions::start(
        state.pool(),
        &who.user,
        who.name.as_deref(),
        who.admin,
        ttl,
        previous.as_ref().map(|c| c.value()),
    )
    .await?;
    tracing::info!(user = %who.user, admin = who.admin, "signed in");
    let cookie = Cookie::build(sessions::COOKIE, id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(!is_loopback(&base))
        .max_age(CookieDuration::seconds(ttl.as_secs() as i64))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, return_to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Ends the caller's session on the server and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "sign-in", security(("bearer" = [])),
    responses((status = 204, description = "signed out: the session cookie is cleared")))]
pub async fn logout(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    if let Via::Session { id_sha256, .. } = &user.via {
        sessions::end(state.pool(), id_sha256).await?;
    }
    let mut gone = Cookie::build(sessions::COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            local_path(Some("/projects/alpha".into())),
            "/projects/alpha"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "x",
        ] {
            assert_eq!(local_path(Some(bad.into())), "/", "{bad}");
        }
        assert!(is_loopback("http://127.0.0.1:8080") && is_loopback("http://localhost"));
        assert!(!is_loopback("https://docs.example.com"));
    }
}
