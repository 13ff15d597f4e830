//! Purging: the bytes go, the events stay. What is always kept is decided
//! here, whatever rule asks: the latest, labelled and released revisions.
use stockage_events::{Event, PurgeRule};

use super::{Actor, Document, DomainError};

pub(super) fn revisions(
    state: &Document,
    mut wanted: Vec<u32>,
    rule: PurgeRule,
) -> Result<Vec<Event>, DomainError> {
    wanted.sort_unstable();
    wanted.dedup();
    let mut events = Vec::new();
    for n in wanted {
        let info = state.revision(n)?;
        if n == state.revision {
            return Err(DomainError::Conflict(format!(
                "revision {n} is the latest; it is never purged"
            )));
        }
        if let Some(label) = &info.label {
            return Err(DomainError::Conflict(format!(
                "revision {n} is labelled {label:?}; labelled revisions are never purged"
            )));
        }
        if info.released {
            return Err(DomainError::Conflict(format!(
                "revision {n} was released; released revisions are never purged"
            )));
        }
        if !info.purged {
            events.push(Event::RevisionPurged {
                revision: n,
                rule: rule.clone(),
            });
        }
    }
    Ok(events)
}

/// The whole document; a live one goes to the trash in the same append,
/// under the rules of a delete (not while someone else holds its lock,
/// not while it is released).
pub(super) fn document(
    state: &Document,
    actor: &Actor,
    rule: PurgeRule,
) -> Result<Vec<Event>, DomainError> {
    let mut events = Vec::new();
    if !state.deleted {
        state.workflow.guard_lock(actor)?;
        state.workflow.guard_frozen()?;
        events.push(Event::DocumentDeleted {});
    }
    events.push(Event::DocumentPurged { rule });
    Ok(events)
}

#[cfg(test)]
mod tests {
    use stockage_events::{Event, FileKind, PurgeRule, Sha256};

    use super::super::{Actor, Document, DocumentCommand, DomainError, NewFile, evolve};

    fn decide(doc: &Document, command: DocumentCommand) -> Result<Vec<Event>, DomainError> {
        let actor = Actor {
            user: stockage_events::UserId::parse("ann").unwrap(),
            permission: stockage_events::Permission::Admin,
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        super::super::decide(doc, &actor, command)
    }

    fn three_revisions() -> Document {
        let file = |n: u8| NewFile {
            filename: "a.stl".into(),
            kind: FileKind::Stl,
            size: 10,
            sha256: Sha256::from_digest([n; 32]),
        };
        let mut doc = Document::default();
        let add = DocumentCommand::Add {
            file: file(1),
            title: "A".into(),
            tags: vec![],
        };
        for command in [
            add,
            DocumentCommand::AddRevision {
                file: file(2),
                expected: None,
            },
            DocumentCommand::AddRevision {
                file: file(3),
                expected: None,
            },
        ] {
            doc = decide(&doc, command).unwrap().iter().fold(doc, evolve);
        }
        doc
    }

    fn purge(revisions: Vec<u32>) -> DocumentCommand {
        DocumentCommand::PurgeRevisions {
            revisions,
            rule: PurgeRule::Manual,
        }
    }

    #[test]
    fn never_the_latest_nor_a_labelled_revision_and_never_twice() {
        let doc = three_revisions();
        assert!(matches!(
            decide(&doc, purge(vec![1, 3])),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            decide(&doc, purge(vec![4])),
            Err(DomainError::NotFound(_))
        ));
        let labelled = decide(
            &doc,
            DocumentCommand::Label {
                revision: 2,
                label: Some("IFC".into()),
            },
        )
        .unwrap()
        .iter()
        .fold(doc.clone(), evolve);
        assert!(matches!(
            decide(&labelled, purge(vec![2])),
            Err(DomainError::Conflict(_))
        ));
        let events = decide(&doc, purge(vec![2, 1, 2])).unwrap();
        assert_eq!(
            events,
            vec![
                Event::RevisionPurged {
                    revision: 1,
                    rule: PurgeRule::Manual
                },
                Event::RevisionPurged {
                    revision: 2,
                    rule: PurgeRule::Manual
                },
            ]
        );
        let purged = events.iter().fold(doc, evolve);
        assert_eq!(decide(&purged, purge(vec![1, 2])), Ok(vec![]));
    }

    #[test]
    fn a_purged_document_is_frozen_and_purging_it_again_is_nothing() {
        let doc = three_revisions();
        let events = decide(
            &doc,
            DocumentCommand::Purge {
                rule: PurgeRule::Manual,
            },
        )
        .unwrap();
        assert_eq!(events.len(), 2, "deleted, then purged");
        let purged = events.iter().fold(doc, evolve);
        assert!(purged.revisions.iter().all(|r| r.purged));
        assert_eq!(
            decide(
                &purged,
                DocumentCommand::Purge {
                    rule: PurgeRule::Manual
                }
            ),
            Ok(vec![])
        );
        assert!(matches!(
            decide(&purged, DocumentCommand::Undelete),
            Err(DomainError::Gone(_))
        ));
        assert!(matches!(
            decide(&purged, DocumentCommand::Restore { from: 1 }),
            Err(DomainError::Gone(_))
        ));
    }
}
