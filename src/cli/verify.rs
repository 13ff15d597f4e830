use stockage_events::Hash;

use super::out::out;
use crate::audit::verify;
use crate::db;
use crate::settings::Settings;
use crate::storage::BlobStore;

#[derive(clap::Args)]
pub struct Args {
    /// Start at this position (the chain is picked up from the event before).
    #[arg(long, default_value_t = 1)]
    from: i64,
    /// Also read every referenced blob and check its SHA-256.
    #[arg(long)]
    blobs: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// A head hash recorded earlier (an export prints it): the log must
    /// still hold it, or events were removed from its end.
    #[arg(long, value_parser = super::archive::parse_hash)]
    expect_head: Option<Hash>,
}

/// Exits non-zero, naming the first bad position, when the log is not intact.
pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    let store = if args.blobs {
        Some(BlobStore::open(&settings.storage)?)
    } else {
        None
    };
    let progress = super::progress::spinner("verified up to position");
    let result = verify::verify(&pool, args.from, store.as_ref(), |position| {
        progress.set_position(position.try_into().unwrap_or_default());
    })
    .await;
    progress.finish_and_clear();
    let result = match (result, args.expect_head) {
        (Ok(report), Some(head)) => {
            let mut conn = pool.acquire().await?;
            match stockage_store::log::position_of_hash(&mut conn, &head).await? {
                Some(_) => Ok(report),
                None => Err(verify::Problem::HeadMissing(hex::encode(head))),
            }
        }
        (result, _) => result,
    };
    match result {
        Ok(report) if args.json => out!("{}", serde_json::json!({"ok": true, "report": report}))?,
        Ok(report) => out!(
            "log intact: {} events up to position {}, head hash {}{}",
            report.events,
            report.last_position,
            report.last_hash,
            if args.blobs {
                format!(", {} blobs checked", report.blobs_checked)
            } else {
                String::new()
            }
        )?,
        Err(problem) => {
            if args.json {
                out!(
                    "{}",
                    serde_json::json!({"ok": false, "position": problem.position(), "problem": problem.to_string()})
                )?;
            }
            anyhow::bail!("log verification failed: {problem}");
        }
    }
    Ok(())
}
