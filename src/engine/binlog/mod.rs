//! Event-driven mode: follow the server's binary log as a replica would, and
//! wake the engine the moment a row it cares about changes, instead of
//! looking every poll interval.
//!
//! Events only say *when* and *what* to look at: the engine's rules stay the
//! single source of truth, and a slow safety pass still runs, so a missed or
//! misread event can never lose a callback. The watcher sends [`Change`]s on a
//! channel the engine loop waits on ([`Changes`]); while the stream is not
//! followed (binary log off, not `ROW`, grants missing, connection cut) the
//! loop polls at its usual interval.
//!
//! What wakes the engine, in the configured database only:
//! - any row written to `vicidial_callbacks` (a new callback, an edited
//!   `callback_time`, status or recipient);
//! - a `vicidial_list` row changed or a `vicidial_hopper` row deleted, for a
//!   lead with an open callback (the dialer's writes to other leads, all day
//!   long, wake nothing);
//! - a gate's settings: campaigns, lists, `system_settings`, call times,
//!   state call times, holidays, settings containers, leaving out the columns
//!   VICIdial's own jobs stamp every few seconds ([`decode::NOISE`]).
//!
//! The position is kept in a file under `binlog.state_dir` and the stream
//! resumes there after a cut or a restart; when the server no longer has it,
//! the stream starts at the current end and the engine is told to do one full
//! pass ([`Change::Lost`]).

mod decode;
mod follow;
mod position;

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, WatchMode};
use crate::ops::Shutdown;

pub use follow::{probe, server_id};

/// What changed, as far as the binary log tells: a hint of what to look at.
/// An empty list means "rows of that table changed, which ones is unknown"
/// (`binlog_row_image=MINIMAL`, a compressed event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `vicidial_callbacks` rows written (inserted, updated or deleted), by `callback_id`.
    Callbacks(Vec<u32>),
    /// `vicidial_list` rows of leads with an open callback changed, by `lead_id`.
    Leads(Vec<u32>),
    /// `vicidial_hopper` rows deleted, by the `lead_id` they held (leads with an open callback).
    HopperDeleted(Vec<u32>),
    /// A gate's settings changed (campaigns, lists, system settings, call times, containers).
    Settings,
    /// The stream could not be followed without a gap (its position is gone
    /// from the server, or more happened than the channel holds): do one full pass.
    Lost,
}

/// The engine's end of the watcher: changes to wake on, and whether the
/// binary log is being followed (then the poll interval becomes the safety
/// pass). In poll mode it never wakes anything.
pub struct Changes {
    rx: Option<mpsc::Receiver<Change>>,
    following: watch::Receiver<bool>,
    safety: Duration,
}

impl Changes {
    /// Poll mode: no watcher.
    pub fn polling() -> Changes {
        let (_, following) = watch::channel(false);
        Changes {
            rx: None,
            following,
            safety: Duration::ZERO,
        }
    }

    /// True while the binary log is followed.
    pub fn following(&self) -> bool {
        *self.following.borrow()
    }

    /// How long the engine may sleep with nothing known to wait for:
    /// `poll` while polling, the safety-pass interval while following.
    pub fn poll_interval(&self, poll: Duration) -> Duration {
        if self.following() { self.safety.max(poll) } else { poll }
    }

    /// Takes every change queued so far (a pass starting now covers them).
    pub fn take(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        if let Some(rx) = &mut self.rx {
            while let Ok(change) = rx.try_recv() {
                out.push(change);
            }
        }
        out
    }

    /// Waits for the next change (and returns it), or for following to start
    /// or stop (the poll interval changes then: `None`); never returns in poll
    /// mode or after the watcher ended.
    pub async fn changed(&mut self) -> Option<Change> {
        let Some(rx) = &mut self.rx else {
            return std::future::pending().await;
        };
        tokio::select! {
            Some(change) = rx.recv() => Some(change),
            Ok(()) = self.following.changed() => None,
            else => std::future::pending().await,
        }
    }
}

/// Starts the watcher for one term of leadership, as `engine.watch` says:
/// in poll mode nothing runs; in binlog and auto mode a task follows the
/// binary log until `shutdown` (and polls meanwhile when it cannot, saying
/// why once). Returns the engine's end and the task.
pub fn start(config: &Config, opts: mysql_async::Opts, shutdown: Shutdown) -> (Changes, Option<JoinHandle<()>>) {
    if config.engine.watch == WatchMode::Poll {
        crate::ops::monitor::set_watch(crate::ops::monitor::Watch::Poll);
        return (Changes::polling(), None);
    }
    crate::ops::monitor::set_watch(crate::ops::monitor::Watch::FellBack);
    let (tx, rx) = mpsc::channel(CHANNEL);
    let (following_tx, following) = watch::channel(false);
    let watcher = follow::Watcher::new(config, opts, tx, following_tx);
    let task = tokio::spawn(watcher.run(shutdown));
    let changes = Changes {
        rx: Some(rx),
        following,
        safety: Duration::from_secs(config.binlog.safety_pass_seconds),
    };
    (changes, Some(task))
}

/// Changes held for the engine before the watcher says [`Change::Lost`]
/// instead: the engine takes them all at the start of each pass.
const CHANNEL: usize = 1024;
