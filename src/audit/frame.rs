//! The archive's frames: what each length-prefixed, postcard-encoded
//! record of an export holds, and how an event becomes one and back.
use serde::{Deserialize, Serialize};
use stockage_events::{Hash, RecordedEvent};
use time::OffsetDateTime;
use uuid::Uuid;

use super::archive::ArchiveError;

#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Frame {
    Header {
        format_version: u32,
        created_at_us: i64,
        first_position: i64,
        start_prev_hash: Hash,
    },
    Event(EventFrame),
    Blob {
        sha256: String,
        size: u64,
    },
    BlobChunk(Vec<u8>),
    End {
        events: u64,
        blobs: u64,
        end_hash: Hash,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct EventFrame {
    position: i64,
    event_id: [u8; 16],
    stream_id: [u8; 16],
    stream_version: i64,
    project_id: [u8; 16],
    event_type: String,
    schema_version: i32,
    /// Canonical JSON.
    payload: Vec<u8>,
    actor: String,
    correlation_id: [u8; 16],
    causation_id: Option<[u8; 16]>,
    recorded_at_us: i64,
    prev_hash: Hash,
    hash: Hash,
}

impl From<&RecordedEvent> for EventFrame {
    fn from(e: &RecordedEvent) -> Self {
        EventFrame {
            position: e.position,
            event_id: e.event_id.into_bytes(),
            stream_id: e.stream_id.into_bytes(),
            stream_version: e.stream_version,
            project_id: e.project_id.into_bytes(),
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: serde_json::to_vec(&e.payload).unwrap_or_default(),
            actor: e.actor.clone(),
            correlation_id: e.correlation_id.into_bytes(),
            causation_id: e.causation_id.map(Uuid::into_bytes),
            recorded_at_us: (e.recorded_at.unix_timestamp_nanos() / 1_000) as i64,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl TryFrom<EventFrame> for RecordedEvent {
    type Error = ArchiveError;
    fn try_from(f: EventFrame) -> Result<Self, ArchiveError> {
        let corrupt =
            |what: &str| ArchiveError::Corrupt(format!("event {}: bad {what}", f.position));
        Ok(RecordedEvent {
            position: f.position,
            event_id: Uuid::from_bytes(f.event_id),
            stream_id: Uuid::from_bytes(f.stream_id),
            stream_version: f.stream_version,
            project_id: Uuid::from_bytes(f.project_id),
            event_type: f.event_type.clone(),
            schema_version: f.schema_version,
            payload: serde_json::from_slice(&f.payload).map_err(|_| corrupt("payload"))?,
            actor: f.actor.clone(),
            correlation_id: Uuid::from_bytes(f.correlation_id),
            causation_id: f.causation_id.map(Uuid::from_bytes),
            recorded_at: OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(f.recorded_at_us) * 1_000,
            )
            .map_err(|_| corrupt("time"))?,
            prev_hash: f.prev_hash,
            hash: f.hash,
        })
    }
}
