//! What leaves storage and when: the `STOCKAGE_RETENTION_INTERVAL`,
//! `STOCKAGE_BLOB_GRACE` and `STOCKAGE_PROJECT_QUOTA_MB` variables.
use std::time::Duration;

use anyhow::Context;

use crate::env::{number, var};
use crate::identity::parse_ttl;

#[derive(Debug, Clone, PartialEq)]
pub struct RetentionConfig {
    /// How often the server applies the retention policies (one node at a time).
    pub interval: Duration,
    /// A blob written less than this long ago is never removed (an upload
    /// of the same bytes may be about to reference it); gc takes it later.
    pub blob_grace: Duration,
    /// The quota of a project that has none of its own; `None`: no quota.
    pub default_quota_bytes: Option<u64>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3_600),
            blob_grace: Duration::from_secs(3_600),
            default_quota_bytes: None,
        }
    }
}

impl RetentionConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        let duration = |name: &str, default: Duration| match var(name) {
            Some(raw) => parse_ttl(&raw)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{name}={raw:?} is not a duration like 30m or 1h")),
            None => Ok(default),
        };
        let defaults = Self::default();
        Ok(Self {
            interval: duration("STOCKAGE_RETENTION_INTERVAL", defaults.interval)?,
            blob_grace: duration("STOCKAGE_BLOB_GRACE", defaults.blob_grace)?,
            default_quota_bytes: match var("STOCKAGE_PROJECT_QUOTA_MB") {
                Some(_) => Some(number("STOCKAGE_PROJECT_QUOTA_MB", 0)? * 1_000_000),
                None => None,
            },
        })
    }
}
