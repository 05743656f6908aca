//! Beside VICIdial's own hopper job, no lead is queued twice (README,
//! "Beside VICIdial's cron jobs"). The job's statements are reproduced here,
//! not its code: VICIdial 2.14 (build 250224-1641) `AST_VDhopper.pl`, the
//! block "Change CBHOLD status leads to CALLBK" (lines 558-783): one SELECT
//! of every due ACTIVE/TFHCCL callback with its lead (line 593), one UPDATE
//! LIVE by lead_id (line 625), then per ANYONE callback the lead's status
//! (line 759) and an unconditional hopper INSERT (line 767); `docs/vicidial.md`,
//! section "Activation".

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
    // (`AST_VDauto_dial.pl` lines 1788 and 2077, VICIdial 2.14).
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

/// The hopper's ids start over (`TRUNCATE`, or a MEMORY hopper after a
/// restart) below the newest id the daemon had looked at: the rows written
/// after that are looked at all the same. The dialer takes 1,000 of the
/// 1,400 leads the daemon queued, the hopper is truncated (the other 400
/// rows lost), the daemon queues those 400 again from id 1, then VICIdial's
/// job inserts its rows for all 1,400, with ids the daemon had seen before:
/// none of them stays.
#[tokio::test]
async fn after_the_hoppers_ids_start_over_the_jobs_rows_are_still_removed() {
    let db = TestDb::new("coexist_ids_over").await;
    db.bulk(2000).await;
    let job = HopperJob::select(&db).await;
    let daemon = common::daemon(&db);
    queued(&db, 1400).await;
    let newest_seen = db.count("SELECT MAX(hopper_id) FROM vicidial_hopper").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let first = db.count("SELECT MIN(hopper_id) FROM vicidial_hopper").await;
    db.exec(&format!(
        "UPDATE vicidial_list l JOIN vicidial_hopper h ON h.lead_id = l.lead_id \
         SET l.called_since_last_reset = 'Y', l.user = 'VDAD', l.called_count = l.called_count + 1, \
             l.last_local_call_time = UTC_TIMESTAMP() - INTERVAL 6 HOUR WHERE h.hopper_id < {0}; \
         DELETE FROM vicidial_hopper WHERE hopper_id < {0}; TRUNCATE TABLE vicidial_hopper",
        first + 1000
    ))
    .await;
    queued(&db, 400).await;
    assert!(
        db.count("SELECT MAX(hopper_id) FROM vicidial_hopper").await < newest_seen,
        "the ids did not start over below the newest seen"
    );
    job.activate(Duration::ZERO).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(doubled(&db).await, 0, "leads twice in the hopper");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_hopper").await,
        400,
        "the job's rows for the dialed leads stayed"
    );
    drop(daemon);
    db.drop_db().await;
}

/// A TFHCCL callback (held by the 24-hour limit) is shared with VICIdial's
/// job, which retries it every run as the daemon does: when both let it
/// through, the second row is removed the same way.
#[tokio::test]
async fn a_tfhccl_callback_let_through_by_both_gets_one_row() {
    let db = TestDb::new("coexist_tfhccl").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[("called_since_last_reset", "D")]).await;
    db.callback(10, 1, "C", 101, &[("status", "TFHCCL")]).await;
    let job = HopperJob::select(&db).await;
    assert_eq!(job.due.len(), 1, "the job selects the TFHCCL callback");
    let daemon = common::daemon(&db);
    queued(&db, 1).await;
    job.activate(Duration::ZERO).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(db.hopper_rows(1).await, 1);
    drop(daemon);
    db.drop_db().await;
}

