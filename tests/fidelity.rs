//! Fidelity to VICIdial's own code: each test is written from the Perl (or
//! PHP) it cites (`docs/vicidial.md` gathers those facts). The test server runs in
//! America/New_York (EST, -5.00, on the test calendar's March 4; the clocks
//! change on 2026-03-08 and 2026-11-01), with leads east and west of it.

mod common;

use common::{TestDb, t};

/// The callback's row as VICIdial's clock would have left it when it was
/// made LIVE at `local` (the tests pin pass times; MySQL stamps the real now).
async fn made_live_at(db: &TestDb, callback_id: u32, local: &str) {
    db.exec(&format!(
        "UPDATE vicidial_callbacks SET modify_date = '{local}' WHERE callback_id = {callback_id}"
    ))
    .await;
}

/// The system's 24-hour limit on, campaign `C` (list 101) limited to 3 calls
/// by `method` with the override container `TFH` holding `entry`, area code
/// 312 in Illinois, then `extra` SQL.
async fn limited_campaign(tag: &str, method: &str, override_id: &str, entry: &str, extra: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.exec("UPDATE system_settings SET call_limit_24hour = '1'").await;
    db.campaign(
        "C",
        &[
            ("call_limit_24hour_method", method),
            ("call_limit_24hour", "3"),
            ("call_limit_24hour_override", override_id),
        ],
    )
    .await;
    db.list(101, "C", &[]).await;
    db.exec(&format!(
        "INSERT INTO vicidial_settings_containers (container_id, container_type, container_entry) \
         VALUES ('TFH', 'CALL_LIMIT_24HOUR', '{entry}'); \
         INSERT INTO vicidial_phone_codes (country_code, country, areacode, state) VALUES (1, 'USA', '312', 'IL'); {extra}"
    ))
    .await;
    db
}

/// `last_local_call_time` is written in the lead's local time
/// (`AST_VDauto_dial.pl` line 1880, VICIdial 2.14: `$LLCT_DATE_offset = ($LOCAL_GMT_OFF -
/// $gmt_offset_now)`, then `localtime($secX - $LLCT_DATE_offset * 3600)`;
/// `vdc_db_query.php` line 4524 the same for manual dials). Leads dialed at
/// 10:00 server time (15:00 UTC): lead 1 at +3.00 has 18:00, lead 2 at
/// -8.00 has 07:00. Their callbacks set at 10:05 for 10:30 go in at 10:30,
/// and go back in after the hopper is emptied; a dial after the activation
/// keeps its lead out even when a list reset turns the marker back to N.
#[tokio::test]
async fn item1_last_local_call_time_is_read_in_the_leads_clock_east_and_west() {
    let db = TestDb::new("f_llct").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for (lead, offset, llct) in [(1, "3.00", "18:00:00"), (2, "-8.00", "07:00:00")] {
        db.lead(
            lead,
            101,
            &[("gmt_offset_now", offset), ("last_local_call_time", &t(llct))],
        )
        .await;
        let times = [("entry_time", t("10:05:00")), ("callback_time", t("10:30:00"))];
        let cols: Vec<(&str, &str)> = times.iter().map(|(k, v)| (*k, v.as_str())).collect();
        db.callback(lead * 10, lead, "C", 101, &cols).await;
    }
    let s = db.pass_at(Some(&t("10:30:00"))).await;
    assert_eq!((s.activated, s.inserted), (2, 2), "{s}");
    made_live_at(&db, 10, &t("10:30:00")).await;
    made_live_at(&db, 20, &t("10:30:00")).await;
    // A MySQL restart empties the MEMORY hopper: both are undialed, both go back.
    db.exec("DELETE FROM vicidial_hopper").await;
    assert_eq!(db.pass_at(Some(&t("10:31:00"))).await.inserted, 2);
    // Lead 1 is dialed at 10:40 server time (18:40 its time), then its list is
    // reset; lead 2's row is deleted by VICIdial's clean-up, undialed.
    db.exec(
        "UPDATE vicidial_list SET called_since_last_reset = 'N', last_local_call_time = '2026-03-04 18:40:00' \
         WHERE lead_id = 1",
    )
    .await;
    db.exec("DELETE FROM vicidial_hopper").await;
    let s = db.pass_at(Some(&t("10:45:00"))).await;
    assert_eq!(s.inserted, 1, "{s}");
    assert_eq!((db.hopper_rows(1).await, db.hopper_rows(2).await), (0, 1));
    db.drop_db().await;
}

