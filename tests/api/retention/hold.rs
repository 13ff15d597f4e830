//! Legal hold: set by an owner, it stops every purge, whoever asks.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage_events::{EventMeta, PurgeRule, UserId};

use super::{Node, count, document, plan_at, set_policy};
use crate::helpers::{ADMIN, assert_problem};

async fn hold(app: &crate::helpers::TestApp, user: &str, on: bool) -> reqwest::Response {
    app.call(
        Method::PUT,
        "/api/v1/projects/held/hold",
        Some(user),
        Some(json!({"on": on, "reason": "Dispute 2026-114"})),
    )
    .await
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_hold_blocks_every_purge(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("held").await;
    app.set_member("held", ADMIN, "ada", "admin").await;
    let path = document(&app, "held", "beam", 3).await;
    let binned = document(&app, "held", "binned", 1).await;
    app.call(Method::DELETE, &binned, Some(ADMIN), None).await;
    set_policy(&app, "held", json!({"keep_revisions": 1, "trash_days": 1})).await;
    assert_eq!(plan_at(&app, 2).await.revisions.len(), 2);

    // Admins set policies; only owners set the hold.
    assert_problem(hold(&app, "ada", true).await, StatusCode::FORBIDDEN).await;
    let held: Value = hold(&app, ADMIN, true).await.json().await.unwrap();
    assert_eq!(
        (held["hold"].clone(), held["hold_reason"].clone()),
        (json!(true), json!("Dispute 2026-114"))
    );
    assert!(held["hold_since"].is_string());

    // The policy plans nothing, purge-now is refused...
    assert_eq!(plan_at(&app, 2).await, Default::default());
    let purge = app
        .call(
            Method::DELETE,
            &format!("{binned}?purge=true"),
            Some("ada"),
            None,
        )
        .await;
    let detail = assert_problem(purge, StatusCode::CONFLICT).await;
    assert!(
        detail.contains("legal hold") && detail.contains("Dispute 2026-114"),
        "{detail}"
    );
    // ...and so is a purge sent straight to the store, from any node:
    // the append itself is refused.
    let node = Node::new(&app);
    let (project, id) = ids(&pool, &path).await;
    let meta = EventMeta {
        actor: UserId::parse("ada").unwrap(),
        correlation_id: uuid::Uuid::now_v7(),
        causation_id: None,
    };
    let refused = node
        .purger()
        .revisions(project, id, vec![1], PurgeRule::Manual, meta.clone())
        .await;
    assert!(
        matches!(refused, Err(stockage::error::Error::Conflict(_))),
        "{refused:?}"
    );
    let refused = node
        .purger()
        .document(project, id, PurgeRule::Manual, meta)
        .await;
    assert!(refused.is_err());
    assert_eq!(node.apply(2).await.plan, Default::default());
    assert_eq!(
        count(&pool, "RevisionPurged").await + count(&pool, "DocumentPurged").await,
        0
    );
    assert_eq!(super::content_status(&app, &path, 1).await, StatusCode::OK);

    // Lifted, the policy applies again.
    let lifted: Value = hold(&app, ADMIN, false).await.json().await.unwrap();
    assert_eq!(
        (lifted["hold"].clone(), lifted["hold_reason"].clone()),
        (json!(false), Value::Null)
    );
    let applied = node.apply(2).await;
    assert_eq!(
        (applied.plan.documents.len(), applied.plan.revisions.len()),
        (1, 2)
    );
}

async fn ids(pool: &PgPool, path: &str) -> (uuid::Uuid, uuid::Uuid) {
    let id: uuid::Uuid = path.rsplit('/').next().unwrap().parse().unwrap();
    let project = sqlx::query_scalar("SELECT project_id FROM project_resources WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    (project, id)
}
