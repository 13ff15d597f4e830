//! SIGKILL of `stockage serve` (the real binary, in its own process).
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use sqlx::PgPool;

use super::load::{Load, assert_positions_gapless, assert_verify_clean, check_acknowledged};
use crate::cluster::temp_dir;
use crate::helpers::{ADMIN, TestApp, cli, database_url};
use crate::processes::ServerProcess;

const MB: usize = 1_000_000;

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn sigkill_under_concurrent_writers_loses_no_acknowledged_revision(pool: PgPool) {
    let url = database_url(&pool).await;
    let data_dir = temp_dir("sigkill");
    let mut server = ServerProcess::start(&url, &data_dir).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;

    let load = Load::start(&app, 6);
    load.until("150 acknowledged revisions", |l| l.acked() >= 150)
        .await;
    // tokio's kill is SIGKILL: no shutdown, no flush, requests cut mid-way.
    server.child.kill().await.unwrap();
    let tally = load.stop().await;
    tally.print();
    assert!(tally.faults.is_empty(), "{:?}", tally.faults);
    assert!(tally.acked.len() >= 150);

    let restarted = ServerProcess::start(&url, &data_dir).await;
    let app = TestApp::attach(pool.clone(), restarted.address.clone());
    check_acknowledged(&app, &tally.acked).await;
    assert_positions_gapless(&pool).await;
    assert_verify_clean(&url).await;
    drop(restarted);
    std::fs::remove_dir_all(&data_dir).ok();
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

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn sigkill_mid_upload_leaves_no_document_and_blobs_gc_removes_the_bytes(pool: PgPool) {
    let data_dir = temp_dir("kill-upload");
    let url = database_url(&pool).await;
    let mut server = ServerProcess::start(&url, &data_dir).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let before = app.event_count().await;

    // 24 MB go out, then the body stalls as if the network were slow.
    let sent = futures_util::stream::iter((0..24).map(|i| {
        let mut chunk = vec![b'x'; MB];
        if i == 0 {
            chunk[..5].copy_from_slice(b"%PDF-");
        }
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    }))
    .chain(futures_util::stream::pending());
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(sent), 100 * MB as u64)
        .file_name("cut.pdf");
    let upload = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(Form::new().part("file", part))
        .send();
    let upload = tokio::spawn(upload);
    let blob_dir = data_dir.join("blobs");
    // Wait until the server has written part of the upload to disk.
    for _ in 0..1_200 {
        if disk_usage(&blob_dir) >= 10 * MB as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        disk_usage(&blob_dir) >= 10 * MB as u64,
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

    // The operator's command, as run after a crash; the shortest grace it
    // takes is a second, so let the partial file be that old.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let gc = cli(&pool, &["blobs", "gc", "--grace", "1s", "--json"])
        .await
        .env("STOCKAGE_DATA_DIR", &data_dir)
        .output()
        .await
        .unwrap();
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    assert_eq!(disk_usage(&blob_dir), 0, "gc left files behind");
    std::fs::remove_dir_all(&data_dir).ok();
}