/// What counts is a dial after the callback was made dialable, not
/// after its `callback_time`. An agent dials the lead of a LIVE USERONLY
/// callback by hand (`vdc_db_query.php` line 4542, VICIdial 2.14, sets `INCALL`, `Y` and the
/// call time), then the move minutes turn it ANYONE (`ADMIN_keepalive_ALL.pl`
/// line 5728); VICIdial's next activation sets the lead to the callback status
/// and `N` and inserts it (`AST_VDhopper.pl` lines 759-767). So does the
/// daemon. The same for an ACTIVE ANYONE callback that comes due after a dial.
#[tokio::test]
async fn item2_a_dial_before_the_activation_does_not_keep_the_lead_out() {
    let db = TestDb::new("f_dialed_before").await;
    db.campaign("C", &[("callback_useronly_move_minutes", "30")]).await;
    db.list(101, "C", &[]).await;
    let dialed = [
        ("status", "NA"),
        ("called_since_last_reset", "Y"),
        ("gmt_offset_now", "-5.00"),
        ("last_local_call_time", "2026-03-04 09:20:00"),
    ];
    db.lead(1, 101, &dialed).await;
    db.callback(
        10,
        1,
        "C",
        101,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("callback_time", &t("09:00:00")),
        ],
    )
    .await;
    db.lead(2, 101, &dialed).await;
    db.callback(20, 2, "C", 101, &[("callback_time", &t("09:00:00"))]).await;
    let s = db.pass_at(Some(&t("09:40:00"))).await;
    assert_eq!((s.moved, s.activated, s.inserted), (1, 2, 2), "{s}");
    for lead in [1, 2] {
        assert_eq!(db.lead_state(lead).await, ("CALLBK".into(), "N".into()), "lead {lead}");
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}");
    }
    db.drop_db().await;
}

/// VICIdial's inactive lists are `(active='N') or ((active='Y') and
/// (expiration_date < today))` (`AST_VDhopper.pl` line 523, VICIdial 2.14): a list whose
/// `active` is NULL is neither, and its callbacks are dialed.
#[tokio::test]
async fn item3_a_list_with_null_active_is_active() {
    let db = TestDb::single("f_null_active", &[], &[], &[]).await;
    db.exec("UPDATE vicidial_lists SET active = NULL WHERE list_id = 101")
        .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.inserted, s.pending), (1, 0), "{s}");
    db.drop_db().await;
}

