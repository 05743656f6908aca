//! The promise report as a terminal table, CSV (one line per group) or JSON
//! (everything, with every callback). Pure: text in, text out.

use std::fmt::Write;

use super::Report;
use super::classify::{Bucket, Judged, Totals, span};

fn time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_span(s: Option<i64>) -> String {
    s.map(span).unwrap_or_else(|| "-".into())
}

/// The heading line: period, clock, grace, filters.
pub(crate) fn heading(r: &Report) -> String {
    let mut h = format!(
        "callbacks due {} to {} (server time), dials up to {}; on time = dialed within {} of its time",
        time(r.from),
        time(r.to),
        time(r.now),
        span(r.grace.num_seconds())
    );
    if !r.filters.is_empty() {
        let _ = write!(h, "; {}", r.filters.join(", "));
    }
    h
}

fn group_cells(t: &Totals) -> Vec<String> {
    let mut cells = vec![t.group.clone(), t.total.to_string()];
    cells.extend(Bucket::ALL.iter().map(|b| t.count(*b).to_string()));
    cells.push(format!("{:.1}", t.on_time_rate()));
    cells.extend([t.p50_seconds, t.p90_seconds, t.max_seconds].map(opt_span));
    cells
}

fn group_headers(r: &Report) -> Vec<String> {
    let mut h = vec![r.by_name().to_uppercase(), "TOTAL".into()];
    h.extend(Bucket::ALL.iter().map(|b| b.heading().to_string()));
    h.extend(["ON TIME %", "P50", "P90", "MAX"].map(String::from));
    h
}

/// Columns padded to their widest cell; numbers to the right.
fn align(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let numeric = i > 0 && cell.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '-');
            if i > 0 {
                line.push(' ');
            }
            if numeric {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn callback_cells(j: &Judged) -> Vec<String> {
    let p = &j.promise;
    vec![
        p.callback_id.to_string(),
        p.lead_id.to_string(),
        p.campaign_id.clone(),
        p.user.clone(),
        p.recipient.clone(),
        p.status.clone(),
        p.callback_time.format("%Y-%m-%d %H:%M:%S").to_string(),
        j.dial
            .as_ref()
            .map(|d| format!("{} {}", d.call_date.format("%Y-%m-%d %H:%M:%S"), d.status))
            .unwrap_or_default(),
        j.late_seconds.map(span).unwrap_or_default(),
        bucket_name(j.bucket).to_string(),
        if j.detail.is_empty() {
            j.reason.clone()
        } else {
            format!("{}: {}", j.reason, j.detail)
        },
    ]
}

/// The bucket as the JSON and CSV name it.
pub(crate) fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::OnTime => "on_time",
        Bucket::LateHour => "late_hour",
        Bucket::LateDay => "late_day",
        Bucket::LateLater => "late_later",
        Bucket::NotYet => "not_yet",
        Bucket::Never => "never",
    }
}

/// The terminal table: totals per group and of all, then the reasons.
pub(crate) fn table(r: &Report, details: bool) -> String {
    let mut out = heading(r);
    out.push('\n');
    let mut rows = vec![group_headers(r)];
    rows.extend(r.groups.iter().map(group_cells));
    rows.push(group_cells(&r.all));
    out.push_str(&align(&rows));
    if !r.reasons.is_empty() {
        out.push_str("not on time, by reason:\n");
        let rows: Vec<Vec<String>> = r
            .reasons
            .iter()
            .map(|(b, reason, n)| {
                vec![
                    format!("  {}:", b.heading().to_lowercase()),
                    reason.clone(),
                    n.to_string(),
                ]
            })
            .collect();
        out.push_str(&align(&rows));
    }
    if details {
        let mut rows = vec![
            [
                "ID",
                "LEAD",
                "CAMPAIGN",
                "OWNER",
                "RECIPIENT",
                "STATUS",
                "CALLBACK",
                "FIRST DIAL",
                "LATE",
                "BUCKET",
                "REASON",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(r.judged.iter().map(callback_cells));
        out.push_str(&align(&rows));
    }
    out
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// One line per group, then the total, with a header; lateness in seconds.
pub(crate) fn csv(r: &Report) -> String {
    let mut out = format!(
        "{},total,on_time,late_hour,late_day,late_later,not_yet,never,on_time_pct,p50_seconds,p90_seconds,max_seconds\n",
        r.by_name()
    );
    for t in r.groups.iter().chain([&r.all]) {
        let secs = |s: Option<i64>| s.map(|s| s.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{:.1},{},{},{}",
            csv_field(&t.group),
            t.total,
            t.on_time,
            t.late_hour,
            t.late_day,
            t.late_later,
            t.not_yet,
            t.never,
            t.on_time_rate(),
            secs(t.p50_seconds),
            secs(t.p90_seconds),
            secs(t.max_seconds)
        );
    }
    out
}

/// One JSON document: the period, the totals, the reasons and every callback.
pub(crate) fn json(r: &Report) -> String {
    let callbacks: Vec<serde_json::Value> = r
        .judged
        .iter()
        .map(|j| {
            let p = &j.promise;
            serde_json::json!({
                "callback_id": p.callback_id,
                "lead_id": p.lead_id,
                "list_id": p.list_id,
                "campaign_id": p.campaign_id,
                "user": p.user,
                "user_group": p.user_group,
                "recipient": p.recipient,
                "status": p.status,
                "callback_time": time(p.callback_time),
                "dialable_at": time(j.dialable_at),
                "purged": p.purged,
                "bucket": bucket_name(j.bucket),
                "late_seconds": j.late_seconds,
                "first_dial": j.dial.as_ref().map(|d| serde_json::json!({
                    "call_date": time(d.call_date),
                    "campaign_id": d.campaign_id,
                    "status": d.status,
                    "user": d.user,
                })),
                "reason": j.reason,
                "detail": j.detail,
            })
        })
        .collect();
    let reasons: Vec<serde_json::Value> = r
        .reasons
        .iter()
        .map(|(b, reason, n)| serde_json::json!({"bucket": bucket_name(*b), "reason": reason, "count": n}))
        .collect();
    let doc = serde_json::json!({
        "from": time(r.from),
        "to": time(r.to),
        "now": time(r.now),
        "grace_seconds": r.grace.num_seconds(),
        "by": r.by_name(),
        "filters": r.filters,
        "groups": r.groups,
        "all": r.all,
        "reasons": reasons,
        "callbacks": callbacks,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
