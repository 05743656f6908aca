//! One pass of the daemon: gather due work, decide, apply.
//!
//! A pass runs three steps, each in bounded batches:
//! 1. **Move**: LIVE USERONLY callbacks older than their campaign's
//!    `callback_useronly_move_minutes` become ACTIVE ANYONE (step 3 takes them).
//! 2. **Pending**: LIVE ANYONE callbacks whose lead is undialed and out of the
//!    hopper go in when every gate is open. This one rule repairs everything
//!    that leaves a promise out of the hopper: a held callback whose gate
//!    opened, a crash half-way through an activation, a MySQL restart emptying
//!    the MEMORY hopper, VICIdial's clean-ups, a manager's conversion. Only
//!    callbacks that became dialable within `repair_max_age_days` are
//!    repaired; older ones are reported once at start and left alone.
//! 3. **Due**: ACTIVE/TFHCCL callbacks whose time has come are claimed LIVE
//!    (by `callback_id`), their ANYONE leads get their callback status, and
//!    they go through the same gates into the hopper.
//!
//! The code: this file runs a pass; gathering facts and deciding are
//! [`rules`] (pure) and `db::facts`; [`apply`](self) writes in the crash-safe
//! order below; `memory` keeps standing outcomes and what was logged.
//!
//! The writes of one batch are ordered so that a crash between any two of
//! them leaves a state step 2 completes on the next pass: claim LIVE, then
//! the lead's status, then the hopper row; DNC kills change the lead first.

mod apply;
pub mod explain;
mod memory;
pub mod rules;
mod run;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDateTime};
use tracing::warn;

use crate::clock::PassClock;
use crate::config::EngineConfig;
use crate::db::callbacks::{self, Found, Scan};
use crate::db::clock::{self, CoveredZone};
use crate::db::facts::{self, Wanted};
use crate::db::settings;
use crate::db::{Db, DbResult, Session};
use crate::model::{CallbackRow, Settings};
use memory::{Memory, Note, Stands};
use rules::{Context, Feed, OpeningCache, Outcome, Phase};

pub use run::run;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Due callbacks made LIVE.
    pub activated: u64,
    /// Hopper rows inserted.
    pub inserted: u64,
    /// LIVE ANYONE callbacks held out of the hopper by a gate at the end of the pass.
    pub pending: u64,
    /// Callbacks set DEAD by a DNC hit.
    pub dead: u64,
    /// Rows skipped as bad data.
    pub errors: u64,
    /// USERONLY callbacks moved to ANYONE.
    pub moved: u64,
    /// Due ANYONE callbacks held back by the 24-hour limit (TFHCCL).
    pub limited: u64,
    /// Holds and problems logged for the first time (standing ones are logged once).
    pub noted: u64,
    /// Held callbacks by gate name (`rules::Gate::name`), for metrics.
    pub held_by_gate: HashMap<&'static str, u64>,
    /// The database time the pass worked at.
    pub at: NaiveDateTime,
    /// When the pass should run again at the latest for a known event (server time).
    pub next_wake: Option<NaiveDateTime>,
}

impl Summary {
    /// True when the pass changed something or found something wrong.
    pub fn did_work(&self) -> bool {
        self.activated + self.inserted + self.dead + self.moved + self.limited + self.noted > 0
    }

    /// Counts a callback held by a gate.
    fn held(&mut self, gate: &'static str) {
        self.pending += 1;
        *self.held_by_gate.entry(gate).or_default() += 1;
    }

    fn wake_at(&mut self, t: NaiveDateTime) {
        self.next_wake = Some(self.next_wake.map_or(t, |w| w.min(t)));
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "activated={} inserted={} pending={} dead={} errors={} moved={} limited={}",
            self.activated, self.inserted, self.pending, self.dead, self.errors, self.moved, self.limited
        )
    }
}

/// How a pass runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct PassOptions {
    /// Evaluate as if the database clock read this (server local time).
    pub at: Option<NaiveDateTime>,
    /// Log every change and make none.
    pub dry_run: bool,
}

/// The engine: the database, its settings and what it remembers between passes.
pub struct Engine {
    db: Db,
    config: EngineConfig,
    memory: Memory,
    /// The server's zone, read from the database and refreshed as time moves on.
    zone: Option<CoveredZone>,
    /// When the last pending scan over the whole repair age ran.
    last_full_scan: Option<Instant>,
    /// When stale USERONLY callbacks were last looked for.
    last_move: Option<Instant>,
    /// Whether the callbacks too old to repair were reported (once, at start).
    reported_too_old: bool,
    /// Override container lines VICIdial ignores, already logged.
    logged_ignored: HashSet<(String, String)>,
}

/// How often a hold with no known opening (inactive list, bad data, ...) is decided again.
const RECHECK: Duration = Duration::seconds(60);

