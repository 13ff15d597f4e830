//! HTTP behaviour users' tools expect: HEAD wherever GET is, 405 with
//! `Allow`, the request id echoed, one access-log line per request.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sqlx::PgPool;

use crate::helpers::{ADMIN, assert_problem, database_url, fixture, spawn_app};
use crate::processes::ServerProcess;

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn head_answers_like_get_without_the_body(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("heads").await;
    let bytes = fixture("blueprint.pdf");
    let document: serde_json::Value = app
        .uploaded("heads", ADMIN, "blueprint.pdf", bytes.clone())
        .await;
    let content = format!(
        "/api/v1/projects/heads/documents/{}/content",
        document["id"].as_str().unwrap()
    );
    for path in ["/healthz", "/api/v1/projects/heads", content.as_str()] {
        let get = app.call(Method::GET, path, Some(ADMIN), None).await;
        let head = app.call(Method::HEAD, path, Some(ADMIN), None).await;
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-length"),
            get.headers().get("content-length"),
            "HEAD {path} announces the length GET sends"
        );
        assert_eq!(head.headers().get("etag"), get.headers().get("etag"));
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} sends no body"
        );
    }
    let head = app.call(Method::HEAD, &content, Some(ADMIN), None).await;
    assert_eq!(head.headers()["content-length"], bytes.len().to_string());
    let unknown = app
        .call(Method::HEAD, "/api/v1/nowhere", Some(ADMIN), None)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_wrong_method_on_a_known_path_is_405_naming_the_allowed_ones(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("methods").await;
    let response = app
        .call(
            Method::DELETE,
            "/api/v1/projects/methods",
            Some(ADMIN),
            None,
        )
        .await;
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert_eq!(
        allow, "GET, HEAD, PATCH",
        "PATCH changes the quota (retention)"
    );
    let detail = assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(detail.contains("DELETE"), "{detail}");

    let document = "/api/v1/projects/methods/documents/0194f3c2-6b1d-7a3e-9c55-3f1d2b7a9e01";
    let response = app.call(Method::POST, document, Some(ADMIN), None).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    for method in ["GET", "HEAD", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow} lacks {method}");
    }
    assert!(!allow.contains("POST"), "{allow}");

    let unknown = app
        .call(Method::DELETE, "/api/v1/elsewhere", Some(ADMIN), None)
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_sane_request_id_is_kept_and_any_other_replaced(pool: PgPool) {
    let app = spawn_app(pool).await;
    let sent = |id: &'static str| {
        app.client
            .get(format!("{}/healthz", app.address))
            .header("X-Request-Id", id)
            .send()
    };
    let kept = sent("trace-42.a").await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-42.a");
    let replaced = sent("two words<script>").await.unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id} is a fresh UUID");
    let none = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert!(uuid::Uuid::parse_str(none.headers()["x-request-id"].to_str().unwrap()).is_ok());
}

/// Waits until a line of `log` contains `needle`; returns it.
async fn line_with(server: &ServerProcess, needle: &str) -> String {
    for _ in 0..100 {
        if let Some(line) = server
            .log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(needle))
        {
            return line.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no log line with {needle:?}: {:#?}",
        server.log.lock().unwrap()
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_request_is_logged_once_with_route_status_user_and_id(pool: PgPool) {
    let data = std::env::temp_dir().join(format!("stockage-conformance-{}", uuid::Uuid::new_v4()));
    let url = database_url(&pool).await;
    let server = ServerProcess::start_with(&url, &data, &[("RUST_LOG", "info")]).await;
    let app = crate::helpers::TestApp::attach(pool, server.address.clone());
    app.create_project("logged").await;
    let token = app.token(ADMIN, true);
    for (path, id) in [
        ("/api/v1/projects/logged", "ok-1"),
        ("/api/v1/projects/nope", "missing-1"),
    ] {
        app.client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .header("X-Request-Id", id)
            .send()
            .await
            .unwrap();
    }
    let ok = line_with(&server, "request_id=ok-1").await;
    assert!(ok.contains(" INFO "), "{ok}");
    assert!(
        ok.contains("method=GET route=/api/v1/projects/{slug} status=200"),
        "{ok}"
    );
    assert!(ok.contains(&format!("user={ADMIN}")), "{ok}");
    assert!(
        !ok.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal: {ok}"
    );
    let missing = line_with(&server, "request_id=missing-1").await;
    assert!(
        missing.contains(" INFO ") && missing.contains("status=404"),
        "{missing}"
    );
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        log.iter().filter(|l| l.contains("request_id=ok-1")).count(),
        1
    );
    assert!(
        !log.iter().any(|l| l.contains("WARN")),
        "an expected 404 is no warning: {log:#?}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn json_logs_hold_json_lines_only(pool: PgPool) {
    let data = std::env::temp_dir().join(format!("stockage-conformance-{}", uuid::Uuid::new_v4()));
    let url = database_url(&pool).await;
    let env = [("RUST_LOG", "info"), ("STOCKAGE_LOG_JSON", "1")];
    let server = ServerProcess::start_with(&url, &data, &env).await;
    let app = crate::helpers::TestApp::attach(pool, server.address.clone());
    app.client
        .get(format!("{}/healthz", app.address))
        .header("X-Request-Id", "json-1")
        .send()
        .await
        .unwrap();
    line_with(&server, "json-1").await;
    for line in server.log.lock().unwrap().iter() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if entry["fields"]["request_id"] == "json-1" {
            assert_eq!(entry["fields"]["status"], 200);
            assert_eq!(entry["fields"]["route"], "/healthz");
        }
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn metrics_carry_help_units_and_the_operators_gauges(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("metered").await;
    app.upload("metered", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    // A consumer that has handled nothing yet lags by the whole log.
    sqlx::query("INSERT INTO projector_checkpoints (name, position) VALUES ('idle', 0)")
        .execute(&app.pool)
        .await
        .unwrap();
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
    for name in [
        "stockage_http_requests_total",
        "stockage_upload_bytes_total",
        "stockage_ws_clients",
        "stockage_db_pool_connections",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_cpu_seconds_total",
    ] {
        assert!(
            metrics.contains(&format!("# HELP {name} ")),
            "{name} has no HELP line:\n{metrics}"
        );
    }
    let sample = |prefix: &str| {
        metrics
            .lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} sample:\n{metrics}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(sample("stockage_upload_bytes_total") >= fixture("blueprint.pdf").len() as f64);
    assert!(sample("process_resident_memory_bytes") > 1e6);
    assert!(sample("stockage_db_pool_connections{state=\"in_use\"}") >= 0.0);
    assert_eq!(
        sample("stockage_projector_lag_events{projector=\"idle\"}"),
        head as f64
    );
}
