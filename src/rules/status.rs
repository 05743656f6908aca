//! A callback's `status`, as VICIdial uses it (`docs/vicidial.md`, section
//! "Callback statuses"): written as text in `vicidial_callbacks.status` and
//! compared as MySQL compares it. One type instead of string literals, and
//! the SQL lists the statements use, beside it.

use chrono::NaiveDateTime;

use crate::rules::collation;

/// The statuses a callback goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackStatus {
    /// Waiting for its time.
    Active,
    /// Its time came: in the agent's list (USERONLY) or the hopper (ANYONE).
    Live,
    /// Held by the 24-hour call limit; tried again every run.
    Tfhccl,
    /// Closed by a call that reached the lead, or by a manager.
    Inactive,
    /// Closed because the lead went on a DNC list.
    Dead,
    /// Archived.
    Archive,
}

impl CallbackStatus {
    /// Every status, in the order above.
    pub const ALL: [CallbackStatus; 6] = [
        CallbackStatus::Active,
        CallbackStatus::Live,
        CallbackStatus::Tfhccl,
        CallbackStatus::Inactive,
        CallbackStatus::Dead,
        CallbackStatus::Archive,
    ];

    /// The column's text.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::Active => "ACTIVE",
            CallbackStatus::Live => "LIVE",
            CallbackStatus::Tfhccl => "TFHCCL",
            CallbackStatus::Inactive => "INACTIVE",
            CallbackStatus::Dead => "DEAD",
            CallbackStatus::Archive => "ARCHIVE",
        }
    }

    /// Whether the column's text `stored` is this status, as MySQL compares.
    pub fn is(self, stored: &str) -> bool {
        collation::eq(stored, self.as_str())
    }

    /// The status the column's text names, if any.
    pub fn of(stored: &str) -> Option<CallbackStatus> {
        CallbackStatus::ALL.into_iter().find(|s| s.is(stored))
    }

    /// Still a promise to keep: `ACTIVE`, `LIVE` or `TFHCCL`.
    pub fn is_open(self) -> bool {
        matches!(self, CallbackStatus::Active | CallbackStatus::Live | CallbackStatus::Tfhccl)
    }

    /// Waiting to be activated (its time may have come): `ACTIVE` or `TFHCCL`.
    pub fn is_waiting(self) -> bool {
        matches!(self, CallbackStatus::Active | CallbackStatus::Tfhccl)
    }
}

/// Whether the column's text `stored` is an open status ([`CallbackStatus::is_open`]).
pub fn is_open(stored: &str) -> bool {
    CallbackStatus::of(stored).is_some_and(CallbackStatus::is_open)
}

/// The open statuses as an SQL list.
pub const OPEN_SQL: &str = "('ACTIVE','LIVE','TFHCCL')";

/// The waiting statuses as an SQL list.
pub const WAITING_SQL: &str = "('ACTIVE','TFHCCL')";

/// Due: waiting ([`CallbackStatus::is_waiting`]) and its `callback_time`
/// reached at `now` (both server time). A NULL time (`None`) is never due;
/// the zero date, which MySQL orders before every time, is due (pass it as
/// [`NaiveDateTime::MIN`]). The scans, the claim and `callbacks status` use
/// it as [`DUE_SQL`]; the metric's backlog is due and `ACTIVE`.
pub fn is_due(stored: &str, callback_time: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    CallbackStatus::of(stored).is_some_and(CallbackStatus::is_waiting) && callback_time.is_some_and(|t| t <= now)
}

/// [`is_due`] in SQL, on the callbacks table's own columns (unqualified: a
/// statement names that table alone, or with no other table having them),
/// `now` its one parameter.
pub const DUE_SQL: &str = "status IN ('ACTIVE','TFHCCL') AND callback_time <= ?";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_mysql_compares_them_and_the_sql_lists_match() {
        assert_eq!(CallbackStatus::of("live "), Some(CallbackStatus::Live));
        assert_eq!(CallbackStatus::of("NEW"), None);
        assert!(is_open("tfhccl") && !is_open("DEAD") && !is_open(""));
        let list = |f: fn(CallbackStatus) -> bool| {
            let names: Vec<String> = CallbackStatus::ALL
                .into_iter()
                .filter(|s| f(*s))
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            format!("({})", names.join(","))
        };
        assert_eq!(list(CallbackStatus::is_open), OPEN_SQL);
        assert_eq!(list(CallbackStatus::is_waiting), WAITING_SQL);
        assert!(DUE_SQL.starts_with(&format!("status IN {WAITING_SQL} AND ")));
    }
}
