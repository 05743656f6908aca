//! Applying a batch's decisions, in the crash-safe order the engine's doc
//! gives: 24-hour holds, the claim LIVE, DNC kills (lead first; their
//! callbacks are not claimed), the leads' callback status, then the hopper. Every write is a conditional statement
//! whose affected-row count is checked; a dry run logs and writes nothing.
//!
//! The writes after the claim (a batch's [`Tail`]) go on a second
//! connection while the next batch is claimed: the claim locks
//! `vicidial_callbacks`, the leads' status `vicidial_list`, so MyISAM runs
//! the two at once. Each batch still writes claim, leads, hopper in order.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use tracing::{debug, info, warn};

use super::Pass;
use super::memory::Note;
use crate::rules::decision::{self, Context, Feed, Outcome, Phase};
use crate::config::AvailabilityConfig;
use crate::db::callbacks::LeadAsRead;
use crate::db::{DbResult, Session, callbacks, hopper};
use crate::rules::dnc::DncList;
use crate::manage::availability::move_unavailable;
use crate::ops::metrics;
use crate::rules::model::{CallbackRow, Facts};
use crate::rules::dnc::{DncLookups};

/// A DNC hit: the callback, and the list its phone is on.
type Hit = (CallbackRow, DncList);

/// Leads to kill, as read, and their hits.
type Killed = (Vec<(u32, LeadAsRead)>, Vec<Hit>);

/// DNC hits to kill. Their callbacks are not claimed and their leads get
/// no status and no hopper row, so when they are written does not matter to
/// the rest of the batch: a pass gathers them over its batches and writes
/// them a few hundred at a time ([`Kills::BATCH`]), not as two small
/// statements per batch, each waiting for the claim's lock.
#[derive(Default)]
pub(super) struct Kills {
    /// Per lead status (`DNCL`, `DNCC`): the leads as read, and per hit the callback and the list.
    by_status: HashMap<&'static str, Killed>,
    /// Hits gathered.
    hits: usize,
}

impl Kills {
    /// As many hits as make the kills worth their two statements now.
    pub(super) const BATCH: usize = 200;

    fn add(&mut self, row: &CallbackRow, list: &DncList) {
        let entry = self.by_status.entry(list.lead_status()).or_default();
        if let Some(lead) = &row.lead {
            entry.0.push((lead.lead_id, LeadAsRead::of(lead)));
        }
        entry.1.push((row.clone(), list.clone()));
        self.hits += 1;
    }

    /// Takes in another batch's hits.
    pub(super) fn merge(&mut self, other: Kills) {
        for (status, (leads, hits)) in other.by_status {
            let entry = self.by_status.entry(status).or_default();
            entry.0.extend(leads);
            entry.1.extend(hits);
        }
        self.hits += other.hits;
    }

    /// Hits gathered.
    pub(super) fn len(&self) -> usize {
        self.hits
    }

    /// Writes the kills: the leads' status first, then every open callback
    /// of the lead DEAD; returns the callbacks set DEAD.
    pub(super) async fn write(&self, s: &mut Session, dry: bool) -> DbResult<u64> {
        let mut dead = 0;
        for (lead_status, (lead_ids, hits)) in &self.by_status {
            dead += write_on(s, dry, hits.len(), async |s| {
                callbacks::kill(s, lead_ids, lead_status).await
            })
            .await?;
        }
        Ok(dead)
    }
}

/// Runs a write unless this is a dry run, where it counts `planned` as done.
async fn write_on<F>(s: &mut Session, dry: bool, planned: usize, write: F) -> DbResult<u64>
where
    F: AsyncFnOnce(&mut Session) -> DbResult<u64>,
{
    if dry { Ok(planned as u64) } else { write(s).await }
}

/// Callbacks whose leads go into the hopper in one statement: the same
/// hopper status and DNC entries to re-check, and the earliest deadline of
/// their call windows (see [`hopper::insert`]).
pub(super) struct Insert {
    status: &'static str,
    dnc: DncLookups,
    deadline: NaiveDateTime,
    rows: Vec<CallbackRow>,
}

