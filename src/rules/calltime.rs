//! VICIdial call-time rules (`docs/vicidial.md`, section "Call times"): whether a lead may be dialled
//! now, and when it next may be.

use std::collections::HashMap;
use std::iter;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::rules::server_zone::ServerZone;
use crate::rules::collation::{self, Key};

/// HHMM window: a lead is inside when `start <= HHMM < stop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Window {
    /// First HHMM inside the window (2400 or more: never reached).
    pub start: i32,
    /// First HHMM past the window.
    pub stop: i32,
}

/// Day windows of a call time or state rule: index 0 = Sunday .. 6 = Saturday.
/// A day of 0/0 falls back to `default`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Week {
    /// The `*_default_start`/`*_default_stop` pair.
    pub default: Window,
    /// The `*_sunday_*` .. `*_saturday_*` pairs.
    pub days: [Window; 7],
}

/// A row of vicidial_call_times.
#[derive(Clone, Debug)]
pub struct CallTime {
    /// `call_time_id`.
    pub id: String,
    /// The `ct_*_start`/`ct_*_stop` columns.
    pub week: Week,
    /// Ids from `ct_state_call_times`.
    pub state_rules: Vec<String>,
    /// Ids from `ct_holidays`.
    pub holidays: Vec<String>,
}

/// A row of vicidial_state_call_times.
#[derive(Clone, Debug)]
pub struct StateRule {
    /// `state_call_time_id`.
    pub id: String,
    /// `state_call_time_state`, compared with the lead's `state`.
    pub state: String,
    /// The `sct_*_start`/`sct_*_stop` columns.
    pub week: Week,
    /// Ids from the rule's own `ct_holidays`; empty means the call time's holidays apply.
    pub holidays: Vec<String>,
}

/// A row of vicidial_call_time_holidays.
#[derive(Clone, Debug)]
pub struct Holiday {
    /// `holiday_id`.
    pub id: String,
    /// `holiday_date`, a server-local date.
    pub date: NaiveDate,
    /// True when `holiday_status` is `ACTIVE`.
    pub active: bool,
    /// The holiday's `ct_default_start`/`ct_default_stop`.
    pub window: Window,
}

/// A lead's offset in hundredths of an hour (-350 = -3.50), as stored in gmt_offset_now DECIMAL(4,2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GmtOffset(pub i32);

impl GmtOffset {
    /// Parses VICIdial's decimal text ("-5.00", "5.75", "+13.00", "-3.5"); None when not a number.
    /// Extra decimals round half away from zero, as MySQL does when storing into DECIMAL(4,2).
    pub fn parse(text: &str) -> Option<GmtOffset> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        // Checked by hand because `str::parse` would also accept a second sign.
        let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
            return None;
        }
        let whole: i32 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let digit = |i: usize| fraction.as_bytes().get(i).map_or(0, |b| i32::from(b - b'0'));
        let hundredths = whole
            .checked_mul(100)?
            .checked_add(digit(0) * 10 + digit(1) + i32::from(digit(2) >= 5))?;
        Some(GmtOffset(if negative { -hundredths } else { hundredths }))
    }

    /// True on VICIdial's quarter-hour grid from -12.75 to +13.00.
    pub fn on_grid(self) -> bool {
        self.0 % 25 == 0 && (-1275..=1300).contains(&self.0)
    }

    /// The offset as a duration; exact only on the grid, which is all the callers use.
    pub fn delta(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.0) * 3 / 5)
    }
}

/// Splits VICIdial's `|a|b|` id lists as its hopper job does: nothing when
/// the text is 2 characters or shorter (`length(...)>2`, `AST_VDhopper.pl`
/// lines 1638, 1813, VICIdial 2.14), else the pieces between bars, spaces kept (each is then
/// matched in SQL, where only trailing spaces are ignored).
pub fn parse_id_list(text: &str) -> Vec<String> {
    if text.len() <= 2 {
        return vec![];
    }
    text.split('|').filter(|id| !id.is_empty()).map(str::to_owned).collect()
}

/// Where a lead is: its offset and its state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeadZone {
    /// The lead's `gmt_offset_now`.
    pub gmt_offset: GmtOffset,
    /// The lead's `state`, matched against state rules.
    pub state: String,
}

/// The campaign call time is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("call time {0:?} does not exist")]
pub struct UnknownCallTime(pub String);

/// Every call time, state rule and holiday, loaded once per pass, by id as
/// MySQL matches ids ([`Key`]: VICIdial looks each one up in SQL).
#[derive(Clone, Debug, Default)]
pub struct CallTimes {
    times: HashMap<Key, CallTime>,
    rules: HashMap<Key, StateRule>,
    holidays: HashMap<Key, Holiday>,
}

impl CallTimes {
    /// Indexes the rows by id; a later row with a repeated id replaces the earlier one.
    pub fn new(times: Vec<CallTime>, rules: Vec<StateRule>, holidays: Vec<Holiday>) -> Self {
        Self {
            times: times.into_iter().map(|t| (Key::new(&t.id), t)).collect(),
            rules: rules.into_iter().map(|r| (Key::new(&r.id), r)).collect(),
            holidays: holidays.into_iter().map(|h| (Key::new(&h.id), h)).collect(),
        }
    }

    /// True when a call time with this id exists.
    #[cfg(test)]
    pub fn contains(&self, id: &str) -> bool {
        self.times.contains_key(&Key::new(id))
    }

    /// Whether the lead may be called at `utc`, with the server in `server`
    /// (for holiday dates). `list_call_time` is the list's `local_call_time`
    /// (None, "campaign", "" or unknown: ignored).
    pub fn allows(
        &self,
        campaign_call_time: &str,
        list_call_time: Option<&str>,
        zone: &LeadZone,
        utc: NaiveDateTime,
        server: &ServerZone,
    ) -> Result<bool, UnknownCallTime> {
        let schedules = self.schedules(campaign_call_time, list_call_time, &zone.state)?;
        Ok(open(&schedules, zone.gmt_offset, utc, server))
    }

