//! The release lifecycle over HTTP: every transition by role, four-eyes,
//! letters, the freeze of released documents, the state filter, and the
//! state and lock of a past moment in `replay`.
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};
use crate::locks::{lock, project_with_document};
use crate::replay_cli::replay;

async fn to(app: &TestApp, doc: &str, user: &str, state: &str) -> Response {
    let body = json!({"to": state, "comment": format!("{user} says {state}")});
    app.call(
        Method::POST,
        &format!("{doc}/state"),
        Some(user),
        Some(body),
    )
    .await
}

async fn ok(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn transitions_by_role_four_eyes_and_letters(pool: PgPool) {
    let app = spawn_app(pool).await;
    // ann (editor) uploaded revision 1; adam is a project admin.
    let doc = project_with_document(&app).await;
    app.set_member("alpha", ADMIN, "adam", "admin").await;
    assert_problem(
        to(&app, &doc, "vic", "in_review").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let refused = to(&app, &doc, "ann", "released").await;
    let why = assert_problem(refused, StatusCode::CONFLICT).await;
    assert!(why.contains("allowed: in_review"), "{why}");
    assert_problem(
        to(&app, &doc, "ann", "bogus").await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    let view = ok(to(&app, &doc, "ann", "in_review").await).await;
    assert_eq!(view["state"], "in_review");
    assert_eq!(ok(to(&app, &doc, "bob", "wip").await).await["state"], "wip");
    ok(to(&app, &doc, "bob", "in_review").await).await;
    // Editors may not release; the uploader may not either, even as admin.
    assert_problem(
        to(&app, &doc, "bob", "released").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    app.set_member("alpha", ADMIN, "ann", "admin").await;
    let why = assert_problem(
        to(&app, &doc, "ann", "released").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(why.contains("four-eyes"), "{why}");
    let released = ok(to(&app, &doc, "adam", "released").await).await;
    assert_eq!(
        (
            &released["state"],
            &released["release"],
            &released["released_revision"]
        ),
        (&json!("released"), &json!("A"), &json!(1))
    );

    // Frozen: content, metadata, restore and delete answer 409.
    let frozen = [
        app.put_content(&doc, "bob", fixture("photo_v2.png"), None, None)
            .await,
        app.call(
            Method::PATCH,
            &doc,
            Some("bob"),
            Some(json!({"title": "x"})),
        )
        .await,
        app.call(
            Method::POST,
            &format!("{doc}/revisions/1/restore"),
            Some("bob"),
            None,
        )
        .await,
        app.call(Method::DELETE, &doc, Some(ADMIN), None).await,
    ];
    for response in frozen {
        let why = assert_problem(response, StatusCode::CONFLICT).await;
        assert!(why.contains("revise it first"), "{why}");
    }
    assert_problem(
        to(&app, &doc, "bob", "obsolete").await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Revise (an editor may), a new revision by bob, released by ann: B.
    ok(to(&app, &doc, "bob", "wip").await).await;
    let revised = app
        .put_content(&doc, "bob", fixture("photo_v2.png"), None, None)
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    ok(to(&app, &doc, "bob", "in_review").await).await;
    let second = ok(to(&app, &doc, "ann", "released").await).await;
    assert_eq!(
        (&second["release"], &second["released_revision"]),
        (&json!("B"), &json!(2))
    );
    let history: Value = app
        .get(&format!("{doc}/revisions"), "vic")
        .await
        .json()
        .await
        .unwrap();
    let letters: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["release"])
        .collect();
    assert_eq!(letters, [&json!("A"), &json!("B")]);

    // Obsolete and back: admins only.
    assert_problem(
        to(&app, &doc, "bob", "obsolete").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    ok(to(&app, &doc, "adam", "obsolete").await).await;
    assert_problem(to(&app, &doc, "bob", "wip").await, StatusCode::FORBIDDEN).await;
    let back = ok(to(&app, &doc, "adam", "wip").await).await;
    assert_eq!(
        (&back["state"], &back["release"]),
        (&json!("wip"), &json!("B"))
    );

    let events: Value = app
        .get("/api/v1/projects/alpha/events?after=0&limit=500", "vic")
        .await
        .json()
        .await
        .unwrap();
    let changes: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "document.state_changed")
        .collect();
    assert_eq!(changes.len(), 9);
    assert_eq!(changes[3]["data"]["release"], "A");
    assert_eq!(changes[3]["data"]["comment"], "adam says released");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_state_filters_the_list_and_search(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = project_with_document(&app).await;
    let other = app
        .add("alpha", ADMIN, "blueprint.pdf", "Bridge plan", "")
        .await;
    ok(to(&app, &doc, "ann", "in_review").await).await;
    let ids = |list: &Value, key: &str| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[key].as_str().unwrap().to_owned())
            .collect()
    };
    let id = doc.rsplit('/').next().unwrap().to_owned();
    let in_review: Value = app
        .get("/api/v1/projects/alpha/documents?state=in_review", "vic")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&in_review, "id"), [id.as_str()]);
    let wip: Value = app
        .get("/api/v1/projects/alpha/documents?state=wip", "vic")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&wip, "id"), [other["id"].as_str().unwrap()]);
    assert_problem(
        app.get("/api/v1/projects/alpha/documents?state=done", "vic")
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    app.indexed("alpha", &id).await;
    app.indexed("alpha", other["id"].as_str().unwrap()).await;
    app.call(
        Method::PATCH,
        &doc,
        Some("ann"),
        Some(json!({"title": "Bridge photo"})),
    )
    .await;
    // The new title reaches the index after the PATCH answers: `indexed`
    // may still see the previous extraction, so wait for the title itself.
    let mut found = Value::Null;
    for _ in 0..200 {
        found = app
            .search("/api/v1/search?q=bridge&state=in_review", "vic")
            .await;
        if !ids(&found, "document_id").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ids(&found, "document_id"), [id.as_str()]);
    let found = app
        .search("/api/v1/projects/alpha/search?q=bridge&state=wip", "vic")
        .await;
    assert_eq!(ids(&found, "document_id"), [other["id"].as_str().unwrap()]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn replay_shows_the_state_and_lock_of_a_past_position(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let doc = project_with_document(&app).await;
    assert_eq!(
        lock(&app, &doc, "ann", json!({"note": "checking"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let locked_at: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    ok(to(&app, &doc, "ann", "in_review").await).await;
    app.call(Method::DELETE, &format!("{doc}/lock"), Some("ann"), None)
        .await;
    ok(to(&app, &doc, ADMIN, "released").await).await;

    let then = replay(&pool, &locked_at.to_string(), &[]).await;
    let d = &then["documents"][0];
    assert_eq!(
        (&d["state"], &d["lock"]["locked_by"], &d["lock"]["note"]),
        (&json!("wip"), &json!("ann"), &json!("checking"))
    );
    let review = replay(&pool, &(locked_at + 1).to_string(), &[]).await;
    assert_eq!(review["documents"][0]["state"], "in_review");
    let now = replay(&pool, &(locked_at + 3).to_string(), &[]).await;
    let d = &now["documents"][0];
    assert_eq!(
        (&d["state"], &d["lock"], &d["release"]),
        (&json!("released"), &Value::Null, &json!("A"))
    );
}
