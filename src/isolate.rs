//! Running untrusted work within a time and memory budget. A hang or a
//! memory blow-up in a thread cannot be stopped from outside it, so by
//! default the work runs in a child process (this program in a child
//! mode) that lowers its own address-space limit and is killed when its
//! time is up. Text extraction and thumbnails go through here.
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

mod answers;
pub use answers::{run_child_answers, write_answer};

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
    let mut child = spawn(&mut command, what)?;
    let _running = Running::count(what);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let run = async {
        let feed = async {
            // A child that stops reading (it failed early) is not an error here.
            let _ = stdin.write_all(&bytes).await;
            drop(stdin);
        };
        let (mut output, mut said) = (Vec::new(), Vec::new());
        let mut limited = stdout.take(max_output);
        let mut complaint = stderr.take(MAX_STDERR);
        let (_, read, _) = tokio::join!(
            feed,
            limited.read_to_end(&mut output),
            complaint.read_to_end(&mut said)
        );
        read.map(|_| (output, said))
    };
    let (output, said) = match tokio::time::timeout(budget.time, run).await {
        Ok(Ok(read)) => read,
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
        return Err(ChildFailure::Stopped(why_stopped(
            what,
            &status,
            &String::from_utf8_lossy(&said),
            budget.memory_bytes,
        )));
    }
    Ok(output)
}

fn spawn(command: &mut tokio::process::Command, what: &str) -> Result<Child, ChildFailure> {
    command
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ChildFailure::Stopped(format!("the {what} could not start: {e}")))
}

/// What a child wrote on stderr is kept up to this many bytes, to say why
/// it stopped.
const MAX_STDERR: u64 = 4096;

/// A truthful reason for a child that gave no answer: the allocator's own
/// message when memory ran out, else the exit status and the first line the
/// child wrote (a panic, a refused argument).
fn why_stopped(
    what: &str,
    status: &std::process::ExitStatus,
    said: &str,
    memory_bytes: u64,
) -> String {
    let mb = memory_bytes / 1_000_000;
    if said.contains("memory allocation of") {
        return format!("the {what} ran out of its memory budget of {mb} MB");
    }
    let first = said
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    let shown: String = first
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    match (status.success(), shown.is_empty()) {
        (true, _) => format!("the {what} gave no answer"),
        (false, true) => {
            format!("the {what} stopped ({status}) without saying why (memory budget {mb} MB)")
        }
        (false, false) => format!("the {what} stopped ({status}): {shown} (memory budget {mb} MB)"),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn reasons_say_what_the_child_said() {
        let abort = std::process::ExitStatus::from_raw(6);
        let oom = why_stopped(
            "differ",
            &abort,
            "memory allocation of 4000000000 bytes failed\n",
            512_000_000,
        );
        assert_eq!(oom, "the differ ran out of its memory budget of 512 MB");
        let refused = why_stopped(
            "extractor",
            &std::process::ExitStatus::from_raw(2 << 8),
            "error: unexpected argument '-x' found\n\nUsage: ...",
            512_000_000,
        );
        assert!(
            refused.contains("unexpected argument '-x'") && !refused.contains("ran out"),
            "{refused}"
        );
    }
}