    /// The first instant at or after `utc` (minute resolution; `utc` itself when callable now) at which `allows` is true,
    /// searching up to `horizon_days` days ahead; None when never within that horizon or the offset is off-grid.
    pub fn next_opening(
        &self,
        campaign_call_time: &str,
        list_call_time: Option<&str>,
        zone: &LeadZone,
        utc: NaiveDateTime,
        server: &ServerZone,
        horizon_days: u32,
    ) -> Result<Option<NaiveDateTime>, UnknownCallTime> {
        let schedules = self.schedules(campaign_call_time, list_call_time, &zone.state)?;
        let offset = zone.gmt_offset;
        if !offset.on_grid() {
            return Ok(None);
        }
        if open(&schedules, offset, utc, server) {
            return Ok(Some(utc));
        }
        let end = utc
            .checked_add_signed(TimeDelta::days(horizon_days.into()))
            .unwrap_or(NaiveDateTime::MAX);
        Ok(search(&schedules, offset, utc, end, server))
    }

    /// The first minute boundary after `utc`, within `limit`, at which
    /// `allows` turns false: when a lead callable now stops being callable
    /// (its window's stop, a server midnight bringing a holiday). `utc +
    /// limit` when it stays callable that long; `utc` when it is not
    /// callable now. A hopper insert carries it as its deadline, so a
    /// statement that runs late cannot queue a lead whose window closed.
    pub fn closes_within(
        &self,
        campaign_call_time: &str,
        list_call_time: Option<&str>,
        zone: &LeadZone,
        utc: NaiveDateTime,
        server: &ServerZone,
        limit: TimeDelta,
    ) -> Result<NaiveDateTime, UnknownCallTime> {
        let schedules = self.schedules(campaign_call_time, list_call_time, &zone.state)?;
        if !open(&schedules, zone.gmt_offset, utc, server) {
            return Ok(utc);
        }
        let end = utc + limit;
        // HHMM changes on minute boundaries (lead offsets are whole quarter
        // hours, so the lead's minutes and UTC's coincide).
        let mut t = utc.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(utc) + TimeDelta::minutes(1);
        while t < end {
            if !open(&schedules, zone.gmt_offset, t, server) {
                return Ok(t);
            }
            t += TimeDelta::minutes(1);
        }
        Ok(end)
    }

    /// Every window that must hold for the call: the campaign's, then the list's.
    fn schedules(&self, campaign: &str, list: Option<&str>, state: &str) -> Result<Vec<Schedule<'_>>, UnknownCallTime> {
        let campaign = self
            .times
            .get(&Key::new(campaign))
            .ok_or_else(|| UnknownCallTime(campaign.to_owned()))?;
        // `$cur_call_time !~ /^campaign$/` (`AST_VDhopper.pl` line 2271, VICIdial 2.14) is
        // Perl's exact match, checked before the SQL lookup, so a call time
        // really named "campaign" is still ignored; a list call time that
        // does not exist counts as "campaign" (line 2278).
        let list = list
            .filter(|id| *id != "campaign")
            .and_then(|id| self.times.get(&Key::new(id)));
        let mut schedules = Vec::new();
        for (time, whose) in iter::once((campaign, "campaign")).chain(list.map(|l| (l, "list"))) {
            let before = schedules.len();
            for rule in time
                .state_rules
                .iter()
                .filter_map(|id| self.rules.get(&Key::new(id)))
                .filter(|rule| same_state(&rule.state, state))
            {
                let holidays = if rule.holidays.is_empty() {
                    &time.holidays
                } else {
                    &rule.holidays
                };
                let source = format!(
                    "state rule {} ({}) of {whose} call time {}",
                    rule.id, rule.state, time.id
                );
                schedules.push(self.schedule(&rule.week, holidays, source));
            }
            // Matching state rules replace the call time's own week.
            if schedules.len() == before {
                schedules.push(self.schedule(&time.week, &time.holidays, format!("{whose} call time {}", time.id)));
            }
        }
        Ok(schedules)
    }

    /// Each window that decides whether the lead may be called at `utc`
    /// (the same windows `allows` checks), for explaining a hold: where it
    /// comes from, the lead's weekday, the window that day, the holiday
    /// that narrowed it, and whether it is open.
    pub fn windows_at(
        &self,
        campaign_call_time: &str,
        list_call_time: Option<&str>,
        zone: &LeadZone,
        utc: NaiveDateTime,
        server: &ServerZone,
    ) -> Result<Vec<WindowState>, UnknownCallTime> {
        let schedules = self.schedules(campaign_call_time, list_call_time, &zone.state)?;
        let local = utc.checked_add_signed(zone.gmt_offset.delta()).unwrap_or(utc);
        let weekday = local.weekday().num_days_from_sunday() as usize;
        let hhmm = (local.hour() * 100 + local.minute()) as i32;
        Ok(schedules
            .iter()
            .map(|schedule| {
                let (window, default_day, holiday) = schedule.window(weekday, server.date_at(utc));
                WindowState {
                    source: schedule.source.clone(),
                    lead_time: local,
                    default_day,
                    window,
                    holiday: holiday.map(|h| h.id.clone()),
                    open: zone.gmt_offset.on_grid() && window.start <= hhmm && hhmm < window.stop,
                }
            })
            .collect())
    }

    fn schedule<'a>(&'a self, week: &'a Week, holiday_ids: &[String], source: String) -> Schedule<'a> {
        let mut holidays: Vec<&Holiday> = holiday_ids
            .iter()
            .filter_map(|id| self.holidays.get(&Key::new(id)))
            .filter(|holiday| holiday.active)
            .collect();
        // VICIdial takes the first matching row `order by holiday_id` (under
        // the column's collation), not by list order.
        holidays.sort_by_key(|h| Key::new(&h.id));
        holidays.dedup_by_key(|h| Key::new(&h.id));
        Schedule { week, holidays, source }
    }
}

