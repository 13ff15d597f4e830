//! tuspy, the tus client from PyPI, uploads a 150 MB file that is cut off
//! once by a dropped connection and once by a server killed and
//! restarted, and resumes each time to a byte-identical document — on
//! both blob backends.
use std::io::Write;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use sqlx::PgPool;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use super::pdf;
use crate::helpers::{ADMIN, Backend, TestApp, database_url};
use crate::processes::ServerProcess;

const SIZE: u64 = 150_000_000;

/// Runs tests/python/tus_upload.py with `args`; its one line of JSON.
async fn tuspy(args: Value) -> Value {
    let python = std::env::var("STOCKAGE_TEST_PYTHON")
        .expect("STOCKAGE_TEST_PYTHON is not set: run eval \"$(scripts/python-env)\" first");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/tus_upload.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(args.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "tuspy printed nothing: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(line).unwrap()
}

/// A TCP proxy to `target` that cuts every connection once the client
/// sent `cut` bytes on it, as a mobile link that drops.
async fn cutting_proxy(target: String, cut: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                let server = TcpStream::connect(&target).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let mut limited = (&mut client_read).take(cut);
                let up = tokio::io::copy(&mut limited, &mut server_write);
                let down = tokio::io::copy(&mut server_read, &mut client_write);
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    address
}

/// Writes the test file in 1 MB pieces; returns its sha256.
fn write_file(path: &std::path::Path) -> String {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hasher = sha2::Sha256::new();
    for i in 0..SIZE / 1_000_000 {
        let mut piece = pdf(1_000_000, i);
        if i > 0 {
            piece[..9].copy_from_slice(b"%%chunk%\n");
        }
        hasher.update(&piece);
        file.write_all(&piece).unwrap();
    }
    file.flush().unwrap();
    hex::encode(hasher.finalize())
}

async fn durable_offset(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT \"offset\" FROM uploads")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn interrupted_twice_and_resumed(pool: PgPool, backend: Backend) {
    let data_dir = std::env::temp_dir().join(format!("stockage-tuspy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut env = vec![];
    if backend == Backend::S3 {
        env = vec![
            ("STOCKAGE_BLOB_BACKEND", "s3".to_owned()),
            (
                "STOCKAGE_S3_ENDPOINT",
                std::env::var("STOCKAGE_TEST_S3_ENDPOINT").unwrap(),
            ),
            (
                "STOCKAGE_S3_BUCKET",
                std::env::var("STOCKAGE_TEST_S3_BUCKET").unwrap(),
            ),
            (
                "STOCKAGE_S3_PREFIX",
                format!("test-{}", uuid::Uuid::new_v4()),
            ),
        ];
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let url = database_url(&pool).await;
    let mut server = ServerProcess::start_with(&url, &data_dir, &env).await;
    let mut app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let file = data_dir.join("drawing-set.pdf");
    let sha256 = write_file(&file);
    let token = app.token(ADMIN, true);
    let args = |endpoint: &str, url: Option<String>| {
        json!({
            "endpoint": format!("{endpoint}/api/v1/uploads"),
            "token": token,
            "file": file,
            "chunk_size": SIZE,
            "metadata": {"project": "alpha", "filename": "drawing-set.pdf"},
            "url": url,
        })
    };

    // 1. The connection drops after 40 MB.
    let host = server.address.trim_start_matches("http://").to_owned();
    let proxy = cutting_proxy(host, 40_000_000).await;
    let cut = tuspy(args(&format!("http://{proxy}"), None)).await;
    assert!(cut["error"].is_string(), "the client saw the cut: {cut}");
    let location = cut["url"].as_str().expect("the upload was created");
    let path = &location[location.find("/api/").unwrap()..];
    let kept = app.tus_offset(ADMIN, path).await;
    assert!(kept > 5_000_000 && kept < 40_000_000, "kept {kept}");

    // 2. tuspy resumes; the server is killed half-way through the rest.
    let resumed = tokio::spawn(tuspy(args(
        &server.address,
        Some(format!("{}{path}", server.address)),
    )));
    let mut waited = 0;
    while durable_offset(&pool).await < kept as i64 + 40_000_000 {
        assert!(waited < 2_400, "the resumed upload made no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    server.child.kill().await.unwrap();
    let killed = resumed.await.unwrap();
    assert_eq!(killed["started_at"], kept, "resumed where the cut left it");
    assert!(killed["error"].is_string(), "{killed}");
    let at_kill = durable_offset(&pool).await as u64;

    // 3. After a restart the offset and bytes are still there.
    server = ServerProcess::start_with(&url, &data_dir, &env).await;
    app.address = server.address.clone();
    assert_eq!(app.tus_offset(ADMIN, path).await, at_kill);
    let done = tuspy(args(
        &server.address,
        Some(format!("{}{path}", server.address)),
    ))
    .await;
    assert!(done["error"].is_null(), "{done}");
    assert_eq!(done["started_at"], at_kill);
    assert_eq!(done["offset"], SIZE);
    let document = done["headers"]["stockage-document"]
        .as_str()
        .expect("the document id")
        .to_owned();
    assert_eq!(done["headers"]["stockage-revision"], "1");

    let doc: Value = app
        .get(
            &format!("/api/v1/projects/alpha/documents/{document}"),
            ADMIN,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (doc["sha256"].as_str(), doc["size"].as_u64()),
        (Some(sha256.as_str()), Some(SIZE))
    );
    let content = app
        .get(
            &format!("/api/v1/projects/alpha/documents/{document}/content"),
            ADMIN,
        )
        .await;
    assert_eq!(content.status(), StatusCode::OK);
    let mut stream = content.bytes_stream();
    let mut hasher = sha2::Sha256::new();
    while let Some(chunk) = stream.next().await {
        hasher.update(chunk.unwrap());
    }
    assert_eq!(hex::encode(hasher.finalize()), sha256, "byte-identical");
    server.terminate().await;
    std::fs::remove_dir_all(&data_dir).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn tuspy_resumes_150_mb_after_a_dropped_connection_and_a_crash_locally(pool: PgPool) {
    interrupted_twice_and_resumed(pool, Backend::Local).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn tuspy_resumes_150_mb_after_a_dropped_connection_and_a_crash_on_s3(pool: PgPool) {
    interrupted_twice_and_resumed(pool, Backend::S3).await;
}
