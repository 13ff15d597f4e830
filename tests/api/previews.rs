use std::time::Duration;

use image::RgbaImage;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::preview::raster::BACKGROUND;
use stockage_events::Sha256;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};

mod drawing;
mod hostile;

const FIXTURES: [&str; 7] = [
    "blueprint.pdf",
    "photo.png",
    "photo.jpg",
    "model.gltf",
    "model.glb",
    "part_ascii.stl",
    "part_binary.stl",
];

/// Uploads `bytes` as `name` to project alpha; returns the document's path.
async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> String {
    let response = app.upload("alpha", ADMIN, name, bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    let created: Value = response.json().await.unwrap();
    format!(
        "/api/v1/projects/alpha/documents/{}",
        created["id"].as_str().unwrap()
    )
}

async fn preview(app: &TestApp, doc: &str, n: u32, query: &str, user: &str) -> reqwest::Response {
    app.get(&format!("{doc}/revisions/{n}/preview{query}"), user)
        .await
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The PNG of a 200 answer.
async fn picture(response: reqwest::Response) -> RgbaImage {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("image/png")
    );
    let bytes = response.bytes().await.unwrap();
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("a PNG")
        .into_rgba8()
}

/// How many pixels differ from `background`, and their centre.
fn coverage(image: &RgbaImage, background: image::Rgba<u8>) -> (usize, f32, f32) {
    let drawn: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| **p != background)
        .map(|(x, y, _)| (x, y))
        .collect();
    let n = drawn.len().max(1) as f32;
    let cx = drawn.iter().map(|p| p.0 as f32).sum::<f32>() / n;
    let cy = drawn.iter().map(|p| p.1 as f32).sum::<f32>() / n;
    (drawn.len(), cx, cy)
}

