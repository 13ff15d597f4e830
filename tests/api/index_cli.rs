use sqlx::PgPool;

use crate::helpers::{ADMIN, cli, spawn_app_in};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn index_rebuild_reextracts_a_project_and_language_changes_stemming(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("stockage-index-cli-{}", uuid::Uuid::new_v4()));
    let app = spawn_app_in(pool.clone(), &dir).await;
    app.create_project("ponts").await;
    app.create_project("other").await;
    let doc = app
        .add(
            "ponts",
            ADMIN,
            "blueprint.pdf",
            "Renforcement des ponts",
            "",
        )
        .await;
    let other = app.add("other", ADMIN, "model.gltf", "Other", "").await;
    app.indexed("ponts", doc["id"].as_str().unwrap()).await;
    app.indexed("other", other["id"].as_str().unwrap()).await;
    let generation = |id: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT generation FROM search_documents WHERE document_id = $1::uuid",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // Marked for re-extraction, the old content still answers.
    stockage::search::index::rebuild::mark(&pool, None)
        .await
        .unwrap();
    assert_eq!(
        app.search("/api/v1/search?q=cantilever", ADMIN).await["total"],
        1
    );
    assert_eq!(
        app.search("/api/v1/search?q=wheelhub", ADMIN).await["total"],
        1
    );
    app.indexed("ponts", doc["id"].as_str().unwrap()).await;
    app.indexed("other", other["id"].as_str().unwrap()).await;
    let (before, other_before) = (
        generation(doc["id"].as_str().unwrap().into()).await,
        generation(other["id"].as_str().unwrap().into()).await,
    );
    let output = cli(&pool, &["index", "rebuild", "--project", "ponts"])
        .await
        .env("STOCKAGE_DATA_DIR", &dir)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("re-extracted 1 documents") && stdout.contains("0 failed"),
        "{stdout}"
    );
    // Progress is drawn for a person at a terminal, never into a pipe.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("[#") && !stderr.contains('\r'), "{stderr}");
    assert_eq!(
        generation(doc["id"].as_str().unwrap().into()).await,
        before + 1
    );
    assert_eq!(
        generation(other["id"].as_str().unwrap().into()).await,
        other_before
    );
    let state = app.indexed("ponts", doc["id"].as_str().unwrap()).await;
    assert_eq!(state["index_status"], "indexed");
    assert_eq!(
        app.search("/api/v1/search?q=cantilever", ADMIN).await["total"],
        1
    );

    // French stems "renforcé" and "renforcement" alike; English does not.
    assert_eq!(
        app.search("/api/v1/search?q=renforcé", ADMIN).await["total"],
        0
    );
    let output = cli(
        &pool,
        &["index", "language", "--project", "ponts", "french"],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        app.search("/api/v1/search?q=renforcé", ADMIN).await["total"],
        1
    );
    let refused = cli(
        &pool,
        &["index", "language", "--project", "ponts", "klingon"],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a text search configuration"));
}
