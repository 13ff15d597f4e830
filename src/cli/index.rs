use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use stockage_events::FileKind;
use tokio::sync::watch;
use uuid::Uuid;

use super::out::report;
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
        /// Print the outcome as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Set a project's text search configuration (e.g. english, french,
    /// simple); `simple` always applies too.
    Language {
        #[arg(long)]
        project: String,
        language: String,
        /// Print the outcome as one JSON object.
        #[arg(long)]
        json: bool,
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
        Command::Language {
            project,
            language,
            json,
        } => {
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
            let value =
                serde_json::json!({"project": project, "language": language, "documents": changed});
            let sentence = format!(
                "project {project} now searches with {language}; {changed} documents re-weighed"
            );
            report(json, value, sentence)?;
            Ok(())
        }
        Command::Rebuild { project, json } => {
            let id = match &project {
                Some(slug) => Some(project_id(&pool, slug).await?),
                None => None,
            };
            let total = rebuild::mark(&pool, id).await?;
            let blobs = BlobStore::open(&settings.storage)?;
            let (stop, stopped) = watch::channel(false);
            worker::spawn(pool.clone(), blobs, settings.index.clone(), stopped);
            let started = Instant::now();
            let progress = super::progress::bar(total, "documents");
            loop {
                let pending = rebuild::pending(&pool, id).await?;
                progress.set_position(total.saturating_sub(pending as u64));
                if pending == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = stop.send(true);
            progress.finish_and_clear();
            let failed = rebuild::failed(&pool, id).await?;
            let elapsed = started.elapsed();
            let value = serde_json::json!({"documents": total, "failed": failed, "seconds": elapsed.as_secs_f64()});
            let sentence =
                format!("re-extracted {total} documents in {elapsed:.1?} ({failed} failed)");
            report(json, value, sentence)?;
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
