//! One active daemon per database: daemons on several servers of a cluster
//! elect a leader through the database itself, with `GET_LOCK` on a
//! connection of its own. Only the leader runs passes and sends alerts; the
//! others are standbys and take over within about 5 s.
//!
//! The server releases a named lock when the connection holding it ends:
//! at once when the leader's process dies (the kernel closes the socket), and
//! within [`IDLE_LIMIT`] seconds when the leader freezes or its network goes:
//! the lock connection sets that `wait_timeout`, and a healthy leader talks on
//! it every [`CONFIRM_EVERY`]. A leader that cannot confirm its lock steps down at
//! once, by a statement the server itself answers (a proxy in between
//! answers a ping on its own). Taking the lock opens a new *term*
//! ([`crate::db::fence`]) that every write of the leader re-checks in the
//! statement itself, so the statements a deposed leader still had in hand
//! change nothing, however late they run.

use std::time::Duration;

use mysql_async::{Conn, Opts};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::ops::error_text;
use crate::db::fence::{self, Term};
use crate::ops::metrics;
use crate::ops::Shutdown;

/// How often a standby tries the lock.
pub const EVERY: Duration = Duration::from_secs(1);

/// How often the leader confirms its lock: half of [`IDLE_LIMIT`], so a
/// confirmation that comes late (up to [`STEP_LIMIT`]) still keeps the
/// connection. Every write re-checks the term itself
/// ([`crate::db::fence`]), so the confirmation only tells the leader
/// sooner that it lost the lock; the server drops a frozen leader's lock
/// after [`IDLE_LIMIT`] whatever the cadence.
pub const CONFIRM_EVERY: Duration = Duration::from_secs(2);

/// Seconds of silence after which the server drops the lock connection,
/// releasing the lock of a leader that froze or lost its network.
pub const IDLE_LIMIT: u32 = 4;

/// Longest one try or confirmation may take before the connection counts as lost.
const STEP_LIMIT: Duration = Duration::from_secs(2);

/// The lock's name: one per database (a server may hold several VICIdials).
pub fn lock_name(opts: &Opts) -> String {
    let mut name = format!("vicidial-callbackd/{}", opts.db_name().unwrap_or_default());
    // MySQL and MariaDB allow 64 characters.
    name.truncate(64);
    name
}

/// Takes part in the election until a shutdown, publishing the term on
/// `role` while this daemon leads (`None` while it does not). Releases the
/// lock on the way out.
pub(crate) async fn elect(opts: Opts, role: watch::Sender<Option<Term>>, mut shutdown: Shutdown) {
    let name = lock_name(&opts);
    let mut conn: Option<Conn> = None;
    let mut said_standby = false;
    while !shutdown.is_shutdown() {
        let leading = role.borrow().clone();
        let step = tokio::time::timeout(STEP_LIMIT, step(&mut conn, &opts, &name, leading.as_ref())).await;
        match step {
            Ok(Ok(now)) => {
                if now != leading {
                    match &now {
                        Some(t) => info!(lock = %name, term = t.term, "leader: took the leader lock; working"),
                        None => warn!(lock = %name, "standby: the leader lock is no longer ours; stopping work"),
                    }
                    if now.is_none() {
                        // The lock may be held by nothing now: a new try
                        // starts from a new connection.
                        conn = None;
                    }
                    role.send_replace(now.clone());
                } else if now.is_none() && !said_standby {
                    info!(lock = %name, "standby: another daemon holds the leader lock");
                }
                said_standby = now.is_none();
                metrics::global().set_role(now.is_some(), None);
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e,
                    _ => format!("no answer within {} s", STEP_LIMIT.as_secs()),
                };
                conn = None;
                if leading.is_some() {
                    warn!("standby: lost the leader lock's connection ({why}); stopping work");
                    role.send_replace(None);
                }
                metrics::global().set_role(false, Some(why));
            }
        }
        let every = match role.borrow().is_some() {
            true => CONFIRM_EVERY,
            false => EVERY,
        };
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.recv() => {}
        }
    }
    if let Some(mut conn) = conn {
        // Best effort: closing the connection releases the lock anyway.
        let _ = fence::release(&mut conn, &name).await;
        let _ = conn.disconnect().await;
    }
    role.send_replace(None);
}

/// Connects if needed, then tries the lock and opens a term (standby) or
/// confirms the lock and the term (leader): the term led now, if any.
async fn step(
    conn: &mut Option<Conn>,
    opts: &Opts,
    name: &str,
    leading: Option<&Term>,
) -> Result<Option<Term>, String> {
    if conn.is_none() {
        let mut c = Conn::new(opts.clone()).await.map_err(|e| error_text(&e))?;
        fence::set_idle_limit(&mut c, IDLE_LIMIT)
            .await
            .map_err(|e| error_text(&e))?;
        *conn = Some(c);
    }
    let c = conn.as_mut().expect("just connected");
    match leading {
        Some(term) => fence::confirm(c, term).await.map_err(|e| error_text(&e)),
        None => take(c, name).await,
    }
}

/// Tries the lock; when this connection gets it, opens a new term. A term
/// table that cannot be made or written leaves the lock released: a daemon
/// that cannot fence its writes does not lead.
async fn take(c: &mut Conn, name: &str) -> Result<Option<Term>, String> {
    if !fence::try_lock(c, name).await.map_err(|e| error_text(&e))? {
        return Ok(None);
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let holder = format!("{}:{}", host.trim(), std::process::id());
    match fence::open_term(c, name, &holder).await {
        Ok(term) => Ok(Some(term)),
        Err(e) => {
            let _ = fence::release(c, name).await;
            Err(format!(
                "cannot open a term in the table {} ({}); create the daemon's tables with sql/callbackd.sql, \
                 or grant CREATE (they are made when missing)",
                fence::TABLE,
                error_text(&e)
            ))
        }
    }
}

/// The lock and a term for one run of `once`, which writes like a leader:
/// its connection holds the lock until dropped. An error when another
/// daemon leads (the two would race) or no term can be opened.
pub async fn hold_for_once(opts: &Opts) -> Result<(Conn, Term), String> {
    let name = lock_name(opts);
    let mut c = Conn::new(opts.clone()).await.map_err(|e| error_text(&e))?;
    match take(&mut c, &name).await? {
        Some(term) => Ok((c, term)),
        None => Err(format!(
            "another daemon holds the leader lock {name}: stop it first, or use --dry-run"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_per_database_and_fits_mysqls_limit() {
        let opts = Opts::from_url("mysql://u:p@h/asterisk").unwrap();
        assert_eq!(lock_name(&opts), "vicidial-callbackd/asterisk");
        let long = Opts::from_url(&format!("mysql://u:p@h/{}", "x".repeat(64))).unwrap();
        assert_eq!(lock_name(&long).len(), 64);
    }
}
