//! The search projector folds each run of title and tag changes in a page
//! into one statement: pages of any size must leave the rows that events
//! applied one at a time leave, vector included.
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use stockage::search::index::SearchProjector;
use stockage_projections::Projector;
use stockage_store::log;

use crate::helpers::{ADMIN, TestApp, spawn_app};

async fn call(app: &TestApp, method: Method, path: &str, body: Option<serde_json::Value>) {
    let response = app.call(method, path, Some(ADMIN), body).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// The rows of `schema.search_documents` that the log alone decides.
async fn rows(pool: &PgPool, schema: &str) -> Vec<(String, String, String, bool, i32, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT document_id::text, title, tags::text, deleted, revision, tsv::text
         FROM {schema}.search_documents ORDER BY document_id"
    )))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn folded_title_and_tag_changes_leave_the_rows_of_one_event_at_a_time(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("folds").await;
    let mut paths = Vec::new();
    for n in 0..3 {
        let doc = app
            .add(
                "folds",
                ADMIN,
                "part_ascii.stl",
                &format!("Bracket {n}"),
                "steel",
            )
            .await;
        paths.push(format!(
            "/api/v1/projects/folds/documents/{}",
            doc["id"].as_str().unwrap()
        ));
    }
    // Title-only, tags-only and both, on every document in turn, with a
    // delete, a restore and a new document between runs of changes.
    for round in 0..5 {
        for (n, path) in paths.iter().enumerate() {
            let body = match (round + n) % 3 {
                0 => json!({"title": format!("Gear {round} {n}")}),
                1 => json!({"tags": [format!("t{round}"), "common"]}),
                _ => json!({"title": format!("Axle {round} {n}"), "tags": ["axle"]}),
            };
            call(&app, Method::PATCH, path, Some(body)).await;
        }
        match round {
            1 => {
                call(&app, Method::DELETE, &paths[0], None).await;
                let restore = format!("{}/restore-deleted", paths[0]);
                call(&app, Method::POST, &restore, None).await;
            }
            3 => {
                app.add("folds", ADMIN, "part_binary.stl", "Late arrival", "new")
                    .await;
            }
            _ => {}
        }
    }

    for (schema, page) in [("one_by_one", 1), ("pages_of_4", 4), ("one_page", 1000)] {
        replay(&pool, schema, page).await;
    }
    let one_by_one = rows(&pool, "one_by_one").await;
    assert_eq!(one_by_one.len(), 4);
    assert!(
        one_by_one.iter().any(|r| r.1.starts_with("Axle 4")),
        "{one_by_one:?}"
    );
    assert_eq!(rows(&pool, "pages_of_4").await, one_by_one);
    assert_eq!(rows(&pool, "one_page").await, one_by_one);
    // The live read model (the runner's pages, however the events fell)
    // agrees on what the log decides; its vectors also hold extracted text.
    caught_up(&pool).await;
    let live: Vec<_> = rows(&pool, "public").await;
    let decided = |r: &[(String, String, String, bool, i32, String)]| {
        r.iter()
            .map(|(id, title, tags, deleted, revision, _)| {
                (id.clone(), title.clone(), tags.clone(), *deleted, *revision)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(decided(&live), decided(&one_by_one));
}

/// Waits until the search projector has applied the whole log.
async fn caught_up(pool: &PgPool) {
    for _ in 0..600 {
        let behind: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT position FROM projector_checkpoints WHERE name = 'search'), 0)
                 < (SELECT coalesce(max(position), 0) FROM events)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if !behind {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the search projector did not catch up within 30 s");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_retitled_documents_vector_is_the_full_recomputation(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("vectors").await;
    let mut docs = Vec::new();
    for fixture in ["part_ascii.stl", "blueprint.pdf"] {
        let doc = app
            .add("vectors", ADMIN, fixture, "Untitled", "draft")
            .await;
        let id = doc["id"].as_str().unwrap().to_owned();
        assert_eq!(app.indexed("vectors", &id).await["index_status"], "indexed");
        docs.push(id);
    }
    for (round, id) in docs.iter().cycle().take(6).enumerate() {
        let path = format!("/api/v1/projects/vectors/documents/{id}");
        let body =
            json!({"title": format!("Flange plate {round}"), "tags": [format!("rev{round}")]});
        call(&app, Method::PATCH, &path, Some(body)).await;
    }
    caught_up(&pool).await;
    // The vector kept after retitles is the one computed from every part
    // at once, and the content's vector is kept beside it.
    let (rows, equal, kept): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*),
             count(*) FILTER (WHERE tsv = stockage_search_vector(language, title, tags, keywords, body, extra)),
             count(*) FILTER (WHERE content_tsv = stockage_content_vector(language, body, extra))
         FROM search_documents WHERE body <> ''",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((rows, equal, kept), (2, 2, 2));
    // Both the new title and the extracted text are found.
    let by_title = app.search("/api/v1/search?q=flange", ADMIN).await;
    assert_eq!(by_title["items"].as_array().unwrap().len(), 2, "{by_title}");
    let by_text = app.search("/api/v1/search?q=cantilever", ADMIN).await;
    assert_eq!(by_text["items"].as_array().unwrap().len(), 1, "{by_text}");
}

/// Applies the whole log to a fresh `schema.search_documents`, `page`
/// events at a time (settings and functions still come from `public`).
async fn replay(pool: &PgPool, schema: &str, page: i64) {
    let mut tx = pool.begin().await.unwrap();
    for sql in [
        format!("CREATE SCHEMA {schema}"),
        format!(
            "CREATE TABLE {schema}.search_documents (LIKE public.search_documents INCLUDING ALL)"
        ),
        format!("SET LOCAL search_path TO {schema}, public"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let mut after = 0;
    loop {
        let events = log::read_after(&mut tx, after, page).await.unwrap();
        let Some(last) = events.last() else { break };
        after = last.position;
        let decoded: Vec<_> = events.iter().map(|e| (e, e.event().unwrap())).collect();
        SearchProjector.apply_page(&mut tx, &decoded).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The plan of `statement` (a prepared statement's generic plan when it
/// has parameters of `types`).
async fn plan(pool: &PgPool, statement: &str, types: &str, arguments: &str) -> String {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET plan_cache_mode = force_generic_plan; PREPARE planned {types} AS {statement}"
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    let lines: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (VERBOSE, COSTS OFF) EXECUTE planned {arguments}"
    )))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    lines.join("\n")
}

/// The functions that join a title and tags to a vector are inlined into
/// the statements that call them, down to `to_tsvector` (decision 0074);
/// their arguments vary by row, so that nothing is folded into a constant.
/// Declared IMMUTABLE over a STABLE body, or given an argument with a
/// subquery, they went through the SQL-function executor, four to six
/// times slower, on every title or tag change.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_vector_functions_are_inlined_into_their_callers(pool: PgPool) {
    let calls = [
        (
            "SELECT stockage_titled_vector('english', 'title ' || g, ARRAY['tag' || g], '{}', ''::tsvector)
             FROM generate_series(1, 2) g",
            "",
            "",
        ),
        (
            "SELECT stockage_search_vector('english', 'title ' || g, ARRAY['tag' || g], '{}', 'body ' || g, '')
             FROM generate_series(1, 2) g",
            "",
            "",
        ),
        (
            include_str!("../../src/search/index/retitle.sql"),
            "(uuid[], text[], jsonb[])",
            "('{}', '{}', '{}')",
        ),
    ];
    for (statement, types, arguments) in calls {
        let plan = plan(&pool, statement, types, arguments).await;
        assert!(plan.contains("to_tsvector"), "{plan}");
        for function in [
            "stockage_titled_vector(",
            "stockage_search_vector(",
            "stockage_lexemes(",
        ] {
            assert!(
                !plan.contains(function),
                "{function} is called, not inlined:\n{plan}"
            );
        }
    }
}
