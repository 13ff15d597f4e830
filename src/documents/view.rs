//! A document as read from `project_resources`, and as the API shows it.
use serde::Serialize;
use stockage_events::{FileKind, Permission, Principal, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::AclEntry;
use crate::error::Error;
use crate::locks::{LockView, WorkflowRow};
use crate::search::IndexState;

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
    /// Lock and lifecycle (`document_workflow`, joined).
    #[sqlx(flatten)]
    pub workflow: WorkflowRow,
}

impl DocumentRow {
    pub fn acl(&self) -> Result<Vec<AclEntry>, Error> {
        self.acl_principals
            .iter()
            .zip(&self.acl_permissions)
            .map(|(principal, permission)| {
                Ok(AclEntry {
                    principal: Principal::parse(principal).map_err(Error::internal)?,
                    permission: Permission::parse(permission).map_err(Error::internal)?,
                })
            })
            .collect()
    }

    pub fn sha256(&self) -> Result<Sha256, Error> {
        Sha256::parse(&self.sha256).map_err(Error::internal)
    }

    pub fn kind(&self) -> Result<FileKind, Error> {
        FileKind::parse(&self.kind).map_err(Error::internal)
    }

    pub fn size(&self) -> u64 {
        u64::try_from(self.size).unwrap_or(0)
    }
}

/// The columns of a [`DocumentRow`], from [`DOCUMENT_FROM`].
pub const DOCUMENT_COLUMNS: &str = "r.id, r.project_id, r.title, r.filename, r.kind, r.content_type, r.size, \
     r.sha256, r.revision, r.tags, r.added_by, r.updated_by, r.created_at, r.updated_at, r.deleted_at, \
     w.lock_holder, w.locked_at, w.lock_expires_at, w.lock_note, w.state, w.released_revision, w.release";

/// `project_resources r` with its lock and lifecycle.
pub const DOCUMENT_FROM: &str =
    "project_resources r LEFT JOIN document_workflow w ON w.document_id = r.id";

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
    /// The check-out, if one holds now (an expired lock shows as null).
    pub lock: Option<LockView>,
    /// `wip`, `in_review`, `released` or `obsolete`.
    pub state: String,
    /// The revision the latest release froze, once released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_revision: Option<i32>,
    /// The latest release's letter (A, B, … Z, AA …), once released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
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
            lock: row.workflow.lock_at(crate::locks::now()),
            state: row.workflow.state(),
            released_revision: row.workflow.released_revision,
            release: row.workflow.release.clone(),
            index_status: None,
            index_reason: None,
            keywords: None,
        }
    }

    /// Adds the indexing state; a document the search projector has not
    /// reached yet, or whose latest revision is not extracted yet, is
    /// `pending`.
    pub fn with_index(mut self, state: Option<IndexState>) -> Self {
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
