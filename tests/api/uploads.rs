//! The size cap at its edge, and an upload cut short by a crash.
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};
use crate::processes::ServerProcess;

const MB: u64 = 1_000_000;
const CAP: u64 = 150 * MB;

/// A streamed PDF-looking body of exactly `total` bytes: never in memory.
fn pdf_body(total: u64) -> reqwest::Body {
    let chunk = Bytes::from(vec![b'x'; MB as usize]);
    let header = Bytes::from_static(b"%PDF-1.4\n");
    let mut left = total - header.len() as u64;
    let rest = std::iter::from_fn(move || {
        let n = left.min(MB);
        left -= n;
        (n > 0).then(|| Ok::<_, std::io::Error>(chunk.slice(..n as usize)))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(
        std::iter::once(Ok(header)).chain(rest),
    ))
}

async fn upload_sized(app: &TestApp, total: u64) -> reqwest::Result<reqwest::Response> {
    let part = Part::stream_with_length(pdf_body(total), total).file_name("big.pdf");
    app.client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(Form::new().part("file", part))
        .send()
        .await
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_file_at_the_cap_is_kept_and_one_byte_more_is_refused_without_a_trace(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;

    let refused = upload_sized(&app, CAP + 1)
        .await
        .expect("the server answers before the client is done");
    let detail = assert_problem(refused, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(detail.contains("150 MB"), "{detail}");
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.blob_counts().await, (0, 0));

    let kept = upload_sized(&app, CAP).await.unwrap();
    assert_eq!(kept.status(), StatusCode::CREATED);
    let doc: Value = kept.json().await.unwrap();
    assert_eq!(doc["size"], CAP);
    assert_eq!(app.blob_counts().await, (1, 0));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_declared_length_past_the_cap_is_refused_unread(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let response = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", (CAP * 2).to_string())
        .body(reqwest::Body::wrap_stream(futures_util::stream::pending::<
            Result<Bytes, std::io::Error>,
        >()))
        .send();
    let response = tokio::time::timeout(Duration::from_secs(10), response)
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_server_killed_mid_upload_leaves_no_document_and_gc_removes_the_rest(pool: PgPool) {
    let data_dir = std::env::temp_dir().join(format!("stockage-kill-{}", uuid::Uuid::new_v4()));
    let url = crate::helpers::database_url(&pool).await;
    let mut server = ServerProcess::start(&url, &data_dir).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let before = app.event_count().await;

    // 24 MB go out, then the body stalls as if the network were slow.
    let sent = futures_util::stream::iter((0..24).map(|i| {
        let mut chunk = vec![b'x'; MB as usize];
        if i == 0 {
            chunk[..5].copy_from_slice(b"%PDF-");
        }
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    }))
    .chain(futures_util::stream::pending());
    let part =
        Part::stream_with_length(reqwest::Body::wrap_stream(sent), 100 * MB).file_name("cut.pdf");
    let upload = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(Form::new().part("file", part))
        .send();
    let upload = tokio::spawn(upload);
    let blob_dir = data_dir.join("blobs");
    // Wait until the server has written part of the upload to disk.
    for _ in 0..200 {
        if disk_usage(&blob_dir) >= 10 * MB {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        disk_usage(&blob_dir) >= 10 * MB,
        "the upload reached the disk"
    );
    server.child.kill().await.unwrap();
    assert!(
        upload.await.unwrap().is_err(),
        "the client saw the connection die"
    );

    assert_eq!(
        app.event_count().await,
        before,
        "no event for the cut upload"
    );
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(documents, 0);

    let blobs = crate::helpers::local_blobs(&data_dir);
    let report = stockage::retention::gc::collect(&pool, &blobs, Duration::ZERO)
        .await
        .unwrap();
    assert!(
        report.removed_uploads + report.removed_blobs >= 1,
        "{report:?}"
    );
    assert_eq!(disk_usage(&blob_dir), 0, "gc left files behind");
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// Bytes in all files under `dir`.
fn disk_usage(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => disk_usage(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}
