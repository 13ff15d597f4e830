//! Garbage collection: removes unfinished uploads and blobs that no live
//! revision references (the read models' index of live references, not
//! the log), once they are older than a grace period (so an upload whose
//! event is about to be appended is never collected). A thumbnail goes
//! with its source blob, or when an older renderer made it.
use std::collections::HashSet;
use std::time::Duration;

use sqlx::PgPool;

use crate::storage::{BlobError, BlobStore, Listed, Stored};

/// Blobs asked about per query.
const BATCH: usize = 10_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub scanned: usize,
    pub removed_uploads: usize,
    pub removed_blobs: usize,
    pub removed_previews: usize,
    pub kept_young: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GcError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub async fn collect(
    pool: &PgPool,
    blobs: &BlobStore,
    grace: Duration,
) -> Result<GcReport, GcError> {
    let mut report = GcReport::default();
    let listed = blobs.list().await?;
    report.scanned = listed.len();
    let (young, old): (Vec<Listed>, Vec<Listed>) = listed.into_iter().partition(|o| o.age < grace);
    report.kept_young = young.len();
    let sources: Vec<String> = old
        .iter()
        .filter_map(|o| match &o.what {
            Stored::Blob { sha256, .. } | Stored::Preview { source: sha256, .. } => {
                Some(sha256.as_str().to_owned())
            }
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let live = live(pool, &sources).await?;
    for object in &old {
        let remove = match &object.what {
            Stored::Upload { .. } | Stored::LocalPart(_) => {
                report.removed_uploads += 1;
                true
            }
            Stored::Blob { sha256, .. } => {
                let unreferenced = !live.contains(sha256.as_str());
                report.removed_blobs += usize::from(unreferenced);
                unreferenced
            }
            Stored::Preview { source, name, .. } => {
                let stale =
                    !crate::preview::store::is_current(name) || !live.contains(source.as_str());
                report.removed_previews += usize::from(stale);
                stale
            }
        };
        if remove {
            blobs.remove(object).await?;
        }
    }
    tracing::info!(?report, "blob garbage collection done");
    Ok(report)
}

/// Those of `shas` that a live (not purged) revision references.
async fn live(pool: &PgPool, shas: &[String]) -> Result<HashSet<String>, sqlx::Error> {
    let mut live = HashSet::new();
    for batch in shas.chunks(BATCH) {
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT s FROM unnest($1::text[]) AS s
             WHERE EXISTS (SELECT 1 FROM document_revisions v WHERE v.sha256 = s AND v.purged_at IS NULL)",
        )
        .bind(batch)
        .fetch_all(pool)
        .await?;
        live.extend(found);
    }
    Ok(live)
}
