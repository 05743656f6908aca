//! What one tick between full passes must look at, decided before any of
//! its statements from the probe, the last probe and what the engine
//! remembers: the pure half of a tick (the pass in `mod.rs` executes it).
//! Unit-tested over sequences of probes, including a write in the very
//! second of a probe and the hour that repeats when daylight saving ends.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime, Timelike};

use crate::db::callbacks::Probe;

/// What the engine remembers between ticks, as the planner reads it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Memory {
    /// The last pass put rows in the hopper after its probe.
    pub hopper_unsure: bool,
    /// How many undialed callback leads with a hopper row are watched.
    pub queued: usize,
    /// Time since the queued leads were last looked for; `None`: never.
    pub since_hopper_check: Option<StdDuration>,
    /// The hopper's signature changed at the last tick too (a dialer at
    /// work): only then is the look over every lead spaced out.
    pub hopper_busy: bool,
    /// Leads the binary log saw leave the hopper, among those watched.
    pub hopper_deleted: Vec<u32>,
    /// The binary log is followed: its events name the hopper rows
    /// deleted, so the hopper's signature asks for no look over all...
    pub following: bool,
    /// ...unless an event deleted hopper rows without naming them (a
    /// compressed event).
    pub hopper_unnamed: bool,
    /// The earliest `callback_time` still to come.
    pub next_due: Option<NaiveDateTime>,
}

/// Where the queued leads are looked for in the hopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HopperLook {
    /// Not this tick.
    Skip,
    /// Every queued lead: the hopper's signature changed.
    All,
    /// Only these leads: the binary log named them.
    Leads(Vec<u32>),
}

/// A tick's plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// New callback rows above this `callback_id` (the last probe's newest).
    pub new_rows_after: Option<u64>,
    /// `vicidial_callbacks` was written since the last probe, or may have
    /// been in the last probe's own second.
    pub written: bool,
    /// The hopper look.
    pub hopper: HopperLook,
    /// The signature changed but every lead was looked for less than
    /// [`HOPPER_CHECK_EVERY`] ago: the look over all of them is owed to a
    /// later tick.
    pub hopper_later: bool,
    /// A callback known to be coming came due (with the pre-claim).
    pub came_due: bool,
}

/// How often, at most, every queued lead is looked for in the hopper when
/// its signature changes tick after tick (under a dialer it changes every
/// tick); a change after a quiet tick is looked at at once.
pub(crate) const HOPPER_CHECK_EVERY: StdDuration = StdDuration::from_millis(1000);

/// Decides what a tick looks at; `now` is the pass clock (server time) and
/// `preclaim` how early a callback is claimed.
pub(crate) fn plan(probe: &Probe, last: Option<&Probe>, memory: &Memory, now: NaiveDateTime, preclaim: Duration) -> Plan {
    // UPDATE_TIME has whole seconds: when the last probe was read in the
    // very second it showed, a later write in that second left it as it
    // was, so the table counts as written.
    let last_unsure = last.is_some_and(|l| l.callbacks_written.is_some_and(|w| w + Duration::seconds(1) > l.now));
    let written = last_unsure || last.is_none_or(|l| l.callbacks_written != probe.callbacks_written);
    let new_rows_after = match last {
        Some(l) if l.newest_callback == probe.newest_callback => None,
        Some(l) => Some(l.newest_callback),
        None => Some(0),
    };
    let changed = match memory.following {
        true => memory.hopper_unnamed,
        false => memory.hopper_unsure || last.is_none_or(|l| l.hopper != probe.hopper),
    };
    let signature = memory.queued > 0 && changed;
    let hopper_later =
        signature && memory.hopper_busy && memory.since_hopper_check.is_some_and(|t| t < HOPPER_CHECK_EVERY);
    let hopper = if signature && !hopper_later {
        HopperLook::All
    } else if !memory.hopper_deleted.is_empty() {
        HopperLook::Leads(memory.hopper_deleted.clone())
    } else {
        HopperLook::Skip
    };
    Plan {
        new_rows_after,
        written,
        hopper,
        hopper_later,
        came_due: memory.next_due.is_some_and(|t| t <= now + preclaim),
    }
}

/// Whether a write the probe saw is explained: it happened in a second in
/// which this engine wrote callbacks, or new rows were written.
pub(crate) fn explained(written_at: Option<NaiveDateTime>, explained: &HashSet<NaiveDateTime>) -> bool {
    written_at.is_some_and(|w| explained.contains(&w.with_nanosecond(0).unwrap_or(w)))
}

