//! Keeps an asynchronous consumer behind the log, on one node of the
//! cluster at a time, with a checkpoint per consumer in
//! `projector_checkpoints` (this module is its only writer).
//!
//! A [`Projector`] applies each page of new events and moves its checkpoint
//! in the same transaction, so a restart resumes exactly where the last
//! commit left off. A [`Follower`] does work outside the database
//! (thumbnails, messages to another system): it handles a page, then the
//! checkpoint moves, so after a crash the last page may be handled twice.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use stockage_events::RecordedEvent;
use stockage_store::{Kind, ProjectionError, Projector, log};
use tokio::sync::watch;

const PAGE: i64 = 500;

/// Why a follower could not handle a page; it is tried again.
pub type FollowError = Box<dyn std::error::Error + Send + Sync>;

/// Where a follower without a checkpoint begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// With the first event of the log.
    Beginning,
    /// After the newest event at the time it first runs: it only sees
    /// what happens from then on.
    Head,
}

/// A consumer of the log whose work is not rows of its own tables.
#[async_trait]
pub trait Follower: Send + Sync {
    fn name(&self) -> &'static str;
    /// Where it begins the first time it runs.
    fn start(&self) -> Start {
        Start::Beginning
    }
    /// Handles consecutive events; returns how many units of work it did.
    async fn handle(&self, page: &[RecordedEvent]) -> Result<u64, FollowError>;
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// `position` is the event that could not be decoded, or the first
    /// of the page the projector could not apply.
    #[error("projector {name} at position {position}: {source}")]
    Projection {
        name: &'static str,
        position: i64,
        source: ProjectionError,
    },
    #[error("{name} after position {after}: {source}")]
    Follow {
        name: &'static str,
        after: i64,
        source: FollowError,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The position a consumer has handled up to.
pub async fn checkpoint(pool: &PgPool, name: &str) -> Result<i64, sqlx::Error> {
    Ok(stored_checkpoint(pool, name).await?.unwrap_or(0))
}

/// The consumer's checkpoint, `None` before it first ran.
pub async fn stored_checkpoint(pool: &PgPool, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
}

/// Every consumer's checkpoint, by name.
pub async fn checkpoints(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT name, position FROM projector_checkpoints ORDER BY name")
        .fetch_all(pool)
        .await
}

async fn save_checkpoint(
    conn: &mut PgConnection,
    name: &str,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projector_checkpoints (name, position) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()",
    )
    .bind(name)
    .bind(position)
    .execute(conn)
    .await
    .map(drop)
}

/// Applies every event past the projector's checkpoint. Returns how many
/// events were applied.
pub async fn catch_up(pool: &PgPool, projector: &dyn Projector) -> Result<u64, RunnerError> {
    debug_assert_eq!(projector.kind(), Kind::Async);
    let name = projector.name();
    let mut applied = 0;
    loop {
        let mut tx = pool.begin().await?;
        let from: i64 = sqlx::query_scalar(
            "INSERT INTO projector_checkpoints (name, position) VALUES ($1, 0)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name
             RETURNING position",
        )
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let events = log::read_after(&mut tx, from, PAGE).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(applied);
        };
        let fail = |position, source| RunnerError::Projection {
            name,
            position,
            source,
        };
        let page = events
            .iter()
            .map(|recorded| match recorded.event() {
                Ok(event) => Ok((recorded, event)),
                Err(e) => Err(fail(recorded.position, e.into())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        projector
            .apply_page(&mut tx, &page)
            .await
            .map_err(|e| fail(events[0].position, e))?;
        save_checkpoint(&mut tx, name, last).await?;
        tx.commit().await?;
        applied += events.len() as u64;
    }
}

/// Hands every event past the follower's checkpoint to it, a page at a
/// time. Returns the units of work it reported.
pub async fn follow_up(pool: &PgPool, follower: &dyn Follower) -> Result<u64, RunnerError> {
    let name = follower.name();
    if follower.start() == Start::Head && stored_checkpoint(pool, name).await?.is_none() {
        let mut conn = pool.acquire().await?;
        let head = log::head(&mut conn).await?;
        sqlx::query(
            "INSERT INTO projector_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(head)
        .execute(&mut *conn)
        .await?;
        tracing::info!(
            consumer = name,
            head,
            "first run: starting after the newest event"
        );
    }
    let mut done = 0;
    loop {
        let after = checkpoint(pool, name).await?;
        let events = log::read_after(&mut *pool.acquire().await?, after, PAGE).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(done);
        };
        done += follower
            .handle(&events)
            .await
            .map_err(|source| RunnerError::Follow {
                name,
                after,
                source,
            })?;
        save_checkpoint(&mut *pool.acquire().await?, name, last).await?;
    }
}

/// One consumer the runner keeps behind the log.
enum Consumer {
    Projector(Arc<dyn Projector>),
    Follower(Arc<dyn Follower>),
}

impl Consumer {
    fn name(&self) -> &'static str {
        match self {
            Consumer::Projector(p) => p.name(),
            Consumer::Follower(f) => f.name(),
        }
    }

    async fn catch_up(&self, pool: &PgPool) -> Result<u64, RunnerError> {
        match self {
            Consumer::Projector(p) => catch_up(pool, p.as_ref()).await,
            Consumer::Follower(f) => follow_up(pool, f.as_ref()).await,
        }
    }
}

/// Runs `projector` until `shutdown` turns true. Only one process in the
/// cluster runs a given consumer at a time: the others wait on a
/// session-level advisory lock and take over when its holder dies.
pub async fn run(
    pool: PgPool,
    projector: Arc<dyn Projector>,
    poll: Duration,
    shutdown: watch::Receiver<bool>,
) {
    keep(pool, Consumer::Projector(projector), poll, shutdown).await
}

/// Runs `follower` until `shutdown` turns true, as [`run`] does a projector.
pub async fn follow(
    pool: PgPool,
    follower: Arc<dyn Follower>,
    poll: Duration,
    shutdown: watch::Receiver<bool>,
) {
    keep(pool, Consumer::Follower(follower), poll, shutdown).await
}

async fn keep(
    pool: PgPool,
    consumer: Consumer,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = consumer.name();
    loop {
        let result = tokio::select! {
            r = run_while_leader(&pool, &consumer, poll) => r,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        if let Err(error) = result {
            tracing::error!(consumer = name, %error, "stopped; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// Waits until this process holds the cluster-wide lock named `name`,
/// and returns the connection that holds it: the lock lasts while that
/// connection lives (it is detached, so dropping it closes the session
/// and releases the lock instead of returning it to the pool).
pub async fn lead(
    pool: &PgPool,
    name: &str,
    poll: Duration,
) -> Result<sqlx::PgConnection, sqlx::Error> {
    let mut lock_conn = pool.acquire().await?.detach();
    loop {
        let leader: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('projector:' || $1))")
                .bind(name)
                .fetch_one(&mut lock_conn)
                .await?;
        if leader {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    tracing::info!(consumer = name, "running as this cluster's leader");
    Ok(lock_conn)
}

async fn run_while_leader(
    pool: &PgPool,
    consumer: &Consumer,
    poll: Duration,
) -> Result<(), RunnerError> {
    let mut lock_conn = lead(pool, consumer.name(), poll).await?;
    loop {
        consumer.catch_up(pool).await?;
        // The lock lives as long as this connection; keep it alive.
        sqlx::query("SELECT 1").execute(&mut lock_conn).await?;
        tokio::time::sleep(poll).await;
    }
}
