//! Checking bearer JWTs: HS256 with the server's secret, RS256/ES256 with
//! the platform's JWKS; `exp` and `nbf` always, `iss` and `aud` when
//! configured; the user and admin claims named by the configuration.
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use stockage_events::UserId;
use time::OffsetDateTime;

use super::config::AuthConfig;
use super::jwks::Jwks;
use super::principal::{AuthUser, Via};
use crate::error::Error;

pub struct Verifier {
    secret: DecodingKey,
    jwks: Option<Jwks>,
    issuer: Option<String>,
    audience: Option<String>,
    user_claim: String,
    admin_claim: String,
}

impl Verifier {
    pub fn new(config: &AuthConfig) -> anyhow::Result<Self> {
        Ok(Self {
            secret: DecodingKey::from_secret(config.secret()?.expose().as_bytes()),
            jwks: config.jwks.clone().map(Jwks::new).transpose()?,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            user_claim: config.user_claim.clone(),
            admin_claim: config.admin_claim.clone(),
        })
    }

    pub async fn verify(&self, token: &str) -> Result<AuthUser, Error> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Unauthenticated("the bearer token is malformed".into()))?;
        let key = match header.alg {
            Algorithm::HS256 => self.secret.clone(),
            Algorithm::RS256 | Algorithm::ES256 => {
                let Some(jwks) = &self.jwks else {
                    return Err(Error::Unauthenticated(format!(
                        "{:?} tokens are not accepted: no JWKS is configured (STOCKAGE_JWT_JWKS)",
                        header.alg
                    )));
                };
                let jwk = jwks.key(header.kid.as_deref()).await?;
                DecodingKey::from_jwk(&jwk).map_err(|_| {
                    Error::Unauthenticated("the JWKS key the token names is not usable".into())
                })?
            }
            other => {
                return Err(Error::Unauthenticated(format!(
                    "bearer tokens signed with {other:?} are not accepted (HS256, RS256, ES256 are)"
                )));
            }
        };
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &self.validation(header.alg))
                .map_err(|e| Error::Unauthenticated(reason(e.kind())))?;
        self.user(data.claims)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = 5;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &self.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    fn user(&self, claims: Map<String, Value>) -> Result<AuthUser, Error> {
        let subject = match claims.get(&self.user_claim) {
            Some(Value::String(s)) => s.clone(),
            // Django's simplejwt puts the primary key as a number.
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::Unauthenticated(format!(
                    "the bearer token has no {:?} claim naming the user",
                    self.user_claim
                )));
            }
        };
        let id = UserId::parse(&subject).map_err(|e| {
            Error::Unauthenticated(format!("the bearer token's user is not usable: {e}"))
        })?;
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp).ok());
        Ok(AuthUser {
            id,
            name: claims
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            admin: claims.get(&self.admin_claim) == Some(&Value::Bool(true)),
            via: Via::Jwt,
            expires_at,
        })
    }
}

fn reason(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the bearer token has expired".into(),
        ErrorKind::ImmatureSignature => "the bearer token is not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "the bearer token's signature is not valid".into(),
        ErrorKind::InvalidIssuer => "the bearer token's issuer (iss) is not accepted".into(),
        ErrorKind::InvalidAudience => "the bearer token's audience (aud) is not this server".into(),
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the bearer token has no {claim:?} claim")
        }
        _ => "the bearer token is malformed".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::env::Secret;
    use crate::identity::Keys;
    use crate::identity::tokens::{Claims, unix_now};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(issuer: Option<&str>, audience: Option<&str>) -> AuthConfig {
        let mut config = AuthConfig::with_secret(SECRET);
        config.issuer = issuer.map(str::to_owned);
        config.audience = audience.map(str::to_owned);
        config
    }

    fn claims(sub: &str) -> Claims {
        Claims {
            sub: sub.into(),
            exp: unix_now() + 60,
            iat: None,
            name: None,
            admin: false,
            iss: None,
            aud: None,
        }
    }

    #[tokio::test]
    async fn issued_tokens_verify_and_others_do_not() {
        let verifier = Verifier::new(&config(None, None)).unwrap();
        let keys = Keys::new(&Secret::new(SECRET.into()));
        let other = Keys::new(&Secret::new("another-secret-another-secret-xx".into()));
        let alice = UserId::parse("alice").unwrap();
        let token = keys.issue(&alice, Some("Alice".into()), true, Duration::from_secs(60));
        let user = verifier.verify(&token).await.unwrap();
        assert_eq!(
            (user.id, user.admin, user.via),
            (alice.clone(), true, Via::Jwt)
        );
        let forged = other.issue(&alice, None, true, Duration::from_secs(60));
        assert!(matches!(
            verifier.verify(&forged).await,
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            verifier.verify("not.a.token").await,
            Err(Error::Unauthenticated(_))
        ));
    }

    #[tokio::test]
    async fn a_future_nbf_is_refused() {
        let verifier = Verifier::new(&config(None, None)).unwrap();
        let keys = Keys::new(&Secret::new(SECRET.into()));
        let mut early = serde_json::to_value(claims("alice")).unwrap();
        early["nbf"] = (unix_now() + 600).into();
        let error = verifier.verify(&keys.sign(&early)).await.unwrap_err();
        assert!(error.to_string().contains("not valid yet"), "{error}");
        early["nbf"] = (unix_now() - 1).into();
        assert!(verifier.verify(&keys.sign(&early)).await.is_ok());
    }

    #[tokio::test]
    async fn issuer_and_audience_are_checked_when_configured() {
        let verifier =
            Verifier::new(&config(Some("https://kk.example"), Some("stockage"))).unwrap();
        let secret = Secret::new(SECRET.into());
        let alice = UserId::parse("alice").unwrap();
        let ttl = Duration::from_secs(60);
        let keys_for = |iss: Option<&str>, aud: Option<&str>| {
            let mut config = config(iss, aud);
            config.jwt_secret = Some(secret.clone());
            Keys::for_config(&config).unwrap()
        };
        let right = keys_for(Some("https://kk.example"), Some("stockage"));
        assert!(
            verifier
                .verify(&right.issue(&alice, None, false, ttl))
                .await
                .is_ok()
        );
        for (iss, aud, why) in [
            (Some("https://evil.example"), Some("stockage"), "issuer"),
            (Some("https://kk.example"), Some("other-app"), "audience"),
            (None, Some("stockage"), "\"iss\""),
            (Some("https://kk.example"), None, "\"aud\""),
        ] {
            let keys = keys_for(iss, aud);
            let error = verifier
                .verify(&keys.issue(&alice, None, false, ttl))
                .await
                .unwrap_err();
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
    }
}
