//! One WebSocket subscriber: a producer that turns the feed into frames
//! this user may see, and a writer that owns the socket. Between them a
//! bounded queue: a client whose queue stays full for `grace` gets
//! `resync` with the position to resume from, and is closed. Nobody else
//! waits for it: the broadcast never blocks, and a subscriber that falls
//! behind it reads the log instead.
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::mpsc::error::SendTimeoutError;
use tokio::sync::{mpsc, watch};

use super::{Feed, Viewer};

/// Per-connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Frames queued for one client.
    pub queue: usize,
    /// How long a full queue is tolerated before the client counts as too
    /// slow, so a burst is not mistaken for a stuck client.
    pub grace: Duration,
    pub ping_every: Duration,
    /// A client that sends nothing (not even a pong) for this long is closed.
    pub silence: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            queue: 1_024,
            grace: Duration::from_secs(5),
            ping_every: Duration::from_secs(20),
            silence: Duration::from_secs(60),
        }
    }
}

enum Out {
    Event {
        frame: String,
        recorded_at: OffsetDateTime,
    },
    /// Everything up to `after` was queued; resume from there.
    Resync {
        after: i64,
    },
    Close(CloseReason),
}

/// Serves one subscriber until either side closes or the node shuts down.
pub async fn run_session(
    session: Session,
    messages: MessageStream,
    feed: Feed,
    viewer: Viewer,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) {
    metrics::gauge!("stockage_ws_clients").increment(1);
    let (queue, frames) = mpsc::channel(limits.queue);
    let producer = tokio::spawn(produce(feed, viewer, queue, limits.grace));
    write(session, messages, frames, limits, shutdown).await;
    producer.abort();
    metrics::gauge!("stockage_ws_clients").decrement(1);
}

async fn produce(mut feed: Feed, mut viewer: Viewer, queue: mpsc::Sender<Out>, grace: Duration) {
    loop {
        let events = match feed.next().await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "subscription ended");
                let reason = CloseReason {
                    code: CloseCode::Away,
                    description: Some(
                        "the event feed ended; reconnect with after=<position>".into(),
                    ),
                };
                drop(queue.send(Out::Close(reason)).await);
                return;
            }
        };
        for event in events {
            if !viewer.admit(&event) {
                continue;
            }
            let (item, frame) = viewer.shown(&event);
            let out = Out::Event {
                frame: frame.to_owned(),
                recorded_at: item.recorded_at,
            };
            match queue.send_timeout(out, grace).await {
                Ok(()) => {}
                Err(SendTimeoutError::Timeout(_)) => {
                    metrics::counter!("stockage_ws_resyncs_total").increment(1);
                    let after = event.position - 1;
                    drop(queue.send(Out::Resync { after }).await);
                    return;
                }
                Err(SendTimeoutError::Closed(_)) => return,
            }
            if !viewer.is_member() {
                let reason = CloseReason {
                    code: CloseCode::Policy,
                    description: Some("no longer a member of the project".into()),
                };
                drop(queue.send(Out::Close(reason)).await);
                return;
            }
        }
    }
}

async fn write(
    mut session: Session,
    mut messages: MessageStream,
    mut frames: mpsc::Receiver<Out>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut heard = Instant::now();
    let mut ping = tokio::time::interval(limits.ping_every);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => {
                let reason = CloseReason {
                    code: CloseCode::Away,
                    description: Some("the server is shutting down".into()),
                };
                drop(session.close(Some(reason)).await);
                return;
            }
            message = messages.next() => match message {
                Some(Ok(Message::Ping(bytes))) => {
                    heard = Instant::now();
                    if session.pong(&bytes).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    drop(session.close(None).await);
                    return;
                }
                Some(Ok(_)) => heard = Instant::now(),
            },
            _ = ping.tick() => {
                if heard.elapsed() >= limits.silence {
                    let reason = CloseReason {
                        code: CloseCode::Away,
                        description: Some("no answer to pings".into()),
                    };
                    drop(session.close(Some(reason)).await);
                    return;
                }
                if session.ping(b"").await.is_err() {
                    return;
                }
            }
            out = frames.recv() => match out {
                Some(Out::Event { frame, recorded_at }) => {
                    // A client that takes no frame at all for this long is gone.
                    match tokio::time::timeout(limits.silence, session.text(frame)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) | Err(_) => return,
                    }
                    let latency = (OffsetDateTime::now_utc() - recorded_at).as_seconds_f64();
                    metrics::counter!("stockage_ws_events_delivered_total").increment(1);
                    metrics::histogram!("stockage_ws_delivery_latency_seconds").record(latency);
                }
                Some(Out::Resync { after }) => {
                    let frame = serde_json::json!({"type": "resync", "after": after});
                    drop(session.text(frame.to_string()).await);
                    let reason = CloseReason {
                        code: CloseCode::Again,
                        description: Some(format!("too slow; reconnect with after={after}")),
                    };
                    drop(session.close(Some(reason)).await);
                    return;
                }
                Some(Out::Close(reason)) => {
                    drop(session.close(Some(reason)).await);
                    return;
                }
                None => return,
            },
        }
    }
}
