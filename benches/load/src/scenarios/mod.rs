//! The named scenarios and what they share.
mod append;
mod broadcast;
mod fanout;
mod mixed;
mod rebuild;
mod search;
mod search_large;
mod soak;
mod transfer;
mod tus;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use stockage_load::api::Api;
use stockage_load::report::Row;
use stockage_load::server::{self, Server};

use crate::Args;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Append,
    Upload,
    Download,
    Rebuild,
    Mixed,
    /// WebSocket subscribers, with the bare broadcast baseline (no database).
    Fanout,
    Search,
    /// Resumable (tus) uploads in 5 MB PATCHes beside multipart.
    Tus,
    /// The mixed load for `--soak-minutes`, with the server's RSS, open
    /// file descriptors and p99 per interval. Only when named: not part of
    /// the default run or CI.
    Soak,
}

impl Scenario {
    pub fn all() -> Vec<Scenario> {
        use Scenario::*;
        vec![
            Append, Upload, Download, Rebuild, Mixed, Fanout, Search, Tus,
        ]
    }

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Append => "append",
            Scenario::Upload => "upload",
            Scenario::Download => "download",
            Scenario::Rebuild => "rebuild",
            Scenario::Mixed => "mixed",
            Scenario::Fanout => "fanout",
            Scenario::Search => "search",
            Scenario::Tus => "tus",
            Scenario::Soak => "soak",
        }
    }
}

/// Upload and download are measured in one pass (a download needs an upload).
pub fn runs(selected: &[Scenario]) -> Vec<Scenario> {
    let mut runs = Vec::new();
    for s in Scenario::all() {
        let s = if s == Scenario::Download {
            Scenario::Upload
        } else {
            s
        };
        let wanted = selected.contains(&s)
            || (s == Scenario::Upload && selected.contains(&Scenario::Download));
        if wanted && !runs.contains(&s) {
            runs.push(s);
        }
    }
    // The soak is never in `all()`: it runs only when named, last.
    if selected.contains(&Scenario::Soak) {
        runs.push(Scenario::Soak);
    }
    runs
}

/// How long an idle connection is kept for reuse: well under the server's
/// keep-alive (actix-web's default, 5 s), so that a request never goes out
/// on a connection the server is closing at that moment. A phase that
/// follows a baseline's seconds of idleness met exactly that race, as
/// transport errors, when the idle time came to about 5 s.
const IDLE_CONNECTION: Duration = Duration::from_secs(2);

pub async fn run(ctx: &Ctx, scenario: Scenario, selected: &[Scenario]) -> anyhow::Result<Vec<Row>> {
    match scenario {
        Scenario::Append => append::run(ctx).await,
        Scenario::Upload | Scenario::Download => {
            let rows = transfer::run(ctx).await?;
            Ok(rows
                .into_iter()
                .filter(|r| selected.iter().any(|s| s.name() == r.scenario))
                .collect())
        }
        Scenario::Rebuild => rebuild::run(ctx).await,
        Scenario::Search => {
            let mut rows = search::run(ctx).await?;
            rows.append(&mut search_large::run(ctx).await?);
            Ok(rows)
        }
        Scenario::Tus => tus::run(ctx).await,
        Scenario::Mixed => mixed::run(ctx).await,
        Scenario::Soak => soak::run(ctx).await,
        Scenario::Fanout => {
            let (mut rows, bare) = broadcast::run(ctx).await?;
            rows.append(&mut fanout::run(ctx, &bare).await?);
            Ok(rows)
        }
    }
}

/// What every scenario gets: the server, a client as its admin, a pool
/// on its database (the size of the server's, for the raw baselines).
pub struct Ctx {
    pub quick: bool,
    pub seed: u64,
    pub binary: PathBuf,
    pub api: Api,
    pub pool: PgPool,
    pub pid: Option<u32>,
    pub secret: String,
    /// Any database URL on the PostgreSQL server, for databases of our own.
    pub pg_url: String,
    pub pg_version: String,
    /// A directory on the disk the server's data is on (when it was started here).
    pub work: PathBuf,
    pub rebuild_events: usize,
    pub mixed_rate: f64,
    pub search_docs: usize,
    /// Documents of the large search corpus, seeded in SQL (0: none).
    pub search_large_docs: usize,
    pub soak: Duration,
    pub soak_interval: Duration,
    projects: AtomicU64,
}

/// The server's pool size (`stockage::db::connect`).
pub const SERVER_POOL: u32 = 16;

impl Ctx {
    pub async fn new(
        args: &Args,
        binary: PathBuf,
        server: &Server,
        secret: &str,
        app_url: &str,
        work: &Path,
    ) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(SERVER_POOL)
            .acquire_timeout(Duration::from_secs(30))
            .connect(app_url)
            .await
            .context("cannot connect to the server's database")?;
        let pg_version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&pool)
            .await?;
        let token = server::token(&binary, secret, "load-admin", true).await?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(IDLE_CONNECTION)
            .build()?;
        Ok(Self {
            quick: args.quick,
            seed: args.seed,
            api: Api::new(http, &server.url, token),
            pool,
            pid: server.pid,
            secret: secret.to_owned(),
            pg_url: app_url.to_owned(),
            pg_version,
            work: work.to_owned(),
            rebuild_events: args.rebuild_events.unwrap_or(if args.quick {
                10_000
            } else {
                1_000_000
            }),
            mixed_rate: args
                .mixed_rate
                .unwrap_or(if args.quick { 20.0 } else { 100.0 }),
            search_docs: args
                .search_docs
                .unwrap_or(if args.quick { 200 } else { 10_000 }),
            search_large_docs: args.search_large_docs.unwrap_or(if args.quick {
                2_000
            } else {
                100_000
            }),
            soak: Duration::from_secs_f64(
                60.0 * args
                    .soak_minutes
                    .unwrap_or(if args.quick { 1.0 } else { 10.0 }),
            ),
            soak_interval: Duration::from_secs(args.soak_interval.unwrap_or(if args.quick {
                10
            } else {
                30
            })),
            binary,
            projects: AtomicU64::new(0),
        })
    }

    /// A fresh project, owned by the admin; its slug.
    pub async fn project(&self, name: &str) -> anyhow::Result<String> {
        let n = self.projects.fetch_add(1, Ordering::Relaxed);
        let slug = format!("load-{name}-{}-{n}", std::process::id());
        self.api
            .create_project(&slug)
            .await
            .map_err(anyhow::Error::msg)?;
        Ok(slug)
    }

    /// A client for another user of the same server.
    pub async fn user(&self, user: &str) -> anyhow::Result<Api> {
        let token = server::token(&self.binary, &self.secret, user, false).await?;
        Ok(self.api.as_user(token))
    }

    /// How long each timed measurement runs.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(if self.quick { 1.5 } else { 10.0 })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The commit measured (`-dirty` with uncommitted changes).
pub fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty { format!("{head}-dirty") } else { head }
}

/// CPU model and count, memory, PostgreSQL version.
pub fn machine(pg_version: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} × {model}, {mem_gib:.0} GiB, PostgreSQL {pg_version}")
}
