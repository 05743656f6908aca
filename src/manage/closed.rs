//! `callbacks explain` for a closed callback: why it is closed and by whom,
//! where the data says so. The facts are read with the promise report's
//! statements and judged by its rules (`report::classify`), so `explain` and
//! `callbacks report` never disagree:
//! - `DEAD`: killed by the DNC filter, which sets the lead `DNCL` (internal
//!   list) or `DNCC` (campaign list) as it kills (`DncList::lead_status`);
//!   the entries on the lists now are named;
//! - `INACTIVE`: removed by a manager (a `vicidial_admin_log` entry on its
//!   lead that set callbacks `INACTIVE`: VICIdial's lead page or
//!   `callbacks remove`), else dialed (the first dial of its campaign since
//!   it became dialable: the agent screen sets a callback `INACTIVE` when its
//!   agent dials it from the callbacks list, `www/agc/vdc_db_query.php`
//!   line 2491, VICIdial 2.14-453 build 250723-2002; `docs/vicidial.md`,
//!   section "Callback statuses"),
//!   else set without a dial;
//! - purged: read from `vicidial_callbacks_archive`, with this daemon's
//!   purge entry in the admin log when there is one.

use chrono::Duration;

use super::common::ManageError;
use crate::rules::server_zone::PassClock;
use crate::rules::collation;
use crate::rules::status::CallbackStatus;
use crate::db::Session;
use crate::db::manage::Detail;
use crate::db::report as sql;
use crate::report::classify::{self, Bucket, Promise};

fn time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The callback as the report reads it.
fn promise(d: &Detail, purged: bool) -> Option<Promise> {
    Some(Promise {
        callback_id: d.callback_id,
        lead_id: d.lead_id,
        list_id: d.list_id,
        campaign_id: d.campaign_id.clone(),
        user: d.user.clone(),
        user_group: d.user_group.clone(),
        recipient: d.recipient.clone(),
        status: d.status.clone(),
        entry_time: d.entry_time,
        callback_time: d.callback_time?,
        lead_status: d.lead.as_ref().map(|l| l.status.clone()),
        purged,
    })
}

/// Why a closed (or purged) callback is closed, in plain words.
pub(crate) async fn lines(
    s: &mut Session,
    d: &Detail,
    clock: &PassClock,
    purged: bool,
) -> Result<Vec<String>, ManageError> {
    let now = clock.now;
    let mut lines = Vec::new();
    if purged {
        // modify_date is read as an instant; the server converts it to its own time.
        let since = d.modify_date.map_or(0, |m| m.and_utc().timestamp());
        lines.push(match sql::purge_entry(s, since).await? {
            Some((at, user)) => format!(
                "purged: archived into vicidial_callbacks_archive and deleted by the CALLBACK PURGE of {user} at {}",
                time(at)
            ),
            None => "purged: in vicidial_callbacks_archive, no longer in vicidial_callbacks (no CALLBACK PURGE entry \
                     in vicidial_admin_log since its last change: VICIdial's AST_DB_dead_cb_purge.pl or another \
                     program)"
                .into(),
        });
    }
    let Some(p) = promise(d, purged) else {
        lines.push(format!(
            "{}: not an open callback; nothing dials it (callback_time is NULL)",
            d.status
        ));
        return Ok(lines);
    };
    let dials = sql::dials(
        s,
        &[p.lead_id],
        p.dialable_at() - Duration::hours(2),
        now + Duration::seconds(1),
    )
    .await?;
    let removals = if CallbackStatus::Inactive.is(&p.status) {
        sql::removals(
            s,
            &[p.lead_id],
            p.entry_time.unwrap_or(p.callback_time).min(p.callback_time),
        )
        .await?
    } else {
        vec![]
    };
    // The server's offsets back to when it became dialable, so lateness is real time.
    let days = (now - p.dialable_at()).num_days().max(0) + 3;
    let zone = crate::db::clock::zone(s, clock.utc, days, 1).await?;
    let judged = classify::judge(p, &dials, &removals, &zone, Duration::minutes(5));
    let status = &d.status;
    let dialed = judged.dial.as_ref().map(|dial| {
        format!(
            "first dial of campaign {} since it became dialable ({}): {} by {} ({}), {} after",
            d.campaign_id,
            time(judged.dialable_at),
            time(dial.call_date),
            dial.user,
            dial.status,
            classify::span(judged.late_seconds.unwrap_or(0))
        )
    });
    if CallbackStatus::Dead.is(status) {
        let lead = d.lead.as_ref().map_or("", |l| l.status.as_str());
        let phone = d.lead.as_ref().map_or("", |l| l.phone_number.as_str());
        let list = match collation::Key::new(lead).as_str() {
            "dncl" => Some("the internal DNC list (lead DNCL)".to_string()),
            "dncc" => Some(format!("the campaign DNC list of {} (lead DNCC)", d.campaign_id)),
            _ => None,
        };
        match list {
            Some(list) => lines.push(format!(
                "DEAD: killed by the DNC filter: the phone {phone} was on {list}"
            )),
            None => lines.push(format!(
                "DEAD: killed (the lead is now {}; a DNC kill leaves it DNCL or DNCC)",
                if lead.is_empty() { "gone" } else { lead }
            )),
        }
        if !phone.is_empty() {
            let (internal, own) = sql::dnc_entries(s, phone, &d.campaign_id).await?;
            let words = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
            lines.push(format!(
                "  entries now: internal DNC list: {}; campaign {}: {}",
                words(&internal),
                d.campaign_id,
                words(&own)
            ));
        }
    } else if CallbackStatus::Inactive.is(status) {
        match (judged.bucket, &judged.dial) {
            (Bucket::Never, _) if judged.reason == "removed by a manager" => {
                lines.push(format!("INACTIVE: removed by a manager: {}", judged.detail));
            }
            (_, Some(dial)) => {
                let who = if collation::eq(&dial.user, "VDAD") {
                    "the dialer".to_string()
                } else {
                    format!("agent {}", dial.user)
                };
                lines.push(format!(
                    "INACTIVE after a dial: {who} called its lead at {} ({}); the agent screen sets a callback \
                     INACTIVE when its agent dials it, or when a call of its lead is dispositioned as a callback again",
                    time(dial.call_date),
                    dial.status
                ));
            }
            _ => lines.push(
                "INACTIVE without a dial of its campaign since it became dialable, and no admin log entry that \
                 removed it: set by the agent screen (a newer callback of its lead) or another program"
                    .into(),
            ),
        }
    } else {
        lines.push(format!("{status}: not an open callback; nothing dials it"));
    }
    if d.lead.is_none() {
        lines.push(format!("  its lead {} no longer exists", d.lead_id));
    }
    if let Some(dialed) = dialed.filter(|_| !CallbackStatus::Inactive.is(status)) {
        lines.push(format!("  {dialed}"));
    }
    Ok(lines)
}
