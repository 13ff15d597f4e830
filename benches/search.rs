//! Search at scale: a generated corpus of N documents (default 100,000;
//! set `STOCKAGE_BENCH_DOCS`) of PDF, glTF and ASCII STL files whose words
//! come from a skewed synthetic vocabulary, in 10 projects, 10 % of them
//! denied to the searching member by an ACL. Measured in one run on one
//! database: the search projector (events/s), extraction (documents/s) in
//! child processes and in threads, and search latency p50/p95/p99 for 1-,
//! 2- and 3-word queries and for one of the 10 most frequent words through
//! `search::search` (permission filter,
//! count, snippets) beside the same tsvector query in raw SQL without them.
//!
//! `cargo bench --bench search`; writes `target/bench/search.md`.
use std::time::{Duration, Instant};

use bytes::Bytes;
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::search::index::SearchProjector;
use stockage::search::index::isolate::Isolation;
use stockage::search::index::{rebuild as reindex, worker};
use stockage::search::{self, SearchFilter};
use stockage::settings::Settings;
use stockage::storage::BlobStore;
use stockage_events::{
    Event, FileKind, GENESIS_HASH, Permission, Principal, ProjectSlug, RecordedEvent, Role,
    SCHEMA_VERSION, UserId, canonical_bytes, chain_hash,
};
use stockage_projections::{inline_projectors, rebuild, runner};
use time::OffsetDateTime;
use uuid::Uuid;

const PROJECTS: usize = 10;
const VOCABULARY: usize = 5_000;
const QUERIES: usize = 200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A word index skewed towards the frequent end (cube of a uniform).
    fn skewed(&mut self, n: usize) -> usize {
        ((self.unit().powi(3)) * n as f64) as usize
    }
}

fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 24] = [
        "ka", "ro", "mi", "ten", "vas", "lo", "qui", "ber", "sa", "dor", "fu", "nel", "gri", "pa",
        "zo", "hel", "tri", "mon", "cu", "ves", "ax", "bri", "lum", "or",
    ];
    let mut rng = Rng(0x0dd5_eed5);
    let mut words = std::collections::BTreeSet::new();
    while words.len() < VOCABULARY {
        let n = 2 + rng.next() % 3;
        let word: String = (0..n)
            .map(|_| SYLLABLES[rng.next() as usize % 24])
            .collect();
        words.insert(word);
    }
    words.into_iter().collect()
}

fn words(rng: &mut Rng, vocab: &[String], n: usize) -> Vec<String> {
    (0..n)
        .map(|_| vocab[rng.skewed(vocab.len())].clone())
        .collect()
}

fn pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 11 Tf 40 780 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 6\n0000000000 65535 f \n");
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn gltf(names: &[String]) -> Vec<u8> {
    let nodes: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"name": n}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "asset": {"version": "2.0", "generator": "stockage-bench"},
        "scenes": [{"name": names[0], "nodes": [0]}],
        "nodes": nodes,
    }))
    .unwrap()
}

fn stl(name: &str) -> Vec<u8> {
    format!(
        "solid {name}\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid {name}\n"
    )
    .into_bytes()
}

fn record(
    position: i64,
    stream: Uuid,
    version: i64,
    project: Uuid,
    event: Event,
    prev: &mut [u8; 32],
) -> RecordedEvent {
    let mut recorded = RecordedEvent {
        position,
        event_id: Uuid::now_v7(),
        stream_id: stream,
        stream_version: version,
        project_id: project,
        event_type: event.event_type().into(),
        schema_version: SCHEMA_VERSION,
        payload: event.payload(),
        actor: "owner".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        recorded_at: OffsetDateTime::from_unix_timestamp(1_800_000_000 + position).unwrap(),
        prev_hash: *prev,
        hash: GENESIS_HASH,
    };
    recorded.hash = chain_hash(prev, &canonical_bytes(&recorded));
    *prev = recorded.hash;
    recorded
}

