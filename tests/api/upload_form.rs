//! The upload form's bounds: only the parts `file`, `title` and `tags`,
//! each bounded, and the whole request bounded by the cap plus a small
//! allowance. Each refusal comes before the offending part is read to its
//! end: the bodies below never end, so a server that kept reading would
//! never answer (the timeout only keeps a broken server from hanging the
//! suite; nothing here measures time).
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app, spawn_app_configured};

const MB: usize = 1_000_000;
const HANG_GUARD: Duration = Duration::from_secs(60);

/// `first` bytes of `fill`, sent in 64 KB chunks, then a body that never ends.
fn endless(fill: u8, first: usize) -> reqwest::Body {
    let chunk = Bytes::from(vec![fill; 64 * 1024]);
    let chunks = first.div_ceil(chunk.len());
    let sent = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    reqwest::Body::wrap_stream(sent.chain(futures_util::stream::pending()))
}

async fn post(app: &TestApp, form: Form) -> reqwest::Response {
    let send = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(form)
        .send();
    tokio::time::timeout(HANG_GUARD, send)
        .await
        .expect("the server answered without reading the endless part")
        .expect("the server answers before the client is done")
}

fn pdf() -> Part {
    Part::bytes(fixture("blueprint.pdf")).file_name("blueprint.pdf")
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_unknown_chunked_part_is_refused_by_name_unread(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    let form = Form::new()
        .part("junk", Part::stream(endless(b'j', 8 * MB)))
        .part("file", pdf());
    let detail = assert_problem(post(&app, form).await, StatusCode::BAD_REQUEST).await;
    assert!(detail.contains("\"junk\""), "{detail}");
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.blob_counts().await, (0, 0));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_over_size_title_is_refused_unread(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    let form = Form::new()
        .part("file", pdf())
        .part("title", Part::stream(endless(b't', MB)));
    let detail = assert_problem(post(&app, form).await, StatusCode::BAD_REQUEST).await;
    assert!(detail.contains("title part is longer than"), "{detail}");
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.blob_counts().await, (0, 0));

    // A title of a few KB is refused at its limit too, not only a huge one.
    let form = Form::new()
        .part("file", pdf())
        .part("title", Part::text("t".repeat(4 * 1024)));
    let detail = assert_problem(post(&app, form).await, StatusCode::BAD_REQUEST).await;
    assert!(
        detail.contains("title part is longer than 1024"),
        "{detail}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_second_title_or_file_part_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let form = Form::new()
        .part("file", pdf())
        .text("title", "one")
        .text("title", "two");
    let detail = assert_problem(post(&app, form).await, StatusCode::BAD_REQUEST).await;
    assert!(detail.contains("more than one title part"), "{detail}");
    let form = Form::new().part("file", pdf()).part("file", pdf());
    let detail = assert_problem(post(&app, form).await, StatusCode::BAD_REQUEST).await;
    assert!(detail.contains("more than one file part"), "{detail}");
}

/// Multipart skips short lines before its first boundary; a request made
/// of them would otherwise be read without end.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_whole_request_is_capped_even_where_no_part_is(pool: PgPool) {
    let app = spawn_app_configured(pool, |settings| {
        settings.storage.max_upload_bytes = MB as u64;
    })
    .await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    let lines = Bytes::from("x\r\n".repeat(20_000));
    let preamble =
        futures_util::stream::iter((0..200).map(move |_| Ok::<_, std::io::Error>(lines.clone())))
            .chain(futures_util::stream::pending());
    let response = app
        .client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("content-type", "multipart/form-data; boundary=edge")
        .body(reqwest::Body::wrap_stream(preamble))
        .send();
    let response = tokio::time::timeout(HANG_GUARD, response)
        .await
        .expect("the server answered past the cap")
        .expect("the server answers before the client is done");
    let detail = assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(detail.contains("1 MB plus 64 KB"), "{detail}");
    assert_eq!(app.event_count().await, before);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_form_with_title_and_tags_is_still_accepted(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let form = Form::new()
        .part("file", pdf())
        .text("title", "Harbour bridge")
        .text("tags", "steel, deck");
    let response = post(&app, form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert_eq!(doc["title"], "Harbour bridge");
    assert_eq!(doc["tags"], serde_json::json!(["steel", "deck"]));
}