/// Drops the explained seconds no later probe can show: a second stays
/// explained while the probe still shows it (`shown`, or the probe's clock
/// when the table has no `UPDATE_TIME`), since a probe read in the second it
/// shows leaves that second written at the next tick too ([`plan`]), and
/// the same writes explain it then.
pub(crate) fn keep_explained(explained: &mut HashSet<NaiveDateTime>, shown: Option<NaiveDateTime>, now: NaiveDateTime) {
    let shown = shown.unwrap_or(now);
    let shown = shown.with_nanosecond(0).unwrap_or(shown);
    explained.retain(|second| *second >= shown);
}

/// Whether the tick scans every open row for edits by others: the table
/// was written in a second nothing explains, or an explained second left
/// edits unsure and a look at hidden edits is due. Also whether edits stay
/// unsure after this tick.
pub(crate) fn edit_scan(written: bool, explained: bool, edits_unsure: bool, hidden_due: bool) -> (bool, bool) {
    let unsure = edits_unsure || (written && explained);
    let scan = (written && !explained) || (unsure && hidden_due);
    (scan, unsure && !scan)
}

/// Whether a full pass owed for `overdue` waits: a callback comes due
/// (`until_wake`) before a full pass as long as the last (`full_took`) would
/// be done, with [`FULL_PASS_MARGIN`] to spare, and it has waited less than
/// [`FULL_PASS_WAITS_AT_MOST`]. The full pass is the safety net; a
/// callback's time is the promise, and a tick runs while the pass would
/// hold the loop.
pub(crate) fn full_pass_waits(overdue: StdDuration, until_wake: Option<StdDuration>, full_took: StdDuration) -> bool {
    overdue < FULL_PASS_WAITS_AT_MOST && until_wake.is_some_and(|until| until < full_took + FULL_PASS_MARGIN)
}

/// The longest a full pass waits for callbacks coming due ([`full_pass_waits`]).
pub(crate) const FULL_PASS_WAITS_AT_MOST: StdDuration = StdDuration::from_secs(10);

/// The room a full pass leaves before a callback comes due ([`full_pass_waits`]).
pub(crate) const FULL_PASS_MARGIN: StdDuration = StdDuration::from_millis(100);

/// `UPDATE_TIME` has whole seconds: another process's edit in a second in
/// which the daemon also wrote (or new rows came) cannot be told from those.
/// While every change is so explained (agents adding callbacks every
/// second), edits are still looked for with a scan of every open callback:
/// every [`HIDDEN_EDITS_EVERY`], or, when that scan is slow (a large table),
/// so that it takes at most [`HIDDEN_EDITS_SHARE`] of the time, and at
/// least every [`HIDDEN_EDITS_MOST`]. The binary log's events name every
/// edit instead. A second with an unexplained write is scanned at once.
pub(crate) fn hidden_edits_every(scan_took: StdDuration) -> StdDuration {
    (scan_took * HIDDEN_EDITS_SHARE).clamp(HIDDEN_EDITS_EVERY, HIDDEN_EDITS_MOST)
}

/// How often hidden edits are looked for at most ([`hidden_edits_every`]):
/// the time a busy dialer may take to put a lost hopper row back (README,
/// "Performance"). The scan reads every open callback, so each second of
/// this is a share of a core on a large table.
pub(crate) const HIDDEN_EDITS_EVERY: StdDuration = StdDuration::from_secs(2);

/// The longest wait for hidden edits ([`hidden_edits_every`]).
pub(crate) const HIDDEN_EDITS_MOST: StdDuration = StdDuration::from_secs(10);

/// The inverse of the share of time the scan for hidden edits may take (2%).
pub(crate) const HIDDEN_EDITS_SHARE: u32 = 50;

/// Most callbacks the binary log may name for one tick to read them by
/// id; more (a pass of another process over a backlog) and the tick scans
/// the open rows once instead.
pub(crate) const NAMED_AT_MOST: usize = 2000;

