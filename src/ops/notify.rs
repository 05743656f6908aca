//! Telling systemd how the daemon is doing (sd_notify(3)): `READY=1` once it
//! has connected and finished a first pass (or found its place as a
//! standby), `WATCHDOG=1` only while the engine makes progress, so a stuck
//! loop is restarted, and a `STATUS=` line for `systemctl status`. Also logs a
//! warning when a pass runs long, saying what the database is busy with.
//! Outside systemd (no `NOTIFY_SOCKET`) the notifications do nothing.

use std::time::Duration;

use sd_notify::NotifyState;
use tracing::warn;

use crate::db::{Db, DbResult};
use crate::ops::metrics;
use crate::ops::Shutdown;

/// How often the state is looked at.
const EVERY: Duration = Duration::from_secs(1);

/// Runs until a shutdown; `slow` is the pass duration worth a warning.
pub async fn supervise(slow: Duration, db: Db, mut shutdown: Shutdown) {
    let watchdog = sd_notify::watchdog_enabled();
    let m = metrics::global();
    let mut ready = false;
    let mut warned: u64 = 0;
    while !shutdown.is_shutdown() {
        if !ready && m.ready() {
            ready = true;
            let _ = sd_notify::notify(&[NotifyState::Ready]);
        }
        if watchdog.is_some_and(|limit| m.alive(limit)) {
            let _ = sd_notify::notify(&[NotifyState::Watchdog]);
        }
        let _ = sd_notify::notify(&[NotifyState::Status(&m.status_line())]);
        match m.pass_running_for() {
            // Once per `slow` seconds of one pass.
            Some(running) if running.as_secs() / slow.as_secs().max(1) > warned => {
                warned = running.as_secs() / slow.as_secs().max(1);
                let busy = match tokio::time::timeout(Duration::from_secs(2), longest_statement(&db)).await {
                    Ok(Ok(Some(busy))) => busy,
                    Ok(Ok(None)) => "no statement of this user is running".to_owned(),
                    _ => "the database does not answer".to_owned(),
                };
                warn!(
                    seconds = running.as_secs(),
                    "engine pass running for {} s; {busy}",
                    running.as_secs()
                );
            }
            Some(_) => {}
            None => warned = 0,
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.recv() => {}
        }
    }
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

/// The longest-running statement of the daemon's database user.
async fn longest_statement(db: &Db) -> DbResult<Option<String>> {
    crate::db::schema::longest_statement(&mut db.session().await?).await
}
