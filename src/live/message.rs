//! The shape clients see: one item per event, the same over HTTP and
//! WebSocket.
use serde::Serialize;
use stockage_events::{Event, RecordedEvent};
use time::OffsetDateTime;
use uuid::Uuid;

/// An event as `GET .../events` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventItem {
    pub position: i64,
    /// `document.added`, `document.updated`, `document.removed`,
    /// `document.restored`, `document.acl_changed`, `document.locked`,
    /// `document.unlocked`, `document.state_changed`, `member.added`,
    /// `member.changed`, `member.removed` or `project.created`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub stream_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The event's own fields, as stored.
    pub data: serde_json::Value,
}

/// A decoded event with everything a subscriber needs, built once per
/// node and shared by every session.
#[derive(Debug)]
pub struct LiveEvent {
    pub position: i64,
    pub project_id: Uuid,
    pub event: Event,
    pub item: EventItem,
    /// The WebSocket text frame: the item with `type: "event"` and the
    /// item's type under `event`.
    pub frame: String,
}

impl LiveEvent {
    pub fn from_recorded(recorded: &RecordedEvent) -> Result<Self, stockage_events::DecodeError> {
        let event = recorded.event()?;
        let document_id = is_document(&event).then_some(recorded.stream_id);
        let item = EventItem {
            position: recorded.position,
            kind: kind(&event),
            stream_id: recorded.stream_id,
            document_id,
            revision: revision(&event),
            actor: recorded.actor.clone(),
            recorded_at: recorded.recorded_at,
            data: recorded.payload.clone(),
        };
        Ok(Self {
            position: recorded.position,
            project_id: recorded.project_id,
            frame: frame(&item),
            event,
            item,
        })
    }

    /// Decodes a page of the log. An event this program cannot decode is
    /// logged and left out, the same way on every path.
    pub fn decode_all(page: &[RecordedEvent]) -> Vec<std::sync::Arc<Self>> {
        page.iter()
            .filter_map(|recorded| {
                Self::from_recorded(recorded)
                    .inspect_err(|error| {
                        tracing::error!(
                            position = recorded.position,
                            %error,
                            "event cannot be decoded; not delivered"
                        )
                    })
                    .ok()
                    .map(std::sync::Arc::new)
            })
            .collect()
    }

    /// The document this event is about, if any.
    pub fn document_id(&self) -> Option<Uuid> {
        self.item.document_id
    }
}

fn frame(item: &EventItem) -> String {
    serde_json::Value::Object(frame_fields(item)).to_string()
}

/// The WebSocket frame's fields: the item with `type: "event"` and the
/// item's type under `event`.
pub fn frame_fields(item: &EventItem) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = match serde_json::to_value(item) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    fields.insert("event".into(), item.kind.into());
    fields.insert("type".into(), "event".into());
    fields
}

fn is_document(event: &Event) -> bool {
    !matches!(
        event,
        Event::ProjectCreated { .. }
            | Event::MemberAdded { .. }
            | Event::MemberRoleChanged { .. }
            | Event::MemberRemoved { .. }
            | Event::RetentionPolicySet { .. }
            | Event::LegalHoldSet { .. }
            | Event::QuotaSet { .. }
    )
}

/// What clients are told happened. A revision restore is a new revision,
/// so it is an update; `document.restored` undoes a delete.
pub fn kind(event: &Event) -> &'static str {
    match event {
        Event::ProjectCreated { .. } => "project.created",
        Event::MemberAdded { .. } => "member.added",
        Event::MemberRoleChanged { .. } => "member.changed",
        Event::MemberRemoved { .. } => "member.removed",
        Event::DocumentAdded { .. } => "document.added",
        Event::RevisionAdded { .. }
        | Event::RevisionRestored { .. }
        | Event::RevisionLabeled { .. }
        | Event::DocumentMetadataChanged { .. } => "document.updated",
        Event::DocumentDeleted {} => "document.removed",
        Event::DocumentUndeleted {} => "document.restored",
        Event::AclEntryGranted { .. } | Event::AclEntryRevoked { .. } => "document.acl_changed",
        Event::TokenCreated { .. } => "token.created",
        Event::TokenRevoked {} => "token.revoked",
        Event::RevisionPurged { .. } => "revision.purged",
        Event::DocumentPurged { .. } => "document.purged",
        Event::RetentionPolicySet { .. } => "project.retention_changed",
        Event::LegalHoldSet { .. } => "project.hold_changed",
        Event::QuotaSet { .. } => "project.quota_changed",
        Event::DocumentLocked { .. } => "document.locked",
        Event::DocumentUnlocked { .. } => "document.unlocked",
        Event::DocumentStateChanged { .. } => "document.state_changed",
    }
}

fn revision(event: &Event) -> Option<u32> {
    match event {
        Event::DocumentAdded { .. } => Some(1),
        Event::RevisionAdded { revision, .. }
        | Event::RevisionRestored { revision, .. }
        | Event::RevisionLabeled { revision, .. }
        | Event::RevisionPurged { revision, .. } => Some(*revision),
        _ => None,
    }
}
