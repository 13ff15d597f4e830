//! Who is calling: bearer JWTs (the server's HS256, a platform's RS256/ES256
//! through its JWKS), personal access tokens, and browser sessions after an
//! OpenID Connect sign-in; and the configuration they are checked with.
pub mod access;
mod config;
mod jwks;
pub mod jwt;
pub mod oidc;
mod principal;
pub mod sessions;
pub mod tokens;

use sqlx::PgPool;

pub use config::{AuthConfig, JwksSource, MIN_SECRET_BYTES, OidcConfig, SecretSource};
pub use principal::{AuthUser, Via};
pub use tokens::{Claims, Keys, parse_ttl};

use crate::error::Error;

/// A client for calls to the identity provider, giving up after `timeout`.
/// A connection idle for 2 s is not reused: providers close idle
/// connections after a few seconds (Node's default is 5 s), and a token
/// exchange that follows a user's sign-in by about that long must not go
/// out on a connection being closed at that moment.
fn provider_client(timeout: std::time::Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(2))
}

/// Checks every kind of credential.
pub struct Identity {
    pool: PgPool,
    jwt: jwt::Verifier,
}

impl Identity {
    pub fn new(pool: PgPool, config: &AuthConfig) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            jwt: jwt::Verifier::new(config)?,
        })
    }

    /// The caller a bearer token (JWT or `stk_…`) stands for.
    pub async fn bearer(&self, token: &str) -> Result<AuthUser, Error> {
        if token.starts_with(access::PREFIX) {
            access::authenticate(&self.pool, token).await
        } else {
            self.jwt.verify(token).await
        }
    }

    /// The caller a session cookie stands for.
    pub async fn session(&self, cookie: &str) -> Result<AuthUser, Error> {
        sessions::authenticate(&self.pool, cookie).await
    }

    /// Whether the credential `user` came with still holds (revocation,
    /// logout); its expiry is checked apart, by time.
    pub async fn still_valid(&self, user: &AuthUser) -> Result<bool, sqlx::Error> {
        match &user.via {
            Via::Jwt => Ok(true),
            Via::AccessToken { id, .. } => access::is_live(&self.pool, *id).await,
            Via::Session { id_sha256, .. } => sessions::is_live(&self.pool, id_sha256).await,
        }
    }
}
