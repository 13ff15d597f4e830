use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::content::{FileKind, Sha256};
use crate::retention::PurgeRule;
use crate::types::{LifecycleState, Permission, Principal, ProjectSlug, Role, UserId};
use time::OffsetDateTime;

/// The schema version written with every new event. Older versions are
/// upcast in [`Event::decode`] so stored events stay readable forever.
pub const SCHEMA_VERSION: i32 = 1;

/// Everything that can happen in Stockage, in the past tense.
///
/// Stored as `event_type` (the variant name) beside `payload` (the fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    ProjectCreated {
        slug: ProjectSlug,
        title: String,
        description: Option<String>,
        category: Option<String>,
        created_by: UserId,
    },
    MemberAdded {
        user_id: UserId,
        role: Role,
    },
    MemberRoleChanged {
        user_id: UserId,
        from: Role,
        to: Role,
    },
    MemberRemoved {
        user_id: UserId,
        role: Role,
    },
    /// A document's first revision; the stream is the document's.
    DocumentAdded {
        title: String,
        filename: String,
        kind: FileKind,
        content_type: String,
        size: u64,
        sha256: Sha256,
        tags: Vec<String>,
    },
    /// New content: revision `revision` (latest + 1) of the document.
    RevisionAdded {
        revision: u32,
        filename: String,
        kind: FileKind,
        content_type: String,
        size: u64,
        sha256: Sha256,
    },
    /// Revision `revision` (latest + 1) brings back the content of
    /// `restored_from`: the same blob, no bytes copied.
    RevisionRestored {
        revision: u32,
        restored_from: u32,
        filename: String,
        content_type: String,
        size: u64,
        sha256: Sha256,
    },
    /// A label on a revision ("Issued for construction"); none removes it.
    RevisionLabeled {
        revision: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// Only the fields that changed are present.
    DocumentMetadataChanged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<String>>,
    },
    /// Soft delete: the document and its blobs stay, hidden.
    DocumentDeleted {},
    DocumentUndeleted {},
    /// The document's ACL now gives `principal` exactly `permission`.
    AclEntryGranted {
        principal: Principal,
        permission: Permission,
    },
    /// The document's ACL no longer mentions `principal`.
    AclEntryRevoked {
        principal: Principal,
    },
    /// The project now allows (or forbids) share links; forbidding stops
    /// every existing link until they are allowed again.
    ProjectSharingChanged {
        shares_allowed: bool,
    },
    /// A public link to `document_id` (its own stream; the creator is the
    /// actor). `revision: None` follows the latest revision. The token and
    /// password are never in the log: only whether a password is needed.
    ShareCreated {
        document_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<u32>,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_downloads: Option<u32>,
        password_required: bool,
    },
    ShareRevoked {
        document_id: Uuid,
    },
    /// Someone fetched revision `revision` through the link; `client` is
    /// their network address truncated (IPv4 /24, IPv6 /48).
    ShareDownloaded {
        document_id: Uuid,
        revision: u32,
        client: String,
    },
    /// Checked out by `locked_by` until `expires_at`: changes by anyone
    /// else are refused until then or until an unlock. A holder locking
    /// again renews (`renewed`, the first `locked_at` kept).
    DocumentLocked {
        locked_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        locked_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        renewed: bool,
    },
    /// The lock of `locked_by` ended: released by its holder, or broken by
    /// a document admin (`broken_by`, with their `reason`).
    DocumentUnlocked {
        locked_by: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broken_by: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A lifecycle transition; a release names its letter and the revision
    /// it froze.
    DocumentStateChanged {
        from: LifecycleState,
        to: LifecycleState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        release: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        released_revision: Option<u32>,
    },
    /// The bytes of revision `revision` are gone for good (its blob once no
    /// live revision references it, its previews); the history stays.
    RevisionPurged {
        revision: u32,
        rule: PurgeRule,
    },
    /// The whole document left the trash for good: every revision's bytes
    /// and its extracted text. It is deleted already.
    DocumentPurged {
        rule: PurgeRule,
    },
    /// The project's retention policy (project stream); none of the
    /// fields set means keep everything.
    RetentionPolicySet {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_revisions: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trash_days: Option<u32>,
    },
    /// Legal hold on or off (project stream): while on, nothing is purged.
    LegalHoldSet {
        on: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The project's storage quota in MB (10^6 bytes); none: the default.
    QuotaSet {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quota_mb: Option<u64>,
    },
    /// A personal access token was made; the stream is the token's. Carries
    /// the SHA-256 of the token (a verifier of 256 random bits, from which
    /// the token cannot be recovered), never the token itself.
    TokenCreated {
        owner: UserId,
        name: String,
        scope: TokenScope,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<ProjectSlug>,
        /// The owner could create projects when the token was made.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        admin: bool,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "time::serde::rfc3339::option"
        )]
        expires_at: Option<time::OffsetDateTime>,
        token_sha256: Sha256,
    },
    TokenRevoked {},
}

/// What a personal access token may do: `read` is refused every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("event type {0:?} is unknown")]
    UnknownType(String),
    #[error(
        "schema version {version} of {event_type} is newer than this program ({SCHEMA_VERSION})"
    )]
    FutureSchema { event_type: String, version: i32 },
    #[error("payload of {event_type} does not match its schema: {source}")]
    BadPayload {
        event_type: String,
        source: serde_json::Error,
    },
}

