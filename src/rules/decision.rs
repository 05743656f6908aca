//! Deciding, apart from applying: what should happen to one callback, as a
//! pure function of its row, the settings, the batch's facts and the pass
//! clock. Which facts a row needs is decided here too ([`needs`]), beside the
//! rules that read them, so a fact that was not looked up can only hold a
//! callback ([`Gate::Unchecked`]), never let it through. Everything here is
//! unit-tested without a database, and `explain` can call it as a pass does.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};

use crate::rules::call_limit::effective_limit;
use crate::rules::hours_block;
use crate::rules::calltime::{GmtOffset, LeadZone};
use crate::rules::server_zone::PassClock;
use crate::rules::dnc::{self, DncList, DncPolicy};
use crate::rules::model::{CallbackRow, Campaign, Facts, InactiveLists, Lead, LimitMethod, LimitScope, Recipient, Settings};

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
    /// A fact the rules need was not looked up (a gate fails closed).
    Unchecked(&'static str),
    /// Another process (VICIdial's hopper job) made it LIVE moments ago and
    /// is inserting it ([`activated_elsewhere`]).
    OtherWriter,
    /// Claimed ahead of its time ([`PRECLAIM`]): it goes in at its time.
    NotYet,
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
            Gate::Unchecked(what) => write!(f, "{what} not looked up"),
            Gate::OtherWriter => write!(
                f,
                "made LIVE by another process (VICIdial's hopper job), which inserts it"
            ),
            Gate::NotYet => write!(f, "callback time not reached"),
        }
    }
}

impl Gate {
    /// Every [`Gate::name`], for metrics that list each gate.
    pub const NAMES: [&'static str; 10] = [
        "no_hopper_dialing",
        "inactive_list",
        "hours_block",
        "call_time",
        "call_limit",
        "unknown_call_time",
        "bad_offset",
        "unchecked",
        "other_writer",
        "not_yet",
    ];

    /// A short stable name, for counts and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Gate::NoHopperDialing => "no_hopper_dialing",
            Gate::InactiveList(_) => "inactive_list",
            Gate::HoursBlock => "hours_block",
            Gate::CallTime => "call_time",
            Gate::CallLimit => "call_limit",
            Gate::UnknownCallTime(_) => "unknown_call_time",
            Gate::BadOffset(_) => "bad_offset",
            Gate::Unchecked(_) => "unchecked",
            Gate::OtherWriter => "other_writer",
            Gate::NotYet => "not_yet",
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
    Hold {
        /// The closed gate.
        gate: Gate,
        /// When it may open.
        until: Option<NaiveDateTime>,
    },
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
    /// Due ANYONE held by the 24-hour limit: `TFHCCL`, lead
    /// `called_since_last_reset='D'`; `until` is when the oldest counted call
    /// ages out (server time).
    Limited {
        /// When the count can next drop.
        until: Option<NaiveDateTime>,
    },
    /// Due USERONLY: `LIVE`, nothing else.
    Live,
    /// ANYONE: `LIVE` (when due) with the lead in its callback status, then the hopper.
    Anyone(Feed),
    /// Pending only: the lead was dialed after the callback became dialable.
    Dialed,
}

/// The facts one callback's rules need looked up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// The DNC lists, under the campaign's policy (the campaign has
    /// `callback_dnc='ENABLED'` and consults one).
    pub dnc: Option<DncPolicy>,
    /// The 24-hour call count, by this method.
    pub calls: Option<LimitMethod>,
    /// Where the phone is, for a per-state override of the limit.
    pub place: bool,
}

/// Which facts a callback needs: only ANYONE callbacks with a lead and a
/// known campaign go through the gates (`AST_VDhopper.pl` lines 665-781, VICIdial 2.14;
/// `docs/vicidial.md`, section "Activation").
pub fn needs(row: &CallbackRow, settings: &Settings) -> Needs {
    let Some(campaign) = settings.campaign(&row.campaign_id) else {
        return Needs::default();
    };
    if row.recipient != Some(Recipient::Anyone) || row.lead.is_none() {
        return Needs::default();
    }
    let calls = (settings.system.call_limit_24hour && campaign.limit_method != LimitMethod::Disabled)
        .then_some(campaign.limit_method);
    Needs {
        dnc: dnc_needed(row, settings),
        calls,
        place: calls.is_some() && settings.limit_override(campaign).is_some(),
    }
}

/// The DNC lists a callback is checked against, lead or no lead (a due
/// scan reads the leads with these entries, [`needs`] asks for them):
/// an ANYONE one's campaign's ([`dnc_policy`]).
pub fn dnc_needed(row: &CallbackRow, settings: &Settings) -> Option<DncPolicy> {
    let campaign = settings.campaign(&row.campaign_id)?;
    (row.recipient == Some(Recipient::Anyone))
        .then(|| dnc_policy(campaign))
        .flatten()
}

/// The DNC lists an ANYONE callback of this campaign is checked against:
/// with `callback_dnc='ENABLED'` and a list consulted.
pub fn dnc_policy(campaign: &Campaign) -> Option<DncPolicy> {
    (campaign.callback_dnc && campaign.dnc.consults()).then_some(campaign.dnc)
}

