//! The promise report as one self-contained HTML page: no scripts, fonts,
//! images or links to load, so it reads the same opened from a disk,
//! attached to a mail or printed. The charts are inline SVG: the lateness of
//! the dialed callbacks, the on-time rate per group, and the reasons the
//! others were not dialed. Pure: the report in, the page out.

use std::fmt::Write;

use super::Report;
use super::classify::{Bucket, Totals, span};
use super::render::{bucket_name, heading};

/// Escapes text for HTML (element content and quoted attributes).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The colour of a bucket (the same in every chart and tile).
fn colour(b: Bucket) -> &'static str {
    match b {
        Bucket::OnTime => "#2e7d32",
        Bucket::LateHour => "#f9a825",
        Bucket::LateDay => "#ef6c00",
        Bucket::LateLater => "#c62828",
        Bucket::NotYet => "#1565c0",
        Bucket::Never => "#616161",
    }
}

fn label(b: Bucket) -> &'static str {
    match b {
        Bucket::OnTime => "on time",
        Bucket::LateHour => "late < 1 h",
        Bucket::LateDay => "late < 1 day",
        Bucket::LateLater => "later",
        Bucket::NotYet => "not yet",
        Bucket::Never => "never",
    }
}

/// The lateness histogram's bins: `(upper bound in seconds, label)`, the
/// first up to the grace, the last open.
fn bins(grace: i64) -> Vec<(Option<i64>, String)> {
    let short = if grace % 60 == 0 && grace < 3600 {
        format!("{} min", grace / 60)
    } else {
        span(grace)
    };
    let mut bins = vec![(Some(grace), format!("≤ {short}"))];
    for (edge, name) in [
        (900, "15 min"),
        (1800, "30 min"),
        (3600, "1 h"),
        (7200, "2 h"),
        (14_400, "4 h"),
        (86_400, "1 day"),
    ] {
        if edge > grace {
            bins.push((Some(edge), format!("≤ {name}")));
        }
    }
    bins.push((None, "> 1 day".into()));
    bins
}

fn bin_bucket(upper: Option<i64>, grace: i64) -> Bucket {
    match upper {
        Some(u) if u <= grace => Bucket::OnTime,
        Some(u) if u <= 3600 => Bucket::LateHour,
        Some(u) if u <= 86_400 => Bucket::LateDay,
        _ => Bucket::LateLater,
    }
}

