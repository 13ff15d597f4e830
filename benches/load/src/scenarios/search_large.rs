//! `search`, large corpus: 100,000 documents (`--search-large-docs N`;
//! 1,000,000 for the documented 1M run) seeded straight into the read
//! models in SQL (`project_resources`, `search_documents` with its
//! tsvector, `document_acl`), since uploading and extracting them through
//! the API would take hours here. Their shape follows `cargo bench --bench
//! search`: a third each with 80, 6 and 1 words of text, 3 title words, a
//! 5,000-word vocabulary skewed to its frequent end (the cube of a uniform),
//! 10 % denied to the searching viewer. Then single frequent words (the 10
//! most frequent), one client, through `GET /api/v1/search`, beside the
//! raw ranked query of the same run.
use std::time::Instant;

use stockage_load::drive;
use stockage_load::report::{Row, number};
use stockage_load::rng::Rng;

use super::Ctx;
use super::search::RAW;

const VOCABULARY: usize = 5_000;
/// Each has a letter the 10,000-document corpus never uses, so the two
/// corpora share no word.
const SYLLABLES: [&str; 16] = [
    "zu", "qa", "wy", "jo", "xe", "ky", "hu", "yo", "zi", "qe", "wa", "ja", "xo", "hy", "ze", "qi",
];
const SEARCHER: &str = "load-large-searcher";

