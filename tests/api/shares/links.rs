//! Creating, listing and revoking links; the project's switch.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{DOC_ADMIN, EDITOR, VIEWER, body, create, created, public, setup, url};
use crate::helpers::{ADMIN, assert_problem, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn who_may_create_list_and_revoke(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "links").await;

    assert_problem(
        create(&app, &doc, VIEWER, body()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        create(&app, &doc, "stranger", body()).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let mine = created(&app, &doc, EDITOR, json!({"max_downloads": 3})).await;
    let token = mine["token"].as_str().unwrap();
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(mine["url"], format!("/s/{token}"));
    assert_eq!(mine["revision"], Value::Null);
    assert_eq!(mine["downloads"], 0);
    assert_eq!(mine["max_downloads"], 3);
    assert_eq!(mine["created_by"], EDITOR);
    let expires = time::OffsetDateTime::parse(
        mine["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let in_a_week = time::OffsetDateTime::now_utc() + time::Duration::days(7);
    assert!(
        (expires - in_a_week).abs() < time::Duration::minutes(5),
        "7 days by default"
    );
    let admins = created(&app, &doc, DOC_ADMIN, body()).await;

    let list = |user: &'static str| {
        let (app, doc) = (&app, &doc);
        async move {
            let response = app.get(&format!("{doc}/shares"), user).await;
            assert_eq!(response.status(), StatusCode::OK);
            let page: Value = response.json().await.unwrap();
            page["items"].as_array().unwrap().clone()
        }
    };
    let editor_sees = list(EDITOR).await;
    assert_eq!(editor_sees.len(), 1, "an editor sees their own links");
    assert_eq!(editor_sees[0]["id"], mine["id"]);
    assert!(
        editor_sees[0].get("token").is_none(),
        "the token is shown once"
    );
    assert_eq!(list(DOC_ADMIN).await.len(), 2, "an admin sees all");
    assert_eq!(list(VIEWER).await.len(), 0);

    let revoke = |user: &'static str, share: &Value| {
        let path = format!("{doc}/shares/{}", share["id"].as_str().unwrap());
        let app = &app;
        async move { app.call(Method::DELETE, &path, Some(user), None).await }
    };
    assert_problem(revoke(EDITOR, &admins).await, StatusCode::FORBIDDEN).await;
    assert_problem(revoke(VIEWER, &mine).await, StatusCode::NOT_FOUND).await;
    assert_eq!(
        revoke(DOC_ADMIN, &mine).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        revoke(EDITOR, &mine).await.status(),
        StatusCode::NO_CONTENT,
        "again: no change"
    );
    let status = list(DOC_ADMIN).await;
    let revoked = status.iter().find(|s| s["id"] == mine["id"]).unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_problem(
        public(&app, &url(&mine), "", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        public(&app, &url(&admins), "", None).await.status(),
        StatusCode::OK
    );

    let events: Vec<(String, Value)> = sqlx::query_as(
        "SELECT event_type, payload FROM events WHERE event_type LIKE 'Share%' ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["ShareCreated", "ShareCreated", "ShareRevoked"]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_requests_say_what_is_wrong(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "bad-links").await;
    for (body, says) in [
        (json!({"revision": 2}), "revision 2 does not exist"),
        (json!({"revision": 0}), "numbered from 1"),
        (json!({"expires_in": "91d"}), "expires_in"),
        (json!({"expires_in": "soon"}), "expires_in"),
        (json!({"max_downloads": 0}), "max_downloads"),
        (json!({"password": ""}), "password"),
    ] {
        let detail = assert_problem(
            create(&app, &doc, EDITOR, body.clone()).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(detail.contains(says), "{body}: {detail}");
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_project_can_forbid_links_and_that_stops_existing_ones(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "no-links").await;
    let share = created(&app, &doc, EDITOR, body()).await;
    let patch = |user: &'static str, allowed: bool| {
        let app = &app;
        async move {
            app.call(
                Method::PATCH,
                "/api/v1/projects/no-links",
                Some(user),
                Some(json!({"shares_allowed": allowed})),
            )
            .await
        }
    };
    assert_problem(patch(EDITOR, false).await, StatusCode::FORBIDDEN).await;
    assert_eq!(patch(DOC_ADMIN, false).await.status(), StatusCode::OK);
    let detail = assert_problem(
        create(&app, &doc, EDITOR, body()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(detail.contains("does not allow share links"), "{detail}");
    assert_problem(
        public(&app, &url(&share), "/content", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    assert_eq!(patch(ADMIN, true).await.status(), StatusCode::OK);
    assert_eq!(
        public(&app, &url(&share), "/content", None).await.status(),
        StatusCode::OK
    );
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'ProjectSharingChanged'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(changes, 2);
}
