//! The same guarantees on InnoDB, which some sites convert VICIdial's tables
//! to (the hopper included): activation, repair after a failure between any
//! two writes, and two engines at once.

mod common;

use common::TestDb;

async fn innodb(tag: &str, n: u32) -> TestDb {
    let db = TestDb::new(tag).await;
    db.to_innodb().await;
    let sql = format!(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = 'vicidial_hopper'",
        db.name
    );
    assert_eq!(db.value(&sql).await, "InnoDB");
    db.bulk(n).await;
    db
}

#[tokio::test]
async fn activation_and_a_second_pass_on_innodb() {
    let db = innodb("inno_act", 100).await;
    let s = db.pass_at(None).await;
    assert_eq!((s.activated, s.inserted), (100, 70), "{s}");
    db.assert_all_delivered(100, "InnoDB").await;
    assert!(!db.pass_at(None).await.did_work());
    db.drop_db().await;
}

#[tokio::test]
async fn a_failure_between_any_two_writes_is_repaired_on_innodb() {
    let db = innodb("inno_faults", 120).await;
    for k in 0..12 {
        db.exec("UPDATE vicidial_callbacks SET status = 'ACTIVE'").await;
        db.exec("UPDATE vicidial_list SET status = 'CBHOLD', called_since_last_reset = 'Y'")
            .await;
        db.exec("DELETE FROM vicidial_hopper").await;
        db.db.fail_after_writes(k);
        let crashed = db.engine(30).pass(Default::default(), &|| false).await.is_err();
        db.db.fail_after_writes(-1);
        db.engine(30).pass(Default::default(), &|| false).await.unwrap();
        db.assert_all_delivered(120, "InnoDB").await;
        if !crashed {
            break;
        }
    }
    db.drop_db().await;
}

#[tokio::test]
async fn two_engines_at_once_on_innodb() {
    let db = innodb("inno_two", 2000).await;
    let (mut a, mut b) = (db.engine(50), db.engine(50));
    let (ra, rb) = tokio::join!(
        a.pass(Default::default(), &|| false),
        b.pass(Default::default(), &|| false)
    );
    // A deadlock between the two is an error for one pass, which the next pass repairs.
    for r in [ra, rb] {
        if let Err(e) = r {
            println!("one pass failed: {e}");
        }
    }
    db.engine(500).pass(Default::default(), &|| false).await.unwrap();
    db.assert_all_delivered(2000, "InnoDB").await;
    db.drop_db().await;
}

/// On InnoDB at READ COMMITTED (each statement sees what was committed
/// when it started, not a snapshot): `once`, a running daemon and an engine
/// without a lock race over the same backlog, and every lead still gets one
/// hopper row. The isolation level is the server's default for new
/// connections for the length of the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_and_the_daemon_racing_at_read_committed_queue_each_lead_once() {
    let admin = TestDb::new("inno_rc_admin").await;
    let before = admin.value("SELECT @@GLOBAL.tx_isolation").await;
    admin.exec("SET GLOBAL tx_isolation = 'READ-COMMITTED'").await;
    let db = innodb("inno_rc", 3000).await;
    assert_eq!(db.value("SELECT @@tx_isolation").await, "READ-COMMITTED");
    let url = db.url.clone();
    let once = std::thread::spawn(move || {
        common::callbackd()
            .args(["--database-url", &url, "once"])
            .env("CALLBACKD_ENGINE__BATCH_SIZE", "100")
            .env("CALLBACKD_EMAIL__ENABLED", "false")
            .output()
            .unwrap()
    });
    let daemon = common::daemon(&db);
    let mut engine = db.engine(100);
    let unlocked = engine.pass(Default::default(), &|| false).await;
    let once = once.join().unwrap();
    // One of `once` and the daemon holds the lock; the other waits (the
    // daemon) or refuses (`once`), and says so.
    let said = String::from_utf8_lossy(&once.stderr).to_string();
    assert!(
        once.status.success() || said.contains("another daemon holds the leader lock"),
        "{said}"
    );
    if let Err(e) = unlocked {
        println!("the unlocked pass failed (a deadlock is an error the next pass repairs): {e}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while db
        .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status IN ('ACTIVE','TFHCCL')")
        .await
        > 0
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    drop(daemon);
    admin.exec(&format!("SET GLOBAL tx_isolation = '{before}'")).await;
    db.assert_all_delivered(3000, "InnoDB at READ COMMITTED").await;
    db.drop_db().await;
    admin.drop_db().await;
}
