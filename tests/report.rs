//! The promise report (`callbacks report`) on a real MariaDB, through the
//! binary: callbacks with known dial times in `vicidial_log` (a dial before
//! the callback's time, a dial by another campaign, a lead dialed twice, a
//! lead deleted, a callback over the spring daylight-saving change, a
//! purged one, a dial after the report's clock), and the counts and
//! lateness compared with values worked out by hand. The server runs in
//! America/New_York: on 2026-03-08 its clocks go from 02:00 EST to 03:00 EDT.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::process::{Command, Output};

use common::TestDb;
use serde_json::Value;

/// The binary on `db`, email off.
fn cli(db: &TestDb, args: &[&str]) -> Output {
    common::callbackd()
        .args(["--database-url", &db.url])
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .output()
        .expect("run the binary")
}

fn report(db: &TestDb, extra: &[&str]) -> Value {
    let mut args = vec![
        "callbacks",
        "report",
        "--from",
        "2026-03-07",
        "--to",
        "2026-03-08",
        "--now",
        "2026-03-09 08:00:00",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = cli(db, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

async fn dial(db: &TestDb, uniqueid: &str, lead: u32, campaign: &str, when: &str, status: &str, user: &str) {
    db.exec(&format!(
        "INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, status, phone_code, \
         phone_number, user, processed) VALUES ('{uniqueid}', {lead}, 101, '{campaign}', '{when}', '{status}', '1', \
         '3125550000', '{user}', 'N')"
    ))
    .await;
}

/// The call center of the test; see the module comment.
async fn setup() -> TestDb {
    let db = TestDb::new("report").await;
    db.campaign("C", &[]).await;
    db.campaign("D", &[]).await;
    db.list(101, "C", &[]).await;
    db.list(201, "D", &[]).await;
    for lead in [1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 14] {
        db.lead(lead, 101, &[]).await;
    }
    db.lead(12, 201, &[]).await;
    db.exec("UPDATE vicidial_list SET status = 'DNCL' WHERE lead_id = 6")
        .await;
    let cb = |time: &'static str| {
        vec![
            ("callback_time", time),
            ("entry_time", "2026-03-06 12:00:00"),
            ("status", "LIVE"),
        ]
    };
    // 1: dialed 10 minutes before its time (not it), then 3 minutes after: on time, 180 s.
    db.callback(1, 1, "C", 101, &cb("2026-03-07 10:00:00")).await;
    dial(&db, "1.1", 1, "C", "2026-03-07 09:50:00", "NA", "VDAD").await;
    dial(&db, "1.2", 1, "C", "2026-03-07 10:03:00", "NA", "VDAD").await;
    // 2: another campaign dials a minute after (not it), its own 40 minutes after: late < 1 h, 2400 s.
    db.callback(2, 2, "C", 101, &cb("2026-03-07 10:00:00")).await;
    dial(&db, "2.1", 2, "D", "2026-03-07 10:01:00", "SALE", "VDAD").await;
    dial(&db, "2.2", 2, "c", "2026-03-07 10:40:00", "B", "VDAD").await;
    // 3: dialed twice, the first 2 h 30 min late: late < 1 d, 9000 s, status B.
    db.callback(3, 3, "C", 101, &cb("2026-03-07 11:00:00")).await;
    dial(&db, "3.1", 3, "C", "2026-03-07 13:30:00", "B", "VDAD").await;
    dial(&db, "3.2", 3, "C", "2026-03-07 14:00:00", "NA", "VDAD").await;
    // 4: its lead is deleted: never.
    db.callback(4, 4, "C", 101, &cb("2026-03-07 12:00:00")).await;
    // 5: 01:50 EST, dialed 03:02 EDT: 12 minutes (72 on the wall clock): late < 1 h, 720 s.
    db.callback(5, 5, "C", 101, &cb("2026-03-08 01:50:00")).await;
    dial(&db, "5.1", 5, "C", "2026-03-08 03:02:00", "A", "VDAD").await;
    // 6: killed for DNC (lead DNCL); a dial before its time does not count: never.
    db.callback(
        6,
        6,
        "C",
        101,
        &[("callback_time", "2026-03-07 16:00:00"), ("status", "DEAD")],
    )
    .await;
    dial(&db, "6.1", 6, "C", "2026-03-07 07:00:00", "NA", "VDAD").await;
    // 7: removed by a manager on the lead page: never.
    db.callback(
        7,
        7,
        "C",
        101,
        &[("callback_time", "2026-03-07 17:00:00"), ("status", "INACTIVE")],
    )
    .await;
    db.exec(
        "INSERT INTO vicidial_admin_log (event_date, user, ip_address, event_section, event_type, record_id, \
         event_code, event_sql, event_notes) VALUES ('2026-03-07 12:00:00', '6666', '10.0.0.9', 'LEADS', 'MODIFY', \
         '7', 'ADMIN MODIFY LEAD', 'UPDATE vicidial_list set status=''NI'' where lead_id=''7''|UPDATE \
         vicidial_callbacks set status=''INACTIVE'' where lead_id=''7'' and status=''ACTIVE''|', '')",
    )
    .await;
    // 8: INACTIVE, no dial, no admin log entry: never.
    db.callback(
        8,
        8,
        "C",
        101,
        &[("callback_time", "2026-03-07 18:00:00"), ("status", "INACTIVE")],
    )
    .await;
    // 9: still ACTIVE at the report's clock; its dial comes after that clock: not yet.
    db.callback(9, 9, "C", 101, &[("callback_time", "2026-03-08 23:00:00")])
        .await;
    dial(&db, "9.1", 9, "C", "2026-03-09 09:00:00", "NA", "VDAD").await;
    // 10: USERONLY, dialed by hand by its agent at 17:00 EDT the next day: 25 hours
    // (26 on the wall clock; 16:00 would be exactly 24 h, still late < 1 d): later, 90000 s.
    db.callback(
        10,
        10,
        "C",
        101,
        &[
            ("callback_time", "2026-03-07 15:00:00"),
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
        ],
    )
    .await;
    dial(&db, "10.1", 10, "C", "2026-03-08 17:00:00", "SALE", "1001").await;
    // 12 (campaign D, list 201): set at 09:30 for 09:00, dialed 09:31: on time, 60 s.
    db.callback(
        12,
        12,
        "D",
        201,
        &[
            ("callback_time", "2026-03-07 09:00:00"),
            ("entry_time", "2026-03-07 09:30:00"),
        ],
    )
    .await;
    dial(&db, "12.1", 12, "D", "2026-03-07 09:31:00", "NA", "VDAD").await;
    // 13: outside the period.
    db.callback(13, 13, "C", 101, &[("callback_time", "2026-03-09 10:00:00")])
        .await;
    // 14: purged into the archive; dialed 2 minutes late: on time, 120 s.
    db.exec(
        "INSERT INTO vicidial_callbacks_archive (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
         callback_time, user, recipient, user_group, lead_status) VALUES (14, 14, 101, 'C', 'INACTIVE', \
         '2026-03-06 12:00:00', '2026-03-07 19:00:00', '1001', 'ANYONE', 'AGENTS', 'CALLBK')",
    )
    .await;
    dial(&db, "14.1", 14, "C", "2026-03-07 19:02:00", "NA", "VDAD").await;
    db
}

fn counts(t: &Value) -> [u64; 7] {
    [
        "total",
        "on_time",
        "late_hour",
        "late_day",
        "late_later",
        "not_yet",
        "never",
    ]
    .map(|k| t[k].as_u64().unwrap())
}

fn lateness(t: &Value) -> [Option<i64>; 3] {
    ["p50_seconds", "p90_seconds", "max_seconds"].map(|k| t[k].as_i64())
}

fn callback(doc: &Value, id: u64) -> &Value {
    doc["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["callback_id"] == id)
        .unwrap_or_else(|| panic!("callback {id} in the report"))
}

#[tokio::test]
async fn counts_and_lateness_match_the_hand_computed_values() {
    let db = setup().await;
    let doc = report(&db, &[]);
    assert_eq!(
        (doc["from"].as_str(), doc["to"].as_str()),
        (Some("2026-03-07 00:00:00"), Some("2026-03-09 00:00:00"))
    );
    // Worked out by hand from the dials above (lateness in seconds):
    // on time 1 (180), 12 (60), 14 (120); late < 1 h 2 (2400), 5 (720);
    // late < 1 d 3 (9000); later 10 (90000); not yet 9; never 4, 6, 7, 8.
    assert_eq!(counts(&doc["all"]), [12, 3, 2, 1, 1, 1, 4]);
    // Nearest rank over [60, 120, 180, 720, 2400, 9000, 90000]: p50 is the 4th, p90 the 7th.
    assert_eq!(lateness(&doc["all"]), [Some(720), Some(90000), Some(90000)]);
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["group"], "C");
    assert_eq!(counts(&groups[0]), [11, 2, 2, 1, 1, 1, 4]);
    assert_eq!(lateness(&groups[0]), [Some(720), Some(90000), Some(90000)]);
    assert_eq!(groups[1]["group"], "D");
    assert_eq!(counts(&groups[1]), [1, 1, 0, 0, 0, 0, 0]);
    assert_eq!(lateness(&groups[1]), [Some(60), Some(60), Some(60)]);

    let expect = [
        (1, "on_time", Some(180), Some("2026-03-07 10:03:00")),
        (2, "late_hour", Some(2400), Some("2026-03-07 10:40:00")),
        (3, "late_day", Some(9000), Some("2026-03-07 13:30:00")),
        (4, "never", None, None),
        (5, "late_hour", Some(720), Some("2026-03-08 03:02:00")),
        (6, "never", None, None),
        (7, "never", None, None),
        (8, "never", None, None),
        (9, "not_yet", None, None),
        (10, "late_later", Some(90000), Some("2026-03-08 17:00:00")),
        (12, "on_time", Some(60), Some("2026-03-07 09:31:00")),
        (14, "on_time", Some(120), Some("2026-03-07 19:02:00")),
    ];
    for (id, bucket, late, dial) in expect {
        let c = callback(&doc, id);
        assert_eq!(c["bucket"], bucket, "callback {id}");
        assert_eq!(c["late_seconds"].as_i64(), late, "callback {id}");
        assert_eq!(c["first_dial"]["call_date"].as_str(), dial, "callback {id}");
    }
    assert_eq!(callback(&doc, 3)["first_dial"]["status"], "B");
    // Late: campaign C is open all day and blocks nothing, so only USERONLY has a known reason.
    assert_eq!(callback(&doc, 2)["reason"], "no hold known");
    assert_eq!(callback(&doc, 10)["reason"], "USERONLY: dialed by hand by its agent");
    assert_eq!(callback(&doc, 10)["first_dial"]["user"], "1001");
    assert_eq!(callback(&doc, 12)["dialable_at"], "2026-03-07 09:30:00");
    assert_eq!(callback(&doc, 14)["purged"], true);
    let reasons: Vec<(&str, &str)> = [4, 6, 7, 8, 9]
        .map(|id| {
            let c = callback(&doc, id);
            (c["reason"].as_str().unwrap(), c["detail"].as_str().unwrap())
        })
        .to_vec();
    assert_eq!(reasons[0].0, "lead deleted");
    assert_eq!(
        reasons[1],
        ("killed: internal DNC list", "DEAD without a dial; its lead is DNCL")
    );
    assert_eq!(
        reasons[2],
        (
            "removed by a manager",
            "ADMIN MODIFY LEAD by 6666 at 2026-03-07 12:00:00"
        )
    );
    assert_eq!(reasons[3].0, "INACTIVE without a dial");
    // What `callbacks explain 9 --now ...` says first.
    let explain = cli(&db, &["callbacks", "explain", "9", "--now", "2026-03-09 08:00:00"]);
    let explained = String::from_utf8_lossy(&explain.stdout);
    assert_eq!(Some(reasons[4].1), explained.lines().nth(1), "{explained}");
    assert_eq!(reasons[4].0, "due: the next pass puts it in the hopper");
    assert!(
        doc["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["bucket"] == "never" && r["reason"] == "lead deleted" && r["count"] == 1)
    );
    db.drop_db().await;
}

#[tokio::test]
async fn filters_groups_formats_and_the_default_period() {
    let db = setup().await;
    // Filters match as VICIdial's SQL does (case-insensitive).
    let doc = report(&db, &["--campaign", "d"]);
    assert_eq!(counts(&doc["all"]), [1, 1, 0, 0, 0, 0, 0]);
    let doc = report(&db, &["--list", "201"]);
    assert_eq!(counts(&doc["all"])[0], 1);
    let doc = report(&db, &["--user", "1001", "--by", "day"]);
    let days: Vec<(&str, u64)> = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].as_str().unwrap(), g["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(days, [("2026-03-07", 10), ("2026-03-08", 2)]);
    // A grace of 2 minutes moves 180 s out of on time.
    let doc = report(&db, &["--grace", "2m"]);
    assert_eq!(counts(&doc["all"])[1..3], [2, 3]);

    let out = cli(
        &db,
        &[
            "callbacks",
            "report",
            "--from",
            "2026-03-07",
            "--to",
            "2026-03-08",
            "--now",
            "2026-03-09 08:00:00",
        ],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let all = table
        .lines()
        .find(|l| l.starts_with("all "))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = all.split_whitespace().collect();
    assert_eq!(
        cells[..9],
        ["all", "12", "3", "2", "1", "1", "1", "4", "25.0"],
        "{table}"
    );
    let out = cli(
        &db,
        &[
            "callbacks",
            "report",
            "--from",
            "2026-03-07",
            "--to",
            "2026-03-08",
            "--now",
            "2026-03-09 08:00:00",
            "--format",
            "csv",
            "--by",
            "agent",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "agent,total,on_time,late_hour,late_day,late_later,not_yet,never,on_time_pct,p50_seconds,p90_seconds,max_seconds\n\
         1001,12,3,2,1,1,1,4,25.0,720,90000,90000\n\
         all,12,3,2,1,1,1,4,25.0,720,90000,90000\n"
    );
    // Without --from/--to: yesterday, by the (given) clock.
    let out = cli(
        &db,
        &[
            "callbacks",
            "report",
            "--now",
            "2026-03-08 08:00:00",
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["from"].as_str(), doc["to"].as_str()),
        (Some("2026-03-07 00:00:00"), Some("2026-03-08 00:00:00"))
    );
    assert_eq!(doc["all"]["total"], 10);
    // A bad argument is one line and exit 2.
    let out = cli(
        &db,
        &["callbacks", "report", "--from", "2026-03-08", "--to", "2026-03-07"],
    );
    assert_eq!(out.status.code(), Some(2));
    db.drop_db().await;
}

/// Headless Chromium (Debian's `chromium`, which `scripts/test.sh` installs)
/// on a page, with a fresh profile and nothing that calls out.
fn chromium(profile: &std::path::Path, args: &[&str]) -> Output {
    let bin = std::env::var("CALLBACKD_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    Command::new(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e} (scripts/test.sh installs chromium)"))
}

#[tokio::test]
async fn the_html_report_renders_in_a_browser_with_its_charts_and_totals() {
    let db = setup().await;
    let out = cli(
        &db,
        &[
            "callbacks",
            "report",
            "--from",
            "2026-03-07",
            "--to",
            "2026-03-08",
            "--now",
            "2026-03-09 08:00:00",
            "--format",
            "html",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = String::from_utf8(out.stdout).unwrap();
    // Self-contained: nothing to fetch (the only URL is SVG's namespace name).
    for outside in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(outside), "{outside} in the page");
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    let dir = std::env::temp_dir().join(format!("callbackd-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());

    let dom = chromium(&dir.join("profile-dom"), &["--dump-dom", &url]);
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The browser parsed the three charts and the totals.
    for id in [
        "lateness-histogram",
        "on-time-by-group",
        "reasons",
        "totals",
        "groups",
        "undialed",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} not in the rendered page");
    }
    assert!(dom.contains("data-total=\"12\" data-on-time=\"3\" data-late=\"4\" data-not-yet=\"1\" data-never=\"4\""));
    let histogram = &dom[dom.find("id=\"lateness-histogram\"").unwrap()..];
    let histogram = &histogram[..histogram.find("</svg>").unwrap()];
    // Lateness 60, 120, 180 (<= 5 min), 720 (<= 15 min), 2400 (<= 1 h), 9000 (<= 4 h), 90000 (> 1 day).
    let bars: Vec<&str> = histogram
        .match_indices("data-count=\"")
        .map(|(i, m)| {
            let rest = &histogram[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(bars, ["3", "1", "0", "1", "0", "1", "0", "1"]);
    let on_time = &dom[dom.find("id=\"on-time-by-group\"").unwrap()..];
    assert!(on_time.contains("18.2% (2 of 11)") && on_time.contains("100.0% (1 of 1)"));
    let reasons = &dom[dom.find("id=\"reasons\"").unwrap()..];
    assert!(reasons.contains("never: lead deleted"));
    assert!(dom.contains("<th>all</th><td>12</td><td>3</td><td>2</td><td>1</td><td>1</td><td>1</td><td>4</td>"));

    let shot = dir.join("report.png");
    let out = chromium(
        &dir.join("profile-shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1024,2000",
            "--hide-scrollbars",
            &url,
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1024, 2000));
    // A blank page of that size compresses to a few kilobytes; charts and text do not.
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());
    let _ = std::fs::remove_dir_all(&dir);
    db.drop_db().await;
}

fn explained(db: &TestDb, id: &str) -> String {
    let out = cli(db, &["callbacks", "explain", id, "--now", "2026-03-09 08:00:00"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn explain_says_why_a_closed_callback_is_closed_and_by_whom() {
    let db = setup().await;
    db.exec("INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550006')")
        .await;
    // 15: USERONLY, dialed by hand by its agent 4 minutes after its time, then INACTIVE.
    db.lead(15, 101, &[]).await;
    db.callback(
        15,
        15,
        "C",
        101,
        &[
            ("callback_time", "2026-03-07 20:00:00"),
            ("status", "INACTIVE"),
            ("recipient", "USERONLY"),
        ],
    )
    .await;
    dial(&db, "15.1", 15, "C", "2026-03-07 20:04:00", "SALE", "1002").await;

    let e = explained(&db, "6");
    assert!(
        e.contains("DEAD: killed by the DNC filter: the phone 3125550006 was on the internal DNC list (lead DNCL)"),
        "{e}"
    );
    assert!(
        e.contains("entries now: internal DNC list: 3125550006; campaign C: none"),
        "{e}"
    );
    let e = explained(&db, "7");
    assert!(
        e.contains("INACTIVE: removed by a manager: ADMIN MODIFY LEAD by 6666 at 2026-03-07 12:00:00"),
        "{e}"
    );
    let e = explained(&db, "8");
    assert!(e.contains("INACTIVE without a dial of its campaign"), "{e}");
    let e = explained(&db, "15");
    assert!(
        e.contains("INACTIVE after a dial: agent 1002 called its lead at 2026-03-07 20:04:00 (SALE)"),
        "{e}"
    );
    // 14 is only in the archive, purged by something that left no entry.
    let e = explained(&db, "14");
    assert!(
        e.contains("purged: in vicidial_callbacks_archive, no longer in vicidial_callbacks"),
        "{e}"
    );
    assert!(
        e.contains("INACTIVE after a dial: the dialer called its lead at 2026-03-07 19:02:00 (NA)"),
        "{e}"
    );
    // Purged by the daemon's own purge: its admin log entry names who.
    let out = cli(&db, &["callbacks", "purge", "--as", "6666"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = explained(&db, "8");
    assert!(
        e.contains("purged: archived into vicidial_callbacks_archive and deleted by the CALLBACK PURGE of 6666"),
        "{e}"
    );
    assert!(e.contains("INACTIVE without a dial of its campaign"), "{e}");
    db.drop_db().await;
}

#[tokio::test]
async fn promise_metrics_count_each_first_dial_once_and_each_missed_grace() {
    use chrono::{Duration, NaiveDateTime};
    use vicidial_callbackd::ops::metrics::Metrics;
    use vicidial_callbackd::report::watch::Watch;
    let db = TestDb::new("report_watch").await;
    db.campaign("C", &[]).await;
    db.campaign("D", &[]).await;
    db.list(101, "C", &[]).await;
    for lead in 1..=4 {
        db.lead(lead, 101, &[]).await;
    }
    let fmt = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let now = NaiveDateTime::parse_from_str(&db.value("SELECT NOW()").await, "%Y-%m-%d %H:%M:%S").unwrap();
    let m = Metrics::default();
    let mut w = Watch::default();
    let mut s = db.db.session().await.unwrap();
    // The first look marks where dials start counting: now - 5 s.
    w.step_at(&mut s, now, &m).await.unwrap();
    // 1: due 10 min ago, dialed 2 s ago (an earlier dial before its time does not count): 598 s.
    db.callback(
        1,
        1,
        "C",
        101,
        &[("callback_time", &fmt(now - Duration::minutes(10))), ("status", "LIVE")],
    )
    .await;
    dial(&db, "1.0", 1, "C", &fmt(now - Duration::minutes(11)), "NA", "VDAD").await;
    dial(&db, "1.1", 1, "C", &fmt(now - Duration::seconds(2)), "NA", "VDAD").await;
    // 2: due 4 min ago, dialed only by another campaign: its grace runs out in 1 min.
    db.callback(
        2,
        2,
        "C",
        101,
        &[("callback_time", &fmt(now - Duration::minutes(4))), ("status", "LIVE")],
    )
    .await;
    dial(&db, "2.1", 2, "D", &fmt(now - Duration::seconds(1)), "NA", "VDAD").await;
    // 3: due 3 min ago, dialed within its grace (1 min from now): not missed.
    db.callback(
        3,
        3,
        "C",
        101,
        &[("callback_time", &fmt(now - Duration::minutes(3))), ("status", "LIVE")],
    )
    .await;
    // 4: killed for DNC: its grace runs out undialed, but nothing was owed.
    db.callback(
        4,
        4,
        "C",
        101,
        &[("callback_time", &fmt(now - Duration::minutes(4))), ("status", "DEAD")],
    )
    .await;
    w.step_at(&mut s, now + Duration::seconds(10), &m).await.unwrap();
    dial(&db, "3.1", 3, "C", &fmt(now + Duration::seconds(60)), "B", "VDAD").await;
    // A second dial of lead 1 is not its first.
    dial(&db, "1.2", 1, "C", &fmt(now + Duration::seconds(30)), "NA", "VDAD").await;
    w.step_at(&mut s, now + Duration::minutes(3), &m).await.unwrap();
    w.step_at(&mut s, now + Duration::minutes(3), &m).await.unwrap();
    let text = m.render(None);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    };
    // Dialed firsts: 1 (598 s) and 3 (240 s: within its grace).
    assert_eq!(
        line("callbackd_promise_first_dial_seconds_count{campaign=\"C\"}"),
        "2",
        "{text}"
    );
    assert_eq!(
        line("callbackd_promise_first_dial_seconds_sum{campaign=\"C\"}"),
        "838",
        "{text}"
    );
    assert_eq!(
        line("callbackd_promise_first_dial_seconds_bucket{campaign=\"C\",le=\"300\"}"),
        "1"
    );
    assert_eq!(
        line("callbackd_promise_first_dial_seconds_bucket{campaign=\"C\",le=\"900\"}"),
        "2"
    );
    // Missed: only 2.
    assert_eq!(
        line("callbackd_promise_not_dialed_within_grace_total{campaign=\"C\"}"),
        "1",
        "{text}"
    );
    drop(s);
    db.drop_db().await;
}

#[tokio::test]
async fn the_daily_digest_is_mailed_once_a_day_across_restarts() {
    use chrono::NaiveDateTime;
    use smtp::{SinkMode, SmtpSink};
    use vicidial_callbackd::config::{Config, ReportConfig};
    use vicidial_callbackd::duties::digest::Digest;
    use vicidial_callbackd::email::EmailConfig;
    let db = setup().await;
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let config = Config {
        email: EmailConfig {
            smtp_port: sink.port,
            retry_backoff_seconds: 0.05,
            timeout_seconds: 5,
            ..EmailConfig::default()
        },
        report: ReportConfig {
            enabled: true,
            at: "07:00".into(),
            to: "boss@example.com, floor@example.com".into(),
            from: "callbacks@example.com".into(),
            ..ReportConfig::default()
        },
        ..Config::default()
    };
    let at = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
    let mut s = db.db.session().await.unwrap();
    let mut digest = Digest::default();
    // Before its time: nothing.
    assert_eq!(
        digest.tick(&mut s, &config, at("2026-03-08 06:59:00")).await.unwrap(),
        None
    );
    assert!(sink.messages().is_empty());
    let sent = digest.tick(&mut s, &config, at("2026-03-08 07:00:30")).await.unwrap();
    assert_eq!(
        sent.as_deref(),
        Some("the report of 2026-03-07 sent to boss@example.com, floor@example.com")
    );
    assert_eq!(
        digest.tick(&mut s, &config, at("2026-03-08 07:01:00")).await.unwrap(),
        None
    );
    // A restart (or another daemon taking over) finds the day taken.
    let mut restarted = Digest::default();
    assert_eq!(
        restarted
            .tick(&mut s, &config, at("2026-03-08 09:00:00"))
            .await
            .unwrap(),
        None
    );
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].header("Subject"), Some("Callback promise report 2026-03-07"));
    assert_eq!(mail[0].envelope_to.len(), 2);
    // The text table of 2026-03-07 (callbacks 1-4, 6-8, 10, 12, 14), and the page attached.
    assert!(
        mail[0].raw.contains("promise-report-2026-03-07.html"),
        "{}",
        mail[0].raw
    );
    assert_eq!(mail[0].defects, 0);
    // The text part is plain ASCII, sent as it is.
    assert!(
        mail[0]
            .raw
            .lines()
            .any(|l| l.starts_with("all ") && l.split_whitespace().nth(1) == Some("10")),
        "{}",
        mail[0].raw
    );
    let notes = db
        .rows("SELECT user, event_section, event_notes FROM vicidial_admin_log WHERE event_code = 'CALLBACK PROMISE DIGEST'")
        .await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0][0], "VDAD");
    assert!(notes[0][2].starts_with("the report of 2026-03-07 sent"), "{notes:?}");
    // The next day is a day of its own.
    assert!(
        restarted
            .tick(&mut s, &config, at("2026-03-09 07:00:00"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(sink.messages().len(), 2);
    drop(s);
    db.drop_db().await;
}

#[tokio::test]
async fn a_late_callback_names_the_hold_it_met() {
    let db = TestDb::new("report_late").await;
    db.campaign("E", &[("callback_hours_block", "2")]).await;
    db.campaign("F", &[("local_call_time", "9am-5pm")]).await;
    db.list(501, "E", &[]).await;
    db.list(601, "F", &[]).await;
    db.lead(1, 501, &[]).await;
    db.lead(2, 601, &[]).await;
    // Set at 08:30 for 10:00, blocked 2 hours (to 10:30): dialed 10:31, late < 1 h.
    db.callback(
        1,
        1,
        "E",
        501,
        &[
            ("entry_time", "2026-03-07 09:00:00"),
            ("callback_time", "2026-03-07 10:00:00"),
            ("status", "LIVE"),
        ],
    )
    .await;
    dial(&db, "1.1", 1, "E", "2026-03-07 10:31:00", "NA", "VDAD").await;
    // Due 08:00 EST, 07:00 for the lead (gmt_offset_now -6): 9am-5pm is closed; dialed 10:05.
    db.callback(
        2,
        2,
        "F",
        601,
        &[
            ("entry_time", "2026-03-06 12:00:00"),
            ("callback_time", "2026-03-07 08:00:00"),
            ("status", "LIVE"),
        ],
    )
    .await;
    dial(&db, "2.1", 2, "F", "2026-03-07 10:05:00", "NA", "VDAD").await;
    let doc = report(&db, &[]);
    assert_eq!(callback(&doc, 1)["bucket"], "late_hour");
    assert_eq!(callback(&doc, 1)["reason"], "held: callback_hours_block");
    assert_eq!(callback(&doc, 2)["bucket"], "late_day");
    assert_eq!(callback(&doc, 2)["reason"], "held: outside call time at its time");
    let reasons = doc["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["bucket"] == "late_hour" && r["reason"] == "held: callback_hours_block")
    );
    db.drop_db().await;
}

/// The 24-hour limit (system switch on): campaign G counts by lead, limit 2;
/// campaign H by phone number, limit 1. Each callback is due 10:00 on
/// 2026-03-07 and dialed 10:40; the calls counted are those of
/// `[2026-03-06 10:00, 2026-03-07 10:00)`.
#[tokio::test]
async fn a_late_callback_held_by_the_24_hour_limit_says_so() {
    let db = TestDb::new("report_limit").await;
    db.exec("UPDATE system_settings SET call_limit_24hour = '1'").await;
    db.campaign("G", &[("call_limit_24hour_method", "LEAD"), ("call_limit_24hour", "2")])
        .await;
    db.campaign(
        "H",
        &[("call_limit_24hour_method", "PHONE_NUMBER"), ("call_limit_24hour", "1")],
    )
    .await;
    db.list(701, "G", &[]).await;
    db.list(801, "H", &[]).await;
    db.lead(3, 701, &[]).await;
    db.lead(4, 701, &[]).await;
    db.lead(5, 801, &[("phone_number", "3125559999")]).await;
    db.lead(6, 801, &[("phone_number", "3125559999")]).await;
    db.exec(
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) VALUES \
         (3, 701, '2026-03-06 12:00:00', '3125550003', '1'), \
         (3, 701, '2026-03-07 09:00:00', '3125550003', '1'), \
         (4, 701, '2026-03-06 09:59:59', '3125550004', '1'), \
         (4, 701, '2026-03-07 09:00:00', '3125550004', '1'), \
         (4, 701, '2026-03-07 10:00:00', '3125550004', '1'), \
         (6, 801, '2026-03-07 08:00:00', '3125559999', '1')",
    )
    .await;
    for (id, lead, campaign, list) in [(3, 3, "G", 701), (4, 4, "G", 701), (5, 5, "H", 801)] {
        db.callback(
            id,
            lead,
            campaign,
            list,
            &[
                ("entry_time", "2026-03-06 12:00:00"),
                ("callback_time", "2026-03-07 10:00:00"),
                ("status", "LIVE"),
            ],
        )
        .await;
        dial(
            &db,
            &format!("{id}.1"),
            lead,
            campaign,
            "2026-03-07 10:40:00",
            "NA",
            "VDAD",
        )
        .await;
    }
    let doc = report(&db, &[]);
    // Lead 3: two calls in the day before 10:00, limit 2: held.
    assert_eq!(callback(&doc, 3)["bucket"], "late_hour");
    assert_eq!(callback(&doc, 3)["reason"], "held: 24-hour call limit");
    // Lead 4: one call in the day (09:59:59 the day before is out, 10:00 is not before): open.
    assert_eq!(callback(&doc, 4)["bucket"], "late_hour");
    assert_eq!(callback(&doc, 4)["reason"], "no hold known");
    // Lead 5: its phone number was called once as lead 6, limit 1: held.
    assert_eq!(callback(&doc, 5)["reason"], "held: 24-hour call limit");
    // The system switch off: no limit anywhere.
    db.exec("UPDATE system_settings SET call_limit_24hour = '0'").await;
    let doc = report(&db, &[]);
    assert_eq!(callback(&doc, 3)["reason"], "no hold known");
    assert_eq!(callback(&doc, 5)["reason"], "no hold known");
    db.drop_db().await;
}

/// The daemon's own records, with the report's clock at 2026-03-07 12:00:
/// records are known from 2026-03-06 12:00 on.
#[tokio::test]
async fn a_late_callback_in_a_gap_of_the_daemons_activity_says_so() {
    let db = TestDb::new("report_gap").await;
    db.campaign("K", &[]).await;
    db.list(901, "K", &[]).await;
    for (id, due, dialed) in [
        // Window [09:59, 10:30]: the claim at 09:58:59 and the insert at
        // 10:31:05 are outside it.
        (11, "2026-03-07 10:00:00", "2026-03-07 10:30:00"),
        // Window [10:59, 11:20]: the claim at 11:05:30 is in it.
        (12, "2026-03-07 11:00:00", "2026-03-07 11:20:00"),
        // Due more than a day before the clock: the records are gone.
        (13, "2026-03-06 10:00:00", "2026-03-06 10:30:00"),
    ] {
        db.lead(id, 901, &[]).await;
        db.callback(
            id,
            id,
            "K",
            901,
            &[
                ("entry_time", "2026-03-05 12:00:00"),
                ("callback_time", due),
                ("status", "LIVE"),
            ],
        )
        .await;
        dial(&db, &format!("{id}.1"), id, "K", dialed, "NA", "VDAD").await;
    }
    db.exec(
        "INSERT INTO callbackd_claimed (callback_id, claimed_at) VALUES \
         (90, '2026-03-07 09:58:59'), (91, '2026-03-07 11:05:30')",
    )
    .await;
    db.exec("INSERT INTO callbackd_queued (hopper_id, lead_id, queued_at) VALUES (1, 90, '2026-03-07 10:31:05')")
        .await;
    let args = [
        "callbacks",
        "report",
        "--from",
        "2026-03-06",
        "--to",
        "2026-03-07",
        "--now",
        "2026-03-07 12:00:00",
        "--format",
        "json",
    ];
    let out = cli(&db, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(callback(&doc, 11)["bucket"], "late_hour");
    assert_eq!(callback(&doc, 11)["reason"], "the daemon was not working");
    assert_eq!(
        callback(&doc, 11)["detail"],
        "no claims or inserts between 2026-03-07 09:59:00 and 2026-03-07 10:30:00"
    );
    assert_eq!(callback(&doc, 12)["reason"], "no hold known");
    assert_eq!(callback(&doc, 12)["detail"], "");
    assert_eq!(callback(&doc, 13)["reason"], "no hold known");
    assert_eq!(
        callback(&doc, 13)["detail"],
        "the daemon's activity then is unknown (its records are kept a day)"
    );
    // Without the daemon's tables nothing is said of its activity.
    db.exec("DROP TABLE callbackd_queued").await;
    let out = cli(&db, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(callback(&doc, 11)["reason"], "no hold known");
    assert_eq!(callback(&doc, 11)["detail"], "");
    assert_eq!(callback(&doc, 13)["detail"], "");
    db.drop_db().await;
}
