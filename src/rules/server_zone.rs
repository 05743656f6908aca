//! Time as the daemon keeps it. VICIdial's DATETIME columns are in the
//! database server's local time, which in most call centers observes
//! daylight saving: in the autumn one local hour happens twice, in the spring
//! one never happens. So every instant the daemon reasons about is held in
//! UTC, and converted to server-local time only through a [`ServerZone`],
//! the server's own offsets (with their changes) as the database reports them
//! (`db::clock`), never a single offset carried across a change.

use std::sync::Arc;

use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime};

/// The server's offsets from UTC over a span of time: `base` until the first
/// change, then each change's new offset from its instant (UTC) on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerZone {
    base: i32,
    changes: Vec<(NaiveDateTime, i32)>,
}

impl ServerZone {
    /// A zone that never changes (a server on UTC, or a test).
    #[cfg(test)]
    pub fn fixed(offset_seconds: i32) -> ServerZone {
        ServerZone {
            base: offset_seconds,
            changes: vec![],
        }
    }

    /// A zone from its offset before `changes`, and the changes in time order.
    pub fn new(base: i32, mut changes: Vec<(NaiveDateTime, i32)>) -> ServerZone {
        changes.sort_by_key(|(at, _)| *at);
        ServerZone { base, changes }
    }

    /// The changes of offset, as `(instant in UTC, new offset in seconds)`
    /// (for the tests that compare them with MySQL's own table).
    #[cfg(feature = "test-hooks")]
    pub fn changes(&self) -> &[(NaiveDateTime, i32)] {
        &self.changes
    }

    /// The offset in force at a UTC instant.
    pub fn offset_at(&self, utc: NaiveDateTime) -> FixedOffset {
        let secs = self
            .changes
            .iter()
            .take_while(|(at, _)| *at <= utc)
            .last()
            .map_or(self.base, |(_, o)| *o);
        FixedOffset::east_opt(secs).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// Server-local wall time of a UTC instant.
    pub fn to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        utc + Duration::seconds(self.offset_at(utc).local_minus_utc().into())
    }

    /// The earliest UTC instant whose server-local time is `local`. A local
    /// time that happens twice (autumn) gives the first; one that never
    /// happens (spring) gives the instant the clock jumped past it.
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        let mut offsets = vec![self.base];
        offsets.extend(self.changes.iter().map(|(_, o)| *o));
        let mut candidates: Vec<NaiveDateTime> = offsets
            .iter()
            .map(|o| local - Duration::seconds((*o).into()))
            .filter(|utc| self.to_local(*utc) == local)
            .collect();
        candidates.sort();
        if let Some(first) = candidates.first() {
            return *first;
        }
        // In a gap: the change that skipped it.
        self.changes
            .iter()
            .map(|(at, _)| *at)
            .find(|at| self.to_local(*at) > local)
            .unwrap_or(local - Duration::seconds(self.base.into()))
    }

    /// The server's date at a UTC instant (holidays and list expiry use it).
    pub fn date_at(&self, utc: NaiveDateTime) -> NaiveDate {
        self.to_local(utc).date()
    }
}

/// The instant one pass works at, in server local time and in UTC, with the
/// server's zone to convert other instants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassClock {
    /// Server local time, comparable with VICIdial's DATETIME columns.
    pub now: NaiveDateTime,
    /// The same instant in UTC (for leads' local times).
    pub utc: NaiveDateTime,
    /// The server's offsets around this instant.
    pub zone: Arc<ServerZone>,
}

impl PassClock {
    /// A clock at a UTC instant in a zone.
    pub fn at_utc(utc: NaiveDateTime, zone: Arc<ServerZone>) -> PassClock {
        PassClock {
            now: zone.to_local(utc),
            utc,
            zone,
        }
    }

    /// The server's date (for holidays and list expiration).
    pub fn today(&self) -> NaiveDate {
        self.now.date()
    }

    /// Converts a UTC instant to server local time, with the offset in force then.
    pub fn to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        self.zone.to_local(utc)
    }

    /// Converts a server-local time to UTC (the first, when it happened twice).
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        self.zone.to_utc(local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// New York in 2026: EST (-5) until 2026-03-08 07:00 UTC, EDT (-4) until
    /// 2026-11-01 06:00 UTC, EST after.
    fn new_york() -> ServerZone {
        ServerZone::new(
            -5 * 3600,
            vec![
                (at("2026-03-08 07:00:00"), -4 * 3600),
                (at("2026-11-01 06:00:00"), -5 * 3600),
            ],
        )
    }

    #[test]
    fn offsets_follow_the_changes() {
        let z = new_york();
        assert_eq!(z.to_local(at("2026-03-08 06:59:59")), at("2026-03-08 01:59:59"));
        assert_eq!(z.to_local(at("2026-03-08 07:00:00")), at("2026-03-08 03:00:00"));
        assert_eq!(z.to_local(at("2026-11-01 05:30:00")), at("2026-11-01 01:30:00"));
        assert_eq!(z.to_local(at("2026-11-01 06:30:00")), at("2026-11-01 01:30:00"));
        assert_eq!(
            z.date_at(at("2026-07-01 03:00:00")),
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
        );
    }

    #[test]
    fn local_to_utc_takes_the_first_of_a_repeated_hour_and_jumps_a_gap() {
        let z = new_york();
        assert_eq!(z.to_utc(at("2026-11-01 01:30:00")), at("2026-11-01 05:30:00"));
        assert_eq!(z.to_utc(at("2026-11-01 02:30:00")), at("2026-11-01 07:30:00"));
        assert_eq!(z.to_utc(at("2026-03-08 02:30:00")), at("2026-03-08 07:00:00"));
        assert_eq!(z.to_utc(at("2026-03-08 03:00:00")), at("2026-03-08 07:00:00"));
        assert_eq!(z.to_utc(at("2026-07-04 12:00:00")), at("2026-07-04 16:00:00"));
        assert_eq!(
            ServerZone::fixed(0).to_utc(at("2026-07-04 12:00:00")),
            at("2026-07-04 12:00:00")
        );
    }

    #[test]
    fn a_clock_converts_with_the_offset_in_force_then() {
        let clock = PassClock::at_utc(at("2026-03-07 12:00:00"), Arc::new(new_york()));
        assert_eq!(clock.now, at("2026-03-07 07:00:00"));
        // A day later the server is on EDT: not the pass's EST offset.
        assert_eq!(clock.to_local(at("2026-03-08 12:00:00")), at("2026-03-08 08:00:00"));
    }
}
