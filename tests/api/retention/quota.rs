//! Usage and quotas: an upload past the quota answers 507 and stores nothing.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{document, stl};
use crate::helpers::{ADMIN, assert_problem, spawn_app_configured};

async fn usage(app: &crate::helpers::TestApp) -> Value {
    app.get("/api/v1/projects/full/usage", ADMIN)
        .await
        .json()
        .await
        .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_upload_past_the_quota_gets_507_and_stores_nothing(pool: PgPool) {
    // The default quota from the environment, in bytes here.
    let app = spawn_app_configured(pool.clone(), |s| {
        s.retention.default_quota_bytes = Some(300);
    })
    .await;
    app.create_project("full").await;
    app.set_member("full", ADMIN, "ada", "admin").await;
    let path = document(&app, "full", "small", 2).await;
    let first = usage(&app).await;
    let size = stl("small-1").len() as i64;
    assert_eq!(
        first,
        json!({"documents": 1, "documents_in_trash": 0, "revisions": 2,
               "bytes_logical": 2 * size, "bytes_stored": 2 * size, "quota_bytes": 300})
    );
    // A restore adds a revision of the same bytes: logical, not stored.
    app.call(
        Method::POST,
        &format!("{path}/revisions/1/restore"),
        Some(ADMIN),
        None,
    )
    .await;
    let restored = usage(&app).await;
    assert_eq!(restored["bytes_logical"], 3 * size);
    assert_eq!(restored["bytes_stored"], 2 * size);

    let (blobs, uploads) = app.blob_counts().await;
    let events = app.event_count().await;
    let big = stl(&"x".repeat(300));
    let refused = app.upload("full", ADMIN, "big.stl", big.clone()).await;
    let detail = assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
    assert!(detail.contains("quota"), "{detail}");
    let refused = app.put_content(&path, ADMIN, big, None, None).await;
    assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
    assert_eq!(app.blob_counts().await, (blobs, uploads), "nothing stored");
    assert_eq!(app.event_count().await, events, "nothing recorded");

    // Owners raise the quota (in MB); admins may not.
    let patch = |user: &'static str, body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PATCH,
                "/api/v1/projects/full",
                Some(user),
                Some(body),
            )
            .await
        }
    };
    assert_problem(
        patch("ada", json!({"quota_mb": 1})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        patch(ADMIN, json!({"quota_mb": -1})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        patch(ADMIN, json!({"title": "x"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        patch(ADMIN, json!({"quota_mb": 1})).await.status(),
        StatusCode::OK
    );
    assert_eq!(usage(&app).await["quota_bytes"], 1_000_000);
    let fits = app
        .upload("full", ADMIN, "big.stl", stl(&"x".repeat(300)))
        .await;
    assert_eq!(fits.status(), StatusCode::CREATED);
    // Back to the default.
    assert_eq!(
        patch(ADMIN, json!({"quota_mb": null})).await.status(),
        StatusCode::OK
    );
    assert_eq!(usage(&app).await["quota_bytes"], 300);
    let retention: Value = app
        .get("/api/v1/projects/full/retention", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(retention["quota_mb"], Value::Null);
}
