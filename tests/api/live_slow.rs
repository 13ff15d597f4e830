//! Slow and silent WebSocket clients: one that stops reading is told to
//! resync while the others get everything; one that answers no pings is
//! closed; deliveries show in the metrics.
use std::time::Duration;

use sqlx::PgPool;
use stockage_events::{Event, EventMeta, NewEvent, UserId};
use stockage_store::{Append, EventStore, Expected};
use uuid::Uuid;

use crate::helpers::{ADMIN, TestApp, spawn_app, spawn_app_configured};
use crate::live::{head, project_with_two_documents, retitle, upload};
use crate::subscriber::positions;

/// Appends `n` large metadata events (about 2 KB each) to `doc` straight
/// into the log, in batches: the fan-out only follows the log, whoever
/// writes it, and this is far quicker than `n` HTTP requests.
async fn flood(app: &TestApp, project: Uuid, doc: Uuid, n: usize) {
    let store = EventStore::start(app.pool.clone(), vec![]);
    let long = "x".repeat(40);
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let events = chunk
            .iter()
            .map(|i| {
                NewEvent::new(Event::DocumentMetadataChanged {
                    title: Some(format!("{i} {}", "y".repeat(190))),
                    tags: Some((0..32).map(|t| format!("{i}-{t}-{long}")).collect()),
                })
            })
            .collect();
        let append = Append {
            stream_id: doc,
            project_id: project,
            expected: Expected::Any,
            events,
            meta: EventMeta {
                actor: UserId::parse(ADMIN).unwrap(),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            },
        };
        store.append(append).await.unwrap();
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_client_that_stops_reading_gets_resync_while_the_others_get_everything(pool: PgPool) {
    let app = spawn_app_configured(pool, |s| {
        s.live.queue = 64;
        s.live.grace = Duration::from_millis(500);
    })
    .await;
    let project = app.create_project("alpha").await;
    let project = Uuid::parse_str(project["id"].as_str().unwrap()).unwrap();
    let doc = Uuid::parse_str(&upload(&app, "photo.png").await).unwrap();
    let start = head(&app).await;
    let mut slow = app.subscribe_slow("alpha", ADMIN, start).await;
    let mut fast = app.subscribe("alpha", ADMIN, Some(start)).await;
    // Several times what the sockets between server and client can buffer.
    const N: usize = 6_000;
    let reader = tokio::spawn(async move { positions(&fast.events(N).await) });
    flood(&app, project, doc, N).await;
    let everything = reader.await.unwrap();
    assert_eq!(
        everything,
        ((start + 1)..=(start + N as i64)).collect::<Vec<_>>()
    );
    // Longer than the grace: the slow client's queue has been full a while.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The slow client now reads what was queued for it, then resync.
    let mut received = Vec::new();
    let resync = loop {
        let frame = slow
            .next_frame(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no resync after {} events; closed: {:?}",
                    received.len(),
                    slow.closed
                )
            });
        match frame["type"].as_str() {
            Some("event") => received.push(frame["position"].as_i64().unwrap()),
            Some("resync") => break frame,
            other => panic!("unexpected frame type {other:?}"),
        }
    };
    let after = resync["after"].as_i64().unwrap();
    assert!(after < start + N as i64, "the slow client fell behind");
    assert_eq!(received, ((start + 1)..=after).collect::<Vec<_>>());
    assert!(slow.next_frame(Duration::from_secs(5)).await.is_none());
    let close = slow.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 1013);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_client_that_answers_no_pings_is_closed(pool: PgPool) {
    let app = spawn_app_configured(pool, |s| {
        // Silence is judged at each ping; this client is judged before the
        // first ping, so nothing it would have to answer precedes the close.
        s.live.ping_every = Duration::from_millis(300);
        s.live.silence = Duration::from_millis(200);
    })
    .await;
    app.create_project("alpha").await;
    let mut silent = app.subscribe("alpha", ADMIN, None).await;
    // It sends nothing, not even a pong.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(silent.next_frame(Duration::from_secs(5)).await.is_none());
    let close = silent
        .closed
        .clone()
        .flatten()
        .unwrap_or_else(|| panic!("a close frame: {:?}", silent.closed));
    assert_eq!(u16::from(close.code), 1001);
    assert!(close.reason.contains("pings"), "{}", close.reason);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn deliveries_show_in_the_metrics(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (open, _) = project_with_two_documents(&app).await;
    let mut subscriber = app.subscribe("alpha", ADMIN, None).await;
    retitle(&app, &open, "Counted").await;
    subscriber.events(1).await;
    let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
    for name in [
        "stockage_ws_clients",
        "stockage_ws_events_delivered_total",
        "stockage_ws_delivery_latency_seconds",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}
