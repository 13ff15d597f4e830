//! Extractors: pure functions over a file's bytes that return its text,
//! metadata and keywords for the search index. Each checks what a file
//! claims against what it holds before believing it, caps what it returns,
//! and runs inside `catch_unwind`, so a malformed file is an
//! [`ExtractError`], never a crash. No web or database dependency, so it
//! can be fuzzed on its own.
#![forbid(unsafe_code)]

mod gltf;
mod image;
mod pdf;
mod stl;
pub mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use stockage_events::FileKind;

/// At most this much extracted text is kept per document.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// What a file says about itself.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// Words for the C section: PDF text, glTF names, STL solid name, PNG
    /// text chunks.
    pub text: String,
    /// Type-specific facts, shown on the document and indexed (D).
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum ExtractError {
    #[error("{0}")]
    Malformed(String),
    #[error("the extractor failed on this file: {0}")]
    Panicked(String),
    /// Over the time or memory budget, or the extractor process died.
    #[error("{0}")]
    Budget(String),
}

pub fn malformed(why: impl Into<String>) -> ExtractError {
    ExtractError::Malformed(why.into())
}

/// Extracts `bytes` as a file of `kind`.
pub fn extract(kind: FileKind, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| match kind {
        FileKind::Pdf => pdf::extract(bytes),
        FileKind::Png => image::png(bytes),
        FileKind::Jpg => image::jpeg(bytes),
        FileKind::Gltf => gltf::gltf(bytes),
        FileKind::Glb => gltf::glb(bytes),
        FileKind::Stl => stl::extract(bytes),
    }));
    let mut extracted = outcome.map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ExtractError::Panicked(why.chars().take(200).collect())
    })??;
    truncate(&mut extracted.text, MAX_TEXT_BYTES);
    // PostgreSQL text and jsonb cannot hold NUL characters, and snippets
    // use control characters as highlight markers.
    extracted.text = without_controls(&extracted.text);
    for value in extracted.metadata.values_mut() {
        without_nul(value);
    }
    Ok(extracted)
}

fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn without_nul(value: &mut Value) {
    match value {
        Value::String(s) if s.chars().any(char::is_control) => *s = without_controls(s),
        Value::Array(items) => items.iter_mut().for_each(without_nul),
        Value::Object(map) => map.values_mut().for_each(without_nul),
        _ => {}
    }
}

/// Cuts `text` to at most `max` bytes, on a character boundary.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// The searchable words of the metadata: every string and number, with
/// the keys that name them.
pub fn metadata_words(metadata: &Map<String, Value>) -> String {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            Value::Bool(_) | Value::Null => {}
        }
    }
    let mut words = Vec::new();
    for (key, value) in metadata {
        if !matches!(value, Value::Object(_) | Value::Array(_)) {
            words.push(key.replace('_', " "));
        }
        walk(value, &mut words);
    }
    words.join(" ")
}

/// Metadata that says what a file is about, in its author's words; the
/// rest (size, colour type, counts, camera, dates) describes the file, not
/// its subject, and makes no keyword (it stays searchable as metadata).
const DESCRIPTIVE: &[&str] = &["title", "subject", "keywords", "description"];

/// The words of the descriptive metadata, for the keywords of a file with
/// no text of its own.
pub fn descriptive_words(metadata: &Map<String, Value>) -> String {
    DESCRIPTIVE
        .iter()
        .filter_map(|key| metadata.get(*key)?.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What goes into the read model for one revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indexed {
    /// Extracted text (weight C).
    pub body: String,
    /// File name tokens and metadata words (weight D).
    pub extra: String,
    pub metadata: Map<String, Value>,
    pub keywords: Vec<String>,
}

/// The words of a file name alone, for a file whose content could not be
/// read.
pub fn name_words(filename: &str) -> String {
    format!("{filename} {}", text::filename_tokens(filename).join(" "))
}

/// Extracts and prepares one file for the index.
pub fn index(kind: FileKind, filename: &str, bytes: &[u8]) -> Result<Indexed, ExtractError> {
    let extracted = extract(kind, bytes)?;
    let metadata_words = metadata_words(&extracted.metadata);
    let keywords = match extracted.text.trim().is_empty() {
        true => text::keywords(&descriptive_words(&extracted.metadata)),
        false => text::keywords(&extracted.text),
    };
    Ok(Indexed {
        extra: format!("{} {metadata_words}", name_words(filename)),
        body: extracted.text,
        metadata: extracted.metadata,
        keywords,
    })
}

#[cfg(test)]
mod tests;
