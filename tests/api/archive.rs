//! Export → import into a fresh database gives the same read models, the
//! same chain and the same API answers; broken archives are refused and
//! leave nothing behind; the golden archive of format 1 still imports.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::audit::archive::{self, ArchiveError};
use stockage::audit::verify::verify;

use crate::helpers::{ADMIN, TestApp, database_url, fixture, local_blobs, spawn_app, spawn_app_in};

const READ_MODELS: [&str; 8] = [
    "projects",
    "project_team",
    "project_resources",
    "tags",
    "document_acl",
    "document_revisions",
    "document_workflow",
    "document_releases",
];

/// Uploads, a revision, an ACL, a delete and an undelete, a release by a
/// second admin and a lock; the document's path.
pub(crate) async fn history(app: &TestApp) -> String {
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "vic", "viewer").await;
    let doc: Value = app
        .uploaded("alpha", ADMIN, "model.gltf", fixture("model.gltf"))
        .await;
    let path = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );
    let revised = app
        .put_content(&path, ADMIN, fixture("model_v2.gltf"), None, None)
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    let acl = json!({"entries": [{"principal": "user:vic", "permission": "none"}]});
    app.call(Method::PUT, &format!("{path}/acl"), Some(ADMIN), Some(acl))
        .await;
    app.call(Method::DELETE, &path, Some(ADMIN), None).await;
    app.call(
        Method::POST,
        &format!("{path}/restore-deleted"),
        Some(ADMIN),
        None,
    )
    .await;
    app.set_member("alpha", ADMIN, "ada", "admin").await;
    for (user, to) in [(ADMIN, "in_review"), ("ada", "released")] {
        let body = json!({"to": to, "comment": "checked"});
        let moved = app
            .call(
                Method::POST,
                &format!("{path}/state"),
                Some(user),
                Some(body),
            )
            .await;
        assert_eq!(moved.status(), StatusCode::OK);
    }
    let lock = json!({"note": "next revision", "ttl": "2d"});
    let locked = app
        .call(
            Method::POST,
            &format!("{path}/lock"),
            Some(ADMIN),
            Some(lock),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::CREATED);
    path
}

