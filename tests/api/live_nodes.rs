//! Real time across processes: several nodes on one database, a server
//! shutting down, and a database restarting under connected clients.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::cluster::{Cluster, temp_dir};
use crate::helpers::{ADMIN, TestApp, database_url, fixture};
use crate::processes::ServerProcess;
use crate::subscriber::positions;

/// `name` with one byte changed per `i`, so every upload is new content.
fn variant(name: &str, i: u8) -> Vec<u8> {
    let mut bytes = fixture(name);
    bytes.extend_from_slice(format!("\n% variant {i}\n").as_bytes());
    bytes
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_subscriber_on_one_node_sees_every_upload_made_through_another(pool: PgPool) {
    let url = database_url(&pool).await;
    let node_a = ServerProcess::start(&url, &temp_dir("node-a")).await;
    let node_b = ServerProcess::start(&url, &temp_dir("node-b")).await;
    let a = TestApp::attach(pool.clone(), node_a.address.clone());
    let b = TestApp::attach(pool.clone(), node_b.address.clone());
    a.create_project("alpha").await;
    let history = a.get("/api/v1/projects/alpha/events", ADMIN).await;
    let history: Value = history.json().await.unwrap();
    let mut subscriber = b.subscribe("alpha", ADMIN, Some(0)).await;
    let caught_up = subscriber
        .events(history["items"].as_array().unwrap().len())
        .await;

    let mut ids = Vec::new();
    for i in 0..10 {
        let response = a
            .upload("alpha", ADMIN, "blueprint.pdf", variant("blueprint.pdf", i))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let live = subscriber.events(10).await;
    let seen: Vec<&str> = live
        .iter()
        .map(|e| e["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ids, "every upload, in order");
    assert!(live.iter().all(|e| e["event"] == "document.added"));
    let last = *positions(&caught_up).last().unwrap();
    assert_eq!(
        positions(&live),
        ((last + 1)..=(last + 10)).collect::<Vec<_>>()
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_server_stopping_closes_its_websockets_with_a_close_frame(pool: PgPool) {
    let url = database_url(&pool).await;
    let server = ServerProcess::start(&url, &temp_dir("stop")).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let mut subscriber = app.subscribe("alpha", ADMIN, None).await;
    let status = server.terminate().await;
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    assert!(
        subscriber
            .next_frame(Duration::from_secs(5))
            .await
            .is_none()
    );
    let close = subscriber.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 1001, "going away");
}

/// Retries a request the database restart may refuse for a moment.
async fn upload_eventually(app: &TestApp, bytes: Vec<u8>) -> String {
    for _ in 0..50 {
        let response = app
            .upload("alpha", ADMIN, "blueprint.pdf", bytes.clone())
            .await;
        if response.status() == StatusCode::CREATED {
            let body: Value = response.json().await.unwrap();
            return body["id"].as_str().unwrap().to_owned();
        }
        assert!(response.status().is_server_error(), "{}", response.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("uploads never recovered after the restart");
}

#[tokio::test]
async fn subscribers_get_every_event_committed_after_the_database_restarts() {
    let cluster = Cluster::start();
    let server = ServerProcess::start(&cluster.url(), &temp_dir("restart")).await;
    let pool = PgPool::connect(&cluster.url()).await.unwrap();
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let first = upload_eventually(&app, variant("blueprint.pdf", 0)).await;
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        subscribers.push(app.subscribe("alpha", ADMIN, Some(0)).await);
    }

    cluster.ctl("restart");
    let mut ids = vec![first];
    for i in 1..8 {
        ids.push(upload_eventually(&app, variant("blueprint.pdf", i)).await);
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    for mut subscriber in subscribers {
        let events = subscriber.events(count as usize).await;
        assert_eq!(positions(&events), (1..=count).collect::<Vec<_>>());
        let added: Vec<&str> = events
            .iter()
            .filter(|e| e["event"] == "document.added")
            .map(|e| e["document_id"].as_str().unwrap())
            .collect();
        assert_eq!(added, ids);
    }
    pool.close().await;
    drop(server);
}