async fn corpus(pool: &PgPool, blobs: &BlobStore, total: usize) -> Vec<String> {
    let vocab = vocabulary();
    let mut rng = Rng(0x5ea4c4);
    let mut events = Vec::new();
    let mut prev = GENESIS_HASH;
    let mut position = 0;
    let mut next = || {
        position += 1;
        position
    };
    let projects: Vec<Uuid> = (0..PROJECTS).map(|_| Uuid::now_v7()).collect();
    for (i, project) in projects.iter().enumerate() {
        let created = Event::ProjectCreated {
            slug: ProjectSlug::parse(&format!("bench-{i}")).unwrap(),
            title: format!("Bench {i}"),
            description: None,
            category: None,
            created_by: UserId::parse("owner").unwrap(),
        };
        events.push(record(next(), *project, 1, *project, created, &mut prev));
        let member = Event::MemberAdded {
            user_id: UserId::parse("member").unwrap(),
            role: Role::Viewer,
        };
        events.push(record(next(), *project, 2, *project, member, &mut prev));
    }
    for n in 0..total {
        let (kind, bytes, name) = match n % 3 {
            0 => (
                FileKind::Pdf,
                pdf(&words(&mut rng, &vocab, 80).join(" ")),
                format!("sheet-{n}.pdf"),
            ),
            1 => (
                FileKind::Gltf,
                gltf(&words(&mut rng, &vocab, 6)),
                format!("model-{n}.gltf"),
            ),
            _ => (
                FileKind::Stl,
                stl(&words(&mut rng, &vocab, 1)[0]),
                format!("part-{n}.stl"),
            ),
        };
        let mut upload = blobs.upload().await.unwrap();
        let size = bytes.len() as u64;
        upload.write(Bytes::from(bytes)).await.unwrap();
        let blob = upload.stage().await.unwrap().commit().await.unwrap();
        let project = projects[n % PROJECTS];
        let stream = Uuid::now_v7();
        let added = Event::DocumentAdded {
            title: words(&mut rng, &vocab, 3).join(" "),
            filename: name,
            kind,
            content_type: "application/octet-stream".into(),
            size,
            sha256: blob.sha256,
            tags: vec![vocab[n % 50].clone()],
        };
        events.push(record(next(), stream, 1, project, added, &mut prev));
        if n % 10 == 0 {
            let denied = Event::AclEntryGranted {
                principal: Principal::User(UserId::parse("member").unwrap()),
                permission: Permission::None,
            };
            events.push(record(next(), stream, 2, project, denied, &mut prev));
        }
    }
    insert(pool, &events).await;
    vocab
}

async fn insert(pool: &PgPool, events: &[RecordedEvent]) {
    for batch in events.chunks(10_000) {
        stockage_load::generate::insert(pool, batch).await.unwrap();
    }
}

/// Runs the workers until nothing is pending; documents per second.
async fn extract_all(pool: &PgPool, blobs: &BlobStore, isolation: Isolation, total: usize) -> f64 {
    let mut config =
        stockage::search::index::IndexConfig::new(env!("CARGO_BIN_EXE_stockage").into());
    config.isolation = isolation;
    config.poll = Duration::from_millis(20);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    worker::spawn(pool.clone(), blobs.clone(), config, stopped);
    while reindex::pending(pool, None).await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    tokio::time::sleep(Duration::from_millis(100)).await;
    rate
}

fn percentiles(mut samples: Vec<Duration>) -> [f64; 3] {
    samples.sort();
    let at =
        |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    [at(0.50), at(0.95), at(0.99)]
}

