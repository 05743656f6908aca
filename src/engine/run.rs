//! The daemon loop: a pass, then sleep until the next known event (a callback
//! coming due, a gate opening) or the poll interval, whichever is first, or
//! until the binary log says a watched row changed ([`Changes`]). The
//! database being down is waited out with backoff; a shutdown lets the
//! current batch finish. Each pass is recorded in the [`metrics`].

use std::time::{Duration, Instant};

use tracing::info;

use super::{Engine, PassOptions};
use crate::binlog::Changes;
use crate::db::DbError;
use crate::metrics;
use crate::ops::{Shutdown, run_loop};

/// Runs passes until a shutdown; `changes` wake it early (and, while the
/// binary log is followed, the poll interval becomes the safety pass).
pub async fn run(engine: &mut Engine, shutdown: Shutdown, mut changes: Changes) {
    let poll = engine.config.poll_interval();
    info!(
        poll_ms = poll.as_millis() as u64,
        batch = engine.config.batch_size,
        "running"
    );
    let backoff = Duration::from_secs(engine.config.max_backoff_seconds);
    run_loop("engine", backoff, shutdown, async move |mut shutdown: Shutdown| {
        // This pass covers whatever changed before it starts.
        changes.take();
        let started = Instant::now();
        metrics::global().pass_started();
        let stop = || shutdown.is_shutdown();
        let result = engine.pass(PassOptions::default(), &stop).await;
        let elapsed = started.elapsed();
        metrics::global().engine_pass(result.as_ref(), elapsed);
        let summary = result?;
        if summary.did_work() {
            info!(ms = elapsed.as_millis() as u64, "pass: {summary}");
        }
        let until_event = summary
            .next_wake
            .map(|t| (t - summary.at).to_std().unwrap_or_default().saturating_sub(elapsed));
        // The poll interval runs start to start, so a change is seen
        // within one interval plus one pass.
        let until_poll = changes.poll_interval(poll).saturating_sub(elapsed);
        let wait = until_event.map_or(until_poll, |d| d.min(until_poll));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = changes.changed() => {}
            _ = shutdown.recv() => {}
        }
        Ok::<_, DbError>(Duration::ZERO)
    })
    .await;
    info!("stopped");
}
