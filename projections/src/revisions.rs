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
        self.apply_page(conn, &[(recorded, event.clone())]).await
    }

    /// New revisions of the page in one insert, then its labels in order
    /// (a label names a revision that exists by then).
    async fn apply_page(
        &self,
        conn: &mut PgConnection,
        page: &[(&RecordedEvent, Event)],
    ) -> Result<(), ProjectionError> {
        let rows: Vec<Row> = page.iter().filter_map(|(r, e)| Row::of(r, e)).collect();
        if !rows.is_empty() {
            insert(conn, &rows).await?;
        }
        for (recorded, event) in page {
            match event {
                Event::RevisionLabeled { revision, label } => {
                    sqlx::query("UPDATE document_revisions SET label = $3 WHERE document_id = $1 AND revision = $2")
                        .bind(recorded.stream_id)
                        .bind(*revision as i32)
                        .bind(label)
                        .execute(&mut *conn)
                        .await?;
                }
                Event::RevisionPurged { revision, rule } => {
                    purge(conn, recorded, Some(*revision), rule).await?
                }
                Event::DocumentPurged { rule } => purge(conn, recorded, None, rule).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Marks one revision (or all the document's) purged, unless it is already.
async fn purge(
    conn: &mut PgConnection,
    recorded: &RecordedEvent,
    revision: Option<u32>,
    rule: &stockage_events::PurgeRule,
) -> Result<(), ProjectionError> {
    let rule = serde_json::to_value(rule).map_err(|e| ProjectionError::Conflict(e.to_string()))?;
    sqlx::query(
        "UPDATE document_revisions SET purged_at = $3, purge_rule = $4
         WHERE document_id = $1 AND ($2::int IS NULL OR revision = $2) AND purged_at IS NULL",
    )
    .bind(recorded.stream_id)
    .bind(revision.map(|n| n as i32))
    .bind(recorded.recorded_at)
    .bind(rule)
    .execute(conn)
    .await?;
    Ok(())
}

/// A revision row, from the events that make one.
struct Row<'a> {
    recorded: &'a RecordedEvent,
    revision: i32,
    filename: &'a str,
    content_type: &'a str,
    size: i64,
    sha256: &'a str,
    restored_from: Option<i32>,
}

impl<'a> Row<'a> {
    fn of(recorded: &'a RecordedEvent, event: &'a Event) -> Option<Self> {
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
                Some(*restored_from as i32),
            ),
            _ => return None,
        };
        Some(Row {
            recorded,
            revision: revision as i32,
            filename,
            content_type,
            size: i64::try_from(*size).unwrap_or(i64::MAX),
            sha256: sha256.as_str(),
            restored_from,
        })
    }
}

async fn insert(conn: &mut PgConnection, rows: &[Row<'_>]) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO document_revisions (document_id, revision, project_id, filename, content_type, size,
             sha256, added_by, created_at, restored_from, label, purged_at, purge_rule)
         SELECT *, NULL, NULL, NULL FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::bigint[],
             $7::text[], $8::text[], $9::timestamptz[], $10::int[])",
    )
    .bind(rows.iter().map(|r| r.recorded.stream_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.revision).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.recorded.project_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.filename).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.content_type).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.size).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.sha256).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.recorded.actor.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.recorded.recorded_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.restored_from).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
