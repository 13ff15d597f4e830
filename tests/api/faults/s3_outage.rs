//! S3 going away under load. The shared SeaweedFS on its fixed ports
//! serves other tests at the same time, so it is not stopped: the relay of
//! `relay.rs` stands between this server and it and is cut, which is what
//! a server sees of a stopped S3 (connections reset, new ones refused).
//! While cut: 503 with Retry-After, no panic, no dropped connection; after:
//! recovery without a restart and no orphaned event (every document
//! event's bytes are readable).
use reqwest::StatusCode;
use sha2::Digest;
use sqlx::PgPool;
use stockage::storage::BlobBackend;

use super::load::{Load, assert_positions_gapless, check_acknowledged};
use crate::helpers::{ADMIN, spawn_app_configured};
use crate::relay::{Relay, socket_of};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_s3_outage_under_load_answers_503_and_orphans_no_event(pool: PgPool) {
    let endpoint = std::env::var("STOCKAGE_TEST_S3_ENDPOINT")
        .expect("STOCKAGE_TEST_S3_ENDPOINT is set (scripts/test)");
    let relay = Relay::start(socket_of(&endpoint)).await;
    let through_relay = format!("http://{}", relay.address);
    let app = spawn_app_configured(pool.clone(), move |settings| {
        settings.storage.backend = BlobBackend::S3 {
            endpoint: Some(through_relay),
            bucket: std::env::var("STOCKAGE_TEST_S3_BUCKET")
                .expect("STOCKAGE_TEST_S3_BUCKET is set (scripts/test)"),
            region: "us-east-1".into(),
            prefix: format!("test-{}", uuid::Uuid::new_v4()),
        };
    })
    .await;
    app.create_project("alpha").await;

    let load = Load::start(&app, 4);
    load.until("30 acknowledged revisions", |l| l.acked() >= 30)
        .await;
    relay.cut();
    load.until("writers answered 503", |l| l.unavailable() >= 8)
        .await;
    let acked_while_down = load.acked();
    relay.restore();
    load.until("writes acknowledged again", |l| {
        l.acked() >= acked_while_down + 30
    })
    .await;
    let tally = load.stop().await;
    tally.print();
    assert!(tally.faults.is_empty(), "{:?}", tally.faults);
    assert_eq!(tally.unanswered, 0, "no connection dropped");

    check_acknowledged(&app, &tally.acked).await;
    assert_positions_gapless(&pool).await;
    // No orphan: every revision any event recorded has its bytes.
    let revisions: Vec<(uuid::Uuid, i32, String)> = sqlx::query_as(
        "SELECT stream_id, COALESCE((payload->>'revision')::int, 1), payload->>'sha256' FROM events
         WHERE event_type IN ('DocumentAdded', 'RevisionAdded') ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(revisions.len() >= tally.acked.len());
    for (document, revision, sha256) in revisions {
        let download = app
            .get(
                &format!(
                    "/api/v1/projects/alpha/documents/{document}/revisions/{revision}/content"
                ),
                ADMIN,
            )
            .await;
        assert_eq!(download.status(), StatusCode::OK, "{document} r{revision}");
        let bytes = download.bytes().await.unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha256);
    }
}
