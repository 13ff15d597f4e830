use stockage_events::{FileKind, LifecycleState::*, Sha256};
use time::macros::datetime;

use super::*;
use crate::domain::document::{DocumentCommand, NewFile, decide, evolve};

const T0: OffsetDateTime = datetime!(2026-12-01 08:00 UTC);

fn who(name: &str, permission: Permission, now: OffsetDateTime) -> Actor {
    Actor {
        user: UserId::parse(name).unwrap(),
        permission,
        now,
    }
}

fn ann() -> Actor {
    who("ann", Permission::Write, T0)
}
fn bob() -> Actor {
    who("bob", Permission::Write, T0)
}
fn olga() -> Actor {
    who("olga", Permission::Admin, T0)
}

fn file() -> NewFile {
    NewFile {
        filename: "a.pdf".into(),
        kind: FileKind::Pdf,
        size: 3,
        sha256: Sha256::from_digest([7; 32]),
    }
}

struct Doc(Document);

impl Doc {
    fn new() -> Self {
        let mut doc = Doc(Document::default());
        let add = DocumentCommand::Add {
            file: file(),
            title: "Plan".into(),
            tags: vec![],
        };
        doc.run(&ann(), add).unwrap();
        doc
    }

    fn run(&mut self, actor: &Actor, command: DocumentCommand) -> Result<Vec<Event>, DomainError> {
        let events = decide(&self.0, actor, command)?;
        for event in &events {
            self.0 = evolve(std::mem::take(&mut self.0), event);
        }
        Ok(events)
    }

    fn to(
        &mut self,
        actor: &Actor,
        to: LifecycleState,
        uploader: &str,
    ) -> Result<Vec<Event>, DomainError> {
        let change = StateChange {
            to,
            comment: None,
            revision: self.0.revision,
            uploader: Some(UserId::parse(uploader).unwrap()),
        };
        self.run(actor, DocumentCommand::ChangeState(change))
    }
}

fn lock_cmd(hours: i64) -> DocumentCommand {
    DocumentCommand::Lock {
        ttl: Duration::hours(hours),
        note: Some("redraw".into()),
    }
}

fn changes() -> Vec<DocumentCommand> {
    vec![
        DocumentCommand::AddRevision {
            file: file(),
            expected: None,
        },
        DocumentCommand::ChangeMetadata {
            title: Some("New".into()),
            tags: None,
        },
        DocumentCommand::Restore { from: 1 },
        DocumentCommand::Delete,
    ]
}

