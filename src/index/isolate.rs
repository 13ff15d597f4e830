//! Running an extraction within its budget. A hang or a memory blow-up in
//! a thread cannot be stopped from outside it, so by default each file is
//! extracted by a child process (`stockage index extract`) that lowers its
//! own address-space limit and is killed when its time is up.
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use stockage_events::FileKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ExtractError, Indexed};

/// The most a child may print: the capped text plus its metadata.
const MAX_OUTPUT: u64 = 8 * 1024 * 1024;

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

fn over_time(budget: &Budget) -> ExtractError {
    ExtractError::Budget(format!(
        "extraction took longer than its budget of {} s",
        budget.time.as_secs_f64()
    ))
}

/// Extracts `bytes` as `kind` under `isolation`, within `budget`.
pub async fn extract(
    isolation: &Isolation,
    budget: Budget,
    kind: FileKind,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Indexed, ExtractError> {
    match isolation {
        Isolation::Thread => {
            let filename = filename.to_owned();
            let work = move || super::index(kind, &filename, &bytes);
            let task = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(AssertUnwindSafe(work))
            });
            match tokio::time::timeout(budget.time, task).await {
                Ok(Ok(Ok(result))) => result,
                Ok(_) => Err(ExtractError::Panicked(
                    "the extraction thread failed".into(),
                )),
                Err(_) => Err(over_time(&budget)),
            }
        }
        Isolation::Process(program) => in_child(program, budget, kind, filename, bytes).await,
    }
}

async fn in_child(
    program: &PathBuf,
    budget: Budget,
    kind: FileKind,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Indexed, ExtractError> {
    let mut command = tokio::process::Command::new(program);
    command
        .args([
            "index",
            "extract",
            "--type",
            kind.as_str(),
            "--filename",
            filename,
        ])
        .arg("--memory-bytes")
        .arg(budget.memory_bytes.to_string())
        // lopdf parses with rayon; one thread keeps the child's footprint small.
        .env("RAYON_NUM_THREADS", "1");
    let output = run_child(command, "extractor", budget, bytes, MAX_OUTPUT)
        .await
        .map_err(|failure| match failure {
            ChildFailure::OverTime => over_time(&budget),
            ChildFailure::Stopped(why) => ExtractError::Budget(why),
        })?;
    serde_json::from_slice::<Result<Indexed, ExtractError>>(&output)
        .map_err(|e| ExtractError::Budget(format!("the extractor's answer was unreadable: {e}")))?
}

/// Why a child produced no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildFailure {
    /// Killed when its time was up.
    OverTime,
    /// It could not start, crashed, or ran out of memory.
    Stopped(String),
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

/// The child's side: lowers its own address-space limit, reads the file
/// from stdin and prints the outcome as JSON on stdout.
pub fn child_main(kind: FileKind, filename: &str, memory_bytes: u64) -> std::io::Result<()> {
    rlimit::Resource::AS.set(memory_bytes, memory_bytes)?;
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    let outcome = super::index(kind, filename, &bytes);
    let json = serde_json::to_vec(&outcome).map_err(std::io::Error::other)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&json)?;
    out.flush()
}
