use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::env::Secret;
use stockage::identity::Keys;
use stockage::settings::Settings;
use stockage::startup::Application;
use stockage::storage::BlobBackend;
use stockage::storage::BlobStore;
use stockage_events::UserId;

mod documents;
pub use documents::fixture;

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub keys: Keys,
    pub client: reqwest::Client,
    pub blobs: BlobStore,
}

/// Where a test's blobs go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Local,
    /// The SeaweedFS server `scripts/test` starts, under a key prefix of
    /// the test's own.
    S3,
}

impl Backend {
    fn settings(self) -> BlobBackend {
        match self {
            Backend::Local => BlobBackend::Local,
            Backend::S3 => {
                let need = |name: &str| {
                    std::env::var(name).unwrap_or_else(|_| {
                        panic!("{name} is not set: run the tests with scripts/test, which starts the S3 server")
                    })
                };
                BlobBackend::S3 {
                    endpoint: Some(need("STOCKAGE_TEST_S3_ENDPOINT")),
                    bucket: need("STOCKAGE_TEST_S3_BUCKET"),
                    region: "us-east-1".into(),
                    prefix: format!("test-{}", uuid::Uuid::new_v4()),
                }
            }
        }
    }
}

/// A client that drops a connection idle for 2 s, under the server's 5 s
/// keep-alive: a test that waits about 5 s before its next request must not
/// send it on a connection the server is closing at that moment.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("a client with an idle timeout builds")
}

pub const ADMIN: &str = "olga";
pub const SECRET: &str = "test-secret-test-secret-test-secret";

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, Backend::Local).await
}

/// Settings for a test server on port 0 with blobs under `data_dir`.
pub fn settings(data_dir: std::path::PathBuf, backend: Backend) -> Settings {
    let mut settings =
        Settings::with_defaults(data_dir, SECRET, env!("CARGO_BIN_EXE_stockage").into());
    settings.database_url = Secret::new(String::new());
    settings.storage.backend = backend.settings();
    settings.index = test_index_config();
    settings.previews = test_preview_config();
    settings
}

/// Previews as a server has them: rendered in child processes.
pub fn test_preview_config() -> stockage::preview::PreviewConfig {
    stockage::preview::PreviewConfig {
        isolation: stockage::search::index::isolate::Isolation::Process(
            env!("CARGO_BIN_EXE_stockage").into(),
        ),
        ..Default::default()
    }
}

/// Indexing as a server has it, polling often so tests need not wait.
pub fn test_index_config() -> stockage::search::index::IndexConfig {
    let mut config =
        stockage::search::index::IndexConfig::new(env!("CARGO_BIN_EXE_stockage").into());
    config.poll = Duration::from_millis(50);
    config
}

/// A local blob store under `data_dir`, as a server there would have it.
pub fn local_blobs(data_dir: &std::path::Path) -> BlobStore {
    BlobStore::open(&settings(data_dir.to_owned(), Backend::Local).storage)
        .expect("the blob store opens")
}

/// A server whose local blobs live under `data_dir`.
pub async fn spawn_app_in(pool: PgPool, data_dir: &std::path::Path) -> TestApp {
    spawn(pool, Backend::Local, data_dir.to_owned()).await
}

pub async fn spawn_app_with(pool: PgPool, backend: Backend) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("stockage-test-{}", uuid::Uuid::new_v4()));
    spawn(pool, backend, data_dir).await
}

/// A server with local blobs and settings changed by `configure`.
pub async fn spawn_app_configured(pool: PgPool, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_configured_on(pool, Backend::Local, configure).await
}

/// A server on `backend` with settings changed by `configure`.
pub async fn spawn_app_configured_on(
    pool: PgPool,
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("stockage-test-{}", uuid::Uuid::new_v4()));
    let mut settings = settings(data_dir, backend);
    configure(&mut settings);
    spawn_with(pool, settings).await
}

/// A server on `backend` whose local data lives under `data_dir`.
pub async fn spawn_app_at(pool: PgPool, backend: Backend, data_dir: &std::path::Path) -> TestApp {
    spawn(pool, backend, data_dir.to_owned()).await
}

async fn spawn(pool: PgPool, backend: Backend, data_dir: std::path::PathBuf) -> TestApp {
    spawn_with(pool, settings(data_dir, backend)).await
}

