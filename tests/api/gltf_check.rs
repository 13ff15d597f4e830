//! The glTF type check reads the JSON as a stream: a 24 MB glTF (its bulk
//! in accessors and in `asset.extras`) is accepted, and one whose `asset`
//! has no `version` is refused, however much comes around it. Peak memory
//! is measured by `cargo bench --bench gltf_check`, not here.
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};

const ACCESSOR: &str = r#"{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","max":[1.0,1.0,0.0],"min":[0.0,0.0,0.0]}"#;

/// `head`, then `count` accessors separated by commas, then `tail`: streamed.
fn gltf(head: &'static str, count: usize, tail: &'static str) -> (reqwest::Body, u64) {
    let one = Bytes::from(format!("{ACCESSOR},").repeat(1_000));
    let last = Bytes::from_static(ACCESSOR.as_bytes());
    let chunks = count / 1_000;
    let length = head.len() + chunks * one.len() + last.len() + tail.len();
    let body = std::iter::once(Bytes::from_static(head.as_bytes()))
        .chain((0..chunks).map(move |_| one.clone()))
        .chain([last, Bytes::from_static(tail.as_bytes())])
        .map(Ok::<_, std::io::Error>);
    (
        reqwest::Body::wrap_stream(futures_util::stream::iter(body)),
        length as u64,
    )
}

async fn upload(app: &TestApp, (body, length): (reqwest::Body, u64)) -> reqwest::Response {
    let part = Part::stream_with_length(body, length).file_name("plant.gltf");
    app.client
        .post(format!("{}/api/v1/projects/alpha/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_large_gltf_is_accepted_and_one_without_asset_version_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let count = 240_000; // ~24 MB of accessors

    let accessors = gltf(
        r#"{"asset":{"version":"2.0"},"accessors":["#,
        count,
        r#"],"buffers":[{"byteLength":36}]}"#,
    );
    let length = accessors.1;
    let response = upload(&app, accessors).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["size"], length);
    assert!(length > 20_000_000, "{length}");

    let in_asset = gltf(
        r#"{"asset":{"generator":"plant","extras":{"parts":["#,
        count,
        r#"]},"version":"2.0"}}"#,
    );
    assert_eq!(upload(&app, in_asset).await.status(), StatusCode::CREATED);

    let before = app.event_count().await;
    let no_version = gltf(
        r#"{"asset":{"generator":"plant","extras":["#,
        count,
        r#"]},"accessors":[]}"#,
    );
    let detail = assert_problem(
        upload(&app, no_version).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert!(detail.contains("\"version\""), "{detail}");
    assert_eq!(app.event_count().await, before);
}
