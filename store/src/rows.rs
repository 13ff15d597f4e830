//! The statements that write rows into `events`: a multi-row insert, used
//! by imports, and the same insert under a check of the head and the
//! streams' versions, used by appends (with a notification).
use std::collections::HashMap;

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection};
use stockage_events::{GENESIS_HASH, Hash, RecordedEvent};
use uuid::Uuid;

use crate::NOTIFY_CHANNEL;

/// The insert of rows given as columns `$1`–`$14` (see [`columns`]).
macro_rules! insert_columns {
    () => {
        "INSERT INTO events (position, event_id, stream_id, stream_version, project_id, event_type,
             schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[], $6::text[],
             $7::int[], $8::jsonb[], $9::text[], $10::uuid[], $11::uuid[], $12::timestamptz[],
             $13::bytea[], $14::bytea[])"
    };
}

/// `events` as the arguments `$1`–`$14` of [`insert_columns`]: one array
/// per column.
fn columns<'a>(
    events: impl Iterator<Item = &'a RecordedEvent> + Clone,
) -> Result<PgArguments, sqlx::Error> {
    fn add<'a, T, I>(
        arguments: &mut PgArguments,
        events: &I,
        f: impl Fn(&'a RecordedEvent) -> T,
    ) -> Result<(), sqlx::Error>
    where
        I: Iterator<Item = &'a RecordedEvent> + Clone,
        Vec<T>: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        arguments
            .add(events.clone().map(f).collect::<Vec<T>>())
            .map_err(sqlx::Error::Encode)
    }
    let mut arguments = PgArguments::default();
    add(&mut arguments, &events, |e| e.position)?;
    add(&mut arguments, &events, |e| e.event_id)?;
    add(&mut arguments, &events, |e| e.stream_id)?;
    add(&mut arguments, &events, |e| e.stream_version)?;
    add(&mut arguments, &events, |e| e.project_id)?;
    add(&mut arguments, &events, |e| e.event_type.as_str())?;
    add(&mut arguments, &events, |e| e.schema_version)?;
    add(&mut arguments, &events, |e| &e.payload)?;
    add(&mut arguments, &events, |e| e.actor.as_str())?;
    add(&mut arguments, &events, |e| e.correlation_id)?;
    add(&mut arguments, &events, |e| e.causation_id)?;
    add(&mut arguments, &events, |e| e.recorded_at)?;
    add(&mut arguments, &events, |e| e.prev_hash.as_slice())?;
    add(&mut arguments, &events, |e| e.hash.as_slice())?;
    Ok(arguments)
}

/// All `events` in one statement (imports: no notification).
pub(crate) async fn insert<'a>(
    conn: &mut PgConnection,
    events: impl Iterator<Item = &'a RecordedEvent> + Clone,
) -> Result<(), sqlx::Error> {
    sqlx::query_with(insert_columns!(), columns(events)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the log's head and the versions of the asked streams are (0 for a
/// stream without events), as an append that guessed wrong finds them.
pub(crate) struct Found {
    pub head: (i64, Hash),
    pub versions: HashMap<Uuid, i64>,
}

/// Inserts `events` as [`insert`] does and notifies listeners, but only if the
/// log's head is `head` and each stream of `streams` is at the version
/// given beside it; otherwise inserts nothing and returns what they are.
/// One round trip where reading the head and then inserting took two; the
/// caller holds the append lock, so what it was told stays true.
pub(crate) async fn insert_at<'a>(
    conn: &mut PgConnection,
    events: impl Iterator<Item = &'a RecordedEvent> + Clone,
    head: (i64, Hash),
    streams: &HashMap<Uuid, i64>,
) -> Result<Option<Found>, sqlx::Error> {
    type Answer = (
        bool,
        Option<i64>,
        Option<Vec<u8>>,
        Option<Uuid>,
        Option<i64>,
    );
    let (ids, versions): (Vec<Uuid>, Vec<i64>) = streams.iter().map(|(s, v)| (*s, *v)).unzip();
    let mut arguments = columns(events)?;
    let encode = sqlx::Error::Encode;
    arguments.add(NOTIFY_CHANNEL).map_err(encode)?;
    arguments.add(ids).map_err(encode)?;
    arguments.add(versions).map_err(encode)?;
    arguments.add(head.0).map_err(encode)?;
    arguments
        .add((head.0 > 0).then_some(head.1.as_slice()))
        .map_err(encode)?;
    let rows: Vec<Answer> = sqlx::query_as_with(concat!(
        "WITH head AS (
             SELECT e.position, e.hash FROM events e ORDER BY e.position DESC LIMIT 1
         ), actual AS (
             -- Each stream's newest version: one backward index step per
             -- stream, however long the stream (`max` read them all).
             SELECT s.stream_id, (SELECT e.stream_version FROM events e WHERE e.stream_id = s.stream_id
                                  ORDER BY e.stream_version DESC LIMIT 1) AS version
             FROM unnest($16::uuid[]) AS s(stream_id)
         ), fits AS (
             SELECT coalesce((SELECT position FROM head), 0) = $18
                AND (SELECT hash FROM head) IS NOT DISTINCT FROM $19
                AND NOT EXISTS (
                    SELECT 1 FROM unnest($16::uuid[], $17::bigint[]) AS g(stream_id, version)
                    LEFT JOIN actual a ON a.stream_id = g.stream_id
                    WHERE coalesce(a.version, 0) <> g.version) AS ok
         ), inserted AS (
             ", insert_columns!(), "
             WHERE (SELECT ok FROM fits)
             RETURNING position
         ), notified AS (
             SELECT pg_notify($15, max(position)::text) FROM inserted HAVING count(*) > 0
         )
         SELECT f.ok AND (SELECT count(*) >= 0 FROM notified), h.position, h.hash, a.stream_id, a.version
         FROM fits f LEFT JOIN head h ON true LEFT JOIN actual a ON true"
        ),
        arguments,
    )
    .fetch_all(conn)
    .await?;
    if rows.first().is_none_or(|row| row.0) {
        return Ok(None);
    }
    let head = match rows.first() {
        Some((_, Some(position), Some(hash), ..)) => (
            *position,
            hash.as_slice().try_into().unwrap_or(GENESIS_HASH),
        ),
        _ => (0, GENESIS_HASH),
    };
    let mut found: HashMap<Uuid, i64> = streams.keys().map(|s| (*s, 0)).collect();
    found.extend(
        rows.into_iter()
            .filter_map(|(_, _, _, stream, version)| Some((stream?, version?))),
    );
    Ok(Some(Found {
        head,
        versions: found,
    }))
}
