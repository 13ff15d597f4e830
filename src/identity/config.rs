//! How callers are recognised: the HS256 secret (and where it came from),
//! the claims of platform JWTs, their JWKS, and OpenID Connect sign-in.
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::env::{Secret, var};

/// Shortest HS256 secret accepted: 256 bits, the hash's own size (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `STOCKAGE_JWT_SECRET`: HS256 secret for bearer tokens; when unset,
    /// the development secret under the data directory, if there is one.
    pub jwt_secret: Option<Secret>,
    /// Where the secret comes from (stated by `serve` and `token`).
    pub secret_source: SecretSource,
    /// `STOCKAGE_JWT_ISSUER`: when set, every JWT must carry this `iss`.
    pub issuer: Option<String>,
    /// `STOCKAGE_JWT_AUDIENCE`: when set, every JWT must carry this `aud`.
    pub audience: Option<String>,
    /// `STOCKAGE_JWT_JWKS`: a file or an `http(s)` URL of the platform's
    /// public keys (RS256/ES256 tokens); unset: HS256 only.
    pub jwks: Option<JwksSource>,
    /// `STOCKAGE_JWT_USER_CLAIM` (default `sub`): the claim naming the user.
    pub user_claim: String,
    /// `STOCKAGE_JWT_ADMIN_CLAIM` (default `admin`): `true` there may create projects.
    pub admin_claim: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    Variable,
    File(PathBuf),
    /// Neither: `serve` generates one at this path, `token` refuses.
    Missing(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Variable => f.write_str("STOCKAGE_JWT_SECRET"),
            SecretSource::File(path) => write!(f, "the file {}", path.display()),
            SecretSource::Missing(path) => {
                write!(f, "none yet ({} does not exist)", path.display())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
}

impl AuthConfig {
    /// Reads the configuration; never creates a secret (see [`Self::generate_if_missing`]).
    pub fn from_env(data_dir: &Path) -> anyhow::Result<Self> {
        let file = data_dir.join("jwt-secret");
        let (jwt_secret, secret_source) = match var("STOCKAGE_JWT_SECRET") {
            Some(secret) => (
                Some(checked(secret, "STOCKAGE_JWT_SECRET")?),
                SecretSource::Variable,
            ),
            None => match std::fs::read_to_string(&file) {
                Ok(existing) if !existing.trim().is_empty() => (
                    Some(checked(
                        existing.trim().to_owned(),
                        &file.display().to_string(),
                    )?),
                    SecretSource::File(file),
                ),
                _ => (None, SecretSource::Missing(file)),
            },
        };
        let jwks = var("STOCKAGE_JWT_JWKS").map(|raw| {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                JwksSource::Url(raw)
            } else {
                JwksSource::File(raw.into())
            }
        });
        Ok(Self {
            jwt_secret,
            secret_source,
            issuer: var("STOCKAGE_JWT_ISSUER"),
            audience: var("STOCKAGE_JWT_AUDIENCE"),
            jwks,
            user_claim: var("STOCKAGE_JWT_USER_CLAIM").unwrap_or_else(|| "sub".into()),
            admin_claim: var("STOCKAGE_JWT_ADMIN_CLAIM").unwrap_or_else(|| "admin".into()),
        })
    }

    /// HS256 with `secret` only, as tests and benchmarks configure it.
    pub fn with_secret(secret: &str) -> Self {
        Self {
            jwt_secret: Some(Secret::new(secret.into())),
            secret_source: SecretSource::Variable,
            issuer: None,
            audience: None,
            jwks: None,
            user_claim: "sub".into(),
            admin_claim: "admin".into(),
        }
    }

    /// For `serve`: a development server needs no setup, so a missing
    /// secret is generated once under the data directory, with a warning.
    pub fn generate_if_missing(&mut self) -> anyhow::Result<()> {
        if let SecretSource::Missing(path) = &self.secret_source {
            let path = path.clone();
            self.jwt_secret = Some(generate(&path)?);
            tracing::warn!(
                path = %path.display(),
                "STOCKAGE_JWT_SECRET is not set: generated a development secret; set it in production"
            );
            self.secret_source = SecretSource::File(path);
        }
        Ok(())
    }

    /// The secret, or why there is none (for `token`, which must sign with
    /// the secret a server uses, never a fresh one).
    pub fn secret(&self) -> anyhow::Result<&Secret> {
        match (&self.jwt_secret, &self.secret_source) {
            (Some(secret), _) => Ok(secret),
            (None, source) => bail!(
                "no JWT secret: STOCKAGE_JWT_SECRET is unset and {source}. A token signed with a \
                 new secret would be refused by every server: set STOCKAGE_JWT_SECRET to the \
                 server's, or point STOCKAGE_DATA_DIR at the data directory of a server that has \
                 started once"
            ),
        }
    }
}

