//! `append`: metadata-only commands (PATCH title) at 1, 8 and 64
//! concurrent clients, each client on its own document, beside raw
//! single-row INSERT + COMMIT at the same concurrency on a pool the size of
//! the server's; and the raw batched insert as the ceiling.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use stockage_load::api::small_pdf;
use stockage_load::drive;
use stockage_load::raw;
use stockage_load::report::Row;

use super::Ctx;

const CLIENTS: [usize; 3] = [1, 8, 64];

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
                .unwrap_or_default(),
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
