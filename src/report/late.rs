//! Why a callback was dialed late, where the data and the rules can tell:
//! a USERONLY callback waits for its agent to dial it by hand; the hours
//! block held it (`entry_time + callback_hours_block` after its time); its
//! lead was outside the call time when it came due (the same call-time
//! rules the pass applies, `calltime`); the 24-hour call limit held its
//! lead then (the pass's own rule, `rules::decision::decide`, on the count of
//! the day before that moment); the daemon wrote nothing from its time to
//! the dial (its own tables `callbackd_claimed` and `callbackd_queued`,
//! kept a day). Pure: decided from the callback, its lead's zone, the
//! counts and activity read by `db::report`, and the settings as they are
//! now (a setting changed since gives today's answer). What the data cannot
//! tell (the dialer's pace, the hopper's order) is said as such.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};

use super::classify::{Bucket, Judged};
use crate::rules::hours_block;
use crate::rules::calltime::{GmtOffset, LeadZone};
use crate::rules::server_zone::{PassClock, ServerZone};
use crate::rules::collation;
use crate::rules::decision::{self, Feed, Gate, Outcome, Phase};
use crate::rules::model::{CallCount, CallbackRow, Facts, Lead, Recipient, Settings};
use crate::rules::dnc::{DncFacts};
use crate::rules::call_limit::{PlaceFacts};

/// The lead's zone, as the report reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LeadPlace {
    /// `gmt_offset_now` as stored.
    pub gmt_offset_now: String,
    /// `state`.
    pub state: String,
}

/// The reason a late callback was late, in a few words (grouped on).
pub(crate) fn reason(
    j: &Judged,
    place: Option<&LeadPlace>,
    limits: &LimitFacts,
    activity: Option<&Activity>,
    settings: &Settings,
    zone: &ServerZone,
) -> String {
    let p = &j.promise;
    if collation::eq(&p.recipient, "USERONLY") {
        return "USERONLY: dialed by hand by its agent".into();
    }
    let campaign = settings.campaign(&p.campaign_id);
    if let Some(c) = campaign
        && hours_block::holds(p.entry_time, c.callback_hours_block, j.dialable_at)
    {
        return "held: callback_hours_block".into();
    }
    if let (Some(c), Some(place)) = (campaign, place)
        && let Some(offset) = GmtOffset::parse(&place.gmt_offset_now).filter(|o| o.on_grid())
    {
        let at: NaiveDateTime = zone.to_utc(j.dialable_at);
        let list = settings
            .lists
            .get(&p.list_id)
            .filter(|l| l.call_time_enforced(zone.date_at(at)))
            .map(|l| l.local_call_time.as_str());
        let lead = LeadZone {
            gmt_offset: offset,
            state: place.state.clone(),
        };
        if let Ok(false) = settings.call_times.allows(&c.local_call_time, list, &lead, at, zone) {
            return "held: outside call time at its time".into();
        }
    }
    if held_by_call_limit(j, place, limits, settings, zone) == Some(true) {
        return "held: 24-hour call limit".into();
    }
    if let Some(Gap::Idle { .. }) = activity.map(|a| a.gap(j)) {
        return NOT_WORKING.into();
    }
    // What the data cannot tell: the dialer's pace, the hopper's order.
    "no hold known".into()
}

/// Gives every late callback its reason; one with no hold known gets, in
/// its detail, that the daemon's activity then is unknown when its records
/// of that time are gone.
pub(crate) fn explain_late(
    judged: &mut [Judged],
    places: &HashMap<u32, LeadPlace>,
    limits: &LimitFacts,
    activity: Option<&Activity>,
    settings: &Settings,
    zone: &ServerZone,
) {
    for j in judged.iter_mut().filter(|j| is_late(j)) {
        j.reason = reason(j, places.get(&j.promise.lead_id), limits, activity, settings, zone);
        // The reason is grouped on; the window is this callback's own.
        match activity.map(|a| a.gap(j)) {
            Some(Gap::Idle { from, to }) if j.reason == NOT_WORKING => {
                j.detail = format!("no claims or inserts between {from} and {to}");
            }
            Some(Gap::Unknown) if j.reason == "no hold known" => {
                j.detail = "the daemon's activity then is unknown (its records are kept a day)".into();
            }
            _ => {}
        }
    }
}

