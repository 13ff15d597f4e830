//! Garbage collection: removes unfinished uploads and blobs that no event
//! references, once they are older than a grace period (so an upload whose
//! event is about to be appended is never collected).
use std::time::Duration;

use sqlx::PgPool;

use super::{BlobError, BlobStore, Stored};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub scanned: usize,
    pub removed_uploads: usize,
    pub removed_blobs: usize,
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
                let referenced: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE payload ? 'sha256' AND payload ->> 'sha256' = $1)",
                )
                .bind(sha256.as_str())
                .fetch_one(pool)
                .await?;
                if !referenced {
                    blobs.remove(&object).await?;
                    report.removed_blobs += 1;
                }
            }
        }
    }
    tracing::info!(?report, "blob garbage collection done");
    Ok(report)
}