/// VICIdial enforces a list's own call time only for the lists of an
/// active campaign it processes with `expiration_date >= today` (`AST_VDhopper.pl`
/// line 2239, VICIdial 2.14) and `active` `Y` (line 2702). A list call time of 9am-5pm at 17:30 lead
/// time holds an active list's callback, but not an inactive list's (kept in
/// the hopper with KEEP_IN_HOPPER) nor one of an inactive campaign's list.
#[tokio::test]
async fn item4_a_list_call_time_applies_only_where_vicidial_enforces_it() {
    let db = TestDb::new("f_list_ct").await;
    db.exec("UPDATE system_settings SET anyone_callback_inactive_lists = 'KEEP_IN_HOPPER'")
        .await;
    db.campaign("C", &[]).await;
    db.campaign("OFF", &[("active", "N")]).await;
    db.list(101, "C", &[("local_call_time", "9am-5pm")]).await;
    db.list(102, "C", &[("local_call_time", "9am-5pm"), ("active", "N")])
        .await;
    db.list(103, "OFF", &[("local_call_time", "9am-5pm")]).await;
    for (lead, list) in [(1, 101), (2, 102), (3, 103)] {
        db.lead(lead, list, &[("gmt_offset_now", "-5.00")]).await;
        db.callback(lead * 10, lead, "C", list, &[("callback_time", &t("17:30:00"))])
            .await;
    }
    let s = db.pass_at(Some(&t("17:30:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (3, 2, 1), "{s}");
    assert_eq!(db.hopper_rows(1).await, 0, "active list: its call time holds");
    assert_eq!((db.hopper_rows(2).await, db.hopper_rows(3).await), (1, 1));
    db.drop_db().await;
}

/// VICIdial matches in SQL (`AST_VDhopper.pl` lines 671-735, VICIdial 2.14:
/// `phone_number IN('$phone',...)`, `campaign_id='$campaign'`), under
/// case-insensitive, trailing-space-blind collations. A DNC entry with a
/// trailing space, a campaign DNC row in lower case, `use_other_campaign_dnc`
/// in lower case, a callback whose campaign id is stored in lower case (its
/// lead and DNC entries are read by the campaign's id as the callback
/// stores it): each kills its callback.
#[tokio::test]
async fn item5_dnc_entries_match_as_mysql_matches_them() {
    let db = TestDb::new("f_dnc_collation").await;
    db.campaign(
        "C",
        &[
            ("callback_dnc", "ENABLED"),
            ("use_internal_dnc", "Y"),
            ("use_campaign_dnc", "Y"),
        ],
    )
    .await;
    db.campaign(
        "D",
        &[
            ("callback_dnc", "ENABLED"),
            ("use_campaign_dnc", "Y"),
            ("use_other_campaign_dnc", "other"),
        ],
    )
    .await;
    db.campaign("OTHER", &[]).await;
    db.list(101, "C", &[]).await;
    db.list(102, "D", &[]).await;
    db.exec(
        "INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550001 '); \
         INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) \
           VALUES ('3125550002', 'c'), ('3125550003', 'OTHER'), ('3125550005', 'C')",
    )
    .await;
    for (lead, list, campaign) in [
        (1, 101, "C"),
        (2, 101, "C"),
        (3, 102, "D"),
        (4, 101, "C"),
        (5, 101, "c"),
    ] {
        db.lead(lead, list, &[]).await;
        db.callback(lead * 10, lead, campaign, list, &[]).await;
    }
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.dead, s.inserted), (4, 1), "{s}");
    assert_eq!(db.lead_state(1).await.0, "DNCL");
    assert_eq!(db.lead_state(2).await.0, "DNCC");
    assert_eq!(db.lead_state(3).await.0, "DNCC");
    assert_eq!(db.lead_state(5).await.0, "DNCC");
    assert_eq!(db.hopper_rows(4).await, 1);
    db.drop_db().await;
}

/// The campaign is looked up `where campaign_id='$x'` (`AST_VDhopper.pl`
/// line 645, VICIdial 2.14), call times `where call_time_id='$x'` (line 1606), override
/// containers `where container_id='$x'` (line 3819): a callback of campaign
/// `c` is activated and dialed under campaign `C`, whose call time is named
/// `9AM-9PM ` in another case; a 24-hour call whose `phone_code` has a
/// trailing space is counted (line 3777).
#[tokio::test]
async fn item5_ids_and_phone_codes_match_as_mysql_matches_them() {
    let db = limited_campaign(
        "f_id_collation",
        "PHONE_NUMBER",
        "tfh",
        "state=>USA,IL,1",
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
         VALUES (99, 101, '2026-03-04 06:00:00', '3125550002', '1 ')",
    )
    .await;
    db.exec("UPDATE vicidial_campaigns SET local_call_time = '9AM-9PM '")
        .await;
    db.lead(1, 101, &[("gmt_offset_now", "-6.00")]).await;
    db.callback(10, 1, "c", 101, &[]).await;
    db.lead(2, 101, &[("gmt_offset_now", "-6.00")]).await;
    db.callback(20, 2, "C", 101, &[]).await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.limited, s.errors), (1, 1, 1, 0), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(
        db.value("SELECT campaign_id FROM vicidial_hopper WHERE lead_id = 1")
            .await,
        "c"
    );
    assert_eq!(db.callback_status(20).await, "TFHCCL", "Illinois allows one call");
    // 06:00 lead time: outside 9AM-9PM, found whatever its case.
    db.exec(
        "UPDATE vicidial_callbacks SET status = 'ACTIVE', callback_time = '2026-03-04 07:00:00' WHERE callback_id = 10",
    )
    .await;
    db.exec("DELETE FROM vicidial_hopper").await;
    let s = db.pass_at(Some(&t("07:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    db.drop_db().await;
}

/// `vicidial_phone_codes.country_code` is a SMALLINT: VICIdial's
/// `country_code='$phone_code'` (`AST_VDhopper.pl` line 3802, VICIdial 2.14) compares numbers, so a lead's
/// `'01'`, `'+1'` or `'1 '` finds the area code's state, and the state's
/// override applies.
#[tokio::test]
async fn item6_phone_codes_match_the_country_code_as_a_number() {
    let db = limited_campaign("f_phone_code", "LEAD", "TFH", "state=>USA,IL,1", "").await;
    for (lead, code) in [(1, "01"), (2, "+1"), (3, "1 "), (4, "44")] {
        db.lead(lead, 101, &[("phone_code", code)]).await;
        db.callback(lead * 10, lead, "C", 101, &[]).await;
        db.exec(&format!(
            "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
             VALUES ({lead}, 101, '2026-03-04 06:00:00', '3125550000', '{code}')"
        ))
        .await;
    }
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.limited, s.inserted), (3, 1), "{s}");
    assert_eq!(db.hopper_rows(4).await, 1, "country 44 has no Illinois");
    db.drop_db().await;
}

/// The container's arrows are normalized in one pass (`s/ => |=> |
/// =>/=>/gi`, `AST_VDhopper.pl` line 3838, VICIdial 2.14): `state  => USA,IL,1` keeps a space, `s/state=>//`
/// misses, the country reads `state =>USA`, and VICIdial ignores the line.
#[tokio::test]
async fn item7_an_override_line_vicidial_cannot_read_is_not_applied() {
    let db = limited_campaign(
        "f_container",
        "LEAD",
        "TFH",
        "state  => USA,IL,1",
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
         VALUES (1, 101, '2026-03-04 06:00:00', '3125550001', '1')",
    )
    .await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.limited, s.inserted), (0, 1), "the campaign's 3 applies: {s}");
    db.drop_db().await;
}

