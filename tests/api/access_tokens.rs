//! Personal access tokens: made, listed, revoked; shown once and kept
//! hashed; a read token changes nothing; a project token reaches one project.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};
use crate::subscriber::Connect;

impl TestApp {
    /// `method path` with `Authorization: Bearer <token>`.
    pub async fn with_token(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// A new access token of `user` (by a JWT): (id, token).
    pub async fn access_token(&self, user: &str, body: Value) -> (String, String) {
        let response = self
            .call(Method::POST, "/api/v1/tokens", Some(user), Some(body))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        (
            created["id"].as_str().unwrap().to_owned(),
            created["token"].as_str().unwrap().to_owned(),
        )
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_token_is_shown_once_kept_hashed_and_its_events_hold_no_secret(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let (id, token) = app
        .access_token(
            ADMIN,
            json!({"name": "nightly export", "scope": "write", "expires_in": "30d"}),
        )
        .await;
    assert!(token.starts_with("stk_") && token.len() > 40, "{token}");

    let listed: Value = app.get("/api/v1/tokens", ADMIN).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(listed["items"][0]["name"], "nightly export");
    assert!(listed["items"][0]["expires_at"].is_string());
    assert!(
        !listed.to_string().contains(&token[4..]),
        "the list shows the token"
    );
    let others: Value = app.get("/api/v1/tokens", "bob").await.json().await.unwrap();
    assert_eq!(others["items"], json!([]));

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT row_to_json(t)::text FROM access_tokens t
         UNION ALL SELECT payload::text FROM events WHERE event_type LIKE 'Token%'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(tables.len(), 2);
    for row in tables {
        assert!(!row.contains(&token[4..]), "the token is stored: {row}");
    }

    // Usable everywhere a JWT is, /metrics included.
    for path in ["/api/v1/projects", "/metrics", "/api/v1/me"] {
        let response = app.with_token(Method::GET, path, &token, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let me: Value = app
        .with_token(Method::GET, "/api/v1/me", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["user"].as_str(), me["via"].as_str()),
        (Some(ADMIN), Some("token"))
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_revoked_token_is_refused_at_once_and_the_revocation_is_an_event(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, token) = app
        .access_token("bob", json!({"name": "ci", "scope": "read"}))
        .await;
    assert_eq!(
        app.with_token(Method::GET, "/api/v1/projects", &token, None)
            .await
            .status(),
        StatusCode::OK
    );
    // Someone else's token is not theirs to revoke.
    let path = format!("/api/v1/tokens/{id}");
    assert_problem(
        app.call(Method::DELETE, &path, Some("carol"), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A token cannot revoke (or make) tokens, even its own.
    assert_problem(
        app.with_token(Method::DELETE, &path, &token, None).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = app.call(Method::DELETE, &path, Some("bob"), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let refused = app
        .with_token(Method::GET, "/api/v1/projects", &token, None)
        .await;
    let detail = assert_problem(refused, StatusCode::UNAUTHORIZED).await;
    assert!(detail.contains("revoked"), "{detail}");
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, actor FROM events WHERE event_type LIKE 'Token%' ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected = [("TokenCreated", "bob"), ("TokenRevoked", "bob")];
    assert_eq!(types, expected.map(|(t, a)| (t.to_owned(), a.to_owned())));
}

/// Every unsafe route of the OpenAPI document, with its path parameters
/// filled in from a real project and document.
async fn unsafe_routes(app: &TestApp, document: &str) -> Vec<(Method, String)> {
    let spec: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = vec![];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let filled = path
                    .replace("{slug}", "alpha")
                    .replace("{id}", document)
                    .replace("{n}", "1")
                    .replace("{user_id}", "bob")
                    .replace(['{', '}'], "");
                routes.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    filled,
                ));
            }
        }
    }
    routes
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_read_token_is_refused_every_change(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let uploaded: Value = app
        .uploaded("alpha", ADMIN, "plan.pdf", fixture("blueprint.pdf"))
        .await;
    let document = uploaded["id"].as_str().unwrap().to_owned();
    let (_, token) = app
        .access_token(ADMIN, json!({"name": "reader", "scope": "read"}))
        .await;
    let before = app.event_count().await;
    let routes = unsafe_routes(&app, &document).await;
    assert!(routes.len() >= 10, "{routes:?}");
    for (method, path) in routes {
        let response = app
            .with_token(
                method.clone(),
                &path,
                &token,
                Some(json!({"title": "x", "role": "viewer", "entries": []})),
            )
            .await;
        let detail = assert_problem(response, StatusCode::FORBIDDEN).await;
        assert!(detail.contains("read scope"), "{method} {path}: {detail}");
    }
    assert_eq!(
        app.event_count().await,
        before,
        "a refused change left events"
    );
    // Reading works.
    let path = format!("/api/v1/projects/alpha/documents/{document}/content");
    assert_eq!(
        app.with_token(Method::GET, &path, &token, None)
            .await
            .status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_project_token_reaches_that_project_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    app.create_project("beta").await;
    // Only a member may limit a token to a project; others get 404.
    let stranger = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some("bob"),
            Some(json!({"name": "x", "scope": "read", "project": "alpha"})),
        )
        .await;
    assert_problem(stranger, StatusCode::NOT_FOUND).await;
    let (_, token) = app
        .access_token(
            ADMIN,
            json!({"name": "alpha only", "scope": "write", "project": "alpha"}),
        )
        .await;
    let ok = app
        .with_token(
            Method::GET,
            "/api/v1/projects/alpha/documents",
            &token,
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let upload = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(fixture("blueprint.pdf")).file_name("a.pdf"),
    );
    let uploaded = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(&token)
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    for (method, path) in [
        (Method::GET, "/api/v1/projects/beta"),
        (Method::GET, "/api/v1/projects/beta/documents"),
        (Method::GET, "/api/v1/projects"),
        (Method::GET, "/api/v1/search?q=plan"),
        (Method::POST, "/api/v1/projects"),
    ] {
        let response = app
            .with_token(
                method.clone(),
                path,
                &token,
                Some(json!({"slug": "gamma", "title": "G"})),
            )
            .await;
        let detail = assert_problem(response, StatusCode::FORBIDDEN).await;
        assert!(
            detail.contains("limited to the project"),
            "{method} {path}: {detail}"
        );
    }
    // A project token is no admin, whoever made it.
    let me: Value = app
        .with_token(Method::GET, "/api/v1/me", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["admin"], false);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_websocket_opened_with_a_token_is_closed_when_the_token_is_revoked(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let (id, token) = app
        .access_token(ADMIN, json!({"name": "watcher", "scope": "read"}))
        .await;
    let Connect::Open(mut socket) = app
        .subscribe_with_query("alpha", &format!("?access_token={token}"))
        .await
    else {
        panic!("the token was refused");
    };
    app.set_member("alpha", ADMIN, "bob", "viewer").await;
    let frame = socket
        .next_frame(Duration::from_secs(10))
        .await
        .expect("an event");
    let position = frame["position"].as_i64().unwrap();
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(socket.next_frame(Duration::from_secs(10)).await.is_none());
    let close = socket.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 4401);
    assert!(
        close.reason.contains(&format!("after={position}")),
        "{}",
        close.reason
    );
    let Connect::Refused(status, _) = app
        .subscribe_with_query("alpha", &format!("?access_token={token}"))
        .await
    else {
        panic!("a revoked token subscribed");
    };
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
