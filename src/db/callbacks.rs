//! Reads and writes of `vicidial_callbacks` (and the lead columns the callback
//! rules change). Every write is a claim: its WHERE clause repeats the state the
//! engine decided on, so a row that changed meanwhile (an agent, the cron, a
//! second daemon) is left alone, and its affected-row count tells.

use chrono::{DateTime, NaiveDateTime};
use mysql_async::Value;

use std::collections::HashMap;

use super::facts::{DncAhead, dnc_columns, dnc_joins, lookups_when, read_dnc};
use super::fence::HELD;
use super::{DbResult, RowReader, Session, Stmt, ids, placeholders};
use crate::rules::status::{CallbackStatus, DUE_SQL as DUE, WAITING_SQL as WAITING};
use crate::rules::{hours_block, pending, useronly_move};
use crate::rules::model::{CallbackRow, Lead, Recipient};
use crate::rules::dnc::{DncFacts, DncLookups};

/// A callback's own columns, as every scan reads them.
const CALLBACK_COLUMNS: &str = "cb.callback_id, cb.lead_id, cb.list_id, cb.campaign_id, cb.status, cb.recipient, \
    cb.user, cb.lead_status, cb.entry_time, cb.callback_time, UNIX_TIMESTAMP(cb.modify_date), cb.modify_date";

/// Its lead's columns (`l`), whether the lead has a hopper row, and the
/// lead's version: joined by the pending scans, read by `lead_id` for the
/// due ones ([`read_leads`]).
const LEAD_COLUMNS: &str = "l.lead_id, l.list_id, l.status, l.gmt_offset_now, l.state, \
    l.called_since_last_reset, l.last_local_call_time, \
    EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = l.lead_id), l.modify_date";

/// Where [`LEAD_COLUMNS`] start in a joined row (the DNC entries read
/// ahead follow them).
const FIRST_LEAD: usize = 12;

/// A callback a scan read.
#[derive(Clone, Debug)]
pub struct Scanned {
    /// What tells whether it changed since.
    pub found: Found,
    /// The row, with its lead.
    pub row: CallbackRow,
    /// DNC entries read with it ([`DncAhead`], [`read_leads`]), when any were.
    pub dnc: Option<DncFacts>,
    /// Its lead is still to read: the due scans read the callbacks alone
    /// (see [`Scan::joins_leads`]), and [`read_leads`] completes them.
    pub lead_unread: bool,
}

/// A lead as a statement read it: [`LEAD_COLUMNS`], and the DNC entries
/// read with it.
#[derive(Clone, Default)]
struct LeadRead {
    /// The lead; `None` when its row is missing.
    lead: Option<Lead>,
    /// It has a hopper row.
    in_hopper: bool,
    /// Its `modify_date`.
    version: Option<NaiveDateTime>,
    dnc: Option<DncFacts>,
}

impl LeadRead {
    /// [`LEAD_COLUMNS`] from `first` on, then the DNC entries.
    fn read(r: &mut RowReader, first: usize) -> LeadRead {
        let lead = r.uint(first).map(|id| Lead {
            lead_id: id as u32,
            list_id: r.uint(first + 1),
            status: r.text(first + 2),
            gmt_offset_now: r.opt_text(first + 3),
            state: r.text(first + 4),
            called_since_last_reset: r.text(first + 5),
            last_local_call_time: r.datetime(first + 6),
        });
        LeadRead {
            lead,
            in_hopper: r.int(first + 7).unwrap_or(0) != 0,
            version: r.datetime(first + 8),
            dnc: read_dnc(r, first + 9),
        }
    }
}

/// A row of a scan's statement: [`CALLBACK_COLUMNS`], then, when `joined`,
/// [`LEAD_COLUMNS`] and the DNC entries read ahead.
fn read_row(row: mysql_async::Row, joined: bool) -> Scanned {
    let mut r = RowReader::new(row);
    let callback_id = r.uint(0).unwrap_or_default() as u32;
    let modified_utc = r
        .int(10)
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .map(|d| d.naive_utc());
    let lead = match joined {
        true => LeadRead::read(&mut r, FIRST_LEAD),
        false => LeadRead::default(),
    };
    let row = CallbackRow {
        callback_id,
        lead_id: r.uint(1).map(|n| n as u32),
        list_id: r.uint(2),
        campaign_id: r.text(3),
        status: r.text(4),
        recipient: Recipient::parse(&r.text(5)),
        user: r.text(6),
        lead_status: r.text(7),
        entry_time: r.datetime(8),
        callback_time: r.datetime(9),
        modified_utc,
        lead: lead.lead,
        in_hopper: lead.in_hopper,
    };
    let found = Found {
        callback_id,
        version: (r.datetime(11), lead.version),
    };
    Scanned {
        found,
        row,
        dnc: lead.dnc,
        lead_unread: !joined,
    }
}

/// The leads of [`read_leads`] that one part of its statement reads: those
/// whose DNC entries are looked up in a campaign's lists (the entries and
/// the campaign id as the callbacks store it), or those looked up alone.
type LeadGroup<'a> = Option<(DncLookups, &'a str)>;