/// Memo of call-time answers within one pass: many leads share a zone.
pub type OpeningCache = HashMap<(String, Option<String>, LeadZone), Result<Option<NaiveDateTime>, String>>;

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
    let Some(campaign) = cx.settings.campaign(&row.campaign_id) else {
        return Outcome::Skip(format!("campaign {:?} does not exist", row.campaign_id));
    };
    if phase == Phase::Due
        && cx.settings.system.inactive_lists == InactiveLists::NoAddToHopper
        && let Some(list_id) = lead.list_id.filter(|id| list_is_inactive(cx, *id))
    {
        return Outcome::StayActive(format!("lead's list {list_id} is inactive (NO_ADD_TO_HOPPER)"));
    }
    if recipient == Recipient::UserOnly {
        return Outcome::Live;
    }
    if phase == Phase::Pending && (dialed_since(row, lead, cx.clock) || owed_but_dialed(row, lead, cx.clock)) {
        return Outcome::Dialed;
    }
    let needs = needs(row, cx.settings);
    let hold = |gate| Outcome::Anyone(Feed::Hold { gate, until: None });
    if let Some(policy) = needs.dnc {
        let Some(found) = cx.facts.dnc.get(&row.callback_id) else {
            return hold(Gate::Unchecked("DNC lists"));
        };
        match dnc::check(&policy, found) {
            Ok(Some(list)) => return Outcome::Kill(list),
            Ok(None) => {}
            Err(dnc::NotLookedUp) => return hold(Gate::Unchecked("DNC lists")),
        }
    }
    match call_limit(row, campaign, needs, cx) {
        Limit::Open => {}
        Limit::Unchecked(what) => return hold(Gate::Unchecked(what)),
        Limit::Reached(until) => {
            return match phase {
                Phase::Due => Outcome::Limited { until },
                Phase::Pending => Outcome::Anyone(Feed::Hold {
                    gate: Gate::CallLimit,
                    until,
                }),
            };
        }
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

/// The status a callback gives its lead when it triggers: its `lead_status`,
/// or `CALLBK` when that is empty or NULL.
///
/// VICIdial's activation writes the column as it is (`status='$CA_status'`,
/// `AST_VDhopper.pl` line 759, VICIdial 2.14 build 250224-1641; a NULL
/// reads as undef and goes in as `''`) and inserts the hopper row: the
/// customer is called, but the lead is left in a status no dial status, no
/// report and no callback status matches. If its hopper row is lost
/// (VICIdial's own call-time clean-up, a MySQL restart) nothing dials it
/// again, and `AST_DB_dead_cb_purge.pl --purge-non-cb` (lines 135-203, VICIdial 2.14)
/// archives the still-undialed callback, as its lead is in no
/// `scheduled_callback` status. `CALLBK` is the column's default
/// (`MySQL_AST_CREATE_tables.sql` line 1605, VICIdial 2.14) and what a callback gives
/// its lead when nothing overrides it, so the promise is kept and the lead
/// looks as every other triggered callback's (README, "Differences from
/// VICIdial"). Blank means empty as MySQL compares it (trailing spaces
/// ignored), as [`crate::rules::pending::UNDIALED_SQL`] says it in SQL.
pub(crate) fn lead_status(row: &CallbackRow) -> &str {
    crate::rules::pending::callback_lead_status(&row.lead_status)
}

/// Why [`decide`] skips a bad row, as a short stable name (for counts and
/// metrics), in the order `decide` checks: the lead row is gone, the
/// `recipient` is unusable, the campaign row does not exist. `None` when
/// the row is not one of those.
pub(crate) fn bad_row_kind(row: &CallbackRow, settings: &Settings) -> Option<&'static str> {
    if row.lead.is_none() {
        Some("lead_gone")
    } else if row.recipient.is_none() {
        Some("bad_recipient")
    } else if settings.campaign(&row.campaign_id).is_none() {
        Some("unknown_campaign")
    } else {
        None
    }
}

/// Every [`bad_row_kind`], for metrics that list each.
pub(crate) const BAD_ROW_KINDS: [&str; 3] = ["lead_gone", "bad_recipient", "unknown_campaign"];

