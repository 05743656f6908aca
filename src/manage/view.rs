//! `callbacks list`, `show` and `status`: reading only.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};

use super::common::{ManageError, format_in, parse_time};
use super::table;
use crate::manage::args::{DataFormat, ListArgs, ListFormat};
use crate::config::Config;
use crate::db::callbacks::{self, Scan};
use crate::db::manage::{self, Detail, Filter};
use crate::db::{Session, settings};
use crate::engine::wanted::{self as decision};
use crate::rules::decision::{Feed, Outcome};

/// A hold: the gate, and when it may open (server time).
type Held = (String, Option<NaiveDateTime>);

/// The holds of the LIVE ANYONE callbacks among `ids`, as the next pass decides them.
async fn holds(s: &mut Session, config: &Config, ids: &[u32]) -> Result<HashMap<u32, Held>, ManageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let clock = decision::pass_clock(s, None, config.engine.call_time_horizon_days).await?;
    let settings = settings::load(s).await?;
    let decided = decision::decide_many(s, &clock, &settings, &config.engine, ids).await?;
    Ok(decided
        .into_iter()
        .filter_map(|d| match d.outcome {
            Outcome::Anyone(Feed::Hold { gate, until }) => Some((d.row.callback_id, (gate.to_string(), until))),
            _ => None,
        })
        .collect())
}

/// Every LIVE ANYONE callback a pass would look at (undialed, out of the hopper, within the repair age).
async fn pending_ids(s: &mut Session, config: &Config, now: NaiveDateTime) -> Result<Vec<u32>, ManageError> {
    let oldest = now - Duration::days(config.engine.repair_max_age_days.into());
    let window = (callbacks::pending_floor(oldest), callbacks::Start::Spans);
    let hint = callbacks::time_hint(s).await?;
    let found = callbacks::scan(s, Scan::Pending(oldest), window, hint).await?;
    Ok(found.into_iter().map(|f| f.callback_id).collect())
}

