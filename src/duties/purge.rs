//! The daily purge, on its own task and connection: `callbacks purge`'s
//! code ([`crate::manage::purge`]) run once a day after `[purge].time`, as
//! the daemon (`VDAD`), when `[purge]` is enabled.

use chrono::{NaiveDate, NaiveDateTime};
use tracing::{info, warn};

use crate::config::PurgeConfig;
use crate::db::manage::PurgeScope;
use crate::db::{Db, DbResult, Session};
use crate::manage::common::Actor;
use crate::manage::purge::{PurgeReport, purge};
use crate::ops::Shutdown;

/// How long after a failed scheduled purge it is tried again.
pub const RETRY: std::time::Duration = std::time::Duration::from_secs(300);

/// The daily purge: remembers the server date it last ran, and when it last failed.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    last_run: Option<NaiveDate>,
    failed_at: Option<std::time::Instant>,
}

/// How often the scheduled purge looks at the clock.
const EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The scheduled purge, on its own task and connection until `shutdown`:
/// once a day after its time of day; a failure is logged, counted
/// (`callbackd_duty_failures_total`) and tried again after [`RETRY`].
pub async fn run(db: Db, config: PurgeConfig, mut shutdown: Shutdown) {
    let mut schedule = Schedule::default();
    loop {
        let ran = async {
            let mut s = db.session().await?;
            let (now, _) = crate::db::clock::now(&mut s).await?;
            schedule.tick(&mut s, now, &config).await
        };
        if let Err(e) = ran.await {
            schedule.failed();
            crate::ops::metrics::global().duty_failed("purge");
            warn!("scheduled purge failed: {e}; tried again in {} s", RETRY.as_secs());
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.recv() => return,
        }
    }
}

impl Schedule {
    /// The run just tried failed: the next try waits [`RETRY`].
    pub fn failed(&mut self) {
        self.failed_at = Some(std::time::Instant::now());
    }

    /// Runs the purge when `[purge]` is enabled, `now` (server time) is past
    /// its time of day, it has not run today and did not fail within
    /// [`RETRY`]; `None` when it did not run. Logged, and written to the
    /// admin log as the daemon (`VDAD`).
    pub async fn tick(
        &mut self,
        s: &mut Session,
        now: NaiveDateTime,
        config: &PurgeConfig,
    ) -> DbResult<Option<PurgeReport>> {
        let Some(at) = config.time().filter(|_| config.enabled) else {
            return Ok(None);
        };
        if now.time() < at || self.last_run == Some(now.date()) || self.failed_at.is_some_and(|t| t.elapsed() < RETRY) {
            return Ok(None);
        }
        let scope = PurgeScope {
            older_than_seconds: (config.older_than_days > 0).then(|| u64::from(config.older_than_days) * 86_400),
            non_callback_leads: config.non_callback_leads,
            duplicates: config.duplicates,
        };
        let report = purge(s, &scope, &Actor::daemon(), false).await?;
        self.last_run = Some(now.date());
        info!("scheduled purge: {report}");
        Ok(Some(report))
    }
}
