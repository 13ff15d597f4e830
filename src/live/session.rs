//! One WebSocket subscriber: a producer that turns the feed into frames
//! this user may see, and a writer that owns the socket. Between them a
//! bounded queue: a client whose queue stays full for `grace` gets
//! `resync` with the position to resume from, and is closed. Nobody else
//! waits for it: the broadcast never blocks, and a subscriber that falls
//! behind it reads the log instead.
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

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
    /// How often a socket's credential is checked again (a logout, a
    /// revocation this node did not see as an event).
    pub recheck: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            queue: 1_024,
            grace: Duration::from_secs(5),
            ping_every: Duration::from_secs(20),
            silence: Duration::from_secs(60),
            recheck: Duration::from_secs(15),
        }
    }
}

/// The close code of a socket whose credential expired or was revoked
/// (the WebSocket twin of HTTP 401).
pub const CREDENTIAL_ENDED: u16 = 4401;

enum Out {
    Event {
        frame: String,
        position: i64,
        recorded_at: OffsetDateTime,
    },
    /// Everything up to `after` was queued; resume from there.
    Resync {
        after: i64,
    },
    Close(CloseReason),
}

/// Serves one subscriber until either side closes, the node shuts down or
/// `credential_ends` (the caller's token expired or was revoked: closed
/// with [`CREDENTIAL_ENDED`] and the position to resume from).
pub async fn run_session(
    session: Session,
    messages: MessageStream,
    feed: Feed,
    viewer: Viewer,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
    credential_ends: BoxFuture<'static, &'static str>,
) {
    metrics::gauge!("stockage_ws_clients").increment(1);
    let (queue, frames) = mpsc::channel(limits.queue);
    let after = feed.after();
    let producer = tokio::spawn(produce(feed, viewer, queue, limits.grace));
    let ends = Ends {
        shutdown,
        credential: credential_ends,
        after,
    };
    write(session, messages, frames, limits, ends).await;
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
                position: event.position,
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

/// What ends a session from outside.
struct Ends {
    shutdown: watch::Receiver<bool>,
    credential: BoxFuture<'static, &'static str>,
    /// The position the client has everything up to.
    after: i64,
}

async fn write(
    mut session: Session,
    mut messages: MessageStream,
    mut frames: mpsc::Receiver<Out>,
    limits: Limits,
    ends: Ends,
) {
    let Ends {
        mut shutdown,
        credential,
        mut after,
    } = ends;
    tokio::pin!(credential);
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
            why = &mut credential => {
                let reason = CloseReason {
                    code: CloseCode::Other(CREDENTIAL_ENDED),
                    description: Some(format!("{why}; reconnect with a fresh token and after={after}")),
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
                Some(Out::Event { frame, position, recorded_at }) => {
                    // A client that takes no frame at all for this long is gone.
                    match tokio::time::timeout(limits.silence, session.text(frame)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) | Err(_) => return,
                    }
                    after = position;
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
