use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `document_workflow` (each document's lock and lifecycle state) and
/// `document_releases` (every release and the revision it froze).
pub struct WorkflowProjector;

#[async_trait]
impl Projector for WorkflowProjector {
    fn name(&self) -> &'static str {
        "workflow"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["document_workflow", "document_releases"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let (id, project) = (recorded.stream_id, recorded.project_id);
        match event {
            Event::DocumentLocked {
                locked_by,
                locked_at,
                expires_at,
                note,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO document_workflow (document_id, project_id, lock_holder, locked_at, lock_expires_at, lock_note)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (document_id) DO UPDATE SET lock_holder = $3, locked_at = $4,
                         lock_expires_at = $5, lock_note = $6",
                )
                .bind(id)
                .bind(project)
                .bind(locked_by.as_str())
                .bind(locked_at)
                .bind(expires_at)
                .bind(note)
                .execute(conn)
                .await?;
            }
            Event::DocumentUnlocked { .. } => {
                sqlx::query(
                    "UPDATE document_workflow SET lock_holder = NULL, locked_at = NULL, lock_expires_at = NULL,
                         lock_note = NULL WHERE document_id = $1",
                )
                .bind(id)
                .execute(conn)
                .await?;
            }
            Event::DocumentStateChanged {
                to,
                comment,
                release,
                released_revision,
                ..
            } => {
                let revision = released_revision.map(|r| r as i32);
                sqlx::query(
                    "WITH released AS (
                         INSERT INTO document_releases (document_id, release, revision, project_id, released_by,
                             released_at, comment)
                         SELECT $1, $4, $5, $2, $6, $7, $8 WHERE $4::text IS NOT NULL)
                     INSERT INTO document_workflow (document_id, project_id, state, released_revision, release)
                     VALUES ($1, $2, $3, $5, $4)
                     ON CONFLICT (document_id) DO UPDATE SET state = $3,
                         released_revision = coalesce($5, document_workflow.released_revision),
                         release = coalesce($4, document_workflow.release)",
                )
                .bind(id)
                .bind(project)
                .bind(to.as_str())
                .bind(release)
                .bind(revision)
                .bind(&recorded.actor)
                .bind(recorded.recorded_at)
                .bind(comment)
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