/// How often stale USERONLY callbacks are looked for: the rule counts in
/// minutes (VICIdial applies it once a minute), and the look is a scan of
/// every LIVE callback, so not every poll interval.
const MOVE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The state of one pass.
struct Pass<'a> {
    session: Session,
    clock: PassClock,
    options: PassOptions,
    settings: Option<Settings>,
    summary: Summary,
    cache: OpeningCache,
    memory: &'a mut Memory,
    logged_ignored: &'a mut HashSet<(String, String)>,
    horizon_days: u32,
}

impl Engine {
    /// An engine over this database.
    pub fn new(db: Db, config: EngineConfig) -> Engine {
        Engine {
            db,
            config,
            memory: Memory::default(),
            zone: None,
            last_full_scan: None,
            last_move: None,
            reported_too_old: false,
            logged_ignored: HashSet::new(),
        }
    }

    /// Runs one full pass; `stop` is checked between batches so a shutdown
    /// finishes the current batch and no more. After a database error the
    /// next pass scans every pending callback again (a MySQL restart empties
    /// the MEMORY hopper).
    pub async fn pass(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let result = self.try_pass(options, stop).await;
        if result.is_err() {
            self.last_full_scan = None;
        }
        result
    }

    async fn try_pass(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        self.memory.age_reports();
        let mut session = self.db.session().await?;
        let clock = self.clock(&mut session, options.at).await?;
        let config = self.config.clone();
        let batch = config.batch_size;
        let full_scan = self
            .last_full_scan
            .is_none_or(|t| t.elapsed().as_secs() >= config.full_scan_seconds);
        let oldest = clock.now - Duration::days(config.repair_max_age_days.into());
        let since = if full_scan {
            oldest
        } else {
            oldest.max(clock.now - Duration::hours(config.pending_window_hours.into()))
        };
        if !self.reported_too_old {
            let n = callbacks::count(&mut session, Scan::TooOld(oldest)).await?;
            if n > 0 {
                warn!(
                    count = n,
                    max_age_days = config.repair_max_age_days,
                    "{n} LIVE ANYONE callbacks look undialed but became dialable before {oldest}: left alone \
                     (engine.repair_max_age_days)"
                );
            }
            self.reported_too_old = true;
        }
        let mut pass = Pass {
            session,
            summary: Summary {
                at: clock.now,
                ..Summary::default()
            },
            clock,
            options,
            settings: None,
            cache: OpeningCache::new(),
            memory: &mut self.memory,
            logged_ignored: &mut self.logged_ignored,
            horizon_days: config.call_time_horizon_days,
        };
        if self.last_move.is_none_or(|t| t.elapsed() >= MOVE_EVERY) {
            pass.move_stale_useronly(batch, stop).await?;
            self.last_move = Some(Instant::now());
        }

        let limit = config.max_per_pass;
        for (scan, phase, complete) in [
            (Scan::Pending(since), Phase::Pending, full_scan),
            (Scan::Due(pass.clock.now), Phase::Due, true),
        ] {
            let (found, seen) = pass.scan(scan, limit).await?;
            if complete && found.len() < limit {
                // Forget what this kind of scan no longer finds at all.
                pass.memory.keep_only(phase, &seen);
            }
            pass.work_through(scan, phase, &found, batch, stop).await?;
        }

        let next_due = callbacks::next_due(&mut pass.session, pass.clock.now).await?;
        if let Some(t) = next_due {
            pass.summary.wake_at(t);
        }
        if full_scan && !stop() {
            self.last_full_scan = Some(Instant::now());
        }
        Ok(pass.summary)
    }

    /// The pass clock, with the server's zone read again when it no longer
    /// covers the pass and the call-time horizon.
    async fn clock(&mut self, session: &mut Session, at: Option<NaiveDateTime>) -> DbResult<PassClock> {
        let horizon = self.config.call_time_horizon_days;
        // The instant to cover: the database's now, or `--now` read as UTC
        // (within a day of it, which the covered span allows for).
        let (local, utc) = match at {
            Some(t) => (t, t),
            None => clock::now(session).await?,
        };
        if !self.zone.as_ref().is_some_and(|z| z.covers(utc, horizon)) {
            self.zone = Some(CoveredZone::read(session, utc, horizon).await?);
        }
        let zone = self.zone.as_ref().expect("just read").zone.clone();
        Ok(match at {
            Some(_) => PassClock {
                now: local,
                utc: zone.to_utc(local),
                zone,
            },
            None => PassClock { now: local, utc, zone },
        })
    }
}