/// Completes the rows a due scan read ([`Scanned::lead_unread`]): their
/// leads, read by `lead_id` in one statement that does not touch
/// `vicidial_callbacks`, so it runs while another connection claims (MyISAM
/// locks per table). `dnc` gives, per row, the DNC entries its campaign's
/// policy reads (`rules::decision::dnc_needed`); they are looked up with the
/// lead, under the same rule as everywhere ([`super::facts`]). A lead whose
/// row is missing stays `None`, as the joined scans leave it.
pub async fn read_leads(s: &mut Session, rows: &mut [Scanned], dnc: &[Option<DncLookups>]) -> DbResult<()> {
    let mut groups: Vec<(LeadGroup, Vec<u32>)> = Vec::new();
    let mut group_of = vec![None; rows.len()];
    for (i, (r, lookups)) in rows.iter().zip(dnc).enumerate() {
        let Some(lead_id) = r.row.lead_id.filter(|_| r.lead_unread) else {
            continue;
        };
        let key = lookups.map(|l| (l, r.row.campaign_id.as_str()));
        let g = match groups.iter().position(|(k, _)| *k == key) {
            Some(g) => g,
            None => {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        groups[g].1.push(lead_id);
        group_of[i] = Some((g, lead_id));
    }
    let mut parts = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for (g, (key, leads)) in groups.iter().enumerate() {
        let (from, joins, dnc_columns) = match key {
            // Looked up only where the campaign's row is found; otherwise
            // NULL, not looked up, and the batch's own DNC statement runs.
            // The callbacks' campaign id is bound wherever the rule names
            // it (`?`), as the joined statements name `cb.campaign_id`.
            Some((lookups, campaign)) => {
                let when = lookups_when(*lookups, "c.campaign_id IS NOT NULL");
                let (joins, columns) = dnc_joins(when, "?");
                let uses = columns.matches('?').count() + 1 + joins.matches('?').count();
                params.extend(std::iter::repeat_n(Value::from(*campaign), uses));
                (
                    "vicidial_list l LEFT JOIN vicidial_campaigns c ON c.campaign_id = ?",
                    joins,
                    columns,
                )
            }
            None => ("vicidial_list l", String::new(), dnc_columns([None; 4], "")),
        };
        params.extend(ids(leads));
        parts.push(format!(
            "SELECT {g}, {LEAD_COLUMNS}, {dnc_columns} FROM {from} {joins} WHERE l.lead_id IN ({})",
            placeholders(leads.len())
        ));
    }
    let mut found: HashMap<(usize, u32), LeadRead> = HashMap::new();
    if !parts.is_empty() {
        for row in s.select(&parts.join(" UNION ALL "), params).await? {
            let mut r = RowReader::new(row);
            let g = r.uint(0).unwrap_or_default() as usize;
            let read = LeadRead::read(&mut r, 1);
            if let Some(id) = read.lead.as_ref().map(|l| l.lead_id) {
                let entry = found.entry((g, id)).or_insert(LeadRead {
                    dnc: None,
                    ..read.clone()
                });
                entry.dnc = DncFacts::merged(entry.dnc.take(), read.dnc);
            }
        }
    }
    for (r, key) in rows.iter_mut().zip(group_of) {
        if let Some(read) = key.and_then(|key| found.get(&key)) {
            r.row.lead = read.lead.clone();
            r.row.in_hopper = read.in_hopper;
            r.found.version.1 = read.version;
            r.dnc = read.dnc.clone();
        }
        r.lead_unread = false;
    }
    Ok(())
}

/// The pending rule's SQL ([`crate::rules::pending`]).
pub const UNDIALED: &str = pending::UNDIALED_SQL;
const STRANDED: &str = pending::STRANDED_SQL;
const OWED: &str = pending::OWED_SQL;

/// When a LIVE callback could first be dialed ([`hours_block::dialable_from`]).
const DIALABLE_FROM: &str = hours_block::DIALABLE_FROM_SQL;

/// The longest hours block VICIdial can hold: `callback_hours_block` is a
/// signed `TINYINT(2)` (`MySQL_AST_CREATE_tables.sql` line 983, VICIdial 2.14).
const MAX_HOURS_BLOCK: i64 = 127;

/// The earliest `callback_time` a pending callback dialable since `since` can
/// have (its hours block ends at most [`MAX_HOURS_BLOCK`] hours after it was
/// entered, and it was entered before its time): the pending scan pages the
/// `callback_time` index from there. A callback scheduled for a time more
/// than that before its entry counts as too old to repair.
pub fn pending_floor(since: NaiveDateTime) -> NaiveDateTime {
    since - chrono::Duration::hours(MAX_HOURS_BLOCK)
}

/// Which callbacks a scan looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// `ACTIVE`/`TFHCCL` with `callback_time <= now`: to activate.
    Due(NaiveDateTime),
    /// [`Scan::Due`] among those whose time came after the first instant
    /// (the ones that came due since the last look).
    DueSince(NaiveDateTime, NaiveDateTime),
    /// LIVE ANYONE, lead undialed (or stranded in `CBHOLD`), no hopper row,
    /// dialable since the given time (server local), `callback_time` from
    /// [`pending_floor`] on.
    Pending(NaiveDateTime),
    /// LIVE ANYONE callbacks that look undialed but are older than
    /// [`Scan::Pending`] takes: too old to repair, only counted and reported.
    TooOld(NaiveDateTime),
}

impl Scan {
    /// Whether the scan's statement joins the leads: the pending scans
    /// match on them. The due scans read the callbacks alone, so their
    /// statements lock `vicidial_callbacks` only and as briefly as can be;
    /// their leads are read by id ([`read_leads`]) on a connection that can
    /// do so while the other claims.
    pub fn joins_leads(self) -> bool {
        matches!(self, Scan::Pending(_) | Scan::TooOld(_))
    }

    /// The columns a statement of the scan reads ([`read_row`]), with the
    /// DNC entries of `ahead` where it joins the leads, and their values.
    fn columns(self, ahead: &DncAhead) -> (String, Vec<Value>) {
        if !self.joins_leads() {
            return (CALLBACK_COLUMNS.to_string(), Vec::new());
        }
        let (dnc, params) = ahead.columns();
        (format!("{CALLBACK_COLUMNS}, {LEAD_COLUMNS}, {dnc}"), params)
    }

    /// `FROM ... WHERE ...` and its values; the same text serves the spans,
    /// [`find`] (a row looked at again is read only if it still qualifies),
    /// the sweep's count and [`count`].
    /// `hint` goes after the callbacks table (an index hint, or nothing).
    fn sql(self, hint: &str) -> (String, Vec<Value>) {
        match self {
            Scan::Due(now) => (
                format!("FROM vicidial_callbacks cb {hint} WHERE {DUE}"),
                vec![now.into()],
            ),
            Scan::DueSince(from, now) => (
                format!("FROM vicidial_callbacks cb {hint} WHERE {DUE} AND cb.callback_time > ?"),
                vec![now.into(), from.into()],
            ),
            Scan::Pending(since) | Scan::TooOld(since) => {
                let age = if matches!(self, Scan::Pending(_)) {
                    format!("{DIALABLE_FROM} >= ? AND cb.callback_time >= ?")
                } else {
                    format!("({DIALABLE_FROM} < ? OR cb.callback_time < ?)")
                };
                (
                    format!(
                        "FROM vicidial_callbacks cb {hint} JOIN vicidial_list l ON l.lead_id = cb.lead_id \
                         LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
                         WHERE cb.status = 'LIVE' AND cb.recipient = 'ANYONE' AND {age} \
                           AND (({UNDIALED}) OR ({STRANDED}) OR ({OWED})) \
                           AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)"
                    ),
                    vec![since.into(), pending_floor(since).into()],
                )
            }
        }
    }
}

