//! A write is only as good as the facts it was decided on: a leader's
//! writes re-check, in the statement itself, its term of leadership, the
//! lead as it was read, the DNC entries and the call window (README,
//! "Never acts on stale facts"). Each test changes one fact between a
//! decision and its write, with the write hook, and checks that the write
//! then changes nothing, and that the promise is kept by the next pass.

mod common;

use std::time::Duration;

use common::{TestDb, t};
use mysql_async::Opts;
use vicidial_callbackd::config::EngineConfig;
use vicidial_callbackd::engine::{Engine, PassOptions};
use vicidial_callbackd::ops::leader;

/// Campaign C (`extra`), list 101, leads 1..=n each with an ANYONE callback due at 10:00.
async fn due(tag: &str, n: u32, extra: &[(&str, &str)]) -> TestDb {
    let db = TestDb::new(tag).await;
    db.campaign("C", extra).await;
    db.list(101, "C", &[]).await;
    for i in 1..=n {
        db.lead(i, 101, &[]).await;
        db.callback(i * 10, i, "C", 101, &[]).await;
    }
    db
}

/// The lock and a term, as the daemon takes them, and an engine whose writes carry the term.
async fn leader_engine(db: &TestDb) -> (mysql_async::Conn, Engine) {
    let (lock, term) = leader::hold_for_once(&Opts::from_url(&db.url).unwrap())
        .await
        .expect("the lock is free");
    let config = EngineConfig {
        batch_size: 100,
        ..EngineConfig::default()
    };
    (lock, Engine::new(db.db.fenced(term), config))
}

async fn pass(engine: &mut Engine, at: &str) -> vicidial_callbackd::engine::Summary {
    let options = PassOptions {
        at: Some(chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap()),
        dry_run: false,
    };
    engine.pass(options, &|| false).await.expect("pass")
}

