//! Which blobs the log still needs: those of revisions not purged. Export
//! and verify follow the log with this, since a purge comes after the
//! events that referenced the bytes it removed.
use std::collections::{BTreeMap, HashMap};

use stockage_events::{DecodeError, Event, RecordedEvent, Sha256};
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct LiveBlobs {
    /// Each document's revisions whose bytes are kept: blob and size.
    revisions: HashMap<Uuid, BTreeMap<u32, (Sha256, u64)>>,
    /// Where each blob was first referenced.
    first_seen: HashMap<Sha256, i64>,
}

impl LiveBlobs {
    pub fn see(&mut self, recorded: &RecordedEvent) -> Result<(), DecodeError> {
        let (revision, sha256, size) = match recorded.event()? {
            Event::DocumentAdded { sha256, size, .. } => (1, sha256, size),
            Event::RevisionAdded {
                revision,
                sha256,
                size,
                ..
            }
            | Event::RevisionRestored {
                revision,
                sha256,
                size,
                ..
            } => (revision, sha256, size),
            Event::RevisionPurged { revision, .. } => {
                if let Some(revisions) = self.revisions.get_mut(&recorded.stream_id) {
                    revisions.remove(&revision);
                }
                return Ok(());
            }
            Event::DocumentPurged { .. } => {
                self.revisions.remove(&recorded.stream_id);
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.first_seen
            .entry(sha256.clone())
            .or_insert(recorded.position);
        self.revisions
            .entry(recorded.stream_id)
            .or_default()
            .insert(revision, (sha256, size));
        Ok(())
    }

    /// Every blob a live revision references: its size and the position
    /// that first referenced it.
    pub fn blobs(&self) -> BTreeMap<Sha256, (u64, i64)> {
        self.revisions
            .values()
            .flat_map(BTreeMap::values)
            .map(|(sha, size)| {
                let position = self.first_seen.get(sha).copied().unwrap_or(0);
                (sha.clone(), (*size, position))
            })
            .collect()
    }
}
