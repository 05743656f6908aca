//! The daemon loop: a pass, then sleep until the next known event (a callback
//! coming due, a gate opening) or the poll interval, whichever is first, or
//! until the binary log says a watched row changed ([`Changes`]). The
//! database being down is waited out with backoff; a shutdown lets the
//! current batch finish. Each pass is recorded in the [`metrics`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use tracing::info;

use super::{Engine, Summary};
use crate::engine::binlog::{Change, Changes};
use crate::db::DbError;
use crate::ops::metrics;
use crate::ops::{Shutdown, run_loop};

/// How soon a pass woken by the binary log that found nothing looks again.
const LOOK_AGAIN: Duration = Duration::from_millis(50);

/// The least time from one pass woken by the binary log to the next: under
/// a dialer every take of a watched lead is two events (its hopper row, its
/// lead), and a pass for each would probe and look many times a second.
/// Events that come sooner wait for it and are taken together; a callback
/// coming due wakes the loop by its own clock, not by events, so this delays
/// no due callback (README, "Performance").
const EVENT_SPACING: Duration = Duration::from_millis(200);

/// How often second hopper rows are looked for between ticks while another
/// process is writing callback rows.
const SECOND_ROWS: Duration = super::coexist::WHILE_ANOTHER_WRITES;

/// Whether a change needs every held callback decided again.
fn full_pass_wanted(change: &Change) -> bool {
    matches!(change, Change::Settings | Change::Lost)
}

/// Tells the engine what a change of the binary log names: a full pass, the
/// leads whose hopper rows went, the callbacks written.
fn note(engine: &mut Engine, change: &Change) {
    match change {
        change if full_pass_wanted(change) => engine.request_full_pass(),
        Change::HopperDeleted(leads) => engine.hopper_rows_deleted(leads),
        Change::Callbacks(ids) => engine.callbacks_written((!ids.is_empty()).then_some(ids.as_slice())),
        _ => {}
    }
}

/// Runs passes until a shutdown. `changes` wake it early (and, while the
/// binary log is followed, the poll interval becomes the safety pass);
/// `alerts` is woken whenever USERONLY callbacks were activated (or moved),
/// since only then can an email alert come due.
pub async fn run(engine: &mut Engine, shutdown: Shutdown, alerts: Arc<Notify>, mut changes: Changes) {
    let poll = engine.config.poll_interval();
    info!(
        poll_ms = poll.as_millis() as u64,
        batch = engine.config.batch_size,
        "running"
    );
    let backoff = Duration::from_secs(engine.config.max_backoff_seconds);
    // Whether the binary log woke this pass, and whether the last pass was
    // already the quick second look.
    let (mut woken, mut looked_again) = (false, false);
    // When the last pass woken by the binary log started.
    let mut last_woken: Option<Instant> = None;
    run_loop("engine", backoff, shutdown, async move |mut shutdown: Shutdown| {
        // This pass covers whatever changed before it starts. Rows changing
        // are found by the tick's own probe; settings changing (or a gap in
        // the stream) need every held callback decided again: a full pass.
        let taken = changes.take();
        if taken.iter().any(full_pass_wanted) {
            engine.request_full_pass();
        }
        for change in &taken {
            note(engine, change);
        }
        engine.set_following(changes.following());
        let woken_now = std::mem::take(&mut woken) || !taken.is_empty();
        let started = Instant::now();
        if woken_now {
            last_woken = Some(started);
        }
        metrics::global().pass_started();
        let stop = || shutdown.is_shutdown();
        let result = engine.tick(&stop).await;
        let elapsed = started.elapsed();
        metrics::global().engine_pass(result.as_ref().map(Summary::counts).as_ref().map_err(|e| *e), elapsed);
        let summary = result?;
        if summary.activated_useronly + summary.moved > 0 {
            alerts.notify_one();
        }
        if summary.did_work() {
            info!(ms = elapsed.as_millis() as u64, "pass: {summary}");
        }
        let until_event = summary
            .next_wake
            .map(|t| (t - summary.at).to_std().unwrap_or_default().saturating_sub(elapsed));
        // The poll interval runs start to start, so a change is seen
        // within one interval plus one pass.
        let until_poll = changes.poll_interval(poll).saturating_sub(elapsed);
        let mut wait = until_event.map_or(until_poll, |d| d.min(until_poll));
        // A MyISAM row reaches other connections when its writer unlocks the
        // table, which can come after the binary log event: a pass woken by
        // an event that found nothing looks once more, shortly after.
        looked_again = woken_now && !summary.did_work() && !looked_again;
        if looked_again {
            wait = wait.min(LOOK_AGAIN);
        }
        tracing::trace!(wait_ms = wait.as_millis() as u64, next_wake = ?summary.next_wake, "tick");
        let mut until = Instant::now() + wait;
        // Set once an event came too soon after the last woken pass: the
        // loop then waits out EVENT_SPACING and leaves the next events queued.
        let mut deferred = false;
        loop {
            // While another process writes callback rows (VICIdial's hopper
            // job working through what it selected), its second rows are
            // looked for every SECOND_ROWS, not only every tick: the
            // dialer must not reach one first (engine/coexist.rs).
            let fast = engine.coexist.other_writer_active();
            let left = until.saturating_duration_since(Instant::now());
            let slice = if fast { left.min(SECOND_ROWS) } else { left };
            tokio::select! {
                _ = tokio::time::sleep(slice) => {}
                change = changes.changed(), if !deferred => {
                    woken = true;
                    if let Some(change) = &change {
                        note(engine, change);
                    }
                    match last_woken.map(|t| t + EVENT_SPACING) {
                        Some(not_before) if change.is_some() && not_before > Instant::now() => {
                            until = until.min(not_before);
                            deferred = true;
                        }
                        _ => break,
                    }
                }
                _ = shutdown.recv() => break,
            }
            if Instant::now() >= until {
                break;
            }
            if fast {
                engine.look_for_second_rows().await?;
            }
        }
        Ok::<_, DbError>(Duration::ZERO)
    })
    .await;
    info!("stopped");
}