fn save(name: &str, image: &RgbaImage) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/previews");
    std::fs::create_dir_all(&dir).unwrap();
    image.save(dir.join(format!("{name}.png"))).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_fixture_type_gets_a_thumbnail_that_shows_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for name in FIXTURES {
        let doc = upload(&app, name, fixture(name)).await;
        for size in [128u32, 256, 512] {
            let response = preview(&app, &doc, 1, &format!("?size={size}"), ADMIN).await;
            assert_eq!(
                header(&response, "x-preview"),
                None,
                "{name} at {size} is a placeholder"
            );
            let image = picture(response).await;
            let (w, h) = image.dimensions();
            assert!(w <= size && h <= size, "{name} at {size}: {w}x{h}");
            match name {
                "photo.png" => assert_eq!((w, h), (64, 48), "small images are not enlarged"),
                "photo.jpg" => assert_eq!((w, h), (32, 24)),
                "blueprint.pdf" => {
                    // A portrait page fills the height; text is dark on white.
                    assert_eq!(h, size, "{name}: {w}x{h}");
                    assert!(w < h);
                    let dark = image
                        .pixels()
                        .filter(|p| p.0[..3].iter().all(|c| *c < 128))
                        .count();
                    let white = image.pixels().filter(|p| p.0 == [255; 4]).count();
                    assert!(dark > 0, "{name} at {size}: no text drawn");
                    assert!(
                        white > (w * h) as usize / 2,
                        "{name} at {size}: not a white page"
                    );
                }
                _ => {
                    assert_eq!((w, h), (size, size));
                    let (drawn, cx, cy) = coverage(&image, BACKGROUND);
                    let area = (size * size) as usize;
                    assert!(
                        drawn > area / 10,
                        "{name} at {size}: only {drawn} pixels drawn"
                    );
                    let middle = size as f32 / 2.0;
                    let off = (cx - middle).abs().max((cy - middle).abs());
                    assert!(
                        off < size as f32 / 5.0,
                        "{name} at {size}: centre ({cx}, {cy})"
                    );
                }
            }
            if size == 512 {
                save(name, &image);
            }
        }
    }
    // The photo's thumbnail is its pixels: the gradient's corner colours.
    let doc = upload(&app, "again.png", fixture("photo.png")).await;
    let image = picture(preview(&app, &doc, 1, "", ADMIN).await).await;
    assert_eq!(image.get_pixel(0, 0).0, [0, 0, 128, 255]);
    assert_eq!(image.get_pixel(63, 47).0, [252, 235, 128, 255]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_preview_is_cached_by_content_and_answers_conditional_requests(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc = upload(&app, "part.stl", fixture("part_binary.stl")).await;
    let first = preview(&app, &doc, 1, "?size=128", ADMIN).await;
    let etag = header(&first, "etag").expect("an ETag");
    let sha = "24d67f444fa61c02ead6b6c39a9a735205e37bcb001f1bcc672ff3686e200a30";
    assert!(etag.contains(sha) && etag.contains("128"), "{etag}");
    assert_eq!(
        header(&first, "cache-control").as_deref(),
        Some("private, max-age=31536000, immutable")
    );
    let bytes = first.bytes().await.unwrap();

    // Another size has another tag; the same request has the same bytes.
    let other = preview(&app, &doc, 1, "?size=256", ADMIN).await;
    assert_ne!(header(&other, "etag").unwrap(), etag);
    let again = preview(&app, &doc, 1, "?size=128", ADMIN).await;
    assert_eq!(header(&again, "etag").unwrap(), etag);
    assert_eq!(again.bytes().await.unwrap(), bytes);

    let conditional = app
        .client
        .get(format!("{}{doc}/revisions/1/preview?size=128", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(conditional.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&conditional, "etag").unwrap(), etag);
    assert!(conditional.bytes().await.unwrap().is_empty());

    // Stored in the blob store under the source's address.
    let stored = app
        .blobs
        .get_preview(&Sha256::parse(sha).unwrap(), "128-v1.png")
        .await
        .unwrap();
    let stored = stored.expect("the preview is cached as a blob");
    assert_eq!(&stored[1..], &bytes[..]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn previews_are_behind_the_read_permission(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "viewer")] {
        assert!(
            app.set_member("alpha", ADMIN, user, role)
                .await
                .status()
                .is_success()
        );
    }
    let doc = upload(&app, "model.glb", fixture("model.glb")).await;
    let body = json!({"entries": [{"principal": "user:vic", "permission": "none"}]});
    let acl = app
        .call(
            reqwest::Method::PUT,
            &format!("{doc}/acl"),
            Some(ADMIN),
            Some(body),
        )
        .await;
    assert_eq!(acl.status(), StatusCode::OK);

    picture(preview(&app, &doc, 1, "", "eda").await).await;
    for user in ["vic", "zed"] {
        let response = preview(&app, &doc, 1, "", user).await;
        assert_problem(response, StatusCode::NOT_FOUND).await;
    }
    let anonymous = app
        .call(
            reqwest::Method::GET,
            &format!("{doc}/revisions/1/preview"),
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let detail = assert_problem(
        preview(&app, &doc, 2, "", "eda").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(detail.contains("revision 2"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_size_other_than_128_256_or_512_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc = upload(&app, "photo.jpg", fixture("photo.jpg")).await;
    for bad in ["100", "1024", "0", "big", "-256", ""] {
        let response = preview(&app, &doc, 1, &format!("?size={bad}"), ADMIN).await;
        let detail = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(detail.contains("128, 256 or 512"), "{bad}: {detail}");
    }
    // The default is 256.
    let default = preview(&app, &doc, 1, "", ADMIN).await;
    assert!(header(&default, "etag").unwrap().contains("-256-"));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn gc_keeps_a_preview_while_its_source_is_referenced(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc = upload(&app, "photo.jpg", fixture("photo.jpg")).await;
    picture(preview(&app, &doc, 1, "?size=128", ADMIN).await).await;
    let source =
        Sha256::parse("092519ecf1209c5128a61ce32afe64826408d95a67057ebc5d0fd0ba19b48560").unwrap();
    let orphan = Sha256::from_digest([7; 32]);
    app.blobs
        .put_preview(&orphan, "128-v1.png", b"r-not-really".to_vec())
        .await
        .unwrap();
    app.blobs
        .put_preview(&source, "128-v0.png", b"r-old".to_vec())
        .await
        .unwrap();

    let report = stockage::retention::gc::collect(&app.pool, &app.blobs, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.removed_previews, 2, "{report:?}");
    assert_eq!(report.removed_blobs, 0, "{report:?}");
    let name = "128-v1.png";
    assert!(
        app.blobs
            .get_preview(&source, name)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        app.blobs
            .get_preview(&orphan, name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.blobs
            .get_preview(&source, "128-v0.png")
            .await
            .unwrap()
            .is_none()
    );
    // The source is still served, and so is its cached preview.
    assert_eq!(app.blob_counts().await.0, 1);
    picture(preview(&app, &doc, 1, "?size=128", ADMIN).await).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_preview_endpoint_is_in_the_openapi_spec(pool: PgPool) {
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
    let get = &spec["paths"]["/api/v1/projects/{slug}/documents/{id}/revisions/{n}/preview"]["get"];
    let params: Vec<&str> = get["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"size"), "{params:?}");
    assert!(
        get["responses"]["200"]["content"]["image/png"].is_object(),
        "{get}"
    );
    assert!(
        get["responses"]["200"]["headers"]["X-Preview"].is_object(),
        "{get}"
    );
    assert!(get["responses"]["400"].is_object() && get["responses"]["404"].is_object());
}
