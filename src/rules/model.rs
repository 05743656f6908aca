//! The vocabulary the rules decide in: a callback as one pass sees it, the
//! settings it is judged under, and the facts looked up for it. Plain data,
//! owned by neither the database layer (which fills it) nor the engine (which
//! decides on it), so the decision can be called from anywhere, tested without
//! a database, and explained to a manager with the same code a pass runs.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::rules::call_limit::{LimitOverride, PlaceFacts};
use crate::rules::calltime::CallTimes;
use crate::rules::collation::Key;
use crate::rules::dnc::{DncFacts, DncPolicy};

/// Who a callback is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// Any agent of the campaign, through the hopper.
    Anyone,
    /// Only the owning agent, by hand.
    UserOnly,
}

impl Recipient {
    /// Reads the ENUM value; anything else (an invalid value stored as `''`) is `None`.
    pub fn parse(text: &str) -> Option<Recipient> {
        match text {
            "ANYONE" => Some(Recipient::Anyone),
            "USERONLY" => Some(Recipient::UserOnly),
            _ => None,
        }
    }
}

/// The lead columns the callback rules look at.
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    /// `vicidial_list.lead_id`.
    pub lead_id: u32,
    /// The lead's current list.
    pub list_id: Option<u64>,
    /// `vicidial_list.status`.
    pub status: String,
    /// `gmt_offset_now` as stored (DECIMAL text), `None` for NULL.
    pub gmt_offset_now: Option<String>,
    /// Two-letter state, for state call-time rules (NULL reads as empty).
    pub state: String,
    /// `called_since_last_reset` (`N`, `Y`, `D`, ...).
    pub called_since_last_reset: String,
    /// When the lead was last dialed, in the **lead's** local time (VICIdial
    /// writes it so: `AST_VDauto_dial.pl` `$LLCT_DATE_offset`, line 1880, VICIdial 2.14;
    /// `docs/vicidial.md`, section "Dialer"), `None` when never.
    pub last_local_call_time: Option<NaiveDateTime>,
}

/// A callback joined to its lead, as one pass sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackRow {
    /// `callback_id`.
    pub callback_id: u32,
    /// `vicidial_callbacks.lead_id`.
    pub lead_id: Option<u32>,
    /// `vicidial_callbacks.list_id`: the list the hopper row is filed under.
    pub list_id: Option<u64>,
    /// The callback's campaign, as stored (matched to campaigns by [`Key`]).
    pub campaign_id: String,
    /// `ACTIVE`, `TFHCCL`, `LIVE`, ... as stored.
    pub status: String,
    /// `None` when the column holds something else (an invalid ENUM value).
    pub recipient: Option<Recipient>,
    /// The owning agent.
    pub user: String,
    /// The status the lead gets when the callback triggers (`CALLBK` or custom).
    pub lead_status: String,
    /// When the callback was set (server time).
    pub entry_time: Option<NaiveDateTime>,
    /// When it triggers (server time).
    pub callback_time: Option<NaiveDateTime>,
    /// When the row last changed, in UTC (`UNIX_TIMESTAMP(modify_date)`, an
    /// exact instant even in the repeated autumn hour); `None` when NULL.
    pub modified_utc: Option<NaiveDateTime>,
    /// The lead, `None` when the row is gone.
    pub lead: Option<Lead>,
    /// Whether the lead has any hopper row (any campaign, any status).
    pub in_hopper: bool,
}

impl CallbackRow {
    /// The lead id for logs: the lead's own, else the callback's column, else 0.
    pub fn lead_id_or_zero(&self) -> u32 {
        self.lead
            .as_ref()
            .map(|l| l.lead_id)
            .or(self.lead_id)
            .unwrap_or_default()
    }
}

/// `system_settings.anyone_callback_inactive_lists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InactiveLists {
    /// Activate and insert; VICIdial deletes hopper rows of inactive lists, so we hold them.
    #[default]
    Default,
    /// Do not activate callbacks whose lead's current list is inactive.
    NoAddToHopper,
    /// Insert; VICIdial spares source-`C` rows of inactive lists.
    KeepInHopper,
}

