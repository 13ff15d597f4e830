//! The project's event stream over HTTP and WebSocket: shape, permission
//! filter, catch-up and resume without gap or duplicate (slow clients:
//! `live_slow.rs`).
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};
use crate::subscriber::{Connect, positions};

pub(crate) async fn upload(app: &TestApp, name: &str) -> String {
    let response = app.upload("alpha", ADMIN, name, fixture(name)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn retitle(app: &TestApp, doc: &str, title: &str) {
    let response = app
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/alpha/documents/{doc}"),
            Some(ADMIN),
            Some(json!({ "title": title })),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn set_acl(app: &TestApp, doc: &str, entries: Value) {
    let response = app
        .call(
            Method::PUT,
            &format!("/api/v1/projects/alpha/documents/{doc}/acl"),
            Some(ADMIN),
            Some(json!({ "entries": entries })),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Every event `user` may list, following `next_after` page by page.
async fn list_all(app: &TestApp, user: &str, after: i64, limit: i64) -> Vec<Value> {
    let mut after = after;
    let mut items = Vec::new();
    loop {
        let response = app
            .get(
                &format!("/api/v1/projects/alpha/events?after={after}&limit={limit}"),
                user,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        let next = page["next_after"].as_i64().unwrap();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        if next == after {
            return items;
        }
        assert!(next > after, "next_after moves forward");
        after = next;
    }
}

pub(crate) async fn head(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn project_with_two_documents(app: &TestApp) -> (String, String) {
    app.create_project("alpha").await;
    for (user, role) in [("bob", "editor"), ("carol", "viewer")] {
        let response = app.set_member("alpha", ADMIN, user, role).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    (
        upload(app, "photo.png").await,
        upload(app, "blueprint.pdf").await,
    )
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_event_list_shows_each_member_only_what_they_may_read(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (open, secret) = project_with_two_documents(&app).await;
    set_acl(
        &app,
        &secret,
        json!([{"principal": "user:bob", "permission": "none"}]),
    )
    .await;
    retitle(&app, &secret, "Secret plan").await;
    retitle(&app, &open, "Open photo").await;

    let all = list_all(&app, ADMIN, 0, 100).await;
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "project.created",
            "member.added",
            "member.added",
            "member.added",
            "document.added",
            "document.added",
            "document.acl_changed",
            "document.updated",
            "document.updated"
        ]
    );
    let added = &all[4];
    assert_eq!(added["document_id"], open.as_str());
    assert_eq!(added["stream_id"], open.as_str());
    assert_eq!(added["revision"], 1);
    assert_eq!(added["actor"], ADMIN);
    assert_eq!(added["data"]["filename"], "photo.png");
    assert!(added["recorded_at"].as_str().unwrap().ends_with('Z'));
    assert!(all[1].get("document_id").is_none());

    // Bob sees everything but the secret document's events; carol all.
    let bob = list_all(&app, "bob", 0, 2).await;
    let expected: Vec<&Value> = all
        .iter()
        .filter(|e| e["document_id"] != secret.as_str())
        .collect();
    assert_eq!(bob.iter().collect::<Vec<_>>(), expected);
    // Carol reads both documents but administers neither: she learns that
    // the ACL changed, not whose entry (decision 0048).
    let mut redacted = all.clone();
    redacted[6]["data"] = json!({});
    assert_eq!(list_all(&app, "carol", 0, 3).await, redacted);
    // Pages of one cover the same ground.
    assert_eq!(list_all(&app, ADMIN, 0, 1).await, all);
    let last = all.last().unwrap()["position"].as_i64().unwrap();
    assert!(list_all(&app, ADMIN, last, 10).await.is_empty());
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_event_list_refuses_strangers_and_bad_parameters(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let stranger = app.get("/api/v1/projects/alpha/events", "mallory").await;
    let detail = assert_problem(stranger, StatusCode::NOT_FOUND).await;
    assert!(detail.contains("alpha"), "{detail}");
    let anonymous = app
        .call(Method::GET, "/api/v1/projects/alpha/events", None, None)
        .await;
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
    for query in ["after=-1", "limit=0", "limit=1001", "after=soon"] {
        let response = app
            .get(&format!("/api/v1/projects/alpha/events?{query}"), ADMIN)
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_subscriber_resumes_after_a_disconnect_with_exactly_the_missed_events(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (open, _) = project_with_two_documents(&app).await;
    let history = list_all(&app, ADMIN, 0, 100).await;

    let mut first = app.subscribe("alpha", ADMIN, Some(0)).await;
    let caught_up = first.events(history.len()).await;
    assert_eq!(positions(&caught_up), positions(&history));
    assert_eq!(caught_up[4]["event"], "document.added");
    assert_eq!(caught_up[4]["document_id"], history[4]["document_id"]);
    let k = *positions(&caught_up).last().unwrap();
    first.close().await;

    for i in 0..100 {
        retitle(&app, &open, &format!("Take {i}")).await;
    }
    let mut again = app.subscribe("alpha", ADMIN, Some(k)).await;
    let missed = again.events(100).await;
    assert_eq!(
        positions(&missed),
        ((k + 1)..=(k + 100)).collect::<Vec<_>>()
    );
    assert_eq!(missed[99]["data"]["title"], "Take 99");
    assert!(missed.iter().all(|e| e["event"] == "document.updated"));
    // Then live.
    retitle(&app, &open, "Live").await;
    let live = again.events(1).await;
    assert_eq!(positions(&live), [k + 101]);
    again.assert_quiet(Duration::from_millis(300)).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn catch_up_meets_live_without_gap_or_duplicate_under_concurrent_writes(pool: PgPool) {
    let app = std::sync::Arc::new(spawn_app(pool).await);
    let (open, secret) = project_with_two_documents(&app).await;
    let writers: Vec<_> = [open, secret]
        .into_iter()
        .map(|doc| {
            let app = app.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    retitle(&app, &doc, &format!("Take {i}")).await;
                }
            })
        })
        .collect();
    // Subscribers join at staggered moments while the writes go on.
    let mut subscribers = Vec::new();
    for _ in 0..6 {
        subscribers.push(app.subscribe("alpha", ADMIN, Some(0)).await);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = positions(&list_all(&app, ADMIN, 0, 1000).await);
    assert_eq!(expected.len(), 6 + 120);
    for mut subscriber in subscribers {
        let got = subscriber.events(expected.len()).await;
        assert_eq!(positions(&got), expected);
        subscriber.assert_quiet(Duration::from_millis(200)).await;
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn subscribers_get_only_the_events_of_documents_they_may_read_now(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (open, secret) = project_with_two_documents(&app).await;
    set_acl(
        &app,
        &secret,
        json!([{"principal": "user:bob", "permission": "none"}]),
    )
    .await;
    let now = head(&app).await;
    let mut bob = app.subscribe("alpha", "bob", Some(now)).await;
    let mut carol = app.subscribe("alpha", "carol", Some(now)).await;

    for title in ["One", "Two", "Three"] {
        retitle(&app, &secret, title).await;
    }
    retitle(&app, &open, "Open").await;
    let seen = bob.events(1).await;
    assert_eq!(seen[0]["document_id"], open.as_str());
    bob.assert_quiet(Duration::from_millis(300)).await;
    let seen = carol.events(4).await;
    assert_eq!(seen[2]["data"]["title"], "Three");

    // Carol loses the open document: she sees the change that hid it, then
    // nothing of it; bob, who reads it before and after, sees the change too.
    set_acl(
        &app,
        &open,
        json!([{"principal": "role:viewer", "permission": "none"}]),
    )
    .await;
    for subscriber in [&mut carol, &mut bob] {
        let change = subscriber.events(1).await;
        assert_eq!(change[0]["event"], "document.acl_changed");
        assert_eq!(change[0]["document_id"], open.as_str());
    }
    retitle(&app, &open, "Hidden from viewers").await;
    assert_eq!(
        bob.events(1).await[0]["data"]["title"],
        "Hidden from viewers"
    );
    carol.assert_quiet(Duration::from_millis(300)).await;

    // Bob gets the secret document back: the grant and what follows.
    set_acl(&app, &secret, json!([])).await;
    retitle(&app, &secret, "Four").await;
    let back = bob.events(2).await;
    assert_eq!(back[0]["event"], "document.acl_changed");
    assert_eq!(back[1]["data"]["title"], "Four");
    // Catch-up is filtered the same way: carol replays nothing of "open"
    // since the start, and everything of the secret document.
    let mut replay = app.subscribe("alpha", "carol", Some(0)).await;
    let all = list_all(&app, "carol", 0, 1000).await;
    let replayed = replay.events(all.len()).await;
    assert_eq!(positions(&replayed), positions(&all));
    assert!(replayed.iter().all(|e| e["document_id"] != open.as_str()));
    replay.assert_quiet(Duration::from_millis(200)).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn strangers_and_bad_tokens_cannot_subscribe(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (open, _) = project_with_two_documents(&app).await;
    match app.try_subscribe("alpha", "mallory", None).await {
        Connect::Refused(status, body) => {
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(body["status"], 404);
        }
        Connect::Open(_) => panic!("a non-member subscribed"),
    }
    match app.try_subscribe("nowhere", ADMIN, None).await {
        Connect::Refused(status, _) => assert_eq!(status, StatusCode::NOT_FOUND),
        Connect::Open(_) => panic!("subscribed to a missing project"),
    }
    for query in ["", "?access_token=not-a-token"] {
        match app.subscribe_with_query("alpha", query).await {
            Connect::Refused(status, _) => assert_eq!(status, StatusCode::UNAUTHORIZED),
            Connect::Open(_) => panic!("subscribed without a valid token ({query})"),
        }
    }
    let future = head(&app).await + 10;
    match app.try_subscribe("alpha", ADMIN, Some(future)).await {
        Connect::Refused(status, body) => {
            assert_eq!(status, StatusCode::BAD_REQUEST);
            // The global head is not stated (it counts other projects' events).
            assert_eq!(
                body["detail"],
                format!("after={future} is past the newest event")
            );
        }
        Connect::Open(_) => panic!("subscribed after a position that does not exist"),
    }
    // The token may come in the query, for browsers.
    let query = format!(
        "?after={}&access_token={}",
        head(&app).await,
        app.token("carol", false)
    );
    let Connect::Open(mut carol) = app.subscribe_with_query("alpha", &query).await else {
        panic!("the query token was refused");
    };
    assert!(carol.ping().await, "the server answers pings");
    retitle(&app, &open, "Seen").await;
    assert_eq!(carol.events(1).await[0]["data"]["title"], "Seen");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_member_removed_while_subscribed_sees_the_removal_and_is_disconnected(pool: PgPool) {
    let app = spawn_app(pool).await;
    project_with_two_documents(&app).await;
    let mut bob = app.subscribe("alpha", "bob", None).await;
    let response = app.remove_member("alpha", ADMIN, "bob").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let removal = bob.events(1).await;
    assert_eq!(removal[0]["event"], "member.removed");
    assert_eq!(removal[0]["data"]["user_id"], "bob");
    assert!(bob.next_frame(Duration::from_secs(5)).await.is_none());
    let close = bob.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
}
