//! Running untrusted work within a time and memory budget. A hang or a
//! memory blow-up in a thread cannot be stopped from outside it, so by
//! default the work runs in a child process (this program in a child
//! mode) that lowers its own address-space limit and is killed when its
//! time is up. Text extraction and thumbnails go through here.
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, PartialEq)]
pub enum Isolation {
    /// A child process running this program's `index extract`.
    Process(PathBuf),
    /// A blocking thread: no memory bound, and a timed-out thread is
    /// abandoned, not stopped. For tests and benchmarks of trusted input.
    Thread,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub time: Duration,
    pub memory_bytes: u64,
}

/// Why a child produced no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildFailure {
    /// Killed when its time was up.
    OverTime,
    /// It could not start, crashed, or ran out of memory.
    Stopped(String),
}

/// Counts a running child process in `stockage_child_processes{kind}`
/// until dropped, whichever way the run ends.
struct Running(metrics::Gauge);

impl Running {
    fn count(kind: &str) -> Self {
        let gauge = metrics::gauge!("stockage_child_processes", "kind" => kind.to_owned());
        gauge.increment(1.0);
        Running(gauge)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Runs `command` (this program in a child mode, named `what` in
/// messages) with `bytes` on its stdin, and returns what it printed on
/// stdout (at most `max_output` bytes), killing it past `budget.time`.
/// Shared by extraction and preview rendering.
pub async fn run_child(
    mut command: tokio::process::Command,
    what: &str,
    budget: Budget,
    bytes: Vec<u8>,
    max_output: u64,
) -> Result<Vec<u8>, ChildFailure> {
    let mut child = command
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ChildFailure::Stopped(format!("the {what} could not start: {e}")))?;
    let _running = Running::count(what);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let run = async {
        let feed = async {
            // A child that stops reading (it failed early) is not an error here.
            let _ = stdin.write_all(&bytes).await;
            drop(stdin);
        };
        let mut output = Vec::new();
        let mut limited = stdout.take(max_output);
        let (_, read) = tokio::join!(feed, limited.read_to_end(&mut output));
        read.map(|_| output)
    };
    let output = match tokio::time::timeout(budget.time, run).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(ChildFailure::Stopped(format!("reading the {what}: {e}"))),
        Err(_) => {
            let _ = child.kill().await;
            return Err(ChildFailure::OverTime);
        }
    };
    let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) => status,
        _ => {
            let _ = child.kill().await;
            return Err(ChildFailure::OverTime);
        }
    };
    if !status.success() || output.is_empty() {
        return Err(ChildFailure::Stopped(format!(
            "the {what} stopped ({status}): over its memory budget of {} MB or crashed",
            budget.memory_bytes / 1_000_000
        )));
    }
    Ok(output)
}