/// One window that decides a call, as [`CallTimes::windows_at`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowState {
    /// Where it comes from: `campaign call time 9am-9pm`, `state rule ... of ...`, `list call time ...`.
    pub source: String,
    /// The lead's local time it was evaluated at.
    pub lead_time: NaiveDateTime,
    /// True when the weekday's pair is 0/0 and the default pair applies.
    pub default_day: bool,
    /// The window in force (after a holiday's narrowing).
    pub window: Window,
    /// The active holiday of the server's date that narrowed it.
    pub holiday: Option<String>,
    /// Whether it allows the call at that time.
    pub open: bool,
}

/// One week (with the active holidays that may narrow it) that must allow the call.
struct Schedule<'a> {
    week: &'a Week,
    holidays: Vec<&'a Holiday>,
    /// What the week comes from, for explanations.
    source: String,
}

impl Schedule<'_> {
    fn allows(&self, weekday: usize, hhmm: i32, server_date: NaiveDate) -> bool {
        let (window, _, _) = self.window(weekday, server_date);
        window.start <= hhmm && hhmm < window.stop
    }

    /// The window of a weekday (or the default pair when the day's is 0/0),
    /// narrowed by the first active holiday of the server's date.
    fn window(&self, weekday: usize, server_date: NaiveDate) -> (Window, bool, Option<&Holiday>) {
        let day = self.week.days[weekday];
        let default_day = day == Window::default();
        let mut window = if default_day { self.week.default } else { day };
        // VICIdial narrows only pairs with stop > 0 (`docs/vicidial.md`, section "Call times");
        // others are empty already and
        // narrowing never widens, so applying it unconditionally gives the same answer.
        let holiday = self.holidays.iter().find(|h| h.date == server_date).copied();
        if let Some(holiday) = holiday {
            window.start = window.start.max(holiday.window.start);
            window.stop = window.stop.min(holiday.window.stop);
        }
        (window, default_day, holiday)
    }

    /// Every start that can bound an effective window from below.
    fn starts(&self) -> impl Iterator<Item = i32> + '_ {
        iter::once(self.week.default.start)
            .chain(self.week.days.iter().map(|w| w.start))
            .chain(self.holidays.iter().map(|h| h.window.start))
    }
}

/// Lead states match in VICIdial's SQL (`state='$state'`, `AST_VDhopper.pl`
/// line 2004, VICIdial 2.14; `docs/vicidial.md`, section "Collation"), so as MySQL's collation compares them.
fn same_state(rule: &str, lead: &str) -> bool {
    collation::eq(rule, lead)
}

