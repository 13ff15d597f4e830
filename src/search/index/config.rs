//! How this node indexes: the `STOCKAGE_INDEX_*` variables.
use std::time::Duration;

use anyhow::Context;

use super::isolate::{Budget, Isolation};
use crate::env::{number, unless_zero, var};

#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Whether this node may run the search projector (one node at a time does).
    pub projector: bool,
    pub workers: usize,
    pub isolation: Isolation,
    pub budget: Budget,
    /// Larger files are not extracted; only their names are indexed.
    pub max_bytes: u64,
    /// How long a claim lasts before another worker may take the row.
    pub lease: Duration,
    /// How often an idle worker looks for work.
    pub poll: Duration,
}

impl IndexConfig {
    /// Defaults, extracting in child processes of `program`.
    pub fn new(program: std::path::PathBuf) -> Self {
        Self {
            projector: true,
            workers: 2,
            isolation: Isolation::Process(program),
            budget: Budget {
                time: Duration::from_secs(30),
                memory_bytes: 512 * 1_000_000,
            },
            max_bytes: 64 * 1_000_000,
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(250),
        }
    }

    pub fn from_env() -> anyhow::Result<Self> {
        // STOCKAGE_EXTRACTOR: the program run as `index extract`; this one by default.
        let program = match var("STOCKAGE_EXTRACTOR") {
            Some(path) => path.into(),
            None => std::env::current_exe().context("cannot find this program's path")?,
        };
        let mut config = Self::new(program);
        // STOCKAGE_INDEX_PROJECTOR=0: this node never runs the search projector.
        config.projector = unless_zero("STOCKAGE_INDEX_PROJECTOR");
        // STOCKAGE_INDEX_WORKERS: extraction workers on this node (0: none).
        config.workers = number("STOCKAGE_INDEX_WORKERS", 2)? as usize;
        // STOCKAGE_INDEX_ISOLATION: `process` (default) or `thread`.
        match var("STOCKAGE_INDEX_ISOLATION").as_deref() {
            None | Some("process") => {}
            Some("thread") => config.isolation = Isolation::Thread,
            Some(other) => {
                anyhow::bail!("STOCKAGE_INDEX_ISOLATION={other:?} must be process or thread")
            }
        }
        // STOCKAGE_INDEX_TIMEOUT_SECS, STOCKAGE_INDEX_MEMORY_MB: one file's budget.
        config.budget.time = Duration::from_secs(number("STOCKAGE_INDEX_TIMEOUT_SECS", 30)?.max(1));
        config.budget.memory_bytes = number("STOCKAGE_INDEX_MEMORY_MB", 512)?.max(64) * 1_000_000;
        // STOCKAGE_INDEX_MAX_MB: larger files are indexed by name only.
        config.max_bytes = number("STOCKAGE_INDEX_MAX_MB", 64)? * 1_000_000;
        config.lease = config.budget.time * 2 + Duration::from_secs(5);
        Ok(config)
    }
}
