//! Beside VICIdial's own hopper job: no lead queued twice.
//!
//! `AST_VDhopper.pl` (VICIdial 2.14, build 250224-1641, lines 589-781)
//! selects every due `ACTIVE`/`TFHCCL` callback at once, sets them `LIVE`
//! by `lead_id`, then, one callback at a time with its DNC and 24-hour
//! look-ups in between, sets the lead's status and inserts a hopper row
//! (line 759) without looking whether the lead has one. Over a backlog that
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
//!   [`RECENT`]: the promise it keeps was already kept by the daemon's row,
//!   waiting or dialed.
//!
//! The dialer takes rows by priority then `hopper_id` and, for the lead it
//! dials, sets every row of the lead `INCALL` and deletes them all
//! (`AST_VDauto_dial.pl` lines 1748, 1788, 2077): a second row that waits
//! behind the first is gone with the dial. What is left is the window
//! between another writer's insert and the daemon's next look: one poll
//! interval at most. A row removed that was needed after all (a new
//! callback of the same lead, activated by VICIdial first) is put back by
//! the pending rule, which re-inserts any undialed LIVE ANYONE callback.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use tracing::warn;

use crate::db::{DbResult, Session, hopper};
use crate::metrics;

/// How long a lead the daemon queued is watched for another writer's row.
/// VICIdial's job inserts at most its run's length after its select; a run
/// over a backlog of tens of thousands takes tens of seconds.
pub(super) const RECENT: Duration = Duration::from_secs(600);

/// Most leads and row ranges remembered (older ones are forgotten first).
const MOST: usize = 200_000;

/// What the daemon queued lately, and how far into the hopper it looked.
#[derive(Default)]
pub(super) struct Coexist {
    /// The newest `hopper_id` looked at.
    seen: u64,
    /// Leads the daemon queued, and when.
    recent: HashMap<u32, Instant>,
    /// The `hopper_id` ranges of the daemon's own inserts, oldest first.
    own: VecDeque<(u64, u64, Instant)>,
}

impl Coexist {
    /// The daemon queued `leads`, with rows `first..=last`.
    pub(super) fn queued(&mut self, leads: impl IntoIterator<Item = u32>, rows: Option<(u64, u64)>) {
        let now = Instant::now();
        for lead in leads {
            self.recent.insert(lead, now);
        }
        if let Some((first, last)) = rows {
            self.own.push_back((first, last, now));
        }
        self.forget_old(now);
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .own
            .front()
            .is_some_and(|(_, _, at)| now.duration_since(*at) > RECENT || self.own.len() > MOST)
        {
            self.own.pop_front();
        }
        if self.recent.len() > MOST || self.recent.values().next().is_some_and(|_| self.own.is_empty()) {
            self.recent.retain(|_, at| now.duration_since(*at) <= RECENT);
        }
    }

    fn ours(&self, hopper_id: u64) -> bool {
        self.own
            .iter()
            .any(|(first, last, _)| (*first..=*last).contains(&hopper_id))
    }

    /// Looks at the hopper rows written since the last look (`newest` is
    /// the hopper's `MAX(hopper_id)`) and removes the second rows; returns
    /// how many it removed.
    pub(super) async fn look(&mut self, s: &mut Session, newest: u64, dry: bool) -> DbResult<u64> {
        if newest < self.seen {
            // The hopper was emptied (a MEMORY table after a restart, or
            // an admin's reset): its ids start over.
            self.seen = 0;
        }
        if newest == self.seen {
            return Ok(0);
        }
        let came = hopper::callback_rows_after(s, self.seen).await?;
        self.seen = newest.max(came.iter().map(|r| r.hopper_id).max().unwrap_or(0));
        if came.is_empty() {
            return Ok(0);
        }
        let leads: Vec<u32> = came.iter().map(|r| r.lead_id).collect();
        let first = hopper::first_rows(s, &leads).await?;
        let mut second = Vec::new();
        for row in &came {
            let earlier = first.get(&row.lead_id).is_some_and(|f| *f < row.hopper_id);
            let ours = self.ours(row.hopper_id);
            let kept_already = !ours && self.recent.get(&row.lead_id).is_some_and(|at| at.elapsed() <= RECENT);
            if earlier || kept_already {
                second.push((row, ours, earlier));
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
        for (row, ours, earlier) in &second {
            let writer = if *ours { "daemon" } else { "other" };
            metrics::global().duplicate_removed(writer);
            warn!(
                lead_id = row.lead_id,
                hopper_id = row.hopper_id,
                second_writer = if *ours {
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
