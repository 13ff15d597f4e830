//! Browser sessions (what an OpenID Connect sign-in ends in): the cookie
//! authenticates, unsafe methods need the CSRF header, sessions expire,
//! a new sign-in replaces the old session, logout ends it on the server.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::identity::sessions;
use stockage_events::UserId;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_configured};

async fn start(
    app: &TestApp,
    user: &str,
    admin: bool,
    ttl: Duration,
    previous: Option<&str>,
) -> String {
    let user = UserId::parse(user).unwrap();
    sessions::start(
        &app.pool,
        &user,
        Some("Alice Example"),
        admin,
        ttl,
        previous,
    )
    .await
    .unwrap()
}

impl TestApp {
    async fn with_cookie(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("Cookie", format!("{}={cookie}", sessions::COOKIE));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn me(&self, cookie: &str) -> reqwest::Response {
        self.with_cookie(Method::GET, "/api/v1/me", cookie, None, None)
            .await
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_cookie_changes_nothing_without_the_csrf_header(pool: PgPool) {
    let app = spawn_app(pool).await;
    let cookie = start(&app, "alice", true, Duration::from_secs(600), None).await;
    let me: Value = app.me(&cookie).await.json().await.unwrap();
    assert_eq!(
        (
            me["user"].as_str(),
            me["via"].as_str(),
            me["admin"].as_bool()
        ),
        (Some("alice"), Some("session"), Some(true))
    );
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let body = json!({"slug": "alpha", "title": "A"});
    for header in [None, Some("wrong"), Some("")] {
        let refused = app
            .with_cookie(
                Method::POST,
                "/api/v1/projects",
                &cookie,
                header,
                Some(body.clone()),
            )
            .await;
        let detail = assert_problem(refused, StatusCode::FORBIDDEN).await;
        assert!(detail.contains("X-CSRF-Token"), "{detail}");
    }
    assert_eq!(app.event_count().await, 0);
    let created = app
        .with_cookie(
            Method::POST,
            "/api/v1/projects",
            &cookie,
            Some(&csrf),
            Some(body),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Reading needs no header.
    let listed = app
        .with_cookie(Method::GET, "/api/v1/projects", &cookie, None, None)
        .await;
    assert_eq!(listed.status(), StatusCode::OK);
    // The stored row holds no usable cookie.
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_sha256 FROM sessions")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&cookie));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_session_expires(pool: PgPool) {
    let app = spawn_app(pool).await;
    let cookie = start(&app, "alice", false, Duration::from_secs(1), None).await;
    assert_eq!(app.me(&cookie).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let detail = assert_problem(app.me(&cookie).await, StatusCode::UNAUTHORIZED).await;
    assert!(detail.contains("expired"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_new_sign_in_replaces_the_session_and_logout_ends_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = start(&app, "alice", false, Duration::from_secs(600), None).await;
    let second = start(&app, "alice", false, Duration::from_secs(600), Some(&first)).await;
    assert_ne!(first, second);
    assert_problem(app.me(&first).await, StatusCode::UNAUTHORIZED).await;
    let me: Value = app.me(&second).await.json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    // Logout is a change: it needs the CSRF header too.
    let refused = app
        .with_cookie(Method::POST, "/auth/logout", &second, None, None)
        .await;
    assert_problem(refused, StatusCode::FORBIDDEN).await;
    let out = app
        .with_cookie(Method::POST, "/auth/logout", &second, Some(&csrf), None)
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = out.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("stockage_session=;"), "{cleared}");
    assert_problem(app.me(&second).await, StatusCode::UNAUTHORIZED).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_cookie_websocket_must_come_from_this_origin_and_ends_with_the_session(pool: PgPool) {
    let app = spawn_app_configured(pool, |s| s.live.recheck = Duration::from_millis(200)).await;
    app.create_project("alpha").await;
    app.set_member("alpha", crate::helpers::ADMIN, "alice", "viewer")
        .await;
    let cookie = start(&app, "alice", false, Duration::from_secs(600), None).await;
    let url = format!(
        "{}/api/v1/projects/alpha/ws",
        app.address.replacen("http://", "ws://", 1)
    );
    let host = app.address.trim_start_matches("http://").to_owned();
    let connect = |origin: String| {
        let mut request = url.clone().into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "cookie",
            format!("{}={cookie}", sessions::COOKIE).parse().unwrap(),
        );
        headers.insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    match connect("https://evil.example".into()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403)
        }
        other => panic!("a cross-site socket was accepted: {:?}", other.map(|_| ())),
    }
    let (mut socket, _) = connect(format!("http://{host}"))
        .await
        .expect("same-origin socket");
    sessions::end(&app.pool, &sessions::digest(&cookie))
        .await
        .unwrap();
    use futures_util::StreamExt;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                break frame.expect("a close frame");
            }
            Some(Ok(_)) => continue,
            other => panic!("ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 4401);
}
