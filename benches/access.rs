//! What the ACL check costs a `GET .../documents/{id}`: the access gate
//! (membership, document and ACL in one query, then `effective`) against
//! the same lookups without the ACL (membership, then the document row),
//! beside the whole HTTP request, all in one run.
//!
//! `cargo bench --bench access`; needs PostgreSQL (`DATABASE_URL`).
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::migrate::MigrateDatabase;
use stockage::documents::{projects, queries as documents};
use stockage::env::Secret;
use stockage::identity::Keys;
use stockage::permissions::gate::{self as access, Need};
use stockage::permissions::{AclEntry, effective};
use stockage::settings::Settings;
use stockage::startup::Application;
use stockage_events::{Permission, Principal, Role, UserId};
use tokio::runtime::Runtime;

const SECRET: &str = "bench-secret";

struct Fixture {
    pool: sqlx::PgPool,
    address: String,
    token: String,
    document: String,
}

async fn fixture() -> Fixture {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!(
        "{}/stockage_bench_access",
        server.rsplit_once('/').unwrap().0
    );
    let _ = sqlx::Postgres::drop_database(&url).await;
    let pool = stockage::db::connect(&url).await.unwrap();
    let mut settings = Settings::with_defaults(
        std::env::temp_dir().join(format!("stockage-bench-access-{}", std::process::id())),
        SECRET,
        env!("CARGO_BIN_EXE_stockage").into(),
    );
    settings.database_url = Secret::new(url);
    let app = Application::build_with_pool(settings, pool.clone())
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let token = Keys::new(&Secret::new(SECRET.into())).issue(
        &UserId::parse("olga").unwrap(),
        None,
        true,
        Duration::from_secs(3600),
    );
    let client = reqwest::Client::new();
    let post = |path: &str| client.post(format!("{address}{path}")).bearer_auth(&token);
    post("/api/v1/projects")
        .json(&serde_json::json!({"slug": "bench", "title": "Bench"}))
        .send()
        .await
        .unwrap();
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 bench".to_vec()).file_name("a.pdf");
    let doc: serde_json::Value = post("/api/v1/projects/bench/documents")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let document = doc["id"].as_str().unwrap().to_owned();
    // A realistic ACL: a handful of entries, none about the caller.
    let entries: Vec<_> = ["user:a", "user:b", "user:c", "role:viewer", "role:editor"]
        .iter()
        .map(|p| serde_json::json!({"principal": p, "permission": "read"}))
        .collect();
    client
        .put(format!(
            "{address}/api/v1/projects/bench/documents/{document}/acl"
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "entries": entries }))
        .send()
        .await
        .unwrap();
    Fixture {
        pool,
        address,
        token,
        document,
    }
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let f = rt.block_on(fixture());
    let user = UserId::parse("olga").unwrap();
    let id: uuid::Uuid = f.document.parse().unwrap();
    let client = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/projects/bench/documents/{}",
        f.address, f.document
    );

    let mut group = c.benchmark_group("get_document");
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("http_request", |b| {
        b.to_async(&rt).iter(|| async {
            let response = client.get(&url).bearer_auth(&f.token).send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap()
        })
    });
    group.bench_function("gate_with_acl", |b| {
        b.to_async(&rt).iter(|| async {
            access::document(&f.pool, "bench", &f.document, &user, Need::Read, "bench")
                .await
                .unwrap()
                .permission
        })
    });
    group.bench_function("lookups_without_acl", |b| {
        b.to_async(&rt).iter(|| async {
            let membership = projects::membership(&f.pool, "bench", &user).await.unwrap();
            (
                membership.role,
                documents::get(&f.pool, id).await.unwrap().revision,
            )
        })
    });
    group.finish();

    let acl: Vec<AclEntry> = ["user:a", "user:b", "user:c", "role:viewer", "role:editor"]
        .iter()
        .map(|p| AclEntry {
            principal: Principal::parse(p).unwrap(),
            permission: Permission::Read,
        })
        .collect();
    c.bench_function("permissions/effective_5_entries", |b| {
        b.iter(|| {
            effective(
                std::hint::black_box(&user),
                Some(Role::Editor),
                std::hint::black_box(&acl),
            )
        })
    });
}

criterion_group!(access_benches, benches);
criterion_main!(access_benches);
