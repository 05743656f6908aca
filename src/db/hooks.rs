//! Test hooks between writes, compiled only with the `test-hooks` feature
//! (the tests and the benchmark): a failure, as if the process died there;
//! another process's statements, or a pause while a test acts as one, as if
//! they raced the daemon there; and the longest statement seen, for the
//! benchmark.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

use super::{Db, DbError, DbResult};

/// The hooks of one pool (shared by its clones and sessions).
#[derive(Clone)]
pub(crate) struct Faults {
    /// Writes still allowed before an injected failure; negative: no limit.
    write_budget: Arc<AtomicI64>,
    /// SQL to run (once) before the write after this many more writes.
    interleave: Arc<std::sync::Mutex<Option<(i64, String)>>>,
    /// A pause (once) before the write after this many more writes.
    pause: Arc<std::sync::Mutex<Option<(i64, Pause)>>>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            write_budget: Arc::new(AtomicI64::new(-1)),
            interleave: Arc::default(),
            pause: Arc::default(),
        }
    }
}

/// Takes the slot's value when its countdown reaches this write.
fn due<T>(slot: &std::sync::Mutex<Option<(i64, T)>>) -> Option<T> {
    let mut slot = slot.lock().expect("not poisoned");
    match slot.as_mut() {
        Some((0, _)) => slot.take().map(|(_, v)| v),
        Some((n, _)) => {
            *n -= 1;
            None
        }
        None => None,
    }
}

impl Faults {
    /// Runs what a test set up for the write about to be sent on `conn`.
    pub(crate) async fn before_write(&self, conn: &mut Conn) -> DbResult<()> {
        let left = self.write_budget.load(Ordering::SeqCst);
        if left == 0 {
            return Err(DbError::Injected(left));
        }
        if left > 0 {
            self.write_budget.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(sql) = due(&self.interleave) {
            conn.query_drop(sql).await?;
        }
        if let Some(pause) = due(&self.pause) {
            pause.reached.notify_one();
            pause.resume.notified().await;
        }
        Ok(())
    }
}

/// A test's hold on a pass at one write: [`Pause::reached`] resolves when
/// the pass stopped there (about to send that write), and the pass goes on
/// after [`Pause::resume`]. Meanwhile the test acts as another process.
#[derive(Clone, Default)]
pub struct Pause {
    reached: Arc<tokio::sync::Notify>,
    resume: Arc<tokio::sync::Notify>,
}

impl Pause {
    /// Waits until the pass stopped at the write.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the pass send the write and go on.
    pub fn resume(&self) {
        self.resume.notify_one();
    }
}

impl Db {
    /// The write after `writes` more writes fails (and every one after
    /// it), as if the process had died there.
    pub fn fail_after_writes(&self, writes: i64) {
        self.faults.write_budget.store(writes, Ordering::SeqCst);
    }

    /// `sql` runs once, on the same connection, right before the write
    /// after `writes` more writes, as another process racing the daemon.
    pub fn interleave_before_write(&self, writes: i64, sql: &str) {
        *self.faults.interleave.lock().expect("not poisoned") = Some((writes, sql.to_string()));
    }

    /// The write after `writes` more writes waits until the returned
    /// [`Pause`] is resumed, as if the process were slow there while
    /// another raced it.
    pub fn pause_before_write(&self, writes: i64) -> Pause {
        let pause = Pause::default();
        *self.faults.pause.lock().expect("not poisoned") = Some((writes, pause.clone()));
        pause
    }
}

/// The longest any statement of this process took, in microseconds (for the
/// benchmark: the dialer waits behind MyISAM table locks that long).
static LONGEST_STATEMENT_US: AtomicU64 = AtomicU64::new(0);

/// The longest statement so far, in microseconds; `reset` starts over.
pub fn longest_statement_us(reset: bool) -> u64 {
    if reset {
        LONGEST_STATEMENT_US.swap(0, Ordering::Relaxed)
    } else {
        LONGEST_STATEMENT_US.load(Ordering::Relaxed)
    }
}

/// Notes a statement's time.
pub(crate) fn statement_took(us: u64) {
    LONGEST_STATEMENT_US.fetch_max(us, Ordering::Relaxed);
}
