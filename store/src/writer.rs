//! Group commit: the writer takes every append waiting in its queue and
//! writes them in one transaction: one version lookup, one multi-row
//! insert, the inline projectors over the whole batch (a few set-based
//! statements), one commit. If the projectors refuse the batch, it is
//! written again one event at a time to find the append they refuse (a
//! duplicate slug, say), which is taken out and the rest retried, so one
//! bad command never sinks its neighbours.
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Acquire, PgConnection, PgPool, Postgres};
use stockage_events::{
    GENESIS_HASH, Hash, RecordedEvent, SCHEMA_VERSION, canonical_bytes, chain_hash,
};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::log::APPEND_LOCK;
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
                let written = write_batch(&mut conn, &projectors, &appends).await;
                if written.is_ok() {
                    held = Some(conn);
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
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut refused: Vec<Option<AppendError>> = appends.iter().map(|_| None).collect();
    let mut one_by_one = false;
    loop {
        match try_batch(conn, projectors, appends, &mut refused, one_by_one).await? {
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
) -> Result<Attempt, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let live = |i: &usize| refused[*i].is_none();
    let streams: Vec<Uuid> = (0..appends.len())
        .filter(live)
        .flat_map(|i| appends[i].iter().map(|append| append.stream_id))
        .collect();
    let (mut position, mut prev_hash, mut versions) = begin_append(&mut tx, &streams).await?;

    let now = now_micros();
    let mut recorded: Vec<Vec<RecordedEvent>> = appends.iter().map(|_| Vec::new()).collect();
    for (index, together) in appends.iter().enumerate() {
        if refused[index].is_some() {
            continue;
        }
        // Every expected version is checked before any position is taken,
        // so a conflict on one stream leaves the whole group out.
        if let Some(conflict) = conflict(together, &versions) {
            refused[index] = Some(conflict);
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
    if recorded.iter().all(Vec::is_empty) {
        return Ok(Attempt::Committed(recorded));
    }

    crate::rows::insert(&mut tx, recorded.iter().flatten(), true).await?;
    if !one_by_one {
        return match apply_page_all(projectors, &mut tx, recorded.iter().flatten()).await {
            Ok(()) => {
                tx.commit().await?;
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
    Ok(Attempt::Committed(recorded))
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

/// Takes the append lock, then reads the head of the log and the version
/// of each stream (see the `stockage_begin_append` migration).
async fn begin_append(
    conn: &mut PgConnection,
    streams: &[Uuid],
) -> Result<(i64, Hash, HashMap<Uuid, i64>), sqlx::Error> {
    type Row = (Option<i64>, Option<Vec<u8>>, Option<Uuid>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM stockage_begin_append($1, $2)")
        .bind(APPEND_LOCK)
        .bind(streams)
        .fetch_all(conn)
        .await?;
    let (position, hash) = match rows.first() {
        Some((Some(position), Some(hash), ..)) => (
            *position,
            hash.as_slice().try_into().unwrap_or(GENESIS_HASH),
        ),
        _ => (0, GENESIS_HASH),
    };
    let versions = rows
        .into_iter()
        .filter_map(|(_, _, stream, version)| Some((stream?, version?)))
        .collect();
    Ok((position, hash, versions))
}

/// PostgreSQL keeps microseconds; hash exactly what it will return.
fn now_micros() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
