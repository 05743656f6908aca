//! Fencing: every write the leader makes carries, in the statement itself,
//! the condition that its term of leadership is still the current one, so a
//! leader that froze (a stalled VM, a network stall, SIGSTOP) and wakes after
//! a standby took over changes nothing with the statements it still had in
//! hand.
//!
//! The election is a named lock (`GET_LOCK`, see `crate::ops::leader`), which the
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

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};

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

/// The columns of `callbackd_queued`'s primary key: 1 when it is the key
/// of versions before the hopper's ids were known to start over
/// (`hopper_id` alone), which [`QUEUED_KEY`] replaces.
const QUEUED_KEY_COLUMNS: &str = "SELECT COUNT(*) FROM information_schema.STATISTICS \
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'callbackd_queued' AND INDEX_NAME = 'PRIMARY'";

/// The key `sql/callbackd.sql` gives `callbackd_queued` now.
const QUEUED_KEY: &str = "ALTER TABLE callbackd_queued DROP PRIMARY KEY, ADD PRIMARY KEY (hopper_id, lead_id)";

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

/// Makes the server drop the lock connection after `seconds` of silence,
/// releasing the lock of a leader that froze or lost its network.
pub(crate) async fn set_idle_limit(c: &mut Conn, seconds: u32) -> Result<(), mysql_async::Error> {
    c.query_drop(format!("SET SESSION wait_timeout = {seconds}")).await
}

/// Tries the leader lock without waiting: whether this connection has it.
pub(crate) async fn try_lock(c: &mut Conn, name: &str) -> Result<bool, mysql_async::Error> {
    let answer: Option<Option<i64>> = c.exec_first("SELECT GET_LOCK(?, 0)", (name,)).await?;
    Ok(answer.flatten() == Some(1))
}

/// Releases the leader lock (closing the connection would too).
pub(crate) async fn release(c: &mut Conn, name: &str) -> Result<(), mysql_async::Error> {
    c.exec_drop("DO RELEASE_LOCK(?)", (name,)).await
}

/// Whether this connection still holds the lock and `term` is still the
/// current one: `Some(term)` when both.
pub(crate) async fn confirm(c: &mut Conn, term: &Term) -> Result<Option<Term>, mysql_async::Error> {
    let answer: Option<(Option<i64>, Option<u64>)> = c.exec_first(CONFIRM, (&term.lock, &term.lock)).await?;
    Ok(match answer {
        Some((Some(1), Some(current))) if current == term.term => Some(term.clone()),
        _ => None,
    })
}

/// Opens a new term for the lock this connection holds, `holder` naming
/// this process in the table.
pub(crate) async fn open_term(c: &mut Conn, name: &str, holder: &str) -> Result<Term, mysql_async::Error> {
    // The tables are made only when missing, so a user without CREATE
    // works once an administrator ran sql/callbackd.sql.
    let own: Option<u64> = c.query_first(COUNT_OWN).await?;
    if own != Some(OWN_TABLES) {
        c.query_drop(CREATE).await?;
    }
    let key: Option<u64> = c.query_first(QUEUED_KEY_COLUMNS).await?;
    if key == Some(1) {
        match c.query_drop(QUEUED_KEY).await {
            Ok(()) => tracing::info!("callbackd_queued: keyed by hopper row and lead now (sql/callbackd.sql)"),
            Err(e) => tracing::warn!(
                "callbackd_queued keeps the key of an older version ({e}): after the hopper is emptied, \
                 a record can be lost and a second row of a dialed lead kept; run as an administrator: {QUEUED_KEY}"
            ),
        }
    }
    c.exec_drop(BUMP, (name, holder)).await?;
    let term: Option<u64> = c.query_first("SELECT LAST_INSERT_ID()").await?;
    Ok(Term {
        lock: name.to_string(),
        term: term.unwrap_or_default(),
    })
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
