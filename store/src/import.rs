//! Loading events that were recorded elsewhere (an archive, a generated
//! benchmark log) as they are: positions, hashes and all. The caller
//! verifies the chain before it inserts; projections are its business too.
use sqlx::PgConnection;
use stockage_events::RecordedEvent;

/// How many events the log holds (an import wants an empty one).
pub async fn count(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(conn)
        .await
}

/// Inserts `events` as they are, in one statement.
pub async fn insert(conn: &mut PgConnection, events: &[RecordedEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    crate::rows::insert(conn, events.iter()).await
}
