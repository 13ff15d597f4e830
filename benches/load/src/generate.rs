//! A generated event log, written straight into `events`: documents, each
//! added then retitled nine times, in one project, with a valid hash chain.
//! Rebuild, verify, export and import are measured over it.
use sqlx::PgPool;
use stockage_events::{
    Event, FileKind, GENESIS_HASH, Hash, RecordedEvent, SCHEMA_VERSION, Sha256, canonical_bytes,
    chain_hash,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rng::Rng;

const EDITS_PER_DOCUMENT: usize = 9;
const INSERT_BATCH: usize = 10_000;

pub struct LogGenerator {
    rng: Rng,
    project: Uuid,
    prev: Hash,
    stream: Uuid,
    version: i64,
    next: usize,
}

impl LogGenerator {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let project = uuid(&mut rng);
        Self {
            rng,
            project,
            prev: GENESIS_HASH,
            stream: Uuid::nil(),
            version: 0,
            next: 0,
        }
    }

    /// The next `count` events of the log.
    pub fn take(&mut self, count: usize) -> Vec<RecordedEvent> {
        (0..count).map(|_| self.event()).collect()
    }

    fn event(&mut self) -> RecordedEvent {
        let n = self.next;
        self.next += 1;
        let event = if n.is_multiple_of(EDITS_PER_DOCUMENT + 1) {
            self.stream = uuid(&mut self.rng);
            self.version = 0;
            Event::DocumentAdded {
                title: format!("Part {n}"),
                filename: format!("part-{n}.stl"),
                kind: FileKind::Stl,
                content_type: "model/stl".into(),
                size: 1_000 + n as u64,
                sha256: Sha256::from_digest([(n % 251) as u8; 32]),
                tags: vec!["bench".into()],
            }
        } else {
            Event::DocumentMetadataChanged {
                title: Some(format!("Part {n}")),
                tags: None,
            }
        };
        self.version += 1;
        let mut recorded = RecordedEvent {
            position: n as i64 + 1,
            event_id: uuid(&mut self.rng),
            stream_id: self.stream,
            stream_version: self.version,
            project_id: self.project,
            event_type: event.event_type().into(),
            schema_version: SCHEMA_VERSION,
            payload: event.payload(),
            actor: "bench".into(),
            correlation_id: uuid(&mut self.rng),
            causation_id: None,
            recorded_at: OffsetDateTime::from_unix_timestamp(1_800_000_000 + n as i64)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            prev_hash: self.prev,
            hash: GENESIS_HASH,
        };
        recorded.hash = chain_hash(&self.prev, &canonical_bytes(&recorded));
        self.prev = recorded.hash;
        recorded
    }
}

fn uuid(rng: &mut Rng) -> Uuid {
    uuid::Builder::from_random_bytes(
        (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())).to_le_bytes(),
    )
    .into_uuid()
}

/// Generates `total` events into the empty `events` table of `pool`'s
/// database, in batches.
pub async fn fill(pool: &PgPool, total: usize, seed: u64) -> Result<(), sqlx::Error> {
    let mut generator = LogGenerator::new(seed);
    let mut left = total;
    while left > 0 {
        let n = left.min(INSERT_BATCH);
        insert(pool, &generator.take(n)).await?;
        left -= n;
    }
    Ok(())
}

/// Inserts `events` as they are, through the store's import.
pub async fn insert(pool: &PgPool, events: &[RecordedEvent]) -> Result<(), sqlx::Error> {
    stockage_store::import::insert(&mut *pool.acquire().await?, events).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_holds_and_the_seed_fixes_the_log() {
        let events = LogGenerator::new(3).take(25);
        assert!(stockage_events::verify_chain(GENESIS_HASH, 1, events.iter()).is_ok());
        assert_eq!(events[10].event_type, "DocumentAdded");
        assert_eq!(events[10].stream_version, 1);
        assert_eq!(events[19].stream_version, 10);
        assert_eq!(LogGenerator::new(3).take(25), events);
    }
}
