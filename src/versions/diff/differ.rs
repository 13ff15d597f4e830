//! The diff service: at most `concurrency` comparisons at once on a node
//! (one more is told to come back: 503 with `Retry-After`), each within its
//! budget (see [`super::isolate`]), and answers cached by content.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use stockage_events::Sha256;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::isolate::{self, Outcome, Want};
use super::{Comparison, DiffConfig, Side};
use crate::error::Error;

/// Both revisions' content addresses: content never changes.
pub type Key = (Sha256, Sha256);

/// Comparisons kept before the cache starts over.
const COMPARISONS: usize = 512;
/// Highlight pictures kept, in bytes, before the cache starts over; a
/// larger picture is not kept.
const PICTURE_BYTES: usize = 64 * 1024 * 1024;
/// What a caller over the concurrency cap is told to wait, in seconds.
const RETRY_AFTER: u64 = 2;

pub struct Differ {
    config: DiffConfig,
    permits: Arc<Semaphore>,
    comparisons: Mutex<HashMap<Key, Arc<Comparison>>>,
    pictures: Mutex<(usize, HashMap<Key, Bytes>)>,
}

impl Differ {
    pub fn new(config: DiffConfig) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
            comparisons: Mutex::default(),
            pictures: Mutex::default(),
        }
    }

    pub fn cached_comparison(&self, key: &Key) -> Option<Arc<Comparison>> {
        self.comparisons.lock().ok()?.get(key).cloned()
    }

    pub fn cached_picture(&self, key: &Key) -> Option<Bytes> {
        self.pictures.lock().ok()?.1.get(key).cloned()
    }

    /// A place among the comparisons running now, held while the files are
    /// read and compared; none free: 503.
    pub fn permit(&self) -> Result<OwnedSemaphorePermit, Error> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Unavailable {
                detail: format!(
                    "this server is already comparing {} pairs of files; try again shortly",
                    self.config.concurrency
                ),
                retry_after: RETRY_AFTER,
            })
    }

    /// The comparison of two sides (their bytes read when small enough).
    pub async fn compare(&self, before: Side, after: Side) -> Result<Arc<Comparison>, Error> {
        let key = (before.sha256.clone(), after.sha256.clone());
        let comparison = if before.bytes.is_none() || after.bytes.is_none() {
            // Sizes and hashes only: nothing is parsed.
            super::compare(&before, &after)
        } else {
            match self.run(Want::Comparison, before, after).await? {
                Outcome::Comparison(comparison) => comparison,
                Outcome::Highlight(_) => return Err(Error::internal("the differ mixed answers")),
            }
        };
        let comparison = Arc::new(comparison);
        if let Ok(mut entries) = self.comparisons.lock() {
            if entries.len() >= COMPARISONS {
                entries.clear();
            }
            entries.insert(key, comparison.clone());
        }
        Ok(comparison)
    }

    /// The highlight picture of two images of equal size; `None` when they
    /// are not that.
    pub async fn highlight(&self, before: Side, after: Side) -> Result<Option<Bytes>, Error> {
        let key = (before.sha256.clone(), after.sha256.clone());
        let png = match self.run(Want::Highlight, before, after).await? {
            Outcome::Highlight(Some(png)) => Bytes::from(png),
            Outcome::Highlight(None) => return Ok(None),
            Outcome::Comparison(_) => return Err(Error::internal("the differ mixed answers")),
        };
        if let Ok(mut guard) = self.pictures.lock() {
            let (used, entries) = &mut *guard;
            if png.len() <= PICTURE_BYTES {
                if *used + png.len() > PICTURE_BYTES {
                    entries.clear();
                    *used = 0;
                }
                *used += png.len();
                entries.insert(key, png.clone());
            }
        }
        Ok(Some(png))
    }

    async fn run(&self, want: Want, before: Side, after: Side) -> Result<Outcome, Error> {
        isolate::run(
            &self.config.isolation,
            self.config.budget,
            want,
            before,
            after,
        )
        .await
        .map_err(|why| {
            tracing::warn!(%why, "a diff stopped");
            Error::Unprocessable(why)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_comparison_too_many_is_told_to_come_back() {
        let mut config = DiffConfig::new("stockage".into());
        config.concurrency = 1;
        let differ = Differ::new(config);
        let held = differ.permit().expect("the first finds a place");
        match differ.permit() {
            Err(Error::Unavailable { retry_after, .. }) => assert!(retry_after > 0),
            other => panic!("{:?}", other.map(|_| ())),
        }
        drop(held);
        assert!(differ.permit().is_ok());
    }
}
