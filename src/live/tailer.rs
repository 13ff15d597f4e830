//! Follows the log on this node and publishes each committed event, in
//! order, to the node's broadcast. NOTIFY wakes it; a short timer covers a
//! missed notification; after a database restart the pool and listener
//! reconnect and it carries on from the last position it published.
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use stockage_store::{NOTIFY_CHANNEL, log};
use tokio::sync::{broadcast, watch};

use super::LiveEvent;

const FALLBACK: Duration = Duration::from_millis(500);
const RETRY: Duration = Duration::from_secs(1);
const PAGE: i64 = 1_000;

pub async fn run(
    pool: PgPool,
    sender: broadcast::Sender<Arc<LiveEvent>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last = loop {
        match head(&pool).await {
            Ok(head) => break head,
            Err(error) => tracing::warn!(%error, "tailer cannot read the log head; retrying"),
        }
        if stopped(&mut shutdown, RETRY).await {
            return;
        }
    };
    let mut listener = None;
    loop {
        if listener.is_none() {
            listener = listen(&pool).await;
        }
        if let Err(error) = publish_new(&pool, &sender, &mut last).await {
            tracing::warn!(%error, last, "tailer cannot read the log; retrying");
            listener = None;
            if stopped(&mut shutdown, RETRY).await {
                return;
            }
            continue;
        }
        let woken = async {
            match listener.as_mut() {
                // `None`: the connection was lost; it reconnects on the
                // next call, and the log read above covers the gap.
                Some(l) => l.try_recv().await.map(|_| ()),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = woken => if let Err(error) = result {
                tracing::warn!(%error, "tailer lost its LISTEN connection; reconnecting");
                listener = None;
            },
            _ = tokio::time::sleep(FALLBACK) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(pool)
        .await
        .inspect_err(|error| tracing::warn!(%error, "tailer cannot LISTEN; polling"))
        .ok()?;
    listener
        .listen(NOTIFY_CHANNEL)
        .await
        .inspect_err(|error| tracing::warn!(%error, "tailer cannot LISTEN; polling"))
        .ok()?;
    Some(listener)
}

async fn head(pool: &PgPool) -> Result<i64, sqlx::Error> {
    log::head(&mut *pool.acquire().await?).await
}

/// Publishes every event after `last`, moving `last` along.
async fn publish_new(
    pool: &PgPool,
    sender: &broadcast::Sender<Arc<LiveEvent>>,
    last: &mut i64,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    loop {
        let events = log::read_after(&mut conn, *last, PAGE).await?;
        for event in LiveEvent::decode_all(&events) {
            // No subscriber is not an error.
            drop(sender.send(event));
        }
        if let Some(newest) = events.last() {
            *last = newest.position;
        }
        if events.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Sleeps for `pause`; true if the node is shutting down.
async fn stopped(shutdown: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(pause) => false,
        _ = shutdown.wait_for(|stop| *stop) => true,
    }
}
