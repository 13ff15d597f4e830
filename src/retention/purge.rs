//! Purging: the events first (refused inside the append while the project
//! is on legal hold), then the bytes that no live revision references any
//! more. A crash between the two leaves unreferenced blobs, which gc
//! collects: the read models say they are no longer wanted.
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{EventMeta, Permission, PurgeRule, RecordedEvent, Sha256};
use stockage_store::EventStore;
use uuid::Uuid;

use crate::domain::document::{Actor, Document, DocumentCommand};
use crate::error::Error;
use crate::storage::{BlobStore, Removal};

/// What one purge, or one pass of them, took out of the blob store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub blobs_removed: u64,
    pub bytes_removed: u64,
    /// Unreferenced but written within the grace period: gc takes them.
    pub blobs_left_to_gc: u64,
}

impl Swept {
    pub fn add(&mut self, other: Swept) {
        self.blobs_removed += other.blobs_removed;
        self.bytes_removed += other.bytes_removed;
        self.blobs_left_to_gc += other.blobs_left_to_gc;
    }
}

/// Where purges write and what they remove.
#[derive(Clone, Copy)]
pub struct Purger<'a> {
    pub store: &'a EventStore,
    pub blobs: &'a BlobStore,
    pub grace: Duration,
}

impl Purger<'_> {
    /// The whole document, deleting it first if it is live.
    pub async fn document(
        &self,
        project: Uuid,
        document: Uuid,
        rule: PurgeRule,
        meta: EventMeta,
    ) -> Result<(Vec<RecordedEvent>, Swept), Error> {
        let shas = live_shas(self.store.pool(), document, None).await?;
        self.run(
            project,
            document,
            DocumentCommand::Purge { rule },
            meta,
            shas,
        )
        .await
    }

    /// Some revisions of a document; never its latest or labelled ones.
    pub async fn revisions(
        &self,
        project: Uuid,
        document: Uuid,
        revisions: Vec<u32>,
        rule: PurgeRule,
        meta: EventMeta,
    ) -> Result<(Vec<RecordedEvent>, Swept), Error> {
        let numbers: Vec<i32> = revisions.iter().map(|n| *n as i32).collect();
        let shas = live_shas(self.store.pool(), document, Some(&numbers)).await?;
        let command = DocumentCommand::PurgeRevisions { revisions, rule };
        self.run(project, document, command, meta, shas).await
    }

    async fn run(
        &self,
        project: Uuid,
        document: Uuid,
        command: DocumentCommand,
        meta: EventMeta,
        shas: Vec<String>,
    ) -> Result<(Vec<RecordedEvent>, Swept), Error> {
        // Who may purge was decided before; the document's own rules (what
        // is always kept, its lock for a live one) are decided here.
        let actor = Actor {
            user: meta.actor.clone(),
            permission: Permission::Admin,
            now: crate::locks::now(),
        };
        let recorded = stockage_store::command::execute::<Document>(
            self.store,
            document,
            project,
            (actor, command),
            meta,
        )
        .await?;
        let swept = sweep(self.store.pool(), self.blobs, &shas, self.grace).await?;
        Ok((recorded, swept))
    }
}

/// The blobs of a document's live revisions (of `revisions` only, if given).
async fn live_shas(
    pool: &PgPool,
    document: Uuid,
    revisions: Option<&[i32]>,
) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT sha256 FROM document_revisions
         WHERE document_id = $1 AND purged_at IS NULL AND ($2::int[] IS NULL OR revision = ANY($2))",
    )
    .bind(document)
    .bind(revisions)
    .fetch_all(pool)
    .await?)
}

/// Removes those of `shas` that no live revision anywhere references.
pub async fn sweep(
    pool: &PgPool,
    blobs: &BlobStore,
    shas: &[String],
    grace: Duration,
) -> Result<Swept, Error> {
    let unreferenced: Vec<String> = sqlx::query_scalar(
        "SELECT s FROM unnest($1::text[]) AS s
         WHERE NOT EXISTS (SELECT 1 FROM document_revisions v WHERE v.sha256 = s AND v.purged_at IS NULL)",
    )
    .bind(shas)
    .fetch_all(pool)
    .await?;
    let mut swept = Swept::default();
    for sha in unreferenced {
        let sha = Sha256::parse(&sha).map_err(Error::internal)?;
        match blobs.remove_blob(&sha, grace).await? {
            Removal::Removed(bytes) => {
                swept.blobs_removed += 1;
                swept.bytes_removed += bytes;
            }
            Removal::TooYoung => swept.blobs_left_to_gc += 1,
            Removal::Absent => blobs.remove_previews(&sha).await?,
        }
    }
    Ok(swept)
}
