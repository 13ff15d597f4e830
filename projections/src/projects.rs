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
            Event::MemberAdded { .. }
            | Event::MemberRoleChanged { .. }
            | Event::MemberRemoved { .. } => {}
            Event::DocumentAdded { .. }
            | Event::DocumentMetadataChanged { .. }
            | Event::DocumentDeleted {}
            | Event::DocumentUndeleted {}
            | Event::RevisionAdded { .. }
            | Event::RevisionRestored { .. }
            | Event::RevisionLabeled { .. }
            | Event::AclEntryGranted { .. }
            | Event::AclEntryRevoked { .. }
            | Event::TokenCreated { .. }
            | Event::TokenRevoked {}
            | Event::ProjectSharingChanged { .. }
            | Event::ShareCreated { .. }
            | Event::ShareRevoked { .. }
            | Event::ShareDownloaded { .. }
            | Event::RevisionPurged { .. }
            | Event::DocumentPurged { .. }
            | Event::RetentionPolicySet { .. }
            | Event::LegalHoldSet { .. }
            | Event::QuotaSet { .. }
            | Event::DocumentLocked { .. }
            | Event::DocumentUnlocked { .. }
            | Event::DocumentStateChanged { .. } => return Ok(()),
        }
        // Each team change also touches the project's updated_at: one
        // statement, one round trip.
        let (user, role, sql) = match event {
            Event::MemberAdded { user_id, role } => (
                user_id,
                Some(role),
                "WITH touched AS (UPDATE projects SET updated_at = $4 WHERE id = $1)
                 INSERT INTO project_team (project_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
            ),
            Event::MemberRoleChanged { user_id, to, .. } => (
                user_id,
                Some(to),
                "WITH touched AS (UPDATE projects SET updated_at = $4 WHERE id = $1)
                 UPDATE project_team SET role = $3 WHERE project_id = $1 AND user_id = $2",
            ),
            Event::MemberRemoved { user_id, .. } => (
                user_id,
                None,
                "WITH touched AS (UPDATE projects SET updated_at = $4 WHERE id = $1)
                 DELETE FROM project_team WHERE project_id = $1 AND user_id = $2 AND $3::text IS NULL",
            ),
            _ => return Ok(()),
        };
        sqlx::query(sql)
            .bind(project)
            .bind(user.as_str())
            .bind(role.map(|r| r.as_str()))
            .bind(at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn apply_page(
        &self,
        conn: &mut PgConnection,
        page: &[(&RecordedEvent, Event)],
    ) -> Result<(), ProjectionError> {
        crate::projects_page::apply_page(self, conn, page).await
    }
}
