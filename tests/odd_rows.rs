//! Odd rows lose no promise, and one pass reaches the state a second pass
//! keeps: callbacks with an empty or NULL `lead_status`, several open
//! callbacks of one lead, a callback whose campaign row is missing, and the
//! settings cache across the autumn's repeated hour. Against VICIdial's
//! schema on the test server (America/New_York).

mod common;

use std::process::Output;

use common::{TestDb, t};

fn callbackd(args: &[&str]) -> Output {
    common::callbackd()
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("run the binary")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `AST_VDhopper.pl` (2.14, build 250224-1641) line 759 gives the lead the
/// callback's `lead_status` as it is, empty included, and inserts it: the
/// customer is called. The daemon calls too, and gives the lead `CALLBK`,
/// so a lost hopper row is put back (the pending rule knows the lead as
/// undialed), and says so once per callback; `check` counts such rows.
#[tokio::test]
async fn an_empty_or_null_lead_status_is_dialed_with_callbk_and_counted() {
    let db = TestDb::new("odd_empty_status").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for (lead, status) in [(1, ""), (2, "NULL"), (3, "CALLBK")] {
        db.lead(lead, 101, &[]).await;
        db.callback(lead * 10, lead, "C", 101, &[("lead_status", status)]).await;
    }
    assert_eq!(
        db.value("SELECT COUNT(*) FROM vicidial_callbacks WHERE lead_status IS NULL")
            .await,
        "1"
    );
    let out = callbackd(&["--database-url", &db.url, "check"]);
    let said = text(&out);
    assert!(
        said.contains("warn callbacks: 2 open callbacks have an empty or NULL lead_status"),
        "{said}"
    );

    let now = t("10:00:00");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for id in [10, 20] {
        let line = said
            .lines()
            .filter(|l| l.contains(&format!("callback_id={id} ")) && l.contains("lead_status is empty"))
            .count();
        assert_eq!(line, 1, "callback {id} logged once: {said}");
    }
    assert!(
        !said.contains("callback_id=30 lead_id=3 campaign=C dry_run=false lead_status"),
        "{said}"
    );
    for lead in [1, 2, 3] {
        assert_eq!(db.callback_status(lead * 10).await, "LIVE");
        assert_eq!(db.lead_state(lead).await, ("CALLBK".into(), "N".into()), "lead {lead}");
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}");
    }
    // A MySQL restart empties the MEMORY hopper: the leads are undialed, and
    // go back in; the activation is not logged again.
    db.exec("DELETE FROM vicidial_hopper").await;
    let now = t("10:05:00");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("lead_status is empty"), "{said}");
    for lead in [1, 2, 3] {
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead} back in the hopper");
    }
    db.drop_db().await;
}

/// Everything a pass may change: callbacks, leads and the hopper.
async fn snapshot(db: &TestDb) -> (Vec<Vec<String>>, Vec<Vec<String>>, Vec<Vec<String>>) {
    (
        db.rows("SELECT callback_id, status, recipient, modify_date FROM vicidial_callbacks ORDER BY 1")
            .await,
        db.rows("SELECT lead_id, status, called_since_last_reset, modify_date FROM vicidial_list ORDER BY 1")
            .await,
        db.rows("SELECT lead_id, campaign_id, list_id, status, source FROM vicidial_hopper ORDER BY 1, 2")
            .await,
    )
}

/// Two LIVE-to-be ANYONE callbacks of one lead in different campaigns,
/// one on an inactive list (held) and one not, in both id orders: the first
/// pass activates both and queues the lead once, for the open one; a second
/// pass (`once` after `once`) changes nothing.
#[tokio::test]
async fn several_open_callbacks_of_one_lead_are_done_in_one_pass() {
    for held_first in [true, false] {
        let db = TestDb::new("odd_multi").await;
        db.campaign("A", &[]).await;
        db.campaign("B", &[]).await;
        db.list(101, "A", &[]).await;
        db.list(201, "B", &[("active", "N")]).await;
        db.lead(1, 101, &[]).await;
        let (held, open) = if held_first { (10, 20) } else { (20, 10) };
        db.callback(held, 1, "B", 201, &[]).await;
        db.callback(open, 1, "A", 101, &[]).await;
        let s = db.pass_at(Some(&t("10:00:00"))).await;
        assert_eq!((s.activated, s.inserted), (2, 1), "held first {held_first}: {s}");
        assert_eq!(db.callback_status(10).await, "LIVE");
        assert_eq!(db.callback_status(20).await, "LIVE");
        assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
        assert_eq!(
            db.rows("SELECT campaign_id, list_id FROM vicidial_hopper").await,
            vec![vec!["A".to_string(), "101".to_string()]],
            "held first {held_first}"
        );
        let before = snapshot(&db).await;
        let s = db.pass_at(Some(&t("10:00:01"))).await;
        assert_eq!((s.activated, s.inserted), (0, 0), "held first {held_first}: {s}");
        assert_eq!(snapshot(&db).await, before, "held first {held_first}");
        db.drop_db().await;
    }
}