fn checked(secret: String, origin: &str) -> anyhow::Result<Secret> {
    if secret.len() < MIN_SECRET_BYTES {
        bail!(
            "the JWT secret from {origin} is {} bytes; at least {MIN_SECRET_BYTES} are needed \
             (e.g. `openssl rand -hex 32`)",
            secret.len()
        );
    }
    Ok(Secret::new(secret))
}

/// A random secret written once to `path` (mode 0600).
fn generate(path: &Path) -> anyhow::Result<Secret> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// OpenID Connect sign-in for people; off unless the issuer, client id and
/// client secret are all set.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// `STOCKAGE_OIDC_ISSUER`: the provider's issuer URL (discovery at
    /// `/.well-known/openid-configuration` under it).
    pub issuer: String,
    /// `STOCKAGE_OIDC_CLIENT_ID`.
    pub client_id: String,
    /// `STOCKAGE_OIDC_CLIENT_SECRET`.
    pub client_secret: Secret,
    /// `STOCKAGE_PUBLIC_URL`: this server's address as browsers see it;
    /// unset: taken from each request's `Host`.
    pub public_url: Option<String>,
    /// `STOCKAGE_OIDC_SCOPES` (default `openid profile email`).
    pub scopes: Vec<String>,
    /// `STOCKAGE_OIDC_ADMIN_GROUP`: members of this group (`groups` claim) are admins.
    pub admin_group: Option<String>,
    /// `STOCKAGE_SESSION_TTL` (default `12h`): a session's lifetime.
    pub session_ttl: Duration,
}

impl OidcConfig {
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let (issuer, client_id, client_secret) = (
            var("STOCKAGE_OIDC_ISSUER"),
            var("STOCKAGE_OIDC_CLIENT_ID"),
            var("STOCKAGE_OIDC_CLIENT_SECRET"),
        );
        let (Some(issuer), Some(client_id), Some(client_secret)) =
            (issuer.clone(), client_id.clone(), client_secret.clone())
        else {
            if issuer.is_some() || client_id.is_some() || client_secret.is_some() {
                bail!(
                    "OpenID Connect needs STOCKAGE_OIDC_ISSUER, STOCKAGE_OIDC_CLIENT_ID and \
                     STOCKAGE_OIDC_CLIENT_SECRET together; some are unset"
                );
            }
            return Ok(None);
        };
        let session_ttl = match var("STOCKAGE_SESSION_TTL") {
            Some(raw) => {
                super::parse_ttl(&raw).map_err(|e| anyhow::anyhow!("STOCKAGE_SESSION_TTL: {e}"))?
            }
            None => Duration::from_secs(12 * 3_600),
        };
        Ok(Some(Self {
            issuer,
            client_id,
            client_secret: Secret::new(client_secret),
            public_url: var("STOCKAGE_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            scopes: var("STOCKAGE_OIDC_SCOPES")
                .unwrap_or_else(|| "openid profile email".into())
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            admin_group: var("STOCKAGE_OIDC_ADMIN_GROUP"),
            session_ttl,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_is_generated_once_and_then_read_back() {
        let dir = std::env::temp_dir().join(format!("stockage-secret-{}", uuid::Uuid::new_v4()));
        let file = dir.join("jwt-secret");
        let mut config = AuthConfig::with_secret("x");
        config.jwt_secret = None;
        config.secret_source = SecretSource::Missing(file.clone());
        assert!(
            config
                .secret()
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
        config.generate_if_missing().unwrap();
        assert_eq!(config.secret_source, SecretSource::File(file.clone()));
        let first = config.secret().unwrap().expose().to_owned();
        assert_eq!(first.len(), 64);
        config.generate_if_missing().unwrap();
        assert_eq!(config.secret().unwrap().expose(), first);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn short_secrets_are_refused() {
        let error = checked("short".into(), "STOCKAGE_JWT_SECRET").unwrap_err();
        assert!(
            error.to_string().contains("5 bytes; at least 32"),
            "{error}"
        );
        assert!(checked("x".repeat(32), "STOCKAGE_JWT_SECRET").is_ok());
    }
}
