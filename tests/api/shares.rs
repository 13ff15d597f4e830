//! Share links: the members' side, the public side, S3 redirects, and
//! that no secret reaches the log or the server's output.
mod audit;
mod links;
mod public;
mod secrets;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, fixture};

pub const EDITOR: &str = "eddie";
pub const VIEWER: &str = "vera";
pub const DOC_ADMIN: &str = "ada";

/// A project with an editor, a viewer and an admin, and one PNG added
/// by the editor; returns the document's API path.
pub async fn setup(app: &TestApp, slug: &str) -> String {
    app.create_project(slug).await;
    for (user, role) in [(EDITOR, "editor"), (VIEWER, "viewer"), (DOC_ADMIN, "admin")] {
        assert_eq!(
            app.set_member(slug, ADMIN, user, role).await.status(),
            StatusCode::OK
        );
    }
    let response = app
        .upload(slug, EDITOR, "plan.png", fixture("photo.png"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    format!(
        "/api/v1/projects/{slug}/documents/{}",
        doc["id"].as_str().unwrap()
    )
}

pub async fn create(app: &TestApp, doc: &str, user: &str, body: Value) -> Response {
    app.call(
        Method::POST,
        &format!("{doc}/shares"),
        Some(user),
        Some(body),
    )
    .await
}

/// Creates a link (201 asserted) and returns the answer.
pub async fn created(app: &TestApp, doc: &str, user: &str, body: Value) -> Value {
    let response = create(app, doc, user, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// A public request to `url` (`/s/<token>` plus `suffix`), without any
/// bearer token, with the password header when given.
pub async fn public(app: &TestApp, url: &str, suffix: &str, password: Option<&str>) -> Response {
    let mut request = app
        .client
        .get(format!("{}{url}{suffix}", app.address))
        .header("Accept", "application/json");
    if let Some(password) = password {
        request = request.header("X-Share-Password", password);
    }
    request.send().await.unwrap()
}

/// The bytes a link serves now (200 asserted).
pub async fn bytes(app: &TestApp, url: &str, password: Option<&str>) -> Vec<u8> {
    let response = public(app, url, "/content", password).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

pub fn url(share: &Value) -> String {
    share["url"].as_str().unwrap().to_owned()
}

pub fn body() -> Value {
    json!({})
}
