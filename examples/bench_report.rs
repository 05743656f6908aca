//! Benchmark: `callbacks report` over one day on a server with 1,000,000
//! `vicidial_log` rows, on the throwaway MariaDB. Run it with
//! `scripts/bench-report.sh` (which starts the server and builds the
//! binary), e.g. `scripts/bench-report.sh --log-rows 1000000`.
//!
//! The data: `--leads` leads (100,000), one callback each, their times
//! spread evenly over 50 days (so about 2,000 fall on the reported day),
//! 60% LIVE, 30% INACTIVE (each with a lead-page entry in the admin log),
//! 10% DEAD; `--log-rows` dials: one for 80% of the callbacks, 0 to 2 hours
//! after its time, the rest spread over the 50 days and all leads. The report runs as an operator runs it (the binary,
//! `--format json`), with `-vv` so each statement's time is traced;
//! the benchmark prints the statements by kind (count, total and longest),
//! the wall time, the rows the server read for them (`Handler_read_*`,
//! whole-server counters: nothing else runs on the throwaway server), and
//! the plan of each statement kind.
//!
//! For the late reasons: the 24-hour call limit is on (`LEAD`, 3 calls) with
//! `--limit-rows` rows in `vicidial_lead_24hour_calls` (1,000,000) over every
//! lead and the 50 days, and the daemon's own tables hold a day of claims and
//! inserts (one each every 2 seconds, with an hour's gap); a second report,
//! of the last day before the clock, reads that activity.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Pool, Row};

const DB: &str = "callbackd_bench_report";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let leads: u64 = arg("--leads", "100000").parse().expect("a number");
    let log_rows: u64 = arg("--log-rows", "1000000").parse().expect("a number");
    let limit_rows: u64 = arg("--limit-rows", "1000000").parse().expect("a number");
    let bin = arg("--bin", "target/debug/vicidial-callbackd");
    let server =
        std::env::var("CALLBACKD_TEST_SERVER").unwrap_or_else(|_| "mysql://callbackd:callbackd@127.0.0.1:33306".into());
    let admin = Pool::new(Opts::from_url(&server).unwrap());
    let mut c = admin.get_conn().await.unwrap();
    let version: String = c.query_first("SELECT VERSION()").await.unwrap().unwrap();
    println!("server {version}; leads={leads} callbacks={leads} vicidial_log rows={log_rows}");
    c.query_drop(format!("DROP DATABASE IF EXISTS {DB}")).await.unwrap();
    c.query_drop(format!("CREATE DATABASE {DB} CHARACTER SET utf8mb4"))
        .await
        .unwrap();
    c.query_drop(format!("USE {DB}")).await.unwrap();
    let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/vicidial-schema.sql")).unwrap();
    c.query_drop(schema).await.unwrap();
    let own = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/callbackd.sql")).unwrap();
    c.query_drop(own).await.unwrap();
    let started = Instant::now();
    generate(&mut c, leads, log_rows, limit_rows).await;
    println!("data generated in {:.1} s", started.elapsed().as_secs_f64());

    let url = format!("{server}/{DB}");
    for day in ["2026-03-07", "2026-03-08"] {
        run(&mut c, &bin, &url, day).await;
    }
    plans(&mut c, leads).await;
    // BENCH_KEEP=1 leaves the database for a look at it.
    if std::env::var("BENCH_KEEP").is_err() {
        c.query_drop(format!("DROP DATABASE IF EXISTS {DB}")).await.unwrap();
    }
    drop(c);
    admin.disconnect().await.unwrap();
}

