//! Group commit: the writer takes every append waiting in its queue and
//! writes them in one transaction: `BEGIN` with the append lock, one
//! multi-row insert checked against the head and versions it believes
//! ([`crate::guess`]), the inline projectors over the whole batch (a few
//! set-based statements), one commit. If the projectors refuse the batch, it is
//! written again one event at a time to find the append they refuse (a
//! duplicate slug, say), which is taken out and the rest retried, so one
//! bad command never sinks its neighbours.
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use stockage_events::{
    GENESIS_HASH, Hash, RecordedEvent, SCHEMA_VERSION, canonical_bytes, chain_hash,
};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::guess::Guess;
use crate::projector::{ProjectionError, Projector, apply_all, apply_page_all};
use crate::{Append, AppendError, Expected, Pending};

/// Most appends one transaction takes; bounds the time a batch holds the lock.
const MAX_BATCH: usize = 256;
/// How long an idle writer keeps its database connection.
const KEEP_CONNECTION: std::time::Duration = std::time::Duration::from_millis(100);

type Outcome = Result<Vec<RecordedEvent>, AppendError>;

pub(super) async fn run(
    pool: PgPool,
    projectors: Arc<Vec<Box<dyn Projector>>>,
    mut queue: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // While appends keep coming the writer keeps its connection (no pool
    // round trip per batch); idle for a moment, it gives it back.
    let mut held: Option<PoolConnection<Postgres>> = None;
    let mut guess = Guess::default();
    loop {
        let received = if held.is_some() {
            match tokio::time::timeout(KEEP_CONNECTION, queue.recv_many(&mut batch, MAX_BATCH))
                .await
            {
                Ok(received) => received,
                Err(_idle) => {
                    held = None;
                    queue.recv_many(&mut batch, MAX_BATCH).await
                }
            }
        } else {
            queue.recv_many(&mut batch, MAX_BATCH).await
        };
        if received == 0 {
            return;
        }
        metrics::histogram!("stockage_append_batch_size").record(batch.len() as f64);
        let appends: Vec<&[Append]> = batch.iter().map(|p| p.appends.as_slice()).collect();
        let conn = match held.take() {
            Some(conn) => Ok(conn),
            None => pool.acquire().await,
        };
        let written = match conn {
            Ok(mut conn) => {
                let written = write_batch(&mut conn, &projectors, &appends, &mut guess).await;
                if written.is_ok() {
                    held = Some(conn);
                } else {
                    guess.forget_head();
                }
                written
            }
            Err(error) => Err(error),
        };
        let outcomes = match written {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::error!(%error, "append transaction failed");
                let unavailable = crate::is_unavailable(&error);
                appends
                    .iter()
                    .map(|_| {
                        Err(if unavailable {
                            AppendError::Unavailable(error.to_string())
                        } else {
                            AppendError::Database(error.to_string())
                        })
                    })
                    .collect()
            }
        };
        for (pending, outcome) in batch.drain(..).zip(outcomes) {
            // The caller may have gone away; its events are committed anyway.
            let _ = pending.reply.send(outcome);
        }
    }
}

/// Writes the batch, retrying without each append the projectors refuse.
async fn write_batch(
    conn: &mut PgConnection,
    projectors: &[Box<dyn Projector>],
    appends: &[&[Append]],
    guess: &mut Guess,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut refused: Vec<Option<AppendError>> = appends.iter().map(|_| None).collect();
    let mut one_by_one = false;
    loop {
        match try_batch(conn, projectors, appends, &mut refused, one_by_one, guess).await? {
            Attempt::OneByOne => one_by_one = true,
            Attempt::Committed(mut recorded) => {
                let outcomes = refused
                    .into_iter()
                    .zip(recorded.iter_mut())
                    .map(|(refusal, events)| match refusal {
                        Some(error) => Err(error),
                        None => Ok(std::mem::take(events)),
                    })
                    .collect();
                return Ok(outcomes);
            }
            Attempt::Refused { index, error } => {
                // Version conflicts are judged again: one may have come only
                // from the events of the append now taken out.
                for refusal in refused.iter_mut() {
                    if matches!(refusal, Some(AppendError::Conflict { .. })) {
                        *refusal = None;
                    }
                }
                refused[index] = Some(error);
            }
        }
    }
}

enum Attempt {
    /// The events each append recorded (empty for refused ones).
    Committed(Vec<Vec<RecordedEvent>>),
    /// This append broke a read-model rule; nothing was committed.
    Refused { index: usize, error: AppendError },
    /// The projectors refused the batch as a whole; nothing was committed.
    OneByOne,
}

