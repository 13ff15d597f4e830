//! Retention at scale: a log of 1,000,000 events (10,000 documents of 100
//! revisions; set `STOCKAGE_BENCH_EVENTS`) referencing 100,000 distinct
//! blobs (each shared by ten revisions), with a keep-90 policy. Measured in
//! one run on one database, beside a raw sequential scan of `events`:
//! `retention apply --dry-run` (the plan), `retention apply` (purge events
//! and blob removal) and `blobs gc` (deciding 100,000 blobs from the read
//! models' live references), beside raw scans of `events` and
//! `document_revisions` and a raw listing of the blob store.
//!
//! `cargo bench --bench retention`; writes `target/bench/retention.md`.
use std::time::{Duration, Instant};

use sha2::Digest;
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::retention::{gc, plan, purge::Purger};
use stockage::storage::BlobStore;
use stockage_events::{
    Event, FileKind, GENESIS_HASH, Hash, RecordedEvent, SCHEMA_VERSION, Sha256, canonical_bytes,
    chain_hash,
};
use stockage_load::raw::scan_rate;
use stockage_projections::inline_projectors;
use stockage_store::{EventStore, apply_page_all};
use time::OffsetDateTime;
use uuid::Uuid;

const REVISIONS: usize = 100;
const BLOBS: usize = 100_000;
const PAGE: usize = 5_000;

async fn database(name: &str) -> (String, PgPool) {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let _ = sqlx::Postgres::drop_database(&url).await;
    (url.clone(), stockage::db::connect(&url).await.unwrap())
}

fn blob(i: usize) -> Vec<u8> {
    format!("blob {i}").into_bytes()
}

/// The events: the project with its policy, then each document's revisions.
struct Log {
    project: Uuid,
    shas: Vec<Sha256>,
    prev: Hash,
    position: i64,
    stream: Uuid,
    version: i64,
}

impl Log {
    fn record(&mut self, stream: Uuid, event: Event) -> RecordedEvent {
        if stream != self.stream {
            (self.stream, self.version) = (stream, 0);
        }
        self.position += 1;
        self.version += 1;
        let mut recorded = RecordedEvent {
            position: self.position,
            event_id: Uuid::now_v7(),
            stream_id: stream,
            stream_version: self.version,
            project_id: self.project,
            event_type: event.event_type().into(),
            schema_version: SCHEMA_VERSION,
            payload: event.payload(),
            actor: "bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            recorded_at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + self.position)
                .unwrap(),
            prev_hash: self.prev,
            hash: GENESIS_HASH,
        };
        recorded.hash = chain_hash(&self.prev, &canonical_bytes(&recorded));
        self.prev = recorded.hash;
        recorded
    }

    fn document(&mut self, d: usize) -> Vec<RecordedEvent> {
        let stream = Uuid::now_v7();
        (1..=REVISIONS)
            .map(|r| {
                let sha = self.shas[(d * REVISIONS + r) % BLOBS].clone();
                let (filename, size) = (format!("part-{d}.stl"), 7 + r as u64);
                let event = if r == 1 {
                    Event::DocumentAdded {
                        title: format!("Part {d}"),
                        filename,
                        kind: FileKind::Stl,
                        content_type: "model/stl".into(),
                        size,
                        sha256: sha,
                        tags: vec![],
                    }
                } else {
                    Event::RevisionAdded {
                        revision: r as u32,
                        filename,
                        kind: FileKind::Stl,
                        content_type: "model/stl".into(),
                        size,
                        sha256: sha,
                    }
                };
                self.record(stream, event)
            })
            .collect()
    }
}

