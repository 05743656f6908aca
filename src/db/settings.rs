//! The settings the callback rules read: `system_settings`, campaigns, lists
//! and call times, loaded once per pass that has work, as typed values.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::NaiveDate;

use mysql_async::Row;

use super::{DbResult, RowReader, Session};
use crate::call_limit::LimitOverride;
use crate::calltime::{CallTime, CallTimes, Holiday, StateRule, Week, Window, parse_id_list};
use crate::dnc::{DncMode, DncPolicy};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// `campaign_id`.
    pub campaign_id: String,
    /// `active = 'Y'`.
    pub active: bool,
    /// `local_call_time` (a call time id).
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
    /// `call_limit_24hour_override`: the settings container with per-state limits, if any.
    pub limit_override: Option<String>,
    /// `no_hopper_dialing = 'Y'`.
    pub no_hopper_dialing: bool,
}

/// One row of `vicidial_lists`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List {
    /// `list_id`.
    pub list_id: u64,
    /// The campaign the list belongs to.
    pub campaign_id: String,
    /// `active = 'Y'`.
    pub active: bool,
    /// `expiration_date`, `None` when NULL or zero.
    pub expiration_date: Option<NaiveDate>,
    /// `local_call_time`: `campaign` or a call time id.
    pub local_call_time: String,
}

impl List {
    /// VICIdial's rule: inactive when `active='N'` or the expiration date is past.
    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.active && self.expiration_date.is_none_or(|d| d >= today)
    }
}

/// Everything the rules read, for one pass.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The system row.
    pub system: SystemSettings,
    /// Campaigns by id.
    pub campaigns: HashMap<String, Campaign>,
    /// Lists by id.
    pub lists: HashMap<u64, List>,
    /// Call times, state rules and holidays.
    pub call_times: CallTimes,
    /// Each campaign's list ids (for the `CAMPAIGN_LISTS` scope).
    pub campaign_lists: HashMap<String, HashSet<u64>>,
    /// Parsed per-state 24-hour limit containers, by container id.
    pub limit_overrides: HashMap<String, LimitOverride>,
    /// A hash of every value read: equal fingerprints mean equal settings.
    pub fingerprint: u64,
}

impl Settings {
    /// Builds the settings and their derived indexes.
    pub fn new(
        system: SystemSettings,
        campaigns: HashMap<String, Campaign>,
        lists: HashMap<u64, List>,
        call_times: CallTimes,
    ) -> Settings {
        let mut campaign_lists: HashMap<String, HashSet<u64>> = HashMap::new();
        for list in lists.values() {
            campaign_lists
                .entry(list.campaign_id.clone())
                .or_default()
                .insert(list.list_id);
        }
        Settings {
            system,
            campaigns,
            lists,
            call_times,
            campaign_lists,
            limit_overrides: HashMap::new(),
            fingerprint: 0,
        }
    }
}

/// Loads every setting the rules read.
pub async fn load(s: &mut Session) -> DbResult<Settings> {
    let mut h = DefaultHasher::new();
    let mut settings = Settings::new(
        system(s, &mut h).await?,
        campaigns(s, &mut h).await?,
        lists(s, &mut h).await?,
        call_times(s, &mut h).await?,
    );
    settings.limit_overrides = limit_overrides(s, &settings.campaigns, &mut h).await?;
    settings.fingerprint = h.finish();
    Ok(settings)
}

/// The override containers the campaigns name.
async fn limit_overrides(
    s: &mut Session,
    campaigns: &HashMap<String, Campaign>,
    h: &mut DefaultHasher,
) -> DbResult<HashMap<String, LimitOverride>> {
    let ids: BTreeSet<&str> = campaigns.values().filter_map(|c| c.limit_override.as_deref()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT container_id, container_entry FROM vicidial_settings_containers WHERE container_id IN ({}) \
         ORDER BY container_id",
        super::placeholders(ids.len())
    );
    let rows = s.select(&sql, ids.iter().map(|id| (*id).into()).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            let (id, entry) = (r.text(0), r.text(1));
            (&id, &entry).hash(h);
            (id, LimitOverride::parse(&entry))
        })
        .collect())
}