impl Pass<'_> {
    fn is_dry(&self) -> bool {
        self.options.dry_run
    }

    async fn settings(&mut self) -> DbResult<&Settings> {
        if self.settings.is_none() {
            let settings = settings::load(&mut self.session).await?;
            for (id, rules) in &settings.limit_overrides {
                for line in &rules.ignored {
                    if self.logged_ignored.insert((id.to_string(), line.clone())) {
                        warn!(container = %id, line = %line, "24-hour override line ignored, as VICIdial ignores it");
                    }
                }
            }
            self.settings = Some(settings);
        }
        Ok(self.settings.as_ref().expect("just loaded"))
    }

    /// Scans, leaving out callbacks whose outcome stands unchanged (they are
    /// counted, and their recheck time kept for the scheduler); returns the
    /// callbacks to work on and every id the scan saw.
    async fn scan(&mut self, scan: Scan, limit: usize) -> DbResult<(Vec<Found>, HashSet<u32>)> {
        let fingerprint = if self.memory.has_standing() {
            Some(self.settings().await?.fingerprint)
        } else {
            None
        };
        let now = self.clock.now;
        let memory = &*self.memory;
        let summary = &mut self.summary;
        let mut seen = HashSet::new();
        let mut skip = |f: &Found| {
            seen.insert(f.callback_id);
            let Some(stands) = memory.still_stands(f, fingerprint, now) else {
                return false;
            };
            match stands.note {
                Note::Held => summary.held(stands.gate.unwrap_or("unchecked")),
                Note::Skipped => summary.errors += 1,
                Note::Waiting | Note::Dialed => {}
            }
            summary.wake_at(stands.recheck_at);
            true
        };
        let found = callbacks::scan(&mut self.session, scan, limit, &mut skip).await?;
        Ok((found, seen))
    }

    /// Fetches the found callbacks in batches (those that still match the
    /// scan) and processes each batch; a stop request ends it between batches.
    async fn work_through(
        &mut self,
        scan: Scan,
        phase: Phase,
        found: &[Found],
        batch: usize,
        stop: &dyn Fn() -> bool,
    ) -> DbResult<()> {
        for chunk in found.chunks(batch) {
            if stop() {
                break;
            }
            let ids: Vec<u32> = chunk.iter().map(|f| f.callback_id).collect();
            let rows = callbacks::fetch(&mut self.session, scan, &ids).await?;
            self.process(rows, phase, chunk).await?;
        }
        Ok(())
    }

    /// Decides and applies one batch; `found` gives the versions the rows were scanned at.
    async fn process(&mut self, rows: Vec<CallbackRow>, phase: Phase, found: &[Found]) -> DbResult<()> {
        let settings = self.settings().await?;
        let mut wanted = Wanted::default();
        for row in &rows {
            let needs = rules::needs(row, settings);
            if needs.dnc {
                wanted.dnc.push(row.callback_id);
            }
            if let Some(method) = needs.calls {
                wanted.calls.entry(method).or_default().push(row.callback_id);
            }
            if needs.place {
                wanted.places.push(row.callback_id);
            }
        }
        let facts = facts::gather(&mut self.session, self.clock.now, &wanted).await?;
        let settings = self.settings.as_ref().expect("loaded above");
        let cx = Context {
            settings,
            facts: &facts,
            clock: &self.clock,
            horizon_days: self.horizon_days,
        };
        let decided: Vec<(CallbackRow, Outcome)> = rows
            .into_iter()
            .map(|row| {
                let outcome = rules::decide(&row, phase, &cx, &mut self.cache);
                (row, outcome)
            })
            .collect();
        self.remember(&decided, phase, found);
        self.apply(decided, phase).await
    }

    /// Remembers the outcomes that stand until their gate may open or their rows change.
    fn remember(&mut self, decided: &[(CallbackRow, Outcome)], phase: Phase, found: &[Found]) {
        let fingerprint = self.settings.as_ref().map_or(0, |s| s.fingerprint);
        let found: HashMap<u32, &Found> = found.iter().map(|f| (f.callback_id, f)).collect();
        let recheck = self.clock.now + RECHECK;
        for (row, outcome) in decided {
            let Some(f) = found.get(&row.callback_id) else {
                continue;
            };
            let stands = |note, gate, until: Option<NaiveDateTime>| Stands {
                note,
                gate,
                recheck_at: until.unwrap_or(recheck),
            };
            let standing = match outcome {
                Outcome::Anyone(Feed::Hold { gate, until }) => Some(stands(Note::Held, Some(gate.name()), *until)),
                Outcome::Limited { until } => Some(stands(Note::Waiting, None, *until)),
                Outcome::StayActive(_) => Some(stands(Note::Waiting, None, None)),
                Outcome::Skip(_) => Some(stands(Note::Skipped, None, None)),
                Outcome::Dialed => Some(stands(Note::Dialed, None, None)),
                Outcome::Kill(_) | Outcome::Live | Outcome::Anyone(_) => None,
            };
            match standing {
                Some(stands) => self.memory.stand(f, phase, fingerprint, stands),
                None => self.memory.forget(row.callback_id),
            }
        }
    }
}
