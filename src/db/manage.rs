//! The SQL of the manager commands (`callbacks ...`, `alerts ...`): what a
//! manager reads about callbacks, the conditional writes a change makes, the
//! purge into `vicidial_callbacks_archive`, the availability move and
//! VICIdial's admin log. Values are matched in SQL (ids case-insensitive,
//! trailing spaces ignored, as VICIdial's own pages match them) and bound,
//! never spliced; every write names the callback and the state it changes.

use chrono::{DateTime, NaiveDateTime};
use mysql_async::Value;

use super::fence::HELD;
use super::{DbResult, RowReader, Session, Stmt, ids, placeholders};
use crate::rules::status::DUE_SQL;

/// Statuses of a callback still to be kept: waiting, triggered, or held by the 24-hour limit.
pub const OPEN: &str = crate::rules::status::OPEN_SQL;

/// Everything a manager sees about one callback: the row, its lead, the
/// lead's hopper row, its campaign and its owner.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Detail {
    /// `callback_id`.
    pub callback_id: u32,
    /// `vicidial_callbacks.lead_id`.
    pub lead_id: u32,
    /// The callback's list.
    pub list_id: u64,
    /// The callback's campaign.
    pub campaign_id: String,
    /// `ACTIVE`, `LIVE`, `TFHCCL`, `INACTIVE`, `DEAD`, ...
    pub status: String,
    /// `ANYONE` or `USERONLY` (as stored).
    pub recipient: String,
    /// The owning agent.
    pub user: String,
    /// `vicidial_callbacks.user_group`.
    pub user_group: String,
    /// The status the lead gets when it triggers.
    pub lead_status: String,
    /// When it was set (server time).
    pub entry_time: Option<NaiveDateTime>,
    /// When it triggers (server time).
    pub callback_time: Option<NaiveDateTime>,
    /// When the row last changed (server time).
    pub modify_date: Option<NaiveDateTime>,
    /// The agent's notes.
    pub comments: String,
    /// When the email alert was claimed.
    pub email_alert: Option<NaiveDateTime>,
    /// `SENT`, `FAILED`, `NOT AVAILABLE`, or empty.
    pub email_result: String,
    /// The lead, when its row exists.
    pub lead: Option<LeadDetail>,
    /// The status of the lead's hopper row, when it has one.
    pub hopper_status: Option<String>,
    /// The campaign, when it exists.
    pub campaign: Option<CampaignDetail>,
    /// The owner, when the user exists.
    pub owner: Option<Owner>,
}

/// The lead columns a manager needs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LeadDetail {
    /// `vicidial_list.status`.
    pub status: String,
    /// The lead's current list.
    pub list_id: u64,
    /// `phone_code`.
    pub phone_code: String,
    /// `phone_number`.
    pub phone_number: String,
    /// First and last name.
    pub name: String,
    /// Two-letter state.
    pub state: String,
    /// `gmt_offset_now` as stored.
    pub gmt_offset_now: String,
    /// `called_since_last_reset`.
    pub called_since_last_reset: String,
    /// `called_count`.
    pub called_count: u64,
    /// Last dial, in the lead's own local time (as VICIdial writes it).
    pub last_local_call_time: Option<NaiveDateTime>,
}

/// The campaign columns a manager needs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CampaignDetail {
    /// `active = 'Y'`.
    pub active: bool,
    /// `scheduled_callbacks = 'Y'`.
    pub scheduled_callbacks: bool,
    /// `callback_useronly_move_minutes`.
    pub useronly_move_minutes: u64,
}

/// A `vicidial_users` row, and whether the user is logged in now.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Owner {
    /// `user` as the row spells it.
    pub user: String,
    /// `full_name`.
    pub full_name: String,
    /// `active = 'Y'`.
    pub active: bool,
    /// `user_group`.
    pub user_group: String,
    /// The campaign of the agent's `vicidial_live_agents` row, when logged in.
    pub logged_in_campaign: Option<String>,
}

