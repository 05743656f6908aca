//! Beside VICIdial's own hopper job, no lead is queued twice (README,
//! "Beside VICIdial's cron jobs"). The job's statements are reproduced here,
//! not its code: VICIdial 2.14 (build 250224-1641) `AST_VDhopper.pl`, the
//! block "Change CBHOLD status leads to CALLBK" (lines 558-783): one SELECT
//! of every due ACTIVE/TFHCCL callback with its lead (line 593), one UPDATE
//! LIVE by lead_id (line 625), then per ANYONE callback the lead's status
//! (line 752) and an unconditional hopper INSERT (line 759).

mod common;

use std::time::Duration;

use common::TestDb;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};

/// A due callback as the job's SELECT reads it: `(lead_id, recipient,
/// campaign_id, list_id, gmt_offset_now, state, lead_status, vendor_lead_code)`.
type Due = (u32, String, String, u64, String, String, String, String);

/// VICIdial's job, stepwise: `select` reads what is due, `activate` runs
/// the rest against what was read.
struct HopperJob {
    conn: Conn,
    due: Vec<Due>,
}

impl HopperJob {
    async fn select(db: &TestDb) -> HopperJob {
        let mut conn = Conn::new(Opts::from_url(&db.url).unwrap()).await.unwrap();
        let due = conn
            .query_map(
                "SELECT vicidial_callbacks.lead_id, recipient, campaign_id, vicidial_callbacks.list_id, \
                   COALESCE(gmt_offset_now, ''), COALESCE(state, ''), vicidial_callbacks.lead_status, \
                   COALESCE(vendor_lead_code, '') \
                 FROM vicidial_callbacks, vicidial_list WHERE callback_time <= NOW() \
                   AND vicidial_callbacks.status IN ('ACTIVE','TFHCCL') \
                   AND vicidial_callbacks.lead_id = vicidial_list.lead_id",
                |(a, b, c, d, e, f, g, h)| (a, b, c, d, e, f, g, h),
            )
            .await
            .unwrap();
        HopperJob { conn, due }
    }

    async fn activate(mut self, pause_each: Duration) {
        if self.due.is_empty() {
            return;
        }
        let leads: Vec<String> = self.due.iter().map(|d| format!("'{}'", d.0)).collect();
        self.conn
            .query_drop(format!(
                "UPDATE vicidial_callbacks set status='LIVE' where lead_id IN({}) and status NOT IN('INACTIVE','DEAD','ARCHIVE')",
                leads.join(",")
            ))
            .await
            .unwrap();
        for (lead, recipient, campaign, list, gmt, state, status, vendor) in &self.due {
            if recipient != "ANYONE" {
                continue;
            }
            // The campaign and DNC look-ups the job makes in between.
            tokio::time::sleep(pause_each).await;
            self.conn
                .exec_drop(
                    "UPDATE vicidial_list set status=?, called_since_last_reset='N' where lead_id=?",
                    (status, lead),
                )
                .await
                .unwrap();
            self.conn
                .exec_drop(
                    "INSERT INTO vicidial_hopper SET lead_id=?,campaign_id=?,list_id=?,gmt_offset_now=?,user='',\
                     state=?,priority='50',source='C',vendor_lead_code=?",
                    (lead, campaign, list, gmt, state, vendor),
                )
                .await
                .unwrap();
        }
        let _ = self.conn.disconnect().await;
    }
}

/// Waits until the daemon queued `n` leads.
async fn queued(db: &TestDb, n: u64) {
    for _ in 0..300 {
        if db.count("SELECT COUNT(*) FROM vicidial_hopper").await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the daemon did not queue {n} leads within 30 s");
}

/// Leads with more than one hopper row.
async fn doubled(db: &TestDb) -> u64 {
    db.count("SELECT COUNT(*) FROM (SELECT lead_id FROM vicidial_hopper GROUP BY lead_id HAVING COUNT(*) > 1) d")
        .await
}

/// VICIdial's job selects a backlog, then the daemon starts and queues it
/// all, then the job's inserts come: each is removed, and at the end every
/// ANYONE callback's lead has exactly one row.
#[tokio::test]
async fn the_hopper_jobs_late_inserts_are_removed_and_each_lead_keeps_one_row() {
    let db = TestDb::new("coexist_backlog").await;
    db.bulk(2000).await;
    let job = HopperJob::select(&db).await;
    let daemon = common::daemon(&db);
    queued(&db, 1400).await;
    let job = tokio::spawn(job.activate(Duration::ZERO));
    // Sample the hopper while the job inserts: a second row may stand for
    // at most a poll interval (700 ms) before the daemon removes it.
    let mut worst = 0;
    while !job.is_finished() {
        worst = worst.max(doubled(&db).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    job.await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        doubled(&db).await,
        0,
        "leads twice in the hopper at the end (worst seen while inserting: {worst})"
    );
    assert_eq!(
        db.count("SELECT COUNT(DISTINCT lead_id) FROM vicidial_hopper").await,
        1400,
        "every ANYONE callback's lead keeps one row"
    );
    drop(daemon);
    db.drop_db().await;
}

/// The job's insert comes after the dialer dialed the daemon's row: the
/// row would dial the lead a second time, and is removed.
#[tokio::test]
async fn a_row_the_hopper_job_inserts_after_the_dial_is_removed() {
    let db = TestDb::new("coexist_dialed").await;
    db.bulk(100).await;
    let job = HopperJob::select(&db).await;
    let daemon = common::daemon(&db);
    queued(&db, 70).await;
    // A dial comes in a later second than the activation (the tables keep seconds).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The dialer takes every row: INCALL by lead, lead marked, row deleted
    // (AST_VDauto_dial.pl lines 1788 and 2077).
    db.exec(
        "UPDATE vicidial_list l JOIN vicidial_hopper h ON h.lead_id = l.lead_id \
         SET l.called_since_last_reset = 'Y', l.user = 'VDAD', l.called_count = l.called_count + 1, \
             l.last_local_call_time = UTC_TIMESTAMP() - INTERVAL 6 HOUR; DELETE FROM vicidial_hopper",
    )
    .await;
    job.activate(Duration::ZERO).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    drop(daemon);
    db.drop_db().await;
}
