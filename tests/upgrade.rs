//! An upgrade under load: `install.sh` replaces the binary and restarts the
//! service, so the running daemon gets SIGTERM in the middle of a backlog of
//! due callbacks and a new one starts. The old one finishes its batch and
//! exits; the new one takes the rest: nothing lost, nothing doubled.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, daemon, sigterm};

/// Polls until `sql` counts more than `than` (or `all`).
async fn wait_past(db: &TestDb, sql: &str, than: u64, all: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = db.count(sql).await;
        if got > than || got == all {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: still {got} after 20 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn restarts_in_the_middle_of_a_backlog_lose_and_double_nothing() {
    let db = TestDb::new("upgrade").await;
    let n = 6000;
    db.bulk(n).await;
    let live_sql = "SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'";
    let mut interrupted = 0;
    let mut live = 0;
    // Three upgrades, at different moments after the running daemon has made progress.
    for (round, delay_ms) in [(1, 0), (2, 40), (3, 120)] {
        let mut child = daemon(&db);
        wait_past(&db, live_sql, live, u64::from(n)).await;
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        sigterm(&child);
        let asked = Instant::now();
        let status = child.wait().unwrap();
        let stopped_in = asked.elapsed();
        assert!(status.success(), "SIGTERM exits 0: {status:?}");
        live = db.count(live_sql).await;
        println!(
            "upgrade {round}: stopped in {} ms with {live} of {n} LIVE",
            stopped_in.as_millis()
        );
        assert!(
            stopped_in < Duration::from_secs(5),
            "it finishes its batch, not the backlog: {stopped_in:?}"
        );
        if live < u64::from(n) {
            interrupted += 1;
        }
        // A stop comes between batches: every ANYONE callback claimed so far has
        // its lead in CALLBK and exactly one hopper row; no USERONLY lead is in it.
        let anyone_live = db
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE' AND recipient = 'ANYONE'")
            .await;
        let hopper = db.count("SELECT COUNT(*) FROM vicidial_hopper").await;
        let leads = db.count("SELECT COUNT(DISTINCT lead_id) FROM vicidial_hopper").await;
        let callbk = db
            .count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CALLBK'")
            .await;
        assert_eq!(
            (hopper, leads, callbk),
            (anyone_live, anyone_live, anyone_live),
            "upgrade {round}: hopper rows, leads in it, CALLBK leads vs LIVE ANYONE callbacks"
        );
    }
    assert!(interrupted > 0, "no SIGTERM landed in the middle of the backlog");

    let mut child = daemon(&db);
    while db.count(live_sql).await < u64::from(n) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A few more passes: the new daemon must not add anything to a complete hopper.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    db.assert_all_delivered(n, "after three upgrades under load").await;
    db.drop_db().await;
}

/// `callbackd_queued` as older versions made it, keyed by `hopper_id`
/// alone (a row queued after the hopper's ids started over replaced another
/// lead's record): the daemon gives it its new key, row and lead, when it
/// takes the lead, and keeps its records.
#[tokio::test]
async fn the_queued_table_of_an_older_version_gets_its_new_key() {
    let db = TestDb::new("upgrade_queued_key").await;
    db.exec(
        "DROP TABLE IF EXISTS callbackd_queued; \
         CREATE TABLE callbackd_queued (hopper_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, \
           lead_id INT UNSIGNED NOT NULL, queued_at DATETIME NOT NULL, \
           KEY lead_id (lead_id), KEY queued_at (queued_at)) ENGINE=MyISAM; \
         INSERT INTO callbackd_queued (hopper_id, lead_id, queued_at) VALUES (1, 7, NOW())",
    )
    .await;
    let key = "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
               AND TABLE_NAME = 'callbackd_queued' AND INDEX_NAME = 'PRIMARY'";
    assert_eq!(db.count(key).await, 1);
    let running = daemon(&db);
    wait_past(&db, key, 1, 2).await;
    drop(running);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM callbackd_queued WHERE hopper_id = 1 AND lead_id = 7")
            .await,
        1,
        "the record was kept"
    );
    db.drop_db().await;
}