async fn spawn_with(pool: PgPool, settings: Settings) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        stockage::telemetry::init_logging(false);
    }
    let blobs = BlobStore::open(&settings.storage).expect("the blob store opens");
    let keys = Keys::for_config(&settings.auth).expect("the test secret is set");
    let app = Application::build_with_pool(settings, pool.clone())
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        pool,
        keys,
        client: http_client(),
        blobs,
    }
}

impl TestApp {
    /// A client for a server started elsewhere (e.g. in its own process).
    pub fn attach(pool: PgPool, address: String) -> TestApp {
        TestApp {
            address,
            pool,
            keys: Keys::new(&Secret::new(SECRET.into())),
            client: http_client(),
            blobs: BlobStore::in_memory(),
        }
    }

    /// A valid token for `user`; `admin` may create projects.
    pub fn token(&self, user: &str, admin: bool) -> String {
        self.keys.issue(
            &UserId::parse(user).unwrap(),
            None,
            admin,
            Duration::from_secs(600),
        )
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(user) = user {
            request = request.bearer_auth(self.token(user, user == ADMIN));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    pub async fn get(&self, path: &str, user: &str) -> Response {
        self.call(Method::GET, path, Some(user), None).await
    }

    /// Creates a project as [`ADMIN`], who becomes its owner.
    pub async fn create_project(&self, slug: &str) -> Value {
        let response = self
            .call(
                Method::POST,
                "/api/v1/projects",
                Some(ADMIN),
                Some(json!({"slug": slug, "title": format!("Project {slug}")})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn remove_member(&self, slug: &str, by: &str, user: &str) -> Response {
        let path = format!("/api/v1/projects/{slug}/members/{user}");
        self.call(Method::DELETE, &path, Some(by), None).await
    }

    pub async fn set_member(&self, slug: &str, by: &str, user: &str, role: &str) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/projects/{slug}/members/{user}"),
            Some(by),
            Some(json!({ "role": role })),
        )
        .await
    }
}

/// Asserts the status and that the body is a problem+json document with a
/// human-readable detail; returns the detail.
pub async fn assert_problem(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    let detail = body["detail"].as_str().expect("a detail").to_owned();
    assert!(!detail.is_empty());
    detail
}

impl TestApp {
    /// Uploads `bytes` as `filename` to project `slug` as `user`.
    pub async fn upload(&self, slug: &str, user: &str, filename: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.client
            .post(format!("{}/api/v1/projects/{slug}/documents", self.address))
            .bearer_auth(self.token(user, user == ADMIN))
            .multipart(form)
            .send()
            .await
            .expect("the upload is sent")
    }

    /// Uploads like [`TestApp::upload`], expects 201, and returns the new
    /// document.
    pub async fn uploaded(&self, slug: &str, user: &str, filename: &str, bytes: Vec<u8>) -> Value {
        let response = self.upload(slug, user, filename, bytes).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "upload of {filename}"
        );
        response.json().await.unwrap()
    }

    /// A new revision of `doc` (a document path) as a raw body, by `user`;
    /// `filename` goes in `X-Filename`, `if_match` in `If-Match`.
    pub async fn put_content(
        &self,
        doc: &str,
        user: &str,
        bytes: Vec<u8>,
        filename: Option<&str>,
        if_match: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .put(format!("{}{doc}/content", self.address))
            .bearer_auth(self.token(user, user == ADMIN))
            .body(bytes);
        if let Some(name) = filename {
            request = request.header("X-Filename", name);
        }
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("the request is sent")
    }

    /// Objects in the blob store: (content-addressed blobs, unfinished uploads).
    pub async fn blob_counts(&self) -> (usize, usize) {
        let listed = self.blobs.list().await.unwrap();
        let blobs = listed
            .iter()
            .filter(|o| matches!(o.what, stockage::storage::Stored::Blob { .. }))
            .count();
        let previews = listed
            .iter()
            .filter(|o| matches!(o.what, stockage::storage::Stored::Preview { .. }))
            .count();
        (blobs, listed.len() - blobs - previews)
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The URL of the test's own database, for server and CLI processes.
pub async fn database_url(pool: &PgPool) -> String {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").unwrap();
    format!("{}/{database}", base.rsplit_once('/').unwrap().0)
}

/// A `stockage` command against the test's database.
pub async fn cli(pool: &PgPool, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockage"));
    command
        .args(args)
        .env("DATABASE_URL", database_url(pool).await)
        .env("STOCKAGE_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    command
}
