//! The database clock. Every pass reads "now" once from MySQL (or takes the
//! operator's `--now`), never from the host, because VICIdial's DATETIME
//! columns are written in the database server's local time. The server's
//! zone (its offsets and their daylight-saving changes) is read from the
//! database's own conversion (`FROM_UNIXTIME`), so instants in the future
//! convert with the offset in force then, whatever the zone is called.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime};
use mysql_async::Value;

use super::{DbResult, RowReader, Session};
use crate::rules::server_zone::{PassClock, ServerZone};

/// The database's local time and UTC, read in one statement (both are the
/// statement's start time, so they name the same instant: unambiguous even
/// in the autumn's repeated hour).
pub async fn now(session: &mut Session) -> DbResult<(NaiveDateTime, NaiveDateTime)> {
    // Microseconds, so the scheduler can wake right at a callback's second.
    let rows = session.select("SELECT NOW(6), UTC_TIMESTAMP(6)", vec![]).await?;
    let mut r = RowReader::new(rows.into_iter().next().expect("SELECT returns one row"));
    let now = r.datetime(0).unwrap_or_default();
    Ok((now, r.datetime(1).unwrap_or(now)))
}

/// The clock of one pass: the database's, or `at` (server local time, the
/// first such instant when it happened twice) for `--now`.
pub async fn read(session: &mut Session, at: Option<NaiveDateTime>, zone: Arc<ServerZone>) -> DbResult<PassClock> {
    Ok(match at {
        None => {
            let (now, utc) = now(session).await?;
            PassClock { now, utc, zone }
        }
        Some(t) => PassClock {
            now: t,
            utc: zone.to_utc(t),
            zone,
        },
    })
}

/// The server's offsets (seconds east of UTC) at some instants, as the
/// database converts them.
async fn offsets(session: &mut Session, epochs: &[i64]) -> DbResult<Vec<i32>> {
    let exprs = vec![
        "TIMESTAMPDIFF(SECOND, TIMESTAMP'1970-01-01 00:00:00' + INTERVAL ? SECOND, FROM_UNIXTIME(?))";
        epochs.len()
    ];
    let params: Vec<Value> = epochs.iter().flat_map(|&e| [Value::from(e), Value::from(e)]).collect();
    let rows = session.select(&format!("SELECT {}", exprs.join(", ")), params).await?;
    let mut r = RowReader::new(rows.into_iter().next().expect("SELECT returns one row"));
    Ok((0..epochs.len()).map(|i| r.int(i).unwrap_or(0) as i32).collect())
}

/// The server's zone from `days_before` days before `center` (UTC) to
/// `days_after` after: the offset at daily probes, and each change found
/// between two probes narrowed down to the second.
pub async fn zone(
    session: &mut Session,
    center: NaiveDateTime,
    days_before: i64,
    days_after: i64,
) -> DbResult<ServerZone> {
    const DAY: i64 = 86_400;
    let start = center.and_utc().timestamp() - days_before * DAY;
    let probes: Vec<i64> = (0..=days_before + days_after).map(|d| start + d * DAY).collect();
    let found = offsets(session, &probes).await?;
    let mut changes = Vec::new();
    for i in 1..probes.len() {
        if found[i] == found[i - 1] {
            continue;
        }
        // The offset changes somewhere in (lo, hi]: narrow it to the second.
        let (mut lo, mut hi) = (probes[i - 1], probes[i]);
        while hi - lo > 1 {
            let step = ((hi - lo) / 64).max(1);
            let points: Vec<i64> = (1..64).map(|k| lo + k * step).filter(|&p| p < hi).collect();
            let got = offsets(session, &points).await?;
            match got.iter().position(|&o| o != found[i - 1]) {
                Some(0) => hi = points[0],
                Some(k) => (lo, hi) = (points[k - 1], points[k]),
                None => lo = *points.last().unwrap_or(&lo),
            }
            if points.is_empty() {
                break;
            }
        }
        if let Some(at) = DateTime::from_timestamp(hi, 0) {
            changes.push((at.naive_utc(), found[i]));
        }
    }
    Ok(ServerZone::new(found[0], changes))
}

/// A zone known to cover a span of time, so the engine knows when to read it again.
#[derive(Clone, Debug)]
pub struct CoveredZone {
    /// The zone.
    pub zone: Arc<ServerZone>,
    /// The UTC span its probes covered.
    pub from: NaiveDateTime,
    /// End of that span.
    pub to: NaiveDateTime,
}

impl CoveredZone {
    /// Reads the zone around `utc`, covering `horizon_days` ahead and a few days back.
    pub async fn read(session: &mut Session, utc: NaiveDateTime, horizon_days: u32) -> DbResult<CoveredZone> {
        let after = i64::from(horizon_days) + 3;
        let zone = zone(session, utc, 3, after).await?;
        Ok(CoveredZone {
            zone: Arc::new(zone),
            from: utc - Duration::days(3),
            to: utc + Duration::days(after),
        })
    }

    /// Whether it still covers a pass at `utc` looking `horizon_days` ahead.
    pub fn covers(&self, utc: NaiveDateTime, horizon_days: u32) -> bool {
        utc - Duration::days(1) >= self.from && utc + Duration::days(i64::from(horizon_days) + 1) <= self.to
    }
}
