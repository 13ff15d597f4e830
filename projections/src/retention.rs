use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};

use crate::{Kind, ProjectionError, Projector};

/// `project_retention` (policy, legal hold, quota) and `purged_documents`.
/// Inline, so it also guards the hold: a purge event of a project on hold
/// is refused inside the append transaction, whichever node sent it.
pub struct RetentionProjector;

#[async_trait]
impl Projector for RetentionProjector {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn tables(&self) -> &'static [&'static str] {
        &["project_retention", "purged_documents"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let project = recorded.project_id;
        let query = match event {
            Event::RetentionPolicySet {
                keep_revisions,
                keep_days,
                trash_days,
            } => sqlx::query(
                "INSERT INTO project_retention (project_id, keep_revisions, keep_days, trash_days)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (project_id) DO UPDATE SET keep_revisions = $2, keep_days = $3, trash_days = $4",
            )
            .bind(project)
            .bind(keep_revisions.map(|n| n as i32))
            .bind(keep_days.map(|n| n as i32))
            .bind(trash_days.map(|n| n as i32)),
            Event::LegalHoldSet { on, reason } => sqlx::query(
                "INSERT INTO project_retention (project_id, hold, hold_reason, hold_since)
                 VALUES ($1, $2, $3, CASE WHEN $2 THEN $4::timestamptz END)
                 ON CONFLICT (project_id) DO UPDATE SET hold = $2, hold_reason = $3,
                     hold_since = CASE WHEN $2 THEN $4::timestamptz END",
            )
            .bind(project)
            .bind(on)
            .bind(reason)
            .bind(recorded.recorded_at),
            Event::QuotaSet { quota_mb } => sqlx::query(
                "INSERT INTO project_retention (project_id, quota_mb) VALUES ($1, $2)
                 ON CONFLICT (project_id) DO UPDATE SET quota_mb = $2",
            )
            .bind(project)
            .bind(quota_mb.map(|n| i64::try_from(n).unwrap_or(i64::MAX))),
            Event::RevisionPurged { .. } => return refuse_under_hold(conn, recorded).await,
            Event::DocumentPurged { rule } => {
                refuse_under_hold(conn, recorded).await?;
                let rule = serde_json::to_value(rule)
                    .map_err(|e| ProjectionError::Conflict(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO purged_documents (document_id, project_id, purged_at, purged_by, rule)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(recorded.stream_id)
                .bind(project)
                .bind(recorded.recorded_at)
                .bind(&recorded.actor)
                .bind(rule)
            }
            _ => return Ok(()),
        };
        query.execute(conn).await?;
        Ok(())
    }
}

async fn refuse_under_hold(
    conn: &mut PgConnection,
    recorded: &RecordedEvent,
) -> Result<(), ProjectionError> {
    let reason: Option<Option<String>> = sqlx::query_scalar(
        "SELECT hold_reason FROM project_retention WHERE project_id = $1 AND hold",
    )
    .bind(recorded.project_id)
    .fetch_optional(conn)
    .await?;
    match reason {
        None => Ok(()),
        Some(reason) => Err(ProjectionError::Conflict(format!(
            "the project is on legal hold{}; nothing in it can be purged until its owner lifts the hold",
            reason.map(|r| format!(" ({r})")).unwrap_or_default()
        ))),
    }
}
