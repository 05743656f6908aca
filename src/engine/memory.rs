//! What the engine remembers between passes: callbacks whose outcome stands
//! (held by a gate, waiting, bad data, dialed), so an unchanged one is not
//! fetched and decided again every poll interval, and what was last logged
//! about each callback, so a standing condition is logged once, not every
//! second.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::NaiveDateTime;
use tracing::{info, warn};

use crate::rules::decision::Phase;
use crate::db::callbacks::Found;
use crate::rules::model::CallbackRow;

/// Kinds of standing outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// Bad data, skipped: logged again hourly.
    Skipped,
    /// Due but waiting (TFHCCL, NO_ADD_TO_HOPPER): logged again hourly.
    Waiting,
    /// LIVE and held by a gate: logged when it starts or changes.
    Held,
    /// LIVE, and its lead was dialed since: nothing to do, nothing to log.
    Dialed,
}

/// A callback whose outcome stands, and what must stay the same for that.
#[derive(Clone, Debug)]
struct Standing {
    /// The callback's and lead's `modify_date` when it was decided.
    version: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    /// The settings it was decided under.
    settings: u64,
    /// When to decide it again (its gate's opening, or a recheck).
    recheck_at: NaiveDateTime,
    /// `recheck_at` is a time it waits for (a gate's opening, a limit's
    /// end), not a routine recheck.
    opens: bool,
    note: Note,
    /// The gate that holds it (`Gate::name`), for a held one; the kind of
    /// bad row (`decision::bad_row_kind`), for a skipped one.
    gate: Option<&'static str>,
    /// The scan that found it.
    phase: Phase,
    /// The pass that decided it then wrote its row (claimed it LIVE, gave its
    /// lead the callback status, set TFHCCL): the version it was decided at
    /// is gone, the next one found is taken as its own.
    rewritten: bool,
}

/// What the standing outcomes add up to.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// LIVE ANYONE callbacks held by a gate.
    pub held: u64,
    /// Bad rows skipped.
    pub skipped: u64,
    /// Held callbacks by gate name.
    pub by_gate: HashMap<&'static str, u64>,
    /// Skipped callbacks by kind (`decision::bad_row_kind`).
    pub skipped_by_kind: HashMap<&'static str, u64>,
    /// The earliest time a gate opens or a limit ends for one of them.
    pub next_recheck: Option<NaiveDateTime>,
}

/// A standing outcome: its kind, its gate when held, when to decide it again.
#[derive(Clone, Copy, Debug)]
pub struct Stands {
    /// The kind of outcome.
    pub note: Note,
    /// The gate that holds it (`Gate::name`), for a held one.
    pub gate: Option<&'static str>,
    /// When to decide it again (its gate's opening, or a recheck).
    pub recheck_at: NaiveDateTime,
    /// `recheck_at` is a time it waits for (a gate's opening, a limit's
    /// end), not a routine recheck.
    pub opens: bool,
}

/// What was last logged about a callback.
struct Reported {
    message: String,
    note: Note,
}

/// The engine's memory of standing outcomes and of what it logged.
pub struct Memory {
    standing: HashMap<u32, Standing>,
    reported: HashMap<u32, Reported>,
    reported_since: Instant,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            standing: HashMap::new(),
            reported: HashMap::new(),
            reported_since: Instant::now(),
        }
    }
}

impl Memory {
    /// Re-logs standing problems hourly, so they are neither spam nor
    /// forgotten; holds are logged once, and again when they change.
    pub fn age_reports(&mut self) {
        if self.reported_since.elapsed().as_secs() >= 3600 {
            self.reported.retain(|_, r| r.note == Note::Held);
            self.reported_since = Instant::now();
        }
    }

    /// The standing outcomes a tick decides again: those whose gate opens
    /// or limit ends by `now` (that time is a promise); the ids found by the
    /// due scan, and those found by the pending scan. A routine recheck (a
    /// dialed lead, a bad row, a hold with no known opening) is the full
    /// pass's, which reads every open callback anyway and decides again
    /// each one whose recheck time has passed: a tick re-reading them by id
    /// as well read a large backlog twice a minute.
    pub fn rechecks(&self, now: NaiveDateTime) -> (Vec<u32>, Vec<u32>) {
        let (mut due, mut pending) = (Vec::new(), Vec::new());
        for (id, s) in self.standing.iter().filter(|(_, s)| s.opens && s.recheck_at <= now) {
            match s.phase {
                Phase::Due => due.push(*id),
                Phase::Pending => pending.push(*id),
            }
        }
        (due, pending)
    }

