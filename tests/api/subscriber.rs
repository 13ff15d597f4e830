//! A WebSocket client of `GET /api/v1/projects/{slug}/ws`.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

pub struct Subscriber {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// How the server closed the socket, once it has.
    pub closed: Option<Option<CloseFrame>>,
}

/// What a subscription attempt got.
pub enum Connect {
    Open(Box<Subscriber>),
    Refused(StatusCode, Value),
}

impl TestApp {
    fn ws_url(&self, slug: &str, query: &str) -> String {
        let base = self.address.replacen("http://", "ws://", 1);
        format!("{base}/api/v1/projects/{slug}/ws{query}")
    }

    /// Subscribes as `user` (token in the Authorization header).
    pub async fn try_subscribe(&self, slug: &str, user: &str, after: Option<i64>) -> Connect {
        let query = after.map_or(String::new(), |a| format!("?after={a}"));
        let mut request = self.ws_url(slug, &query).into_client_request().unwrap();
        let bearer = format!("Bearer {}", self.token(user, false));
        request
            .headers_mut()
            .insert("authorization", bearer.parse().unwrap());
        connect(request).await
    }

    pub async fn subscribe(&self, slug: &str, user: &str, after: Option<i64>) -> Subscriber {
        match self.try_subscribe(slug, user, after).await {
            Connect::Open(subscriber) => *subscriber,
            Connect::Refused(status, body) => panic!("subscription refused: {status} {body}"),
        }
    }

    /// Subscribes with a raw query string (e.g. `?access_token=...`) and no header.
    pub async fn subscribe_with_query(&self, slug: &str, query: &str) -> Connect {
        connect(self.ws_url(slug, query).into_client_request().unwrap()).await
    }
}

async fn connect(request: tokio_tungstenite::tungstenite::handshake::client::Request) -> Connect {
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Connect::Open(Box::new(Subscriber { ws, closed: None })),
        Err(Error::Http(response)) => {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Connect::Refused(status, body)
        }
        Err(other) => panic!("cannot connect: {other}"),
    }
}

impl Subscriber {
    /// The next JSON frame within `within`; `None` on timeout or close.
    pub async fn next_frame(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match message {
                Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(frame);
                    return None;
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    eprintln!("websocket error: {error}");
                    self.closed.get_or_insert(None);
                    return None;
                }
                None => {
                    self.closed.get_or_insert(None);
                    return None;
                }
            }
        }
    }

    /// Exactly `n` event frames, each within 10 s of the previous one.
    pub async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut events = Vec::with_capacity(n);
        while events.len() < n {
            let frame = self
                .next_frame(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("only {} of {n} events arrived", events.len()));
            assert_eq!(frame["type"], "event", "unexpected frame {frame}");
            events.push(frame);
        }
        events
    }

    /// Asserts that no frame arrives for `quiet`.
    pub async fn assert_quiet(&mut self, quiet: Duration) {
        if let Some(frame) = self.next_frame(quiet).await {
            panic!("unexpected frame {frame}");
        }
    }

    pub async fn close(mut self) {
        self.ws.close(None).await.ok();
        while let Some(Ok(_)) = self.ws.next().await {}
    }

    /// Sends a ping and waits for its pong, skipping other frames.
    pub async fn ping(&mut self) -> bool {
        if self
            .ws
            .send(Message::Ping(b"hi".to_vec().into()))
            .await
            .is_err()
        {
            return false;
        }
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await
        {
            if matches!(message, Message::Pong(_)) {
                return true;
            }
        }
        false
    }
}

/// The positions of event frames.
pub fn positions(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect()
}

impl TestApp {
    /// A subscriber whose socket has a tiny receive buffer, so that not
    /// reading it quickly pushes back on the server.
    pub async fn subscribe_slow(&self, slug: &str, user: &str, after: i64) -> Subscriber {
        let address = self.address.trim_start_matches("http://");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4_096).unwrap();
        let stream = socket.connect(address.parse().unwrap()).await.unwrap();
        let mut request = self
            .ws_url(slug, &format!("?after={after}"))
            .into_client_request()
            .unwrap();
        let bearer = format!("Bearer {}", self.token(user, false));
        request
            .headers_mut()
            .insert("authorization", bearer.parse().unwrap());
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        Subscriber { ws, closed: None }
    }
}
