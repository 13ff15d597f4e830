//! Comparing within a time and memory budget (see [`crate::isolate`]): by
//! default in a child process, `stockage diff compare`, that lowers its own
//! address-space limit and is killed when its time is up, so a hostile
//! file (a PDF whose pages repeat one stream thousands of times, a huge
//! image) costs the child, never the server. In-process for trusted input.
use std::io::{Read, Write};
use std::path::Path;

use stockage_events::{FileKind, Sha256};

use super::{Comparison, Side};
use crate::isolate::{Budget, ChildFailure, Isolation, run_child};

/// A comparison (its unified diff is capped at 2 MB) or a highlight PNG.
const MAX_OUTPUT: u64 = 256 * 1024 * 1024;

/// What a comparison is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Want {
    /// The structured comparison (JSON).
    Comparison,
    /// The highlight picture of two images of equal size.
    Highlight,
}

impl Want {
    fn as_str(self) -> &'static str {
        match self {
            Want::Comparison => "json",
            Want::Highlight => "png",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "json" => Some(Want::Comparison),
            "png" => Some(Want::Highlight),
            _ => None,
        }
    }
}

/// What came back.
pub enum Outcome {
    Comparison(Comparison),
    /// `None`: not two decodable images of the same size.
    Highlight(Option<Vec<u8>>),
}

fn work(want: Want, before: &Side, after: &Side) -> Outcome {
    match want {
        Want::Comparison => Outcome::Comparison(super::compare(before, after)),
        Want::Highlight => Outcome::Highlight(match (&before.bytes, &after.bytes) {
            (Some(a), Some(b)) => super::pixels::highlight_files(a, b),
            _ => None,
        }),
    }
}

/// Runs `want` on the two sides under `isolation`; the error is a sentence
/// saying why there is no answer.
pub async fn run(
    isolation: &Isolation,
    budget: Budget,
    want: Want,
    before: Side,
    after: Side,
) -> Result<Outcome, String> {
    match isolation {
        Isolation::Thread => super::bounded(budget.time, move || work(want, &before, &after))
            .await
            .map_err(str::to_owned),
        Isolation::Process(program) => in_child(program, budget, want, before, after).await,
    }
}

async fn in_child(
    program: &Path,
    budget: Budget,
    want: Want,
    before: Side,
    after: Side,
) -> Result<Outcome, String> {
    let (Some(a), Some(b)) = (before.bytes, after.bytes) else {
        return Err("the files were not read".into());
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(["diff", "compare", "--format", want.as_str()])
        .arg(format!("--before-type={}", before.kind.as_str()))
        .arg(format!("--before-sha256={}", before.sha256.as_str()))
        .arg(format!("--before-len={}", a.len()))
        .arg(format!("--after-type={}", after.kind.as_str()))
        .arg(format!("--after-sha256={}", after.sha256.as_str()))
        .arg(format!("--memory-bytes={}", budget.memory_bytes))
        // lopdf parses with rayon; one thread keeps the child's footprint small.
        .env("RAYON_NUM_THREADS", "1");
    let mut input = a;
    input.extend_from_slice(&b);
    drop(b);
    let output = run_child(command, "differ", budget, input, MAX_OUTPUT)
        .await
        .map_err(|failure| match failure {
            ChildFailure::OverTime => format!(
                "comparing the files took longer than its budget of {} s and was stopped",
                budget.time.as_secs_f64()
            ),
            ChildFailure::Stopped(why) => format!("the files could not be compared: {why}"),
        })?;
    let unreadable = || "the differ's answer was unreadable".to_owned();
    match want {
        Want::Comparison => serde_json::from_slice(&output)
            .map(Outcome::Comparison)
            .map_err(|_| unreadable()),
        Want::Highlight => match output.split_first() {
            Some((1, png)) => Ok(Outcome::Highlight(Some(png.to_vec()))),
            Some((0, _)) => Ok(Outcome::Highlight(None)),
            _ => Err(unreadable()),
        },
    }
}

/// One side as the child is told it.
pub struct ChildSide {
    pub kind: String,
    pub sha256: String,
}

/// The child's side: lowers its own address-space limit, reads both files
/// from stdin (the first `before_len` bytes are the older one) and prints
/// the comparison as JSON, or a status byte and the highlight PNG.
pub fn child_main(
    want: Want,
    before: ChildSide,
    before_len: usize,
    after: ChildSide,
    memory_bytes: u64,
) -> anyhow::Result<()> {
    rlimit::Resource::AS.set(memory_bytes, memory_bytes)?;
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    anyhow::ensure!(before_len <= bytes.len(), "--before-len is past the input");
    let second = bytes.split_off(before_len);
    let side = |told: ChildSide, bytes: Vec<u8>| -> anyhow::Result<Side> {
        Ok(Side {
            kind: FileKind::parse(&told.kind).map_err(|e| anyhow::anyhow!("{e}"))?,
            sha256: Sha256::parse(&told.sha256).map_err(|e| anyhow::anyhow!("{e}"))?,
            size: bytes.len() as u64,
            bytes: Some(bytes),
        })
    };
    let (before, after) = (side(before, bytes)?, side(after, second)?);
    let mut out = std::io::stdout().lock();
    match work(want, &before, &after) {
        Outcome::Comparison(comparison) => serde_json::to_writer(&mut out, &comparison)?,
        Outcome::Highlight(Some(png)) => {
            out.write_all(&[1])?;
            out.write_all(&png)?;
        }
        Outcome::Highlight(None) => out.write_all(&[0])?,
    }
    out.flush()?;
    Ok(())
}
