//! Operating the daemon's loops: waiting out an unreachable database with
//! backoff, and sleeping in a way a shutdown request cuts short.

use std::time::Duration;

use tokio::sync::watch;
use tracing::{error, info};

/// Backoff for a loop whose passes need the database: 1 s, doubling up to a
/// maximum, and one log line when the database is reachable again.
pub struct Retry {
    what: &'static str,
    backoff: Duration,
    max: Duration,
    failing: bool,
}

impl Retry {
    /// A fresh backoff for the loop named `what` (used in log lines).
    pub fn new(what: &'static str, max: Duration) -> Retry {
        Retry {
            what,
            backoff: Duration::from_secs(1),
            max,
            failing: false,
        }
    }

    /// A pass succeeded: the backoff starts over.
    pub fn succeeded(&mut self) {
        if self.failing {
            info!("{}: database reachable again", self.what);
            self.failing = false;
        }
        self.backoff = Duration::from_secs(1);
    }

    /// A pass failed: logs why and returns how long to wait before the next.
    pub fn failed(&mut self, err: &dyn std::fmt::Display) -> Duration {
        error!(
            "{} pass failed: {err}; retrying in {}s",
            self.what,
            self.backoff.as_secs()
        );
        self.failing = true;
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(self.max);
        wait
    }
}

/// Sleeps for `wait`, or until a shutdown is requested.
pub async fn sleep_unless_stopped(wait: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = shutdown.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_maximum_and_starts_over() {
        let mut r = Retry::new("test", Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| r.failed(&"down").as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
        r.succeeded();
        assert_eq!(r.failed(&"down").as_secs(), 1);
    }
}
