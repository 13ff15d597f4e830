//! The server runs as a role that may only read and append to the log
//! (`docs/least-privilege.sql`), which cannot rewrite history even by
//! switching the append-only triggers off.
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, cli, database_url, fixture};
use crate::processes::ServerProcess;

/// `url` with `role` as its user.
fn as_user(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}@{rest}")
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_server_runs_as_a_role_that_may_only_append_to_the_log(pool: PgPool) {
    let role = format!(
        "stockage_rt_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE {role} LOGIN")))
        .execute(&pool)
        .await
        .unwrap();
    let grants = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/least-privilege.sql"
    ))
    .unwrap()
    .replace("stockage_app", &role);
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(&pool)
        .await
        .unwrap();
    let url = as_user(&database_url(&pool).await, &role);

    let dir = std::env::temp_dir().join(format!("stockage-rt-{}", uuid::Uuid::new_v4()));
    let server = ServerProcess::start(&url, &dir).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "vic", "viewer").await;
    let response = app
        .upload("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: serde_json::Value = response.json().await.unwrap();
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        app.indexed("alpha", id).await["index_status"],
        "indexed",
        "the workers run as the role too"
    );
    let path = format!("/api/v1/projects/alpha/documents/{id}");
    let revised = app
        .put_content(&path, ADMIN, fixture("blueprint_v2.pdf"), None, None)
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    assert_eq!(app.get(&path, "vic").await.status(), StatusCode::OK);

    // What the review did as the owner is refused to this role.
    let runtime = PgPool::connect(&url).await.unwrap();
    for attack in [
        "SET session_replication_role = replica",
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "TRUNCATE events",
        "CREATE TABLE public.anything (x int)",
    ] {
        let refused = sqlx::query(sqlx::AssertSqlSafe(attack))
            .execute(&runtime)
            .await
            .expect_err(attack);
        let said = refused.to_string();
        assert!(
            said.contains("permission denied") || said.contains("must be owner"),
            "{attack}: {said}"
        );
    }
    runtime.close().await;
    let verified = cli(&pool, &["verify"]).await.output().await.unwrap();
    assert!(verified.status.success());
    assert!(server.terminate().await.success());

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP OWNED BY {role}; DROP ROLE {role}"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