/// The soak: a 20,000-callback backlog at the daemon's start, the job's
/// minute run 0.4 s later and every 5 s after, new callbacks due at three boundaries with the job
/// run at that second, the daemon killed and restarted mid-backlog, and a
/// dialer taking rows as VICIdial's does (by priority then hopper_id,
/// every row of the lead INCALL then deleted), a turn a second. No lead may be dialed twice,
/// and at the end every ANYONE lead has one row or was dialed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_beside_the_hopper_job_no_lead_is_dialed_twice() {
    let db = TestDb::new("coexist_soak").await;
    db.bulk(20_000).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The daemon starts (an upgrade, a crash restart), the job's minute run
    // 0.4 s later, then every 5 s.
    let mut daemon = common::daemon(&db);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let job_db = TestDb::attach(&db);
    let job_stop = stop.clone();
    let jobs = tokio::spawn(async move {
        HopperJob::select(&job_db).await.activate(Duration::ZERO).await;
        while !job_stop.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HopperJob::select(&job_db).await.activate(Duration::ZERO).await;
        }
    });
    // The dialer: a turn every second (VICIdial's loop waits 2.5 s by
    // default, `AST_VDauto_dial.pl` line 224, VICIdial 2.14), 600 lines at a time.
    let dialer_db = TestDb::attach(&db);
    let dialer_stop = stop.clone();
    let dialer = tokio::spawn(async move {
        let mut dialed = std::collections::HashMap::<u32, u32>::new();
        while !dialer_stop.load(std::sync::atomic::Ordering::Relaxed) {
            for lead in dialer_db.take_and_dial(600).await {
                *dialed.entry(lead).or_default() += 1;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        dialed
    });
    // A sampler: leads with two rows the dialer could take, and for how long.
    let sample_db = TestDb::attach(&db);
    let sample_stop = stop.clone();
    let sampler = tokio::spawn(async move {
        let (mut worst, mut since) = (0u64, std::collections::HashMap::<String, std::time::Instant>::new());
        let mut longest = Duration::ZERO;
        while !sample_stop.load(std::sync::atomic::Ordering::Relaxed) {
            let rows = sample_db
                .rows(
                    "SELECT lead_id FROM vicidial_hopper WHERE status IN ('READY','RHOLD') \
                     GROUP BY lead_id HAVING COUNT(*) > 1",
                )
                .await;
            worst = worst.max(rows.len() as u64);
            let now: std::collections::HashSet<String> = rows.into_iter().map(|r| r[0].clone()).collect();
            since.retain(|lead, at| {
                let still = now.contains(lead);
                if !still {
                    longest = longest.max(at.elapsed());
                }
                still
            });
            for lead in now {
                since.entry(lead).or_insert_with(std::time::Instant::now);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (worst, longest)
    });
    // Restart the daemon mid-backlog.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = daemon.kill();
    let _ = daemon.wait();
    daemon = common::daemon(&db);
    // Three boundaries: 300 new callbacks due at each, scheduled ahead as
    // agents schedule them, and the job run in the second they come due.
    for round in 0..3u32 {
        let base = 100_000 + round * 1000;
        db.due_in(base, 300, 3).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        HopperJob::select(&db).await.activate(Duration::ZERO).await;
    }
    // Until the backlog is dialed and the hopper empty.
    for _ in 0..1200 {
        if db.count("SELECT COUNT(*) FROM vicidial_hopper").await == 0
            && db
                .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status IN ('ACTIVE','TFHCCL')")
                .await
                == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    jobs.await.unwrap();
    let dialed = dialer.await.unwrap();
    let (worst, longest) = sampler.await.unwrap();
    let twice: Vec<_> = dialed.iter().filter(|(_, n)| **n > 1).collect();
    let anyone = db
        .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE recipient = 'ANYONE'")
        .await;
    println!(
        "soak: {} leads dialed, {} twice ({} of the boundaries' callbacks); at most {worst} leads with two waiting rows at once, the longest for {longest:?}",
        dialed.len(),
        twice.len(),
        twice.iter().filter(|(lead, _)| **lead >= 100_000).count()
    );
    assert!(twice.is_empty(), "leads dialed twice: {twice:?}");
    assert_eq!(dialed.len() as u64, anyone, "every ANYONE lead dialed once");
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    drop(daemon);
    db.drop_db().await;
}

/// A USERONLY callback the daemon made LIVE long ago, converted to ANYONE by
/// a manager just now (its row changes now): the daemon's own, completed at
/// once, not left to another process.
#[tokio::test]
async fn a_callback_the_daemon_claimed_long_ago_and_a_manager_converted_goes_in_at_once() {
    let db = TestDb::new("coexist_converted").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[("recipient", "USERONLY")]).await;
    db.exec("UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 1 HOUR")
        .await;
    let mut engine = db.engine(100);
    let live = vicidial_callbackd::engine::PassOptions::default();
    let s = engine.pass(live, &|| false).await.unwrap();
    assert_eq!((s.activated, s.inserted), (1, 0), "{s}");
    // Claimed ten minutes ago, converted now.
    db.exec(
        "UPDATE callbackd_claimed SET claimed_at = NOW() - INTERVAL 10 MINUTE; \
         UPDATE vicidial_callbacks SET recipient = 'ANYONE' WHERE callback_id = 10",
    )
    .await;
    let s = db.engine(100).pass(live, &|| false).await.unwrap();
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

/// A LIVE USERONLY callback another process made LIVE long ago, converted
/// to ANYONE by a manager now, with no other process writing callback rows:
/// nobody else will insert it, so the daemon does, at once.
#[tokio::test]
async fn a_callback_another_process_made_live_long_ago_and_a_manager_converted_goes_in_at_once() {
    let db = TestDb::new("coexist_converted_other").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[("recipient", "USERONLY"), ("status", "LIVE")])
        .await;
    db.exec(
        "UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 1 HOUR; \
         UPDATE vicidial_callbacks SET recipient = 'ANYONE' WHERE callback_id = 10",
    )
    .await;
    let s = db
        .engine(100)
        .pass(vicidial_callbackd::engine::PassOptions::default(), &|| false)
        .await
        .unwrap();
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

/// When VICIdial's job acts, relative to a pass's writes.
#[derive(Clone, Copy, Debug)]
enum Order {
    /// Its SELECT and then all of its writes, at the pass's write `k`.
    Whole,
    /// Its SELECT at write `k`, its writes after the pass.
    SelectedDuring,
    /// Its SELECT before the pass, its writes at write `k`.
    WritesDuring,
}

/// VICIdial's job interleaved with a pass at every write point, in every
/// order: the pass stops before its write `k` (a test hook), the job acts,
/// the pass goes on; then the daemon's next ticks. However the statements
/// fall, each ANYONE lead ends with exactly one hopper row, and a second
/// row, while it stands, waits behind the first (the dialer deletes every
/// row of the lead it dials, so only a row made after a dial could dial
/// twice, and none is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hopper_job_at_every_write_point_of_a_pass_leaves_one_row_per_lead() {
    let db = TestDb::new("coexist_points").await;
    db.bulk(40).await;
    // Second rows the job made that the daemon's ticks then removed.
    let (mut cases, mut seconds) = (0, 0);
    for order in [Order::Whole, Order::SelectedDuring, Order::WritesDuring] {
        for k in 0.. {
            db.exec(
                "UPDATE vicidial_callbacks SET status = 'ACTIVE'; \
                 UPDATE vicidial_list SET status = 'CBHOLD', called_since_last_reset = 'Y'; \
                 DELETE FROM vicidial_hopper; DELETE FROM callbackd_claimed; DELETE FROM callbackd_queued",
            )
            .await;
            let early = match order {
                Order::WritesDuring => Some(HopperJob::select(&db).await),
                _ => None,
            };
            let pause = db.db.pause_before_write(k);
            let mut engine = db.engine(200);
            let late = {
                let pass = engine.pass(Default::default(), &|| false);
                tokio::pin!(pass);
                let reached = tokio::select! {
                    _ = pause.reached() => true,
                    done = &mut pass => {
                        done.unwrap();
                        false
                    }
                };
                if !reached {
                    None
                } else {
                    let late = match order {
                        Order::Whole => {
                            HopperJob::select(&db).await.activate(Duration::ZERO).await;
                            None
                        }
                        Order::SelectedDuring => Some(HopperJob::select(&db).await),
                        Order::WritesDuring => {
                            early.unwrap().activate(Duration::ZERO).await;
                            None
                        }
                    };
                    pause.resume();
                    pass.await.unwrap();
                    Some(late)
                }
            };
            let Some(late) = late else {
                db.db.pause_before_write(i64::MAX);
                assert!(k > 3, "{order:?}: a pass of fewer than 4 writes");
                break;
            };
            cases += 1;
            if let Some(job) = late {
                job.activate(Duration::ZERO).await;
            }
            seconds += doubled(&db).await;
            for _ in 0..2 {
                engine.tick(&|| false).await.unwrap();
            }
            let context = format!("{order:?} at write {k}");
            assert_eq!(doubled(&db).await, 0, "{context}: a lead twice in the hopper");
            assert_eq!(
                db.count(
                    "SELECT COUNT(*) FROM vicidial_callbacks cb WHERE cb.recipient = 'ANYONE' \
                     AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)"
                )
                .await,
                0,
                "{context}: an ANYONE lead without its row"
            );
            assert_eq!(
                db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status IN ('ACTIVE','TFHCCL')")
                    .await,
                0,
                "{context}: a callback not activated"
            );
        }
    }
    assert!(cases >= 12, "only {cases} write points");
    assert!(seconds > 0, "no interleaving made a second row: the test shows nothing");
    println!("{cases} interleavings, {seconds} second rows removed");
    db.drop_db().await;
}
