//! The storage contract, run on the local disk and on SeaweedFS (S3).
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::helpers::{ADMIN, Backend, assert_problem, fixture, spawn_app_with};

const FIXTURES: [&str; 7] = [
    "blueprint.pdf",
    "photo.png",
    "photo.jpg",
    "model.glb",
    "model.gltf",
    "part_ascii.stl",
    "part_binary.stl",
];

async fn every_fixture_round_trips(pool: PgPool, backend: Backend) {
    let app = spawn_app_with(pool, backend).await;
    app.create_project("alpha").await;
    for name in FIXTURES {
        let bytes = fixture(name);
        let sha = hex::encode(Sha256::digest(&bytes));
        let response = app.upload("alpha", ADMIN, name, bytes.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["sha256"], sha, "{name}");
        assert_eq!(doc["size"], bytes.len(), "{name}");
        assert_eq!(doc["filename"], name);
        assert_eq!(doc["revision"], 1);

        let download = app.get(doc["url"].as_str().unwrap(), ADMIN).await;
        assert_eq!(download.status(), StatusCode::OK, "{name}");
        assert_eq!(download.headers()["etag"], format!("\"{sha}\""));
        assert_eq!(
            download.headers()["content-type"],
            doc["content_type"].as_str().unwrap()
        );
        assert_eq!(download.headers()["x-content-type-options"], "nosniff");
        let disposition = download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains(name),
            "{disposition}"
        );
        let body = download.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&body)), sha, "{name}");
        assert_eq!(body.as_ref(), bytes.as_slice(), "{name}");
    }
    assert_eq!(app.blob_counts().await, (FIXTURES.len(), 0));
}

async fn identical_bytes_are_stored_once(pool: PgPool, backend: Backend) {
    let app = spawn_app_with(pool, backend).await;
    app.create_project("alpha").await;
    app.create_project("beta").await;
    for (slug, name) in [("alpha", "a.pdf"), ("alpha", "b.pdf"), ("beta", "c.pdf")] {
        let response = app
            .upload(slug, ADMIN, name, fixture("blueprint.pdf"))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM project_resources")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(documents, 3);
    assert_eq!(app.blob_counts().await, (1, 0));
}

/// Each policy rule, the status and a word of the message that names it.
fn refused_uploads() -> Vec<(&'static str, Vec<u8>, StatusCode, &'static str)> {
    let mut wrong_count = fixture("part_binary.stl");
    wrong_count[80] = 4;
    let png = fixture("photo.png");
    vec![
        (
            "tool.exe",
            b"MZ\x90\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "extension",
        ),
        (
            "plan.pdf",
            png.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "%PDF-",
        ),
        (
            "photo.png",
            png[..5].to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "signature",
        ),
        (
            "part.stl",
            wrong_count,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "4 triangles",
        ),
        (
            "model.gltf",
            b"{\"asset\": {\"version\": \"2.0\"".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JSON",
        ),
        (
            "model.gltf",
            b"<gltf/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JSON",
        ),
        (
            "scene.gltf",
            b"{\"scenes\": []}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "asset",
        ),
        (
            "../../etc/passwd",
            b"root:x:0:0".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "extension",
        ),
        ("empty.pdf", Vec::new(), StatusCode::BAD_REQUEST, "empty"),
    ]
}

async fn refused_uploads_leave_nothing_behind(pool: PgPool, backend: Backend) {
    let app = spawn_app_with(pool, backend).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    for (name, bytes, status, says) in refused_uploads() {
        let detail = assert_problem(app.upload("alpha", ADMIN, name, bytes).await, status).await;
        assert!(detail.contains(says), "{name}: {detail}");
    }
    assert_eq!(
        app.event_count().await,
        before,
        "no event for a refused upload"
    );
    assert_eq!(
        app.blob_counts().await,
        (0, 0),
        "no blob for a refused upload"
    );
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[sqlx::test(migrator = "stockage::db::MIGRATOR")]
                async fn $name(pool: sqlx::PgPool) {
                    super::$name(pool, crate::helpers::Backend::Local).await
                }
            )*
        }
        mod s3 {
            $(
                #[sqlx::test(migrator = "stockage::db::MIGRATOR")]
                async fn $name(pool: sqlx::PgPool) {
                    super::$name(pool, crate::helpers::Backend::S3).await
                }
            )*
        }
    };
}

on_both_backends!(
    every_fixture_round_trips,
    identical_bytes_are_stored_once,
    refused_uploads_leave_nothing_behind,
    ranges_and_conditional_requests,
);

async fn ranges_and_conditional_requests(pool: PgPool, backend: Backend) {
    let app = spawn_app_with(pool, backend).await;
    app.create_project("alpha").await;
    let bytes = fixture("photo.png");
    let doc: Value = app
        .uploaded("alpha", ADMIN, "photo.png", bytes.clone())
        .await;
    let url = format!("{}{}", app.address, doc["url"].as_str().unwrap());
    let size = bytes.len();
    let get = |range: Option<&str>| {
        let mut request = app.client.get(&url).bearer_auth(app.token(ADMIN, true));
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        request.send()
    };
    for (range, start, end) in [
        ("bytes=0-0", 0, 0),
        (
            &*format!("bytes={}-{}", size - 1, size - 1),
            size - 1,
            size - 1,
        ),
        ("bytes=-100", size - 100, size - 1),
        ("bytes=10-", 10, size - 1),
        ("bytes=5-99999999", 5, size - 1),
    ] {
        let response = get(Some(range)).await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            response.headers()["content-range"],
            format!("bytes {start}-{end}/{size}"),
            "{range}"
        );
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            &bytes[start..=end],
            "{range}"
        );
    }
    for range in [format!("bytes={size}-"), "bytes=9-3".to_owned()] {
        let response = get(Some(&range)).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(
            response.headers()["content-range"],
            format!("bytes */{size}")
        );
    }
    let etag = doc["sha256"].as_str().map(|s| format!("\"{s}\"")).unwrap();
    let cached = app
        .client
        .get(&url)
        .bearer_auth(app.token(ADMIN, true))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()["etag"], etag.as_str());
    assert!(cached.bytes().await.unwrap().is_empty());
    let stale = app
        .client
        .get(&url)
        .bearer_auth(app.token(ADMIN, true))
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
}
