//! The bridge as a follower of the log: each event, in log order, to its
//! project's group; the runner moves the checkpoint after each page.
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::PgPool;
use stockage_events::RecordedEvent;
use stockage_projections::runner::{FollowError, Follower, Start};
use stockage_store::log;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::config::{BridgeConfig, GroupTemplate};
use super::layer::{ChannelLayer, Outgoing};
use crate::live::{LiveEvent, frame_fields};

/// The follower's checkpoint name.
pub const NAME: &str = "channels";

/// Longest wait between two tries while Redis is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Events sent in one transaction (two round trips to Redis).
const BATCH: usize = 100;

pub struct Bridge {
    pool: PgPool,
    layer: ChannelLayer,
    group: GroupTemplate,
    retry: Duration,
    slugs: Mutex<HashMap<Uuid, String>>,
    /// The last position published by this process: a page retried after
    /// its checkpoint could not be saved is not published twice.
    published: AtomicI64,
}

impl Bridge {
    pub fn new(pool: PgPool, config: &BridgeConfig) -> Result<Self, redis::RedisError> {
        Ok(Self {
            pool,
            layer: ChannelLayer::new(config)?,
            group: config.group.clone(),
            retry: config.poll,
            slugs: Mutex::new(HashMap::new()),
            published: AtomicI64::new(0),
        })
    }

    /// The group and message of one event; `None` for an event this
    /// program cannot decode, or that belongs to no project.
    async fn message(&self, recorded: &RecordedEvent) -> Result<Option<Outgoing>, sqlx::Error> {
        let live = match LiveEvent::from_recorded(recorded) {
            Ok(live) => live,
            Err(error) => {
                tracing::error!(position = recorded.position, %error, "event cannot be decoded; not published");
                metrics::counter!("stockage_channels_skipped_total", "reason" => "undecodable")
                    .increment(1);
                return Ok(None);
            }
        };
        let Some(slug) = self.slug(recorded.project_id).await? else {
            tracing::warn!(position = recorded.position, project = %recorded.project_id, "event of no known project; not published");
            metrics::counter!("stockage_channels_skipped_total", "reason" => "no_project")
                .increment(1);
            return Ok(None);
        };
        let mut message = Map::new();
        message.insert("type".into(), "stockage.event".into());
        message.insert("event".into(), Value::Object(frame_fields(&live.item)));
        Ok(Some(Outgoing {
            group: self.group.render(&slug, recorded.project_id),
            message,
        }))
    }

    /// Slugs never change, so each is read once.
    async fn slug(&self, project_id: Uuid) -> Result<Option<String>, sqlx::Error> {
        if let Some(slug) = self.slugs.lock().await.get(&project_id) {
            return Ok(Some(slug.clone()));
        }
        let slug = crate::documents::projects::slug_of(&self.pool, project_id).await?;
        if let Some(slug) = &slug {
            self.slugs.lock().await.insert(project_id, slug.clone());
        }
        Ok(slug)
    }

    /// Sends until Redis accepts: an outage delays the bridge, and the lag
    /// metrics show it. `oldest` is the batch's first event.
    async fn publish(&self, batch: &[Outgoing], oldest: &RecordedEvent) {
        let mut backoff = self.retry;
        let mut failed_since = None;
        loop {
            metrics::gauge!("stockage_channels_lag_seconds").set(age(oldest.recorded_at));
            match self.layer.group_send_all(batch).await {
                Ok(sent) => {
                    if let Some(since) = failed_since {
                        tracing::info!(position = oldest.position, down_for = ?OffsetDateTime::now_utc() - since, "Redis is back; publishing again");
                    }
                    metrics::counter!("stockage_channels_published_total")
                        .increment(batch.len() as u64);
                    for (outgoing, sent) in batch.iter().zip(sent) {
                        if sent.over_capacity > 0 {
                            tracing::info!(
                                group = outgoing.group,
                                full = sent.over_capacity,
                                channels = sent.channels,
                                "channels over capacity dropped an event"
                            );
                            metrics::counter!("stockage_channels_over_capacity_total")
                                .increment(sent.over_capacity);
                        }
                    }
                    return;
                }
                Err(error) => {
                    metrics::counter!("stockage_channels_failures_total").increment(1);
                    if failed_since.is_none() {
                        tracing::warn!(position = oldest.position, %error, "cannot publish to the channel layer; retrying until it answers");
                        failed_since = Some(OffsetDateTime::now_utc());
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

#[async_trait]
impl Follower for Bridge {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The platform's consumers are live listeners and its messages expire
    /// within a minute: history from before the bridge was enabled would
    /// only flood them (decision 0035).
    fn start(&self) -> Start {
        Start::Head
    }

    async fn handle(&self, page: &[RecordedEvent]) -> Result<u64, FollowError> {
        let head = log::head(&mut *self.pool.acquire().await?).await?;
        let done = self.published.load(Ordering::Relaxed);
        let fresh: Vec<&RecordedEvent> = page.iter().filter(|r| r.position > done).collect();
        let mut sent = 0;
        for chunk in fresh.chunks(BATCH) {
            let mut batch = Vec::with_capacity(chunk.len());
            for recorded in chunk {
                batch.extend(self.message(recorded).await?);
            }
            if !batch.is_empty() {
                self.publish(&batch, chunk[0]).await;
                sent += batch.len() as u64;
            }
            let last = chunk[chunk.len() - 1].position;
            self.published.store(last, Ordering::Relaxed);
            metrics::gauge!("stockage_channels_lag_events").set((head - last).max(0) as f64);
        }
        if page.last().is_some_and(|last| last.position >= head) {
            metrics::gauge!("stockage_channels_lag_seconds").set(0.0);
        }
        Ok(sent)
    }
}

fn age(at: OffsetDateTime) -> f64 {
    (OffsetDateTime::now_utc() - at).as_seconds_f64().max(0.0)
}
