//! Dependency outages: the S3 server behind a relay the test cuts and
//! restores. Requests that need it answer 503 problem+json with
//! `Retry-After` (no panic, no dropped connection, nothing half-done), and
//! the server recovers without a restart.
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use stockage::storage::BlobBackend;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app_configured};
use crate::relay::{Relay, socket_of};

async fn s3_app_behind(pool: PgPool, relay: &Relay) -> TestApp {
    let endpoint = format!("http://{}", relay.address);
    spawn_app_configured(pool, move |settings| {
        settings.storage.backend = BlobBackend::S3 {
            endpoint: Some(endpoint),
            bucket: std::env::var("STOCKAGE_TEST_S3_BUCKET")
                .expect("STOCKAGE_TEST_S3_BUCKET is set (scripts/test)"),
            region: "us-east-1".into(),
            prefix: format!("test-{}", uuid::Uuid::new_v4()),
        };
    })
    .await
}

/// A binary STL of `triangles` zero triangles.
fn binary_stl(triangles: u32) -> Vec<u8> {
    let mut stl = vec![b'x'; 80];
    stl.extend_from_slice(&triangles.to_le_bytes());
    stl.resize(84 + 50 * triangles as usize, 0);
    stl
}

async fn unavailable(response: reqwest::Response, what: &str) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .to_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert!(retry_after > 0, "{what}");
    let detail = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(detail.contains("file store"), "{what}: {detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_s3_outage_answers_503_and_the_server_recovers_by_itself(pool: PgPool) {
    let endpoint = std::env::var("STOCKAGE_TEST_S3_ENDPOINT")
        .expect("STOCKAGE_TEST_S3_ENDPOINT is set (scripts/test)");
    let relay = Relay::start(socket_of(&endpoint)).await;
    let app = s3_app_behind(pool, &relay).await;
    app.create_project("alpha").await;
    let response = app
        .upload("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    let path = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );
    assert_eq!(
        app.get(&format!("{path}/content"), ADMIN).await.status(),
        StatusCode::OK
    );
    let events = app.event_count().await;

    relay.cut();
    // A small file (one PUT) and a large one (a multipart upload).
    let small = app
        .upload("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    unavailable(small, "small upload").await;
    let large = app
        .upload("alpha", ADMIN, "big.stl", binary_stl(240_000))
        .await;
    unavailable(large, "multipart upload").await;
    let revision = app
        .put_content(
            &path,
            ADMIN,
            fixture("photo_v2.png"),
            Some("photo.png"),
            None,
        )
        .await;
    unavailable(revision, "new revision").await;
    let download = app.get(&format!("{path}/content"), ADMIN).await;
    unavailable(download, "download").await;
    // Nothing half-done: no event for a file that was not stored.
    assert_eq!(app.event_count().await, events);

    relay.restore();
    let download = app.get(&format!("{path}/content"), ADMIN).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap(), fixture("photo.png"));
    let response = app
        .upload("alpha", ADMIN, "big.stl", binary_stl(240_000))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let revision = app
        .put_content(
            &path,
            ADMIN,
            fixture("photo_v2.png"),
            Some("photo.png"),
            None,
        )
        .await;
    assert_eq!(revision.status(), StatusCode::CREATED);
}
