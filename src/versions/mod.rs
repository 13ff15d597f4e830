//! Document versioning: the revision history read model, revision numbers
//! and `If-Match`, and diffs between revisions.
pub mod add;
pub mod diff;
pub mod revisions;

pub use revisions::RevisionView;
