//! Reads and writes of `vicidial_callbacks` (and the lead columns the callback
//! rules change). Every write is a claim: its WHERE clause repeats the state the
//! engine decided on, so a row that changed meanwhile (an agent, the cron, a
//! second daemon) is left alone, and its affected-row count tells.

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::{DbResult, RowReader, Session, ids, placeholders};

/// Who a callback is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// Any agent of the campaign, through the hopper.
    Anyone,
    /// Only the owning agent, by hand.
    UserOnly,
}

impl Recipient {
    fn parse(text: &str) -> Option<Recipient> {
        match text {
            "ANYONE" => Some(Recipient::Anyone),
            "USERONLY" => Some(Recipient::UserOnly),
            _ => None,
        }
    }
}

/// The lead columns the callback rules look at.
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    /// `vicidial_list.lead_id`.
    pub lead_id: u32,
    /// The lead's current list.
    pub list_id: Option<u64>,
    /// `vicidial_list.status`.
    pub status: String,
    /// `gmt_offset_now` as stored (DECIMAL text), `None` for NULL.
    pub gmt_offset_now: Option<String>,
    /// Two-letter state, for state call-time rules.
    pub state: String,
    /// Country calling code.
    pub phone_code: String,
    /// The number dialed.
    pub phone_number: String,
    /// `called_since_last_reset` (`N`, `Y`, `D`, ...).
    pub called_since_last_reset: String,
    /// When the dialer last placed a call (server time), `None` when never.
    pub last_local_call_time: Option<NaiveDateTime>,
    /// Postal code (for the 24-hour limit's per-state override).
    pub postal_code: String,
}

/// A callback joined to its lead, as one pass sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackRow {
    /// `callback_id`.
    pub callback_id: u32,
    /// `vicidial_callbacks.lead_id`.
    pub lead_id: Option<u32>,
    /// `vicidial_callbacks.list_id`: the list the hopper row is filed under.
    pub list_id: Option<u64>,
    /// The callback's campaign.
    pub campaign_id: String,
    /// `ACTIVE`, `TFHCCL`, `LIVE`, ...
    pub status: String,
    /// `None` when the column holds something else (an invalid ENUM value).
    pub recipient: Option<Recipient>,
    /// The owning agent.
    pub user: String,
    /// The status the lead gets when the callback triggers (`CALLBK` or custom).
    pub lead_status: String,
    /// When the callback was set.
    pub entry_time: Option<NaiveDateTime>,
    /// When it triggers.
    pub callback_time: Option<NaiveDateTime>,
    /// The lead, `None` when the row is gone.
    pub lead: Option<Lead>,
    /// Whether the lead has any hopper row (any campaign, any status).
    pub in_hopper: bool,
}

const COLUMNS: &str = "cb.callback_id, cb.lead_id, cb.list_id, cb.campaign_id, cb.status, cb.recipient, \
    cb.user, cb.lead_status, cb.entry_time, cb.callback_time, \
    l.lead_id, l.list_id, l.status, l.gmt_offset_now, l.state, l.phone_code, l.phone_number, \
    l.called_since_last_reset, l.last_local_call_time, l.postal_code, \
    EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)";

fn read_row(row: mysql_async::Row) -> CallbackRow {
    let mut r = RowReader::new(row);
    let callback_id = r.uint(0).unwrap_or_default() as u32;
    let lead_id = r.uint(1).map(|n| n as u32);
    let list_id = r.uint(2);
    let campaign_id = r.text(3);
    let status = r.text(4);
    let recipient = Recipient::parse(&r.text(5));
    let user = r.text(6);
    let lead_status = r.text(7);
    let entry_time = r.datetime(8);
    let callback_time = r.datetime(9);
    let lead = r.uint(10).map(|id| Lead {
        lead_id: id as u32,
        list_id: r.uint(11),
        status: r.text(12),
        gmt_offset_now: r.opt_text(13),
        state: r.text(14),
        phone_code: r.text(15),
        phone_number: r.text(16),
        called_since_last_reset: r.text(17),
        last_local_call_time: r.datetime(18),
        postal_code: r.text(19),
    });
    let in_hopper = r.int(20).unwrap_or(0) != 0;
    CallbackRow {
        callback_id,
        lead_id,
        list_id,
        campaign_id,
        status,
        recipient,
        user,
        lead_status,
        entry_time,
        callback_time,
        lead,
        in_hopper,
    }
}

