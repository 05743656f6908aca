//! Beside VICIdial's own hopper job: no lead queued twice.
//!
//! `AST_VDhopper.pl` (VICIdial 2.14, build 250224-1641, lines 589-781)
//! selects every due `ACTIVE`/`TFHCCL` callback at once, sets them `LIVE`
//! by `lead_id`, then, one callback at a time with its DNC and 24-hour
//! look-ups in between, sets the lead's status and inserts a hopper row
//! (lines 759 and 767) without looking whether the lead has one. Over a backlog that
//! takes many seconds: every callback the daemon claims and queues between
//! that job's select and its insert gets a second row, either beside the
//! daemon's (both waiting) or after the dialer took the daemon's row and
//! dialed the lead, which would dial it again.
//!
//! Neither order can be prevented without changing VICIdial, so the daemon
//! removes the second row at once: on every tick it reads the hopper rows
//! newer than the last it saw (a primary-key range, so a look costs the
//! rows that came, not the hopper's size), and deletes, while still waiting
//! (`READY`/`RHOLD`), a callback row (`source='C'`) that is either
//! - a lead's later row, while an earlier one exists (whoever wrote it), or
//! - written by another process for a lead the daemon queued within
//!   [`RECENT`] (its own table `callbackd_queued`, so a restart forgets
//!   nothing): the promise was kept by the daemon's row, waiting or dialed.
//!
//! The dialer takes rows by priority then `hopper_id` and, for the lead it
//! dials, sets every row of the lead `INCALL` and deletes them all
//! (`AST_VDauto_dial.pl` lines 1748, 1788, 2077, VICIdial 2.14; `docs/vicidial.md`,
//! section "Dialer"): a second row that waits
//! behind the first is gone with the dial. What is left is the window
//! between another writer's insert and the daemon's next look: one poll
//! interval at most (README, "Beside VICIdial's cron jobs", measures it). A
//! row removed that was needed after all (a new callback of the same lead,
//! activated by VICIdial first) is put back by the pending rule, which
//! re-inserts any undialed LIVE ANYONE callback.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tracing::warn;

use crate::db::hopper::{self, HopperRow};
use crate::db::{DbResult, Session};
use crate::ops::metrics;

/// How long a lead the daemon queued is watched for another writer's row.
/// VICIdial's job inserts at most its run's length after its select; a run
/// over a backlog of tens of thousands takes tens of seconds.
pub(super) const RECENT: Duration = Duration::from_secs(600);

/// How often records older than a day are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// How often a long pass looks between its batches.
pub(super) const DURING_A_PASS: Duration = Duration::from_millis(300);

/// How far into the hopper the daemon looked.
#[derive(Default)]
pub(super) struct Coexist {
    /// The newest `hopper_id` looked at.
    seen: u64,
    /// When old records were last forgotten.
    forgot: Option<Instant>,
    /// When the hopper was last looked at.
    looked: Option<Instant>,
    /// When a callback row another process wrote was last seen.
    other_seen: Option<Instant>,
    /// A `MAX(hopper_id)` below `seen` for which the ids were found to go
    /// on (the newest rows deleted, not the hopper emptied).
    ids_go_on: Option<u64>,
}

/// How often the hopper is looked at, during a pass or between ticks, while
/// another process is writing callback rows.
pub(super) const WHILE_ANOTHER_WRITES: Duration = Duration::from_millis(100);

/// How long after another process's callback row was seen it counts as
/// working through its callbacks.
const OTHER_ACTIVE: Duration = Duration::from_secs(10);

impl Coexist {
    /// Whether another process (VICIdial's hopper job) has been writing
    /// callback rows lately: callbacks it made LIVE are then left to it
    /// (`decision::activated_elsewhere`).
    pub(super) fn other_writer_active(&self) -> bool {
        self.other_seen.is_some_and(|t| t.elapsed() < OTHER_ACTIVE)
    }

