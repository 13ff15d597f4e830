//! Inline projection apply: every inline projector on one event, inside a
//! transaction on a real database, over the generated log's mix (one
//! document added, then nine metadata changes, per document).
//!
//! `cargo bench --bench project`; needs PostgreSQL (`DATABASE_URL`).
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sqlx::migrate::MigrateDatabase;
use stockage_load::generate::LogGenerator;
use stockage_projections::inline_projectors;
use stockage_store::apply_all;
use tokio::runtime::Runtime;

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!(
        "{}/stockage_bench_project",
        server.rsplit_once('/').unwrap().0
    );
    let pool = rt.block_on(async {
        let _ = sqlx::Postgres::drop_database(&url).await;
        stockage::db::connect(&url).await.unwrap()
    });
    let projectors = inline_projectors();
    let mut generator = LogGenerator::new(9);

    let mut group = c.benchmark_group("projection");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("inline_apply/per_event", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let events = generator.take(iters as usize);
            let (pool, projectors) = (pool.clone(), &projectors);
            async move {
                let mut tx = pool.begin().await.unwrap();
                let started = Instant::now();
                for event in &events {
                    apply_all(projectors, &mut tx, event).await.unwrap();
                }
                let took = started.elapsed();
                tx.commit().await.unwrap();
                took
            }
        })
    });
    group.finish();
}

criterion_group!(project_benches, benches);
criterion_main!(project_benches);