async fn try_batch(
    conn: &mut PgConnection,
    projectors: &[Box<dyn Projector>],
    appends: &[&[Append]],
    refused: &mut [Option<AppendError>],
    one_by_one: bool,
    guess: &mut Guess,
) -> Result<Attempt, sqlx::Error> {
    let mut tx = conn.begin_with(BEGIN_LOCKED).await?;
    let live = |i: &usize| refused[*i].is_none();
    let (mut head, mut versions) = guess.for_batch(
        (0..appends.len())
            .filter(live)
            .flat_map(|i| appends[i].iter()),
    );
    let (recorded, conflicts) = loop {
        let (recorded, conflicts) = record(appends, refused, head, &versions);
        match crate::rows::insert_at(&mut tx, recorded.iter().flatten(), head, &versions).await? {
            None => break (recorded, conflicts),
            Some(found) => {
                guess.found(found.head, &found.versions);
                (head, versions) = (found.head, found.versions);
            }
        }
    };
    for (index, conflict) in conflicts.into_iter().enumerate() {
        if conflict.is_some() {
            refused[index] = conflict;
        }
    }
    if recorded.iter().all(Vec::is_empty) {
        return Ok(Attempt::Committed(recorded));
    }
    if !one_by_one {
        return match apply_page_all(projectors, &mut tx, recorded.iter().flatten()).await {
            Ok(()) => {
                tx.commit().await?;
                guess.committed(recorded.iter().flatten());
                Ok(Attempt::Committed(recorded))
            }
            Err(_) => Ok(Attempt::OneByOne),
        };
    }
    for (index, events) in recorded.iter().enumerate() {
        for event in events {
            match apply_all(projectors, &mut tx, event).await {
                Ok(()) => {}
                Err(ProjectionError::Conflict(why)) => {
                    return Ok(Attempt::Refused {
                        index,
                        error: AppendError::Rejected(why),
                    });
                }
                Err(other) => {
                    tracing::error!(error = %other, position = event.position, "inline projection failed");
                    return Ok(Attempt::Refused {
                        index,
                        error: AppendError::Database(other.to_string()),
                    });
                }
            }
        }
    }
    tx.commit().await?;
    guess.committed(recorded.iter().flatten());
    Ok(Attempt::Committed(recorded))
}

/// The events each live append records after `head`, given each stream's
/// version, and the appends refused for a version conflict.
fn record(
    appends: &[&[Append]],
    refused: &[Option<AppendError>],
    (mut position, mut prev_hash): (i64, Hash),
    versions: &HashMap<Uuid, i64>,
) -> (Vec<Vec<RecordedEvent>>, Vec<Option<AppendError>>) {
    let mut versions = versions.clone();
    let now = now_micros();
    let mut recorded: Vec<Vec<RecordedEvent>> = appends.iter().map(|_| Vec::new()).collect();
    let mut conflicts: Vec<Option<AppendError>> = appends.iter().map(|_| None).collect();
    for (index, together) in appends.iter().enumerate() {
        if refused[index].is_some() {
            continue;
        }
        // Every expected version is checked before any position is taken,
        // so a conflict on one stream leaves the whole group out.
        if let Some(conflict) = conflict(together, &versions) {
            conflicts[index] = Some(conflict);
            continue;
        }
        for append in together.iter() {
            let version = versions.entry(append.stream_id).or_insert(0);
            for new in &append.events {
                position += 1;
                *version += 1;
                let mut event = RecordedEvent {
                    position,
                    event_id: new.event_id,
                    stream_id: append.stream_id,
                    stream_version: *version,
                    project_id: append.project_id,
                    event_type: new.event.event_type().to_owned(),
                    schema_version: SCHEMA_VERSION,
                    payload: new.event.payload(),
                    actor: append.meta.actor.to_string(),
                    correlation_id: append.meta.correlation_id,
                    causation_id: append.meta.causation_id,
                    recorded_at: now,
                    prev_hash,
                    hash: GENESIS_HASH,
                };
                event.hash = chain_hash(&prev_hash, &canonical_bytes(&event));
                prev_hash = event.hash;
                recorded[index].push(event);
            }
        }
    }
    (recorded, conflicts)
}

/// The first append of a group whose stream is not at the version it
/// expects, counting the group's own earlier appends to the same stream.
fn conflict(together: &[Append], versions: &HashMap<Uuid, i64>) -> Option<AppendError> {
    let mut after: HashMap<Uuid, i64> = HashMap::new();
    for append in together {
        let actual = *after
            .entry(append.stream_id)
            .or_insert_with(|| versions.get(&append.stream_id).copied().unwrap_or(0));
        if let Expected::Version(expected) = append.expected
            && expected != actual
        {
            return Some(AppendError::Conflict {
                stream_id: append.stream_id,
                expected,
                actual,
            });
        }
        after.insert(append.stream_id, actual + append.events.len() as i64);
    }
    None
}

/// Opens the append transaction holding the append lock, in the round trip
/// of its `BEGIN`: every append is ordered by it across nodes, which keeps
/// `position` gapless. The number is [`crate::log::APPEND_LOCK`].
const BEGIN_LOCKED: &str = "BEGIN; SELECT pg_advisory_xact_lock(6004511353635686213)";

/// PostgreSQL keeps microseconds; hash exactly what it will return.
fn now_micros() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
