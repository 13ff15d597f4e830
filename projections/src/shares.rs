use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `shares` (one row per link, with its download count) and
/// `project_sharing` (projects that changed their share policy).
pub struct SharesProjector;

#[async_trait]
impl Projector for SharesProjector {
    fn name(&self) -> &'static str {
        "shares"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["shares", "project_sharing"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let (id, at, actor) = (
            recorded.stream_id,
            recorded.recorded_at,
            recorded.actor.as_str(),
        );
        match event {
            Event::ShareCreated {
                document_id,
                revision,
                expires_at,
                max_downloads,
                password_required,
            } => {
                sqlx::query(
                    "INSERT INTO shares (id, project_id, document_id, revision, created_by, created_at,
                         expires_at, max_downloads, downloads, password_required)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
                )
                .bind(id)
                .bind(recorded.project_id)
                .bind(document_id)
                .bind(revision.map(|r| r as i32))
                .bind(actor)
                .bind(at)
                .bind(expires_at)
                .bind(max_downloads.map(|m| i64::from(m).min(i64::from(i32::MAX)) as i32))
                .bind(password_required)
                .execute(conn)
                .await?;
            }
            Event::ShareRevoked { .. } => {
                sqlx::query("UPDATE shares SET revoked_at = $2, revoked_by = $3 WHERE id = $1")
                    .bind(id)
                    .bind(at)
                    .bind(actor)
                    .execute(conn)
                    .await?;
            }
            Event::ShareDownloaded { .. } => {
                sqlx::query(
                    "UPDATE shares SET downloads = downloads + 1, last_download_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(at)
                .execute(conn)
                .await?;
            }
            Event::ProjectSharingChanged { shares_allowed } => {
                sqlx::query(
                    "INSERT INTO project_sharing (project_id, shares_allowed, changed_by, changed_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (project_id) DO UPDATE SET shares_allowed = excluded.shares_allowed,
                         changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                )
                .bind(recorded.project_id)
                .bind(shares_allowed)
                .bind(actor)
                .bind(at)
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
