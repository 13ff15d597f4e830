//! Keeps an asynchronous projector behind the log: it applies each page of
//! new events and moves its checkpoint in the same transaction, so a
//! restart resumes exactly where the last commit left off.
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use crate::{Kind, ProjectionError, Projector, log};

const PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("projector {name} at position {position}: {source}")]
    Projection {
        name: &'static str,
        position: i64,
        source: ProjectionError,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The position a projector has applied up to.
pub async fn checkpoint(pool: &PgPool, name: &str) -> Result<i64, sqlx::Error> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    Ok(position.unwrap_or(0))
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
        for recorded in &events {
            let fail = |source| RunnerError::Projection {
                name,
                position: recorded.position,
                source,
            };
            let event = recorded.event().map_err(|e| fail(e.into()))?;
            projector
                .apply(&mut tx, recorded, &event)
                .await
                .map_err(fail)?;
        }
        sqlx::query(
            "UPDATE projector_checkpoints SET position = $2, updated_at = now() WHERE name = $1",
        )
        .bind(name)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied += events.len() as u64;
    }
}

/// Runs `projector` until `shutdown` turns true. Only one process in the
/// cluster runs a given projector at a time: the others wait on a
/// session-level advisory lock and take over when its holder dies.
pub async fn run(
    pool: PgPool,
    projector: Arc<dyn Projector>,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = projector.name();
    loop {
        let result = tokio::select! {
            r = run_while_leader(&pool, projector.as_ref(), poll) => r,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        if let Err(error) = result {
            tracing::error!(projector = name, %error, "projector stopped; retrying");
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
    tracing::info!(projector = name, "running as this cluster's leader");
    Ok(lock_conn)
}

async fn run_while_leader(
    pool: &PgPool,
    projector: &dyn Projector,
    poll: Duration,
) -> Result<(), RunnerError> {
    let mut lock_conn = lead(pool, projector.name(), poll).await?;
    loop {
        catch_up(pool, projector).await?;
        // The lock lives as long as this connection; keep it alive.
        sqlx::query("SELECT 1").execute(&mut lock_conn).await?;
        tokio::time::sleep(poll).await;
    }
}
