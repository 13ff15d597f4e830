//! `stockage verify`: an intact log passes; one altered payload byte, one
//! deleted row, two swapped rows, a missing or altered blob are each found
//! and named by position.
use serde_json::json;
use sqlx::PgPool;
use stockage::audit::verify::{Problem, verify};
use stockage_events::ChainError;

use crate::helpers::{ADMIN, TestApp, cli, fixture, spawn_app};

/// Positions: 1 ProjectCreated, 2 MemberAdded (owner), 3..5 MemberAdded,
/// 6 DocumentAdded.
async fn history(app: &TestApp) {
    app.create_project("alpha").await;
    for user in ["ann", "bob", "cy"] {
        app.set_member("alpha", ADMIN, user, "viewer").await;
    }
    app.upload("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
}

/// Runs SQL as the superuser with the append-only triggers off.
async fn tamper(pool: &PgPool, statements: &[&str]) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn first_problem(app: &TestApp) -> Problem {
    verify(&app.pool, 1, Some(&app.blobs), |_| {})
        .await
        .expect_err("verification must fail")
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_intact_log_verifies_with_its_blobs(pool: PgPool) {
    let app = spawn_app(pool).await;
    history(&app).await;
    let report = verify(&app.pool, 1, Some(&app.blobs), |_| {})
        .await
        .unwrap();
    assert_eq!(
        (report.events, report.last_position, report.blobs_checked),
        (6, 6, 1)
    );
    let from_middle = verify(&app.pool, 4, None, |_| {}).await.unwrap();
    assert_eq!(
        (from_middle.events, from_middle.last_hash),
        (3, report.last_hash)
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn one_altered_payload_byte_is_named(pool: PgPool) {
    let app = spawn_app(pool).await;
    history(&app).await;
    tamper(&app.pool, &["UPDATE events SET payload = jsonb_set(payload, '{role}', '\"owner\"') WHERE position = 3"]).await;
    let problem = first_problem(&app).await;
    assert!(
        matches!(problem, Problem::Chain(ChainError::BadHash { position: 3 })),
        "{problem}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_deleted_row_is_named_and_the_cli_exits_non_zero(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    history(&app).await;
    tamper(&app.pool, &["DELETE FROM events WHERE position = 4"]).await;
    let problem = first_problem(&app).await;
    assert!(
        matches!(
            problem,
            Problem::Chain(ChainError::Gap {
                position: 5,
                expected: 4
            })
        ),
        "{problem}"
    );

    let output = cli(&pool, &["verify", "--json"])
        .await
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (answer["ok"].clone(), answer["position"].clone()),
        (json!(false), json!(5))
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn two_swapped_rows_are_named(pool: PgPool) {
    let app = spawn_app(pool).await;
    history(&app).await;
    tamper(
        &app.pool,
        &[
            "UPDATE events SET position = 1000000 WHERE position = 3",
            "UPDATE events SET position = 3 WHERE position = 4",
            "UPDATE events SET position = 4 WHERE position = 1000000",
        ],
    )
    .await;
    let problem = first_problem(&app).await;
    assert!(
        matches!(
            problem,
            Problem::Chain(ChainError::BrokenLink { position: 3 })
        ),
        "{problem}"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_missing_or_altered_blob_is_named(pool: PgPool) {
    let app = spawn_app(pool).await;
    history(&app).await;
    let listed = app.blobs.list().await.unwrap();
    let stockage::storage::Stored::Blob { key, sha256 } = &listed[0].what else {
        panic!("expected the uploaded blob")
    };
    assert!(verify(&app.pool, 1, Some(&app.blobs), |_| {}).await.is_ok());

    app.blobs.delete_key(key).await.unwrap();
    let problem = first_problem(&app).await;
    assert!(
        matches!(&problem, Problem::MissingBlob { position: 6, sha256: s } if s == sha256),
        "{problem}"
    );

    // Other bytes under the same address.
    let other = app
        .upload("alpha", ADMIN, "other.png", fixture("photo_v2.png"))
        .await;
    assert!(other.status().is_success());
    let listed = app.blobs.list().await.unwrap();
    let stockage::storage::Stored::Blob { key: other_key, .. } = &listed[0].what else {
        panic!()
    };
    let data = app.blobs.local_dir().expect("the local backend");
    std::fs::create_dir_all(data.join(key).parent().unwrap()).unwrap();
    std::fs::copy(data.join(other_key), data.join(key)).unwrap();
    let problem = first_problem(&app).await;
    assert!(
        matches!(&problem, Problem::BlobMismatch { position: 6, .. }),
        "{problem}"
    );
}
