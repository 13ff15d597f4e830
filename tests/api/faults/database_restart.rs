//! PostgreSQL stopped and started under load, on a cluster of the test's
//! own: while it is down requests answer 503 with Retry-After; afterwards
//! the same server process serves again, nothing acknowledged is lost and
//! a WebSocket subscriber resumes (reconnecting with `after=` if it was
//! closed) without a gap.
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;

use super::load::{Load, assert_positions_gapless, assert_verify_clean, check_acknowledged};
use crate::cluster::{Cluster, temp_dir};
use crate::helpers::{ADMIN, TestApp};
use crate::processes::ServerProcess;
use crate::subscriber::Subscriber;

/// Every event up to position `head`, following the socket and opening a
/// new one with `after=` whenever the server closed it.
async fn follow(app: &TestApp, mut subscriber: Subscriber, head: i64) -> Vec<i64> {
    let mut seen: Vec<i64> = Vec::new();
    loop {
        while seen.last().copied().unwrap_or(0) < head {
            let Some(frame) = subscriber.next_frame(Duration::from_secs(10)).await else {
                break;
            };
            if frame["type"] == "event" {
                seen.push(frame["position"].as_i64().unwrap());
            }
        }
        if seen.last().copied().unwrap_or(0) >= head {
            return seen;
        }
        let after = seen.last().copied().unwrap_or(0);
        subscriber = app.subscribe("alpha", ADMIN, Some(after)).await;
    }
}

#[tokio::test]
async fn a_database_restart_under_load_answers_503_and_recovers_without_a_server_restart() {
    let cluster = Cluster::start();
    let data_dir = temp_dir("pg-restart");
    let server = ServerProcess::start(&cluster.url(), &data_dir).await;
    let pool = PgPool::connect(&cluster.url()).await.unwrap();
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let subscriber = app.subscribe("alpha", ADMIN, Some(0)).await;

    let load = Load::start(&app, 4);
    load.until("40 acknowledged revisions", |l| l.acked() >= 40)
        .await;
    pool.close().await;
    cluster.ctl("stop");
    // While it is down: 503 + Retry-After, to the writers and to a reader.
    load.until("writers answered 503", |l| l.unavailable() >= 4)
        .await;
    let list = app.get("/api/v1/projects/alpha/documents", ADMIN).await;
    assert_eq!(list.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(list.headers().contains_key("retry-after"));
    let acked_while_down = load.acked();

    cluster.ctl("start");
    load.until("writes acknowledged again", |l| {
        l.acked() >= acked_while_down + 40
    })
    .await;
    let tally = load.stop().await;
    tally.print();
    assert!(tally.faults.is_empty(), "{:?}", tally.faults);
    assert_eq!(tally.unanswered, 0, "every request got an answer");

    let pool = PgPool::connect(&cluster.url()).await.unwrap();
    let app = TestApp::attach(pool.clone(), server.address.clone());
    check_acknowledged(&app, &tally.acked).await;
    let head = assert_positions_gapless(&pool).await;
    let seen = follow(&app, subscriber, head).await;
    assert_eq!(seen, (1..=head).collect::<Vec<_>>(), "no gap, no duplicate");
    assert_verify_clean(&cluster.url()).await;
    pool.close().await;
    drop(server);
    std::fs::remove_dir_all(&data_dir).ok();
}