#[test]
fn letters_run_a_to_z_then_aa() {
    let got: Vec<String> = [1, 2, 26, 27, 28, 52, 53, 702, 703].map(letter).into();
    assert_eq!(got, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
}

#[test]
fn a_lock_refuses_every_change_by_others_until_it_ends() {
    let mut doc = Doc::new();
    doc.run(&ann(), lock_cmd(8)).unwrap();
    for command in changes() {
        let refused = doc.run(&bob(), command.clone());
        assert_eq!(
            refused,
            Err(DomainError::Locked {
                holder: ann().user,
                expires_at: T0 + Duration::hours(8)
            }),
            "{command:?}"
        );
        // An admin is refused too: they must break the lock first.
        assert!(matches!(
            doc.run(&olga(), command),
            Err(DomainError::Locked { .. })
        ));
    }
    assert!(matches!(
        doc.to(&bob(), InReview, "ann"),
        Err(DomainError::Locked { .. })
    ));
    // The holder may change it.
    assert!(doc.run(&ann(), changes()[0].clone()).is_ok());
    // Once expired, the lock counts as released, with no event.
    let later = who("bob", Permission::Write, T0 + Duration::hours(8));
    for command in changes() {
        assert!(doc.run(&later, command.clone()).is_ok(), "{command:?}");
    }
}

#[test]
fn a_second_locker_is_refused_and_the_holder_renews() {
    let mut doc = Doc::new();
    let first = doc.run(&ann(), lock_cmd(8)).unwrap();
    assert!(matches!(
        &first[..],
        [Event::DocumentLocked { renewed: false, .. }]
    ));
    assert_eq!(
        doc.run(&bob(), lock_cmd(1)),
        Err(DomainError::AlreadyLocked {
            holder: ann().user,
            expires_at: T0 + Duration::hours(8)
        })
    );
    let hour_later = who("ann", Permission::Write, T0 + Duration::hours(1));
    let renewed = doc.run(&hour_later, lock_cmd(24)).unwrap();
    assert!(matches!(
        &renewed[..],
        [Event::DocumentLocked { renewed: true, locked_at, expires_at, .. }]
            if *locked_at == T0 && *expires_at == T0 + Duration::hours(25)
    ));
    // Someone else may take an expired lock.
    let after = who("bob", Permission::Write, T0 + Duration::hours(25));
    assert!(doc.run(&after, lock_cmd(1)).is_ok());
}

#[test]
fn the_holder_releases_an_admin_breaks_others_are_forbidden() {
    let mut doc = Doc::new();
    doc.run(&ann(), lock_cmd(8)).unwrap();
    let unlock = || DocumentCommand::Unlock {
        reason: Some("on leave".into()),
    };
    assert!(matches!(
        doc.run(&bob(), unlock()),
        Err(DomainError::Forbidden(_))
    ));
    let broken = doc.run(&olga(), unlock()).unwrap();
    assert_eq!(
        broken,
        [Event::DocumentUnlocked {
            locked_by: ann().user,
            broken_by: Some(olga().user),
            reason: Some("on leave".into())
        }]
    );
    assert_eq!(
        doc.run(&bob(), unlock()),
        Ok(vec![]),
        "nothing left to unlock"
    );
    doc.run(&ann(), lock_cmd(8)).unwrap();
    let released = doc
        .run(&ann(), DocumentCommand::Unlock { reason: None })
        .unwrap();
    assert!(matches!(
        &released[..],
        [Event::DocumentUnlocked {
            broken_by: None,
            ..
        }]
    ));
    assert!(doc.run(&bob(), changes()[1].clone()).is_ok());
}

#[test]
fn every_transition_is_allowed_or_refused_by_the_rules() {
    let states = LifecycleState::ALL;
    for from in states {
        for to in states {
            for actor in [bob(), olga()] {
                let mut doc = Doc::new();
                // Walk to `from` as admins who did not upload.
                let path: &[LifecycleState] = match from {
                    Wip => &[],
                    InReview => &[InReview],
                    Released => &[InReview, Released],
                    Obsolete => &[InReview, Released, Obsolete],
                };
                for step in path {
                    doc.to(&olga(), *step, "ann").unwrap();
                }
                let result = doc.to(&actor, to, "ann");
                let admin = actor.permission == Permission::Admin;
                let expected_ok = match (from, to) {
                    (Wip, InReview) | (InReview, Wip) | (Released, Wip) => true,
                    (InReview, Released) | (Released, Obsolete) | (Obsolete, Wip) => admin,
                    _ => false,
                };
                match result {
                    Ok(events) => {
                        assert!(expected_ok, "{from}→{to} by {} allowed", actor.user);
                        assert_eq!(doc.0.workflow.state, to);
                        assert!(matches!(&events[..], [Event::DocumentStateChanged { .. }]));
                    }
                    Err(DomainError::Forbidden(_)) => {
                        assert!(!expected_ok && !admin, "{from}→{to} by {}", actor.user)
                    }
                    Err(DomainError::Conflict(why)) => {
                        assert!(!expected_ok, "{from}→{to}: {why}");
                        assert!(why.contains("allowed:"), "{why}");
                    }
                    Err(other) => panic!("{from}→{to}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn four_eyes_letters_and_the_freeze() {
    let mut doc = Doc::new();
    doc.to(&ann(), InReview, "olga").unwrap();
    // olga uploaded the latest revision: she may not release it.
    assert!(
        matches!(doc.to(&olga(), Released, "olga"), Err(DomainError::Forbidden(why)) if why.contains("four-eyes"))
    );
    let first = doc.to(&olga(), Released, "ann").unwrap();
    assert!(
        matches!(&first[..], [Event::DocumentStateChanged { release: Some(l), released_revision: Some(1), .. }] if l == "A")
    );
    for command in changes() {
        assert!(
            matches!(doc.run(&ann(), command.clone()), Err(DomainError::Conflict(why)) if why.contains("revise it first")),
            "{command:?}"
        );
    }
    // Labels stay allowed on a released document.
    let label = DocumentCommand::Label {
        revision: 1,
        label: Some("Issued".into()),
    };
    assert!(doc.run(&ann(), label).is_ok());
    // Revise: wip again, a new revision, review, release B.
    doc.to(&ann(), Wip, "ann").unwrap();
    doc.run(&ann(), changes()[0].clone()).unwrap();
    doc.to(&ann(), InReview, "ann").unwrap();
    let second = doc.to(&olga(), Released, "ann").unwrap();
    assert!(
        matches!(&second[..], [Event::DocumentStateChanged { release: Some(l), released_revision: Some(2), .. }] if l == "B")
    );
    assert_eq!(doc.0.workflow.release, Some(("B".into(), 2)));
    doc.to(&olga(), Obsolete, "ann").unwrap();
    assert!(matches!(
        doc.run(&ann(), DocumentCommand::Delete),
        Err(DomainError::Conflict(_))
    ));
}

#[test]
fn a_release_of_a_revision_that_is_no_longer_the_latest_is_refused() {
    let mut doc = Doc::new();
    doc.to(&ann(), InReview, "ann").unwrap();
    let stale = StateChange {
        to: Released,
        comment: None,
        revision: 1,
        uploader: None,
    };
    doc.run(&ann(), changes()[0].clone()).unwrap();
    assert!(matches!(
        doc.run(&olga(), DocumentCommand::ChangeState(stale)),
        Err(DomainError::Stale {
            expected: 1,
            current: 2
        })
    ));
}