/// Whether the lead was dialed after the callback was made dialable. The
/// markers the scan already checked (`called_since_last_reset='N'`, the
/// status) are what a dial changes at once; this is the check behind them,
/// for when something reset them (a list reset during the call).
///
/// `last_local_call_time` is the **lead's** local time: the dialer writes
/// `localtime(now - ($LOCAL_GMT_OFF - $gmt_offset_now) * 3600)`
/// (`AST_VDauto_dial.pl` line 1880, `vdc_db_query.php` line 4524, VICIdial 2.14;
/// `docs/vicidial.md`, section "Dialer"), so the
/// dial happened at `last_local_call_time - gmt_offset_now` UTC. The
/// callback became dialable when its row last changed (`modify_date`, read
/// as an exact instant): the claim `LIVE`, a move or a conversion to ANYONE.
/// A dial before that, even after `callback_time`, does not count: the
/// activation made the lead dialable again, as VICIdial's does.
pub fn dialed_since(row: &CallbackRow, lead: &Lead, clock: &PassClock) -> bool {
    let (Some(llct), Some(offset)) = (
        lead.last_local_call_time,
        lead.gmt_offset_now.as_deref().and_then(GmtOffset::parse),
    ) else {
        return false;
    };
    let dialed_utc = llct - Duration::seconds(i64::from(offset.0) * 36);
    let dialable_utc = row.modified_utc.or_else(|| {
        // No modify_date (a schema without its ON UPDATE): the later of the
        // callback's time and its entry, both server time.
        let local = row.callback_time.max(row.entry_time)?;
        Some(clock.to_utc(local))
    });
    dialable_utc.is_some_and(|t| dialed_utc > t)
}

/// How long before its time the daemon claims a callback. VICIdial's hopper
/// job selects the due `ACTIVE` callbacks once a minute, a moment after the
/// minute starts (`AST_VDhopper.pl` line 593, VICIdial 2.14, `callback_time
/// <= '$now_date'` on its host's clock), and inserts each one later without
/// looking at the hopper: a callback the daemon claims before its time is
/// never in that select, so the two never queue it both. It still goes in at
/// its time ([`Gate::NotYet`]); LIVE shows that much early.
pub const PRECLAIM: Duration = Duration::seconds(2);

/// How long a callback another process made LIVE is left to it.
/// VICIdial's hopper job sets every due callback LIVE at once, then works
/// through them one by one (`AST_VDhopper.pl` lines 625 and 632-781, VICIdial
/// 2.14): over tens of thousands that takes tens of seconds.
pub const OTHER_WRITER_GRACE: Duration = Duration::minutes(2);

/// Until when (server time) a stranded callback (LIVE ANYONE, its lead still
/// `CBHOLD`) is left to the process that made it LIVE: one this daemon did
/// not claim (`claimed_here`, from its own table `callbackd_claimed`, so a
/// restart forgets none), made LIVE less than [`OTHER_WRITER_GRACE`] ago,
/// while another process is writing callback rows (the engine asks only then).
/// Completing it at once would race that process's own insert; if it died
/// half-way, the pending rule completes it after the grace.
pub fn activated_elsewhere(
    row: &CallbackRow,
    lead: &Lead,
    claimed_here: bool,
    clock: &PassClock,
) -> Option<NaiveDateTime> {
    let made_live = row.modified_utc?;
    let stranded = crate::rules::collation::eq(&lead.status, "CBHOLD");
    let until = made_live + OTHER_WRITER_GRACE;
    (stranded && !claimed_here && until > clock.utc).then(|| clock.to_local(until))
}

/// Whether a LIVE ANYONE callback's lead still needs the activation's write
/// (its callback status and `called_since_last_reset='N'`): neither in
/// `CBHOLD` nor undialed. The pending scan finds such leads only when
/// nothing wrote them since the callback was made LIVE ([`crate::rules::pending::OWED_SQL`]).
pub fn owed(row: &CallbackRow, lead: &Lead) -> bool {
    let cbhold = crate::rules::collation::eq(&lead.status, "CBHOLD");
    let undialed = crate::rules::pending::undialed(&row.lead_status, &lead.status, &lead.called_since_last_reset);
    !(cbhold || undialed)
}

/// An owed lead dialed after the callback's time: that dial was the
/// callback's (VICIdial's activation, or a manager's edit of the callback
/// since, moved `modify_date` past it), so the lead is not made dialable
/// again. A dial before the callback's time (the call that scheduled it)
/// does not count.
fn owed_but_dialed(row: &CallbackRow, lead: &Lead, clock: &PassClock) -> bool {
    let (Some(llct), Some(offset), Some(time)) = (
        lead.last_local_call_time,
        lead.gmt_offset_now.as_deref().and_then(GmtOffset::parse),
        row.callback_time,
    ) else {
        return false;
    };
    owed(row, lead) && llct - Duration::seconds(i64::from(offset.0) * 36) > clock.to_utc(time)
}

fn list_is_inactive(cx: &Context, list_id: u64) -> bool {
    // A list row that does not exist is not "inactive" to VICIdial either.
    cx.settings
        .lists
        .get(&list_id)
        .is_some_and(|l| l.is_inactive(cx.clock.today()))
}