/// A callback found by a scan, with what tells whether it changed since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// `callback_id`.
    pub callback_id: u32,
    /// The callback's and the lead's `modify_date`: any edit of either changes it.
    pub version: (Option<NaiveDateTime>, Option<NaiveDateTime>),
}

/// Rows of a scan's first page; leads per statement of the queued watch list.
const PAGE: usize = 2000;

/// Entries of the `callback_time` index a scan's first span covers.
const SPAN_FIRST: u64 = 2000;

/// The fewest and most entries a span covers (its rows are held while the
/// engine works through them: at most a few megabytes).
const SPAN_RANGE: (u64, u64) = (1000, 10_000);

/// How long a span's statement should take: the next span is sized from
/// the last one's rows per millisecond (rows that match, or that join the
/// lead, cost more than rows the callback's own columns rule out).
const SPAN_TIME_MS: f64 = 20.0;

/// The index VICIdial gives `callback_time` (`MySQL_AST_CREATE_tables.sql`
/// line 1613, VICIdial 2.14, `index (callback_time)`, named after its column).
pub const TIME_INDEX: &str = "FORCE INDEX (callback_time)";

/// The hint for [`scan`]: [`TIME_INDEX`] when the table has that index
/// (without it every statement of a scan reads the whole table: slow, not
/// wrong).
pub async fn time_hint(s: &mut Session) -> DbResult<&'static str> {
    Ok(
        if super::schema::has_index(s, "vicidial_callbacks", "callback_time").await? {
            TIME_INDEX
        } else {
            ""
        },
    )
}

/// How a scan starts reading its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// One statement left to the optimizer, which reads the few matching
    /// rows by whichever index is cheapest (the due scan in the daemon's
    /// steady state: the status index, filtered by time); a full page means
    /// a backlog after all, and the rest is read in spans.
    FirstPage,
    /// Spans from the start (a window where few rows match but many lie,
    /// or where a backlog is likely: the first pass after a start).
    Spans,
}

/// A scan's window, read a statement at a time: the callbacks a scan
/// matches with `callback_time` from a floor on, oldest first (ties by id),
/// each statement's rows whole (a due scan's without their leads, for
/// [`read_leads`]), so the engine can work through them before the next
/// statement reads on. Rows that stay due for ever (bad data,
/// waiting ones) therefore cannot hide newer ones however many there are.
///
/// Spans: the window is read in spans of the `callback_time` index (`hint`,
/// [`TIME_INDEX`] when the table has it): where a span ends is read from the
/// index alone, then the span's rows are matched, sorted and read whole. A
/// statement reads at most a span however many callbacks match and however
/// large the table's history; each span is sized so its statement takes
/// about [`SPAN_TIME_MS`], so the statements stay short and few. A second
/// with more rows than a span (callbacks set in bulk to one time) is read
/// whole by a due scan, which reads the callbacks alone, and in windows of
/// the primary key ([`Crowd`]) by a scan that joins the leads, so no
/// statement holds `vicidial_list` for the whole second.
pub struct Spans {
    scan: Scan,
    hint: &'static str,
    /// DNC entries read with the rows.
    ahead: DncAhead,
    /// Where the next span starts, and whether that instant is included.
    from: (NaiveDateTime, bool),
    /// Index entries the next span covers.
    span: u64,
    /// The first statement is the optimizer's page ([`Start::FirstPage`]).
    first_page: bool,
    done: bool,
    /// Rows read ahead ([`Spans::read_ahead`]), handed out by the next [`Spans::next`].
    read: Option<Vec<Scanned>>,
    /// The crowded second being read, if any.
    crowd: Option<Crowd>,
}

/// A second with more rows than a span, read a window of `callback_id` at a
/// time: each statement reads a primary-key range and keeps the rows of that
/// second, so its cost is the window's rows, not the second's.
struct Crowd {
    time: NaiveDateTime,
    /// The last id read.
    after: u64,
    /// The second's highest id.
    last: u64,
    /// Ids the next window covers.
    window: u64,
}

/// The most ids a window of a crowded second covers: a second's rows can
/// lie far apart among others', and each id in the window is a row read.
const WINDOW_MOST: u64 = 40_000;

/// Sizes the next span or window from the last statement's time: towards
/// [`SPAN_TIME_MS`], at most half again as large, so one cheap statement
/// cannot size the next far past what it has seen (the next rows may cost
/// three times as much: rows joined to their lead, rows that match).
fn resized(size: u64, ms: f64, (least, most): (u64, u64)) -> u64 {
    let sized = (size as f64 * SPAN_TIME_MS / ms.max(0.1)) as u64;
    sized.min(size + size / 2).clamp(least, most)
}

impl Spans {
    /// The window of `scan` from `floor` on, started as `start` says, its
    /// rows read with the DNC entries of `ahead`.
    pub fn new(scan: Scan, (floor, start): (NaiveDateTime, Start), hint: &'static str, ahead: DncAhead) -> Spans {
        Spans {
            scan,
            hint,
            ahead,
            from: (floor, true),
            span: SPAN_FIRST,
            first_page: start == Start::FirstPage,
            done: false,
            read: None,
            crowd: None,
        }
    }

    /// Whether rows remain: read ahead, or still to read.
    pub fn more(&self) -> bool {
        self.read.is_some() || !self.done
    }

    /// Reads the next statement's rows now, for [`Spans::next`] to hand out,
    /// so the engine can read while its other connection writes.
    pub async fn read_ahead(&mut self, s: &mut Session) -> DbResult<()> {
        if self.read.is_none() {
            self.read = self.statement(s).await?;
        }
        Ok(())
    }

    /// The next statement's callbacks, oldest first; `None` once the window is read.
    pub async fn next(&mut self, s: &mut Session) -> DbResult<Option<Vec<Scanned>>> {
        match self.read.take() {
            Some(rows) => Ok(Some(rows)),
            None => self.statement(s).await,
        }
    }

