//! The promise report's arithmetic, pure: which dial kept a callback's
//! promise, how late it was, which bucket it falls in, and the totals of a
//! group. No database and no clock of its own: the rows come from
//! `db::report`, the server's zone from `db::clock`.
//!
//! A callback's promise is kept by the first dial of its lead, by its own
//! campaign, at or after the moment it became dialable: its `callback_time`,
//! or its `entry_time` when it was set for a time already past (the same
//! "later of the two" the pending rule uses). A dial by another campaign
//! calls the customer, but not about this promise, so it does not count.
//! Lateness is measured between instants, through the server's zone: on the
//! spring day of a daylight-saving change, 01:50 to 03:02 server time is
//! 12 minutes, not 72.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use crate::rules::server_zone::ServerZone;
use crate::rules::collation;
use crate::rules::status::CallbackStatus;

/// One callback as the report reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Promise {
    /// `callback_id`.
    pub callback_id: u32,
    /// `lead_id`.
    pub lead_id: u32,
    /// The callback's list.
    pub list_id: u64,
    /// The callback's campaign.
    pub campaign_id: String,
    /// The owning agent.
    pub user: String,
    /// `vicidial_callbacks.user_group`.
    pub user_group: String,
    /// `ANYONE` or `USERONLY`.
    pub recipient: String,
    /// The callback's status now.
    pub status: String,
    /// When it was set (server time).
    pub entry_time: Option<NaiveDateTime>,
    /// When it was promised (server time).
    pub callback_time: NaiveDateTime,
    /// The lead's status now; `None` when the lead row is gone.
    pub lead_status: Option<String>,
    /// Read from `vicidial_callbacks_archive` (purged).
    pub purged: bool,
}

impl Promise {
    /// The moment it became dialable (server time).
    pub(crate) fn dialable_at(&self) -> NaiveDateTime {
        // The hours block is a gate the report names on its own (`late.rs`).
        crate::rules::hours_block::dialable_from(self.callback_time, self.entry_time, 0)
    }


    /// Still to be kept: `ACTIVE`, `LIVE` or `TFHCCL`.
    pub(crate) fn is_open(&self) -> bool {
        crate::rules::status::is_open(&self.status)
    }
}

/// One `vicidial_log` row.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dial {
    /// `lead_id`.
    pub lead_id: u32,
    /// `call_date` (server time).
    pub call_date: NaiveDateTime,
    /// The campaign that dialed.
    pub campaign_id: String,
    /// The call's status (`NA`, `B`, `SALE`, `INCALL`, ...).
    pub status: String,
    /// `VDAD` for the auto-dialer, the agent for a manual dial.
    pub user: String,
}

/// A `vicidial_admin_log` entry that set a lead's callbacks `INACTIVE`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Removal {
    /// `record_id`: the lead.
    pub lead_id: u32,
    /// `event_date` (server time).
    pub at: NaiveDateTime,
    /// The acting user.
    pub user: String,
    /// `event_code`.
    pub code: String,
}

/// Where a callback falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Bucket {
    /// Dialed within the grace.
    OnTime,
    /// Dialed within an hour.
    LateHour,
    /// Dialed within a day (24 hours).
    LateDay,
    /// Dialed more than a day late.
    LateLater,
    /// Still open and not dialed.
    NotYet,
    /// Closed without a dial, or its lead is gone.
    Never,
}

impl Bucket {
    /// Every bucket, in report order.
    pub(crate) const ALL: [Bucket; 6] = [
        Bucket::OnTime,
        Bucket::LateHour,
        Bucket::LateDay,
        Bucket::LateLater,
        Bucket::NotYet,
        Bucket::Never,
    ];

    /// The column heading.
    pub(crate) fn heading(self) -> &'static str {
        match self {
            Bucket::OnTime => "ON TIME",
            Bucket::LateHour => "LATE<1H",
            Bucket::LateDay => "LATE<1D",
            Bucket::LateLater => "LATER",
            Bucket::NotYet => "NOT YET",
            Bucket::Never => "NEVER",
        }
    }

    fn of_lateness(late: Duration, grace: Duration) -> Bucket {
        if late <= grace {
            Bucket::OnTime
        } else if late <= Duration::hours(1) {
            Bucket::LateHour
        } else if late <= Duration::days(1) {
            Bucket::LateDay
        } else {
            Bucket::LateLater
        }
    }
}

/// What became of one callback.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Judged {
    /// The callback.
    pub promise: Promise,
    /// When it became dialable (server time).
    pub dialable_at: NaiveDateTime,
    /// Its bucket.
    pub bucket: Bucket,
    /// The first dial that counts, when there is one.
    pub dial: Option<Dial>,
    /// Seconds from dialable to that dial (real elapsed time).
    pub late_seconds: Option<i64>,
    /// For all but `OnTime`: why, in a few words (grouped on).
    pub reason: String,
    /// The longer answer (for `NotYet`, what `callbacks explain` says).
    pub detail: String,
}

