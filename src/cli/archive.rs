use std::path::PathBuf;

use anyhow::Context;

use stockage_events::Hash;

use super::out::report;
use crate::audit::archive;
use crate::db;
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Where to write the archive.
    #[arg(long)]
    out: PathBuf,
    /// Also include every blob the log references.
    #[arg(long)]
    with_blobs: bool,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The archive to read.
    file: PathBuf,
    /// The head hash the export printed: refuse an archive whose chain
    /// ends elsewhere (events cut off its end).
    #[arg(long, value_parser = parse_hash)]
    expect_head: Option<Hash>,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

/// A chain hash as printed: 64 hex digits.
pub fn parse_hash(raw: &str) -> Result<Hash, String> {
    let bytes = hex::decode(raw.trim()).map_err(|_| format!("{raw:?} is not hexadecimal"))?;
    Hash::try_from(bytes.as_slice()).map_err(|_| format!("{raw:?} is not 64 hex digits"))
}

pub async fn export(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    let blobs = if args.with_blobs {
        Some(BlobStore::open(&settings.storage)?)
    } else {
        None
    };
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let summary = archive::export(&pool, blobs.as_ref(), std::io::BufWriter::new(file)).await?;
    let value = serde_json::json!({
        "events": summary.events,
        "blobs": summary.blobs,
        "file": args.out.display().to_string(),
        "end_hash": summary.end_hash.to_string(),
    });
    let sentence = format!(
        "exported {} events and {} blobs to {}; chain ends at {}\n\
         keep that hash apart from the file: `stockage import FILE --expect-head HASH` \
         and `stockage verify --expect-head HASH` check a copy against it",
        summary.events,
        summary.blobs,
        args.out.display(),
        summary.end_hash
    );
    report(args.json, value, sentence)?;
    Ok(())
}

pub async fn import(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    let blobs = BlobStore::open(&settings.storage)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let reader = std::io::BufReader::new(file);
    let summary = archive::import_to(&pool, Some(&blobs), reader, args.expect_head)
        .await
        .with_context(|| {
            format!(
                "importing {} failed; nothing was imported",
                args.file.display()
            )
        })?;
    let value = serde_json::json!({
        "events": summary.events,
        "blobs": summary.blobs,
        "end_hash": summary.end_hash.to_string(),
    });
    let sentence = format!(
        "imported {} events and {} blobs; chain verified up to {}",
        summary.events, summary.blobs, summary.end_hash
    );
    report(args.json, value, sentence)?;
    Ok(())
}
