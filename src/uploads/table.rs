//! The `uploads` table: each resumable upload's owner, target, declared
//! length and durable progress. Written only by this module.
use sqlx::{PgPool, Postgres};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::storage::Progress;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadRow {
    pub id: Uuid,
    pub owner: String,
    pub project_id: Uuid,
    pub project_slug: String,
    pub document_id: Option<Uuid>,
    pub if_match: Option<i32>,
    pub filename: String,
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    pub length: i64,
    pub offset: i64,
    pub multipart_id: Option<String>,
    pub parts: Vec<String>,
    pub tail: i64,
    pub assembled: bool,
    pub expires_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub result_document: Option<Uuid>,
    pub result_revision: Option<i32>,
}

impl UploadRow {
    pub fn progress(&self) -> Progress {
        Progress {
            offset: self.offset as u64,
            multipart_id: self.multipart_id.clone(),
            parts: self.parts.clone(),
            tail: self.tail as u64,
        }
    }

    pub fn length(&self) -> u64 {
        self.length as u64
    }

    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.completed_at.is_none() && self.expires_at <= now
    }
}

const COLUMNS: &str = "id, owner, project_id, project_slug, document_id, if_match, filename, title, tags, \
     length, \"offset\", multipart_id, parts, tail, assembled, expires_at, completed_at, \
     result_document, result_revision";

/// What a new upload is for.
pub struct NewRow<'a> {
    pub id: Uuid,
    pub owner: &'a str,
    pub project_id: Uuid,
    pub project_slug: &'a str,
    pub document_id: Option<Uuid>,
    pub if_match: Option<u32>,
    pub filename: &'a str,
    pub title: Option<&'a str>,
    pub tags: Option<&'a [String]>,
    pub length: u64,
    pub expires_at: OffsetDateTime,
    pub multipart_id: Option<&'a str>,
}

pub async fn insert(pool: &PgPool, row: NewRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO uploads (id, owner, project_id, project_slug, document_id, if_match, filename, \
         title, tags, length, expires_at, multipart_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(row.id)
    .bind(row.owner)
    .bind(row.project_id)
    .bind(row.project_slug)
    .bind(row.document_id)
    .bind(row.if_match.map(|n| n as i32))
    .bind(row.filename)
    .bind(row.title)
    .bind(row.tags)
    .bind(row.length as i64)
    .bind(row.expires_at)
    .bind(row.multipart_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl sqlx::Executor<'e, Database = Postgres>,
    id: Uuid,
) -> Result<Option<UploadRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM uploads WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Records what is durable now.
pub async fn save_progress(
    pool: &PgPool,
    id: Uuid,
    progress: &Progress,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE uploads SET \"offset\" = $2, parts = $3, tail = $4 WHERE id = $1")
        .bind(id)
        .bind(progress.offset as i64)
        .bind(&progress.parts)
        .bind(progress.tail as i64)
        .execute(pool)
        .await?;
    Ok(())
}

/// Every byte is in one object.
pub async fn assembled(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE uploads SET \"offset\" = length, assembled = true WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The upload became revision `revision` of `document`.
pub async fn completed(
    pool: &PgPool,
    id: Uuid,
    document: Uuid,
    revision: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE uploads SET completed_at = now(), result_document = $2, result_revision = $3, \
         multipart_id = NULL, parts = '{}', tail = 0 WHERE id = $1",
    )
    .bind(id)
    .bind(document)
    .bind(revision as i32)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Uploads past their expiry: unfinished ones to collect, finished ones
/// whose record is no longer needed.
pub async fn expired(pool: &PgPool, limit: i64) -> Result<Vec<UploadRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM uploads WHERE expires_at <= now() ORDER BY expires_at LIMIT $1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(pool)
        .await
}

pub async fn in_progress(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM uploads WHERE completed_at IS NULL")
        .fetch_one(pool)
        .await
}
