//! File names are data, never options or display tricks.
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, fixture, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_name_that_looks_like_an_option_is_indexed_like_any_other(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let response = app
        .upload("alpha", ADMIN, "-rf.pdf", fixture("blueprint.pdf"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["filename"], "-rf.pdf");
    let state = app.indexed("alpha", doc["id"].as_str().unwrap()).await;
    assert_eq!(state["index_status"], "indexed", "{state}");
    let found = app.search("/api/v1/search?q=cantilever", ADMIN).await;
    assert_eq!(found["total"], 1, "{found}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bidirectional_controls_are_taken_out_of_stored_names(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let response = app
        .upload(
            "alpha",
            ADMIN,
            "invoice\u{202E}gpj.pdf",
            fixture("blueprint.pdf"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["filename"], "invoicegpj.pdf");
}
