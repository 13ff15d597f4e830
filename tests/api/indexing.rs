use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use stockage::search::index::ExtractError;
use stockage::search::index::isolate::{self, Budget, Isolation};
use stockage_events::FileKind;

use crate::helpers::{
    ADMIN, TestApp, database_url, fixture, spawn_app, spawn_app_configured, test_index_config,
};
use crate::processes::ServerProcess;

fn child() -> Isolation {
    Isolation::Process(env!("CARGO_BIN_EXE_stockage").into())
}

const BUDGET: Budget = Budget {
    time: Duration::from_secs(20),
    memory_bytes: 512_000_000,
};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn hostile_uploads_fail_to_index_with_a_reason_and_the_server_carries_on(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("hostile").await;
    for (name, reason) in [
        ("hostile/nested.pdf", "nested 100001 levels deep"),
        ("hostile/huge_accessor.gltf", "claims 2147483648 elements"),
    ] {
        let doc = app.add("hostile", ADMIN, name, name, "").await;
        let state = app.indexed("hostile", doc["id"].as_str().unwrap()).await;
        assert_eq!(state["index_status"], "failed", "{state}");
        assert!(
            state["index_reason"].as_str().unwrap().contains(reason),
            "{state}"
        );
    }
    // The huge stream length is either read as what the file holds or refused.
    let doc = app
        .add("hostile", ADMIN, "hostile/huge_stream.pdf", "Stream", "")
        .await;
    let state = app.indexed("hostile", doc["id"].as_str().unwrap()).await;
    assert_ne!(state["index_status"], "pending");
    // Still serving and indexing.
    let good = app.add("hostile", ADMIN, "blueprint.pdf", "Good", "").await;
    let state = app.indexed("hostile", good["id"].as_str().unwrap()).await;
    assert_eq!(state["index_status"], "indexed");
    let found = app.search("/api/v1/search?q=flangebolt", ADMIN).await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn files_the_upload_policy_refuses_also_fail_in_the_extractor_process() {
    for (kind, name, reason) in [
        (FileKind::Glb, "hostile/truncated.glb", "truncated GLB"),
        (
            FileKind::Stl,
            "hostile/billion_triangles.stl",
            "claims 1000000000 triangles",
        ),
        (FileKind::Pdf, "hostile/nested.pdf", "nested"),
        (FileKind::Gltf, "hostile/huge_accessor.gltf", "2147483648"),
    ] {
        let outcome = isolate::extract(&child(), BUDGET, kind, name, fixture(name)).await;
        let error = outcome.expect_err(name).to_string();
        assert!(error.contains(reason), "{name}: {error}");
    }
    let fine = isolate::extract(
        &child(),
        BUDGET,
        FileKind::Pdf,
        "b.pdf",
        fixture("blueprint.pdf"),
    )
    .await
    .unwrap();
    assert!(fine.body.contains("cantilever") && fine.extra.contains("b pdf"));
}

#[tokio::test]
async fn the_time_and_memory_budgets_stop_the_extractor_not_the_server() {
    let no_time = Budget {
        time: Duration::from_millis(1),
        ..BUDGET
    };
    let late = isolate::extract(
        &child(),
        no_time,
        FileKind::Pdf,
        "b.pdf",
        fixture("blueprint.pdf"),
    )
    .await;
    assert!(
        matches!(&late, Err(ExtractError::Budget(why)) if why.contains("longer than")),
        "{late:?}"
    );
    let no_memory = Budget {
        memory_bytes: 1_000_000,
        ..BUDGET
    };
    let starved = isolate::extract(
        &child(),
        no_memory,
        FileKind::Pdf,
        "b.pdf",
        fixture("blueprint.pdf"),
    )
    .await;
    // A library that could not get memory for its threads gave up, or the
    // allocator ended the child: this file fails, and nothing else.
    assert!(
        matches!(
            &starved,
            Err(ExtractError::Budget(_) | ExtractError::Panicked(_))
        ),
        "{starved:?}"
    );
    // Eight megabytes cannot even be read within one: the child dies.
    let mut big = b"solid big\n".to_vec();
    big.resize(8_000_000, b' ');
    let killed = isolate::extract(&child(), no_memory, FileKind::Stl, "big.stl", big).await;
    assert!(
        matches!(&killed, Err(ExtractError::Budget(why)) if why.contains("memory budget")),
        "{killed:?}"
    );
}

/// The database sessions holding the search projector's leadership.
async fn leaders(pool: &PgPool) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
           AND objid = (hashtext('projector:search')::bigint & 4294967295)::oid
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 30 s");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn one_process_runs_the_projector_and_another_takes_over_when_it_dies(pool: PgPool) {
    // Nodes share one blob store.
    let dir = std::env::temp_dir().join(format!("stockage-duo-{}", uuid::Uuid::new_v4()));
    let url = database_url(&pool).await;
    let mut first = ServerProcess::start(&url, &dir).await;
    until("a leader", || async { leaders(&pool).await.len() == 1 }).await;
    let old = leaders(&pool).await[0];
    let second = ServerProcess::start(&url, &dir).await;
    let a = TestApp::attach(pool.clone(), first.address.clone());
    let b = TestApp::attach(pool.clone(), second.address.clone());
    a.create_project("duo").await;
    let doc = b.add("duo", ADMIN, "blueprint.pdf", "Before", "").await;
    assert_eq!(
        b.indexed("duo", doc["id"].as_str().unwrap()).await["index_status"],
        "indexed"
    );
    assert_eq!(leaders(&pool).await, [old], "exactly one leader, the first");

    first.child.kill().await.unwrap();
    let killed = Instant::now();
    until("a new leader", || async {
        leaders(&pool).await.iter().any(|pid| *pid != old)
    })
    .await;
    eprintln!("the second process took over in {:.1?}", killed.elapsed());
    assert_eq!(leaders(&pool).await.len(), 1);
    let doc = b.add("duo", ADMIN, "model.gltf", "After", "").await;
    assert_eq!(
        b.indexed("duo", doc["id"].as_str().unwrap()).await["index_status"],
        "indexed"
    );
    let found = b.search("/api/v1/search?q=wheelhub", ADMIN).await;
    assert_eq!(found["total"], 1);
}

