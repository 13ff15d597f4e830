//! The document list and single-document reads of `project_resources`.
use sqlx::PgPool;
use stockage_events::{FileKind, LifecycleState, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::projects::Membership;
use super::view::{DOCUMENT_COLUMNS, DOCUMENT_FROM, DocumentRow};
use crate::error::Error;
use crate::paging::next_cursor;

/// Filters of the document list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub kind: Option<FileKind>,
    pub q: Option<String>,
    pub include_deleted: bool,
    pub state: Option<LifecycleState>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// A keyset position in the list: newest first by (created_at, id).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub created_at: OffsetDateTime,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.created_at.unix_timestamp_nanos() / 1_000,
            self.id.simple()
        )
    }

    pub fn parse(raw: &str) -> Result<Self, Error> {
        let bad = || Error::Invalid(format!("cursor {raw:?} is not one this server gave out"));
        let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
        let micros: i128 = micros.parse().map_err(|_| bad())?;
        let created_at =
            OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).map_err(|_| bad())?;
        Ok(Self {
            created_at,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of a project's documents and the cursor of the next page.
/// Only documents the caller may read are listed: the permission rules run
/// inside the query (`stockage_permission`), so a hidden document never
/// reaches a page or a cursor.
pub async fn list(
    pool: &PgPool,
    membership: &Membership,
    user: &UserId,
    filter: &ListFilter,
) -> Result<(Vec<DocumentRow>, Option<Cursor>), Error> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM {DOCUMENT_FROM}
         WHERE r.project_id = $1
           AND ($2::text IS NULL OR $2 = ANY(r.tags))
           AND ($3::text IS NULL OR r.kind = $3)
           AND ($4::text IS NULL OR r.title ILIKE $4 OR r.filename ILIKE $4)
           AND ($5 OR r.deleted_at IS NULL)
           AND ($6::timestamptz IS NULL OR (r.created_at, r.id) < ($6, $7))
           AND ($11::text IS NULL OR coalesce(w.state, 'wip') = $11)
           AND stockage_permission(r.id, $9, $10) <> 'none'
         ORDER BY r.created_at DESC, r.id DESC
         LIMIT $8"
    );
    let mut rows: Vec<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(membership.project.id)
        .bind(&filter.tag)
        .bind(filter.kind.map(FileKind::as_str))
        .bind(filter.q.as_deref().map(like_pattern))
        .bind(filter.include_deleted)
        .bind(filter.after.map(|c| c.created_at))
        .bind(filter.after.map(|c| c.id))
        .bind(filter.limit + 1)
        .bind(user.as_str())
        .bind(membership.role.as_str())
        .bind(filter.state.map(LifecycleState::as_str))
        .fetch_all(pool)
        .await?;
    let next = next_cursor(&mut rows, filter.limit, |row| Cursor {
        created_at: row.created_at,
        id: row.id,
    });
    Ok((rows, next))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<DocumentRow, Error> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM {DOCUMENT_FROM} WHERE r.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::internal(format!("document {id} missing from the read model")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_and_patterns() {
        let cursor = Cursor {
            created_at: OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000)
                .unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::parse("garbage").is_err());
        assert_eq!(like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