/// The reason of a late callback in a gap of the daemon's activity.
pub(crate) const NOT_WORKING: &str = "the daemon was not working";

/// Late: dialed after the grace.
pub(crate) fn is_late(j: &Judged) -> bool {
    matches!(j.bucket, Bucket::LateHour | Bucket::LateDay | Bucket::LateLater)
}

/// The 24-hour call counts of late callbacks at the moment each became
/// dialable, and where their phones are (for a per-state override), by
/// `callback_id`, as `db::report` and `db::facts` read them.
#[derive(Clone, Debug, Default)]
pub(crate) struct LimitFacts {
    /// The calls counted in the day before the callback became dialable.
    pub counts: HashMap<u32, CallCount>,
    /// Where the phone is (only for campaigns with an override).
    pub places: HashMap<u32, PlaceFacts>,
}

/// Whether the 24-hour limit held a late ANYONE callback's lead when it
/// became dialable: the pass's own decision (`rules::decision::decide`) made
/// at that moment on the count of the day before it. Only the limit is
/// asked here, so the DNC lists read as not matching and the lead as
/// undialed and already queued (the gates after the limit are not
/// reached). `None`: not asked (not ANYONE, no limit) or not known (no
/// count, the phone's state not found).
pub(crate) fn held_by_call_limit(
    j: &Judged,
    place: Option<&LeadPlace>,
    limits: &LimitFacts,
    settings: &Settings,
    zone: &ServerZone,
) -> Option<bool> {
    let p = &j.promise;
    if !collation::eq(&p.recipient, "ANYONE") {
        return None;
    }
    let row = CallbackRow {
        callback_id: p.callback_id,
        lead_id: Some(p.lead_id),
        list_id: Some(p.list_id),
        campaign_id: p.campaign_id.clone(),
        status: "LIVE".into(),
        recipient: Some(Recipient::Anyone),
        user: p.user.clone(),
        lead_status: String::new(),
        entry_time: p.entry_time,
        callback_time: Some(p.callback_time),
        modified_utc: None,
        lead: Some(Lead {
            lead_id: p.lead_id,
            list_id: Some(p.list_id),
            status: "CALLBK".into(),
            gmt_offset_now: place.map(|l| l.gmt_offset_now.clone()),
            state: place.map(|l| l.state.clone()).unwrap_or_default(),
            called_since_last_reset: "N".into(),
            last_local_call_time: None,
        }),
        in_hopper: true,
    };
    let needs = decision::needs(&row, settings);
    needs.calls?;
    let none = DncFacts {
        internal_number: Some(false),
        internal_areacode: Some(false),
        campaign_number: Some(false),
        campaign_areacode: Some(false),
        campaign_list: String::new(),
    };
    let mut facts = Facts::default();
    facts.dnc.insert(p.callback_id, none);
    if let Some(c) = limits.counts.get(&p.callback_id) {
        facts.calls.insert(p.callback_id, c.clone());
    }
    if let Some(pl) = limits.places.get(&p.callback_id) {
        facts.places.insert(p.callback_id, pl.clone());
    }
    let clock = PassClock::at_utc(zone.to_utc(j.dialable_at), Arc::new(zone.clone()));
    let cx = decision::Context {
        settings,
        facts: &facts,
        clock: &clock,
        horizon_days: 1,
    };
    match decision::decide(&row, Phase::Pending, &cx, &mut decision::OpeningCache::new()) {
        Outcome::Anyone(Feed::Hold {
            gate: Gate::CallLimit, ..
        }) => Some(true),
        Outcome::Anyone(Feed::Hold {
            gate: Gate::Unchecked(_),
            ..
        }) => None,
        _ => Some(false),
    }
}