/// Whether every schedule allows a lead at `offset` at `utc`; never off the grid.
fn open(schedules: &[Schedule<'_>], offset: GmtOffset, utc: NaiveDateTime, server: &ServerZone) -> bool {
    if !offset.on_grid() {
        return false;
    }
    let Some(local) = utc.checked_add_signed(offset.delta()) else {
        return false;
    };
    let weekday = local.weekday().num_days_from_sunday() as usize;
    let hhmm = (local.hour() * 100 + local.minute()) as i32;
    let server_date = server.date_at(utc);
    schedules.iter().all(|schedule| schedule.allows(weekday, hhmm, server_date))
}

/// First lead-local minute of the day whose HHMM is at least `start`; None when no minute is.
fn reach(start: i32) -> Option<i64> {
    if start <= 0 {
        return Some(0);
    }
    let (hour, minute) = (i64::from(start / 100), i64::from(start % 100));
    let first = if minute >= 60 {
        (hour + 1) * 60
    } else {
        hour * 60 + minute
    };
    (first < 24 * 60).then_some(first)
}

/// Earliest callable instant in (`utc`, `end`). Within one lead-local day and one server
/// date every schedule is an interval of minutes, so the answer is a reached start or a server
/// midnight (found with the server's offset of that day, so a daylight-saving change in
/// between moves it); only those candidates are tried.
fn search(
    schedules: &[Schedule<'_>],
    offset: GmtOffset,
    utc: NaiveDateTime,
    end: NaiveDateTime,
    server: &ServerZone,
) -> Option<NaiveDateTime> {
    let lead = offset.delta();
    // Seconds into the lead-local day at which some schedule may open.
    let starts: Vec<i64> = schedules
        .iter()
        .flat_map(Schedule::starts)
        .filter_map(reach)
        .map(|minute| minute * 60)
        .collect();
    let mut day = utc.checked_add_signed(lead)?.date();
    loop {
        let midnight = day.and_time(NaiveTime::MIN).checked_sub_signed(lead)?;
        let next_midnight = midnight.checked_add_signed(TimeDelta::days(1))?;
        let mut candidates: Vec<NaiveDateTime> = starts
            .iter()
            .filter_map(|&mark| midnight.checked_add_signed(TimeDelta::seconds(mark)))
            .collect();
        // Server midnights that fall inside this lead-local day.
        let server_day = server.date_at(midnight);
        for date in [server_day, server_day.succ_opt()?] {
            let at = server.to_utc(date.and_time(NaiveTime::MIN));
            if at >= midnight && at < next_midnight {
                candidates.push(at);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for at in candidates {
            if at >= end {
                return None;
            }
            if at > utc && open(schedules, offset, at, server) {
                return Some(at);
            }
        }
        if next_midnight >= end {
            return None;
        }
        day = day.succ_opt()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flat(start: i32, stop: i32) -> Week {
        Week {
            default: Window { start, stop },
            days: [Window::default(); 7],
        }
    }

    fn week(default: (i32, i32), days: [(i32, i32); 7]) -> Week {
        Week {
            default: Window {
                start: default.0,
                stop: default.1,
            },
            days: days.map(|(start, stop)| Window { start, stop }),
        }
    }

    fn time(id: &str, week: Week, rules: &str, holidays: &str) -> CallTime {
        CallTime {
            id: id.into(),
            week,
            state_rules: parse_id_list(rules),
            holidays: parse_id_list(holidays),
        }
    }

    fn rule(id: &str, state: &str, week: Week, holidays: &str) -> StateRule {
        StateRule {
            id: id.into(),
            state: state.into(),
            week,
            holidays: parse_id_list(holidays),
        }
    }

    fn holiday(id: &str, date: &str, active: bool, start: i32, stop: i32) -> Holiday {
        Holiday {
            id: id.into(),
            date: date.parse().unwrap(),
            active,
            window: Window { start, stop },
        }
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn hours(hours: i32) -> ServerZone {
        ServerZone::fixed(hours * 3600)
    }

    fn zone(gmt: &str, state: &str) -> LeadZone {
        LeadZone {
            gmt_offset: GmtOffset::parse(gmt).unwrap(),
            state: state.into(),
        }
    }

    /// 2024-06-02 is a Sunday; 2024-12-25 and 2025-01-01 are Wednesdays.
    fn fixture() -> CallTimes {
        let times = vec![
            time("24hours", flat(0, 2400), "", ""),
            time("9am-9pm", flat(900, 2100), "", ""),
            time("9am-5pm", flat(900, 1700), "", ""),
            time("12pm-5pm", flat(1200, 1700), "", ""),
            time("12pm-9pm", flat(1200, 2100), "", ""),
            time("5pm-9pm", flat(1700, 2100), "", ""),
            time(
                "weekly",
                week(
                    (800, 1800),
                    [
                        (1000, 1100),
                        (1100, 1200),
                        (1200, 1300),
                        (1300, 1400),
                        (1400, 1500),
                        (1500, 1600),
                        (1600, 1700),
                    ],
                ),
                "",
                "",
            ),
            time(
                "fallback",
                week(
                    (900, 1700),
                    [(0, 0), (2400, 2400), (0, 1200), (960, 1700), (0, 0), (0, 0), (0, 0)],
                ),
                "",
                "",
            ),
            time("never", flat(2400, 2400), "", ""),
            time("states", flat(900, 2100), "|ny-late|missing|tx-a|tx-b|ca-short|", ""),
            time("holi", flat(900, 2100), "", "|h-prev|h-off|h-xmas|nope|b-ny|a-ny|"),
            time("holi-wide", flat(900, 1700), "", "|h-wide|"),
            time(
                "holi-day",
                week(
                    (900, 2100),
                    [(0, 0), (0, 0), (0, 0), (1400, 2000), (0, 0), (0, 0), (0, 0)],
                ),
                "",
                "|h-xmas|",
            ),
            time("holi-states", flat(900, 2100), "|fl-own|ga-none|", "|h-xmas|"),
            time("closed-xmas", flat(0, 2400), "", "|h-closed|"),
        ];
        let rules = vec![
            rule("ny-late", "NY", flat(1200, 2200), ""),
            rule("ny-unlisted", "NY", flat(0, 0), ""),
            rule("tx-a", "TX", flat(900, 1500), ""),
            rule("tx-b", "TX", flat(1200, 2000), ""),
            rule(
                "ca-short",
                "CA",
                week(
                    (1300, 1400),
                    [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (2400, 2400)],
                ),
                "",
            ),
            rule("fl-own", "FL", flat(800, 2200), "|h-fl|"),
            rule("ga-none", "GA", flat(800, 2200), ""),
        ];
        let holidays = vec![
            holiday("h-xmas", "2024-12-25", true, 1000, 1500),
            holiday("h-off", "2024-12-25", false, 1100, 1200),
            holiday("h-prev", "2024-12-24", true, 1300, 1400),
            holiday("b-ny", "2025-01-01", true, 1300, 2000),
            holiday("a-ny", "2025-01-01", true, 1000, 1200),
            holiday("h-unlisted", "2024-12-26", true, 1000, 1100),
            holiday("h-wide", "2024-12-25", true, 800, 2000),
            holiday("h-fl", "2024-12-25", true, 1600, 1800),
            holiday("h-closed", "2024-12-25", true, 2400, 2400),
        ];
        CallTimes::new(times, rules, holidays)
    }

    fn list_arg(token: &str) -> Option<&str> {
        match token {
            "-" => None,
            "''" => Some(""),
            id => Some(id),
        }
    }

    /// Rows: campaign, list (`-` none, `''` empty), state, gmt_offset_now, server offset
    /// in hours, UTC instant, yes/no, then why.
    fn check_allows(table: &str) {
        let times = fixture();
        let mut failures = Vec::new();
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let expected = match cols[6] {
                "yes" => true,
                "no" => false,
                other => panic!("bad expectation {other:?} in {line}"),
            };
            let got = times
                .allows(
                    cols[0],
                    list_arg(cols[1]),
                    &zone(cols[3], cols[2]),
                    at(cols[5]),
                    &hours(cols[4].parse().unwrap()),
                )
                .unwrap();
            if got != expected {
                failures.push(line);
            }
        }
        assert!(failures.is_empty(), "wrong answers:\n{}", failures.join("\n"));
    }

    #[test]
    fn weekday_overrides() {
        check_allows(
            "
            weekly - OH 0.00 0 2024-06-02T10:00 yes Sunday pair, exactly at start
            weekly - OH 0.00 0 2024-06-02T09:00 no  Sunday pair beats the default
            weekly - OH 0.00 0 2024-06-02T11:00 no  Sunday pair, exactly at stop
            weekly - OH 0.00 0 2024-06-03T11:00 yes Monday
            weekly - OH 0.00 0 2024-06-03T12:00 no  Monday at stop
            weekly - OH 0.00 0 2024-06-04T12:30 yes Tuesday
            weekly - OH 0.00 0 2024-06-04T13:00 no  Tuesday at stop
            weekly - OH 0.00 0 2024-06-05T13:00 yes Wednesday
            weekly - OH 0.00 0 2024-06-05T12:59 no  Wednesday, a minute early
            weekly - OH 0.00 0 2024-06-06T14:59 yes Thursday, last minute
            weekly - OH 0.00 0 2024-06-06T15:00 no  Thursday at stop
            weekly - OH 0.00 0 2024-06-07T15:00 yes Friday
            weekly - OH 0.00 0 2024-06-07T16:00 no  Friday at stop
            weekly - OH 0.00 0 2024-06-08T16:00 yes Saturday
            weekly - OH 0.00 0 2024-06-08T17:00 no  Saturday at stop
            weekly - OH 0.00 0 2024-06-08T10:00 no  Saturday does not get Sunday's hours
            ",
        );
    }

    #[test]
    fn defaults_and_stock_call_times() {
        check_allows(
            "
            fallback - OH 0.00 0 2024-06-02T09:00 yes Sunday 0/0 uses the default, at start
            fallback - OH 0.00 0 2024-06-02T08:59 no  default, a minute early
            fallback - OH 0.00 0 2024-06-02T16:59 yes default, last minute
            fallback - OH 0.00 0 2024-06-02T17:00 no  default, at stop
            fallback - OH 0.00 0 2024-06-03T09:00 no  Monday start 2400: no calling
            fallback - OH 0.00 0 2024-06-03T23:59 no  Monday start 2400: no calling
            fallback - OH 0.00 0 2024-06-04T00:00 yes Tuesday 0/1200 is not 0/0
            fallback - OH 0.00 0 2024-06-04T08:00 yes Tuesday 0/1200 before the default
            fallback - OH 0.00 0 2024-06-04T12:00 no  Tuesday at stop
            fallback - OH 0.00 0 2024-06-05T09:59 no  Wednesday start 960 is HHMM >= 960
            fallback - OH 0.00 0 2024-06-05T10:00 yes Wednesday start 960 is HHMM >= 960
            fallback - OH 0.00 0 2024-06-06T09:00 yes Thursday 0/0 uses the default
            24hours  - OH 0.00 0 2024-06-02T00:00 yes
            24hours  - OH 0.00 0 2024-06-02T23:59 yes
            never    - OH 0.00 0 2024-06-04T12:00 no
            9am-5pm  - OH 0.00 0 2024-06-04T16:59 yes
            12pm-5pm - OH 0.00 0 2024-06-04T11:59 no
            12pm-5pm - OH 0.00 0 2024-06-04T12:00 yes
            12pm-9pm - OH 0.00 0 2024-06-04T20:59 yes
            12pm-9pm - OH 0.00 0 2024-06-04T21:00 no
            5pm-9pm  - OH 0.00 0 2024-06-04T16:59 no
            5pm-9pm  - OH 0.00 0 2024-06-04T17:00 yes
            9am-9pm  - OH 0.00 0 2024-06-04T21:00 no
            ",
        );
    }

    #[test]
    fn lead_offsets() {
        check_allows(
            "
            9am-5pm - OH -12.00 0 2024-06-03T21:00 yes local 09:00
            9am-5pm - OH -12.00 0 2024-06-03T20:59 no  local 08:59
            9am-5pm - OH -3.50  0 2024-06-03T12:30 yes local 09:00
            9am-5pm - OH -3.5   0 2024-06-03T12:29 no  local 08:59
            9am-5pm - OH 5.75   0 2024-06-03T03:15 yes local 09:00
            9am-5pm - OH 5.75   0 2024-06-03T11:14 yes local 16:59
            9am-5pm - OH 5.75   0 2024-06-03T11:15 no  local 17:00
            9am-5pm - OH +13.00 0 2024-06-03T20:00 yes local 09:00 the next day
            9am-5pm - OH +13.00 0 2024-06-04T04:00 no  local 17:00
            weekly  - OH -12.00 0 2024-06-09T04:30 yes UTC Sunday, local Saturday 16:30
            weekly  - OH +13.00 0 2024-06-08T21:30 yes UTC Saturday, local Sunday 10:30
            weekly  - OH +13.00 0 2024-06-08T16:30 no  UTC Saturday 16:30 is local Sunday 05:30
            24hours - OH -12.75 0 2024-06-03T12:00 yes lowest grid offset
            24hours - OH -3.10  0 2024-06-03T12:00 no  off grid
            24hours - OH 5.80   0 2024-06-03T12:00 no  off grid
            24hours - OH 13.25  0 2024-06-03T12:00 no  beyond the grid
            24hours - OH -13.00 0 2024-06-03T12:00 no  beyond the grid
            ",
        );
    }

    #[test]
    fn state_rules() {
        check_allows(
            "
            states  - OH 0.00 0 2024-06-03T10:00 yes no rule for OH: call time's default
            states  - OH 0.00 0 2024-06-03T21:00 no  call time's stop
            states  - NY 0.00 0 2024-06-03T10:00 no  ny-late beats the default
            states  - NY 0.00 0 2024-06-03T12:00 yes ny-late start
            states  - NY 0.00 0 2024-06-03T21:30 yes ny-late beats the call time's stop
            states  - NY 0.00 0 2024-06-03T21:59 yes ny-late last minute
            states  - NY 0.00 0 2024-06-03T22:00 no  ny-late stop
            states  - ny 0.00 0 2024-06-03T10:00 no  state compared without case
            states  - ny 0.00 0 2024-06-03T12:00 yes state compared without case
            states  - TX 0.00 0 2024-06-03T11:00 no  tx-a allows, tx-b does not yet
            states  - TX 0.00 0 2024-06-03T12:00 yes both TX rules allow
            states  - TX 0.00 0 2024-06-03T14:59 yes both TX rules allow
            states  - TX 0.00 0 2024-06-03T15:00 no  tx-b allows, tx-a has stopped
            states  - CA 0.00 0 2024-06-08T13:30 no  ca-short Saturday pair 2400
            states  - CA 0.00 0 2024-06-03T13:30 yes ca-short default pair
            states  - CA 0.00 0 2024-06-03T12:00 no  ca-short beats the call time
            24hours - NY 0.00 0 2024-06-03T03:00 yes rules apply only where listed
            ",
        );
    }

    #[test]
    fn holidays() {
        check_allows(
            "
            holi      - OH 0.00 0 2024-12-25T09:59 no  h-xmas start 1000 narrows 900
            holi      - OH 0.00 0 2024-12-25T10:00 yes h-xmas start
            holi      - OH 0.00 0 2024-12-25T11:30 yes h-off is INACTIVE
            holi      - OH 0.00 0 2024-12-25T14:59 yes h-xmas last minute
            holi      - OH 0.00 0 2024-12-25T15:00 no  h-xmas stop 1500 narrows 2100
            holi      - OH 0.00 0 2024-12-24T12:59 no  h-prev is for its own date
            holi      - OH 0.00 0 2024-12-24T13:00 yes h-prev
            holi      - OH 0.00 0 2024-12-24T14:00 no  h-prev stop
            holi      - OH 0.00 0 2024-12-23T09:00 yes no holiday on that date
            holi      - OH 0.00 0 2024-12-26T09:00 yes h-unlisted is not in ct_holidays
            holi      - OH 0.00 0 2025-01-01T10:00 yes a-ny first by id though listed last
            holi      - OH 0.00 0 2025-01-01T12:00 no  a-ny stop
            holi      - OH 0.00 0 2025-01-01T13:00 no  b-ny is not used
            holi-wide - OH 0.00 0 2024-12-25T08:30 no  a wider holiday does not widen
            holi-wide - OH 0.00 0 2024-12-25T09:00 yes
            holi-wide - OH 0.00 0 2024-12-25T17:00 no  a wider holiday does not widen
            holi-day  - OH 0.00 0 2024-12-25T13:00 no  narrows Wednesday's pair 1400/2000
            holi-day  - OH 0.00 0 2024-12-25T14:00 yes Wednesday's start
            holi-day  - OH 0.00 0 2024-12-25T15:00 no  h-xmas stop
            holi-day  - OH 0.00 0 2024-12-18T19:59 yes an ordinary Wednesday
            24hours   - OH 0.00 0 2024-12-25T03:00 yes holidays apply only where listed
            ",
        );
    }

    #[test]
    fn state_rule_holidays() {
        check_allows(
            "
            holi-states - FL 0.00 0 2024-12-25T10:00 no  fl-own uses only its own h-fl
            holi-states - FL 0.00 0 2024-12-25T16:00 yes h-fl start
            holi-states - FL 0.00 0 2024-12-25T17:59 yes h-fl last minute
            holi-states - FL 0.00 0 2024-12-25T18:00 no  h-fl stop
            holi-states - GA 0.00 0 2024-12-25T09:00 no  ga-none takes the call time's h-xmas
            holi-states - GA 0.00 0 2024-12-25T10:00 yes h-xmas start
            holi-states - GA 0.00 0 2024-12-25T15:00 no  h-xmas stop
            holi-states - GA 0.00 0 2024-12-24T08:00 yes ga-none beats the default
            holi-states - OH 0.00 0 2024-12-25T09:30 no  call time with h-xmas
            holi-states - OH 0.00 0 2024-12-25T10:00 yes call time with h-xmas
            ",
        );
    }

    #[test]
    fn list_call_times() {
        check_allows(
            "
            9am-9pm  9am-5pm  OH 0.00 0 2024-06-03T10:00 yes both allow
            9am-9pm  9am-5pm  OH 0.00 0 2024-06-03T17:30 no  stricter list
            9am-5pm  24hours  OH 0.00 0 2024-06-03T20:00 no  looser list: campaign still holds
            9am-5pm  24hours  OH 0.00 0 2024-06-03T10:00 yes looser list
            12pm-9pm 9am-5pm  OH 0.00 0 2024-06-03T11:00 no  intersection
            12pm-9pm 9am-5pm  OH 0.00 0 2024-06-03T12:00 yes intersection
            12pm-9pm 9am-5pm  OH 0.00 0 2024-06-03T17:00 no  intersection
            9am-9pm  -        OH 0.00 0 2024-06-03T20:00 yes no list call time
            9am-9pm  campaign OH 0.00 0 2024-06-03T20:00 yes 'campaign' is ignored
            9am-9pm  ''       OH 0.00 0 2024-06-03T20:00 yes empty is ignored
            9am-9pm  nope     OH 0.00 0 2024-06-03T20:00 yes unknown is ignored
            24hours  states   NY 0.00 0 2024-06-03T10:00 no  list's own state rules
            24hours  states   NY 0.00 0 2024-06-03T12:00 yes list's own state rules
            24hours  holi     OH 0.00 0 2024-12-25T09:30 no  list's own holidays
            ",
        );
    }

    #[test]
    fn holidays_use_the_server_date() {
        check_allows(
            "
            holi - OH 5.75   -5 2024-12-25T04:30 no  local 12-25 10:15, server 12-24: h-prev
            holi - OH 5.75   0  2024-12-25T04:30 yes same lead, server 12-25: h-xmas
            holi - OH -12.00 +1 2024-12-25T02:00 yes local 12-24 14:00, server 12-25: h-xmas
            holi - OH -12.00 -3 2024-12-25T02:00 no  same lead, server 12-24: h-prev
            ",
        );
    }

    #[test]
    fn unknown_campaign_call_time_is_an_error() {
        let times = fixture();
        let lead = zone("0.00", "OH");
        let now = at("2024-06-03T10:00");
        let err = UnknownCallTime("nope".into());
        assert_eq!(
            times.allows("nope", Some("24hours"), &lead, now, &hours(0)),
            Err(err.clone())
        );
        assert_eq!(
            times.next_opening("nope", None, &lead, now, &hours(0), 7),
            Err(err.clone())
        );
        assert_eq!(err.to_string(), r#"call time "nope" does not exist"#);
        assert!(times.contains("9am-5pm"));
        assert!(!times.contains("nope"));
        assert!(!times.contains("campaign"));
    }

    /// Rows: campaign, list, state, gmt_offset_now, server hours, UTC instant, horizon
    /// days, expected opening (or `none`), then why.
    fn check_openings(table: &str) {
        let times = fixture();
        let mut failures = Vec::new();
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let expected = (cols[7] != "none").then(|| at(cols[7]));
            let got = times
                .next_opening(
                    cols[0],
                    list_arg(cols[1]),
                    &zone(cols[3], cols[2]),
                    at(cols[5]),
                    &hours(cols[4].parse().unwrap()),
                    cols[6].parse().unwrap(),
                )
                .unwrap();
            if got != expected {
                failures.push(format!("{line}  => got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "wrong openings:\n{}", failures.join("\n"));
    }

    #[test]
    fn next_openings() {
        check_openings(
            "
            9am-5pm     -       OH 0.00   0  2024-06-03T10:00 7  2024-06-03T10:00 callable now
            9am-5pm     -       OH 0.00   0  2024-06-03T08:00 7  2024-06-03T09:00 start
            9am-5pm     -       OH 0.00   0  2024-06-03T17:00 7  2024-06-04T09:00 next day
            9am-5pm     -       OH -3.50  0  2024-06-03T12:00 7  2024-06-03T12:30 local 08:30
            9am-5pm     -       OH 5.75   0  2024-06-03T12:00 7  2024-06-04T03:15 local 17:45
            9am-5pm     -       OH 0.00   0  2024-06-03T08:00 0  none zero horizon
            fallback    -       OH 0.00   0  2024-06-02T17:00 7  2024-06-04T00:00 start 0: midnight
            fallback    -       OH 0.00   0  2024-06-02T17:00 1  none Tuesday is past the horizon
            fallback    -       OH 0.00   0  2024-06-02T17:00 2  2024-06-04T00:00
            fallback    -       OH 0.00   0  2024-06-05T09:00 7  2024-06-05T10:00 start 960
            weekly      -       OH 0.00   0  2024-06-02T11:00 7  2024-06-03T11:00 Monday pair
            12pm-9pm    9am-5pm OH 0.00   0  2024-06-03T10:00 7  2024-06-03T12:00 both must allow
            12pm-9pm    9am-5pm OH 0.00   0  2024-06-03T17:00 7  2024-06-04T12:00 both must allow
            5pm-9pm     9am-5pm OH 0.00   0  2024-06-03T10:00 30 none disjoint windows
            never       -       OH 0.00   0  2024-06-03T10:00 30 none
            24hours     -       OH -3.10  0  2024-06-03T10:00 7  none off grid
            states      -       TX 0.00   0  2024-06-03T09:00 7  2024-06-03T12:00 tx-b opens later
            holi        -       OH 0.00   0  2024-12-25T09:00 7  2024-12-25T10:00 holiday start
            holi        -       OH 0.00   0  2024-12-25T15:00 7  2024-12-26T09:00 holiday stop
            closed-xmas -       OH 0.00   0  2024-12-24T23:59 7  2024-12-24T23:59 before the holiday
            closed-xmas -       OH -12.00 0  2024-12-25T05:00 7  2024-12-26T00:00 server midnight
            closed-xmas -       OH -12.00 +1 2024-12-25T05:00 7  2024-12-25T23:00 server midnight
            ",
        );
    }

    #[test]
    fn next_opening_keeps_seconds_only_when_callable_now() {
        let times = fixture();
        let lead = zone("0.00", "OH");
        let open = at("2024-06-03T10:00") + TimeDelta::seconds(30);
        let closed = at("2024-06-03T08:59") + TimeDelta::seconds(30);
        let next = |utc| times.next_opening("9am-5pm", None, &lead, utc, &hours(0), 7);
        assert_eq!(next(open), Ok(Some(open)));
        assert_eq!(next(closed), Ok(Some(at("2024-06-03T09:00"))));
    }

    #[test]
    fn gmt_offsets_parse() {
        let cases = [
            ("-5.00", Some(-500)),
            ("5.75", Some(575)),
            ("+13.00", Some(1300)),
            ("-3.5", Some(-350)),
            (" -5.00 ", Some(-500)),
            ("0", Some(0)),
            ("-0.25", Some(-25)),
            ("12.", Some(1200)),
            (".5", Some(50)),
            ("5.755", Some(576)),
            ("-12.999", Some(-1300)),
            ("", None),
            ("-", None),
            ("+", None),
            (".", None),
            ("abc", None),
            ("5.5.5", None),
            ("+-5", None),
            ("--5", None),
            ("-+5", None),
            ("1e3", None),
            ("5,75", None),
            ("99999999999", None),
        ];
        for (text, expected) in cases {
            assert_eq!(GmtOffset::parse(text), expected.map(GmtOffset), "{text:?}");
        }
    }

    #[test]
    fn gmt_offset_grid() {
        for on in [-1275, -1200, -350, 0, 575, 1300] {
            assert!(GmtOffset(on).on_grid(), "{on}");
        }
        for off in [-1300, -310, 580, 1325, 1, -1] {
            assert!(!GmtOffset(off).on_grid(), "{off}");
        }
    }

    #[test]
    fn id_lists_parse() {
        let cases: [(&str, &[&str]); 8] = [
            ("|a|b|", &["a", "b"]),
            ("a|b", &["a", "b"]),
            (" | a | | b |", &[" ", " a ", " ", " b "]),
            ("|a|", &["a"]),
            ("a", &[]),
            ("", &[]),
            ("|", &[]),
            ("||  ||", &["  "]),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_id_list(text), expected, "{text:?}");
        }
    }

    // Random configurations: campaign "C" and list "L" call times, three state rules
    // and three holidays near the instants tried, so every feature interacts.

    // Boxed: the unboxed strategy types are deep enough to overflow a test thread's stack.
    fn any_window() -> BoxedStrategy<Window> {
        prop_oneof![
            2 => Just(Window::default()),
            1 => Just(Window { start: 0, stop: 2400 }),
            1 => Just(Window { start: 2400, stop: 2400 }),
            6 => (0..2500, 0..2500).prop_map(|(start, stop)| Window { start, stop }),
        ]
        .boxed()
    }

    fn any_week() -> BoxedStrategy<Week> {
        (any_window(), prop::array::uniform7(any_window()))
            .prop_map(|(default, days)| Week { default, days })
            .boxed()
    }

    fn ids(prefix: char, mask: u8) -> Vec<String> {
        (0..3)
            .filter(|bit| mask & (1 << bit) != 0)
            .map(|bit| format!("{prefix}{bit}"))
            .collect()
    }

    fn first_day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
    }

    prop_compose! {
        fn any_call_times()(
            campaign in any_week(),
            list in any_week(),
            masks in prop::array::uniform4(0u8..8),
            rules in prop::array::uniform3(
                (prop_oneof![Just("NY"), Just("CA")], any_week(), 0u8..8),
            ),
            holidays in prop::array::uniform3((0u64..10, any::<bool>(), any_window())),
        ) -> CallTimes {
            CallTimes::new(
                vec![
                    CallTime { id: "C".into(), week: campaign, state_rules: ids('r', masks[0]), holidays: ids('h', masks[1]) },
                    CallTime { id: "L".into(), week: list, state_rules: ids('r', masks[2]), holidays: ids('h', masks[3]) },
                ],
                rules
                    .into_iter()
                    .enumerate()
                    .map(|(i, (state, week, mask))| StateRule { id: format!("r{i}"), state: state.into(), week, holidays: ids('h', mask) })
                    .collect(),
                holidays
                    .into_iter()
                    .enumerate()
                    .map(|(i, (day, active, window))| Holiday {
                        id: format!("h{i}"),
                        date: first_day() + chrono::Days::new(day),
                        active,
                        window,
                    })
                    .collect(),
            )
        }
    }

    #[derive(Debug)]
    struct Scenario {
        times: CallTimes,
        list: Option<&'static str>,
        zone: LeadZone,
        utc: NaiveDateTime,
        server: ServerZone,
    }

    impl Scenario {
        fn allows(&self, utc: NaiveDateTime) -> bool {
            self.times
                .allows("C", self.list, &self.zone, utc, &self.server)
                .unwrap()
        }

        fn next_opening(&self, horizon_days: u32) -> Option<NaiveDateTime> {
            self.times
                .next_opening("C", self.list, &self.zone, self.utc, &self.server, horizon_days)
                .unwrap()
        }
    }

    prop_compose! {
        fn any_scenario()(
            times in any_call_times(),
            list in prop_oneof![Just(None), Just(Some("campaign")), Just(Some("L")), Just(Some("missing"))],
            state in prop_oneof![Just("NY"), Just("CA"), Just("OH")],
            quarter_hours in -51..=52,
            minute in 0i64..7 * 24 * 60,
            server_minutes in -720..=840,
            change in prop::option::of((0i64..9 * 24 * 60, prop_oneof![Just(60), Just(-60)])),
        ) -> Scenario {
            Scenario {
                times,
                list,
                zone: LeadZone { gmt_offset: GmtOffset(quarter_hours * 25), state: state.into() },
                utc: first_day().and_time(NaiveTime::MIN) + TimeDelta::minutes(minute),
                // Sometimes a daylight-saving change of the server within the scenario.
                server: ServerZone::new(
                    server_minutes * 60,
                    change
                        .map(|(at, delta)| {
                            (first_day().and_time(NaiveTime::MIN) + TimeDelta::minutes(at), (server_minutes + delta) * 60)
                        })
                        .into_iter()
                        .collect(),
                ),
            }
        }
    }

    proptest! {
        #[test]
        fn found_opening_is_callable_and_not_a_minute_late(s in any_scenario(), horizon in 0u32..8) {
            if let Some(t) = s.next_opening(horizon) {
                prop_assert!(t >= s.utc);
                prop_assert!(t == s.utc || t < s.utc + TimeDelta::days(horizon.into()));
                prop_assert!(s.allows(t));
                if t > s.utc {
                    prop_assert!(!s.allows(t - TimeDelta::minutes(1)));
                }
            }
        }

        #[test]
        fn no_opening_means_nothing_callable_in_horizon(s in any_scenario(), horizon in 0u32..8) {
            if s.next_opening(horizon).is_none() {
                let end = s.utc + TimeDelta::days(horizon.into());
                let mut t = s.utc;
                while t < end {
                    prop_assert!(!s.allows(t), "callable at {t}");
                    t += TimeDelta::minutes(7);
                }
            }
        }

        #[test]
        fn opening_matches_a_minute_by_minute_scan(s in any_scenario(), horizon in 0u32..3) {
            let scanned = (0..i64::from(horizon) * 24 * 60)
                .map(|m| s.utc + TimeDelta::minutes(m))
                .find(|&t| s.allows(t));
            prop_assert_eq!(s.next_opening(horizon), scanned.or_else(|| s.allows(s.utc).then_some(s.utc)));
        }
    }
}
