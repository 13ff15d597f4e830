use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `project_resources` (ProjectResource) and `tags`.
pub struct DocumentsProjector;

#[async_trait]
impl Projector for DocumentsProjector {
    fn name(&self) -> &'static str {
        "documents"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["project_resources", "tags"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let id = recorded.stream_id;
        let at = recorded.recorded_at;
        let actor = recorded.actor.as_str();
        match event {
            Event::DocumentAdded {
                title,
                filename,
                kind,
                content_type,
                size,
                sha256,
                tags,
            } => {
                sqlx::query(
                    "WITH added AS (
                         INSERT INTO project_resources (id, project_id, title, filename, kind, content_type, size,
                             sha256, revision, tags, added_by, updated_by, created_at, updated_at, deleted_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $11, $11, NULL))
                     INSERT INTO tags (project_id, document_id, name) SELECT $2, $1, unnest($9::text[])",
                )
                .bind(id)
                .bind(recorded.project_id)
                .bind(title)
                .bind(filename)
                .bind(kind.as_str())
                .bind(content_type)
                .bind(i64::try_from(*size).unwrap_or(i64::MAX))
                .bind(sha256.as_str())
                .bind(tags)
                .bind(actor)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            Event::DocumentMetadataChanged { title, tags } => {
                // Tags, when given, replace the old ones: those not kept go,
                // new ones come; all in the statement that updates the row.
                sqlx::query(
                    "WITH changed AS (
                         UPDATE project_resources SET title = coalesce($2, title), tags = coalesce($3, tags),
                             updated_by = $4, updated_at = $5 WHERE id = $1),
                     dropped AS (
                         DELETE FROM tags WHERE $3::text[] IS NOT NULL AND document_id = $1 AND NOT (name = ANY ($3)))
                     INSERT INTO tags (project_id, document_id, name) SELECT $6, $1, unnest($3::text[])
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(title)
                .bind(tags)
                .bind(actor)
                .bind(at)
                .bind(recorded.project_id)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            Event::RevisionAdded {
                revision,
                filename,
                content_type,
                size,
                sha256,
                ..
            }
            | Event::RevisionRestored {
                revision,
                filename,
                content_type,
                size,
                sha256,
                ..
            } => {
                sqlx::query(
                    "UPDATE project_resources SET revision = $2, filename = $3, content_type = $4, size = $5,
                         sha256 = $6, updated_by = $7, updated_at = $8 WHERE id = $1",
                )
                .bind(id)
                .bind(*revision as i32)
                .bind(filename)
                .bind(content_type)
                .bind(i64::try_from(*size).unwrap_or(i64::MAX))
                .bind(sha256.as_str())
                .bind(actor)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            Event::DocumentDeleted {} | Event::DocumentUndeleted {} => {
                let deleted = matches!(event, Event::DocumentDeleted {}).then_some(at);
                sqlx::query(
                    "UPDATE project_resources SET deleted_at = $2, updated_by = $3, updated_at = $4 WHERE id = $1",
                )
                .bind(id)
                .bind(deleted)
                .bind(actor)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            Event::ProjectCreated { .. }
            | Event::RevisionLabeled { .. }
            | Event::AclEntryGranted { .. }
            | Event::AclEntryRevoked { .. }
            | Event::DocumentLocked { .. }
            | Event::DocumentUnlocked { .. }
            | Event::DocumentStateChanged { .. }
            | Event::MemberAdded { .. }
            | Event::MemberRoleChanged { .. }
            | Event::MemberRemoved { .. }
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
            | Event::QuotaSet { .. } => Ok(()),
        }
    }

    async fn apply_page(
        &self,
        conn: &mut PgConnection,
        page: &[(&RecordedEvent, Event)],
    ) -> Result<(), ProjectionError> {
        crate::documents_page::apply_page(conn, page).await
    }
}