/// `expiration_date < today` (`AST_VDhopper.pl` line 523, VICIdial 2.14) is true for `0000-00-00`:
/// the list is inactive, and with the default mode its callback is held.
#[tokio::test]
async fn item8_a_zero_expiration_date_is_expired() {
    let db = TestDb::single("f_zero_date", &[], &[], &[]).await;
    db.exec("UPDATE vicidial_lists SET expiration_date = '0000-00-00' WHERE list_id = 101")
        .await;
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    db.drop_db().await;
}

/// VICIdial inserts `state=\"$CA_state\"` and
/// `vendor_lead_code=\"$CA_vendor_lead_code\"` (`AST_VDhopper.pl` line 767, VICIdial 2.14): Perl's undef is
/// `''`, which its call-time clean-up (`state NOT IN (...)`) relies on.
#[tokio::test]
async fn item9_null_state_and_vendor_lead_code_go_in_as_empty() {
    let db = TestDb::single(
        "f_null_state",
        &[],
        &[("state", "NULL"), ("vendor_lead_code", "NULL")],
        &[],
    )
    .await;
    assert_eq!(db.pass_at(Some(&t("10:00:00"))).await.inserted, 1);
    let row = db
        .rows("SELECT state IS NULL, state, vendor_lead_code IS NULL, vendor_lead_code FROM vicidial_hopper")
        .await;
    assert_eq!(row, vec![vec!["0", "", "0", ""]]);
    db.drop_db().await;
}

