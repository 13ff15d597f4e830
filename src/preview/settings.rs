//! The preview variables of the environment.
use std::time::Duration;

use super::isolate::{Budget, Isolation};
use super::store::Config;
use crate::settings::{number, var};

impl Config {
    /// Renders under `isolation`, the extraction's (`STOCKAGE_INDEX_ISOLATION`).
    pub fn from_env(isolation: Isolation) -> anyhow::Result<Self> {
        Ok(Self {
            isolation,
            // STOCKAGE_PREVIEW_WORKER=0: this node never runs the preview worker.
            worker: var("STOCKAGE_PREVIEW_WORKER").is_none_or(|v| v != "0"),
            // STOCKAGE_PREVIEW_CONCURRENCY: renderings at once on this node.
            concurrency: number("STOCKAGE_PREVIEW_CONCURRENCY", 2)?.max(1) as usize,
            // STOCKAGE_PREVIEW_TIMEOUT_SECS: one rendering's time budget.
            budget: Budget {
                time: Duration::from_secs(number("STOCKAGE_PREVIEW_TIMEOUT_SECS", 10)?.max(1)),
                // STOCKAGE_PREVIEW_MEMORY_MB: the renderer process's address-space limit.
                memory_bytes: number("STOCKAGE_PREVIEW_MEMORY_MB", 512)?.max(64) * 1_000_000,
            },
            // STOCKAGE_PREVIEW_MAX_MB: larger files get the placeholder.
            max_source_bytes: number("STOCKAGE_PREVIEW_MAX_MB", 64)? * 1_000_000,
        })
    }
}
