//! Purge-now, blobs shared between documents, gc from the read models,
//! and two nodes applying at once.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use super::{Node, content_status, count, document, set_policy, stl};
use crate::helpers::{ADMIN, assert_problem, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn shared_blobs_survive_until_their_last_reference_goes(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("share").await;
    app.set_member("share", ADMIN, "eve", "editor").await;
    let upload = |name: &'static str| {
        let app = &app;
        async move {
            let doc: serde_json::Value =
                app.uploaded("share", ADMIN, name, stl("same bytes")).await;
            format!(
                "/api/v1/projects/share/documents/{}",
                doc["id"].as_str().unwrap()
            )
        }
    };
    let first = upload("first.stl").await;
    let second = upload("second.stl").await;
    assert_eq!(
        app.blob_counts().await.0,
        1,
        "identical bytes are stored once"
    );

    // Editors may not purge; admins may, in the trash or not.
    let refused = app
        .call(
            Method::DELETE,
            &format!("{first}?purge=true"),
            Some("eve"),
            None,
        )
        .await;
    assert_problem(refused, StatusCode::FORBIDDEN).await;
    let purged = app
        .call(
            Method::DELETE,
            &format!("{first}?purge=true"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.blob_counts().await.0,
        1,
        "the second document still needs the bytes"
    );
    assert_eq!(content_status(&app, &second, 1).await, StatusCode::OK);
    let gone = app.get(&format!("{first}/content"), ADMIN).await;
    let detail = assert_problem(gone, StatusCode::GONE).await;
    assert!(detail.contains("a project admin purged it"), "{detail}");
    // Purging again changes nothing.
    let again = app
        .call(
            Method::DELETE,
            &format!("{first}?purge=true"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&pool, "DocumentPurged").await, 1);
    assert_eq!(
        count(&pool, "DocumentDeleted").await,
        1,
        "a live document is deleted first"
    );

    app.call(Method::DELETE, &second, Some(ADMIN), None).await;
    assert_eq!(app.blob_counts().await.0, 1, "the trash keeps the bytes");
    let purged = app
        .call(
            Method::DELETE,
            &format!("{second}?purge=true"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.blob_counts().await.0, 0, "the last reference went");
    let search: i64 = sqlx::query_scalar("SELECT count(*) FROM search_documents")
        .fetch_one(&pool)
        .await
        .unwrap();
    // The search projector is asynchronous: wait for it to drop both.
    let mut left = search;
    for _ in 0..100 {
        left = sqlx::query_scalar("SELECT count(*) FROM search_documents")
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the extracted text goes with the document");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn young_blobs_wait_for_gc_which_asks_the_read_models(pool: PgPool) {
    // The default grace period: a purge leaves a fresh blob to gc.
    let app = spawn_app(pool.clone()).await;
    app.create_project("young").await;
    let path = document(&app, "young", "fresh", 2).await;
    let (blobs, _) = app.blob_counts().await;
    let purged = app
        .call(
            Method::DELETE,
            &format!("{path}?purge=true"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.blob_counts().await.0,
        blobs,
        "younger than the grace period"
    );
    let other = document(&app, "young", "live", 1).await;
    let report = stockage::retention::gc::collect(&pool, &app.blobs, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.removed_blobs, 2);
    assert_eq!(app.blob_counts().await.0, 1);
    assert_eq!(content_status(&app, &other, 1).await, StatusCode::OK);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn two_nodes_applying_at_once_purge_each_revision_once(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("race").await;
    for name in ["a", "b", "c", "d"] {
        document(&app, "race", name, 4).await;
    }
    set_policy(&app, "race", json!({"keep_revisions": 1})).await;
    let (one, two) = (Node::new(&app), Node::new(&app));
    let (first, second) = tokio::join!(one.apply(0), two.apply(0));
    assert_eq!(count(&pool, "RevisionPurged").await, 12);
    assert_eq!(
        first.plan.revisions.len() + second.plan.revisions.len(),
        12,
        "what each node reports is what it recorded"
    );
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT stream_id, payload->'revision' FROM events
         WHERE event_type = 'RevisionPurged' GROUP BY 1, 2 HAVING count(*) > 1) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(duplicates, 0);
    // Under the cluster lock, a second node skips the pass while one runs.
    let lock = one.store.pool().acquire().await.unwrap().detach();
    let mut lock = lock;
    sqlx::query("SELECT pg_advisory_lock(hashtext('stockage:retention'))")
        .execute(&mut lock)
        .await
        .unwrap();
    let skipped = stockage::retention::scheduler::apply_once(two.purger(), super::later(0))
        .await
        .unwrap();
    assert!(skipped.is_none());
    drop(lock);
}
