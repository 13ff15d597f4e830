//! The one gate every document handler goes through: it loads the caller's
//! membership, the document and its ACL, decides the caller's permission
//! (`permissions::effective`) and answers 404 for anything the caller may
//! not see, 403 for a visible document they may not act on as asked.
use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{EventMeta, FileKind, Permission, Principal, RecordedEvent, Sha256, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::api::ApiError;
use crate::commands;
use crate::domain::document::{Document, DocumentCommand};
use crate::permissions::{AclEntry, effective};
use crate::projects::{self, Membership};
use crate::store::EventStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    /// Manage the document's ACL.
    Admin,
}

impl Need {
    fn minimum(self) -> Permission {
        match self {
            Need::Read => Permission::Read,
            Need::Write => Permission::Write,
            Need::Admin => Permission::Admin,
        }
    }
}

/// A row of `project_resources`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub filename: String,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub revision: i32,
    pub tags: Vec<String>,
    pub added_by: String,
    pub updated_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
    /// The ACL, as two parallel arrays loaded with the row.
    #[sqlx(default)]
    pub acl_principals: Vec<String>,
    #[sqlx(default)]
    pub acl_permissions: Vec<String>,
}

impl DocumentRow {
    pub fn acl(&self) -> Result<Vec<AclEntry>, ApiError> {
        self.acl_principals
            .iter()
            .zip(&self.acl_permissions)
            .map(|(principal, permission)| {
                Ok(AclEntry {
                    principal: Principal::parse(principal).map_err(ApiError::internal)?,
                    permission: Permission::parse(permission).map_err(ApiError::internal)?,
                })
            })
            .collect()
    }

    pub fn sha256(&self) -> Result<Sha256, ApiError> {
        Sha256::parse(&self.sha256).map_err(ApiError::internal)
    }

    pub fn kind(&self) -> Result<FileKind, ApiError> {
        FileKind::parse(&self.kind).map_err(ApiError::internal)
    }

    pub fn size(&self) -> u64 {
        u64::try_from(self.size).unwrap_or(0)
    }
}

pub const DOCUMENT_COLUMNS: &str = "id, project_id, title, filename, kind, content_type, size, sha256, revision, \
     tags, added_by, updated_by, created_at, updated_at, deleted_at";

/// The document's columns plus its ACL, in one query.
const DOCUMENT_WITH_ACL: &str = "SELECT r.id, r.project_id, r.title, r.filename, r.kind, r.content_type, r.size, \
     r.sha256, r.revision, r.tags, r.added_by, r.updated_by, r.created_at, r.updated_at, r.deleted_at, \
     coalesce(acl.principals, '{}') AS acl_principals, coalesce(acl.permissions, '{}') AS acl_permissions \
     FROM project_resources r LEFT JOIN LATERAL ( \
         SELECT array_agg(a.principal ORDER BY a.principal) AS principals, \
                array_agg(a.permission ORDER BY a.principal) AS permissions \
         FROM document_acl a WHERE a.document_id = r.id) acl ON true \
     WHERE r.id = $1 AND r.project_id = $2";

/// A document the caller may act on as asked.
pub struct DocumentAccess {
    pub membership: Membership,
    pub document: DocumentRow,
    pub permission: Permission,
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
) -> Result<Membership, ApiError> {
    let membership = projects::membership(pool, slug, user)
        .await
        .inspect_err(|_| denied(user, action, None, slug))?;
    if !membership.role.can_write() {
        denied(user, action, None, slug);
        return Err(ApiError::Forbidden(format!(
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
) -> Result<DocumentAccess, ApiError> {
    let not_found = || ApiError::NotFound(format!("document {id:?} not found"));
    let membership = projects::membership(pool, slug, user)
        .await
        .inspect_err(|_| denied(user, action, None, slug))?;
    let Ok(document_id) = id.parse::<Uuid>() else {
        return Err(not_found());
    };
    let document: DocumentRow = sqlx::query_as(DOCUMENT_WITH_ACL)
        .bind(document_id)
        .bind(membership.project.id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)?;
    let (permission, _) = effective(user, Some(membership.role), &document.acl()?);
    if permission < need.minimum() {
        denied(user, action, Some(document_id), slug);
        if permission == Permission::None {
            return Err(not_found());
        }
        return Err(ApiError::Forbidden(format!(
            "this needs {} permission on the document; you have {permission}",
            need.minimum()
        )));
    }
    Ok(DocumentAccess {
        membership,
        document,
        permission,
    })
}

impl DocumentAccess {
    /// Runs a command on the document this access was granted for.
    pub async fn execute(
        &self,
        store: &EventStore,
        command: DocumentCommand,
        meta: EventMeta,
    ) -> Result<Vec<RecordedEvent>, ApiError> {
        let (id, project) = (self.document.id, self.document.project_id);
        commands::execute::<Document>(store, id, project, command, meta).await
    }

    /// 404 for a soft-deleted document, as if it were gone.
    pub fn live(self) -> Result<Self, ApiError> {
        match self.document.deleted_at {
            Some(_) => Err(ApiError::NotFound(format!(
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

/// A document as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub project: String,
    pub title: String,
    pub filename: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub revision: i32,
    pub added_by: String,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub tags: Vec<String>,
    /// Where to download the latest revision.
    pub url: String,
    /// Search indexing of the latest revision: `pending`, `indexed` or
    /// `failed` (shown on a single document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_status: Option<String>,
    /// Why indexing failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_reason: Option<String>,
    /// The most distinctive terms of the extracted text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
}

impl DocumentView {
    pub fn new(slug: &str, row: &DocumentRow) -> Self {
        Self {
            id: row.id,
            project: slug.to_owned(),
            title: row.title.clone(),
            filename: row.filename.clone(),
            kind: row.kind.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            revision: row.revision,
            added_by: row.added_by.clone(),
            updated_by: row.updated_by.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
            tags: row.tags.clone(),
            url: format!("/api/v1/projects/{slug}/documents/{}/content", row.id),
            index_status: None,
            index_reason: None,
            keywords: None,
        }
    }

    /// Adds the indexing state; a document the search projector has not
    /// reached yet, or whose latest revision is not extracted yet, is
    /// `pending`.
    pub fn with_index(mut self, state: Option<crate::search::IndexState>) -> Self {
        let current =
            state.filter(|s| s.status == "pending" || s.indexed_revision == Some(self.revision));
        match current {
            Some(state) => {
                self.index_status = Some(state.status);
                self.index_reason = state.reason;
                self.keywords = Some(state.keywords);
            }
            None => {
                self.index_status = Some("pending".into());
                self.keywords = Some(Vec::new());
            }
        }
        self
    }
}
