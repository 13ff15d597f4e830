//! The extraction workers: each claims one pending document at a time
//! (`FOR UPDATE SKIP LOCKED`, with a lease), reads its blob (bounded),
//! extracts it within the budget, and writes the result only if the row
//! still wants that generation, so a stale extraction never overwrites a
//! newer one. Any number of workers on any number of nodes may run.
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use stockage_events::{FileKind, Sha256};
use tokio::sync::watch;
use uuid::Uuid;

use super::config::IndexConfig;
use super::isolate;
use super::{ExtractError, Indexed, name_words};
use crate::storage::{BlobError, BlobStore};

/// A document whose extraction was interrupted this often is given up.
const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    document_id: Uuid,
    generation: i64,
    kind: String,
    filename: String,
    sha256: String,
    /// Claims of this generation so far, this one included.
    attempts: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// Starts `config.workers` workers that run until `shutdown`.
pub fn spawn(pool: PgPool, blobs: BlobStore, config: IndexConfig, shutdown: watch::Receiver<bool>) {
    let config = Arc::new(config);
    for _ in 0..config.workers {
        let (pool, blobs, config, mut shutdown) = (
            pool.clone(),
            blobs.clone(),
            config.clone(),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            loop {
                let idle = match work_one(&pool, &blobs, &config).await {
                    Ok(worked) => !worked,
                    Err(error) => {
                        tracing::warn!(%error, "index worker: will retry");
                        true
                    }
                };
                if idle {
                    tokio::select! {
                        _ = tokio::time::sleep(config.poll) => {}
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    }
                } else if *shutdown.borrow() {
                    return;
                }
            }
        });
    }
}

/// Claims and indexes one pending document; false when there was none.
pub async fn work_one(
    pool: &PgPool,
    blobs: &BlobStore,
    config: &IndexConfig,
) -> Result<bool, WorkerError> {
    let Some(claimed) = claim(pool, config.lease).await? else {
        return Ok(false);
    };
    if claimed.attempts > MAX_ATTEMPTS {
        let why = format!(
            "extraction was interrupted {MAX_ATTEMPTS} times (the extractor or its server died)"
        );
        store(pool, &claimed, Err(ExtractError::Budget(why))).await?;
        return Ok(true);
    }
    let outcome = match read(blobs, &claimed, config.max_bytes).await {
        Ok(Ok(bytes)) => match FileKind::parse(&claimed.kind) {
            Ok(kind) => {
                isolate::extract(
                    &config.isolation,
                    config.budget,
                    kind,
                    &claimed.filename,
                    bytes,
                )
                .await
            }
            Err(e) => Err(ExtractError::Malformed(e.to_string())),
        },
        Ok(Err(refused)) => Err(refused),
        Err(BlobError::Missing(_)) => Err(ExtractError::Malformed(
            "the content is missing from the blob store".into(),
        )),
        // The blob store is unreachable: the lease runs out and the
        // document is tried again.
        Err(error) => return Err(error.into()),
    };
    store(pool, &claimed, outcome).await?;
    Ok(true)
}

async fn claim(pool: &PgPool, lease: Duration) -> Result<Option<Claimed>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE search_documents s SET claimed_until = now() + $1, attempts = attempts + 1
         FROM (SELECT document_id FROM search_documents
               WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY generation, document_id LIMIT 1 FOR UPDATE SKIP LOCKED) c
         WHERE s.document_id = c.document_id
         RETURNING s.document_id, s.generation, s.kind, s.filename, s.sha256, s.attempts",
    )
    .bind(lease)
    .fetch_optional(pool)
    .await
}

/// The blob's bytes, or a refusal when it is larger than `max_bytes`
/// (told by its size, before any is read).
async fn read(
    blobs: &BlobStore,
    claimed: &Claimed,
    max_bytes: u64,
) -> Result<Result<Vec<u8>, ExtractError>, BlobError> {
    let Ok(sha) = Sha256::parse(&claimed.sha256) else {
        return Ok(Err(ExtractError::Malformed(
            "the content address is not valid".into(),
        )));
    };
    Ok(blobs.read_at_most(&sha, max_bytes).await?.ok_or_else(|| {
        ExtractError::Budget(format!(
            "larger than the extraction limit of {} MB; only its name is indexed",
            max_bytes / 1_000_000
        ))
    }))
}

/// Writes the outcome if the row still wants the generation claimed.
async fn store(
    pool: &PgPool,
    claimed: &Claimed,
    outcome: Result<Indexed, ExtractError>,
) -> Result<(), sqlx::Error> {
    let (status, reason, indexed) = match outcome {
        Ok(indexed) => ("indexed", None, indexed),
        Err(error) => {
            let failed = Indexed {
                body: String::new(),
                extra: name_words(&claimed.filename),
                metadata: Default::default(),
                keywords: Vec::new(),
            };
            ("failed", Some(error.to_string()), failed)
        }
    };
    let stored = sqlx::query(
        "UPDATE search_documents s SET status = $3, reason = $4, body = $5, extra = $6, metadata = $7,
             keywords = $8, indexed_revision = revision, claimed_until = NULL, content_tsv = c.v,
             tsv = stockage_titled_vector(s.language, s.title, s.tags, $8, c.v)
         FROM (SELECT stockage_content_vector(language, $5, $6) FROM search_documents WHERE document_id = $1) AS c(v)
         WHERE s.document_id = $1 AND s.generation = $2",
    )
    .bind(claimed.document_id)
    .bind(claimed.generation)
    .bind(status)
    .bind(&reason)
    .bind(&indexed.body)
    .bind(indexed.extra.replace('\0', " "))
    .bind(sqlx::types::Json(&indexed.metadata))
    .bind(&indexed.keywords)
    .execute(pool)
    .await?;
    metrics::counter!("stockage_index_documents_total", "status" => status).increment(1);
    if stored.rows_affected() == 0 {
        tracing::debug!(document = %claimed.document_id, "a newer generation came; result dropped");
    } else if let Some(reason) = reason {
        tracing::info!(document = %claimed.document_id, %reason, "indexing failed");
    }
    Ok(())
}
