//! Usage and quotas: an upload past the quota answers 507 and stores nothing.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{document, stl};
use crate::helpers::{ADMIN, assert_problem, spawn_app_configured};
use crate::tus::{header, pdf};

async fn usage(app: &crate::helpers::TestApp) -> Value {
    app.get("/api/v1/projects/full/usage", ADMIN)
        .await
        .json()
        .await
        .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_upload_past_the_quota_gets_507_and_stores_nothing(pool: PgPool) {
    // The default quota from the environment, in bytes here.
    let app = spawn_app_configured(pool.clone(), |s| {
        s.retention.default_quota_bytes = Some(300);
    })
    .await;
    app.create_project("full").await;
    app.set_member("full", ADMIN, "ada", "admin").await;
    let path = document(&app, "full", "small", 2).await;
    let first = usage(&app).await;
    let size = stl("small-1").len() as i64;
    assert_eq!(
        first,
        json!({"documents": 1, "documents_in_trash": 0, "revisions": 2,
               "bytes_logical": 2 * size, "bytes_stored": 2 * size, "quota_bytes": 300})
    );
    // A restore adds a revision of the same bytes: logical, not stored.
    app.call(
        Method::POST,
        &format!("{path}/revisions/1/restore"),
        Some(ADMIN),
        None,
    )
    .await;
    let restored = usage(&app).await;
    assert_eq!(restored["bytes_logical"], 3 * size);
    assert_eq!(restored["bytes_stored"], 2 * size);

    let (blobs, uploads) = app.blob_counts().await;
    let events = app.event_count().await;
    let big = stl(&"x".repeat(300));
    let refused = app.upload("full", ADMIN, "big.stl", big.clone()).await;
    let detail = assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
    assert!(detail.contains("quota"), "{detail}");
    let refused = app.put_content(&path, ADMIN, big, None, None).await;
    assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
    assert_eq!(app.blob_counts().await, (blobs, uploads), "nothing stored");
    assert_eq!(app.event_count().await, events, "nothing recorded");

    // Owners raise the quota (in MB); admins may not.
    let patch = |user: &'static str, body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PATCH,
                "/api/v1/projects/full",
                Some(user),
                Some(body),
            )
            .await
        }
    };
    assert_problem(
        patch("ada", json!({"quota_mb": 1})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        patch(ADMIN, json!({"quota_mb": -1})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        patch(ADMIN, json!({"title": "x"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        patch(ADMIN, json!({"quota_mb": 1})).await.status(),
        StatusCode::OK
    );
    assert_eq!(usage(&app).await["quota_bytes"], 1_000_000);
    let fits = app
        .upload("full", ADMIN, "big.stl", stl(&"x".repeat(300)))
        .await;
    assert_eq!(fits.status(), StatusCode::CREATED);
    // Back to the default.
    assert_eq!(
        patch(ADMIN, json!({"quota_mb": null})).await.status(),
        StatusCode::OK
    );
    assert_eq!(usage(&app).await["quota_bytes"], 300);
    let retention: Value = app
        .get("/api/v1/projects/full/retention", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(retention["quota_mb"], Value::Null);
}

/// Eight uploads of 300 bytes at once into 1,000 bytes of quota: each fits
/// alone, three fit together. Exactly three are kept; the others answer
/// 507 and leave no blob, no staged bytes and no event.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn racing_multipart_uploads_never_pass_the_quota_together(pool: PgPool) {
    let app = spawn_app_configured(pool.clone(), |s| {
        s.retention.default_quota_bytes = Some(1_000);
    })
    .await;
    app.create_project("full").await;
    let (blobs, others) = app.blob_counts().await;
    let events = app.event_count().await;
    let racers = (0..8).map(|i| {
        let app = &app;
        async move {
            app.upload("full", ADMIN, &format!("r{i}.pdf"), pdf(300, i))
                .await
        }
    });
    let responses = futures_util::future::join_all(racers).await;
    let mut kept = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => kept += 1,
            _ => {
                let detail = assert_problem(response, StatusCode::INSUFFICIENT_STORAGE).await;
                assert!(detail.contains("quota"), "{detail}");
            }
        }
    }
    assert_eq!(kept, 3, "three uploads of 300 bytes fit in 1,000");
    let used = usage(&app).await;
    assert_eq!(used["bytes_logical"], 900);
    assert_eq!(used["documents"], 3);
    assert_eq!(
        app.blob_counts().await,
        (blobs + 3, others),
        "losers store nothing"
    );
    assert_eq!(
        app.event_count().await - events,
        3,
        "one event per kept upload"
    );
    assert_eq!(reserved(&pool).await, 0, "every reservation given back");
}

/// Resumable and multipart uploads racing for the same room: a resumable
/// upload holds its declared length from its creation, so of four of each
/// three get the room in all, the others 507 before storing a byte, and
/// the resumable winners complete.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn racing_resumable_and_multipart_uploads_share_the_quota(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("stockage-quota-{}", uuid::Uuid::new_v4()));
    let app = crate::helpers::spawn_app_in(pool.clone(), &dir).await;
    app.create_project("full").await;
    let quota = app
        .call(
            Method::PATCH,
            "/api/v1/projects/full",
            Some(ADMIN),
            Some(json!({"quota_mb": 1})),
        )
        .await;
    assert_eq!(quota.status(), StatusCode::OK);
    let size = 300_000;
    let (blobs, others) = app.blob_counts().await;
    let tus = (0..4u64).map(|i| {
        let app = &app;
        async move {
            let name = format!("t{i}.pdf");
            let pairs = [("project", "full"), ("filename", name.as_str())];
            app.tus_create(ADMIN, size as u64, &pairs).await
        }
    });
    let multipart = (4..8u64).map(|i| {
        let app = &app;
        async move {
            app.upload("full", ADMIN, &format!("m{i}.pdf"), pdf(size, i))
                .await
        }
    });
    let (created, uploaded) = tokio::join!(
        futures_util::future::join_all(tus),
        futures_util::future::join_all(multipart)
    );
    let mut started = Vec::new();
    for response in created {
        match response.status() {
            StatusCode::CREATED => started.push(header(&response, "Location").unwrap()),
            _ => {
                assert_problem(response, StatusCode::INSUFFICIENT_STORAGE).await;
            }
        }
    }
    let mut kept = 0;
    for response in uploaded {
        match response.status() {
            StatusCode::CREATED => kept += 1,
            _ => {
                assert_problem(response, StatusCode::INSUFFICIENT_STORAGE).await;
            }
        }
    }
    assert_eq!(
        started.len() + kept,
        3,
        "three of 300,000 bytes fit in 10^6"
    );
    assert_eq!(
        app.tus_files(&dir),
        started.len(),
        "refused creations store nothing"
    );
    for (i, path) in started.iter().enumerate() {
        let done = app
            .tus_patch(ADMIN, path, 0, pdf(size, 100 + i as u64), None)
            .await;
        assert_eq!(done.status(), StatusCode::NO_CONTENT, "a winner completes");
    }
    let used = usage(&app).await;
    assert_eq!(used["bytes_logical"], 3 * size as i64);
    assert_eq!(used["documents"], 3);
    assert_eq!(app.blob_counts().await, (blobs + 3, others));
    assert_eq!(reserved(&pool).await, 0, "every reservation given back");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes still held for uploads on their way in.
async fn reserved(pool: &PgPool) -> i64 {
    // Given back after the response on a failed path: let it land.
    for _ in 0..50 {
        let held: i64 =
            sqlx::query_scalar("SELECT coalesce(sum(bytes), 0)::bigint FROM quota_reservations")
                .fetch_one(pool)
                .await
                .unwrap();
        if held == 0 {
            return 0;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    sqlx::query_scalar("SELECT coalesce(sum(bytes), 0)::bigint FROM quota_reservations")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Without a quota a reservation is one statement that holds nothing;
/// room this id held under a quota since removed is given back; with a
/// quota the locked path holds the bytes and refuses what does not fit.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn without_a_quota_nothing_is_held_and_earlier_room_is_given_back(pool: PgPool) {
    use stockage::retention::quota::Quota;
    let app = spawn_app_configured(pool.clone(), |_| {}).await;
    app.create_project("open").await;
    let project: uuid::Uuid = sqlx::query_scalar("SELECT id FROM projects WHERE slug = 'open'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let quota = Quota::default();
    let until = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let id = uuid::Uuid::now_v7();

    assert_eq!(quota.room(&pool, project).await.unwrap(), None);
    quota
        .reserve(&pool, project, id, 10, until)
        .await
        .unwrap()
        .keep();
    assert_eq!(reserved(&pool).await, 0, "no quota: nothing held");

    // Under a quota of 1 MB the same id holds its bytes, and more is refused.
    set_quota_mb(&pool, project, Some(1)).await;
    quota
        .reserve(&pool, project, id, 400_000, until)
        .await
        .unwrap()
        .keep();
    assert_eq!(quota.room(&pool, project).await.unwrap(), Some(600_000));
    let other = uuid::Uuid::now_v7();
    assert!(
        quota
            .reserve(&pool, project, other, 700_000, until)
            .await
            .is_err()
    );

    // The quota goes: taking the room again holds nothing, and drops the row.
    set_quota_mb(&pool, project, None).await;
    quota
        .reserve(&pool, project, id, 400_000, until)
        .await
        .unwrap()
        .keep();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM quota_reservations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(quota.room(&pool, project).await.unwrap(), None);
}

async fn set_quota_mb(pool: &PgPool, project: uuid::Uuid, mb: Option<i64>) {
    sqlx::query(
        "INSERT INTO project_retention (project_id, quota_mb) VALUES ($1, $2)
         ON CONFLICT (project_id) DO UPDATE SET quota_mb = excluded.quota_mb",
    )
    .bind(project)
    .bind(mb)
    .execute(pool)
    .await
    .unwrap();
}