/// How a tick finds the callbacks others wrote: `(scan, by_id, unsure)`.
/// While the binary log is followed, its events name the rows: those are
/// read by id, and every open row is scanned only when an event named none
/// (a compressed event) or more than [`NAMED_AT_MOST`]; otherwise as
/// [`edit_scan`] decides from the probe.
pub(crate) fn edits(following: bool, named: usize, unnamed: bool, probe: (bool, bool, bool, bool)) -> (bool, bool, bool) {
    if following {
        let scan = unnamed || named > NAMED_AT_MOST;
        return (scan, !scan && named > 0, false);
    }
    let (written, explained, edits_unsure, hidden_due) = probe;
    let (scan, unsure) = edit_scan(written, explained, edits_unsure, hidden_due);
    (scan, false, unsure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(h, m, s).unwrap()
    }

    fn probe(now: NaiveDateTime, newest: u64, written: Option<NaiveDateTime>, hopper: &str) -> Probe {
        Probe {
            now,
            utc: now + Duration::hours(4),
            newest_callback: newest,
            callbacks_written: written,
            hopper: hopper.into(),
            hopper_newest: 0,
            settings_written: None,
        }
    }

    #[test]
    fn an_unchanged_probe_plans_nothing() {
        let a = probe(at(9, 0, 0), 10, Some(at(8, 0, 0)), "3:7");
        let b = probe(at(9, 0, 1), 10, Some(at(8, 0, 0)), "3:7");
        let memory = Memory {
            queued: 3,
            ..Memory::default()
        };
        let p = plan(&b, Some(&a), &memory, b.now, Duration::seconds(2));
        assert_eq!(
            p,
            Plan {
                new_rows_after: None,
                written: false,
                hopper: HopperLook::Skip,
                hopper_later: false,
                came_due: false
            }
        );
        let first = plan(&a, None, &memory, a.now, Duration::seconds(2));
        assert_eq!((first.new_rows_after, first.written, first.hopper), (Some(0), true, HopperLook::All));
    }

    #[test]
    fn a_write_in_the_second_of_the_last_probe_counts_as_written() {
        // Written at 09:00:00, probed at 09:00:00.4: another write in that
        // second leaves UPDATE_TIME as it was.
        let a = probe(at(9, 0, 0) + Duration::milliseconds(400), 10, Some(at(9, 0, 0)), "0:0");
        let b = probe(at(9, 0, 1), 10, Some(at(9, 0, 0)), "0:0");
        let c = probe(at(9, 0, 2), 10, Some(at(9, 0, 0)), "0:0");
        let memory = Memory::default();
        assert!(plan(&b, Some(&a), &memory, b.now, Duration::seconds(2)).written);
        assert!(!plan(&c, Some(&b), &memory, c.now, Duration::seconds(2)).written);
    }

    #[test]
    fn in_the_hour_that_repeats_a_write_stamped_before_the_change_is_looked_at() {
        // 01:50 first time round, then the clocks go back: the probe's
        // local time is 01:10 while UPDATE_TIME still says 01:50.
        let before = probe(at(1, 10, 0), 10, Some(at(1, 50, 0)), "0:0");
        let after = probe(at(1, 10, 1), 10, Some(at(1, 50, 0)), "0:0");
        assert!(plan(&after, Some(&before), &Memory::default(), after.now, Duration::seconds(2)).written);
    }

    #[test]
    fn the_hopper_look_names_leads_waits_a_second_or_reads_all() {
        let a = probe(at(9, 0, 0), 10, None, "3:7");
        let b = probe(at(9, 0, 1), 10, None, "2:5");
        let mut memory = Memory {
            queued: 3,
            since_hopper_check: Some(StdDuration::from_millis(300)),
            ..Memory::default()
        };
        assert_eq!(
            plan(&b, Some(&a), &memory, b.now, Duration::seconds(2)).hopper,
            HopperLook::All,
            "after a quiet tick, at once"
        );
        memory.hopper_busy = true;
        let p = plan(&b, Some(&a), &memory, b.now, Duration::seconds(2));
        assert_eq!((p.hopper, p.hopper_later), (HopperLook::Skip, true));
        memory.hopper_deleted = vec![4];
        let p = plan(&b, Some(&a), &memory, b.now, Duration::seconds(2));
        assert_eq!((p.hopper, p.hopper_later), (HopperLook::Leads(vec![4]), true), "named leads at once");
        memory.since_hopper_check = Some(StdDuration::from_millis(1200));
        assert_eq!(plan(&b, Some(&a), &memory, b.now, Duration::seconds(2)).hopper, HopperLook::All);
        assert_eq!(plan(&a, Some(&a), &memory, a.now, Duration::seconds(2)).hopper, HopperLook::Leads(vec![4]));
        memory.queued = 0;
        assert_eq!(plan(&b, Some(&a), &memory, b.now, Duration::seconds(2)).hopper, HopperLook::Leads(vec![4]));
    }

    #[test]
    fn following_the_binary_log_looks_only_for_the_leads_it_names() {
        let memory = Memory {
            queued: 21_000,
            following: true,
            hopper_busy: true,
            ..Memory::default()
        };
        let last = probe(at(10, 0, 0), 5, None, "1:1");
        let now = probe(at(10, 0, 1), 5, None, "2:2");
        assert_eq!(plan(&now, Some(&last), &memory, now.now, Duration::seconds(2)).hopper, HopperLook::Skip);
        let named = Memory {
            hopper_deleted: vec![7, 9],
            ..memory
        };
        assert_eq!(
            plan(&now, Some(&last), &named, now.now, Duration::seconds(2)).hopper,
            HopperLook::Leads(vec![7, 9])
        );
        let unnamed = Memory {
            hopper_unnamed: true,
            hopper_busy: false,
            ..named
        };
        assert_eq!(plan(&now, Some(&last), &unnamed, now.now, Duration::seconds(2)).hopper, HopperLook::All);
    }

    #[test]
    fn a_known_callback_comes_due_with_the_preclaim() {
        let a = probe(at(9, 0, 0), 10, None, "0:0");
        let memory = Memory {
            next_due: Some(at(9, 0, 2)),
            ..Memory::default()
        };
        assert!(plan(&a, Some(&a), &memory, a.now, Duration::seconds(2)).came_due);
        assert!(!plan(&a, Some(&a), &memory, a.now, Duration::seconds(1)).came_due);
    }

    #[test]
    fn following_the_binary_log_reads_what_it_names_and_scans_only_for_an_unnamed_event() {
        let written = (true, false, false, true);
        assert_eq!(edits(true, 3, false, written), (false, true, false), "named: by id, no scan");
        assert_eq!(edits(true, 0, false, written), (false, false, false), "nothing named: nothing");
        assert_eq!(edits(true, 3, true, written), (true, false, false), "an event named none: scan");
        assert_eq!(edits(true, NAMED_AT_MOST + 1, false, written), (true, false, false), "too many: scan");
        assert_eq!(edits(false, 3, false, written), (true, false, false), "polling: the probe decides");
        assert_eq!(edits(false, 0, false, (true, true, false, false)), (false, false, true));
    }

    #[test]
    fn an_unexplained_write_is_scanned_an_explained_one_later() {
        let mine: HashSet<NaiveDateTime> = [at(9, 0, 0)].into();
        assert!(explained(Some(at(9, 0, 0) + Duration::milliseconds(500)), &mine));
        assert!(!explained(Some(at(9, 0, 1)), &mine));
        assert_eq!(edit_scan(true, false, false, false), (true, false));
        assert_eq!(edit_scan(true, true, false, false), (false, true), "unsure, looked at later");
        assert_eq!(edit_scan(false, false, true, true), (true, false), "the later look");
        assert_eq!(edit_scan(false, false, false, true), (false, false));
    }

    #[test]
    fn a_second_the_next_probe_shows_again_stays_explained() {
        // The daemon wrote at 09:00:00; the probe at 09:00:00.4 shows that
        // second, so the probe at 09:00:01 counts it written again.
        let a = probe(at(9, 0, 0) + Duration::milliseconds(400), 10, Some(at(9, 0, 0)), "0:0");
        let b = probe(at(9, 0, 1), 10, Some(at(9, 0, 0)), "0:0");
        let mut seconds: HashSet<NaiveDateTime> = [at(8, 59, 59), at(9, 0, 0), at(9, 0, 1)].into();
        keep_explained(&mut seconds, a.callbacks_written, a.now);
        assert_eq!(seconds, [at(9, 0, 0), at(9, 0, 1)].into(), "the earlier second can no longer show");
        assert!(plan(&b, Some(&a), &Memory::default(), b.now, Duration::seconds(2)).written);
        assert!(explained(b.callbacks_written, &seconds), "the same write explains it");
        let c = probe(at(9, 0, 3), 10, Some(at(9, 0, 2)), "0:0");
        keep_explained(&mut seconds, c.callbacks_written, c.now);
        assert!(seconds.is_empty());
    }

    #[test]
    fn a_full_pass_waits_for_a_callback_coming_due_while_it_would_run_but_not_long() {
        let ms = StdDuration::from_millis;
        let took = ms(500);
        assert!(full_pass_waits(ms(0), Some(ms(300)), took), "due in 300 ms, the pass takes 500");
        assert!(full_pass_waits(ms(0), Some(ms(0)), took), "due now");
        assert!(full_pass_waits(ms(9_000), Some(ms(550)), took), "within the margin");
        assert!(!full_pass_waits(ms(0), Some(ms(700)), took), "done before it comes due");
        assert!(!full_pass_waits(ms(0), None, took), "nothing coming");
        assert!(!full_pass_waits(ms(10_000), Some(ms(0)), took), "waited 10 s already");
    }

    #[test]
    fn hidden_edits_are_looked_for_every_two_seconds_unless_the_scan_is_slow() {
        let ms = StdDuration::from_millis;
        assert_eq!(hidden_edits_every(ms(3)), ms(2000), "a quick scan: every two seconds");
        assert_eq!(hidden_edits_every(ms(40)), ms(2000));
        assert_eq!(hidden_edits_every(ms(60)), ms(3000), "2% of the time");
        assert_eq!(hidden_edits_every(ms(400)), ms(10_000), "never longer than 10 s");
    }
}
