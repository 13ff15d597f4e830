//! The revisions list in pages (`limit`, `cursor`), and a JSON body sent
//! with another media type.
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};

fn stl(name: &str) -> Vec<u8> {
    format!("solid {name}\nfacet normal 0 0 1\nendsolid {name}\n").into_bytes()
}

async fn page(app: &TestApp, doc: &str, query: &str) -> (Vec<i64>, Value) {
    let response = app.get(&format!("{doc}/revisions{query}"), ADMIN).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let body: Value = response.json().await.unwrap();
    let numbers = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    (numbers, body["next_cursor"].clone())
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn revisions_come_in_pages_that_join_without_gap(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc: Value = app.uploaded("alpha", ADMIN, "part.stl", stl("one")).await;
    let doc = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );
    for text in ["two", "three", "four", "five"] {
        let added = app.put_content(&doc, ADMIN, stl(text), None, None).await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }

    let (all, last) = page(&app, &doc, "").await;
    assert_eq!((all, last), (vec![1, 2, 3, 4, 5], Value::Null));

    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (numbers, next) = page(&app, &doc, &query).await;
        assert!(numbers.len() <= 2);
        seen.extend(numbers);
        pages += 1;
        match next.as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (vec![1, 2, 3, 4, 5], 3));

    for bad in [
        "?limit=0",
        "?limit=1001",
        "?cursor=abc",
        "?cursor=-1",
        "?cursor=99999999999",
    ] {
        let response = app.get(&format!("{doc}/revisions{bad}"), ADMIN).await;
        let detail = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(
            detail.contains("limit") || detail.contains("cursor"),
            "{bad}: {detail}"
        );
    }
    // Another reader's view of the same pages: a non-member sees none.
    let stranger = app
        .get(&format!("{doc}/revisions?limit=2"), "mallory")
        .await;
    assert_problem(stranger, StatusCode::NOT_FOUND).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_json_body_of_another_media_type_is_415(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .request(Method::POST, format!("{}/api/v1/projects", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("content-type", "text/plain")
        .body(r#"{"slug":"alpha","title":"Alpha"}"#)
        .send()
        .await
        .unwrap();
    let detail = assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(detail.contains("application/json"), "{detail}");
    let missing = app.get("/api/v1/projects/alpha", ADMIN).await;
    assert_problem(missing, StatusCode::NOT_FOUND).await;
}
