//! One writer per upload, across nodes: a PostgreSQL advisory lock held
//! by an open transaction for as long as a request writes. A node that
//! dies releases it with its connection, so a client resuming after a
//! crash is never locked out.
use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::Error;

/// How long a request waits for the writer before it is refused.
pub const WAIT: Duration = Duration::from_secs(10);

/// Advisory lock keys of uploads are (this, hash of the id).
const NAMESPACE: i32 = 17;

pub struct Lease(#[allow(dead_code)] Transaction<'static, Postgres>);

/// The writer's lease on `id`, waiting up to `wait`; `None` if another
/// request kept it that long.
pub async fn take(writers: &PgPool, id: Uuid, wait: Duration) -> Result<Option<Lease>, Error> {
    let mut tx = writers.begin().await.map_err(|error| match error {
        sqlx::Error::PoolTimedOut => Error::Unavailable {
            detail: "too many uploads are being written at once; try again shortly".into(),
            retry_after: 5,
        },
        other => other.into(),
    })?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = {}",
        wait.as_millis().max(1)
    )))
    .execute(&mut *tx)
    .await?;
    let taken = sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(NAMESPACE)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await;
    match taken {
        Ok(_) => Ok(Some(Lease(tx))),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn busy() -> Error {
    Error::Conflict(
        "another request is writing to this upload; ask for its offset (HEAD) and continue from there"
            .into(),
    )
}
