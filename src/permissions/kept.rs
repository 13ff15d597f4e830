//! Commands decided on what this node kept of the gate's answer (issue 23).
//!
//! After a command whose row it could fold (a metadata change, see
//! [`answer::after_metadata`]), the node keeps the gate's answer for that
//! caller and document, with the two versions it holds at: the document
//! stream's, and the project stream's the membership was read at. The
//! caller's next command on that document is decided on it without reading
//! the tables, and its events are appended only if both streams are still at
//! those versions: the insert's own statement checks them
//! ([`command::run_guarded`]). If either moved (another command, an ACL,
//! lock or membership change, on any node), nothing is appended and the
//! command goes through the gate that reads the tables, as a first command
//! does. So a command is never appended on a permission that no longer
//! holds, and the answer is the row the tables would show.
//!
//! One thing is not in the log and so not checked: the indexing state
//! shown with the document. It is kept only once settled (not pending),
//! and a whole-index rebuild that sets it back to pending shows in these
//! answers after the next command that reads the tables.
use std::collections::HashMap;
use std::sync::Mutex;

use stockage_events::{EventMeta, UserId};
use stockage_store::EventStore;
use stockage_store::command::{self, Executed};
use uuid::Uuid;

use super::gate::{self, DocumentAccess, Need};
use crate::documents::answer;
use crate::documents::view::DocumentRow;
use crate::domain::document::{Document, DocumentCommand};
use crate::error::Error;

/// Entries kept before the map is emptied and starts again.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct Kept(Mutex<HashMap<(Uuid, UserId), Entry>>);

struct Entry {
    /// The gate's answer, its row as of `document_version`.
    access: DocumentAccess,
    document_version: i64,
}

/// A command that ran: what the gate allowed, and the document's row
/// after it when that could be folded without reading it.
pub struct Ran {
    pub access: DocumentAccess,
    pub row: Option<DocumentRow>,
}

impl Kept {
    /// Runs `command`, which needs write, on document `id` of project
    /// `slug` for the caller `meta` names: on the answer kept from their
    /// last command there if it still holds, else through the gate.
    pub async fn run(
        &self,
        store: &EventStore,
        (slug, id): (&str, &str),
        action: &'static str,
        command: DocumentCommand,
        meta: EventMeta,
    ) -> Result<Ran, Error> {
        let user = &meta.actor;
        if let Some(ran) = self.run_kept(store, (slug, id), &command, &meta).await? {
            return Ok(ran);
        }
        let access = gate::live_document(store.pool(), slug, id, user, Need::Write, action).await?;
        let user = user.clone();
        let done = access.run(store, command, meta).await?;
        Ok(self.keep(&user, access, done))
    }

    async fn run_kept(
        &self,
        store: &EventStore,
        (slug, id): (&str, &str),
        command: &DocumentCommand,
        meta: &EventMeta,
    ) -> Result<Option<Ran>, Error> {
        let user = &meta.actor;
        let Ok(document) = id.parse::<Uuid>() else {
            return Ok(None);
        };
        // Taken out while in use: it goes back with the command's outcome.
        let Some(entry) = self.lock().remove(&(document, user.clone())) else {
            return Ok(None);
        };
        // Anything the kept answer does not allow, the gate answers.
        if entry.access.membership.project.slug != slug
            || !Need::Write.allows(entry.access.permission)
        {
            return Ok(None);
        }
        let access = entry.access;
        let (project, at) = (access.document.project_id, entry.document_version);
        let command = (access.actor(&meta.actor), command.clone());
        let guards = [(project, access.project_version)];
        let ran = command::run_guarded::<Document>(
            store,
            (document, project, at),
            command,
            meta.clone(),
            &guards,
        )
        .await?;
        let outcome = if ran.is_some() { "used" } else { "fell_back" };
        metrics::counter!("stockage_gate_kept_total", "outcome" => outcome).increment(1);
        Ok(ran.map(|done| self.keep(user, access, done)))
    }

    /// Folds the command into the row the gate read and keeps the answer
    /// for the caller's next command, or forgets it when that cannot be
    /// done without reading the tables.
    fn keep(&self, user: &UserId, access: DocumentAccess, done: Executed<Document>) -> Ran {
        let row = answer::after_metadata(&access.document, &done.events, &done.state);
        let key = (access.document.id, user.clone());
        let settled = access.index.as_ref().is_some_and(|i| i.status != "pending");
        let mut entries = self.lock();
        match &row {
            Some(row) if settled => {
                if entries.len() >= CAPACITY && !entries.contains_key(&key) {
                    entries.clear();
                }
                let mut access = access.clone();
                access.document = row.clone();
                let document_version = done.state.version;
                entries.insert(
                    key,
                    Entry {
                        access,
                        document_version,
                    },
                );
            }
            _ => {
                entries.remove(&key);
            }
        }
        drop(entries);
        Ran { access, row }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Uuid, UserId), Entry>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
