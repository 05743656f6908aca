//! Operating the daemon's loops: one [`Shutdown`] signal every loop listens
//! to, and one loop helper, [`run_loop`], shared by the engine and the email
//! alerts: a pass, then a wait that a shutdown cuts short, with backoff while
//! the database is unreachable.

pub mod leader;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod notify;

use std::time::Duration;

use tokio::sync::watch;
use tracing::{error, info};

/// The exit code of a configuration or usage error (clap uses it too).
pub const EXIT_CONFIG: u8 = 2;

/// An error and its causes on one line, each said once (mysql_async says
/// "Input/output error: Input/output error: Connection refused").
pub fn error_text(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        next = cause.source();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

/// Listens for the shutdown signal, in the style of tokio's mini-redis
/// `Shutdown`: cheap to clone, checked between batches with
/// [`is_shutdown`](Shutdown::is_shutdown), awaited in a `select!` with
/// [`recv`](Shutdown::recv). A dropped sender counts as a shutdown.
#[derive(Clone, Debug)]
pub struct Shutdown {
    is_shutdown: bool,
    notify: watch::Receiver<bool>,
}

/// Starts a shutdown for every [`Shutdown`] made from it.
#[derive(Debug)]
pub struct ShutdownSender(watch::Sender<bool>);

impl ShutdownSender {
    /// Tells every listener to stop.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// A sender and its first listener.
    pub fn new() -> (ShutdownSender, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (
            ShutdownSender(tx),
            Shutdown {
                is_shutdown: false,
                notify: rx,
            },
        )
    }

    /// True once a shutdown has started.
    pub fn is_shutdown(&self) -> bool {
        self.is_shutdown || *self.notify.borrow()
    }

    /// Waits until a shutdown starts; returns at once after that.
    pub async fn recv(&mut self) {
        if self.is_shutdown {
            return;
        }
        // An error means the sender is gone: nobody can say "go on" any more.
        let _ = self.notify.wait_for(|stop| *stop).await;
        self.is_shutdown = true;
    }
}

/// Runs `pass` until a shutdown: after each pass, waits the time it returned
/// (after a failure, the backoff), a wait a shutdown cuts short. `what` names
/// the loop in log lines.
pub async fn run_loop<E: Failure>(
    what: &'static str,
    max_backoff: Duration,
    mut shutdown: Shutdown,
    mut pass: impl AsyncFnMut(Shutdown) -> Result<Duration, E>,
) {
    let mut retry = Retry::new(what, max_backoff);
    while !shutdown.is_shutdown() {
        let wait = match pass(shutdown.clone()).await {
            Ok(wait) => {
                retry.succeeded();
                wait
            }
            Err(e) => retry.failed_with(&e, e.permanent()),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.recv() => {}
        }
    }
}

/// A failed pass, as the retry loop tells failures apart.
pub trait Failure: std::fmt::Display {
    /// Whether trying again cannot help until someone changes something (a
    /// missing privilege, table or column): said once, then tried again
    /// quietly at the longest backoff.
    fn permanent(&self) -> bool {
        false
    }
}

impl Failure for &str {}

impl Failure for String {}

impl Failure for crate::db::DbError {
    fn permanent(&self) -> bool {
        self.is_permanent()
    }
}

/// Backoff for a loop whose passes need the database: 1 s, doubling up to a
/// maximum, and one log line when the database is reachable again. A
/// permanent failure is logged once (again only when it changes), with
/// what to do, and retried at the maximum.
pub struct Retry {
    what: &'static str,
    backoff: Duration,
    max: Duration,
    failing: bool,
    /// The permanent failure last logged.
    said: Option<String>,
}

impl Retry {
    /// A fresh backoff for the loop named `what` (used in log lines).
    pub fn new(what: &'static str, max: Duration) -> Retry {
        Retry {
            what,
            backoff: Duration::from_secs(1),
            max,
            failing: false,
            said: None,
        }
    }

    /// A pass succeeded: the backoff starts over.
    pub fn succeeded(&mut self) {
        if self.failing {
            info!("{}: database reachable again", self.what);
            self.failing = false;
        }
        self.said = None;
        self.backoff = Duration::from_secs(1);
    }

    /// A pass failed for a reason that may pass: [`Retry::failed_with`].
    pub fn failed(&mut self, err: &dyn std::fmt::Display) -> Duration {
        self.failed_with(err, false)
    }

    /// A pass failed: logs why (a permanent failure only the first time)
    /// and returns how long to wait before the next.
    pub fn failed_with(&mut self, err: &dyn std::fmt::Display, permanent: bool) -> Duration {
        let (wait, line) = self.note(err.to_string(), permanent);
        if let Some(line) = line {
            error!("{line}");
        }
        wait
    }

    /// The wait and the log line, if any, of a failure.
    fn note(&mut self, err: String, permanent: bool) -> (Duration, Option<String>) {
        self.failing = true;
        if permanent {
            self.backoff = self.max;
            let line = (self.said.as_ref() != Some(&err)).then(|| {
                format!(
                    "{} pass failed: {err}; this will not pass by itself (a missing privilege, table or \
                     column: see `vicidial-callbackd check`); trying again every {}s, quietly",
                    self.what,
                    self.max.as_secs()
                )
            });
            self.said = Some(err);
            return (self.max, line);
        }
        self.said = None;
        let line = format!("{} pass failed: {err}; retrying in {}s", self.what, self.backoff.as_secs());
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(self.max);
        (wait, Some(line))
    }

}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn error_text_says_each_cause_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "Input/output error: {}", self.0)
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ));
        assert_eq!(error_text(&e), "Input/output error: Connection refused");
        let e = Outer(std::io::Error::other("Input/output error: Connection refused"));
        assert_eq!(error_text(&e), "Input/output error: Connection refused");
    }

    use super::*;

    #[test]
    fn backoff_doubles_to_the_maximum_and_starts_over() {
        let mut r = Retry::new("test", Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| r.failed(&"down").as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
        r.succeeded();
        assert_eq!(r.failed(&"down").as_secs(), 1);
    }

    #[tokio::test]
    async fn a_shutdown_reaches_every_clone_and_a_dropped_sender_counts_as_one() {
        let (tx, mut a) = Shutdown::new();
        let b = a.clone();
        assert!(!a.is_shutdown());
        tx.shutdown();
        a.recv().await;
        assert!(a.is_shutdown() && b.is_shutdown());
        let (tx, mut c) = Shutdown::new();
        drop(tx);
        tokio::time::timeout(Duration::from_secs(1), c.recv()).await.unwrap();
        assert!(c.is_shutdown());
    }

    #[test]
    fn a_permanent_failure_is_said_once_and_waits_the_longest() {
        let mut retry = Retry::new("engine", Duration::from_secs(30));
        let (wait, line) = retry.note("INSERT command denied".into(), true);
        assert_eq!(wait, Duration::from_secs(30));
        assert!(line.unwrap().contains("will not pass by itself"));
        assert_eq!(retry.note("INSERT command denied".into(), true), (Duration::from_secs(30), None));
        assert!(retry.note("UPDATE command denied".into(), true).1.is_some(), "a new one is said");
        retry.succeeded();
        let (wait, line) = retry.note("connection refused".into(), false);
        assert_eq!(wait, Duration::from_secs(1));
        assert!(line.is_some());
        assert!(retry.note("connection refused".into(), false).1.is_some(), "a passing one is said each time");
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_waits_what_the_pass_says_and_stops_on_shutdown() {
        let (tx, shutdown) = Shutdown::new();
        let mut passes = 0;
        let started = tokio::time::Instant::now();
        run_loop("test", Duration::from_secs(5), shutdown, async |_: Shutdown| {
            passes += 1;
            if passes == 3 {
                tx.shutdown();
            }
            if passes == 2 {
                Err("down")
            } else {
                Ok(Duration::from_secs(10))
            }
        })
        .await;
        assert_eq!(passes, 3);
        // 10 s after the first pass, 1 s of backoff after the failed second.
        assert_eq!(started.elapsed(), Duration::from_secs(11));
    }
}