const DETAIL_COLUMNS: &str = "cb.callback_id, cb.lead_id, cb.list_id, cb.campaign_id, cb.status, cb.recipient, \
    cb.user, cb.user_group, cb.lead_status, cb.entry_time, cb.callback_time, UNIX_TIMESTAMP(cb.modify_date), \
    cb.comments, cb.email_alert, cb.email_result, \
    l.lead_id, l.status, l.list_id, l.phone_code, l.phone_number, CONCAT_WS(' ', l.first_name, l.last_name), \
    l.state, l.gmt_offset_now, l.called_since_last_reset, l.called_count, l.last_local_call_time, \
    (SELECT h.status FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id ORDER BY h.hopper_id LIMIT 1), \
    c.campaign_id, c.active, c.scheduled_callbacks, c.callback_useronly_move_minutes, \
    u.user, u.full_name, u.active, u.user_group, \
    (SELECT a.campaign_id FROM vicidial_live_agents a WHERE a.user = cb.user LIMIT 1)";

const DETAIL_FROM: &str = "FROM vicidial_callbacks cb \
    LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
    LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
    LEFT JOIN vicidial_users u ON u.user = cb.user";

fn read_detail(row: mysql_async::Row) -> Detail {
    let mut r = RowReader::new(row);
    let mut d = Detail {
        callback_id: r.uint(0).unwrap_or_default() as u32,
        lead_id: r.uint(1).unwrap_or_default() as u32,
        list_id: r.uint(2).unwrap_or_default(),
        campaign_id: r.text(3),
        status: r.text(4),
        recipient: r.text(5),
        user: r.text(6),
        user_group: r.text(7),
        lead_status: r.text(8),
        entry_time: r.datetime(9),
        callback_time: r.datetime(10),
        modify_date: None,
        comments: r.text(12),
        email_alert: r.datetime(13),
        email_result: r.text(14),
        ..Detail::default()
    };
    // Read as an instant, shown in the server's time by the caller's clock.
    d.modify_date = r
        .int(11)
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .map(|t| t.naive_utc());
    if r.uint(15).is_some() {
        d.lead = Some(LeadDetail {
            status: r.text(16),
            list_id: r.uint(17).unwrap_or_default(),
            phone_code: r.text(18),
            phone_number: r.text(19),
            name: r.text(20),
            state: r.text(21),
            gmt_offset_now: r.text(22),
            called_since_last_reset: r.text(23),
            called_count: r.uint(24).unwrap_or_default(),
            last_local_call_time: r.datetime(25),
        });
    }
    d.hopper_status = r.opt_text(26);
    if r.opt_text(27).is_some() {
        d.campaign = Some(CampaignDetail {
            active: r.text(28) == "Y",
            scheduled_callbacks: r.text(29) == "Y",
            useronly_move_minutes: r.uint(30).unwrap_or_default(),
        });
    }
    if let Some(user) = r.opt_text(31) {
        d.owner = Some(Owner {
            user,
            full_name: r.text(32),
            active: r.text(33) == "Y",
            user_group: r.text(34),
            logged_in_campaign: r.opt_text(35),
        });
    }
    d
}

/// One callback, `None` when there is no such id. `modify_date` comes back in UTC.
pub async fn detail(s: &mut Session, callback_id: u32) -> DbResult<Option<Detail>> {
    let sql = format!("SELECT {DETAIL_COLUMNS} {DETAIL_FROM} WHERE cb.callback_id = ?");
    Ok(s.select(&sql, vec![callback_id.into()]).await?.pop().map(read_detail))
}

/// [`detail`] of a callback purged into `vicidial_callbacks_archive` (same
/// columns; its lead, campaign and owner as they are now).
pub async fn archived_detail(s: &mut Session, callback_id: u32) -> DbResult<Option<Detail>> {
    let from = DETAIL_FROM.replacen("FROM vicidial_callbacks cb", "FROM vicidial_callbacks_archive cb", 1);
    let sql = format!("SELECT {DETAIL_COLUMNS} {from} WHERE cb.callback_id = ?");
    Ok(s.select(&sql, vec![callback_id.into()]).await?.pop().map(read_detail))
}

