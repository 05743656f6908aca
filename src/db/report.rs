//! The SQL of the promise report (`callbacks report`): the callbacks whose
//! time fell in a period, the dials of their leads from `vicidial_log`, the
//! admin log entries that removed them, and for the late ones their 24-hour
//! call counts and the daemon's own activity. Every statement is bounded by
//! an index: callbacks by `callback_time` (a page at a time, keyset on
//! `(callback_time, callback_id)`), dials and admin log entries by a batch of
//! lead ids (`vicidial_log.lead_id`, `vicidial_admin_log.record_id`) and a
//! time range, the counts by lead id or phone number and a `call_date`
//! range, the activity by `claimed_at` and `queued_at` ranges;
//! `vicidial_log` is never scanned. The tables are MyISAM, where a SELECT
//! holds a read lock that stalls the dialer's writes, so pages and batches
//! stay small.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::facts::{ON_CAMPAIGN_LISTS, limit_matching};
use super::fence::HELD;
use super::{DbResult, RowReader, Session, placeholders};
use crate::rules::model::{CallCount, LimitMethod};
use crate::report::classify::{Dial, Promise, Removal};
use crate::report::late::LeadPlace;

/// Callbacks per page.
pub(crate) const PAGE: usize = 2000;
/// Leads per dial or admin log statement.
pub(crate) const LEADS_PER_STATEMENT: usize = 500;

/// Which callbacks the report covers, matched in SQL (ids as VICIdial's
/// pages match them: case-insensitive, trailing spaces ignored).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    /// `callback_time` at or after this (server time).
    pub from: NaiveDateTime,
    /// `callback_time` before this.
    pub to: NaiveDateTime,
    /// The callback's campaign.
    pub campaign: Option<String>,
    /// The owning agent.
    pub user: Option<String>,
    /// `vicidial_callbacks.user_group`.
    pub user_group: Option<String>,
    /// The callback's list.
    pub list: Option<u64>,
}

/// Where the next page starts: after this `(callback_time, callback_id)`.
pub(crate) type After = Option<(NaiveDateTime, u32)>;

/// One page of callbacks of `table` (`vicidial_callbacks` or
/// `vicidial_callbacks_archive`) in the scope, by time, with their lead's
/// status (NULL when the lead is gone).
pub(crate) async fn promises(s: &mut Session, archive: bool, scope: &Scope, after: After) -> DbResult<Vec<Promise>> {
    let table = if archive {
        "vicidial_callbacks_archive"
    } else {
        "vicidial_callbacks"
    };
    let mut sql = format!(
        "SELECT cb.callback_id, cb.lead_id, cb.list_id, cb.campaign_id, cb.user, cb.user_group, cb.recipient, \
         cb.status, cb.entry_time, cb.callback_time, l.lead_id, l.status \
         FROM {table} cb LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.callback_time >= ? AND cb.callback_time < ?"
    );
    let mut params: Vec<Value> = vec![scope.from.into(), scope.to.into()];
    if let Some((time, id)) = after {
        sql.push_str(" AND (cb.callback_time > ? OR (cb.callback_time = ? AND cb.callback_id > ?))");
        params.extend([time.into(), time.into(), id.into()]);
    }
    for (column, value) in [
        ("campaign_id", &scope.campaign),
        ("user", &scope.user),
        ("user_group", &scope.user_group),
    ] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND cb.{column} = ?"));
            params.push(v.as_str().into());
        }
    }
    if let Some(list) = scope.list {
        sql.push_str(" AND cb.list_id = ?");
        params.push(list.into());
    }
    sql.push_str(&format!(" ORDER BY cb.callback_time, cb.callback_id LIMIT {PAGE}"));
    s.select_map(&sql, params, move |row| read_promise(row, archive)).await
}

/// The callbacks of `leads` (at most [`LEADS_PER_STATEMENT`]) whose time is
/// in `[from, to]`, by `lead_id` (indexed), with their lead's status.
pub(crate) async fn promises_of_leads(
    s: &mut Session,
    leads: &[u32],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> DbResult<Vec<Promise>> {
    if leads.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT cb.callback_id, cb.lead_id, cb.list_id, cb.campaign_id, cb.user, cb.user_group, cb.recipient, \
         cb.status, cb.entry_time, cb.callback_time, l.lead_id, l.status \
         FROM vicidial_callbacks cb LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.lead_id IN ({}) AND cb.callback_time >= ? AND cb.callback_time <= ?",
        placeholders(leads.len())
    );
    let mut params: Vec<Value> = leads.iter().map(|&l| l.into()).collect();
    params.extend([from.into(), to.into()]);
    s.select_map(&sql, params, |row| read_promise(row, false)).await
}

