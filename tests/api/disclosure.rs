//! What the permission model lets out: ACL entries only to the document's
//! admins (the event stream included), project admins never locked out of
//! a document, and no global log head named to a caller.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};

async fn document(app: &TestApp) -> String {
    let doc: Value = app
        .uploaded("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    )
}

async fn set_acl(app: &TestApp, doc: &str, by: &str, entries: Value) -> StatusCode {
    app.call(
        Method::PUT,
        &format!("{doc}/acl"),
        Some(by),
        Some(json!({ "entries": entries })),
    )
    .await
    .status()
}

/// The `data` of each `document.acl_changed` event `user` is shown.
async fn acl_events(app: &TestApp, user: &str) -> Vec<Value> {
    let page: Value = app
        .get("/api/v1/projects/alpha/events?limit=500", user)
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "document.acl_changed")
        .map(|item| item["data"].clone())
        .collect()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn acl_entries_reach_only_the_documents_admins_and_their_subjects(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "editor")] {
        app.set_member("alpha", ADMIN, user, role).await;
    }
    let doc = document(&app).await;
    let entries = json!([
        {"principal": "user:eda", "permission": "admin"},
        {"principal": "user:vic", "permission": "read"},
        {"principal": "role:editor", "permission": "none"},
    ]);
    assert_eq!(set_acl(&app, &doc, ADMIN, entries).await, StatusCode::OK);
    assert_eq!(
        app.get(&format!("{doc}/acl"), "vic").await.status(),
        StatusCode::FORBIDDEN
    );

    let principals = |events: &[Value]| -> Vec<String> {
        let mut seen: Vec<String> = events
            .iter()
            .filter_map(|data| data["principal"].as_str().map(str::to_owned))
            .collect();
        seen.sort();
        seen
    };
    let all = ["role:editor", "user:eda", "user:vic"];
    assert_eq!(principals(&acl_events(&app, ADMIN).await), all);
    // eda administers the document through her own entry.
    assert_eq!(principals(&acl_events(&app, "eda").await), all);
    // vic reads it: he learns that the ACL changed three times, and only
    // his own entry.
    let vic = acl_events(&app, "vic").await;
    assert_eq!(vic.len(), 3, "{vic:?}");
    assert_eq!(principals(&vic), ["user:vic"]);
    assert!(
        vic.iter()
            .filter(|d| d["principal"].is_null())
            .all(|d| d == &json!({}))
    );

    // The WebSocket shows the same: live, a change of someone else's entry
    // is bare.
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut live = app.subscribe("alpha", "vic", Some(head)).await;
    let mut admin = app.subscribe("alpha", ADMIN, Some(head)).await;
    let entries = json!([
        {"principal": "user:eda", "permission": "admin"},
        {"principal": "user:vic", "permission": "read"},
    ]);
    assert_eq!(set_acl(&app, &doc, ADMIN, entries).await, StatusCode::OK);
    let frame = &live.events(1).await[0];
    assert_eq!(frame["event"], "document.acl_changed");
    assert_eq!(frame["data"], json!({}), "{frame}");
    let frame = &admin.events(1).await[0];
    assert_eq!(frame["data"]["principal"], "role:editor", "{frame}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_document_acl_cannot_lock_project_admins_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "vic", "viewer").await;
    app.set_member("alpha", ADMIN, "adam", "admin").await;
    let doc = document(&app).await;
    let grab = json!([
        {"principal": "role:viewer", "permission": "admin"},
        {"principal": "role:admin", "permission": "none"},
    ]);
    assert_eq!(
        set_acl(&app, &doc, "vic", grab.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(set_acl(&app, &doc, ADMIN, grab).await, StatusCode::OK);
    // The viewer now administers the document, and cannot shut adam out.
    let lockout = json!([
        {"principal": "role:viewer", "permission": "admin"},
        {"principal": "role:admin", "permission": "none"},
        {"principal": "user:adam", "permission": "none"},
    ]);
    assert_eq!(set_acl(&app, &doc, "vic", lockout).await, StatusCode::OK);
    assert_eq!(app.get(&doc, "adam").await.status(), StatusCode::OK);
    let decision: Value = app
        .get(&format!("{doc}/permissions?user=adam"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(decision["permission"], "admin", "{decision}");
    assert_eq!(decision["because"], "project admins always have admin");
    let listed: Value = app
        .get("/api/v1/projects/alpha/documents", "adam")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        set_acl(&app, &doc, "adam", json!([])).await,
        StatusCode::OK,
        "adam can repair the ACL"
    );
}
