//! WebSocket fan-out with nothing behind it: a bare broadcast server (no
//! database, no authentication) and subscribers that time each message
//! from its send to its arrival. The floor any real fan-out is judged on.
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use crate::drive::Outcome;

/// Serves until the process ends: every text frame any client sends goes
/// to every connected client.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let (sender, _) = broadcast::channel::<Message>(1_024);
    loop {
        let (stream, _) = listener.accept().await?;
        let sender = sender.clone();
        tokio::spawn(async move {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut sink, mut source) = socket.split();
            let mut receiver = sender.subscribe();
            let forward = tokio::spawn(async move {
                loop {
                    match receiver.recv().await {
                        Ok(message) => {
                            if sink.send(message).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
            while let Some(Ok(message)) = source.next().await {
                if message.is_text() {
                    let _ = sender.send(message);
                }
            }
            forward.abort();
        });
    }
}

/// Opens `count` WebSocket connections to `url`, at most 64 handshakes at
/// a time.
pub async fn connect_many(
    url: &str,
    count: usize,
) -> Result<
    Vec<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    >,
    String,
> {
    futures_util::stream::iter(0..count)
        .map(|_| async move {
            tokio_tungstenite::connect_async(url)
                .await
                .map(|(socket, _)| socket)
                .map_err(|e| format!("websocket connect: {e}"))
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// `subscribers` clients listen while one more sends `messages` frames,
/// `gap` apart; every frame carries its send time, so each arrival gives a
/// latency. A frame that does not arrive within 10 s counts as an error.
pub async fn measure(
    url: &str,
    subscribers: usize,
    messages: usize,
    gap: Duration,
) -> Result<Outcome, String> {
    let sockets = connect_many(url, subscribers).await?;
    let (mut publisher, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("websocket connect: {e}"))?;
    let origin = Arc::new(Instant::now());
    let started = Instant::now();
    let listeners: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let origin = origin.clone();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                let deadline = Instant::now() + Duration::from_secs(10) + gap * messages as u32;
                while outcome.done < messages as u64 {
                    let next = tokio::time::timeout_at(deadline.into(), socket.next()).await;
                    let Ok(Some(Ok(message))) = next else { break };
                    let Some(sent) = message.to_text().ok().and_then(|t| t.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let took = origin.elapsed().saturating_sub(Duration::from_nanos(sent));
                    outcome.done += 1;
                    outcome.latencies.push(took);
                }
                outcome.errors = messages as u64 - outcome.done;
                let _ = socket.close(None).await;
                outcome
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..messages {
        let sent = origin.elapsed().as_nanos().to_string();
        publisher
            .send(Message::text(sent))
            .await
            .map_err(|e| format!("websocket send: {e}"))?;
        tokio::time::sleep(gap).await;
    }
    let mut total = Outcome::default();
    for listener in listeners {
        let outcome = listener.await.map_err(|e| e.to_string())?;
        total.done += outcome.done;
        total.errors += outcome.errors;
        total.latencies.extend(outcome.latencies);
    }
    if total.errors > 0 {
        total.first_error = Some(format!("{} frames did not arrive", total.errors));
    }
    total.elapsed = started.elapsed();
    let _ = publisher.close(None).await;
    Ok(total)
}
