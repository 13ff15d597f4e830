//! How this node draws thumbnails: the `STOCKAGE_PREVIEW_*` variables.
use std::time::Duration;

use super::isolate::{Budget, Isolation};
use crate::env::{number, unless_zero};

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewConfig {
    /// Whether this node runs the preview worker (one node at a time does).
    pub worker: bool,
    /// Renderings at once on this node, worker and requests together.
    pub concurrency: usize,
    /// How a rendering is kept to its budget (the extraction isolation).
    pub isolation: Isolation,
    pub budget: Budget,
    /// Larger files get the placeholder without being read.
    pub max_source_bytes: u64,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        Self {
            worker: true,
            concurrency: 2,
            isolation: Isolation::Thread,
            budget: Budget {
                time: Duration::from_secs(10),
                memory_bytes: 512 * 1_000_000,
            },
            max_source_bytes: 64 * 1_000_000,
        }
    }
}

impl PreviewConfig {
    /// Renders under `isolation`, the extraction's (`STOCKAGE_INDEX_ISOLATION`).
    pub fn from_env(isolation: Isolation) -> anyhow::Result<Self> {
        Ok(Self {
            isolation,
            // STOCKAGE_PREVIEW_WORKER=0: this node never runs the preview worker.
            worker: unless_zero("STOCKAGE_PREVIEW_WORKER"),
            // STOCKAGE_PREVIEW_CONCURRENCY: renderings at once on this node.
            concurrency: number("STOCKAGE_PREVIEW_CONCURRENCY", 2)?.max(1) as usize,
            // STOCKAGE_PREVIEW_TIMEOUT_SECS: each size's time budget in a rendering.
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
