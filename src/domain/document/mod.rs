//! The document aggregate (ProjectResource): its metadata, deletion,
//! check-out lock and lifecycle state. Whether the caller may touch the
//! document at all is decided before a command gets here; the lock and
//! lifecycle rules, which depend on this state, are decided here.
use std::collections::BTreeMap;

use stockage_events::{Event, FileKind, Permission, Principal, PurgeRule, Sha256, UserId};
use time::{Duration, OffsetDateTime};

use super::{AclEntry, Aggregate, DomainError};

mod evolve;
mod purge;
pub mod workflow;

pub use evolve::evolve;
pub use workflow::{Lock, StateChange, Workflow};

/// Who runs a command, with what permission on the document, and when
/// (the clock is read outside the aggregate).
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user: UserId,
    pub permission: Permission,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub exists: bool,
    pub deleted: bool,
    pub title: String,
    pub tags: Vec<String>,
    pub kind: Option<FileKind>,
    pub revision: u32,
    /// Revision n is `revisions[n - 1]`.
    pub revisions: Vec<RevisionInfo>,
    pub acl: BTreeMap<Principal, Permission>,
    pub workflow: Workflow,
    /// Set once the whole document is purged: nothing changes it any more.
    pub purged: Option<PurgeRule>,
    pub version: i64,
}

