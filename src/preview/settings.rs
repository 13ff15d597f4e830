//! The preview variables of the environment.
use std::time::Duration;

use anyhow::Context;

use super::store::Config;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match var(name) {
        Some(raw) => raw
            .parse()
            .with_context(|| format!("{name}={raw:?} is not a whole number")),
        None => Ok(default),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let mut config = Self::default();
        // STOCKAGE_PREVIEW_WORKER=0: this node never runs the preview worker.
        config.worker = var("STOCKAGE_PREVIEW_WORKER").is_none_or(|v| v != "0");
        // STOCKAGE_PREVIEW_CONCURRENCY: renderings at once on this node.
        config.concurrency = number("STOCKAGE_PREVIEW_CONCURRENCY", 2)?.max(1) as usize;
        // STOCKAGE_PREVIEW_TIMEOUT_SECS: one rendering's time budget.
        config.budget.time =
            Duration::from_secs(number("STOCKAGE_PREVIEW_TIMEOUT_SECS", 10)?.max(1));
        // STOCKAGE_PREVIEW_MAX_MB: larger files get the placeholder.
        config.max_source_bytes = number("STOCKAGE_PREVIEW_MAX_MB", 64)? * 1_000_000;
        Ok(config)
    }
}
