//! Check-out locks and the release lifecycle (issue 16). The rules are the
//! document aggregate's (`domain::document::workflow`), so a lock and the
//! change it guards are decided on the same stream version: two racing
//! lock requests give exactly one lock. This folder builds those commands
//! and answers the one question every other change path asks first:
//! [`may_change`].
mod commands;
mod input;
mod view;

use stockage_events::UserId;
use stockage_store::EventStore;
use time::OffsetDateTime;

pub use commands::{change_state, lock, unlock};
pub use input::{parse_comment, parse_note, parse_ttl};
pub use view::{LockView, WorkflowRow};

use crate::domain::document::Document;
use crate::error::Error;
use crate::permissions::gate::DocumentAccess;

/// The clock of lock decisions: whole seconds, UTC.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// May `user` change this document now (new content, restore, metadata,
/// delete)? 423 while someone else holds a live lock (naming them and the
/// expiry), 409 while it is released or obsolete ("revise it first").
///
/// Upload paths call it before they take the bytes (tus at creation and on
/// completion, multipart `PUT content`), so nobody streams 150 MB only to
/// be refused. The command that records the change decides again on the
/// stream version it appends at, so a lock taken in between still wins.
pub async fn may_change(
    store: &EventStore,
    access: &DocumentAccess,
    user: &UserId,
) -> Result<(), Error> {
    let state = stockage_store::command::load::<Document>(store, access.document.id).await?;
    let actor = access.actor(user);
    state.workflow.guard_lock(&actor)?;
    state.workflow.guard_frozen()?;
    Ok(())
}
