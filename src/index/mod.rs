//! Intelligent indexing: extraction of text, metadata and keywords from
//! each document's latest revision into the `search_documents` read model,
//! off the request path, within a time and memory budget.
pub mod isolate;
pub mod rebuild;
mod settings;
pub mod worker;

pub use stockage_extract::{ExtractError, Extracted, Indexed, index, name_words};
