//! Verifying the log: the hash chain, gapless positions, stream version
//! continuity, and (optionally) that every referenced blob exists with the
//! recorded SHA-256.
use std::collections::HashMap;

use futures_util::StreamExt;
use serde::Serialize;
use sha2::Digest;
use sqlx::PgPool;
use stockage_events::{ChainError, GENESIS_HASH, Hash, RecordedEvent, Sha256, verify_chain};
use stockage_store::log;
use uuid::Uuid;

use super::live_blobs::LiveBlobs;
use crate::storage::{BlobError, BlobStore};

const PAGE: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub events: u64,
    pub last_position: i64,
    pub last_hash: String,
    pub blobs_checked: u64,
}

/// The first thing found wrong, with its position.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("position {position}: stream {stream} jumps from version {previous} to {found}")]
    StreamVersion {
        position: i64,
        stream: Uuid,
        previous: i64,
        found: i64,
    },
    #[error("position {position}: blob {sha256} is missing")]
    MissingBlob { position: i64, sha256: Sha256 },
    #[error("position {position}: blob {sha256} holds bytes whose sha256 is {actual}")]
    BlobMismatch {
        position: i64,
        sha256: Sha256,
        actual: Sha256,
    },
    #[error(
        "the log does not hold the expected head {0}: events were removed from its end, \
         or it is another log"
    )]
    HeadMissing(String),
    #[error("position {position}: the event cannot be read: {why}")]
    Undecodable { position: i64, why: String },
    #[error("the log could not be read: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the blob store could not be read: {0}")]
    Blobs(BlobError),
}

impl Problem {
    /// The position named by the problem, if it is about one.
    pub fn position(&self) -> Option<i64> {
        match self {
            Problem::Chain(e) => Some(e.position()),
            Problem::StreamVersion { position, .. }
            | Problem::MissingBlob { position, .. }
            | Problem::BlobMismatch { position, .. }
            | Problem::Undecodable { position, .. } => Some(*position),
            Problem::Database(_) | Problem::Blobs(_) | Problem::HeadMissing(_) => None,
        }
    }
}

/// Checks the log from position `from` (1 for all of it). With `blobs`,
/// every blob an event references is read and hashed, once per blob.
pub async fn verify(
    pool: &PgPool,
    from: i64,
    blobs: Option<&BlobStore>,
    mut progress: impl FnMut(i64),
) -> Result<Report, Problem> {
    let from = from.max(1);
    let mut conn = pool.acquire().await?;
    let (mut prev, mut versions) = state_before(pool, from).await?;
    let mut next = from;
    let mut report = Report {
        events: 0,
        last_position: from - 1,
        last_hash: hex::encode(prev),
        blobs_checked: 0,
    };
    // Blobs are checked once the log is read: a purge later in the log
    // takes a revision's bytes out of what must exist.
    let mut live = LiveBlobs::default();
    loop {
        let page = log::read_after(&mut conn, next - 1, PAGE).await?;
        let Some(last) = page.last() else {
            if let Some(store) = blobs {
                for (sha, (_, position)) in live.blobs() {
                    check_blob(store, position, &sha).await?;
                    report.blobs_checked += 1;
                }
            }
            return Ok(report);
        };
        prev = verify_chain(prev, next, &page)?;
        for event in &page {
            check_version(&mut versions, event)?;
            if blobs.is_some() {
                live.see(event).map_err(|e| Problem::Undecodable {
                    position: event.position,
                    why: e.to_string(),
                })?;
            }
        }
        next = last.position + 1;
        report.events += page.len() as u64;
        report.last_position = last.position;
        report.last_hash = hex::encode(prev);
        progress(last.position);
    }
}

/// The hash before `from` and each stream's version there.
async fn state_before(pool: &PgPool, from: i64) -> Result<(Hash, HashMap<Uuid, i64>), Problem> {
    if from == 1 {
        return Ok((GENESIS_HASH, HashMap::new()));
    }
    let mut conn = pool.acquire().await?;
    let hash = log::hash_at(&mut conn, from - 1)
        .await?
        .ok_or(ChainError::Gap {
            position: from,
            expected: from - 1,
        })?;
    let rows = log::stream_versions_before(&mut conn, from).await?;
    Ok((hash, rows.into_iter().collect()))
}

fn check_version(versions: &mut HashMap<Uuid, i64>, event: &RecordedEvent) -> Result<(), Problem> {
    let previous = versions
        .insert(event.stream_id, event.stream_version)
        .unwrap_or(0);
    if event.stream_version != previous + 1 {
        return Err(Problem::StreamVersion {
            position: event.position,
            stream: event.stream_id,
            previous,
            found: event.stream_version,
        });
    }
    Ok(())
}

async fn check_blob(store: &BlobStore, position: i64, sha256: &Sha256) -> Result<(), Problem> {
    let mut body = match store.read(sha256, None).await {
        Ok(body) => body,
        Err(BlobError::Missing(_)) => {
            return Err(Problem::MissingBlob {
                position,
                sha256: sha256.clone(),
            });
        }
        Err(other) => return Err(Problem::Blobs(other)),
    };
    let mut hasher = sha2::Sha256::new();
    while let Some(chunk) = body.next().await {
        hasher.update(chunk.map_err(Problem::Blobs)?);
    }
    let actual = Sha256::from_digest(hasher.finalize().into());
    if &actual != sha256 {
        return Err(Problem::BlobMismatch {
            position,
            sha256: sha256.clone(),
            actual,
        });
    }
    Ok(())
}
