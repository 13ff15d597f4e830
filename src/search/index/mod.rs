//! Intelligent indexing: extraction of text, metadata and keywords from
//! each document's latest revision into the `search_documents` read model,
//! off the request path, within a time and memory budget. The search
//! projector owns the table; the workers fill in the columns it declares
//! as theirs.
mod config;
pub mod isolate;
mod projector;
pub mod rebuild;
pub mod worker;

pub use config::IndexConfig;
pub use projector::SearchProjector;
pub use stockage_extract::{ExtractError, Extracted, Indexed, index, name_words};
