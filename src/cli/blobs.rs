use std::time::Duration;

use crate::db;
use crate::identity::parse_ttl;
use crate::retention::gc;
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Remove unfinished uploads and blobs no live revision references.
    Gc {
        /// Only objects older than this are removed (e.g. 30m, 1h, 2d).
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        grace: Duration,
    },
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let Command::Gc { grace } = command;
    let pool = db::connect(settings.database_url.expose()).await?;
    let blobs = BlobStore::open(&settings.storage)?;
    let report = gc::collect(&pool, &blobs, grace).await?;
    println!(
        "scanned {} objects: removed {} unfinished uploads, {} unreferenced blobs and {} stale previews; {} younger than {:?} kept",
        report.scanned,
        report.removed_uploads,
        report.removed_blobs,
        report.removed_previews,
        report.kept_young,
        grace
    );
    Ok(())
}
