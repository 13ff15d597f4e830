//! The asynchronous runner: each event applied once, resumed from its
//! checkpoint, and one leader in the cluster with another taking over.
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use stockage_events::{Event, RecordedEvent, Role};
use stockage_projections::{Kind, ProjectionError, Projector, inline_projectors, runner};
use stockage_store::EventStore;

use crate::history::{add_member, count, random_history};

/// A replay-safe async projector for the runner's tests: it counts events
/// per type.
struct TypeCounter;

#[async_trait]
impl Projector for TypeCounter {
    fn name(&self) -> &'static str {
        "type_counter"
    }
    fn kind(&self) -> Kind {
        Kind::Async
    }
    fn tables(&self) -> &'static [&'static str] {
        &["type_counts"]
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        _: &Event,
    ) -> Result<(), ProjectionError> {
        sqlx::query(
            "INSERT INTO type_counts (event_type, n) VALUES ($1, 1)
             ON CONFLICT (event_type) DO UPDATE SET n = type_counts.n + 1",
        )
        .bind(&recorded.event_type)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The table [`TypeCounter`] fills, and a store with the inline projectors.
async fn counted_store(pool: &PgPool) -> EventStore {
    sqlx::query("CREATE TABLE type_counts (event_type text PRIMARY KEY, n bigint NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
    EventStore::start(pool.clone(), inline_projectors())
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn async_runner_applies_each_event_once_and_resumes_from_its_checkpoint(pool: PgPool) {
    let store = counted_store(&pool).await;
    random_history(&store, 3).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;

    let applied = runner::catch_up(&pool, &TypeCounter).await.unwrap();
    assert_eq!(applied as i64, total);
    assert_eq!(
        runner::checkpoint(&pool, "type_counter").await.unwrap(),
        total
    );
    assert_eq!(runner::catch_up(&pool, &TypeCounter).await.unwrap(), 0);

    random_history_more(&store).await;
    let new_total = count(&pool, "SELECT count(*) FROM events").await;
    let applied = runner::catch_up(&pool, &TypeCounter).await.unwrap();
    assert_eq!(applied as i64, new_total - total);
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        new_total
    );
}

async fn random_history_more(store: &EventStore) {
    for n in 0..5 {
        add_member(store, "project-1", &format!("late{n}"), Role::Viewer).await;
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn only_one_runner_leads_and_another_takes_over(pool: PgPool) {
    let store = counted_store(&pool).await;
    random_history(&store, 5).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;

    let poll = std::time::Duration::from_millis(50);
    let (stop_a, shutdown_a) = tokio::sync::watch::channel(false);
    let (stop_b, shutdown_b) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(runner::run(
        pool.clone(),
        Arc::new(TypeCounter),
        poll,
        shutdown_a,
    ));
    wait_for_checkpoint(&pool, total).await;
    // A second runner waits behind the first: nothing is counted twice.
    let b = tokio::spawn(runner::run(
        pool.clone(),
        Arc::new(TypeCounter),
        poll,
        shutdown_b,
    ));
    random_history_more(&store).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;
    wait_for_checkpoint(&pool, total).await;
    tokio::time::sleep(poll * 4).await;
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        total
    );

    // The leader stops; the waiting runner takes over.
    stop_a.send(true).unwrap();
    a.await.unwrap();
    random_history_more_again(&store).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;
    wait_for_checkpoint(&pool, total).await;
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        total
    );
    stop_b.send(true).unwrap();
    b.await.unwrap();
}

async fn random_history_more_again(store: &EventStore) {
    add_member(store, "project-2", "takeover", Role::Editor).await;
}

async fn wait_for_checkpoint(pool: &PgPool, position: i64) {
    for _ in 0..200 {
        if runner::checkpoint(pool, "type_counter").await.unwrap() >= position {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the runner did not reach position {position} within 10 s");
}
