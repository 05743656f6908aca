//! One pass of the daemon: gather due work, decide, apply.
//!
//! A pass runs three steps, each in bounded batches:
//! 1. **Move**: LIVE USERONLY callbacks older than their campaign's
//!    `callback_useronly_move_minutes` become ACTIVE ANYONE (step 2 takes them).
//! 2. **Due**: ACTIVE/TFHCCL callbacks whose time has come are claimed LIVE
//!    (by `callback_id`), their ANYONE leads get their callback status, and
//!    they go through the gates into the hopper.
//! 3. **Pending**: LIVE ANYONE callbacks whose lead is undialed and out of the
//!    hopper go in when every gate is open. This one rule repairs everything
//!    that leaves a promise out of the hopper: a held callback whose gate
//!    opened, a crash half-way through an activation, a MySQL restart emptying
//!    the MEMORY hopper, VICIdial's clean-ups, a manager's conversion. Only
//!    callbacks that became dialable within `repair_max_age_days` are
//!    repaired; older ones are reported once at start and left alone. It
//!    runs after step 2, whose activations can make a lead's other LIVE
//!    ANYONE callbacks pending, so one pass reaches the state a second keeps.
//!
//! Steps 2 and 3 page `callback_time` from the repair age on (step 3 from
//! the longest hours block before it). What lies before those windows is
//! `sweep`'s: the whole table in short primary-key ranges, one every ten
//! seconds while the daemon runs, for callbacks overdue by more than the repair age
//! (activated) and, once, the count of those too old to repair.
//!
//! The code: this file runs a pass; gathering facts and deciding are
//! [`rules`] (pure) and `db::facts`; [`apply`](self) writes in the crash-safe
//! order below; `memory` keeps standing outcomes and what was logged.
//!
//! The writes of one batch are ordered so that a crash between any two of
//! them leaves a state step 2 completes on the next pass: claim LIVE, then
//! the lead's status, then the hopper row; DNC kills change the lead first.
//! A scan's batches go through a pipeline over two connections, split by
//! table because MyISAM locks whole tables: the first reads callbacks and
//! claims them (`vicidial_callbacks`), the second reads the next batch's
//! leads and writes the leads and hopper rows of the batch claimed before
//! (`vicidial_list`, the hopper), at the same time. Each batch's own writes
//! stay in that order.

mod apply;
pub mod binlog;
mod coexist;
mod memory;
mod plan;
mod run;
mod sweep;
pub mod wanted;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDateTime, Timelike};
use tracing::warn;

use crate::rules::server_zone::PassClock;
use crate::config::{AvailabilityConfig, EngineConfig};
use crate::db::callbacks::{self, Found, Probe, Scan, Scanned, Spans, Start};
use crate::db::clock::CoveredZone;
use crate::db::facts::{self, DncAhead};
use crate::db::settings;
use crate::db::{Db, DbResult, Session};
use crate::rules::model::{CallbackRow, Facts, Settings};
use crate::rules::dnc::{DncLookups};
use apply::{Kills, Tail};
use memory::{Memory, Note, Stands};
use crate::rules::decision::{self, Context, Feed, OpeningCache, Outcome, Phase};

pub use run::run;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Due callbacks made LIVE.
    pub activated: u64,
    /// Of those, USERONLY ones (an email alert may be due for them).
    pub activated_useronly: u64,
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
    /// Held callbacks by gate name (`decision::Gate::name`), for metrics.
    pub held_by_gate: HashMap<&'static str, u64>,
    /// Skipped callbacks by kind (`decision::bad_row_kind`), for metrics.
    pub skipped_by_kind: HashMap<&'static str, u64>,
    /// The database time the pass worked at.
    pub at: NaiveDateTime,
    /// When the pass should run again at the latest for a known event (server time).
    pub next_wake: Option<NaiveDateTime>,
}

impl Summary {
    /// What the metrics count of this pass.
    pub fn counts(&self) -> crate::ops::metrics::PassCounts {
        crate::ops::metrics::PassCounts {
            activated: self.activated,
            inserted: self.inserted,
            dead: self.dead,
            moved: self.moved,
            limited: self.limited,
            skipped: self.errors,
            pending: self.pending,
            held_by_gate: self.held_by_gate.clone(),
            skipped_by_kind: self.skipped_by_kind.clone(),
        }
    }

