//! The log at scale: generate N events (default 1,000,000; set
//! `STOCKAGE_BENCH_EVENTS`), then measure, in one run on one database:
//! a raw sequential scan of `events` (the baseline), rebuilding every read
//! model from position 0, verifying the chain, export and import.
//!
//! `cargo bench --bench log`; writes `target/bench/log.md`.
use std::time::Instant;

use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::audit::{archive, verify};
use stockage_load::raw::scan_rate;
use stockage_projections::{inline_projectors, rebuild};

async fn database(name: &str) -> (String, PgPool) {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let _ = sqlx::Postgres::drop_database(&url).await;
    (url.clone(), stockage::db::connect(&url).await.unwrap())
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("STOCKAGE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (url, pool) = database("stockage_bench_log").await;
    let started = Instant::now();
    stockage_load::generate::fill(&pool, total, 9)
        .await
        .unwrap();
    eprintln!(
        "generated and inserted {total} events in {:.1?}",
        started.elapsed()
    );
    let rate = |started: Instant| total as f64 / started.elapsed().as_secs_f64();
    let mut rows = Vec::new();

    let (scanned, scan) = scan_rate(&pool, "events").await.unwrap();
    assert_eq!(scanned as usize, total);
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
