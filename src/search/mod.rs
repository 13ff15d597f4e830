//! Intelligent indexing and search: the `search_documents` read model
//! (kept by its projector and filled in by the extraction workers) and the
//! ranked, permission-filtered query over it.
pub mod index;
pub mod prefix;
pub mod query;

pub use query::{
    COUNT_CAP, Found, Hit, INDEX_COLUMNS, IndexState, SearchCursor, SearchFilter, search,
};