/// What a revision's content is.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionInfo {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: Sha256,
    pub label: Option<String>,
    /// A release froze it: kept whatever the retention rule.
    pub released: bool,
    /// Its bytes are gone for good; the revision stays in the history.
    pub purged: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFile {
    pub filename: String,
    pub kind: FileKind,
    pub size: u64,
    pub sha256: Sha256,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DocumentCommand {
    Add {
        file: NewFile,
        title: String,
        tags: Vec<String>,
    },
    ChangeMetadata {
        title: Option<String>,
        tags: Option<Vec<String>>,
    },
    /// New content; with `expected`, only if that is still the latest revision.
    AddRevision {
        file: NewFile,
        expected: Option<u32>,
    },
    /// A new revision with the content of revision `from`.
    Restore {
        from: u32,
    },
    Label {
        revision: u32,
        label: Option<String>,
    },
    Delete,
    Undelete,
    /// Makes the ACL exactly these entries (principals are distinct).
    ReplaceAcl(Vec<AclEntry>),
    /// Check out (or renew one's own check-out) for `ttl`.
    Lock {
        ttl: Duration,
        note: Option<String>,
    },
    /// Release one's lock, or break another's (document admins).
    Unlock {
        reason: Option<String>,
    },
    ChangeState(StateChange),
    /// Removes these revisions' bytes for good; never the latest, a
    /// labelled or a released one. Revisions purged already are left out.
    PurgeRevisions {
        revisions: Vec<u32>,
        rule: PurgeRule,
    },
    /// Removes the whole document for good (deleting it first if need be).
    Purge {
        rule: PurgeRule,
    },
}

impl Document {
    fn push(&mut self, filename: &str, content_type: &str, size: u64, sha256: &Sha256) {
        self.revisions.push(RevisionInfo {
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            size,
            sha256: sha256.clone(),
            label: None,
            released: false,
            purged: false,
        });
        self.revision = self.revisions.len() as u32;
    }

    fn revision(&self, n: u32) -> Result<&RevisionInfo, DomainError> {
        (n as usize)
            .checked_sub(1)
            .and_then(|i| self.revisions.get(i))
            .ok_or_else(|| {
                DomainError::NotFound(format!(
                    "revision {n} not found; the latest is {}",
                    self.revision
                ))
            })
    }
}

pub fn decide(
    state: &Document,
    actor: &Actor,
    command: DocumentCommand,
) -> Result<Vec<Event>, DomainError> {
    if !state.exists && !matches!(command, DocumentCommand::Add { .. }) {
        return Err(DomainError::NotFound("document not found".into()));
    }
    if let Some(rule) = &state.purged {
        return match command {
            DocumentCommand::Purge { .. } | DocumentCommand::PurgeRevisions { .. } => Ok(vec![]),
            _ => Err(DomainError::Gone(format!(
                "the document was purged ({rule}); only its history remains"
            ))),
        };
    }
    let flow = &state.workflow;
    match command {
        DocumentCommand::Add { file, title, tags } => {
            if state.exists {
                return Err(DomainError::AlreadyExists("document already exists".into()));
            }
            Ok(vec![Event::DocumentAdded {
                title,
                filename: file.filename,
                kind: file.kind,
                content_type: file.kind.content_type().to_owned(),
                size: file.size,
                sha256: file.sha256,
                tags,
            }])
        }
        DocumentCommand::ChangeMetadata { title, tags } => {
            if state.deleted {
                return Err(DomainError::Conflict(
                    "a deleted document cannot be changed; restore it first".into(),
                ));
            }
            flow.guard_lock(actor)?;
            flow.guard_frozen()?;
            let title = title.filter(|t| *t != state.title);
            let tags = tags.filter(|t| *t != state.tags);
            if title.is_none() && tags.is_none() {
                return Ok(vec![]);
            }
            Ok(vec![Event::DocumentMetadataChanged { title, tags }])
        }
        DocumentCommand::AddRevision { file, expected } => {
            live(state)?;
            flow.guard_lock(actor)?;
            flow.guard_frozen()?;
            if let Some(expected) = expected
                && expected != state.revision
            {
                return Err(DomainError::Stale {
                    expected,
                    current: state.revision,
                });
            }
            if Some(file.kind) != state.kind {
                return Err(DomainError::WrongType(format!(
                    "this document holds {} files; a new revision must be one too, not {}",
                    state.kind.map_or("other", FileKind::as_str),
                    file.kind
                )));
            }
            Ok(vec![Event::RevisionAdded {
                revision: state.revision + 1,
                filename: file.filename,
                kind: file.kind,
                content_type: file.kind.content_type().to_owned(),
                size: file.size,
                sha256: file.sha256,
            }])
        }
        DocumentCommand::Restore { from } => {
            live(state)?;
            flow.guard_lock(actor)?;
            flow.guard_frozen()?;
            let old = state.revision(from)?;
            Ok(vec![Event::RevisionRestored {
                revision: state.revision + 1,
                restored_from: from,
                filename: old.filename.clone(),
                content_type: old.content_type.clone(),
                size: old.size,
                sha256: old.sha256.clone(),
            }])
        }
        DocumentCommand::Label { revision, label } => {
            flow.guard_lock(actor)?;
            state.revision(revision)?;
            Ok(vec![Event::RevisionLabeled { revision, label }])
        }
        DocumentCommand::Delete if state.deleted => Ok(vec![]),
        DocumentCommand::Delete => {
            flow.guard_lock(actor)?;
            flow.guard_frozen()?;
            Ok(vec![Event::DocumentDeleted {}])
        }
        DocumentCommand::Undelete if !state.deleted => Ok(vec![]),
        DocumentCommand::Undelete => {
            flow.guard_lock(actor)?;
            Ok(vec![Event::DocumentUndeleted {}])
        }
        DocumentCommand::ReplaceAcl(entries) => Ok(replace_acl(&state.acl, entries)),
        DocumentCommand::Lock { ttl, note } => workflow::lock(state, actor, ttl, note),
        DocumentCommand::Unlock { reason } => workflow::unlock(state, actor, reason),
        DocumentCommand::ChangeState(change) => workflow::change_state(state, actor, change),
        DocumentCommand::PurgeRevisions { revisions, rule } => {
            purge::revisions(state, revisions, rule)
        }
        DocumentCommand::Purge { rule } => purge::document(state, actor, rule),
    }
}

impl Aggregate for Document {
    type Command = (Actor, DocumentCommand);
    type Error = DomainError;

    fn evolve(self, event: &Event) -> Self {
        evolve(self, event)
    }

    fn decide(
        &self,
        (actor, command): (Actor, DocumentCommand),
    ) -> Result<Vec<Event>, DomainError> {
        decide(self, &actor, command)
    }

    fn version(&self) -> i64 {
        self.version
    }
}

fn live(state: &Document) -> Result<(), DomainError> {
    if state.deleted {
        return Err(DomainError::Conflict(
            "the document is deleted; restore it before adding revisions".into(),
        ));
    }
    Ok(())
}

/// Revokes what the new ACL drops, grants what it adds or changes.
fn replace_acl(current: &BTreeMap<Principal, Permission>, entries: Vec<AclEntry>) -> Vec<Event> {
    let wanted: BTreeMap<Principal, Permission> = entries
        .into_iter()
        .map(|e| (e.principal, e.permission))
        .collect();
    let revoked = current
        .keys()
        .filter(|principal| !wanted.contains_key(*principal))
        .map(|principal| Event::AclEntryRevoked {
            principal: principal.clone(),
        });
    let granted = wanted
        .iter()
        .filter(|(principal, permission)| current.get(*principal) != Some(*permission))
        .map(|(principal, permission)| Event::AclEntryGranted {
            principal: principal.clone(),
            permission: *permission,
        });
    revoked.chain(granted).collect()
}

#[cfg(test)]
mod tests;
