//! "Who got which revision of this drawing": the events API, the
//! `events` and `replay` commands, and read models rebuilt from the log.
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage_projections::{inline_projectors, rebuild};

use super::{EDITOR, VIEWER, body, bytes, created, setup, url};
use crate::helpers::{ADMIN, cli, fixture, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn downloads_are_answerable_from_the_log(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let doc = setup(&app, "audit").await;
    let doc_id = doc.rsplit('/').next().unwrap().to_owned();
    let share = created(&app, &doc, EDITOR, body()).await;
    bytes(&app, &url(&share), None).await;
    app.put_content(&doc, EDITOR, fixture("photo_v2.png"), None, None)
        .await;
    bytes(&app, &url(&share), None).await;

    // The project's event feed names the document, for those who may read it.
    let feed: Value = app
        .get("/api/v1/projects/audit/events", VIEWER)
        .await
        .json()
        .await
        .unwrap();
    let shares: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("share."))
        .collect();
    let kinds: Vec<&str> = shares.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["share.created", "share.downloaded", "share.downloaded"]
    );
    assert!(shares.iter().all(|e| e["document_id"] == doc_id.as_str()));
    assert_eq!(shares[2]["revision"], 2);
    let hide = json!({"entries": [{"principal": format!("user:{VIEWER}"), "permission": "none"}]});
    let put = app
        .call(
            reqwest::Method::PUT,
            &format!("{doc}/acl"),
            Some(ADMIN),
            Some(hide),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    let hidden: Value = app
        .get("/api/v1/projects/audit/events", VIEWER)
        .await
        .json()
        .await
        .unwrap();
    let items = hidden["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|e| !e["type"].as_str().unwrap().starts_with("share.")),
        "{items:?}"
    );

    let output = cli(
        &pool,
        &[
            "events",
            "--document",
            &doc_id,
            "--type",
            "ShareDownloaded",
            "--json",
        ],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = String::from_utf8(output.stdout).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");

    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let output = cli(
        &pool,
        &[
            "replay",
            "--project",
            "audit",
            "--at",
            &head.to_string(),
            "--document",
            &doc_id,
            "--json",
        ],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let documents = report["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "a link is not a document");
    let links = documents[0]["shares"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["created_by"], EDITOR);
    let got: Vec<(&Value, &Value)> = links[0]["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (&d["revision"], &d["client"]))
        .collect();
    assert_eq!(
        got,
        [
            (&json!(1), &json!("127.0.0.0/24")),
            (&json!(2), &json!("127.0.0.0/24"))
        ]
    );

    let projectors = inline_projectors();
    rebuild::rebuild(&pool, &projectors, "rebuild_shares", |_, _| {})
        .await
        .unwrap();
    let differences = rebuild::differences(&pool, &projectors, "rebuild_shares")
        .await
        .unwrap();
    assert_eq!(differences, Vec::<&str>::new());
}
