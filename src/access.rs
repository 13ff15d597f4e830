//! The one gate every document handler goes through: it loads the project
//! membership and the document together and answers 404 for anything the
//! caller may not see, 403 for a visible document they may not change.
use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{FileKind, Role, Sha256, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::api::ApiError;
use crate::projects::{self, Membership};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
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
}

impl DocumentRow {
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

/// A document the caller may act on as asked.
pub struct DocumentAccess {
    pub membership: Membership,
    pub document: DocumentRow,
}

/// Whether the caller may do `need` in a project where they have `role`.
pub fn allows(role: Role, need: Need) -> bool {
    match need {
        Need::Read => true,
        Need::Write => role.can_write(),
    }
}

/// The project (for a member) with the caller's right to `need` checked.
pub async fn project(
    pool: &PgPool,
    slug: &str,
    user: &UserId,
    need: Need,
) -> Result<Membership, ApiError> {
    let membership = projects::membership(pool, slug, user).await?;
    if !allows(membership.role, need) {
        return Err(forbidden(&membership, need));
    }
    Ok(membership)
}

fn forbidden(membership: &Membership, need: Need) -> ApiError {
    let action = match need {
        Need::Read => "reading",
        Need::Write => "changing documents",
    };
    tracing::info!(role = %membership.role, project = %membership.project.slug, action, "access denied");
    metrics::counter!("stockage_access_denied_total", "action" => action).increment(1);
    ApiError::Forbidden(format!(
        "{action} needs the editor role or higher; you are {}",
        membership.role
    ))
}

/// The document `id` of project `slug`, if the caller may `need` it.
/// Deleted documents are found too; see [`DocumentAccess::live`].
pub async fn document(
    pool: &PgPool,
    slug: &str,
    id: &str,
    user: &UserId,
    need: Need,
) -> Result<DocumentAccess, ApiError> {
    let membership = projects::membership(pool, slug, user).await?;
    let not_found = || ApiError::NotFound(format!("document {id:?} not found"));
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM project_resources WHERE id = $1 AND project_id = $2"
    );
    let document: DocumentRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(membership.project.id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)?;
    if !allows(membership.role, need) {
        return Err(forbidden(&membership, need));
    }
    Ok(DocumentAccess {
        membership,
        document,
    })
}

impl DocumentAccess {
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
        }
    }
}