    /// Reads the next statement's callbacks; `None` once the window is read.
    async fn statement(&mut self, s: &mut Session) -> DbResult<Option<Vec<Scanned>>> {
        if self.done {
            return Ok(None);
        }
        let (columns, mut params) = self.scan.columns(&self.ahead);
        let joined = self.scan.joins_leads();
        let read = move |row| read_row(row, joined);
        let (from_where, values) = self.scan.sql(self.hint);
        let select = format!("SELECT {columns} {from_where}");
        if std::mem::take(&mut self.first_page) {
            let (no_hint, _) = self.scan.sql("");
            let mut page = params.clone();
            page.extend(values.clone());
            page.extend([self.from.0.into(), (PAGE as u64).into()]);
            let mut rows: Vec<Scanned> = s
                .select_map(
                    &format!(
                        "SELECT {columns} {no_hint} AND cb.callback_time >= ? \
                         ORDER BY cb.callback_time, cb.callback_id LIMIT ?"
                    ),
                    page,
                    read,
                )
                .await?;
            let last = rows
                .last()
                .and_then(|r| Some((r.row.callback_time?, r.found.callback_id)));
            match last {
                Some((time, id)) if rows.len() >= PAGE => {
                    // A backlog: the rest of that second by id, then spans after it.
                    params.extend(values);
                    params.extend([time.into(), id.into()]);
                    let page = params;
                    rows.extend(
                        s.select(
                            &format!(
                                "{select} AND cb.callback_time = ? AND cb.callback_id > ? ORDER BY cb.callback_id"
                            ),
                            page,
                        )
                        .await?
                        .into_iter()
                        .map(read),
                    );
                    self.from = (time, false);
                }
                _ => self.done = true,
            }
            return Ok(Some(rows));
        }
        if self.crowd.is_some() {
            return self.window(s, params, columns, read).await.map(Some);
        }
        // Where the window ends, when it does: the index is read no further.
        let upper = match self.scan {
            Scan::Due(now) | Scan::DueSince(_, now) => Some(now),
            Scan::Pending(_) | Scan::TooOld(_) => None,
        };
        let (from, included) = self.from;
        let op = if included { ">=" } else { ">" };
        let mut bounds = vec![Value::from(from)];
        bounds.extend(upper.map(Value::from));
        let (hint, span) = (self.hint, self.span);
        let end = s
            .select(
                &format!(
                    "SELECT callback_time FROM vicidial_callbacks {hint} WHERE callback_time {op} ? {} \
                     ORDER BY callback_time LIMIT 1 OFFSET {span}",
                    if upper.is_some() { "AND callback_time <= ?" } else { "" }
                ),
                bounds,
            )
            .await?
            .into_iter()
            .next()
            .and_then(|row| RowReader::new(row).datetime(0));
        let (range, range_values, next) = match end {
            // The rest of the window.
            None => (format!("cb.callback_time {op} ?"), vec![from], None),
            Some(end) if end > from => (
                format!("cb.callback_time {op} ? AND cb.callback_time < ?"),
                vec![from, end],
                Some((end, true)),
            ),
            // More rows in one second than a span, read by a scan that
            // reads the callbacks alone: that second in one statement, which
            // costs about what reading its extent would.
            Some(end) if !joined => ("cb.callback_time = ?".to_string(), vec![end], Some((end, false))),
            // Read with their leads: that second in windows.
            Some(end) => {
                let extent = s
                    .select(
                        &format!(
                            "SELECT COUNT(*), MIN(callback_id), MAX(callback_id) FROM vicidial_callbacks {hint} \
                             WHERE callback_time = ?"
                        ),
                        vec![end.into()],
                    )
                    .await?
                    .into_iter()
                    .next()
                    .map(RowReader::new);
                let (count, first, last) = extent
                    .map(|mut r| (r.uint(0).unwrap_or(0), r.uint(1).unwrap_or(0), r.uint(2).unwrap_or(0)))
                    .unwrap_or_default();
                // Ids per window for about a span of the second's rows.
                let ids = (last + 1).saturating_sub(first);
                let window = (span.saturating_mul(ids) / count.max(1)).clamp(SPAN_RANGE.0, WINDOW_MOST);
                self.crowd = Some(Crowd {
                    time: end,
                    after: first.saturating_sub(1),
                    last,
                    window,
                });
                return self.window(s, params, columns, read).await.map(Some);
            }
        };
        let mut page = params;
        page.extend(values);
        page.extend(range_values.into_iter().map(Value::from));
        let started = std::time::Instant::now();
        let rows = s
            .select_map(
                &format!("{select} AND {range} ORDER BY cb.callback_time, cb.callback_id"),
                page,
                read,
            )
            .await?;
        self.span = resized(span, started.elapsed().as_secs_f64() * 1000.0, SPAN_RANGE);
        match next {
            Some(next) => self.from = next,
            None => self.done = true,
        }
        Ok(Some(rows))
    }

    /// Reads the next window of the crowded second: its rows with ids in
    /// the window, by the primary key. After its last window the spans go
    /// on after that second.
    async fn window(
        &mut self,
        s: &mut Session,
        mut params: Vec<Value>,
        columns: String,
        read: impl FnMut(mysql_async::Row) -> Scanned + Send + 'static,
    ) -> DbResult<Vec<Scanned>> {
        let crowd = self.crowd.as_mut().expect("a crowded second is being read");
        let to = crowd.after.saturating_add(crowd.window).min(crowd.last);
        let (from_where, values) = self.scan.sql("FORCE INDEX (PRIMARY)");
        params.extend(values);
        params.extend([crowd.time.into(), crowd.after.into(), to.into()]);
        let started = std::time::Instant::now();
        let rows = s
            .select_map(
                &format!(
                    "SELECT {columns} {from_where} AND cb.callback_time = ? \
                     AND cb.callback_id > ? AND cb.callback_id <= ? ORDER BY cb.callback_id"
                ),
                params,
                read,
            )
            .await?;
        crowd.window = resized(crowd.window, started.elapsed().as_secs_f64() * 1000.0, (SPAN_RANGE.0, WINDOW_MOST));
        crowd.after = to;
        if to >= crowd.last {
            self.from = (crowd.time, false);
            self.crowd = None;
        }
        Ok(rows)
    }
}

/// Every callback a scan matches from `floor` on, oldest first (for the
/// manager's views, which list them all).
pub async fn scan(
    s: &mut Session,
    scan: Scan,
    window: (NaiveDateTime, Start),
    hint: &'static str,
) -> DbResult<Vec<Found>> {
    let mut spans = Spans::new(scan, window, hint, DncAhead::default());
    let mut found = Vec::new();
    while let Some(rows) = spans.next(s).await? {
        found.extend(rows.into_iter().map(|r| r.found));
    }
    Ok(found)
}

