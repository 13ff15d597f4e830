//! Removing a member takes their document ACL entries with them
//! (decision 0055): added back with a lesser role, they get that role's
//! rights and nothing they were granted before.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, cli, fixture, spawn_app};

async fn document(app: &TestApp, name: &str) -> String {
    let created: Value = app.uploaded("alpha", ADMIN, name, fixture(name)).await;
    format!(
        "/api/v1/projects/alpha/documents/{}",
        created["id"].as_str().unwrap()
    )
}

async fn put_acl(app: &TestApp, doc: &str, entries: Value) {
    let response = app
        .call(
            Method::PUT,
            &format!("{doc}/acl"),
            Some(ADMIN),
            Some(json!({ "entries": entries })),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn json_of(app: &TestApp, path: &str, user: &str) -> Value {
    let response = app.get(path, user).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_removed_member_added_back_as_viewer_gets_no_old_grant(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await;
    let plan = document(&app, "blueprint.pdf").await;
    let photo = document(&app, "photo.png").await;
    assert_eq!(
        app.set_member("alpha", ADMIN, "bob", "editor")
            .await
            .status(),
        StatusCode::OK
    );
    put_acl(
        &app,
        &plan,
        json!([{"principal": "user:bob", "permission": "admin"},
               {"principal": "role:viewer", "permission": "read"}]),
    )
    .await;
    put_acl(
        &app,
        &photo,
        json!([{"principal": "user:bob", "permission": "write"}]),
    )
    .await;

    let removed = app.remove_member("alpha", ADMIN, "bob").await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        json_of(&app, &format!("{plan}/acl"), ADMIN).await,
        json!({"entries": [{"principal": "role:viewer", "permission": "read"}]})
    );
    assert_eq!(
        json_of(&app, &format!("{photo}/acl"), ADMIN).await,
        json!({"entries": []})
    );

    assert_eq!(
        app.set_member("alpha", ADMIN, "bob", "viewer")
            .await
            .status(),
        StatusCode::OK
    );
    let on_plan = json_of(&app, &format!("{plan}/permissions"), "bob").await;
    assert_eq!(on_plan["permission"], "read", "{on_plan}");
    let on_photo = json_of(&app, &format!("{photo}/permissions"), "bob").await;
    assert_eq!(on_photo["permission"], "read", "{on_photo}");
    let acl = app.get(&format!("{plan}/acl"), "bob").await;
    assert_eq!(acl.status(), StatusCode::FORBIDDEN);
    let rename = app
        .call(
            Method::PATCH,
            &photo,
            Some("bob"),
            Some(json!({"title": "mine now"})),
        )
        .await;
    assert_eq!(rename.status(), StatusCode::FORBIDDEN);

    // The revokes are events of the removal's own transaction: right after
    // the MemberRemoved, with its time and its request's correlation id.
    let rows: Vec<(i64, String, String, time::OffsetDateTime, uuid::Uuid)> = sqlx::query_as(
        "SELECT position, event_type, payload::text, recorded_at, correlation_id FROM events
         WHERE position >= (SELECT position FROM events WHERE event_type = 'MemberRemoved')
         ORDER BY position LIMIT 3",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        kinds,
        ["MemberRemoved", "AclEntryRevoked", "AclEntryRevoked"]
    );
    assert!(rows[1..].iter().all(|r| r.2.contains("user:bob")));
    assert!(rows.iter().all(|r| r.3 == rows[0].3 && r.4 == rows[0].4));
    assert!(rows.windows(2).all(|w| w[1].0 == w[0].0 + 1));

    // The read models rebuilt from the log are the live ones; the chain holds.
    let rebuild = cli(&pool, &["projections", "rebuild", "--json"])
        .await
        .output()
        .await
        .unwrap();
    let rebuild: Value = serde_json::from_slice(&rebuild.stdout).unwrap();
    assert_eq!(rebuild["differing"], json!([]), "{rebuild}");
    let verify = cli(&pool, &["verify", "--json"])
        .await
        .output()
        .await
        .unwrap();
    let verify: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn removing_a_member_without_grants_appends_only_the_removal(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await;
    let plan = document(&app, "blueprint.pdf").await;
    app.set_member("alpha", ADMIN, "bob", "editor").await;
    app.set_member("alpha", ADMIN, "carol", "editor").await;
    put_acl(
        &app,
        &plan,
        json!([{"principal": "user:carol", "permission": "read"}]),
    )
    .await;
    let before = app.event_count().await;
    let removed = app.remove_member("alpha", ADMIN, "bob").await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.event_count().await, before + 1);
    assert_eq!(
        json_of(&app, &format!("{plan}/acl"), ADMIN).await,
        json!({"entries": [{"principal": "user:carol", "permission": "read"}]})
    );
}
