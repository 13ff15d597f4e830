use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, assert_problem, spawn_app};

pub(crate) fn ids(results: &Value) -> Vec<String> {
    results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["document_id"].as_str().unwrap().to_owned())
        .collect()
}

fn hit<'a>(results: &'a Value, id: &Value) -> Option<&'a Value> {
    results["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["document_id"] == *id)
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_word_inside_each_type_of_file_is_found_and_highlighted(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("works").await;
    let cases = [
        ("blueprint.pdf", "cantilever"),
        ("model.gltf", "WheelHub"),
        ("model.glb", "SprocketMesh"),
        ("part_ascii.stl", "bracketmount"),
        ("part_binary.stl", "turbineblade"),
        ("photo.png", "gearbox"),
        ("photo.jpg", "TestCam"),
    ];
    let mut docs = Vec::new();
    for (name, _) in cases {
        docs.push(app.add("works", ADMIN, name, "Untitled", "").await);
    }
    for doc in &docs {
        let indexed = app.indexed("works", doc["id"].as_str().unwrap()).await;
        assert_eq!(indexed["index_status"], "indexed", "{indexed}");
    }
    for ((name, word), doc) in cases.iter().zip(&docs) {
        let results = app.search(&format!("/api/v1/search?q={word}"), ADMIN).await;
        let found = hit(&results, &doc["id"])
            .unwrap_or_else(|| panic!("{word} not found in {name}: {results}"));
        let snippet = found["snippet"].as_str().unwrap();
        assert!(
            snippet.contains(&format!("<mark>{word}</mark>")),
            "{name}: {snippet}"
        );
        assert_eq!(found["project"], "works");
        assert_eq!(found["revision"], 1);
    }
    let pdf = app.indexed("works", docs[0]["id"].as_str().unwrap()).await;
    assert!(!pdf["keywords"].as_array().unwrap().is_empty(), "{pdf}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn part_numbers_are_whole_tokens(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("parts").await;
    let blueprint = app
        .add("parts", ADMIN, "blueprint.pdf", "Bolt M8x1.25 drawing", "")
        .await;
    let plate = app
        .add("parts", ADMIN, "part_ascii.stl", "Plate B-1024", "")
        .await;
    for doc in [&blueprint, &plate] {
        app.indexed("parts", doc["id"].as_str().unwrap()).await;
    }
    let only = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            ids(&app
                .search(&format!("/api/v1/projects/parts/search?q={q}"), ADMIN)
                .await)
        }
    };
    assert_eq!(only("A-1024").await, [blueprint["id"].as_str().unwrap()]);
    assert_eq!(only("a-1024").await, [blueprint["id"].as_str().unwrap()]);
    assert_eq!(only("B-1024").await, [plate["id"].as_str().unwrap()]);
    assert_eq!(only("M8x1.25").await, [blueprint["id"].as_str().unwrap()]);
    assert!(only("C-1024").await.is_empty());
    assert!(only("M8x1.5").await.is_empty());
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn title_matches_rank_first_and_pages_neither_overlap_nor_miss(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("rank").await;
    let mut in_body = Vec::new();
    for title in ["Plan one", "Plan two", "Plan three"] {
        in_body.push(app.add("rank", ADMIN, "blueprint.pdf", title, "").await);
    }
    let in_title = app
        .add("rank", ADMIN, "part_ascii.stl", "Flangebolt spec", "")
        .await;
    for doc in in_body.iter().chain([&in_title]) {
        app.indexed("rank", doc["id"].as_str().unwrap()).await;
    }
    let all = app.search("/api/v1/search?q=flangebolt", ADMIN).await;
    assert_eq!(all["total"], 4);
    assert_eq!(all["items"][0]["document_id"], in_title["id"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/search?q=flangebolt&limit=1&cursor={c}"),
            None => "/api/v1/search?q=flangebolt&limit=1".to_owned(),
        };
        let page = app.search(&path, ADMIN).await;
        assert_eq!(page["total"], 4);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn filters_revisions_renames_and_deletes_change_what_is_found(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    app.create_project("beta").await;
    app.set_member("alpha", ADMIN, "eve", "editor").await;
    let pdf = app
        .add("alpha", ADMIN, "blueprint.pdf", "Bridge", "steel,draft")
        .await;
    let by_eve = app
        .add("alpha", "eve", "blueprint.pdf", "Bridge copy", "")
        .await;
    let other = app
        .add("beta", ADMIN, "blueprint.pdf", "Bridge beta", "")
        .await;
    for (slug, doc) in [("alpha", &pdf), ("alpha", &by_eve), ("beta", &other)] {
        app.indexed(slug, doc["id"].as_str().unwrap()).await;
    }
    let count = |path: String| {
        let app = &app;
        async move { app.search(&path, ADMIN).await["total"].as_i64().unwrap() }
    };
    assert_eq!(count("/api/v1/search?q=cantilever".into()).await, 3);
    assert_eq!(
        count("/api/v1/search?q=cantilever&project=beta".into()).await,
        1
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&tag=draft".into()).await,
        1
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&uploader=eve".into()).await,
        1
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&type=stl".into()).await,
        0
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&type=pdf".into()).await,
        3
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&from=2000-01-01T00:00:00Z".into()).await,
        3
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever&to=2000-01-01T00:00:00Z".into()).await,
        0
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever%20-bridge".into()).await,
        0
    );
    assert_eq!(
        count("/api/v1/search?q=cantilever%20or%20turbineblade".into()).await,
        3
    );

    let doc = format!(
        "/api/v1/projects/alpha/documents/{}",
        pdf["id"].as_str().unwrap()
    );
    let revised = app
        .put_content(
            &doc,
            ADMIN,
            crate::helpers::fixture("blueprint_v2.pdf"),
            Some("blueprint_v2.pdf"),
            None,
        )
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    let mut state = app.indexed("alpha", pdf["id"].as_str().unwrap()).await;
    for _ in 0..100 {
        if state["index_status"] == "indexed"
            && hit(
                &app.search("/api/v1/search?q=suspension", ADMIN).await,
                &pdf["id"],
            )
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state = app.indexed("alpha", pdf["id"].as_str().unwrap()).await;
    }
    assert!(
        hit(
            &app.search("/api/v1/search?q=suspension", ADMIN).await,
            &pdf["id"]
        )
        .is_some()
    );
    assert!(
        hit(
            &app.search("/api/v1/search?q=cantilever", ADMIN).await,
            &pdf["id"]
        )
        .is_none()
    );

    let renamed = app
        .call(
            Method::PATCH,
            &doc,
            Some(ADMIN),
            Some(json!({"title": "Footbridge Zephyr"})),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let deleted = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/projects/beta/documents/{}",
                other["id"].as_str().unwrap()
            ),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let mut found = Value::Null;
    for _ in 0..200 {
        found = app.search("/api/v1/search?q=zephyr", ADMIN).await;
        if found["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found["items"][0]["document_id"], pdf["id"]);
    assert!(
        found["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Zephyr</mark>")
    );
    assert_eq!(count("/api/v1/search?q=cantilever".into()).await, 1);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_denied_document_is_absent_from_results_counts_and_snippets(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("secret").await;
    for user in ["ana", "bo"] {
        app.set_member("secret", ADMIN, user, "viewer").await;
    }
    let hidden = app
        .add("secret", ADMIN, "blueprint.pdf", "Hidden plan", "")
        .await;
    let open = app
        .add("secret", ADMIN, "model.gltf", "Open model", "")
        .await;
    let acl = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/projects/secret/documents/{}/acl",
                hidden["id"].as_str().unwrap()
            ),
            Some(ADMIN),
            Some(json!({"entries": [{"principal": "user:ana", "permission": "none"}]})),
        )
        .await;
    assert_eq!(acl.status(), StatusCode::OK);
    for doc in [&hidden, &open] {
        app.indexed("secret", doc["id"].as_str().unwrap()).await;
    }
    for path in [
        "/api/v1/search?q=cantilever",
        "/api/v1/projects/secret/search?q=cantilever",
        "/api/v1/search?q=cantilever%20or%20wheelhub",
        "/api/v1/search?q=hidden%20or%20plan%20or%20open",
    ] {
        let bo = app.search(path, "bo").await;
        assert!(hit(&bo, &hidden["id"]).is_some(), "bo finds it: {path}");
        let ana = app.search(path, "ana").await;
        assert!(hit(&ana, &hidden["id"]).is_none(), "ana must not: {path}");
        assert_eq!(
            ana["total"].as_i64().unwrap(),
            bo["total"].as_i64().unwrap() - 1,
            "{path}"
        );
        let text = ana.to_string();
        assert!(
            !text.contains("antilever") && !text.contains("Hidden"),
            "{text}"
        );
    }
    let stranger = app
        .get("/api/v1/projects/secret/search?q=cantilever", "carl")
        .await;
    assert_problem(stranger, StatusCode::NOT_FOUND).await;
    let stranger = app
        .get("/api/v1/search?q=cantilever&project=secret", "carl")
        .await;
    assert_problem(stranger, StatusCode::NOT_FOUND).await;
    let everywhere = app.search("/api/v1/search?q=cantilever", "carl").await;
    assert_eq!(
        (everywhere["total"].clone(), ids(&everywhere).len()),
        (json!(0), 0)
    );
    let document = app
        .get(
            &format!(
                "/api/v1/projects/secret/documents/{}",
                hidden["id"].as_str().unwrap()
            ),
            "ana",
        )
        .await;
    assert_problem(document, StatusCode::NOT_FOUND).await;
}
