use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `document_acl`: each document's ACL entries.
pub struct AclProjector;

#[async_trait]
impl Projector for AclProjector {
    fn name(&self) -> &'static str {
        "acl"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["document_acl"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::AclEntryGranted {
                principal,
                permission,
            } => {
                sqlx::query(
                    "INSERT INTO document_acl (document_id, project_id, principal, permission) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (document_id, principal) DO UPDATE SET permission = excluded.permission",
                )
                .bind(recorded.stream_id)
                .bind(recorded.project_id)
                .bind(principal.to_string())
                .bind(permission.as_str())
                .execute(conn)
                .await?;
            }
            Event::AclEntryRevoked { principal } => {
                sqlx::query("DELETE FROM document_acl WHERE document_id = $1 AND principal = $2")
                    .bind(recorded.stream_id)
                    .bind(principal.to_string())
                    .execute(conn)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