/// One report of `day`, the clock at 2026-03-09 08:00, with its statements' times.
async fn run(c: &mut Conn, bin: &str, url: &str, day: &str) {
    let reads_before = handler_reads(c).await;
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["--database-url", url, "-vv", "callbacks", "report"])
        .args(["--from", day, "--to", day, "--now", "2026-03-09 08:00:00"])
        .args(["--format", "json"])
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .env("RUST_LOG", "vicidial_callbackd::db=trace")
        .output()
        .expect("run the binary");
    let wall = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reads_after = handler_reads(c).await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!(
        "report of {day}: {} callbacks ({}), in {:.3} s wall (the binary, start to exit)",
        doc["all"]["total"],
        doc["all"],
        wall.as_secs_f64()
    );
    // Each traced statement: "us=N ... SELECT ...".
    let mut kinds: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines() {
        let Some(us) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("us="))
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        let kind = [
            (
                "COUNT(t.lead_id)",
                "24-hour call counts of the late callbacks (by lead_id, call_date range)",
            ),
            (
                "DATE_FORMAT(claimed_at",
                "the daemon's activity (claimed_at and queued_at ranges)",
            ),
            (
                "FROM vicidial_log",
                "dials (vicidial_log by lead_id IN, call_date range)",
            ),
            (
                "FROM vicidial_admin_log",
                "removals (vicidial_admin_log by record_id IN)",
            ),
            (
                "SELECT lead_id, gmt_offset_now, state FROM vicidial_list",
                "lead zones of the late callbacks (vicidial_list by primary key)",
            ),
            (
                "cb.campaign_id, cb.user, cb.user_group",
                "callbacks pages (vicidial_callbacks, then the archive, by callback_time)",
            ),
        ]
        .iter()
        .find(|(needle, _)| line.contains(needle))
        .map_or("other (clock, settings, explain of open callbacks)", |(_, k)| k);
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1 += us;
        e.2 = e.2.max(us);
    }
    println!("statements (as traced by the binary, microseconds):");
    for (kind, (n, total, max)) in &kinds {
        println!(
            "  {kind}: {n} statements, {:.1} ms in all, longest {:.1} ms",
            *total as f64 / 1000.0,
            *max as f64 / 1000.0
        );
    }
    println!("rows the server read during the report (Handler_read_*):");
    for (k, v) in &reads_after {
        let d = v - reads_before.get(k).copied().unwrap_or(0);
        println!("  {k}: {d}");
    }
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for cb in doc["callbacks"].as_array().into_iter().flatten() {
        if let Some(r) = cb["reason"]
            .as_str()
            .filter(|_| cb["bucket"].as_str().is_some_and(|b| b.starts_with("late")))
        {
            *reasons.entry(r.to_string()).or_default() += 1;
        }
    }
    println!("late callbacks by reason: {reasons:?}");
}