    /// True when the pass changed something or found something wrong.
    pub fn did_work(&self) -> bool {
        self.activated + self.inserted + self.dead + self.moved + self.limited + self.noted > 0
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
    /// How long the last full pass took, and when the last tick said a
    /// callback comes due next: a full pass owed waits for it
    /// ([`plan::full_pass_waits`]).
    full_took: std::time::Duration,
    next_wake: Option<Instant>,
    /// When stale USERONLY callbacks were last looked for.
    last_move: Option<Instant>,
    /// The sweep of the whole table for what the scans' windows leave out.
    sweep: sweep::Sweep,
    /// Override container lines VICIdial ignores, already logged.
    logged_ignored: HashSet<(String, String)>,
    /// What the last look saw, to tell what changed since.
    watch: Watch,
    /// The availability-aware move of USERONLY callbacks (opt-in).
    availability: AvailabilityConfig,
    /// The index hint of the scans, once read ([`callbacks::time_hint`]).
    hint: Option<&'static str>,
    /// The settings last read, and the database time they were read at.
    settings: Option<(Settings, settings::ReadAt)>,
    /// What the daemon queued lately, to remove other writers' second rows.
    coexist: coexist::Coexist,
}

/// What the engine watches between full passes, so that an idle tick costs
/// one cheap statement ([`callbacks::probe`]) and work is done only on what
/// changed.
#[derive(Default)]
struct Watch {
    /// The last probe's change signals.
    probe: Option<Probe>,
    /// Undialed callback leads with a hopper row: lead to callback. One
    /// that leaves the hopper undialed is put back at once.
    queued: HashMap<u32, u32>,
    /// Callbacks changed at or after this Unix time are looked at again.
    changed_after: i64,
    /// The earliest `callback_time` still to come.
    next_due: Option<NaiveDateTime>,
    /// Callbacks due up to this time (server local) have been looked at.
    due_checked: NaiveDateTime,
    /// The fingerprint of the settings last loaded.
    settings: Option<u64>,
    /// Whether an active campaign moves stale USERONLY callbacks (as of the
    /// settings last loaded): only then do idle ticks look for them.
    moving: bool,
    /// The last pass put rows in the hopper after its probe: the hopper's
    /// signature then says nothing about them, so the next tick looks.
    hopper_unsure: bool,
    /// When the queued leads were last looked for in the hopper.
    last_hopper_check: Option<Instant>,
    /// Whether the hopper's signature changed at the last tick.
    hopper_busy: bool,
    /// Leads whose hopper rows the binary log saw deleted since the last
    /// tick: looked for at once, whatever [`HOPPER_CHECK_EVERY`] says.
    hopper_deleted: HashSet<u32>,
    /// The seconds (server time) in which the daemon wrote callbacks or new
    /// rows were written, from the last one the probe showed on:
    /// `vicidial_callbacks.UPDATE_TIME` showing one of them is explained.
    explained_seconds: HashSet<NaiveDateTime>,
    /// When callbacks changed by others were last looked for, and how long
    /// that scan took.
    last_edit_scan: Option<(Instant, std::time::Duration)>,
    /// The table was written in a second the daemon's own writes (or new
    /// rows) explain: edits by others in that second are still to look for.
    edits_unsure: bool,
    /// The binary log is followed: its events name the callbacks written.
    following: bool,
    /// The callbacks the binary log named since the last tick.
    named: HashSet<u32>,
    /// An event since the last tick wrote callbacks without naming them.
    unnamed: bool,
    /// An event since the last tick deleted hopper rows without naming them.
    hopper_unnamed: bool,
}

/// How long the daemon's records of its claims are kept (`callbacks::forget_claimed`).
const CLAIMS_KEPT_SECONDS: u64 = 86_400;

/// How long a routine outcome (a hold with no known opening, bad data, a
/// dialed lead) stands: the first full pass after that decides it again
/// (`Memory::rechecks`).
const RECHECK: Duration = Duration::seconds(60);

/// Batches of callbacks read by id in one statement when they are looked
/// at again ([`Pass::work_on`]): a read of 500 by id took 3 to 7 ms in the
/// benchmark's slow log, so four stay within a span's time.
const FIND_BATCHES: usize = 4;

/// How often stale USERONLY callbacks are looked for: the rule counts in
/// minutes (VICIdial applies it once a minute), and the look is a scan of
/// every LIVE callback, so not every poll interval.
const MOVE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The state of one pass.
struct Pass<'a> {
    /// The database, for the second connection of a pass's writes.
    db: Db,
    session: Session,
    clock: PassClock,
    options: PassOptions,
    settings: Option<Settings>,
    summary: Summary,
    cache: OpeningCache,
    memory: &'a mut Memory,
    logged_ignored: &'a mut HashSet<(String, String)>,
    horizon_days: u32,
    /// Most callbacks one statement touches.
    batch: usize,
    /// The settings fingerprint standing outcomes are compared with.
    fingerprint: Option<u64>,
    /// Undialed callback leads with a hopper row (see [`Watch::queued`]).
    queued: &'a mut HashMap<u32, u32>,
    /// The oldest due time the due scan pages from (the repair age; older
    /// overdue callbacks are the sweep's).
    oldest: NaiveDateTime,
    /// The index hint of the scans ([`callbacks::time_hint`]).
    hint: &'static str,
    /// How the due scan starts: in spans on the first full pass after a
    /// start or an error, when a backlog may wait.
    due_start: Start,
    /// The engine's settings as last read and when; used again while the
    /// probe shows their tables unwritten since (`written`).
    cached: &'a mut Option<(Settings, settings::ReadAt)>,
    /// The probe's `settings_written` (server local) and its instant (see
    /// [`settings::unwritten_since`]).
    written: (Option<NaiveDateTime>, settings::ReadAt),
    /// The ANYONE callbacks the due scans claimed, with their leads: their
    /// leads' other LIVE ANYONE callbacks may be pending now ([`Pass::siblings`]).
    /// `None` in a full pass, whose pending scan runs after its due one.
    activated: Option<Vec<(u32, u32)>>,
    /// The database's own UTC clock when the pass read it (the pass clock
    /// may be set to another time, `--now`): inserts' deadlines are on it.
    db_utc: NaiveDateTime,
    /// What the daemon queued lately ([`coexist`]).
    coexist: &'a mut coexist::Coexist,
}

