use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `document_revisions`: one row per revision.
pub struct RevisionsProjector;

#[async_trait]
impl Projector for RevisionsProjector {
    fn name(&self) -> &'static str {
        "revisions"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["document_revisions"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let (revision, filename, content_type, size, sha256, restored_from) = match event {
            Event::DocumentAdded {
                filename,
                content_type,
                size,
                sha256,
                ..
            } => (1, filename, content_type, size, sha256, None),
            Event::RevisionAdded {
                revision,
                filename,
                content_type,
                size,
                sha256,
                ..
            } => (*revision, filename, content_type, size, sha256, None),
            Event::RevisionRestored {
                revision,
                restored_from,
                filename,
                content_type,
                size,
                sha256,
            } => (
                *revision,
                filename,
                content_type,
                size,
                sha256,
                Some(*restored_from),
            ),
            Event::RevisionLabeled { revision, label } => {
                sqlx::query("UPDATE document_revisions SET label = $3 WHERE document_id = $1 AND revision = $2")
                    .bind(recorded.stream_id)
                    .bind(*revision as i32)
                    .bind(label)
                    .execute(conn)
                    .await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        sqlx::query(
            "INSERT INTO document_revisions (document_id, revision, project_id, filename, content_type, size,
                 sha256, added_by, created_at, restored_from, label)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)",
        )
        .bind(recorded.stream_id)
        .bind(revision as i32)
        .bind(recorded.project_id)
        .bind(filename)
        .bind(content_type)
        .bind(i64::try_from(*size).unwrap_or(i64::MAX))
        .bind(sha256.as_str())
        .bind(&recorded.actor)
        .bind(recorded.recorded_at)
        .bind(restored_from.map(|r| r as i32))
        .execute(conn)
        .await?;
        Ok(())
    }
}
