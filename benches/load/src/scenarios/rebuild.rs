//! `rebuild`: events/s of `stockage projections rebuild --swap` replaying
//! a generated log (1,000,000 events by default) in a database of its own,
//! beside a raw sequential scan of the same `events` table.
use anyhow::{Context, bail};
use sqlx::migrate::MigrateDatabase;
use stockage_load::report::Row;
use stockage_load::{generate, raw, server};

use super::Ctx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let url = server::database_url(&ctx.pg_url, "stockage_load_rebuild");
    let _ = sqlx::Postgres::drop_database(&url).await;
    sqlx::Postgres::create_database(&url).await?;
    let result = measure(ctx, &url).await;
    let _ = sqlx::Postgres::drop_database(&url).await;
    result
}

async fn measure(ctx: &Ctx, url: &str) -> anyhow::Result<Vec<Row>> {
    let total = ctx.rebuild_events;
    let pool = sqlx::PgPool::connect(url).await?;
    MIGRATOR.run(&pool).await?;
    let started = std::time::Instant::now();
    generate::fill(&pool, total, ctx.seed).await?;
    eprintln!("generated {total} events in {:.1?}", started.elapsed());
    sqlx::query("VACUUM ANALYZE events").execute(&pool).await?;
    let (scanned, scan_rate) = raw::scan_rate(&pool, "events").await?;
    pool.close().await;
    if scanned as usize != total {
        bail!("scanned {scanned} events, generated {total}");
    }
    let output = tokio::process::Command::new(&ctx.binary)
        .args(["projections", "rebuild", "--swap"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .context("cannot run stockage projections rebuild")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "projections rebuild failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let rate = events_per_second(&stdout).with_context(|| format!("no rate in {stdout:?}"))?;
    Ok(vec![
        Row::new(
            "rebuild",
            format!(
                "{} events, all read models",
                stockage_load::report::number(total as f64)
            ),
            rate,
            "events/s",
        )
        .against("raw sequential scan", scan_rate, "rows/s")
        .target_ratio(true, 0.5),
    ])
}

/// The rate from "rebuilt read models from N events in T (R events/s)".
fn events_per_second(stdout: &str) -> Option<f64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("rebuilt read models"))?;
    let (_, rest) = line.rsplit_once('(')?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_rate() {
        let out = "rebuilt read models from 10 events in 1.2s (8 events/s)\nswapped the rebuilt tables in\n";
        assert_eq!(super::events_per_second(out), Some(8.0));
        assert_eq!(super::events_per_second("nothing"), None);
    }
}
