//! One pass of the daemon: gather due work, decide, apply.
//!
//! A pass runs three steps, each in bounded batches:
//! 1. **Move**: LIVE USERONLY callbacks older than their campaign's
//!    `callback_useronly_move_minutes` become ACTIVE ANYONE (step 3 takes them).
//! 2. **Pending**: LIVE ANYONE callbacks whose lead is undialed and out of the
//!    hopper go in when every gate is open. This one rule repairs everything
//!    that leaves a promise out of the hopper: a held callback whose gate
//!    opened, a crash half-way through an activation, a MySQL restart emptying
//!    the MEMORY hopper, VICIdial's clean-ups, a manager's conversion.
//! 3. **Due**: ACTIVE/TFHCCL callbacks whose time has come are claimed LIVE
//!    (by `callback_id`), their ANYONE leads get their callback status, and
//!    they go through the same gates into the hopper.
//!
//! The writes of one batch are ordered so that a crash between any two of
//! them leaves a state step 2 completes on the next pass: claim LIVE, then
//! the lead's status, then the hopper row; DNC kills change the lead first.

pub mod rules;
mod run;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDateTime};
use tracing::{debug, info, warn};

use crate::call_limit;
use crate::config::EngineConfig;
use crate::db::callbacks::{self, CallbackRow, Found, Recipient, Scan};
use crate::db::clock::{self, PassClock};
use crate::db::settings::{self, Settings};
use crate::db::{Db, DbResult, Session, facts, hopper};
use crate::dnc::{self, DncList};
use rules::{Context, Facts, Feed, Gate, OpeningCache, Outcome, Phase};

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

/// The engine: the database, its settings and what it has already reported.
pub struct Engine {
    db: Db,
    config: EngineConfig,
    /// Callbacks whose hold or problem was logged, with the message and
    /// whether it is a problem (bad data), so each is logged when it appears
    /// or changes, not every second.
    reported: HashMap<u32, Reported>,
    reported_since: Instant,
    /// Pending callbacks held by a gate, so an unchanged one is not decided
    /// again every poll interval before its gate can open.
    held: HashMap<u32, Held>,
    /// When the last pending scan without a time window ran.
    last_full_scan: Option<Instant>,
    /// When stale USERONLY callbacks were last looked for.
    last_move: Option<Instant>,
}

/// What was last logged about a callback.
struct Reported {
    message: String,
    note: Note,
}

/// Kinds of standing conditions, by how long their log line stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Note {
    /// Bad data, skipped: logged again hourly.
    Skipped,
    /// Due but waiting (TFHCCL, NO_ADD_TO_HOPPER): logged again hourly.
    Waiting,
    /// LIVE and held by a gate: logged when it starts or changes.
    Held,
}

/// A callback known to be held, and what must stay the same for that to hold.
struct Held {
    /// The callback's and lead's `modify_date` when it was decided.
    version: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    /// The settings it was decided under.
    settings: u64,
    /// When to decide it again (its gate's opening, or a recheck).
    recheck_at: NaiveDateTime,
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
    reported: &'a mut HashMap<u32, Reported>,
    held: &'a mut HashMap<u32, Held>,
    horizon_days: u32,
}

impl Engine {
    /// An engine over this database.
    pub fn new(db: Db, config: EngineConfig) -> Engine {
        Engine {
            db,
            config,
            reported: HashMap::new(),
            reported_since: Instant::now(),
            held: HashMap::new(),
            last_full_scan: None,
            last_move: None,
        }
    }

