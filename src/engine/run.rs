//! The daemon loop: a pass, then sleep until the next known event (a callback
//! coming due, a gate opening) or the poll interval, whichever is first. The
//! database being down is waited out with backoff; a shutdown signal lets the
//! current batch finish.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::info;

use super::{Engine, PassOptions};
use crate::ops::{Retry, sleep_unless_stopped};

/// Runs passes until `shutdown` turns true.
pub async fn run(engine: &mut Engine, mut shutdown: watch::Receiver<bool>) {
    let poll = engine.config.poll_interval();
    let mut retry = Retry::new("engine", Duration::from_secs(engine.config.max_backoff_seconds));
    info!(
        poll_ms = poll.as_millis() as u64,
        batch = engine.config.batch_size,
        "running"
    );
    loop {
        if *shutdown.borrow() {
            break;
        }
        let started = Instant::now();
        let stop_rx = shutdown.clone();
        let stop = move || *stop_rx.borrow();
        let wait = match engine.pass(PassOptions::default(), &stop).await {
            Ok(summary) => {
                retry.succeeded();
                let elapsed = started.elapsed();
                if summary.did_work() {
                    info!(ms = elapsed.as_millis() as u64, "pass: {summary}");
                }
                let until_event = summary
                    .next_wake
                    .map(|t| (t - summary.at).to_std().unwrap_or_default().saturating_sub(elapsed));
                // The poll interval runs start to start, so a change is seen
                // within one interval plus one pass.
                let until_poll = poll.saturating_sub(elapsed);
                until_event.map_or(until_poll, |d| d.min(until_poll))
            }
            Err(e) => retry.failed(&e),
        };
        sleep_unless_stopped(wait, &mut shutdown).await;
    }
    info!("stopped");
}
