use std::io::Write;
use std::time::Instant;

use anyhow::bail;
use stockage_projections::{inline_projectors, rebuild};

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
    },
}

pub async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let Command::Rebuild { names, swap } = command;
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
    let last = rebuild::rebuild(&pool, &projectors, &schema, |done, total| {
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        eprint!("\rreplayed {done}/{total} events ({rate:.0} events/s)");
        let _ = std::io::stderr().flush();
    })
    .await;
    eprintln!();
    let last = match last {
        Ok(last) => last,
        Err(error) => {
            rebuild::discard(&pool, &schema).await?;
            bail!("rebuild failed: {error}");
        }
    };
    let rate = last as f64 / started.elapsed().as_secs_f64().max(1e-3);
    println!(
        "rebuilt read models from {last} events in {:.2?} ({rate:.0} events/s)",
        started.elapsed()
    );
    if swap {
        rebuild::swap(&pool, &projectors, &schema, last).await?;
        println!("swapped the rebuilt tables in");
        return Ok(());
    }
    let differing = rebuild::differences(&pool, &projectors, &schema).await?;
    rebuild::discard(&pool, &schema).await?;
    if differing.is_empty() {
        println!("live read models match the log");
        Ok(())
    } else {
        bail!(
            "live read models differ from the log in: {}",
            differing.join(", ")
        )
    }
}
