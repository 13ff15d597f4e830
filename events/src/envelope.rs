use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::chain::Hash;
use crate::event::{DecodeError, Event};
use crate::types::UserId;

/// Who caused a batch of events and in answer to what.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMeta {
    pub actor: UserId,
    /// Ties together everything one request caused (the request id).
    pub correlation_id: Uuid,
    /// The event (by its id) or command that caused these events, if any.
    pub causation_id: Option<Uuid>,
}

/// An event about to be appended to a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event: Event,
}

impl NewEvent {
    pub fn new(event: Event) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event,
        }
    }
}

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_version: i64,
    pub project_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    pub actor: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// Microsecond precision, as PostgreSQL keeps it.
    pub recorded_at: OffsetDateTime,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl RecordedEvent {
    pub fn event(&self) -> Result<Event, DecodeError> {
        Event::decode(&self.event_type, self.schema_version, &self.payload)
    }
}
