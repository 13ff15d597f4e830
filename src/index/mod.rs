//! Intelligent indexing: extraction of text, metadata and keywords from
//! each document's latest revision into the `search_documents` read model,
//! off the request path, within a time and memory budget.
pub mod extract;
pub mod isolate;
pub mod rebuild;
mod settings;
pub mod text;
pub mod worker;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use stockage_events::FileKind;

pub use extract::{ExtractError, Extracted};

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
    let extracted = extract::extract(kind, bytes)?;
    let metadata_words = extract::metadata_words(&extracted.metadata);
    let keywords = match extracted.text.trim().is_empty() {
        true => text::keywords(&metadata_words),
        false => text::keywords(&extracted.text),
    };
    Ok(Indexed {
        extra: format!("{} {metadata_words}", name_words(filename)),
        body: extracted.text,
        metadata: extracted.metadata,
        keywords,
    })
}
