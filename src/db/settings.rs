//! The settings the callback rules read: `system_settings`, campaigns, lists
//! and call times, loaded once per pass that has work, as typed values.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use chrono::{Duration, NaiveDateTime};
use mysql_async::Row;

use super::{DbError, DbResult, RowReader, Session};
use crate::rules::call_limit::LimitOverride;
use crate::rules::calltime::{CallTime, CallTimes, Holiday, StateRule, Week, Window, parse_id_list};
use crate::rules::collation::{self, Key};
use crate::rules::dnc::{DncMode, DncPolicy};
use crate::rules::model::{
    Campaign, Expiry, InactiveLists, LimitMethod, LimitScope, List, ListActive, Settings, SystemSettings,
};

/// An instant as the probe reads it: in UTC, with the server's offset from
/// UTC then (its local time minus UTC, whole seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadAt {
    /// The instant, in UTC.
    pub utc: NaiveDateTime,
    /// The server's offset from UTC at that instant, in seconds.
    pub offset: i64,
}

impl ReadAt {
    /// From the server's local time and UTC of one instant (`NOW()` and
    /// `UTC_TIMESTAMP()` read together).
    pub fn new(local: NaiveDateTime, utc: NaiveDateTime) -> ReadAt {
        ReadAt {
            utc,
            offset: (local - utc).num_seconds(),
        }
    }
}

/// Whether settings read at `read` are still current at `now`: the
/// settings' tables were last written (`written`, from
/// `information_schema.TABLES.UPDATE_TIME`: server-local time, whole
/// seconds; `None` when a table cannot say) before the second they were
/// read in.
///
/// `UPDATE_TIME` is a local wall time, and in the autumn one local hour
/// happens twice: a write during the second 01:xx shows a stamp that, read
/// as the first, looks older than settings read late in the first. So the
/// comparison is on UTC, a clock that does not repeat, with the stamp taken
/// as the latest instant it may name: the server's offset changes at most
/// once between a read and the next pass, so the write happened under the
/// offset of the read or that of now, and the later of the two readings is
/// taken. A write in the repeated hour is never missed; the cost is a
/// fresh read of the settings on each pass until they are read under the
/// new offset (the first pass after the change).
pub fn unwritten_since(written: Option<NaiveDateTime>, read: ReadAt, now: ReadAt) -> bool {
    written.is_some_and(|w| {
        let latest = w - Duration::seconds(read.offset.min(now.offset));
        latest + Duration::seconds(1) <= read.utc
    })
}

/// Loads every setting the rules read.
pub async fn load(s: &mut Session) -> DbResult<Settings> {
    let mut h = DefaultHasher::new();
    let mut settings = Settings {
        system: system(s, &mut h).await?,
        campaigns: campaigns(s, &mut h).await?,
        lists: lists(s, &mut h).await?,
        call_times: call_times(s, &mut h).await?,
        ..Settings::default()
    };
    settings.limit_overrides = limit_overrides(s, &settings.campaigns, &mut h).await?;
    settings.fingerprint = h.finish();
    Ok(settings)
}

/// The override containers the campaigns name.
async fn limit_overrides(
    s: &mut Session,
    campaigns: &HashMap<Key, Campaign>,
    h: &mut DefaultHasher,
) -> DbResult<HashMap<Key, LimitOverride>> {
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
            (Key::new(&id), LimitOverride::parse(&entry))
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
    rows.into_iter()
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
        .ok_or_else(|| {
            // Its defaults would turn the 24-hour limit off: fail closed.
            DbError::Data(
                "system_settings has no row: VICIdial's system settings are missing; \
                 holding every callback until it has one"
                    .into(),
            )
        })
}

async fn campaigns(s: &mut Session, h: &mut DefaultHasher) -> DbResult<HashMap<Key, Campaign>> {
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
            // Column 6, use_other_campaign_dnc, is applied in SQL (db::facts::dnc).
            let c = Campaign {
                active,
                local_call_time,
                callback_dnc,
                dnc: DncPolicy { internal, campaign },
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
                // `($override !~ /^DISABLED$/) && (length($override) > 0)`
                // (`AST_VDhopper.pl` line 3799, VICIdial 2.14): Perl's exact, case-sensitive test.
                limit_override: Some(r.text(15)).filter(|o| !o.is_empty() && o != "DISABLED"),
                campaign_id,
            };
            (Key::new(&c.campaign_id), c)
        })
        .collect())
}

async fn lists(s: &mut Session, h: &mut DefaultHasher) -> DbResult<HashMap<u64, List>> {
    let rows = select(
        s,
        "SELECT list_id, campaign_id, active, CAST(expiration_date AS CHAR), local_call_time \
         FROM vicidial_lists ORDER BY list_id",
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
                active: match r.opt_text(2).as_deref() {
                    Some("Y") => ListActive::Yes,
                    Some("N") => ListActive::No,
                    _ => ListActive::Neither,
                },
                expiry: match r.opt_text(3) {
                    None => Expiry::Null,
                    // '0000-00-00' (and any date MySQL keeps but chrono cannot
                    // read) sorts before every real date.
                    Some(text) => text.parse().map_or(Expiry::Zero, Expiry::On),
                },
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
            active: collation::eq(&r.text(2), "ACTIVE"),
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
    fn day_columns_are_prefixed() {
        let cols = day_columns("sct_");
        assert!(cols.starts_with("sct_default_start, sct_default_stop, sct_sunday_start"));
        assert!(cols.ends_with("sct_saturday_stop"));
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// New York on 2026-11-01: EDT (-4) until 06:00 UTC, EST (-5) after.
    fn new_york(utc: &str) -> ReadAt {
        let utc = at(utc);
        let offset = if utc < at("2026-11-01 06:00:00") { -4 } else { -5 };
        ReadAt::new(utc + Duration::hours(offset), utc)
    }

    #[test]
    fn a_write_in_the_repeated_hour_is_not_taken_as_older() {
        let written = |local: &str| Some(at(local));
        // Read at 01:50 EDT; written at 01:10 EST, 20 minutes later, shown as 01:10.
        let read = new_york("2026-11-01 05:50:00");
        assert_eq!(read.offset, -4 * 3600);
        let now = new_york("2026-11-01 06:15:00");
        assert!(!unwritten_since(written("2026-11-01 01:10:00"), read, now));
        // Read again at 01:15 EST: that write is before it.
        let read = now;
        assert!(unwritten_since(written("2026-11-01 01:10:00"), read, now));
        assert!(!unwritten_since(written("2026-11-01 01:15:00"), read, now));
        // A write of the first 01:10, seen before the change, is older than a read at 01:50 EDT.
        let (read, now) = (new_york("2026-11-01 05:50:00"), new_york("2026-11-01 05:55:00"));
        assert!(unwritten_since(written("2026-11-01 01:10:00"), read, now));
        assert!(!unwritten_since(written("2026-11-01 01:50:00"), read, now));
        // Away from any change.
        let (read, now) = (new_york("2026-11-02 15:00:00"), new_york("2026-11-02 15:00:30"));
        assert!(unwritten_since(written("2026-11-02 09:59:59"), read, now));
        assert!(!unwritten_since(written("2026-11-02 10:00:00"), read, now));
        // A table that cannot say: read again.
        assert!(!unwritten_since(None, read, now));
    }
}
