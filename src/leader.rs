//! One active daemon per database: daemons on several servers of a cluster
//! elect a leader through the database itself, with `GET_LOCK` on a
//! connection of its own. Only the leader runs passes and sends alerts; the
//! others are standbys and take over within about 5 s.
//!
//! The server releases a named lock when the connection holding it ends:
//! at once when the leader's process dies (the kernel closes the socket), and
//! within [`IDLE_LIMIT`] seconds when the leader freezes or its network goes:
//! the lock connection sets that `wait_timeout`, and a healthy leader talks on
//! it every [`EVERY`]. A leader that cannot confirm its lock steps down at
//! once. Nothing is done twice across a failover regardless: every write is
//! conditional (see [`crate::engine`]), so two leaders for a moment would
//! still each claim a callback once.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::check::error_text;
use crate::metrics;
use crate::ops::Shutdown;

/// How often the lock is tried (standby) or confirmed (leader).
pub const EVERY: Duration = Duration::from_secs(1);

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

/// Takes part in the election until a shutdown, publishing `true` on `role`
/// while this daemon leads. Releases the lock on the way out.
pub async fn elect(opts: Opts, role: watch::Sender<bool>, mut shutdown: Shutdown) {
    let name = lock_name(&opts);
    let mut conn: Option<Conn> = None;
    let mut said_standby = false;
    while !shutdown.is_shutdown() {
        let leading = *role.borrow();
        let step = tokio::time::timeout(STEP_LIMIT, step(&mut conn, &opts, &name, leading)).await;
        match step {
            Ok(Ok(now_leading)) => {
                if now_leading != leading {
                    if now_leading {
                        info!(lock = %name, "leader: took the leader lock; working");
                    } else {
                        warn!(lock = %name, "standby: the leader lock is no longer ours; stopping work");
                    }
                    role.send_replace(now_leading);
                } else if !now_leading && !said_standby {
                    info!(lock = %name, "standby: another daemon holds the leader lock");
                }
                said_standby = !now_leading;
                metrics::global().set_role(now_leading, None);
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => error_text(&e),
                    _ => format!("no answer within {} s", STEP_LIMIT.as_secs()),
                };
                conn = None;
                if leading {
                    warn!("standby: lost the leader lock's connection ({why}); stopping work");
                    role.send_replace(false);
                }
                metrics::global().set_role(false, Some(why));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.recv() => {}
        }
    }
    if let Some(mut conn) = conn {
        // Best effort: closing the connection releases the lock anyway.
        let _ = conn.exec_drop("DO RELEASE_LOCK(?)", (name,)).await;
        let _ = conn.disconnect().await;
    }
    role.send_replace(false);
}

/// Connects if needed, then tries the lock (standby) or confirms it (leader).
async fn step(conn: &mut Option<Conn>, opts: &Opts, name: &str, leading: bool) -> Result<bool, mysql_async::Error> {
    if conn.is_none() {
        let mut c = Conn::new(opts.clone()).await?;
        c.query_drop(format!("SET SESSION wait_timeout = {IDLE_LIMIT}")).await?;
        *conn = Some(c);
    }
    let c = conn.as_mut().expect("just connected");
    if leading {
        // A named lock is held until its connection ends (or RELEASE_LOCK,
        // which only this code sends): a live connection is a held lock. A
        // ping says so without a statement, so the leader's idle cost stays
        // one probe per poll.
        c.ping().await?;
        return Ok(true);
    }
    let answer: Option<Option<i64>> = c.exec_first("SELECT GET_LOCK(?, 0)", (name,)).await?;
    Ok(answer.flatten() == Some(1))
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