/// Vertical bars: the lateness of every dialed callback, binned.
fn histogram(r: &Report) -> String {
    let grace = r.grace.num_seconds();
    let bins = bins(grace);
    let mut counts = vec![0u64; bins.len()];
    for late in r.judged.iter().filter_map(|j| j.late_seconds) {
        let i = bins
            .iter()
            .position(|(upper, _)| upper.is_none_or(|u| late <= u))
            .unwrap_or(bins.len() - 1);
        counts[i] += 1;
    }
    let (w, h, top, bottom, left) = (720.0, 260.0, 24.0, 40.0, 40.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = (w - left - 10.0) / bins.len() as f64;
    let plot = h - top - bottom;
    let mut svg = format!(
        "<svg id=\"lateness-histogram\" class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
         height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>Lateness of the first dial, {} dialed \
         callbacks</title>",
        counts.iter().sum::<u64>()
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>",
        h - bottom,
        w - 10.0,
        h - bottom
    );
    for (i, ((upper, name), n)) in bins.iter().zip(&counts).enumerate() {
        let bh = plot * (*n as f64) / max;
        let x = left + slot * i as f64 + slot * 0.15;
        let y = h - bottom - bh;
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-count=\"{n}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" \
             fill=\"{}\"><title>{}: {n}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"n\">{n}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"axis\">{}</text>",
            slot * 0.7,
            colour(bin_bucket(*upper, grace)),
            esc(name),
            x + slot * 0.35,
            y - 5.0,
            x + slot * 0.35,
            h - bottom + 16.0,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars, one per row: `(label, value, of, text, colour)`, values
/// scaled to `scale`.
fn hbars(id: &str, title: &str, rows: &[(String, f64, String, &str)], scale: f64) -> String {
    let (w, row, left, right) = (760.0, 26.0, 340.0, 130.0);
    let h = row * rows.len().max(1) as f64 + 10.0;
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title)
    );
    if rows.is_empty() {
        let _ = write!(svg, "<text x=\"10\" y=\"20\" class=\"axis\">none</text>");
    }
    let scale = if scale > 0.0 { scale } else { 1.0 };
    for (i, (name, value, text, fill)) in rows.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let bw = (w - left - right) * value / scale;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"axis\">{}</text>\
             <rect class=\"bar\" x=\"{left}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{fill}\">\
             <title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"n\">{}</text>",
            left - 8.0,
            y + row * 0.62,
            esc(name),
            y + 3.0,
            row - 8.0,
            esc(name),
            esc(text),
            left + bw + 6.0,
            y + row * 0.62,
            esc(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn on_time_chart(r: &Report) -> String {
    let rows: Vec<(String, f64, String, &str)> = r
        .groups
        .iter()
        .map(|t| {
            (
                t.group.clone(),
                t.on_time_rate(),
                format!("{:.1}% ({} of {})", t.on_time_rate(), t.on_time, t.total),
                colour(Bucket::OnTime),
            )
        })
        .collect();
    hbars(
        "on-time-by-group",
        &format!("On time, in percent, by {}", r.by_name()),
        &rows,
        100.0,
    )
}

fn reasons_chart(r: &Report) -> String {
    let max = r.reasons.iter().map(|(_, _, n)| *n).max().unwrap_or(0) as f64;
    let rows: Vec<(String, f64, String, &str)> = r
        .reasons
        .iter()
        .map(|(b, reason, n)| (format!("{}: {reason}", label(*b)), *n as f64, n.to_string(), colour(*b)))
        .collect();
    hbars("reasons", "Not on time: why", &rows, max)
}

fn tile(id: &str, value: &str, name: &str, fill: &str) -> String {
    format!(
        "<div class=\"tile\" id=\"{id}\" style=\"border-color:{fill}\"><b>{}</b><span>{}</span></div>",
        esc(value),
        esc(name)
    )
}

fn totals_row(t: &Totals, cell: &str) -> String {
    let mut row = format!("<tr><{cell}>{}</{cell}><td>{}</td>", esc(&t.group), t.total);
    for b in Bucket::ALL {
        let _ = write!(row, "<td>{}</td>", t.count(b));
    }
    let s = |v: Option<i64>| v.map(span).unwrap_or_else(|| "–".into());
    let _ = write!(
        row,
        "<td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        t.on_time_rate(),
        s(t.p50_seconds),
        s(t.p90_seconds),
        s(t.max_seconds)
    );
    row
}

/// Undialed callbacks listed in the page at most.
const LISTED: usize = 200;

/// The page.
pub(crate) fn page(r: &Report) -> String {
    let a = &r.all;
    let late = a.late_hour + a.late_day + a.late_later;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Callback promise report {} to {}</title><style>{STYLE}</style></head><body>\
         <h1>Callback promise report</h1><p class=\"sub\">{}</p>",
        r.from.format("%Y-%m-%d %H:%M"),
        r.to.format("%Y-%m-%d %H:%M"),
        esc(&heading(r))
    );
    let s = |v: Option<i64>| v.map(span).unwrap_or_else(|| "–".into());
    let _ = write!(
        out,
        "<div id=\"totals\" class=\"tiles\" data-total=\"{}\" data-on-time=\"{}\" data-late=\"{late}\" \
         data-not-yet=\"{}\" data-never=\"{}\">{}{}{}{}{}{}</div>",
        a.total,
        a.on_time,
        a.not_yet,
        a.never,
        tile("t-total", &a.total.to_string(), "callbacks due", "#333"),
        tile(
            "t-on-time",
            &format!("{} ({:.1}%)", a.on_time, a.on_time_rate()),
            "on time",
            colour(Bucket::OnTime)
        ),
        tile("t-late", &late.to_string(), "late", colour(Bucket::LateDay)),
        tile(
            "t-not-yet",
            &a.not_yet.to_string(),
            "not dialed yet",
            colour(Bucket::NotYet)
        ),
        tile("t-never", &a.never.to_string(), "never dialed", colour(Bucket::Never)),
        tile(
            "t-lateness",
            &format!("{} / {} / {}", s(a.p50_seconds), s(a.p90_seconds), s(a.max_seconds)),
            "lateness p50 / p90 / max",
            "#333"
        ),
    );
    let _ = write!(
        out,
        "<h2>How late was the first dial?</h2>{}<h2>On time by {}</h2>{}<h2>Not on time: why</h2>{}",
        histogram(r),
        r.by_name(),
        on_time_chart(r),
        reasons_chart(r)
    );
    let _ = write!(
        out,
        "<h2>By {}</h2><table id=\"groups\"><thead><tr><th>{}</th><th>total</th>",
        r.by_name(),
        r.by_name()
    );
    for b in Bucket::ALL {
        let _ = write!(out, "<th>{}</th>", label(b));
    }
    out.push_str("<th>on time</th><th>p50</th><th>p90</th><th>max</th></tr></thead><tbody>");
    for t in &r.groups {
        out.push_str(&totals_row(t, "td"));
    }
    let _ = write!(out, "</tbody><tfoot>{}</tfoot></table>", totals_row(a, "th"));
    let undialed: Vec<_> = r
        .judged
        .iter()
        .filter(|j| matches!(j.bucket, Bucket::NotYet | Bucket::Never))
        .collect();
    if !undialed.is_empty() {
        let _ = write!(
            out,
            "<h2>Not dialed</h2><table id=\"undialed\"><thead><tr><th>callback</th><th>lead</th><th>campaign</th>\
             <th>owner</th><th>time</th><th>status</th><th></th><th>why</th></tr></thead><tbody>"
        );
        for j in undialed.iter().take(LISTED) {
            let p = &j.promise;
            let _ = write!(
                out,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td>\
                 <td>{}{}</td></tr>",
                bucket_name(j.bucket),
                p.callback_id,
                p.lead_id,
                esc(&p.campaign_id),
                esc(&p.user),
                p.callback_time.format("%Y-%m-%d %H:%M:%S"),
                esc(&p.status),
                esc(&p.recipient),
                label(j.bucket),
                esc(&j.reason),
                if j.detail.is_empty() {
                    String::new()
                } else {
                    format!("<br><small>{}</small>", esc(&j.detail))
                }
            );
        }
        out.push_str("</tbody></table>");
        if undialed.len() > LISTED {
            let _ = write!(
                out,
                "<p class=\"sub\">and {} more (--format json lists every one)</p>",
                undialed.len() - LISTED
            );
        }
    }
    out.push_str(
        "<p class=\"sub\">A dial is a vicidial_log row of the callback's lead by its campaign, at or after the \
         moment the callback became dialable; lateness is real time (across daylight-saving changes). \
         Made by vicidial-callbackd callbacks report.</p></body></html>\n",
    );
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:980px}\
h1{margin:0 0 4px}h2{font-size:1.1em;margin:24px 0 6px}.sub{color:#555;font-size:.9em}\
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}\
.tile{border-left:6px solid;padding:6px 12px;background:#f6f6f6;min-width:120px}\
.tile b{display:block;font-size:1.4em}.tile span{font-size:.85em;color:#555}\
.chart{max-width:100%;height:auto;display:block}.chart .axis{font-size:12px;fill:#333}\
.chart .n{font-size:12px;fill:#111}\
table{border-collapse:collapse;font-size:.9em;margin-top:4px}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}#undialed td,#undialed th{text-align:left}\
tfoot th{background:#eee}@media print{body{margin:0}.chart{page-break-inside:avoid}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_bins_follow_the_grace() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let b = bins(300);
        assert_eq!(b.first().unwrap().0, Some(300));
        assert_eq!(b.last().unwrap().0, None);
        assert_eq!(b.len(), 8);
        assert_eq!(bins(1800).len(), 6, "bins under the grace are dropped");
        assert_eq!(bin_bucket(Some(300), 300), Bucket::OnTime);
        assert_eq!(bin_bucket(Some(3600), 300), Bucket::LateHour);
        assert_eq!(bin_bucket(None, 300), Bucket::LateLater);
    }
}
