//! Granular permissions: the pure rules (project role and document ACL to
//! a permission, with the reason) and the gate every document path goes
//! through.
pub mod gate;
pub mod kept;
mod lookup;
pub mod rules;

pub use gate::{DocumentAccess, Need};
pub use rules::{AclEntry, Because, Decision, effective};
