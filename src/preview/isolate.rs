//! Rendering within a time and memory budget, through the same isolation
//! as text extraction (`crate::isolate`): by default a child process
//! (`stockage preview render`) that lowers its own address-space limit and
//! is killed when its time is up; in-process on the blocking pool for
//! trusted input. One rendering reads and parses the file once and draws
//! every asked size; each size keeps its own time budget (see `draw`), and
//! a size that fails is the failed placeholder.
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use stockage_events::FileKind;

pub use crate::isolate::{Budget, Isolation};
use crate::isolate::{ChildFailure, run_child_answers, write_answer};

use super::{Preview, PreviewError, Size, Status};

/// A status byte and a 512×512 PNG fit easily.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

/// One preview per size of `sizes`, in order.
pub async fn render(
    isolation: &Isolation,
    kind: FileKind,
    bytes: Vec<u8>,
    sizes: &[Size],
    budget: Budget,
) -> Vec<Preview> {
    let (drawn, stopped) = match isolation {
        Isolation::Thread => in_thread(kind, bytes, sizes, budget).await,
        Isolation::Process(program) => in_child(program, kind, bytes, sizes, budget).await,
    };
    let mut previews = drawn;
    if let Some(error) = stopped {
        tracing::warn!(?kind, %error, "preview rendering stopped");
        let left = sizes.iter().skip(previews.len());
        previews.extend(left.map(|size| super::placeholder_for(kind, *size, &error)));
    }
    previews
}

fn over_time(budget: &Budget) -> PreviewError {
    PreviewError::Budget(format!(
        "rendering took longer than its budget of {} s",
        budget.time.as_secs_f64()
    ))
}

/// The previews drawn, and why the others are missing.
type Outcome = (Vec<Preview>, Option<PreviewError>);

async fn in_thread(kind: FileKind, bytes: Vec<u8>, sizes: &[Size], budget: Budget) -> Outcome {
    let deadline = Instant::now() + budget.time;
    let (sender, mut drawn) = tokio::sync::mpsc::unbounded_channel();
    let asked = sizes.to_vec();
    let task = tokio::task::spawn_blocking(move || {
        super::previews(
            kind,
            &bytes,
            &asked,
            deadline,
            budget.time,
            &mut |preview| {
                let _ = sender.send(preview);
            },
        )
    });
    // A little grace past each deadline for a renderer that checks it.
    let grace = budget.time + Duration::from_millis(500);
    let mut previews = Vec::with_capacity(sizes.len());
    while previews.len() < sizes.len() {
        match tokio::time::timeout(grace, drawn.recv()).await {
            Ok(Some(preview)) => previews.push(preview),
            Ok(None) => {
                let why = match task.await {
                    Err(error) => error.to_string(),
                    Ok(()) => "no preview was drawn".into(),
                };
                return (previews, Some(PreviewError::Panicked(why)));
            }
            // The thread is abandoned, not stopped.
            Err(_) => return (previews, Some(over_time(&budget))),
        }
    }
    (previews, None)
}

async fn in_child(
    program: &Path,
    kind: FileKind,
    bytes: Vec<u8>,
    sizes: &[Size],
    budget: Budget,
) -> Outcome {
    let pixels: Vec<String> = sizes.iter().map(|s| s.pixels().to_string()).collect();
    let mut command = tokio::process::Command::new(program);
    command
        .args(["preview", "render", "--type", kind.as_str(), "--size"])
        .arg(pixels.join(","))
        .arg("--memory-bytes")
        .arg(budget.memory_bytes.to_string())
        .arg("--timeout-ms")
        .arg(budget.time.as_millis().to_string());
    let (answers, failure) =
        run_child_answers(command, "renderer", budget, bytes, MAX_OUTPUT, sizes.len()).await;
    let mut previews = Vec::with_capacity(sizes.len());
    for answer in answers {
        let Some(preview) = answer.split_first().and_then(|(first, png)| {
            Status::from_byte(*first).map(|status| Preview {
                status,
                png: png.to_vec(),
            })
        }) else {
            let why = PreviewError::Budget("the renderer's answer was unreadable".into());
            return (previews, Some(why));
        };
        previews.push(preview);
    }
    let stopped = failure.map(|failure| match failure {
        ChildFailure::OverTime => over_time(&budget),
        ChildFailure::Stopped(why) => PreviewError::Budget(why),
    });
    (previews, stopped)
}

/// The child's side: lowers its own address-space limit, reads the file
/// from stdin and answers on stdout with each size's status byte and PNG
/// as soon as it is drawn.
pub fn child_main(
    kind: FileKind,
    sizes: &[Size],
    memory_bytes: u64,
    time: Duration,
) -> std::io::Result<()> {
    rlimit::Resource::AS.set(memory_bytes, memory_bytes)?;
    let deadline = Instant::now() + time;
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    let mut out = std::io::stdout().lock();
    let mut written = Ok(());
    super::previews(kind, &bytes, sizes, deadline, time, &mut |preview| {
        if written.is_ok() {
            written = write_answer(&mut out, &[&[preview.status.as_byte()], &preview.png]);
        }
    });
    written?;
    out.flush()
}
