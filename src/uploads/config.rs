//! How long unfinished uploads live and how many may be written at once.
use std::time::Duration;

use crate::env::positive;

#[derive(Debug, Clone)]
pub struct UploadsConfig {
    /// `STOCKAGE_TUS_EXPIRY_HOURS` (default 24): an upload unfinished this
    /// long after its creation expires and is collected.
    pub expiry: Duration,
    /// `STOCKAGE_TUS_WRITERS` (default 16): requests writing to uploads at
    /// once on this node; more get 503 with Retry-After.
    pub writers: u32,
    /// How often expired uploads are collected.
    pub sweep_every: Duration,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        Self {
            expiry: Duration::from_secs(24 * 3600),
            writers: 16,
            sweep_every: Duration::from_secs(60),
        }
    }
}

impl UploadsConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::default();
        Ok(Self {
            expiry: Duration::from_secs(positive("STOCKAGE_TUS_EXPIRY_HOURS", 24)? * 3600),
            writers: positive("STOCKAGE_TUS_WRITERS", defaults.writers.into())?
                .try_into()
                .unwrap_or(u32::MAX),
            ..defaults
        })
    }
}
