//! The web UI's files come from the binary itself, with a strict policy.
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{ADMIN, assert_problem, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn pages_and_scripts_are_served_from_the_binary(pool: PgPool) {
    let app = spawn_app(pool).await;
    let client = &app.client;
    for page in [
        "/projects",
        "/projects/alpha",
        "/projects/alpha/documents/x",
        "/projects/alpha/members",
        "/settings/tokens",
        "/login",
    ] {
        let response = client
            .get(format!("{}{page}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(r#"<script type="module" src="/ui/app.js">"#));
    }
    let root = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), StatusCode::FOUND);
    assert_eq!(root.headers()["location"], "/projects");

    let script = client
        .get(format!("{}/ui/app.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let tag = script.headers()["etag"].clone();
    assert!(script.text().await.unwrap().contains("import"));
    let again = client
        .get(format!("{}/ui/app.js", app.address))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Only the embedded files: a name outside the list is not looked up on disk.
    for path in ["/ui/missing.js", "/ui/views/Cargo.toml"] {
        let missing = client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let detail = assert_problem(missing, StatusCode::NOT_FOUND).await;
        assert!(detail.contains("the UI has no file"), "{path}: {detail}");
    }
}

/// Every file under ui/ is embedded as it is on disk, and the generated
/// /ui/parts.js loads every part, so adding a file is all a part needs.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_file_under_ui_is_served_and_every_part_is_loaded(pool: PgPool) {
    let app = spawn_app(pool).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut pending = vec![root.clone()];
    let mut parts = Vec::new();
    let mut served = 0;
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // Pages answered on their own routes (/…, /s/{token}, /api/docs),
            // not under /ui/.
            if ["index.html", "share.html", "api-docs.html"].contains(&relative.as_str())
                || relative.ends_with(".md")
            {
                continue;
            }
            if relative.starts_with("parts/") && relative.ends_with(".js") {
                parts.push(relative.clone());
            }
            let response = app
                .client
                .get(format!("{}/ui/{relative}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{relative}");
            assert_eq!(
                response.bytes().await.unwrap(),
                std::fs::read(&path).unwrap(),
                "{relative}"
            );
            served += 1;
        }
    }
    assert!(
        served > 10 && !parts.is_empty(),
        "{served} files, {parts:?}"
    );
    let loader = app
        .client
        .get(format!("{}/ui/parts.js", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for part in parts {
        assert!(
            loader.contains(&format!("import \"./{part}\";")),
            "{part}: {loader}"
        );
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_upload_policy_is_published_to_signed_in_users(pool: PgPool) {
    let app = spawn_app(pool).await;
    let policy: serde_json::Value = app.get("/api/v1/policy", ADMIN).await.json().await.unwrap();
    assert_eq!(policy["max_upload_bytes"], 150_000_000);
    assert!(
        policy["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == ".gltf")
    );
    assert!(policy["allowed"].as_str().unwrap().contains(".stl"));
    let anonymous = app
        .client
        .get(format!("{}/api/v1/policy", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