/// The lead has not been dialed since its callback came due: still in the
/// callback's status, not called since (the dialer sets `Y` and the call time
/// when it places a call, and leaves the status until hangup). The same rule
/// guards the hopper insert, so it is written once, here.
pub const UNDIALED: &str = "l.status = cb.lead_status AND l.called_since_last_reset = 'N' \
    AND (l.last_local_call_time IS NULL \
         OR l.last_local_call_time < GREATEST(cb.callback_time, COALESCE(cb.entry_time, cb.callback_time)))";

/// A half-done activation (or a USERONLY callback converted to ANYONE): the lead
/// is still `CBHOLD`, not called since the callback was set, and no other open
/// callback (other than LIVE ANYONE ones) holds it.
pub const STRANDED: &str = "l.status = 'CBHOLD' \
    AND (l.last_local_call_time IS NULL \
         OR l.last_local_call_time < GREATEST(cb.callback_time, COALESCE(cb.entry_time, cb.callback_time))) \
    AND NOT EXISTS (SELECT 1 FROM vicidial_callbacks o WHERE o.lead_id = cb.lead_id \
         AND o.callback_id <> cb.callback_id \
         AND (o.status IN ('ACTIVE','TFHCCL') OR (o.status = 'LIVE' AND o.recipient = 'USERONLY')))";

/// Which callbacks a scan looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// `ACTIVE`/`TFHCCL` with `callback_time <= now`: to activate.
    Due(NaiveDateTime),
    /// LIVE ANYONE, lead undialed (or stranded in `CBHOLD`), no hopper row;
    /// only those due since the given time when set (the cheap, frequent scan).
    Pending(Option<NaiveDateTime>),
}

impl Scan {
    /// `FROM ... WHERE ...` and its values; the same text serves the id scan
    /// and the row fetch, so a row is fetched only if it still qualifies.
    fn sql(self) -> (String, Vec<Value>) {
        match self {
            Scan::Due(now) => (
                "FROM vicidial_callbacks cb LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
                 WHERE cb.status IN ('ACTIVE','TFHCCL') AND cb.callback_time <= ?"
                    .to_string(),
                vec![now.into()],
            ),
            Scan::Pending(since) => {
                let mut params = vec![];
                let window = match since {
                    Some(t) => {
                        params.push(t.into());
                        "AND cb.callback_time >= ? "
                    }
                    None => "",
                };
                (
                    format!(
                        "FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
                         WHERE cb.status = 'LIVE' AND cb.recipient = 'ANYONE' {window}\
                           AND (({UNDIALED}) OR ({STRANDED})) \
                           AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)"
                    ),
                    params,
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

/// The callbacks a scan matches, in id order (at most `limit`). One index-driven
/// statement per pass; the rows are then fetched by id in bounded batches.
pub async fn scan(s: &mut Session, scan: Scan, limit: usize) -> DbResult<Vec<Found>> {
    let (from_where, mut params) = scan.sql();
    params.push((limit as u64).into());
    let sql = format!("SELECT cb.callback_id, cb.modify_date, l.modify_date {from_where} LIMIT ?");
    let mut found: Vec<Found> = s
        .select(&sql, params)
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            Found {
                callback_id: r.uint(0).unwrap_or_default() as u32,
                version: (r.datetime(1), r.datetime(2)),
            }
        })
        .collect();
    found.sort_unstable_by_key(|f| f.callback_id);
    Ok(found)
}

/// The rows of some scanned callbacks that still match the scan.
pub async fn fetch(s: &mut Session, scan: Scan, callback_ids: &[u32]) -> DbResult<Vec<CallbackRow>> {
    let (from_where, mut params) = scan.sql();
    params.extend(ids(callback_ids));
    let sql = format!(
        "SELECT {COLUMNS} {from_where} AND cb.callback_id IN ({}) ORDER BY cb.callback_id",
        placeholders(callback_ids.len())
    );
    Ok(s.select(&sql, params).await?.into_iter().map(read_row).collect())
}

/// The earliest `callback_time` still to come, for the scheduler.
pub async fn next_due(s: &mut Session, now: NaiveDateTime) -> DbResult<Option<NaiveDateTime>> {
    let rows = s
        .select(
            "SELECT MIN(callback_time) FROM vicidial_callbacks \
             WHERE status IN ('ACTIVE','TFHCCL') AND callback_time > ?",
            vec![now.into()],
        )
        .await?;
    Ok(rows.into_iter().next().and_then(|row| RowReader::new(row).datetime(0)))
}

/// Claims due callbacks: `LIVE`, by `callback_id`, only if still due and open.
pub async fn claim_live(s: &mut Session, callback_ids: &[u32], now: NaiveDateTime) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_callbacks SET status = 'LIVE' \
         WHERE callback_id IN ({}) AND status IN ('ACTIVE','TFHCCL') AND callback_time <= ?",
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
         WHERE callback_id IN ({}) AND status = 'ACTIVE' AND callback_time <= ?",
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
         WHERE lead_id IN ({}) AND called_since_last_reset <> 'D'",
        placeholders(lead_ids.len())
    );
    s.write(&sql, ids(lead_ids)).await
}

