//! What a search query may say: bad requests get a problem that names the
//! parameter, and `prefix=true` lets the last word match the words it
//! begins.
use reqwest::{Method, StatusCode};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, spawn_app};
use crate::search::ids;

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn bad_search_requests_are_problems(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    app.create_project("bad").await;
    for (path, words) in [
        ("/api/v1/search", "q is required"),
        ("/api/v1/search?q=%20", "q is required"),
        ("/api/v1/search?q=x&limit=0", "limit"),
        ("/api/v1/search?q=x&cursor=zzz", "cursor"),
        ("/api/v1/search?q=x&from=yesterday", "from"),
        ("/api/v1/search?q=x&type=exe", "exe"),
        ("/api/v1/projects/bad/search?q=x&limit=1000", "limit"),
    ] {
        let detail = assert_problem(app.get(path, ADMIN).await, StatusCode::BAD_REQUEST).await;
        assert!(detail.contains(words), "{path}: {detail}");
    }
    let long = "x".repeat(501);
    let detail = assert_problem(
        app.get(&format!("/api/v1/search?q={long}"), ADMIN).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("500"));
    let anonymous = app
        .call(Method::GET, "/api/v1/search?q=x", None, None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn with_prefix_the_last_word_matches_the_words_it_begins(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("typing").await;
    let deck = app
        .add("typing", ADMIN, "blueprint.pdf", "Bridge deck", "")
        .await;
    let plate = app
        .add("typing", ADMIN, "part_ascii.stl", "Plate B-1024", "")
        .await;
    for doc in [&deck, &plate] {
        app.indexed("typing", doc["id"].as_str().unwrap()).await;
    }
    let search = |q: &str, prefix: bool| {
        let path = format!("/api/v1/projects/typing/search?q={q}&prefix={prefix}");
        let app = &app;
        async move { app.search(&path, ADMIN).await }
    };
    let typed = search("brid", true).await;
    assert_eq!(ids(&typed), [deck["id"].as_str().unwrap()], "{typed}");
    assert_eq!(typed["total"], 1);
    let snippet = typed["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>Bridge</mark>"), "{snippet}");
    // Without the option a part of a word finds nothing, as before.
    assert_eq!(search("brid", false).await["total"], 0);
    // The words before the last must match whole; the last one may be the
    // start of a word anywhere in the file, or of a part number.
    assert_eq!(
        ids(&search("deck%20cantil", true).await),
        [deck["id"].as_str().unwrap()]
    );
    assert_eq!(search("plate%20cantil", true).await["total"], 0);
    assert_eq!(
        ids(&search("plate%20B-10", true).await),
        [plate["id"].as_str().unwrap()]
    );
    // An excluded or one-letter last word is searched as typed.
    assert_eq!(
        ids(&search("plate%20-brid", true).await),
        [plate["id"].as_str().unwrap()]
    );
    assert_eq!(search("q", true).await["total"], 0);
    let detail = assert_problem(
        app.get("/api/v1/search?q=brid&prefix=maybe", ADMIN).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(detail.contains("true"), "{detail}");
}