#[tokio::test]
async fn a_leader_whose_term_ended_after_its_claim_writes_nothing_more() {
    let db = due("fence_term", 20, &[]).await;
    let (lock, mut engine) = leader_engine(&db).await;
    // Another daemon opens a term between the claim (writes 0 and 1: its
    // record, then the claim) and the leads' status (write 2): from then on
    // this leader's statements are stale.
    db.db
        .interleave_before_write(2, "UPDATE callbackd_leader SET term = term + 1");
    let s = pass(&mut engine, &t("10:00:00")).await;
    assert_eq!((s.activated, s.inserted), (20, 0), "{s}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await,
        20
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CBHOLD'")
            .await,
        20
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    // The new leader completes the stranded activations: no promise lost.
    drop(lock);
    let (_lock, mut next) = leader_engine(&db).await;
    let s = pass(&mut next, &t("10:00:01")).await;
    assert_eq!(s.inserted, 20, "{s}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CALLBK' AND called_since_last_reset = 'N'")
            .await,
        20
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_lead_dialed_between_the_claim_and_its_status_write_is_left_as_the_dialer_left_it() {
    let db = due("fence_dialed", 20, &[]).await;
    let (_lock, mut engine) = leader_engine(&db).await;
    // The dialer dials leads 1-5 (called_since_last_reset='Y' as it places
    // the call, the status at hangup) after the decision, before the write.
    db.db.interleave_before_write(
        2,
        "UPDATE vicidial_list SET status = 'NA', called_since_last_reset = 'Y', user = 'VDAD' WHERE lead_id <= 5",
    );
    let s = pass(&mut engine, &t("10:00:00")).await;
    assert_eq!((s.activated, s.inserted), (20, 15), "{s}");
    for lead in 1..=5 {
        assert_eq!(db.lead_state(lead).await, ("NA".into(), "Y".into()), "lead {lead}");
        assert_eq!(db.hopper_rows(lead).await, 0, "lead {lead}");
    }
    for lead in 6..=20 {
        assert_eq!(db.lead_state(lead).await, ("CALLBK".into(), "N".into()), "lead {lead}");
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn a_number_put_on_the_dnc_list_between_the_decision_and_the_insert_is_not_queued() {
    let db = due(
        "fence_dnc",
        10,
        &[("callback_dnc", "ENABLED"), ("use_internal_dnc", "Y")],
    )
    .await;
    let (_lock, mut engine) = leader_engine(&db).await;
    // Writes: the claim's record, the claim, the leads' status, then the hopper insert.
    db.db
        .interleave_before_write(3, "INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550003 ')");
    let first = pass(&mut engine, &t("10:00:00")).await;
    assert_eq!((first.activated, first.inserted), (10, 9), "{first}");
    assert_eq!(db.hopper_rows(3).await, 0);
    // Decided again on the entry (by the same pass's pending scan, or the
    // next pass), it is killed, as VICIdial would.
    let next = pass(&mut engine, &t("10:00:01")).await;
    assert_eq!(first.dead + next.dead, 1, "{first} / {next}");
    assert_eq!(db.callback_status(30).await, "DEAD");
    assert_eq!(db.lead_state(3).await.0, "DNCL");
    assert_eq!(db.hopper_rows(3).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn an_insert_that_runs_after_the_leads_call_window_closed_is_not_made() {
    let db = due("fence_window", 1, &[("local_call_time", "9am-9pm")]).await;
    // The lead (GMT-6) at 20:59:59 of its own day: its window closes in a second.
    let minutes = db
        .value("SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
        .await
        .parse::<i64>()
        .unwrap();
    let at = (chrono::NaiveDateTime::parse_from_str("2026-03-04 20:59:59", "%Y-%m-%d %H:%M:%S").unwrap()
        + chrono::Duration::hours(6)
        + chrono::Duration::minutes(minutes))
    .to_string();
    let (_lock, mut engine) = leader_engine(&db).await;
    db.db.interleave_before_write(3, "DO SLEEP(1.5)");
    let s = pass(&mut engine, &at).await;
    assert_eq!((s.activated, s.inserted), (1, 0), "{s}");
    assert_eq!(db.hopper_rows(1).await, 0);
    // The same pass without the stall inserts it: the deadline is what held it.
    db.exec("UPDATE vicidial_list SET status = 'CBHOLD', called_since_last_reset = 'Y'; UPDATE vicidial_callbacks SET status = 'ACTIVE'").await;
    let s = pass(&mut engine, &at).await;
    assert_eq!(s.inserted, 1, "{s}");
    db.drop_db().await;
}

#[tokio::test]
async fn once_refuses_to_write_beside_a_daemon_that_leads() {
    let db = due("fence_once", 1, &[]).await;
    let (_lock, _engine) = leader_engine(&db).await;
    let out = common::callbackd()
        .args(["--database-url", &db.url, "once"])
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another daemon holds the leader lock"), "{stderr}");
    assert_eq!(db.callback_status(10).await, "ACTIVE");
    db.drop_db().await;
}

/// The round-two failure, end to end with the real binary: a leader frozen
/// (SIGSTOP) in the middle of a backlog, a standby taking over and finishing,
/// a dialer dialing every queued lead, then the old leader resumed. Nothing
/// it still had in hand may put a dialed lead back.
#[tokio::test]
async fn a_frozen_leader_resumed_after_a_takeover_puts_no_dialed_lead_back() {
    let db = TestDb::new("fence_sigstop").await;
    db.bulk(6000).await;
    let due = "status IN ('ACTIVE','TFHCCL') AND callback_time <= NOW()";
    let mut old = common::daemon(&db);
    // Freeze it once it is under way, with work still in hand.
    let mut caught = false;
    for _ in 0..1000 {
        let live = db
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await;
        if live > 0 {
            signal(&old, "STOP");
            caught = db
                .count(&format!("SELECT COUNT(*) FROM vicidial_callbacks WHERE {due}"))
                .await
                > 0;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(caught, "the leader finished the backlog before it could be frozen");
    // Its lock connection goes silent; the server drops it after 4 s and a standby takes over.
    let standby = common::daemon(&db);
    let mut finished = false;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let open = db
            .count(&format!("SELECT COUNT(*) FROM vicidial_callbacks WHERE {due}"))
            .await;
        let queued = db.count("SELECT COUNT(*) FROM vicidial_hopper").await;
        if open == 0 && queued == 4200 {
            finished = true;
            break;
        }
    }
    assert!(finished, "the standby did not take over and finish");
    // The dialer dials every queued lead: markers on the lead, the row gone.
    db.exec(
        "UPDATE vicidial_list l JOIN vicidial_hopper h ON h.lead_id = l.lead_id \
         SET l.status = 'NA', l.called_since_last_reset = 'Y', l.user = 'VDAD', l.called_count = l.called_count + 1, \
             l.last_local_call_time = UTC_TIMESTAMP() - INTERVAL 6 HOUR; \
         DELETE FROM vicidial_hopper",
    )
    .await;
    signal(&old, "CONT");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'NA' AND called_since_last_reset = 'Y'")
            .await,
        4200,
        "a dialed lead was written back"
    );
    let _ = old.kill();
    drop(standby);
    db.drop_db().await;
}

fn signal(child: &std::process::Child, which: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{which}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn without_a_system_settings_row_every_callback_is_held() {
    let db = due("no_system_settings", 3, &[]).await;
    db.exec("DELETE FROM system_settings").await;
    let mut engine = db.engine(100);
    let options = PassOptions {
        at: Some(chrono::NaiveDateTime::parse_from_str(&t("10:00:00"), "%Y-%m-%d %H:%M:%S").unwrap()),
        dry_run: false,
    };
    let err = engine
        .pass(options, &|| false)
        .await
        .expect_err("a pass without system settings");
    assert!(err.to_string().contains("system_settings has no row"), "{err}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'ACTIVE'")
            .await,
        3
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    db.drop_db().await;
}

/// An ANYONE callback of a lead not in CBHOLD (VICIdial's admin page and API
/// leave it in CALLBK from an earlier call): the activation's lead write
/// fails after the claim, and the next pass completes it, because nothing
/// wrote the lead since the callback was made LIVE.
#[tokio::test]
async fn a_failed_lead_write_of_a_lead_not_in_cbhold_is_completed_by_the_next_pass() {
    let db = TestDb::new("owed").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    // Called the day before, left CALLBK; the callback is for 10:00.
    db.lead(
        1,
        101,
        &[("status", "CALLBK"), ("last_local_call_time", "2026-03-03 12:00:00")],
    )
    .await;
    db.callback(10, 1, "C", 101, &[]).await;
    // A lead dialed after its callback's time is not made dialable again.
    db.lead(2, 101, &[("status", "NA"), ("last_local_call_time", &t("23:00:00"))])
        .await;
    db.callback(20, 2, "C", 101, &[]).await;
    db.exec("UPDATE vicidial_list SET modify_date = NOW() - INTERVAL 1 HOUR")
        .await;
    let mut engine = db.engine(100);
    db.db.fail_after_writes(2);
    let at = chrono::NaiveDateTime::parse_from_str(&t("10:00:00"), "%Y-%m-%d %H:%M:%S").unwrap();
    let options = PassOptions {
        at: Some(at),
        dry_run: false,
    };
    assert!(engine.pass(options, &|| false).await.is_err(), "the lead write fails");
    db.db.fail_after_writes(-1);
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "Y".into()));
    let s = db.engine(100).pass(options, &|| false).await.unwrap();
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    assert_eq!(db.hopper_rows(1).await, 1);
    // Lead 2 was dialed at 23:00 of its own day (GMT-6), after 10:00 server time.
    assert_eq!(db.lead_state(2).await, ("NA".into(), "Y".into()));
    assert_eq!(db.hopper_rows(2).await, 0);
    db.drop_db().await;
}
