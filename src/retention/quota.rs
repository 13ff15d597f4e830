//! What a project weighs and whether an upload still fits: logical bytes
//! (every live revision counted, as users see them) against the quota;
//! stored bytes (each distinct blob once) beside them.
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::reservation::{Reservation, Turns};

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Usage {
    /// Documents not purged (those in the trash included: they hold bytes).
    pub documents: i64,
    pub documents_in_trash: i64,
    /// Revisions whose bytes are kept.
    pub revisions: i64,
    pub bytes_logical: i64,
    pub bytes_stored: i64,
    pub quota_bytes: Option<i64>,
}

/// The quota check every upload path runs (multipart, raw body, tus).
/// One per node, cloned to each path: they share its turns.
#[derive(Debug, Clone, Default)]
pub struct Quota {
    /// For projects without a quota of their own (`STOCKAGE_PROJECT_QUOTA_MB`).
    pub default_bytes: Option<u64>,
    pub turns: Turns,
}

impl Quota {
    pub async fn usage(&self, pool: &PgPool, project_id: Uuid) -> Result<Usage, Error> {
        let default = self
            .default_bytes
            .map(|b| i64::try_from(b).unwrap_or(i64::MAX));
        Ok(sqlx::query_as(
            "WITH live AS (SELECT sha256, size FROM document_revisions
                           WHERE project_id = $1 AND purged_at IS NULL)
             SELECT
               (SELECT count(*) FROM project_resources r WHERE r.project_id = $1
                   AND NOT EXISTS (SELECT 1 FROM purged_documents p WHERE p.document_id = r.id)) AS documents,
               (SELECT count(*) FROM project_resources r WHERE r.project_id = $1 AND r.deleted_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM purged_documents p WHERE p.document_id = r.id)) AS documents_in_trash,
               (SELECT count(*) FROM live) AS revisions,
               (SELECT coalesce(sum(size), 0)::bigint FROM live) AS bytes_logical,
               (SELECT coalesce(sum(size), 0)::bigint FROM (SELECT DISTINCT sha256, size FROM live) d) AS bytes_stored,
               coalesce((SELECT quota_mb * 1000000 FROM project_retention WHERE project_id = $1), $2) AS quota_bytes",
        )
        .bind(project_id)
        .bind(default)
        .fetch_one(pool)
        .await?)
    }

    /// The bytes an upload may still bring to the project (room held for
    /// uploads on their way in counts as taken); `None`: no quota. A quick
    /// look for an early 507; only [`Quota::reserve`] holds room.
    pub async fn room(&self, pool: &PgPool, project_id: Uuid) -> Result<Option<u64>, Error> {
        let (taken, quota): (Option<i64>, Option<i64>) = sqlx::query_as(TAKEN)
            .bind(project_id)
            .bind(self.default_i64())
            .bind(Uuid::nil())
            .fetch_one(pool)
            .await?;
        Ok(quota.map(|q| u64::try_from(q - taken.unwrap_or(0)).unwrap_or(0)))
    }

    /// Holds `bytes` of the project's room for upload `id` until the
    /// returned reservation is released (or `until`, if its node dies),
    /// or refuses with 507. Decided under a per-project lock, so uploads
    /// racing for the last room cannot all get it (decision 0060). Taking
    /// it again for the same `id` replaces the bytes held, checked anew.
    pub async fn reserve(
        &self,
        pool: &PgPool,
        project_id: Uuid,
        id: Uuid,
        bytes: u64,
        until: OffsetDateTime,
    ) -> Result<Reservation, Error> {
        // Without a quota there is nothing to hold: one statement, which
        // also drops room this id held under a quota since removed.
        let quota: Option<i64> = sqlx::query_scalar(UNLIMITED)
            .bind(project_id)
            .bind(self.default_i64())
            .bind(id)
            .fetch_one(pool)
            .await?;
        if quota.is_none() {
            return Ok(Reservation::none(id));
        }
        let _turn = self.turns.take(project_id).await;
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('stockage:quota'), hashtext($1::text))")
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        let (taken, quota): (Option<i64>, Option<i64>) = sqlx::query_as(TAKEN)
            .bind(project_id)
            .bind(self.default_i64())
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let Some(quota) = quota else {
            // No quota (any more): nothing to hold, nor to keep held.
            sqlx::query("DELETE FROM quota_reservations WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Reservation::none(id));
        };
        let room = u64::try_from(quota - taken.unwrap_or(0)).unwrap_or(0);
        if bytes > room {
            return Err(over_quota(bytes, room));
        }
        sqlx::query("DELETE FROM quota_reservations WHERE project_id = $1 AND expires_at <= now()")
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO quota_reservations (id, project_id, bytes, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(project_id)
        .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
        .bind(until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Reservation::held(
            pool.clone(),
            id,
            self.turns.clone(),
            project_id,
        ))
    }

    fn default_i64(&self) -> Option<i64> {
        self.default_bytes
            .map(|b| i64::try_from(b).unwrap_or(i64::MAX))
    }
}

/// The project's quota (`$2` when it has none of its own).
macro_rules! quota {
    () => {
        "coalesce((SELECT quota_mb * 1000000 FROM project_retention WHERE project_id = $1), $2)"
    };
}

/// The project's bytes taken (live revisions, and room held for uploads
/// other than `$3`) and its quota. Without a quota nothing is summed (a
/// CASE branch not taken never runs its subqueries): taken is then null.
const TAKEN: &str = concat!(
    "SELECT CASE WHEN q.bytes IS NOT NULL THEN
        (SELECT coalesce(sum(size), 0)::bigint FROM document_revisions
          WHERE project_id = $1 AND purged_at IS NULL)
      + (SELECT coalesce(sum(bytes), 0)::bigint FROM quota_reservations
          WHERE project_id = $1 AND expires_at > now() AND id <> $3) END,
        q.bytes
     FROM (SELECT ",
    quota!(),
    " AS bytes) q"
);

/// The project's quota; when it has none, whatever upload `$3` held under
/// one is dropped in the same statement.
const UNLIMITED: &str = concat!(
    "WITH q AS (SELECT ",
    quota!(),
    " AS bytes),
          dropped AS (DELETE FROM quota_reservations
                      WHERE id = $3 AND (SELECT bytes FROM q) IS NULL)
     SELECT bytes FROM q"
);

pub fn over_quota(incoming: u64, room: u64) -> Error {
    Error::InsufficientStorage(format!(
        "this upload of {incoming} bytes does not fit: the project has {room} bytes left under its quota; \
         purge old revisions or ask an owner to raise the quota"
    ))
}
