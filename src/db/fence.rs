//! Fencing: every write the leader makes carries, in the statement itself,
//! the condition that its term of leadership is still the current one, so a
//! leader that froze (a stalled VM, a network stall, SIGSTOP) and wakes after
//! a standby took over changes nothing with the statements it still had in
//! hand.
//!
//! The election is a named lock (`GET_LOCK`, see `crate::leader`), which the
//! server releases when the holder's connection ends. A lock alone cannot
//! fence: a statement the old leader sent on another connection still runs.
//! So each daemon that takes the lock also opens a new *term*: it bumps a
//! counter in the daemon's own table [`TABLE`] (one row per lock name), and
//! every fenced write ends its WHERE clause with [`HELD`], which the session
//! turns into `(SELECT term FROM callbackd_leader WHERE lock_name = ?) = ?`.
//! A new leader bumps the term before it reads anything, so from then on
//! every statement of an older term matches no row.
//!
//! Why a table and not `IS_USED_LOCK()` in the statement: the table is
//! ordinary data, so a replica fed by statement-based binary logging replays
//! the same statements to the same effect (a lock function would be
//! evaluated again on the replica, where nobody holds the lock). The table is
//! MyISAM whatever the other tables are: a statement that reads it holds its
//! read lock to the end, so a term bump waits for the statements of the old
//! term in flight, and none of them can run after it.

use mysql_async::Value;

/// The daemon's own table of terms (created when missing; `sql/callbackd.sql`).
pub(crate) const TABLE: &str = "callbackd_leader";

/// The daemon's own tables' definitions: the file an administrator runs
/// when the daemon may not create them (one text, so the two cannot differ).
pub(crate) const CREATE: &str = include_str!("../../sql/callbackd.sql");

/// How many of the daemon's own tables exist (all of them: `OWN_TABLES`).
pub(crate) const COUNT_OWN: &str = "SELECT COUNT(*) FROM information_schema.TABLES \
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('callbackd_leader', 'callbackd_queued', 'callbackd_claimed')";

/// The number of the daemon's own tables.
pub(crate) const OWN_TABLES: u64 = 3;

/// Opens a new term for a lock this connection holds; the new term is then
/// `LAST_INSERT_ID()` on the same connection. A first row starts from the
/// clock (milliseconds), so terms keep growing even when the table is made
/// anew (a database restored from a dump), and no old term comes back.
pub(crate) const BUMP: &str = "INSERT INTO callbackd_leader (lock_name, term, holder, taken_at) \
    VALUES (?, LAST_INSERT_ID(CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED)), ?, NOW()) \
    ON DUPLICATE KEY UPDATE term = LAST_INSERT_ID(term + 1), holder = VALUES(holder), taken_at = VALUES(taken_at)";

/// Confirms leadership with a statement the server itself answers (a proxy
/// answers a ping on its own): whether this connection holds the lock, and
/// the current term.
pub(crate) const CONFIRM: &str = "SELECT IS_USED_LOCK(?) = CONNECTION_ID(), \
    (SELECT term FROM callbackd_leader WHERE lock_name = ?)";

/// What every fenced write puts in its WHERE clause (`... AND {HELD}`).
/// Unfenced sessions (manager commands, dry runs) run it as it stands:
/// true. A fenced session replaces it with the term check.
pub(crate) const HELD: &str = "(/*term*/ TRUE)";

/// The term check [`HELD`] becomes in a fenced session.
const CHECK: &str = "((SELECT term FROM callbackd_leader WHERE lock_name = ?) = ?)";

/// One term of leadership: the lock's name and the term number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The lock's name (one per database).
    pub lock: String,
    /// The term this daemon opened when it took the lock.
    pub term: u64,
}

impl Term {
    /// `sql` with its [`HELD`] made the term check, and `params` with the
    /// check's two values at their place; `None` when `sql` has no
    /// [`HELD`] (a write that would not be fenced).
    pub(crate) fn apply(&self, sql: &str, params: &mut Vec<Value>) -> Option<String> {
        let at = sql.find(HELD)?;
        // Our statements have no '?' inside string literals: every one
        // before the marker is a parameter.
        let before = sql[..at].matches('?').count();
        params.splice(
            before..before,
            [Value::from(self.lock.as_str()), Value::from(self.term)],
        );
        Some(format!("{}{CHECK}{}", &sql[..at], &sql[at + HELD.len()..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_takes_the_markers_place_and_its_values_go_between_the_others() {
        let term = Term {
            lock: "vicidial-callbackd/asterisk".into(),
            term: 7,
        };
        let mut params = vec![Value::from(1u32), Value::from(2u32)];
        let sql = term
            .apply(
                &format!("UPDATE t SET a = ? WHERE id = ? AND {HELD} AND b <> 'x'"),
                &mut params,
            )
            .unwrap();
        assert_eq!(
            sql,
            "UPDATE t SET a = ? WHERE id = ? AND ((SELECT term FROM callbackd_leader WHERE lock_name = ?) = ?) AND b <> 'x'"
        );
        assert_eq!(
            params,
            vec![
                Value::from(1u32),
                Value::from(2u32),
                Value::from("vicidial-callbackd/asterisk"),
                Value::from(7u64)
            ]
        );
        let mut params = vec![Value::from(3u32), Value::from(4u32)];
        let sql = term
            .apply(
                &format!("UPDATE t SET a = 1 WHERE {HELD} AND id IN (?, ?)"),
                &mut params,
            )
            .unwrap();
        assert!(sql.contains("WHERE ((SELECT term"));
        assert_eq!(params[0], Value::from("vicidial-callbackd/asterisk"));
        assert_eq!(params[3], Value::from(4u32));
    }

    #[test]
    fn a_write_without_the_marker_is_not_fenced() {
        let term = Term {
            lock: "x".into(),
            term: 1,
        };
        assert_eq!(term.apply("UPDATE t SET a = 1", &mut vec![]), None);
    }
}
