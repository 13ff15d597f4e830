//! The platform bridge: a real Django Channels consumer on a private
//! Redis receives every event of its project, in order, across a Redis
//! restart; and what the bridge writes is `channels_redis`'s format.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::bridge::{self, BridgeConfig, DEFAULT_GROUP, NAME, wire};
use stockage::env::Secret;
use stockage_projections::runner::stored_checkpoint;

use crate::channels_consumer::Consumer;
use crate::helpers::{ADMIN, TestApp, fixture, spawn_app, spawn_app_configured};
use crate::redis_server::RedisServer;

fn bridge_to(redis: &RedisServer) -> BridgeConfig {
    let mut config = BridgeConfig::new(Secret::new(redis.url()), DEFAULT_GROUP).unwrap();
    config.poll = Duration::from_millis(50);
    config
}

async fn head(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(position), 0)::bigint FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits (polling, up to a minute) until `ready` holds.
async fn wait_for<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..1_200 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within a minute");
}

async fn upload(app: &TestApp, slug: &str, name: &str) -> String {
    let response = app.upload(slug, ADMIN, name, fixture(name)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    format!(
        "/api/v1/projects/{slug}/documents/{}",
        body["id"].as_str().unwrap()
    )
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) {
    let response = app.call(method, path, Some(ADMIN), body).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// Every kind of change the platform shows: uploads, revisions, metadata,
/// ACL, membership, delete and undelete.
async fn changes(app: &TestApp, slug: &str, round: &str) {
    let doc = upload(app, slug, "photo.png").await;
    let response = app
        .put_content(&doc, ADMIN, fixture("photo_v2.png"), None, None)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let title = json!({ "title": format!("Deck {round}") });
    call(app, Method::PATCH, &doc, Some(title)).await;
    let acl = json!({"entries": [{"principal": "user:bob", "permission": "read"}]});
    call(app, Method::PUT, &format!("{doc}/acl"), Some(acl)).await;
    let member = format!("/api/v1/projects/{slug}/members/m-{round}");
    call(app, Method::PUT, &member, Some(json!({"role": "viewer"}))).await;
    call(app, Method::DELETE, &doc, None).await;
    call(app, Method::POST, &format!("{doc}/restore-deleted"), None).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_channels_consumer_gets_every_event_in_order_across_a_redis_restart(pool: PgPool) {
    let mut redis = RedisServer::start().await;
    let config = bridge_to(&redis);
    let app = spawn_app_configured(pool.clone(), |s| s.bridge = Some(config)).await;
    wait_for("the bridge's first run", || async {
        stored_checkpoint(&pool, NAME).await.unwrap().is_some()
    })
    .await;
    let mut consumer = Consumer::start(&redis.url(), "asgi", "harbour").await;

    app.create_project("harbour").await;
    changes(&app, "harbour", "one").await;
    let mut received = consumer.until(head(&pool).await).await;

    redis.stop().await;
    changes(&app, "harbour", "two").await;
    wait_for("a failed publication", || async {
        let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
        metrics.contains("stockage_channels_failures_total")
    })
    .await;
    redis.restart().await;
    changes(&app, "harbour", "three").await;
    received.extend(consumer.until(head(&pool).await).await);

    let page: Value = app
        .get("/api/v1/projects/harbour/events?after=0&limit=1000", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        items.len() as i64,
        head(&pool).await,
        "the owner sees every event"
    );
    let got: Vec<(i64, &str)> = received
        .iter()
        .map(|m| {
            (
                m["event"]["position"].as_i64().unwrap(),
                m["event"]["event"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(i64, &str)> = items
        .iter()
        .map(|i| (i["position"].as_i64().unwrap(), i["type"].as_str().unwrap()))
        .collect();
    assert_eq!(got, want, "every event once, in order");
    for (message, item) in received.iter().zip(items) {
        assert_eq!(message["type"], "stockage.event");
        let mut frame = message["event"].clone();
        assert_eq!(frame["type"], "event");
        let fields = frame.as_object_mut().unwrap();
        fields.remove("event");
        fields.insert("type".into(), item["type"].clone());
        assert_eq!(&frame, item, "the frame is the WebSocket's");
    }
    let types: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    for kind in [
        "project.created",
        "member.added",
        "document.added",
        "document.updated",
        "document.acl_changed",
        "document.removed",
        "document.restored",
    ] {
        assert!(types.contains(kind), "{kind} missing from {types:?}");
    }
    let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
    for name in [
        "stockage_channels_lag_events",
        "stockage_channels_lag_seconds",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}

/// `ZRANGE key 0 -1` of the private Redis, decoded as `channels_redis`
/// reads a message.
async fn stored(redis: &RedisServer, key: &str) -> Vec<Value> {
    let members: Vec<Vec<u8>> = redis::cmd("ZRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .query_async(&mut redis.connect().await)
        .await
        .unwrap();
    members
        .iter()
        .map(|m| wire::read_member(m).unwrap())
        .collect()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_bridge_starts_at_the_head_and_writes_channels_redis_messages(pool: PgPool) {
    let redis = RedisServer::start().await;
    let app = spawn_app(pool.clone()).await;
    app.create_project("quay").await;
    assert_eq!(
        stored_checkpoint(&pool, NAME).await.unwrap(),
        None,
        "off until configured"
    );

    // Two channels of one server process and one of another, joined as
    // `channels_redis`'s group_add does.
    let mut connection = redis.connect().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for channel in ["specific.p1!a", "specific.p1!b", "specific.p2!c"] {
        let _: () = redis::cmd("ZADD")
            .arg("asgi:group:project_quay")
            .arg(now)
            .arg(channel)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    let mut config = bridge_to(&redis);
    config.capacity = 1;

    let before = head(&pool).await;
    assert_eq!(
        bridge::catch_up(&pool, &config).await.unwrap(),
        0,
        "history is not sent"
    );
    assert_eq!(stored_checkpoint(&pool, NAME).await.unwrap(), Some(before));
    assert!(stored(&redis, "asgispecific.p1!").await.is_empty());

    for user in ["bob", "carol"] {
        let response = app.set_member("quay", ADMIN, user, "viewer").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(bridge::catch_up(&pool, &config).await.unwrap(), 2);
    assert_eq!(
        stored_checkpoint(&pool, NAME).await.unwrap(),
        Some(before + 2)
    );
    // Capacity 1: each channel key kept the first message and dropped the second.
    for (key, channels) in [
        (
            "asgispecific.p1!",
            json!(["specific.p1!a", "specific.p1!b"]),
        ),
        ("asgispecific.p2!", json!(["specific.p2!c"])),
    ] {
        let messages = stored(&redis, key).await;
        assert_eq!(messages.len(), 1, "{key}: {messages:?}");
        let message = &messages[0];
        assert_eq!(message["__asgi_channel__"], channels);
        assert_eq!(message["type"], "stockage.event");
        assert_eq!(message["event"]["position"], before + 1);
        assert_eq!(message["event"]["event"], "member.added");
        let ttl: i64 = redis::cmd("TTL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(
            (1..=60).contains(&ttl),
            "{key} expires with the messages: {ttl}"
        );
    }
}