impl Event {
    pub const TYPES: [&'static str; 27] = [
        "ProjectCreated",
        "MemberAdded",
        "MemberRoleChanged",
        "MemberRemoved",
        "DocumentAdded",
        "RevisionAdded",
        "RevisionRestored",
        "RevisionLabeled",
        "DocumentMetadataChanged",
        "DocumentDeleted",
        "DocumentUndeleted",
        "AclEntryGranted",
        "AclEntryRevoked",
        "ProjectSharingChanged",
        "ShareCreated",
        "ShareRevoked",
        "ShareDownloaded",
        "DocumentLocked",
        "DocumentUnlocked",
        "DocumentStateChanged",
        "RevisionPurged",
        "DocumentPurged",
        "RetentionPolicySet",
        "LegalHoldSet",
        "QuotaSet",
        "TokenCreated",
        "TokenRevoked",
    ];

    pub fn event_type(&self) -> &'static str {
        match self {
            Event::ProjectCreated { .. } => "ProjectCreated",
            Event::MemberAdded { .. } => "MemberAdded",
            Event::MemberRoleChanged { .. } => "MemberRoleChanged",
            Event::MemberRemoved { .. } => "MemberRemoved",
            Event::DocumentAdded { .. } => "DocumentAdded",
            Event::RevisionAdded { .. } => "RevisionAdded",
            Event::RevisionRestored { .. } => "RevisionRestored",
            Event::RevisionLabeled { .. } => "RevisionLabeled",
            Event::DocumentMetadataChanged { .. } => "DocumentMetadataChanged",
            Event::DocumentDeleted {} => "DocumentDeleted",
            Event::DocumentUndeleted {} => "DocumentUndeleted",
            Event::AclEntryGranted { .. } => "AclEntryGranted",
            Event::AclEntryRevoked { .. } => "AclEntryRevoked",
            Event::ProjectSharingChanged { .. } => "ProjectSharingChanged",
            Event::ShareCreated { .. } => "ShareCreated",
            Event::ShareRevoked { .. } => "ShareRevoked",
            Event::ShareDownloaded { .. } => "ShareDownloaded",
            Event::DocumentLocked { .. } => "DocumentLocked",
            Event::DocumentUnlocked { .. } => "DocumentUnlocked",
            Event::DocumentStateChanged { .. } => "DocumentStateChanged",
            Event::RevisionPurged { .. } => "RevisionPurged",
            Event::DocumentPurged { .. } => "DocumentPurged",
            Event::RetentionPolicySet { .. } => "RetentionPolicySet",
            Event::LegalHoldSet { .. } => "LegalHoldSet",
            Event::QuotaSet { .. } => "QuotaSet",
            Event::TokenCreated { .. } => "TokenCreated",
            Event::TokenRevoked {} => "TokenRevoked",
        }
    }

    /// The payload stored in the `payload` column: the variant's fields.
    pub fn payload(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut tagged)) => tagged.remove("data").unwrap_or(Value::Null),
            other => {
                unreachable!("an adjacently tagged enum serializes to an object, got {other:?}")
            }
        }
    }

    /// The document an event is about when it is not the event's stream
    /// (share links have streams of their own).
    pub fn about_document(&self) -> Option<Uuid> {
        match self {
            Event::ShareCreated { document_id, .. }
            | Event::ShareRevoked { document_id }
            | Event::ShareDownloaded { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }

    /// Reads a stored event, upcasting older schema versions.
    pub fn decode(
        event_type: &str,
        schema_version: i32,
        payload: &Value,
    ) -> Result<Self, DecodeError> {
        if !Self::TYPES.contains(&event_type) {
            return Err(DecodeError::UnknownType(event_type.to_owned()));
        }
        if schema_version > SCHEMA_VERSION {
            return Err(DecodeError::FutureSchema {
                event_type: event_type.to_owned(),
                version: schema_version,
            });
        }
        let tagged = crate::tagged::Tagged {
            event_type,
            payload,
        };
        Event::deserialize(tagged).map_err(|source| DecodeError::BadPayload {
            event_type: event_type.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payload_round_trips_through_decode() {
        let event = Event::MemberRoleChanged {
            user_id: UserId::parse("bob").unwrap(),
            from: Role::Viewer,
            to: Role::Editor,
        };
        let payload = event.payload();
        assert_eq!(payload["to"], "editor");
        let back = Event::decode(event.event_type(), SCHEMA_VERSION, &payload).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn decode_rejects_unknown_future_and_malformed() {
        let payload = json!({"user_id": "bob", "role": "viewer"});
        assert!(matches!(
            Event::decode("Nope", 1, &payload),
            Err(DecodeError::UnknownType(_))
        ));
        assert!(matches!(
            Event::decode("MemberAdded", SCHEMA_VERSION + 1, &payload),
            Err(DecodeError::FutureSchema { .. })
        ));
        assert!(matches!(
            Event::decode("MemberAdded", 1, &json!({"user_id": "bob", "role": "god"})),
            Err(DecodeError::BadPayload { .. })
        ));
    }
}
