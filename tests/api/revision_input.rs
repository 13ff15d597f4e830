//! Revisions refused: bad input gets a clear 4xx, and a file of another
//! type is refused before it is read.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};
use crate::revisions::new_document;

/// A new revision of `doc` from fixture `file`, sent as `name` in a
/// multipart form by the project's admin.
async fn put_content(app: &TestApp, doc: &str, file: &str, name: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(fixture(file)).file_name(name.to_owned());
    app.client
        .put(format!("{}{doc}/content", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_revision_input_gets_a_clear_4xx(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = new_document(&app, "photo.png").await;
    let before = app.event_count().await;
    let cases = [
        (
            Method::GET,
            format!("{doc}/revisions/0/content"),
            StatusCode::BAD_REQUEST,
            "from 1",
        ),
        (
            Method::GET,
            format!("{doc}/revisions/two/content"),
            StatusCode::BAD_REQUEST,
            "not a revision number",
        ),
        (
            Method::GET,
            format!("{doc}/revisions/2/content"),
            StatusCode::NOT_FOUND,
            "latest is 1",
        ),
        (
            Method::POST,
            format!("{doc}/revisions/9/restore"),
            StatusCode::NOT_FOUND,
            "latest is 1",
        ),
        (
            Method::POST,
            format!("{doc}/revisions/-1/restore"),
            StatusCode::BAD_REQUEST,
            "not a revision number",
        ),
        (
            Method::PATCH,
            format!("{doc}/revisions/5"),
            StatusCode::NOT_FOUND,
            "latest is 1",
        ),
    ];
    for (method, path, status, says) in cases {
        let body = (method == Method::PATCH).then(|| json!({"label": "x"}));
        let detail = assert_problem(
            app.call(method.clone(), &path, Some(ADMIN), body).await,
            status,
        )
        .await;
        assert!(detail.contains(says), "{method} {path}: {detail}");
    }

    let garbage = app
        .put_content(&doc, ADMIN, fixture("photo.png"), None, Some("\"abc\""))
        .await;
    assert!(
        assert_problem(garbage, StatusCode::BAD_REQUEST)
            .await
            .contains("If-Match")
    );
    let stale = app
        .put_content(&doc, ADMIN, fixture("photo.png"), None, Some("\"7\""))
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let stale: Value = stale.json().await.unwrap();
    assert_eq!(stale["current_revision"], 1);
    let other_type = app
        .put_content(
            &doc,
            ADMIN,
            fixture("blueprint.pdf"),
            Some("plan.pdf"),
            None,
        )
        .await;
    assert!(
        assert_problem(other_type, StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .await
            .contains("png")
    );
    let lying = app
        .put_content(&doc, ADMIN, fixture("blueprint.pdf"), None, None)
        .await;
    assert_problem(lying, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let long_label = app
        .call(
            Method::PATCH,
            &format!("{doc}/revisions/1"),
            Some(ADMIN),
            Some(json!({"label": "x".repeat(101)})),
        )
        .await;
    assert_problem(long_label, StatusCode::BAD_REQUEST).await;

    assert_eq!(
        app.event_count().await,
        before,
        "no event for any refused request"
    );
    assert_eq!(
        app.blob_counts().await,
        (1, 0),
        "no blob for any refused request"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_multipart_revision_of_another_type_is_refused_unread(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = new_document(&app, "photo.png").await;
    let response = put_content(&app, &doc, "blueprint.pdf", "plan.pdf").await;
    assert!(
        assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .await
            .contains("png")
    );
    assert_eq!(
        app.blob_counts().await,
        (1, 0),
        "no blob for the refused revision"
    );

    let accepted = put_content(&app, &doc, "photo_v2.png", "photo_v2.png").await;
    assert_eq!(accepted.status(), StatusCode::CREATED);
    assert_eq!(
        accepted.json::<Value>().await.unwrap()["filename"],
        "photo_v2.png"
    );
}
