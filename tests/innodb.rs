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
