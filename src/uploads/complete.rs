//! An upload whose last byte arrived: the same policy as a multipart
//! upload over the whole file, then the same command (a new document, or
//! a new revision with its `if_match`), with the caller's rights checked
//! again now.
use stockage_events::{EventMeta, UserId};
use uuid::Uuid;

use super::Uploads;
use super::table::UploadRow;
use crate::documents::add as documents;
use crate::documents::projects::Membership;
use crate::domain::document::NewFile;
use crate::error::Error;
use crate::permissions::gate::{self, DocumentAccess, Need};
use crate::storage::StoredBlob;
use crate::storage::policy::FileName;
use crate::storage::receive::{check_stored, whole_file_checks};
use crate::versions::add::{self as versions, check_expected, check_kind};

/// Returns the document and the revision the upload became.
pub async fn complete(
    uploads: &Uploads,
    row: &UploadRow,
    user: &UserId,
    meta: EventMeta,
) -> Result<(Uuid, u32), Error> {
    let pool = uploads.pool();
    let filename = FileName::parse(&row.filename)?;
    let kind = filename.kind();
    let if_match = row.if_match.map(|n| n as u32);
    let doc: Option<DocumentAccess> = match row.document_id {
        Some(id) => {
            let doc = gate::document(
                pool,
                &row.project_slug,
                &id.to_string(),
                user,
                Need::Write,
                "upload-complete",
            )
            .await?;
            let doc = crate::retention::trash::live(pool, doc).await?;
            check_kind(&doc, kind)?;
            check_expected(if_match, &doc)?;
            crate::locks::may_change(&uploads.store, &doc, user).await?;
            Some(doc)
        }
        None => None,
    };
    let membership = match &doc {
        Some(_) => None,
        None => Some(gate::project(pool, &row.project_slug, user, "upload-complete").await?),
    };
    let blobs = &uploads.blobs;
    let blob = check_stored(blobs.resumable_read(row.id).await?, kind, uploads.max_bytes).await?;
    // The room held since the upload's creation, checked again for the
    // real size (the quota may have changed since).
    let mut reservation = uploads
        .quota
        .reserve(pool, row.project_id, row.id, blob.size, row.expires_at)
        .await?;
    let recorded = reservation
        .recorded(record(uploads, row, doc, membership, blob, filename, meta))
        .await;
    match recorded {
        Ok(done) => Ok(done),
        // A failure that keeps the upload for a retry keeps its room too;
        // one that ends it gives the room back with its record.
        Err(error) => {
            reservation.keep();
            Err(error)
        }
    }
}

async fn record(
    uploads: &Uploads,
    row: &UploadRow,
    doc: Option<DocumentAccess>,
    membership: Option<Membership>,
    blob: StoredBlob,
    filename: FileName,
    meta: EventMeta,
) -> Result<(Uuid, u32), Error> {
    let kind = filename.kind();
    let if_match = row.if_match.map(|n| n as u32);
    let blobs = &uploads.blobs;
    let staged = whole_file_checks(blobs.resumable_staged(row.id, blob), kind).await?;
    let blob = staged.commit().await?;
    let file = NewFile {
        filename: filename.as_str().to_owned(),
        kind,
        size: blob.size,
        sha256: blob.sha256,
    };
    match (doc, membership) {
        (Some(doc), _) => {
            let revision = versions::add(&uploads.store, &doc, file, if_match, meta).await?;
            Ok((doc.document.id, revision))
        }
        (None, Some(membership)) => {
            let title = row
                .title
                .clone()
                .unwrap_or_else(|| filename.stem().to_owned());
            let tags = row.tags.clone().unwrap_or_default();
            let id = documents::add(&uploads.store, &membership, file, title, tags, meta).await?;
            Ok((id, 1))
        }
        (None, None) => Err(Error::internal(
            "an upload with neither document nor project",
        )),
    }
}
