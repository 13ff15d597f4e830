//! What the store runs on the events it records: a projector turns events
//! into rows of the read-model tables it owns. Inline projectors run inside
//! the append transaction; asynchronous ones follow the log with a
//! checkpoint (see the `stockage-projections` crate's runner).
use async_trait::async_trait;
use sqlx::PgConnection;
use stockage_events::{DecodeError, Event, RecordedEvent};

/// How a projector is kept up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Runs inside the append transaction: the API reads its own writes.
    Inline,
    /// Runs behind the log with a checkpoint; must be replay-safe.
    Async,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The event contradicts a read-model invariant (e.g. a duplicate
    /// slug); inline, this rejects the append that carried it.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("database error while projecting: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for ProjectionError {
    fn from(error: sqlx::Error) -> Self {
        let unique = error
            .as_database_error()
            .filter(|db| db.is_unique_violation())
            .map(|db| db.constraint().unwrap_or("unique").to_owned());
        match unique {
            Some(constraint) => ProjectionError::Conflict(format!("{constraint} already taken")),
            None => ProjectionError::Database(error),
        }
    }
}

/// Turns events into rows of the tables it owns. Projectors use unqualified
/// table names, so a rebuild can point them at fresh tables through
/// `search_path`.
#[async_trait]
pub trait Projector: Send + Sync {
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    /// The tables this projector owns, and nothing else writes but the
    /// workers of [`Projector::worker_columns`].
    fn tables(&self) -> &'static [&'static str];
    /// Columns of those tables that a worker of the projector's own service
    /// fills in off the log (the text the index workers extract). Declared
    /// so the ownership is explicit; a rebuild cannot reproduce them, so it
    /// leaves them out when it compares its tables with the live ones.
    fn worker_columns(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        event: &Event,
    ) -> Result<(), ProjectionError>;

    /// Applies a page of consecutive events, leaving the same rows as
    /// `apply` on each in turn. Rebuilds use it; a projector that can fold
    /// a page into a few set-based statements overrides it.
    async fn apply_page(
        &self,
        conn: &mut PgConnection,
        page: &[(&RecordedEvent, Event)],
    ) -> Result<(), ProjectionError> {
        for (recorded, event) in page {
            self.apply(conn, recorded, event).await?;
        }
        Ok(())
    }
}

/// Runs each projector on a page of consecutive events (projector by
/// projector: each owns its tables, so none sees another's writes).
pub async fn apply_page_all<'a>(
    projectors: &[Box<dyn Projector>],
    conn: &mut PgConnection,
    events: impl IntoIterator<Item = &'a RecordedEvent>,
) -> Result<(), ProjectionError> {
    let page = events
        .into_iter()
        .map(|recorded| Ok((recorded, recorded.event()?)))
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    for projector in projectors {
        projector.apply_page(conn, &page).await?;
    }
    Ok(())
}

/// Runs each projector on one event.
pub async fn apply_all(
    projectors: &[Box<dyn Projector>],
    conn: &mut PgConnection,
    recorded: &RecordedEvent,
) -> Result<(), ProjectionError> {
    let event = recorded.event()?;
    for projector in projectors {
        projector.apply(conn, recorded, &event).await?;
    }
    Ok(())
}
