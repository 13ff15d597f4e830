//! What the retention policies purge at a moment, computed from the read
//! models, and applying exactly that. The plan is what `--dry-run` shows;
//! applying returns the part of it that was recorded (all of it unless a
//! document changed in between, e.g. a label or a hold came first).
use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use stockage_events::{Event, EventMeta, PurgeRule, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::purge::{Purger, Swept};
use crate::error::Error;

/// The actor of the events the scheduler and the CLI record.
pub const ACTOR: &str = "@retention";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Whole documents, in the trash for longer than the project keeps them.
    pub documents: Vec<DocumentPurge>,
    /// Old revisions of documents, beyond what the project keeps.
    pub revisions: Vec<RevisionPurge>,
    /// Logical bytes of everything above (each revision counted).
    pub bytes: i64,
    /// Stored bytes no live revision references once this is applied.
    pub bytes_freed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DocumentPurge {
    pub project: String,
    #[serde(skip)]
    pub project_id: Uuid,
    pub document: Uuid,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub deleted_at: OffsetDateTime,
    pub trash_days: i32,
    pub revisions: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RevisionPurge {
    pub project: String,
    #[serde(skip)]
    pub project_id: Uuid,
    pub document: Uuid,
    pub revision: i32,
    pub size: i64,
    pub sha256: String,
    pub keep_revisions: Option<i32>,
    pub keep_days: Option<i32>,
}

const TRASH: &str = "SELECT p.slug AS project, r.project_id, r.id AS document, r.title, r.deleted_at, t.trash_days,
       (SELECT count(*) FROM document_revisions v WHERE v.document_id = r.id AND v.purged_at IS NULL) AS revisions,
       (SELECT coalesce(sum(v.size), 0)::bigint FROM document_revisions v
         WHERE v.document_id = r.id AND v.purged_at IS NULL) AS bytes
  FROM project_resources r
  JOIN project_retention t ON t.project_id = r.project_id
  JOIN projects p ON p.id = r.project_id
 WHERE NOT t.hold AND t.trash_days IS NOT NULL AND r.deleted_at IS NOT NULL
   AND r.deleted_at <= $1 - make_interval(days => t.trash_days)
   AND NOT EXISTS (SELECT 1 FROM purged_documents d WHERE d.document_id = r.id)
 ORDER BY p.slug, r.deleted_at, r.id";

/// Never the latest revision, a labelled or released one, or one of a
/// document purged whole in the same plan.
const REVISIONS: &str =
    "SELECT p.slug AS project, v.project_id, v.document_id AS document, v.revision, v.size,
       v.sha256, t.keep_revisions, t.keep_days
  FROM document_revisions v
  JOIN project_resources r ON r.id = v.document_id
  JOIN project_retention t ON t.project_id = v.project_id
  JOIN projects p ON p.id = v.project_id
 WHERE NOT t.hold AND (t.keep_revisions IS NOT NULL OR t.keep_days IS NOT NULL)
   AND v.purged_at IS NULL AND v.label IS NULL AND v.revision < r.revision
   AND (t.keep_revisions IS NULL OR v.revision <= r.revision - t.keep_revisions)
   AND (t.keep_days IS NULL OR v.created_at < $1 - make_interval(days => t.keep_days))
   AND NOT EXISTS (SELECT 1 FROM purged_documents d WHERE d.document_id = v.document_id)
   AND NOT EXISTS (SELECT 1 FROM document_releases rel
                    WHERE rel.document_id = v.document_id AND rel.revision = v.revision)
   AND NOT (v.document_id = ANY ($2))
 ORDER BY p.slug, v.document_id, v.revision";

/// The stored bytes only the planned revisions reference.
const FREED: &str = "SELECT coalesce(sum(size), 0)::bigint FROM (
    SELECT max(v.size) AS size FROM document_revisions v
     WHERE v.purged_at IS NULL AND v.sha256 IN (
           SELECT w.sha256 FROM document_revisions w
            WHERE w.document_id = ANY ($1)
               OR (w.document_id, w.revision) IN (SELECT * FROM unnest($2::uuid[], $3::int[])))
     GROUP BY v.sha256
    HAVING bool_and(v.document_id = ANY ($1)
                    OR (v.document_id, v.revision) IN (SELECT * FROM unnest($2::uuid[], $3::int[])))) f";

/// What the policies purge at `now`.
pub async fn plan(pool: &PgPool, now: OffsetDateTime) -> Result<Plan, Error> {
    let documents: Vec<DocumentPurge> = sqlx::query_as(TRASH).bind(now).fetch_all(pool).await?;
    let whole: Vec<Uuid> = documents.iter().map(|d| d.document).collect();
    let revisions: Vec<RevisionPurge> = sqlx::query_as(REVISIONS)
        .bind(now)
        .bind(&whole)
        .fetch_all(pool)
        .await?;
    let mut plan = Plan {
        documents,
        revisions,
        ..Plan::default()
    };
    plan.bytes = total(&plan);
    plan.bytes_freed = freed(pool, &plan).await?;
    Ok(plan)
}

fn total(plan: &Plan) -> i64 {
    plan.documents.iter().map(|d| d.bytes).sum::<i64>()
        + plan.revisions.iter().map(|r| r.size).sum::<i64>()
}

async fn freed(pool: &PgPool, plan: &Plan) -> Result<i64, Error> {
    let whole: Vec<Uuid> = plan.documents.iter().map(|d| d.document).collect();
    Ok(sqlx::query_scalar(FREED)
        .bind(&whole)
        .bind(
            plan.revisions
                .iter()
                .map(|r| r.document)
                .collect::<Vec<_>>(),
        )
        .bind(
            plan.revisions
                .iter()
                .map(|r| r.revision)
                .collect::<Vec<_>>(),
        )
        .fetch_one(pool)
        .await?)
}

/// What a pass recorded, and what it took out of the blob store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub plan: Plan,
    pub swept: Swept,
    /// Documents whose purge was refused (changed since the plan); the next
    /// pass plans them again.
    pub refused: Vec<String>,
}

