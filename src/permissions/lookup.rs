//! What the gate needs to decide, read in one round trip: the caller's
//! membership of the project (and the version of the project's stream it
//! was read at), the document with its lock, lifecycle and ACL, and its
//! indexing state (shown on a single document).
use std::sync::LazyLock;

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Row};
use stockage_events::{ProjectSlug, Role, UserId};
use uuid::Uuid;

use crate::documents::projects::{Membership, ProjectView};
use crate::documents::view::{DOCUMENT_COLUMNS, DOCUMENT_FROM, DocumentRow};
use crate::error::Error;
use crate::search::{INDEX_COLUMNS, IndexState};

/// The project's columns are prefixed so the document's keep their names.
static QUERY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.id AS p_id, p.slug AS p_slug, p.title AS p_title, p.description AS p_description, \
             p.category AS p_category, p.status AS p_status, p.creator AS p_creator, \
             p.created_at AS p_created_at, p.updated_at AS p_updated_at, t.role AS my_role, \
             (SELECT e.stream_version FROM events e WHERE e.stream_id = p.id \
              ORDER BY e.stream_version DESC LIMIT 1) AS project_version, \
             {DOCUMENT_COLUMNS}, \
             coalesce(acl.principals, '{{}}') AS acl_principals, \
             coalesce(acl.permissions, '{{}}') AS acl_permissions, \
             {INDEX_COLUMNS} \
         FROM projects p \
         JOIN project_team t ON t.project_id = p.id AND t.user_id = $2 \
         LEFT JOIN ({DOCUMENT_FROM}) ON r.id = $3 AND r.project_id = p.id \
         LEFT JOIN LATERAL ( \
             SELECT array_agg(a.principal ORDER BY a.principal) AS principals, \
                    array_agg(a.permission ORDER BY a.principal) AS permissions \
             FROM document_acl a WHERE a.document_id = r.id) acl ON true \
         LEFT JOIN search_documents s ON s.document_id = r.id \
         WHERE p.slug = $1"
    )
});

/// What [`member_and_document`] found.
pub struct Found {
    pub membership: Membership,
    /// The project stream's version the membership was read at.
    pub project_version: i64,
    /// The document with its indexing state, if the project has it.
    pub document: Option<(DocumentRow, Option<IndexState>)>,
}

/// The caller's membership of project `slug` (404 when it does not exist
/// or the caller is not a member, so existence does not leak) and the
/// document `id` of that project with its indexing state, if there is one.
pub async fn member_and_document(
    pool: &PgPool,
    slug: &str,
    user: &UserId,
    id: Uuid,
) -> Result<Found, Error> {
    let not_found = || Error::NotFound(format!("project {slug:?} not found"));
    let slug = ProjectSlug::parse(slug).map_err(|_| not_found())?;
    let row = sqlx::query(sqlx::AssertSqlSafe(QUERY.as_str()))
        .bind(slug.as_str())
        .bind(user.as_str())
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)?;
    let document = match row.try_get::<Option<Uuid>, _>("id")? {
        Some(_) => Some((DocumentRow::from_row(&row)?, IndexState::from_joined(&row)?)),
        None => None,
    };
    Ok(Found {
        membership: membership(&row)?,
        project_version: row
            .try_get::<Option<i64>, _>("project_version")?
            .unwrap_or(0),
        document,
    })
}

fn membership(row: &PgRow) -> Result<Membership, Error> {
    let project = ProjectView {
        id: row.try_get("p_id")?,
        slug: row.try_get("p_slug")?,
        title: row.try_get("p_title")?,
        description: row.try_get("p_description")?,
        category: row.try_get("p_category")?,
        status: row.try_get("p_status")?,
        creator: row.try_get("p_creator")?,
        created_at: row.try_get("p_created_at")?,
        updated_at: row.try_get("p_updated_at")?,
        my_role: row.try_get("my_role")?,
    };
    let role = Role::parse(&project.my_role).map_err(Error::internal)?;
    Ok(Membership { project, role })
}
