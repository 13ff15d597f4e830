//! Resumable uploads (tus 1.0.0). An upload is created with its length
//! and what it will become (`metadata`), receives its bytes over any
//! number of requests, each continuing at the durable offset on any node
//! (`write`: one writer at a time, bytes in the blob store's resumable
//! area, progress in the `uploads` table), and on its last byte goes
//! through the upload policy and becomes a document or a new revision by
//! the same command path as a multipart upload (`complete`). Unfinished
//! uploads expire and are collected (`sweep`).
mod complete;
mod config;
mod lease;
pub mod metadata;
pub mod sweep;
mod table;
mod write;

use std::time::Duration;

use sqlx::PgPool;
use stockage_events::{EventMeta, UserId};
use stockage_store::EventStore;
use time::OffsetDateTime;
use uuid::Uuid;

pub use config::UploadsConfig;
pub use metadata::Target;
pub use table::UploadRow;
pub use write::{CHECKSUM_ALGORITHMS, Checksum};

use crate::error::Error;
use crate::permissions::gate::{self, Need};
use crate::storage::BlobStore;
use crate::storage::receive::too_large;
use crate::versions::add::{check_expected, check_kind};

/// What a writing request achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub offset: u64,
    pub expires_at: OffsetDateTime,
    /// The document and revision the upload became, once complete.
    pub completed: Option<(Uuid, u32)>,
}

#[derive(Clone)]
pub struct Uploads {
    store: EventStore,
    blobs: BlobStore,
    max_bytes: u64,
    config: UploadsConfig,
    /// Connections that hold the writer leases (one per writing request).
    writers: PgPool,
    /// The project's storage quota (507), at creation and at completion.
    quota: crate::retention::quota::Quota,
}

impl Uploads {
    pub fn new(
        store: EventStore,
        blobs: BlobStore,
        max_bytes: u64,
        config: UploadsConfig,
        quota: crate::retention::quota::Quota,
    ) -> Self {
        let writers = crate::db::pool_options()
            .max_connections(config.writers)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with((*store.pool().connect_options()).clone());
        Self {
            store,
            blobs,
            max_bytes,
            config,
            writers,
            quota,
        }
    }