/// Runs a settings query, feeding every value read to the fingerprint.
async fn select(s: &mut Session, sql: &str, h: &mut DefaultHasher) -> DbResult<Vec<Row>> {
    let rows = s.select(sql, vec![]).await?;
    for row in &rows {
        for i in 0..row.len() {
            if let Some(v) = row.as_ref(i) {
                v.as_sql(false).hash(h);
            }
        }
    }
    Ok(rows)
}

async fn system(s: &mut Session, h: &mut DefaultHasher) -> DbResult<SystemSettings> {
    let rows = select(
        s,
        "SELECT anyone_callback_inactive_lists, hopper_hold_inserts, call_limit_24hour FROM system_settings LIMIT 1",
        h,
    )
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|row| {
            let mut r = RowReader::new(row);
            SystemSettings {
                inactive_lists: match r.text(0).as_str() {
                    "NO_ADD_TO_HOPPER" => InactiveLists::NoAddToHopper,
                    "KEEP_IN_HOPPER" => InactiveLists::KeepInHopper,
                    _ => InactiveLists::Default,
                },
                hopper_hold_inserts: !matches!(r.text(1).as_str(), "" | "0"),
                call_limit_24hour: r.text(2) == "1",
            }
        })
        .unwrap_or_default())
}

async fn campaigns(s: &mut Session, h: &mut DefaultHasher) -> DbResult<HashMap<String, Campaign>> {
    let rows = select(
        s,
        "SELECT campaign_id, active, local_call_time, callback_dnc, use_internal_dnc, use_campaign_dnc, \
                    use_other_campaign_dnc, hopper_hold_inserts, callback_hours_block, \
                    callback_useronly_move_minutes, scheduled_callbacks_email_alert, \
                    call_limit_24hour_method, call_limit_24hour_scope, call_limit_24hour, no_hopper_dialing, \
                    call_limit_24hour_override \
             FROM vicidial_campaigns ORDER BY campaign_id",
        h,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            let campaign_id = r.text(0);
            let active = r.text(1) == "Y";
            let local_call_time = r.text(2);
            let callback_dnc = r.text(3) == "ENABLED";
            let internal = DncMode::parse(&r.text(4));
            let campaign = DncMode::parse(&r.text(5));
            let other = r.text(6);
            let campaign_list = if other.trim().is_empty() {
                campaign_id.clone()
            } else {
                other.trim().to_string()
            };
            let c = Campaign {
                active,
                local_call_time,
                callback_dnc,
                dnc: DncPolicy {
                    internal,
                    campaign,
                    campaign_list,
                },
                hopper_hold_inserts: matches!(r.text(7).as_str(), "ENABLED" | "AUTONEXT"),
                callback_hours_block: r.uint(8).unwrap_or(0) as u32,
                useronly_move_minutes: r.uint(9).unwrap_or(0),
                email_alert: r.text(10) == "Y",
                limit_method: match r.text(11).as_str() {
                    "PHONE_NUMBER" => LimitMethod::PhoneNumber,
                    "LEAD" => LimitMethod::Lead,
                    _ => LimitMethod::Disabled,
                },
                limit_scope: match r.text(12).as_str() {
                    "CAMPAIGN_LISTS" => LimitScope::CampaignLists,
                    _ => LimitScope::SystemWide,
                },
                limit: r.uint(13).unwrap_or(0) as u32,
                no_hopper_dialing: r.text(14) == "Y",
                limit_override: Some(r.text(15)).filter(|o| !o.trim().is_empty() && o != "DISABLED"),
                campaign_id,
            };
            (c.campaign_id.clone(), c)
        })
        .collect())
}

