//! The server under load: a `stockage serve` process this tool starts on a
//! fresh database and data directory, or one already running at a URL.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::migrate::MigrateDatabase;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub url: String,
    /// Known when this tool started the server (or was told it).
    pub pid: Option<u32>,
    child: Option<Child>,
}

impl Server {
    pub fn external(url: &str, pid: Option<u32>) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            pid,
            child: None,
        }
    }

    /// Runs `binary serve` on `database_url` (recreated) with its data in
    /// `data_dir`, and waits until it listens.
    pub async fn start(
        binary: &Path,
        database_url: &str,
        data_dir: &Path,
        secret: &str,
    ) -> anyhow::Result<Self> {
        let _ = sqlx::Postgres::drop_database(database_url).await;
        let mut child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("STOCKAGE_BIND", "127.0.0.1:0")
            .env("STOCKAGE_DATA_DIR", data_dir)
            .env("STOCKAGE_JWT_SECRET", secret)
            .env("STOCKAGE_BLOB_BACKEND", "local")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix("Stockage is serving on ") {
                let url = rest.trim().trim_end_matches('/').to_owned();
                // The server's warnings stay visible on this tool's stderr.
                tokio::spawn(async move {
                    while let Ok(Some(line)) = lines.next_line().await {
                        eprintln!("server: {line}");
                    }
                });
                // Let the idle server settle before its memory is read.
                tokio::time::sleep(Duration::from_millis(300)).await;
                return Ok(Self {
                    url,
                    pid: child.id(),
                    child: Some(child),
                });
            }
            eprintln!("server: {line}");
        }
        bail!("{} exited before listening", binary.display())
    }

    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

/// A bearer token from `binary token`, signed with `secret`.
pub async fn token(binary: &Path, secret: &str, user: &str, admin: bool) -> anyhow::Result<String> {
    let mut command = Command::new(binary);
    command
        .args(["token", "--user", user, "--ttl", "6h"])
        .env("STOCKAGE_JWT_SECRET", secret)
        .env("RUST_LOG", "error");
    if admin {
        command.arg("--admin");
    }
    let output = command
        .output()
        .await
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "stockage token failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// `url` with its database name replaced by `name`; a URL without a user
/// connects as `PGUSER` or else `postgres`, as the server does.
pub fn database_url(url: &str, name: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let base = match base.rsplit_once('/') {
        Some((server, _)) if server.contains("//") && !server.ends_with('/') => server,
        _ => base.trim_end_matches('/'),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let rest = if rest.contains('@') {
        rest.to_owned()
    } else {
        let user = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
        format!("{user}@{rest}")
    };
    format!("{scheme}://{rest}/{name}")
}

/// The `stockage` binary built beside this tool (same target directory
/// and profile).
pub fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("stockage")))
        .unwrap_or_else(|| PathBuf::from("target/release/stockage"))
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_name_is_replaced_and_user_filled_in() {
        assert_eq!(
            database_url("postgres://ann@127.0.0.1:5434/postgres", "x"),
            "postgres://ann@127.0.0.1:5434/x"
        );
        assert_eq!(
            database_url("postgres://ann:pw@db/stockage?sslmode=disable", "y"),
            "postgres://ann:pw@db/y"
        );
        if std::env::var("PGUSER").is_err() {
            assert_eq!(
                database_url("postgres://127.0.0.1:5432/stockage", "z"),
                "postgres://postgres@127.0.0.1:5432/z"
            );
        }
    }
}
