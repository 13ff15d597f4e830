//! After purges the log still verifies, replays, exports without the
//! purged bytes, imports, and rebuilds into the same read models.
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::audit::archive;
use stockage::audit::verify::verify;
use stockage_projections::{inline_projectors, rebuild};

use super::{Node, document, set_policy};
use crate::archive::{fresh_database, table};
use crate::helpers::{ADMIN, cli, local_blobs};

const READ_MODELS: [&str; 5] = [
    "project_resources",
    "document_revisions",
    "project_retention",
    "purged_documents",
    "project_team",
];

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn replay_export_import_verify_and_rebuild_after_purges(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("alpha").await;
    let kept = document(&app, "alpha", "kept", 3).await;
    let purged = document(&app, "alpha", "gone", 2).await;
    set_policy(&app, "alpha", json!({"keep_revisions": 1})).await;
    let applied = Node::new(&app).apply(0).await;
    assert_eq!(applied.plan.revisions.len(), 3);
    app.call(
        Method::DELETE,
        &format!("{purged}?purge=true"),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(
        app.blob_counts().await.0,
        1,
        "only the kept latest revision's bytes"
    );

    // verify --blobs checks the blobs live revisions need, and they exist.
    let report = verify(&pool, 1, Some(&app.blobs), |_| {}).await.unwrap();
    assert_eq!(report.blobs_checked, 1);

    // Replay shows what was purged.
    let out = cli(
        &pool,
        &["replay", "--project", "alpha", "--at", "1000000", "--json"],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replay: Value = serde_json::from_slice(&out.stdout).unwrap();
    let docs = replay["documents"].as_array().unwrap();
    let by_id = |path: &str| {
        let id = path.rsplit('/').next().unwrap();
        docs.iter().find(|d| d["id"] == id).unwrap().clone()
    };
    assert_eq!(by_id(&kept)["purged_revisions"], json!([1, 2]));
    assert_eq!(by_id(&kept)["purged"], Value::Null);
    assert_eq!(by_id(&purged)["purged"], "a project admin purged it");

    // Export carries no bytes for purged revisions; import accepts that.
    let mut bytes = Vec::new();
    let exported = archive::export(&pool, Some(&app.blobs), &mut bytes)
        .await
        .unwrap();
    assert_eq!(exported.blobs, 1);
    let (url, copy) = fresh_database(&pool, "purged").await;
    let dir = std::env::temp_dir().join(format!("stockage-purged-{}", uuid::Uuid::new_v4()));
    let blobs = local_blobs(&dir);
    let imported = archive::import(&copy, Some(&blobs), bytes.as_slice())
        .await
        .unwrap();
    assert_eq!(imported, exported);
    for name in READ_MODELS {
        assert_eq!(table(&copy, name).await, table(&pool, name).await, "{name}");
    }
    let target = verify(&copy, 1, Some(&blobs), |_| {}).await.unwrap();
    assert_eq!(target, report);
    copy.close().await;
    sqlx::Postgres::drop_database(&url).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    // A rebuild from the log gives the live read models.
    let projectors = inline_projectors();
    rebuild::rebuild(&pool, &projectors, "after_purge", |_, _| {})
        .await
        .unwrap();
    let differing = rebuild::differences(&pool, &projectors, "after_purge")
        .await
        .unwrap();
    assert_eq!(differing, Vec::<&str>::new());
    rebuild::discard(&pool, "after_purge").await.unwrap();
}
