//! Manager commands (README, "For managers") on a real MariaDB: `explain` agrees with a
//! real pass on every callback of the demo data, one test per `explain`
//! reason, one per change command with its `vicidial_admin_log` row checked
//! column by column, `--dry-run` and every bad argument change nothing, the
//! purge never loses a row, the availability move for each trigger, and the
//! email tools against a real SMTP server. The server runs in
//! America/New_York; the test calendar is 2026-03-04 (EST).

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::process::{Command, Output};

use common::{TestDb, t};
use smtp::{SinkMode, SmtpSink};
use vicidial_callbackd::config::{AvailabilityConfig, Config, PurgeConfig};
use vicidial_callbackd::duties::purge::Schedule;
use vicidial_callbackd::manage::availability::move_unavailable;
use vicidial_callbackd::manage::explain::{Explanation, Verdict, explain};
use vicidial_callbackd::rules::decision::{Feed, Gate, Outcome, Phase};
use vicidial_callbackd::rules::dnc::DncList;

/// The binary on `db`, as user `tester` from a local shell, email off.
fn cli(db: &TestDb, args: &[&str]) -> Output {
    common::callbackd()
        .args(["--database-url", &db.url])
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .env_remove("SSH_CLIENT")
        .env_remove("SUDO_USER")
        .env("USER", "tester")
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .output()
        .expect("run the binary")
}

/// The name of the user running the tests, as `id -un` says.
fn unix_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn explained(db: &TestDb, id: u32, now: &str) -> Explanation {
    let mut s = db.db.session().await.unwrap();
    explain(&mut s, &Config::default(), id, Some(common::parse_time(now)))
        .await
        .unwrap()
}

async fn user(db: &TestDb, name: &str, active: &str, logged_in: bool) {
    db.exec(&format!(
        "INSERT INTO vicidial_users (user, pass, full_name, user_level, user_group, active, email) \
         VALUES ('{name}', 'x', 'Agent {name}', 1, 'AGENTS', '{active}', '{name}@example.com')"
    ))
    .await;
    if logged_in {
        db.exec(&format!(
            "INSERT INTO vicidial_live_agents (user, server_ip, conf_exten, status, campaign_id) \
             VALUES ('{name}', '10.0.0.1', '8600051', 'READY', 'C')"
        ))
        .await;
    }
}

/// Everything a command could change, to prove it changed nothing.
async fn snapshot(db: &TestDb) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for table in [
        "vicidial_callbacks",
        "vicidial_callbacks_archive",
        "vicidial_list",
        "vicidial_hopper",
        "vicidial_admin_log",
    ] {
        all.extend(db.rows(&format!("CHECKSUM TABLE {table}")).await);
    }
    all
}

/// The admin log rows, every column but the id and date.
async fn admin_log(db: &TestDb) -> Vec<Vec<String>> {
    db.rows(
        "SELECT user, ip_address, event_section, event_type, record_id, event_code, event_sql, event_notes, \
         user_group, event_date > NOW() - INTERVAL 1 MINUTE FROM vicidial_admin_log ORDER BY admin_log_id",
    )
    .await
}

