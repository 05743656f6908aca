//! The database clock. Every pass reads "now" once from MySQL (or takes the
//! operator's `--now`), never from the host, because VICIdial's DATETIME
//! columns are written in the database server's local time.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime};
use mysql_async::Value;

use super::{DbResult, RowReader, Session};

/// The instant one pass works at, in server local time and in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassClock {
    /// Server local time, comparable with VICIdial's DATETIME columns.
    pub now: NaiveDateTime,
    /// The same instant in UTC (for leads' local times).
    pub utc: NaiveDateTime,
}

impl PassClock {
    /// The server's offset from UTC at this instant, to the minute.
    pub fn offset(&self) -> FixedOffset {
        let secs = (self.now - self.utc).num_seconds();
        let minutes = (secs as f64 / 60.0).round() as i32;
        FixedOffset::east_opt(minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// The server's date (for holidays and list expiration).
    pub fn today(&self) -> NaiveDate {
        self.now.date()
    }

    /// Converts a UTC instant to server local time, at this pass's offset.
    pub fn to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        utc + Duration::seconds(self.offset().local_minus_utc().into())
    }
}

/// Reads the database clock, or interprets `at` (server local time) with the
/// database's time zone rules, so `--now` agrees with what the running daemon
/// would see at that moment.
pub async fn read(session: &mut Session, at: Option<NaiveDateTime>) -> DbResult<PassClock> {
    let rows = match at {
        // Microseconds, so the scheduler can wake right at a callback's second.
        None => session.select("SELECT NOW(6), UNIX_TIMESTAMP(NOW(6))", vec![]).await?,
        Some(t) => {
            let v = Value::from(t);
            session
                .select("SELECT CAST(? AS DATETIME), UNIX_TIMESTAMP(?)", vec![v.clone(), v])
                .await?
        }
    };
    let mut r = RowReader::new(rows.into_iter().next().expect("SELECT returns one row"));
    let now = r.datetime(0).unwrap_or_default();
    let epoch: f64 = r.text(1).parse().unwrap_or_default();
    let micros = (epoch * 1e6).round() as i64;
    let utc = DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc())
        .unwrap_or(now);
    Ok(PassClock { now, utc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_local_time() {
        let utc = NaiveDate::from_ymd_opt(2026, 1, 10)
            .unwrap()
            .and_hms_opt(15, 0, 0)
            .unwrap();
        let now = utc - Duration::hours(5);
        let clock = PassClock { now, utc };
        assert_eq!(clock.offset().local_minus_utc(), -5 * 3600);
        assert_eq!(clock.to_local(utc + Duration::hours(1)), now + Duration::hours(1));
        assert_eq!(clock.today(), now.date());
    }
}
