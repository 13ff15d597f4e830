//! Where the caller's bearer token is found. Every endpoint but /healthz and
//! /readyz takes an [`AuthUser`], so forgetting authentication does not
//! compile into a handler that needs the caller.
use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};

use super::AppState;
use crate::error::Error;
pub use crate::identity::AuthUser;

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(req);
        if let Ok(user) = &user {
            req.extensions_mut()
                .insert(super::access::Caller(user.id.to_string()));
        }
        ready(user)
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, Error> {
    state(req)?.keys.verify(bearer(req)?)
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, Error> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| Error::internal("application state is not configured"))
}

fn bearer(req: &HttpRequest) -> Result<&str, Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(Error::Unauthenticated(
            "this endpoint needs an Authorization: Bearer <token> header".into(),
        ));
    };
    let value = value.to_str().map_err(|_| {
        Error::Unauthenticated("the Authorization header is not readable text".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(Error::Unauthenticated(
            "the Authorization header must be 'Bearer <token>'".into(),
        )),
    }
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

/// The caller of the WebSocket endpoint: the Authorization header, or else
/// the `access_token` query parameter.
pub fn websocket_user(req: &HttpRequest) -> Result<AuthUser, Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return authenticate(req);
    }
    let token = req
        .extensions()
        .get::<QueryToken>()
        .cloned()
        .ok_or_else(|| {
            Error::Unauthenticated(
            "this endpoint needs an Authorization: Bearer <token> header or ?access_token=<token>"
                .into(),
        )
        })?;
    state(req)?.keys.verify(&token.0)
}
