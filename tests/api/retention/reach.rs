//! Purged content stays gone whichever way it is asked for: a share link
//! pinned to a purged revision, and resumable uploads to a purged document.
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use super::{Node, count, document, set_policy, stl};
use crate::helpers::{ADMIN, assert_problem};
use crate::shares::{created, public, url};
use crate::tus::pdf;

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_link_to_a_purged_revision_serves_nothing(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("links").await;
    let path = document(&app, "links", "deck", 2).await;
    let pinned = url(&created(&app, &path, ADMIN, json!({"revision": 1})).await);
    let latest = url(&created(&app, &path, ADMIN, json!({})).await);
    // Revision 3 restores revision 1: the same bytes, one blob, still live.
    let restore = app
        .call(
            Method::POST,
            &format!("{path}/revisions/1/restore"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(restore.status(), StatusCode::CREATED);
    assert_eq!(
        public(&app, &pinned, "/content", None).await.status(),
        StatusCode::OK
    );
    let downloads = count(&pool, "ShareDownloaded").await;

    set_policy(&app, "links", json!({"keep_revisions": 1})).await;
    let applied = Node::new(&app).apply(0).await;
    assert_eq!(applied.plan.revisions.len(), 2, "revisions 1 and 2");
    assert_eq!(applied.swept.blobs_removed, 1, "revision 2's bytes only");

    // The pinned link cannot serve, though its bytes are still stored
    // for revision 3: the same answer as any link that cannot (0040).
    let unknown = format!("/s/{}", "A".repeat(43));
    for suffix in ["", "/content"] {
        let gone = public(&app, &pinned, suffix, None).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{suffix}");
        let nothing = public(&app, &unknown, suffix, None).await;
        assert_eq!(
            gone.bytes().await.unwrap(),
            nothing.bytes().await.unwrap(),
            "{suffix}"
        );
    }
    assert_eq!(
        count(&pool, "ShareDownloaded").await,
        downloads,
        "no download recorded"
    );
    // A link of the latest revision still serves it.
    let served = public(&app, &latest, "/content", None).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().to_vec(), stl("deck-1"));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn resumable_uploads_to_a_purged_document_answer_410(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("tus").await;
    let doc = app.upload("tus", ADMIN, "plan.pdf", pdf(1_000, 1)).await;
    assert_eq!(doc.status(), StatusCode::CREATED);
    let doc: serde_json::Value = doc.json().await.unwrap();
    let id = doc["id"].as_str().unwrap().to_owned();
    let pairs = [
        ("project", "tus"),
        ("filename", "plan.pdf"),
        ("document", id.as_str()),
    ];
    // Started while the document was live, finished after its purge.
    let started = app.tus_start(ADMIN, 2_000, &pairs).await;
    let purge = app
        .call(
            Method::DELETE,
            &format!("/api/v1/projects/tus/documents/{id}?purge=true"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(purge.status(), StatusCode::NO_CONTENT);
    let events = app.event_count().await;
    let late = app.tus_patch(ADMIN, &started, 0, pdf(2_000, 2), None).await;
    let detail = assert_problem(late, StatusCode::GONE).await;
    assert!(
        detail.contains("purged") && detail.contains("a project admin purged it"),
        "{detail}"
    );
    assert_eq!(app.event_count().await, events, "no revision");
    assert_eq!(
        app.tus_head(ADMIN, &started).await.status(),
        StatusCode::NOT_FOUND,
        "the upload ended"
    );
    // A new one is refused at creation, saying why.
    let refused = app.tus_create(ADMIN, 2_000, &pairs).await;
    let detail = assert_problem(refused, StatusCode::GONE).await;
    assert!(detail.contains("purged"), "{detail}");
}
