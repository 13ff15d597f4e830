//! The lock and lifecycle commands, built from a request and run on the
//! document's stream through the access gate.
use stockage_events::{Event, EventMeta, LifecycleState, RecordedEvent};
use stockage_store::EventStore;
use time::Duration;

use super::view::LockView;
use crate::domain::document::{Document, DocumentCommand, StateChange};
use crate::error::Error;
use crate::permissions::gate::DocumentAccess;

/// Locks (201, `true`) or renews one's own lock (200, `false`).
pub async fn lock(
    store: &EventStore,
    access: &DocumentAccess,
    ttl: Duration,
    note: Option<String>,
    meta: EventMeta,
) -> Result<(LockView, bool), Error> {
    let recorded = access
        .execute(store, DocumentCommand::Lock { ttl, note }, meta)
        .await?;
    let locked = recorded.iter().find_map(|r| match r.event() {
        Ok(Event::DocumentLocked {
            locked_by,
            locked_at,
            expires_at,
            note,
            renewed,
        }) => Some((
            LockView {
                locked_by: locked_by.to_string(),
                locked_at,
                expires_at,
                note,
            },
            !renewed,
        )),
        _ => None,
    });
    locked.ok_or_else(|| Error::internal("a lock command appended no DocumentLocked event"))
}

/// Releases the caller's lock or, for a document admin, breaks another's.
pub async fn unlock(
    store: &EventStore,
    access: &DocumentAccess,
    reason: Option<String>,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, Error> {
    access
        .execute(store, DocumentCommand::Unlock { reason }, meta)
        .await
}

/// Moves the document to `to`. A release freezes the latest revision, so
/// the command names it and its uploader (four-eyes); the aggregate
/// refuses it if a newer revision got in first.
pub async fn change_state(
    store: &EventStore,
    access: &DocumentAccess,
    to: LifecycleState,
    comment: Option<String>,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, Error> {
    let state = stockage_store::command::load::<Document>(store, access.document.id).await?;
    let uploader: Option<String> = sqlx::query_scalar(
        "SELECT added_by FROM document_revisions WHERE document_id = $1 AND revision = $2",
    )
    .bind(access.document.id)
    .bind(state.revision as i32)
    .fetch_optional(store.pool())
    .await?;
    let uploader = uploader
        .map(|u| stockage_events::UserId::parse(&u).map_err(Error::internal))
        .transpose()?;
    let change = StateChange {
        to,
        comment,
        revision: state.revision,
        uploader,
    };
    access
        .execute(store, DocumentCommand::ChangeState(change), meta)
        .await
}