async fn insert(pool: &PgPool, events: &[RecordedEvent]) {
    let mut tx = pool.begin().await.unwrap();
    stockage_store::import::insert(&mut tx, events)
        .await
        .unwrap();
    apply_page_all(&inline_projectors(), &mut tx, events)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Reads every row of `table` once, in no order: the raw limit of a pass
/// over it.
async fn raw_scan(pool: &PgPool, table: &str) -> (u64, Duration) {
    use futures_util::TryStreamExt;
    let started = Instant::now();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
        .fetch(pool)
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    (rows, started.elapsed())
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("STOCKAGE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let documents = total / REVISIONS;
    let (url, pool) = database("stockage_bench_retention").await;
    let started = Instant::now();
    let blobs = BlobStore::in_memory();
    let mut shas = Vec::with_capacity(BLOBS);
    for i in 0..BLOBS {
        shas.push(Sha256::from_digest(sha2::Sha256::digest(blob(i)).into()));
        let mut upload = blobs.upload().await.unwrap();
        upload.write(blob(i).into()).await.unwrap();
        upload.stage().await.unwrap().commit().await.unwrap();
    }
    let mut log = Log {
        project: Uuid::now_v7(),
        shas,
        prev: GENESIS_HASH,
        position: 0,
        stream: Uuid::nil(),
        version: 0,
    };
    let project = log.project;
    let head = vec![
        log.record(
            project,
            Event::ProjectCreated {
                slug: stockage_events::ProjectSlug::parse("bench").unwrap(),
                title: "Bench".into(),
                description: None,
                category: None,
                created_by: stockage_events::UserId::parse("bench").unwrap(),
            },
        ),
        log.record(
            project,
            Event::RetentionPolicySet {
                keep_revisions: Some(90),
                keep_days: None,
                trash_days: None,
            },
        ),
    ];
    insert(&pool, &head).await;
    let mut page = Vec::new();
    for d in 0..documents {
        page.extend(log.document(d));
        if page.len() >= PAGE {
            insert(&pool, &std::mem::take(&mut page)).await;
        }
    }
    insert(&pool, &page).await;
    // What autovacuum would do soon after such a load: without statistics
    // the planner takes 1,000,000 rows for a few and scans them whole.
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    eprintln!(
        "stored {BLOBS} blobs and {} events in {:.1?}",
        log.position,
        started.elapsed()
    );

    // The baselines, in the same run: the log, the read model the plan
    // and gc decide from, and a listing of the blob store gc walks.
    let (scanned, scan) = scan_rate(&pool, "events").await.unwrap();
    let scan_time = Duration::from_secs_f64(scanned as f64 / scan);
    let (revision_rows, revisions_time) = raw_scan(&pool, "document_revisions").await;
    let started = Instant::now();
    let listed = blobs.list().await.unwrap().len();
    let list_time = started.elapsed();
    let mut rows: Vec<(String, Duration)> = vec![
        (
            format!("raw sequential scan of {scanned} events (baseline)"),
            scan_time,
        ),
        (
            format!("raw sequential scan of {revision_rows} document_revisions rows"),
            revisions_time,
        ),
        (format!("raw listing of {listed} stored objects"), list_time),
    ];

    let now = OffsetDateTime::now_utc();
    let started = Instant::now();
    let planned = plan::plan(&pool, now).await.unwrap();
    rows.push((
        format!(
            "retention apply --dry-run: plan {} revisions",
            planned.revisions.len()
        ),
        started.elapsed(),
    ));

    let store = EventStore::start(pool.clone(), inline_projectors());
    // The server's default grace: the blobs were all written a moment ago,
    // so apply leaves the unreferenced ones to gc, which then decides every
    // blob in the store (as after a crash between purge events and removal).
    let purger = Purger {
        store: &store,
        blobs: &blobs,
        grace: Duration::from_secs(3600),
    };
    let started = Instant::now();
    let applied = plan::apply(purger, now).await.unwrap();
    let took = started.elapsed();
    assert_eq!(applied.plan, planned);
    rows.push((
        format!(
            "retention apply: {} purge events of {} documents ({:.0} events/s), {} blobs left to gc",
            applied.plan.revisions.len(),
            documents,
            applied.plan.revisions.len() as f64 / took.as_secs_f64(),
            applied.swept.blobs_left_to_gc
        ),
        took,
    ));

    let started = Instant::now();
    let report = gc::collect(&pool, &blobs, Duration::ZERO).await.unwrap();
    rows.push((
        format!(
            "blobs gc: {} objects listed and decided, {} removed",
            report.scanned, report.removed_blobs
        ),
        started.elapsed(),
    ));

    let mut table = format!(
        "{} events, {BLOBS} blobs (in-memory store), keep the last 90 of {REVISIONS} revisions\n\n\
         | operation | time | ÷ scan of events | ÷ scan of document_revisions |\n|---|---|---|---|\n",
        log.position
    );
    for (name, took) in rows {
        table.push_str(&format!(
            "| {name} | {:.2} s | {:.2} | {:.2} |\n",
            took.as_secs_f64(),
            took.as_secs_f64() / scan_time.as_secs_f64(),
            took.as_secs_f64() / revisions_time.as_secs_f64()
        ));
    }
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("retention.md"), table).unwrap();
    drop(store);
    pool.close().await;
    let _ = sqlx::Postgres::drop_database(&url).await;
}