/// Judges one callback from the dials of its lead and the admin log entries
/// that removed its lead's callbacks. `dials` may hold other leads' rows.
/// A `NotYet` callback gets its reason from `callbacks explain` afterwards.
pub(crate) fn judge(
    promise: Promise,
    dials: &[Dial],
    removals: &[Removal],
    zone: &ServerZone,
    grace: Duration,
) -> Judged {
    let dialable_at = promise.dialable_at();
    let from = zone.to_utc(dialable_at);
    let first = dials
        .iter()
        .filter(|d| d.lead_id == promise.lead_id && collation::eq(&d.campaign_id, &promise.campaign_id))
        .map(|d| (zone.to_utc(d.call_date), d))
        .filter(|(utc, _)| *utc >= from)
        .min_by_key(|(utc, d)| (*utc, d.call_date));
    let mut judged = Judged {
        dialable_at,
        bucket: Bucket::Never,
        dial: None,
        late_seconds: None,
        reason: String::new(),
        detail: String::new(),
        promise,
    };
    if let Some((utc, dial)) = first {
        let late = utc - from;
        judged.bucket = Bucket::of_lateness(late, grace);
        judged.late_seconds = Some(late.num_seconds());
        judged.dial = Some(dial.clone());
        return judged;
    }
    let p = &judged.promise;
    let (reason, detail) = match &p.lead_status {
        None => (
            "lead deleted".to_string(),
            format!("lead {} no longer exists", p.lead_id),
        ),
        Some(_) if p.is_open() => {
            judged.bucket = Bucket::NotYet;
            ("not dialed yet".to_string(), String::new())
        }
        Some(lead) if CallbackStatus::Dead.is(&p.status) => {
            let list = match collation::Key::new(lead).as_str() {
                "dncl" => "internal DNC list",
                "dncc" => "campaign DNC list",
                _ => "DNC",
            };
            (
                format!("killed: {list}"),
                format!("DEAD without a dial; its lead is {lead}"),
            )
        }
        Some(_) if CallbackStatus::Inactive.is(&p.status) => {
            let since = p.entry_time.unwrap_or(p.callback_time);
            match removals
                .iter()
                .filter(|r| r.lead_id == p.lead_id && r.at >= since)
                .min_by_key(|r| r.at)
            {
                Some(r) => (
                    "removed by a manager".to_string(),
                    format!("{} by {} at {}", r.code, r.user, r.at.format("%Y-%m-%d %H:%M:%S")),
                ),
                None => (
                    "INACTIVE without a dial".to_string(),
                    "set INACTIVE, and no dial of its campaign since it became dialable".to_string(),
                ),
            }
        }
        Some(_) => (format!("closed as {}", p.status), String::new()),
    };
    judged.reason = reason;
    judged.detail = if p.purged {
        format!("{detail} (purged into vicidial_callbacks_archive)")
            .trim_start()
            .to_string()
    } else {
        detail
    };
    judged
}

/// The lateness at a percentile, nearest-rank: the smallest value with at
/// least `pct` percent of the values at or below it. `sorted` ascending.
pub(crate) fn percentile(sorted: &[i64], pct: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * pct as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The totals of one group of callbacks.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub(crate) struct Totals {
    /// The group's name ("all" for the total).
    pub group: String,
    /// Callbacks.
    pub total: u64,
    /// Per bucket.
    pub on_time: u64,
    /// Dialed within an hour (after the grace).
    pub late_hour: u64,
    /// Dialed within a day.
    pub late_day: u64,
    /// Dialed more than a day late.
    pub late_later: u64,
    /// Open, not dialed.
    pub not_yet: u64,
    /// Closed without a dial, or lead gone.
    pub never: u64,
    /// Lateness of the dialed ones, seconds.
    pub p50_seconds: Option<i64>,
    /// 90th percentile.
    pub p90_seconds: Option<i64>,
    /// The latest.
    pub max_seconds: Option<i64>,
}

impl Totals {
    /// The count of a bucket.
    pub(crate) fn count(&self, b: Bucket) -> u64 {
        match b {
            Bucket::OnTime => self.on_time,
            Bucket::LateHour => self.late_hour,
            Bucket::LateDay => self.late_day,
            Bucket::LateLater => self.late_later,
            Bucket::NotYet => self.not_yet,
            Bucket::Never => self.never,
        }
    }

    /// On time, in percent of every callback of the group.
    pub(crate) fn on_time_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.on_time as f64 * 100.0 / self.total as f64
        }
    }
}