/// What `callbacks list` filters on; every value is matched in SQL.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Owner.
    pub user: Option<String>,
    /// Campaign.
    pub campaign: Option<String>,
    /// The callback's list.
    pub list: Option<u64>,
    /// Status.
    pub status: Option<String>,
    /// Recipient.
    pub recipient: Option<String>,
    /// `callback_time` before this (server time).
    pub due_before: Option<NaiveDateTime>,
    /// Only these callbacks.
    pub ids: Option<Vec<u32>>,
    /// Only open ones (`ACTIVE`, `LIVE`, `TFHCCL`).
    pub open: bool,
}

/// The callbacks a filter selects, by `callback_time`, at most `limit`.
pub async fn list(s: &mut Session, filter: &Filter, limit: usize) -> DbResult<Vec<Detail>> {
    let mut wheres = vec!["1 = 1".to_string()];
    let mut params: Vec<Value> = Vec::new();
    let text = [
        ("cb.user", &filter.user),
        ("cb.campaign_id", &filter.campaign),
        ("cb.status", &filter.status),
        ("cb.recipient", &filter.recipient),
    ];
    for (column, value) in text {
        if let Some(v) = value {
            wheres.push(format!("{column} = ?"));
            params.push(v.as_str().into());
        }
    }
    if filter.open {
        wheres.push(format!("cb.status IN {OPEN}"));
    }
    if let Some(list) = filter.list {
        wheres.push("cb.list_id = ?".into());
        params.push(list.into());
    }
    if let Some(t) = filter.due_before {
        wheres.push("cb.callback_time < ?".into());
        params.push(t.into());
    }
    if let Some(wanted) = &filter.ids {
        if wanted.is_empty() {
            return Ok(vec![]);
        }
        wheres.push(format!("cb.callback_id IN ({})", placeholders(wanted.len())));
        params.extend(ids(wanted));
    }
    params.push((limit as u64).into());
    let sql = format!(
        "SELECT {DETAIL_COLUMNS} {DETAIL_FROM} WHERE {} ORDER BY cb.callback_time, cb.callback_id LIMIT ?",
        wheres.join(" AND ")
    );
    Ok(s.select(&sql, params).await?.into_iter().map(read_detail).collect())
}

/// A user as `vicidial_users` spells it, `None` when there is none (matched as MySQL matches).
pub async fn user(s: &mut Session, name: &str) -> DbResult<Option<Owner>> {
    let rows = s
        .select(
            "SELECT u.user, u.full_name, u.active, u.user_group, \
               (SELECT a.campaign_id FROM vicidial_live_agents a WHERE a.user = u.user LIMIT 1) \
             FROM vicidial_users u WHERE u.user = ? LIMIT 1",
            vec![name.into()],
        )
        .await?;
    Ok(rows.into_iter().next().map(|row| {
        let mut r = RowReader::new(row);
        Owner {
            user: r.text(0),
            full_name: r.text(1),
            active: r.text(2) == "Y",
            user_group: r.text(3),
            logged_in_campaign: r.opt_text(4),
        }
    }))
}

/// The campaign as its row spells it, `None` when there is none.
pub async fn campaign_id(s: &mut Session, id: &str) -> DbResult<Option<String>> {
    let rows = s
        .select(
            "SELECT campaign_id FROM vicidial_campaigns WHERE campaign_id = ? LIMIT 1",
            vec![id.into()],
        )
        .await?;
    Ok(rows.into_iter().next().map(|row| RowReader::new(row).text(0)))
}

/// Reassigns one open callback: `user = to`.
pub fn set_user(callback_id: u32, to: &str) -> Stmt {
    Stmt::new(
        format!("UPDATE vicidial_callbacks SET user = ? WHERE callback_id = ? AND status IN {OPEN}"),
        vec![to.into(), callback_id.into()],
    )
}

/// The open USERONLY callbacks of `from` (of one campaign, when given): what
/// a bulk reassignment changes, as VICIdial's bulk change selects them
/// (`callbacks_bulk_change.php` line 201, VICIdial 2.14: `recipient='USERONLY'`, by user).
pub async fn useronly_of(s: &mut Session, from: &str, campaign: Option<&str>) -> DbResult<Vec<Detail>> {
    let filter = Filter {
        user: Some(from.into()),
        campaign: campaign.map(str::to_owned),
        recipient: Some("USERONLY".into()),
        open: true,
        ..Filter::default()
    };
    list(s, &filter, u32::MAX as usize).await
}

