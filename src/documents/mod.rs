//! Projects, their teams and their documents as the read models show them:
//! membership (the first check of every project path), the document list
//! and views, and the fields users type.
pub mod add;
pub mod answer;
pub mod fields;
pub mod members;
pub mod order;
pub mod projects;
pub mod queries;
pub mod view;

pub use projects::{MemberView, Membership, ProjectView};
pub use view::{DocumentRow, DocumentView};
