//! `append`: metadata-only commands (PATCH title) at 1, 8 and 64
//! concurrent clients, each client on its own document, beside raw
//! single-row INSERT + COMMIT at the same concurrency on a pool the size of
//! the server's; and the raw batched insert as the ceiling. Each row's note
//! gives the commands per commit (the server's group-commit batch size,
//! from its `/metrics`).
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use stockage_load::api::{Api, small_pdf};
use stockage_load::drive;
use stockage_load::raw;
use stockage_load::report::{Row, number};

use super::Ctx;

const CLIENTS: [usize; 3] = [1, 8, 64];
/// The server's histogram of appends (commands) per commit.
const BATCH_SIZE: &str = "stockage_append_batch_size";

/// The histogram's sum and count so far.
async fn batches(api: &Api) -> Result<(f64, f64), String> {
    let sum = api.metric(&format!("{BATCH_SIZE}_sum")).await?;
    let count = api.metric(&format!("{BATCH_SIZE}_count")).await?;
    Ok((sum, count))
}

/// Commands per commit between two readings, as the row's note.
fn per_commit(before: Result<(f64, f64), String>, after: Result<(f64, f64), String>) -> String {
    match (before, after) {
        (Ok((sum0, count0)), Ok((sum1, count1))) if count1 > count0 => format!(
            "{:.1} commands per commit ({} commits)",
            (sum1 - sum0) / (count1 - count0),
            number((count1 - count0).round()).trim_end_matches(".0")
        ),
        (Err(error), _) | (_, Err(error)) => format!("commands per commit unknown: {error}"),
        _ => "no commit seen".into(),
    }
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let slug = ctx.project("append").await?;
    let documents: Vec<String> = futures_util::stream::iter(0..CLIENTS[2] as u64)
        .map(|n| {
            let (api, slug) = (ctx.api.clone(), slug.clone());
            async move {
                api.upload_bytes(&slug, &format!("d{n}.pdf"), small_pdf(n, 2_000))
                    .await
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|doc| Ok(doc?["id"].as_str().unwrap_or_default().to_owned()))
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let documents = Arc::new(documents);
    raw::create_table(&ctx.pool).await?;
    let mut rows = Vec::new();
    let counter = Arc::new(AtomicU64::new(0));
    for clients in CLIENTS {
        let baseline = raw::insert_commit_rate(&ctx.pool, clients, ctx.duration()).await;
        let before = batches(&ctx.api).await;
        let (api, slug, documents, counter) = (
            ctx.api.clone(),
            slug.clone(),
            documents.clone(),
            counter.clone(),
        );
        let outcome = drive::closed_loop(clients, ctx.duration(), move |client| {
            let (api, slug, documents) = (api.clone(), slug.clone(), documents.clone());
            let n = counter.fetch_add(1, Ordering::Relaxed);
            async move {
                api.patch_title(&slug, &documents[client], &format!("Title {n}"))
                    .await
            }
        })
        .await;
        let per_commit = per_commit(before, batches(&ctx.api).await);
        let mut row = Row::new(
            "append",
            format!(
                "{clients} client{}, PATCH title",
                if clients == 1 { "" } else { "s" }
            ),
            outcome.rate(),
            "commands/s",
        )
        .against("raw INSERT+COMMIT", baseline.rate(), "rows/s")
        .latency(outcome.percentiles())
        .errors(outcome.errors + baseline.errors)
        .note(
            outcome
                .first_error
                .or(baseline.first_error)
                .unwrap_or(per_commit),
        );
        if clients == 64 {
            row = row.target_ratio(true, 1.0);
        }
        rows.push(row);
    }
    let batched = raw::batched_insert_rate(&ctx.pool, ctx.duration()).await;
    rows.push(
        Row::new(
            "baseline",
            "raw batched INSERT, 1,000 rows a statement",
            batched.rate(),
            "rows/s",
        )
        .errors(batched.errors)
        .note(
            batched
                .first_error
                .unwrap_or_else(|| "the ceiling group commit approaches".into()),
        ),
    );
    raw::drop_table(&ctx.pool).await?;
    Ok(rows)
}
