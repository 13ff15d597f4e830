//! `broadcast`: the fan-out floor of this machine, a bare WebSocket
//! broadcast server (no database, no authentication) in a process of its
//! own, timing each frame from send to arrival at every subscriber.
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use stockage_load::broadcast;
use stockage_load::report::Row;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Ctx;

/// The baseline rows, and each subscriber count's p99 in ms.
pub async fn run(ctx: &Ctx) -> anyhow::Result<(Vec<Row>, Vec<(usize, f64)>)> {
    let counts = super::fanout::counts(ctx);
    let messages = super::fanout::messages(ctx);
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("broadcast-server")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .unwrap_or_default();
    let Some(address) = line.strip_prefix("listening on ") else {
        bail!("the broadcast server said {line:?}");
    };
    let url = format!("ws://{address}/");
    let mut rows = Vec::new();
    let mut p99s = Vec::new();
    for &subscribers in counts {
        let outcome = broadcast::measure(
            &url,
            subscribers,
            messages,
            Duration::from_millis(if subscribers >= 10_000 { 500 } else { 100 }),
        )
        .await
        .map_err(anyhow::Error::msg)?;
        let latency = outcome.percentiles();
        p99s.push((subscribers, latency.map_or(0.0, |l| l.p99_ms)));
        rows.push(
            Row::new(
                "baseline",
                format!("bare WebSocket broadcast, {subscribers} subscribers × {messages} frames"),
                latency.map_or(0.0, |l| l.p99_ms),
                "ms p99",
            )
            .latency(latency)
            .errors(outcome.errors)
            .note(outcome.first_error.unwrap_or_default()),
        );
    }
    let _ = child.kill().await;
    Ok((rows, p99s))
}
