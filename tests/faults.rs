//! Faults of the network and the server around a running leader, with the
//! real binary: a network stall long enough for a standby to take over, and
//! the lock connection killed mid-pass. Whatever the old leader still had in
//! hand changes nothing (README, "Never acts on stale facts").

mod common;

use std::time::Duration;

use common::TestDb;
use common::proxy::Proxy;

const DUE: &str =
    "SELECT COUNT(*) FROM vicidial_callbacks WHERE status IN ('ACTIVE','TFHCCL') AND callback_time <= NOW()";

/// Waits until the backlog of `db.bulk` is done: nothing due, one hopper row per ANYONE lead.
async fn until_done(db: &TestDb, rows: u64, within: Duration) {
    let started = std::time::Instant::now();
    loop {
        let due = db.count(DUE).await;
        let hopper = db.count("SELECT COUNT(*) FROM vicidial_hopper").await;
        let leads = db.count("SELECT COUNT(DISTINCT lead_id) FROM vicidial_hopper").await;
        if due == 0 && hopper == rows && leads == rows {
            return;
        }
        assert!(
            started.elapsed() < within,
            "not done within {within:?}: {due} due, {hopper} rows, {leads} leads"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the daemon has started on the backlog.
async fn under_way(db: &TestDb) {
    for _ in 0..2000 {
        if db
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await
            > 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the daemon did not start on the backlog");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_by_a_network_stall_writes_nothing_when_the_network_comes_back() {
    let db = TestDb::new("fault_stall").await;
    db.bulk(6000).await;
    let server_port: u16 = common::server_url().rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Proxy::start(server_port).await;
    let old = common::daemon_at(&proxy.url(&db.url));
    under_way(&db).await;
    proxy.stall();
    assert!(db.count(DUE).await > 0, "the leader finished before the stall");
    // The server drops the silent lock connection after 4 s; a standby takes over.
    let standby = common::daemon(&db);
    until_done(&db, 4200, Duration::from_secs(60)).await;
    // The dialer dials every queued lead.
    db.exec(
        "UPDATE vicidial_list l JOIN vicidial_hopper h ON h.lead_id = l.lead_id \
         SET l.status = 'NA', l.called_since_last_reset = 'Y', l.user = 'VDAD', \
             l.last_local_call_time = UTC_TIMESTAMP() - INTERVAL 6 HOUR; \
         DELETE FROM vicidial_hopper",
    )
    .await;
    // The network comes back after 10 s: what the old leader sent arrives now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.resume();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'NA' AND called_since_last_reset = 'Y'")
            .await,
        4200,
        "a dialed lead was written back"
    );
    drop(old);
    drop(standby);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_connection_killed_mid_pass_loses_nothing_and_queues_nothing_twice() {
    let db = TestDb::new("fault_kill_lock").await;
    db.bulk(6000).await;
    let daemon = common::daemon(&db);
    under_way(&db).await;
    let holder = db
        .value(&format!("SELECT IS_USED_LOCK('vicidial-callbackd/{}')", db.name))
        .await;
    db.exec(&format!("KILL {holder}")).await;
    assert!(db.count(DUE).await > 0, "the pass ended before the kill");
    // It steps down, takes the lock again with a new term, and finishes.
    until_done(&db, 4200, Duration::from_secs(60)).await;
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CBHOLD'")
            .await,
        1800
    );
    drop(daemon);
    db.drop_db().await;
}

/// A leader whose network slows to 3 s each way (everything arrives, late):
/// it cannot confirm its lock within the step limit and steps down; a
/// standby finishes; the old leader's statements still on the way arrive
/// after the dialer dialed, and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_behind_a_slow_link_steps_down_and_its_late_statements_change_nothing() {
    let db = TestDb::new("fault_delay").await;
    db.bulk(6000).await;
    let server_port: u16 = common::server_url().rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Proxy::start(server_port).await;
    let old = common::daemon_at(&proxy.url(&db.url));
    under_way(&db).await;
    proxy.delay(Duration::from_secs(3), Duration::from_secs(3));
    assert!(db.count(DUE).await > 0, "the leader finished before the delay");
    let standby = common::daemon(&db);
    until_done(&db, 4200, Duration::from_secs(60)).await;
    let holder = db.value("SELECT holder FROM callbackd_leader").await;
    assert!(
        holder.ends_with(&format!(":{}", standby.id())),
        "the standby never led: {holder}"
    );
    db.exec(
        "UPDATE vicidial_list l JOIN vicidial_hopper h ON h.lead_id = l.lead_id \
         SET l.status = 'NA', l.called_since_last_reset = 'Y', l.user = 'VDAD', \
             l.last_local_call_time = UTC_TIMESTAMP() - INTERVAL 6 HOUR; \
         DELETE FROM vicidial_hopper",
    )
    .await;
    // Whatever the old leader sent before it stepped down has arrived by now.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'NA' AND called_since_last_reset = 'Y'")
            .await,
        4200,
        "a dialed lead was written back"
    );
    drop(old);
    drop(standby);
    db.drop_db().await;
}
