//! Diffs between two revisions: a structured metadata diff for every type,
//! a unified text diff (imara-diff, Histogram) for text-like content, a
//! pixel summary for images of equal size. Bounded in input and time, and
//! cached by the pair of content addresses.
mod config;
mod differ;
mod inspect;
pub mod isolate;
pub mod pixels;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use imara_diff::{Algorithm, BasicLineDiffPrinter, Diff, InternedInput, UnifiedDiffConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stockage_events::{FileKind, Sha256};

pub use config::DiffConfig;
pub use differ::Differ;
pub use inspect::{Metadata, metadata, text};
use pixels::PixelChange;

/// Files larger than this are compared by size and hash only.
pub const MAX_INSPECT_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many lines of each side are lined up.
pub const MAX_LINES: usize = 200_000;
/// A unified diff longer than this is cut.
pub const MAX_UNIFIED_BYTES: usize = 2 * 1024 * 1024;

/// One side of a diff.
pub struct Side {
    pub kind: FileKind,
    pub sha256: Sha256,
    pub size: u64,
    /// The bytes, when small enough to inspect.
    pub bytes: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub field: String,
    #[schema(value_type = Object)]
    pub before: Value,
    #[schema(value_type = Object)]
    pub after: Value,
}

/// The comparison of two revisions, independent of which revisions they
/// are (so it can be cached by content).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    /// `text` (unified diff available), `image` or `binary`.
    pub kind: String,
    pub summary: String,
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_added: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_removed: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<PixelChange>,
    /// What was left out to keep the diff bounded, if anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
}

pub fn compare(before: &Side, after: &Side) -> Comparison {
    let mut changes = Vec::new();
    let mut limits = Vec::new();
    let mut field = |name: &str, a: Value, b: Value| {
        if a != b {
            changes.push(Change {
                field: name.to_owned(),
                before: a,
                after: b,
            });
        }
    };
    field("size", before.size.into(), after.size.into());
    field(
        "sha256",
        before.sha256.as_str().into(),
        after.sha256.as_str().into(),
    );
    let (Some(a), Some(b)) = (&before.bytes, &after.bytes) else {
        limits.push(format!(
            "files over {MAX_INSPECT_BYTES} bytes are compared by size and hash only"
        ));
        return finish("binary", changes, None, None, limits);
    };
    let (meta_a, meta_b) = (metadata(before.kind, a), metadata(after.kind, b));
    let keys: std::collections::BTreeSet<&String> = meta_a.keys().chain(meta_b.keys()).collect();
    for key in keys {
        let get = |m: &Metadata| m.get(key).cloned().unwrap_or(Value::Null);
        field(key, get(&meta_a), get(&meta_b));
    }
    if matches!(after.kind, FileKind::Png | FileKind::Jpg) {
        return finish(
            "image",
            changes,
            None,
            image_change(a, b, &mut limits),
            limits,
        );
    }
    let unified = match (text(before.kind, a), text(after.kind, b)) {
        (Some(ta), Some(tb)) => Some(unified(&ta, &tb, &mut limits)),
        _ => None,
    };
    let kind = if unified.is_some() { "text" } else { "binary" };
    finish(kind, changes, unified, None, limits)
}

fn image_change(a: &[u8], b: &[u8], limits: &mut Vec<String>) -> Option<PixelChange> {
    let size = pixels::dimensions(b)?;
    if pixels::dimensions(a)? != size {
        return None;
    }
    if !pixels::within_limit(size) {
        limits.push(format!(
            "images over {} pixels are not compared pixel by pixel",
            pixels::MAX_PIXELS
        ));
        return None;
    }
    pixels::compare(&pixels::decode(a)?, &pixels::decode(b)?)
}

struct Unified {
    text: String,
    added: u32,
    removed: u32,
}

fn unified(a: &str, b: &str, limits: &mut Vec<String>) -> Unified {
    let a = cap_lines(a, limits);
    let b = cap_lines(b, limits);
    let input = InternedInput::new(a, b);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut text = diff
        .unified_diff(
            &BasicLineDiffPrinter(&input.interner),
            UnifiedDiffConfig::default(),
            &input,
        )
        .to_string();
    if text.len() > MAX_UNIFIED_BYTES {
        let mut end = MAX_UNIFIED_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        limits.push(format!(
            "the unified diff is cut at {MAX_UNIFIED_BYTES} bytes"
        ));
    }
    Unified {
        text,
        added: diff.count_additions(),
        removed: diff.count_removals(),
    }
}

fn cap_lines<'a>(text: &'a str, limits: &mut Vec<String>) -> &'a str {
    match text.match_indices('\n').nth(MAX_LINES - 1) {
        Some((end, _)) => {
            let note = format!("only the first {MAX_LINES} lines of each side are compared");
            if !limits.contains(&note) {
                limits.push(note);
            }
            &text[..=end]
        }
        None => text,
    }
}

fn finish(
    kind: &'static str,
    changes: Vec<Change>,
    unified: Option<Unified>,
    pixels: Option<PixelChange>,
    limits: Vec<String>,
) -> Comparison {
    let summary = match (&unified, &pixels) {
        _ if changes.is_empty() => "identical content".to_owned(),
        (Some(u), _) => format!(
            "{} lines added, {} removed; {} fields differ",
            u.added,
            u.removed,
            changes.len()
        ),
        (_, Some(p)) => format!("{} of {} pixels changed", p.changed_pixels, p.total_pixels),
        _ => format!("{} fields differ", changes.len()),
    };
    Comparison {
        kind: kind.to_owned(),
        summary,
        changes,
        lines_added: unified.as_ref().map(|u| u.added),
        lines_removed: unified.as_ref().map(|u| u.removed),
        unified: unified.map(|u| u.text),
        pixels,
        limits,
    }
}

/// Runs `work` on the blocking pool within `time`, turning a panic (a
/// parser meeting a hostile file) into an error. A thread past its time is
/// abandoned, not stopped: for trusted input only (see [`isolate`]).
pub async fn bounded<T: Send + 'static>(
    time: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, &'static str> {
    let task =
        tokio::task::spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(work)));
    match tokio::time::timeout(time, task).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(_) => Err("the files could not be compared (a parser failed on them)"),
        Err(_) => Err("comparing the files took too long"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(kind: FileKind, bytes: &[u8]) -> Side {
        use sha2::Digest;
        Side {
            kind,
            sha256: Sha256::from_digest(sha2::Sha256::digest(bytes).into()),
            size: bytes.len() as u64,
            bytes: Some(bytes.to_vec()),
        }
    }

    #[test]
    fn text_diffs_are_unified_and_capped() {
        let a = side(FileKind::Stl, b"solid a\nfacet\nvertex 0 0 0\nendsolid a\n");
        let b = side(FileKind::Stl, b"solid a\nfacet\nvertex 0 1 0\nendsolid a\n");
        let diff = compare(&a, &b);
        assert_eq!(diff.kind, "text");
        let unified = diff.unified.unwrap();
        assert!(
            unified.contains("-vertex 0 0 0\n+vertex 0 1 0"),
            "{unified}"
        );
        assert_eq!((diff.lines_added, diff.lines_removed), (Some(1), Some(1)));
        let same = compare(&a, &a);
        assert_eq!(
            (same.summary.as_str(), same.unified.as_deref()),
            ("identical content", Some(""))
        );

        let long: String = (0..MAX_LINES + 10).map(|n| format!("line {n}\n")).collect();
        let mut limits = Vec::new();
        assert_eq!(cap_lines(&long, &mut limits).lines().count(), MAX_LINES);
        assert_eq!(limits.len(), 1);
    }
}
