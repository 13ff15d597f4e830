//! Searches whose words matched more than `few.sql` answers alone, a
//! moment ago, for the same caller: the next one goes to `ranked.sql`
//! without first collecting the matches of a frequent word (decision
//! 0071). Only the path is remembered, never a result: both paths give the
//! same page (tests/api/search_ranking.rs), so a stale entry costs time,
//! not correctness.
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How long a search is remembered as frequent.
const KEEP: Duration = Duration::from_secs(30);
/// Entries kept before the map is emptied and starts again.
const CAPACITY: usize = 4_096;

/// The caller, the words (and whether the last is a prefix), the project
/// and the threshold: what decided that the words matched many.
#[derive(Hash, PartialEq, Eq)]
pub struct Key {
    pub user: String,
    pub q: String,
    pub prefix: bool,
    pub project: Option<Uuid>,
    pub few: i64,
}

static SEEN: LazyLock<Mutex<HashMap<Key, Instant>>> = LazyLock::new(Default::default);

/// Whether these words matched many for this caller less than [`KEEP`] ago.
pub fn recalled(key: &Key) -> bool {
    let seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    seen.get(key).is_some_and(|at| at.elapsed() < KEEP)
}

/// Remembers that these words matched many for this caller.
pub fn remember(key: Key) {
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= CAPACITY && !seen.contains_key(&key) {
        seen.clear();
    }
    seen.insert(key, Instant::now());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str, q: &str) -> Key {
        Key {
            user: user.to_owned(),
            q: q.to_owned(),
            prefix: false,
            project: None,
            few: 250,
        }
    }

    #[test]
    fn words_are_recalled_for_the_caller_who_found_them_frequent() {
        assert!(!recalled(&key("ana", "gear housing")));
        remember(key("ana", "gear housing"));
        assert!(recalled(&key("ana", "gear housing")));
        assert!(!recalled(&key("ben", "gear housing")));
        assert!(!recalled(&key("ana", "gear")));
        assert!(!recalled(&Key {
            few: 40,
            ..key("ana", "gear housing")
        }));
    }
}
