//! Adding a revision whose file is already at its content address: the
//! one command path of every upload protocol (PUT content and tus).
use stockage_events::{Event, EventMeta, FileKind};
use stockage_store::EventStore;

use crate::domain::document::{DocumentCommand, NewFile};
use crate::error::Error;
use crate::permissions::DocumentAccess;

/// 412 unless `expected` (the client's `If-Match`) is still the latest
/// revision; checked before a byte is read, and again by the command.
pub fn check_expected(expected: Option<u32>, doc: &DocumentAccess) -> Result<(), Error> {
    let current = doc.document.revision;
    match expected {
        Some(expected) if expected as i32 != current => Err(Error::Stale {
            detail: format!(
                "the document is at revision {current}, not {expected}; fetch it and try again"
            ),
            current_revision: current as u32,
        }),
        _ => Ok(()),
    }
}

/// The document's type, which a new revision must keep (415 otherwise).
pub fn check_kind(doc: &DocumentAccess, file: FileKind) -> Result<(), Error> {
    crate::storage::receive::same_kind(doc.document.kind()?, file)
}

/// Records `file` as the document's next revision (only if `expected` is
/// still the latest, when given); returns the new revision's number.
pub async fn add(
    store: &EventStore,
    doc: &DocumentAccess,
    file: NewFile,
    expected: Option<u32>,
    meta: EventMeta,
) -> Result<u32, Error> {
    let command = DocumentCommand::AddRevision { file, expected };
    let recorded = doc.execute(store, command, meta).await?;
    recorded
        .iter()
        .find_map(|e| match e.event() {
            Ok(Event::RevisionAdded { revision, .. }) => Some(revision),
            _ => None,
        })
        .ok_or_else(|| Error::internal("a new revision recorded no revision event"))
}