    /// A look between a long pass's batches, at most every [`DURING_A_PASS`]
    /// ([`WHILE_ANOTHER_WRITES`] while another process writes callback rows):
    /// another writer's rows come while the daemon works through a backlog.
    pub(super) async fn look_between(&mut self, s: &mut Session, dry: bool) -> DbResult<u64> {
        let every = if self.other_writer_active() {
            WHILE_ANOTHER_WRITES
        } else {
            DURING_A_PASS
        };
        if self.looked.is_some_and(|t| t.elapsed() < every) {
            return Ok(0);
        }
        // Rows above the last seen: the hopper's ids only grow until it is
        // emptied, which the tick's probe notices.
        self.look(s, u64::MAX, dry).await
    }

    /// Looks at the hopper rows written since the last look (`newest` is
    /// the hopper's `MAX(hopper_id)`) and removes the second rows; returns
    /// how many it removed.
    pub(super) async fn look(&mut self, s: &mut Session, newest: u64, dry: bool) -> DbResult<u64> {
        self.looked = Some(Instant::now());
        // The first forgetting a minute after the start, then every minute.
        let forgot = *self.forgot.get_or_insert_with(Instant::now);
        if !dry && forgot.elapsed() >= FORGET_EVERY {
            hopper::forget_queued(s).await?;
            crate::db::callbacks::forget_claimed(s).await?;
            self.forgot = Some(Instant::now());
        }
        if newest < self.seen && self.ids_go_on != Some(newest) {
            // The newest rows went (a dialer takes a callback's row first
            // by its priority), or the hopper was emptied and its ids start
            // over: only then is every row new to the look.
            if hopper::ids_start_over(s, self.seen).await? {
                self.seen = 0;
            } else {
                self.ids_go_on = Some(newest);
            }
        }
        if newest <= self.seen {
            return Ok(0);
        }
        let came = hopper::callback_rows_after(s, self.seen).await?;
        let last = came.iter().map(|r| r.hopper_id).max().unwrap_or(self.seen);
        self.seen = match newest {
            u64::MAX => last,
            newest => newest.max(last),
        };
        if came.is_empty() {
            return Ok(0);
        }
        let leads: Vec<u32> = came.iter().map(|r| r.lead_id).collect();
        let first = hopper::first_rows(s, &leads).await?;
        let ours = hopper::queued_lately(s, &leads, RECENT.as_secs()).await?;
        let our_leads: HashSet<u32> = ours.iter().map(|o| o.lead_id).collect();
        let ours: HashSet<(u64, u32)> = ours.iter().map(|o| (o.hopper_id, o.lead_id)).collect();
        let is_ours = |r: &HopperRow| ours.contains(&(r.hopper_id, r.lead_id));
        if came.iter().any(|r| !is_ours(r)) {
            self.other_seen = Some(Instant::now());
        }
        let mut second = Vec::new();
        for row in &came {
            let earlier = first.get(&row.lead_id).is_some_and(|f| *f < row.hopper_id);
            let own = is_ours(row);
            let kept_already = !own && our_leads.contains(&row.lead_id);
            if earlier || kept_already {
                second.push((row, own, earlier));
            }
        }
        if second.is_empty() {
            return Ok(0);
        }
        let ids: Vec<u64> = second.iter().map(|(r, _, _)| r.hopper_id).collect();
        let removed = match dry {
            true => ids.len() as u64,
            false => hopper::remove_waiting(s, &ids).await?,
        };
        for (row, own, earlier) in &second {
            metrics::global().duplicate_removed(if *own { "daemon" } else { "other" });
            warn!(
                lead_id = row.lead_id,
                hopper_id = row.hopper_id,
                second_writer = if *own {
                    "the daemon"
                } else {
                    "another process (VICIdial's hopper job)"
                },
                dry_run = dry,
                "hopper: removed a second row of the lead ({})",
                if *earlier {
                    "an earlier row of it is waiting"
                } else {
                    "the daemon queued it already for this callback"
                }
            );
        }
        Ok(removed)
    }
}
