//! Draws the thumbnails of every new revision off the request path. It
//! follows the log like an asynchronous projector: a checkpoint moved
//! after each page of events, and one leader in the cluster (the same
//! advisory-lock leadership as the projector runner).
use std::collections::HashSet;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use sqlx::PgPool;
use stockage_events::Event;
use stockage_projections::{log, runner};
use tokio::sync::watch;

use super::Size;
use super::store::{Previews, Source};
use crate::blobs::BlobError;

pub const NAME: &str = "previews";
const PAGE: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// Runs until `shutdown` turns true, as the leader when no other node is.
pub async fn run(
    pool: PgPool,
    previews: Previews,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let result = tokio::select! {
            r = run_while_leader(&pool, &previews, poll) => r,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        if let Err(error) = result {
            tracing::warn!(%error, "preview worker stopped; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

async fn run_while_leader(
    pool: &PgPool,
    previews: &Previews,
    poll: Duration,
) -> Result<(), WorkerError> {
    let mut lock_conn = runner::lead(pool, NAME, poll).await?;
    loop {
        catch_up(pool, previews).await?;
        sqlx::query("SELECT 1").execute(&mut lock_conn).await?;
        tokio::time::sleep(poll).await;
    }
}

/// Draws every size of every revision added since the checkpoint.
/// Returns how many sources it went through (cached ones included).
pub async fn catch_up(pool: &PgPool, previews: &Previews) -> Result<u64, WorkerError> {
    let mut drawn = 0;
    loop {
        let from = runner::checkpoint(pool, NAME).await?;
        let events = {
            let mut conn = pool.acquire().await?;
            log::read_after(&mut conn, from, PAGE).await?
        };
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(drawn);
        };
        let mut seen = HashSet::new();
        let sources: Vec<Source> = events
            .iter()
            .filter_map(|recorded| match recorded.event() {
                Ok(
                    Event::DocumentAdded {
                        kind, sha256, size, ..
                    }
                    | Event::RevisionAdded {
                        kind, sha256, size, ..
                    },
                ) => Some(Source { kind, sha256, size }),
                _ => None,
            })
            .filter(|source| seen.insert(source.sha256.clone()))
            .collect();
        drawn += sources.len() as u64;
        futures_util::stream::iter(sources)
            .map(|source| async move {
                for size in Size::ALL {
                    previews.get(&source, size).await?;
                }
                Ok::<_, BlobError>(())
            })
            .buffer_unordered(previews.config().concurrency.max(1))
            .try_collect::<()>()
            .await?;
        sqlx::query(
            "INSERT INTO projector_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()",
        )
        .bind(NAME)
        .bind(last)
        .execute(pool)
        .await?;
    }
}
