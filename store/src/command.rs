//! Running a command: load the aggregate's stream (from the state this
//! node kept, plus the events after it), decide, append with the version
//! it was decided on, and decide again if another writer got in first.
use stockage_events::{DecodeError, Event, EventMeta, NewEvent, RecordedEvent};
use uuid::Uuid;

use crate::{Append, AppendError, EventStore, Expected};

/// A consistency boundary with its own stream: folded from its events,
/// deciding new ones. Pure: no I/O, no clock, no randomness inside.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Command: Clone;
    /// Why the rules refuse a command.
    type Error;
    fn evolve(self, event: &Event) -> Self;
    fn decide(&self, command: Self::Command) -> Result<Vec<Event>, Self::Error>;
    /// Events in the stream so far; 0 when the aggregate does not exist.
    fn version(&self) -> i64;
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The aggregate's rules refused the command.
    #[error("{0}")]
    Refused(E),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error("reading the stream: {0}")]
    Read(#[from] sqlx::Error),
    #[error("a stored event cannot be read: {0}")]
    Decode(#[from] DecodeError),
}

/// How often a command is re-decided when another writer got in first.
/// Each round lets at least one of the racing commands through, so this
/// bounds how many concurrent writers to one stream all succeed.
const RETRIES: usize = 64;

/// Returns the events appended (none when the command changed nothing).
pub async fn execute<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    project_id: Uuid,
    command: A::Command,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, CommandError<A::Error>> {
    let mut attempt = 0;
    loop {
        let (state, events) = decide::<A>(store, stream_id, command.clone()).await?;
        if events.is_empty() {
            return Ok(vec![]);
        }
        let append = Append {
            stream_id,
            project_id,
            expected: Expected::Version(state.version()),
            events: events.into_iter().map(NewEvent::new).collect(),
            meta: meta.clone(),
        };
        match store.append(append).await {
            Err(AppendError::Conflict { .. }) if attempt < RETRIES => attempt += 1,
            result => return Ok(result?),
        }
    }
}

/// The aggregate's current state and what the command would append.
pub async fn decide<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    command: A::Command,
) -> Result<(A, Vec<Event>), CommandError<A::Error>> {
    let state = load::<A>(store, stream_id).await?;
    let events = state.decide(command).map_err(CommandError::Refused)?;
    Ok((state, events))
}

/// The aggregate's current state: the one this node kept, brought up to
/// date with the stream's newer events.
pub async fn load<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
) -> Result<A, CommandError<A::Error>> {
    let mut state: A = store.cached_state(stream_id).unwrap_or_default();
    for recorded in store.read_stream_after(stream_id, state.version()).await? {
        state = state.evolve(&recorded.event()?);
    }
    store.cache_state(stream_id, state.clone());
    Ok(state)
}
