//! The error of the services below the HTTP layer. Each variant is a kind
//! of failure with a sentence a user can act on; `api/` alone decides how
//! a kind is answered (status code, problem+json).
use stockage_store::{AppendError, CommandError};

use crate::domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or one of its values is not usable as sent.
    #[error("{0}")]
    Invalid(String),
    /// No credentials, or credentials that do not check out.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known caller, not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// The path exists but not with this method (405); `allow` lists the
    /// methods it answers.
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    /// Does not exist, or the caller may not know it exists.
    #[error("{0}")]
    NotFound(String),
    /// The current state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The caller's idea of the latest revision is out of date.
    #[error("{detail}")]
    Stale {
        detail: String,
        current_revision: u32,
    },
    /// The file is over the upload limit.
    #[error("{0}")]
    TooLarge(String),
    /// The file's type is not allowed, or its bytes do not match it.
    #[error("{0}")]
    UnsupportedType(String),
    /// Well-formed, but the content could not be processed.
    #[error("{0}")]
    Unprocessable(String),
    /// The document is checked out by someone else (423), naming the
    /// holder and when the lock expires.
    #[error("{detail}")]
    Locked {
        detail: String,
        locked_by: String,
        expires_at: String,
    },
    /// Asked to lock a document someone else holds (409 with the holder).
    #[error("{detail}")]
    AlreadyLocked {
        detail: String,
        locked_by: String,
        expires_at: String,
    },
    /// A precondition of the protocol does not hold (412).
    #[error("{0}")]
    Precondition(String),
    /// It existed and is gone for good (410): purged, exhausted, expired.
    #[error("{0}")]
    Gone(String),
    /// The bytes do not match the checksum sent with them (tus: 460).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// Too many attempts; try again after `retry_after` seconds (429).
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// Over the project's storage quota (507).
    #[error("{0}")]
    InsufficientStorage(String),
    /// A dependency is down or the server is at capacity; try again after
    /// `retry_after` seconds (503). Nothing was changed.
    #[error("{detail}")]
    Unavailable { detail: String, retry_after: u64 },
    /// Infrastructure failure: the cause is logged, the caller gets a
    /// plain sentence.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }
}

impl From<DomainError> for Error {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound(m) => Error::NotFound(m),
            DomainError::AlreadyExists(m) | DomainError::Conflict(m) => Error::Conflict(m),
            DomainError::Forbidden(m) => Error::Forbidden(m),
            DomainError::WrongType(m) => Error::UnsupportedType(m),
            DomainError::Exhausted(m) => Error::Gone(m),
            DomainError::Gone(m) => Error::Gone(m),
            DomainError::Invalid(m) => Error::Invalid(m),
            DomainError::Stale { current, .. } => Error::Stale {
                detail: error.to_string(),
                current_revision: current,
            },
            DomainError::Locked {
                ref holder,
                expires_at,
            } => Error::Locked {
                detail: format!(
                    "{holder} has checked this document out until {}; ask them, or a document admin, to unlock it",
                    rfc3339(expires_at)
                ),
                locked_by: holder.to_string(),
                expires_at: rfc3339(expires_at),
            },
            DomainError::AlreadyLocked {
                ref holder,
                expires_at,
            } => Error::AlreadyLocked {
                detail: format!(
                    "the document is already locked by {holder} until {}",
                    rfc3339(expires_at)
                ),
                locked_by: holder.to_string(),
                expires_at: rfc3339(expires_at),
            },
        }
    }
}

/// A time as the API writes it (RFC 3339, UTC).
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<AppendError> for Error {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict { .. } => {
                Error::Conflict("someone else changed this at the same moment; please retry".into())
            }
            AppendError::Rejected(why) => Error::Conflict(why),
            AppendError::Unavailable(cause) => database_unavailable(cause),
            AppendError::Closed | AppendError::Database(_) => Error::internal(error),
        }
    }
}

impl From<CommandError<DomainError>> for Error {
    fn from(error: CommandError<DomainError>) -> Self {
        match error {
            CommandError::Refused(refusal) => refusal.into(),
            CommandError::Append(append) => append.into(),
            CommandError::Read(read) => read.into(),
            other => Error::internal(other),
        }
    }
}

/// Seconds a caller is told to wait when the database does not answer.
const DATABASE_RETRY_AFTER: u64 = 5;

fn database_unavailable(cause: impl std::fmt::Display) -> Error {
    tracing::warn!(%cause, "the database is not answering");
    Error::Unavailable {
        detail: "the database is not answering; try again shortly".into(),
        retry_after: DATABASE_RETRY_AFTER,
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        // Down or restarting is an outage the caller may retry (503), not
        // a fault of this server (500).
        if stockage_store::is_unavailable(&error) {
            return database_unavailable(error);
        }
        Error::internal(error)
    }
}