/// Reassigns open USERONLY callbacks of `from` to `to`, by id, re-checking the owner.
pub fn set_user_bulk(callback_ids: &[u32], from: &str, to: &str) -> Stmt {
    let mut params = vec![Value::from(to)];
    params.extend(ids(callback_ids));
    params.push(from.into());
    Stmt::new(
        format!(
            "UPDATE vicidial_callbacks SET user = ? WHERE callback_id IN ({}) AND status IN {OPEN} \
             AND recipient = 'USERONLY' AND user = ?",
            placeholders(callback_ids.len())
        ),
        params,
    )
}

/// USERONLY to ANYONE: only `recipient` changes, as VICIdial's lead page does
/// it (`admin_modify_lead.php` line 1764, VICIdial 2.14); a LIVE one is then completed by
/// the engine's pending rule.
pub fn to_anyone(callback_id: u32) -> Stmt {
    Stmt::new(
        format!(
            "UPDATE vicidial_callbacks SET recipient = 'ANYONE' \
             WHERE callback_id = ? AND recipient = 'USERONLY' AND status IN {OPEN}"
        ),
        vec![callback_id.into()],
    )
}

/// ANYONE to USERONLY for `user`, as VICIdial's lead page does it
/// (`admin_modify_lead.php` line 1773, VICIdial 2.14: `user` and `recipient`).
pub fn to_useronly(callback_id: u32, user: &str) -> Stmt {
    Stmt::new(
        format!(
            "UPDATE vicidial_callbacks SET user = ?, recipient = 'USERONLY' \
             WHERE callback_id = ? AND recipient = 'ANYONE' AND status IN {OPEN}"
        ),
        vec![user.into(), callback_id.into()],
    )
}

/// A new time; the callback waits for it again (`ACTIVE`), as VICIdial's
/// auto-reschedule does (`AST_VDauto_dial.pl` line 5075, VICIdial 2.14).
pub fn reschedule(callback_id: u32, at: NaiveDateTime) -> Stmt {
    Stmt::new(
        format!(
            "UPDATE vicidial_callbacks SET callback_time = ?, status = 'ACTIVE' \
             WHERE callback_id = ? AND status IN {OPEN}"
        ),
        vec![at.into(), callback_id.into()],
    )
}

/// Removes a callback: `INACTIVE`, the status of a done callback.
pub fn remove(callback_id: u32) -> Stmt {
    Stmt::new(
        format!("UPDATE vicidial_callbacks SET status = 'INACTIVE' WHERE callback_id = ? AND status IN {OPEN}"),
        vec![callback_id.into()],
    )
}

/// When a triggered ANYONE callback is taken back (rescheduled, converted to
/// USERONLY), its lead goes back to `CBHOLD` (as VICIdial's auto-reschedule
/// does it, `AST_VDauto_dial.pl` line 5083, VICIdial 2.14), only while it is still in the
/// callback's status (undialed).
pub fn lead_back_to_cbhold(callback_id: u32) -> Stmt {
    Stmt::new(
        format!(
            "UPDATE vicidial_list l JOIN vicidial_callbacks cb ON cb.lead_id = l.lead_id \
             SET l.status = 'CBHOLD' \
             WHERE cb.callback_id = ? AND {}",
            super::callbacks::UNDIALED
        ),
        vec![callback_id.into()],
    )
}

/// The undialed callback hopper row (source `C`, `READY` or `RHOLD`) of a
/// callback's lead, when the callback is no longer to be dialed by anyone.
pub fn withdraw_from_hopper(callback_id: u32) -> Stmt {
    Stmt::new(
        "DELETE h FROM vicidial_hopper h JOIN vicidial_callbacks cb ON cb.lead_id = h.lead_id \
         WHERE cb.callback_id = ? AND h.source = 'C' AND h.status IN ('READY','RHOLD')",
        vec![callback_id.into()],
    )
}

