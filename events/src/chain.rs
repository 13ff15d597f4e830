//! The hash chain: `hash = sha256(prev_hash || canonical_bytes(event))`.
//!
//! Canonical bytes are compact JSON with object keys sorted, built from the
//! columns of the event row (not from how PostgreSQL happens to print
//! `jsonb`), so anyone can recompute a hash from an export or a table scan.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::envelope::RecordedEvent;

pub type Hash = [u8; 32];

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: Hash = [0; 32];

/// The bytes the chain hash covers for one event.
pub fn canonical_bytes(event: &RecordedEvent) -> Vec<u8> {
    let recorded_at_us = event.recorded_at.unix_timestamp_nanos() / 1_000;
    let doc = json!({
        "actor": event.actor,
        "causation_id": event.causation_id,
        "correlation_id": event.correlation_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "payload": event.payload,
        "position": event.position,
        "project_id": event.project_id,
        "recorded_at_us": recorded_at_us.to_string(),
        "schema_version": event.schema_version,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
    });
    serde_json::to_vec(&sorted(doc)).expect("a JSON value always serializes")
}

/// Orders object keys explicitly, so the bytes do not depend on whether
/// some dependency switched serde_json to insertion-ordered maps.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

pub fn chain_hash(prev: &Hash, canonical: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical);
    hasher.finalize().into()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("position {position}: expected position {expected} (gap or reordering)")]
    Gap { position: i64, expected: i64 },
    #[error("position {position}: prev_hash does not match the hash of the event before it")]
    BrokenLink { position: i64 },
    #[error("position {position}: hash does not match the event's contents")]
    BadHash { position: i64 },
}

impl ChainError {
    pub fn position(&self) -> i64 {
        match self {
            ChainError::Gap { position, .. }
            | ChainError::BrokenLink { position }
            | ChainError::BadHash { position } => *position,
        }
    }
}

/// Checks a run of consecutive events that should follow `prev` at
/// `next_position`. Returns the last hash so a caller can verify in pages.
pub fn verify_chain<'a>(
    mut prev: Hash,
    mut next_position: i64,
    events: impl IntoIterator<Item = &'a RecordedEvent>,
) -> Result<Hash, ChainError> {
    for event in events {
        if event.position != next_position {
            return Err(ChainError::Gap {
                position: event.position,
                expected: next_position,
            });
        }
        if event.prev_hash != prev {
            return Err(ChainError::BrokenLink {
                position: event.position,
            });
        }
        if chain_hash(&prev, &canonical_bytes(event)) != event.hash {
            return Err(ChainError::BadHash {
                position: event.position,
            });
        }
        prev = event.hash;
        next_position += 1;
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn chain(n: i64) -> Vec<RecordedEvent> {
        let mut prev = GENESIS_HASH;
        (1..=n)
            .map(|position| {
                let mut event = RecordedEvent {
                    position,
                    event_id: Uuid::from_u128(position as u128),
                    stream_id: Uuid::from_u128(7),
                    stream_version: position,
                    project_id: Uuid::from_u128(7),
                    event_type: "MemberAdded".into(),
                    schema_version: 1,
                    payload: json!({"user_id": format!("u{position}"), "role": "viewer"}),
                    actor: "alice".into(),
                    correlation_id: Uuid::from_u128(9),
                    causation_id: None,
                    recorded_at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + position)
                        .unwrap(),
                    prev_hash: prev,
                    hash: GENESIS_HASH,
                };
                event.hash = chain_hash(&prev, &canonical_bytes(&event));
                prev = event.hash;
                event
            })
            .collect()
    }

    #[test]
    fn canonical_bytes_sort_keys_whatever_the_insertion_order() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.payload = serde_json::from_str(r#"{"user_id":"x","role":"viewer"}"#).unwrap();
        b.payload = serde_json::from_str(r#"{ "role": "viewer", "user_id": "x" }"#).unwrap();
        assert_eq!(canonical_bytes(&a), canonical_bytes(&b));
    }

    #[test]
    fn intact_chain_verifies() {
        let events = chain(5);
        assert_eq!(verify_chain(GENESIS_HASH, 1, &events), Ok(events[4].hash));
    }

    #[test]
    fn tampering_names_the_position() {
        let mut altered = chain(5);
        altered[2].payload["role"] = json!("owner");
        assert_eq!(
            verify_chain(GENESIS_HASH, 1, &altered),
            Err(ChainError::BadHash { position: 3 })
        );

        let mut missing = chain(5);
        missing.remove(3);
        assert_eq!(
            verify_chain(GENESIS_HASH, 1, &missing),
            Err(ChainError::Gap {
                position: 5,
                expected: 4
            })
        );

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert_eq!(
            verify_chain(GENESIS_HASH, 1, &swapped),
            Err(ChainError::Gap {
                position: 3,
                expected: 2
            })
        );
    }
}
