//! The size cap at its edge (an upload cut short by a crash: faults/kill.rs).
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};

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
