//! Check-out locks over HTTP: racing lockers, 423 for everyone else,
//! release, renewal, expiry, admin break, and the WebSocket's filter.
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::domain::document::{Actor, Document, DocumentCommand};
use stockage_events::{EventMeta, Permission, UserId};
use stockage_store::EventStore;
use uuid::Uuid;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};

/// Project `alpha` with editors ann and bob, viewer vic, and one PNG
/// uploaded by ann; returns the document's path.
pub async fn project_with_document(app: &TestApp) -> String {
    app.create_project("alpha").await;
    for (user, role) in [("ann", "editor"), ("bob", "editor"), ("vic", "viewer")] {
        assert_eq!(
            app.set_member("alpha", ADMIN, user, role).await.status(),
            StatusCode::OK
        );
    }
    let doc: Value = app
        .uploaded("alpha", "ann", "photo.png", fixture("photo.png"))
        .await;
    format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    )
}

pub async fn lock(app: &TestApp, doc: &str, user: &str, body: Value) -> Response {
    app.call(Method::POST, &format!("{doc}/lock"), Some(user), Some(body))
        .await
}

/// Every kind of change to the document, as `user`.
async fn changes(app: &TestApp, doc: &str, user: &str) -> Vec<(&'static str, Response)> {
    let patch = json!({"title": format!("by {user}")});
    vec![
        (
            "PUT content",
            app.put_content(doc, user, fixture("photo_v2.png"), None, None)
                .await,
        ),
        (
            "PATCH",
            app.call(Method::PATCH, doc, Some(user), Some(patch)).await,
        ),
        (
            "restore",
            app.call(
                Method::POST,
                &format!("{doc}/revisions/1/restore"),
                Some(user),
                None,
            )
            .await,
        ),
        (
            "state",
            app.call(
                Method::POST,
                &format!("{doc}/state"),
                Some(user),
                Some(json!({"to": "in_review"})),
            )
            .await,
        ),
        (
            "DELETE",
            app.call(Method::DELETE, doc, Some(user), None).await,
        ),
    ]
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn racing_lock_requests_give_exactly_one_201(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let doc = project_with_document(&app).await;
    let users = ["ann", "bob", ADMIN, "ann", "bob", ADMIN, "bob", "ann"];
    let racers = users.map(|user| lock(&app, &doc, user, json!({"note": user})));
    let responses = futures_util::future::join_all(racers).await;
    let mut created = Vec::new();
    let mut holders = Vec::new();
    for (user, response) in users.into_iter().zip(responses) {
        match response.status() {
            StatusCode::CREATED => created.push(user),
            // The winner asking again renews.
            StatusCode::OK => {}
            StatusCode::CONFLICT => {
                let body: Value = response.json().await.unwrap();
                holders.push(body["locked_by"].as_str().unwrap().to_owned());
                assert!(body["expires_at"].is_string());
            }
            other => panic!("{user}: {other}"),
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    assert!(holders.iter().all(|h| h == created[0]));
    let fresh: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'DocumentLocked' AND NOT payload ? 'renewed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(fresh, 1);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn while_locked_every_change_by_others_is_423_and_works_after_release(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = project_with_document(&app).await;
    let locked = lock(&app, &doc, "ann", json!({"note": "redrawing", "ttl": "8h"})).await;
    assert_eq!(locked.status(), StatusCode::CREATED);
    let lock_view: Value = locked.json().await.unwrap();
    assert_eq!(lock_view["locked_by"], "ann");
    assert_eq!(lock_view["note"], "redrawing");
    let view: Value = app.get(&doc, "vic").await.json().await.unwrap();
    assert_eq!(view["lock"], lock_view);
    assert_eq!(view["state"], "wip");
    let events_before = app.event_count().await;
    for user in ["bob", ADMIN] {
        for (what, response) in changes(&app, &doc, user).await {
            let body = response.text().await.unwrap();
            let body: Value = serde_json::from_str(&body).unwrap_or(json!(body));
            assert_eq!(body["status"], 423, "{what} by {user}: {body}");
            assert_eq!(body["locked_by"], "ann", "{what}");
            assert_eq!(body["expires_at"], lock_view["expires_at"], "{what}");
            assert!(body["detail"].as_str().unwrap().contains("ann"));
        }
    }
    assert_eq!(app.event_count().await, events_before, "nothing recorded");
    // The holder changes it; then releases; then bob may.
    let patched = app
        .call(
            Method::PATCH,
            &doc,
            Some("ann"),
            Some(json!({"title": "Ann's"})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let released = app
        .call(Method::DELETE, &format!("{doc}/lock"), Some("ann"), None)
        .await;
    assert_eq!(released.status(), StatusCode::NO_CONTENT);
    let view: Value = app.get(&doc, "bob").await.json().await.unwrap();
    assert_eq!(view["lock"], Value::Null);
    for (what, response) in changes(&app, &doc, "bob").await {
        assert!(
            response.status().is_success(),
            "{what}: {}",
            response.status()
        );
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn renewal_bad_input_and_who_may_lock(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = project_with_document(&app).await;
    for bad in [
        json!({"ttl": "8d"}),
        json!({"ttl": "soon"}),
        json!({"note": "x".repeat(501)}),
    ] {
        assert_problem(lock(&app, &doc, "ann", bad).await, StatusCode::BAD_REQUEST).await;
    }
    assert_problem(
        lock(&app, &doc, "vic", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        lock(&app, &doc, "mallory", json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let first: Value = lock(&app, &doc, "ann", json!({"ttl": "1h"}))
        .await
        .json()
        .await
        .unwrap();
    let renewed = lock(&app, &doc, "ann", json!({"ttl": "2d", "note": "longer"})).await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(renewed["locked_at"], first["locked_at"]);
    assert_ne!(renewed["expires_at"], first["expires_at"]);
    let taken = lock(&app, &doc, "bob", json!({})).await;
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["status"], 409);
    assert_eq!(body["locked_by"], "ann");
    assert_eq!(body["expires_at"], renewed["expires_at"]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_admin_breaks_a_lock_and_the_event_names_who_and_why(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = project_with_document(&app).await;
    assert_eq!(
        lock(&app, &doc, "ann", json!({})).await.status(),
        StatusCode::CREATED
    );
    let by_bob = app
        .call(Method::DELETE, &format!("{doc}/lock"), Some("bob"), None)
        .await;
    assert_problem(by_bob, StatusCode::FORBIDDEN).await;
    let broken = app
        .call(
            Method::DELETE,
            &format!("{doc}/lock?reason=ann%20is%20away"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(broken.status(), StatusCode::NO_CONTENT);
    let events: Value = app
        .get("/api/v1/projects/alpha/events?after=0", "bob")
        .await
        .json()
        .await
        .unwrap();
    let unlocked = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "document.unlocked")
        .expect("an unlock event");
    assert_eq!(unlocked["actor"], ADMIN);
    assert_eq!(
        unlocked["data"],
        json!({"locked_by": "ann", "broken_by": ADMIN, "reason": "ann is away"})
    );
    let patched = app
        .call(
            Method::PATCH,
            &doc,
            Some("bob"),
            Some(json!({"title": "Bob's"})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_expired_lock_counts_as_released_with_nothing_recorded(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let doc = project_with_document(&app).await;
    let row: (Uuid, Uuid) = sqlx::query_as("SELECT id, project_id FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Ann's lock was taken two hours ago for one hour (a second node's
    // clock, through the same command path).
    let store = EventStore::start(pool.clone(), stockage_projections::inline_projectors());
    let ann = UserId::parse("ann").unwrap();
    let actor = Actor {
        user: ann.clone(),
        permission: Permission::Write,
        now: time::OffsetDateTime::now_utc() - time::Duration::hours(2),
    };
    let command = DocumentCommand::Lock {
        ttl: time::Duration::hours(1),
        note: None,
    };
    let meta = EventMeta {
        actor: ann,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    stockage_store::command::execute::<Document>(&store, row.0, row.1, (actor, command), meta)
        .await
        .unwrap();
    let view: Value = app.get(&doc, "bob").await.json().await.unwrap();
    assert_eq!(view["lock"], Value::Null);
    let events = app.event_count().await;
    let patched = app
        .call(
            Method::PATCH,
            &doc,
            Some("bob"),
            Some(json!({"title": "Bob's"})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        lock(&app, &doc, "bob", json!({})).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.event_count().await,
        events + 2,
        "no unlock event was needed"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn lock_events_reach_only_those_who_may_read_the_document(pool: PgPool) {
    let app = spawn_app(pool).await;
    let open = project_with_document(&app).await;
    let hidden: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    let hidden = format!(
        "/api/v1/projects/alpha/documents/{}",
        hidden["id"].as_str().unwrap()
    );
    let deny = json!({"entries": [{"principal": "user:vic", "permission": "none"}]});
    let acl = app
        .call(
            Method::PUT,
            &format!("{hidden}/acl"),
            Some(ADMIN),
            Some(deny),
        )
        .await;
    assert_eq!(acl.status(), StatusCode::OK);
    let mut vic = app.subscribe("alpha", "vic", None).await;
    let mut bob = app.subscribe("alpha", "bob", None).await;
    assert_eq!(
        lock(&app, &hidden, "bob", json!({})).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        lock(&app, &open, "bob", json!({})).await.status(),
        StatusCode::CREATED
    );
    let seen = bob.events(2).await;
    assert!(seen.iter().all(|e| e["event"] == "document.locked"));
    let got = vic.events(1).await;
    assert_eq!(got[0]["event"], "document.locked");
    assert_eq!(got[0]["document_id"].as_str(), open.rsplit('/').next());
    assert_eq!(got[0]["data"]["locked_by"], "bob");
    vic.assert_quiet(Duration::from_millis(300)).await;
}