/// The writes of a claimed batch that follow its claim: DNC kills (leads
/// first; gathered over batches, see [`Kills`]), the leads' callback
/// status, then the hopper rows.
pub(super) struct Tail {
    /// DNC hits: their leads and callbacks are not claimed, so they are
    /// killed beside the claims, on the writes' connection ([`Kills`]).
    pub(super) kills: Kills,
    /// ANYONE leads, the status their callback gives them, and the lead as read.
    leads: Vec<(u32, String, LeadAsRead)>,
    /// Only leads still in `CBHOLD` get it (see [`Pass::apply`]).
    only_cbhold: bool,
    /// The callbacks whose lead gets a hopper row, by what their insert sets and re-checks.
    inserts: Vec<Insert>,
    dry: bool,
}

impl Tail {
    /// Gives the leads their callback status and `called_since_last_reset='N'`
    /// (`AST_VDhopper.pl` line 759, VICIdial 2.14).
    pub(super) async fn write_leads(&mut self, s: &mut Session) -> DbResult<()> {
        if !self.leads.is_empty() {
            let leads: Vec<(u32, &str, LeadAsRead)> = self
                .leads
                .iter()
                .map(|(id, st, read)| (*id, st.as_str(), read.clone()))
                .collect();
            write_on(s, self.dry, leads.len(), async |s| {
                callbacks::set_lead_status(s, &leads, self.only_cbhold).await
            })
            .await?;
        }
        Ok(())
    }

    /// Inserts the hopper rows; returns the callbacks whose lead got one.
    pub(super) async fn write_hopper(&mut self, s: &mut Session) -> DbResult<HashSet<u32>> {
        let mut inserted = HashSet::new();
        for insert in &self.inserts {
            let ids: Vec<u32> = insert.rows.iter().map(|r| r.callback_id).collect();
            if self.dry {
                inserted.extend(ids);
            } else {
                let (callbacks, rows) = hopper::insert(s, &ids, insert.status, insert.dnc, insert.deadline).await?;
                if let Some(rows) = rows {
                    let leads: Vec<u32> = insert
                        .rows
                        .iter()
                        .filter(|r| callbacks.contains(&r.callback_id))
                        .map(|r| r.lead_id_or_zero())
                        .collect();
                    hopper::record_queued(s, rows, &leads).await?;
                }
                inserted.extend(callbacks);
            }
        }
        Ok(inserted)
    }
}

/// The status each ANYONE lead of a claimed batch gets, one per lead: that
/// of the callback whose hopper row goes in ([`Pass::plan_feed`] takes the
/// first per lead), else of its first callback. With several open callbacks
/// of one lead and different `lead_status`, the lead so matches the queued
/// callback, whose hopper insert re-checks it, and the batch is done in one
/// pass. Due: with `only_cbhold`, only leads still in `CBHOLD`; pending:
/// leads in `CBHOLD` or owed the activation's write (`decision::owed`).
fn lead_statuses(
    claimed: &[(&CallbackRow, &Outcome)],
    phase: Phase,
    only_cbhold: bool,
) -> Vec<(u32, String, LeadAsRead)> {
    let mut leads: Vec<(u32, String, LeadAsRead)> = Vec::new();
    let mut chosen: HashMap<u32, (usize, bool)> = HashMap::new();
    for (r, outcome) in claimed {
        let (Some(lead), Outcome::Anyone(feed)) = (r.lead.as_ref(), outcome) else {
            continue;
        };
        let cbhold = crate::rules::collation::eq(&lead.status, "CBHOLD");
        let wanted = match phase {
            Phase::Due => !only_cbhold || cbhold,
            Phase::Pending => cbhold || crate::rules::decision::owed(r, lead),
        };
        if !wanted {
            continue;
        }
        let status = crate::rules::decision::lead_status(r).to_string();
        let inserts = matches!(feed, Feed::Insert(_));
        match chosen.get(&lead.lead_id) {
            None => {
                chosen.insert(lead.lead_id, (leads.len(), inserts));
                leads.push((lead.lead_id, status, LeadAsRead::of(lead)));
            }
            Some(&(i, false)) if inserts => {
                chosen.insert(lead.lead_id, (i, true));
                leads[i].1 = status;
            }
            Some(_) => {}
        }
    }
    leads
}

