//! An upload's life beside the document's: termination, expiry, and the
//! lock and lifecycle gate at creation and at completion.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use super::{header, pdf};
use crate::helpers::{ADMIN, assert_problem, fixture, spawn_app, spawn_app_configured};
use crate::locks::{lock, project_with_document};

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("stockage-tus-{}", uuid::Uuid::new_v4()))
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn terminated_and_expired_uploads_leave_nothing(pool: PgPool) {
    let data_dir = temp_dir();
    let app = spawn_app_configured(pool.clone(), |settings| {
        settings.storage.data_dir = data_dir.clone();
        settings.uploads.expiry = Duration::from_secs(2);
        settings.uploads.sweep_every = Duration::from_secs(3600);
    })
    .await;
    app.create_project("alpha").await;
    let pairs = [("project", "alpha"), ("filename", "t.pdf")];
    let bytes = pdf(50_000, 9);

    let terminated = app.tus_start(ADMIN, 50_000, &pairs).await;
    app.tus_patch(ADMIN, &terminated, 0, bytes[..20_000].to_vec(), None)
        .await;
    assert_eq!(app.tus_files(&data_dir), 1);
    let delete = app
        .tus(Method::DELETE, &terminated, ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.tus_head(ADMIN, &terminated).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.tus_files(&data_dir), 0);

    let expiring = app.tus_start(ADMIN, 50_000, &pairs).await;
    app.tus_patch(ADMIN, &expiring, 0, bytes[..20_000].to_vec(), None)
        .await;
    let mut status = StatusCode::OK;
    for _ in 0..100 {
        status = app.tus_head(ADMIN, &expiring).await.status();
        if status != StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::GONE);
    let late = app
        .tus_patch(ADMIN, &expiring, 20_000, bytes[20_000..].to_vec(), None)
        .await;
    assert_problem(late, StatusCode::GONE).await;
    let blobs = crate::helpers::local_blobs(&data_dir);
    let report = stockage::uploads::sweep::sweep(&pool, &blobs)
        .await
        .unwrap();
    assert_eq!(report.expired, 1);
    assert_eq!(
        app.tus_head(ADMIN, &expiring).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.tus_files(&data_dir), 0);
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(documents, 0, "temporary bytes never became a document");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_lock_by_someone_else_stops_an_upload_at_creation_and_at_completion(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = project_with_document(&app).await;
    let id = doc.rsplit('/').next().unwrap().to_owned();
    let png = fixture("photo_v2.png");
    let pairs = [
        ("project", "alpha"),
        ("filename", "photo.png"),
        ("document", id.as_str()),
    ];

    // Locked by bob: ann cannot even start.
    assert_eq!(
        lock(&app, &doc, "bob", json!({})).await.status(),
        StatusCode::CREATED
    );
    let refused = app.tus_create("ann", png.len() as u64, &pairs).await;
    assert_eq!(header(&refused, "Tus-Resumable").as_deref(), Some("1.0.0"));
    let detail = assert_problem(refused, StatusCode::LOCKED).await;
    assert!(detail.contains("bob"), "{detail}");
    // bob, the holder, may.
    let path = app.tus_start("bob", png.len() as u64, &pairs).await;
    let done = app.tus_patch("bob", &path, 0, png.clone(), None).await;
    assert_eq!(header(&done, "Stockage-Revision").as_deref(), Some("2"));
    let unlocked = app
        .call(Method::DELETE, &format!("{doc}/lock"), Some("bob"), None)
        .await;
    assert_eq!(unlocked.status(), StatusCode::NO_CONTENT);

    // Locked while ann's bytes were on their way: 423 at completion, and
    // the bytes wait; once the lock is gone the final PATCH completes.
    let path = app.tus_start("ann", png.len() as u64, &pairs).await;
    assert_eq!(
        lock(&app, &doc, "bob", json!({})).await.status(),
        StatusCode::CREATED
    );
    let locked = app.tus_patch("ann", &path, 0, png.clone(), None).await;
    assert_problem(locked, StatusCode::LOCKED).await;
    assert_eq!(app.tus_offset("ann", &path).await, png.len() as u64);
    app.call(Method::DELETE, &format!("{doc}/lock"), Some("bob"), None)
        .await;
    let retried = app
        .tus_patch("ann", &path, png.len() as u64, Vec::new(), None)
        .await;
    assert_eq!(retried.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&retried, "Stockage-Revision").as_deref(), Some("3"));

    // A released document refuses new content until it is revised.
    let review = app
        .call(
            Method::POST,
            &format!("{doc}/state"),
            Some("ann"),
            Some(json!({"to": "in_review"})),
        )
        .await;
    assert_eq!(review.status(), StatusCode::OK);
    let release = app
        .call(
            Method::POST,
            &format!("{doc}/state"),
            Some(ADMIN),
            Some(json!({"to": "released"})),
        )
        .await;
    assert_eq!(release.status(), StatusCode::OK);
    let frozen = app.tus_create("ann", png.len() as u64, &pairs).await;
    let detail = assert_problem(frozen, StatusCode::CONFLICT).await;
    assert!(detail.contains("revise"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_project_quota_is_checked_at_creation_and_at_completion(pool: PgPool) {
    let app = spawn_app_configured(pool, |settings| {
        settings.retention.default_quota_bytes = Some(100_000);
    })
    .await;
    app.create_project("alpha").await;
    let pairs = [("project", "alpha"), ("filename", "q.pdf")];
    let over = app.tus_create(ADMIN, 100_001, &pairs).await;
    assert_problem(over, StatusCode::INSUFFICIENT_STORAGE).await;

    // Room at creation is held for the upload (decision 0060): a
    // multipart upload cannot take it before the last byte.
    let path = app.tus_start(ADMIN, 60_000, &pairs).await;
    let meanwhile = app.upload("alpha", ADMIN, "m.pdf", pdf(50_000, 11)).await;
    assert_problem(meanwhile, StatusCode::INSUFFICIENT_STORAGE).await;
    let done = app.tus_patch(ADMIN, &path, 0, pdf(60_000, 12), None).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);

    // Completion checks again: a quota lowered meanwhile refuses it, and
    // the upload ends with nothing recorded.
    let path = app.tus_start(ADMIN, 30_000, &pairs).await;
    let lowered = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/projects/alpha",
            Some(ADMIN),
            Some(json!({"quota_mb": 0})),
        )
        .await;
    assert_eq!(lowered.status(), StatusCode::OK);
    let before = app.event_count().await;
    let late = app.tus_patch(ADMIN, &path, 0, pdf(30_000, 13), None).await;
    assert_problem(late, StatusCode::INSUFFICIENT_STORAGE).await;
    assert_eq!(app.event_count().await, before, "no document");
    assert_eq!(
        app.tus_head(ADMIN, &path).await.status(),
        StatusCode::NOT_FOUND
    );
}
