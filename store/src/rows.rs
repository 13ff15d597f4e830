//! The one statement that writes rows into `events`: a multi-row insert,
//! used by appends (with a notification) and by imports.
use sqlx::PgConnection;
use stockage_events::RecordedEvent;

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
