//! `stockage serve` in a process of its own, for tests that kill it, stop
//! it with a signal, or run several nodes against one database.
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::SECRET;

pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub address: String,
    /// Every line the server wrote to stderr.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts a server on a free port against `database_url`, with blobs
    /// under `data_dir`, and waits until it listens.
    pub async fn start(database_url: &str, data_dir: &std::path::Path) -> Self {
        Self::start_with(database_url, data_dir, &[]).await
    }

    /// The same, with more environment variables for the server.
    pub async fn start_with(
        database_url: &str,
        data_dir: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockage"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("STOCKAGE_BIND", "127.0.0.1:0")
            .env("STOCKAGE_DATA_DIR", data_dir)
            .env("STOCKAGE_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let address = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                log.lock().unwrap().push(line.clone());
                if let Some(rest) = line.strip_prefix("Stockage is serving on ") {
                    return rest.trim_end_matches('/').to_owned();
                }
                // With STOCKAGE_LOG_JSON=1 there is no banner, only the log.
                if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line)
                    && entry["fields"]["message"] == "stockage is listening"
                {
                    let url = entry["fields"]["url"].as_str().unwrap();
                    return url.trim_end_matches('/').to_owned();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server starts within 30 s");
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            address,
            log,
        }
    }

    /// SIGTERM, then waits for the process to exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("the server exits within 20 s of SIGTERM")
            .unwrap()
    }
}