/// The plans, for one page and one batch shaped as the report sends them.
async fn plans(c: &mut Conn, leads: u64) {
    let leads_500: Vec<String> = (1..=500).map(|i| (i * 37 % leads.max(1) + 1).to_string()).collect();
    let plans = [
        "EXPLAIN SELECT cb.callback_id FROM vicidial_callbacks cb LEFT JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.callback_time >= '2026-03-07 00:00:00' AND cb.callback_time < '2026-03-08 00:00:00' \
         ORDER BY cb.callback_time, cb.callback_id LIMIT 2000"
            .to_string(),
        format!(
            "EXPLAIN SELECT lead_id, call_date, campaign_id, status, user FROM vicidial_log WHERE lead_id IN ({}) \
             AND call_date >= '2026-03-06 22:00:00' AND call_date < '2026-03-09 08:00:01' ORDER BY lead_id, call_date",
            leads_500.join(",")
        ),
        format!(
            "EXPLAIN SELECT record_id FROM vicidial_admin_log WHERE record_id IN ('{}') AND event_section = 'LEADS' \
             AND event_date >= '2026-03-06 00:00:00'",
            leads_500.join("','")
        ),
        format!(
            "EXPLAIN SELECT cb.callback_id, COUNT(t.lead_id) FROM ({}) cb \
             JOIN vicidial_list l ON l.lead_id = cb.lead_id LEFT JOIN vicidial_lead_24hour_calls t \
             ON t.lead_id = cb.lead_id AND t.call_date >= cb.at - INTERVAL 1 DAY AND t.call_date < cb.at \
             GROUP BY cb.callback_id",
            leads_500
                .iter()
                .map(|l| format!(
                    "SELECT {l} AS callback_id, {l} AS lead_id, c.campaign_id, \
                     TIMESTAMP'2026-03-07 10:00:00' AS at FROM vicidial_campaigns c WHERE c.campaign_id = 'C'"
                ))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        ),
        "EXPLAIN SELECT DISTINCT CAST(DATE_FORMAT(claimed_at, '%Y-%m-%d %H:%i:00') AS DATETIME) \
         FROM callbackd_claimed WHERE claimed_at >= '2026-03-08 08:00:00' AND claimed_at < '2026-03-09 08:00:00'"
            .to_string(),
    ];
    println!("plans (table, type, key, rows):");
    let mut last: Option<String> = None;
    for sql in plans {
        let rows: Vec<Row> = c.query(&sql).await.unwrap();
        for row in rows {
            let text = |name: &str| {
                row.columns_ref()
                    .iter()
                    .position(|c| c.name_str() == name)
                    .and_then(|i| row.as_ref(i))
                    .map(|v| match v {
                        mysql_async::Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                        mysql_async::Value::NULL => "-".into(),
                        other => other.as_sql(true),
                    })
                    .unwrap_or_default()
            };
            let line = format!("  {} {} {} {}", text("table"), text("type"), text("key"), text("rows"));
            // The derived table's 500 branches read the same: once.
            if last.as_deref() != Some(line.as_str()) {
                println!("{line}");
            }
            last = Some(line);
        }
    }
}

async fn handler_reads(c: &mut Conn) -> BTreeMap<String, i64> {
    let rows: Vec<(String, String)> = c.query("SHOW GLOBAL STATUS LIKE 'Handler_read%'").await.unwrap();
    rows.into_iter().map(|(k, v)| (k, v.parse().unwrap_or(0))).collect()
}

