//! The statements that write rows into `events`: a multi-row insert, used
//! by imports, and the same insert under a check of the head and the
//! streams' versions, used by appends (with a notification).
use std::collections::HashMap;

use sqlx::PgConnection;
use stockage_events::{GENESIS_HASH, Hash, RecordedEvent};
use uuid::Uuid;

use crate::NOTIFY_CHANNEL;

/// All `events` in one statement; with `notify`, listeners are told of the
/// new head (delivered on commit).
pub(crate) async fn insert<'a>(
    conn: &mut PgConnection,
    events: impl Iterator<Item = &'a RecordedEvent> + Clone,
    notify: bool,
) -> Result<(), sqlx::Error> {
    fn column<'a, T>(
        events: &(impl Iterator<Item = &'a RecordedEvent> + Clone),
        f: impl Fn(&'a RecordedEvent) -> T,
    ) -> Vec<T> {
        events.clone().map(f).collect()
    }
    sqlx::query(
        "WITH inserted AS (
             INSERT INTO events (position, event_id, stream_id, stream_version, project_id, event_type,
                 schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash)
             SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[], $6::text[],
                 $7::int[], $8::jsonb[], $9::text[], $10::uuid[], $11::uuid[], $12::timestamptz[],
                 $13::bytea[], $14::bytea[])
             RETURNING position)
         SELECT pg_notify($15, max(position)::text) FROM inserted HAVING $15::text IS NOT NULL",
    )
    .bind(column(&events, |e| e.position))
    .bind(column(&events, |e| e.event_id))
    .bind(column(&events, |e| e.stream_id))
    .bind(column(&events, |e| e.stream_version))
    .bind(column(&events, |e| e.project_id))
    .bind(column(&events, |e| e.event_type.as_str()))
    .bind(column(&events, |e| e.schema_version))
    .bind(column(&events, |e| &e.payload))
    .bind(column(&events, |e| e.actor.as_str()))
    .bind(column(&events, |e| e.correlation_id))
    .bind(column(&events, |e| e.causation_id))
    .bind(column(&events, |e| e.recorded_at))
    .bind(column(&events, |e| e.prev_hash.as_slice()))
    .bind(column(&events, |e| e.hash.as_slice()))
    .bind(notify.then_some(NOTIFY_CHANNEL))
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

/// Inserts `events` as [`insert`] does with a notification, but only if the
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
    fn column<'a, T>(
        events: &(impl Iterator<Item = &'a RecordedEvent> + Clone),
        f: impl Fn(&'a RecordedEvent) -> T,
    ) -> Vec<T> {
        events.clone().map(f).collect()
    }
    type Answer = (
        bool,
        Option<i64>,
        Option<Vec<u8>>,
        Option<Uuid>,
        Option<i64>,
    );
    let (ids, versions): (Vec<Uuid>, Vec<i64>) = streams.iter().map(|(s, v)| (*s, *v)).unzip();
    let rows: Vec<Answer> = sqlx::query_as(
        "WITH head AS (
             SELECT e.position, e.hash FROM events e ORDER BY e.position DESC LIMIT 1
         ), actual AS (
             SELECT e.stream_id, max(e.stream_version) AS version
             FROM events e WHERE e.stream_id = ANY($16::uuid[]) GROUP BY e.stream_id
         ), fits AS (
             SELECT coalesce((SELECT position FROM head), 0) = $18
                AND (SELECT hash FROM head) IS NOT DISTINCT FROM $19
                AND NOT EXISTS (
                    SELECT 1 FROM unnest($16::uuid[], $17::bigint[]) AS g(stream_id, version)
                    LEFT JOIN actual a ON a.stream_id = g.stream_id
                    WHERE coalesce(a.version, 0) <> g.version) AS ok
         ), inserted AS (
             INSERT INTO events (position, event_id, stream_id, stream_version, project_id, event_type,
                 schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash)
             SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[], $6::text[],
                 $7::int[], $8::jsonb[], $9::text[], $10::uuid[], $11::uuid[], $12::timestamptz[],
                 $13::bytea[], $14::bytea[])
             WHERE (SELECT ok FROM fits)
             RETURNING position
         ), notified AS (
             SELECT pg_notify($15, max(position)::text) FROM inserted HAVING count(*) > 0
         )
         SELECT f.ok AND (SELECT count(*) >= 0 FROM notified), h.position, h.hash, a.stream_id, a.version
         FROM fits f LEFT JOIN head h ON true LEFT JOIN actual a ON true",
    )
    .bind(column(&events, |e| e.position))
    .bind(column(&events, |e| e.event_id))
    .bind(column(&events, |e| e.stream_id))
    .bind(column(&events, |e| e.stream_version))
    .bind(column(&events, |e| e.project_id))
    .bind(column(&events, |e| e.event_type.as_str()))
    .bind(column(&events, |e| e.schema_version))
    .bind(column(&events, |e| &e.payload))
    .bind(column(&events, |e| e.actor.as_str()))
    .bind(column(&events, |e| e.correlation_id))
    .bind(column(&events, |e| e.causation_id))
    .bind(column(&events, |e| e.recorded_at))
    .bind(column(&events, |e| e.prev_hash.as_slice()))
    .bind(column(&events, |e| e.hash.as_slice()))
    .bind(NOTIFY_CHANNEL)
    .bind(ids)
    .bind(versions)
    .bind(head.0)
    .bind((head.0 > 0).then_some(head.1.as_slice()))
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
