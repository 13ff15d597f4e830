//! The one gate every document handler goes through: it loads the caller's
//! membership, the document and its ACL (one query, [`lookup`]), decides
//! the caller's permission
//! (`permissions::effective`) and answers 404 for anything the caller may
//! not see, 403 for a visible document they may not act on as asked.
use sqlx::PgPool;
use stockage_events::{EventMeta, Permission, RecordedEvent, UserId};
use stockage_store::EventStore;
use stockage_store::command::Executed;
use uuid::Uuid;

use super::lookup;
use super::rules::effective;
use crate::documents::projects::{self, Membership};
use crate::documents::view::{DocumentRow, DocumentView};
use crate::domain::document::{Actor, Document, DocumentCommand};
use crate::error::Error;
use crate::search::IndexState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    /// Manage the document's ACL.
    Admin,
}

impl Need {
    /// Whether `permission` is enough for this need.
    pub fn allows(self, permission: Permission) -> bool {
        permission >= self.minimum()
    }

    fn minimum(self) -> Permission {
        match self {
            Need::Read => Permission::Read,
            Need::Write => Permission::Write,
            Need::Admin => Permission::Admin,
        }
    }
}

/// A document the caller may act on as asked.
#[derive(Clone)]
pub struct DocumentAccess {
    pub membership: Membership,
    /// The version of the project's stream the membership was read at.
    pub project_version: i64,
    pub document: DocumentRow,
    pub permission: Permission,
    /// The document's indexing state, read with it.
    pub index: Option<IndexState>,
}

/// Counts and logs a refusal (never file contents).
fn denied(user: &UserId, action: &'static str, document: Option<Uuid>, project: &str) {
    metrics::counter!("stockage_access_denied_total", "action" => action).increment(1);
    tracing::info!(user = %user, action, ?document, project, "access denied");
}

/// The project (for a member) for adding documents to it, which the
/// project role decides: editors and up.
pub async fn project(
    pool: &PgPool,
    slug: &str,
    user: &UserId,
    action: &'static str,
) -> Result<Membership, Error> {
    let membership = projects::membership(pool, slug, user)
        .await
        .inspect_err(|_| denied(user, action, None, slug))?;
    if !membership.role.can_write() {
        denied(user, action, None, slug);
        return Err(Error::Forbidden(format!(
            "adding documents needs the editor role or higher; you are {}",
            membership.role
        )));
    }
    Ok(membership)
}

/// The document `id` of project `slug`, if the caller may `need` it.
/// Deleted documents are found too; see [`DocumentAccess::live`].
pub async fn document(
    pool: &PgPool,
    slug: &str,
    id: &str,
    user: &UserId,
    need: Need,
    action: &'static str,
) -> Result<DocumentAccess, Error> {
    let not_found = || Error::NotFound(format!("document {id:?} not found"));
    let Ok(document_id) = id.parse::<Uuid>() else {
        projects::membership(pool, slug, user)
            .await
            .inspect_err(|_| denied(user, action, None, slug))?;
        return Err(not_found());
    };
    let found = lookup::member_and_document(pool, slug, user, document_id)
        .await
        .inspect_err(|_| denied(user, action, None, slug))?;
    let (membership, project_version) = (found.membership, found.project_version);
    let (document, index) = found.document.ok_or_else(not_found)?;
    let (permission, _) = effective(user, Some(membership.role), &document.acl()?);
    if !need.allows(permission) {
        denied(user, action, Some(document_id), slug);
        if permission == Permission::None {
            return Err(not_found());
        }
        return Err(Error::Forbidden(format!(
            "this needs {} permission on the document; you have {permission}",
            need.minimum()
        )));
    }
    Ok(DocumentAccess {
        membership,
        project_version,
        document,
        permission,
        index,
    })
}

/// [`document`], if it is live: 404 for one in the trash, 410 saying when
/// and why for a purged one (`retention::trash::live`). The gate of every
/// path that changes or serves a document.
pub async fn live_document(
    pool: &PgPool,
    slug: &str,
    id: &str,
    user: &UserId,
    need: Need,
    action: &'static str,
) -> Result<DocumentAccess, Error> {
    let access = document(pool, slug, id, user, need, action).await?;
    crate::retention::trash::live(pool, access).await
}

impl DocumentAccess {
    /// Runs a command on the document this access was granted for.
    pub async fn execute(
        &self,
        store: &EventStore,
        command: DocumentCommand,
        meta: EventMeta,
    ) -> Result<Vec<RecordedEvent>, Error> {
        Ok(self.run(store, command, meta).await?.events)
    }

    /// Runs a command; returns its events and the document's state after them.
    pub async fn run(
        &self,
        store: &EventStore,
        command: DocumentCommand,
        meta: EventMeta,
    ) -> Result<Executed<Document>, Error> {
        let (id, project) = (self.document.id, self.document.project_id);
        let actor = self.actor(&meta.actor);
        let command = (actor, command);
        Ok(stockage_store::command::run::<Document>(store, id, project, command, meta).await?)
    }

    /// The caller as the document aggregate sees them, now.
    pub fn actor(&self, user: &UserId) -> Actor {
        Actor {
            user: user.clone(),
            permission: self.permission,
            now: crate::locks::now(),
        }
    }

    /// 404 for a soft-deleted document, as if it were gone.
    pub fn live(self) -> Result<Self, Error> {
        match self.document.deleted_at {
            Some(_) => Err(Error::NotFound(format!(
                "document {} not found",
                self.document.id
            ))),
            None => Ok(self),
        }
    }

    pub fn view(&self) -> DocumentView {
        DocumentView::new(&self.membership.project.slug, &self.document)
    }
}