fn vocabulary(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x1a7e);
    let mut words = Vec::with_capacity(VOCABULARY);
    let mut seen = std::collections::HashSet::new();
    while words.len() < VOCABULARY {
        let word: String = (0..3 + rng.below(2))
            .map(|_| SYLLABLES[rng.below(16) as usize])
            .collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

const DOCS: &str = "CREATE TEMP TABLE large_docs ON COMMIT DROP AS
     SELECT n, md5($3::text || n)::uuid AS id,
         (SELECT string_agg($1[1 + floor(random() ^ 3 * array_length($1, 1))::int + 0 * k], ' ')
          FROM generate_series(1, 3 + 0 * n) k) AS title,
         (SELECT string_agg($1[1 + floor(random() ^ 3 * array_length($1, 1))::int + 0 * k], ' ')
          FROM generate_series(1, CASE n % 3 WHEN 0 THEN 80 WHEN 1 THEN 6 ELSE 1 END) k) AS body
     FROM generate_series(0, $2 - 1) n";

/// Each takes the project ($1); the last also the searcher ($2).
const ROWS: [&str; 3] = [
    "INSERT INTO project_resources (id, project_id, title, filename, kind, content_type, size, sha256,
         revision, tags, added_by, updated_by, created_at, updated_at)
     SELECT id, $1, title, 'large-' || n || '.pdf', (ARRAY['pdf', 'gltf', 'stl'])[1 + n % 3],
         'application/octet-stream', length(body), md5(body), 1, '{}', 'load-admin', 'load-admin', now(), now()
     FROM large_docs",
    "INSERT INTO search_documents (document_id, project_id, kind, title, filename, tags, added_by,
         created_at, revision, sha256, status, indexed_revision, body, tsv)
     SELECT id, $1, (ARRAY['pdf', 'gltf', 'stl'])[1 + n % 3], title, 'large-' || n || '.pdf', '{}',
         'load-admin', now(), 1, md5(body), 'indexed', 1, body,
         stockage_search_vector('english', title, '{}', '{}', body, 'large-' || n || '.pdf')
     FROM large_docs",
    "INSERT INTO document_acl (document_id, project_id, principal, permission)
     SELECT id, $1, 'user:' || $2, 'none' FROM large_docs WHERE n % 10 = 9",
];

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let total = ctx.search_large_docs;
    if total == 0 {
        return Ok(Vec::new());
    }
    let slug = ctx.project("search-large").await?;
    let project = ctx
        .api
        .get_project(&slug)
        .await
        .map_err(anyhow::Error::msg)?;
    let project_id: uuid::Uuid = project["id"].as_str().unwrap_or_default().parse()?;
    ctx.api
        .add_member(&slug, SEARCHER, "viewer")
        .await
        .map_err(anyhow::Error::msg)?;
    let vocabulary = vocabulary(ctx.seed);
    let started = Instant::now();
    let mut tx = ctx.pool.begin().await?;
    sqlx::query("SELECT setseed($1)")
        .bind((ctx.seed % 1000) as f64 / 1000.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query(DOCS)
        .bind(&vocabulary)
        .bind(total as i32)
        .bind(&slug)
        .execute(&mut *tx)
        .await?;
    for (i, sql) in ROWS.into_iter().enumerate() {
        let query = sqlx::query(sql).bind(project_id);
        let query = if i == 2 { query.bind(SEARCHER) } else { query };
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    // As autovacuum would have by the time a store grew to this size: the
    // GIN indexes' pending lists merged, hint bits and the visibility map
    // set. Left to autovacuum, that pass over the fresh rows ran during the
    // measurement, beside both the raw query and the server's.
    sqlx::query("VACUUM (ANALYZE) project_resources, search_documents, document_acl")
        .execute(&ctx.pool)
        .await?;
    let seed_rate = total as f64 / started.elapsed().as_secs_f64();

    let frequent = std::sync::Arc::new(vocabulary[..10].to_vec());
    let matches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM search_documents
         WHERE project_id = $2 AND tsv @@ stockage_search_query($1, '{english}')",
    )
    .bind(&frequent[0])
    .bind(project_id)
    .fetch_one(&ctx.pool)
    .await?;
    let searcher = ctx.user(SEARCHER).await?;
    let (pool, words) = (ctx.pool.clone(), frequent.clone());
    let raw = drive::closed_loop(1, ctx.duration(), move |_| {
        let (pool, words) = (pool.clone(), words.clone());
        async move {
            let word = &words[round_robin(words.len())];
            sqlx::query(RAW)
                .bind(word)
                .fetch_all(&pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await;
    let words = frequent.clone();
    let searched = drive::closed_loop(1, ctx.duration(), move |_| {
        let (api, words) = (searcher.clone(), words.clone());
        async move { api.search(&words[round_robin(words.len())]).await.map(drop) }
    })
    .await;
    let p95 = |o: &drive::Outcome| o.percentiles().map_or(0.0, |l| l.p95_ms);
    let (raw_p95, search_p95, rate) = (p95(&raw), p95(&searched), searched.rate());
    let corpus = number(total as f64);
    let met = search_p95 <= 100.0 && search_p95 <= raw_p95;
    Ok(vec![
        Row::new(
            "search",
            format!("large corpus of {corpus}: seeded in SQL (not through the API)"),
            seed_rate,
            "docs/s",
        )
        .note(format!(
            "the most frequent word matches {} documents",
            number(matches as f64)
        )),
        Row::new(
            "baseline",
            format!("large corpus of {corpus}: raw ranked query, 1 frequent word, 1 client"),
            raw_p95,
            "ms p95",
        )
        .latency(raw.percentiles())
        .errors(raw.errors)
        .note(raw.first_error.unwrap_or_default()),
        Row::new(
            "search",
            format!("large corpus of {corpus}: GET /search, 1 frequent word, viewer (10 % denied), 1 client"),
            search_p95,
            "ms p95",
        )
        .against("raw query p95", raw_p95, "ms")
        .target("p95 ≤ 100 ms and ratio ≤ 1.0", met)
        .latency(searched.percentiles())
        .errors(searched.errors)
        .note(
            searched
                .first_error
                .unwrap_or_else(|| format!("{rate:.0} queries/s")),
        ),
    ])
}

/// Which of the frequent words the next query uses: round robin over a
/// shared counter, so both loops send the same sequence.
fn round_robin(n: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) % n
}