/// Adds up callbacks.
pub(crate) fn totals<'a>(group: &str, judged: impl IntoIterator<Item = &'a Judged>) -> Totals {
    let mut t = Totals {
        group: group.to_string(),
        ..Totals::default()
    };
    let mut late = Vec::new();
    for j in judged {
        t.total += 1;
        let slot = match j.bucket {
            Bucket::OnTime => &mut t.on_time,
            Bucket::LateHour => &mut t.late_hour,
            Bucket::LateDay => &mut t.late_day,
            Bucket::LateLater => &mut t.late_later,
            Bucket::NotYet => &mut t.not_yet,
            Bucket::Never => &mut t.never,
        };
        *slot += 1;
        late.extend(j.late_seconds);
    }
    late.sort_unstable();
    t.p50_seconds = percentile(&late, 50);
    t.p90_seconds = percentile(&late, 90);
    t.max_seconds = late.last().copied();
    t
}

/// How the report groups callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupBy {
    /// The callback's campaign.
    Campaign,
    /// The owning agent.
    Agent,
    /// The server date of its time.
    Day,
    /// The server hour of its time.
    Hour,
}

impl GroupBy {
    /// The group a callback falls in.
    pub(crate) fn key(self, j: &Judged) -> String {
        let p = &j.promise;
        match self {
            GroupBy::Campaign => p.campaign_id.to_uppercase().trim_end().to_string(),
            GroupBy::Agent => p.user.trim_end().to_string(),
            GroupBy::Day => p.callback_time.format("%Y-%m-%d").to_string(),
            GroupBy::Hour => p.callback_time.format("%Y-%m-%d %H:00").to_string(),
        }
    }
}

/// The totals per group (in the group's order), and of all.
pub(crate) fn grouped(judged: &[Judged], by: GroupBy) -> (Vec<Totals>, Totals) {
    let mut groups: BTreeMap<String, Vec<&Judged>> = BTreeMap::new();
    for j in judged {
        groups.entry(by.key(j)).or_default().push(j);
    }
    let rows = groups.iter().map(|(k, v)| totals(k, v.iter().copied())).collect();
    (rows, totals("all", judged))
}

