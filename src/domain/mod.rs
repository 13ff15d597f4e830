//! Pure aggregates: `decide(&State, Command) -> Result<Vec<Event>, DomainError>`
//! and `evolve(State, &Event) -> State`. No I/O, no clock, no randomness.
//! They implement the store's [`Aggregate`], which runs their commands.
pub mod document;
pub mod project;
pub mod retention;
pub mod share;

use stockage_events::{Permission, Principal, UserId};
pub use stockage_store::Aggregate;
use time::OffsetDateTime;

/// Why a command was refused by the rules of the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Forbidden(String),
    /// The command would break an invariant of the current state.
    #[error("{0}")]
    Conflict(String),
    /// The caller's idea of the latest revision is out of date.
    #[error("the document is at revision {current}, not {expected}")]
    Stale { expected: u32, current: u32 },
    /// The new content is of another type family than the document.
    #[error("{0}")]
    WrongType(String),
    /// Used up for good (a share link's download limit).
    #[error("{0}")]
    Exhausted(String),
    /// A value the rules do not accept.
    #[error("{0}")]
    Invalid(String),
    /// It existed and was purged for good.
    #[error("{0}")]
    Gone(String),
    /// Someone else holds the document's lock: changes wait for it.
    #[error("the document is locked by {holder} until {expires_at}")]
    Locked {
        holder: UserId,
        expires_at: OffsetDateTime,
    },
    /// Asked to lock what someone else holds.
    #[error("the document is already locked by {holder} until {expires_at}")]
    AlreadyLocked {
        holder: UserId,
        expires_at: OffsetDateTime,
    },
}

/// One entry of a document's ACL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclEntry {
    pub principal: Principal,
    pub permission: Permission,
}
