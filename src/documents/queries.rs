//! The document list and single-document reads of `project_resources`.
use sqlx::{FromRow, PgPool};
use stockage_events::{FileKind, LifecycleState, Sha256, UserId};
use uuid::Uuid;

use super::projects::Membership;
use super::view::{DOCUMENT_COLUMNS, DOCUMENT_FROM, DocumentRow};
use crate::error::Error;
use crate::paging::next_cursor;
use crate::search::{INDEX_COLUMNS, IndexState};

pub use super::order::{Cursor, Order};

/// Filters of the document list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub kind: Option<FileKind>,
    pub q: Option<String>,
    /// Documents whose latest revision has these bytes (hex SHA-256).
    pub sha256: Option<Sha256>,
    pub include_deleted: bool,
    pub state: Option<LifecycleState>,
    pub order: Order,
    pub after: Option<Cursor>,
    pub limit: i64,
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The list's conditions: $1 project, $2 tag, $3 kind, $4 title/filename
/// pattern, $5 include deleted, $6 sha256, $7 user, $8 role, $9 state.
const MATCHING: &str = "r.project_id = $1
           AND ($2::text IS NULL OR $2 = ANY(r.tags))
           AND ($3::text IS NULL OR r.kind = $3)
           AND ($4::text IS NULL OR r.title ILIKE $4 OR r.filename ILIKE $4)
           AND ($5 OR r.deleted_at IS NULL)
           AND ($6::text IS NULL OR r.sha256 = $6)
           AND ($9::text IS NULL OR coalesce(w.state, 'wip') = $9)
           AND stockage_permission(r.id, $7, $8) <> 'none'";

/// One page of a project's documents in the filter's order, the cursor of
/// the next page, and how many documents match in all. Only documents the
/// caller may read are listed or counted: the permission rules run inside
/// the query (`stockage_permission`), so a hidden document never reaches a
/// page, a cursor or the total.
pub async fn list(
    pool: &PgPool,
    membership: &Membership,
    user: &UserId,
    filter: &ListFilter,
) -> Result<(Vec<DocumentRow>, Option<Cursor>, i64), Error> {
    let order = filter.order;
    let (key, dir, after) = (order.expression(), order.direction(), order.after());
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM {DOCUMENT_FROM}
         WHERE {MATCHING}
           AND ($10::text IS NULL OR ({key}, r.id) {after} ({}, $11))
         ORDER BY {key} {dir}, r.id {dir}
         LIMIT $12",
        order.cast(10)
    );
    let mut rows: Vec<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(membership.project.id)
        .bind(&filter.tag)
        .bind(filter.kind.map(FileKind::as_str))
        .bind(filter.q.as_deref().map(like_pattern))
        .bind(filter.include_deleted)
        .bind(filter.sha256.as_ref().map(|s| s.to_string()))
        .bind(user.as_str())
        .bind(membership.role.as_str())
        .bind(filter.state.map(LifecycleState::as_str))
        .bind(filter.after.as_ref().map(|c| c.key.clone()))
        .bind(filter.after.as_ref().map(|c| c.id))
        .bind(filter.limit + 1)
        .fetch_all(pool)
        .await?;
    let next = next_cursor(&mut rows, filter.limit, |row| order.cursor(row));
    let total = if filter.after.is_none() && rows.len() < usize::try_from(filter.limit).unwrap_or(0)
    {
        i64::try_from(rows.len()).unwrap_or(i64::MAX)
    } else {
        let count = format!("SELECT count(*) FROM {DOCUMENT_FROM} WHERE {MATCHING}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(count))
            .bind(membership.project.id)
            .bind(&filter.tag)
            .bind(filter.kind.map(FileKind::as_str))
            .bind(filter.q.as_deref().map(like_pattern))
            .bind(filter.include_deleted)
            .bind(filter.sha256.as_ref().map(|s| s.to_string()))
            .bind(user.as_str())
            .bind(membership.role.as_str())
            .bind(filter.state.map(LifecycleState::as_str))
            .fetch_one(pool)
            .await?
    };
    Ok((rows, next, total))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<DocumentRow, Error> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM {DOCUMENT_FROM} WHERE r.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::internal(format!("document {id} missing from the read model")))
}

/// A document with its indexing state, in one read.
pub async fn get_indexed(
    pool: &PgPool,
    id: Uuid,
) -> Result<(DocumentRow, Option<IndexState>), Error> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS}, {INDEX_COLUMNS} FROM {DOCUMENT_FROM}
         LEFT JOIN search_documents s ON s.document_id = r.id WHERE r.id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::internal(format!("document {id} missing from the read model")))?;
    Ok((DocumentRow::from_row(&row)?, IndexState::from_joined(&row)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
