//! Deciding, apart from applying: what should happen to one callback, as a
//! pure function of its row, the settings, the batch's DNC and call-count
//! facts and the pass clock. Everything here is unit-tested without a database.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};

use crate::call_limit::{Place, effective_limit, postcode_key};
use crate::calltime::{GmtOffset, LeadZone};
use crate::db::callbacks::{CallbackRow, Lead, Recipient};
use crate::db::clock::PassClock;
use crate::db::facts::RecentCalls;
use crate::db::settings::{Campaign, InactiveLists, LimitMethod, LimitScope, Settings};
use crate::dnc::{self, DncHits, DncList};

/// Which query found the callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `ACTIVE`/`TFHCCL` and due: to be activated.
    Due,
    /// Already `LIVE` ANYONE, undialed, out of the hopper: to be (re)inserted.
    Pending,
}

/// What keeps a live ANYONE callback out of the hopper for now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// The campaign has `no_hopper_dialing='Y'`.
    NoHopperDialing,
    /// The callback's list is inactive or expired.
    InactiveList(u64),
    /// `callback_hours_block` hours after `entry_time` have not passed.
    HoursBlock,
    /// The lead is outside its call time.
    CallTime,
    /// The 24-hour call limit is reached.
    CallLimit,
    /// The campaign's call time id does not exist: never dial on bad data.
    UnknownCallTime(String),
    /// `gmt_offset_now` is NULL, not a number or off VICIdial's quarter-hour grid.
    BadOffset(String),
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gate::NoHopperDialing => write!(f, "campaign has no_hopper_dialing=Y"),
            Gate::InactiveList(l) => write!(f, "list {l} is inactive or expired"),
            Gate::HoursBlock => write!(f, "callback_hours_block"),
            Gate::CallTime => write!(f, "outside call time"),
            Gate::CallLimit => write!(f, "24-hour call limit reached"),
            Gate::UnknownCallTime(id) => write!(f, "campaign call time {id:?} does not exist"),
            Gate::BadOffset(o) => write!(f, "gmt_offset_now {o:?} is not a valid offset"),
        }
    }
}

/// The hopper side of a live ANYONE callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Insert a hopper row with this status (`READY` or `RHOLD`).
    Insert(&'static str),
    /// The lead already has a hopper row: never a second one.
    InHopper,
    /// Held by a gate; `until` is when it may open (server time), `None` when unknown.
    Hold { gate: Gate, until: Option<NaiveDateTime> },
}

/// What happens to one callback in this pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A bad row: left as it is, logged with the reason.
    Skip(String),
    /// Due but left `ACTIVE` (`NO_ADD_TO_HOPPER` and the lead's list is inactive).
    StayActive(String),
    /// The phone is on a DNC list: lead `DNCL`/`DNCC`, open callbacks `DEAD`.
    Kill(DncList),
    /// Due ANYONE held by the 24-hour limit: `TFHCCL`, lead `called_since_last_reset='D'`.
    Limited,
    /// Due USERONLY: `LIVE`, nothing else.
    Live,
    /// ANYONE: `LIVE` (when due) with the lead in its callback status, then the hopper.
    Anyone(Feed),
}

/// The batch-wide facts the gates look up.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// DNC entries found.
    pub dnc: DncHits,
    /// Recent calls counted.
    pub calls: RecentCalls,
    /// `(country_code, areacode)` to `(state, country)`, for per-state limits.
    pub places: HashMap<(String, String), (String, String)>,
    /// Postal code key to state, for per-state limits.
    pub postcode_states: HashMap<String, String>,
}

/// Memo of call-time answers within one pass: many leads share a zone.
pub type OpeningCache = HashMap<(String, String, LeadZone), Result<Option<NaiveDateTime>, String>>;

/// Everything `decide` reads besides the row.
pub struct Context<'a> {
    /// Settings of this pass.
    pub settings: &'a Settings,
    /// Facts of this batch.
    pub facts: &'a Facts,
    /// The pass clock.
    pub clock: &'a PassClock,
    /// How far ahead call-time openings are searched.
    pub horizon_days: u32,
}

