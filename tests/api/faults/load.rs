//! Concurrent writers for the fault tests: each uploads new documents,
//! adds revisions to its own documents and renames them, and records every
//! revision the server acknowledged (2xx) with the SHA-256 it computed of
//! the bytes it sent. Afterwards [`check_acknowledged`] asks a server for
//! each of them.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::Digest;
use tokio::task::JoinHandle;

use crate::helpers::{ADMIN, TestApp, fixture};

/// A revision the server said it stored.
#[derive(Debug, Clone)]
pub struct Acked {
    /// `/api/v1/projects/alpha/documents/<id>`
    pub path: String,
    pub revision: u64,
    pub sha256: String,
}

/// What one writer saw.
#[derive(Debug, Default)]
pub struct Tally {
    pub acked: Vec<Acked>,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, usize>,
    /// Requests that got no answer (connection refused or dropped).
    pub unanswered: usize,
    /// 503s without a `Retry-After`, and 5xx other than 503, with detail.
    pub faults: Vec<String>,
}

impl Tally {
    /// What the run's writers got, on stderr beside the test's output.
    pub fn print(&self) {
        eprintln!(
            "answers by status: {:?}, unanswered: {}, acknowledged: {}",
            self.statuses,
            self.unanswered,
            self.acked.len()
        );
    }
}

pub struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    unavailable: Arc<AtomicUsize>,
    writers: Vec<JoinHandle<Tally>>,
}

