//! Rebuilding read models from position 0 into fresh tables in a schema of
//! their own, comparing them with the live ones, and swapping them in.
use sqlx::{PgPool, Postgres, Transaction};

use stockage_store::{ProjectionError, Projector, apply_page_all, log};

/// Events read and applied per statement round: projectors fold a page.
const PAGE: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("schema name {0:?} must be lowercase letters, digits and '_'")]
    BadSchema(String),
    #[error("in the page from position {position}: {source}")]
    Projection {
        position: i64,
        source: ProjectionError,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn checked(schema: &str) -> Result<&str, RebuildError> {
    let ok = !schema.is_empty()
        && schema != "public"
        && schema.starts_with(|c: char| c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(schema)
        .ok_or_else(|| RebuildError::BadSchema(schema.to_owned()))
}

fn tables(projectors: &[Box<dyn Projector>]) -> Vec<&'static str> {
    projectors
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect()
}

async fn exec(tx: &mut Transaction<'_, Postgres>, sql: String) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Creates `schema` with empty copies of the projectors' tables and replays
/// the whole log into them. Returns the last position applied.
pub async fn rebuild(
    pool: &PgPool,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, RebuildError> {
    let schema = checked(schema)?;
    let mut tx = pool.begin().await?;
    exec(&mut tx, format!("CREATE SCHEMA {schema}")).await?;
    for table in tables(projectors) {
        exec(
            &mut tx,
            format!("CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)"),
        )
        .await?;
    }
    tx.commit().await?;

    let head = log::head(&mut *pool.acquire().await?).await?;
    let mut position = 0;
    loop {
        let mut tx = pool.begin().await?;
        let applied = replay_page(&mut tx, projectors, schema, position).await?;
        tx.commit().await?;
        match applied {
            Some(last) => position = last,
            None => return Ok(position),
        }
        progress(position, head.max(position));
    }
}

/// Applies the next page of events after `after` into `schema`'s tables;
/// `None` when there was nothing left.
async fn replay_page(
    tx: &mut Transaction<'_, Postgres>,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    after: i64,
) -> Result<Option<i64>, RebuildError> {
    let events = log::read_after(tx, after, PAGE).await?;
    let Some(last) = events.last().map(|e| e.position) else {
        return Ok(None);
    };
    // Only the fresh tables are visible while projecting, so a projector
    // can never touch the live ones.
    exec(tx, format!("SET LOCAL search_path TO {schema}")).await?;
    apply_page_all(projectors, tx, &events)
        .await
        .map_err(|source| RebuildError::Projection {
            position: events[0].position,
            source,
        })?;
    exec(tx, "SET LOCAL search_path TO public".to_owned()).await?;
    Ok(Some(last))
}

/// Tables whose rows differ between `public` and `schema` (as multisets),
/// leaving out the columns workers fill in off the log.
pub async fn differences(
    pool: &PgPool,
    projectors: &[Box<dyn Projector>],
    schema: &str,
) -> Result<Vec<&'static str>, RebuildError> {
    let schema = checked(schema)?;
    let mut differing = Vec::new();
    for projector in projectors {
        for table in projector.tables() {
            let columns = compared_columns(pool, table, projector.worker_columns()).await?;
            let sql = format!(
                "SELECT count(*) FROM ((SELECT {columns} FROM public.{table} EXCEPT ALL SELECT {columns} FROM {schema}.{table})
                 UNION ALL (SELECT {columns} FROM {schema}.{table} EXCEPT ALL SELECT {columns} FROM public.{table})) AS d"
            );
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(pool)
                .await?;
            if count > 0 {
                differing.push(*table);
            }
        }
    }
    Ok(differing)
}

/// `*`, or the table's columns but `skipped` as a select list.
async fn compared_columns(
    pool: &PgPool,
    table: &str,
    skipped: &[&str],
) -> Result<String, sqlx::Error> {
    if skipped.is_empty() {
        return Ok("*".into());
    }
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 AND NOT (column_name = ANY($2))
         ORDER BY ordinal_position",
    )
    .bind(table)
    .bind(skipped)
    .fetch_all(pool)
    .await?;
    Ok(columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", "))
}

/// Brings the rebuilt tables up to the head of the log and swaps them in,
/// atomically and while appends wait on the append lock. The old tables are
/// dropped. Call after [`rebuild`] into `schema`, passing its result.
pub async fn swap(
    pool: &PgPool,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    rebuilt_to: i64,
) -> Result<(), RebuildError> {
    let schema = checked(schema)?;
    let retired = format!("{schema}_retired");
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(log::APPEND_LOCK)
        .execute(&mut *tx)
        .await?;
    let mut position = rebuilt_to;
    while let Some(last) = replay_page(&mut tx, projectors, schema, position).await? {
        position = last;
    }
    exec(&mut tx, format!("CREATE SCHEMA {retired}")).await?;
    for table in tables(projectors) {
        exec(
            &mut tx,
            format!("ALTER TABLE public.{table} SET SCHEMA {retired}"),
        )
        .await?;
        exec(
            &mut tx,
            format!("ALTER TABLE {schema}.{table} SET SCHEMA public"),
        )
        .await?;
    }
    exec(&mut tx, format!("DROP SCHEMA {retired} CASCADE")).await?;
    exec(&mut tx, format!("DROP SCHEMA {schema}")).await?;
    tx.commit().await?;
    Ok(())
}

/// Drops a rebuild schema and everything in it.
pub async fn discard(pool: &PgPool, schema: &str) -> Result<(), RebuildError> {
    let schema = checked(schema)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(pool)
    .await?;
    Ok(())
}
