//! No token or password in the log or the server's output, and the S3
//! backend's redirect.
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use super::{EDITOR, bytes, created, public, setup, url};
use crate::helpers::{Backend, TestApp, database_url, fixture, spawn_app_with};
use crate::processes::ServerProcess;

const PASSWORD: &str = "Sesame-7f3a9c";

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn no_token_or_password_in_events_or_the_server_log(pool: PgPool) {
    let data = tempdir();
    let server = ServerProcess::start_with(
        &database_url(&pool).await,
        &data,
        &[("RUST_LOG", "debug"), ("STOCKAGE_LOG_JSON", "1")],
    )
    .await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    let doc = setup(&app, "quiet").await;
    let share = created(&app, &doc, EDITOR, json!({"password": PASSWORD})).await;
    let token = share["token"].as_str().unwrap().to_owned();
    assert_problem_status(
        public(&app, &url(&share), "/content", Some("wrong")).await,
        401,
    );
    assert_eq!(
        bytes(&app, &url(&share), Some(PASSWORD)).await,
        fixture("photo.png")
    );
    assert_eq!(
        public(&app, &url(&share), "", None).await.status(),
        StatusCode::OK
    );

    let log = server.log.lock().unwrap().join("\n");
    assert!(
        log.contains("/s/{token}/content"),
        "the requests were logged by route"
    );
    let events: Vec<(String,)> = sqlx::query_as("SELECT payload::text FROM events")
        .fetch_all(&pool)
        .await
        .unwrap();
    let events: String = events.into_iter().map(|(p,)| p).collect();
    assert!(events.contains("127.0.0.0/24"), "the download was recorded");
    for secret in [token.as_str(), PASSWORD, "wrong"] {
        assert!(!log.contains(secret), "{secret:?} is in the server log");
        if secret != "wrong" {
            assert!(
                !events.contains(secret),
                "{secret:?} is in the events table"
            );
        }
    }
    let metrics = app
        .get("/metrics", crate::helpers::ADMIN)
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("/s/{token}/content"), "routes by pattern");
    assert!(!metrics.contains(&token));
    server.terminate().await;
}

fn assert_problem_status(response: reqwest::Response, status: u16) {
    assert_eq!(response.status().as_u16(), status);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stockage-shares-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn with_s3_the_link_redirects_to_a_short_lived_signed_url(pool: PgPool) {
    let app = spawn_app_with(pool, Backend::S3).await;
    let doc = setup(&app, "signed").await;
    let share = created(&app, &doc, EDITOR, json!({"revision": 1})).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{}{}/content", app.address, url(&share)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let signed = reqwest::Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = signed.query_pairs().into_owned().collect();
    let ttl: u64 = query["X-Amz-Expires"].parse().unwrap();
    assert!(ttl <= 300, "valid at most 5 minutes, not {ttl} s");
    assert!(query["response-content-disposition"].contains("plan.png"));

    let fetched = reqwest::get(&location).await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert!(
        fetched.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("plan.png")
    );
    assert_eq!(fetched.bytes().await.unwrap(), fixture("photo.png"));
    // A plain client follows the redirect to the same bytes.
    assert_eq!(bytes(&app, &url(&share), None).await, fixture("photo.png"));
    let downloads: i32 = sqlx::query_scalar("SELECT downloads FROM shares")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(downloads, 2, "each redirect is a download");
}
