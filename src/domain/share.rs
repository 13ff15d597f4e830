//! The share-link aggregate: one stream per link. It counts downloads
//! under the stream's optimistic concurrency, so `max_downloads` holds
//! exactly however many requests race. The clock is passed in.
use stockage_events::Event;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Aggregate, DomainError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Share {
    pub document_id: Option<Uuid>,
    pub revision: Option<u32>,
    pub expires_at: Option<OffsetDateTime>,
    pub max_downloads: Option<u32>,
    pub downloads: u32,
    pub revoked: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShareCommand {
    Create {
        document_id: Uuid,
        revision: Option<u32>,
        expires_at: OffsetDateTime,
        max_downloads: Option<u32>,
        password_required: bool,
    },
    Revoke,
    /// One download of `revision`, at `now`, by a (truncated) address.
    Download {
        revision: u32,
        client: String,
        now: OffsetDateTime,
    },
}

/// Unknown, revoked and expired links are all just "not found".
const GONE_LINK: &str = "this link does not exist, was revoked or has expired";

pub fn evolve(mut state: Share, event: &Event) -> Share {
    match event {
        Event::ShareCreated {
            document_id,
            revision,
            expires_at,
            max_downloads,
            ..
        } => {
            state.document_id = Some(*document_id);
            state.revision = *revision;
            state.expires_at = Some(*expires_at);
            state.max_downloads = *max_downloads;
        }
        Event::ShareRevoked { .. } => state.revoked = true,
        Event::ShareDownloaded { .. } => state.downloads += 1,
        _ => {}
    }
    state.version += 1;
    state
}

impl Share {
    /// Whether the link's own rules still let it serve at `now`.
    fn check_open(&self, now: OffsetDateTime) -> Result<Uuid, DomainError> {
        let gone = || DomainError::NotFound(GONE_LINK.into());
        let document = self.document_id.ok_or_else(gone)?;
        if self.revoked || self.expires_at.is_none_or(|at| now >= at) {
            return Err(gone());
        }
        Ok(document)
    }

    pub fn exhausted(&self) -> bool {
        self.max_downloads.is_some_and(|max| self.downloads >= max)
    }
}

pub fn decide(state: &Share, command: ShareCommand) -> Result<Vec<Event>, DomainError> {
    match command {
        ShareCommand::Create {
            document_id,
            revision,
            expires_at,
            max_downloads,
            password_required,
        } => {
            if state.version > 0 {
                return Err(DomainError::AlreadyExists("share already exists".into()));
            }
            Ok(vec![Event::ShareCreated {
                document_id,
                revision,
                expires_at,
                max_downloads,
                password_required,
            }])
        }
        ShareCommand::Revoke => {
            let document_id = state
                .document_id
                .ok_or_else(|| DomainError::NotFound("share not found".into()))?;
            if state.revoked {
                return Ok(vec![]);
            }
            Ok(vec![Event::ShareRevoked { document_id }])
        }
        ShareCommand::Download {
            revision,
            client,
            now,
        } => {
            let document_id = state.check_open(now)?;
            if state.exhausted() {
                return Err(DomainError::Exhausted(
                    "this link has reached its download limit".into(),
                ));
            }
            Ok(vec![Event::ShareDownloaded {
                document_id,
                revision,
                client,
            }])
        }
    }
}

impl Aggregate for Share {
    type Command = ShareCommand;
    type Error = DomainError;

    fn evolve(self, event: &Event) -> Self {
        evolve(self, event)
    }

    fn decide(&self, command: ShareCommand) -> Result<Vec<Event>, DomainError> {
        decide(self, command)
    }

    fn version(&self) -> i64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn created(max: Option<u32>) -> (Share, OffsetDateTime) {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(10_000);
        let events = decide(
            &Share::default(),
            ShareCommand::Create {
                document_id: Uuid::nil(),
                revision: None,
                expires_at: now + Duration::hours(1),
                max_downloads: max,
                password_required: false,
            },
        )
        .unwrap();
        (events.iter().fold(Share::default(), evolve), now)
    }

    fn download(state: &Share, now: OffsetDateTime) -> Result<Vec<Event>, DomainError> {
        let client = "127.0.0.0/24".to_owned();
        decide(
            state,
            ShareCommand::Download {
                revision: 1,
                client,
                now,
            },
        )
    }

    #[test]
    fn downloads_stop_at_the_limit() {
        let (mut share, now) = created(Some(2));
        for _ in 0..2 {
            let events = download(&share, now).unwrap();
            share = events.iter().fold(share, evolve);
        }
        assert_eq!(share.downloads, 2);
        assert!(matches!(
            download(&share, now),
            Err(DomainError::Exhausted(_))
        ));
    }

    #[test]
    fn expired_and_revoked_links_are_not_found() {
        let (share, now) = created(None);
        assert!(download(&share, now).is_ok());
        let later = now + Duration::hours(1);
        assert!(matches!(
            download(&share, later),
            Err(DomainError::NotFound(_))
        ));
        let revoked = decide(&share, ShareCommand::Revoke).unwrap();
        let share = revoked.iter().fold(share, evolve);
        assert!(matches!(
            download(&share, now),
            Err(DomainError::NotFound(_))
        ));
        assert_eq!(decide(&share, ShareCommand::Revoke).unwrap(), vec![]);
    }
}
