use std::time::Instant;

use anyhow::bail;
use stockage_projections::{inline_projectors, rebuild};

use super::out::report;
use crate::db;
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Replay the log from position 0 into fresh tables, compare them with
    /// the live read models, and with --swap put them in place atomically.
    Rebuild {
        /// Only these projectors (projects, documents, acl, revisions); all by default.
        names: Vec<String>,
        /// Replace the live tables with the rebuilt ones.
        #[arg(long)]
        swap: bool,
        /// Print the outcome as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let Command::Rebuild { names, swap, json } = command;
    let all = inline_projectors();
    let known: Vec<&str> = all.iter().map(|p| p.name()).collect();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        bail!("no projector {unknown:?}; there are: {}", known.join(", "));
    }
    let projectors: Vec<_> = all
        .into_iter()
        .filter(|p| names.is_empty() || names.iter().any(|n| n == p.name()))
        .collect();
    let pool = db::connect(settings.database_url.expose()).await?;
    let schema = format!(
        "rebuild_{}",
        time::OffsetDateTime::now_utc().unix_timestamp()
    );
    let started = Instant::now();
    let progress = super::progress::bar(0, "events");
    let last = rebuild::rebuild(&pool, &projectors, &schema, |done, total| {
        progress.set_length(total.try_into().unwrap_or_default());
        progress.set_position(done.try_into().unwrap_or_default());
    })
    .await;
    progress.finish_and_clear();
    let last = match last {
        Ok(last) => last,
        Err(error) => {
            rebuild::discard(&pool, &schema).await?;
            bail!("rebuild failed: {error}");
        }
    };
    let elapsed = started.elapsed();
    let rate = last as f64 / elapsed.as_secs_f64().max(1e-3);
    let rebuilt =
        format!("rebuilt read models from {last} events in {elapsed:.2?} ({rate:.0} events/s)");
    let mut value = serde_json::json!({
        "events": last,
        "seconds": elapsed.as_secs_f64(),
        "projectors": projectors.iter().map(|p| p.name()).collect::<Vec<_>>(),
    });
    if swap {
        rebuild::swap(&pool, &projectors, &schema, last).await?;
        value["swapped"] = true.into();
        report(
            json,
            value,
            format!("{rebuilt}\nswapped the rebuilt tables in"),
        )?;
        return Ok(());
    }
    let differing = rebuild::differences(&pool, &projectors, &schema).await?;
    rebuild::discard(&pool, &schema).await?;
    value["differing"] = differing.clone().into();
    if differing.is_empty() {
        report(
            json,
            value,
            format!("{rebuilt}\nlive read models match the log"),
        )?;
        Ok(())
    } else {
        if json {
            report(json, value, "")?;
        }
        bail!(
            "live read models differ from the log in: {}",
            differing.join(", ")
        )
    }
}