/// The batches of a scan in flight over the two connections: one decided
/// and still to claim, one claimed whose leads and hopper rows are still to
/// write; and the DNC kills gathered ([`apply::Kills`]).
#[derive(Default)]
struct Pipeline {
    session: Option<Session>,
    decided: Option<Vec<(CallbackRow, Outcome)>>,
    claimed: Option<Tail>,
    kills: Kills,
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
            full_took: std::time::Duration::ZERO,
            next_wake: None,
            last_move: None,
            sweep: sweep::Sweep::default(),
            logged_ignored: HashSet::new(),
            watch: Watch::default(),
            availability: AvailabilityConfig::default(),
            hint: None,
            settings: None,
            coexist: coexist::Coexist::default(),
        }
    }

    /// The binary log saw these callbacks written (`None`: an event that
    /// names no rows): the next tick reads them by id ([`plan::edits`]).
    pub(crate) fn callbacks_written(&mut self, ids: Option<&[u32]>) {
        match ids {
            Some(ids) => self.watch.named.extend(ids),
            None => self.watch.unnamed = true,
        }
    }

    /// Whether the binary log is followed now (its events name the edits).
    pub(crate) fn set_following(&mut self, following: bool) {
        self.watch.following = following;
    }

    /// The binary log saw the hopper rows of these leads deleted: the next
    /// tick looks for them at once.
    pub(crate) fn hopper_rows_deleted(&mut self, leads: &[u32]) {
        self.watch.hopper_unnamed |= leads.is_empty();
        self.watch.hopper_deleted.extend(leads);
    }

    /// A look for second hopper rows between ticks ([`coexist`]), on a
    /// session of its own; returns how many it removed.
    pub(crate) async fn look_for_second_rows(&mut self) -> DbResult<u64> {
        let mut session = self.db.session().await?;
        self.coexist.look(&mut session, u64::MAX, false).await
    }

    /// The engine with the availability-aware move (every pass that looks
    /// for stale USERONLY callbacks) as configured.
    pub fn with_availability(mut self, availability: AvailabilityConfig) -> Engine {
        self.availability = availability;
        self
    }

    /// Runs one full pass; `stop` is checked between batches so a shutdown
    /// finishes the current batch and no more. After a database error the
    /// next pass is a full one again (a MySQL restart empties the MEMORY
    /// hopper).
    pub async fn pass(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let result = self.full_pass(options, stop).await;
        if result.is_err() {
            self.request_full_pass();
        }
        result
    }

    /// Sweeps the whole table once ([`sweep`]): activates callbacks overdue
    /// by more than the repair age, and (the first time) reports the LIVE
    /// ANYONE ones too old to repair. The daemon does this a range every ten seconds;
    /// `once` all at once, after its pass.
    pub async fn sweep(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let mut session = self.db.session().await?;
        let probe = callbacks::probe(&mut session).await?;
        let clock = self.clock(&mut session, options.at, &probe).await?;
        let (oldest, days) = (self.oldest(clock.now), self.config.repair_max_age_days);
        let overdue = self
            .sweep
            .step(&mut session, probe.newest_callback, oldest, days, usize::MAX)
            .await?;
        let mut pass = self.start(session, clock, options, &probe).await?;
        let now = pass.clock.now;
        pass.work_on(Scan::Due(now), Phase::Due, overdue, stop).await?;
        Ok(pass.finish(None).0)
    }

    /// Makes the next tick a full pass, with the settings read again (the
    /// settings changed, or changes may have been missed).
    pub fn request_full_pass(&mut self) {
        self.last_full_scan = None;
        self.settings = None;
    }

    /// What the daemon loop runs every poll interval: a full pass every
    /// `full_scan_seconds` (and after an error); in between, one cheap probe,
    /// and work only on what changed: callbacks written, the hopper changed,
    /// a callback come due, a held callback's gate due to open.
    pub async fn tick(&mut self, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let started = Instant::now();
        let every = std::time::Duration::from_secs(self.config.full_scan_seconds);
        // A full pass owed since less than a moment waits for a callback
        // coming due while it would run: the tick in between inserts it
        // on time (README, "Performance").
        let full = match self.last_full_scan {
            None => true,
            Some(last) => {
                let overdue = last.elapsed().checked_sub(every);
                let until_wake = self.next_wake.map(|w| w.saturating_duration_since(started));
                overdue.is_some_and(|overdue| !plan::full_pass_waits(overdue, until_wake, self.full_took))
            }
        };
        let result = if full {
            let result = self.pass(PassOptions::default(), stop).await;
            self.full_took = started.elapsed();
            tracing::trace!(ms = self.full_took.as_millis() as u64, "full pass");
            result
        } else {
            let result = self.incremental(stop).await;
            if result.is_err() {
                self.request_full_pass();
            }
            result
        };
        if let Ok(summary) = &result {
            self.next_wake = summary
                .next_wake
                .map(|t| started + (t - summary.at).to_std().unwrap_or_default());
        }
        result
    }

    /// The start of a pass: its session, clock and state.
    async fn start<'a>(
        &'a mut self,
        mut session: Session,
        clock: PassClock,
        options: PassOptions,
        probe: &Probe,
    ) -> DbResult<Pass<'a>> {
        self.memory.age_reports();
        let hint = match self.hint {
            Some(hint) => hint,
            None => {
                let hint = callbacks::time_hint(&mut session).await?;
                if hint.is_empty() {
                    warn!(
                        "vicidial_callbacks has no index on callback_time (VICIdial's schema has one): \
                         every scan reads the whole table"
                    );
                }
                *self.hint.insert(hint)
            }
        };
        let oldest = self.oldest(clock.now);
        let due_start = if self.last_full_scan.is_none() {
            Start::Spans
        } else {
            Start::FirstPage
        };
        Ok(Pass {
            db: self.db.clone(),
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
            horizon_days: self.config.call_time_horizon_days,
            batch: self.config.batch_size,
            fingerprint: self.watch.settings,
            queued: &mut self.watch.queued,
            oldest,
            hint,
            due_start,
            cached: &mut self.settings,
            activated: None,
            written: (probe.settings_written, settings::ReadAt::new(probe.now, probe.utc)),
            db_utc: probe.utc,
            coexist: &mut self.coexist,
        })
    }

    /// The oldest dialable time a callback may have to be repaired.
    fn oldest(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - Duration::days(self.config.repair_max_age_days.into())
    }

    async fn full_pass(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let started = Instant::now();
        let mut session = self.db.session().await?;
        let probe = callbacks::probe(&mut session).await?;
        let clock = self.clock(&mut session, options.at, &probe).await?;
        let config = self.config.clone();
        let (batch, limit) = (config.batch_size, config.max_per_pass);
        let oldest = self.oldest(clock.now);
        let changed_after = probe.utc.and_utc().timestamp() - 1;
        let move_due = self.move_due();
        let availability = self.availability.clone();
        // Callbacks whose gate opens (one claimed ahead of its time, now
        // come) go first, as in a tick: the pending scan, oldest first,
        // would reach them last.
        let (due_now, pending_now) = self.memory.rechecks(clock.now);
        let mut pass = self.start(session, clock, options, &probe).await?;
        let dry = pass.is_dry();
        pass.coexist.look(&mut pass.session, probe.hopper_newest, dry).await?;
        // Fresh settings: standing outcomes are compared with them.
        let settings = pass.settings().await?;
        let moving = settings
            .campaigns
            .values()
            .any(|c| c.active && c.useronly_move_minutes > 0);
        pass.work_on(Scan::Pending(oldest), Phase::Pending, pending_now, stop)
            .await?;
        let until = pass.due_until();
        pass.work_on(Scan::Due(until), Phase::Due, due_now, stop).await?;
        if move_due {
            pass.move_stale_useronly(batch, &availability, stop).await?;
        }
        *pass.queued = callbacks::queued(&mut pass.session, oldest)
            .await?
            .into_iter()
            .collect();
        // Due ones first: an activation gives the lead its callback status,
        // which can make the lead's other LIVE ANYONE callbacks pending (a
        // sibling in another campaign, one stranded in CBHOLD behind this
        // ACTIVE one); the pending scan after it finds them, so one pass
        // reaches the state a second keeps. The due ones it made LIVE and
        // held are read again there, and left out as standing.
        for (scan, phase) in [
            (Scan::Due(pass.due_until()), Phase::Due),
            (Scan::Pending(oldest), Phase::Pending),
        ] {
            let (complete, seen) = pass.scan_through(scan, phase, limit, stop).await?;
            if complete {
                // Forget what this kind of scan no longer finds at all.
                pass.memory.keep_only(phase, &seen);
            }
        }
        let now = pass.due_until();
        let next_due = callbacks::next_due(&mut pass.session, now).await?;
        let (summary, fingerprint) = pass.finish(next_due);
        self.watch.settings = fingerprint;
        self.watch.moving = moving;
        self.watch.next_due = next_due;
        self.watch.due_checked = now;
        self.watch.changed_after = changed_after;
        self.watch.probe = Some(probe);
        self.note_own_writes(&summary, now, started);
        if !stop() && options.at.is_none() {
            self.last_full_scan = Some(Instant::now());
        }
        Ok(summary)
    }

    async fn incremental(&mut self, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        let started = Instant::now();
        let mut session = self.db.session().await?;
        let probe = callbacks::probe(&mut session).await?;
        let clock = self.clock(&mut session, None, &probe).await?;
        let last = self.watch.probe.replace(probe.clone());
        let named: Vec<u32> = std::mem::take(&mut self.watch.hopper_deleted)
            .into_iter()
            .filter(|lead| self.watch.queued.contains_key(lead))
            .collect();
        let memory = plan::Memory {
            hopper_unsure: std::mem::take(&mut self.watch.hopper_unsure),
            queued: self.watch.queued.len(),
            since_hopper_check: self.watch.last_hopper_check.map(|t| t.elapsed()),
            hopper_busy: self.watch.hopper_busy,
            hopper_deleted: named,
            following: self.watch.following,
            hopper_unnamed: std::mem::take(&mut self.watch.hopper_unnamed),
            next_due: self.watch.next_due,
        };
        let plan = plan::plan(&probe, last.as_ref(), &memory, clock.now, decision::PRECLAIM);
        self.watch.hopper_unsure = plan.hopper_later;
        // A change the last pass's own inserts explain is not a dialer's.
        self.watch.hopper_busy = last.as_ref().is_some_and(|l| l.hopper != probe.hopper) && !memory.hopper_unsure;
        if plan.hopper == plan::HopperLook::All {
            self.watch.last_hopper_check = Some(Instant::now());
        }
        let came_due = plan.came_due;
        let (mut due, mut pending) = self.memory.rechecks(clock.now);
        let move_due = (self.watch.moving || self.availability.any()) && self.move_due();
        let availability = self.availability.clone();
        let (batch, limit) = (self.config.batch_size, self.config.max_per_pass);
        let oldest = self.oldest(clock.now);
        let due_since = std::mem::replace(&mut self.watch.due_checked, clock.now + decision::PRECLAIM);
        let mut explained = std::mem::take(&mut self.watch.explained_seconds);
        let hidden_due = self
            .watch
            .last_edit_scan
            .is_none_or(|(at, took)| at.elapsed() >= plan::hidden_edits_every(took));
        let mut changed_after = self.watch.changed_after;
        let mut edits_unsure = self.watch.edits_unsure;
        let following = self.watch.following;
        let named: Vec<u32> = std::mem::take(&mut self.watch.named).into_iter().collect();
        let unnamed = std::mem::take(&mut self.watch.unnamed);
        let mut next_due = self.watch.next_due;
        let tick_start = clock.now;
        if self.sweep.due() {
            let days = self.config.repair_max_age_days;
            due.extend(
                self.sweep
                    .step(&mut session, probe.newest_callback, oldest, days, 1)
                    .await?,
            );
        }
        let mut pass = self.start(session, clock, PassOptions::default(), &probe).await?;
        pass.coexist.look(&mut pass.session, probe.hopper_newest, false).await?;
        pass.activated = Some(Vec::new());
        if move_due {
            pass.move_stale_useronly(batch, &availability, stop).await?;
        }
        // Moved callbacks are ACTIVE ANYONE and due: this tick takes them.
        let moved = pass.summary.moved > 0;
        let look: Option<Vec<u32>> = match plan.hopper {
            plan::HopperLook::All => Some(pass.queued.keys().copied().collect()),
            plan::HopperLook::Leads(leads) => Some(leads),
            plan::HopperLook::Skip => None,
        };
        if let Some(leads) = look {
            let present = callbacks::in_hopper(&mut pass.session, &leads).await?;
            for lead in leads.into_iter().filter(|l| !present.contains(l)) {
                pending.extend(pass.queued.remove(&lead));
            }
        }
        if let Some(after) = plan.new_rows_after {
            // New rows: a primary-key range, whatever else changed.
            let new = callbacks::newer(&mut pass.session, after).await?;
            due.extend(new.due);
            pending.extend(new.live);
            explained.extend(new.written);
        }
        // Edits by others: a scan of every open row, so only when the table
        // was written in a second neither the new rows nor the daemon's own
        // writes explain (and once a second after such a second).
        let (edit_scan, by_id, still_unsure) = plan::edits(
            following,
            named.len(),
            unnamed,
            (
                plan.written,
                plan::explained(probe.callbacks_written, &explained),
                edits_unsure,
                hidden_due,
            ),
        );
        if edit_scan {
            tracing::trace!(written = ?probe.callbacks_written, unsure = edits_unsure, "scan for edits");
        }
        edits_unsure = still_unsure;
        plan::keep_explained(&mut explained, probe.callbacks_written, probe.now);
        if by_id {
            let named = callbacks::named(&mut pass.session, &named).await?;
            due.extend(named.due);
            pending.extend(named.live);
        }
        let mut edit_scan_took = None;
        if edit_scan {
            let scan_started = Instant::now();
            let changed =
                callbacks::changed(&mut pass.session, changed_after, callbacks::pending_floor(oldest)).await?;
            edit_scan_took = Some(scan_started.elapsed());
            changed_after = probe.utc.and_utc().timestamp() - 1;
            due.extend(changed.due);
            pending.extend(changed.live);
        }
        pass.work_on(Scan::Pending(oldest), Phase::Pending, pending, stop)
            .await?;
        let now = pass.due_until();
        pass.work_on(Scan::Due(now), Phase::Due, due, stop).await?;
        if came_due || moved {
            let scan = if moved {
                Scan::Due(now)
            } else {
                Scan::DueSince(due_since, now)
            };
            pass.scan_through(scan, Phase::Due, limit, stop).await?;
        }
        pass.siblings(oldest, stop).await?;
        if plan.new_rows_after.is_some() || edit_scan || by_id || came_due {
            next_due = callbacks::next_due(&mut pass.session, now).await?;
        }
        let (summary, fingerprint) = pass.finish(next_due);
        self.watch.settings = fingerprint;
        self.watch.next_due = next_due;
        self.watch.changed_after = changed_after;
        self.watch.edits_unsure = edits_unsure;
        self.watch.explained_seconds.extend(explained);
        let mut summary = summary;
        if self.watch.edits_unsure {
            // Looked for when due even when nothing wakes the loop.
            let took = self.watch.last_edit_scan.map(|(_, took)| took).unwrap_or_default();
            let every = plan::hidden_edits_every(edit_scan_took.unwrap_or(took));
            summary.wake_at(summary.at + Duration::from_std(every).unwrap_or_default());
        }
        if let Some(took) = edit_scan_took {
            self.watch.last_edit_scan = Some((Instant::now(), took));
        }
        self.note_own_writes(&summary, tick_start, started);
        // A look owed to a later tick stays owed whatever this one wrote.
        self.watch.hopper_unsure |= plan.hopper_later;
        Ok(summary)
    }

    /// Remembers what the pass wrote that the next probe will see: rows put
    /// in the hopper, and the seconds in which callbacks were written.
    fn note_own_writes(&mut self, summary: &Summary, start: NaiveDateTime, started: Instant) {
        self.watch.hopper_unsure = summary.inserted > 0;
        if summary.activated + summary.limited + summary.dead + summary.moved > 0 {
            let second = |t: NaiveDateTime| t.with_nanosecond(0).unwrap_or(t);
            let end = start + Duration::from_std(started.elapsed()).unwrap_or_default() + Duration::seconds(1);
            let mut t = second(start);
            while t <= end {
                self.watch.explained_seconds.insert(t);
                t += Duration::seconds(1);
            }
        }
    }

    /// Whether it is time to look for stale USERONLY callbacks again.
    fn move_due(&mut self) -> bool {
        let due = self.last_move.is_none_or(|t| t.elapsed() >= MOVE_EVERY);
        if due {
            self.last_move = Some(Instant::now());
        }
        due
    }

    /// The pass clock (the probe's, or `--now`), with the server's zone read
    /// again when it no longer covers the pass and the call-time horizon.
    async fn clock(&mut self, session: &mut Session, at: Option<NaiveDateTime>, probe: &Probe) -> DbResult<PassClock> {
        let horizon = self.config.call_time_horizon_days;
        // The instant to cover: the database's now, or `--now` read as UTC
        // (within a day of it, which the covered span allows for).
        let (local, utc) = match at {
            Some(t) => (t, t),
            None => (probe.now, probe.utc),
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

    /// Callbacks due up to this time are claimed: [`decision::PRECLAIM`]
    /// ahead of the clock, on the database's own clock only (a pass at
    /// another time, `--now`, claims what is due then).
    fn due_until(&self) -> NaiveDateTime {
        match self.options.at {
            Some(_) => self.clock.now,
            None => self.clock.now + decision::PRECLAIM,
        }
    }

    /// Works, as pending, on the other LIVE ANYONE callbacks of the leads
    /// this tick's due scans activated: the activation gave the lead its
    /// callback status, so one of them may now be pending (a sibling in
    /// another campaign, one stranded in CBHOLD behind the ACTIVE one), and
    /// nothing else signals it before the next full pass (which runs its
    /// pending scan after its due one for the same reason).
    async fn siblings(&mut self, oldest: NaiveDateTime, stop: &dyn Fn() -> bool) -> DbResult<()> {
        let activated = self.activated.take().unwrap_or_default();
        if activated.is_empty() || stop() {
            return Ok(());
        }
        let claimed: HashSet<u32> = activated.iter().map(|(_, id)| *id).collect();
        let mut leads: Vec<u32> = activated.into_iter().map(|(lead, _)| lead).collect();
        leads.sort_unstable();
        leads.dedup();
        let ids: Vec<u32> = callbacks::live_anyone_of_leads(&mut self.session, &leads)
            .await?
            .into_iter()
            .filter(|id| !claimed.contains(id))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        self.work_on(Scan::Pending(oldest), Phase::Pending, ids, stop).await
    }

    /// The settings: those read before while their tables are unwritten
    /// since (a write in the second they were read at counts as after),
    /// otherwise read now.
    async fn settings(&mut self) -> DbResult<&Settings> {
        let (written, now) = self.written;
        if self.settings.is_none()
            && let Some((cached, at)) = &*self.cached
            && settings::unwritten_since(written, *at, now)
        {
            self.fingerprint = Some(cached.fingerprint);
            self.settings = Some(cached.clone());
        }
        if self.settings.is_none() {
            let settings = settings::load(&mut self.session).await?;
            *self.cached = Some((settings.clone(), now));
            for (id, rules) in &settings.limit_overrides {
                for line in &rules.ignored {
                    if self.logged_ignored.insert((id.to_string(), line.clone())) {
                        warn!(container = %id, line = %line, "24-hour override line ignored, as VICIdial ignores it");
                    }
                }
            }
            self.fingerprint = Some(settings.fingerprint);
            self.settings = Some(settings);
        }
        Ok(self.settings.as_ref().expect("just loaded"))
    }

    /// The summary, with the held and bad rows the memory stands for and the
    /// next time something is known to happen; and the settings fingerprint.
    fn finish(mut self, next_due: Option<NaiveDateTime>) -> (Summary, Option<u64>) {
        let counts = self.memory.counts();
        self.summary.pending = counts.held;
        self.summary.errors = counts.skipped;
        self.summary.held_by_gate = counts.by_gate;
        self.summary.skipped_by_kind = counts.skipped_by_kind;
        // A callback coming due is claimed ahead of its time.
        let next_claim = next_due.map(|t| t - (self.due_until() - self.clock.now));
        for t in [counts.next_recheck, next_claim].into_iter().flatten() {
            self.summary.wake_at(t);
        }
        (self.summary, self.fingerprint)
    }

    /// Reads a scan's window a statement at a time and works through what
    /// it found as it goes, leaving out callbacks whose outcome stands
    /// unchanged (they are counted, and their recheck time kept for the
    /// scheduler), until `limit` are taken or `stop` says so. Returns whether
    /// the whole window was read, and every id seen.
    async fn scan_through(
        &mut self,
        scan: Scan,
        phase: Phase,
        limit: usize,
        stop: &dyn Fn() -> bool,
    ) -> DbResult<(bool, HashSet<u32>)> {
        // Pending callbacks are few among many rows of their window: spans.
        // Due ones are few in the steady state (the status index finds
        // them); the first pass after a start or an error may meet a backlog.
        let window = match scan {
            Scan::Due(_) => (self.oldest, self.due_start),
            Scan::DueSince(from, _) => (from, Start::FirstPage),
            Scan::Pending(since) | Scan::TooOld(since) => (callbacks::pending_floor(since), Start::Spans),
        };
        let ahead = wanted::dnc_ahead(self.settings().await?);
        let mut spans = callbacks::Spans::new(scan, window, self.hint, ahead);
        let (mut seen, mut taken, mut queue) = (HashSet::new(), 0, Vec::new());
        let mut pipeline = Pipeline::default();
        let complete = loop {
            if taken >= limit || stop() {
                break false;
            }
            let Some(rows) = spans.next(&mut self.session).await? else {
                break true;
            };
            let (now, fingerprint) = (self.clock.now, self.fingerprint);
            let mut skipped = Vec::new();
            for scanned in rows {
                seen.insert(scanned.found.callback_id);
                if scanned.lead_unread {
                    // Whether it stands is told once its lead is read
                    // (`push`); one that may is not counted.
                    if self.memory.may_stand(&scanned.found, fingerprint, now) {
                        queue.push(scanned);
                    } else if taken < limit {
                        taken += 1;
                        queue.push(scanned);
                    }
                } else if self.memory.still_stands(&scanned.found, fingerprint, now).is_some() {
                    skipped.push(scanned.found);
                } else if taken < limit {
                    taken += 1;
                    queue.push(scanned);
                }
            }
            self.memory.adopt(&skipped);
            while queue.len() >= self.batch && !stop() {
                let batch: Vec<_> = queue.drain(..self.batch).collect();
                // The next span is read with this batch's claim when the
                // queue will run short of a batch.
                let short = queue.len() < self.batch && taken < limit;
                let read = (short && spans.more()).then_some(&mut spans);
                self.push(&mut pipeline, phase, batch, read).await?;
            }
        };
        if !queue.is_empty() && !stop() {
            self.push(&mut pipeline, phase, queue, None).await?;
        }
        self.drain(pipeline, phase).await?;
        Ok((complete, seen))
    }

    /// Looks at some callbacks again (by id): those the scan still matches are
    /// decided, the standing outcomes of the others forgotten.
    async fn work_on(&mut self, scan: Scan, phase: Phase, mut ids: Vec<u32>, stop: &dyn Fn() -> bool) -> DbResult<()> {
        ids.sort_unstable();
        ids.dedup();
        let mut pipeline = Pipeline::default();
        let ahead = match ids.is_empty() {
            true => DncAhead::default(),
            false => wanted::dnc_ahead(self.settings().await?),
        };
        // Most of the callbacks looked at again are found to stand (a
        // minute's rechecks): they are read several batches a statement,
        // and what is found goes on a batch at a time.
        for chunk in ids.chunks(self.batch * FIND_BATCHES) {
            if stop() {
                break;
            }
            let mut found = callbacks::find(&mut self.session, scan, chunk, &ahead).await?;
            let still: HashSet<u32> = found.iter().map(|r| r.found.callback_id).collect();
            for id in chunk.iter().filter(|id| !still.contains(id)) {
                self.memory.forget(*id);
            }
            while !found.is_empty() {
                let rest = found.split_off(found.len().min(self.batch));
                self.push(&mut pipeline, phase, std::mem::replace(&mut found, rest), None)
                    .await?;
            }
        }
        self.drain(pipeline, phase).await
    }

    /// Takes one batch into the pipeline. Its leads are read (the rows of a
    /// due scan, [`callbacks::read_leads`]) on the second connection,
    /// followed by the leads' status and hopper rows of the batch claimed
    /// before, while the first claims the batch decided before it (and then
    /// reads the scan's next rows, with `read`): the claim and the scan lock
    /// `vicidial_callbacks`, the rest `vicidial_list` and the hopper, so
    /// MyISAM runs the two at once. Then the batch is decided, to be
    /// claimed with the next. Each batch still writes claim, leads, hopper
    /// in that order.
    async fn push(
        &mut self,
        pipeline: &mut Pipeline,
        phase: Phase,
        mut batch: Vec<Scanned>,
        read: Option<&mut Spans>,
    ) -> DbResult<()> {
        let unread: Vec<bool> = batch.iter().map(|r| r.lead_unread).collect();
        let lookups: Vec<Option<DncLookups>> = match unread.contains(&true) {
            true => {
                let settings = self.settings().await?;
                batch
                    .iter()
                    .map(|r| decision::dnc_needed(&r.row, settings).map(|p| p.lookups()))
                    .collect()
            }
            false => Vec::new(),
        };
        let tails = match &mut pipeline.session {
            Some(s) => s,
            None => pipeline.session.insert(self.db.session().await?),
        };
        // The kills gathered go with the leads once there are enough.
        let kills = match pipeline.kills.len() >= Kills::BATCH {
            true => std::mem::take(&mut pipeline.kills),
            false => Kills::default(),
        };
        let (dry, claimed, decided) = (self.is_dry(), pipeline.claimed.take(), pipeline.decided.take());
        let second = async {
            if !lookups.is_empty() {
                callbacks::read_leads(tails, &mut batch, &lookups).await?;
            }
            let written = match claimed {
                Some(mut tail) => {
                    tail.write_leads(tails).await?;
                    let inserted = tail.write_hopper(tails).await?;
                    Some((tail, inserted))
                }
                None => None,
            };
            let dead = match kills.len() {
                0 => 0,
                _ => kills.write(tails, dry).await?,
            };
            DbResult::Ok((written, dead))
        };
        let first = async {
            let tail = match decided {
                Some(decided) => Some(self.apply(decided, phase).await?),
                None => None,
            };
            if let Some(spans) = read {
                spans.read_ahead(&mut self.session).await?;
            }
            DbResult::Ok(tail)
        };
        let (tail, second) = tokio::join!(first, second);
        let (written, dead) = second?;
        if let Some((tail, inserted)) = written {
            self.settle(tail, &inserted);
        }
        self.settle_kills(kills, dead);
        if let Some(mut tail) = tail? {
            pipeline.kills.merge(std::mem::take(&mut tail.kills));
            pipeline.claimed = Some(tail);
        }
        // Rows read whole only now: those whose outcome still stands are left out.
        let (now, fingerprint) = (self.clock.now, self.fingerprint);
        let mut skipped = Vec::new();
        let mut unread = unread.into_iter();
        batch.retain(|r| {
            let stands = unread.next() == Some(true) && self.memory.still_stands(&r.found, fingerprint, now).is_some();
            if stands {
                skipped.push(r.found);
            }
            !stands
        });
        self.memory.adopt(&skipped);
        if !batch.is_empty() {
            pipeline.decided = Some(self.decide(phase, batch).await?);
        }
        let dry = self.is_dry();
        self.coexist.look_between(&mut self.session, dry).await?;
        Ok(())
    }

    /// Writes what the pipeline still holds, in order: the last batch
    /// claimed while the leads and hopper rows of the one before it go in.
    async fn drain(&mut self, mut pipeline: Pipeline, phase: Phase) -> DbResult<()> {
        let Some(mut s) = pipeline.session.take() else {
            return Ok(());
        };
        let (claimed, decided) = (pipeline.claimed.take(), pipeline.decided.take());
        let second = async {
            match claimed {
                Some(mut tail) => {
                    tail.write_leads(&mut s).await?;
                    let inserted = tail.write_hopper(&mut s).await?;
                    DbResult::Ok(Some((tail, inserted)))
                }
                None => Ok(None),
            }
        };
        let first = async {
            match decided {
                Some(decided) => self.apply(decided, phase).await.map(Some),
                None => Ok(None),
            }
        };
        let (tail, written) = tokio::join!(first, second);
        if let Some((tail, inserted)) = written? {
            self.settle(tail, &inserted);
        }
        if let Some(mut tail) = tail? {
            pipeline.kills.merge(std::mem::take(&mut tail.kills));
            tail.write_leads(&mut s).await?;
            let inserted = tail.write_hopper(&mut s).await?;
            self.settle(tail, &inserted);
        }
        if pipeline.kills.len() > 0 {
            let dead = pipeline.kills.write(&mut s, self.is_dry()).await?;
            self.settle_kills(pipeline.kills, dead);
        }
        Ok(())
    }

    /// Looks up one batch's facts and decides it; `found` gives the
    /// versions the rows were read at.
    async fn decide(&mut self, phase: Phase, batch: Vec<Scanned>) -> DbResult<Vec<(CallbackRow, Outcome)>> {
        let mut known = Facts::default();
        let (mut found, mut rows) = (Vec::with_capacity(batch.len()), Vec::with_capacity(batch.len()));
        for scanned in batch {
            if let Some(dnc) = scanned.dnc {
                known.dnc.insert(scanned.found.callback_id, dnc);
            }
            found.push(scanned.found);
            rows.push(scanned.row);
        }
        let settings = self.settings().await?;
        let wanted = wanted::wanted(&rows, settings, &known);
        let facts = facts::gather(&mut self.session, self.clock.now, &wanted, known).await?;
        let claimed_here = self.claimed_here(phase, &rows).await?;
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
                let elsewhere = match (&row.lead, &claimed_here) {
                    (Some(lead), Some(claimed)) => {
                        decision::activated_elsewhere(&row, lead, claimed.contains(&row.callback_id), &self.clock)
                    }
                    _ => None,
                };
                let outcome = match elsewhere {
                    Some(until) => Outcome::Anyone(Feed::Hold {
                        gate: decision::Gate::OtherWriter,
                        until: Some(until),
                    }),
                    None => decision::decide(&row, phase, &cx, &mut self.cache),
                };
                (row, outcome)
            })
            .collect();
        self.remember(&decided, phase, &found);
        Ok(decided)
    }

    /// For a pending batch on the database's own clock, the callbacks of its
    /// stranded rows changed within [`decision::OTHER_WRITER_GRACE`] that this
    /// daemon claimed (the others are left to whoever made them LIVE);
    /// `None` when there is nothing to tell (a pass at another time,
    /// `--now`, cannot tell "moments ago").
    async fn claimed_here(&mut self, phase: Phase, rows: &[CallbackRow]) -> DbResult<Option<HashSet<u32>>> {
        // Only while another process writes callback rows: a callback
        // someone made LIVE long ago and a manager converted to ANYONE just
        // now (its row changed now) waits for nobody.
        if phase != Phase::Pending || self.options.at.is_some() || !self.coexist.other_writer_active() {
            return Ok(None);
        }
        let since = self.clock.utc - decision::OTHER_WRITER_GRACE;
        let recent: Vec<u32> = rows
            .iter()
            .filter(|r| r.modified_utc.is_some_and(|t| t > since))
            .filter(|r| {
                r.lead
                    .as_ref()
                    .is_some_and(|l| crate::rules::collation::eq(&l.status, "CBHOLD"))
            })
            .map(|r| r.callback_id)
            .collect();
        if recent.is_empty() {
            return Ok(Some(HashSet::new()));
        }
        // Claimed by this daemon at any time its records keep (a day): a
        // callback it claimed long ago and a manager converted to ANYONE
        // just now (its row changed now) is its own.
        Ok(Some(
            callbacks::claimed_lately(&mut self.session, &recent, CLAIMS_KEPT_SECONDS)
                .await?
                .into_iter()
                .collect(),
        ))
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
                opens: until.is_some(),
            };
            let standing = match outcome {
                Outcome::Anyone(Feed::Hold { gate, until }) => Some(stands(Note::Held, Some(gate.name()), *until)),
                Outcome::Limited { until } => Some(stands(Note::Waiting, None, *until)),
                Outcome::StayActive(_) => Some(stands(Note::Waiting, None, None)),
                Outcome::Skip(_) => Some(stands(
                    Note::Skipped,
                    self.settings
                        .as_ref()
                        .and_then(|settings| decision::bad_row_kind(row, settings)),
                    None,
                )),
                Outcome::Dialed => Some(stands(Note::Dialed, None, None)),
                Outcome::Kill(_) | Outcome::Live | Outcome::Anyone(_) => None,
            };
            // A held callback is LIVE whichever scan decided it: from now on
            // the pending scan is the one that finds it.
            let scanned_by = |note| {
                if matches!(note, Note::Held | Note::Dialed) {
                    Phase::Pending
                } else {
                    phase
                }
            };
            // The claim LIVE, the lead's callback status and TFHCCL rewrite
            // the rows just decided (a pending one's lead only when stranded).
            let rewritten = matches!(outcome, Outcome::Anyone(_) | Outcome::Limited { .. })
                && (phase == Phase::Due
                    || row
                        .lead
                        .as_ref()
                        .is_some_and(|l| crate::rules::collation::eq(&l.status, "CBHOLD") || decision::owed(row, l)));
            match standing {
                Some(stands) => self
                    .memory
                    .stand(f, scanned_by(stands.note), fingerprint, stands, rewritten),
                None => self.memory.forget(row.callback_id),
            }
        }
    }
}
