//! Rebuilding read models from position 0 into fresh tables in a schema of
//! their own, comparing them with the live ones, and swapping them in.
use sqlx::{PgPool, Postgres, Transaction};
use stockage_events::{Event, RecordedEvent};
use stockage_store::{ProjectionError, Projector, log};
use tokio::sync::mpsc;

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
    progress: impl FnMut(i64, i64),
) -> Result<i64, RebuildError> {
    rebuild_in_pages(pool, projectors, schema, PAGE, progress).await
}

/// [`rebuild`], reading and applying `page` events at a time (tests use
/// small pages to cross many page boundaries).
pub async fn rebuild_in_pages(
    pool: &PgPool,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    page: i64,
    progress: impl FnMut(i64, i64),
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
    let deferred = defer_indexes(&mut tx, schema, &tables(projectors)).await?;
    tx.commit().await?;
    let last = replay(pool, projectors, schema, page, progress).await?;
    // Built once over the loaded rows rather than kept up row by row.
    let mut tx = pool.begin().await?;
    for index in deferred {
        exec(&mut tx, index).await?;
    }
    tx.commit().await?;
    Ok(last)
}

/// Drops the indexes of `schema`'s tables that neither enforce a
/// constraint nor are unique (nothing in a replay looks rows up by them);
/// returns the statements that create them again as the live tables have
/// them, names included (`LIKE` would have named them after their columns).
async fn defer_indexes(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    tables: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    let plain = "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relnamespace = $1::regnamespace AND t.relname = ANY ($2) AND NOT i.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)";
    let rebuilt: Vec<(String, String)> = sqlx::query_as(plain)
        .bind(schema)
        .bind(tables)
        .fetch_all(&mut **tx)
        .await?;
    for (name, _) in &rebuilt {
        exec(tx, format!("DROP INDEX {name}")).await?;
    }
    let live: Vec<(String, String)> = sqlx::query_as(plain)
        .bind("public")
        .bind(tables)
        .fetch_all(&mut **tx)
        .await?;
    Ok(live
        .into_iter()
        .map(|(_, definition)| definition.replacen(" ON public.", &format!(" ON {schema}."), 1))
        .collect())
}

/// Replays the whole log into `schema`'s tables, `page` events at a time.
async fn replay(
    pool: &PgPool,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    page: i64,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, RebuildError> {
    let head = log::head(&mut *pool.acquire().await?).await?;
    // The next page is read and decoded on a connection of its own while
    // the last one is written.
    let (pages, mut next) = mpsc::channel(2);
    let reader = tokio::spawn(read_ahead(pool.clone(), page, pages));
    let written = async {
        let mut position = 0;
        while let Some(read) = next.recv().await {
            let mut tx = pool.begin().await?;
            // A rebuild that dies is discarded and run again, so its pages
            // need not wait for the disk; the swap's commit does, and that
            // makes everything written before it durable too.
            exec(&mut tx, "SET LOCAL synchronous_commit TO off".to_owned()).await?;
            position = apply(&mut tx, projectors, schema, read?).await?;
            tx.commit().await?;
            progress(position, head.max(position));
        }
        Ok(position)
    }
    .await;
    reader.abort();
    written
}

/// Consecutive events of the log, decoded.
struct Page {
    recorded: Vec<RecordedEvent>,
    events: Vec<Event>,
}

impl Page {
    fn decode(recorded: Vec<RecordedEvent>) -> Result<Option<Self>, RebuildError> {
        let Some(first) = recorded.first().map(|e| e.position) else {
            return Ok(None);
        };
        let events = recorded
            .iter()
            .map(RecordedEvent::event)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RebuildError::Projection {
                position: first,
                source: e.into(),
            })?;
        Ok(Some(Self { recorded, events }))
    }
}

/// Reads and decodes the log from the start, a page at a time, until its
/// end, the first error, or nobody waiting for more.
async fn read_ahead(pool: PgPool, size: i64, pages: mpsc::Sender<Result<Page, RebuildError>>) {
    let mut after = 0;
    loop {
        let page = match pool.acquire().await {
            Ok(mut conn) => log::read_after(&mut conn, after, size).await,
            Err(error) => Err(error),
        };
        let page = page.map_err(RebuildError::from).and_then(Page::decode);
        match page {
            Ok(None) => return,
            Ok(Some(page)) => {
                after = page.recorded.last().map_or(after, |e| e.position);
                if pages.send(Ok(page)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                drop(pages.send(Err(error)).await);
                return;
            }
        }
    }
}

/// Applies a page into `schema`'s tables; returns its last position.
async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    page: Page,
) -> Result<i64, RebuildError> {
    let first = page.recorded[0].position;
    let last = page.recorded.last().map_or(first, |e| e.position);
    let pairs: Vec<(&RecordedEvent, Event)> = page.recorded.iter().zip(page.events).collect();
    // Only the fresh tables are visible while projecting, so a projector
    // can never touch the live ones.
    exec(tx, format!("SET LOCAL search_path TO {schema}")).await?;
    for projector in projectors {
        projector
            .apply_page(tx, &pairs)
            .await
            .map_err(|source| RebuildError::Projection {
                position: first,
                source,
            })?;
    }
    exec(tx, "SET LOCAL search_path TO public".to_owned()).await?;
    Ok(last)
}

/// Applies the next page of events after `after` into `schema`'s tables;
/// `None` when there was nothing left.
async fn replay_page(
    tx: &mut Transaction<'_, Postgres>,
    projectors: &[Box<dyn Projector>],
    schema: &str,
    after: i64,
) -> Result<Option<i64>, RebuildError> {
    match Page::decode(log::read_after(tx, after, PAGE).await?)? {
        Some(page) => apply(tx, projectors, schema, page).await.map(Some),
        None => Ok(None),
    }
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
