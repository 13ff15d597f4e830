//! What the writer believes the log's head and its streams' versions are:
//! the head it last committed, the versions it last wrote, and what each
//! append expects. An append is written at once on that belief and checked
//! in the same statement ([`crate::rows::insert_at`]); a wrong belief
//! (another node or process wrote, a stale expectation) costs one more
//! round trip, never a wrong position or version.
use std::collections::HashMap;

use stockage_events::{GENESIS_HASH, Hash, RecordedEvent};
use uuid::Uuid;

use crate::{Append, Expected};

/// Stream versions remembered before the map is emptied and starts again.
const CAPACITY: usize = 100_000;

#[derive(Default)]
pub(crate) struct Guess {
    head: Option<(i64, Hash)>,
    versions: HashMap<Uuid, i64>,
}

impl Guess {
    /// The head, and a version for every stream the appends write: the
    /// first append to a stream says what it expects, else what this
    /// writer last wrote to it, else 0 (a new stream).
    pub(crate) fn for_batch<'a>(
        &self,
        appends: impl Iterator<Item = &'a Append>,
    ) -> ((i64, Hash), HashMap<Uuid, i64>) {
        let mut versions = HashMap::new();
        for append in appends {
            versions
                .entry(append.stream_id)
                .or_insert_with(|| match append.expected {
                    Expected::Version(version) => version,
                    Expected::Any => self.versions.get(&append.stream_id).copied().unwrap_or(0),
                });
        }
        (self.head.unwrap_or((0, GENESIS_HASH)), versions)
    }

    /// After a commit: its last event is the head, its events' versions
    /// are their streams'.
    pub(crate) fn committed<'a>(&mut self, events: impl Iterator<Item = &'a RecordedEvent>) {
        for event in events {
            if self.versions.len() >= CAPACITY && !self.versions.contains_key(&event.stream_id) {
                self.versions.clear();
            }
            self.versions.insert(event.stream_id, event.stream_version);
            self.head = Some((event.position, event.hash));
        }
    }

    /// What the log said when a guess was wrong.
    pub(crate) fn found(&mut self, head: (i64, Hash), versions: &HashMap<Uuid, i64>) {
        self.head = Some(head);
        self.versions.extend(versions);
    }

    /// After a failure nothing is assumed about the head.
    pub(crate) fn forget_head(&mut self) {
        self.head = None;
    }
}
