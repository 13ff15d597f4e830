//! Reading the event log: every SELECT on `events`.
use sqlx::{FromRow, PgConnection};
use stockage_events::{Hash, RecordedEvent};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(FromRow)]
struct EventRow {
    position: i64,
    event_id: Uuid,
    stream_id: Uuid,
    stream_version: i64,
    project_id: Uuid,
    event_type: String,
    schema_version: i32,
    payload: serde_json::Value,
    actor: String,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    recorded_at: OffsetDateTime,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl From<EventRow> for RecordedEvent {
    fn from(row: EventRow) -> Self {
        RecordedEvent {
            position: row.position,
            event_id: row.event_id,
            stream_id: row.stream_id,
            stream_version: row.stream_version,
            project_id: row.project_id,
            event_type: row.event_type,
            schema_version: row.schema_version,
            payload: row.payload,
            actor: row.actor,
            correlation_id: row.correlation_id,
            causation_id: row.causation_id,
            recorded_at: row.recorded_at,
            prev_hash: to_hash(&row.prev_hash),
            hash: to_hash(&row.hash),
        }
    }
}

/// The column checks guarantee 32 bytes; anything else reads as zeros and
/// fails chain verification loudly rather than panicking here.
fn to_hash(bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or([0; 32])
}

const COLUMNS: &str = "position, event_id, stream_id, stream_version, project_id, event_type, \
     schema_version, payload, actor, correlation_id, causation_id, recorded_at, prev_hash, hash";

/// Up to `limit` events after `position`, in log order.
pub async fn read_after(
    conn: &mut PgConnection,
    position: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(position)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

/// Every event of one stream, in stream order.
pub async fn read_stream(
    conn: &mut PgConnection,
    stream_id: Uuid,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version");
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(stream_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

/// The events of one stream after `version`, in stream order.
pub async fn read_stream_after(
    conn: &mut PgConnection,
    stream_id: Uuid,
    version: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version"
    );
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(stream_id)
        .bind(version)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

/// The position of the newest event, 0 for an empty log.
pub async fn head(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(position), 0)::bigint FROM events")
        .fetch_one(conn)
        .await
}

/// The advisory lock key every append transaction holds: it orders
/// appends across all nodes, which keeps `position` gapless.
pub const APPEND_LOCK: i64 = 0x5354_4f43_4b41_4745; // "STOCKAGE"

/// Which events an audit wants; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub project_id: Option<Uuid>,
    pub stream_id: Option<Uuid>,
    /// The document's own stream, and events about it in other streams
    /// (a share link's creation, revocation and downloads).
    pub document_id: Option<Uuid>,
    pub actor: Option<String>,
    /// Any of these stored types (`DocumentAdded`, ...); empty: all.
    pub event_types: Vec<String>,
    pub since_position: Option<i64>,
    pub until_position: Option<i64>,
    pub since_time: Option<OffsetDateTime>,
    pub until_time: Option<OffsetDateTime>,
}

/// Up to `limit` events after `position` that pass `filter`, in log order.
pub async fn read_filtered(
    conn: &mut PgConnection,
    filter: &Filter,
    position: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events
         WHERE position > greatest($1, coalesce($2 - 1, 0))
           AND ($3::bigint IS NULL OR position <= $3)
           AND ($4::uuid IS NULL OR project_id = $4)
           AND ($5::uuid IS NULL OR stream_id = $5)
           AND ($6::text IS NULL OR actor = $6)
           AND (cardinality($7::text[]) = 0 OR event_type = ANY($7))
           AND ($8::timestamptz IS NULL OR recorded_at >= $8)
           AND ($9::timestamptz IS NULL OR recorded_at <= $9)
           AND ($11::uuid IS NULL OR stream_id = $11 OR payload ->> 'document_id' = $11::text)
         ORDER BY position LIMIT $10"
    );
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(position)
        .bind(filter.since_position)
        .bind(filter.until_position)
        .bind(filter.project_id)
        .bind(filter.stream_id)
        .bind(&filter.actor)
        .bind(&filter.event_types)
        .bind(filter.since_time)
        .bind(filter.until_time)
        .bind(limit)
        .bind(filter.document_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

/// The hash of the event at `position`, if there is one.
pub async fn hash_at(conn: &mut PgConnection, position: i64) -> Result<Option<Hash>, sqlx::Error> {
    let hash: Option<Vec<u8>> = sqlx::query_scalar("SELECT hash FROM events WHERE position = $1")
        .bind(position)
        .fetch_optional(conn)
        .await?;
    Ok(hash.map(|h| to_hash(&h)))
}

/// The position of the event whose hash is `hash`, if the log holds one
/// (a head recorded earlier, e.g. by an export: the log must still reach it).
pub async fn position_of_hash(
    conn: &mut PgConnection,
    hash: &Hash,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT position FROM events WHERE hash = $1")
        .bind(hash.as_slice())
        .fetch_optional(conn)
        .await
}

/// Each stream's version just before `position`.
pub async fn stream_versions_before(
    conn: &mut PgConnection,
    position: i64,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT stream_id, max(stream_version) FROM events WHERE position < $1 GROUP BY stream_id",
    )
    .bind(position)
    .fetch_all(conn)
    .await
}
