//! Bearer JWT authentication (HS256). Every endpoint but /healthz and
//! /readyz takes an [`AuthUser`], so forgetting authentication does not
//! compile into a handler that needs the caller.
use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use stockage_events::UserId;

use crate::api::{ApiError, AppState};
use crate::settings::Secret;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}

/// Signs and checks tokens with the configured secret.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Keys {
    pub fn new(secret: &Secret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    /// A token for `user`, valid for `ttl`.
    pub fn issue(&self, user: &UserId, name: Option<String>, admin: bool, ttl: Duration) -> String {
        let now = unix_now();
        let claims = Claims {
            sub: user.to_string(),
            exp: now + ttl.as_secs(),
            iat: Some(now),
            name,
            admin,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a byte secret cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<AuthUser, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                ApiError::Unauthorized(match e.kind() {
                    ErrorKind::ExpiredSignature => "the bearer token has expired".into(),
                    ErrorKind::InvalidSignature => {
                        "the bearer token's signature is not valid".into()
                    }
                    ErrorKind::MissingRequiredClaim(claim) => {
                        format!("the bearer token has no {claim:?} claim")
                    }
                    _ => "the bearer token is malformed".into(),
                })
            })?;
        let id = UserId::parse(&data.claims.sub).map_err(|e| {
            ApiError::Unauthorized(format!("the bearer token's subject is not usable: {e}"))
        })?;
        Ok(AuthUser {
            id,
            name: data.claims.name,
            admin: data.claims.admin,
        })
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthUser {
    pub id: UserId,
    pub name: Option<String>,
    /// May create projects.
    pub admin: bool,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    state(req)?.keys.verify(bearer(req)?)
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state is not configured"))
}

fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized(
            "this endpoint needs an Authorization: Bearer <token> header".into(),
        ));
    };
    let value = value.to_str().map_err(|_| {
        ApiError::Unauthorized("the Authorization header is not readable text".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::Unauthorized(
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
pub fn websocket_user(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return authenticate(req);
    }
    let token = req
        .extensions()
        .get::<QueryToken>()
        .cloned()
        .ok_or_else(|| {
            ApiError::Unauthorized(
            "this endpoint needs an Authorization: Bearer <token> header or ?access_token=<token>"
                .into(),
        )
        })?;
    state(req)?.keys.verify(&token.0)
}

/// Parses durations such as `90s`, `15m`, `1h`, `7d`.
pub fn parse_ttl(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 90s, 15m, 1h or 7d"))?;
    let seconds = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3_600,
        "d" => n * 86_400,
        _ => return Err(format!("{raw:?}: unit must be s, m, h or d")),
    };
    if seconds == 0 {
        return Err("a token's lifetime must be more than zero".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_ttl("30"), Ok(Duration::from_secs(30)));
        assert!(parse_ttl("0s").is_err() && parse_ttl("1y").is_err() && parse_ttl("h").is_err());
    }

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = Keys::new(&Secret::new("one".into()));
        let other = Keys::new(&Secret::new("two".into()));
        let alice = UserId::parse("alice").unwrap();
        let token = keys.issue(&alice, Some("Alice".into()), true, Duration::from_secs(60));
        let user = keys.verify(&token).unwrap();
        assert_eq!((user.id, user.admin), (alice, true));
        assert!(matches!(
            other.verify(&token),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            keys.verify("not.a.token"),
            Err(ApiError::Unauthorized(_))
        ));
    }
}
