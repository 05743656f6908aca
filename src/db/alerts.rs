//! Reads and writes of the email-alert bookkeeping in `vicidial_callbacks`
//! (`email_alert`, `email_result`, VICIdial's own columns) and of what an
//! alert is built from: the callback joined to its campaign, lead, list,
//! owner and the owner's login, and the `AGENT_CALLBACK_EMAIL` container.
//!
//! Every write is conditional on `email_alert IS NULL` (and on the callback
//! still being a LIVE USERONLY one), so exactly one process, whether this
//! daemon, a second daemon or the agent screen, ever owns an alert.

use crate::rules::hours_block;
use chrono::NaiveDateTime;
use mysql_async::Value;

use super::fence::HELD;
use super::{DbResult, RowReader, Session};

/// The `vicidial_list` columns an alert offers as `--A--name--B--` variables,
/// in the order they are selected. Each name is the column's own.
pub const LEAD_COLUMNS: [&str; 28] = [
    "lead_id",
    "vendor_lead_code",
    "list_id",
    "gmt_offset_now",
    "phone_code",
    "phone_number",
    "title",
    "first_name",
    "middle_initial",
    "last_name",
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "province",
    "postal_code",
    "country_code",
    "gender",
    "date_of_birth",
    "alt_phone",
    "email",
    "security_phrase",
    "comments",
    "called_count",
    "rank",
    "owner",
    "entry_list_id",
];

/// The value `email_result` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailResult {
    /// The mail server (or `sendmail`) accepted the message.
    Sent,
    /// Sending failed for good (a permanent refusal, or retries exhausted).
    Failed,
    /// No email was attempted: no container, no valid address, too late, ...
    NotAvailable,
}

impl EmailResult {
    /// The ENUM value as VICIdial spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailResult::Sent => "SENT",
            EmailResult::Failed => "FAILED",
            EmailResult::NotAvailable => "NOT AVAILABLE",
        }
    }
}

/// A triggered USERONLY callback whose alert is due, with everything its
/// email needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// `callback_id`.
    pub callback_id: u32,
    /// The owning agent (`vicidial_callbacks.user`).
    pub user: String,
    /// The callback's campaign.
    pub campaign_id: String,
    /// When the callback was set.
    pub entry_time: Option<NaiveDateTime>,
    /// When it triggered.
    pub callback_time: Option<NaiveDateTime>,
    /// `vicidial_callbacks.comments`.
    pub comments: String,
    /// The campaign's `callback_hours_block` (negative values read as 0).
    pub hours_block: u32,
    /// Whether the owner has a `vicidial_users` row.
    pub user_exists: bool,
    /// The owner's `full_name`.
    pub agent_name: String,
    /// The owner's `email`.
    pub agent_email: String,
    /// Whether the owner has a `vicidial_live_agents` row (is logged in).
    pub logged_in: bool,
    /// `list_name` of the lead's list.
    pub list_name: String,
    /// `list_description` of the lead's list.
    pub list_description: String,
    /// The lead's [`LEAD_COLUMNS`] as text (NULL read as empty), in that
    /// order; `None` when the lead row is gone.
    pub lead: Option<Vec<String>>,
}

