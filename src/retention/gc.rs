//! Garbage collection: removes unfinished uploads and blobs that no event
//! references, once they are older than a grace period (so an upload whose
//! event is about to be appended is never collected). A thumbnail goes
//! with its source blob, or when an older renderer made it.
use std::time::Duration;

use sqlx::PgPool;
use stockage_events::Sha256;

use crate::storage::{BlobError, BlobStore, Stored};

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
    for object in blobs.list().await? {
        report.scanned += 1;
        if object.age < grace {
            report.kept_young += 1;
            continue;
        }
        match &object.what {
            Stored::Upload { .. } | Stored::LocalPart(_) => {
                blobs.remove(&object).await?;
                report.removed_uploads += 1;
            }
            Stored::Blob { sha256, .. } => {
                if !referenced(pool, sha256).await? {
                    blobs.remove(&object).await?;
                    report.removed_blobs += 1;
                }
            }
            Stored::Preview { source, name, .. } => {
                if !crate::preview::store::is_current(name) || !referenced(pool, source).await? {
                    blobs.remove(&object).await?;
                    report.removed_previews += 1;
                }
            }
        }
    }
    tracing::info!(?report, "blob garbage collection done");
    Ok(report)
}

async fn referenced(pool: &PgPool, sha256: &Sha256) -> Result<bool, sqlx::Error> {
    stockage_store::log::references_blob(&mut *pool.acquire().await?, sha256.as_str()).await
}