/// One `vicidial_admin_log` row, as VICIdial's admin pages write it (for
/// example `admin_modify_lead.php` line 1798, VICIdial 2.14): `event_date` the database's
/// now; `user_group` left to its default `---ALL---`, as those pages leave
/// it, so every admin may see it (`admin.php` lines 6646-6647; `docs/vicidial.md`,
/// section "Manager pages").
#[derive(Clone, Debug)]
pub struct AdminLog {
    /// The acting user.
    pub user: String,
    /// Where the action came from.
    pub ip_address: String,
    /// `LEADS`, `USERS`, ...
    pub section: &'static str,
    /// `MODIFY`, `DELETE`, `OTHER`.
    pub event_type: &'static str,
    /// The lead id, the user, ...
    pub record_id: String,
    /// `ADMIN MODIFY LEAD CALLBACK`, ...
    pub code: &'static str,
    /// The statements run.
    pub statements: Vec<Stmt>,
    /// A readable note.
    pub notes: String,
}

impl AdminLog {
    /// `event_sql` as VICIdial writes it: each statement followed by `|`, semicolons removed.
    pub fn event_sql(&self) -> String {
        self.statements
            .iter()
            .map(|s| format!("{}|", s.shown().replace(';', "")))
            .collect()
    }

    /// The INSERT.
    pub fn stmt(&self) -> Stmt {
        Stmt::new(
            format!(
                "INSERT INTO vicidial_admin_log (event_date, user, ip_address, event_section, event_type, \
                   record_id, event_code, event_sql, event_notes) SELECT NOW(), ?, ?, ?, ?, ?, ?, ?, ? FROM DUAL \
                 WHERE {HELD}"
            ),
            vec![
                self.user.as_str().into(),
                self.ip_address.as_str().into(),
                self.section.into(),
                self.event_type.into(),
                self.record_id.as_str().into(),
                self.code.into(),
                self.event_sql().into(),
                self.notes.as_str().into(),
            ],
        )
    }
}

/// Every column of `vicidial_callbacks` (and of its archive, which has the same).
const CALLBACK_COLUMNS: [&str; 18] = [
    "callback_id",
    "lead_id",
    "list_id",
    "campaign_id",
    "status",
    "entry_time",
    "callback_time",
    "modify_date",
    "user",
    "recipient",
    "comments",
    "user_group",
    "lead_status",
    "email_alert",
    "email_result",
    "customer_timezone",
    "customer_timezone_diff",
    "customer_time",
];

/// What the purge takes, besides VICIdial's own choice (`INACTIVE`, and
/// callbacks whose lead is gone: `AST_DB_dead_cb_purge.pl` lines 188-209, VICIdial 2.14).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeScope {
    /// Only callbacks last changed more than this many seconds ago.
    pub older_than_seconds: Option<u64>,
    /// Also callbacks whose lead is in a status that is no callback status
    /// (`--purge-non-cb`, `AST_DB_dead_cb_purge.pl` line 202, VICIdial 2.14, statuses read at
    /// lines 136 and 148: not `CBHOLD`, not a status flagged `scheduled_callback='Y'` in
    /// `vicidial_statuses` or any campaign's).
    pub non_callback_leads: bool,
    /// Also every open callback of a lead but its newest (highest `callback_id`;
    /// `--remove-dup-cb` keeps the highest id, `AST_DB_dead_cb_purge.pl` lines 239-284, VICIdial 2.14).
    pub duplicates: bool,
}

impl PurgeScope {
    /// The condition a callback `cb` (joined to its lead `l`) must meet, and its values.
    fn condition(&self) -> (String, Vec<Value>) {
        let mut kinds = vec!["cb.status = 'INACTIVE'".to_string(), "l.lead_id IS NULL".to_string()];
        if self.non_callback_leads {
            kinds.push(
                "(l.status <> 'CBHOLD' \
                  AND l.status NOT IN (SELECT st.status FROM vicidial_statuses st WHERE st.scheduled_callback = 'Y') \
                  AND l.status NOT IN (SELECT cs.status FROM vicidial_campaign_statuses cs WHERE cs.scheduled_callback = 'Y'))"
                    .into(),
            );
        }
        if self.duplicates {
            kinds.push(format!(
                "(cb.status IN {OPEN} AND EXISTS (SELECT 1 FROM vicidial_callbacks n \
                   WHERE n.lead_id = cb.lead_id AND n.status IN {OPEN} AND n.callback_id > cb.callback_id))"
            ));
        }
        let mut sql = format!("({})", kinds.join(" OR "));
        let mut params = Vec::new();
        if let Some(secs) = self.older_than_seconds {
            sql.push_str(" AND cb.modify_date < NOW() - INTERVAL ? SECOND");
            params.push(secs.into());
        }
        (sql, params)
    }
}

