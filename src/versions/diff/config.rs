//! How this node compares revisions: the `STOCKAGE_DIFF_*` variables.
use std::time::Duration;

use crate::env::{number, positive};
pub use crate::isolate::{Budget, Isolation};

#[derive(Debug, Clone, PartialEq)]
pub struct DiffConfig {
    /// How a comparison is kept to its budget (the extraction isolation):
    /// a child `stockage diff compare` by default.
    pub isolation: Isolation,
    pub budget: Budget,
    /// Comparisons at once on this node; one more is answered 503.
    pub concurrency: usize,
}

impl DiffConfig {
    /// Defaults, comparing in child processes of `program`.
    pub fn new(program: std::path::PathBuf) -> Self {
        Self {
            isolation: Isolation::Process(program),
            budget: Budget {
                time: Duration::from_secs(20),
                memory_bytes: 512 * 1_000_000,
            },
            concurrency: 2,
        }
    }

    /// Compares under `isolation`, the extraction's (`STOCKAGE_INDEX_ISOLATION`).
    pub fn from_env(isolation: Isolation) -> anyhow::Result<Self> {
        Ok(Self {
            isolation,
            budget: Budget {
                // STOCKAGE_DIFF_TIMEOUT_SECS: one comparison's time budget.
                time: Duration::from_secs(positive("STOCKAGE_DIFF_TIMEOUT_SECS", 20)?),
                // STOCKAGE_DIFF_MEMORY_MB: the comparing process's address-space limit.
                memory_bytes: number("STOCKAGE_DIFF_MEMORY_MB", 512)?.max(64) * 1_000_000,
            },
            // STOCKAGE_DIFF_CONCURRENCY: comparisons at once on this node.
            concurrency: positive("STOCKAGE_DIFF_CONCURRENCY", 2)? as usize,
        })
    }
}
