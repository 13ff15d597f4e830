use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `access_tokens`: personal access tokens, by the SHA-256 of the token.
pub struct AccessTokensProjector;

#[async_trait]
impl Projector for AccessTokensProjector {
    fn name(&self) -> &'static str {
        "access_tokens"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["access_tokens"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        match event {
            Event::TokenCreated {
                owner,
                name,
                scope,
                project,
                admin,
                expires_at,
                token_sha256,
            } => {
                sqlx::query(
                    "INSERT INTO access_tokens (id, owner, name, scope, project, admin, token_sha256, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(recorded.stream_id)
                .bind(owner.as_str())
                .bind(name)
                .bind(scope.as_str())
                .bind(project.as_ref().map(|p| p.as_str()))
                .bind(admin)
                .bind(token_sha256.as_str())
                .bind(recorded.recorded_at)
                .bind(expires_at)
                .execute(conn)
                .await?;
            }
            Event::TokenRevoked {} => {
                sqlx::query(
                    "UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(recorded.stream_id)
                .bind(recorded.recorded_at)
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
