//! Collecting uploads past their expiry: an unfinished one loses its
//! bytes and record; a finished one only its record (its bytes became a
//! blob). An upload being written is left for the next sweep.
use std::time::Duration;

use sqlx::PgPool;

use super::{lease, table};
use crate::error::Error;
use crate::storage::BlobStore;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: usize,
    pub forgotten: usize,
}

pub async fn sweep(pool: &PgPool, blobs: &BlobStore) -> Result<SweepReport, Error> {
    let mut report = SweepReport::default();
    for row in table::expired(pool, 500).await? {
        let Some(_lease) = lease::take(pool, row.id, Duration::from_millis(1)).await? else {
            continue;
        };
        if row.completed_at.is_none() {
            blobs.resumable_discard(row.id, &row.progress()).await?;
            report.expired += 1;
            metrics::counter!("stockage_tus_expired_total").increment(1);
        } else {
            report.forgotten += 1;
        }
        table::delete(pool, row.id).await?;
        crate::retention::reservation::forget(pool, row.id).await?;
    }
    count_in_progress(pool).await;
    if report != SweepReport::default() {
        tracing::info!(?report, "expired uploads collected");
    }
    Ok(report)
}

/// Sweeps every `every` until the server stops.
pub async fn run(
    pool: PgPool,
    blobs: BlobStore,
    every: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        if let Err(error) = sweep(&pool, &blobs).await {
            tracing::warn!(%error, "collecting expired uploads failed; will retry");
        }
    }
}

/// Sets the gauge of unfinished uploads (across the cluster).
pub async fn count_in_progress(pool: &PgPool) {
    if let Ok(n) = table::in_progress(pool).await {
        metrics::gauge!("stockage_tus_uploads_in_progress").set(n as f64);
    }
}
