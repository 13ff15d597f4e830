//! A caller's next metadata change is decided on the gate's answer the node
//! kept from their last one, and appended only while the document's and
//! the project's streams are where that answer was read: a membership or
//! ACL change on another node in between is refused, never written over.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};

async fn patch(app: &TestApp, doc: &str, user: &str, title: &str) -> reqwest::Response {
    app.call(
        Method::PATCH,
        doc,
        Some(user),
        Some(json!({ "title": title })),
    )
    .await
}

async fn retitled(app: &TestApp, doc: &str, user: &str, title: &str) -> Value {
    let response = patch(app, doc, user, title).await;
    assert_eq!(response.status(), StatusCode::OK, "PATCH as {user}");
    response.json().await.unwrap()
}

/// How often a kept answer was used, and how often it was there but the
/// command fell back to the gate (it no longer held), from `/metrics`.
async fn kept(app: &TestApp) -> (u64, u64) {
    let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
    let count = |outcome: &str| {
        let name = format!("stockage_gate_kept_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name.as_str()))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    (count("used"), count("fell_back"))
}

async fn title(app: &TestApp, doc: &str) -> Value {
    let response = app.get(doc, ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["title"].clone()
}

/// A blueprint uploaded to project `alpha` and indexed; its path.
async fn indexed_document(app: &TestApp) -> String {
    let created = app
        .uploaded("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    let id = created["id"].as_str().unwrap();
    app.indexed("alpha", id).await;
    format!("/api/v1/projects/alpha/documents/{id}")
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_kept_answer_holds_only_while_membership_and_acl_do(pool: PgPool) {
    // Two nodes on one database.
    let (one, two) = (spawn_app(pool.clone()).await, spawn_app(pool).await);
    one.create_project("alpha").await;
    assert_eq!(
        one.set_member("alpha", ADMIN, "bob", "editor")
            .await
            .status(),
        StatusCode::OK
    );
    let doc = indexed_document(&one).await;

    // The first change reads the tables; the second is decided on what
    // the first kept, and answers what the tables hold.
    retitled(&one, &doc, "bob", "First").await;
    assert_eq!(kept(&one).await, (0, 0));
    let answer = retitled(&one, &doc, "bob", "Second").await;
    assert_eq!(kept(&one).await, (1, 0));
    let read = one.get(&doc, "bob").await.json::<Value>().await.unwrap();
    assert_eq!(answer, read, "the answer is the row the tables hold");

    // Another node takes bob out of the project: the kept answer no
    // longer holds, nothing is appended, and the gate says 404.
    assert_eq!(
        two.remove_member("alpha", ADMIN, "bob").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        patch(&one, &doc, "bob", "Third").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(kept(&one).await, (1, 1));
    assert_eq!(title(&one, &doc).await, "Second");

    // Back as an editor: kept again after one change; then another node
    // takes write away with the ACL, and the next change is refused.
    assert_eq!(
        two.set_member("alpha", ADMIN, "bob", "editor")
            .await
            .status(),
        StatusCode::OK
    );
    retitled(&one, &doc, "bob", "Fourth").await;
    retitled(&one, &doc, "bob", "Fifth").await;
    assert_eq!(kept(&one).await, (2, 1));
    let acl = two
        .call(
            Method::PUT,
            &format!("{doc}/acl"),
            Some(ADMIN),
            Some(json!({"entries": [{"principal": "user:bob", "permission": "read"}]})),
        )
        .await;
    assert_eq!(acl.status(), StatusCode::OK);
    assert_eq!(
        patch(&one, &doc, "bob", "Sixth").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(kept(&one).await, (2, 2));
    assert_eq!(title(&one, &doc).await, "Fifth");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_change_from_elsewhere_in_between_is_read_not_overwritten(pool: PgPool) {
    let (one, two) = (spawn_app(pool.clone()).await, spawn_app(pool).await);
    one.create_project("alpha").await;
    let doc = indexed_document(&one).await;
    retitled(&one, &doc, ADMIN, "First").await;
    // Node two changes the tags; node one's kept answer is behind the
    // document's stream, so its next change goes through the gate and
    // answers with both changes.
    let tags = two
        .call(
            Method::PATCH,
            &doc,
            Some(ADMIN),
            Some(json!({"tags": ["steel"]})),
        )
        .await;
    assert_eq!(tags.status(), StatusCode::OK);
    let answer = retitled(&one, &doc, ADMIN, "Second").await;
    assert_eq!(answer["tags"], json!(["steel"]));
    assert_eq!(answer["title"], "Second");
    assert_eq!(kept(&one).await, (0, 1));
    let read = one.get(&doc, ADMIN).await.json::<Value>().await.unwrap();
    assert_eq!(answer, read);
}
