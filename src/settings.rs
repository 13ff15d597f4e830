//! Configuration, read from the environment once at start-up: each module's
//! own configuration, gathered. Every variable has a default and a line in
//! the README.
use std::path::PathBuf;

use crate::env::{Secret, flag, positive, var};
use crate::identity::{AuthConfig, OidcConfig};
use crate::preview::PreviewConfig;
use crate::search::index::IndexConfig;
use crate::storage::StorageConfig;
use crate::versions::diff::DiffConfig;

pub const DEFAULT_DATABASE_URL: &str = "postgres://127.0.0.1:5432/stockage";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: may carry a password, so it is kept secret. The
    /// database is created if missing and migrated at start.
    pub database_url: Secret,
    /// `STOCKAGE_BIND`: address the HTTP server listens on.
    pub bind: String,
    /// `STOCKAGE_LOG_JSON=1`: JSON log lines instead of text.
    pub log_json: bool,
    /// `STOCKAGE_JWT_*`: bearer tokens.
    pub auth: AuthConfig,
    /// `STOCKAGE_OIDC_*`, `STOCKAGE_SESSION_TTL`, `STOCKAGE_PUBLIC_URL`:
    /// sign-in for people; off unless configured.
    pub oidc: Option<OidcConfig>,
    /// `STOCKAGE_DATA_DIR`, `STOCKAGE_BLOB_BACKEND`, `STOCKAGE_S3_*`,
    /// `STOCKAGE_MAX_UPLOAD_MB`: blobs and the upload cap.
    pub storage: StorageConfig,
    /// `STOCKAGE_INDEX_*`, `STOCKAGE_EXTRACTOR`: extraction and search indexing.
    pub index: IndexConfig,
    /// `STOCKAGE_PREVIEW_*`: the thumbnail worker and renderer budgets.
    pub previews: PreviewConfig,
    /// `STOCKAGE_DIFF_*`: how many diffs at once, and each one's budget.
    pub diffs: DiffConfig,
    /// `STOCKAGE_WS_QUEUE`: frames queued per WebSocket client before it
    /// counts as too slow and gets `resync` (default 1024).
    pub live: crate::live::Limits,
    /// `STOCKAGE_TUS_*`: resumable uploads' expiry and writers.
    pub uploads: crate::uploads::UploadsConfig,
    /// `STOCKAGE_RETENTION_INTERVAL`, `STOCKAGE_BLOB_GRACE`,
    /// `STOCKAGE_PROJECT_QUOTA_MB`: purges, the scheduler and quotas.
    pub retention: crate::retention::RetentionConfig,
    /// `STOCKAGE_CHANNELS_*`: the platform bridge; `None` (off) until
    /// `STOCKAGE_CHANNELS_REDIS_URL` is set.
    pub bridge: Option<crate::bridge::BridgeConfig>,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let storage = StorageConfig::from_env()?;
        let index = IndexConfig::from_env()?;
        let previews = PreviewConfig::from_env(index.isolation.clone())?;
        let diffs = DiffConfig::from_env(index.isolation.clone())?;
        Ok(Self {
            database_url: Secret::new(
                var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            ),
            bind: var("STOCKAGE_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            log_json: flag("STOCKAGE_LOG_JSON"),
            auth: AuthConfig::from_env(&storage.data_dir)?,
            oidc: OidcConfig::from_env()?,
            storage,
            index,
            previews,
            diffs,
            live: live_limits()?,
            uploads: crate::uploads::UploadsConfig::from_env()?,
            retention: crate::retention::RetentionConfig::from_env()?,
            bridge: crate::bridge::BridgeConfig::from_env()?,
        })
    }
}

impl Settings {
    /// What [`Settings::from_env`] gives with nothing set, but with blobs
    /// under `data_dir`, tokens signed with `jwt_secret`, extraction run by
    /// `program` and a free port: for servers built in-process (tests,
    /// benchmarks).
    pub fn with_defaults(data_dir: PathBuf, jwt_secret: &str, program: PathBuf) -> Self {
        Self {
            database_url: Secret::new(DEFAULT_DATABASE_URL.into()),
            bind: "127.0.0.1:0".into(),
            log_json: false,
            auth: AuthConfig::with_secret(jwt_secret),
            oidc: None,
            storage: StorageConfig::local(data_dir),
            index: IndexConfig::new(program.clone()),
            diffs: DiffConfig::new(program),
            previews: PreviewConfig::default(),
            live: crate::live::Limits::default(),
            uploads: crate::uploads::UploadsConfig::default(),
            retention: crate::retention::RetentionConfig::default(),
            bridge: None,
        }
    }
}

fn live_limits() -> anyhow::Result<crate::live::Limits> {
    let defaults = crate::live::Limits::default();
    Ok(crate::live::Limits {
        queue: positive("STOCKAGE_WS_QUEUE", defaults.queue as u64)? as usize,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let mut settings = Settings::with_defaults("./data".into(), "s3cr3t", "stockage".into());
        settings.database_url = Secret::new("postgres://u:hunter2@db/x".into());
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
