//! The promise metrics: every few seconds, the `vicidial_log` rows written
//! since the last look (an indexed `call_date` range), and for the callbacks
//! of their leads, whether a row is the callback's first dial (the report's
//! own rule, [`classify::judge`], so a restart never counts a callback
//! twice): its lateness goes into `callbackd_promise_first_dial_seconds` by
//! campaign. Callbacks whose grace ran out in the same span without a dial
//! (still open, or dialed only later) count in
//! `callbackd_promise_not_dialed_within_grace_total`. Reading only; it runs
//! in every daemon that serves `/metrics`, and starts at the moment the
//! daemon starts (the report covers the past).

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime, Timelike};
use tracing::{debug, warn};

use super::classify::{self, Bucket, Promise};
use crate::rules::server_zone::ServerZone;
use crate::rules::collation;
use crate::db::report::{self as sql, LEADS_PER_STATEMENT, Scope};
use crate::db::{Db, DbResult, Session};
use crate::ops::metrics::Metrics;
use crate::ops::Shutdown;

/// How long after its `call_date` a dial is looked for: VICIdial writes the
/// row with its host's clock a moment before the statement lands.
const LAG: Duration = Duration::seconds(5);
/// The grace of the counter.
pub const GRACE: Duration = Duration::minutes(5);
/// Callbacks looked at for a new dial: due at most this long before it.
const LOOKBACK: Duration = Duration::days(7);
/// New dials read per statement.
const DIALS_PER_STATEMENT: usize = 5000;
/// How often it looks.
const EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// What the watcher remembers between looks.
#[derive(Default)]
pub struct Watch {
    /// Dials up to this `call_date` (server time) were looked at.
    last: Option<NaiveDateTime>,
    zone: Option<(ServerZone, NaiveDateTime)>,
    /// Callbacks already counted, with their time (forgotten after the lookback).
    dialed: HashMap<u32, NaiveDateTime>,
    missed: HashMap<u32, NaiveDateTime>,
}