fn time(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

pub(super) async fn list(s: &mut Session, config: &Config, args: ListArgs) -> Result<(), ManageError> {
    let due_before = args.due_before.as_deref().map(parse_time).transpose()?;
    let mut filter = Filter {
        user: args.user,
        campaign: args.campaign,
        list: args.list,
        status: args.status,
        recipient: args.recipient,
        due_before,
        ..Filter::default()
    };
    let held = if args.held {
        let (now, _) = crate::db::clock::now(s).await?;
        let ids = pending_ids(s, config, now).await?;
        let held = holds(s, config, &ids).await?;
        filter.ids = Some(held.keys().copied().collect());
        held
    } else {
        HashMap::new()
    };
    // One more than the limit, to know whether it cut the list short.
    let mut rows = manage::list(s, &filter, args.limit.saturating_add(1)).await?;
    if rows.len() > args.limit {
        rows.truncate(args.limit);
        eprintln!(
            "list: stopped at --limit {}: more callbacks match (raise --limit, or narrow with --campaign, --user, --status ...)",
            args.limit
        );
    }
    let held = if args.held {
        held
    } else {
        let live: Vec<u32> = rows
            .iter()
            .filter(|d| crate::rules::status::CallbackStatus::Live.is(&d.status) && crate::rules::collation::eq(&d.recipient, "ANYONE"))
            .map(|d| d.callback_id)
            .collect();
        holds(s, config, &live).await?
    };
    match args.format {
        ListFormat::Table => print_table(&rows, &held),
        ListFormat::Csv => print_csv(&rows, &held),
        ListFormat::Json => {
            let docs: Vec<serde_json::Value> = rows
                .iter()
                .map(|d| {
                    let mut doc = serde_json::to_value(d).unwrap_or_default();
                    if let Some((gate, until)) = held.get(&d.callback_id) {
                        doc["held"] = serde_json::json!({ "gate": gate, "opens": time(*until) });
                    }
                    doc
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&docs).unwrap_or_default());
        }
    }
    Ok(())
}

/// The columns of `list`, for the table and csv.
fn columns(d: &Detail, held: &HashMap<u32, Held>) -> [String; 12] {
    let lead = d.lead.clone().unwrap_or_default();
    let held = held
        .get(&d.callback_id)
        .map(|(gate, until)| match until {
            Some(t) => format!("{gate}; opens {}", t.format("%Y-%m-%d %H:%M")),
            None => gate.clone(),
        })
        .unwrap_or_default();
    [
        d.callback_id.to_string(),
        d.lead_id.to_string(),
        lead.phone_number,
        lead.name,
        d.list_id.to_string(),
        d.campaign_id.clone(),
        d.callback_time
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        d.user.clone(),
        d.recipient.clone(),
        d.status.clone(),
        time(lead.last_local_call_time),
        held,
    ]
}

const HEADERS: [&str; 12] = [
    "ID",
    "LEAD",
    "PHONE",
    "NAME",
    "LIST",
    "CAMPAIGN",
    "CALLBACK",
    "OWNER",
    "RECIPIENT",
    "STATUS",
    "LAST CALL",
    "HELD",
];

fn print_table(rows: &[Detail], held: &HashMap<u32, Held>) {
    // The last call (lead-local) is in csv and json; the table keeps to a terminal's width.
    let shown = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11];
    let width = table::terminal_width();
    let cells: Vec<[String; 12]> = rows.iter().map(|d| columns(d, held)).collect();
    let cap = |i: usize| if i == 3 { 18 } else { 40 };
    let widths: Vec<usize> = shown
        .iter()
        .map(|&i| {
            cells
                .iter()
                .map(|c| table::width(&c[i]).min(cap(i)))
                .chain([HEADERS[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |texts: Vec<String>| {
        let mut out = String::new();
        for (text, w) in texts.iter().zip(&widths) {
            out.push_str(&table::fit(text, *w));
            out.push(' ');
        }
        println!("{}", table::fit(out.trim_end(), width).trim_end());
    };
    line(shown.iter().map(|&i| HEADERS[i].to_string()).collect());
    for c in &cells {
        line(shown.iter().map(|&i| c[i].clone()).collect());
    }
    println!("{} callbacks", rows.len());
}

fn print_csv(rows: &[Detail], held: &HashMap<u32, Held>) {
    let headers = HEADERS.map(|h| h.to_lowercase().replace(' ', "_"));
    print!("{}", table::csv(&headers, rows.iter().map(|d| columns(d, held))));
}

pub(super) async fn show(s: &mut Session, config: &Config, id: u32, format: DataFormat) -> Result<(), ManageError> {
    let Some(d) = manage::detail(s, id).await? else {
        return Err(ManageError::usage(format!("there is no callback {id}")));
    };
    if format == DataFormat::Json {
        let mut doc = serde_json::to_value(&d).unwrap_or_default();
        if let Some((gate, until)) = holds(s, config, &[id]).await?.get(&id) {
            doc["held"] = serde_json::json!({ "gate": gate, "opens": time(*until) });
        }
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    let clock = decision::pass_clock(s, None, config.engine.call_time_horizon_days).await?;
    let mut out = vec![
        ("callback", format!("{} ({} {})", d.callback_id, d.status, d.recipient)),
        ("campaign", d.campaign_id.clone()),
        ("list", d.list_id.to_string()),
        (
            "owner",
            match &d.owner {
                Some(o) => format!(
                    "{} ({}, user group {}, {}, {})",
                    o.user,
                    o.full_name,
                    o.user_group,
                    if o.active { "active" } else { "INACTIVE" },
                    o.logged_in_campaign
                        .as_ref()
                        .map_or("not logged in".to_string(), |c| format!("logged in to {c}"))
                ),
                None => format!("{} (no such user)", d.user),
            },
        ),
        ("set", time(d.entry_time)),
        (
            "callback time",
            d.callback_time
                .map(|t| format!("{} ({})", t.format("%Y-%m-%d %H:%M:%S"), format_in(t - clock.now)))
                .unwrap_or_else(|| "NULL".into()),
        ),
        ("last change", time(d.modify_date.map(|utc| clock.to_local(utc)))),
        (
            "lead status",
            match crate::rules::pending::lead_status_is_empty(&d.lead_status) {
                true => "CALLBK when it triggers (its lead_status is empty)".to_string(),
                false => format!("{} when it triggers", d.lead_status),
            },
        ),
        ("comments", d.comments.clone()),
        (
            "email alert",
            match d.email_alert {
                Some(t) => format!(
                    "{} {}",
                    time(Some(t)),
                    if d.email_result.is_empty() {
                        "(result unknown)"
                    } else {
                        &d.email_result
                    }
                ),
                None => "none".into(),
            },
        ),
    ];
    match &d.lead {
        Some(l) => out.extend([
            (
                "lead",
                format!("{} {} ({}), list {}", d.lead_id, l.name, l.status, l.list_id),
            ),
            (
                "phone",
                format!(
                    "{} {}, state {}, gmt_offset_now {}",
                    l.phone_code, l.phone_number, l.state, l.gmt_offset_now
                ),
            ),
            (
                "dialed",
                format!(
                    "{} times, last {} (lead time), called_since_last_reset {}",
                    l.called_count,
                    l.last_local_call_time.map_or("never".to_string(), |t| time(Some(t))),
                    l.called_since_last_reset
                ),
            ),
            ("hopper", d.hopper_status.clone().unwrap_or_else(|| "no row".into())),
        ]),
        None => out.push(("lead", format!("{} does not exist", d.lead_id))),
    }
    for (key, value) in out {
        println!("{key:<14} {value}");
    }
    Ok(())
}

pub(super) async fn status(s: &mut Session, config: &Config, format: DataFormat) -> Result<(), ManageError> {
    let (now, _) = crate::db::clock::now(s).await?;
    let counts = manage::counts(s, now).await?;
    let text = format == DataFormat::Text;
    // Text lines as they are made; the JSON document at the end.
    let say = |line: String| {
        if text {
            println!("{line}");
        }
    };
    say(format!("at {} (database clock)", now.format("%Y-%m-%d %H:%M:%S")));
    say("callbacks by status and recipient:".into());
    for (status, recipient, n) in &counts.by_status {
        say(format!("  {status:<9} {recipient:<9} {n:>7}"));
    }
    let ids = pending_ids(s, config, now).await?;
    let held = holds(s, config, &ids).await?;
    let mut by_gate: BTreeMap<&str, (u64, Option<NaiveDateTime>)> = BTreeMap::new();
    for (gate, until) in held.values() {
        let entry = by_gate.entry(gate.as_str()).or_default();
        entry.0 += 1;
        entry.1 = match (entry.1, *until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    say(format!(
        "held out of the hopper (LIVE ANYONE, undialed): {}",
        held.len()
    ));
    for (gate, (n, first)) in &by_gate {
        let opens = first
            .map(|t| format!("; first opens {}", time(Some(t))))
            .unwrap_or_default();
        say(format!("  {n:>5}  {gate}{opens}"));
    }
    say(format!(
        "due backlog: {} ACTIVE/TFHCCL past their time{}",
        counts.due_backlog,
        counts
            .oldest_due
            .map(|t| format!(" (oldest {}, {})", time(Some(t)), format_in(t - now)))
            .unwrap_or_default()
    ));
    let next_due = callbacks::next_due(s, now).await?;
    let next_open = held.values().filter_map(|(_, t)| *t).min();
    let next = [next_due, next_open].into_iter().flatten().min();
    say(format!(
        "next wake: {}",
        next.map_or("nothing scheduled".into(), |t| format!(
            "{} ({})",
            time(Some(t)),
            format_in(t - now)
        ))
    ));
    let emails: Vec<String> = counts.emails_today.iter().map(|(r, n)| format!("{r} {n}")).collect();
    say(format!(
        "email alerts today: {}",
        if emails.is_empty() {
            "none".into()
        } else {
            emails.join(", ")
        }
    ));
    let oldest = now - Duration::days(config.engine.repair_max_age_days.into());
    let too_old = callbacks::count(s, Scan::TooOld(oldest)).await?;
    say(format!(
        "stale undialed LIVE ANYONE callbacks left alone (dialable before {}, engine.repair_max_age_days {}): {too_old}",
        time(Some(oldest)),
        config.engine.repair_max_age_days
    ));
    if !text {
        let doc = serde_json::json!({
            "at": time(Some(now)),
            "by_status": counts.by_status.iter()
                .map(|(status, recipient, n)| serde_json::json!({ "status": status, "recipient": recipient, "count": n }))
                .collect::<Vec<_>>(),
            "held": {
                "count": held.len(),
                "by_gate": by_gate.iter()
                    .map(|(gate, (n, first))| serde_json::json!({ "gate": gate, "count": n, "first_opens": first.map(|t| time(Some(t))) }))
                    .collect::<Vec<_>>(),
            },
            "due_backlog": { "count": counts.due_backlog, "oldest": counts.oldest_due.map(|t| time(Some(t))) },
            "next_wake": next.map(|t| time(Some(t))),
            "emails_today": counts.emails_today.iter()
                .map(|(result, n)| serde_json::json!({ "result": result, "count": n }))
                .collect::<Vec<_>>(),
            "stale_left_alone": {
                "count": too_old,
                "dialable_before": time(Some(oldest)),
                "repair_max_age_days": config.engine.repair_max_age_days,
            },
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    Ok(())
}