pub async fn table(pool: &PgPool, name: &str) -> Value {
    let sql = format!(
        "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') FROM {name} t"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A second, empty database beside the test's own.
pub async fn fresh_database(pool: &PgPool, suffix: &str) -> (String, PgPool) {
    // The test's own name is already PostgreSQL's longest (63 bytes).
    let own = database_url(pool).await;
    let server = own.rsplit_once('/').unwrap().0;
    let url = format!(
        "{server}/stockage_{suffix}_{}",
        uuid::Uuid::new_v4().simple()
    );
    let _ = sqlx::Postgres::drop_database(&url).await;
    let other = stockage::db::connect(&url).await.unwrap();
    (url, other)
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn export_then_import_reproduces_everything(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let path = history(&app).await;
    let mut bytes = Vec::new();
    let exported = archive::export(&pool, Some(&app.blobs), &mut bytes)
        .await
        .unwrap();
    assert_eq!(
        (exported.events, exported.blobs),
        (app.event_count().await as u64, 2)
    );

    let (url, copy) = fresh_database(&pool, "import").await;
    let dir = std::env::temp_dir().join(format!("stockage-import-{}", uuid::Uuid::new_v4()));
    let blobs = local_blobs(&dir);
    let imported = archive::import(&copy, Some(&blobs), bytes.as_slice())
        .await
        .unwrap();
    assert_eq!(imported, exported);
    for name in READ_MODELS {
        assert_eq!(table(&copy, name).await, table(&pool, name).await, "{name}");
    }
    let source = verify(&pool, 1, Some(&app.blobs), |_| {}).await.unwrap();
    let target = verify(&copy, 1, Some(&blobs), |_| {}).await.unwrap();
    assert_eq!(target, source);

    // The same requests get the same answers from a server on the copy.
    drop(blobs);
    let mirror = spawn_app_in(copy.clone(), &dir).await;
    // Indexing is asynchronous on both servers: compare once both are done.
    let id = path.rsplit('/').next().unwrap();
    app.indexed("alpha", id).await;
    mirror.indexed("alpha", id).await;
    for request in [
        "/api/v1/projects".to_owned(),
        path.clone(),
        format!("{path}/revisions"),
        format!("{path}/acl"),
        format!("{path}/diff?from=1&to=2"),
        "/api/v1/projects/alpha/documents".to_owned(),
    ] {
        let a: Value = app.get(&request, ADMIN).await.json().await.unwrap();
        let b: Value = mirror.get(&request, ADMIN).await.json().await.unwrap();
        assert_eq!(a, b, "{request}");
    }
    let imported: Value = mirror.get(&path, ADMIN).await.json().await.unwrap();
    assert_eq!(
        (
            &imported["state"],
            &imported["release"],
            &imported["lock"]["note"]
        ),
        (&json!("released"), &json!("A"), &json!("next revision"))
    );
    let a = app
        .get(&format!("{path}/revisions/1/content"), ADMIN)
        .await
        .bytes()
        .await
        .unwrap();
    let b = mirror
        .get(&format!("{path}/revisions/1/content"), ADMIN)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(a, b);

    // A second import into a database that has events is refused.
    assert!(matches!(
        archive::import(&copy, None, bytes.as_slice()).await,
        Err(ArchiveError::NotEmpty(_))
    ));
    copy.close().await;
    sqlx::Postgres::drop_database(&url).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn truncated_or_corrupted_archives_are_refused_and_import_nothing(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    history(&app).await;
    let mut bytes = Vec::new();
    archive::export(&pool, None, &mut bytes).await.unwrap();
    let (url, copy) = fresh_database(&pool, "broken").await;

    let truncated = &bytes[..bytes.len() - 40];
    let error = archive::import(&copy, None, truncated).await.unwrap_err();
    assert!(matches!(error, ArchiveError::Truncated), "{error}");
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let error = archive::import(&copy, None, flipped.as_slice())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ArchiveError::Corrupt(_) | ArchiveError::Chain(_)),
        "{error}"
    );
    let error = archive::import(&copy, None, &b"PK\x03\x04 a zip file"[..])
        .await
        .unwrap_err();
    assert!(matches!(error, ArchiveError::NotAnArchive), "{error}");

    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&copy)
        .await
        .unwrap();
    assert_eq!(events, 0, "nothing imported from a broken archive");
    copy.close().await;
    sqlx::Postgres::drop_database(&url).await.unwrap();
}

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/archives/golden-v1.stkarch"
);

/// `STOCKAGE_WRITE_GOLDEN=1` writes the golden archive (once, by hand);
/// otherwise it must import into an empty database and verify.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_golden_archive_of_format_1_still_imports(pool: PgPool) {
    if std::env::var_os("STOCKAGE_WRITE_GOLDEN").is_some() {
        let app = spawn_app(pool.clone()).await;
        history(&app).await;
        let mut bytes = Vec::new();
        archive::export(&pool, Some(&app.blobs), &mut bytes)
            .await
            .unwrap();
        std::fs::create_dir_all(std::path::Path::new(GOLDEN).parent().unwrap()).unwrap();
        std::fs::write(GOLDEN, bytes).unwrap();
        return;
    }
    let bytes = std::fs::read(GOLDEN).expect("fixtures/archives/golden-v1.stkarch");
    let dir = std::env::temp_dir().join(format!("stockage-golden-{}", uuid::Uuid::new_v4()));
    let blobs = local_blobs(&dir);
    let summary = archive::import(&pool, Some(&blobs), bytes.as_slice())
        .await
        .unwrap();
    assert_eq!((summary.events, summary.blobs), (8, 2));
    let report = verify(&pool, 1, Some(&blobs), |_| {}).await.unwrap();
    assert_eq!(report.last_hash, summary.end_hash);
    let titles: Vec<String> =
        sqlx::query_scalar("SELECT filename FROM document_revisions ORDER BY revision")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(titles, ["model.gltf", "model.gltf"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