/// The campaigns and lists of [`once_twice_changes_nothing_on_several_callbacks_of_a_lead`].
async fn two_campaigns(tag: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.campaign("A", &[]).await;
    db.campaign("B", &[]).await;
    db.list(101, "A", &[]).await;
    db.list(201, "B", &[("active", "N")]).await;
    db
}

/// The other shapes of several open callbacks of one lead, each run as
/// `once` runs it, twice: the second changes nothing.
/// - A LIVE ANYONE callback whose lead is still `CBHOLD` (a manager's
///   conversion) is not stranded while the lead has a due `ACTIVE` one; that
///   one's activation (held: inactive list) gives the lead its status, and
///   the LIVE one goes in within the same pass.
/// - Two due ones with different `lead_status`: the lead gets the status of
///   the one queued, so the hopper insert's re-check passes.
/// - The same, both LIVE and stranded in `CBHOLD`.
#[tokio::test]
async fn once_twice_changes_nothing_on_several_callbacks_of_a_lead() {
    let db = two_campaigns("odd_fixed_point").await;
    // Lead 1: LIVE ANYONE for A, lead CBHOLD; due ACTIVE ANYONE for B (held).
    db.lead(1, 101, &[]).await;
    db.callback(
        10,
        1,
        "A",
        101,
        &[("status", "LIVE"), ("callback_time", &t("09:00:00"))],
    )
    .await;
    db.callback(11, 1, "B", 201, &[]).await;
    // Lead 2: due for A with a custom status, due for B with CALLBK.
    db.lead(2, 101, &[]).await;
    db.callback(20, 2, "A", 101, &[("lead_status", "CBXYZ")]).await;
    db.callback(21, 2, "A", 101, &[]).await;
    // Lead 3: the same, both LIVE, lead stranded in CBHOLD.
    db.lead(3, 101, &[]).await;
    for (id, status) in [(30, "CBXYZ"), (31, "CALLBK")] {
        db.callback(
            id,
            3,
            "A",
            101,
            &[
                ("status", "LIVE"),
                ("lead_status", status),
                ("callback_time", &t("09:00:00")),
            ],
        )
        .await;
    }
    let now = t("10:00:00");
    let once = || callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    let out = once();
    assert!(out.status.success(), "{}", text(&out));
    for lead in [1, 2, 3] {
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}: {}", text(&out));
    }
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    let before = snapshot(&db).await;
    let out = once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(snapshot(&db).await, before, "{}", text(&out));
    // The lead's status is the queued callback's.
    for lead in [2, 3] {
        let queued = db
            .value(&format!(
                "SELECT COUNT(*) FROM vicidial_list l JOIN vicidial_callbacks cb ON cb.lead_id = l.lead_id \
                 WHERE l.lead_id = {lead} AND cb.lead_status = l.status"
            ))
            .await;
        assert_eq!(queued, "1", "lead {lead}");
    }
    db.drop_db().await;
}

/// The daemon's ticks between full passes: a due callback's activation
/// makes its lead's other LIVE ANYONE callback pending, and the same tick
/// puts it in (nothing else signals it before the next full pass).
#[tokio::test]
async fn a_tick_that_activates_a_callback_puts_its_pending_sibling_in() {
    let db = two_campaigns("odd_tick_sibling").await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "A", 101, &[("status", "LIVE")]).await;
    db.callback(11, 1, "B", 201, &[]).await;
    db.exec(
        "UPDATE vicidial_callbacks SET entry_time = NOW() - INTERVAL 1 HOUR, \
         callback_time = IF(callback_id = 10, NOW() - INTERVAL 10 MINUTE, NOW() + INTERVAL 4 SECOND)",
    )
    .await;
    let mut engine = vicidial_callbackd::engine::Engine::new(
        db.db.clone(),
        vicidial_callbackd::config::EngineConfig {
            full_scan_seconds: 3600,
            ..Default::default()
        },
    );
    let s = engine.tick(&|| false).await.unwrap();
    assert_eq!(
        (s.activated, s.inserted),
        (0, 0),
        "the full pass: nothing due, 10 not stranded: {s}"
    );
    // Callback 11 comes due (the daemon claims it up to 2 s ahead of its time).
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let s = engine.tick(&|| false).await.unwrap();
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(
        db.rows("SELECT campaign_id FROM vicidial_hopper").await,
        vec![vec!["A".to_string()]]
    );
    db.drop_db().await;
}

