//! `stockage events`: the log, filtered, and followed live.
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{ADMIN, cli, fixture, spawn_app};

async fn json_lines(pool: &PgPool, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["events", "--json"];
    all.extend_from_slice(args);
    let output = cli(pool, &all).await.output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn positions(lines: &[Value]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| l["position"].as_i64().unwrap())
        .collect()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_log_filtered_every_way(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await; // 1, 2
    app.create_project("beta").await; // 3, 4
    app.set_member("alpha", ADMIN, "ann", "editor").await; // 5
    let doc: Value = app
        .uploaded("alpha", "ann", "photo.png", fixture("photo.png"))
        .await; // 6

    let all = json_lines(&pool, &[]).await;
    assert_eq!(positions(&all), (1..=6).collect::<Vec<_>>());
    assert_eq!(all[5]["type"], "DocumentAdded");
    assert_eq!(all[5]["data"]["filename"], "photo.png");
    assert_eq!(
        positions(&json_lines(&pool, &["--project", "alpha"]).await),
        [1, 2, 5, 6]
    );
    assert_eq!(
        positions(&json_lines(&pool, &["--type", "MemberAdded"]).await),
        [2, 4, 5]
    );
    assert_eq!(
        positions(&json_lines(&pool, &["--actor", "ann"]).await),
        [6]
    );
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        positions(&json_lines(&pool, &["--document", id]).await),
        [6]
    );
    assert_eq!(
        positions(&json_lines(&pool, &["--since", "3", "--until", "5"]).await),
        [3, 4, 5]
    );
    let at = all[4]["recorded_at"].as_str().unwrap();
    assert_eq!(
        positions(&json_lines(&pool, &["--since", at]).await),
        [5, 6]
    );
    assert_eq!(
        positions(&json_lines(&pool, &["--until", at, "--project", "beta"]).await),
        [3, 4]
    );

    let bad = cli(&pool, &["events", "--since", "yesterday"])
        .await
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn follow_prints_new_events_as_they_commit(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await;
    let mut child = cli(&pool, &["events", "--json", "--follow"])
        .await
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(next(&mut lines).await["position"], 1);
    assert_eq!(next(&mut lines).await["position"], 2);
    app.set_member("alpha", ADMIN, "late", "viewer").await;
    let live = next(&mut lines).await;
    assert_eq!(
        (live["position"].as_i64(), live["type"].as_str()),
        (Some(3), Some("MemberAdded"))
    );
    child.kill().await.unwrap();
}

async fn next(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("a line within 10 s");
    serde_json::from_str(&line.unwrap().unwrap()).unwrap()
}
