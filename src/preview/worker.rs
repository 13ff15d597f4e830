//! Draws the thumbnails of every new revision off the request path: a
//! follower of the log, kept behind it by the projections runner (one
//! leader in the cluster, a checkpoint moved after each page).
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::PgPool;
use stockage_events::{Event, RecordedEvent};
use stockage_projections::runner::{self, FollowError, Follower, RunnerError};
use tokio::sync::watch;

use super::Size;
use super::store::{Previews, Source};
use crate::storage::BlobError;

pub const NAME: &str = "previews";

struct Thumbnails(Previews);

#[async_trait]
impl Follower for Thumbnails {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Draws the missing sizes of every revision in the page, together (one
    /// read and one rendering a source); returns how many sources it went
    /// through (cached ones included).
    async fn handle(&self, page: &[RecordedEvent]) -> Result<u64, FollowError> {
        let previews = &self.0;
        let mut seen = HashSet::new();
        let sources: Vec<Source> = page
            .iter()
            .filter_map(|recorded| match recorded.event() {
                Ok(
                    Event::DocumentAdded {
                        kind, sha256, size, ..
                    }
                    | Event::RevisionAdded {
                        kind, sha256, size, ..
                    },
                ) => Some(Source { kind, sha256, size }),
                _ => None,
            })
            .filter(|source| seen.insert(source.sha256.clone()))
            .collect();
        let drawn = sources.len() as u64;
        futures_util::stream::iter(sources)
            .map(|source| async move {
                previews.draw(&source, &Size::ALL).await?;
                Ok::<_, BlobError>(())
            })
            .buffer_unordered(previews.config().concurrency.max(1))
            .try_collect::<()>()
            .await?;
        Ok(drawn)
    }
}

/// Runs until `shutdown` turns true, as the leader when no other node is.
pub async fn run(
    pool: PgPool,
    previews: Previews,
    poll: Duration,
    shutdown: watch::Receiver<bool>,
) {
    runner::follow(pool, Arc::new(Thumbnails(previews)), poll, shutdown).await
}

/// Draws every size of every revision added since the checkpoint.
/// Returns how many sources it went through (cached ones included).
pub async fn catch_up(pool: &PgPool, previews: &Previews) -> Result<u64, RunnerError> {
    runner::follow_up(pool, &Thumbnails(previews.clone())).await
}