/// How far before a callback's time its claim and hopper insert may fall:
/// the daemon claims a moment ahead (`rules::decision::PRECLAIM`) and a pass
/// may start just before the minute.
pub(crate) const BEFORE: Duration = Duration::minutes(1);

/// What the daemon's own tables say it did: the minutes (server time) in
/// which it claimed a callback or inserted a hopper row, from `known_since`
/// (a day before the report's clock: the tables keep a day) to `upto`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Activity {
    /// Records before this are gone.
    pub known_since: NaiveDateTime,
    /// Records after this were not read.
    pub upto: NaiveDateTime,
    /// Each minute with a row, by its start.
    pub minutes: BTreeSet<NaiveDateTime>,
}

/// The daemon's activity over a late callback's wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// It wrote something then (or the callback was not dialed late).
    Active,
    /// No claim and no insert from `from` to `to` (server time).
    Idle {
        /// [`BEFORE`] ahead of its time.
        from: NaiveDateTime,
        /// Its first dial.
        to: NaiveDateTime,
    },
    /// Its records of that time are gone.
    Unknown,
}

impl Activity {
    /// The daemon's activity from [`BEFORE`] ahead of a late callback's
    /// dialable moment to its first dial. A working daemon claims a due
    /// callback and queues its lead in that wait (or, for one another
    /// process made LIVE, queues its lead), so not one row in it means the
    /// daemon, or its database, was not working. A minute with a row counts
    /// as active in all its seconds: a row near the edge is never missed.
    pub(crate) fn gap(&self, j: &Judged) -> Gap {
        let Some(dial) = j.dial.as_ref().filter(|_| is_late(j)) else {
            return Gap::Active;
        };
        let (from, to) = (j.dialable_at - BEFORE, dial.call_date);
        if from < self.known_since || to > self.upto {
            return Gap::Unknown;
        }
        let first = from - Duration::minutes(1);
        let touched = self.minutes.range(first..=to).any(|m| *m + Duration::minutes(1) > from);
        if touched { Gap::Active } else { Gap::Idle { from, to } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::collation::Key;
    use crate::rules::dnc::{DncMode, DncPolicy};
    use crate::rules::model::{Campaign, LimitMethod, LimitScope, SystemSettings};
    use crate::report::classify::{Dial, Promise};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn late(recipient: &str, due: &str, dialed: &str) -> Judged {
        Judged {
            promise: Promise {
                callback_id: 7,
                lead_id: 70,
                list_id: 101,
                campaign_id: "sales ".into(),
                recipient: recipient.into(),
                status: "LIVE".into(),
                callback_time: at(due),
                ..Promise::default()
            },
            dialable_at: at(due),
            bucket: Bucket::LateHour,
            dial: Some(Dial {
                lead_id: 70,
                call_date: at(dialed),
                ..Dial::default()
            }),
            late_seconds: Some((at(dialed) - at(due)).num_seconds()),
            reason: String::new(),
            detail: String::new(),
        }
    }

    fn settings(method: LimitMethod, scope: LimitScope, limit: u8, on: bool) -> Settings {
        let campaign = Campaign {
            campaign_id: "SALES".into(),
            active: true,
            local_call_time: "24hours".into(),
            callback_dnc: true,
            dnc: DncPolicy {
                internal: DncMode::Exact,
                campaign: DncMode::Exact,
            },
            hopper_hold_inserts: false,
            callback_hours_block: 0,
            useronly_move_minutes: 0,
            email_alert: false,
            limit_method: method,
            limit_scope: scope,
            limit: limit.into(),
            limit_override: None,
            no_hopper_dialing: false,
        };
        let mut s = Settings {
            system: SystemSettings {
                call_limit_24hour: on,
                ..SystemSettings::default()
            },
            ..Settings::default()
        };
        s.campaigns.insert(Key::new("SALES"), campaign);
        s
    }

    fn counted(all: u64, campaign_lists: u64) -> LimitFacts {
        let mut facts = LimitFacts::default();
        facts.counts.insert(
            7,
            CallCount {
                all,
                campaign_lists,
                oldest_all: Some(at("2026-03-06 12:00:00")),
                oldest_campaign_lists: None,
            },
        );
        facts
    }

    #[test]
    fn the_24_hour_limit_is_the_passs_rule_at_the_callbacks_moment() {
        let zone = ServerZone::fixed(0);
        let j = late("ANYONE", "2026-03-07 10:00:00", "2026-03-07 10:40:00");
        let s = settings(LimitMethod::Lead, LimitScope::SystemWide, 2, true);
        assert_eq!(held_by_call_limit(&j, None, &counted(2, 0), &s, &zone), Some(true));
        assert_eq!(held_by_call_limit(&j, None, &counted(1, 0), &s, &zone), Some(false));
        // A limit of 0 holds after one call, as VICIdial's `> 0 && >=` does.
        let zero = settings(LimitMethod::Lead, LimitScope::SystemWide, 0, true);
        assert_eq!(held_by_call_limit(&j, None, &counted(1, 0), &zero, &zone), Some(true));
        assert_eq!(held_by_call_limit(&j, None, &counted(0, 0), &zero, &zone), Some(false));
        // The campaign's lists only: the calls from other lists do not count.
        let own = settings(LimitMethod::PhoneNumber, LimitScope::CampaignLists, 2, true);
        assert_eq!(held_by_call_limit(&j, None, &counted(5, 1), &own, &zone), Some(false));
        assert_eq!(held_by_call_limit(&j, None, &counted(5, 2), &own, &zone), Some(true));
        // Not counted: unknown; no limit: not asked; USERONLY: never held by it.
        assert_eq!(held_by_call_limit(&j, None, &LimitFacts::default(), &s, &zone), None);
        let off = settings(LimitMethod::Lead, LimitScope::SystemWide, 2, false);
        assert_eq!(held_by_call_limit(&j, None, &counted(9, 9), &off, &zone), None);
        let disabled = settings(LimitMethod::Disabled, LimitScope::SystemWide, 2, true);
        assert_eq!(held_by_call_limit(&j, None, &counted(9, 9), &disabled, &zone), None);
        let mine = late("USERONLY", "2026-03-07 10:00:00", "2026-03-07 10:40:00");
        assert_eq!(held_by_call_limit(&mine, None, &counted(9, 9), &s, &zone), None);
    }

    fn activity(minutes: &[&str]) -> Activity {
        Activity {
            known_since: at("2026-03-06 12:00:00"),
            upto: at("2026-03-07 12:00:00"),
            minutes: minutes.iter().map(|m| at(m)).collect(),
        }
    }

    #[test]
    fn a_gap_is_a_wait_without_one_claim_or_insert() {
        let j = late("ANYONE", "2026-03-07 10:00:00", "2026-03-07 10:30:00");
        let idle = Gap::Idle {
            from: at("2026-03-07 09:59:00"),
            to: at("2026-03-07 10:30:00"),
        };
        assert_eq!(activity(&[]).gap(&j), idle);
        // The minute before the window, and the one after the dial, are outside.
        assert_eq!(activity(&["2026-03-07 09:58:00", "2026-03-07 10:31:00"]).gap(&j), idle);
        // A row in the minute the window starts or ends in, or within: active.
        for m in ["2026-03-07 09:59:00", "2026-03-07 10:12:00", "2026-03-07 10:30:00"] {
            assert_eq!(activity(&[m]).gap(&j), Gap::Active, "{m}");
        }
        // Records of a day before the clock are gone.
        let old = late("ANYONE", "2026-03-06 12:00:30", "2026-03-06 12:30:00");
        assert_eq!(activity(&[]).gap(&old), Gap::Unknown);
        // Not dialed late: nothing to say.
        let mut on_time = j.clone();
        on_time.bucket = Bucket::OnTime;
        assert_eq!(activity(&[]).gap(&on_time), Gap::Active);
    }
}
