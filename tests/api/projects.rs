use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, assert_problem, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn create_get_and_list_a_project(pool: PgPool) {
    let app = spawn_app(pool).await;
    let body = json!({"slug": "bridge-42", "title": "  Bridge  ", "description": "Steel", "category": "civil"});
    let response = app
        .call(Method::POST, "/api/v1/projects", Some(ADMIN), Some(body))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/api/v1/projects/bridge-42");
    assert!(response.headers().contains_key("x-request-id"));
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["slug"], "bridge-42");
    assert_eq!(created["title"], "Bridge");
    assert_eq!(created["description"], "Steel");
    assert_eq!(created["category"], "civil");
    assert_eq!(created["my_role"], "owner");
    assert_eq!(created["created_by"], ADMIN);
    assert!(
        created["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let fetched: Value = app
        .get("/api/v1/projects/bridge-42", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, created);
    let listed: Value = app
        .get("/api/v1/projects", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([created]));

    // A member sees it with their own role.
    app.set_member("bridge-42", ADMIN, "vic", "viewer").await;
    let as_viewer: Value = app
        .get("/api/v1/projects/bridge-42", "vic")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(as_viewer["my_role"], "viewer");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_duplicate_slug_is_a_conflict_and_records_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let again = app
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(ADMIN),
            Some(json!({"slug": "alpha", "title": "Again"})),
        )
        .await;
    let detail = assert_problem(again, StatusCode::CONFLICT).await;
    assert!(detail.contains("alpha"), "{detail}");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        events, 2,
        "only the first project's ProjectCreated + MemberAdded"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_project_input_gets_a_clear_400(pool: PgPool) {
    let app = spawn_app(pool).await;
    let cases = [
        (json!({"slug": "Bad Slug", "title": "x"}), "slug"),
        (json!({"slug": "ok-slug", "title": "   "}), "title"),
        (
            json!({"slug": "ok-slug", "title": "x".repeat(201)}),
            "title",
        ),
        (json!({"title": "no slug"}), "slug"),
        (json!({"slug": 42, "title": "x"}), "expected a string"),
    ];
    for (body, mentions) in cases {
        let response = app
            .call(
                Method::POST,
                "/api/v1/projects",
                Some(ADMIN),
                Some(body.clone()),
            )
            .await;
        let detail = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(detail.contains(mentions), "{body}: {detail}");
    }
    let not_json = app
        .client
        .post(format!("{}/api/v1/projects", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(not_json, StatusCode::BAD_REQUEST).await;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn members_are_added_changed_listed_and_removed(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let added: Value = app
        .set_member("alpha", ADMIN, "bob", "viewer")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (added["user_id"].as_str(), added["role"].as_str()),
        (Some("bob"), Some("viewer"))
    );
    let changed: Value = app
        .set_member("alpha", ADMIN, "bob", "editor")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["role"], "editor");
    assert_eq!(changed["joined_at"], added["joined_at"]);
    // Setting the same role again is accepted and records nothing.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.set_member("alpha", ADMIN, "bob", "editor")
            .await
            .status(),
        StatusCode::OK
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);

    let listed: Value = app
        .get("/api/v1/projects/alpha/members", "bob")
        .await
        .json()
        .await
        .unwrap();
    let roles: Vec<(&str, &str)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, vec![(ADMIN, "owner"), ("bob", "editor")]);

    let removed = app.remove_member("alpha", ADMIN, "bob").await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/projects/alpha", "bob").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let again = app.remove_member("alpha", ADMIN, "bob").await;
    assert_problem(again, StatusCode::NOT_FOUND).await;

    let types: Vec<String> = sqlx::query_scalar("SELECT event_type FROM events ORDER BY position")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        types,
        [
            "ProjectCreated",
            "MemberAdded",
            "MemberAdded",
            "MemberRoleChanged",
            "MemberRemoved"
        ]
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_member_input_gets_a_clear_400(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let detail = assert_problem(
        app.set_member("alpha", ADMIN, "bob", "god").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("role"), "{detail}");
    let detail = assert_problem(
        app.set_member("alpha", ADMIN, "a:b", "viewer").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("user id"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn openapi_and_metrics_describe_the_service(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec: Value = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/{slug}/members/{user_id}",
        "/api/v1/search",
        "/api/v1/projects/{slug}/search",
        "/readyz",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    assert!(spec["components"]["schemas"]["SearchResults"]["properties"]["total"].is_object());
    app.create_project("alpha").await;
    let metrics = app.get("/metrics", "anyone").await.text().await.unwrap();
    assert!(
        metrics.contains(
            r#"stockage_http_requests_total{method="POST",route="/api/v1/projects",status="201"}"#
        ),
        "{metrics}"
    );
}
