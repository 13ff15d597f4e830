use std::time::Duration;

use crate::db;
use crate::identity::parse_ttl;
use crate::retention::gc;
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Remove unfinished uploads, expired resumable uploads and blobs no
    /// live revision references.
    Gc {
        /// Only objects older than this are removed (e.g. 30m, 1h, 2d).
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        grace: Duration,
        /// Print the outcome as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let Command::Gc { grace, json } = command;
    let pool = db::connect(settings.database_url.expose()).await?;
    let blobs = BlobStore::open(&settings.storage)?;
    let expired = crate::uploads::sweep::sweep(&pool, &blobs).await?;
    let report = gc::collect(&pool, &blobs, grace).await?;
    let value = serde_json::json!({
        "scanned": report.scanned,
        "removed_uploads": report.removed_uploads,
        "removed_blobs": report.removed_blobs,
        "removed_previews": report.removed_previews,
        "kept_young": report.kept_young,
        "grace_seconds": grace.as_secs(),
        "expired_resumable_uploads": expired.expired,
        "forgotten_resumable_uploads": expired.forgotten,
    });
    let sentence = format!(
        "removed {} expired resumable uploads (and {} finished ones' records)\n\
         scanned {} objects: removed {} unfinished uploads, {} unreferenced blobs and {} stale previews; {} younger than {:?} kept",
        expired.expired,
        expired.forgotten,
        report.scanned,
        report.removed_uploads,
        report.removed_blobs,
        report.removed_previews,
        report.kept_young,
        grace
    );
    super::out::report(json, value, sentence)?;
    Ok(())
}
