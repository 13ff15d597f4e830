//! Bearer JWTs (HS256): issuing them for development and tests, checking
//! them for every request. The HTTP side (where a token is found) is in
//! `api::auth`.
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use stockage_events::UserId;

use crate::env::Secret;
use crate::error::Error;

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

    pub fn verify(&self, token: &str) -> Result<AuthUser, Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                Error::Unauthenticated(match e.kind() {
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
            Error::Unauthenticated(format!("the bearer token's subject is not usable: {e}"))
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

/// Parses durations such as `90s`, `15m`, `1h`, `7d`.
pub fn parse_ttl(raw: &str) -> Result<Duration, String> {
    crate::env::duration(raw)
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
        assert_eq!(parse_ttl("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_ttl("0s").is_err() && parse_ttl("1y2").is_err() && parse_ttl("h").is_err());
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
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            keys.verify("not.a.token"),
            Err(Error::Unauthenticated(_))
        ));
    }
}
