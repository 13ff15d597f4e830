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

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let counts: &[usize] = if ctx.quick {
        &[100]
    } else {
        &[100, 1_000, 10_000]
    };
    let messages = if ctx.quick { 5 } else { 20 };
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
    for &subscribers in counts {
        let outcome = broadcast::measure(&url, subscribers, messages, Duration::from_millis(50))
            .await
            .map_err(anyhow::Error::msg)?;
        let latency = outcome.percentiles();
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
    Ok(rows)
}
