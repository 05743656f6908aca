//! One callback decided exactly as a pass decides it, for `callbacks
//! explain`: found by the same scans ([`Scan::Pending`], then [`Scan::Due`],
//! the order of a pass), its facts gathered by the same lookups, and decided
//! by the same [`decision::decide`], so an explanation can never disagree with
//! what the daemon does.

use chrono::{Duration, NaiveDateTime};

use crate::rules::decision::{self, Context, OpeningCache, Outcome, Phase};
use crate::rules::server_zone::PassClock;
use crate::config::EngineConfig;
use crate::db::callbacks::{self, Scan};
use crate::db::clock::{self, CoveredZone};
use crate::db::facts::{self, DncAhead, Wanted};
use crate::db::{DbResult, Session};
use crate::rules::dnc;
use crate::rules::model::{CallbackRow, Facts, Settings};

/// A callback as a pass would find and decide it.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The scan that found it.
    pub phase: Phase,
    /// The row as the scan read it.
    pub row: CallbackRow,
    /// The facts looked up for it (its own).
    pub facts: Facts,
    /// What a pass does with it.
    pub outcome: Outcome,
}

/// The clock of a pass at `at` (server local time), or at the database's now,
/// with the server's zone read around it.
pub async fn pass_clock(s: &mut Session, at: Option<NaiveDateTime>, horizon_days: u32) -> DbResult<PassClock> {
    let around = match at {
        Some(t) => t,
        None => clock::now(s).await?.1,
    };
    let zone = CoveredZone::read(s, around, horizon_days).await?.zone;
    clock::read(s, at, zone).await
}

/// The lookups a batch of rows needs, as [`decision::needs`] says, less the
/// DNC entries `known` already answers for a row.
pub fn wanted(rows: &[CallbackRow], settings: &Settings, known: &Facts) -> Wanted {
    let mut wanted = Wanted::default();
    for row in rows {
        let needs = decision::needs(row, settings);
        if let Some(policy) = needs.dnc {
            let answered = known
                .dnc
                .get(&row.callback_id)
                .is_some_and(|found| dnc::check(&policy, found).is_ok());
            if !answered {
                wanted.dnc.push(row.callback_id);
                wanted.dnc_lookups = wanted.dnc_lookups.union(policy.lookups());
            }
        }
        if let Some(method) = needs.calls {
            wanted.calls.entry(method).or_default().push(row.callback_id);
        }
        if needs.place {
            wanted.places.push(row.callback_id);
        }
    }
    wanted
}

/// The DNC entries a scan reads with its rows: per entry, the campaigns
/// whose ANYONE callbacks [`decision::needs`] would look it up for.
pub fn dnc_ahead(settings: &Settings) -> DncAhead {
    let mut ahead = DncAhead::default();
    for campaign in settings.campaigns.values() {
        let Some(policy) = decision::dnc_policy(campaign) else {
            continue;
        };
        let l = policy.lookups();
        let entries = [
            l.internal_number,
            l.internal_areacode,
            l.campaign_number,
            l.campaign_areacode,
        ];
        for (ids, wanted) in ahead.campaigns.iter_mut().zip(entries) {
            if wanted {
                ids.push(campaign.campaign_id.clone());
            }
        }
    }
    ahead
}

/// Decides one callback as the next pass at `clock` would (over the whole
/// repair age, as a full scan does); `None` when no scan of a pass finds it
/// (not due, final, in the hopper, dialed, USERONLY and LIVE, too old).
pub async fn decide(
    s: &mut Session,
    clock: &PassClock,
    settings: &Settings,
    config: &EngineConfig,
    callback_id: u32,
) -> DbResult<Option<Decided>> {
    Ok(decide_many(s, clock, settings, config, &[callback_id]).await?.pop())
}

/// Decides every one of these callbacks a pass at `clock` would work on, in
/// batches of `batch_size`, as [`decide`] does one.
pub async fn decide_many(
    s: &mut Session,
    clock: &PassClock,
    settings: &Settings,
    config: &EngineConfig,
    callback_ids: &[u32],
) -> DbResult<Vec<Decided>> {
    let oldest = clock.now - Duration::days(config.repair_max_age_days.into());
    let mut decided = Vec::new();
    for (scan, phase) in [
        (Scan::Pending(oldest), Phase::Pending),
        (Scan::Due(clock.now), Phase::Due),
    ] {
        for chunk in callback_ids.chunks(config.batch_size.max(1)) {
            let mut found = callbacks::find(s, scan, chunk, &DncAhead::default()).await?;
            // The due scan's rows come without their leads; the DNC entries
            // are looked up below, with the other facts.
            let no_dnc = vec![None; found.len()];
            callbacks::read_leads(s, &mut found, &no_dnc).await?;
            let rows: Vec<_> = found.into_iter().map(|r| r.row).collect();
            if rows.is_empty() {
                continue;
            }
            let facts = facts::gather(
                s,
                clock.now,
                &wanted(&rows, settings, &Facts::default()),
                Facts::default(),
            )
            .await?;
            let cx = Context {
                settings,
                facts: &facts,
                clock,
                horizon_days: config.call_time_horizon_days,
            };
            let mut cache = OpeningCache::new();
            for row in rows {
                let outcome = decision::decide(&row, phase, &cx, &mut cache);
                let id = row.callback_id;
                let own = Facts {
                    dnc: facts.dnc.get(&id).map(|f| (id, f.clone())).into_iter().collect(),
                    calls: facts.calls.get(&id).map(|f| (id, f.clone())).into_iter().collect(),
                    places: facts.places.get(&id).map(|f| (id, f.clone())).into_iter().collect(),
                };
                decided.push(Decided {
                    phase,
                    facts: own,
                    row,
                    outcome,
                });
            }
        }
    }
    Ok(decided)
}