/// The server's zone comes from the database, changes included: a
/// hold decided before a change wakes at the right server time after it.
/// Spring: at 23:00 EST on March 7 a lead at -8.00 (20:00 its time) opens at
/// 09:00 its time on March 8 = 17:00 UTC = 13:00 EDT (not 12:00). Autumn: at
/// 23:00 EDT on October 31 a lead at -10.00 opens at 09:00 its time on
/// November 1 = 19:00 UTC = 14:00 EST (not 15:00).
#[tokio::test]
async fn item10_openings_after_a_daylight_saving_change_convert_with_the_new_offset() {
    for (tag, now, offset, expected) in [
        ("f_dst_spring", "2026-03-07 23:00:00", "-8.00", "2026-03-08 13:00:00"),
        ("f_dst_autumn", "2026-10-31 23:00:00", "-10.00", "2026-11-01 14:00:00"),
    ] {
        let db = TestDb::single(
            tag,
            &[("local_call_time", "9am-5pm")],
            &[("gmt_offset_now", offset)],
            &[("entry_time", now), ("callback_time", now)],
        )
        .await;
        let s = db.pass_at(Some(now)).await;
        assert_eq!((s.activated, s.pending), (1, 1), "{tag}: {s}");
        assert_eq!(s.next_wake.map(|w| w.to_string()).as_deref(), Some(expected), "{tag}");
        db.drop_db().await;
    }
}

/// The zone the engine reads has the database's own changes, to the
/// second: New York springs forward at 07:00 UTC on 2026-03-08 and falls
/// back at 06:00 UTC on 2026-11-01.
#[tokio::test]
async fn item10_the_servers_zone_is_read_from_the_database() {
    use chrono::NaiveDateTime;
    use vicidial_callbackd::db::clock;
    let db = TestDb::new("f_zone").await;
    let mut session = db.db.session().await.unwrap();
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    for (center, change, offset) in [
        ("2026-03-06 12:00:00", "2026-03-08 07:00:00", -4 * 3600),
        ("2026-10-30 12:00:00", "2026-11-01 06:00:00", -5 * 3600),
    ] {
        let zone = clock::zone(&mut session, at(center), 3, 5).await.unwrap();
        assert_eq!(zone.changes(), &[(at(change), offset)], "around {center}");
    }
    // The repeated autumn hour: 01:30 local happens twice; --now takes the first.
    let zone = clock::zone(&mut session, at("2026-10-30 12:00:00"), 3, 5)
        .await
        .unwrap();
    assert_eq!(zone.to_utc(at("2026-11-01 01:30:00")), at("2026-11-01 05:30:00"));
    drop(session);
    db.drop_db().await;
}

/// LIVE ANYONE callbacks VICIdial left undialed long ago (a night
/// call time deletes their hopper row for ever) are not dialed on first
/// start: only those that became dialable within `repair_max_age_days`.
#[tokio::test]
async fn item11_old_undialed_callbacks_are_left_alone() {
    let db = TestDb::new("f_old").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for (lead, days) in [(1, 30), (2, 6)] {
        db.lead(lead, 101, &[("status", "CALLBK"), ("called_since_last_reset", "N")])
            .await;
        db.callback(lead * 10, lead, "C", 101, &[("status", "LIVE")]).await;
        db.exec(&format!(
            "UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL {days} DAY, \
             entry_time = NOW() - INTERVAL {days} DAY - INTERVAL 1 HOUR, \
             modify_date = NOW() - INTERVAL {days} DAY WHERE callback_id = {}",
            lead * 10
        ))
        .await;
    }
    let out = common::callbackd()
        .args(["--database-url", &db.url, "once"])
        // The test harness's own variables share the daemon's CALLBACKD_ prefix.
        .env_remove("CALLBACKD_PYTHON")
        .env_remove("CALLBACKD_TEST_SERVER")
        .env("CALLBACKD_EMAIL__ENABLED", "false")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 LIVE ANYONE callbacks look undialed"), "{stderr}");
    assert_eq!((db.hopper_rows(1).await, db.hopper_rows(2).await), (0, 1));
    db.drop_db().await;
}

