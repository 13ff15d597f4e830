//! Files that pass the upload policy but cannot be drawn, and budgets.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage_events::Sha256;

use super::{header, picture, preview, save, upload};
use crate::helpers::{ADMIN, fixture, spawn_app};

/// Files that pass the upload policy but cannot be drawn.
fn hostile() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut truncated = fixture("model.glb");
    truncated.truncate(100);
    truncated[8..12].copy_from_slice(&100u32.to_le_bytes());
    let gltf: Value = serde_json::from_slice(&fixture("model.gltf")).unwrap();
    let mut external = gltf.clone();
    external["buffers"][0]["uri"] = json!("model.bin");
    let mut billion = gltf.clone();
    billion["accessors"][0]["count"] = json!(1_000_000_000u64);
    let mut cycle = gltf.clone();
    cycle["nodes"][1]["children"] = json!([0]);
    let mut nan_stl = vec![b' '; 80];
    nan_stl.extend_from_slice(&1u32.to_le_bytes());
    nan_stl.extend_from_slice(&[0xff; 48]);
    nan_stl.extend_from_slice(&[0, 0]);
    vec![
        (
            "huge.png",
            fixture("hostile/huge_dimensions.png"),
            "placeholder",
        ),
        (
            "external.gltf",
            serde_json::to_vec(&external).unwrap(),
            "placeholder",
        ),
        (
            "billion.gltf",
            serde_json::to_vec(&billion).unwrap(),
            "placeholder",
        ),
        (
            "cycle.gltf",
            serde_json::to_vec(&cycle).unwrap(),
            "placeholder",
        ),
        ("truncated.glb", truncated, "failed"),
        ("nan.stl", nan_stl, "failed"),
        (
            "broken.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog".to_vec(),
            "failed",
        ),
        (
            "broken.jpg",
            b"\xff\xd8\xff\xe0 then nothing".to_vec(),
            "failed",
        ),
    ]
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_hostile_file_gets_a_placeholder_not_an_error(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (name, bytes, expected) in hostile() {
        let doc = upload(&app, name, bytes).await;
        let response = preview(&app, &doc, 1, "?size=128", ADMIN).await;
        let marker = header(&response, "x-preview").unwrap_or_else(|| panic!("{name}: drawn"));
        assert_eq!(marker, expected, "{name}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("private, max-age=300")
        );
        assert!(
            header(&response, "etag").unwrap().contains(&marker),
            "{name}"
        );
        let image = picture(response).await;
        assert_eq!(image.dimensions(), (128, 128), "{name}");
        if name == "broken.pdf" {
            save("placeholder-failed-pdf", &image);
        }
        if name == "external.gltf" {
            save("placeholder-gltf", &image);
        }
    }
    assert_eq!(app.get("/healthz", ADMIN).await.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_rendering_over_its_time_budget_gets_the_failed_placeholder(pool: PgPool) {
    let app = crate::helpers::spawn_app_configured(pool, |settings| {
        settings.previews.budget.time = Duration::ZERO;
        settings.previews.worker = false;
    })
    .await;
    app.create_project("alpha").await;
    let doc = upload(&app, "part.stl", fixture("part_ascii.stl")).await;
    for _ in 0..2 {
        let response = preview(&app, &doc, 1, "?size=128", ADMIN).await;
        assert_eq!(header(&response, "x-preview").as_deref(), Some("failed"));
        let image = picture(response).await;
        assert_eq!(image.dimensions(), (128, 128));
    }
    // The failure is cached: a hostile file costs its budget once.
    let source =
        Sha256::parse("ca1260e21a0d9f67083dbdce65e66e3b0c12e067209065aad710ae76139ae397").unwrap();
    let stored = app.blobs.get_preview(&source, "128-v1.png").await.unwrap();
    assert_eq!(stored.expect("cached")[0], b'f');
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_renderer_over_its_memory_budget_gets_the_failed_placeholder(pool: PgPool) {
    let app = crate::helpers::spawn_app_configured(pool, |settings| {
        settings.previews.budget.memory_bytes = 16 * 1_000_000;
        settings.previews.worker = false;
    })
    .await;
    app.create_project("alpha").await;
    let doc = upload(&app, "blueprint.pdf", fixture("blueprint.pdf")).await;
    let response = preview(&app, &doc, 1, "?size=512", ADMIN).await;
    assert_eq!(header(&response, "x-preview").as_deref(), Some("failed"));
    assert_eq!(picture(response).await.dimensions(), (512, 512));
    assert_eq!(app.get("/healthz", ADMIN).await.status(), StatusCode::OK);
}
