//! Running a command: decide on the state this node kept, append with the
//! version it was decided on, and read the stream's newer events and
//! decide again only if another writer got in first (see [`run`]).
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

/// What a command did: the events it appended (none when it changed
/// nothing) and the aggregate's state right after them.
#[derive(Debug, Clone)]
pub struct Executed<A> {
    pub events: Vec<RecordedEvent>,
    pub state: A,
}

/// Returns the events appended (none when the command changed nothing).
pub async fn execute<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    project_id: Uuid,
    command: A::Command,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, CommandError<A::Error>> {
    Ok(run::<A>(store, stream_id, project_id, command, meta)
        .await?
        .events)
}

/// Runs a command optimistically: it is decided on the state this node
/// kept and appended at that state's version, without reading the log
/// first. The append's version check is what makes this safe: if the
/// stream moved on, the append is refused as a conflict and the command is
/// decided again on the stream's newer events. A refusal or a no-op
/// decided on a kept state is checked the same way (read the newer events,
/// decide again), so nothing is ever refused on a state that was behind.
pub async fn run<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    project_id: Uuid,
    command: A::Command,
    meta: EventMeta,
) -> Result<Executed<A>, CommandError<A::Error>> {
    // `current`: `state` is known to be the stream's latest.
    let (mut state, mut current) = match store.cached_state::<A>(stream_id) {
        Some(state) => (state, false),
        None => (catch_up(store, stream_id, A::default()).await?, true),
    };
    let mut attempt = 0;
    loop {
        let decided = state.decide(command.clone());
        let events = match decided {
            Ok(events) if !events.is_empty() => events,
            outcome if current => {
                let events = outcome.map_err(CommandError::Refused)?;
                debug_assert!(events.is_empty());
                return Ok(Executed {
                    events: vec![],
                    state,
                });
            }
            _ => {
                (state, current) = (catch_up(store, stream_id, state).await?, true);
                continue;
            }
        };
        match append_decided(store, (stream_id, project_id), &state, &events, &meta, &[]).await {
            Ok(recorded) => return Ok(executed(store, stream_id, state, (&events, recorded))),
            Err(AppendError::Conflict { .. }) if attempt < RETRIES => {
                attempt += 1;
                (state, current) = (catch_up(store, stream_id, state).await?, true);
            }
            Err(error) => return Err(error.into()),
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
    let state: A = store.cached_state(stream_id).unwrap_or_default();
    catch_up(store, stream_id, state).await
}

/// `state` brought up to date with the stream's events after its version
/// (and kept for the next command).
async fn catch_up<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    mut state: A,
) -> Result<A, CommandError<A::Error>> {
    for recorded in store.read_stream_after(stream_id, state.version()).await? {
        state = state.evolve(&recorded.event()?);
    }
    store.cache_state(stream_id, state.clone());
    Ok(state)
}

/// Runs a command once on the state this node kept, if it is at version
/// `at`: its events are appended at exactly that version and only if every
/// stream in `guards` is still at the version given beside it (what a
/// caller decided on besides the aggregate, such as a membership read from
/// the project's stream). `None` when that decision cannot stand as taken:
/// no kept state at `at`, the rules refuse or it changes nothing (which a
/// state that may be behind cannot tell), or a stream moved; the caller
/// decides again from the log.
pub async fn run_guarded<A: Aggregate>(
    store: &EventStore,
    (stream_id, project_id, at): (Uuid, Uuid, i64),
    command: A::Command,
    meta: EventMeta,
    guards: &[(Uuid, i64)],
) -> Result<Option<Executed<A>>, AppendError> {
    let Some(state) = store.cached_state::<A>(stream_id) else {
        return Ok(None);
    };
    if state.version() != at {
        return Ok(None);
    }
    let events = match state.decide(command) {
        Ok(events) if !events.is_empty() => events,
        _ => return Ok(None),
    };
    match append_decided(
        store,
        (stream_id, project_id),
        &state,
        &events,
        &meta,
        guards,
    )
    .await
    {
        Ok(recorded) => Ok(Some(executed(store, stream_id, state, (&events, recorded)))),
        Err(AppendError::Conflict { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// What a command did: the events it appended (`recorded`) and `state`
/// after them, kept for the next command.
fn executed<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    state: A,
    (events, recorded): (&[Event], Vec<RecordedEvent>),
) -> Executed<A> {
    let state = events
        .iter()
        .fold(state, |state, event| state.evolve(event));
    store.cache_state(stream_id, state.clone());
    Executed {
        events: recorded,
        state,
    }
}

/// Appends `events`, decided on `state`, at its version, together with a
/// guard of no events for each of `guards` (a stream that must still be
/// at the version beside it).
async fn append_decided<A: Aggregate>(
    store: &EventStore,
    (stream_id, project_id): (Uuid, Uuid),
    state: &A,
    events: &[Event],
    meta: &EventMeta,
    guards: &[(Uuid, i64)],
) -> Result<Vec<RecordedEvent>, AppendError> {
    let decided = Append {
        stream_id,
        project_id,
        expected: Expected::Version(state.version()),
        events: events.iter().cloned().map(NewEvent::new).collect(),
        meta: meta.clone(),
    };
    let guards = guards.iter().map(|&(guarded, version)| Append {
        stream_id: guarded,
        project_id,
        expected: Expected::Version(version),
        events: vec![],
        meta: meta.clone(),
    });
    let appends = std::iter::once(decided).chain(guards).collect();
    store.append_together(appends).await
}