    /// Runs one full pass; `stop` is checked between batches so a shutdown
    /// finishes the current batch and no more.
    pub async fn pass(&mut self, options: PassOptions, stop: &dyn Fn() -> bool) -> DbResult<Summary> {
        // Re-log standing problems (bad data) hourly, so they are neither
        // spam nor forgotten; holds are logged once, and again when they change.
        if self.reported_since.elapsed().as_secs() >= 3600 {
            self.reported.retain(|_, r| r.note == Note::Held);
            self.reported_since = Instant::now();
        }
        let mut session = self.db.session().await?;
        let clock = clock::read(&mut session, options.at).await?;
        let config = &self.config;
        let batch = config.batch_size;
        let full_scan = self
            .last_full_scan
            .is_none_or(|t| t.elapsed().as_secs() >= config.full_scan_seconds);
        let since = (!full_scan).then(|| clock.now - Duration::hours(config.pending_window_hours.into()));
        let mut pass = Pass {
            session,
            clock,
            options,
            settings: None,
            summary: Summary {
                at: clock.now,
                ..Summary::default()
            },
            cache: OpeningCache::new(),
            reported: &mut self.reported,
            held: &mut self.held,
            horizon_days: config.call_time_horizon_days,
        };
        if self.last_move.is_none_or(|t| t.elapsed() >= MOVE_EVERY) {
            pass.move_stale_useronly(batch, stop).await?;
            self.last_move = Some(Instant::now());
        }

        let scan = Scan::Pending(since);
        let found = callbacks::scan(&mut pass.session, scan, config.max_per_pass).await?;
        if full_scan {
            // Forget holds of callbacks that are no longer pending at all.
            let seen: HashSet<u32> = found.iter().map(|f| f.callback_id).collect();
            pass.held.retain(|id, _| seen.contains(id));
            pass.reported.retain(|id, r| r.note != Note::Held || seen.contains(id));
        }
        let found = pass.skip_known_holds(found).await?;
        pass.work_through(scan, Phase::Pending, &found, batch, stop).await?;

        let scan = Scan::Due(pass.clock.now);
        let found = callbacks::scan(&mut pass.session, scan, config.max_per_pass).await?;
        pass.work_through(scan, Phase::Due, &found, batch, stop).await?;

        let next_due = callbacks::next_due(&mut pass.session, pass.clock.now).await?;
        pass.summary.next_wake = [pass.summary.next_wake, next_due].into_iter().flatten().min();
        if full_scan && !stop() {
            self.last_full_scan = Some(Instant::now());
        }
        Ok(pass.summary)
    }
}