/// The callbacks a purge takes, oldest id first, at most `limit` after `after_id`.
pub async fn purge_candidates(s: &mut Session, scope: &PurgeScope, after_id: u32, limit: usize) -> DbResult<Vec<u32>> {
    let (condition, mut params) = scope.condition();
    params.insert(0, after_id.into());
    params.push((limit as u64).into());
    let sql = format!(
        "SELECT cb.callback_id FROM vicidial_callbacks cb LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.callback_id > ? AND {condition} ORDER BY cb.callback_id LIMIT ?"
    );
    Ok(s.select(&sql, params)
        .await?
        .into_iter()
        .filter_map(|row| RowReader::new(row).uint(0).map(|id| id as u32))
        .collect())
}

/// Copies the callbacks that still meet the purge condition into the
/// archive; an id already there is left as it is (its archive row is
/// compared before anything is deleted).
pub fn archive(callback_ids: &[u32], scope: &PurgeScope) -> Stmt {
    let columns = CALLBACK_COLUMNS.join(", ");
    let selected: Vec<String> = CALLBACK_COLUMNS.iter().map(|c| format!("cb.`{c}`")).collect();
    let (condition, condition_params) = scope.condition();
    let mut params = ids(callback_ids);
    params.extend(condition_params);
    Stmt::new(
        format!(
            "INSERT IGNORE INTO vicidial_callbacks_archive ({columns}) SELECT {} FROM vicidial_callbacks cb \
             LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id WHERE cb.callback_id IN ({}) AND {condition} AND {HELD}",
            selected.join(", "),
            placeholders(callback_ids.len())
        ),
        params,
    )
}

/// Deletes the callbacks whose archive row is identical, column for column
/// and byte for byte: only what was copied goes, so a row that changed since
/// it was copied, or an id the archive holds with other contents, stays.
pub fn delete_archived(callback_ids: &[u32]) -> Stmt {
    let same: Vec<String> = CALLBACK_COLUMNS
        .iter()
        .map(|c| format!("BINARY a.`{c}` <=> BINARY cb.`{c}`"))
        .collect();
    Stmt::new(
        format!(
            "DELETE cb FROM vicidial_callbacks cb \
             JOIN vicidial_callbacks_archive a ON a.callback_id = cb.callback_id \
             WHERE cb.callback_id IN ({}) AND {} AND {HELD}",
            placeholders(callback_ids.len()),
            same.join(" AND ")
        ),
        ids(callback_ids),
    )
}

/// Which of these callbacks are still in `vicidial_callbacks` while the
/// archive holds another row with their id.
pub async fn archived_differently(s: &mut Session, callback_ids: &[u32]) -> DbResult<Vec<u32>> {
    let sql = format!(
        "SELECT cb.callback_id FROM vicidial_callbacks cb \
         JOIN vicidial_callbacks_archive a ON a.callback_id = cb.callback_id \
         WHERE cb.callback_id IN ({}) ORDER BY cb.callback_id",
        placeholders(callback_ids.len())
    );
    Ok(s.select(&sql, ids(callback_ids))
        .await?
        .into_iter()
        .filter_map(|row| RowReader::new(row).uint(0).map(|id| id as u32))
        .collect())
}

/// Why a LIVE USERONLY callback's owner cannot take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Unavailable {
    /// No `vicidial_users` row.
    UserGone,
    /// `vicidial_users.active` is not `Y`.
    UserInactive,
    /// No `vicidial_live_agents` row, this many minutes after `callback_time`.
    NotLoggedIn,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unavailable::UserGone => "the owner does not exist in vicidial_users",
            Unavailable::UserInactive => "the owner is inactive in vicidial_users",
            Unavailable::NotLoggedIn => "the owner has not been logged in since the callback came due",
        })
    }
}