fn row(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

// ---------------------------------------------------------------------------
// explain agrees with a pass
// ---------------------------------------------------------------------------

/// Every callback of the demo data: what `explain` says the next pass does
/// is what a real pass at the same instant then does.
#[tokio::test]
async fn explain_agrees_with_a_real_pass_on_every_demo_callback() {
    let db = TestDb::new("m_demo").await;
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/demo-data.sql")).unwrap();
    db.exec(&demo).await;
    let now = db.value("SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')").await;
    let ids: Vec<u32> = db
        .rows("SELECT callback_id FROM vicidial_callbacks ORDER BY callback_id")
        .await
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    let mut before = Vec::new();
    for &id in &ids {
        let e = explained(&db, id, &now).await;
        let state = db
            .rows(&format!(
                "SELECT cb.status, cb.recipient, (SELECT COUNT(*) FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id) \
                 FROM vicidial_callbacks cb WHERE callback_id = {id}"
            ))
            .await
            .remove(0);
        before.push((id, e, state));
    }
    db.pass_at(Some(&now)).await;
    let mut kinds = std::collections::HashSet::new();
    for (id, e, was) in before {
        let now_row = db
            .rows(&format!(
                "SELECT cb.status, cb.recipient, (SELECT COUNT(*) FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id) \
                 FROM vicidial_callbacks cb WHERE callback_id = {id}"
            ))
            .await
            .remove(0);
        let (status, recipient, hopper) = (now_row[0].as_str(), now_row[1].as_str(), now_row[2].as_str());
        let said = e.lines.join(" / ");
        let unchanged = now_row == was;
        let ok = match &e.verdict {
            Verdict::Final(_)
            | Verdict::NotDue(_)
            | Verdict::InHopper(_)
            | Verdict::Dialed(_)
            | Verdict::TooOld
            | Verdict::BadData(_) => unchanged,
            Verdict::WaitingForAgent { moves_at } => match moves_at {
                Some(t) if *t < common::parse_time(&now) => recipient == "ANYONE",
                _ => unchanged,
            },
            Verdict::Decided { outcome, phase } => match outcome {
                Outcome::Skip(_) | Outcome::StayActive(_) | Outcome::Dialed => unchanged,
                Outcome::Kill(_) => status == "DEAD",
                Outcome::Limited { .. } => status == "TFHCCL" && *phase == Phase::Due,
                Outcome::Live => status == "LIVE" && recipient == "USERONLY" && hopper == was[2],
                Outcome::Anyone(Feed::Insert(_)) => status == "LIVE" && hopper == "1",
                Outcome::Anyone(Feed::InHopper) => status == "LIVE" && hopper == "1",
                Outcome::Anyone(Feed::Hold { .. }) => status == "LIVE" && hopper == "0",
            },
        };
        kinds.insert(std::mem::discriminant(&e.verdict));
        assert!(
            ok,
            "callback {id}: explain said {said:?} ({:?}), the pass left {now_row:?}",
            e.verdict
        );
    }
    assert!(kinds.len() >= 5, "the demo data covers several reasons");
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// explain, one test per reason
// ---------------------------------------------------------------------------

#[tokio::test]
async fn explain_not_due_yet_says_when() {
    let db = TestDb::single("m_notdue", &[], &[], &[]).await;
    let e = explained(&db, 10, &t("09:00:00")).await;
    assert_eq!(e.verdict, Verdict::NotDue(common::parse_time(&t("10:00:00"))));
    assert!(
        e.lines[0].contains("comes due at 2026-03-04 10:00:00 (in 1 h 00 min)"),
        "{:?}",
        e.lines
    );
    db.drop_db().await;
}

/// A Chicago lead (-6.00) at 08:30 New York time is 07:30 lead time, before
/// 9am-9pm: held until 09:00 lead time, 10:00 server time.
#[tokio::test]
async fn explain_call_time_names_the_rule_and_both_clocks() {
    let db = TestDb::single(
        "m_calltime",
        &[("local_call_time", "9am-9pm")],
        &[],
        &[("callback_time", &t("08:00:00"))],
    )
    .await;
    let e2 = explained(&db, 10, &t("08:30:00")).await;
    assert_eq!(
        e2.verdict,
        Verdict::Decided {
            phase: Phase::Due,
            outcome: Outcome::Anyone(Feed::Hold {
                gate: Gate::CallTime,
                until: Some(common::parse_time(&t("10:00:00")))
            })
        }
    );
    let text = e2.lines.join("\n");
    assert!(text.contains("opens 2026-03-04 10:00:00 (server time"), "{text}");
    assert!(
        text.contains("2026-03-04 09:00 lead time (gmt_offset_now -6.00)"),
        "{text}"
    );
    assert!(
        text.contains("campaign call time 9am-9pm: Wednesday (default hours) 0900-2100") && text.contains(": closed"),
        "{text}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn explain_hours_block_says_until_when() {
    let db = TestDb::single("m_block", &[("callback_hours_block", "4")], &[], &[]).await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    assert!(matches!(
        e.verdict,
        Verdict::Decided {
            outcome: Outcome::Anyone(Feed::Hold {
                gate: Gate::HoursBlock,
                ..
            }),
            ..
        }
    ));
    assert!(
        e.lines
            .join("\n")
            .contains("blocks it for 4 hours: opens 2026-03-04 12:00:00"),
        "{:?}",
        e.lines
    );
    db.drop_db().await;
}

#[tokio::test]
async fn explain_dnc_names_the_list_and_the_entry() {
    let db = TestDb::single(
        "m_dnc",
        &[("callback_dnc", "ENABLED"), ("use_internal_dnc", "AREACODE")],
        &[],
        &[],
    )
    .await;
    db.exec("INSERT INTO vicidial_dnc (phone_number) VALUES ('312XXXXXXX')")
        .await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    assert!(matches!(
        e.verdict,
        Verdict::Decided {
            outcome: Outcome::Kill(DncList::Internal),
            ..
        }
    ));
    assert!(
        e.lines[0].contains("internal DNC list (entry 312XXXXXXX)") && e.lines[0].contains("lead DNCL"),
        "{:?}",
        e.lines
    );
    db.drop_db().await;
}

#[tokio::test]
async fn explain_24_hour_limit_counts_the_calls_and_when_the_oldest_ages_out() {
    let db = TestDb::single(
        "m_limit",
        &[("call_limit_24hour_method", "LEAD"), ("call_limit_24hour", "1")],
        &[],
        &[],
    )
    .await;
    db.exec(
        "UPDATE system_settings SET call_limit_24hour = '1'; \
         INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
         VALUES (1, 101, '2026-03-04 07:55:00', '3125550001', '1')",
    )
    .await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    assert!(matches!(
        e.verdict,
        Verdict::Decided {
            outcome: Outcome::Limited { .. },
            ..
        }
    ));
    let text = e.lines.join("\n");
    assert!(
        text.contains("1 calls in the last 24 hours counted (Lead, any list), limit 1"),
        "{text}"
    );
    assert!(text.contains("ages out at 2026-03-05 07:55:00"), "{text}");
    db.drop_db().await;
}

#[tokio::test]
async fn explain_inactive_list_holds() {
    let db = TestDb::single("m_inactive", &[], &[], &[]).await;
    db.exec("UPDATE vicidial_lists SET active = 'N' WHERE list_id = 101")
        .await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    assert!(matches!(
        e.verdict,
        Verdict::Decided {
            outcome: Outcome::Anyone(Feed::Hold {
                gate: Gate::InactiveList(101),
                ..
            }),
            ..
        }
    ));
    assert!(e.lines[0].contains("list 101 is inactive or expired"), "{:?}", e.lines);
    db.drop_db().await;
}

/// LIVE ANYONE whose lead is in the hopper, undialed.
#[tokio::test]
async fn explain_in_the_hopper_gives_its_hopper_status() {
    let db = TestDb::single(
        "m_hopper",
        &[],
        &[("status", "CALLBK"), ("called_since_last_reset", "N")],
        &[("status", "LIVE")],
    )
    .await;
    db.exec("INSERT INTO vicidial_hopper (lead_id, campaign_id, status, list_id, priority, source) VALUES (1, 'C', 'RHOLD', 101, 50, 'C')")
        .await;
    let e = explained(&db, 10, &t("10:05:00")).await;
    assert_eq!(e.verdict, Verdict::InHopper("RHOLD".into()));
    assert!(e.lines[0].contains("hopper status RHOLD"), "{:?}", e.lines);
    db.drop_db().await;
}

/// LIVE ANYONE whose lead was dialed (the dialer set `Y`, the hangup `NA`):
/// the dial is shown in server time (the lead's clock is -6.00, the server's -5.00).
#[tokio::test]
async fn explain_dialed_says_when_and_the_lead_status() {
    let db = TestDb::single(
        "m_dialed",
        &[],
        &[
            ("status", "NA"),
            ("called_since_last_reset", "Y"),
            ("last_local_call_time", &t("09:10:00")),
        ],
        &[("status", "LIVE")],
    )
    .await;
    let e = explained(&db, 10, &t("10:30:00")).await;
    assert_eq!(e.verdict, Verdict::Dialed("NA".into()));
    assert!(
        e.lines[0].contains("called at 2026-03-04 10:10:00 server time and is now NA"),
        "{:?}",
        e.lines
    );
    db.drop_db().await;
}

#[tokio::test]
async fn explain_useronly_waits_for_its_agent_logged_in_or_not() {
    let db = TestDb::single(
        "m_useronly",
        &[("callback_useronly_move_minutes", "30")],
        &[],
        &[("status", "LIVE"), ("recipient", "USERONLY")],
    )
    .await;
    user(&db, "1001", "Y", false).await;
    let e = explained(&db, 10, &t("10:10:00")).await;
    assert_eq!(
        e.verdict,
        Verdict::WaitingForAgent {
            moves_at: Some(common::parse_time(&t("10:30:00")))
        }
    );
    let text = e.lines.join("\n");
    assert!(
        text.contains("waiting for agent 1001 (Agent 1001, not logged in)"),
        "{text}"
    );
    assert!(
        text.contains("moves it to ANYONE at 2026-03-04 10:30:00 (in 20 min)"),
        "{text}"
    );
    db.exec("INSERT INTO vicidial_live_agents (user, server_ip, conf_exten, status, campaign_id) VALUES ('1001', '10.0.0.1', '1', 'READY', 'C')")
        .await;
    let e = explained(&db, 10, &t("10:10:00")).await;
    assert!(e.lines[0].contains("(Agent 1001, logged in to C)"), "{:?}", e.lines);
    db.drop_db().await;
}

/// A due USERONLY callback: the next pass makes it LIVE, nothing else.
#[tokio::test]
async fn explain_due_useronly_becomes_live_for_its_agent() {
    let db = TestDb::single("m_due_uo", &[], &[], &[("recipient", "USERONLY")]).await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    assert!(matches!(
        e.verdict,
        Verdict::Decided {
            outcome: Outcome::Live,
            phase: Phase::Due
        }
    ));
    assert!(e.lines[0].contains("LIVE for agent 1001"), "{:?}", e.lines);
    db.drop_db().await;
}

#[tokio::test]
async fn explain_campaign_without_callbacks_is_noted() {
    let db = TestDb::single("m_nocb", &[("scheduled_callbacks", "N"), ("active", "N")], &[], &[]).await;
    let e = explained(&db, 10, &t("10:00:00")).await;
    let text = e.lines.join("\n");
    assert!(text.contains("campaign C has scheduled_callbacks=N"), "{text}");
    assert!(text.contains("campaign C is inactive"), "{text}");
    db.drop_db().await;
}

#[tokio::test]
async fn explain_bad_data_and_final_callbacks() {
    let db = TestDb::single("m_bad", &[], &[], &[]).await;
    db.callback(11, 99, "C", 101, &[]).await;
    db.callback(12, 1, "C", 101, &[("status", "INACTIVE")]).await;
    let e = explained(&db, 11, &t("10:00:00")).await;
    assert_eq!(
        e.verdict,
        Verdict::Decided {
            phase: Phase::Due,
            outcome: Outcome::Skip("lead 99 does not exist".into())
        }
    );
    assert!(e.lines[0].starts_with("bad data: lead 99 does not exist"));
    let e = explained(&db, 12, &t("10:00:00")).await;
    assert_eq!(e.verdict, Verdict::Final("INACTIVE".into()));
    let mut s = db.db.session().await.unwrap();
    assert!(explain(&mut s, &Config::default(), 404, None).await.is_err());
    drop(s);
    db.drop_db().await;
}

#[tokio::test]
async fn explain_by_the_binary_prints_the_answer_and_an_unknown_id_is_exit_2() {
    let db = TestDb::single("m_explain_cli", &[], &[], &[]).await;
    let out = cli(&db, &["callbacks", "explain", "10", "--now", &t("10:00:00")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("inserts it into the hopper as READY"),
        "{}",
        stdout(&out)
    );
    let out = cli(
        &db,
        &[
            "callbacks",
            "explain",
            "10",
            "--now",
            &t("10:00:00"),
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["callback_id"], 10);
    assert!(
        doc["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("inserts it into the hopper as READY")),
        "{doc}"
    );
    let out = cli(&db, &["callbacks", "explain", "404"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: there is no callback 404\n");
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// list, show, status
// ---------------------------------------------------------------------------

async fn small_center(tag: &str) -> TestDb {
    let db = TestDb::single(tag, &[("local_call_time", "9am-9pm")], &[], &[]).await;
    user(&db, "1001", "Y", true).await;
    user(&db, "1002", "Y", false).await;
    user(&db, "1003", "N", false).await;
    db.lead(2, 101, &[]).await;
    db.callback(
        11,
        2,
        "C",
        101,
        &[("recipient", "USERONLY"), ("callback_time", "2030-01-01 09:00:00")],
    )
    .await;
    db.lead(3, 101, &[("status", "CALLBK"), ("called_since_last_reset", "N")])
        .await;
    // LIVE ANYONE, undialed, out of the hopper: held by call time at night.
    db.callback(12, 3, "C", 101, &[("status", "LIVE")]).await;
    db
}

#[tokio::test]
async fn list_filters_and_speaks_table_csv_and_json() {
    let db = small_center("m_list").await;
    let out = cli(&db, &["callbacks", "list", "--recipient", "USERONLY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("\n11 ") && !text.contains("\n10 "), "{text}");
    assert!(text.ends_with("1 callbacks\n"), "{text}");
    let out = cli(&db, &["callbacks", "list", "--campaign", "c", "--format", "csv"]);
    let csv = stdout(&out);
    assert!(csv.starts_with("id,lead,phone,name,list,campaign,callback,owner,recipient,status,last_call,held\n"));
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert_eq!(stderr(&out), "", "all three fit the default limit");
    // A limit that cuts the list short says so; one that does not, says nothing.
    let out = cli(
        &db,
        &[
            "callbacks",
            "list",
            "--campaign",
            "c",
            "--format",
            "csv",
            "--limit",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
    assert!(
        stderr(&out).starts_with("list: stopped at --limit 2: more callbacks match"),
        "{}",
        stderr(&out)
    );
    let out = cli(
        &db,
        &[
            "callbacks",
            "list",
            "--campaign",
            "c",
            "--format",
            "csv",
            "--limit",
            "3",
        ],
    );
    assert_eq!((stdout(&out).lines().count(), stderr(&out)), (4, String::new()));
    let out = cli(
        &db,
        &[
            "callbacks",
            "list",
            "--format",
            "json",
            "--due-before",
            "2029-01-01 00:00:00",
        ],
    );
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["callback_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![10, 12]);
    assert_eq!(docs[0]["lead"]["phone_number"], "3125550001");
    let out = cli(&db, &["callbacks", "list", "--due-before", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    db.drop_db().await;
}

#[tokio::test]
async fn show_and_status_tell_everything() {
    let db = small_center("m_show").await;
    let out = cli(&db, &["callbacks", "show", "11"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "callback       11 (ACTIVE USERONLY)",
        "owner          1001 (Agent 1001, user group AGENTS, active, logged in to C)",
        "phone          1 3125550002, state IL, gmt_offset_now -6.00",
        "hopper         no row",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let out = cli(&db, &["callbacks", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  ACTIVE    ANYONE          1"), "{text}");
    assert!(text.contains("  LIVE      ANYONE          1"), "{text}");
    assert!(text.contains("due backlog: 1 ACTIVE/TFHCCL past their time"), "{text}");
    assert!(text.contains("email alerts today: none"), "{text}");
    assert!(
        text.contains("stale undialed LIVE ANYONE callbacks left alone"),
        "{text}"
    );
    // The same as JSON: show gives list's object, status one document.
    let out = cli(&db, &["callbacks", "show", "11", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["callback_id"].as_u64(), doc["recipient"].as_str()),
        (Some(11), Some("USERONLY"))
    );
    assert_eq!(doc["lead"]["phone_number"], "3125550002");
    let out = cli(&db, &["callbacks", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let same = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["callback_id"] == 11)
        .unwrap();
    assert_eq!(same, &doc, "show's object is list's");
    let out = cli(&db, &["callbacks", "status", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["by_status"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "status": "LIVE", "recipient": "ANYONE", "count": 1 })),
        "{doc}"
    );
    assert_eq!(doc["due_backlog"]["count"], 1, "{doc}");
    assert_eq!(doc["emails_today"], serde_json::json!([]), "{doc}");
    assert!(doc["stale_left_alone"]["count"].is_u64(), "{doc}");
    let out = cli(&db, &["callbacks", "show", "404"]);
    assert_eq!(out.status.code(), Some(2));
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// changes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn reassign_one_callback_logs_as_the_lead_page_does_and_dry_run_changes_nothing() {
    let db = small_center("m_reassign").await;
    let before = snapshot(&db).await;
    let out = cli(&db, &["callbacks", "reassign", "11", "--to", "1002", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("dry run: would reassign callback 11"),
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(&db).await, before, "a dry run changes nothing");
    let out = cli(&db, &["callbacks", "reassign", "11", "--to", "1002", "--as", "6666"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        db.value("SELECT user FROM vicidial_callbacks WHERE callback_id = 11")
            .await,
        "1002"
    );
    // `admin_modify_lead.php` line 1798, VICIdial 2.14: LEADS, MODIFY, the lead id, ADMIN MODIFY LEAD
    // CALLBACK.
    assert_eq!(
        admin_log(&db).await,
        vec![row(&[
            "6666",
            "127.0.0.1",
            "LEADS",
            "MODIFY",
            "2",
            "ADMIN MODIFY LEAD CALLBACK",
            "UPDATE vicidial_callbacks SET user = '1002' WHERE callback_id = 11 AND status IN ('ACTIVE','LIVE','TFHCCL')|",
            // --as names the VICIdial user; who really ran it is in the notes.
            &format!("callback 11 reassigned from 1001 to 1002|Unix user: {}", unix_user()),
            "---ALL---",
            "1",
        ])]
    );
    // Behind sudo, the sudo user too; without --as, the notes stay VICIdial's.
    let out = common::callbackd()
        .args([
            "--database-url",
            &db.url,
            "callbacks",
            "reassign",
            "11",
            "--to",
            "1001",
            "--as",
            "6666",
        ])
        .env_remove("CALLBACKD_DATABASE_URL")
        .env("SUDO_USER", "alice")
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&db, &["callbacks", "reassign", "11", "--to", "1002"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let notes: Vec<String> = admin_log(&db).await.iter().map(|r| r[7].clone()).collect();
    assert_eq!(
        notes[1..],
        [
            format!(
                "callback 11 reassigned from 1002 to 1001|Unix user: alice via sudo as {}",
                unix_user()
            ),
            "callback 11 reassigned from 1001 to 1002".to_owned(),
        ]
    );
    db.drop_db().await;
}

#[tokio::test]
async fn reassign_all_of_an_agent_logs_one_bulk_change() {
    let db = small_center("m_bulk").await;
    db.callback(13, 2, "C", 101, &[("recipient", "USERONLY"), ("status", "LIVE")])
        .await;
    db.callback(14, 2, "C", 101, &[("recipient", "USERONLY"), ("status", "INACTIVE")])
        .await;
    let out = cli(&db, &["callbacks", "reassign", "--from", "1001", "--to", "1002"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let owners = db
        .rows("SELECT callback_id, user FROM vicidial_callbacks ORDER BY callback_id")
        .await;
    let owners: Vec<String> = owners.iter().map(|r| format!("{}:{}", r[0], r[1])).collect();
    assert_eq!(owners, ["10:1001", "11:1002", "12:1001", "13:1002", "14:1001"]);
    // `callbacks_bulk_change.php` line 210, VICIdial 2.14: USERS, MODIFY, the new user, ADMIN CALLBACK
    // BULK CHANGE, "Old user: ".
    assert_eq!(
        admin_log(&db).await,
        vec![row(&[
            "tester",
            "127.0.0.1",
            "USERS",
            "MODIFY",
            "1002",
            "ADMIN CALLBACK BULK CHANGE",
            "UPDATE vicidial_callbacks SET user = '1002' WHERE callback_id IN (11, 13) AND status IN \
             ('ACTIVE','LIVE','TFHCCL') AND recipient = 'USERONLY' AND user = '1001'|",
            "Old user: 1001|callbacks: 11,13",
            "---ALL---",
            "1",
        ])]
    );
    db.drop_db().await;
}

/// A LIVE USERONLY callback converted to ANYONE goes into the hopper at the
/// next pass (VICIdial leaves it LIVE for ever: `docs/vicidial.md`, section "Manager pages").
#[tokio::test]
async fn convert_to_anyone_then_the_pass_dials_it_and_back_to_useronly() {
    let db = small_center("m_convert").await;
    db.exec(
        "UPDATE vicidial_callbacks SET status = 'LIVE', callback_time = '2026-03-04 10:00:00' WHERE callback_id = 11",
    )
    .await;
    let out = cli(&db, &["callbacks", "convert", "11", "--to", "anyone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the daemon's next pass puts it through the gates"),
        "{}",
        stdout(&out)
    );
    let log = admin_log(&db).await;
    assert_eq!(
        log[0][4..8],
        row(&[
            "2",
            "ADMIN MODIFY LEAD CALLBACK",
            "UPDATE vicidial_callbacks SET recipient = 'ANYONE' WHERE callback_id = 11 AND recipient = 'USERONLY' \
             AND status IN ('ACTIVE','LIVE','TFHCCL')|",
            "callback 11 converted from USERONLY to ANYONE",
        ])[..]
    );
    db.pass_at(Some(&t("12:00:00"))).await;
    assert_eq!(db.hopper_rows(2).await, 1);
    assert_eq!(db.lead_state(2).await.0, "CALLBK");
    // Back to USERONLY: the lead is taken back from the dialer.
    let out = cli(
        &db,
        &["callbacks", "convert", "11", "--to", "useronly", "--user", "1001"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(db.hopper_rows(2).await, 0);
    assert_eq!(db.lead_state(2).await.0, "CBHOLD");
    assert_eq!(
        db.value("SELECT CONCAT(user, recipient) FROM vicidial_callbacks WHERE callback_id = 11")
            .await,
        "1001USERONLY"
    );
    assert_eq!(admin_log(&db).await.len(), 2);
    db.drop_db().await;
}

#[tokio::test]
async fn reschedule_refuses_the_past_without_force_and_takes_a_live_one_back() {
    let db = small_center("m_resched").await;
    db.exec("INSERT INTO vicidial_hopper (lead_id, campaign_id, status, list_id, priority, source) VALUES (3, 'C', 'READY', 101, 50, 'C')")
        .await;
    let before = snapshot(&db).await;
    let out = cli(&db, &["callbacks", "reschedule", "12", "--to", "2020-01-01 09:00:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is in the past") && stderr(&out).lines().count() == 1,
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&db).await, before);
    let out = cli(&db, &["callbacks", "reschedule", "12", "--to", "2030-01-02 09:30:00"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        db.value("SELECT CONCAT(status, ' ', callback_time) FROM vicidial_callbacks WHERE callback_id = 12")
            .await,
        "ACTIVE 2030-01-02 09:30:00"
    );
    assert_eq!(
        (db.lead_state(3).await.0, db.hopper_rows(3).await),
        ("CBHOLD".into(), 0)
    );
    let log = admin_log(&db).await;
    assert_eq!(log.len(), 1);
    assert!(
        log[0][6].starts_with("UPDATE vicidial_callbacks SET callback_time = '2030-01-02 09:30:00', status = 'ACTIVE'")
    );
    assert!(log[0][6].contains("|UPDATE vicidial_list l JOIN") && log[0][6].contains("|DELETE h FROM vicidial_hopper"));
    assert_eq!(
        log[0][7],
        "callback 12 rescheduled from 2026-03-04 10:00:00 to 2030-01-02 09:30:00"
    );
    let out = cli(
        &db,
        &[
            "callbacks",
            "reschedule",
            "12",
            "--to",
            "2020-01-01 09:00:00",
            "--force",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    db.drop_db().await;
}

#[tokio::test]
async fn remove_sets_inactive_and_a_final_callback_cannot_change() {
    let db = small_center("m_remove").await;
    let out = cli(&db, &["callbacks", "remove", "11"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(db.callback_status(11).await, "INACTIVE");
    let log = admin_log(&db).await;
    assert_eq!(log[0][7], "callback 11 removed: ACTIVE to INACTIVE");
    let before = snapshot(&db).await;
    let out = cli(&db, &["callbacks", "remove", "11"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: callback 11 is INACTIVE: only open callbacks (ACTIVE, LIVE, TFHCCL) can be changed\n"
    );
    assert_eq!(snapshot(&db).await, before);
    db.drop_db().await;
}

/// Every bad argument: one line on stderr, exit 2, nothing changed.
#[tokio::test]
async fn every_bad_argument_is_one_line_exit_2_and_no_change() {
    let db = small_center("m_badargs").await;
    let before = snapshot(&db).await;
    let cases: [&[&str]; 12] = [
        &["callbacks", "reassign", "404", "--to", "1002"],
        &["callbacks", "reassign", "11", "--to", "nobody"],
        &["callbacks", "reassign", "11", "--to", "1003"],
        &["callbacks", "reassign", "--from", "ghost", "--to", "1002"],
        &[
            "callbacks",
            "reassign",
            "--from",
            "1001",
            "--to",
            "1002",
            "--campaign",
            "NOPE",
        ],
        &["callbacks", "convert", "11", "--to", "useronly", "--user", "1002"],
        &["callbacks", "convert", "10", "--to", "useronly"],
        &["callbacks", "convert", "10", "--to", "anyone"],
        &["callbacks", "reschedule", "11", "--to", "next tuesday"],
        &["callbacks", "reschedule", "11", "--to", "2020-01-01 00:00:00"],
        &["callbacks", "purge", "--older-than", "30 days"],
        &["alerts", "resend", "10"],
    ];
    for args in cases {
        let out = cli(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
        assert_eq!(snapshot(&db).await, before, "{args:?} changed something");
    }
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// purge
// ---------------------------------------------------------------------------

/// INACTIVE callbacks and those whose lead is gone are archived, then
/// deleted; an id the archive already holds identically is deleted, one it
/// holds with other contents stays (VICIdial's script would delete it
/// unarchived: `AST_DB_dead_cb_purge.pl` lines 214-218, VICIdial 2.14).
#[tokio::test]
async fn purge_archives_then_deletes_and_never_loses_an_id_already_archived() {
    let db = small_center("m_purge").await;
    db.callback(20, 1, "C", 101, &[("status", "INACTIVE")]).await;
    db.callback(21, 99, "C", 101, &[]).await;
    db.callback(22, 1, "C", 101, &[("status", "INACTIVE"), ("comments", "same")])
        .await;
    db.callback(23, 1, "C", 101, &[("status", "INACTIVE"), ("comments", "new")])
        .await;
    let columns = "callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, modify_date, user, \
                   recipient, comments, user_group, lead_status, email_alert, email_result, customer_timezone, \
                   customer_timezone_diff, customer_time";
    db.exec(&format!(
        "INSERT INTO vicidial_callbacks_archive ({columns}) SELECT {columns} FROM vicidial_callbacks WHERE callback_id = 22; \
         INSERT INTO vicidial_callbacks_archive (callback_id, lead_id, status, comments) VALUES (23, 7, 'INACTIVE', 'old')"
    ))
    .await;
    let before = snapshot(&db).await;
    let out = cli(&db, &["callbacks", "purge", "--dry-run"]);
    assert_eq!(
        stdout(&out),
        "dry run: would archive and delete 4 callbacks (INACTIVE, lead gone)\n"
    );
    assert_eq!(snapshot(&db).await, before);
    let out = cli(&db, &["callbacks", "purge", "--as", "6666"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("purged 4 callbacks: 2 copied into vicidial_callbacks_archive, 3 deleted"),
        "{text}"
    );
    assert!(
        text.contains("kept 1: vicidial_callbacks_archive already holds these ids"),
        "{text}"
    );
    let live = db
        .rows("SELECT callback_id FROM vicidial_callbacks ORDER BY callback_id")
        .await;
    assert_eq!(live.concat(), ["10", "11", "12", "23"]);
    let archived = db
        .rows("SELECT callback_id, comments FROM vicidial_callbacks_archive ORDER BY callback_id")
        .await;
    let archived: Vec<String> = archived.iter().map(|r| format!("{}:{}", r[0], r[1])).collect();
    assert_eq!(archived, ["20:call back", "21:call back", "22:same", "23:old"]);
    let log = admin_log(&db).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0][..6],
        row(&["6666", "127.0.0.1", "LEADS", "DELETE", "callbacks", "CALLBACK PURGE"])[..]
    );
    assert!(
        log[0][6].starts_with("INSERT IGNORE INTO vicidial_callbacks_archive (callback_id,"),
        "{}",
        log[0][6]
    );
    assert_eq!(
        log[0][7],
        format!(
            "callbacks archived: 2|callbacks deleted: 3|kept, already archived with other contents: 1|INACTIVE, lead gone|Unix user: {}",
            unix_user()
        )
    );
    db.drop_db().await;
}

#[tokio::test]
async fn purge_duplicates_non_callback_leads_and_age() {
    let db = small_center("m_purge_more").await;
    // Lead 2 has ACTIVE 11; a newer open one makes 11 a duplicate.
    db.callback(15, 2, "C", 101, &[]).await;
    // Lead 4 was dialed and dispositioned: NA is no callback status.
    db.lead(4, 101, &[("status", "NA")]).await;
    db.callback(16, 4, "C", 101, &[("status", "LIVE")]).await;
    let out = cli(
        &db,
        &[
            "callbacks",
            "purge",
            "--duplicates",
            "--non-callback-leads",
            "--older-than",
            "1d",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("purged 0 callbacks"), "{}", stdout(&out));
    db.exec("UPDATE vicidial_callbacks SET modify_date = NOW() - INTERVAL 2 DAY")
        .await;
    let out = cli(
        &db,
        &[
            "callbacks",
            "purge",
            "--duplicates",
            "--non-callback-leads",
            "--older-than",
            "1d",
        ],
    );
    assert!(stdout(&out).starts_with("purged 2 callbacks"), "{}", stdout(&out));
    let live = db
        .rows("SELECT callback_id FROM vicidial_callbacks ORDER BY callback_id")
        .await;
    assert_eq!(live.concat(), ["10", "12", "15"]);
    db.drop_db().await;
}

#[tokio::test]
async fn the_scheduled_purge_runs_once_a_day_after_its_time() {
    let db = small_center("m_purge_sched").await;
    db.callback(20, 1, "C", 101, &[("status", "INACTIVE")]).await;
    let config = PurgeConfig {
        enabled: true,
        at: "03:30".into(),
        older_than_days: 0,
        ..PurgeConfig::default()
    };
    let mut schedule = Schedule::default();
    let mut s = db.db.session().await.unwrap();
    assert!(
        schedule
            .tick(&mut s, common::parse_time(&t("03:00:00")), &config)
            .await
            .unwrap()
            .is_none()
    );
    let report = schedule
        .tick(&mut s, common::parse_time(&t("03:31:00")), &config)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.archived, report.deleted), (1, 1));
    assert!(
        schedule
            .tick(&mut s, common::parse_time(&t("09:00:00")), &config)
            .await
            .unwrap()
            .is_none()
    );
    let log = admin_log(&db).await;
    assert_eq!(log[0][..2], row(&["VDAD", "1.1.1.1"])[..]);
    drop(s);
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// availability move
// ---------------------------------------------------------------------------

/// The three triggers: owner gone, owner inactive, owner not logged in 30
/// minutes after the callback time; a logged-in owner and one still within
/// the minutes keep theirs. Opt-in per campaign.
#[tokio::test]
async fn availability_move_for_each_trigger() {
    let db = TestDb::new("m_avail").await;
    db.campaign("C", &[]).await;
    db.campaign("OTHER", &[]).await;
    db.list(101, "C", &[]).await;
    user(&db, "here", "Y", true).await;
    user(&db, "away", "Y", false).await;
    user(&db, "left", "N", false).await;
    let live = |time: &str| -> Vec<(&'static str, String)> {
        vec![
            ("status", "LIVE".into()),
            ("recipient", "USERONLY".into()),
            ("callback_time", t(time)),
        ]
    };
    for (id, owner, time, campaign) in [
        (1, "gone", "10:00:00", "C"),
        (2, "left", "10:25:00", "C"),
        (3, "away", "09:50:00", "C"),
        (4, "away", "10:10:00", "C"),
        (5, "here", "09:00:00", "C"),
        (6, "gone", "09:00:00", "OTHER"),
    ] {
        db.lead(id, 101, &[]).await;
        let mut cols = live(time);
        cols.push(("user", owner.into()));
        let cols: Vec<(&str, &str)> = cols.iter().map(|(k, v)| (*k, v.as_str())).collect();
        db.callback(id, id, campaign, 101, &cols).await;
    }
    let config = AvailabilityConfig {
        enabled: false,
        campaigns: vec!["c".into()],
        minutes: 30,
    };
    let mut s = db.db.session().await.unwrap();
    let now = common::parse_time(&t("10:30:00"));
    assert_eq!(
        move_unavailable(&mut s, now, &config, true).await.unwrap(),
        3,
        "dry run counts"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE recipient = 'ANYONE'")
            .await,
        0
    );
    assert_eq!(move_unavailable(&mut s, now, &config, false).await.unwrap(), 3);
    let moved = db
        .rows("SELECT callback_id FROM vicidial_callbacks WHERE recipient = 'ANYONE' AND status = 'ACTIVE' ORDER BY 1")
        .await;
    assert_eq!(moved.concat(), ["1", "2", "3"]);
    let log = admin_log(&db).await;
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0],
        row(&[
            "VDAD",
            "1.1.1.1",
            "LEADS",
            "MODIFY",
            "1",
            "CALLBACK AVAILABILITY MOVE",
            "UPDATE vicidial_callbacks SET recipient = 'ANYONE', status = 'ACTIVE' WHERE callback_id = 1 AND status = \
             'LIVE' AND recipient = 'USERONLY' AND user = 'gone'|",
            "callback 1 moved from USERONLY (gone) to ANYONE: the owner does not exist in vicidial_users",
            "---ALL---",
            "1",
        ])
    );
    assert!(log[1][7].ends_with("the owner is inactive in vicidial_users"));
    assert!(log[2][7].ends_with("the owner has not been logged in since the callback came due"));
    // The next pass takes them through the gates into the hopper.
    let summary = db.pass_at(Some(&t("10:31:00"))).await;
    assert_eq!(summary.inserted, 3, "{summary}");
    drop(s);
    db.drop_db().await;
}

// ---------------------------------------------------------------------------
// email tools
// ---------------------------------------------------------------------------

fn cli_mail(db: &TestDb, sink: &SmtpSink, args: &[&str]) -> Output {
    common::callbackd()
        .args(["--database-url", &db.url])
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .env("USER", "tester")
        .env("CALLBACKD_EMAIL__SMTP_PORT", sink.port.to_string())
        .env("CALLBACKD_EMAIL__RETRY_BACKOFF_SECONDS", "0.05")
        .output()
        .expect("run the binary")
}

#[tokio::test]
async fn alerts_list_resend_and_test() {
    let db = small_center("m_alerts").await;
    db.exec(
        "UPDATE vicidial_callbacks SET status = 'LIVE', email_alert = NOW() - INTERVAL 2 HOUR, email_result = 'FAILED' \
         WHERE callback_id = 11; \
         UPDATE vicidial_settings_containers SET container_entry = 'email_from=cb@example.com\n\
email_subject=Due: --A--first_name--B--\nemail_body_begin=Call --A--phone_number--B--\nemail_body_end' \
         WHERE container_id = 'AGENT_CALLBACK_EMAIL'",
    )
    .await;
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let out = cli_mail(&db, &sink, &["alerts", "list", "--failed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\n11       2        1001") && stdout(&out).contains("FAILED"),
        "{}",
        stdout(&out)
    );
    let out = cli_mail(&db, &sink, &["alerts", "list", "--failed", "--format", "json"]);
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 1, "{docs}");
    assert_eq!(
        (
            &docs[0]["callback_id"],
            &docs[0]["lead_id"],
            &docs[0]["user"],
            &docs[0]["result"]
        ),
        (
            &serde_json::json!(11),
            &serde_json::json!(2),
            &serde_json::json!("1001"),
            &serde_json::json!("FAILED")
        )
    );
    let out = cli_mail(&db, &sink, &["alerts", "resend", "11", "--as", "6666"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "callback 11: alert sent to 1001@example.com\n");
    assert_eq!(
        db.value("SELECT email_result FROM vicidial_callbacks WHERE callback_id = 11")
            .await,
        "SENT"
    );
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].header("Subject"), Some("Due: Pat"));
    assert_eq!(admin_log(&db).await[0][5], "CALLBACK EMAIL RESEND");
    let out = cli_mail(&db, &sink, &["alerts", "resend", "11"]);
    assert_eq!(out.status.code(), Some(2), "a SENT alert is not resent");
    let out = cli_mail(&db, &sink, &["alerts", "test", "--to", "boss@example.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("sent from cb@example.com to boss@example.com: accepted by SMTP 127.0.0.1:"));
    assert_eq!(sink.messages().len(), 2);
    db.drop_db().await;
}

/// The daemon runs the availability move in its passes: a LIVE USERONLY
/// callback whose owner no longer exists becomes ANYONE and reaches the
/// hopper in the same pass, through the gates.
#[tokio::test]
async fn the_engine_moves_callbacks_of_unavailable_owners_and_dials_them() {
    let db = TestDb::new("m_avail_engine").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    let time = t("10:00:00");
    db.callback(
        1,
        1,
        "C",
        101,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("user", "gone"),
            ("callback_time", &time),
        ],
    )
    .await;
    let availability = AvailabilityConfig {
        enabled: true,
        campaigns: vec![],
        minutes: 30,
    };
    let mut engine =
        vicidial_callbackd::engine::Engine::new(db.db.clone(), Default::default()).with_availability(availability);
    let options = vicidial_callbackd::engine::PassOptions {
        at: Some(common::parse_time(&t("10:05:00"))),
        dry_run: false,
    };
    let s = engine.pass(options, &|| false).await.unwrap();
    assert_eq!((s.moved, s.activated, s.inserted), (1, 1, 1), "{s}");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}