/// Decides one callback.
pub fn decide(row: &CallbackRow, phase: Phase, cx: &Context, cache: &mut OpeningCache) -> Outcome {
    let Some(lead) = &row.lead else {
        return Outcome::Skip(match row.lead_id {
            Some(id) => format!("lead {id} does not exist"),
            None => "lead_id is NULL".into(),
        });
    };
    let Some(recipient) = row.recipient else {
        return Outcome::Skip("recipient is neither ANYONE nor USERONLY".into());
    };
    let Some(campaign) = cx.settings.campaigns.get(&row.campaign_id) else {
        return Outcome::Skip(format!("campaign {:?} does not exist", row.campaign_id));
    };
    if phase == Phase::Due
        && cx.settings.system.inactive_lists == InactiveLists::NoAddToHopper
        && let Some(list_id) = lead.list_id.filter(|id| !list_is_active(cx, *id))
    {
        return Outcome::StayActive(format!("lead's list {list_id} is inactive (NO_ADD_TO_HOPPER)"));
    }
    if recipient == Recipient::UserOnly {
        return Outcome::Live;
    }
    if row.lead_status.trim().is_empty() {
        return Outcome::Skip("lead_status is empty".into());
    }
    if campaign.callback_dnc
        && let Some(list) = dnc::check(&campaign.dnc, &lead.phone_number, &cx.facts.dnc)
    {
        return Outcome::Kill(list);
    }
    if limit_reached(lead, campaign, cx) {
        return match phase {
            Phase::Due => Outcome::Limited,
            Phase::Pending => Outcome::Anyone(Feed::Hold {
                gate: Gate::CallLimit,
                until: None,
            }),
        };
    }
    if row.in_hopper {
        return Outcome::Anyone(Feed::InHopper);
    }
    Outcome::Anyone(match gate(row, lead, campaign, cx, cache) {
        Some((gate, until)) => Feed::Hold { gate, until },
        None => Feed::Insert(
            if cx.settings.system.hopper_hold_inserts && campaign.hopper_hold_inserts {
                "RHOLD"
            } else {
                "READY"
            },
        ),
    })
}

fn list_is_active(cx: &Context, list_id: u64) -> bool {
    // A list row that does not exist is not "inactive" to VICIdial either.
    cx.settings
        .lists
        .get(&list_id)
        .is_none_or(|l| l.is_active(cx.clock.today()))
}

/// VICIdial's 24-hour rule: blocked when the count is above 0 and at least the limit.
fn limit_reached(lead: &Lead, campaign: &Campaign, cx: &Context) -> bool {
    if !cx.settings.system.call_limit_24hour {
        return false;
    }
    let calls = &cx.facts.calls;
    let entries = match campaign.limit_method {
        LimitMethod::Disabled => return false,
        LimitMethod::PhoneNumber => calls
            .by_phone
            .get(&(lead.phone_number.clone(), lead.phone_code.clone())),
        LimitMethod::Lead => calls.by_lead.get(&lead.lead_id),
    };
    let own_lists = cx.settings.campaign_lists.get(&campaign.campaign_id);
    let count: u64 = entries
        .into_iter()
        .flatten()
        .filter(|(list, _)| {
            campaign.limit_scope == LimitScope::SystemWide || own_lists.is_some_and(|l| l.contains(list))
        })
        .map(|(_, n)| n)
        .sum();
    count > 0 && count >= u64::from(limit_for(lead, campaign, cx))
}

/// The campaign's limit, or its per-state override for this lead's phone.
fn limit_for(lead: &Lead, campaign: &Campaign, cx: &Context) -> u32 {
    let Some(rules) = campaign
        .limit_override
        .as_ref()
        .and_then(|id| cx.settings.limit_overrides.get(id))
    else {
        return campaign.limit;
    };
    let (areacode_state, country) = cx.facts.places.get(&place_key(lead)).cloned().unwrap_or_default();
    let postcode_state = rules
        .wants_postcode()
        .then(|| cx.facts.postcode_states.get(&postcode_key(&lead.postal_code)).cloned())
        .flatten();
    let place = Place {
        areacode_state,
        country,
        postcode_state,
        lead_state: lead.state.clone(),
    };
    effective_limit(campaign.limit, rules, &place)
}

/// The `vicidial_phone_codes` key of a lead's phone: its phone code and area code.
pub fn place_key(lead: &Lead) -> (String, String) {
    (
        lead.phone_code.clone(),
        lead.phone_number.get(..3).unwrap_or_default().to_string(),
    )
}

