//! The `document_revisions` read model, and parsing revision numbers.
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::Error;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RevisionView {
    pub revision: i32,
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub content_type: String,
    pub added_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub restored_from: Option<i32>,
    pub label: Option<String>,
    /// The release letter that froze this revision, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Set once its bytes are purged: when, and the rule that did it.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub purged_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub purge_rule: Option<serde_json::Value>,
}

impl RevisionView {
    /// The revision, if its content is still there; 410 saying when and
    /// why it was purged otherwise.
    pub fn available(self) -> Result<Self, Error> {
        match (self.purged_at, &self.purge_rule) {
            (Some(at), rule) => Err(crate::retention::trash::purged_revision(
                self.revision as u32,
                at,
                rule.as_ref().unwrap_or(&serde_json::Value::Null),
            )),
            (None, _) => Ok(self),
        }
    }
}

/// A revision's columns with the letter of the release that froze it.
const COLUMNS: &str = "v.revision, v.sha256, v.size, v.filename, v.content_type, v.added_by, v.created_at, \
     v.restored_from, v.label, v.purged_at, v.purge_rule, \
     (SELECT string_agg(rel.release, ', ' ORDER BY rel.released_at) FROM document_releases rel \
      WHERE rel.document_id = v.document_id AND rel.revision = v.revision) AS release";

/// Up to `limit` revisions of a document after revision `after`,
/// ascending.
pub async fn page(
    pool: &PgPool,
    document: Uuid,
    after: i32,
    limit: i64,
) -> Result<Vec<RevisionView>, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM document_revisions v WHERE v.document_id = $1 AND v.revision > $2 \
         ORDER BY v.revision LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(document)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// Revision `n`, or 404 naming the latest.
pub async fn get(
    pool: &PgPool,
    document: Uuid,
    n: u32,
    latest: i32,
) -> Result<RevisionView, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM document_revisions v WHERE v.document_id = $1 AND v.revision = $2"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(document)
        .bind(n as i32)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("revision {n} not found; the latest is {latest}")))
}

/// Revision `n` whose content is still there: 404 if there is no such
/// revision, 410 saying when and why if it was purged.
pub async fn kept(
    pool: &PgPool,
    document: Uuid,
    n: u32,
    latest: i32,
) -> Result<RevisionView, Error> {
    get(pool, document, n, latest).await?.available()
}

/// A revision number from a path or query: a whole number from 1.
pub fn parse(raw: &str, what: &str) -> Result<u32, Error> {
    match raw.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err(Error::Invalid(format!(
            "{what}: revisions are numbered from 1"
        ))),
        Err(_) => Err(Error::Invalid(format!(
            "{what}: {raw:?} is not a revision number"
        ))),
    }
}

/// `If-Match: "3"` (or `3`, or `W/"3"`): the revision the client last saw.
/// `*` or no header: no condition.
pub fn if_match(header: Option<&str>) -> Result<Option<u32>, Error> {
    let Some(raw) = header.map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    parse(tag, "If-Match").map(Some).map_err(|_| {
        Error::Invalid(format!(
            "If-Match must be the revision you last saw, e.g. \"3\"; got {raw:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_numbers_and_if_match() {
        assert_eq!(parse("3", "n").unwrap(), 3);
        assert!(
            parse("0", "n").is_err() && parse("-1", "n").is_err() && parse("two", "n").is_err()
        );
        assert_eq!(if_match(None).unwrap(), None);
        assert_eq!(if_match(Some("*")).unwrap(), None);
        assert_eq!(if_match(Some("\"4\"")).unwrap(), Some(4));
        assert_eq!(if_match(Some("W/\"4\"")).unwrap(), Some(4));
        assert_eq!(if_match(Some("7")).unwrap(), Some(7));
        assert!(if_match(Some("\"abc\"")).is_err() && if_match(Some("\"0\"")).is_err());
    }
}