/// In one `callback_id` range: the open callbacks due before `floor` (the
/// due scan's window starts there), and how many a scan matches in it (for
/// the count of those too old to repair). Each reads only its range of the
/// primary key, so the sweep of a table of any size is short statements.
pub async fn sweep(
    s: &mut Session,
    (from, to): (u32, u32),
    floor: NaiveDateTime,
    count: Option<Scan>,
) -> DbResult<(Vec<u32>, u64)> {
    // One statement: the overdue ids (0 first), then the count (1 first).
    let mut sql = "SELECT 0, callback_id FROM vicidial_callbacks FORCE INDEX (PRIMARY) \
         WHERE callback_id > ? AND callback_id <= ? AND status IN ('ACTIVE','TFHCCL') AND callback_time < ?"
        .to_string();
    let mut params: Vec<Value> = vec![from.into(), to.into(), floor.into()];
    if let Some(scan) = count {
        let (from_where, values) = scan.sql("FORCE INDEX (PRIMARY)");
        sql.push_str(&format!(
            " UNION ALL SELECT 1, COUNT(*) {from_where} AND cb.callback_id > ? AND cb.callback_id <= ?"
        ));
        params.extend(values);
        params.extend([from.into(), to.into()]);
    }
    let (mut overdue, mut n) = (Vec::new(), 0);
    for row in s.select(&sql, params).await? {
        let mut r = RowReader::new(row);
        match (r.uint(0), r.uint(1)) {
            (Some(0), Some(id)) => overdue.push(id as u32),
            (Some(1), Some(count)) => n = count,
            _ => {}
        }
    }
    Ok((overdue, n))
}

/// Those of some callbacks that a scan still matches, with their rows (and
/// the DNC entries of `ahead`; a due scan's without their leads, for
/// [`read_leads`]).
pub async fn find(s: &mut Session, scan: Scan, callback_ids: &[u32], ahead: &DncAhead) -> DbResult<Vec<Scanned>> {
    let (columns, mut params) = scan.columns(ahead);
    let (from_where, values) = scan.sql("");
    params.extend(values);
    params.extend(ids(callback_ids));
    let sql = format!(
        "SELECT {columns} {from_where} AND cb.callback_id IN ({}) ORDER BY cb.callback_id",
        placeholders(callback_ids.len())
    );
    let joined = scan.joins_leads();
    Ok(s.select(&sql, params)
        .await?
        .into_iter()
        .map(|row| read_row(row, joined))
        .collect())
}

/// How many callbacks a scan matches (for the report of old ones left alone).
pub async fn count(s: &mut Session, scan: Scan) -> DbResult<u64> {
    let (from_where, params) = scan.sql("");
    let rows = s.select(&format!("SELECT COUNT(*) {from_where}"), params).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| RowReader::new(row).uint(0))
        .unwrap_or(0))
}

/// What tells, in one cheap statement, whether anything the engine watches
/// changed since the last look: the clock, the newest callback id, when
/// `vicidial_callbacks` was last written (`information_schema.TABLES.
/// UPDATE_TIME`, kept by MyISAM and InnoDB alike, to the second), a
/// signature of the hopper's rows (their count and the XOR of their ids),
/// and when the settings' tables were last written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The database's local time.
    pub now: NaiveDateTime,
    /// The same instant in UTC.
    pub utc: NaiveDateTime,
    /// `MAX(callback_id)`.
    pub newest_callback: u64,
    /// When `vicidial_callbacks` was last written (server time, whole seconds).
    pub callbacks_written: Option<NaiveDateTime>,
    /// The hopper's signature, `COUNT(*):MAX(hopper_id)`: a row deleted
    /// lowers the count unless rows came too, which raise the newest id
    /// (ids only grow), so no deletion hides behind an unchanged signature.
    /// MyISAM answers both without reading the rows (its stored count, the
    /// primary key's last entry).
    pub hopper: String,
    /// `MAX(hopper_id)`: rows above the last one seen are new.
    pub hopper_newest: u64,
    /// When the tables the settings come from were last written (server
    /// time, whole seconds); `None` when a table cannot say (InnoDB may
    /// not), so the settings are read again.
    pub settings_written: Option<NaiveDateTime>,
}

/// Reads a [`Probe`].
pub async fn probe(s: &mut Session) -> DbResult<Probe> {
    let rows = s
        .select(
            "SELECT NOW(6), UTC_TIMESTAMP(6), (SELECT MAX(callback_id) FROM vicidial_callbacks), \
               (SELECT UPDATE_TIME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'vicidial_callbacks'), \
               (SELECT COUNT(*) FROM vicidial_hopper), \
               (SELECT MAX(hopper_id) FROM vicidial_hopper), \
               (SELECT IF(COUNT(UPDATE_TIME) = COUNT(*) AND COUNT(*) = 7, MAX(UPDATE_TIME), NULL) \
                 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN \
                 ('system_settings', 'vicidial_campaigns', 'vicidial_lists', 'vicidial_call_times', \
                  'vicidial_state_call_times', 'vicidial_call_time_holidays', 'vicidial_settings_containers'))",
            vec![],
        )
        .await?;
    let mut r = RowReader::new(rows.into_iter().next().expect("SELECT returns one row"));
    let now = r.datetime(0).unwrap_or_default();
    let utc = r.datetime(1).unwrap_or(now);
    let newest_callback = r.uint(2).unwrap_or(0);
    let callbacks_written = r.datetime(3);
    let hopper_rows = r.uint(4).unwrap_or(0);
    let hopper_newest = r.uint(5).unwrap_or(0);
    Ok(Probe {
        now,
        utc,
        newest_callback,
        callbacks_written,
        hopper: format!("{hopper_rows}:{hopper_newest}"),
        hopper_newest,
        settings_written: r.datetime(6),
    })
}

/// Open callbacks to look at again, split into (ones that may be due, LIVE
/// ones), with the `modify_date` seconds of the rows read.
#[derive(Clone, Debug, Default)]
pub struct Changed {
    /// `ACTIVE`/`TFHCCL` ones.
    pub due: Vec<u32>,
    /// `LIVE` ones.
    pub live: Vec<u32>,
    /// When each row read was last written (server time, whole seconds).
    pub written: std::collections::HashSet<NaiveDateTime>,
}

impl Changed {
    fn read(rows: Vec<mysql_async::Row>) -> Changed {
        let mut changed = Changed::default();
        for row in rows {
            let mut r = RowReader::new(row);
            let id = r.uint(0).unwrap_or_default() as u32;
            let status = r.text(1);
            if CallbackStatus::Live.is(&status) {
                changed.live.push(id);
            } else if CallbackStatus::of(&status).is_some_and(CallbackStatus::is_waiting) {
                changed.due.push(id);
            }
            changed.written.extend(r.datetime(2));
        }
        changed
    }
}

