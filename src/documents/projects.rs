//! Project commands (load the stream, decide, append) and the queries the
//! API answers from the `projects` / `project_team` read models.
use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{EventMeta, ProjectSlug, RecordedEvent, Role, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use stockage_store::EventStore;

use crate::domain::project::{Project, ProjectCommand};
use crate::error::Error;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub status: String,
    #[serde(rename = "created_by")]
    pub creator: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The caller's role in this project.
    pub my_role: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

/// A project the caller is a member of, with their role.
#[derive(Clone)]
pub struct Membership {
    pub project: ProjectView,
    pub role: Role,
}

const PROJECT_COLUMNS: &str = "p.id, p.slug, p.title, p.description, p.category, p.status, p.creator, \
     p.created_at, p.updated_at, t.role AS my_role";

/// The caller's projects, newest first.
pub async fn list_for(pool: &PgPool, user: &UserId) -> Result<Vec<ProjectView>, sqlx::Error> {
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p JOIN project_team t ON t.project_id = p.id
         WHERE t.user_id = $1 ORDER BY p.created_at DESC, p.id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.as_str())
        .fetch_all(pool)
        .await
}

/// The project `slug` as seen by `user`; 404 when it does not exist *or*
/// the user is not a member, so existence does not leak.
pub async fn membership(pool: &PgPool, slug: &str, user: &UserId) -> Result<Membership, Error> {
    let not_found = || Error::NotFound(format!("project {slug:?} not found"));
    let slug = ProjectSlug::parse(slug).map_err(|_| not_found())?;
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p JOIN project_team t ON t.project_id = p.id
         WHERE p.slug = $1 AND t.user_id = $2"
    );
    let project: ProjectView = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(slug.as_str())
        .bind(user.as_str())
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)?;
    let role = Role::parse(&project.my_role).map_err(Error::internal)?;
    Ok(Membership { project, role })
}

/// The slug of the project `project_id`, for services that name projects
/// to other systems (the Channels bridge).
pub async fn slug_of(pool: &PgPool, project_id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT slug FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(pool)
        .await
}

pub async fn members(pool: &PgPool, project_id: Uuid) -> Result<Vec<MemberView>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, role, joined_at FROM project_team WHERE project_id = $1 ORDER BY joined_at, user_id")
        .bind(project_id)
        .fetch_all(pool)
        .await
}

pub async fn member(
    pool: &PgPool,
    project_id: Uuid,
    user: &UserId,
) -> Result<Option<MemberView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, role, joined_at FROM project_team WHERE project_id = $1 AND user_id = $2",
    )
    .bind(project_id)
    .bind(user.as_str())
    .fetch_optional(pool)
    .await
}

/// Runs a command against the project's stream.
pub async fn execute(
    store: &EventStore,
    project_id: Uuid,
    command: ProjectCommand,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, Error> {
    Ok(
        stockage_store::command::execute::<Project>(store, project_id, project_id, command, meta)
            .await?,
    )
}
