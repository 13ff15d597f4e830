//! `search`: a generated corpus (10,000 documents by default) uploaded
//! through the API as ASCII STL files whose titles, tags and solid names
//! come from a seeded vocabulary, 10 % of them denied to the searching
//! viewer by an ACL; once indexed, p50/p95/p99 of `GET /api/v1/search` as
//! that viewer (permission filter, count, snippets) beside the raw
//! `websearch_to_tsquery` query on the same table without any filter.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::StreamExt;
use serde_json::json;
use stockage_load::drive;
use stockage_load::report::Row;
use stockage_load::rng::Rng;

use super::Ctx;

const VOCABULARY: usize = 2_000;
const SYLLABLES: [&str; 16] = [
    "ka", "ro", "mi", "te", "lu", "sa", "no", "vi", "de", "pa", "gu", "lo", "ber", "tan", "dor",
    "fel",
];
pub(super) const RAW: &str = "SELECT document_id, ts_rank_cd(tsv, q.q, 32) AS rank
    FROM search_documents, (SELECT stockage_search_query($1, '{english}') AS q) q
    WHERE tsv @@ q.q ORDER BY rank DESC LIMIT 20";

fn vocabulary(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut words = Vec::with_capacity(VOCABULARY);
    while words.len() < VOCABULARY {
        let word: String = (0..3 + rng.below(2))
            .map(|_| SYLLABLES[rng.below(16) as usize])
            .collect();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// Skewed towards the first words, as real vocabularies are.
fn word<'a>(rng: &mut Rng, vocabulary: &'a [String]) -> &'a str {
    let a = rng.below(VOCABULARY as u64);
    let b = rng.below(VOCABULARY as u64);
    &vocabulary[a.min(b) as usize]
}

fn stl(name: &str) -> Vec<u8> {
    format!("solid {name}\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid {name}\n").into_bytes()
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let total = ctx.search_docs;
    let slug = ctx.project("search").await?;
    let project = ctx
        .api
        .get_project(&slug)
        .await
        .map_err(anyhow::Error::msg)?;
    let project_id: uuid::Uuid = project["id"].as_str().unwrap_or_default().parse()?;
    ctx.api
        .add_member(&slug, "load-searcher", "viewer")
        .await
        .map_err(anyhow::Error::msg)?;
    let vocabulary = Arc::new(vocabulary(ctx.seed));
    let started = Instant::now();
    let uploaded = futures_util::stream::iter(0..total as u64)
        .map(|n| {
            let (api, slug, vocabulary) = (ctx.api.clone(), slug.clone(), vocabulary.clone());
            let mut rng = Rng::new(ctx.seed ^ (n << 20));
            async move {
                let title: Vec<&str> = (0..3).map(|_| word(&mut rng, &vocabulary)).collect();
                let solid: Vec<&str> = (0..6).map(|_| word(&mut rng, &vocabulary)).collect();
                let form = reqwest::multipart::Form::new()
                    .text("title", title.join(" "))
                    .text("tags", word(&mut rng, &vocabulary).to_owned())
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(stl(&solid.join(" ")))
                            .file_name(format!("part-{n}.stl")),
                    );
                let doc = api.upload_form(&slug, form).await?;
                if n % 10 == 9 {
                    let id = doc["id"].as_str().unwrap_or_default();
                    let entries =
                        json!([{"principal": "user:load-searcher", "permission": "none"}]);
                    api.put_acl(&slug, id, entries).await?;
                }
                Ok::<_, String>(())
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    if let Some(Err(error)) = uploaded.into_iter().find(Result::is_err) {
        bail!("building the corpus: {error}");
    }
    let upload_rate = total as f64 / started.elapsed().as_secs_f64();
    let index_rate = wait_for_index(ctx, project_id, total, started).await?;

    let searcher = ctx.user("load-searcher").await?;
    let queries = Arc::new(
        (0..4_096u64)
            .map(|n| {
                let mut rng = Rng::new(ctx.seed ^ n.wrapping_mul(0x5851_F42D));
                (0..1 + rng.below(2))
                    .map(|_| word(&mut rng, &vocabulary))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>(),
    );
    let clients = 4;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (q, n) = (queries.clone(), next.clone());
    let pool = ctx.pool.clone();
    let raw = drive::closed_loop(clients, ctx.duration(), move |_| {
        let (pool, q) = (pool.clone(), q.clone());
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move {
            sqlx::query(RAW)
                .bind(&q[i % q.len()])
                .fetch_all(&pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await;
    next.store(0, std::sync::atomic::Ordering::Relaxed);
    let (q, n) = (queries.clone(), next.clone());
    let api = searcher.clone();
    let searched = drive::closed_loop(clients, ctx.duration(), move |_| {
        let (api, q) = (api.clone(), q.clone());
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move { api.search(&q[i % q.len()]).await.map(drop) }
    })
    .await;
    let p95 = |o: &drive::Outcome| o.percentiles().map_or(0.0, |l| l.p95_ms);
    let (raw_p95, search_p95, search_rate) = (p95(&raw), p95(&searched), searched.rate());
    let corpus = stockage_load::report::number(total as f64);
    Ok(vec![
        Row::new(
            "search",
            format!("corpus of {corpus}: upload"),
            upload_rate,
            "docs/s",
        ),
        Row::new(
            "search",
            format!("corpus of {corpus}: indexed (upload start to all indexed)"),
            index_rate,
            "docs/s",
        ),
        Row::new(
            "baseline",
            format!("raw websearch_to_tsquery query, no filter, {clients} clients"),
            raw_p95,
            "ms p95",
        )
        .latency(raw.percentiles())
        .errors(raw.errors)
        .note(raw.first_error.unwrap_or_default()),
        Row::new(
            "search",
            format!("GET /search as a viewer (10 % denied), {clients} clients"),
            search_p95,
            "ms p95",
        )
        .against("raw query p95", raw_p95, "ms")
        .target_ratio(false, 1.5)
        .latency(searched.percentiles())
        .errors(searched.errors)
        .note(
            searched
                .first_error
                .unwrap_or_else(|| format!("{:.0} queries/s", search_rate)),
        ),
    ])
}

/// Waits until every document of the project is indexed (or failed);
/// documents/s from `started`.
async fn wait_for_index(
    ctx: &Ctx,
    project: uuid::Uuid,
    total: usize,
    started: Instant,
) -> anyhow::Result<f64> {
    let deadline = started + Duration::from_secs(if ctx.quick { 90 } else { 1_800 });
    loop {
        let (done, failed): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status <> 'pending'), count(*) FILTER (WHERE status = 'failed')
             FROM search_documents WHERE project_id = $1",
        )
        .bind(project)
        .fetch_one(&ctx.pool)
        .await?;
        if failed > 0 {
            bail!("{failed} documents failed to index");
        }
        if done as usize >= total {
            return Ok(total as f64 / started.elapsed().as_secs_f64());
        }
        if Instant::now() > deadline {
            bail!("only {done} of {total} documents indexed in time");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