/// Open callbacks (`ACTIVE`, `TFHCCL`, `LIVE`) whose row changed at or after
/// a Unix time (`modify_date`): edited ones, conversions, ones made LIVE by
/// another process. No join, and only rows with `callback_time` from `floor`
/// on (the scans' windows; the sweep looks at the rest), so the index range
/// follows the window, not the table's history.
pub async fn changed(s: &mut Session, after: i64, floor: NaiveDateTime) -> DbResult<Changed> {
    let rows = s
        .select(
            "SELECT callback_id, status, modify_date FROM vicidial_callbacks \
             WHERE status IN ('ACTIVE','TFHCCL','LIVE') AND UNIX_TIMESTAMP(modify_date) >= ? \
               AND callback_time >= ?",
            vec![after.into(), floor.into()],
        )
        .await?;
    Ok(Changed::read(rows))
}

/// These callbacks, by primary key (the rows the binary log named).
pub async fn named(s: &mut Session, callback_ids: &[u32]) -> DbResult<Changed> {
    let mut rows = Vec::new();
    for chunk in callback_ids.chunks(PAGE) {
        let sql = format!(
            "SELECT callback_id, status, modify_date FROM vicidial_callbacks WHERE callback_id IN ({})",
            placeholders(chunk.len())
        );
        rows.extend(s.select(&sql, ids(chunk)).await?);
    }
    Ok(Changed::read(rows))
}

/// Callbacks with ids above `after` (new rows: a primary-key range).
pub async fn newer(s: &mut Session, after: u64) -> DbResult<Changed> {
    let rows = s
        .select(
            "SELECT callback_id, status, modify_date FROM vicidial_callbacks WHERE callback_id > ?",
            vec![after.into()],
        )
        .await?;
    Ok(Changed::read(rows))
}

/// LIVE ANYONE callbacks whose lead is undialed and has a hopper row,
/// dialable since `since`: the rows to watch, as `(lead_id, callback_id)`, so
/// that one leaving the hopper undialed is put back at once. Read from the
/// hopper's side (a small MEMORY table), its leads' callbacks by the
/// `lead_id` index a page at a time, so the cost follows the hopper, not the
/// callbacks table.
pub async fn queued(s: &mut Session, since: NaiveDateTime) -> DbResult<Vec<(u32, u32)>> {
    let mut leads = hopper_leads(s).await?;
    leads.sort_unstable();
    leads.dedup();
    let mut queued = Vec::new();
    for chunk in leads.chunks(PAGE) {
        let sql = format!(
            "SELECT cb.lead_id, cb.callback_id \
             FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
             LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
             WHERE cb.lead_id IN ({}) AND cb.status = 'LIVE' AND cb.recipient = 'ANYONE' \
               AND {DIALABLE_FROM} >= ? AND cb.callback_time >= ? AND {UNDIALED}",
            placeholders(chunk.len())
        );
        let mut params = ids(chunk);
        params.extend([since.into(), pending_floor(since).into()]);
        for row in s.select(&sql, params).await? {
            let mut r = RowReader::new(row);
            if let (Some(lead), Some(id)) = (r.uint(0), r.uint(1)) {
                queued.push((lead as u32, id as u32));
            }
        }
    }
    Ok(queued)
}

/// The LIVE ANYONE callbacks of some leads (by the `lead_id` index): the
/// siblings of callbacks just activated, to look at as pending.
pub async fn live_anyone_of_leads(s: &mut Session, lead_ids: &[u32]) -> DbResult<Vec<u32>> {
    let mut found = Vec::new();
    for chunk in lead_ids.chunks(PAGE) {
        let sql = format!(
            "SELECT callback_id FROM vicidial_callbacks \
             WHERE lead_id IN ({}) AND status = 'LIVE' AND recipient = 'ANYONE'",
            placeholders(chunk.len())
        );
        for row in s.select(&sql, ids(chunk)).await? {
            found.extend(RowReader::new(row).uint(0).map(|id| id as u32));
        }
    }
    Ok(found)
}

/// Hopper rows read per statement by [`hopper_leads`].
const HOPPER_PAGE: u64 = 5000;

/// Every lead of the hopper, read a range of its `lead_id` index at a time:
/// a MyISAM hopper is locked while it is read, and one read of 21,000 rows
/// held the dialer's deletes back for 212 ms (README, "Performance"). The
/// `lead_id` index alone answers (MyISAM reads no row); paged by
/// `hopper_id`, rows were read, and for some pages the optimizer chose a
/// scan of the whole table and a sort. A lead with several rows is read
/// once or more; callers want the set.
async fn hopper_leads(s: &mut Session) -> DbResult<Vec<u32>> {
    let mut leads = Vec::new();
    let mut after = 0u64;
    loop {
        let rows = s
            .select(
                "SELECT lead_id FROM vicidial_hopper WHERE lead_id > ? ORDER BY lead_id LIMIT ?",
                vec![after.into(), HOPPER_PAGE.into()],
            )
            .await?;
        let full = rows.len() as u64 == HOPPER_PAGE;
        for row in rows {
            if let Some(lead) = RowReader::new(row).uint(0) {
                after = lead;
                leads.push(lead as u32);
            }
        }
        if !full {
            return Ok(leads);
        }
    }
}

/// Which of these leads still have a hopper row (MEMORY table, hashed on lead_id).
pub async fn in_hopper(s: &mut Session, lead_ids: &[u32]) -> DbResult<std::collections::HashSet<u32>> {
    let mut found = std::collections::HashSet::new();
    if lead_ids.len() > WHOLE_HOPPER_FROM {
        // Many leads: one read of the hopper's lead ids costs less than
        // thousands of index look-ups (README, "Performance").
        let watched: std::collections::HashSet<u32> = lead_ids.iter().copied().collect();
        found.extend(hopper_leads(s).await?.into_iter().filter(|id| watched.contains(id)));
        return Ok(found);
    }
    for chunk in lead_ids.chunks(5000) {
        let sql = format!(
            "SELECT lead_id FROM vicidial_hopper WHERE lead_id IN ({})",
            placeholders(chunk.len())
        );
        for row in s.select(&sql, ids(chunk)).await? {
            if let Some(id) = RowReader::new(row).uint(0) {
                found.insert(id as u32);
            }
        }
    }
    Ok(found)
}

