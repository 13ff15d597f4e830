//! A loopback TCP relay in front of a real server, which a test can cut
//! (live connections are closed, new ones accepted and dropped at once)
//! and restore: an outage of the server behind it, without stopping it.
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Relay {
    pub address: SocketAddr,
    open: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl Relay {
    pub async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (open, is_open) = watch::channel(true);
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !*is_open.borrow() {
                    drop(client);
                    continue;
                }
                tokio::spawn(pass(client, target, is_open.clone()));
            }
        });
        Relay {
            address,
            open,
            accepting,
        }
    }

    /// The server behind becomes unreachable.
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

async fn pass(mut client: TcpStream, target: SocketAddr, mut is_open: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = is_open.wait_for(|open| !*open) => {}
    }
}

/// `http://host:port` → the socket address.
pub fn socket_of(url: &str) -> SocketAddr {
    let host_port = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1");
    host_port.parse().expect("an http://IP:PORT endpoint")
}