fn read_promise(row: mysql_async::Row, archive: bool) -> Promise {
    let mut r = RowReader::new(row);
    let callback_id = r.uint(0).unwrap_or(0) as u32;
    let lead_id = r.uint(1).unwrap_or(0) as u32;
    let list_id = r.uint(2).unwrap_or(0);
    let campaign_id = r.text(3);
    let user = r.text(4);
    let user_group = r.text(5);
    let recipient = r.text(6);
    let status = r.text(7);
    let entry_time = r.datetime(8);
    let callback_time = r.datetime(9).unwrap_or_default();
    let lead_exists = r.uint(10).is_some();
    let lead_status = r.text(11);
    Promise {
        callback_id,
        lead_id,
        list_id,
        campaign_id,
        user,
        user_group,
        recipient,
        status,
        entry_time,
        callback_time,
        lead_status: lead_exists.then_some(lead_status),
        purged: archive,
    }
}

/// The dials with a `call_date` in `(after, upto]` (server time), by
/// `call_date` (indexed), at most `limit`: what the promise metrics watch.
pub(crate) async fn new_dials(
    s: &mut Session,
    after: NaiveDateTime,
    upto: NaiveDateTime,
    limit: usize,
) -> DbResult<Vec<Dial>> {
    let sql = format!(
        "SELECT lead_id, call_date, campaign_id, status, user FROM vicidial_log \
         WHERE call_date > ? AND call_date <= ? ORDER BY call_date LIMIT {limit}"
    );
    let rows = s
        .select_map(&sql, vec![after.into(), upto.into()], |row| {
            let mut r = RowReader::new(row);
            let lead_id = r.uint(0).unwrap_or(0) as u32;
            let call_date = r.datetime(1);
            call_date.map(|call_date| Dial {
                lead_id,
                call_date,
                campaign_id: r.text(2),
                status: r.text(3),
                user: r.text(4),
            })
        })
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// The dials of `leads` with a `call_date` in `[from, to)` (server time), by
/// lead and time. `leads` at most [`LEADS_PER_STATEMENT`].
pub(crate) async fn dials(
    s: &mut Session,
    leads: &[u32],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> DbResult<Vec<Dial>> {
    if leads.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT lead_id, call_date, campaign_id, status, user FROM vicidial_log \
         WHERE lead_id IN ({}) AND call_date >= ? AND call_date < ? ORDER BY lead_id, call_date",
        placeholders(leads.len())
    );
    let mut params: Vec<Value> = leads.iter().map(|&l| l.into()).collect();
    params.extend([from.into(), to.into()]);
    let rows = s
        .select_map(&sql, params, |row| {
            let mut r = RowReader::new(row);
            let lead_id = r.uint(0).unwrap_or(0) as u32;
            let call_date = r.datetime(1);
            call_date.map(|call_date| Dial {
                lead_id,
                call_date,
                campaign_id: r.text(2),
                status: r.text(3),
                user: r.text(4),
            })
        })
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// The admin log entries on `leads` since `since` (server time) whose
/// statements set callbacks `INACTIVE`: VICIdial's lead page
/// (`admin_modify_lead.php`, `ADMIN MODIFY LEAD`, `record_id` the lead) and
/// this daemon's `callbacks remove` (`ADMIN MODIFY LEAD CALLBACK`).
pub(crate) async fn removals(s: &mut Session, leads: &[u32], since: NaiveDateTime) -> DbResult<Vec<Removal>> {
    if leads.is_empty() {
        return Ok(vec![]);
    }
    // record_id is VARCHAR: the ids are bound as text so its index is used.
    let sql = format!(
        "SELECT record_id, event_date, user, event_code FROM vicidial_admin_log \
         WHERE record_id IN ({}) AND event_section = 'LEADS' AND event_date >= ? \
         AND event_sql LIKE '%vicidial_callbacks%' AND event_sql LIKE '%INACTIVE%' ORDER BY event_date",
        placeholders(leads.len())
    );
    let mut params: Vec<Value> = leads.iter().map(|l| l.to_string().into()).collect();
    params.push(since.into());
    let rows = s
        .select_map(&sql, params, |row| {
            let mut r = RowReader::new(row);
            let lead_id = r.text(0).trim().parse::<u32>().ok();
            let at = r.datetime(1);
            let user = r.text(2);
            let code = r.text(3);
            Some(Removal {
                lead_id: lead_id?,
                at: at?,
                user,
                code,
            })
        })
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Whether `phone` (or its area code entry, `NPAXXXXXXX`) is on the
/// internal DNC list, and on `campaign`'s list, now: the entries found.
pub(crate) async fn dnc_entries(s: &mut Session, phone: &str, campaign: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let area = format!("{}XXXXXXX", phone.chars().take(3).collect::<String>());
    let internal = s
        .select_map(
            "SELECT phone_number FROM vicidial_dnc WHERE phone_number IN (?, ?)",
            vec![phone.into(), area.as_str().into()],
            |row| RowReader::new(row).text(0),
        )
        .await?;
    let own = s
        .select_map(
            "SELECT phone_number FROM vicidial_campaign_dnc WHERE campaign_id = ? AND phone_number IN (?, ?)",
            vec![campaign.into(), phone.into(), area.as_str().into()],
            |row| RowReader::new(row).text(0),
        )
        .await?;
    Ok((internal, own))
}

/// The first `CALLBACK PURGE` entry of this daemon's purge at or after the
/// instant `since` (Unix seconds; the server converts it to its own time):
/// `(event_date, user)`.
pub(crate) async fn purge_entry(s: &mut Session, since: i64) -> DbResult<Option<(NaiveDateTime, String)>> {
    let rows = s
        .select_map(
            "SELECT event_date, user FROM vicidial_admin_log WHERE record_id = 'callbacks' \
             AND event_code = 'CALLBACK PURGE' AND event_date >= FROM_UNIXTIME(?) ORDER BY event_date LIMIT 1",
            vec![since.into()],
            |row| {
                let mut r = RowReader::new(row);
                let at = r.datetime(0);
                at.map(|at| (at, r.text(1)))
            },
        )
        .await?;
    Ok(rows.into_iter().flatten().next())
}

/// The time zone and state of `leads` (at most [`LEADS_PER_STATEMENT`]), by primary key.
pub(crate) async fn places(s: &mut Session, leads: &[u32]) -> DbResult<Vec<(u32, LeadPlace)>> {
    if leads.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT lead_id, gmt_offset_now, state FROM vicidial_list WHERE lead_id IN ({})",
        placeholders(leads.len())
    );
    let params: Vec<Value> = leads.iter().map(|&l| l.into()).collect();
    s.select_map(&sql, params, |row| {
        let mut r = RowReader::new(row);
        let lead = r.uint(0).unwrap_or(0) as u32;
        (
            lead,
            LeadPlace {
                gmt_offset_now: r.text(1),
                state: r.text(2),
            },
        )
    })
    .await
}

/// A late callback whose 24-hour call count is wanted: its lead's calls
/// counted in the day before `at`, the moment it became dialable (server time).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CountAt {
    /// `callback_id`.
    pub callback_id: u32,
    /// `lead_id`.
    pub lead_id: u32,
    /// The callback's campaign (matched to `vicidial_campaigns` in SQL).
    pub campaign_id: String,
    /// When it became dialable (server time).
    pub at: NaiveDateTime,
}

/// The 24-hour call counts of `wanted` (at most [`LEADS_PER_STATEMENT`]) by
/// `method`, each at its own moment: the rows of `vicidial_lead_24hour_calls`
/// with `call_date` in `[at - 1 day, at)`, the same rows and scope the pass
/// counts at `NOW()` (`db::facts`, `AST_VDhopper.pl` lines 3760-3782,
/// VICIdial 2.14). One statement: the callbacks are a derived table joined to
/// the leads by primary key and to the calls by `lead_id` or `phone_number`
/// (both indexed) and the `call_date` range. The campaign id is read from
/// `vicidial_campaigns` so it keeps its column's collation; a callback whose
/// campaign is gone gets no count (unknown).
pub(crate) async fn call_counts(
    s: &mut Session,
    method: LimitMethod,
    wanted: &[CountAt],
) -> DbResult<HashMap<u32, CallCount>> {
    let Some(matching) = limit_matching(method) else {
        return Ok(HashMap::new());
    };
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let one = "SELECT CAST(? AS UNSIGNED) AS callback_id, CAST(? AS UNSIGNED) AS lead_id, c.campaign_id, \
               CAST(? AS DATETIME) AS at FROM vicidial_campaigns c WHERE c.campaign_id = ?";
    let derived = vec![one; wanted.len()].join(" UNION ALL ");
    let sql = format!(
        "SELECT cb.callback_id, COUNT(t.lead_id), COALESCE(SUM({ON_CAMPAIGN_LISTS}), 0), \
           MIN(t.call_date), MIN(IF({ON_CAMPAIGN_LISTS}, t.call_date, NULL)) \
         FROM ({derived}) cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         LEFT JOIN vicidial_lead_24hour_calls t ON {matching} \
           AND t.call_date >= cb.at - INTERVAL 1 DAY AND t.call_date < cb.at \
         GROUP BY cb.callback_id"
    );
    let mut params: Vec<Value> = Vec::with_capacity(wanted.len() * 4);
    for w in wanted {
        params.extend([
            w.callback_id.into(),
            w.lead_id.into(),
            w.at.into(),
            w.campaign_id.as_str().into(),
        ]);
    }
    let rows = s
        .select_map(&sql, params, |row| {
            let mut r = RowReader::new(row);
            let id = r.uint(0).unwrap_or(0) as u32;
            (
                id,
                CallCount {
                    all: r.uint(1).unwrap_or_default(),
                    campaign_lists: r.uint(2).unwrap_or_default(),
                    oldest_all: r.datetime(3),
                    oldest_campaign_lists: r.datetime(4),
                },
            )
        })
        .await?;
    Ok(rows.into_iter().collect())
}

/// Whether the daemon's own activity tables (`callbackd_claimed`,
/// `callbackd_queued`) both exist.
pub(crate) async fn activity_tables(s: &mut Session) -> DbResult<bool> {
    let n = s
        .select_map(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME IN ('callbackd_claimed', 'callbackd_queued')",
            vec![],
            |row| RowReader::new(row).uint(0).unwrap_or(0),
        )
        .await?;
    Ok(n.first().copied() == Some(2))
}

/// The minutes in `[from, to)` (server time) in which the daemon claimed a
/// callback or inserted a hopper row: each minute's start, once. Two
/// ranges on the `claimed_at` and `queued_at` indexes; the tables keep a
/// day, so at most some 1,440 minutes each.
pub(crate) async fn active_minutes(
    s: &mut Session,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> DbResult<Vec<NaiveDateTime>> {
    let rows = s
        .select_map(
            "SELECT DISTINCT CAST(DATE_FORMAT(claimed_at, '%Y-%m-%d %H:%i:00') AS DATETIME) FROM callbackd_claimed \
               WHERE claimed_at >= ? AND claimed_at < ? \
             UNION SELECT DISTINCT CAST(DATE_FORMAT(queued_at, '%Y-%m-%d %H:%i:00') AS DATETIME) FROM callbackd_queued \
               WHERE queued_at >= ? AND queued_at < ?",
            vec![from.into(), to.into(), from.into(), to.into()],
            |row| RowReader::new(row).datetime(0),
        )
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Takes the day's digest for this process: one `vicidial_admin_log` row
/// per `record`, made only when none exists, so two daemons (or a restart)
/// send it once. Returns `(rows made, the row's id)`.
pub(crate) async fn claim_digest(s: &mut Session, record: &str, code: &str) -> DbResult<(u64, u64)> {
    s.insert(
        &format!(
            "INSERT INTO vicidial_admin_log (event_date, user, ip_address, event_section, event_type, record_id, \
             event_code, event_sql, event_notes) \
             SELECT NOW(), 'VDAD', '1.1.1.1', 'REPORTS', 'OTHER', ?, ?, '', 'claimed' FROM DUAL \
             WHERE NOT EXISTS (SELECT 1 FROM vicidial_admin_log WHERE record_id = ? AND event_code = ?) \
             AND {HELD}"
        ),
        vec![record.into(), code.into(), record.into(), code.into()],
    )
    .await
}

/// Writes what became of the digest into its `vicidial_admin_log` row.
pub(crate) async fn note_digest(s: &mut Session, log_id: u64, outcome: &str) -> DbResult<u64> {
    s.write(
        &format!("UPDATE vicidial_admin_log SET event_notes = ? WHERE admin_log_id = ? AND {HELD}"),
        vec![outcome.into(), log_id.into()],
    )
    .await
}