/// From how many watched leads [`in_hopper`] reads the whole hopper instead.
const WHOLE_HOPPER_FROM: usize = 2000;

/// The earliest `callback_time` still to come, for the scheduler.
pub async fn next_due(s: &mut Session, now: NaiveDateTime) -> DbResult<Option<NaiveDateTime>> {
    let rows = s
        .select(
            // ORDER BY ... LIMIT 1 walks the callback_time index from now
            // to the first open one; MIN() would read every open row.
            "SELECT callback_time FROM vicidial_callbacks \
             WHERE status IN ('ACTIVE','TFHCCL') AND callback_time > ? ORDER BY callback_time LIMIT 1",
            vec![now.into()],
        )
        .await?;
    Ok(rows.into_iter().next().and_then(|row| RowReader::new(row).datetime(0)))
}

/// Claims due callbacks: `LIVE`, by `callback_id`, only if still due and open.
pub async fn claim_live(s: &mut Session, callback_ids: &[u32], now: NaiveDateTime) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_callbacks SET status = 'LIVE' \
         WHERE callback_id IN ({}) AND {DUE} AND {HELD}",
        placeholders(callback_ids.len())
    );
    let mut params = ids(callback_ids);
    params.push(now.into());
    s.write(&sql, params).await
}

/// Current status of some callbacks, to tell which claims of a contended batch were ours.
pub async fn statuses(s: &mut Session, callback_ids: &[u32]) -> DbResult<Vec<(u32, String)>> {
    let sql = format!(
        "SELECT callback_id, status FROM vicidial_callbacks WHERE callback_id IN ({})",
        placeholders(callback_ids.len())
    );
    let rows = s.select(&sql, ids(callback_ids)).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            (r.uint(0).unwrap_or_default() as u32, r.text(1))
        })
        .collect())
}

/// Holds due ANYONE callbacks back for the 24-hour limit: `ACTIVE` becomes `TFHCCL`.
pub async fn set_limited(s: &mut Session, callback_ids: &[u32], now: NaiveDateTime) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_callbacks SET status = 'TFHCCL' \
         WHERE callback_id IN ({}) AND status = 'ACTIVE' AND callback_time <= ? AND {HELD}",
        placeholders(callback_ids.len())
    );
    let mut params = ids(callback_ids);
    params.push(now.into());
    s.write(&sql, params).await
}

/// Marks leads held by the 24-hour limit (`called_since_last_reset='D'`, as VICIdial does).
pub async fn mark_leads_limited(s: &mut Session, lead_ids: &[u32]) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_list SET called_since_last_reset = 'D' \
         WHERE lead_id IN ({}) AND called_since_last_reset <> 'D' AND {HELD}",
        placeholders(lead_ids.len())
    );
    s.write(&sql, ids(lead_ids)).await
}

/// A lead as the decision read it: what its conditional writes re-check.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeadAsRead {
    /// `vicidial_list.status` when read.
    pub status: String,
    /// `called_since_last_reset` when read.
    pub called_since_last_reset: String,
}

impl LeadAsRead {
    /// What a lead read says of itself.
    pub fn of(lead: &Lead) -> LeadAsRead {
        LeadAsRead {
            status: lead.status.clone(),
            called_since_last_reset: lead.called_since_last_reset.clone(),
        }
    }
}

/// Groups leads by what a statement sets and what it re-checks, so one
/// statement serves each group (a batch has few: `CBHOLD` to `CALLBK`).
fn by_state<'a, K: Ord>(
    leads: impl IntoIterator<Item = (K, &'a LeadAsRead, u32)>,
) -> std::collections::BTreeMap<(K, &'a LeadAsRead), Vec<u32>> {
    let mut groups = std::collections::BTreeMap::new();
    for (key, read, lead_id) in leads {
        groups.entry((key, read)).or_insert_with(Vec::new).push(lead_id);
    }
    groups
}

/// Gives leads their callbacks' status and `called_since_last_reset='N'`
/// (`AST_VDhopper.pl` line 759, VICIdial 2.14, does it per lead, after the claim), by
/// `lead_id`, only where the lead is still as the decision read it (status
/// and `called_since_last_reset`): a lead the dialer dialed meanwhile (it
/// sets `called_since_last_reset='Y'` as it places the call) or an agent
/// dispositioned is left alone, and the next pass decides again. With
/// `only_cbhold`, only leads still in `CBHOLD` (the repair of a half-done
/// activation, or a claim another process may have made).
pub async fn set_lead_status(s: &mut Session, leads: &[(u32, &str, LeadAsRead)], only_cbhold: bool) -> DbResult<u64> {
    let mut changed = 0;
    for ((status, read), lead_ids) in by_state(leads.iter().map(|(id, st, read)| (*st, read, *id))) {
        let sql = format!(
            "UPDATE vicidial_list SET status = ?, called_since_last_reset = 'N' WHERE lead_id IN ({}) \
             AND status = ? AND called_since_last_reset = ?{} AND {HELD}",
            placeholders(lead_ids.len()),
            if only_cbhold { " AND status = 'CBHOLD'" } else { "" }
        );
        let mut params = vec![Value::from(status)];
        params.extend(ids(&lead_ids));
        params.extend([
            Value::from(read.status.as_str()),
            Value::from(read.called_since_last_reset.as_str()),
        ]);
        changed += s.write(&sql, params).await?;
    }
    Ok(changed)
}

/// A DNC hit: the leads get `lead_status` (`DNCL` or `DNCC`) first, where
/// still as the decision read them, so a crash right after can never leave
/// them dialable; then the open callbacks of the leads that got it `DEAD`.
/// Returns the number of callbacks killed.
pub async fn kill(s: &mut Session, leads: &[(u32, LeadAsRead)], lead_status: &str) -> DbResult<u64> {
    for ((_, read), lead_ids) in by_state(leads.iter().map(|(id, read)| ((), read, *id))) {
        let mut params = vec![Value::from(lead_status)];
        params.extend(ids(&lead_ids));
        params.extend([
            Value::from(read.status.as_str()),
            Value::from(read.called_since_last_reset.as_str()),
        ]);
        s.write(
            &format!(
                "UPDATE vicidial_list SET status = ? WHERE lead_id IN ({}) \
                 AND status = ? AND called_since_last_reset = ? AND {HELD}",
                placeholders(lead_ids.len())
            ),
            params,
        )
        .await?;
    }
    let lead_ids: Vec<u32> = leads.iter().map(|(id, _)| *id).collect();
    let mut params = ids(&lead_ids);
    params.push(Value::from(lead_status));
    s.write(
        &format!(
            "UPDATE vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id SET cb.status = 'DEAD' \
             WHERE cb.lead_id IN ({}) AND cb.status IN ('ACTIVE','LIVE','TFHCCL') AND l.status = ? AND {HELD}",
            placeholders(lead_ids.len())
        ),
        params,
    )
    .await
}

