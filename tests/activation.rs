//! Activation of due callbacks and their hopper rows (README, "What it does, rule by
//! rule"; `docs/vicidial.md`, section "Activation"),
//! one test per rule, against a real MariaDB.

mod common;

use common::{TestDb, t};

/// Campaign C, list 101, lead 1 with an ACTIVE callback 10 due at 10:00.
async fn one_callback(tag: &str, recipient: &str) -> TestDb {
    TestDb::single(tag, &[], &[], &[("recipient", recipient)]).await
}

#[tokio::test]
async fn anyone_goes_live_and_into_the_hopper_exactly_as_vicidial_inserts_it() {
    let db = one_callback("anyone", "ANYONE").await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending, s.errors), (1, 1, 0, 0), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    let hopper = db
        .rows(
            "SELECT lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, alt_dial, priority, source, \
             vendor_lead_code FROM vicidial_hopper",
        )
        .await;
    assert_eq!(
        hopper,
        vec![vec![
            "1", "C", "READY", "", "101", "-6.00", "IL", "NONE", "50", "C", "V1"
        ]]
    );
    db.drop_db().await;
}

#[tokio::test]
async fn useronly_only_goes_live() {
    let db = one_callback("useronly", "USERONLY").await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted), (1, 0), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await, ("CBHOLD".into(), "Y".into()));
    assert_eq!(db.hopper_rows(1).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn custom_lead_status_is_given_to_the_lead() {
    let db = TestDb::new("custom").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[("lead_status", "CBVIP")]).await;
    db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!(db.lead_state(1).await.0, "CBVIP");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn rhold_needs_system_and_campaign_hold_inserts() {
    let db = TestDb::new("rhold").await;
    db.exec("UPDATE system_settings SET hopper_hold_inserts = '1'").await;
    for (campaign, hold) in [("HOLD", "ENABLED"), ("AUTO", "AUTONEXT"), ("NOHOLD", "DISABLED")] {
        db.campaign(campaign, &[("hopper_hold_inserts", hold)]).await;
    }
    db.list(101, "HOLD", &[]).await;
    db.list(102, "AUTO", &[]).await;
    db.list(103, "NOHOLD", &[]).await;
    for (lead, campaign, list) in [(1, "HOLD", 101), (2, "AUTO", 102), (3, "NOHOLD", 103)] {
        db.lead(lead, list, &[]).await;
        db.callback(lead * 10, lead, campaign, list, &[]).await;
    }
    db.pass_at(Some(&t("10:00:00"))).await;
    let rows = db
        .rows("SELECT lead_id, status FROM vicidial_hopper ORDER BY lead_id")
        .await;
    assert_eq!(rows, vec![vec!["1", "RHOLD"], vec!["2", "RHOLD"], vec!["3", "READY"]]);
    // System switch off: READY whatever the campaign says.
    db.exec("DELETE FROM vicidial_hopper").await;
    db.exec("UPDATE system_settings SET hopper_hold_inserts = '0'").await;
    db.exec("UPDATE vicidial_list SET called_since_last_reset = 'N', last_local_call_time = NULL")
        .await;
    db.pass_at(Some(&t("10:00:05"))).await;
    let rows = db.rows("SELECT DISTINCT status FROM vicidial_hopper").await;
    assert_eq!(rows, vec![vec!["READY"]]);
    db.drop_db().await;
}

/// Callbacks on an inactive list (101: active='N'), an expired list (102) and
/// an active one (103); the lead of callback 40 sits on an active list but its
/// callback is filed under the inactive one, and lead 5 moved to the inactive list.
async fn inactive_lists(tag: &str, mode: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.exec_with(
        "UPDATE system_settings SET anyone_callback_inactive_lists = ?",
        vec![mode.into()],
    )
    .await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[("active", "N")]).await;
    db.list(102, "C", &[("expiration_date", "2026-03-03")]).await;
    db.list(103, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    db.lead(2, 102, &[]).await;
    db.callback(20, 2, "C", 102, &[]).await;
    db.lead(3, 103, &[]).await;
    db.callback(30, 3, "C", 103, &[]).await;
    db.lead(4, 101, &[]).await;
    db.callback(40, 4, "C", 101, &[("recipient", "USERONLY")]).await;
    db
}

#[tokio::test]
async fn inactive_lists_default_activates_but_holds_the_hopper_row() {
    let db = inactive_lists("inact_default", "default").await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (4, 1, 2), "{s}");
    for cb in [10, 20, 30, 40] {
        assert_eq!(db.callback_status(cb).await, "LIVE", "callback {cb}");
    }
    assert_eq!(db.lead_state(1).await.0, "CALLBK");
    assert_eq!(db.hopper_rows(1).await + db.hopper_rows(2).await, 0);
    assert_eq!(db.hopper_rows(3).await, 1);
    // The list comes back: the pending callback goes in on the next pass.
    db.exec("UPDATE vicidial_lists SET active = 'Y' WHERE list_id = 101")
        .await;
    let s = db.pass_at(Some(&t("10:00:05"))).await;
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn inactive_lists_keep_in_hopper_inserts() {
    let db = inactive_lists("inact_keep", "KEEP_IN_HOPPER").await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (4, 3, 0), "{s}");
    for lead in [1, 2, 3] {
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn inactive_lists_no_add_to_hopper_leaves_them_active_judged_on_the_leads_list() {
    let db = inactive_lists("inact_noadd", "NO_ADD_TO_HOPPER").await;
    // Lead 3's callback is filed under active list 103, but the lead now sits on inactive 101.
    db.exec("UPDATE vicidial_list SET list_id = 101 WHERE lead_id = 3")
        .await;
    // Lead 1 moved to the active list: its callback (filed under 101) is activated.
    db.exec("UPDATE vicidial_list SET list_id = 103 WHERE lead_id = 1")
        .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.callback_status(20).await, "ACTIVE");
    assert_eq!(db.callback_status(30).await, "ACTIVE");
    assert_eq!(db.callback_status(40).await, "ACTIVE", "USERONLY ones too");
    assert_eq!(db.lead_state(3).await.0, "CBHOLD");
    assert_eq!(s.activated, 1, "{s}");
    // Callback 10 is filed under inactive list 101: no hopper row (VICIdial would delete it).
    assert_eq!(db.hopper_rows(1).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn no_hopper_dialing_activates_without_a_hopper_row() {
    let db = TestDb::new("nohopper").await;
    db.campaign("C", &[("no_hopper_dialing", "Y")]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await.0, "CALLBK");
    assert_eq!(db.hopper_rows(1).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn tfhccl_is_retried_like_active() {
    let db = TestDb::new("tfhccl").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[("called_since_last_reset", "D")]).await;
    db.callback(10, 1, "C", 101, &[("status", "TFHCCL")]).await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    db.drop_db().await;
}

#[tokio::test]
async fn future_and_final_callbacks_are_untouched() {
    let db = TestDb::new("untouched").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for (lead, status, time) in [
        (1, "ACTIVE", "10:00:01"),
        (2, "INACTIVE", "09:00:00"),
        (3, "DEAD", "09:00:00"),
        (4, "ARCHIVE", "09:00:00"),
    ] {
        db.lead(lead, 101, &[]).await;
        db.callback(
            lead * 10,
            lead,
            "C",
            101,
            &[("status", status), ("callback_time", &t(time))],
        )
        .await;
    }
    let before = db
        .rows("SELECT callback_id, status, modify_date FROM vicidial_callbacks ORDER BY 1")
        .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted), (0, 0), "{s}");
    assert_eq!(
        db.rows("SELECT callback_id, status, modify_date FROM vicidial_callbacks ORDER BY 1")
            .await,
        before
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM vicidial_hopper").await, 0);
    assert_eq!(
        s.next_wake.unwrap().to_string(),
        t("10:00:01"),
        "wakes for the next callback"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn only_the_due_callback_of_a_lead_changes() {
    let db = TestDb::new("twocb").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    db.callback(
        11,
        1,
        "C",
        101,
        &[("callback_time", &t("15:00:00")), ("recipient", "USERONLY")],
    )
    .await;
    db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(
        db.callback_status(11).await,
        "ACTIVE",
        "VICIdial flips by lead_id; we do not"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_lead_already_in_the_hopper_gets_no_second_row() {
    let db = one_callback("inhopper", "ANYONE").await;
    db.exec(
        "INSERT INTO vicidial_hopper (lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, priority, source) \
         VALUES (1, 'OTHER', 'READY', '', 101, -6.00, 'IL', 0, 'S')",
    )
    .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted), (1, 0), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn quotes_and_non_ascii_data_pass_through() {
    let db = TestDb::new("quotes").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(
        1,
        101,
        &[
            ("first_name", "Zoë"),
            ("last_name", "O'Brien"),
            ("vendor_lead_code", "O'B-é\"1"),
        ],
    )
    .await;
    db.callback(10, 1, "C", 101, &[("comments", "call Zoë O'Brien; \"after 5\"")])
        .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.errors), (1, 1, 0), "{s}");
    assert_eq!(
        db.value("SELECT vendor_lead_code FROM vicidial_hopper").await,
        "O'B-é\"1"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn bad_rows_are_skipped_and_the_rest_proceeds() {
    let db = TestDb::new("badrows").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    db.callback(20, 999, "C", 101, &[]).await; // lead gone
    db.lead(3, 101, &[]).await;
    db.callback(30, 3, "NOSUCH", 101, &[]).await; // campaign gone
    db.lead(
        4,
        101,
        &[("gmt_offset_now", "NULL"), ("state", "NULL"), ("phone_number", "")],
    )
    .await;
    db.callback(40, 4, "C", 101, &[("lead_status", "NULL"), ("entry_time", "NULL")])
        .await;
    db.lead(5, 101, &[("gmt_offset_now", "NULL")]).await;
    db.callback(50, 5, "C", 101, &[]).await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!(s.errors, 2, "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.hopper_rows(1).await, 1);
    for cb in [20, 30] {
        assert_eq!(db.callback_status(cb).await, "ACTIVE", "callback {cb} skipped");
    }
    // A NULL offset is never callable: LIVE, held, logged. A NULL
    // lead_status is no reason to skip: the lead gets CALLBK.
    for (cb, lead) in [(40, 4), (50, 5)] {
        assert_eq!(db.callback_status(cb).await, "LIVE");
        assert_eq!(db.hopper_rows(lead).await, 0);
    }
    assert_eq!(db.lead_state(4).await, ("CALLBK".into(), "N".into()));
    assert_eq!(s.pending, 2, "{s}");
    db.drop_db().await;
}

#[tokio::test]
async fn a_second_pass_changes_nothing() {
    let db = TestDb::new("second").await;
    db.bulk(40).await;
    let s = db.pass_at(None).await;
    assert_eq!((s.activated, s.inserted), (40, 28), "{s}");
    let before = snapshot(&db).await;
    let s = db.pass_at(None).await;
    assert!(!s.did_work(), "{s}");
    assert_eq!(snapshot(&db).await, before);
    db.drop_db().await;
}

#[tokio::test]
async fn dry_run_changes_nothing_and_reports_the_same_work() {
    let db = TestDb::new("dry").await;
    db.bulk(30).await;
    let before = snapshot(&db).await;
    let dry = db.pass_with(None, true).await;
    assert_eq!(snapshot(&db).await, before);
    let real = db.pass_at(None).await;
    assert_eq!(dry.to_string(), real.to_string());
    db.drop_db().await;
}

#[tokio::test]
async fn now_in_the_past_and_in_the_future() {
    let db = one_callback("now", "ANYONE").await;
    db.callback(
        11,
        1,
        "C",
        101,
        &[("callback_time", "2026-03-05 10:00:00"), ("recipient", "USERONLY")],
    )
    .await;
    let s = db.pass_at(Some(&t("09:59:59"))).await;
    assert_eq!(s.activated, 0, "not yet due at 09:59:59: {s}");
    assert_eq!(db.callback_status(10).await, "ACTIVE");
    let s = db.pass_at(Some("2026-03-05 10:00:00")).await;
    assert_eq!(s.activated, 2, "{s}");
    assert_eq!(db.callback_status(11).await, "LIVE");
    db.drop_db().await;
}

#[tokio::test]
async fn the_database_clock_is_used_without_now() {
    let db = TestDb::new("dbclock").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[("last_local_call_time", "NULL")]).await;
    db.lead(2, 101, &[("last_local_call_time", "NULL")]).await;
    db.exec(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, \
         user, recipient, lead_status) VALUES \
         (10, 1, 101, 'C', 'ACTIVE', NOW() - INTERVAL 1 HOUR, NOW() - INTERVAL 1 SECOND, '1001', 'ANYONE', 'CALLBK'), \
         (20, 2, 101, 'C', 'ACTIVE', NOW() - INTERVAL 1 HOUR, NOW() + INTERVAL 1 HOUR, '1001', 'ANYONE', 'CALLBK')",
    )
    .await;
    let s = db.pass_at(None).await;
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(db.callback_status(20).await, "ACTIVE");
    db.drop_db().await;
}

#[tokio::test]
async fn stale_useronly_callbacks_move_to_anyone_and_into_the_hopper_in_one_pass() {
    let db = TestDb::new("move").await;
    db.campaign("C", &[("callback_useronly_move_minutes", "30")]).await;
    db.campaign("OFF", &[("callback_useronly_move_minutes", "30"), ("active", "N")])
        .await;
    db.list(101, "C", &[]).await;
    db.list(201, "OFF", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(
        10,
        1,
        "C",
        101,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("callback_time", &t("09:29:00")),
        ],
    )
    .await;
    db.lead(2, 101, &[]).await;
    db.callback(
        20,
        2,
        "C",
        101,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("callback_time", &t("09:31:00")),
        ],
    )
    .await;
    db.lead(3, 201, &[]).await;
    db.callback(
        30,
        3,
        "OFF",
        201,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("callback_time", &t("08:00:00")),
        ],
    )
    .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.moved, s.activated, s.inserted), (1, 1, 1), "{s}");
    assert_eq!(
        db.rows("SELECT recipient, status FROM vicidial_callbacks WHERE callback_id = 10")
            .await,
        vec![vec!["ANYONE", "LIVE"]]
    );
    assert_eq!(db.hopper_rows(1).await, 1);
    assert_eq!(
        db.rows("SELECT recipient FROM vicidial_callbacks WHERE callback_id IN (20, 30) ORDER BY 1")
            .await
            .len(),
        2
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE recipient = 'USERONLY'")
            .await,
        2
    );
    db.drop_db().await;
}

/// Everything a pass could change.
async fn snapshot(db: &TestDb) -> (Vec<Vec<String>>, Vec<Vec<String>>, Vec<Vec<String>>) {
    (
        db.rows("SELECT callback_id, status, recipient, modify_date FROM vicidial_callbacks ORDER BY 1")
            .await,
        db.rows("SELECT lead_id, status, called_since_last_reset, modify_date FROM vicidial_list ORDER BY 1")
            .await,
        db.rows("SELECT hopper_id, lead_id, status FROM vicidial_hopper ORDER BY 1")
            .await,
    )
}

/// A backlog larger than a scan's first page and than a span, with more
/// callbacks at one second than either holds: read either way (a first page
/// then spans, or spans from the start; with the index hint or without),
/// every due callback is found once, oldest first (ties by id), and one pass
/// delivers them all. Read with their leads by the pending scan (their
/// hopper rows lost), the crowded second takes several statements, not one
/// that holds `vicidial_list` for all of it.
#[tokio::test]
async fn a_backlog_with_thousands_due_in_one_second_is_scanned_whole_in_order() {
    use vicidial_callbackd::db::callbacks::{self, Scan, Spans, Start, TIME_INDEX};
    use vicidial_callbackd::db::facts::DncAhead;
    let db = TestDb::new("backlog").await;
    let n = 8000;
    db.bulk(n).await;
    // 6,000 of them in the same second (more than a span), the rest spread
    // over the hour.
    db.exec("UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 30 MINUTE WHERE callback_id % 4 <> 0")
        .await;
    let expected: Vec<u32> = db
        .rows("SELECT callback_id FROM vicidial_callbacks ORDER BY callback_time, callback_id")
        .await
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    let mut s = db.db.session().await.unwrap();
    let floor = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap()
        .and_time(chrono::NaiveTime::MIN);
    let now: String = db.value("SELECT NOW()").await;
    let now = chrono::NaiveDateTime::parse_from_str(&now, "%Y-%m-%d %H:%M:%S").unwrap();
    for hint in [TIME_INDEX, ""] {
        for start in [Start::FirstPage, Start::Spans] {
            let found = callbacks::scan(&mut s, Scan::Due(now), (floor, start), hint)
                .await
                .unwrap();
            let ids: Vec<u32> = found.iter().map(|f| f.callback_id).collect();
            assert_eq!(ids.len(), expected.len(), "hint {hint:?}, {start:?}");
            assert!(
                ids == expected,
                "hint {hint:?}, {start:?}: not every callback once, oldest first"
            );
        }
    }
    drop(s);
    let summary = db.pass_at(None).await;
    assert_eq!(summary.activated, u64::from(n), "{summary}");
    db.assert_all_delivered(n, "backlog").await;
    // Their hopper rows lost: the pending scan, which reads each callback
    // with its lead, reads the crowded second in several statements.
    db.exec("DELETE FROM vicidial_hopper").await;
    let mut s = db.db.session().await.unwrap();
    let crowded: String = db
        .value("SELECT callback_time FROM vicidial_callbacks GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
        .await;
    let crowded = chrono::NaiveDateTime::parse_from_str(&crowded, "%Y-%m-%d %H:%M:%S").unwrap();
    let anyone = db
        .count(&format!(
            "SELECT COUNT(*) FROM vicidial_callbacks WHERE recipient = 'ANYONE' AND callback_time = '{crowded}'"
        ))
        .await as usize;
    let pending = Scan::Pending(floor);
    let window = (callbacks::pending_floor(floor), Start::Spans);
    let mut spans = Spans::new(pending, window, TIME_INDEX, DncAhead::default());
    let mut statements = Vec::new();
    while let Some(rows) = spans.next(&mut s).await.unwrap() {
        let in_second = rows.iter().filter(|r| r.row.callback_time == Some(crowded)).count();
        statements.push((rows.len(), in_second));
    }
    let reading_it: Vec<_> = statements.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(
        statements.iter().map(|(_, n)| n).sum::<usize>(),
        anyone,
        "the crowded second's pending callbacks, each once: {statements:?}"
    );
    assert!(
        reading_it.len() >= 2 && reading_it.iter().all(|(n, _)| *n < anyone),
        "the second of 6,000 read in one statement: {statements:?}"
    );
    drop(s);
    db.drop_db().await;
}

/// The due scan pages `callback_time` from the repair age on; a callback
/// still ACTIVE long after its time (the daemon and VICIdial's cron both
/// stopped for weeks) is found by the sweep of the whole table and
/// activated, as VICIdial's cron activates every due one (`AST_VDhopper.pl`
/// line 593, VICIdial 2.14: `callback_time <= '$now_date'`, no lower bound).
#[tokio::test]
async fn a_callback_overdue_beyond_the_repair_age_is_activated_by_the_sweep() {
    let db = one_callback("sweep", "ANYONE").await;
    db.exec(
        "UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 30 DAY, entry_time = NOW() - INTERVAL 31 DAY",
    )
    .await;
    let mut engine = db.engine(500);
    let options = vicidial_callbackd::engine::PassOptions::default();
    let s = engine.pass(options, &|| false).await.unwrap();
    assert_eq!(s.activated, 0, "outside the due scan's window: {s}");
    let s = engine.sweep(options, &|| false).await.unwrap();
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}
