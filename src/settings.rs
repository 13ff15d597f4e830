//! Configuration, read from the environment once at start-up. Every
//! variable has a default and a line in the README.
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A value that must not appear in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: may carry a password, so it is kept secret. The
    /// database is created if missing and migrated at start.
    pub database_url: Secret,
    /// `STOCKAGE_BIND`: address the HTTP server listens on.
    pub bind: String,
    /// `STOCKAGE_DATA_DIR`: local blobs and the generated development secret.
    pub data_dir: PathBuf,
    /// `STOCKAGE_JWT_SECRET`: HS256 secret for bearer tokens.
    pub jwt_secret: Secret,
    /// `STOCKAGE_MAX_UPLOAD_MB`: upload cap in MB (10^6 bytes).
    pub max_upload_mb: u64,
    /// `STOCKAGE_LOG_JSON=1`: JSON log lines instead of text.
    pub log_json: bool,
    /// `STOCKAGE_BLOB_BACKEND`: `local` (default) or `s3`.
    pub blob_backend: BlobBackend,
    /// `STOCKAGE_INDEX_*`, `STOCKAGE_EXTRACTOR`: extraction and search indexing.
    pub index: crate::index::worker::Config,
    /// `STOCKAGE_WS_QUEUE`: frames queued per WebSocket client before it
    /// counts as too slow and gets `resync` (default 1024).
    pub ws_limits: crate::live::Limits,
    /// `STOCKAGE_PREVIEW_*`: the thumbnail worker and renderer budgets.
    pub previews: crate::preview::store::Config,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BlobBackend {
    /// Under `STOCKAGE_DATA_DIR/blobs`.
    Local,
    /// Any S3-compatible server; credentials from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    S3 {
        /// `STOCKAGE_S3_ENDPOINT`, e.g. `http://127.0.0.1:8333`; unset for AWS.
        endpoint: Option<String>,
        /// `STOCKAGE_S3_BUCKET` (required).
        bucket: String,
        /// `STOCKAGE_S3_REGION`, default `us-east-1`.
        region: String,
        /// `STOCKAGE_S3_PREFIX`: key prefix inside the bucket, default none.
        prefix: String,
    },
}

impl BlobBackend {
    fn from_env() -> anyhow::Result<Self> {
        match var("STOCKAGE_BLOB_BACKEND").as_deref().unwrap_or("local") {
            "local" => Ok(BlobBackend::Local),
            "s3" => Ok(BlobBackend::S3 {
                endpoint: var("STOCKAGE_S3_ENDPOINT"),
                bucket: var("STOCKAGE_S3_BUCKET")
                    .context("STOCKAGE_BLOB_BACKEND=s3 needs STOCKAGE_S3_BUCKET")?,
                region: var("STOCKAGE_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                prefix: var("STOCKAGE_S3_PREFIX").unwrap_or_default(),
            }),
            other => anyhow::bail!("STOCKAGE_BLOB_BACKEND={other:?} must be local or s3"),
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://127.0.0.1:5432/stockage";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 150;

/// An environment variable, unset when empty.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A whole number above zero, `default` when unset.
fn positive(name: &str, default: u64) -> anyhow::Result<u64> {
    match number(name, default)? {
        0 => anyhow::bail!("{name}=0 must be a positive whole number"),
        n => Ok(n),
    }
}

/// A whole-number environment variable, `default` when unset.
pub(crate) fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match var(name) {
        Some(raw) => raw
            .parse()
            .with_context(|| format!("{name}={raw:?} is not a whole number")),
        None => Ok(default),
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir =
            PathBuf::from(var("STOCKAGE_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        let jwt_secret = match var("STOCKAGE_JWT_SECRET") {
            Some(secret) => Secret::new(secret),
            None => development_secret(&data_dir)?,
        };
        let max_upload_mb = positive("STOCKAGE_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)?;
        let index = crate::index::worker::Config::from_env()?;
        let previews = crate::preview::store::Config::from_env(index.isolation.clone())?;
        Ok(Self {
            database_url: Secret::new(
                var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            ),
            bind: var("STOCKAGE_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            data_dir,
            jwt_secret,
            max_upload_mb,
            log_json: var("STOCKAGE_LOG_JSON").is_some_and(|v| v == "1"),
            blob_backend: BlobBackend::from_env()?,
            index,
            ws_limits: ws_limits()?,
            previews,
        })
    }
}

fn ws_limits() -> anyhow::Result<crate::live::Limits> {
    let defaults = crate::live::Limits::default();
    Ok(crate::live::Limits {
        queue: positive("STOCKAGE_WS_QUEUE", defaults.queue as u64)? as usize,
        ..defaults
    })
}

/// Reads, or creates once, a random secret under the data directory so a
/// development server needs no setup and tokens survive restarts.
fn development_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && !existing.trim().is_empty()
    {
        return Ok(Secret::new(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "STOCKAGE_JWT_SECRET is not set: generated a development secret; set it in production"
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let settings = Settings {
            database_url: Secret::new("postgres://u:hunter2@db/x".into()),
            bind: DEFAULT_BIND.into(),
            data_dir: DEFAULT_DATA_DIR.into(),
            jwt_secret: Secret::new("s3cr3t".into()),
            max_upload_mb: 150,
            log_json: false,
            blob_backend: BlobBackend::Local,
            index: crate::index::worker::Config::new("stockage".into()),
            ws_limits: Default::default(),
            previews: Default::default(),
        };
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn development_secret_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("stockage-secret-{}", uuid::Uuid::new_v4()));
        let first = development_secret(&dir).unwrap();
        let second = development_secret(&dir).unwrap();
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 64);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