/// The first closed gate before the hopper, with when it may open.
fn gate(
    row: &CallbackRow,
    lead: &Lead,
    campaign: &Campaign,
    cx: &Context,
    cache: &mut OpeningCache,
) -> Option<(Gate, Option<NaiveDateTime>)> {
    if campaign.no_hopper_dialing {
        return Some((Gate::NoHopperDialing, None));
    }
    if cx.settings.system.inactive_lists != InactiveLists::KeepInHopper
        && let Some(list_id) = row.list_id.filter(|id| !list_is_active(cx, *id))
    {
        return Some((Gate::InactiveList(list_id), None));
    }
    if let (Some(entry), true) = (row.entry_time, campaign.callback_hours_block > 0) {
        let open = entry + Duration::hours(campaign.callback_hours_block.into());
        if open > cx.clock.now {
            return Some((Gate::HoursBlock, Some(open)));
        }
    }
    let offset_text = lead.gmt_offset_now.clone().unwrap_or_default();
    let Some(offset) = GmtOffset::parse(&offset_text).filter(|o| o.on_grid()) else {
        return Some((Gate::BadOffset(offset_text), None));
    };
    let list_call_time = row
        .list_id
        .and_then(|id| cx.settings.lists.get(&id))
        .map(|l| l.local_call_time.clone())
        .unwrap_or_default();
    let zone = LeadZone {
        gmt_offset: offset,
        state: lead.state.clone(),
    };
    let key = (campaign.local_call_time.clone(), list_call_time, zone);
    let opening = cache
        .entry(key)
        .or_insert_with_key(|(ct, list_ct, zone)| {
            cx.settings
                .call_times
                .next_opening(
                    ct,
                    Some(list_ct),
                    zone,
                    cx.clock.utc,
                    cx.clock.offset(),
                    cx.horizon_days,
                )
                .map_err(|e| e.0)
        })
        .clone();
    match opening {
        Err(id) => Some((Gate::UnknownCallTime(id), None)),
        Ok(Some(at)) if at <= cx.clock.utc => None,
        Ok(at) => Some((Gate::CallTime, at.map(|t| cx.clock.to_local(t)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call_limit::LimitOverride;
    use crate::calltime::{CallTime, CallTimes, Week, Window};
    use crate::db::settings::{List, SystemSettings};
    use crate::dnc::{DncMode, DncPolicy};
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 4)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    /// A server on UTC-5 at 10:00 local.
    fn clock() -> PassClock {
        PassClock {
            now: at(10, 0),
            utc: at(15, 0),
        }
    }

    fn campaign() -> Campaign {
        Campaign {
            campaign_id: "SALES".into(),
            active: true,
            local_call_time: "9am-9pm".into(),
            callback_dnc: false,
            dnc: DncPolicy {
                internal: DncMode::Exact,
                campaign: DncMode::Off,
                campaign_list: "SALES".into(),
            },
            hopper_hold_inserts: false,
            callback_hours_block: 0,
            useronly_move_minutes: 0,
            email_alert: false,
            limit_method: LimitMethod::Disabled,
            limit_scope: LimitScope::SystemWide,
            limit: 0,
            limit_override: None,
            no_hopper_dialing: false,
        }
    }

    fn settings(c: Campaign, system: SystemSettings) -> Settings {
        let week = |start, stop| Week {
            default: Window { start, stop },
            days: Default::default(),
        };
        let times = vec![
            CallTime {
                id: "9am-9pm".into(),
                week: week(900, 2100),
                state_rules: vec![],
                holidays: vec![],
            },
            CallTime {
                id: "24hours".into(),
                week: week(0, 2400),
                state_rules: vec![],
                holidays: vec![],
            },
        ];
        let list = |id, active| List {
            list_id: id,
            campaign_id: "SALES".into(),
            active,
            expiration_date: None,
            local_call_time: "campaign".into(),
        };
        Settings::new(
            system,
            [(c.campaign_id.clone(), c)].into(),
            [(101, list(101, true)), (102, list(102, false))].into(),
            CallTimes::new(times, vec![], vec![]),
        )
    }

    fn row(recipient: Recipient) -> CallbackRow {
        CallbackRow {
            callback_id: 7,
            lead_id: Some(70),
            list_id: Some(101),
            campaign_id: "SALES".into(),
            status: "ACTIVE".into(),
            recipient: Some(recipient),
            user: "1001".into(),
            lead_status: "CALLBK".into(),
            entry_time: Some(at(8, 0)),
            callback_time: Some(at(9, 59)),
            lead: Some(Lead {
                lead_id: 70,
                list_id: Some(101),
                status: "CBHOLD".into(),
                gmt_offset_now: Some("-5.00".into()),
                state: "NY".into(),
                phone_code: "1".into(),
                phone_number: "3125550100".into(),
                called_since_last_reset: "Y".into(),
                last_local_call_time: None,
                postal_code: "60601".into(),
            }),
            in_hopper: false,
        }
    }

    fn run(row: &CallbackRow, phase: Phase, settings: &Settings, facts: &Facts, clock: &PassClock) -> Outcome {
        let cx = Context {
            settings,
            facts,
            clock,
            horizon_days: 8,
        };
        decide(row, phase, &cx, &mut OpeningCache::new())
    }

    fn default_run(row: &CallbackRow) -> Outcome {
        run(
            row,
            Phase::Due,
            &settings(campaign(), SystemSettings::default()),
            &Facts::default(),
            &clock(),
        )
    }

    #[test]
    fn useronly_only_goes_live() {
        assert_eq!(default_run(&row(Recipient::UserOnly)), Outcome::Live);
    }

    #[test]
    fn anyone_in_call_time_is_inserted_ready() {
        assert_eq!(
            default_run(&row(Recipient::Anyone)),
            Outcome::Anyone(Feed::Insert("READY"))
        );
    }

    #[test]
    fn rhold_needs_system_and_campaign() {
        let system = SystemSettings {
            hopper_hold_inserts: true,
            ..Default::default()
        };
        let mut c = campaign();
        let r = row(Recipient::Anyone);
        assert_eq!(
            run(
                &r,
                Phase::Due,
                &settings(c.clone(), system.clone()),
                &Facts::default(),
                &clock()
            ),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        c.hopper_hold_inserts = true;
        assert_eq!(
            run(
                &r,
                Phase::Due,
                &settings(c.clone(), system),
                &Facts::default(),
                &clock()
            ),
            Outcome::Anyone(Feed::Insert("RHOLD"))
        );
        assert_eq!(
            run(
                &r,
                Phase::Due,
                &settings(c, SystemSettings::default()),
                &Facts::default(),
                &clock()
            ),
            Outcome::Anyone(Feed::Insert("READY"))
        );
    }

    #[test]
    fn bad_rows_are_skipped() {
        let mut r = row(Recipient::Anyone);
        r.lead = None;
        assert!(matches!(default_run(&r), Outcome::Skip(m) if m.contains("lead 70")));
        let mut r = row(Recipient::Anyone);
        r.recipient = None;
        assert!(matches!(default_run(&r), Outcome::Skip(_)));
        let mut r = row(Recipient::Anyone);
        r.campaign_id = "GONE".into();
        assert!(matches!(default_run(&r), Outcome::Skip(m) if m.contains("GONE")));
        let mut r = row(Recipient::Anyone);
        r.lead_status = String::new();
        assert!(matches!(default_run(&r), Outcome::Skip(_)));
    }

    #[test]
    fn lead_in_hopper_gets_no_second_row() {
        let mut r = row(Recipient::Anyone);
        r.in_hopper = true;
        assert_eq!(default_run(&r), Outcome::Anyone(Feed::InHopper));
    }

    #[test]
    fn inactive_list_modes() {
        let mut r = row(Recipient::Anyone);
        r.list_id = Some(102);
        let c = campaign();
        let f = Facts::default();
        let default = settings(c.clone(), SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &default, &f, &clock()),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::InactiveList(102),
                until: None
            })
        );
        let keep = settings(
            c.clone(),
            SystemSettings {
                inactive_lists: InactiveLists::KeepInHopper,
                ..Default::default()
            },
        );
        assert_eq!(
            run(&r, Phase::Due, &keep, &f, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        // NO_ADD_TO_HOPPER judges the lead's current list, USERONLY too.
        let no_add = settings(
            c,
            SystemSettings {
                inactive_lists: InactiveLists::NoAddToHopper,
                ..Default::default()
            },
        );
        let mut u = row(Recipient::UserOnly);
        u.lead.as_mut().unwrap().list_id = Some(102);
        assert!(matches!(
            run(&u, Phase::Due, &no_add, &f, &clock()),
            Outcome::StayActive(_)
        ));
        let mut a = row(Recipient::Anyone);
        a.lead.as_mut().unwrap().list_id = Some(102);
        assert!(matches!(
            run(&a, Phase::Due, &no_add, &f, &clock()),
            Outcome::StayActive(_)
        ));
    }

    #[test]
    fn no_hopper_dialing_holds() {
        let mut c = campaign();
        c.no_hopper_dialing = true;
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &Facts::default(), &clock()),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::NoHopperDialing,
                until: None
            })
        );
    }

    #[test]
    fn hours_block_holds_until_entry_plus_hours() {
        let mut c = campaign();
        c.callback_hours_block = 4;
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &Facts::default(), &clock()),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::HoursBlock,
                until: Some(at(12, 0))
            })
        );
    }

    #[test]
    fn call_time_holds_until_lead_local_opening() {
        // 03:00 for a lead at -8.00 (server at -5.00, 06:00 local): opens at 09:00 lead time = 12:00 server.
        let c = PassClock {
            now: at(6, 0),
            utc: at(11, 0),
        };
        let mut r = row(Recipient::Anyone);
        r.lead.as_mut().unwrap().gmt_offset_now = Some("-8.00".into());
        let s = settings(campaign(), SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &c),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::CallTime,
                until: Some(at(12, 0))
            })
        );
    }

    #[test]
    fn bad_offset_and_unknown_call_time_hold() {
        let mut r = row(Recipient::Anyone);
        r.lead.as_mut().unwrap().gmt_offset_now = None;
        assert!(matches!(
            default_run(&r),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::BadOffset(_),
                ..
            })
        ));
        r.lead.as_mut().unwrap().gmt_offset_now = Some("-3.10".into());
        assert!(matches!(
            default_run(&r),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::BadOffset(_),
                ..
            })
        ));
        let mut c = campaign();
        c.local_call_time = "nope".into();
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &Facts::default(), &clock()),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::UnknownCallTime("nope".into()),
                until: None
            })
        );
    }

    #[test]
    fn dnc_kills_only_when_enabled() {
        let mut facts = Facts::default();
        facts.dnc.internal.insert("3125550100".into());
        let mut c = campaign();
        let r = row(Recipient::Anyone);
        let s = settings(c.clone(), SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        c.callback_dnc = true;
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Kill(DncList::Internal)
        );
        assert_eq!(
            run(&r, Phase::Pending, &s, &facts, &clock()),
            Outcome::Kill(DncList::Internal)
        );
        assert_eq!(
            run(&row(Recipient::UserOnly), Phase::Due, &s, &facts, &clock()),
            Outcome::Live
        );
    }

    #[test]
    fn call_limit_counts_and_scopes() {
        let system = SystemSettings {
            call_limit_24hour: true,
            ..Default::default()
        };
        let mut c = campaign();
        c.limit_method = LimitMethod::PhoneNumber;
        c.limit = 2;
        let mut facts = Facts::default();
        facts
            .calls
            .by_phone
            .insert(("3125550100".into(), "1".into()), vec![(101, 1), (999, 1)]);
        let r = row(Recipient::Anyone);
        let s = settings(c.clone(), system.clone());
        assert_eq!(run(&r, Phase::Due, &s, &facts, &clock()), Outcome::Limited);
        assert_eq!(
            run(&r, Phase::Pending, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::CallLimit,
                until: None
            })
        );
        c.limit_scope = LimitScope::CampaignLists;
        let s = settings(c.clone(), system.clone());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        // Count above zero and at least the limit: a limit of 0 blocks after one call.
        c.limit = 0;
        let s = settings(c.clone(), system);
        assert_eq!(run(&r, Phase::Due, &s, &facts, &clock()), Outcome::Limited);
        // System switch off: no limit.
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
    }

    #[test]
    fn lead_method_counts_by_lead() {
        let system = SystemSettings {
            call_limit_24hour: true,
            ..Default::default()
        };
        let mut c = campaign();
        c.limit_method = LimitMethod::Lead;
        c.limit = 1;
        let mut facts = Facts::default();
        facts.calls.by_lead.insert(70, vec![(101, 1)]);
        let s = settings(c, system);
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &facts, &clock()),
            Outcome::Limited
        );
        facts.calls.by_lead.clear();
        facts
            .calls
            .by_phone
            .insert(("3125550100".into(), "1".into()), vec![(101, 5)]);
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
    }

    #[test]
    fn a_per_state_override_changes_the_limit_for_the_area_codes_state() {
        let system = SystemSettings {
            call_limit_24hour: true,
            ..Default::default()
        };
        let mut c = campaign();
        c.limit_method = LimitMethod::PhoneNumber;
        c.limit = 3;
        c.limit_override = Some("TFH_STATES".into());
        let mut s = settings(c, system);
        s.limit_overrides
            .insert("TFH_STATES".into(), LimitOverride::parse("state=>USA,IL,1\n"));
        let mut facts = Facts::default();
        facts
            .calls
            .by_phone
            .insert(("3125550100".into(), "1".into()), vec![(101, 1)]);
        let r = row(Recipient::Anyone);
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY")),
            "area code unknown"
        );
        facts
            .places
            .insert(("1".into(), "312".into()), ("IL".into(), "USA".into()));
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Limited,
            "Illinois allows one call"
        );
    }
}
