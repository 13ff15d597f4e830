//! What a project weighs and whether an upload still fits: logical bytes
//! (every live revision counted, as users see them) against the quota;
//! stored bytes (each distinct blob once) beside them.
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

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
#[derive(Debug, Clone, Copy, Default)]
pub struct Quota {
    /// For projects without a quota of their own (`STOCKAGE_PROJECT_QUOTA_MB`).
    pub default_bytes: Option<u64>,
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

    /// The bytes an upload may still bring to the project; `None`: no quota.
    pub async fn room(&self, pool: &PgPool, project_id: Uuid) -> Result<Option<u64>, Error> {
        let (logical, quota): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT coalesce(sum(size), 0)::bigint FROM document_revisions
                     WHERE project_id = $1 AND purged_at IS NULL),
                    coalesce((SELECT quota_mb * 1000000 FROM project_retention WHERE project_id = $1), $2)",
        )
        .bind(project_id)
        .bind(self.default_bytes.map(|b| i64::try_from(b).unwrap_or(i64::MAX)))
        .fetch_one(pool)
        .await?;
        Ok(quota.map(|q| u64::try_from(q - logical).unwrap_or(0)))
    }

    /// 507 when `incoming` more bytes would take the project past its
    /// quota. Call it before storing anything: with the declared length
    /// before reading a byte, with the real size before the blob is kept.
    pub async fn ensure_room(
        &self,
        pool: &PgPool,
        project_id: Uuid,
        incoming: u64,
    ) -> Result<(), Error> {
        match self.room(pool, project_id).await? {
            Some(room) if incoming > room => Err(over_quota(incoming, room)),
            _ => Ok(()),
        }
    }
}

pub fn over_quota(incoming: u64, room: u64) -> Error {
    Error::InsufficientStorage(format!(
        "this upload of {incoming} bytes does not fit: the project has {room} bytes left under its quota; \
         purge old revisions or ask an owner to raise the quota"
    ))
}