const RAW: &str = "SELECT document_id, ts_rank_cd(tsv, q.q, 32) AS rank
    FROM search_documents, (SELECT stockage_search_query($1, '{english}') AS q) q
    WHERE tsv @@ q.q ORDER BY rank DESC LIMIT 20";

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("STOCKAGE_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!(
        "{}/stockage_bench_search",
        server.rsplit_once('/').unwrap().0
    );
    let _ = sqlx::Postgres::drop_database(&url).await;
    let pool = stockage::db::connect(&url).await.unwrap();
    let data_dir =
        std::env::temp_dir().join(format!("stockage-bench-search-{}", std::process::id()));
    let settings = Settings::with_defaults(
        data_dir.clone(),
        "bench",
        env!("CARGO_BIN_EXE_stockage").into(),
    );
    let blobs = BlobStore::open(&settings.storage).unwrap();
    let started = Instant::now();
    let vocab = corpus(&pool, &blobs, total).await;
    let last = rebuild::rebuild(&pool, &inline_projectors(), "bench_search", |_, _| {})
        .await
        .unwrap();
    rebuild::swap(&pool, &inline_projectors(), "bench_search", last)
        .await
        .unwrap();
    eprintln!(
        "generated {total} documents ({last} events) in {:.1?}",
        started.elapsed()
    );

    let started = Instant::now();
    let applied = runner::catch_up(&pool, &SearchProjector).await.unwrap();
    let projector_rate = applied as f64 / started.elapsed().as_secs_f64();
    let thread_rate = extract_all(&pool, &blobs, Isolation::Thread, total).await;
    eprintln!("extracted in threads: {thread_rate:.0} docs/s");
    // One process per file is slower: measured on one project's documents.
    let project: Uuid = sqlx::query_scalar("SELECT id FROM projects WHERE slug = 'bench-0'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sample = reindex::mark(&pool, Some(project)).await.unwrap() as usize;
    let child = Isolation::Process(env!("CARGO_BIN_EXE_stockage").into());
    let process_rate = extract_all(&pool, &blobs, child, sample).await;
    eprintln!("extracted in child processes: {process_rate:.0} docs/s");
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM search_documents WHERE status <> 'indexed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query("VACUUM ANALYZE search_documents")
        .execute(&pool)
        .await
        .unwrap();

    let member = UserId::parse("member").unwrap();
    let mut rng = Rng(0xc0ffee);
    let mut table = format!(
        "{total} documents in {PROJECTS} projects (a third each PDF, glTF, STL), vocabulary {VOCABULARY} words, \
         10 % denied to the member; {failed} not indexed.\n\n\
         | indexing | rate |\n|---|---|\n\
         | search projector (events/s) | {projector_rate:.0} |\n\
         | extraction in threads, 2 workers, all {total} documents (docs/s) | {thread_rate:.0} |\n\
         | extraction in child processes (the default), 2 workers, one project's {sample} documents (docs/s) | {process_rate:.0} |\n\n\
         | query | search API query with permission filter, count, snippets: p50 / p95 / p99 ms | raw tsvector query, no filter: p50 / p95 / p99 ms | mean `total` (counted up to 1,000) |\n|---|---|---|---|\n"
    );
    let member = &member;
    let pool_ref = &pool;
    let measure = |queries: Vec<String>| async move {
        let (mut filtered, mut raw, mut matches) = (Vec::new(), Vec::new(), 0i64);
        for (i, q) in queries.iter().enumerate() {
            let filter = SearchFilter {
                q: q.clone(),
                limit: 20,
                ..Default::default()
            };
            let started = Instant::now();
            let found = search::search(pool_ref, member, &filter).await.unwrap();
            let with_filter = started.elapsed();
            let started = Instant::now();
            sqlx::query(RAW).bind(q).fetch_all(pool_ref).await.unwrap();
            let without = started.elapsed();
            if i >= 20 {
                filtered.push(with_filter);
                raw.push(without);
                matches += found.total;
            }
        }
        let [a, b, c] = percentiles(filtered);
        let [d, e, f] = percentiles(raw);
        format!(
            "{a:.1} / {b:.1} / {c:.1} | {d:.1} / {e:.1} / {f:.1} | {} |\n",
            matches / QUERIES as i64
        )
    };
    for n in 1..=3 {
        let queries = (0..QUERIES + 20)
            .map(|_| words(&mut rng, &vocab, n).join(" "))
            .collect();
        let row = measure(queries).await;
        table.push_str(&format!(
            "| {n} word{} | {row}",
            if n > 1 { "s" } else { "" }
        ));
    }
    // The case: one of the 10 most frequent words.
    let frequent = (0..QUERIES + 20).map(|i| vocab[i % 10].clone()).collect();
    let row = measure(frequent).await;
    table.push_str(&format!("| 1 frequent word | {row}"));
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("search.md"), table).unwrap();
    pool.close().await;
    let _ = sqlx::Postgres::drop_database(&url).await;
    let _ = std::fs::remove_dir_all(data_dir);
}