impl Load {
    /// `writers` tasks writing to project `alpha` of the server at `app`.
    pub fn start(app: &TestApp, writers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let unavailable = Arc::new(AtomicUsize::new(0));
        let writers = (0..writers)
            .map(|n| {
                let writer = Writer {
                    client: crate::helpers::http_client(),
                    address: app.address.clone(),
                    token: app.token(ADMIN, true),
                    n,
                    acked: acked.clone(),
                    unavailable: unavailable.clone(),
                };
                tokio::spawn(writer.run(stop.clone()))
            })
            .collect();
        Load {
            stop,
            acked,
            unavailable,
            writers,
        }
    }

    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    pub fn unavailable(&self) -> usize {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// Waits (polling) until `condition` holds of this load.
    pub async fn until(&self, what: &str, condition: impl Fn(&Load) -> bool) {
        for _ in 0..1_200 {
            if condition(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "never happened: {what} (acked {}, 503s {})",
            self.acked(),
            self.unavailable()
        );
    }

    /// Stops the writers; their tallies merged.
    pub async fn stop(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut total = Tally::default();
        for writer in self.writers {
            let tally = writer.await.unwrap();
            total.acked.extend(tally.acked);
            for (status, count) in tally.statuses {
                *total.statuses.entry(status).or_default() += count;
            }
            total.unanswered += tally.unanswered;
            total.faults.extend(tally.faults);
        }
        total
    }
}

struct Writer {
    client: reqwest::Client,
    address: String,
    token: String,
    n: usize,
    acked: Arc<AtomicUsize>,
    unavailable: Arc<AtomicUsize>,
}

impl Writer {
    async fn run(self, stop: Arc<AtomicBool>) -> Tally {
        let mut tally = Tally::default();
        // Own documents and the revision each is at.
        let mut mine: Vec<(String, u64)> = Vec::new();
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let bytes = variant(self.n, i);
            let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
            let (request, target) = match (i % 3, mine.len()) {
                (_, 0) | (0, _) => (self.upload(bytes), None),
                (1, len) => {
                    let k = (i as usize / 3) % len;
                    (self.revise(&mine[k].0, bytes), Some(k))
                }
                (_, len) => {
                    let k = (i as usize / 3) % len;
                    (self.rename(&mine[k].0, i), None)
                }
            };
            let response = match request.send().await {
                Ok(response) => response,
                Err(_) => {
                    tally.unanswered += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let status = response.status();
            *tally.statuses.entry(status.as_u16()).or_default() += 1;
            if status == StatusCode::SERVICE_UNAVAILABLE {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                if response.headers().get("retry-after").is_none() {
                    tally.faults.push("503 without Retry-After".into());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            if status.is_server_error() {
                let body = response.text().await.unwrap_or_default();
                tally.faults.push(format!("{status}: {body}"));
                continue;
            }
            let is_content = i % 3 != 2 || mine.is_empty();
            if !status.is_success() || !is_content {
                continue;
            }
            let Ok(body) = response.json::<Value>().await else {
                continue;
            };
            let revision = body["revision"].as_u64().expect("a revision");
            assert_eq!(
                body["sha256"],
                sha256.as_str(),
                "the server hashed what was sent"
            );
            let path = match target {
                Some(k) => {
                    mine[k].1 = revision;
                    mine[k].0.clone()
                }
                None => {
                    let path = format!(
                        "/api/v1/projects/alpha/documents/{}",
                        body["id"].as_str().unwrap()
                    );
                    mine.push((path.clone(), revision));
                    path
                }
            };
            tally.acked.push(Acked {
                path,
                revision,
                sha256,
            });
            self.acked.fetch_add(1, Ordering::Relaxed);
        }
        tally
    }

    fn upload(&self, bytes: Vec<u8>) -> reqwest::RequestBuilder {
        let part = Part::bytes(bytes).file_name(format!("w{}.pdf", self.n));
        self.client
            .post(format!("{}/api/v1/projects/alpha/documents", self.address))
            .bearer_auth(&self.token)
            .multipart(Form::new().part("file", part))
    }

    fn revise(&self, path: &str, bytes: Vec<u8>) -> reqwest::RequestBuilder {
        self.client
            .put(format!("{}{path}/content", self.address))
            .bearer_auth(&self.token)
            .header("X-Filename", format!("w{}.pdf", self.n))
            .body(bytes)
    }

    fn rename(&self, path: &str, i: u64) -> reqwest::RequestBuilder {
        self.client
            .patch(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(&json!({"title": format!("writer {} step {i}", self.n)}))
    }
}

/// A PDF no other writer or step sends.
fn variant(writer: usize, i: u64) -> Vec<u8> {
    let mut bytes = fixture("blueprint.pdf");
    bytes.extend_from_slice(format!("\n% writer {writer} step {i}\n").as_bytes());
    bytes
}

/// Every acknowledged revision is listed by `app` with its SHA-256 and its
/// bytes download with that digest; each document's revisions are 1..=n.
pub async fn check_acknowledged(app: &TestApp, acked: &[Acked]) {
    let mut by_document: BTreeMap<&str, Vec<&Acked>> = BTreeMap::new();
    for ack in acked {
        by_document.entry(&ack.path).or_default().push(ack);
    }
    for (path, acks) in by_document {
        let listed: Value = app
            .get(&format!("{path}/revisions"), ADMIN)
            .await
            .json()
            .await
            .unwrap();
        let listed: BTreeMap<u64, String> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let sha = r["sha256"].as_str().unwrap().to_owned();
                (r["revision"].as_u64().unwrap(), sha)
            })
            .collect();
        let numbers: Vec<u64> = listed.keys().copied().collect();
        assert_eq!(
            numbers,
            (1..=numbers.len() as u64).collect::<Vec<_>>(),
            "{path}: gapless revisions"
        );
        for ack in &acks {
            assert_eq!(
                listed.get(&ack.revision),
                Some(&ack.sha256),
                "{path}: acknowledged revision {} with its sha256",
                ack.revision
            );
        }
        let last = acks.iter().map(|a| a.revision).max().unwrap();
        let download = app
            .get(&format!("{path}/revisions/{last}/content"), ADMIN)
            .await;
        assert_eq!(download.status(), StatusCode::OK, "{path}: revision {last}");
        let bytes = download.bytes().await.unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), listed[&last]);
    }
}

/// The log's positions are 1..=count, with no gap.
pub async fn assert_positions_gapless(pool: &sqlx::PgPool) -> i64 {
    let (count, max): (i64, Option<i64>) =
        sqlx::query_as("SELECT count(*), max(position) FROM events")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(Some(count), max, "positions are gapless");
    count
}

/// `stockage verify --json` against `database_url` reports a sound chain.
pub async fn assert_verify_clean(database_url: &str) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockage"))
        .args(["verify", "--json"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {stdout}"));
    assert_eq!(report["ok"], true, "{report}");
    assert!(output.status.success());
}