/// A LIVE USERONLY callback whose owner cannot take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stranded {
    /// `callback_id`.
    pub callback_id: u32,
    /// Its lead.
    pub lead_id: u32,
    /// Its campaign.
    pub campaign_id: String,
    /// The owner.
    pub user: String,
    /// Why.
    pub why: Unavailable,
}

/// LIVE USERONLY callbacks after `after_id` of `campaigns` (all campaigns when `None`) whose
/// owner is gone or inactive, or not logged in although `callback_time` was
/// more than `minutes` before `now` (server time).
pub async fn unavailable_owners(
    s: &mut Session,
    campaigns: Option<&[String]>,
    now: NaiveDateTime,
    minutes: u32,
    after_id: u32,
    limit: usize,
) -> DbResult<Vec<Stranded>> {
    let mut params: Vec<Value> = vec![now.into(), minutes.into(), after_id.into()];
    let only = match campaigns {
        Some([]) => return Ok(vec![]),
        Some(list) => {
            params.extend(list.iter().map(|c| Value::from(c.as_str())));
            format!("AND cb.campaign_id IN ({})", placeholders(list.len()))
        }
        None => String::new(),
    };
    params.push((limit as u64).into());
    let sql = format!(
        "SELECT cb.callback_id, cb.lead_id, cb.campaign_id, cb.user, \
           CASE WHEN u.user IS NULL THEN 0 WHEN u.active <> 'Y' THEN 1 ELSE 2 END \
         FROM vicidial_callbacks cb LEFT JOIN vicidial_users u ON u.user = cb.user \
         WHERE cb.status = 'LIVE' AND cb.recipient = 'USERONLY' \
           AND (u.user IS NULL OR u.active <> 'Y' \
                OR (cb.callback_time < ? - INTERVAL ? MINUTE \
                    AND NOT EXISTS (SELECT 1 FROM vicidial_live_agents a WHERE a.user = cb.user))) \
           AND cb.callback_id > ? {only} \
         ORDER BY cb.callback_id LIMIT ?"
    );
    Ok(s.select(&sql, params)
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            Stranded {
                callback_id: r.uint(0).unwrap_or_default() as u32,
                lead_id: r.uint(1).unwrap_or_default() as u32,
                campaign_id: r.text(2),
                user: r.text(3),
                why: match r.int(4) {
                    Some(0) => Unavailable::UserGone,
                    Some(1) => Unavailable::UserInactive,
                    _ => Unavailable::NotLoggedIn,
                },
            }
        })
        .collect())
}

/// Counts for `callbacks status`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Counts {
    /// `(status, recipient, count)`, by status then recipient.
    pub by_status: Vec<(String, String, u64)>,
    /// ACTIVE/TFHCCL callbacks past their time.
    pub due_backlog: u64,
    /// The oldest of them.
    pub oldest_due: Option<NaiveDateTime>,
    /// `(email_result, count)` of alerts claimed since midnight ("unknown" for none recorded).
    pub emails_today: Vec<(String, u64)>,
}

/// Reads the counts of `callbacks status` at `now` (server time).
pub async fn counts(s: &mut Session, now: NaiveDateTime) -> DbResult<Counts> {
    let by_status = s
        .select(
            "SELECT status, recipient, COUNT(*) FROM vicidial_callbacks GROUP BY status, recipient ORDER BY status, recipient",
            vec![],
        )
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            (r.text(0), r.text(1), r.uint(2).unwrap_or_default())
        })
        .collect();
    let mut due = RowReader::new(
        s.select(
            &format!("SELECT COUNT(*), MIN(callback_time) FROM vicidial_callbacks WHERE {DUE_SQL}"),
            vec![now.into()],
        )
        .await?
        .pop()
        .expect("an aggregate returns one row"),
    );
    let emails_today = s
        .select(
            "SELECT COALESCE(email_result, 'unknown'), COUNT(*) FROM vicidial_callbacks \
             WHERE email_alert >= DATE(?) GROUP BY email_result ORDER BY 1",
            vec![now.into()],
        )
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            (r.text(0), r.uint(1).unwrap_or_default())
        })
        .collect();
    Ok(Counts {
        by_status,
        due_backlog: due.uint(0).unwrap_or_default(),
        oldest_due: due.datetime(1),
        emails_today,
    })
}