impl Pass<'_> {
    /// How late a callback is now (0 when not yet due: claimed ahead of
    /// its time), for the lateness metrics.
    fn late(&self, row: &CallbackRow) -> f64 {
        row.callback_time
            .map_or(0.0, |t| (self.clock.now - t).num_milliseconds().max(0) as f64 / 1000.0)
    }

    /// Runs a write on the pass's connection unless this is a dry run.
    async fn write<F>(&mut self, planned: usize, write: F) -> DbResult<u64>
    where
        F: AsyncFnOnce(&mut Session) -> DbResult<u64>,
    {
        write_on(&mut self.session, self.options.dry_run, planned, write).await
    }

    /// Logs a standing condition once; counts it as noted when logged.
    fn note(&mut self, row: &CallbackRow, message: String, note: Note) {
        if self.memory.report_once(row, message, note) {
            self.summary.noted += 1;
        }
    }

    /// Moves USERONLY callbacks to ANYONE: stale ones (the campaign's
    /// `callback_useronly_move_minutes`, as VICIdial does), and with the
    /// opt-in availability rule those whose owner cannot take them.
    pub(super) async fn move_stale_useronly(
        &mut self,
        batch: usize,
        availability: &AvailabilityConfig,
        stop: &dyn Fn() -> bool,
    ) -> DbResult<()> {
        let (now, dry) = (self.clock.now, self.is_dry());
        // The availability move is a duty: its failure is its own.
        match move_unavailable(&mut self.session, now, availability, dry).await {
            Ok(moved) => self.summary.moved += moved,
            Err(e) => {
                crate::ops::metrics::global().duty_failed("availability");
                warn!("availability move failed: {e}; tried again on the next look");
            }
        }
        let mut seen = HashSet::new();
        while !stop() {
            let stale = callbacks::stale_useronly(&mut self.session, self.clock.now, batch).await?;
            // In a dry run nothing changes, so the same rows come back: stop at the first repeat.
            let stale: Vec<_> = stale.into_iter().filter(|s| seen.insert(s.callback_id)).collect();
            if stale.is_empty() {
                break;
            }
            let ids: Vec<u32> = stale.iter().map(|s| s.callback_id).collect();
            let moved = self
                .write(ids.len(), async |s| callbacks::move_to_anyone(&ids, None).run(s).await)
                .await?;
            for s in &stale {
                info!(
                    callback_id = s.callback_id,
                    lead_id = s.lead_id,
                    campaign = %s.campaign_id,
                    user = %s.user,
                    outcome = "moved",
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

    /// Applies a batch's decisions up to the claim; returns the writes that
    /// follow it ([`Tail`]), to be made in order once the claim is done.
    pub(super) async fn apply(&mut self, decided: Vec<(CallbackRow, Outcome)>, phase: Phase) -> DbResult<Tail> {
        let mut kills = Kills::default();
        let mut limited = Vec::new();
        let mut live = Vec::new();
        for (row, outcome) in &decided {
            match outcome {
                Outcome::Skip(why) => self.note(row, why.clone(), Note::Skipped),
                Outcome::StayActive(why) => self.note(row, why.clone(), Note::Waiting),
                Outcome::Kill(list) => kills.add(row, list),
                Outcome::Limited { .. } => limited.push(row),
                Outcome::Dialed => debug!(
                    callback_id = row.callback_id,
                    lead_id = row.lead_id_or_zero(),
                    "lead dialed since the callback became dialable: nothing to do"
                ),
                Outcome::Live | Outcome::Anyone(_) => live.push((row, outcome)),
            }
        }
        self.hold_limited(&limited).await?;
        let (claimed, contended) = if phase == Phase::Due {
            self.claim(live).await?
        } else {
            (live, false)
        };
        if phase == Phase::Due {
            self.log_empty_lead_status(&claimed);
            if let Some(activated) = &mut self.activated {
                activated.extend(
                    claimed
                        .iter()
                        .filter(|(_, o)| matches!(o, Outcome::Anyone(_)))
                        .filter_map(|(r, _)| Some((r.lead.as_ref()?.lead_id, r.callback_id))),
                );
            }
        }
        // One another process may have activated (and the dialer dialed
        // since): only a lead still in CBHOLD gets its status, so a dialed
        // lead is never made dialable again. A pending one: a lead still in
        // CBHOLD, or one the activation's write never reached
        // (`decision::owed`); an undialed one needs nothing.
        let only_cbhold = contended;
        let leads = lead_statuses(&claimed, phase, only_cbhold);
        Ok(Tail {
            kills,
            leads,
            only_cbhold,
            inserts: self.plan_feed(&claimed),
            dry: self.is_dry(),
        })
    }

    /// Says, once per callback (at its claim), that an ANYONE callback
    /// with an empty or NULL `lead_status` gives its lead `CALLBK`
    /// ([`crate::rules::decision::lead_status`] says why).
    fn log_empty_lead_status(&self, claimed: &[(&CallbackRow, &Outcome)]) {
        for (r, _) in claimed.iter().filter(|(_, o)| matches!(o, Outcome::Anyone(_))) {
            if crate::rules::pending::lead_status_is_empty(&r.lead_status) {
                warn!(
                    callback_id = r.callback_id,
                    lead_id = r.lead_id_or_zero(),
                    campaign = %r.campaign_id,
                    dry_run = self.is_dry(),
                    "lead_status is empty: the lead gets {} (VICIdial would give it an empty status)",
                    crate::rules::pending::DEFAULT_LEAD_STATUS
                );
            }
        }
    }

    /// The 24-hour limit at activation: TFHCCL, retried when the oldest
    /// counted call ages out. Only what is not so already is written, so a
    /// standing hold costs no write.
    async fn hold_limited(&mut self, limited: &[&CallbackRow]) -> DbResult<()> {
        let ids: Vec<u32> = limited
            .iter()
            .filter(|r| crate::rules::status::CallbackStatus::Active.is(&r.status))
            .map(|r| r.callback_id)
            .collect();
        let lead_ids: Vec<u32> = limited
            .iter()
            .filter_map(|r| r.lead.as_ref())
            .filter(|l| l.called_since_last_reset != "D")
            .map(|l| l.lead_id)
            .collect();
        if !ids.is_empty() {
            let now = self.due_until();
            self.summary.limited += self
                .write(ids.len(), async |s| callbacks::set_limited(s, &ids, now).await)
                .await?;
        }
        if !lead_ids.is_empty() {
            self.write(lead_ids.len(), async |s| {
                callbacks::mark_leads_limited(s, &lead_ids).await
            })
            .await?;
        }
        for r in limited {
            self.note(r, "TFHCCL: 24-hour call limit reached".into(), Note::Waiting);
        }
        Ok(())
    }

    /// Claims due callbacks LIVE, by callback_id; returns those now LIVE, and
    /// whether another process changed some of them under the claim.
    async fn claim<'r>(
        &mut self,
        mut live: Vec<(&'r CallbackRow, &'r Outcome)>,
    ) -> DbResult<(Vec<(&'r CallbackRow, &'r Outcome)>, bool)> {
        if live.is_empty() {
            return Ok((live, false));
        }
        let ids: Vec<u32> = live.iter().map(|(r, _)| r.callback_id).collect();
        let now = self.due_until();
        // Recorded as this daemon's own first (README, "Beside VICIdial's cron jobs").
        self.write(ids.len(), async |s| callbacks::record_claimed(s, &ids).await)
            .await?;
        let n = self
            .write(ids.len(), async |s| callbacks::claim_live(s, &ids, now).await)
            .await?;
        self.summary.activated += n;
        if n < ids.len() as u64 {
            // Something changed some rows between our read and our claim (an
            // agent, VICIdial's cron, another daemon). Which of those now LIVE
            // are ours cannot be told, so go on with them as pending ones:
            // their lead only gets its status if still CBHOLD, and the hopper
            // insert re-checks the lead.
            let now_live: HashSet<u32> = callbacks::statuses(&mut self.session, &ids)
                .await?
                .into_iter()
                .filter(|(_, status)| crate::rules::status::CallbackStatus::Live.is(status))
                .map(|(id, _)| id)
                .collect();
            warn!(
                claimed = n,
                batch = ids.len(),
                "some due callbacks changed under the claim; going on with those now LIVE as pending ones"
            );
            live.retain(|(r, _)| now_live.contains(&r.callback_id));
            self.summary.activated_useronly += live.iter().filter(|(_, o)| matches!(o, Outcome::Live)).count() as u64;
            return Ok((live, true));
        }
        self.summary.activated_useronly += live.iter().filter(|(_, o)| matches!(o, Outcome::Live)).count() as u64;
        for (r, outcome) in &live {
            let what = if matches!(outcome, Outcome::Live) {
                "USERONLY"
            } else {
                "ANYONE"
            };
            let time = r.callback_time.map_or_else(|| "NULL".to_string(), |t| t.to_string());
            info!(
                callback_id = r.callback_id,
                lead_id = r.lead_id_or_zero(),
                campaign = %r.campaign_id,
                user = %r.user,
                outcome = "live",
                dry_run = self.is_dry(),
                "LIVE ({what}): callback time {time} reached"
            );
            if !self.is_dry() {
                metrics::global().lateness("live", &r.campaign_id, self.late(r));
            }
        }
        Ok((live, false))
    }

    /// The hopper rows to insert, one per lead, gates permitting (grouped
    /// as [`Insert`]s); held ones are counted and logged.
    fn plan_feed(&mut self, claimed: &[(&CallbackRow, &Outcome)]) -> Vec<Insert> {
        let mut inserts: Vec<Insert> = Vec::new();
        let mut leads_taken = HashSet::new();
        for (row, outcome) in claimed {
            match outcome {
                Outcome::Anyone(Feed::Insert(status)) if leads_taken.insert(row.lead_id_or_zero()) => {
                    let Some(settings) = self.settings.as_ref() else {
                        continue;
                    };
                    let dnc = decision::dnc_needed(row, settings)
                        .map(|p| p.lookups())
                        .unwrap_or_default();
                    let cx = Context {
                        settings,
                        facts: &Facts::default(),
                        clock: &self.clock,
                        horizon_days: self.horizon_days,
                    };
                    // On the database's own clock, which the statement reads.
                    let deadline = self.db_utc + (decision::insert_deadline(row, &cx) - self.clock.utc);
                    match inserts.iter_mut().find(|i| i.status == *status && i.dnc == dnc) {
                        Some(insert) => {
                            insert.deadline = insert.deadline.min(deadline);
                            insert.rows.push((*row).clone());
                        }
                        None => inserts.push(Insert {
                            status,
                            dnc,
                            deadline,
                            rows: vec![(*row).clone()],
                        }),
                    }
                }
                Outcome::Anyone(Feed::Hold { gate, until }) => {
                    let message = match until {
                        Some(t) => format!("{gate}; opens {t}"),
                        None => format!("{gate}"),
                    };
                    self.note(row, message, Note::Held);
                }
                Outcome::Anyone(Feed::InHopper) => {
                    debug!(
                        callback_id = row.callback_id,
                        lead_id = row.lead_id_or_zero(),
                        "lead already in the hopper: no second row"
                    );
                }
                _ => {}
            }
        }
        inserts
    }

    /// Counts and logs kills written.
    pub(super) fn settle_kills(&mut self, kills: Kills, dead: u64) {
        self.summary.dead += dead;
        for (lead_status, (_, hits)) in &kills.by_status {
            for (row, list) in hits {
                info!(
                    callback_id = row.callback_id,
                    lead_id = row.lead_id_or_zero(),
                    campaign = %row.campaign_id,
                    user = %row.user,
                    outcome = "dead",
                    dry_run = self.is_dry(),
                    "DEAD: phone is on the {list}; lead set to {lead_status}"
                );
            }
        }
    }

    /// Counts and logs what a batch's hopper insert did; the callbacks now
    /// queued are watched, their standing outcomes forgotten.
    pub(super) fn settle(&mut self, tail: Tail, inserted: &HashSet<u32>) {
        self.summary.inserted += inserted.len() as u64;
        for Insert { status, rows, .. } in tail.inserts {
            for r in rows {
                let (callback_id, lead_id) = (r.callback_id, r.lead_id_or_zero());
                let list_id = r.list_id.unwrap_or_default();
                if inserted.contains(&callback_id) {
                    info!(callback_id, lead_id, campaign = %r.campaign_id, user = %r.user, list_id, outcome = "inserted", dry_run = tail.dry, "hopper: inserted {status}");
                    if !tail.dry {
                        metrics::global().lateness("hopper", &r.campaign_id, self.late(&r));
                    }
                    self.memory.forget(callback_id);
                    self.queued.insert(lead_id, callback_id);
                } else {
                    warn!(callback_id, lead_id, campaign = %r.campaign_id, user = %r.user, outcome = "not_inserted", "hopper: not inserted, what it was decided on changed (the lead dialed, queued or put on a DNC list, its call window closed, or leadership lost); decided again next pass");
                }
            }
        }
    }
}
