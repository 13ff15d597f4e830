//! A document's ACL entries: the explanation names the entry (or rule) that
//! decides, changes are events, and bad entries are refused.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};
use crate::permissions::set_acl;

/// A photo uploaded to project `alpha`: its document's path.
async fn photo(app: &TestApp) -> String {
    let created: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    format!(
        "/api/v1/projects/alpha/documents/{}",
        created["id"].as_str().unwrap()
    )
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_explanation_names_the_deciding_rule(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "editor")] {
        app.set_member("alpha", ADMIN, user, role).await;
    }
    let doc = photo(&app).await;
    set_acl(
        &app,
        &doc,
        &[("role:viewer".into(), "none"), ("user:eda".into(), "read")],
    )
    .await;

    let explain = |user: &'static str| {
        let app = &app;
        let doc = &doc;
        async move {
            let response = app
                .get(&format!("{doc}/permissions?user={user}"), ADMIN)
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let cases = [
        ("vic", "none", "role viewer"),
        ("eda", "read", "this user"),
        (ADMIN, "admin", "owners"),
        ("stranger", "none", "not a member"),
    ];
    for (user, permission, because) in cases {
        let answer = explain(user).await;
        assert_eq!(answer["permission"], permission, "{user}");
        assert!(
            answer["because"].as_str().unwrap().contains(because),
            "{user}: {answer}"
        );
    }
    let bad = app
        .get(&format!("{doc}/permissions?user=a%20b"), ADMIN)
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn acl_changes_are_events_and_bad_entries_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc = photo(&app).await;
    set_acl(
        &app,
        &doc,
        &[("user:bob".into(), "write"), ("role:viewer".into(), "none")],
    )
    .await;
    set_acl(&app, &doc, &[("user:bob".into(), "read")]).await;
    let acl: Value = app
        .get(&format!("{doc}/acl"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        acl,
        json!({"entries": [{"principal": "user:bob", "permission": "read"}]})
    );

    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE event_type LIKE 'Acl%' ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        types,
        [
            "AclEntryGranted",
            "AclEntryGranted",
            "AclEntryRevoked",
            "AclEntryGranted"
        ]
    );

    let before = app.event_count().await;
    let bad = [
        json!({"entries": [{"principal": "group:x", "permission": "read"}]}),
        json!({"entries": [{"principal": "user:bob", "permission": "owner"}]}),
        json!({"entries": [{"principal": "role:god", "permission": "read"}]}),
        json!({"entries": [{"principal": "user:bob", "permission": "read"}, {"principal": "user:bob", "permission": "none"}]}),
        json!({"entries": "all"}),
    ];
    for body in bad {
        let response = app
            .call(
                Method::PUT,
                &format!("{doc}/acl"),
                Some(ADMIN),
                Some(body.clone()),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    assert_eq!(app.event_count().await, before);
}
