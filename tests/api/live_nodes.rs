//! Real time across processes: several nodes on one database, a server
//! shutting down, and a database restarting under connected clients.
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, database_url, fixture};
use crate::processes::ServerProcess;
use crate::subscriber::positions;

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("stockage-{name}-{}", uuid::Uuid::new_v4()))
}

/// `name` with one byte changed per `i`, so every upload is new content.
fn variant(name: &str, i: u8) -> Vec<u8> {
    let mut bytes = fixture(name);
    bytes.extend_from_slice(format!("\n% variant {i}\n").as_bytes());
    bytes
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_subscriber_on_one_node_sees_every_upload_made_through_another(pool: PgPool) {
    let url = database_url(&pool).await;
    let node_a = ServerProcess::start(&url, &temp_dir("node-a")).await;
    let node_b = ServerProcess::start(&url, &temp_dir("node-b")).await;
    let a = TestApp::attach(pool.clone(), node_a.address.clone());
    let b = TestApp::attach(pool.clone(), node_b.address.clone());
    a.create_project("alpha").await;
    let history = a.get("/api/v1/projects/alpha/events", ADMIN).await;
    let history: Value = history.json().await.unwrap();
    let mut subscriber = b.subscribe("alpha", ADMIN, Some(0)).await;
    let caught_up = subscriber
        .events(history["items"].as_array().unwrap().len())
        .await;

    let mut ids = Vec::new();
    for i in 0..10 {
        let response = a
            .upload("alpha", ADMIN, "blueprint.pdf", variant("blueprint.pdf", i))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let live = subscriber.events(10).await;
    let seen: Vec<&str> = live
        .iter()
        .map(|e| e["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ids, "every upload, in order");
    assert!(live.iter().all(|e| e["event"] == "document.added"));
    let last = *positions(&caught_up).last().unwrap();
    assert_eq!(
        positions(&live),
        ((last + 1)..=(last + 10)).collect::<Vec<_>>()
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_server_stopping_closes_its_websockets_with_a_close_frame(pool: PgPool) {
    let url = database_url(&pool).await;
    let server = ServerProcess::start(&url, &temp_dir("stop")).await;
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let mut subscriber = app.subscribe("alpha", ADMIN, None).await;
    let status = server.terminate().await;
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    assert!(
        subscriber
            .next_frame(Duration::from_secs(5))
            .await
            .is_none()
    );
    let close = subscriber.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 1001, "going away");
}

/// A PostgreSQL cluster of the test's own, so restarting it disturbs no
/// other test. Made with the machine's `initdb` as the `postgres` user.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn bin(tool: &str) -> PathBuf {
        let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
        let mut versions: Vec<PathBuf> = versions.flatten().map(|e| e.path()).collect();
        versions.sort();
        versions.last().unwrap().join("bin").join(tool)
    }

    fn as_postgres(tool: &str, args: &[&str]) {
        let status = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Self::bin(tool))
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{tool} {args:?} failed");
    }

    fn start() -> Self {
        let dir = temp_dir("pg");
        std::fs::create_dir_all(&dir).unwrap();
        let chown = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(chown.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.join("data");
        Self::as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        let cluster = Self { dir, port };
        cluster.ctl("start");
        cluster
    }

    fn ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        Self::as_postgres(
            "pg_ctl",
            &[
                action,
                "-w",
                "-m",
                "fast",
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
            ],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/stockage", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.ctl("stop");
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Retries a request the database restart may refuse for a moment.
async fn upload_eventually(app: &TestApp, bytes: Vec<u8>) -> String {
    for _ in 0..50 {
        let response = app
            .upload("alpha", ADMIN, "blueprint.pdf", bytes.clone())
            .await;
        if response.status() == StatusCode::CREATED {
            let body: Value = response.json().await.unwrap();
            return body["id"].as_str().unwrap().to_owned();
        }
        assert!(response.status().is_server_error(), "{}", response.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("uploads never recovered after the restart");
}

#[tokio::test]
async fn subscribers_get_every_event_committed_after_the_database_restarts() {
    let cluster = Cluster::start();
    let server = ServerProcess::start(&cluster.url(), &temp_dir("restart")).await;
    let pool = PgPool::connect(&cluster.url()).await.unwrap();
    let app = TestApp::attach(pool.clone(), server.address.clone());
    app.create_project("alpha").await;
    let first = upload_eventually(&app, variant("blueprint.pdf", 0)).await;
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        subscribers.push(app.subscribe("alpha", ADMIN, Some(0)).await);
    }

    cluster.ctl("restart");
    let mut ids = vec![first];
    for i in 1..8 {
        ids.push(upload_eventually(&app, variant("blueprint.pdf", i)).await);
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    for mut subscriber in subscribers {
        let events = subscriber.events(count as usize).await;
        assert_eq!(positions(&events), (1..=count).collect::<Vec<_>>());
        let added: Vec<&str> = events
            .iter()
            .filter(|e| e["event"] == "document.added")
            .map(|e| e["document_id"].as_str().unwrap())
            .collect();
        assert_eq!(added, ids);
    }
    pool.close().await;
    drop(server);
}
