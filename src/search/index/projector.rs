use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};
use uuid::Uuid;

use stockage_store::{Kind, ProjectionError, Projector};

/// `search_documents`: what the search read model knows of each document
/// from the log alone. Content is extracted later by the index workers;
/// this projector only marks a row `pending` when its content changed, so
/// it never does slow work inside its transaction.
pub struct SearchProjector;

#[async_trait]
impl Projector for SearchProjector {
    fn name(&self) -> &'static str {
        "search"
    }

    fn kind(&self) -> Kind {
        Kind::Async
    }

    fn tables(&self) -> &'static [&'static str] {
        &["search_documents"]
    }

    /// What the extraction workers write (see `worker.rs`).
    fn worker_columns(&self) -> &'static [&'static str] {
        &[
            "status",
            "reason",
            "body",
            "extra",
            "metadata",
            "keywords",
            "content_tsv",
            "indexed_revision",
            "claimed_until",
            "attempts",
            "tsv",
        ]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError> {
        let id = recorded.stream_id;
        match event {
            Event::DocumentAdded {
                title,
                filename,
                kind,
                sha256,
                tags,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO search_documents (document_id, project_id, kind, title, filename, tags, added_by,
                         created_at, revision, sha256, language, tsv)
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1, $9, l.language,
                         stockage_search_vector(l.language, $4, $6, '{}', '', '')
                     FROM (SELECT coalesce((SELECT language FROM search_settings WHERE project_id = $2),
                                           'english'::regconfig) AS language) l
                     ON CONFLICT (document_id) DO NOTHING",
                )
                .bind(id)
                .bind(recorded.project_id)
                .bind(kind.as_str())
                .bind(title)
                .bind(filename)
                .bind(tags)
                .bind(recorded.actor.as_str())
                .bind(recorded.recorded_at)
                .bind(sha256.as_str())
                .execute(&mut *conn)
                .await?;
            }
            Event::RevisionAdded {
                revision,
                filename,
                sha256,
                ..
            }
            | Event::RevisionRestored {
                revision,
                filename,
                sha256,
                ..
            } => {
                // A newer revision than the row knows: its content is to be
                // extracted; until then the old content stays searchable.
                sqlx::query(
                    "UPDATE search_documents SET revision = $2, filename = $3, sha256 = $4,
                         generation = generation + 1, status = 'pending', reason = NULL, claimed_until = NULL,
                         attempts = 0
                     WHERE document_id = $1 AND revision < $2",
                )
                .bind(id)
                .bind(*revision as i32)
                .bind(filename)
                .bind(sha256.as_str())
                .execute(&mut *conn)
                .await?;
            }
            Event::DocumentMetadataChanged { title, tags } => {
                retitle(conn, &[(id, title.clone(), tags.clone())]).await?;
            }
            Event::DocumentDeleted {} | Event::DocumentUndeleted {} => {
                sqlx::query("UPDATE search_documents SET deleted = $2 WHERE document_id = $1")
                    .bind(id)
                    .bind(matches!(event, Event::DocumentDeleted {}))
                    .execute(&mut *conn)
                    .await?;
            }
            Event::DocumentPurged { .. } => {
                // The extracted text goes with the bytes.
                sqlx::query("DELETE FROM search_documents WHERE document_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Event::ProjectCreated { .. }
            | Event::RevisionPurged { .. }
            | Event::RetentionPolicySet { .. }
            | Event::LegalHoldSet { .. }
            | Event::QuotaSet { .. }
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
            | Event::ShareDownloaded { .. } => {}
        }
        Ok(())
    }

    /// Folds the page's title and tag changes into one statement that
    /// recomputes each retitled document's vector once, however many
    /// times the page changed it. Every row is one document's, so other
    /// documents' events are applied as they come; an event of a document
    /// with changes pending writes those first (the rows left are those
    /// of `apply` on each event in turn).
    async fn apply_page(
        &self,
        conn: &mut PgConnection,
        page: &[(&RecordedEvent, Event)],
    ) -> Result<(), ProjectionError> {
        let mut pending: Vec<Metadata> = Vec::new();
        let mut at: HashMap<Uuid, usize> = HashMap::new();
        for (recorded, event) in page {
            let id = recorded.stream_id;
            if let Event::DocumentMetadataChanged { title, tags } = event {
                match at.get(&id) {
                    Some(&i) => {
                        let (_, t, g) = &mut pending[i];
                        *t = title.clone().or(t.take());
                        *g = tags.clone().or(g.take());
                    }
                    None => {
                        at.insert(id, pending.len());
                        pending.push((id, title.clone(), tags.clone()));
                    }
                }
                continue;
            }
            if at.contains_key(&id) {
                retitle(conn, &std::mem::take(&mut pending)).await?;
                at.clear();
            }
            self.apply(conn, recorded, event).await?;
        }
        retitle(conn, &pending).await
    }
}

/// A document's new title and tags (`None` keeps what it has).
type Metadata = (Uuid, Option<String>, Option<Vec<String>>);

/// Title and tags are not content: each vector is recomputed from the new
/// title and tags and the content's vector the row keeps (computed here
/// once for a row indexed before it was kept), without extracting anything
/// again.
async fn retitle(conn: &mut PgConnection, changes: &[Metadata]) -> Result<(), ProjectionError> {
    if changes.is_empty() {
        return Ok(());
    }
    let tags = |t: &Option<Vec<String>>| t.as_ref().map(|t| serde_json::json!(t));
    sqlx::query(include_str!("retitle.sql"))
        .bind(changes.iter().map(|(id, ..)| *id).collect::<Vec<_>>())
        .bind(
            changes
                .iter()
                .map(|(_, t, _)| t.clone())
                .collect::<Vec<_>>(),
        )
        .bind(changes.iter().map(|(.., g)| tags(g)).collect::<Vec<_>>())
        .execute(conn)
        .await?;
    Ok(())
}
