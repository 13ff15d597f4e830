//! What PostgreSQL itself can do on this machine: the raw rates the event
//! store is judged against. Rows go into `raw_events`, a table of the
//! `events` shape (same columns, constraints and indexes).
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::PgPool;
use uuid::Uuid;

use crate::drive::{self, Outcome};

pub async fn create_table(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("DROP TABLE IF EXISTS raw_events")
        .execute(pool)
        .await?;
    sqlx::query(
        "CREATE TABLE raw_events (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn drop_table(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("DROP TABLE IF EXISTS raw_events")
        .execute(pool)
        .await
        .map(drop)
}

fn payload() -> serde_json::Value {
    serde_json::json!({"title": "Raw", "tags": null})
}

/// One event-shaped row, inserted and committed in its own transaction.
pub async fn insert_one(pool: &PgPool, position: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO raw_events (position, event_id, stream_id, stream_version, project_id, event_type,
             schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash)
         VALUES ($1, $2, $3, 1, $3, 'DocumentMetadataChanged', 1, $4, 'bench', $2, NULL, now(), $5, $5)",
    )
    .bind(position)
    .bind(Uuid::now_v7())
    .bind(Uuid::now_v7())
    .bind(payload())
    .bind([7u8; 32].as_slice())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// `rows` event-shaped rows in one statement and one commit.
pub async fn insert_batch(pool: &PgPool, first: i64, rows: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO raw_events (position, event_id, stream_id, stream_version, project_id, event_type,
             schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash)
         SELECT p, gen_random_uuid(), gen_random_uuid(), 1, gen_random_uuid(), 'DocumentMetadataChanged',
             1, $3, 'bench', gen_random_uuid(), NULL, now(), $4, $4
         FROM generate_series($1::bigint, $1::bigint + $2 - 1) AS p",
    )
    .bind(first)
    .bind(rows)
    .bind(payload())
    .bind([7u8; 32].as_slice())
    .execute(pool)
    .await?;
    Ok(())
}

/// Single-row INSERT + COMMIT by `clients` concurrent tasks for `duration`.
pub async fn insert_commit_rate(pool: &PgPool, clients: usize, duration: Duration) -> Outcome {
    let next = Arc::new(AtomicI64::new(position_base(pool).await));
    let pool = pool.clone();
    drive::closed_loop(clients, duration, move |_| {
        let pool = pool.clone();
        let next = next.clone();
        async move {
            let position = next.fetch_add(1, Ordering::Relaxed);
            insert_one(&pool, position).await.map_err(|e| e.to_string())
        }
    })
    .await
}

/// Rows/s of 1,000-row inserts, one writer.
pub async fn batched_insert_rate(pool: &PgPool, duration: Duration) -> Outcome {
    const ROWS: i64 = 1_000;
    let next = Arc::new(AtomicI64::new(position_base(pool).await));
    let pool = pool.clone();
    let mut outcome = drive::closed_loop(1, duration, move |_| {
        let pool = pool.clone();
        let next = next.clone();
        async move {
            let first = next.fetch_add(ROWS, Ordering::Relaxed);
            insert_batch(&pool, first, ROWS)
                .await
                .map_err(|e| e.to_string())
        }
    })
    .await;
    outcome.done *= ROWS as u64;
    outcome
}

async fn position_base(pool: &PgPool) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT coalesce(max(position), 0) + 1 FROM raw_events")
        .fetch_one(pool)
        .await
        .unwrap_or(1)
}

/// Rows/s of reading every row of `table` in position order.
pub async fn scan_rate(pool: &PgPool, table: &str) -> Result<(u64, f64), sqlx::Error> {
    let started = std::time::Instant::now();
    let sql = format!("SELECT * FROM {table} ORDER BY position");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch(pool)
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await?;
    Ok((rows, rows as f64 / started.elapsed().as_secs_f64()))
}
