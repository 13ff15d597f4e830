//! Running a command: load the aggregate's stream, decide, append with the
//! version it was decided on; decide again if someone got in first.
use stockage_events::{EventMeta, NewEvent, RecordedEvent};
use uuid::Uuid;

use crate::api::ApiError;
use crate::domain::Aggregate;
use crate::store::{Append, AppendError, EventStore, Expected};

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
) -> Result<Vec<RecordedEvent>, ApiError> {
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

/// The aggregate's current state (from the state this node kept, plus the
/// stream's events after it) and what the command would append.
pub async fn decide<A: Aggregate>(
    store: &EventStore,
    stream_id: Uuid,
    command: A::Command,
) -> Result<(A, Vec<stockage_events::Event>), ApiError> {
    let mut state: A = store.cached_state(stream_id).unwrap_or_default();
    for recorded in store.read_stream_after(stream_id, state.version()).await? {
        state = state.evolve(&recorded.event().map_err(ApiError::internal)?);
    }
    store.cache_state(stream_id, state.clone());
    let events = state.decide(command)?;
    Ok((state, events))
}