/// Callbacks not dialed on time (late, not yet, never), counted by bucket and reason.
pub(crate) fn reasons(judged: &[Judged]) -> Vec<(Bucket, String, u64)> {
    let mut counts: BTreeMap<(Bucket, String), u64> = BTreeMap::new();
    for j in judged.iter().filter(|j| j.bucket != Bucket::OnTime) {
        *counts.entry((j.bucket, j.reason.clone())).or_default() += 1;
    }
    let mut out: Vec<_> = counts.into_iter().map(|((b, r), n)| (b, r, n)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
    out
}

/// "3 min 20 s", "1 h 05 min", "2 d 3 h".
pub(crate) fn span(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn promise(id: u32, callback: &str) -> Promise {
        Promise {
            callback_id: id,
            lead_id: id,
            campaign_id: "SALES".into(),
            status: "LIVE".into(),
            entry_time: Some(at("2026-03-07 08:00:00")),
            callback_time: at(callback),
            lead_status: Some("CALLBK".into()),
            ..Promise::default()
        }
    }

    fn dial(lead: u32, when: &str, campaign: &str) -> Dial {
        Dial {
            lead_id: lead,
            call_date: at(when),
            campaign_id: campaign.into(),
            status: "NA".into(),
            user: "VDAD".into(),
        }
    }

    /// New York: EST (-5) until 2026-03-08 07:00 UTC, then EDT (-4).
    fn new_york() -> ServerZone {
        ServerZone::new(-5 * 3600, vec![(at("2026-03-08 07:00:00"), -4 * 3600)])
    }

    fn grace() -> Duration {
        Duration::minutes(5)
    }

    #[test]
    fn the_first_dial_of_its_campaign_at_or_after_its_time_keeps_it() {
        let dials = [
            dial(1, "2026-03-07 09:55:00", "SALES"),
            dial(1, "2026-03-07 10:01:00", "OTHER"),
            dial(2, "2026-03-07 10:02:00", "SALES"),
            dial(1, "2026-03-07 10:40:00", "sales "),
            dial(1, "2026-03-07 10:20:00", "SALES"),
        ];
        let j = judge(promise(1, "2026-03-07 10:00:00"), &dials, &[], &new_york(), grace());
        assert_eq!(j.dial.unwrap().call_date, at("2026-03-07 10:20:00"));
        assert_eq!((j.bucket, j.late_seconds), (Bucket::LateHour, Some(1200)));
        let j = judge(promise(1, "2026-03-07 10:40:00"), &dials, &[], &new_york(), grace());
        assert_eq!(
            (j.bucket, j.late_seconds),
            (Bucket::OnTime, Some(0)),
            "same campaign, other case"
        );
    }

    #[test]
    fn grace_hour_and_day_bounds_are_inclusive() {
        let z = ServerZone::fixed(0);
        let p = || promise(1, "2026-03-07 10:00:00");
        let cases = [
            ("2026-03-07 10:05:00", Bucket::OnTime),
            ("2026-03-07 10:05:01", Bucket::LateHour),
            ("2026-03-07 11:00:00", Bucket::LateHour),
            ("2026-03-07 11:00:01", Bucket::LateDay),
            ("2026-03-08 10:00:00", Bucket::LateDay),
            ("2026-03-08 10:00:01", Bucket::LateLater),
        ];
        for (when, bucket) in cases {
            assert_eq!(
                judge(p(), &[dial(1, when, "SALES")], &[], &z, grace()).bucket,
                bucket,
                "{when}"
            );
        }
    }

    #[test]
    fn lateness_is_real_time_across_the_spring_change() {
        let j = judge(
            promise(1, "2026-03-08 01:50:00"),
            &[dial(1, "2026-03-08 03:02:00", "SALES")],
            &[],
            &new_york(),
            grace(),
        );
        assert_eq!((j.bucket, j.late_seconds), (Bucket::LateHour, Some(720)));
    }

    #[test]
    fn a_callback_set_for_a_past_time_is_dialable_from_when_it_was_set() {
        let mut p = promise(1, "2026-03-07 09:00:00");
        p.entry_time = Some(at("2026-03-07 09:30:00"));
        let j = judge(p, &[dial(1, "2026-03-07 09:31:00", "SALES")], &[], &new_york(), grace());
        assert_eq!((j.bucket, j.late_seconds), (Bucket::OnTime, Some(60)));
    }

    #[test]
    fn undialed_callbacks_say_why() {
        let z = new_york();
        let mut p = promise(1, "2026-03-07 10:00:00");
        p.lead_status = None;
        assert_eq!(judge(p, &[], &[], &z, grace()).reason, "lead deleted");
        let mut p = promise(1, "2026-03-07 10:00:00");
        p.status = "DEAD".into();
        p.lead_status = Some("DNCC".into());
        assert_eq!(judge(p, &[], &[], &z, grace()).reason, "killed: campaign DNC list");
        let mut p = promise(1, "2026-03-07 10:00:00");
        p.status = "INACTIVE".into();
        let removal = Removal {
            lead_id: 1,
            at: at("2026-03-07 09:00:00"),
            user: "6666".into(),
            code: "ADMIN MODIFY LEAD".into(),
        };
        let j = judge(p.clone(), &[], std::slice::from_ref(&removal), &z, grace());
        assert_eq!(j.reason, "removed by a manager");
        assert_eq!(j.detail, "ADMIN MODIFY LEAD by 6666 at 2026-03-07 09:00:00");
        let older = Removal {
            at: at("2026-03-07 07:00:00"),
            ..removal
        };
        assert_eq!(
            judge(p, &[], &[older], &z, grace()).reason,
            "INACTIVE without a dial",
            "an entry from before it was set is not its removal"
        );
        let j = judge(promise(1, "2026-03-07 10:00:00"), &[], &[], &z, grace());
        assert_eq!(j.bucket, Bucket::NotYet);
    }

    #[test]
    fn totals_and_nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        let late = [60, 180, 720, 2400, 9000, 90000];
        assert_eq!(percentile(&late, 50), Some(720));
        assert_eq!(percentile(&late, 90), Some(90000));
        assert_eq!(percentile(&[5], 90), Some(5));
        let z = ServerZone::fixed(0);
        let judged: Vec<Judged> = [("2026-03-07 10:01:00", 1), ("2026-03-07 12:00:00", 2)]
            .into_iter()
            .map(|(when, id)| {
                judge(
                    promise(id, "2026-03-07 10:00:00"),
                    &[dial(id, when, "SALES")],
                    &[],
                    &z,
                    grace(),
                )
            })
            .collect();
        let (rows, all) = grouped(&judged, GroupBy::Hour);
        assert_eq!(rows.len(), 1);
        assert_eq!((all.total, all.on_time, all.late_day), (2, 1, 1));
        assert_eq!((all.p50_seconds, all.max_seconds), (Some(60), Some(7200)));
        assert_eq!(all.on_time_rate(), 50.0);
        assert_eq!(span(7200), "2 h 00 min");
        assert_eq!(span(200), "3 min 20 s");
    }
}