/// A LIVE USERONLY callback old enough to move to ANYONE.
#[derive(Clone, Debug, PartialEq)]
pub struct Stale {
    /// `callback_id`.
    pub callback_id: u32,
    /// Its lead.
    pub lead_id: u32,
    /// Its campaign.
    pub campaign_id: String,
    /// The agent it was reserved for.
    pub user: String,
    /// The campaign's `callback_useronly_move_minutes`.
    pub minutes: u64,
}

/// LIVE USERONLY callbacks of active campaigns that are stale
/// ([`useronly_move`]).
/// Nothing is scanned when no active campaign moves callbacks (the usual case).
pub async fn stale_useronly(s: &mut Session, now: NaiveDateTime, limit: usize) -> DbResult<Vec<Stale>> {
    let moving = s
        .select(
            "SELECT campaign_id FROM vicidial_campaigns WHERE active = 'Y' AND callback_useronly_move_minutes > 0",
            vec![],
        )
        .await?;
    if moving.is_empty() {
        return Ok(vec![]);
    }
    let campaigns: Vec<Value> = moving
        .into_iter()
        .map(|row| RowReader::new(row).text(0).into())
        .collect();
    let sql = format!(
        "SELECT cb.callback_id, cb.lead_id, cb.campaign_id, cb.user, c.callback_useronly_move_minutes \
         FROM vicidial_callbacks cb JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         WHERE cb.status = 'LIVE' AND cb.recipient = 'USERONLY' AND cb.campaign_id IN ({}) AND {} \
         LIMIT ?",
        placeholders(campaigns.len()),
        useronly_move::STALE_SQL
    );
    let mut params = campaigns;
    params.push(now.into());
    params.push((limit as u64).into());
    let rows = s.select(&sql, params).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            Stale {
                callback_id: r.uint(0).unwrap_or_default() as u32,
                lead_id: r.uint(1).unwrap_or_default() as u32,
                campaign_id: r.text(2),
                user: r.text(3),
                minutes: r.uint(4).unwrap_or_default(),
            }
        })
        .collect())
}

/// Moves USERONLY callbacks to ANYONE and `ACTIVE`, as VICIdial's move does
/// (`ADMIN_keepalive_ALL.pl` line 5728, VICIdial 2.14; the next activation
/// takes them through the gates), where they are still LIVE USERONLY and,
/// with `owner`, still that agent's. The one statement of the move: the
/// engine's move of stale ones and the availability move both run it.
pub fn move_to_anyone(callback_ids: &[u32], owner: Option<&str>) -> Stmt {
    let mut params = ids(callback_ids);
    params.extend(owner.map(Value::from));
    Stmt::new(
        format!(
            "UPDATE vicidial_callbacks SET recipient = 'ANYONE', status = 'ACTIVE' \
             WHERE callback_id {} AND status = 'LIVE' AND recipient = 'USERONLY'{} AND {HELD}",
            // One callback (the availability move, shown in the admin log) reads as one.
            match callback_ids.len() {
                1 => "= ?".to_string(),
                n => format!("IN ({})", placeholders(n)),
            },
            if owner.is_some() { " AND user = ?" } else { "" }
        ),
        params,
    )
}

/// Records callbacks this daemon is about to claim LIVE (kept a day), so
/// that one made LIVE by another process can be told from its own across
/// restarts. Written before the claim: a crash between the two leaves a
/// record of a callback still due, which the next pass claims.
pub async fn record_claimed(s: &mut Session, callback_ids: &[u32]) -> DbResult<u64> {
    s.write(
        &format!(
            "REPLACE INTO callbackd_claimed (callback_id, claimed_at) \
             SELECT callback_id, NOW() FROM vicidial_callbacks \
             WHERE callback_id IN ({}) AND status IN {WAITING} AND {HELD}",
            placeholders(callback_ids.len())
        ),
        ids(callback_ids),
    )
    .await
}

/// Which of these callbacks this daemon claimed within the last `seconds`.
pub async fn claimed_lately(s: &mut Session, callback_ids: &[u32], seconds: u64) -> DbResult<Vec<u32>> {
    let sql = format!(
        "SELECT callback_id FROM callbackd_claimed WHERE callback_id IN ({}) AND claimed_at >= NOW() - INTERVAL ? SECOND",
        placeholders(callback_ids.len())
    );
    let mut params = ids(callback_ids);
    params.push(seconds.into());
    Ok(s.select(&sql, params)
        .await?
        .into_iter()
        .filter_map(|row| RowReader::new(row).uint(0).map(|id| id as u32))
        .collect())
}

/// Forgets claims older than a day, a bounded number at a time.
pub async fn forget_claimed(s: &mut Session) -> DbResult<u64> {
    s.write(
        &format!("DELETE FROM callbackd_claimed WHERE claimed_at < NOW() - INTERVAL 1 DAY AND {HELD} LIMIT 10000"),
        vec![],
    )
    .await
}

/// The due callbacks not held by the 24-hour limit (due and `ACTIVE`; the
/// held ones are `TFHCCL`), at the database's now: how many, and the
/// seconds since the oldest one's `callback_time` (the status index keeps
/// it cheap).
pub async fn backlog(s: &mut Session) -> DbResult<(u64, u64)> {
    let now = s.select("SELECT NOW()", vec![]).await?.into_iter().next().and_then(|row| RowReader::new(row).datetime(0));
    let rows = s
        .select(
            &format!(
                "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(SECOND, MIN(callback_time), ?), 0) \
                 FROM vicidial_callbacks WHERE {DUE} AND status = 'ACTIVE'"
            ),
            vec![now.into(), now.into()],
        )
        .await?;
    let mut r = RowReader::new(rows.into_iter().next().expect("an aggregate returns one row"));
    Ok((r.text(0).parse().unwrap_or(0), r.text(1).parse().unwrap_or(0)))
}
