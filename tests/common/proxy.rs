//! A TCP proxy on loopback between a daemon and MariaDB, for network faults:
//! it forwards every connection, and on command stalls both directions (as a
//! frozen network does: nothing passes, nothing is closed), or cuts every
//! connection at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; it stops with the test's runtime.
pub struct Proxy {
    /// The loopback port it listens on.
    pub port: u16,
    stalled: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target`.
    pub async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stalled = Arc::new(AtomicBool::new(false));
        let (cut, cuts) = watch::channel(0u64);
        let stall = stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pipe(cr, sw, stall.clone(), cuts.clone()));
                tokio::spawn(pipe(sr, cw, stall.clone(), cuts.clone()));
            }
        });
        Proxy { port, stalled, cut }
    }

    /// The URL `url` (a `mysql://` URL of the server) through the proxy.
    pub fn url(&self, url: &str) -> String {
        let (head, rest) = url.rsplit_once('@').expect("a URL with credentials");
        let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
        format!("{head}@127.0.0.1:{}/{path}", self.port)
    }

    /// Nothing passes in either direction until [`Proxy::resume`].
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Passes again what was held.
    pub fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// Closes every connection open now.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// Copies one direction, holding data while stalled, until either side
/// closes or a cut.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
    mut cuts: watch::Receiver<u64>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            },
            _ = cuts.changed() => return,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = cuts.changed() => return,
            }
        }
        // A close, too, reaches the other side only once the stall ends.
        if n == 0 || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