async fn lists(s: &mut Session, h: &mut DefaultHasher) -> DbResult<HashMap<u64, List>> {
    let rows = select(
        s,
        "SELECT list_id, campaign_id, active, expiration_date, local_call_time FROM vicidial_lists ORDER BY list_id",
        h,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut r = RowReader::new(row);
            let list = List {
                list_id: r.uint(0)?,
                campaign_id: r.text(1),
                active: r.text(2) == "Y",
                expiration_date: r.date(3),
                local_call_time: r.text(4),
            };
            Some((list.list_id, list))
        })
        .collect())
}

const DAYS: &str = "default_start, default_stop, sunday_start, sunday_stop, monday_start, monday_stop, \
    tuesday_start, tuesday_stop, wednesday_start, wednesday_stop, thursday_start, thursday_stop, \
    friday_start, friday_stop, saturday_start, saturday_stop";

/// `default_start, ...` with each name prefixed (`ct_`, `sct_`).
fn day_columns(prefix: &str) -> String {
    DAYS.split(", ")
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the 16 HHMM columns starting at `first`.
fn week(r: &mut RowReader, first: usize) -> Week {
    let mut pair = |i: usize| Window {
        start: r.int(first + 2 * i).unwrap_or(0) as i32,
        stop: r.int(first + 2 * i + 1).unwrap_or(0) as i32,
    };
    let default = pair(0);
    let days = [pair(1), pair(2), pair(3), pair(4), pair(5), pair(6), pair(7)];
    Week { default, days }
}

async fn call_times(s: &mut Session, h: &mut DefaultHasher) -> DbResult<CallTimes> {
    let times = select(
        s,
        &format!(
            "SELECT call_time_id, ct_state_call_times, ct_holidays, {} FROM vicidial_call_times ORDER BY call_time_id",
            day_columns("ct_")
        ),
        h,
    )
    .await?
    .into_iter()
    .map(|row| {
        let mut r = RowReader::new(row);
        CallTime {
            id: r.text(0),
            state_rules: parse_id_list(&r.text(1)),
            holidays: parse_id_list(&r.text(2)),
            week: week(&mut r, 3),
        }
    })
    .collect();
    let rules = select(s, &format!(
                "SELECT state_call_time_id, state_call_time_state, ct_holidays, {} FROM vicidial_state_call_times ORDER BY state_call_time_id",
                day_columns("sct_")
            ), h)
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            StateRule {
                id: r.text(0),
                state: r.text(1),
                holidays: parse_id_list(&r.text(2)),
                week: week(&mut r, 3),
            }
        })
        .collect();
    let holidays = select(
        s,
        "SELECT holiday_id, holiday_date, holiday_status, ct_default_start, ct_default_stop \
             FROM vicidial_call_time_holidays ORDER BY holiday_id",
        h,
    )
    .await?
    .into_iter()
    .filter_map(|row| {
        let mut r = RowReader::new(row);
        Some(Holiday {
            id: r.text(0),
            date: r.date(1)?,
            active: r.text(2) == "ACTIVE",
            window: Window {
                start: r.int(3).unwrap_or(0) as i32,
                stop: r.int(4).unwrap_or(0) as i32,
            },
        })
    })
    .collect();
    Ok(CallTimes::new(times, rules, holidays))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_activity() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        let mut list = List {
            list_id: 1,
            campaign_id: "C".into(),
            active: true,
            expiration_date: None,
            local_call_time: "campaign".into(),
        };
        assert!(list.is_active(today));
        list.expiration_date = Some(today);
        assert!(list.is_active(today), "expires after its expiration date");
        list.expiration_date = NaiveDate::from_ymd_opt(2026, 5, 9);
        assert!(!list.is_active(today));
        list.expiration_date = None;
        list.active = false;
        assert!(!list.is_active(today));
    }

    #[test]
    fn day_columns_are_prefixed() {
        let cols = day_columns("sct_");
        assert!(cols.starts_with("sct_default_start, sct_default_stop, sct_sunday_start"));
        assert!(cols.ends_with("sct_saturday_stop"));
    }
}