fn lead_select_list() -> String {
    LEAD_COLUMNS
        .iter()
        .map(|c| format!("l.`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_candidate(row: mysql_async::Row) -> Candidate {
    let mut r = RowReader::new(row);
    let callback_id = r.uint(0).unwrap_or_default() as u32;
    let user = r.text(1);
    let campaign_id = r.text(2);
    let entry_time = r.datetime(3);
    let callback_time = r.datetime(4);
    let comments = r.text(5);
    let hours_block = r.int(6).unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32;
    let user_exists = r.opt_text(7).is_some();
    let agent_name = r.text(8);
    let agent_email = r.text(9);
    let logged_in = r.int(10).unwrap_or(0) != 0;
    let list_name = r.text(11);
    let list_description = r.text(12);
    const FIRST_LEAD: usize = 13;
    let lead = r.opt_text(FIRST_LEAD).map(|lead_id| {
        let mut values = Vec::with_capacity(LEAD_COLUMNS.len());
        values.push(lead_id);
        values.extend((1..LEAD_COLUMNS.len()).map(|i| r.text(FIRST_LEAD + i)));
        values
    });
    Candidate {
        callback_id,
        user,
        campaign_id,
        entry_time,
        callback_time,
        comments,
        hours_block,
        user_exists,
        agent_name,
        agent_email,
        logged_in,
        list_name,
        list_description,
        lead,
    }
}

/// LIVE USERONLY callbacks after `after_id` (in id order) whose alert is due
/// at `now`: `email_alert IS NULL`, their own campaign has
/// `scheduled_callbacks_email_alert='Y'`, and the campaign's hours block
/// (`entry_time + callback_hours_block` hours) has passed. One statement for
/// the batch, joined to the campaign, lead, list, owner and login.
pub async fn candidates(s: &mut Session, now: NaiveDateTime, after_id: u32, limit: usize) -> DbResult<Vec<Candidate>> {
    let sql = candidate_sql(&format!(
        "cb.status = 'LIVE' AND cb.recipient = 'USERONLY' AND cb.email_alert IS NULL \
           AND c.scheduled_callbacks_email_alert = 'Y' \
           AND {} \
           AND cb.callback_id > ? \
         ORDER BY cb.callback_id LIMIT ?",
        hours_block::OVER_AT_SQL
    ));
    let rows = s
        .select(&sql, vec![now.into(), after_id.into(), (limit as u64).into()])
        .await?;
    Ok(rows.into_iter().map(read_candidate).collect())
}

/// One callback's alert as [`candidates`] reads it, whatever its state (for
/// `alerts resend`); `None` when the callback or its campaign is gone.
pub async fn candidate(s: &mut Session, callback_id: u32) -> DbResult<Option<Candidate>> {
    let rows = s
        .select(&candidate_sql("cb.callback_id = ?"), vec![callback_id.into()])
        .await?;
    Ok(rows.into_iter().next().map(read_candidate))
}

/// The candidate SELECT, joined to the campaign, lead, list, owner and login, with `condition`.
fn candidate_sql(condition: &str) -> String {
    format!(
        "SELECT cb.callback_id, cb.user, cb.campaign_id, cb.entry_time, cb.callback_time, cb.comments, \
           GREATEST(COALESCE(c.callback_hours_block, 0), 0), \
           u.user, u.full_name, u.email, \
           EXISTS (SELECT 1 FROM vicidial_live_agents a WHERE a.user = cb.user), \
           li.list_name, li.list_description, \
           {} \
         FROM vicidial_callbacks cb \
         JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         LEFT JOIN vicidial_lists li ON li.list_id = l.list_id \
         LEFT JOIN vicidial_users u ON u.user = cb.user \
         WHERE {condition}",
        lead_select_list()
    )
}

/// Whether any campaign has `scheduled_callbacks_email_alert='Y'`: when none
/// has, no alert can be due and the candidate scan is skipped.
pub async fn any_campaign_alerts(s: &mut Session) -> DbResult<bool> {
    let rows = s
        .select(
            "SELECT 1 FROM vicidial_campaigns WHERE scheduled_callbacks_email_alert = 'Y' LIMIT 1",
            vec![],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// When the next alert held back only by its campaign's hours block comes
/// due (the end of the block, server time), if any.
pub async fn next_unblocked(s: &mut Session, now: NaiveDateTime) -> DbResult<Option<NaiveDateTime>> {
    const BLOCK_END: &str = hours_block::ENDS_SQL;
    let rows = s
        .select(
            &format!(
                "SELECT MIN({BLOCK_END}) FROM vicidial_callbacks cb \
                 JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
                 WHERE cb.status = 'LIVE' AND cb.recipient = 'USERONLY' AND cb.email_alert IS NULL \
                   AND c.scheduled_callbacks_email_alert = 'Y' AND {BLOCK_END} > ?"
            ),
            vec![now.into()],
        )
        .await?;
    Ok(rows.into_iter().next().and_then(|row| RowReader::new(row).datetime(0)))
}

/// The id VICIdial's agent screen reads. VICIdial's installer writes it with a
/// trailing space; both spellings are looked up, so the row is found under
/// PAD SPACE collations (where they are the same key) and NO PAD ones alike.
pub const CONTAINER_ID: &str = "AGENT_CALLBACK_EMAIL";

/// The text of the `AGENT_CALLBACK_EMAIL` settings container, `None` when
/// there is no such row (a NULL entry reads as empty text).
pub async fn container(s: &mut Session) -> DbResult<Option<String>> {
    let rows = s
        .select(
            "SELECT container_entry FROM vicidial_settings_containers \
             WHERE container_id IN (?, ?) ORDER BY CHAR_LENGTH(container_id) LIMIT 1",
            vec![CONTAINER_ID.into(), format!("{CONTAINER_ID} ").into()],
        )
        .await?;
    Ok(rows.into_iter().next().map(|row| RowReader::new(row).text(0)))
}

/// The conditions every claim re-checks: still a LIVE USERONLY callback nobody
/// has claimed (the daemon, another daemon, or the agent screen).
const UNCLAIMED: &str = "email_alert IS NULL AND status = 'LIVE' AND recipient = 'USERONLY'";

/// Claims an alert before sending it: `email_alert = at` if still unclaimed.
/// True when this call made the claim (the caller then sends, once).
pub async fn claim(s: &mut Session, callback_id: u32, at: NaiveDateTime) -> DbResult<bool> {
    let n = s
        .write(
            &format!("UPDATE vicidial_callbacks SET email_alert = ? WHERE callback_id = ? AND {UNCLAIMED} AND {HELD}"),
            vec![at.into(), callback_id.into()],
        )
        .await?;
    Ok(n == 1)
}

/// Claims an alert and records `NOT AVAILABLE` in one statement. True when
/// this call made the claim.
pub async fn claim_not_available(s: &mut Session, callback_id: u32, at: NaiveDateTime) -> DbResult<bool> {
    let n = s
        .write(
            &format!(
                "UPDATE vicidial_callbacks SET email_alert = ?, email_result = ? \
                 WHERE callback_id = ? AND {UNCLAIMED} AND {HELD}"
            ),
            vec![at.into(), EmailResult::NotAvailable.as_str().into(), callback_id.into()],
        )
        .await?;
    Ok(n == 1)
}

/// Records the outcome of an alert this process claimed.
pub async fn record(s: &mut Session, callback_id: u32, result: EmailResult) -> DbResult<u64> {
    s.write(
        &format!(
            "UPDATE vicidial_callbacks SET email_result = ? \
             WHERE callback_id = ? AND email_alert IS NOT NULL AND email_result IS NULL AND {HELD}"
        ),
        vec![Value::from(result.as_str()), callback_id.into()],
    )
    .await
}

/// An alert claimed at some point whose result was never recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrecorded {
    /// `callback_id`.
    pub callback_id: u32,
    /// The owning agent.
    pub user: String,
    /// When it was claimed (`email_alert`).
    pub claimed_at: Option<NaiveDateTime>,
}

/// LIVE USERONLY callbacks claimed at or before `claimed_before` with no
/// `email_result`: a crash or kill between claim and result. Whether their
/// email went out is unknown; they are never sent again.
pub async fn unrecorded(s: &mut Session, claimed_before: NaiveDateTime, limit: usize) -> DbResult<Vec<Unrecorded>> {
    let rows = s
        .select(
            "SELECT callback_id, user, email_alert FROM vicidial_callbacks \
             WHERE status = 'LIVE' AND recipient = 'USERONLY' \
               AND email_alert IS NOT NULL AND email_alert <= ? AND email_result IS NULL \
             ORDER BY callback_id LIMIT ?",
            vec![claimed_before.into(), (limit as u64).into()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            Unrecorded {
                callback_id: r.uint(0).unwrap_or_default() as u32,
                user: r.text(1),
                claimed_at: r.datetime(2),
            }
        })
        .collect())
}
