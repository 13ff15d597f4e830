//! Append throughput of the event store (one writer and eight concurrent
//! writers), beside the raw single-row INSERT + COMMIT rate into a table of
//! the same shape, measured in the same run on the same database.
//!
//! Needs PostgreSQL: `DATABASE_URL` names the server (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the bench uses its own
//! database `stockage_bench`, recreated each run.
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage_events::{Event, EventMeta, NewEvent, Role, UserId};
use stockage_store::{Append, EventStore, Expected};
use tokio::runtime::Runtime;
use uuid::Uuid;

const WRITERS: u64 = 8;

fn database_url() -> String {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/stockage_bench")
}

async fn fresh_database() -> PgPool {
    let url = database_url();
    let _ = sqlx::Postgres::drop_database(&url).await;
    stockage::db::connect(&url).await.expect("bench database")
}

fn append(stream_id: Uuid) -> Append {
    Append {
        stream_id,
        project_id: stream_id,
        expected: Expected::Any,
        events: vec![NewEvent::new(Event::MemberAdded {
            user_id: UserId::parse("bench").unwrap(),
            role: Role::Viewer,
        })],
        meta: EventMeta {
            actor: UserId::parse("bench").unwrap(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        },
    }
}

/// Runs `iters` operations split over `writers` concurrent tasks.
async fn concurrently<F, Fut>(iters: u64, writers: u64, op: F) -> Duration
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let op = op.clone();
            tokio::spawn(async move {
                for i in (w..iters).step_by(writers as usize) {
                    op(i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let pool = rt.block_on(fresh_database());
    rt.block_on(stockage_load::raw::create_table(&pool))
        .unwrap();
    let store = rt.block_on(async {
        EventStore::start(pool.clone(), stockage_projections::inline_projectors())
    });
    let next = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));

    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));
    for writers in [1, WRITERS] {
        let store = store.clone();
        group.bench_function(format!("event_store/{writers}_writers"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let store = store.clone();
                concurrently(iters, writers, move |_| {
                    let store = store.clone();
                    async move {
                        store.append(append(Uuid::now_v7())).await.unwrap();
                    }
                })
            })
        });
        let pool = pool.clone();
        let next = next.clone();
        group.bench_function(format!("raw_insert_commit/{writers}_writers"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let pool = pool.clone();
                let next = next.clone();
                concurrently(iters, writers, move |_| {
                    let pool = pool.clone();
                    let position = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    async move {
                        stockage_load::raw::insert_one(&pool, position)
                            .await
                            .unwrap()
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(append_benches, benches);
criterion_main!(append_benches);
