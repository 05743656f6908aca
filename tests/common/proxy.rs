//! A TCP proxy on loopback between a daemon and MariaDB, for network faults:
//! it forwards every connection, and on command stalls both directions (as a
//! frozen network does: nothing passes, nothing is closed), delays each
//! direction (a slow link: everything arrives, late, in order), or cuts every
//! connection at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; it stops with the test's runtime.
pub struct Proxy {
    /// The loopback port it listens on.
    pub port: u16,
    stalled: Arc<AtomicBool>,
    /// Milliseconds each chunk waits: towards the server, towards the client.
    delays: [Arc<AtomicU64>; 2],
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
        let delays = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
        let [up, down] = delays.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pipe(cr, sw, stall.clone(), up.clone(), cuts.clone()));
                tokio::spawn(pipe(sr, cw, stall.clone(), down.clone(), cuts.clone()));
            }
        });
        Proxy {
            port,
            stalled,
            delays,
            cut,
        }
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

    /// Every byte from now on reaches the server `to_server` late and the
    /// client `to_client` late (zero: no delay).
    pub fn delay(&self, to_server: Duration, to_client: Duration) {
        self.delays[0].store(to_server.as_millis() as u64, Ordering::SeqCst);
        self.delays[1].store(to_client.as_millis() as u64, Ordering::SeqCst);
    }

    /// Closes every connection open now.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// Copies one direction, each chunk `delay` after it was read, holding data
/// while stalled, until either side closes or a cut.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
    delay: Arc<AtomicU64>,
    mut cuts: watch::Receiver<u64>,
) {
    // A reader apart, so a delay is latency, not a slower link: chunks read
    // while one waits keep their own arrival time.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let mut reader_cuts = cuts.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = tokio::select! {
                read = from.read(&mut buf) => match read {
                    Ok(0) | Err(_) => 0,
                    Ok(n) => n,
                },
                _ = reader_cuts.changed() => return,
            };
            let due = Instant::now() + Duration::from_millis(delay.load(Ordering::SeqCst));
            // An empty chunk is the close.
            if tx.send((due, buf[..n].to_vec())).is_err() || n == 0 {
                return;
            }
        }
    });
    loop {
        let (due, chunk) = tokio::select! {
            next = rx.recv() => match next {
                Some(next) => next,
                None => return,
            },
            _ = cuts.changed() => return,
        };
        tokio::select! {
            _ = tokio::time::sleep_until(due.into()) => {}
            _ = cuts.changed() => return,
        }
        while stalled.load(Ordering::SeqCst) {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = cuts.changed() => return,
            }
        }
        // A close, too, reaches the other side only once the stall ends.
        if chunk.is_empty() || to.write_all(&chunk).await.is_err() {
            return;
        }
    }
}
