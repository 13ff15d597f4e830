//! The event store: an append-only log in PostgreSQL with a gapless global
//! position, per-stream optimistic concurrency and a hash chain. This crate
//! owns every statement on the `events` table: appends (group-committed by
//! one writer task, with the inline projectors in the same transaction),
//! reads ([`log`]) and the verified inserts of an import ([`import`]). The
//! command runner ([`command`]) sits beside it.
#![forbid(unsafe_code)]

pub mod command;
mod guess;
pub mod import;
pub mod log;
pub mod projector;
mod rows;
mod states;
mod writer;

use std::sync::Arc;

use sqlx::PgPool;
use stockage_events::{EventMeta, NewEvent, RecordedEvent};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

pub use command::{Aggregate, CommandError};
pub use projector::{Kind, ProjectionError, Projector, apply_all, apply_page_all};

/// The channel the store NOTIFYs on commit, with the new head position.
pub const NOTIFY_CHANNEL: &str = "stockage_events";

/// What the caller believes the stream's version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Append whatever the stream's version is.
    Any,
    /// The stream must be at exactly this version; 0 means it must not exist.
    Version(i64),
}

/// One atomic append to one stream.
#[derive(Debug, Clone)]
pub struct Append {
    pub stream_id: Uuid,
    pub project_id: Uuid,
    pub expected: Expected,
    pub events: Vec<NewEvent>,
    pub meta: EventMeta,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("stream {stream_id} is at version {actual}, not the expected {expected}")]
    Conflict {
        stream_id: Uuid,
        expected: i64,
        actual: i64,
    },
    /// An inline projection refused the events (e.g. a duplicate slug).
    #[error("{0}")]
    Rejected(String),
    #[error("the event store is shutting down")]
    Closed,
    /// The database did not answer (down, restarting, refusing
    /// connections); nothing was written and the caller may retry.
    #[error("the database is not answering: {0}")]
    Unavailable(String),
    #[error("database error while appending: {0}")]
    Database(String),
}

/// Appends written in one transaction: all of them or none.
/// Whether `error` says the database is out of reach (down, restarting,
/// out of connections) rather than that a statement was wrong: the kind
/// a caller may retry shortly.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        // 08: connection exceptions; 57P01-03: shutdown, crash, starting
        // up; 53300: too many connections.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// Appends written in one transaction: all of them or none.
struct Pending {
    appends: Vec<Append>,
    reply: oneshot::Sender<Result<Vec<RecordedEvent>, AppendError>>,
}

#[derive(Clone)]
pub struct EventStore {
    pool: PgPool,
    sender: mpsc::Sender<Pending>,
    states: Arc<states::States>,
}

impl EventStore {
    /// Starts the writer task; it runs `projectors` inside each append
    /// transaction and ends when the last clone of the store is dropped.
    pub fn start(pool: PgPool, projectors: Vec<Box<dyn Projector>>) -> Self {
        let (sender, receiver) = mpsc::channel(4_096);
        tokio::spawn(writer::run(pool.clone(), Arc::new(projectors), receiver));
        Self {
            pool,
            sender,
            states: Arc::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends atomically; returns the recorded events with their positions.
    #[tracing::instrument(skip_all, fields(stream_id = %append.stream_id, events = append.events.len()), err(level = "debug"))]
    pub async fn append(&self, append: Append) -> Result<Vec<RecordedEvent>, AppendError> {
        self.append_together(vec![append]).await
    }

    /// Appends to several streams atomically: every append is written in
    /// the same transaction or none is (a version conflict on any of them
    /// refuses them all). Returns the recorded events in the given order.
    #[tracing::instrument(skip_all, fields(streams = appends.len()), err(level = "debug"))]
    pub async fn append_together(
        &self,
        appends: Vec<Append>,
    ) -> Result<Vec<RecordedEvent>, AppendError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Pending { appends, reply })
            .await
            .map_err(|_| AppendError::Closed)?;
        answer.await.map_err(|_| AppendError::Closed)?
    }

    pub async fn read_stream(&self, stream_id: Uuid) -> Result<Vec<RecordedEvent>, sqlx::Error> {
        log::read_stream(&mut *self.pool.acquire().await?, stream_id).await
    }

    /// The events of a stream after `version` (0: all of them).
    pub async fn read_stream_after(
        &self,
        stream_id: Uuid,
        version: i64,
    ) -> Result<Vec<RecordedEvent>, sqlx::Error> {
        log::read_stream_after(&mut *self.pool.acquire().await?, stream_id, version).await
    }

    /// The folded state of a stream at some version, if this node kept one.
    pub fn cached_state<S: Clone + Send + Sync + 'static>(&self, stream_id: Uuid) -> Option<S> {
        self.states.get(stream_id)
    }

    pub fn cache_state<S: Clone + Send + Sync + 'static>(&self, stream_id: Uuid, state: S) {
        self.states.put(stream_id, state)
    }

    pub async fn read_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, sqlx::Error> {
        log::read_after(&mut *self.pool.acquire().await?, position, limit).await
    }
}
