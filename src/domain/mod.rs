//! Pure aggregates: `decide(&State, Command) -> Result<Vec<Event>, DomainError>`
//! and `evolve(State, &Event) -> State`. No I/O, no clock, no randomness.
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
}
