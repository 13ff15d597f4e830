use super::out::out;
use anyhow::Context;
use stockage_store::EventStore;
use time::OffsetDateTime;

use crate::db;
use crate::retention::plan::{self, Plan};
use crate::retention::purge::Purger;
use crate::retention::scheduler;
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Purge what the projects' retention policies purge now, with bytes.
    Apply {
        /// Only show what would be purged.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
        /// Plan as if it were this moment (RFC 3339), e.g. to preview next month.
        #[arg(long, value_parser = parse_time)]
        at: Option<OffsetDateTime>,
    },
}

fn parse_time(raw: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{raw:?} is not an RFC 3339 time: {e}"))
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let Command::Apply { dry_run, json, at } = command;
    let now = at.unwrap_or_else(OffsetDateTime::now_utc);
    let pool = db::connect(settings.database_url.expose()).await?;
    if dry_run {
        let plan = plan::plan(&pool, now).await?;
        return print(&plan, None, json);
    }
    let store = EventStore::start(pool, stockage_projections::inline_projectors());
    let blobs = BlobStore::open(&settings.storage)?;
    let purger = Purger {
        store: &store,
        blobs: &blobs,
        grace: settings.retention.blob_grace,
    };
    let applied = scheduler::apply_once(purger, now)
        .await?
        .context("another node is applying retention right now; try again in a moment")?;
    print(&applied.plan, Some(&applied), json)
}

fn print(plan: &Plan, applied: Option<&plan::Applied>, json: bool) -> anyhow::Result<()> {
    if json {
        let value = match applied {
            Some(applied) => serde_json::to_value(applied)?,
            None => serde_json::to_value(plan)?,
        };
        out!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let verb = if applied.is_some() {
        "purged"
    } else {
        "would purge"
    };
    for doc in &plan.documents {
        out!(
            "{verb} document {} {:?} of {} ({} revisions, {} bytes): in the trash for more than {} days",
            doc.document,
            doc.title,
            doc.project,
            doc.revisions,
            doc.bytes,
            doc.trash_days
        )?;
    }
    for rev in &plan.revisions {
        out!(
            "{verb} revision {} of document {} of {} ({} bytes)",
            rev.revision,
            rev.document,
            rev.project,
            rev.size
        )?;
    }
    out!(
        "{verb} {} documents and {} revisions: {} bytes, {} bytes no longer stored",
        plan.documents.len(),
        plan.revisions.len(),
        plan.bytes,
        plan.bytes_freed
    )?;
    if let Some(applied) = applied {
        out!(
            "removed {} blobs ({} bytes); {} left to gc (younger than the grace period); {} documents left for the next pass",
            applied.swept.blobs_removed,
            applied.swept.bytes_removed,
            applied.swept.blobs_left_to_gc,
            applied.refused.len()
        )?;
    }
    Ok(())
}