/// The 24-hour rule's answer for one callback.
enum Limit {
    Open,
    Reached(Option<NaiveDateTime>),
    Unchecked(&'static str),
}

/// VICIdial's 24-hour rule: blocked when the count is above 0 and at least
/// the limit (`AST_VDhopper.pl` line 3920, VICIdial 2.14; `docs/vicidial.md`, section
/// "24-hour limit"), the limit possibly set by the
/// campaign's per-state override container.
fn call_limit(row: &CallbackRow, campaign: &Campaign, needs: Needs, cx: &Context) -> Limit {
    if needs.calls.is_none() {
        return Limit::Open;
    }
    let Some(count) = cx.facts.calls.get(&row.callback_id) else {
        return Limit::Unchecked("24-hour call count");
    };
    let (calls, oldest) = match campaign.limit_scope {
        LimitScope::SystemWide => (count.all, count.oldest_all),
        LimitScope::CampaignLists => (count.campaign_lists, count.oldest_campaign_lists),
    };
    let mut limit = u64::from(campaign.limit);
    if needs.place {
        let (Some(place), Some(rules)) = (
            cx.facts.places.get(&row.callback_id),
            cx.settings.limit_override(campaign),
        ) else {
            return Limit::Unchecked("phone's state");
        };
        limit = effective_limit(limit, rules, place);
    }
    if calls > 0 && calls >= limit {
        Limit::Reached(oldest.map(|t| t + Duration::days(1)))
    } else {
        Limit::Open
    }
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
        && let Some(list_id) = row.list_id.filter(|id| list_is_inactive(cx, *id))
    {
        return Some((Gate::InactiveList(list_id), None));
    }
    if let Some(open) = hours_block::ends(row.entry_time, campaign.callback_hours_block)
        && open > cx.clock.now
    {
        return Some((Gate::HoursBlock, Some(open)));
    }
    let offset_text = lead.gmt_offset_now.clone().unwrap_or_default();
    let Some(offset) = GmtOffset::parse(&offset_text).filter(|o| o.on_grid()) else {
        return Some((Gate::BadOffset(offset_text), None));
    };
    let zone = LeadZone {
        gmt_offset: offset,
        state: lead.state.clone(),
    };
    let key = (campaign.local_call_time.clone(), list_call_time(row, cx), zone);
    let opening = cache
        .entry(key)
        .or_insert_with_key(|(ct, list_ct, zone)| {
            cx.settings
                .call_times
                .next_opening(
                    ct,
                    list_ct.as_deref(),
                    zone,
                    cx.clock.utc,
                    &cx.clock.zone,
                    cx.horizon_days,
                )
                .map_err(|e| e.0)
        })
        .clone();
    match opening {
        Err(id) => Some((Gate::UnknownCallTime(id), None)),
        // Every window open: it goes in at its time (claimed ahead, PRECLAIM).
        Ok(Some(at)) if at <= cx.clock.utc => row
            .callback_time
            .filter(|t| *t > cx.clock.now)
            .map(|t| (Gate::NotYet, Some(t))),
        Ok(at) => Some((Gate::CallTime, at.map(|t| cx.clock.to_local(t)))),
    }
}

/// How long a decision to insert stays good: a hopper insert runs at most
/// this long after it was decided, or not at all.
pub const INSERT_DEADLINE: Duration = Duration::minutes(10);

/// Until when (UTC) a callback decided to go into the hopper may still go
/// in: the first minute its lead's call window is closed (every window
/// [`gate`] checks), or [`INSERT_DEADLINE`] from now. The insert compares
/// it with the database's clock in the statement itself. `clock.utc` (no
/// time at all) when it cannot be told: the insert then waits for the next
/// pass to decide again.
pub fn insert_deadline(row: &CallbackRow, cx: &Context) -> NaiveDateTime {
    let now = cx.clock.utc;
    let (Some(lead), Some(campaign)) = (&row.lead, cx.settings.campaign(&row.campaign_id)) else {
        return now;
    };
    let Some(offset) = lead.gmt_offset_now.as_deref().and_then(GmtOffset::parse) else {
        return now;
    };
    let zone = LeadZone {
        gmt_offset: offset,
        state: lead.state.clone(),
    };
    cx.settings
        .call_times
        .closes_within(
            &campaign.local_call_time,
            list_call_time(row, cx).as_deref(),
            &zone,
            now,
            &cx.clock.zone,
            INSERT_DEADLINE,
        )
        .unwrap_or(now)
}

/// The list call time VICIdial's hopper job enforces on the callback's hopper
/// row, if any: it deletes rows by `list_id` outside the call time of each
/// active, unexpired list of each active campaign it processes
/// (`AST_VDhopper.pl` lines 2239, 2702-2705 and 2744, VICIdial 2.14), whatever campaign the
/// row is filed under.
fn list_call_time(row: &CallbackRow, cx: &Context) -> Option<String> {
    let list = cx.settings.lists.get(&row.list_id?)?;
    let owner_active = cx.settings.campaign(&list.campaign_id).is_some_and(|c| c.active);
    (owner_active && list.call_time_enforced(cx.clock.today())).then(|| list.local_call_time.clone())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rules::call_limit::LimitOverride;
    use crate::rules::calltime::{CallTime, CallTimes, Week, Window};
    use crate::rules::server_zone::ServerZone;
    use crate::rules::collation::Key;
    use crate::rules::dnc::{DncMode, DncPolicy};
    use crate::rules::model::{CallCount, Expiry, List, ListActive, SystemSettings};
use crate::rules::dnc::{DncFacts};
use crate::rules::call_limit::{PlaceFacts};
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 4)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    /// A server on UTC-5 at `h:m` local.
    fn clock_at(h: u32, m: u32) -> PassClock {
        PassClock::at_utc(at(h, m) + Duration::hours(5), Arc::new(ServerZone::fixed(-5 * 3600)))
    }

