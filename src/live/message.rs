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
    /// `member.changed`, `member.removed`, `project.created`,
    /// `project.sharing_changed`, `share.created`, `share.revoked` or
    /// `share.downloaded`.
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
    /// For an ACL change: the item and frame without the entry, for those
    /// who may not administer the document.
    pub redacted: Option<Redacted>,
}

#[derive(Debug)]
pub struct Redacted {
    pub item: EventItem,
    pub frame: String,
}

impl LiveEvent {
    pub fn from_recorded(recorded: &RecordedEvent) -> Result<Self, stockage_events::DecodeError> {
        let event = recorded.event()?;
        let document_id = event
            .about_document()
            .or_else(|| is_document(&event).then_some(recorded.stream_id));
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
        // Who holds which permission is for the document's admins: others
        // learn that the ACL changed, not its entries (decision 0048).
        let redacted = is_acl_change(&event).then(|| {
            let item = EventItem {
                data: serde_json::json!({}),
                ..item.clone()
            };
            Redacted {
                frame: frame(&item),
                item,
            }
        });
        Ok(Self {
            position: recorded.position,
            project_id: recorded.project_id,
            frame: frame(&item),
            event,
            item,
            redacted,
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

fn is_acl_change(event: &Event) -> bool {
    matches!(
        event,
        Event::AclEntryGranted { .. } | Event::AclEntryRevoked { .. }
    )
}

fn is_document(event: &Event) -> bool {
    !matches!(
        event,
        Event::ProjectCreated { .. }
            | Event::MemberAdded { .. }
            | Event::MemberRoleChanged { .. }
            | Event::MemberRemoved { .. }
            | Event::ProjectSharingChanged { .. }
            | Event::RetentionPolicySet { .. }
            | Event::LegalHoldSet { .. }
            | Event::QuotaSet { .. }
    )
}

/// What clients are told happened, per stored event type. A revision
/// restore is a new revision, so it is an update; `document.restored`
/// undoes a delete. Every stored type has a row (tested).
pub const KINDS: &[(&str, &str)] = &[
    ("ProjectCreated", "project.created"),
    ("MemberAdded", "member.added"),
    ("MemberRoleChanged", "member.changed"),
    ("MemberRemoved", "member.removed"),
    ("DocumentAdded", "document.added"),
    ("RevisionAdded", "document.updated"),
    ("RevisionRestored", "document.updated"),
    ("RevisionLabeled", "document.updated"),
    ("DocumentMetadataChanged", "document.updated"),
    ("DocumentDeleted", "document.removed"),
    ("DocumentUndeleted", "document.restored"),
    ("AclEntryGranted", "document.acl_changed"),
    ("AclEntryRevoked", "document.acl_changed"),
    ("DocumentLocked", "document.locked"),
    ("DocumentUnlocked", "document.unlocked"),
    ("DocumentStateChanged", "document.state_changed"),
    ("RevisionPurged", "revision.purged"),
    ("DocumentPurged", "document.purged"),
    ("RetentionPolicySet", "project.retention_changed"),
    ("LegalHoldSet", "project.hold_changed"),
    ("QuotaSet", "project.quota_changed"),
    ("TokenCreated", "token.created"),
    ("TokenRevoked", "token.revoked"),
    ("ProjectSharingChanged", "project.sharing_changed"),
    ("ShareCreated", "share.created"),
    ("ShareRevoked", "share.revoked"),
    ("ShareDownloaded", "share.downloaded"),
];

pub fn kind(event: &Event) -> &'static str {
    kind_of(event.event_type()).unwrap_or("unknown")
}

/// The client-facing kind of a stored event type.
pub fn kind_of(event_type: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(stored, _)| *stored == event_type)
        .map(|(_, kind)| *kind)
}

/// The stored types a name stands for: a stored type itself
/// (`DocumentAdded`) or a client-facing kind (`document.updated`: four).
pub fn stored_types(name: &str) -> Vec<&'static str> {
    KINDS
        .iter()
        .filter(|(stored, kind)| *stored == name || *kind == name)
        .map(|(stored, _)| *stored)
        .collect()
}

fn revision(event: &Event) -> Option<u32> {
    match event {
        Event::DocumentAdded { .. } => Some(1),
        Event::RevisionAdded { revision, .. }
        | Event::RevisionRestored { revision, .. }
        | Event::RevisionLabeled { revision, .. }
        | Event::RevisionPurged { revision, .. } => Some(*revision),
        Event::ShareDownloaded { revision, .. } => Some(*revision),
        Event::ShareCreated { revision, .. } => *revision,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use stockage_events::Event;

    use super::{KINDS, kind_of, stored_types};

    #[test]
    fn every_stored_type_has_exactly_one_kind() {
        for stored in Event::TYPES {
            assert!(
                kind_of(stored).is_some(),
                "{stored} has no client-facing kind"
            );
            let rows = KINDS.iter().filter(|(s, _)| *s == stored).count();
            assert_eq!(rows, 1, "{stored}");
        }
        for (stored, _) in KINDS {
            assert!(
                Event::TYPES.contains(stored),
                "{stored} is not a stored type"
            );
        }
    }

    #[test]
    fn a_kind_stands_for_every_type_it_covers() {
        assert_eq!(stored_types("document.added"), ["DocumentAdded"]);
        assert_eq!(stored_types("DocumentAdded"), ["DocumentAdded"]);
        assert_eq!(stored_types("document.updated").len(), 4);
        assert!(stored_types("Bogus").is_empty());
    }
}
