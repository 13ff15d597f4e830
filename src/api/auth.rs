//! Where the caller's credential is found: `Authorization: Bearer` (a JWT
//! or a `stk_…` personal access token), or the sign-in session cookie.
//! Every endpoint but the public ones takes an [`AuthUser`], so forgetting
//! authentication does not compile into a handler that needs the caller.
//! The limits of a credential are enforced here, for every route at once:
//! a `read` token changes nothing, a project token reaches one project, a
//! cookie needs the CSRF header on unsafe methods.
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use std::future::{Ready, ready};
use stockage_events::TokenScope;

use super::AppState;
use crate::error::Error;
pub use crate::identity::AuthUser;
use crate::identity::{Via, sessions};

pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Self::Error>>;

    /// The caller [`identify`] found (and checked against the credential's
    /// limits) before the request reached its route.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Identified>() {
            Some(Identified(Ok(user))) => Ok(user.clone()),
            Some(Identified(Err(error))) => Err(error.again()),
            None => Err(Error::Unauthenticated(
                "this endpoint needs an Authorization: Bearer <token> header or a sign-in session"
                    .into(),
            )),
        })
    }
}

/// What [`identify`] made of the request's credential.
struct Identified(Result<AuthUser, Refused>);

/// Why a credential was refused, kept to answer each extractor the same.
#[derive(Clone)]
enum Refused {
    Unauthenticated(String),
    Unavailable(String, u64),
    Internal(String),
}

impl Refused {
    fn from(error: Error) -> Self {
        match error {
            Error::Unauthenticated(m) => Refused::Unauthenticated(m),
            Error::Unavailable {
                detail,
                retry_after,
            } => Refused::Unavailable(detail, retry_after),
            other => Refused::Internal(other.to_string()),
        }
    }

    fn again(&self) -> Error {
        match self.clone() {
            Refused::Unauthenticated(m) => Error::Unauthenticated(m),
            Refused::Unavailable(detail, retry_after) => Error::Unavailable {
                detail,
                retry_after,
            },
            Refused::Internal(m) => Error::internal(m),
        }
    }
}

/// Middleware: finds the request's credential (bearer token or session
/// cookie), and refuses at once what the credential does not allow,
/// whatever the route — so routes added later are covered too. Requests
/// without a credential go on; routes that need one refuse them.
pub async fn identify(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let found = match credential(req.request()).await {
        None => None,
        Some(Ok(user)) => match limits(req.request(), &user) {
            Ok(()) => Some(Ok(user)),
            Err(refused) => {
                let response = actix_web::ResponseError::error_response(&refused);
                return Ok(req.into_response(response).map_into_right_body());
            }
        },
        Some(Err(error)) => Some(Err(Refused::from(error))),
    };
    if let Some(found) = found {
        if let Ok(user) = &found {
            req.extensions_mut()
                .insert(super::access::Caller(user.id.to_string()));
        }
        req.extensions_mut().insert(Identified(found));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

async fn credential(req: &HttpRequest) -> Option<Result<AuthUser, Error>> {
    let state = match state(req) {
        Ok(state) => state,
        Err(error) => return Some(Err(error)),
    };
    match bearer(req) {
        Ok(Some(token)) => return Some(state.identity.bearer(token).await),
        Ok(None) => {}
        Err(error) => return Some(Err(error)),
    }
    let cookie = req.cookie(sessions::COOKIE)?;
    Some(state.identity.session(cookie.value()).await)
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, Error> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| Error::internal("application state is not configured"))
}

fn bearer(req: &HttpRequest) -> Result<Option<&str>, Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        Error::Unauthenticated("the Authorization header is not readable text".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(Error::Unauthenticated(
            "the Authorization header must be 'Bearer <token>'".into(),
        )),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Routes without a project in their path that a project-limited token may
/// still call: they reveal nothing of other projects.
const OPEN_TO_PROJECT_TOKENS: [&str; 3] = ["/metrics", "/api/v1/policy", "/api/v1/me"];

/// What the credential itself allows, whoever holds it.
fn limits(req: &HttpRequest, user: &AuthUser) -> Result<(), Error> {
    match &user.via {
        Via::Jwt => Ok(()),
        Via::AccessToken { scope, project, .. } => {
            if *scope == TokenScope::Read && !is_safe(req.method()) {
                return Err(Error::Forbidden(
                    "this access token has the read scope: it cannot change anything".into(),
                ));
            }
            let Some(project) = project else {
                return Ok(());
            };
            let path = req.path().trim_end_matches('/');
            let allowed = match path.strip_prefix("/api/v1/projects/") {
                Some(rest) => rest.split('/').next() == Some(project.as_str()),
                None => OPEN_TO_PROJECT_TOKENS.contains(&path),
            };
            if allowed {
                Ok(())
            } else {
                Err(Error::Forbidden(format!(
                    "this access token is limited to the project {project:?}"
                )))
            }
        }
        Via::Session { csrf_token, .. } => {
            if is_safe(req.method()) {
                return Ok(());
            }
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if constant_time_eq(sent, csrf_token.as_bytes()) {
                Ok(())
            } else {
                Err(Error::Forbidden(
                    "a request authenticated by the session cookie must carry the X-CSRF-Token \
                     header (from GET /api/v1/me)"
                        .into(),
                ))
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A token that came as `?access_token=` (WebSocket clients cannot set
/// headers), lifted out of the URL by [`lift_query_token`].
#[derive(Clone)]
struct QueryToken(String);

/// Takes `access_token` out of every request's query before anything logs
/// the URL; only the WebSocket endpoint accepts it (see [`websocket_user`]).
pub async fn lift_query_token(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(query) = req.uri().query()
        && query
            .split('&')
            .any(|pair| pair.starts_with("access_token="))
    {
        let (tokens, rest): (Vec<&str>, Vec<&str>) = query
            .split('&')
            .partition(|pair| pair.starts_with("access_token="));
        let token = tokens[0].trim_start_matches("access_token=").to_owned();
        let path = req.uri().path();
        let target = if rest.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", rest.join("&"))
        };
        if let Ok(uri) = target.parse() {
            req.head_mut().uri = uri;
        }
        req.extensions_mut().insert(QueryToken(token));
    }
    next.call(req).await
}

/// The caller of the WebSocket endpoint: the Authorization header, the
/// `access_token` query parameter, or a session cookie sent from this
/// server's own pages (a cookie from another site's page is refused: a
/// WebSocket is not protected by the same-origin rules).
pub async fn websocket_user(req: &HttpRequest) -> Result<AuthUser, Error> {
    let query_token = req.extensions().get::<QueryToken>().cloned();
    if let Some(token) = query_token
        && !req.headers().contains_key(header::AUTHORIZATION)
    {
        let user = state(req)?.identity.bearer(&token.0).await?;
        limits(req, &user)?;
        req.extensions_mut()
            .insert(super::access::Caller(user.id.to_string()));
        return Ok(user);
    }
    let user = AuthUser::extract(req).await?;
    if matches!(user.via, Via::Session { .. }) && !same_origin(req) {
        return Err(Error::Forbidden(
            "a WebSocket authenticated by the session cookie must come from this server's own \
             pages"
                .into(),
        ));
    }
    Ok(user)
}

fn same_origin(req: &HttpRequest) -> bool {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        _ => false,
    }
}