/// Watches until a shutdown.
pub async fn run(db: Db, mut shutdown: Shutdown) {
    let mut watch = Watch::default();
    loop {
        let result = match db.session().await {
            Ok(mut s) => match crate::db::clock::now(&mut s).await {
                Ok((now, _)) => watch.step_at(&mut s, now, crate::ops::metrics::global()).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            warn!("promise metrics: {e}; trying again in {} s", EVERY.as_secs());
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.recv() => return,
        }
    }
}

fn campaign(p: &Promise) -> String {
    collation::Key::new(&p.campaign_id).as_str().to_uppercase()
}

impl Watch {
    /// One look, as if the database clock read `now` (server time): the first
    /// look only marks where the next one starts.
    pub async fn step_at(&mut self, s: &mut Session, now: NaiveDateTime, metrics: &Metrics) -> DbResult<()> {
        let upto = (now - LAG).with_nanosecond(0).unwrap_or(now - LAG);
        let Some(after) = self.last else {
            self.last = Some(upto);
            return Ok(());
        };
        if upto <= after {
            return Ok(());
        }
        let zone = self.zone(s, upto).await?;
        let mut dials = sql::new_dials(s, after, upto, DIALS_PER_STATEMENT).await?;
        let mut upto = upto;
        if dials.len() == DIALS_PER_STATEMENT {
            // A full statement may end inside a second: that second waits for the next look.
            let cut = dials.last().map_or(upto, |d| d.call_date);
            if cut > after + Duration::seconds(1) {
                dials.retain(|d| d.call_date < cut);
                upto = cut - Duration::seconds(1);
            }
        }
        self.first_dials(s, &dials, after, upto, &zone, metrics).await?;
        self.missed_grace(s, after, upto, &zone, metrics).await?;
        self.last = Some(upto);
        let forget = upto - LOOKBACK - Duration::days(1);
        self.dialed.retain(|_, t| *t >= forget);
        self.missed.retain(|_, t| *t >= forget);
        Ok(())
    }

    /// The server's offsets over the lookback, read again once a day.
    async fn zone(&mut self, s: &mut Session, upto: NaiveDateTime) -> DbResult<ServerZone> {
        if let Some((zone, read_at)) = &self.zone
            && upto - *read_at < Duration::days(1)
        {
            return Ok(zone.clone());
        }
        // Server time taken as UTC: off by at most a day, which the margins cover.
        let zone = crate::db::clock::zone(s, upto, LOOKBACK.num_days() + 3, 3).await?;
        self.zone = Some((zone.clone(), upto));
        Ok(zone)
    }

    /// The dials in `(after, upto]` that are some callback's first.
    async fn first_dials(
        &mut self,
        s: &mut Session,
        dials: &[classify::Dial],
        after: NaiveDateTime,
        upto: NaiveDateTime,
        zone: &ServerZone,
        metrics: &Metrics,
    ) -> DbResult<()> {
        let leads: Vec<u32> = dials
            .iter()
            .map(|d| d.lead_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for batch in leads.chunks(LEADS_PER_STATEMENT) {
            let candidates: Vec<Promise> = sql::promises_of_leads(s, batch, upto - LOOKBACK, upto)
                .await?
                .into_iter()
                .filter(|p| !self.dialed.contains_key(&p.callback_id))
                .collect();
            let Some(earliest) = candidates.iter().map(Promise::dialable_at).min() else {
                continue;
            };
            let leads: Vec<u32> = candidates
                .iter()
                .map(|p| p.lead_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let history = sql::dials(s, &leads, earliest - Duration::hours(2), upto + Duration::seconds(1)).await?;
            for p in candidates {
                let mine: Vec<_> = history.iter().filter(|d| d.lead_id == p.lead_id).cloned().collect();
                let j = classify::judge(p, &mine, &[], zone, GRACE);
                if let (Some(dial), Some(late)) = (&j.dial, j.late_seconds)
                    && dial.call_date > after
                {
                    debug!(callback_id = j.promise.callback_id, late, "promise metrics: first dial");
                    metrics.promise_dialed(&campaign(&j.promise), late as f64);
                    self.dialed.insert(j.promise.callback_id, j.promise.callback_time);
                }
            }
        }
        Ok(())
    }

    /// Callbacks whose grace ran out in `(after, upto]` without a dial (those
    /// still open, or dialed only since; not those killed or removed).
    async fn missed_grace(
        &mut self,
        s: &mut Session,
        after: NaiveDateTime,
        upto: NaiveDateTime,
        zone: &ServerZone,
        metrics: &Metrics,
    ) -> DbResult<()> {
        // callback_time + grace in (after, upto]: whole seconds, so [after - grace + 1 s, upto - grace + 1 s).
        let scope = Scope {
            from: after - GRACE + Duration::seconds(1),
            to: upto - GRACE + Duration::seconds(1),
            ..Scope::default()
        };
        let mut found = Vec::new();
        let mut page_after = None;
        loop {
            let page = sql::promises(s, false, &scope, page_after).await?;
            let full = page.len() == sql::PAGE;
            page_after = page.last().map(|p| (p.callback_time, p.callback_id));
            found.extend(page.into_iter().filter(|p| p.dialable_at() == p.callback_time));
            if !full {
                break;
            }
        }
        found.retain(|p| !self.missed.contains_key(&p.callback_id) && p.lead_status.is_some());
        for batch in found.chunks(LEADS_PER_STATEMENT) {
            let leads: Vec<u32> = batch
                .iter()
                .map(|p| p.lead_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let earliest = batch.iter().map(|p| p.callback_time).min().unwrap_or(upto);
            let history = sql::dials(s, &leads, earliest - Duration::hours(2), upto + Duration::seconds(1)).await?;
            for p in batch {
                let mine: Vec<_> = history.iter().filter(|d| d.lead_id == p.lead_id).cloned().collect();
                let j = classify::judge(p.clone(), &mine, &[], zone, GRACE);
                let missed = match j.bucket {
                    Bucket::OnTime => false,
                    Bucket::LateHour | Bucket::LateDay | Bucket::LateLater => true,
                    Bucket::NotYet => true,
                    Bucket::Never => false,
                };
                if missed {
                    metrics.promise_missed_grace(&campaign(p));
                    self.missed.insert(p.callback_id, p.callback_time);
                }
            }
        }
        Ok(())
    }
}
