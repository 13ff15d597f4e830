use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};

/// A document whose revision 1 is `first` and revision 2 is `second`.
async fn two_revisions(app: &TestApp, slug: &str, first: &str, second: &str) -> String {
    let doc: Value = app.uploaded(slug, ADMIN, first, fixture(first)).await;
    let path = format!(
        "/api/v1/projects/{slug}/documents/{}",
        doc["id"].as_str().unwrap()
    );
    let response = app
        .put_content(&path, ADMIN, fixture(second), Some(second), None)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    path
}

async fn diff(app: &TestApp, doc: &str, query: &str) -> Value {
    let response = app.get(&format!("{doc}/diff?{query}"), ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

fn changed<'a>(diff: &'a Value, field: &str) -> Option<&'a Value> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn diffs_of_every_text_like_type_show_what_changed(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;

    let gltf = two_revisions(&app, "alpha", "model.gltf", "model_v2.gltf").await;
    let d = diff(&app, &gltf, "from=1&to=2").await;
    assert_eq!(
        (d["from"].as_i64(), d["to"].as_i64(), d["kind"].as_str()),
        (Some(1), Some(2), Some("text"))
    );
    let unified = d["unified"].as_str().unwrap();
    assert!(
        unified.contains("-      \"name\": \"WheelHub\"")
            && unified.contains("+      \"name\": \"AxleMount\""),
        "{unified}"
    );
    let names = changed(&d, "nodes_names").unwrap();
    assert_eq!(
        (names["before"][1].as_str(), names["after"][1].as_str()),
        (Some("WheelHub"), Some("AxleMount"))
    );

    let stl = two_revisions(&app, "alpha", "part_ascii.stl", "part_ascii_v2.stl").await;
    let d = diff(&app, &stl, "from=1&to=2").await;
    let unified = d["unified"].as_str().unwrap();
    assert_eq!(
        (d["lines_added"].as_i64(), d["lines_removed"].as_i64()),
        (Some(1), Some(1)),
        "{unified}"
    );
    assert!(
        unified.contains("1.000000e+01") && unified.contains("1.250000e+01"),
        "{unified}"
    );
    assert!(changed(&d, "bounding_box").is_some(), "{d}");
    assert!(changed(&d, "triangle_count").is_none());

    let pdf = two_revisions(&app, "alpha", "blueprint.pdf", "blueprint_v2.pdf").await;
    let d = diff(&app, &pdf, "from=1&to=2").await;
    let unified = d["unified"].as_str().unwrap();
    let removed = unified
        .lines()
        .any(|l| l.starts_with('-') && l.contains("cantilever"));
    let added = unified
        .lines()
        .any(|l| l.starts_with('+') && l.contains("suspension"));
    assert!(removed && added, "{unified}");
    assert!(changed(&d, "page_count").is_none(), "both have 2 pages");
    assert!(changed(&d, "sha256").is_some());

    // A revision against itself: nothing.
    let same = diff(&app, &pdf, "from=2&to=2").await;
    assert_eq!(same["summary"], "identical content");
    assert_eq!(same["changes"], serde_json::json!([]));
    assert_eq!(same["unified"], "");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn image_diffs_count_and_box_the_changed_pixels(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let png = two_revisions(&app, "alpha", "photo.png", "photo_v2.png").await;
    let d = diff(&app, &png, "from=1&to=2").await;
    assert_eq!(d["kind"], "image");
    assert_eq!(d["pixels"]["changed_pixels"], 100);
    assert_eq!(d["pixels"]["total_pixels"], 64 * 48);
    assert_eq!(
        d["pixels"]["bounding_box"],
        serde_json::json!([10, 5, 19, 14])
    );
    assert!(changed(&d, "width").is_none());

    let response = app
        .get(&format!("{png}/diff?from=1&to=2&format=png"), ADMIN)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let picture = image::load_from_memory(&response.bytes().await.unwrap())
        .unwrap()
        .into_rgba8();
    assert_eq!(picture.dimensions(), (64, 48));
    assert_eq!(picture.get_pixel(10, 5).0, [255, 0, 0, 255]);
    assert_eq!(picture.get_pixel(19, 14).0, [255, 0, 0, 255]);
    assert_ne!(picture.get_pixel(20, 14).0, [255, 0, 0, 255]);
    assert_ne!(picture.get_pixel(0, 0).0, [255, 0, 0, 255]);

    // Answered from the cache by content: the blobs are not read again.
    for object in app.blobs.list().await.unwrap() {
        app.blobs.remove(&object).await.unwrap();
    }
    assert_eq!(diff(&app, &png, "from=1&to=2").await["pixels"], d["pixels"]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_diff_requests_get_a_clear_4xx(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let pdf = two_revisions(&app, "alpha", "blueprint.pdf", "blueprint_v2.pdf").await;
    let cases = [
        ("from=1&to=3", StatusCode::NOT_FOUND, "latest is 2"),
        ("from=3&to=1", StatusCode::NOT_FOUND, "latest is 2"),
        ("from=0&to=1", StatusCode::BAD_REQUEST, "from 1"),
        (
            "from=a&to=1",
            StatusCode::BAD_REQUEST,
            "not a revision number",
        ),
        ("to=1", StatusCode::BAD_REQUEST, "from is required"),
        ("from=1&to=2&format=gif", StatusCode::BAD_REQUEST, "format"),
        ("from=1&to=2&format=png", StatusCode::BAD_REQUEST, "image"),
    ];
    for (query, status, says) in cases {
        let detail =
            assert_problem(app.get(&format!("{pdf}/diff?{query}"), ADMIN).await, status).await;
        assert!(detail.contains(says), "{query}: {detail}");
    }
}