/// The system-wide settings (`system_settings`, one row).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemSettings {
    /// `anyone_callback_inactive_lists`.
    pub inactive_lists: InactiveLists,
    /// `hopper_hold_inserts` is not `'0'`.
    pub hopper_hold_inserts: bool,
    /// `call_limit_24hour = '1'`.
    pub call_limit_24hour: bool,
}

/// `call_limit_24hour_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitMethod {
    /// No limit.
    Disabled,
    /// Calls to the same phone number and phone code.
    PhoneNumber,
    /// Calls to the same lead.
    Lead,
}

/// `call_limit_24hour_scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitScope {
    /// Calls from any list count.
    SystemWide,
    /// Only calls from the campaign's own lists count.
    CampaignLists,
}

/// The callback-related columns of one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// `campaign_id` as the campaign row spells it.
    pub campaign_id: String,
    /// `active = 'Y'`.
    pub active: bool,
    /// `local_call_time` (a call time id, matched by [`Key`]).
    pub local_call_time: String,
    /// `callback_dnc = 'ENABLED'`.
    pub callback_dnc: bool,
    /// DNC lists consulted when `callback_dnc` is on.
    pub dnc: DncPolicy,
    /// `hopper_hold_inserts` is `ENABLED` or `AUTONEXT`.
    pub hopper_hold_inserts: bool,
    /// `callback_hours_block`.
    pub callback_hours_block: u32,
    /// `callback_useronly_move_minutes`.
    pub useronly_move_minutes: u64,
    /// `scheduled_callbacks_email_alert = 'Y'`.
    pub email_alert: bool,
    /// `call_limit_24hour_method`.
    pub limit_method: LimitMethod,
    /// `call_limit_24hour_scope`.
    pub limit_scope: LimitScope,
    /// `call_limit_24hour`.
    pub limit: u32,
    /// `call_limit_24hour_override`: the settings container with per-state
    /// limits, when it is not `DISABLED` (compared as VICIdial's Perl does:
    /// `!~ /^DISABLED$/`, case-sensitive) and not empty.
    pub limit_override: Option<String>,
    /// `no_hopper_dialing = 'Y'`.
    pub no_hopper_dialing: bool,
}

/// `vicidial_lists.active`, an ENUM that can also hold NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListActive {
    /// `Y`.
    Yes,
    /// `N`.
    No,
    /// NULL (or an invalid value): neither, as VICIdial's SQL reads it.
    Neither,
}

/// `vicidial_lists.expiration_date` as MySQL compares it with a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// NULL: every comparison is false.
    Null,
    /// `0000-00-00`: before every real date.
    Zero,
    /// A date.
    On(NaiveDate),
}

/// One row of `vicidial_lists`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List {
    /// `list_id`.
    pub list_id: u64,
    /// The campaign the list belongs to, as stored (matched by [`Key`]).
    pub campaign_id: String,
    /// `active`.
    pub active: ListActive,
    /// `expiration_date`.
    pub expiry: Expiry,
    /// `local_call_time`: `campaign` or a call time id.
    pub local_call_time: String,
}

impl List {
    /// Inactive for `anyone_callback_inactive_lists`, as VICIdial's hopper job
    /// selects them: `(active='N') or ((active='Y') and (expiration_date <
    /// today))` (`AST_VDhopper.pl` line 523, VICIdial 2.14; `docs/vicidial.md`,
    /// section "Lists"). NULL `active` is neither; a zero
    /// expiration date is expired.
    pub fn is_inactive(&self, today: NaiveDate) -> bool {
        match self.active {
            ListActive::No => true,
            ListActive::Yes => match self.expiry {
                Expiry::Null => false,
                Expiry::Zero => true,
                Expiry::On(d) => d < today,
            },
            ListActive::Neither => false,
        }
    }

    /// Whether VICIdial's hopper job enforces this list's own call time: it
    /// builds that clean-up only for the lists of an active campaign with
    /// `expiration_date >= today` (`AST_VDhopper.pl` line 2239, VICIdial 2.14) and
    /// `active eq "Y"` (line 2702); a NULL or zero date never qualifies.
    pub fn call_time_enforced(&self, today: NaiveDate) -> bool {
        self.active == ListActive::Yes && matches!(self.expiry, Expiry::On(d) if d >= today)
    }
}