async fn checkpoint(pool: &PgPool) -> i64 {
    stockage_projections::runner::checkpoint(pool, "search")
        .await
        .unwrap()
}

async fn head(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_restart_mid_indexing_resumes_from_the_checkpoint_and_misses_nothing(pool: PgPool) {
    // Uploads go through a server that does no indexing at all.
    let dir = std::env::temp_dir().join(format!("stockage-restart-{}", uuid::Uuid::new_v4()));
    let writer = spawn_app_configured(pool.clone(), |quiet| {
        quiet.storage.data_dir = dir.clone();
        quiet.index.projector = false;
        quiet.index.workers = 0;
    })
    .await;
    writer.create_project("restart").await;
    let names = [
        "blueprint.pdf",
        "model.gltf",
        "part_ascii.stl",
        "photo.png",
        "model.glb",
        "photo.jpg",
    ];
    let mut docs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        docs.push(
            writer
                .add("restart", ADMIN, name, &format!("Doc {i}"), "")
                .await,
        );
    }

    // A first indexer, killed as soon as its projector has caught up,
    // whatever its workers have done by then.
    let url = database_url(&pool).await;
    let mut first = ServerProcess::start_with(
        &url,
        &dir,
        &[
            ("STOCKAGE_INDEX_WORKERS", "1"),
            ("STOCKAGE_INDEX_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let caught_up = head(&pool).await;
    until(
        "the first catch-up and a first document indexed",
        || async {
            let indexed: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM search_documents WHERE status = 'indexed'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            checkpoint(&pool).await >= caught_up && indexed > 0
        },
    )
    .await;
    first.child.kill().await.unwrap();
    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM search_documents GROUP BY status ORDER BY status",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    eprintln!("at the kill: {states:?}");

    // While no indexer runs: a revision, a rename, a delete and new files.
    let path = |i: usize| {
        format!(
            "/api/v1/projects/restart/documents/{}",
            docs[i]["id"].as_str().unwrap()
        )
    };
    let revised = writer
        .put_content(
            &path(0),
            ADMIN,
            fixture("blueprint_v2.pdf"),
            Some("blueprint_v2.pdf"),
            None,
        )
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    let renamed = writer
        .call(
            reqwest::Method::PATCH,
            &path(1),
            Some(ADMIN),
            Some(serde_json::json!({"title": "Quokka"})),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let deleted = writer
        .call(reqwest::Method::DELETE, &path(2), Some(ADMIN), None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    docs.push(
        writer
            .add("restart", ADMIN, "part_binary.stl", "Late", "")
            .await,
    );
    let before_restart = checkpoint(&pool).await;
    assert!(before_restart < head(&pool).await);

    // The restart: it resumes from the checkpoint and the pending rows.
    let mut config = test_index_config();
    config.isolation =
        stockage::search::index::IndexConfig::new(env!("CARGO_BIN_EXE_stockage").into()).isolation;
    let app = spawn_app_configured(pool.clone(), |full| {
        full.storage.data_dir = dir;
        full.index = config;
    })
    .await;
    let end = head(&pool).await;
    until("the catch-up after the restart", || async {
        checkpoint(&pool).await == end
    })
    .await;
    until("no pending document", || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM search_documents WHERE status = 'pending'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
            == 0
    })
    .await;

    let wrong: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT r.id, coalesce(s.status, 'missing') FROM project_resources r
         LEFT JOIN search_documents s ON s.document_id = r.id
         WHERE s.document_id IS NULL OR s.status <> 'indexed' OR s.indexed_revision <> r.revision
            OR s.sha256 <> r.sha256 OR s.title <> r.title OR s.deleted <> (r.deleted_at IS NOT NULL)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(wrong.is_empty(), "{wrong:?}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM search_documents")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, docs.len() as i64);
    let found = |q: &str| {
        let (app, q) = (&app, q.to_owned());
        async move {
            let results: Value = app
                .search(&format!("/api/v1/projects/restart/search?q={q}"), ADMIN)
                .await;
            results["total"].as_i64().unwrap()
        }
    };
    assert_eq!(found("suspension").await, 1);
    assert_eq!(found("cantilever").await, 0);
    assert_eq!(found("quokka").await, 1);
    assert_eq!(found("bracketmount").await, 0);
    assert_eq!(found("turbineblade").await, 1);
}
