//! What one subscriber may see, kept current from the stream itself: the
//! state is loaded once as of a log position, and every later membership
//! or ACL event is applied before the event is judged, so a change that
//! hides a document hides its very next event.
use std::collections::HashMap;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use stockage_events::{Event, Permission, Principal, Role, UserId};
use uuid::Uuid;

use super::{EventItem, LiveEvent};
use crate::permissions::{AclEntry, effective};

#[derive(Debug, Clone)]
pub struct Viewer {
    user: UserId,
    role: Option<Role>,
    /// Per document, the ACL entries that can concern this user (theirs
    /// and every role's).
    acl: HashMap<Uuid, Vec<AclEntry>>,
    /// The log position the loaded state reflects.
    as_of: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored {0} is not valid")]
    Corrupt(String),
}

/// A database out of reach is an outage (503), like any query's.
impl From<ViewerError> for crate::error::Error {
    fn from(error: ViewerError) -> Self {
        match error {
            ViewerError::Database(error) => error.into(),
            corrupt @ ViewerError::Corrupt(_) => crate::error::Error::internal(corrupt),
        }
    }
}

/// A read-only REPEATABLE READ transaction: the viewer, the log head and
/// any log page read in it all describe the same moment.
pub async fn snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

impl Viewer {
    /// Loads the user's role and the project's ACL entries as of the
    /// connection's snapshot; run it in a [`snapshot`] so the head read here
    /// matches the state.
    pub async fn load(
        conn: &mut PgConnection,
        project_id: Uuid,
        user: &UserId,
    ) -> Result<Self, ViewerError> {
        let as_of = stockage_store::log::head(&mut *conn).await?;
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM project_team WHERE project_id = $1 AND user_id = $2",
        )
        .bind(project_id)
        .bind(user.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let role = role
            .map(|r| Role::parse(&r).map_err(|_| ViewerError::Corrupt(format!("role {r:?}"))))
            .transpose()?;
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT document_id, principal, permission FROM document_acl
             WHERE project_id = $1 AND (principal = 'user:' || $2 OR principal LIKE 'role:%')",
        )
        .bind(project_id)
        .bind(user.as_str())
        .fetch_all(&mut *conn)
        .await?;
        let mut acl: HashMap<Uuid, Vec<AclEntry>> = HashMap::new();
        for (document, principal, permission) in rows {
            let entry = AclEntry {
                principal: Principal::parse(&principal)
                    .map_err(|_| ViewerError::Corrupt(format!("principal {principal:?}")))?,
                permission: Permission::parse(&permission)
                    .map_err(|_| ViewerError::Corrupt(format!("permission {permission:?}")))?,
            };
            acl.entry(document).or_default().push(entry);
        }
        Ok(Self {
            user: user.clone(),
            role,
            acl,
            as_of,
        })
    }

    pub fn new(user: UserId, role: Option<Role>, as_of: i64) -> Self {
        Self {
            user,
            role,
            acl: HashMap::new(),
            as_of,
        }
    }

    pub fn is_member(&self) -> bool {
        self.role.is_some()
    }

    pub fn as_of(&self) -> i64 {
        self.as_of
    }

    /// Applies the event to the state if it is newer than the state, and
    /// says whether this user may see it. An ACL change is seen by whoever
    /// could read the document before or after it; a membership change by
    /// whoever is a member before or after it.
    pub fn admit(&mut self, live: &LiveEvent) -> bool {
        let fresh = live.position > self.as_of;
        if fresh {
            self.as_of = live.position;
        }
        let document = live.document_id();
        let was = match document {
            Some(id) => self.may_read(id),
            None => self.is_member(),
        };
        if fresh {
            self.apply(document, &live.event);
        }
        let now = match document {
            Some(id) => self.may_read(id),
            None => self.is_member(),
        };
        match live.event {
            Event::AclEntryGranted { .. }
            | Event::AclEntryRevoked { .. }
            | Event::MemberRemoved { .. } => was || now,
            _ => now,
        }
    }

    /// The item and frame this user is shown of an admitted event: an ACL
    /// change in full only to the document's admins, or when the entry is
    /// the user's own; otherwise without its entry.
    pub fn shown<'a>(&self, live: &'a LiveEvent) -> (&'a EventItem, &'a str) {
        let full = (&live.item, live.frame.as_str());
        let Some(redacted) = &live.redacted else {
            return full;
        };
        let own = match &live.event {
            Event::AclEntryGranted { principal, .. } | Event::AclEntryRevoked { principal } => {
                matches!(principal, Principal::User(user) if user == &self.user)
            }
            _ => false,
        };
        let admin = live.document_id().is_some_and(|id| {
            let acl = self.acl.get(&id).map_or(&[][..], Vec::as_slice);
            effective(&self.user, self.role, acl).0 >= Permission::Admin
        });
        if own || admin {
            full
        } else {
            (&redacted.item, redacted.frame.as_str())
        }
    }

    fn may_read(&self, document: Uuid) -> bool {
        let acl = self.acl.get(&document).map_or(&[][..], Vec::as_slice);
        effective(&self.user, self.role, acl).0 >= Permission::Read
    }

    fn concerns(&self, principal: &Principal) -> bool {
        match principal {
            Principal::User(user) => user == &self.user,
            Principal::Role(_) => true,
        }
    }

    fn apply(&mut self, document: Option<Uuid>, event: &Event) {
        match (event, document) {
            (Event::MemberAdded { user_id, role }, _) if user_id == &self.user => {
                self.role = Some(*role)
            }
            (Event::MemberRoleChanged { user_id, to, .. }, _) if user_id == &self.user => {
                self.role = Some(*to)
            }
            (Event::MemberRemoved { user_id, .. }, _) if user_id == &self.user => self.role = None,
            (
                Event::AclEntryGranted {
                    principal,
                    permission,
                },
                Some(id),
            ) if self.concerns(principal) => {
                let entries = self.acl.entry(id).or_default();
                entries.retain(|e| &e.principal != principal);
                entries.push(AclEntry {
                    principal: principal.clone(),
                    permission: *permission,
                });
            }
            (Event::AclEntryRevoked { principal }, Some(id)) => {
                if let Some(entries) = self.acl.get_mut(&id) {
                    entries.retain(|e| &e.principal != principal);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stockage_events::RecordedEvent;

    use super::*;

    fn live(position: i64, document: Uuid, event: Event) -> LiveEvent {
        let event_type = event.event_type();
        let payload = event.payload();
        let recorded = RecordedEvent {
            position,
            event_id: Uuid::new_v4(),
            stream_id: document,
            stream_version: position,
            project_id: Uuid::nil(),
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            actor: "olga".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            recorded_at: time::OffsetDateTime::UNIX_EPOCH,
            prev_hash: [0; 32],
            hash: [0; 32],
        };
        LiveEvent::from_recorded(&recorded).unwrap()
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn labeled(position: i64, document: Uuid) -> LiveEvent {
        live(
            position,
            document,
            Event::decode("RevisionLabeled", 1, &json!({"revision": 1})).unwrap(),
        )
    }

    #[test]
    fn a_deny_hides_the_next_event_and_the_grant_shows_both_ways() {
        let doc = Uuid::new_v4();
        let mut bob = Viewer::new(user("bob"), Some(Role::Editor), 0);
        assert!(bob.admit(&labeled(1, doc)));
        let deny = Event::AclEntryGranted {
            principal: Principal::User(user("bob")),
            permission: Permission::None,
        };
        assert!(
            bob.admit(&live(2, doc, deny.clone())),
            "bob saw the doc before"
        );
        assert!(!bob.admit(&labeled(3, doc)));
        let revoke = Event::AclEntryRevoked {
            principal: Principal::User(user("bob")),
        };
        assert!(bob.admit(&live(4, doc, revoke)), "bob sees it after");
        assert!(bob.admit(&labeled(5, doc)));
        // Another user's deny is not bob's business once it changes nothing for him.
        let mut carol = Viewer::new(user("carol"), Some(Role::Viewer), 5);
        assert!(carol.admit(&live(6, doc, deny)));
    }

    #[test]
    fn state_older_than_the_snapshot_is_not_applied_twice() {
        let doc = Uuid::new_v4();
        let mut bob = Viewer::new(user("bob"), Some(Role::Viewer), 10);
        let deny = Event::AclEntryGranted {
            principal: Principal::Role(Role::Viewer),
            permission: Permission::None,
        };
        // Position 3 is already reflected in the loaded state (no entry).
        bob.admit(&live(3, doc, deny));
        assert!(bob.admit(&labeled(4, doc)));
    }

    #[test]
    fn a_removed_member_sees_their_removal_and_nothing_after() {
        let doc = Uuid::new_v4();
        let project = Uuid::new_v4();
        let mut bob = Viewer::new(user("bob"), Some(Role::Editor), 0);
        let removed = Event::MemberRemoved {
            user_id: user("bob"),
            role: Role::Editor,
        };
        assert!(bob.admit(&live(1, project, removed)));
        assert!(!bob.is_member());
        assert!(!bob.admit(&labeled(2, doc)));
    }
}