    fn clock() -> PassClock {
        clock_at(10, 0)
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

    fn list(id: u64, active: ListActive, local_call_time: &str) -> List {
        List {
            list_id: id,
            campaign_id: "sales".into(),
            active,
            expiry: Expiry::On(NaiveDate::from_ymd_opt(2099, 12, 31).unwrap()),
            local_call_time: local_call_time.into(),
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
                id: "9am-5pm".into(),
                week: week(900, 1700),
                state_rules: vec![],
                holidays: vec![],
            },
        ];
        Settings {
            system,
            campaigns: [(Key::new(&c.campaign_id), c)].into(),
            lists: [
                (101, list(101, ListActive::Yes, "campaign")),
                (102, list(102, ListActive::No, "campaign")),
                (103, list(103, ListActive::Yes, "9AM-5PM ")),
            ]
            .into(),
            call_times: CallTimes::new(times, vec![], vec![]),
            ..Settings::default()
        }
    }

    fn row(recipient: Recipient) -> CallbackRow {
        CallbackRow {
            callback_id: 7,
            lead_id: Some(70),
            list_id: Some(101),
            campaign_id: "sales ".into(),
            status: "ACTIVE".into(),
            recipient: Some(recipient),
            user: "1001".into(),
            lead_status: "CALLBK".into(),
            entry_time: Some(at(8, 0)),
            callback_time: Some(at(9, 59)),
            modified_utc: Some(at(9, 59) + Duration::hours(5)),
            lead: Some(Lead {
                lead_id: 70,
                list_id: Some(101),
                status: "CBHOLD".into(),
                gmt_offset_now: Some("-5.00".into()),
                state: "NY".into(),
                called_since_last_reset: "Y".into(),
                last_local_call_time: None,
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

    fn hold(gate: Gate, until: Option<NaiveDateTime>) -> Outcome {
        Outcome::Anyone(Feed::Hold { gate, until })
    }

    #[test]
    fn useronly_only_goes_live() {
        assert_eq!(default_run(&row(Recipient::UserOnly)), Outcome::Live);
    }

    /// `AST_VDhopper.pl` line 645 (VICIdial 2.14) looks the campaign up in SQL
    /// (`campaign_id='$x'`): a callback's `sales ` finds campaign `SALES`.
    #[test]
    fn anyone_in_call_time_is_inserted_ready_whatever_the_campaign_ids_case() {
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
        let f = Facts::default();
        assert_eq!(
            run(&r, Phase::Due, &settings(c.clone(), system.clone()), &f, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        c.hopper_hold_inserts = true;
        assert_eq!(
            run(&r, Phase::Due, &settings(c.clone(), system), &f, &clock()),
            Outcome::Anyone(Feed::Insert("RHOLD"))
        );
        assert_eq!(
            run(&r, Phase::Due, &settings(c, SystemSettings::default()), &f, &clock()),
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
    }

    /// An empty or NULL `lead_status` (read as empty) keeps the promise:
    /// the callback goes in, and its lead gets `CALLBK`.
    #[test]
    fn an_empty_lead_status_is_dialed_with_callbk() {
        for empty in ["", "  "] {
            let mut r = row(Recipient::Anyone);
            r.lead_status = empty.into();
            assert_eq!(default_run(&r), Outcome::Anyone(Feed::Insert("READY")));
            assert_eq!(lead_status(&r), "CALLBK");
        }
        let mut r = row(Recipient::Anyone);
        r.lead_status = "CBXYZ".into();
        assert_eq!(lead_status(&r), "CBXYZ");
        r.lead_status = " X".into();
        assert_eq!(lead_status(&r), " X");
    }

    /// Each bad row is skipped, and named by [`bad_row_kind`].
    #[test]
    fn bad_rows_are_named_by_kind() {
        let settings = settings(campaign(), SystemSettings::default());
        let mut gone = row(Recipient::Anyone);
        gone.lead = None;
        let mut recipient = row(Recipient::Anyone);
        recipient.recipient = None;
        let mut campaign = row(Recipient::UserOnly);
        campaign.campaign_id = "GONE".into();
        for (r, kind) in [
            (gone, "lead_gone"),
            (recipient, "bad_recipient"),
            (campaign, "unknown_campaign"),
        ] {
            assert!(matches!(default_run(&r), Outcome::Skip(_)), "{kind}");
            assert_eq!(bad_row_kind(&r, &settings), Some(kind));
            assert!(BAD_ROW_KINDS.contains(&kind));
        }
        assert_eq!(bad_row_kind(&row(Recipient::Anyone), &settings), None);
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
            hold(Gate::InactiveList(102), None)
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

    /// `AST_VDhopper.pl` line 523, VICIdial 2.14: inactive means `active='N'` or
    /// (`active='Y'` and expired); a NULL `active` is neither.
    #[test]
    fn a_list_with_null_active_is_not_inactive() {
        let mut s = settings(campaign(), SystemSettings::default());
        s.lists.get_mut(&102).unwrap().active = ListActive::Neither;
        let mut r = row(Recipient::Anyone);
        r.list_id = Some(102);
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        s.lists.get_mut(&102).unwrap().active = ListActive::Yes;
        s.lists.get_mut(&102).unwrap().expiry = Expiry::Zero;
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock()),
            hold(Gate::InactiveList(102), None)
        );
    }

    /// The list's own call time (`9AM-5PM `, found as MySQL finds ids) holds
    /// at 18:00 lead time, but only while VICIdial enforces it: for an active,
    /// unexpired list of an active campaign (`AST_VDhopper.pl` lines 2239, 2702, VICIdial 2.14).
    #[test]
    fn a_list_call_time_applies_only_where_vicidial_enforces_it() {
        let c = clock_at(18, 0);
        let mut r = row(Recipient::Anyone);
        r.list_id = Some(103);
        let mut s = settings(campaign(), SystemSettings::default());
        assert!(matches!(
            run(&r, Phase::Due, &s, &Facts::default(), &c),
            Outcome::Anyone(Feed::Hold {
                gate: Gate::CallTime,
                ..
            })
        ));
        s.lists.get_mut(&103).unwrap().expiry = Expiry::Null;
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &c),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        let mut s = settings(campaign(), SystemSettings::default());
        s.lists.get_mut(&103).unwrap().campaign_id = "OTHER".into();
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &c),
            Outcome::Anyone(Feed::Insert("READY")),
            "its campaign does not exist, so no active campaign enforces it"
        );
    }

    #[test]
    fn no_hopper_dialing_holds() {
        let mut c = campaign();
        c.no_hopper_dialing = true;
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &Facts::default(), &clock()),
            hold(Gate::NoHopperDialing, None)
        );
    }

    #[test]
    fn hours_block_holds_until_entry_plus_hours() {
        let mut c = campaign();
        c.callback_hours_block = 4;
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&row(Recipient::Anyone), Phase::Due, &s, &Facts::default(), &clock()),
            hold(Gate::HoursBlock, Some(at(12, 0)))
        );
    }

    #[test]
    fn a_callback_claimed_ahead_of_its_time_goes_in_at_its_time() {
        // Due at 09:59, decided at 09:58 (PRECLAIM): every window open.
        let s = settings(campaign(), SystemSettings::default());
        assert_eq!(
            run(
                &row(Recipient::Anyone),
                Phase::Due,
                &s,
                &Facts::default(),
                &clock_at(9, 58)
            ),
            hold(Gate::NotYet, Some(at(9, 59)))
        );
        assert_eq!(
            run(
                &row(Recipient::Anyone),
                Phase::Due,
                &s,
                &Facts::default(),
                &clock_at(9, 59)
            ),
            Outcome::Anyone(Feed::Insert("READY"))
        );
    }

    #[test]
    fn call_time_holds_until_lead_local_opening() {
        // 03:00 for a lead at -8.00 (server at -5.00, 06:00 local): opens at 09:00 lead time = 12:00 server.
        let mut r = row(Recipient::Anyone);
        r.lead.as_mut().unwrap().gmt_offset_now = Some("-8.00".into());
        let s = settings(campaign(), SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock_at(6, 0)),
            hold(Gate::CallTime, Some(at(12, 0)))
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
            hold(Gate::UnknownCallTime("nope".into()), None)
        );
    }

    fn dnc_hit() -> Facts {
        let mut facts = Facts::default();
        facts.dnc.insert(
            7,
            DncFacts {
                internal_number: Some(true),
                ..DncFacts::default()
            },
        );
        facts
    }

    #[test]
    fn dnc_kills_only_when_enabled() {
        let facts = dnc_hit();
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
        let mut pending = r.clone();
        pending.lead.as_mut().unwrap().called_since_last_reset = "N".into();
        assert_eq!(
            run(&pending, Phase::Pending, &s, &facts, &clock()),
            Outcome::Kill(DncList::Internal)
        );
        assert_eq!(
            run(&row(Recipient::UserOnly), Phase::Due, &s, &facts, &clock()),
            Outcome::Live
        );
    }

    /// The DNC entries a scan reads with its rows (or with their leads) are
    /// the ones `needs` would look up: per entry, the campaigns whose policy
    /// reads it.
    #[test]
    fn dnc_entries_read_ahead_follow_the_campaigns_policies() {
        let mut c = campaign();
        c.callback_dnc = true;
        c.dnc = DncPolicy {
            internal: DncMode::Exact,
            campaign: DncMode::AreaCode,
        };
        let s = settings(c.clone(), SystemSettings::default());
        assert_eq!(needs(&row(Recipient::Anyone), &s).dnc, Some(c.dnc));
        // A due scan's row, its lead still to read: the entries to read with it.
        let unread = CallbackRow {
            lead: None,
            ..row(Recipient::Anyone)
        };
        assert_eq!(dnc_needed(&unread, &s), Some(c.dnc));
        assert_eq!(dnc_needed(&row(Recipient::UserOnly), &s), None);
        let sales = vec!["SALES".to_string()];
        assert_eq!(
            crate::engine::wanted::dnc_ahead(&s).campaigns,
            [sales.clone(), vec![], sales.clone(), sales]
        );
        c.callback_dnc = false;
        let s = settings(c, SystemSettings::default());
        assert_eq!(needs(&row(Recipient::Anyone), &s).dnc, None);
        assert_eq!(
            crate::engine::wanted::dnc_ahead(&s).campaigns,
            <[Vec<String>; 4]>::default()
        );
    }

    /// A gate fails closed: a DNC or call-count fact the rules need but the
    /// batch did not look up holds the callback.
    #[test]
    fn a_fact_not_looked_up_holds_never_lets_through() {
        let mut c = campaign();
        c.callback_dnc = true;
        let s = settings(c.clone(), SystemSettings::default());
        let r = row(Recipient::Anyone);
        assert!(needs(&r, &s).dnc.is_some());
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock()),
            hold(Gate::Unchecked("DNC lists"), None)
        );
        c.callback_dnc = false;
        c.limit_method = LimitMethod::Lead;
        let system = SystemSettings {
            call_limit_24hour: true,
            ..Default::default()
        };
        let s = settings(c.clone(), system.clone());
        assert_eq!(needs(&r, &s).calls, Some(LimitMethod::Lead));
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock()),
            hold(Gate::Unchecked("24-hour call count"), None)
        );
        c.limit_override = Some("TFH".into());
        let mut s = settings(c, system);
        s.limit_overrides
            .insert(Key::new("tfh"), LimitOverride::parse("state=>USA,IL,1\n"));
        let mut facts = Facts::default();
        facts.calls.insert(7, CallCount::default());
        assert!(needs(&r, &s).place);
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            hold(Gate::Unchecked("phone's state"), None)
        );
        assert_eq!(needs(&row(Recipient::UserOnly), &s), Needs::default());
    }

    fn counted(all: u64, campaign_lists: u64) -> Facts {
        let mut facts = Facts::default();
        facts.calls.insert(
            7,
            CallCount {
                all,
                campaign_lists,
                oldest_all: Some(at(9, 0)),
                oldest_campaign_lists: Some(at(9, 30)),
            },
        );
        facts
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
        let facts = counted(2, 1);
        let r = row(Recipient::Anyone);
        let s = settings(c.clone(), system.clone());
        let tomorrow_9 = at(9, 0) + Duration::days(1);
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Limited {
                until: Some(tomorrow_9)
            }
        );
        assert_eq!(
            run(&r, Phase::Pending, &s, &facts, &clock()),
            hold(Gate::CallLimit, Some(tomorrow_9))
        );
        c.limit_scope = LimitScope::CampaignLists;
        let s = settings(c.clone(), system.clone());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        // Count above zero and at least the limit: a limit of 0 blocks after one call.
        c.limit = 0;
        let s = settings(c.clone(), system.clone());
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Limited {
                until: Some(at(9, 30) + Duration::days(1))
            }
        );
        assert_eq!(
            run(&r, Phase::Due, &s, &counted(0, 0), &clock()),
            Outcome::Anyone(Feed::Insert("READY"))
        );
        // System switch off: no limit, nothing needed.
        let s = settings(c, SystemSettings::default());
        assert_eq!(
            run(&r, Phase::Due, &s, &Facts::default(), &clock()),
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
        c.limit_override = Some("tfh_states".into());
        let mut s = settings(c, system);
        s.limit_overrides
            .insert(Key::new("TFH_STATES"), LimitOverride::parse("state=>USA,IL,1\n"));
        let mut facts = counted(1, 1);
        facts.places.insert(7, PlaceFacts::default());
        let r = row(Recipient::Anyone);
        assert_eq!(
            run(&r, Phase::Due, &s, &facts, &clock()),
            Outcome::Anyone(Feed::Insert("READY")),
            "area code unknown"
        );
        facts.places.insert(
            7,
            PlaceFacts {
                areacode_state: "IL".into(),
                country: "USA".into(),
                ..PlaceFacts::default()
            },
        );
        assert!(
            matches!(run(&r, Phase::Due, &s, &facts, &clock()), Outcome::Limited { .. }),
            "Illinois allows one call; the container is found whatever the case of its id"
        );
    }

    /// A lead at +3.00 dialed at 10:00 server
    /// time (UTC) has `last_local_call_time` 13:00 (`AST_VDauto_dial.pl` line
    /// 1880, VICIdial 2.14); its callback made LIVE at 10:30 is undialed since.
    #[test]
    fn last_local_call_time_is_read_in_the_leads_own_clock() {
        let utc = |h, m| at(h, m);
        let clock = PassClock::at_utc(utc(11, 0), Arc::new(ServerZone::fixed(0)));
        let mut r = row(Recipient::Anyone);
        r.modified_utc = Some(utc(10, 30));
        let lead = r.lead.as_mut().unwrap();
        lead.gmt_offset_now = Some("3.00".into());
        lead.last_local_call_time = Some(utc(13, 0));
        let lead = r.lead.clone().unwrap();
        assert!(!dialed_since(&r, &lead, &clock));
        // Dialed at 10:45 server time: 13:45 lead time, after the activation.
        let mut later = lead.clone();
        later.last_local_call_time = Some(utc(13, 45));
        assert!(dialed_since(&r, &later, &clock));
        // A lead west of the server: -7.00, dialed 10:45 UTC is 03:45 local.
        later.gmt_offset_now = Some("-7.00".into());
        later.last_local_call_time = Some(utc(3, 45));
        assert!(dialed_since(&r, &later, &clock));
        later.last_local_call_time = Some(utc(3, 15));
        assert!(!dialed_since(&r, &later, &clock));
    }

    /// A dial after `callback_time` but before the callback was made
    /// dialable (a USERONLY callback dialed by hand, later moved to ANYONE)
    /// does not count: VICIdial makes the lead dialable again and dials it.
    #[test]
    fn a_dial_before_the_activation_does_not_count_even_after_the_callback_time() {
        let clock = PassClock::at_utc(at(12, 0), Arc::new(ServerZone::fixed(0)));
        let mut r = row(Recipient::Anyone);
        r.callback_time = Some(at(9, 0));
        r.modified_utc = Some(at(11, 0));
        let lead = r.lead.as_mut().unwrap();
        lead.gmt_offset_now = Some("0.00".into());
        lead.last_local_call_time = Some(at(10, 0));
        let lead = r.lead.clone().unwrap();
        assert!(!dialed_since(&r, &lead, &clock));
        // Without a modify_date, the later of callback and entry time is all there is.
        r.modified_utc = None;
        assert!(dialed_since(&r, &lead, &clock));
    }

    mod undialed_model {
        use super::*;
        use proptest::prelude::*;

        /// New York in 2026, as VICIdial's host sees it.
        fn new_york() -> ServerZone {
            let utc = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
            ServerZone::new(
                -5 * 3600,
                vec![
                    (utc("2026-03-08 07:00:00"), -4 * 3600),
                    (utc("2026-11-01 06:00:00"), -5 * 3600),
                ],
            )
        }

        /// What VICIdial's dialer writes for a dial at `dial` (UTC) of a lead at
        /// `gmt` hundredths of an hour: `$LOCAL_GMT_OFF` is the server's offset
        /// then (its `local_gmt` plus DST), and the value is `localtime($secX -
        /// ($LOCAL_GMT_OFF - $gmt_offset_now) * 3600)` (`AST_VDauto_dial.pl`
        /// lines 1880-1882, VICIdial 2.14): the host's wall clock at a shifted instant.
        fn vicidial_llct(zone: &ServerZone, dial: NaiveDateTime, gmt: i32) -> (NaiveDateTime, bool) {
            let local_gmt_off = i64::from(zone.offset_at(dial).local_minus_utc());
            let shifted = dial - Duration::seconds(local_gmt_off - i64::from(gmt) * 36);
            let same_offset = i64::from(zone.offset_at(shifted).local_minus_utc()) == local_gmt_off;
            (zone.to_local(shifted), same_offset)
        }

        fn any_instant() -> impl Strategy<Value = NaiveDateTime> {
            // Seconds across both 2026 changes, dense around them.
            let base = NaiveDate::from_ymd_opt(2026, 3, 6)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            let autumn = NaiveDate::from_ymd_opt(2026, 10, 30)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            (prop::bool::ANY, 0i64..5 * 86_400)
                .prop_map(move |(spring, s)| if spring { base } else { autumn } + Duration::seconds(s))
        }

        proptest! {
            /// The rule against a model that converts every clock explicitly:
            /// the lead was dialed since the activation exactly when the dial
            /// instant is after it. VICIdial's own value is an hour off when a
            /// daylight-saving change falls between the dial and its shifted
            /// instant; then the rule is exact for dials more than an hour away.
            #[test]
            fn the_undialed_rule_matches_a_model_of_every_clock(
                dial in any_instant(),
                gap in -3i64 * 3600..3 * 3600,
                quarter_hours in -51i32..=52,
            ) {
                let zone = Arc::new(new_york());
                let gmt = quarter_hours * 25;
                let activation = dial + Duration::seconds(gap);
                let (llct, exact) = vicidial_llct(&zone, dial, gmt);
                let mut row = row(Recipient::Anyone);
                row.modified_utc = Some(activation);
                let lead = row.lead.as_mut().unwrap();
                lead.gmt_offset_now = Some(format!("{:.2}", f64::from(gmt) / 100.0));
                lead.last_local_call_time = Some(llct);
                let lead = row.lead.clone().unwrap();
                let clock = PassClock::at_utc(activation + Duration::hours(1), zone);
                let model = dial > activation;
                if exact || gap.abs() > 3600 {
                    prop_assert_eq!(dialed_since(&row, &lead, &clock), model, "llct {}", llct);
                }
            }
        }
    }
}
