use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `projects` and `project_team`: the project aggregate's read models.
pub struct ProjectsProjector;

#[async_trait]
impl Projector for ProjectsProjector {
    fn name(&self) -> &'static str {
        "projects"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["projects", "project_team"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let project = recorded.project_id;
        let at = recorded.recorded_at;
        match event {
            Event::ProjectCreated {
                slug,
                title,
                description,
                category,
                created_by,
            } => {
                sqlx::query(
                    "INSERT INTO projects (id, slug, title, description, category, status, creator, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7)",
                )
                .bind(project)
                .bind(slug.as_str())
                .bind(title)
                .bind(description)
                .bind(category)
                .bind(created_by.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await?;
                return Ok(());
            }
            Event::MemberAdded { user_id, role } => {
                sqlx::query(
                    "INSERT INTO project_team (project_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(project)
                .bind(user_id.as_str())
                .bind(role.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            Event::MemberRoleChanged { user_id, to, .. } => {
                sqlx::query(
                    "UPDATE project_team SET role = $3 WHERE project_id = $1 AND user_id = $2",
                )
                .bind(project)
                .bind(user_id.as_str())
                .bind(to.as_str())
                .execute(&mut *conn)
                .await?;
            }
            Event::MemberRemoved { user_id, .. } => {
                sqlx::query("DELETE FROM project_team WHERE project_id = $1 AND user_id = $2")
                    .bind(project)
                    .bind(user_id.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
            Event::DocumentAdded { .. }
            | Event::DocumentMetadataChanged { .. }
            | Event::DocumentDeleted {}
            | Event::DocumentUndeleted {} => return Ok(()),
        }
        sqlx::query("UPDATE projects SET updated_at = $2 WHERE id = $1")
            .bind(project)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
