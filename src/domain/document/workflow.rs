//! Check-out locks and the release lifecycle of a document, decided from
//! its folded state and the caller. Expiry is decided here, against the
//! `now` the command carries: an expired lock counts as released without
//! any event (no sweeper that could be late).
use stockage_events::{Event, LifecycleState, Permission, UserId};
use time::{Duration, OffsetDateTime};

use super::{Actor, Document};
use crate::domain::DomainError;

/// A check-out as the aggregate keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    pub holder: UserId,
    pub locked_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub note: Option<String>,
}

impl Lock {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.expires_at > now
    }
}

/// The lifecycle part of a document's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub lock: Option<Lock>,
    pub state: LifecycleState,
    /// Releases so far: the next one gets letter `releases + 1`.
    pub releases: u32,
    /// The letter and revision of the latest release, kept after a revise.
    pub release: Option<(String, u32)>,
}

impl Default for Workflow {
    fn default() -> Self {
        Self {
            lock: None,
            state: LifecycleState::Wip,
            releases: 0,
            release: None,
        }
    }
}

/// Release letters: A … Z, then AA, AB … (bijective base 26).
pub fn letter(mut n: u32) -> String {
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// What a lifecycle transition needs of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Write,
    Admin,
    /// Admin, and not the uploader of the revision being released.
    AdminNotUploader,
}

fn transition(from: LifecycleState, to: LifecycleState) -> Option<Needs> {
    use LifecycleState::*;
    match (from, to) {
        (Wip, InReview) | (InReview, Wip) | (Released, Wip) => Some(Needs::Write),
        (InReview, Released) => Some(Needs::AdminNotUploader),
        (Released, Obsolete) | (Obsolete, Wip) => Some(Needs::Admin),
        _ => None,
    }
}

/// The states a document in `from` may move to.
pub fn allowed_from(from: LifecycleState) -> Vec<LifecycleState> {
    LifecycleState::ALL
        .into_iter()
        .filter(|to| transition(from, *to).is_some())
        .collect()
}

impl Workflow {
    pub fn evolve(&mut self, event: &Event) {
        match event {
            Event::DocumentLocked {
                locked_by,
                locked_at,
                expires_at,
                note,
                ..
            } => {
                self.lock = Some(Lock {
                    holder: locked_by.clone(),
                    locked_at: *locked_at,
                    expires_at: *expires_at,
                    note: note.clone(),
                })
            }
            Event::DocumentUnlocked { .. } => self.lock = None,
            Event::DocumentStateChanged {
                to,
                release,
                released_revision,
                ..
            } => {
                self.state = *to;
                if let (Some(letter), Some(revision)) = (release, released_revision) {
                    self.releases += 1;
                    self.release = Some((letter.clone(), *revision));
                }
            }
            _ => {}
        }
    }

    /// The lock that holds now, if any.
    pub fn live_lock(&self, now: OffsetDateTime) -> Option<&Lock> {
        self.lock.as_ref().filter(|lock| lock.is_live(now))
    }

    /// Refuses a change by `actor` while someone else holds the lock.
    pub fn guard_lock(&self, actor: &Actor) -> Result<(), DomainError> {
        match self.live_lock(actor.now) {
            Some(lock) if lock.holder != actor.user => Err(DomainError::Locked {
                holder: lock.holder.clone(),
                expires_at: lock.expires_at,
            }),
            _ => Ok(()),
        }
    }

    /// Refuses content, metadata, restore and delete on a frozen document.
    pub fn guard_frozen(&self) -> Result<(), DomainError> {
        if self.state.is_frozen() {
            return Err(DomainError::Conflict(format!(
                "the document is {}; revise it first (state → wip)",
                self.state
            )));
        }
        Ok(())
    }
}

pub fn lock(
    doc: &Document,
    actor: &Actor,
    ttl: Duration,
    note: Option<String>,
) -> Result<Vec<Event>, DomainError> {
    if doc.deleted {
        return Err(DomainError::Conflict(
            "a deleted document cannot be locked; restore it first".into(),
        ));
    }
    let now = actor.now;
    let (locked_at, renewed) = match doc.workflow.live_lock(now) {
        Some(lock) if lock.holder != actor.user => {
            return Err(DomainError::AlreadyLocked {
                holder: lock.holder.clone(),
                expires_at: lock.expires_at,
            });
        }
        Some(lock) => (lock.locked_at, true),
        None => (now, false),
    };
    Ok(vec![Event::DocumentLocked {
        locked_by: actor.user.clone(),
        locked_at,
        expires_at: now + ttl,
        note,
        renewed,
    }])
}

/// The holder releases; a document admin breaks another's lock. No lock
/// (or an expired one) leaves nothing to do.
pub fn unlock(
    doc: &Document,
    actor: &Actor,
    reason: Option<String>,
) -> Result<Vec<Event>, DomainError> {
    let Some(lock) = doc.workflow.live_lock(actor.now) else {
        return Ok(vec![]);
    };
    if lock.holder == actor.user {
        return Ok(vec![Event::DocumentUnlocked {
            locked_by: lock.holder.clone(),
            broken_by: None,
            reason,
        }]);
    }
    if actor.permission < Permission::Admin {
        return Err(DomainError::Forbidden(format!(
            "the document is locked by {}; only they or a document admin may unlock it",
            lock.holder
        )));
    }
    Ok(vec![Event::DocumentUnlocked {
        locked_by: lock.holder.clone(),
        broken_by: Some(actor.user.clone()),
        reason,
    }])
}

/// A lifecycle transition. `uploader` is who added the latest revision
/// (`revision`), which a release freezes: they may not release it.
pub fn change_state(
    doc: &Document,
    actor: &Actor,
    change: StateChange,
) -> Result<Vec<Event>, DomainError> {
    if doc.deleted {
        return Err(DomainError::Conflict(
            "a deleted document has no lifecycle; restore it first".into(),
        ));
    }
    doc.workflow.guard_lock(actor)?;
    let from = doc.workflow.state;
    let Some(needs) = transition(from, change.to) else {
        let allowed: Vec<&str> = allowed_from(from).iter().map(|s| s.as_str()).collect();
        return Err(DomainError::Conflict(format!(
            "a {from} document cannot move to {}; allowed: {}",
            change.to,
            allowed.join(", ")
        )));
    };
    if needs != Needs::Write && actor.permission < Permission::Admin {
        return Err(DomainError::Forbidden(format!(
            "{from} → {} needs admin permission on the document; you have {}",
            change.to, actor.permission
        )));
    }
    let mut release = None;
    if needs == Needs::AdminNotUploader {
        if change.revision != doc.revision {
            return Err(DomainError::Stale {
                expected: change.revision,
                current: doc.revision,
            });
        }
        if change.uploader.as_ref() == Some(&actor.user) {
            return Err(DomainError::Forbidden(format!(
                "four-eyes rule: you uploaded revision {}, so someone else must release it",
                doc.revision
            )));
        }
        release = Some((letter(doc.workflow.releases + 1), doc.revision));
    }
    Ok(vec![Event::DocumentStateChanged {
        from,
        to: change.to,
        comment: change.comment,
        release: release.as_ref().map(|(l, _)| l.clone()),
        released_revision: release.map(|(_, r)| r),
    }])
}

/// A requested lifecycle transition.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    pub to: LifecycleState,
    pub comment: Option<String>,
    /// The latest revision as the caller saw it, and who uploaded it.
    pub revision: u32,
    pub uploader: Option<UserId>,
}

#[cfg(test)]
mod tests;