/// How many documents' purges are in flight at once. The event store's
/// writer commits every append waiting in its queue in one transaction, so
/// this is also about how many documents share a commit; it stays well
/// under the pool's 16 connections, which the server's requests share.
const IN_FLIGHT: usize = 8;

/// Plans at `now` and applies the plan, several documents at a time. Each
/// document is still its own command (decided on its stream's version,
/// refused or retried alone), so a purge recorded already, by this pass or
/// by another node, records nothing the second time.
pub async fn apply(purger: Purger<'_>, now: OffsetDateTime) -> Result<Applied, Error> {
    let planned = plan(purger.store.pool(), now).await?;
    let meta = EventMeta {
        actor: UserId::parse(ACTOR).map_err(Error::internal)?,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    let mut applied = Applied::default();
    let mut documents = stream::iter(planned.documents.clone())
        .map(|doc| {
            let rule = PurgeRule::Trash {
                trash_days: doc.trash_days as u32,
            };
            let meta = meta.clone();
            async move {
                let outcome = purger
                    .document(doc.project_id, doc.document, rule, meta)
                    .await;
                (doc, outcome)
            }
        })
        .buffered(IN_FLIGHT);
    while let Some((doc, outcome)) = documents.next().await {
        match outcome {
            Ok((recorded, swept)) => {
                applied.swept.add(swept);
                let purged = recorded
                    .iter()
                    .any(|e| matches!(e.event(), Ok(Event::DocumentPurged { .. })));
                if purged {
                    applied.plan.documents.push(doc);
                }
            }
            Err(error) => refuse(&mut applied, doc.document, error)?,
        }
    }
    drop(documents);
    let mut by_document: BTreeMap<Uuid, Vec<RevisionPurge>> = BTreeMap::new();
    for revision in &planned.revisions {
        by_document
            .entry(revision.document)
            .or_default()
            .push(revision.clone());
    }
    // In the plan's order (project, document, revision), whatever order
    // the purges finish in.
    let mut by_document: Vec<(Uuid, Vec<RevisionPurge>)> = by_document.into_iter().collect();
    by_document.sort_by(|(a, x), (b, y)| (&x[0].project, a).cmp(&(&y[0].project, b)));
    let mut revisions = stream::iter(by_document)
        .map(|(document, revisions)| {
            let first = &revisions[0];
            let rule = PurgeRule::Retention {
                keep_revisions: first.keep_revisions.map(|n| n as u32),
                keep_days: first.keep_days.map(|n| n as u32),
            };
            let numbers = revisions.iter().map(|r| r.revision as u32).collect();
            let project = first.project_id;
            let meta = meta.clone();
            async move {
                let outcome = purger
                    .revisions(project, document, numbers, rule, meta)
                    .await;
                (document, revisions, outcome)
            }
        })
        .buffered(IN_FLIGHT);
    while let Some((document, revisions, outcome)) = revisions.next().await {
        match outcome {
            Ok((recorded, swept)) => {
                applied.swept.add(swept);
                let purged: Vec<u32> = recorded
                    .iter()
                    .filter_map(|e| match e.event() {
                        Ok(Event::RevisionPurged { revision, .. }) => Some(revision),
                        _ => None,
                    })
                    .collect();
                applied.plan.revisions.extend(
                    revisions
                        .into_iter()
                        .filter(|r| purged.contains(&(r.revision as u32))),
                );
            }
            Err(error) => refuse(&mut applied, document, error)?,
        }
    }
    drop(revisions);
    applied.plan.bytes = total(&applied.plan);
    // What the plan said would be freed, for the part of it applied.
    let complete =
        applied.plan.documents == planned.documents && applied.plan.revisions == planned.revisions;
    applied.plan.bytes_freed = if complete {
        planned.bytes_freed
    } else {
        applied.swept.bytes_removed as i64
    };
    Ok(applied)
}

/// A refusal of the rules (a label, a hold since the plan) is reported;
/// anything else stops the pass.
fn refuse(applied: &mut Applied, document: Uuid, error: Error) -> Result<(), Error> {
    match error {
        Error::Conflict(why) | Error::Gone(why) | Error::NotFound(why) => {
            tracing::info!(%document, %why, "retention left a document for the next pass");
            applied.refused.push(format!("{document}: {why}"));
            Ok(())
        }
        other => Err(other),
    }
}