    fn pool(&self) -> &PgPool {
        self.store.pool()
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// A new upload of `length` bytes that will become `target`; needs
    /// write on the project (or on the document, for a new revision).
    pub async fn create(
        &self,
        user: &UserId,
        length: u64,
        target: &Target,
    ) -> Result<UploadRow, Error> {
        if length == 0 {
            return Err(Error::Invalid(
                "Upload-Length is 0: the file is empty".into(),
            ));
        }
        if length > self.max_bytes {
            return Err(too_large(self.max_bytes));
        }
        let (project_id, slug) = match target.document {
            Some(document) => {
                let doc = gate::document(
                    self.pool(),
                    &target.project,
                    &document.to_string(),
                    user,
                    Need::Write,
                    "upload-create",
                )
                .await?;
                let doc = crate::retention::trash::live(self.pool(), doc).await?;
                check_kind(&doc, target.filename.kind())?;
                check_expected(target.if_match, &doc)?;
                crate::locks::may_change(&self.store, &doc, user).await?;
                (doc.membership.project.id, doc.membership.project.slug)
            }
            None => {
                let membership =
                    gate::project(self.pool(), &target.project, user, "upload-create").await?;
                (membership.project.id, membership.project.slug)
            }
        };
        // The declared length's room is held from now until the upload
        // completes, is discarded or expires (decision 0060): of uploads
        // racing for the last room, the losers get 507 before a byte.
        let id = Uuid::now_v7();
        let expires_at = OffsetDateTime::now_utc() + self.config.expiry;
        let reservation = self
            .quota
            .reserve(self.pool(), project_id, id, length, expires_at)
            .await?;
        let progress = self.blobs.resumable_begin(id).await?;
        let inserted = table::insert(
            self.pool(),
            table::NewRow {
                id,
                owner: user.as_str(),
                project_id,
                project_slug: &slug,
                document_id: target.document,
                if_match: target.if_match,
                filename: target.filename.as_str(),
                title: target.title.as_deref(),
                tags: target.tags.as_deref(),
                length,
                expires_at,
                multipart_id: progress.multipart_id.as_deref(),
            },
        )
        .await;
        if let Err(error) = inserted {
            let _ = self.blobs.resumable_discard(id, &progress).await;
            return Err(error.into());
        }
        reservation.keep();
        metrics::counter!("stockage_tus_created_total").increment(1);
        sweep::count_in_progress(self.pool()).await;
        self.owned(user, id).await
    }

    /// The caller's upload `id`: 404 for anyone else's or an unknown one,
    /// 410 once it expired.
    pub async fn owned(&self, user: &UserId, id: Uuid) -> Result<UploadRow, Error> {
        owned(self.pool(), user, id).await
    }

    /// The upload's settled state: waits briefly for a request still
    /// writing to it (a client resuming after a dropped connection asks
    /// while the old request records what it received).
    pub async fn status(&self, user: &UserId, id: Uuid) -> Result<UploadRow, Error> {
        let _lease = lease::take(&self.writers, id, Duration::from_secs(3)).await;
        self.owned(user, id).await
    }

    /// Terminates an upload: its bytes and record are removed.
    pub async fn terminate(&self, user: &UserId, id: Uuid) -> Result<(), Error> {
        let _lease = lease::take(&self.writers, id, lease::WAIT)
            .await?
            .ok_or_else(lease::busy)?;
        let row = self.owned(user, id).await?;
        self.discard(&row).await?;
        metrics::counter!("stockage_tus_terminated_total").increment(1);
        Ok(())
    }

    async fn discard(&self, row: &UploadRow) -> Result<(), Error> {
        if row.completed_at.is_none() {
            self.blobs
                .resumable_discard(row.id, &row.progress())
                .await?;
        }
        table::delete(self.pool(), row.id).await?;
        crate::retention::reservation::forget(self.pool(), row.id).await?;
        sweep::count_in_progress(self.pool()).await;
        Ok(())
    }

    /// Appends `body` at `offset` (which must be the upload's offset), and
    /// completes the upload when its last byte arrived.
    pub async fn write<E: std::fmt::Display>(
        &self,
        user: &UserId,
        id: Uuid,
        offset: u64,
        checksum: Option<Checksum>,
        body: impl futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        meta: EventMeta,
    ) -> Result<Written, Error> {
        let _lease = lease::take(&self.writers, id, lease::WAIT)
            .await?
            .ok_or_else(lease::busy)?;
        let row = self.owned(user, id).await?;
        let done = |row: &UploadRow, completed| Written {
            offset: row.length(),
            expires_at: row.expires_at,
            completed,
        };
        if let (Some(document), Some(revision)) = (row.result_document, row.result_revision) {
            if offset == row.length() {
                return Ok(done(&row, Some((document, revision as u32))));
            }
            return Err(Error::Conflict("this upload is complete".into()));
        }
        if offset != row.offset as u64 {
            return Err(Error::Conflict(format!(
                "Upload-Offset is {offset} but the upload has {} bytes; continue from there",
                row.offset
            )));
        }
        if !row.assembled {
            match write::receive(self, &row, checksum, body).await {
                Ok(write::Received::Partial(progress)) => {
                    return Ok(Written {
                        offset: progress.offset,
                        expires_at: row.expires_at,
                        completed: None,
                    });
                }
                Ok(write::Received::Complete) => {}
                Err(error) => return Err(self.refused(&row, error).await),
            }
        }
        match complete::complete(self, &row, user, meta).await {
            Ok((document, revision)) => {
                table::completed(self.pool(), id, document, revision).await?;
                metrics::counter!("stockage_tus_completed_total").increment(1);
                sweep::count_in_progress(self.pool()).await;
                Ok(done(&row, Some((document, revision))))
            }
            Err(error) => Err(self.refused(&row, error).await),
        }
    }

    /// A refusal by the policy or the document (4xx) ends the upload and
    /// leaves nothing; other failures keep it for a retry.
    async fn refused(&self, row: &UploadRow, error: Error) -> Error {
        let ends = matches!(
            error,
            Error::UnsupportedType(_)
                | Error::TooLarge(_)
                | Error::Stale { .. }
                | Error::Forbidden(_)
                | Error::NotFound(_)
                | Error::InsufficientStorage(_)
                | Error::Gone(_)
                | Error::Unprocessable(_)
        );
        if ends && let Err(cleanup) = self.discard(row).await {
            tracing::warn!(%cleanup, upload = %row.id, "discarding a refused upload failed; the sweeper will");
        }
        error
    }
}

async fn owned(pool: &PgPool, user: &UserId, id: Uuid) -> Result<UploadRow, Error> {
    let not_found = || Error::NotFound(format!("upload {id} not found"));
    let row = table::get(pool, id).await?.ok_or_else(not_found)?;
    if row.owner != user.as_str() {
        return Err(not_found());
    }
    if row.expired(OffsetDateTime::now_utc()) {
        return Err(Error::Gone(format!(
            "upload {id} expired at {}; start it again",
            row.expires_at
        )));
    }
    Ok(row)
}
