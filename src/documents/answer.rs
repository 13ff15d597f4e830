//! The answer to a metadata change, without reading the row again: the row
//! the gate read, with the command's own events applied, when the folded
//! aggregate (exactly at the version just written) agrees with it on every
//! field the two share. Another command that got in between the gate's read
//! and this one shows as a disagreement, and the caller reads the row.
use stockage_events::{Event, RecordedEvent};

use super::view::DocumentRow;
use crate::domain::document::Document;

/// `row` after `events`, if they are all metadata changes and the result
/// agrees with `state`, the aggregate right after them.
pub fn after_metadata(
    row: &DocumentRow,
    events: &[RecordedEvent],
    state: &Document,
) -> Option<DocumentRow> {
    let last = events.last()?;
    let mut row = row.clone();
    for recorded in events {
        let Ok(Event::DocumentMetadataChanged { title, tags }) = recorded.event() else {
            return None;
        };
        if let Some(title) = title {
            row.title = title;
        }
        if let Some(tags) = tags {
            row.tags = tags;
        }
    }
    row.updated_by = last.actor.clone();
    row.updated_at = last.recorded_at;
    agrees(&row, state).then_some(row)
}

/// Whether the row shows what the aggregate knows.
fn agrees(row: &DocumentRow, state: &Document) -> bool {
    let latest = state
        .revisions
        .get((state.revision as usize).wrapping_sub(1));
    let file = latest.is_some_and(|info| {
        info.filename == row.filename
            && info.content_type == row.content_type
            && i64::try_from(info.size).ok() == Some(row.size)
            && info.sha256.as_str() == row.sha256
    });
    let flow = &state.workflow;
    let workflow = &row.workflow;
    let lock = match &flow.lock {
        Some(lock) => {
            workflow.lock_holder.as_deref() == Some(lock.holder.as_str())
                && workflow.locked_at == Some(lock.locked_at)
                && workflow.lock_expires_at == Some(lock.expires_at)
                && workflow.lock_note == lock.note
        }
        None => workflow.lock_holder.is_none(),
    };
    let release = flow
        .release
        .as_ref()
        .map(|(letter, revision)| (letter.as_str(), i64::from(*revision)));
    let shown_release = workflow
        .release
        .as_deref()
        .zip(workflow.released_revision.map(i64::from));
    let acl = row.acl().is_ok_and(|entries| {
        let shown: std::collections::BTreeMap<_, _> = entries
            .into_iter()
            .map(|entry| (entry.principal, entry.permission))
            .collect();
        shown == state.acl
    });
    state.exists
        && !state.deleted
        && acl
        && row.deleted_at.is_none()
        && row.title == state.title
        && row.tags == state.tags
        && i64::from(row.revision) == i64::from(state.revision)
        && file
        && lock
        && workflow.state() == flow.state.as_str()
        && release == shown_release
}

#[cfg(test)]
mod tests {
    use stockage_events::{FileKind, GENESIS_HASH, LifecycleState, Sha256, UserId};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::domain::document::{Lock, evolve};
    use crate::locks::WorkflowRow;

    fn recorded(event: &Event, version: i64) -> RecordedEvent {
        RecordedEvent {
            position: version,
            event_id: Uuid::now_v7(),
            stream_id: Uuid::nil(),
            stream_version: version,
            project_id: Uuid::nil(),
            event_type: event.event_type().to_owned(),
            schema_version: 1,
            payload: event.payload(),
            actor: "bob".into(),
            correlation_id: Uuid::nil(),
            causation_id: None,
            recorded_at: OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1),
            prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
        }
    }

    fn added() -> Document {
        let sha256 = Sha256::parse(&"a".repeat(64)).unwrap();
        evolve(
            Document::default(),
            &Event::DocumentAdded {
                title: "Plan".into(),
                filename: "plan.pdf".into(),
                kind: FileKind::Pdf,
                content_type: "application/pdf".into(),
                size: 10,
                sha256,
                tags: vec![],
            },
        )
    }

    fn row() -> DocumentRow {
        DocumentRow {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            title: "Plan".into(),
            filename: "plan.pdf".into(),
            kind: "pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
            sha256: "a".repeat(64),
            revision: 1,
            tags: vec![],
            added_by: "ann".into(),
            updated_by: "ann".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            deleted_at: None,
            acl_principals: vec![],
            acl_permissions: vec![],
            workflow: WorkflowRow::default(),
        }
    }

    fn tags(tags: &[&str]) -> Event {
        Event::DocumentMetadataChanged {
            title: None,
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
        }
    }

    #[test]
    fn the_row_the_gate_read_with_the_change_applied() {
        let ours = tags(&["x"]);
        let state = evolve(added(), &ours);
        let answer = after_metadata(&row(), &[recorded(&ours, 2)], &state).unwrap();
        assert_eq!(answer.tags, ["x"]);
        assert_eq!(answer.title, "Plan");
        assert_eq!(answer.updated_by, "bob");
        assert_eq!(answer.updated_at.unix_timestamp(), 3_600);
    }

    #[test]
    fn a_change_that_got_in_between_makes_the_caller_read_again() {
        let ours = tags(&["x"]);
        let retitled = Event::DocumentMetadataChanged {
            title: Some("Other".into()),
            tags: None,
        };
        let state = evolve(evolve(added(), &retitled), &ours);
        assert!(after_metadata(&row(), &[recorded(&ours, 3)], &state).is_none());

        let mut locked = added();
        locked.workflow.lock = Some(Lock {
            holder: UserId::parse("ann").unwrap(),
            locked_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: OffsetDateTime::UNIX_EPOCH + time::Duration::hours(8),
            note: None,
        });
        let state = evolve(locked, &ours);
        assert!(after_metadata(&row(), &[recorded(&ours, 3)], &state).is_none());

        let mut released = added();
        released.workflow.state = LifecycleState::Released;
        let state = evolve(released, &ours);
        assert!(after_metadata(&row(), &[recorded(&ours, 3)], &state).is_none());

        let mut shared = added();
        let bob = stockage_events::Principal::parse("user:bob").unwrap();
        shared.acl.insert(bob, stockage_events::Permission::Read);
        let state = evolve(shared, &ours);
        assert!(after_metadata(&row(), &[recorded(&ours, 3)], &state).is_none());
    }

    #[test]
    fn only_metadata_changes_are_answered_this_way() {
        let deleted = Event::DocumentDeleted {};
        let state = evolve(added(), &deleted);
        assert!(after_metadata(&row(), &[recorded(&deleted, 2)], &state).is_none());
        assert!(after_metadata(&row(), &[], &added()).is_none());
    }
}
