//! The document list's total, its orders with their cursors, and the
//! `?sha256=` lookup the UI uses to offer "new revision of X".
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn page(app: &TestApp, query: &str, user: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/projects/alpha/documents{query}"), user)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

/// Every page of `query` followed by its cursors, checking `total` on each.
async fn all_pages(app: &TestApp, query: &str, user: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let at = match &cursor {
            Some(c) => format!("{query}&cursor={}", urlencode(c)),
            None => query.to_owned(),
        };
        let body = page(app, &at, user).await;
        seen.extend(titles(&body));
        let total = body["total"].as_i64().unwrap();
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert_eq!(usize::try_from(total).unwrap(), seen.len(), "{query}");
                return seen;
            }
        }
    }
}

fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_order_pages_through_all_documents_with_the_total(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let files = [
        ("blueprint.pdf", "Deck"),
        ("photo.png", "anchor_50%"),
        ("part_ascii.stl", "Pier~cap"),
        ("model.glb", "bracket"),
        ("photo.jpg", "Cable"),
    ];
    for (file, title) in files {
        app.add("alpha", ADMIN, file, title, "").await;
    }
    let newest_first: Vec<String> = files.iter().rev().map(|(_, t)| (*t).to_owned()).collect();
    assert_eq!(all_pages(&app, "?limit=2", ADMIN).await, newest_first);
    assert_eq!(page(&app, "?limit=2", ADMIN).await["total"], 5);

    let by_title = ["anchor_50%", "bracket", "Cable", "Deck", "Pier~cap"];
    assert_eq!(
        all_pages(&app, "?sort=title&limit=2", ADMIN).await,
        by_title
    );
    let mut reversed = by_title.map(str::to_owned).to_vec();
    reversed.reverse();
    assert_eq!(
        all_pages(&app, "?sort=-title&limit=3", ADMIN).await,
        reversed
    );

    let sizes = all_pages(&app, "?sort=size&limit=2", ADMIN).await;
    let body = page(&app, "?sort=size&limit=200", ADMIN).await;
    let listed: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["size"].as_i64().unwrap())
        .collect();
    assert!(listed.windows(2).all(|w| w[0] <= w[1]), "{listed:?}");
    assert_eq!(sizes, titles(&body));

    let types = all_pages(&app, "?sort=type&limit=2", ADMIN).await;
    assert_eq!(
        types,
        ["bracket", "Cable", "Deck", "anchor_50%", "Pier~cap"]
    );

    // Renaming moves a document to the front of "recently updated".
    let id = page(&app, "?sort=title&limit=1", ADMIN).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/projects/alpha/documents/{id}"),
        Some(ADMIN),
        Some(json!({ "title": "Anchor plate" })),
    )
    .await;
    assert_eq!(
        all_pages(&app, "?sort=-updated&limit=2", ADMIN).await[0],
        "Anchor plate"
    );
    // Filters count too.
    assert_eq!(page(&app, "?type=pdf", ADMIN).await["total"], 1);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_sorts_and_foreign_cursors_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for title in ["a", "b"] {
        app.add("alpha", ADMIN, "photo.png", title, "").await;
    }
    let detail = assert_problem(
        app.get("/api/v1/projects/alpha/documents?sort=colour", ADMIN)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        detail.contains("created, updated, title, size, type"),
        "{detail}"
    );
    let cursor = page(&app, "?sort=title&limit=1", ADMIN).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = format!("?sort=size&limit=1&cursor={}", urlencode(&cursor));
    let detail = assert_problem(
        app.get(&format!("/api/v1/projects/alpha/documents{other}"), ADMIN)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("another sort"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn sha256_finds_documents_with_those_bytes_among_those_the_caller_reads(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "vera", "viewer").await;
    let photo = app.add("alpha", ADMIN, "photo.png", "Photo", "").await;
    let copy = app
        .add("alpha", ADMIN, "photo.png", "Photo again", "")
        .await;
    app.add("alpha", ADMIN, "photo.jpg", "Other", "").await;
    let sha = photo["sha256"].as_str().unwrap();
    let found = page(&app, &format!("?sha256={}", sha.to_uppercase()), ADMIN).await;
    let mut names = titles(&found);
    names.sort();
    assert_eq!(names, ["Photo", "Photo again"]);
    assert_eq!(found["total"], 2);

    // A document vera may not read is not found by its bytes either.
    let acl = format!(
        "/api/v1/projects/alpha/documents/{}/acl",
        copy["id"].as_str().unwrap()
    );
    let denied = json!({ "entries": [{ "principal": "user:vera", "permission": "none" }] });
    let response = app
        .call(reqwest::Method::PUT, &acl, Some(ADMIN), Some(denied))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let seen = page(&app, &format!("?sha256={sha}"), "vera").await;
    assert_eq!(titles(&seen), ["Photo"]);
    assert_eq!(seen["total"], 1);

    let detail = assert_problem(
        app.get("/api/v1/projects/alpha/documents?sha256=abc", ADMIN)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("64 hexadecimal"), "{detail}");
}
