use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use stockage_events::FileKind;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db;
use crate::search::index::{isolate, rebuild, worker};
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Extract every document again (or one project's), with a progress
    /// bar; search keeps answering from the old content meanwhile.
    Rebuild {
        /// Only this project.
        #[arg(long)]
        project: Option<String>,
    },
    /// Set a project's text search configuration (e.g. english, french,
    /// simple); `simple` always applies too.
    Language {
        #[arg(long)]
        project: String,
        language: String,
    },
    /// Extract one file read from stdin and print the outcome as JSON
    /// (what the server runs in a child process, within a memory limit).
    #[command(hide = true)]
    Extract {
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        filename: String,
        #[arg(long)]
        memory_bytes: u64,
    },
}

/// `index extract` needs no settings, database or logging.
pub fn extract(kind: &str, filename: &str, memory_bytes: u64) -> anyhow::Result<()> {
    let kind = FileKind::parse(kind).map_err(|e| anyhow::anyhow!("{e}"))?;
    isolate::child_main(kind, filename, memory_bytes).context("extracting")
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    match command {
        Command::Extract { .. } => unreachable!("handled before the settings are read"),
        Command::Language { project, language } => {
            let id = project_id(&pool, &project).await?;
            let valid: Option<String> =
                sqlx::query_scalar("SELECT cfgname::text FROM pg_ts_config WHERE cfgname = $1")
                    .bind(&language)
                    .fetch_optional(&pool)
                    .await?;
            if valid.is_none() {
                bail!("{language:?} is not a text search configuration of this database");
            }
            let changed = rebuild::set_language(&pool, id, &language).await?;
            println!(
                "project {project} now searches with {language}; {} documents re-weighed",
                changed
            );
            Ok(())
        }
        Command::Rebuild { project } => {
            let id = match &project {
                Some(slug) => Some(project_id(&pool, slug).await?),
                None => None,
            };
            let total = rebuild::mark(&pool, id).await?;
            let blobs = BlobStore::open(&settings.storage)?;
            let (stop, stopped) = watch::channel(false);
            worker::spawn(pool.clone(), blobs, settings.index.clone(), stopped);
            let started = Instant::now();
            loop {
                let pending = rebuild::pending(&pool, id).await?;
                let done = total.saturating_sub(pending as u64);
                progress(done, total, started.elapsed());
                if pending == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = stop.send(true);
            eprintln!();
            let failed = rebuild::failed(&pool, id).await?;
            println!(
                "re-extracted {total} documents in {:.1?} ({failed} failed)",
                started.elapsed()
            );
            Ok(())
        }
    }
}

async fn project_id(pool: &sqlx::PgPool, slug: &str) -> anyhow::Result<Uuid> {
    sqlx::query_scalar("SELECT id FROM projects WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await?
        .with_context(|| format!("no project {slug:?}"))
}

fn progress(done: u64, total: u64, elapsed: Duration) {
    const WIDTH: u64 = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '#' } else { '-' })
        .collect();
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    eprint!("\r[{bar}] {done}/{total} documents ({rate:.0}/s)");
    let _ = std::io::stderr().flush();
}
