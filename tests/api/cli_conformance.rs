//! The command line as users' shells and scripts meet it: pipes closed
//! early, dotted event types, `--json` everywhere, quiet defaults.
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{ADMIN, cli, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_reader_that_goes_away_ends_the_command_quietly(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("piped").await;
    let mut child = cli(&pool, &["events", "--follow"])
        .await
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    lines.next_line().await.unwrap().expect("a header line");
    // `| head -1`: the reader closes the pipe; the next event written fails.
    drop(lines);
    app.create_project("after").await;
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the command ends once its reader is gone")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn event_types_are_taken_as_the_api_names_them_and_unknown_ones_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("typed").await;
    let output = cli(&pool, &["events", "--json", "--type", "member.added"])
        .await
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let types: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["MemberAdded"]);

    let output = cli(&pool, &["events", "--type", "Bogus"])
        .await
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("document.added") && stderr.contains("DocumentAdded"),
        "{stderr}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn postgres_notices_stay_out_of_the_default_log(pool: PgPool) {
    let output = cli(&pool, &["events"])
        .await
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("_sqlx_migrations"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes off a terminal: {stderr}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn replay_defaults_to_now_and_every_command_speaks_json(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("now").await;
    let json = |args: &'static [&'static str]| {
        let pool = pool.clone();
        async move {
            let output = cli(&pool, args).await.output().await.unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_str::<Value>(stdout.trim())
                .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
        }
    };
    let replay = json(&["replay", "--project", "now", "--json"]).await;
    assert_eq!(replay["members"][0]["user"], ADMIN);
    let token = json(&["token", "--user", "ann", "--ttl", "1h 30m", "--json"]).await;
    assert!(
        token["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    let gc = json(&["blobs", "gc", "--json"]).await;
    assert!(gc["scanned"].is_u64());
    let rebuild = json(&["projections", "rebuild", "--json"]).await;
    assert_eq!(rebuild["differing"], serde_json::json!([]));
    let verify = json(&["verify", "--json"]).await;
    assert_eq!(verify["ok"], true);
}
