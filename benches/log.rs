//! The log at scale: generate N events (default 1,000,000; set
//! `STOCKAGE_BENCH_EVENTS`), then measure, in one run on one database:
//! a raw sequential scan of `events` (the baseline), rebuilding every read
//! model from position 0, verifying the chain, export and import.
//!
//! `cargo bench --bench log`; writes `target/bench/log.md`.
use std::time::Instant;

use futures_util::TryStreamExt;
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::audit::{archive, verify};
use stockage_events::{
    Event, FileKind, GENESIS_HASH, RecordedEvent, SCHEMA_VERSION, Sha256, canonical_bytes,
    chain_hash,
};
use stockage_projections::{inline_projectors, rebuild};
use time::OffsetDateTime;
use uuid::Uuid;

const EDITS_PER_DOCUMENT: usize = 9;

async fn database(name: &str) -> (String, PgPool) {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let _ = sqlx::Postgres::drop_database(&url).await;
    (url.clone(), stockage::db::connect(&url).await.unwrap())
}

/// Documents, each added then retitled nine times, in one project.
fn generate(total: usize) -> Vec<RecordedEvent> {
    let project = Uuid::now_v7();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut prev = GENESIS_HASH;
    let mut events = Vec::with_capacity(total);
    let mut stream = Uuid::nil();
    let mut version = 0;
    for n in 0..total {
        let event = if n % (EDITS_PER_DOCUMENT + 1) == 0 {
            stream = Uuid::now_v7();
            version = 0;
            Event::DocumentAdded {
                title: format!("Part {n}"),
                filename: format!("part-{n}.stl"),
                kind: FileKind::Stl,
                content_type: "model/stl".into(),
                size: 1_000 + n as u64,
                sha256: Sha256::from_digest([(n % 251) as u8; 32]),
                tags: vec!["bench".into()],
            }
        } else {
            Event::DocumentMetadataChanged {
                title: Some(format!("Part {n}")),
                tags: None,
            }
        };
        version += 1;
        let mut recorded = RecordedEvent {
            position: n as i64 + 1,
            event_id: Uuid::now_v7(),
            stream_id: stream,
            stream_version: version,
            project_id: project,
            event_type: event.event_type().into(),
            schema_version: SCHEMA_VERSION,
            payload: event.payload(),
            actor: "bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            recorded_at: now,
            prev_hash: prev,
            hash: GENESIS_HASH,
        };
        recorded.hash = chain_hash(&prev, &canonical_bytes(&recorded));
        prev = recorded.hash;
        events.push(recorded);
    }
    events
}

async fn insert(pool: &PgPool, events: &[RecordedEvent]) {
    for batch in events.chunks(10_000) {
        let col = |f: fn(&RecordedEvent) -> Vec<u8>| batch.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO events SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[],
                 $6::text[], $7::int[], $8::jsonb[], $9::text[], $10::uuid[], $11::uuid[], $12::timestamptz[],
                 $13::bytea[], $14::bytea[])",
        )
        .bind(batch.iter().map(|e| e.position).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.event_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.stream_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.stream_version).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.project_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.event_type.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.schema_version).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.payload.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.actor.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.correlation_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.causation_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.recorded_at).collect::<Vec<_>>())
        .bind(col(|e| e.prev_hash.to_vec()))
        .bind(col(|e| e.hash.to_vec()))
        .execute(pool)
        .await
        .unwrap();
    }
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("STOCKAGE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (url, pool) = database("stockage_bench_log").await;
    let started = Instant::now();
    insert(&pool, &generate(total)).await;
    eprintln!(
        "generated and inserted {total} events in {:.1?}",
        started.elapsed()
    );
    let rate = |started: Instant| total as f64 / started.elapsed().as_secs_f64();
    let mut rows = Vec::new();

    let started = Instant::now();
    let scanned = sqlx::query("SELECT * FROM events ORDER BY position")
        .fetch(&pool)
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(scanned as usize, total);
    let scan = rate(started);
    rows.push(("raw sequential scan (baseline)", scan));

    let started = Instant::now();
    rebuild::rebuild(&pool, &inline_projectors(), "rebuild_bench", |_, _| {})
        .await
        .unwrap();
    rows.push(("rebuild all read models", rate(started)));
    rebuild::discard(&pool, "rebuild_bench").await.unwrap();

    let started = Instant::now();
    let report = verify::verify(&pool, 1, None, |_| {}).await.unwrap();
    assert_eq!(report.events as usize, total);
    rows.push(("verify hash chain", rate(started)));

    let file = std::env::temp_dir().join("stockage-bench.stkarch");
    let started = Instant::now();
    let out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    archive::export(&pool, None, out).await.unwrap();
    rows.push(("export", rate(started)));
    let size_mb = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;

    let (copy_url, copy) = database("stockage_bench_log_import").await;
    let started = Instant::now();
    let input = std::io::BufReader::new(std::fs::File::open(&file).unwrap());
    archive::import(&copy, None, input).await.unwrap();
    rows.push(("import (verify + insert + project)", rate(started)));

    let mut table = format!(
        "{total} events; archive {size_mb:.0} MB\n\n| operation | events/s | ÷ raw scan |\n|---|---|---|\n"
    );
    for (name, events_per_s) in rows {
        table.push_str(&format!(
            "| {name} | {events_per_s:.0} | {:.3} |\n",
            events_per_s / scan
        ));
    }
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("log.md"), table).unwrap();
    let _ = std::fs::remove_file(&file);
    pool.close().await;
    copy.close().await;
    let _ = sqlx::Postgres::drop_database(&url).await;
    let _ = sqlx::Postgres::drop_database(&copy_url).await;
}
