//! Pure aggregates: `decide(&State, Command) -> Result<Vec<Event>, DomainError>`
//! and `evolve(State, &Event) -> State`. No I/O, no clock, no randomness.
pub mod document;
pub mod project;

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
}

/// A consistency boundary with its own stream: folded from its events,
/// deciding new ones.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Command: Clone;
    fn evolve(self, event: &stockage_events::Event) -> Self;
    fn decide(&self, command: Self::Command) -> Result<Vec<stockage_events::Event>, DomainError>;
    /// Events in the stream so far; 0 when the aggregate does not exist.
    fn version(&self) -> i64;
}
