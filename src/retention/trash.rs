//! The read side of retention: a project's settings and its trash.
use serde::Serialize;
use sqlx::PgPool;
use stockage_events::UserId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::documents::projects::Membership;
use crate::error::Error;
use crate::permissions::gate::DocumentAccess;

/// A project's retention policy, legal hold and quota.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RetentionView {
    pub keep_revisions: Option<i32>,
    pub keep_days: Option<i32>,
    pub trash_days: Option<i32>,
    pub hold: bool,
    pub hold_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub hold_since: Option<OffsetDateTime>,
    pub quota_mb: Option<i64>,
}

pub async fn settings(pool: &PgPool, project_id: Uuid) -> Result<RetentionView, Error> {
    let row = sqlx::query_as(
        "SELECT keep_revisions, keep_days, trash_days, hold, hold_reason, hold_since, quota_mb
         FROM project_retention WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or_default())
}

/// A document in the trash, and when the policy will purge it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrashItem {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub revision: i32,
    /// Logical bytes of its revisions, all of which a purge removes.
    pub bytes: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub deleted_at: OffsetDateTime,
    pub deleted_by: String,
    /// When the trash rule purges it; none without `trash_days`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub purge_after: Option<OffsetDateTime>,
}

/// The project's deleted, not yet purged documents the caller may read,
/// most recently deleted first.
pub async fn list(
    pool: &PgPool,
    membership: &Membership,
    user: &UserId,
) -> Result<Vec<TrashItem>, Error> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.title, r.filename, r.kind, r.revision, r.deleted_at, r.updated_by AS deleted_by,
                (SELECT coalesce(sum(v.size), 0)::bigint FROM document_revisions v
                  WHERE v.document_id = r.id AND v.purged_at IS NULL) AS bytes,
                r.deleted_at + make_interval(days => t.trash_days) AS purge_after
         FROM project_resources r
         LEFT JOIN project_retention t ON t.project_id = r.project_id
         WHERE r.project_id = $1 AND r.deleted_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM purged_documents p WHERE p.document_id = r.id)
           AND stockage_permission(r.id, $2, $3) <> 'none'
         ORDER BY r.deleted_at DESC, r.id DESC
         LIMIT 1000",
    )
    .bind(membership.project.id)
    .bind(user.as_str())
    .bind(membership.role.as_str())
    .fetch_all(pool)
    .await?)
}

/// When and why a document was purged, if it was.
pub async fn purged_document(pool: &PgPool, id: Uuid) -> Result<Option<String>, Error> {
    let row: Option<(OffsetDateTime, serde_json::Value)> =
        sqlx::query_as("SELECT purged_at, rule FROM purged_documents WHERE document_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(at, rule)| {
        format!(
            "document {id} was purged on {} because {}",
            rfc3339(at),
            why(&rule)
        )
    }))
}

/// The document, if it is live: 410 saying when and why for a purged
/// one, 404 for one in the trash. Every path that changes or serves a
/// document's content (REST, resumable uploads) asks this.
pub async fn live(pool: &PgPool, access: DocumentAccess) -> Result<DocumentAccess, Error> {
    if access.document.deleted_at.is_some()
        && let Some(why) = purged_document(pool, access.document.id).await?
    {
        return Err(Error::Gone(why));
    }
    access.live()
}

/// When and why a revision was purged, for a 410.
pub fn purged_revision(n: u32, at: OffsetDateTime, rule: &serde_json::Value) -> Error {
    Error::Gone(format!(
        "the content of revision {n} was purged on {} because {}; its history stays",
        rfc3339(at),
        why(rule)
    ))
}

fn why(rule: &serde_json::Value) -> String {
    serde_json::from_value::<stockage_events::PurgeRule>(rule.clone())
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "of a rule this program does not know".into())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