/// One alert as `alerts list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// `callback_id`.
    pub callback_id: u32,
    /// Its lead.
    pub lead_id: u32,
    /// The owner.
    pub user: String,
    /// The owner's address.
    pub email: String,
    /// The callback's status.
    pub status: String,
    /// When the alert was claimed.
    pub email_alert: Option<NaiveDateTime>,
    /// `SENT`, `FAILED`, `NOT AVAILABLE`, or empty (delivery unknown).
    pub email_result: String,
}

/// Alerts claimed since `since` (server time), or, with `failed`/`unknown`,
/// every FAILED one and every one claimed without a result, newest first.
pub async fn alerts(
    s: &mut Session,
    since: NaiveDateTime,
    failed: bool,
    unknown: bool,
    limit: usize,
) -> DbResult<Vec<Alert>> {
    let mut kinds = Vec::new();
    if failed {
        kinds.push("cb.email_result = 'FAILED'");
    }
    if unknown {
        kinds.push("cb.email_result IS NULL");
    }
    let (condition, mut params) = if kinds.is_empty() {
        ("cb.email_alert >= ?".to_string(), vec![Value::from(since)])
    } else {
        (format!("({})", kinds.join(" OR ")), vec![])
    };
    params.push((limit as u64).into());
    let sql = format!(
        "SELECT cb.callback_id, cb.lead_id, cb.user, COALESCE(u.email, ''), cb.status, cb.email_alert, cb.email_result \
         FROM vicidial_callbacks cb LEFT JOIN vicidial_users u ON u.user = cb.user \
         WHERE cb.email_alert IS NOT NULL AND {condition} ORDER BY cb.email_alert DESC, cb.callback_id LIMIT ?"
    );
    Ok(s.select(&sql, params)
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            Alert {
                callback_id: r.uint(0).unwrap_or_default() as u32,
                lead_id: r.uint(1).unwrap_or_default() as u32,
                user: r.text(2),
                email: r.text(3),
                status: r.text(4),
                email_alert: r.datetime(5),
                email_result: r.text(6),
            }
        })
        .collect())
}

/// Records a resent alert's result, only while it is still FAILED or unknown.
pub fn record_resent(callback_id: u32, result: &str) -> Stmt {
    Stmt::new(
        "UPDATE vicidial_callbacks SET email_alert = NOW(), email_result = ? \
         WHERE callback_id = ? AND email_alert IS NOT NULL AND (email_result IS NULL OR email_result = 'FAILED')",
        vec![result.into(), callback_id.into()],
    )
}

/// Open callbacks whose rows VICIdial and the daemon treat differently on
/// purpose, counted for `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OddRows {
    /// With an empty or NULL `lead_status`: their leads get `CALLBK`
    /// (`rules::decision::lead_status`).
    pub empty_lead_status: u64,
    /// Whose campaign row does not exist: skipped (fail closed).
    pub unknown_campaign: u64,
}

/// Counts [`OddRows`] among the open callbacks (one statement, for `check`).
pub async fn odd_rows(s: &mut Session) -> DbResult<OddRows> {
    let rows = s
        .select(
            &format!(
                "SELECT COALESCE(SUM(COALESCE(cb.lead_status, '') = ''), 0), \
                        COALESCE(SUM(c.campaign_id IS NULL), 0) \
                 FROM vicidial_callbacks cb LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
                 WHERE cb.status IN {OPEN}"
            ),
            vec![],
        )
        .await?;
    let mut r = RowReader::new(rows.into_iter().next().expect("SELECT returns one row"));
    Ok(OddRows {
        empty_lead_status: r.uint(0).unwrap_or(0),
        unknown_campaign: r.uint(1).unwrap_or(0),
    })
}
