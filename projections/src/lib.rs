//! The read models derived from the event log: one projector per set of
//! tables, the runner that keeps asynchronous consumers behind the log,
//! and rebuilding read models from position 0. The log itself is the
//! `stockage-store` crate's; this crate only reads it.
#![forbid(unsafe_code)]

mod access_tokens;
mod acl;
mod documents;
mod documents_page;
mod projects;
mod projects_page;
pub mod rebuild;
mod retention;
mod revisions;
pub mod runner;
mod shares;
mod workflow;

pub use access_tokens::AccessTokensProjector;
pub use acl::AclProjector;
pub use documents::DocumentsProjector;
pub use projects::ProjectsProjector;
pub use retention::RetentionProjector;
pub use revisions::RevisionsProjector;
pub use shares::SharesProjector;
pub use stockage_store::{Kind, ProjectionError, Projector};
pub use workflow::WorkflowProjector;

/// Every inline projector, in the order they run.
pub fn inline_projectors() -> Vec<Box<dyn Projector>> {
    vec![
        Box::new(ProjectsProjector),
        Box::new(DocumentsProjector),
        Box::new(AclProjector),
        Box::new(RevisionsProjector),
        Box::new(SharesProjector),
        Box::new(RetentionProjector),
        Box::new(WorkflowProjector),
        Box::new(AccessTokensProjector),
    ]
}
