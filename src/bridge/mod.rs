//! The platform bridge: every event of the log, in order, into the
//! platform's Django Channels layer (`channels_redis` over Redis), as
//! `{"type": "stockage.event", "event": <the WebSocket frame>}` to the
//! group of the event's project, so a consumer's `stockage_event` method
//! receives it.
//!
//! A follower of the log kept by the projections runner: one node of the
//! cluster at a time, a checkpoint moved only after Redis accepted a whole
//! page. A Redis outage delays it; after a crash the last page may be sent
//! again, and every frame carries its `position` for consumers to drop a
//! repeat. Off until `STOCKAGE_CHANNELS_REDIS_URL` is set; never on the
//! request path (`/readyz` does not look at Redis).
mod config;
mod follower;
mod layer;
pub mod wire;

use std::sync::Arc;

use sqlx::PgPool;
use stockage_projections::runner::{self, RunnerError};
use tokio::sync::watch;

pub use config::{BridgeConfig, DEFAULT_GROUP, GroupTemplate};
pub use follower::NAME;

use follower::Bridge;

/// Publishes until `shutdown` turns true, as the leader when no other
/// node is.
pub async fn run(pool: PgPool, config: BridgeConfig, shutdown: watch::Receiver<bool>) {
    match Bridge::new(pool.clone(), &config) {
        Ok(bridge) => runner::follow(pool, Arc::new(bridge), config.poll, shutdown).await,
        Err(error) => tracing::error!(%error, "the Channels bridge cannot start"),
    }
}

/// Publishes every event since the checkpoint (the first time: none, the
/// checkpoint is set to the head). Returns how many messages were sent.
pub async fn catch_up(pool: &PgPool, config: &BridgeConfig) -> Result<u64, RunnerError> {
    let bridge = Bridge::new(pool.clone(), config).map_err(|error| RunnerError::Follow {
        name: NAME,
        after: 0,
        source: error.into(),
    })?;
    runner::follow_up(pool, &bridge).await
}