impl Pass<'_> {
    fn is_dry(&self) -> bool {
        self.options.dry_run
    }

    /// Logs a standing condition of a callback once (again when it changes).
    fn report_once(&mut self, row: &CallbackRow, message: String, note: Note) {
        if self
            .reported
            .get(&row.callback_id)
            .is_some_and(|r| r.message == message)
        {
            return;
        }
        let lead_id = row.lead_id.map_or_else(|| "NULL".to_string(), |id| id.to_string());
        match note {
            Note::Skipped => {
                warn!(callback_id = row.callback_id, lead_id, campaign = %row.campaign_id, "skipped: {message}")
            }
            Note::Waiting | Note::Held => {
                info!(callback_id = row.callback_id, lead_id, campaign = %row.campaign_id, "held: {message}")
            }
        }
        self.summary.noted += 1;
        self.reported.insert(row.callback_id, Reported { message, note });
    }

    async fn settings(&mut self) -> DbResult<&Settings> {
        if self.settings.is_none() {
            self.settings = Some(settings::load(&mut self.session).await?);
        }
        Ok(self.settings.as_ref().expect("just loaded"))
    }

    async fn move_stale_useronly(&mut self, batch: usize, stop: &dyn Fn() -> bool) -> DbResult<()> {
        let mut seen = HashSet::new();
        while !stop() {
            let stale = callbacks::stale_useronly(&mut self.session, self.clock.now, batch).await?;
            // In a dry run nothing changes, so the same rows come back: stop at the first repeat.
            let stale: Vec<_> = stale.into_iter().filter(|s| seen.insert(s.callback_id)).collect();
            if stale.is_empty() {
                break;
            }
            let ids: Vec<u32> = stale.iter().map(|s| s.callback_id).collect();
            let moved = if self.is_dry() {
                ids.len() as u64
            } else {
                callbacks::move_to_anyone(&mut self.session, &ids).await?
            };
            for s in &stale {
                info!(
                    callback_id = s.callback_id,
                    lead_id = s.lead_id,
                    campaign = %s.campaign_id,
                    dry_run = self.is_dry(),
                    "moved USERONLY to ANYONE: LIVE for more than {} minutes", s.minutes
                );
            }
            self.summary.moved += moved;
            if stale.len() < batch {
                break;
            }
        }
        Ok(())
    }

    /// Looks up the DNC entries and 24-hour call counts a batch needs.
    async fn gather_facts(&mut self, rows: &[CallbackRow]) -> DbResult<Facts> {
        let settings = self.settings().await?;
        let mut internal = BTreeSet::new();
        let mut campaign_keys = BTreeSet::new();
        let mut phones = BTreeSet::new();
        let mut leads = BTreeSet::new();
        let mut places = BTreeSet::new();
        let mut postcodes = BTreeSet::new();
        for row in rows.iter().filter(|r| r.recipient == Some(Recipient::Anyone)) {
            let (Some(lead), Some(c)) = (&row.lead, settings.campaigns.get(&row.campaign_id)) else {
                continue;
            };
            if c.callback_dnc {
                internal.extend(dnc::lookup_keys(&lead.phone_number, c.dnc.internal));
                for key in dnc::lookup_keys(&lead.phone_number, c.dnc.campaign) {
                    campaign_keys.insert((c.dnc.campaign_list.clone(), key));
                }
            }
            if settings.system.call_limit_24hour && c.limit_method != settings::LimitMethod::Disabled {
                if let Some(rules) = c
                    .limit_override
                    .as_ref()
                    .and_then(|id| settings.limit_overrides.get(id))
                {
                    places.insert(rules::place_key(lead));
                    let key = call_limit::postcode_key(&lead.postal_code);
                    if rules.wants_postcode() && !key.is_empty() {
                        postcodes.insert(key);
                    }
                }
                match c.limit_method {
                    settings::LimitMethod::Disabled => {}
                    settings::LimitMethod::PhoneNumber => {
                        phones.insert((lead.phone_number.clone(), lead.phone_code.clone()));
                    }
                    settings::LimitMethod::Lead => {
                        leads.insert(lead.lead_id);
                    }
                }
            }
        }
        let dnc = facts::dnc(&mut self.session, &internal, &campaign_keys).await?;
        let calls = facts::recent_calls(&mut self.session, self.clock.now, &phones, &leads).await?;
        let places = facts::phone_places(&mut self.session, &places).await?;
        let postcode_states = facts::postcode_states(&mut self.session, &postcodes).await?;
        Ok(Facts {
            dnc,
            calls,
            places,
            postcode_states,
        })
    }

    /// Drops the found callbacks that are held, unchanged, under unchanged
    /// settings, with their gate not yet due to open; they still count as pending.
    async fn skip_known_holds(&mut self, found: Vec<Found>) -> DbResult<Vec<Found>> {
        if found.is_empty() {
            return Ok(found);
        }
        let fingerprint = self.settings().await?.fingerprint;
        let now = self.clock.now;
        let mut left = Vec::with_capacity(found.len());
        for f in found {
            match self.held.get(&f.callback_id) {
                Some(h) if h.version == f.version && h.settings == fingerprint && h.recheck_at > now => {
                    self.summary.pending += 1;
                    self.summary.next_wake = Some(self.summary.next_wake.map_or(h.recheck_at, |w| w.min(h.recheck_at)));
                }
                _ => left.push(f),
            }
        }
        Ok(left)
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
        let facts = self.gather_facts(&rows).await?;
        let settings = self.settings.as_ref().expect("loaded by gather_facts");
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
        if phase == Phase::Pending {
            self.remember_holds(&decided, found);
        }
        self.apply(decided, phase).await
    }

    /// Remembers the pending callbacks a gate holds, until their gate may open.
    fn remember_holds(&mut self, decided: &[(CallbackRow, Outcome)], found: &[Found]) {
        let fingerprint = self.settings.as_ref().map_or(0, |s| s.fingerprint);
        let versions: HashMap<u32, _> = found.iter().map(|f| (f.callback_id, f.version)).collect();
        for (row, outcome) in decided {
            let Some(version) = versions.get(&row.callback_id) else {
                continue;
            };
            match outcome {
                // The 24-hour window slides every second: decide again each pass.
                Outcome::Anyone(Feed::Hold {
                    gate: Gate::CallLimit, ..
                }) => {}
                Outcome::Anyone(Feed::Hold { until, .. }) => {
                    let recheck_at = until.unwrap_or(self.clock.now + RECHECK);
                    self.held.insert(
                        row.callback_id,
                        Held {
                            version: *version,
                            settings: fingerprint,
                            recheck_at,
                        },
                    );
                    continue;
                }
                _ => {}
            }
            self.held.remove(&row.callback_id);
        }
    }

    /// Applies a batch's decisions, in the crash-safe order the module doc gives.
    async fn apply(&mut self, decided: Vec<(CallbackRow, Outcome)>, phase: Phase) -> DbResult<()> {
        // Per lead status (DNCL, DNCC): the leads, and the callbacks that hit.
        let mut kills: HashMap<&'static str, Kills> = HashMap::new();
        let mut limited = Vec::new();
        let mut live = Vec::new();
        for (row, outcome) in &decided {
            match outcome {
                Outcome::Skip(why) => {
                    self.summary.errors += 1;
                    self.report_once(row, why.clone(), Note::Skipped);
                }
                Outcome::StayActive(why) => self.report_once(row, why.clone(), Note::Waiting),
                Outcome::Kill(list) => {
                    let lead_id = row.lead.as_ref().map(|l| l.lead_id).unwrap_or_default();
                    let entry = kills.entry(list.lead_status()).or_default();
                    entry.0.push(lead_id);
                    entry.1.push((row.callback_id, list.clone()));
                }
                Outcome::Limited => limited.push(row),
                Outcome::Live | Outcome::Anyone(_) => live.push((row, outcome)),
            }
        }
        self.kill(kills).await?;
        self.hold_limited(&limited).await?;
        let claimed = if phase == Phase::Due {
            self.claim(live).await?
        } else {
            live
        };
        self.give_leads_their_status(&claimed, phase).await?;
        self.feed(&claimed).await
    }

    /// DNC hits: lead status first, then every open callback of the lead.
    async fn kill(&mut self, kills: HashMap<&'static str, Kills>) -> DbResult<()> {
        let dry = self.is_dry();
        for (lead_status, (lead_ids, hits)) in kills {
            let dead = if dry {
                hits.len() as u64
            } else {
                callbacks::kill(&mut self.session, &lead_ids, lead_status).await?
            };
            self.summary.dead += dead;
            for ((callback_id, list), lead_id) in hits.iter().zip(&lead_ids) {
                info!(
                    callback_id,
                    lead_id,
                    dry_run = dry,
                    "DEAD: phone is on the {list}; lead set to {lead_status}"
                );
            }
        }
        Ok(())
    }

    /// The 24-hour limit at activation: TFHCCL, retried every pass. Only what
    /// is not so already is written, so a standing hold costs no write.
    async fn hold_limited(&mut self, limited: &[&CallbackRow]) -> DbResult<()> {
        let dry = self.is_dry();
        let ids: Vec<u32> = limited
            .iter()
            .filter(|r| r.status == "ACTIVE")
            .map(|r| r.callback_id)
            .collect();
        let lead_ids: Vec<u32> = limited
            .iter()
            .filter_map(|r| r.lead.as_ref())
            .filter(|l| l.called_since_last_reset != "D")
            .map(|l| l.lead_id)
            .collect();
        if !ids.is_empty() {
            let n = if dry {
                ids.len() as u64
            } else {
                callbacks::set_limited(&mut self.session, &ids, self.clock.now).await?
            };
            self.summary.limited += n;
        }
        if !lead_ids.is_empty() && !dry {
            callbacks::mark_leads_limited(&mut self.session, &lead_ids).await?;
        }
        for r in limited {
            self.report_once(r, "TFHCCL: 24-hour call limit reached".into(), Note::Waiting);
        }
        Ok(())
    }

    /// Claims due callbacks LIVE, by callback_id; returns those now LIVE.
    async fn claim<'r>(
        &mut self,
        mut live: Vec<(&'r CallbackRow, &'r Outcome)>,
    ) -> DbResult<Vec<(&'r CallbackRow, &'r Outcome)>> {
        if live.is_empty() {
            return Ok(live);
        }
        let dry = self.is_dry();
        let ids: Vec<u32> = live.iter().map(|(r, _)| r.callback_id).collect();
        let n = if dry {
            ids.len() as u64
        } else {
            callbacks::claim_live(&mut self.session, &ids, self.clock.now).await?
        };
        if n < ids.len() as u64 {
            // Something changed some rows between our read and our claim
            // (an agent, VICIdial's cron, another daemon): go on only with
            // the rows that are LIVE now. Which of those another process
            // made LIVE cannot be told; finishing them too is safe, since
            // the lead status is the same and the hopper insert re-checks.
            let now_live: HashSet<u32> = callbacks::statuses(&mut self.session, &ids)
                .await?
                .into_iter()
                .filter(|(_, status)| status == "LIVE")
                .map(|(id, _)| id)
                .collect();
            warn!(
                claimed = n,
                batch = ids.len(),
                "some due callbacks changed under the claim; skipping those no longer open"
            );
            live.retain(|(r, _)| now_live.contains(&r.callback_id));
        }
        self.summary.activated += n;
        for (r, outcome) in &live {
            let lead_id = r.lead.as_ref().map(|l| l.lead_id).unwrap_or_default();
            let what = if matches!(outcome, Outcome::Live) {
                "USERONLY"
            } else {
                "ANYONE"
            };
            info!(callback_id = r.callback_id, lead_id, campaign = %r.campaign_id, dry_run = dry, "LIVE ({what}): callback time {} reached", fmt_time(r.callback_time));
        }
        Ok(live)
    }

    /// ANYONE leads get their callback status: always when due, only when
    /// still CBHOLD for pending ones (a half-done activation).
    async fn give_leads_their_status(&mut self, claimed: &[(&CallbackRow, &Outcome)], phase: Phase) -> DbResult<()> {
        let ids: Vec<u32> = claimed
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Anyone(_)))
            .map(|(r, _)| *r)
            .filter(|r| phase == Phase::Due || r.lead.as_ref().is_some_and(|l| l.status == "CBHOLD"))
            .map(|r| r.callback_id)
            .collect();
        if !ids.is_empty() && !self.is_dry() {
            callbacks::set_lead_status(&mut self.session, &ids, phase == Phase::Pending).await?;
        }
        Ok(())
    }

    /// The hopper: one row per lead, gates permitting; held ones are counted and logged.
    async fn feed(&mut self, claimed: &[(&CallbackRow, &Outcome)]) -> DbResult<()> {
        let dry = self.is_dry();
        let mut inserts: HashMap<&'static str, Vec<&CallbackRow>> = HashMap::new();
        let mut leads_taken = HashSet::new();
        for (row, outcome) in claimed {
            match outcome {
                Outcome::Anyone(Feed::Insert(status)) => {
                    let lead_id = row.lead.as_ref().map(|l| l.lead_id).unwrap_or_default();
                    if leads_taken.insert(lead_id) {
                        inserts.entry(status).or_default().push(row);
                    }
                }
                Outcome::Anyone(Feed::Hold { gate, until }) => {
                    self.summary.pending += 1;
                    if let Some(t) = until {
                        self.summary.next_wake = Some(self.summary.next_wake.map_or(*t, |w| w.min(*t)));
                    }
                    let message = match until {
                        Some(t) => format!("{gate}; opens {t}"),
                        None => format!("{gate}"),
                    };
                    self.report_once(row, message, Note::Held);
                }
                Outcome::Anyone(Feed::InHopper) => {
                    debug!(
                        callback_id = row.callback_id,
                        "lead already in the hopper: no second row"
                    );
                }
                _ => {}
            }
        }
        for (status, rows) in inserts {
            let ids: Vec<u32> = rows.iter().map(|r| r.callback_id).collect();
            let n = if dry {
                ids.len() as u64
            } else {
                hopper::insert(&mut self.session, &ids, status).await?
            };
            self.summary.inserted += n;
            if n < ids.len() as u64 {
                warn!(
                    inserted = n,
                    planned = ids.len(),
                    "some leads were dialed or queued meanwhile: no hopper row for them"
                );
            }
            for r in rows {
                let lead_id = r.lead.as_ref().map(|l| l.lead_id).unwrap_or_default();
                info!(callback_id = r.callback_id, lead_id, campaign = %r.campaign_id, list_id = r.list_id.unwrap_or_default(), dry_run = dry, "hopper: inserted {status}");
                self.reported.remove(&r.callback_id);
            }
        }
        Ok(())
    }
}

/// Lead ids, and per hit the callback id and the list that matched.
type Kills = (Vec<u32>, Vec<(u32, DncList)>);

fn fmt_time(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| "NULL".into())
}