/// Gives the leads of LIVE ANYONE callbacks their callback status and
/// `called_since_last_reset='N'`. With `stranded_only`, only leads still in
/// `CBHOLD` (the repair of a half-done activation).
pub async fn set_lead_status(s: &mut Session, callback_ids: &[u32], stranded_only: bool) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_list l JOIN vicidial_callbacks cb ON cb.lead_id = l.lead_id \
         SET l.status = cb.lead_status, l.called_since_last_reset = 'N' \
         WHERE cb.callback_id IN ({}) AND cb.status = 'LIVE' AND cb.recipient = 'ANYONE'{}",
        placeholders(callback_ids.len()),
        if stranded_only { " AND l.status = 'CBHOLD'" } else { "" }
    );
    s.write(&sql, ids(callback_ids)).await
}

/// A DNC hit: the leads get `lead_status` (`DNCL` or `DNCC`) first, so a crash
/// right after can never leave them dialable, then their open callbacks `DEAD`.
/// Returns the number of callbacks killed.
pub async fn kill(s: &mut Session, lead_ids: &[u32], lead_status: &str) -> DbResult<u64> {
    let list = placeholders(lead_ids.len());
    let mut params = vec![Value::from(lead_status)];
    params.extend(ids(lead_ids));
    s.write(
        &format!("UPDATE vicidial_list SET status = ? WHERE lead_id IN ({list})"),
        params,
    )
    .await?;
    s.write(
        &format!(
            "UPDATE vicidial_callbacks SET status = 'DEAD' \
             WHERE lead_id IN ({list}) AND status IN ('ACTIVE','LIVE','TFHCCL')"
        ),
        ids(lead_ids),
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
    /// The campaign's `callback_useronly_move_minutes`.
    pub minutes: u64,
}

/// LIVE USERONLY callbacks of active campaigns whose `callback_time` is more
/// than the campaign's `callback_useronly_move_minutes` ago.
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
        "SELECT cb.callback_id, cb.lead_id, cb.campaign_id, c.callback_useronly_move_minutes \
         FROM vicidial_callbacks cb JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         WHERE cb.status = 'LIVE' AND cb.recipient = 'USERONLY' AND cb.campaign_id IN ({}) \
           AND cb.callback_time < ? - INTERVAL c.callback_useronly_move_minutes MINUTE \
         LIMIT ?",
        placeholders(campaigns.len())
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
                minutes: r.uint(3).unwrap_or_default(),
            }
        })
        .collect())
}

/// Moves stale USERONLY callbacks to ANYONE: `recipient='ANYONE'`, `status='ACTIVE'`.
pub async fn move_to_anyone(s: &mut Session, callback_ids: &[u32]) -> DbResult<u64> {
    let sql = format!(
        "UPDATE vicidial_callbacks SET recipient = 'ANYONE', status = 'ACTIVE' \
         WHERE callback_id IN ({}) AND status = 'LIVE' AND recipient = 'USERONLY'",
        placeholders(callback_ids.len())
    );
    s.write(&sql, ids(callback_ids)).await
}
