use super::*;

fn added() -> Vec<Event> {
    let file = NewFile {
        filename: "a.pdf".into(),
        kind: FileKind::Pdf,
        size: 10,
        sha256: Sha256::from_digest([1; 32]),
    };
    decide(
        &Document::default(),
        &actor(),
        DocumentCommand::Add {
            file,
            title: "A".into(),
            tags: vec!["x".into()],
        },
    )
    .unwrap()
}

fn actor() -> Actor {
    Actor {
        user: stockage_events::UserId::parse("ann").unwrap(),
        permission: Permission::Write,
        now: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn state(events: &[Event]) -> Document {
    events.iter().fold(Document::default(), evolve)
}

#[test]
fn metadata_changes_carry_only_what_changed() {
    let doc = state(&added());
    let same = DocumentCommand::ChangeMetadata {
        title: Some("A".into()),
        tags: Some(vec!["x".into()]),
    };
    assert_eq!(decide(&doc, &actor(), same), Ok(vec![]));
    let retitle = DocumentCommand::ChangeMetadata {
        title: Some("B".into()),
        tags: Some(vec!["x".into()]),
    };
    assert_eq!(
        decide(&doc, &actor(), retitle),
        Ok(vec![Event::DocumentMetadataChanged {
            title: Some("B".into()),
            tags: None
        }])
    );
}

#[test]
fn replacing_the_acl_emits_only_the_differences() {
    let entry = |p: &str, permission| AclEntry {
        principal: Principal::parse(p).unwrap(),
        permission,
    };
    let mut history = added();
    let first = vec![
        entry("user:ann", Permission::Write),
        entry("role:viewer", Permission::None),
    ];
    history.extend(
        decide(
            &state(&history),
            &actor(),
            DocumentCommand::ReplaceAcl(first.clone()),
        )
        .unwrap(),
    );
    assert_eq!(state(&history).acl.len(), 2);
    assert_eq!(
        decide(
            &state(&history),
            &actor(),
            DocumentCommand::ReplaceAcl(first)
        ),
        Ok(vec![])
    );
    let second = vec![
        entry("user:ann", Permission::Read),
        entry("user:bob", Permission::Admin),
    ];
    let events = decide(
        &state(&history),
        &actor(),
        DocumentCommand::ReplaceAcl(second),
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            Event::AclEntryRevoked {
                principal: Principal::parse("role:viewer").unwrap()
            },
            Event::AclEntryGranted {
                principal: Principal::parse("user:ann").unwrap(),
                permission: Permission::Read
            },
            Event::AclEntryGranted {
                principal: Principal::parse("user:bob").unwrap(),
                permission: Permission::Admin
            },
        ]
    );
}

#[test]
fn revisions_are_sequential_conditional_and_keep_their_type() {
    let file = |byte: u8, kind| NewFile {
        filename: format!("f.{kind}"),
        kind,
        size: 5,
        sha256: Sha256::from_digest([byte; 32]),
    };
    let mut history = added();
    let add = |expected| DocumentCommand::AddRevision {
        file: file(2, FileKind::Pdf),
        expected,
    };
    history.extend(decide(&state(&history), &actor(), add(Some(1))).unwrap());
    assert_eq!(state(&history).revision, 2);
    assert_eq!(
        decide(&state(&history), &actor(), add(Some(1))),
        Err(DomainError::Stale {
            expected: 1,
            current: 2
        })
    );
    let png = DocumentCommand::AddRevision {
        file: file(3, FileKind::Png),
        expected: None,
    };
    assert!(matches!(
        decide(&state(&history), &actor(), png),
        Err(DomainError::WrongType(_))
    ));

    let restored = decide(
        &state(&history),
        &actor(),
        DocumentCommand::Restore { from: 1 },
    )
    .unwrap();
    assert!(matches!(
        &restored[..],
        [Event::RevisionRestored { revision: 3, restored_from: 1, sha256, .. }] if *sha256 == Sha256::from_digest([1; 32])
    ));
    for missing in [0, 3] {
        assert!(matches!(
            decide(
                &state(&history),
                &actor(),
                DocumentCommand::Restore { from: missing }
            ),
            Err(DomainError::NotFound(_))
        ));
    }
}

#[test]
fn delete_and_undelete_are_idempotent_and_deleted_documents_are_frozen() {
    let mut history = added();
    history.extend(decide(&state(&history), &actor(), DocumentCommand::Delete).unwrap());
    let deleted = state(&history);
    assert!(deleted.deleted);
    assert_eq!(
        decide(&deleted, &actor(), DocumentCommand::Delete),
        Ok(vec![])
    );
    let change = DocumentCommand::ChangeMetadata {
        title: Some("C".into()),
        tags: None,
    };
    assert!(matches!(
        decide(&deleted, &actor(), change),
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(
        decide(&deleted, &actor(), DocumentCommand::Undelete),
        Ok(vec![Event::DocumentUndeleted {}])
    );
    assert!(matches!(
        decide(&Document::default(), &actor(), DocumentCommand::Delete),
        Err(DomainError::NotFound(_))
    ));
}
