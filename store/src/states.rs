//! Folded aggregate states this node has seen, so a command reads only the
//! events after the version it has instead of its whole stream. A state at
//! version v is the fold of the stream's first v events, which never change,
//! so an entry is never stale: it may only be behind, and the caller reads
//! the rest from the log.
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Entries kept before the map is emptied and starts again.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(super) struct States(Mutex<HashMap<Uuid, Arc<dyn Any + Send + Sync>>>);

impl States {
    pub(super) fn get<S: Clone + Send + Sync + 'static>(&self, stream_id: Uuid) -> Option<S> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&stream_id)?.downcast_ref::<S>().cloned()
    }

    pub(super) fn put<S: Clone + Send + Sync + 'static>(&self, stream_id: Uuid, state: S) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&stream_id) {
            map.clear();
        }
        map.insert(stream_id, Arc::new(state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_found_by_stream_and_type() {
        let states = States::default();
        let id = Uuid::now_v7();
        states.put(id, 7_i64);
        assert_eq!(states.get::<i64>(id), Some(7));
        assert_eq!(states.get::<String>(id), None);
        assert_eq!(states.get::<i64>(Uuid::now_v7()), None);
    }
}
