//! Bearer JWTs signed with the server's HS256 secret: issuing them for
//! development and tests. Checking every kind of bearer token is
//! [`super::jwt`]'s; the HTTP side (where a token is found) is `api::auth`.
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use stockage_events::UserId;

use crate::env::Secret;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Signs tokens with the configured secret, and the claims the server
/// checks: issuer and audience when configured, the user and admin claims
/// under their configured names.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
    user_claim: String,
    admin_claim: String,
}

impl Keys {
    pub fn new(secret: &Secret) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            issuer: None,
            audience: None,
            user_claim: "sub".into(),
            admin_claim: "admin".into(),
        }
    }

    /// Keys for tokens a server with `config` accepts.
    pub fn for_config(config: &super::AuthConfig) -> anyhow::Result<Self> {
        Ok(Self {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            user_claim: config.user_claim.clone(),
            admin_claim: config.admin_claim.clone(),
            ..Self::new(config.secret()?)
        })
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
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut claims = serde_json::to_value(claims).expect("claims serialize");
        if self.user_claim != "sub" {
            claims[&self.user_claim] = user.as_str().into();
        }
        if admin && self.admin_claim != "admin" {
            claims[&self.admin_claim] = true.into();
        }
        self.sign(&claims)
    }

    /// Any claims, signed (tests use it for tokens a server must refuse).
    pub fn sign(&self, claims: &impl Serialize) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing with a byte secret cannot fail")
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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
}
