//! The upload policy on resumable uploads: the type checked on the first
//! bytes, the whole file checked at completion, and nothing left behind
//! by a refusal.
use reqwest::StatusCode;
use sqlx::PgPool;

use super::pdf;
use crate::helpers::{ADMIN, assert_problem, spawn_app_in};

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("stockage-tus-{}", uuid::Uuid::new_v4()))
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_wrong_type_is_refused_on_its_first_bytes(pool: PgPool) {
    let data_dir = temp_dir();
    let app = spawn_app_in(pool, &data_dir).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    let bytes = pdf(200_000, 10);
    let path = app
        .tus_start(
            ADMIN,
            bytes.len() as u64,
            &[("project", "alpha"), ("filename", "photo.png")],
        )
        .await;
    let refused = app
        .tus_patch(ADMIN, &path, 0, bytes[..100_000].to_vec(), None)
        .await;
    let detail = assert_problem(refused, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(detail.contains("PNG"), "{detail}");
    assert_eq!(
        app.tus_head(ADMIN, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.tus_files(&data_dir), 0);
    assert_eq!(app.event_count().await, before);

    // A .glb whose header disagrees with the declared length.
    let mut glb = b"glTF".to_vec();
    glb.extend_from_slice(&2u32.to_le_bytes());
    glb.extend_from_slice(&999u32.to_le_bytes());
    glb.resize(5_000, 0);
    let path = app
        .tus_start(
            ADMIN,
            5_000,
            &[("project", "alpha"), ("filename", "model.glb")],
        )
        .await;
    let refused = app.tus_patch(ADMIN, &path, 0, glb, None).await;
    let detail = assert_problem(refused, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(detail.contains("999"), "{detail}");
    assert_eq!(app.tus_files(&data_dir), 0);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_file_refused_at_completion_leaves_nothing(pool: PgPool) {
    let data_dir = temp_dir();
    let app = spawn_app_in(pool, &data_dir).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    // JSON from the first byte, but no `asset` object: only the whole file tells.
    let mut gltf = br#"{"scenes": [{"nodes": [0]}], "padding": ""#.to_vec();
    gltf.resize(300_000, b'x');
    gltf.extend_from_slice(b"\"}");
    let path = app
        .tus_start(
            ADMIN,
            gltf.len() as u64,
            &[("project", "alpha"), ("filename", "scene.gltf")],
        )
        .await;
    let first = app
        .tus_patch(ADMIN, &path, 0, gltf[..100_000].to_vec(), None)
        .await;
    assert_eq!(
        first.status(),
        StatusCode::NO_CONTENT,
        "the first bytes look right"
    );
    let last = app
        .tus_patch(ADMIN, &path, 100_000, gltf[100_000..].to_vec(), None)
        .await;
    let detail = assert_problem(last, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(detail.contains("asset"), "{detail}");
    assert_eq!(
        app.tus_head(ADMIN, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.tus_files(&data_dir), 0);
    assert_eq!(app.event_count().await, before, "no document");
    assert_eq!(
        app.blob_counts().await,
        (0, 0),
        "no blob, no temporary upload"
    );
}
