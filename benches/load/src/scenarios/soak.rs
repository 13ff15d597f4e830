//! `soak`: the `mixed` load, open loop at `--mixed-rate`, for
//! `--soak-minutes`, cut into intervals of `--soak-interval` seconds. After
//! each interval: the server's resident memory and open file descriptors
//! (from `/proc`, when the tool started the server or got `--server-pid`)
//! and that interval's latency percentiles, one row each, so growth over
//! time shows. Not in the default run and not in CI.
use std::time::Instant;

use stockage_load::drive;
use stockage_load::report::Row;
use stockage_load::rss;

use super::{Ctx, mixed};

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let mix = mixed::prepare(ctx, "soak").await?;
    let rate = ctx.mixed_rate;
    let intervals = (ctx.soak.as_secs_f64() / ctx.soak_interval.as_secs_f64())
        .ceil()
        .max(1.0) as u64;
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut samples: Vec<(f64, usize, f64)> = Vec::new();
    let mut errors = 0;
    for k in 0..intervals {
        // Operation numbers keep counting across intervals: no repeats.
        let offset = k * 1_000_000_000;
        let outcome = drive::open_loop(rate, ctx.soak_interval, |n| {
            let mix = mix.clone();
            async move { mix.op(offset + n).await }
        })
        .await;
        let at = started.elapsed().as_secs();
        let rss_mb = ctx.pid.map(rss::current).unwrap_or(0.0);
        let fds = ctx.pid.and_then(rss::open_fds).unwrap_or(0);
        let p99 = outcome.percentiles().map_or(0.0, |p| p.p99_ms);
        eprintln!(
            "soak {at:>5} s: {:.1} ops/s, RSS {rss_mb:.1} MB, {fds} open fds, p99 {p99:.1} ms, {} errors",
            outcome.rate(),
            outcome.errors
        );
        samples.push((rss_mb, fds, p99));
        errors += outcome.errors;
        rows.push(
            Row::new(
                "soak",
                format!("at {at} s: RSS {rss_mb:.1} MB, {fds} open fds"),
                outcome.rate(),
                "ops/s",
            )
            .against("target rate", rate, "ops/s")
            .latency(outcome.percentiles())
            .errors(outcome.errors)
            .note(outcome.first_error.unwrap_or_default()),
        );
    }
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    let peak_rss = samples.iter().map(|s| s.0).fold(0.0, f64::max);
    let max_fds = samples.iter().map(|s| s.1).max().unwrap_or(0);
    rows.push(
        Row::new(
            "soak",
            "RSS growth, first to last interval",
            last.0 - first.0,
            "MB",
        )
        .target("errors = 0", errors == 0)
        .note(format!(
            "{} s; RSS {:.1} → {:.1} MB (peak {peak_rss:.1}); open fds {} → {} (max {max_fds}); p99 {:.1} → {:.1} ms",
            started.elapsed().as_secs(),
            first.0,
            last.0,
            first.1,
            last.1,
            first.2,
            last.2
        )),
    );
    Ok(rows)
}