/// The data, set-based (MariaDB's sequence engine): see the module comment.
async fn generate(c: &mut Conn, leads: u64, log_rows: u64, limit_rows: u64) {
    let days = 50;
    let span = days * 86_400;
    c.query_drop(
        "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, local_call_time, scheduled_callbacks, \
         call_limit_24hour_method, call_limit_24hour) VALUES ('C', 'C campaign', 'Y', '24hours', 'Y', 'LEAD', 3)",
    )
    .await
    .unwrap();
    c.query_drop(
        "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active) VALUES (101, 'List 101', 'C', 'Y')",
    )
    .await
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, \
         called_since_last_reset, gmt_offset_now, state) \
         SELECT seq, 101, 101, IF(seq % 10 = 9, 'DNCL', 'CALLBK'), '1', 3120000000 + seq, 'Y', '-5.00', 'NY' \
         FROM seq_1_to_{leads}"
    ))
    .await
    .unwrap();
    // Callback n at 2026-01-18 + n * span / leads (evenly over the 50 days).
    c.query_drop(format!(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
         callback_time, user, recipient, user_group, lead_status) \
         SELECT seq, seq, 101, 'C', ELT(seq % 10 + 1, 'LIVE','LIVE','LIVE','LIVE','LIVE','LIVE','INACTIVE', \
         'INACTIVE','INACTIVE','DEAD'), TIMESTAMP'2026-01-17 12:00:00', \
         TIMESTAMP'2026-01-18 00:00:00' + INTERVAL (seq * {span} DIV {leads}) SECOND, '1001', 'ANYONE', 'AGENTS', \
         'CALLBK' FROM seq_1_to_{leads}"
    ))
    .await
    .unwrap();
    // One dial for 80% of the callbacks, 0 to 2 hours after its time (the ones the report finds) ...
    let near = leads.min(log_rows) / 10 * 8;
    c.query_drop(format!(
        "INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, status, phone_code, \
         phone_number, user, processed) \
         SELECT CONCAT('n', seq), seq, 101, 'C', \
         TIMESTAMP'2026-01-18 00:00:00' + INTERVAL (seq * {span} DIV {leads} + seq * 7 % 7200) SECOND, 'NA', '1', \
         3120000000 + seq, 'VDAD', 'N' FROM seq_1_to_{leads} WHERE seq % 10 < 8 LIMIT {near}"
    ))
    .await
    .unwrap();
    // A manager's lead-page entry for every INACTIVE callback's lead.
    c.query_drop(format!(
        "INSERT INTO vicidial_admin_log (event_date, user, ip_address, event_section, event_type, record_id, \
         event_code, event_sql, event_notes) \
         SELECT TIMESTAMP'2026-01-18 00:00:00' + INTERVAL (seq * {span} DIV {leads}) SECOND, '6666', '10.0.0.9', \
         'LEADS', 'MODIFY', seq, 'ADMIN MODIFY LEAD', \
         CONCAT('UPDATE vicidial_callbacks set status=''INACTIVE'' where lead_id=', seq), '' \
         FROM seq_1_to_{leads} WHERE seq % 10 IN (6, 7, 8)"
    ))
    .await
    .unwrap();
    // ... and the rest over every lead and the whole span, in chunks.
    let rest = log_rows - near;
    let chunk = 200_000;
    let mut done = 0;
    while done < rest {
        let n = chunk.min(rest - done);
        c.query_drop(format!(
            "INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, status, phone_code, \
             phone_number, user, processed) \
             SELECT CONCAT('r', seq), seq * 7919 % {leads} + 1, 101, 'C', \
             TIMESTAMP'2026-01-18 00:00:00' + INTERVAL (seq * 104729 % {span}) SECOND, 'NA', '1', '3120000000', \
             'VDAD', 'N' FROM seq_{}_to_{}",
            done + 1,
            done + n
        ))
        .await
        .unwrap();
        done += n;
    }
    // The 24-hour limit on, its calls over every lead and the whole span.
    c.query_drop("UPDATE system_settings SET call_limit_24hour = '1'")
        .await
        .unwrap();
    let mut done = 0;
    while done < limit_rows {
        let n = chunk.min(limit_rows - done);
        c.query_drop(format!(
            "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code, call_type) \
             SELECT seq * 6007 % {leads} + 1, 101, \
             TIMESTAMP'2026-01-18 00:00:00' + INTERVAL (seq * 104723 % {span}) SECOND, '3120000000', '1', 'AUTO' \
             FROM seq_{}_to_{}",
            done + 1,
            done + n
        ))
        .await
        .unwrap();
        done += n;
    }
    // The daemon's day: a claim and an insert every 2 seconds up to the
    // clock, none from 21:30 to 22:30 on 2026-03-08.
    for (table, columns) in [
        ("callbackd_claimed", "callback_id, claimed_at"),
        ("callbackd_queued", "hopper_id, lead_id, queued_at"),
    ] {
        let values = if table == "callbackd_claimed" {
            "seq"
        } else {
            "seq, seq"
        };
        c.query_drop(format!(
            "INSERT INTO {table} ({columns}) SELECT {values}, TIMESTAMP'2026-03-08 08:00:00' + INTERVAL seq * 2 SECOND \
             FROM seq_1_to_43200 WHERE NOT (seq * 2 >= 48600 AND seq * 2 < 52200)"
        ))
        .await
        .unwrap();
    }
    c.query_drop(
        "ANALYZE TABLE vicidial_log, vicidial_callbacks, vicidial_list, vicidial_admin_log, vicidial_lead_24hour_calls, \
         callbackd_claimed, callbackd_queued",
    )
        .await
        .unwrap();
}
