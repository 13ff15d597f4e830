//! Real-time sync: every node tails the event log and fans each event out
//! to its WebSocket subscribers, each filtered by what that user may read.
//!
//! The table is the truth: NOTIFY only wakes the tailer, which reads by
//! position, so a lost notification or a database restart delays events
//! but never drops one. A subscriber catches up from the log, then follows
//! the broadcast, deduplicating by position.
mod feed;
mod message;
pub use message::{KINDS, stored_types};
mod session;
mod tailer;
mod viewer;

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{broadcast, watch};

pub use feed::Feed;
pub use message::{EventItem, LiveEvent, frame_fields};
pub use session::{CREDENTIAL_ENDED, Limits, run_session};
pub use viewer::{Viewer, snapshot};

/// Live events kept for subscribers that fall behind; one that falls
/// further behind reads the rest from the log.
const BROADCAST_CAPACITY: usize = 4_096;

/// This node's fan-out point: the tailer publishes, sessions subscribe.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    pool: PgPool,
}

impl Hub {
    /// Starts the tailer, which runs until `shutdown` turns true.
    pub fn start(pool: PgPool, shutdown: watch::Receiver<bool>) -> Self {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        tokio::spawn(tailer::run(pool.clone(), sender.clone(), shutdown));
        Self { sender, pool }
    }

    /// Every event this node sees, as it sees it (revocations, say).
    pub fn all(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }

    /// A feed of the project's events after `after`: catch-up from the
    /// log, then live. Subscribes before reading the log, so nothing
    /// committed in between is missed.
    pub fn feed(&self, project_id: uuid::Uuid, after: i64) -> Feed {
        Feed::new(
            self.pool.clone(),
            self.sender.subscribe(),
            project_id,
            after,
        )
    }
}
