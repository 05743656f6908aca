//! A campaign's hours block: with `callback_hours_block` above 0, a callback
//! waits until that many hours after its `entry_time` (both in server time),
//! as VICIdial's agent screen shows an agent's USERONLY callbacks
//! (`docs/vicidial.md`, section "Agent screen"). The daemon applies it to
//! every callback it queues and to email alerts (README, "Differences from
//! VICIdial"). Written once here, in Rust for the engine and the report, and
//! in SQL for the alert scan; `tests/rules_sql.rs` checks that they agree.

use chrono::{Duration, NaiveDateTime};

/// When the block ends, or `None` when there is none (no `entry_time`, or a
/// block of 0 hours).
pub fn ends(entry_time: Option<NaiveDateTime>, block_hours: u32) -> Option<NaiveDateTime> {
    let entry = entry_time?;
    (block_hours > 0).then(|| entry + Duration::hours(block_hours.into()))
}

/// Whether the block still holds at `at`.
pub fn holds(entry_time: Option<NaiveDateTime>, block_hours: u32, at: NaiveDateTime) -> bool {
    ends(entry_time, block_hours).is_some_and(|end| end > at)
}

/// [`ends`] in SQL, over `cb` (`vicidial_callbacks`) and `c`
/// (`vicidial_campaigns`): NULL when there is no block (a NULL or zero
/// `entry_time` makes the sum NULL too).
pub const ENDS_SQL: &str =
    "IF(c.callback_hours_block > 0, cb.entry_time + INTERVAL c.callback_hours_block HOUR, NULL)";

/// [`holds`] negated in SQL, at the bound parameter: the block is over or
/// there is none.
pub const OVER_AT_SQL: &str = "COALESCE(IF(c.callback_hours_block > 0, \
     cb.entry_time + INTERVAL c.callback_hours_block HOUR, NULL) <= ?, TRUE)";

/// When a callback could first be dialed: its time, or when it was set if
/// that was later (a callback set for a past time), or the end of its hours
/// block if later still. The repair of LIVE callbacks bounds its age by it.
pub fn dialable_from(callback_time: NaiveDateTime, entry_time: Option<NaiveDateTime>, block_hours: u32) -> NaiveDateTime {
    let set = entry_time.map_or(callback_time, |e| e.max(callback_time));
    ends(entry_time, block_hours).map_or(set, |end| end.max(set))
}

/// [`dialable_from`] in SQL, over `cb` and `c` (`c` may be a missing
/// campaign: no block).
pub const DIALABLE_FROM_SQL: &str = "GREATEST(cb.callback_time, COALESCE(cb.entry_time, cb.callback_time), \
     COALESCE(IF(c.callback_hours_block > 0, cb.entry_time + INTERVAL c.callback_hours_block HOUR, NULL), \
              cb.callback_time))";

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn a_block_holds_until_its_end_and_none_holds_nothing() {
        assert_eq!(ends(Some(t(9, 0)), 4), Some(t(13, 0)));
        assert!(holds(Some(t(9, 0)), 4, t(12, 59)));
        assert!(!holds(Some(t(9, 0)), 4, t(13, 0)));
        assert_eq!(ends(Some(t(9, 0)), 0), None);
        assert!(!holds(Some(t(23, 0)), 0, t(9, 0)), "no block, even for an entry_time ahead");
        assert!(!holds(None, 4, t(9, 0)));
    }

    #[test]
    fn a_callback_is_dialable_from_its_time_its_setting_or_its_blocks_end() {
        assert_eq!(dialable_from(t(10, 0), Some(t(9, 0)), 0), t(10, 0));
        assert_eq!(dialable_from(t(8, 0), Some(t(9, 0)), 0), t(9, 0), "set for a past time");
        assert_eq!(dialable_from(t(10, 0), Some(t(9, 0)), 4), t(13, 0));
        assert_eq!(dialable_from(t(10, 0), None, 4), t(10, 0));
    }

    #[test]
    fn the_sql_is_the_one_expression() {
        assert!(OVER_AT_SQL.contains(&ENDS_SQL["IF(".len()..ENDS_SQL.len() - ", NULL)".len()]));
    }
}
