//! Running an extraction within its budget (see [`crate::isolate`]): by
//! default each file is extracted by a child process, `stockage index
//! extract`.
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use stockage_events::FileKind;

use super::{ExtractError, Indexed};
pub use crate::isolate::{Budget, Isolation};
use crate::isolate::{ChildFailure, run_child};

/// The most a child may print: the capped text plus its metadata.
const MAX_OUTPUT: u64 = 8 * 1024 * 1024;

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
        .args(["index", "extract", "--type", kind.as_str()])
        // One argument, so a name like `-rf.pdf` cannot be read as an option.
        .arg(format!("--filename={filename}"))
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