    /// What the standing outcomes add up to.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for s in self.standing.values() {
            match s.note {
                Note::Held => {
                    counts.held += 1;
                    *counts.by_gate.entry(s.gate.unwrap_or("unchecked")).or_default() += 1;
                }
                Note::Skipped => {
                    counts.skipped += 1;
                    *counts.skipped_by_kind.entry(s.gate.unwrap_or("other")).or_default() += 1;
                }
                Note::Waiting | Note::Dialed => {}
            }
            if s.opens {
                counts.next_recheck = Some(counts.next_recheck.map_or(s.recheck_at, |t| t.min(s.recheck_at)));
            }
        }
        counts
    }

    /// The standing outcome of a found callback, when it is unchanged, under
    /// the same settings and not yet due to be decided again.
    pub fn still_stands(&self, found: &Found, settings: Option<u64>, now: NaiveDateTime) -> Option<Stands> {
        let s = self.standing.get(&found.callback_id)?;
        ((s.version == found.version || s.rewritten) && Some(s.settings) == settings && s.recheck_at > now).then_some(
            Stands {
                note: s.note,
                gate: s.gate,
                recheck_at: s.recheck_at,
                opens: s.opens,
            },
        )
    }

    /// Whether the standing outcome of a callback found without its lead
    /// may still stand: [`Memory::still_stands`] with the callback's own
    /// version alone (the lead's is told once read).
    pub fn may_stand(&self, found: &Found, settings: Option<u64>, now: NaiveDateTime) -> bool {
        let lead_as_stood = |s: &Standing| Found {
            version: (found.version.0, s.version.1),
            ..*found
        };
        self.standing
            .get(&found.callback_id)
            .is_some_and(|s| self.still_stands(&lead_as_stood(s), settings, now).is_some())
    }

    /// Takes the versions found for standing outcomes whose rows the engine
    /// itself rewrote after deciding them (see `stand`).
    pub fn adopt(&mut self, found: &[Found]) {
        for f in found {
            if let Some(s) = self.standing.get_mut(&f.callback_id).filter(|s| s.rewritten) {
                s.version = f.version;
                s.rewritten = false;
            }
        }
    }

    /// Remembers a standing outcome; `rewritten` when the engine writes the
    /// row right after deciding it, so the version found next is its own.
    pub fn stand(&mut self, found: &Found, phase: Phase, settings: u64, stands: Stands, rewritten: bool) {
        self.standing.insert(
            found.callback_id,
            Standing {
                version: found.version,
                settings,
                recheck_at: stands.recheck_at,
                opens: stands.opens,
                note: stands.note,
                gate: stands.gate,
                phase,
                rewritten,
            },
        );
    }

    /// Forgets a callback's standing outcome (it changed, or was acted on).
    pub fn forget(&mut self, callback_id: u32) {
        self.standing.remove(&callback_id);
        self.reported.remove(&callback_id);
    }

    /// Forgets the standing outcomes found by one kind of scan that a
    /// complete scan of that kind no longer finds (and what was logged of them).
    pub fn keep_only(&mut self, phase: Phase, seen: &HashSet<u32>) {
        let gone: Vec<u32> = self
            .standing
            .iter()
            .filter(|(id, s)| s.phase == phase && !seen.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.forget(id);
        }
    }

    /// Logs a standing condition of a callback once (again when it changes);
    /// returns whether it logged.
    pub fn report_once(&mut self, row: &CallbackRow, message: String, note: Note) -> bool {
        if self
            .reported
            .get(&row.callback_id)
            .is_some_and(|r| r.message == message)
        {
            return false;
        }
        let (callback_id, lead_id) = (row.callback_id, row.lead_id_or_zero());
        match note {
            Note::Skipped => {
                warn!(callback_id, lead_id, campaign = %row.campaign_id, user = %row.user, outcome = "skipped", "skipped: {message}")
            }
            Note::Waiting | Note::Held | Note::Dialed => {
                info!(callback_id, lead_id, campaign = %row.campaign_id, user = %row.user, outcome = "held", "held: {message}")
            }
        }
        self.reported.insert(row.callback_id, Reported { message, note });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(2, 0, second)
            .unwrap()
    }

    fn stand(memory: &mut Memory, callback_id: u32, phase: Phase, note: Note, recheck_at: NaiveDateTime) {
        let opens = note == Note::Held;
        let found = Found {
            callback_id,
            version: (None, None),
        };
        let stands = Stands {
            note,
            gate: None,
            recheck_at,
            opens,
        };
        memory.stand(&found, phase, 1, stands, false);
    }

    fn ids(due: Vec<u32>, pending: Vec<u32>) -> Vec<u32> {
        let mut ids: Vec<u32> = due.into_iter().chain(pending).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_tick_decides_again_what_opens_and_leaves_routine_rechecks_to_the_full_pass() {
        let mut memory = Memory::default();
        stand(&mut memory, 1, Phase::Pending, Note::Dialed, at(1));
        stand(&mut memory, 2, Phase::Due, Note::Skipped, at(1));
        stand(&mut memory, 3, Phase::Due, Note::Held, at(20));
        stand(&mut memory, 4, Phase::Pending, Note::Held, at(20));
        stand(&mut memory, 5, Phase::Pending, Note::Held, at(21));
        let (due, pending) = memory.rechecks(at(20));
        assert_eq!((due.clone(), pending.clone()), (vec![3], vec![4]), "by the scan that found them");
        assert_eq!(ids(due, pending), vec![3, 4], "not the one opening later, nor the routine ones");
        assert_eq!(memory.counts().next_recheck, Some(at(20)), "only an opening wakes a tick");
        let routine = |id| Found {
            callback_id: id,
            version: (None, None),
        };
        assert!(memory.still_stands(&routine(1), Some(1), at(0)).is_some());
        assert!(
            memory.still_stands(&routine(1), Some(1), at(1)).is_none(),
            "the full pass after its time decides it again"
        );
    }
}