/// A callback whose campaign row is missing: VICIdial's activation does not
/// check the campaign (`AST_VDhopper.pl` lines 589-625, VICIdial 2.14) and queues a hopper
/// row for it; the daemon skips it (fail closed), due or LIVE, says so in
/// `explain`, and counts it by kind for the metrics.
#[tokio::test]
async fn a_callback_whose_campaign_is_missing_is_skipped_explained_and_counted() {
    use vicidial_callbackd::config::Config;
    use vicidial_callbackd::manage::explain::{Verdict, explain};
    use vicidial_callbackd::rules::decision::{Outcome, Phase};
    let db = TestDb::new("odd_no_campaign").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "GONE", 101, &[]).await;
    db.lead(2, 101, &[("status", "CALLBK"), ("called_since_last_reset", "N")])
        .await;
    db.callback(20, 2, "GONE", 101, &[("status", "LIVE")]).await;
    let at = chrono::NaiveDateTime::parse_from_str(&t("10:00:00"), "%Y-%m-%d %H:%M:%S").unwrap();
    let mut s = db.db.session().await.unwrap();
    for (id, phase) in [(10, Phase::Due), (20, Phase::Pending)] {
        let e = explain(&mut s, &Config::default(), id, Some(at)).await.unwrap();
        assert!(
            matches!(&e.verdict, Verdict::Decided { phase: p, outcome: Outcome::Skip(why) }
                if *p == phase && why.contains("campaign \"GONE\" does not exist")),
            "{:?}",
            e.verdict
        );
        let said = e.lines.join("\n");
        assert!(said.contains("the daemon skips it"), "{said}");
        assert!(
            said.contains("VICIdial's cron would make it LIVE and queue a hopper row"),
            "{said}"
        );
    }
    drop(s);
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.errors), (0, 0, 2), "{s}");
    assert_eq!(s.skipped_by_kind.get("unknown_campaign"), Some(&2), "{s:?}");
    assert_eq!(db.callback_status(10).await, "ACTIVE");
    assert_eq!(db.callback_status(20).await, "LIVE");
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    let out = callbackd(&["--database-url", &db.url, "check"]);
    let said = text(&out);
    assert!(
        said.contains("warn callbacks: 2 open callbacks name a campaign that does not exist"),
        "{said}"
    );
    db.drop_db().await;
}

/// The settings cache across the autumn's repeated hour, with the clock of
/// the test server (America/New_York) on 2026-11-01: settings read at 01:50
/// EDT, then a campaign written at 01:10 EST (20 minutes later), which
/// `information_schema.TABLES.UPDATE_TIME` shows as `01:10:00` in the
/// server's local time. Compared as local times, 01:10 is before 01:50 and
/// the change was hidden for up to an hour; compared on UTC, with the stamp
/// taken as the latest instant it may name, the settings are read again.
#[tokio::test]
async fn a_settings_change_in_the_repeated_hour_is_seen() {
    use chrono::NaiveDateTime;
    use vicidial_callbackd::db::settings::{ReadAt, unwritten_since};
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let db = TestDb::new("odd_fall_back").await;
    // The server's own clock at an instant, as the probe reads it (local and UTC).
    let server = async |utc: &str| {
        let epoch = at(utc).and_utc().timestamp();
        let local = db.value(&format!("SELECT FROM_UNIXTIME({epoch})")).await;
        ReadAt::new(at(&local), at(utc))
    };
    let read = server("2026-11-01 05:50:00").await;
    let now = server("2026-11-01 06:15:00").await;
    assert_eq!(read.offset, -4 * 3600, "the server runs in New York: EDT at 01:50");
    assert_eq!(now.offset, -5 * 3600, "and EST at the second 01:15");
    // It shows 01:10 EDT and 01:10 EST alike.
    let first = server("2026-11-01 05:10:00").await;
    let second = server("2026-11-01 06:10:00").await;
    let shown = |r: ReadAt| r.utc + chrono::Duration::seconds(r.offset);
    assert_eq!(shown(first), shown(second));
    let written = Some(shown(second));
    assert_eq!(written, Some(at("2026-11-01 01:10:00")));
    assert!(
        written < Some(shown(read)),
        "as local times the write looks older than the read"
    );
    assert!(!unwritten_since(written, read, now), "the change is seen");
    // Read again at 01:15 EST: kept until the next write.
    assert!(unwritten_since(written, now, now));
    // Before the change, a write at 01:10 EDT is older than a read at 01:50 EDT.
    let before = server("2026-11-01 05:55:00").await;
    assert!(unwritten_since(Some(shown(first)), read, before));
    db.drop_db().await;
}

/// The cache of settings on the real clock: kept while the settings' tables
/// are unwritten, read again after a write (the server's local stamp,
/// compared with the UTC read time through the server's zone).
#[tokio::test]
async fn the_settings_cache_sees_a_write_on_the_real_clock() {
    use vicidial_callbackd::engine::PassOptions;
    let db = TestDb::new("odd_settings_cache").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[("active", "N")]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    db.exec(
        "UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 1 MINUTE, entry_time = NOW() - INTERVAL 1 HOUR",
    )
    .await;
    let mut engine = db.engine(500);
    let s = engine.pass(PassOptions::default(), &|| false).await.unwrap();
    assert_eq!(
        (s.activated, s.inserted, s.pending),
        (1, 0, 1),
        "held: list inactive: {s}"
    );
    // UPDATE_TIME has whole seconds: a write in the second the settings were read counts as after.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let s = engine.pass(PassOptions::default(), &|| false).await.unwrap();
    assert_eq!((s.inserted, s.pending), (0, 1), "{s}");
    db.exec("UPDATE vicidial_lists SET active = 'Y' WHERE list_id = 101")
        .await;
    let s = engine.pass(PassOptions::default(), &|| false).await.unwrap();
    assert_eq!((s.inserted, s.pending), (1, 0), "the list's change is seen: {s}");
    db.drop_db().await;
}
