//! Rendering within a time and memory budget, through the same isolation
//! as text extraction (`crate::isolate`): by default a child process
//! (`stockage preview render`) that lowers its own address-space limit and
//! is killed when its time is up; in-process on the blocking pool for
//! trusted input. Either way a failure is the failed placeholder.
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use stockage_events::FileKind;

pub use crate::isolate::{Budget, Isolation};
use crate::isolate::{ChildFailure, run_child};

use super::{Preview, PreviewError, Size, Status};

/// A status byte and a 512×512 PNG fit easily.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

pub async fn render(
    isolation: &Isolation,
    kind: FileKind,
    bytes: Vec<u8>,
    size: Size,
    budget: Budget,
) -> Preview {
    let outcome = match isolation {
        Isolation::Thread => in_thread(kind, bytes, size, budget).await,
        Isolation::Process(program) => in_child(program, kind, bytes, size, budget).await,
    };
    outcome.unwrap_or_else(|error| {
        tracing::warn!(?kind, %error, "preview rendering stopped");
        super::placeholder_for(kind, size, &error)
    })
}

fn over_time(budget: &Budget) -> PreviewError {
    PreviewError::Budget(format!(
        "rendering took longer than its budget of {} s",
        budget.time.as_secs_f64()
    ))
}

async fn in_thread(
    kind: FileKind,
    bytes: Vec<u8>,
    size: Size,
    budget: Budget,
) -> Result<Preview, PreviewError> {
    let deadline = Instant::now() + budget.time;
    let task = tokio::task::spawn_blocking(move || super::preview(kind, &bytes, size, deadline));
    // A little grace past the deadline for a renderer that checks it.
    match tokio::time::timeout(budget.time + Duration::from_millis(500), task).await {
        Ok(Ok(preview)) => Ok(preview),
        Ok(Err(error)) => Err(PreviewError::Panicked(error.to_string())),
        Err(_) => Err(over_time(&budget)),
    }
}

async fn in_child(
    program: &Path,
    kind: FileKind,
    bytes: Vec<u8>,
    size: Size,
    budget: Budget,
) -> Result<Preview, PreviewError> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(["preview", "render", "--type", kind.as_str(), "--size"])
        .arg(size.pixels().to_string())
        .arg("--memory-bytes")
        .arg(budget.memory_bytes.to_string())
        .arg("--timeout-ms")
        .arg(budget.time.as_millis().to_string());
    let output = run_child(command, "renderer", budget, bytes, MAX_OUTPUT)
        .await
        .map_err(|failure| match failure {
            ChildFailure::OverTime => over_time(&budget),
            ChildFailure::Stopped(why) => PreviewError::Budget(why),
        })?;
    output
        .split_first()
        .and_then(|(first, png)| {
            Status::from_byte(*first).map(|status| Preview {
                status,
                png: png.to_vec(),
            })
        })
        .ok_or_else(|| PreviewError::Budget("the renderer's answer was unreadable".into()))
}

/// The child's side: lowers its own address-space limit, reads the file
/// from stdin and prints the status byte and the PNG on stdout.
pub fn child_main(
    kind: FileKind,
    size: Size,
    memory_bytes: u64,
    time: Duration,
) -> std::io::Result<()> {
    rlimit::Resource::AS.set(memory_bytes, memory_bytes)?;
    let deadline = Instant::now() + time;
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    let preview = super::preview(kind, &bytes, size, deadline);
    let mut out = std::io::stdout().lock();
    out.write_all(&[preview.status.as_byte()])?;
    out.write_all(&preview.png)?;
    out.flush()
}
