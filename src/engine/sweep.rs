//! The sweep: the whole callbacks table in short primary-key ranges, one
//! range every ten seconds while the daemon runs, for what the scans' windows leave
//! out. The due scan pages `callback_time` from the repair age on, so a
//! callback overdue by more (still ACTIVE after the daemon and VICIdial's
//! cron were both stopped that long) is found here and activated, as
//! VICIdial's cron would. The first round also counts the LIVE ANYONE
//! callbacks too old to repair, reported once.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use tracing::warn;

use crate::db::callbacks::{self, Scan};
use crate::db::{DbResult, Session};

/// Callback ids per range: one statement reads at most this many rows.
const RANGE: u32 = 5_000;

/// At most one range this often: a table of a million callbacks takes 33
/// minutes, at a cost too small to measure.
const STEP_EVERY: Duration = Duration::from_secs(10);

/// A new round this long after the last one started.
const ROUND_EVERY: Duration = Duration::from_secs(3600);

/// Where the sweep is.
#[derive(Default)]
pub(super) struct Sweep {
    /// A round is under way, and the last callback id it swept.
    at: Option<u32>,
    /// When the last round started.
    round: Option<Instant>,
    /// When the last range was read.
    last_step: Option<Instant>,
    /// The first round's count of LIVE ANYONE callbacks too old to repair.
    too_old: u64,
    /// Whether the first round is done (and its count reported).
    first_done: bool,
}

impl Sweep {
    /// Whether a range is due now: a round is under way (a range every [`STEP_EVERY`]),
    /// or the last one started [`ROUND_EVERY`] ago.
    pub(super) fn due(&self) -> bool {
        self.last_step.is_none_or(|t| t.elapsed() >= STEP_EVERY)
            && (self.at.is_some() || self.round.is_none_or(|r| r.elapsed() >= ROUND_EVERY))
    }

    /// Sweeps up to `ranges` ranges of ids up to `newest`, starting a round
    /// when none is under way; returns the overdue callbacks found. `oldest`
    /// is where the repair age starts.
    pub(super) async fn step(
        &mut self,
        s: &mut Session,
        newest: u64,
        oldest: NaiveDateTime,
        max_age_days: u32,
        ranges: usize,
    ) -> DbResult<Vec<u32>> {
        let mut overdue = Vec::new();
        for _ in 0..ranges {
            let after = match self.at {
                Some(after) => after,
                None => {
                    self.round = Some(Instant::now());
                    0
                }
            };
            self.last_step = Some(Instant::now());
            let to = after.saturating_add(RANGE);
            let count = (!self.first_done).then_some(Scan::TooOld(oldest));
            let (ids, n) = callbacks::sweep(s, (after, to), oldest, count).await?;
            overdue.extend(ids);
            self.too_old += n;
            if u64::from(to) >= newest {
                self.at = None;
                self.first_round_done(oldest, max_age_days);
                break;
            }
            self.at = Some(to);
        }
        Ok(overdue)
    }

    /// The first round reports what it counted.
    fn first_round_done(&mut self, oldest: NaiveDateTime, max_age_days: u32) {
        if std::mem::replace(&mut self.first_done, true) {
            return;
        }
        let n = self.too_old;
        if n > 0 {
            warn!(
                count = n,
                max_age_days,
                "{n} LIVE ANYONE callbacks look undialed but became dialable before {oldest}: left alone \
                 (engine.repair_max_age_days)"
            );
        }
    }
}
