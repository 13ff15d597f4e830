//! The server applies the retention policies every interval, on one node
//! of the cluster at a time: a pass runs only on the node that gets the
//! advisory lock, and the events are idempotent besides (a revision purged
//! already is left out of the next decision).
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::RetentionConfig;
use super::plan::{self, Applied};
use super::purge::Purger;
use crate::error::Error;
use crate::storage::BlobStore;
use stockage_store::EventStore;

/// Runs [`plan::apply`] under the cluster-wide retention lock; `None`
/// when another node holds it (it is applying now).
pub async fn apply_once(purger: Purger<'_>, now: OffsetDateTime) -> Result<Option<Applied>, Error> {
    let pool: &PgPool = purger.store.pool();
    let mut lock = pool.acquire().await?.detach();
    let leader: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('stockage:retention'))")
            .fetch_one(&mut lock)
            .await?;
    if !leader {
        return Ok(None);
    }
    let applied = plan::apply(purger, now).await;
    // Closing the session releases the lock, whatever happened.
    drop(lock);
    applied.map(Some)
}

pub async fn run(
    store: EventStore,
    blobs: BlobStore,
    config: RetentionConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let period = config.interval;
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let purger = Purger {
            store: &store,
            blobs: &blobs,
            grace: config.blob_grace,
        };
        match apply_once(purger, OffsetDateTime::now_utc()).await {
            Ok(Some(applied)) => tracing::info!(
                documents = applied.plan.documents.len(),
                revisions = applied.plan.revisions.len(),
                bytes = applied.plan.bytes,
                blobs_removed = applied.swept.blobs_removed,
                refused = applied.refused.len(),
                "retention applied"
            ),
            Ok(None) => tracing::debug!("retention is being applied by another node"),
            Err(error) => tracing::warn!(%error, "applying retention failed; will retry"),
        }
    }
}
