//! The pending rule (README, "What it does, rule by rule"): every LIVE ANYONE callback whose lead is
//! undialed and out of the hopper goes back in, whatever took it out, and a
//! lead that was dialed never does. Includes fault injection between every two
//! writes of a large pass, kill -9 of the real daemon, and a hopper emptied
//! under a running daemon.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, daemon, sigterm, t};

/// A lead 1 whose ANYONE callback 10 was activated at 10:00 and whose hopper row is gone.
async fn live_without_hopper(tag: &str, lead_status: &str) -> TestDb {
    let lead = [("status", lead_status), ("called_since_last_reset", "N")];
    let activated = t("10:00:00");
    TestDb::single(tag, &[], &lead, &[("status", "LIVE"), ("modify_date", &activated)]).await
}

#[tokio::test]
async fn an_emptied_hopper_is_refilled_with_undialed_callbacks() {
    let db = live_without_hopper("refill", "CALLBK").await;
    let s = db.pass_at(Some(&t("10:05:00"))).await;
    assert_eq!((s.activated, s.inserted), (0, 1), "{s}");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn a_half_done_activation_is_completed() {
    // Crash after the claim: callback LIVE, lead still CBHOLD.
    let db = live_without_hopper("halfdone", "CBHOLD").await;
    db.exec("UPDATE vicidial_list SET called_since_last_reset = 'Y' WHERE lead_id = 1")
        .await;
    let s = db.pass_at(Some(&t("10:05:00"))).await;
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn a_useronly_callback_converted_to_anyone_by_a_manager_is_dialed() {
    let db = live_without_hopper("converted", "CBHOLD").await;
    // VICIdial's conversion only changes recipient: the callback was LIVE USERONLY.
    db.exec("UPDATE vicidial_list SET called_since_last_reset = 'Y' WHERE lead_id = 1")
        .await;
    let s = db.pass_at(Some(&t("11:00:00"))).await;
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.lead_state(1).await.0, "CALLBK");
    db.drop_db().await;
}

#[tokio::test]
async fn a_cbhold_lead_held_by_another_open_callback_is_left_alone() {
    let db = live_without_hopper("heldby", "CBHOLD").await;
    db.callback(
        11,
        1,
        "C",
        101,
        &[("recipient", "USERONLY"), ("callback_time", "2026-03-05 10:00:00")],
    )
    .await;
    let s = db.pass_at(Some(&t("10:05:00"))).await;
    assert_eq!(s.inserted, 0, "{s}");
    assert_eq!(db.lead_state(1).await.0, "CBHOLD");
    db.drop_db().await;
}

#[tokio::test]
async fn a_dialed_lead_is_never_reinserted() {
    let db = live_without_hopper("dialed", "CALLBK").await;
    // The dialer: hopper row deleted, called_since_last_reset='Y', last call now, status left CALLBK.
    db.exec(
        "UPDATE vicidial_list SET called_since_last_reset = 'Y', called_count = called_count + 1, user = 'VDAD', \
         last_local_call_time = '2026-03-04 10:01:00' WHERE lead_id = 1",
    )
    .await;
    assert_eq!(db.pass_at(Some(&t("10:05:00"))).await.inserted, 0);
    // Even a list reset (called_since_last_reset back to N) does not make it undialed: the call time says it was.
    db.exec("UPDATE vicidial_list SET called_since_last_reset = 'N' WHERE lead_id = 1")
        .await;
    assert_eq!(db.pass_at(Some(&t("10:06:00"))).await.inserted, 0);
    // Re-dispositioned (hung up as NA): not a callback lead any more.
    db.exec("UPDATE vicidial_list SET status = 'NA', last_local_call_time = NULL WHERE lead_id = 1")
        .await;
    assert_eq!(db.pass_at(Some(&t("10:07:00"))).await.inserted, 0);
    assert_eq!(db.hopper_rows(1).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn a_failure_between_any_two_writes_is_repaired_by_the_next_pass() {
    let db = TestDb::new("faults").await;
    let n = 300;
    let batch = 50;
    // A clean run tells how many writes a pass makes.
    db.bulk(n).await;
    let mut engine = db.engine(batch);
    engine.pass(Default::default(), &|| false).await.unwrap();
    db.assert_all_delivered(n, "clean run").await;
    let mut total = 0;
    loop {
        db.exec("DELETE FROM vicidial_callbacks").await;
        db.exec("DELETE FROM vicidial_list").await;
        db.exec("DELETE FROM vicidial_hopper").await;
        db.exec("DELETE FROM vicidial_campaigns").await;
        db.exec("DELETE FROM vicidial_lists").await;
        db.bulk(n).await;
        db.db.fail_after_writes(total);
        let crashed = db.engine(batch).pass(Default::default(), &|| false).await.is_err();
        db.db.fail_after_writes(-1);
        // A new process: nothing carried over but the database.
        let s = db.engine(batch).pass(Default::default(), &|| false).await.unwrap();
        db.assert_all_delivered(n, &format!("failure before write {total}"))
            .await;
        if !crashed {
            assert!(!s.did_work(), "nothing left after a complete pass: {s}");
            break;
        }
        total += 1;
    }
    assert!(
        total >= 3 * (n as i64 / batch as i64),
        "every batch writes claim, lead status and hopper: {total}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn kill_minus_nine_at_random_points_loses_nothing() {
    let db = TestDb::new("kill9").await;
    let n = 6000;
    db.bulk(n).await;
    // Kill the daemon at spread-out moments of its first, large pass.
    let mut interrupted = 0;
    for delay_ms in [60, 120, 200, 300, 450, 650] {
        let mut child = daemon(&db);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let live = db
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await;
        println!("killed after {delay_ms} ms: {live} of {n} LIVE");
        if live > 0 && live < u64::from(n) {
            interrupted += 1;
        }
    }
    assert!(interrupted > 0, "no kill landed in the middle of a pass");
    let mut child = daemon(&db);
    // Let it install its signal handlers before the SIGTERM below.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live = db
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await;
        let hopper = db.count("SELECT COUNT(*) FROM vicidial_hopper").await;
        if live == u64::from(n) && hopper == u64::from(n) * 7 / 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not repaired in 30 s: live={live} hopper={hopper}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sigterm(&child);
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    db.assert_all_delivered(n, "after kill -9 and restart").await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_hopper_emptied_under_a_running_daemon_comes_back_within_a_second_without_dialed_leads() {
    let db = TestDb::new("emptied").await;
    db.bulk(50).await;
    // Due a few minutes ago.
    db.exec(
        "UPDATE vicidial_callbacks SET entry_time = NOW() - INTERVAL 1 HOUR, callback_time = NOW() - INTERVAL 5 MINUTE",
    )
    .await;
    db.exec("UPDATE vicidial_list SET last_local_call_time = NOW() - INTERVAL 2 HOUR")
        .await;
    let mut child = daemon(&db);
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.count("SELECT COUNT(*) FROM vicidial_hopper").await < 35 {
        assert!(Instant::now() < deadline, "daemon did not fill the hopper");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The dialer takes five leads (ids 1..=6 with 70% ANYONE: 1,2,3,4,5 are ANYONE).
    db.exec(
        "UPDATE vicidial_list SET called_since_last_reset = 'Y', last_local_call_time = NOW(), user = 'VDAD' \
         WHERE lead_id IN (1, 2, 3, 4, 5)",
    )
    .await;
    // Then an admin resets the hopper (a MySQL restart also empties it): everything is gone.
    let emptied = Instant::now();
    db.exec("DELETE FROM vicidial_hopper").await;
    while db.count("SELECT COUNT(*) FROM vicidial_hopper").await < 30 {
        assert!(emptied.elapsed() < Duration::from_secs(3), "hopper not refilled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refill = emptied.elapsed();
    println!("hopper refilled in {} ms", refill.as_millis());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_hopper").await,
        30,
        "exactly the undialed ones"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_hopper WHERE lead_id <= 5")
            .await,
        0,
        "dialed leads never"
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    assert!(refill < Duration::from_secs(1), "refilled in {refill:?}");
    db.drop_db().await;
}

/// Waits until `sql` counts `want`, up to `limit`; returns how long it took.
async fn wait_for(db: &TestDb, sql: &str, want: u64, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let got = db.count(sql).await;
        if got == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{sql}: {got}, not {want}, after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_daemon_waits_out_a_database_outage_at_start_and_mid_run() {
    let db = TestDb::new("outage").await;
    // Down at start: the database is not there at all.
    db.outage(false).await;
    let mut child = daemon(&db);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must not exit while the database is down"
    );
    db.outage(true).await;
    db.bulk(10).await;
    wait_for(&db, "SELECT COUNT(*) FROM vicidial_hopper", 7, Duration::from_secs(10)).await;
    // Mid-run: every connection of the daemon is cut.
    db.kill_connections().await;
    db.lead(100, 101, &[]).await;
    db.exec(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, \
         user, recipient, lead_status) VALUES (100, 100, 101, 'C', 'ACTIVE', NOW() - INTERVAL 1 HOUR, NOW(), '1001', \
         'ANYONE', 'CALLBK')",
    )
    .await;
    wait_for(&db, "SELECT COUNT(*) FROM vicidial_hopper", 8, Duration::from_secs(10)).await;
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    db.drop_db().await;
}

#[tokio::test]
async fn a_callback_is_activated_within_a_second_of_its_time() {
    let db = TestDb::new("ontime").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[("last_local_call_time", "NULL")]).await;
    let mut child = daemon(&db);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Set while the daemon sleeps, due two seconds later: it must notice the new row and wake on time.
    db.exec(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, \
         user, recipient, lead_status) VALUES (10, 1, 101, 'C', 'ACTIVE', NOW(), NOW() + INTERVAL 2 SECOND, '1001', \
         'ANYONE', 'CALLBK')",
    )
    .await;
    wait_for(&db, "SELECT COUNT(*) FROM vicidial_hopper", 1, Duration::from_secs(5)).await;
    // How late, by the database clock: the hopper row's time is not stored, so
    // measure when it was seen against the callback's time.
    let late_ms: i64 = db
        .value("SELECT TIMESTAMPDIFF(MICROSECOND, callback_time, NOW(6)) DIV 1000 FROM vicidial_callbacks")
        .await
        .parse()
        .unwrap();
    println!("hopper row seen {late_ms} ms after the callback time");
    assert!(late_ms < 1000, "activated {late_ms} ms after its time");
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    db.drop_db().await;
}

#[tokio::test]
async fn two_daemons_at_once_never_put_a_lead_in_the_hopper_twice() {
    let db = TestDb::new("twodaemons").await;
    let n = 3000;
    db.bulk(n).await;
    // Small batches so the two interleave their claims and inserts.
    let (mut a, mut b) = (db.engine(50), db.engine(50));
    let (ra, rb) = tokio::join!(
        a.pass(Default::default(), &|| false),
        b.pass(Default::default(), &|| false)
    );
    let (sa, sb) = (ra.unwrap(), rb.unwrap());
    println!("a: {sa}\nb: {sb}");
    assert_eq!(sa.activated + sb.activated, u64::from(n), "each callback claimed once");
    assert_eq!(sa.inserted + sb.inserted, u64::from(n) * 7 / 10);
    db.assert_all_delivered(n, "two engines at once").await;
    db.drop_db().await;
}
