//! Trash, retention policies, legal hold, purges and quotas.
mod audit;
mod hold;
mod policy;
mod purge;
mod quota;
mod reach;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::retention::plan::{self, Applied, Plan};
use stockage::retention::purge::Purger;
use stockage::storage::BlobStore;
use stockage_store::EventStore;
use time::OffsetDateTime;

use crate::helpers::{ADMIN, TestApp, spawn_app_configured};

/// A server whose purges remove bytes at once (no grace period).
pub async fn spawn_without_grace(pool: PgPool) -> TestApp {
    spawn_app_configured(pool, |s| s.retention.blob_grace = Duration::ZERO).await
}

/// A small valid ASCII STL whose bytes depend on `name`.
pub fn stl(name: &str) -> Vec<u8> {
    format!("solid {name}\nfacet normal 0 0 1\nendsolid {name}\n").into_bytes()
}

/// A document in `slug` with `n` revisions of distinct content; its path.
pub async fn document(app: &TestApp, slug: &str, name: &str, n: usize) -> String {
    let response = app
        .upload(
            slug,
            ADMIN,
            &format!("{name}.stl"),
            stl(&format!("{name}-1")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    let path = format!(
        "/api/v1/projects/{slug}/documents/{}",
        doc["id"].as_str().unwrap()
    );
    for i in 2..=n {
        let put = app
            .put_content(&path, ADMIN, stl(&format!("{name}-{i}")), None, None)
            .await;
        assert_eq!(put.status(), StatusCode::CREATED);
    }
    path
}

pub async fn set_policy(app: &TestApp, slug: &str, policy: Value) -> Value {
    let response = app
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{slug}/retention"),
            Some(ADMIN),
            Some(policy),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

pub async fn label(app: &TestApp, path: &str, n: u32, label: &str) {
    let response = app
        .call(
            Method::PATCH,
            &format!("{path}/revisions/{n}"),
            Some(ADMIN),
            Some(json!({ "label": label })),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// The status of revision `n`'s content.
pub async fn content_status(app: &TestApp, path: &str, n: u32) -> StatusCode {
    app.get(&format!("{path}/revisions/{n}/content"), ADMIN)
        .await
        .status()
}

/// Revision numbers of `path` whose bytes are purged, from the history.
pub async fn purged_revisions(app: &TestApp, path: &str) -> Vec<u64> {
    let list: Value = app
        .get(&format!("{path}/revisions"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("purged_at").is_some())
        .map(|r| r["revision"].as_u64().unwrap())
        .collect()
}

/// Another node: its own event store writer on the same database.
pub struct Node {
    pub store: EventStore,
    pub blobs: BlobStore,
}

impl Node {
    pub fn new(app: &TestApp) -> Self {
        Self {
            store: EventStore::start(app.pool.clone(), stockage_projections::inline_projectors()),
            blobs: app.blobs.clone(),
        }
    }

    pub fn purger(&self) -> Purger<'_> {
        Purger {
            store: &self.store,
            blobs: &self.blobs,
            grace: Duration::ZERO,
        }
    }

    pub async fn apply(&self, days_ahead: i64) -> Applied {
        plan::apply(self.purger(), later(days_ahead)).await.unwrap()
    }
}

pub fn later(days: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::days(days)
}

pub async fn plan_at(app: &TestApp, days_ahead: i64) -> Plan {
    plan::plan(&app.pool, later(days_ahead)).await.unwrap()
}

/// Events of `event_type` in the log.
pub async fn count(pool: &PgPool, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(pool)
        .await
        .unwrap()
}