/// Rows that stay due for ever (here, callbacks of a campaign that
/// does not exist) are decided once and not fetched again every pass; more
/// of them than a pass takes cannot keep a newer callback waiting.
#[tokio::test]
async fn item13_rows_that_stay_due_cannot_starve_new_callbacks() {
    let db = TestDb::new("f_starve").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for lead in 1..=6 {
        db.lead(lead, 101, &[]).await;
        db.callback(lead * 10, lead, "GONE", 101, &[("callback_time", &t("09:00:00"))])
            .await;
    }
    db.lead(7, 101, &[]).await;
    db.callback(70, 7, "C", 101, &[("callback_time", &t("09:30:00"))]).await;
    let mut engine = vicidial_callbackd::engine::Engine::new(
        db.db.clone(),
        vicidial_callbackd::config::EngineConfig {
            batch_size: 2,
            max_per_pass: 2,
            ..Default::default()
        },
    );
    let at = chrono::NaiveDateTime::parse_from_str(&t("10:00:00"), "%Y-%m-%d %H:%M:%S").unwrap();
    let options = vicidial_callbackd::engine::PassOptions {
        at: Some(at),
        dry_run: false,
    };
    let mut passes = 0;
    while db.callback_status(70).await != "LIVE" {
        passes += 1;
        assert!(passes <= 4, "the good callback waited {passes} passes");
        engine.pass(options, &|| false).await.unwrap();
    }
    assert_eq!(db.hopper_rows(7).await, 1);
    // Now every bad row is known: a new callback goes in on the next pass.
    db.lead(8, 101, &[]).await;
    db.callback(80, 8, "C", 101, &[("callback_time", &t("09:45:00"))]).await;
    let s = engine.pass(options, &|| false).await.unwrap();
    assert_eq!((s.activated, s.inserted, s.errors), (1, 1, 6), "{s}");
    db.drop_db().await;
}

/// A claim that another process raced (VICIdial's cron activated
/// callback 20 and the dialer dialed its lead between the daemon's read and
/// its claim) gives only leads still in CBHOLD their callback status: the
/// dialed lead keeps `called_since_last_reset='Y'` and gets no hopper row.
#[tokio::test]
async fn item14_a_contended_claim_never_makes_a_dialed_lead_dialable_again() {
    let db = TestDb::new("f_contended").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for lead in [1, 2] {
        db.lead(lead, 101, &[]).await;
        db.callback(lead * 10, lead, "C", 101, &[]).await;
    }
    db.db.interleave_before_write(
        0,
        "UPDATE vicidial_callbacks SET status = 'LIVE' WHERE callback_id = 20; \
         UPDATE vicidial_list SET status = 'CALLBK', called_since_last_reset = 'Y', user = 'VDAD' WHERE lead_id = 2",
    );
    let s = db.pass_at(Some(&t("10:00:00"))).await;
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    assert_eq!(db.lead_state(2).await, ("CALLBK".into(), "Y".into()));
    assert_eq!((db.hopper_rows(1).await, db.hopper_rows(2).await), (1, 0));
    db.drop_db().await;
}

/// After a database error the next pass is a full one: a pending
/// callback that nothing signals (its lead put back in the callback's status
/// by hand; leads are not watched between full passes) is found then, not a
/// full-pass interval later.
#[tokio::test]
async fn item16_a_database_error_brings_a_full_pass() {
    let db = TestDb::new("f_full_scan").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[("status", "NA"), ("called_since_last_reset", "Y")])
        .await;
    db.callback(10, 1, "C", 101, &[("status", "LIVE")]).await;
    db.exec(
        "UPDATE vicidial_callbacks SET callback_time = NOW() - INTERVAL 2 HOUR, \
         entry_time = NOW() - INTERVAL 3 HOUR, modify_date = NOW() - INTERVAL 1 HOUR WHERE callback_id = 10",
    )
    .await;
    let mut engine = vicidial_callbackd::engine::Engine::new(
        db.db.clone(),
        vicidial_callbackd::config::EngineConfig {
            full_scan_seconds: 3600,
            ..Default::default()
        },
    );
    assert!(
        !engine.tick(&|| false).await.unwrap().did_work(),
        "the first tick is a full pass"
    );
    db.exec("UPDATE vicidial_list SET status = 'CALLBK', called_since_last_reset = 'N' WHERE lead_id = 1")
        .await;
    assert_eq!(engine.tick(&|| false).await.unwrap().inserted, 0, "nothing signals it");
    // The hopper goes missing for a moment, as in a MySQL restart: the tick fails.
    db.exec("RENAME TABLE vicidial_hopper TO hopper_away").await;
    assert!(engine.tick(&|| false).await.is_err());
    db.exec("RENAME TABLE hopper_away TO vicidial_hopper").await;
    assert_eq!(
        engine.tick(&|| false).await.unwrap().inserted,
        1,
        "a full pass after the error"
    );
    db.drop_db().await;
}
