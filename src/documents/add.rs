//! Adding a document whose file is already at its content address: the
//! one command path of every upload protocol (multipart and tus).
use stockage_events::{EventMeta, Permission};
use stockage_store::EventStore;
use uuid::Uuid;

use super::Membership;
use crate::domain::document::{Actor, Document, DocumentCommand, NewFile};
use crate::error::Error;

/// Records the new document `file` in the member's project; returns its id.
pub async fn add(
    store: &EventStore,
    membership: &Membership,
    file: NewFile,
    title: String,
    tags: Vec<String>,
    meta: EventMeta,
) -> Result<Uuid, Error> {
    let id = Uuid::now_v7();
    let command = DocumentCommand::Add { file, title, tags };
    // Adding needs write on the project, which the caller checked.
    let actor = Actor {
        user: meta.actor.clone(),
        permission: Permission::Write,
        now: crate::locks::now(),
    };
    // A fresh id: its stream is empty, so the empty state is its state at
    // version 0 (kept states may only be behind, never wrong): nothing to
    // read before deciding. Were the stream not empty after all, the
    // append's version check refuses it and the command is decided again.
    store.cache_state(id, Document::default());
    stockage_store::command::execute::<Document>(
        store,
        id,
        membership.project.id,
        (actor, command),
        meta,
    )
    .await?;
    Ok(id)
}
