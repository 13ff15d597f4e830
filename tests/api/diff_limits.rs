//! Diffs parse untrusted files: each runs in a child process under a
//! memory and time budget, a few at a time (one more: 503), and its
//! answers (JSON and PNG) are cached by content.
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use stockage::search::index::isolate::Isolation;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app, spawn_app_configured};

/// A document whose revision 1 is `first` and revision 2 is `second`.
async fn two_revisions(app: &TestApp, slug: &str, first: &str, second: &str) -> String {
    let name = first.rsplit('/').next().unwrap();
    let doc: Value = app.uploaded(slug, ADMIN, name, fixture(first)).await;
    let path = format!(
        "/api/v1/projects/{slug}/documents/{}",
        doc["id"].as_str().unwrap()
    );
    let response = app
        .put_content(&path, ADMIN, fixture(second), Some(name), None)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    path
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_pdf_repeating_one_stream_costs_the_differ_not_the_server(pool: PgPool) {
    let app = spawn_app_configured(pool, |settings| {
        settings.diffs.budget.memory_bytes = 128_000_000;
    })
    .await;
    app.create_project("alpha").await;
    let hostile = two_revisions(
        &app,
        "alpha",
        "hostile/repeated_stream.pdf",
        "hostile/repeated_stream_v2.pdf",
    )
    .await;
    let response = app.get(&format!("{hostile}/diff?from=1&to=2"), ADMIN).await;
    let detail = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    // On a busy machine the time budget may run out first; either way the
    // child is stopped (an in-process thread would be left running).
    assert!(
        detail.contains("ran out of its memory budget of 128 MB") || detail.contains("was stopped"),
        "{detail}"
    );
    // The server goes on comparing other files.
    let fine = two_revisions(&app, "alpha", "blueprint.pdf", "blueprint_v2.pdf").await;
    let response = app.get(&format!("{fine}/diff?from=1&to=2"), ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK);
    let diff: Value = response.json().await.unwrap();
    let unified = diff["unified"].as_str().unwrap();
    assert!(
        unified
            .lines()
            .any(|l| l.starts_with('+') && l.contains("suspension")),
        "{unified}"
    );
}

/// A stand-in differ that writes its process id to `pid_file` and sleeps.
fn sleeping_differ(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let pid_file = dir.join("pid");
    let script = dir.join("differ.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > {}.tmp && mv {0}.tmp {0}\nexec sleep 600\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, pid_file)
}

async fn pid_written(pid_file: &Path) -> u32 {
    for _ in 0..600 {
        if let Ok(pid) = std::fs::read_to_string(pid_file) {
            return pid.trim().parse().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the differ never started");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_diff_past_its_time_is_stopped_and_one_too_many_waits(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("stockage-differ-{}", uuid::Uuid::new_v4()));
    let (script, pid_file) = sleeping_differ(&dir);
    let app = spawn_app_configured(pool, |settings| {
        settings.diffs.isolation = Isolation::Process(script);
        settings.diffs.budget.time = Duration::from_secs(3);
        settings.diffs.concurrency = 1;
    })
    .await;
    app.create_project("alpha").await;
    let doc = two_revisions(&app, "alpha", "model.gltf", "model_v2.gltf").await;
    let url = format!("{}{doc}/diff?from=1&to=2", app.address);
    let first = tokio::spawn({
        let request = app.client.get(&url).bearer_auth(app.token(ADMIN, true));
        async move { request.send().await.unwrap() }
    });
    let pid = pid_written(&pid_file).await;

    // The only place is taken: the next caller is told when to come back.
    let busy = app.get(&format!("{doc}/diff?from=1&to=2"), ADMIN).await;
    let retry_after = busy.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(retry_after.parse::<u64>().unwrap() > 0);
    let detail = assert_problem(busy, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(detail.contains("try again"), "{detail}");

    let late = first.await.unwrap();
    let detail = assert_problem(late, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(detail.contains("longer than its budget of 3 s"), "{detail}");
    // The work stopped with the answer: the process is gone.
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the differ {pid} is still running"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn highlight_pictures_are_cached_by_content(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let png = two_revisions(&app, "alpha", "photo.png", "photo_v2.png").await;
    let path = format!("{png}/diff?from=1&to=2&format=png");
    let response = app.get(&path, ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.bytes().await.unwrap();
    // The blobs are gone: only the cache can answer.
    for object in app.blobs.list().await.unwrap() {
        app.blobs.remove(&object).await.unwrap();
    }
    let response = app.get(&path, ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), first);
}