/// Everything the rules read, for one pass.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The system row.
    pub system: SystemSettings,
    /// Campaigns by folded id.
    pub campaigns: HashMap<Key, Campaign>,
    /// Lists by id.
    pub lists: HashMap<u64, List>,
    /// Call times, state rules and holidays.
    pub call_times: CallTimes,
    /// Parsed per-state 24-hour limit containers, by folded container id.
    pub limit_overrides: HashMap<Key, LimitOverride>,
    /// A hash of every value read: equal fingerprints mean equal settings.
    pub fingerprint: u64,
}

impl Settings {
    /// The campaign a callback names, matched as MySQL matches ids.
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.get(&Key::new(id))
    }

    /// The override container a campaign names, if it exists.
    pub fn limit_override(&self, campaign: &Campaign) -> Option<&LimitOverride> {
        let id = campaign.limit_override.as_deref()?;
        self.limit_overrides.get(&Key::new(id))
    }
}

/// Calls of the last 24 hours counted for one callback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCount {
    /// Calls from any list.
    pub all: u64,
    /// Calls from the campaign's own lists (VICIdial's `CAMPAIGN_LISTS` scope).
    pub campaign_lists: u64,
    /// The oldest call counted in `all` (server time): nothing changes before it ages out.
    pub oldest_all: Option<NaiveDateTime>,
    /// The oldest call counted in `campaign_lists`.
    pub oldest_campaign_lists: Option<NaiveDateTime>,
}

/// The facts one batch looked up, by `callback_id`. A callback whose rules
/// need a fact that is missing here is held, never let through.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// DNC matches.
    pub dnc: HashMap<u32, DncFacts>,
    /// 24-hour call counts.
    pub calls: HashMap<u32, CallCount>,
    /// Places, for the per-state limit override.
    pub places: HashMap<u32, PlaceFacts>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(active: ListActive, expiry: Expiry) -> List {
        List {
            list_id: 1,
            campaign_id: "C".into(),
            active,
            expiry,
            local_call_time: "campaign".into(),
        }
    }

    #[test]
    fn inactive_lists_as_vicidials_query_selects_them() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        let yesterday = Expiry::On(NaiveDate::from_ymd_opt(2026, 5, 9).unwrap());
        assert!(!list(ListActive::Yes, Expiry::Null).is_inactive(today));
        assert!(!list(ListActive::Yes, Expiry::On(today)).is_inactive(today));
        assert!(list(ListActive::Yes, yesterday).is_inactive(today));
        assert!(
            list(ListActive::Yes, Expiry::Zero).is_inactive(today),
            "0000-00-00 < today"
        );
        assert!(list(ListActive::No, Expiry::Null).is_inactive(today));
        assert!(
            !list(ListActive::Neither, Expiry::Null).is_inactive(today),
            "NULL active is not 'N'"
        );
        assert!(!list(ListActive::Neither, yesterday).is_inactive(today), "nor 'Y'");
    }

    #[test]
    fn list_call_times_only_for_active_unexpired_lists() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        assert!(list(ListActive::Yes, Expiry::On(today)).call_time_enforced(today));
        assert!(!list(ListActive::Yes, Expiry::Null).call_time_enforced(today));
        assert!(!list(ListActive::Yes, Expiry::Zero).call_time_enforced(today));
        assert!(!list(ListActive::No, Expiry::On(today)).call_time_enforced(today));
        assert!(!list(ListActive::Neither, Expiry::On(today)).call_time_enforced(today));
    }

    /// A lead's row repeated by a join is one reading: an entry found in
    /// either is found, one looked up in either is looked up.
    #[test]
    fn dnc_readings_merge_with_a_hit_winning() {
        let reading = |number, areacode| DncFacts {
            internal_number: number,
            campaign_areacode: areacode,
            campaign_list: "C".into(),
            ..DncFacts::default()
        };
        let merged =
            DncFacts::merged(Some(reading(Some(false), None)), Some(reading(Some(true), Some(false)))).unwrap();
        assert_eq!(merged, reading(Some(true), Some(false)));
        let one = reading(Some(false), Some(true));
        assert_eq!(DncFacts::merged(None, Some(one.clone())), Some(one.clone()));
        assert_eq!(DncFacts::merged(Some(one.clone()), None), Some(one));
        assert_eq!(DncFacts::merged(None, None), None);
    }
}
