//! The gates before the hopper (README, "The gates"): call time, hours block, DNC and the
//! 24-hour limit, against a real MariaDB. The test server runs in New York
//! time, on EST (-5.00) on the test calendar's March 4, so a lead at -10.00 is
//! five hours behind the `--now` times below.

mod common;

use common::{TestDb, t};

/// Campaign C (with `campaign` settings), list 101, lead 1 at `offset`, an
/// ANYONE callback 10 due at 08:00 (set at 07:00).
async fn setup(tag: &str, campaign: &[(&str, &str)], lead: &[(&str, &str)]) -> TestDb {
    let times = [("entry_time", t("07:00:00")), ("callback_time", t("08:00:00"))];
    let callback: Vec<(&str, &str)> = times.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestDb::single(tag, campaign, lead, &callback).await
}

#[tokio::test]
async fn a_callback_due_at_3am_lead_time_is_held_then_inserted_once_at_9am() {
    // 08:00 EST is 03:00 for a lead at -10.00; 9am-9pm opens at 14:00 EST.
    let db = setup(
        "calltime",
        &[("local_call_time", "9am-9pm")],
        &[("gmt_offset_now", "-10.00")],
    )
    .await;
    let s = db.pass_at(Some(&t("08:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    assert_eq!(
        db.callback_status(10).await,
        "LIVE",
        "held callbacks are LIVE, never left ACTIVE for the cron"
    );
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    assert_eq!(db.hopper_rows(1).await, 0);
    assert_eq!(
        s.next_wake.unwrap().to_string(),
        t("14:00:00"),
        "wakes when the gate opens"
    );
    // One minute before the opening: still held.
    let s = db.pass_at(Some(&t("13:59:00"))).await;
    assert_eq!((s.inserted, s.pending), (0, 1), "{s}");
    // At the opening: in, once.
    let s = db.pass_at(Some(&t("14:00:00"))).await;
    assert_eq!((s.inserted, s.pending), (1, 0), "{s}");
    assert_eq!(db.pass_at(Some(&t("14:00:30"))).await.inserted, 0);
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn the_running_engine_remembers_holds_and_still_inserts_at_the_opening() {
    let db = setup(
        "memo",
        &[("local_call_time", "9am-9pm")],
        &[("gmt_offset_now", "-10.00")],
    )
    .await;
    let mut engine = db.engine(500);
    let at = |hms: &str| vicidial_callbackd::engine::PassOptions {
        at: Some(chrono::NaiveDateTime::parse_from_str(&t(hms), "%Y-%m-%d %H:%M:%S").unwrap()),
        dry_run: false,
    };
    for hms in ["08:00:00", "08:00:01", "09:00:00", "13:59:59"] {
        let s = engine.pass(at(hms), &|| false).await.unwrap();
        assert_eq!((s.inserted, s.pending), (0, 1), "at {hms}: {s}");
    }
    let s = engine.pass(at("14:00:00"), &|| false).await.unwrap();
    assert_eq!(s.inserted, 1, "{s}");
    db.drop_db().await;
}

#[tokio::test]
async fn a_held_callback_whose_lead_was_dialed_meanwhile_is_never_inserted() {
    let db = setup(
        "dialedheld",
        &[("local_call_time", "9am-9pm")],
        &[("gmt_offset_now", "-10.00")],
    )
    .await;
    assert_eq!(db.pass_at(Some(&t("08:00:00"))).await.pending, 1);
    // An agent dials the lead by hand at 10:00 (server time).
    db.exec(
        "UPDATE vicidial_list SET called_since_last_reset = 'Y', last_local_call_time = '2026-03-04 10:00:00' \
         WHERE lead_id = 1",
    )
    .await;
    let s = db.pass_at(Some(&t("14:00:00"))).await;
    assert_eq!((s.inserted, s.pending), (0, 0), "{s}");
    assert_eq!(db.hopper_rows(1).await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn a_list_call_time_stricter_than_the_campaign_holds() {
    let db = setup(
        "listct",
        &[("local_call_time", "24hours")],
        &[("gmt_offset_now", "-10.00")],
    )
    .await;
    db.exec("UPDATE vicidial_lists SET local_call_time = '9am-5pm' WHERE list_id = 101")
        .await;
    db.exec("UPDATE vicidial_callbacks SET callback_time = '2026-03-04 22:30:00'")
        .await;
    // 22:30 EST = 17:30 lead time: outside the list's 9am-5pm, though the campaign says 24 hours.
    let s = db.pass_at(Some(&t("22:30:00"))).await;
    assert_eq!((s.inserted, s.pending), (0, 1), "{s}");
    assert_eq!(s.next_wake.unwrap().to_string(), "2026-03-05 14:00:00");
    db.drop_db().await;
}

#[tokio::test]
async fn an_unknown_campaign_call_time_is_never_dialed() {
    let db = setup("unknownct", &[("local_call_time", "nosuch")], &[]).await;
    let s = db.pass_at(Some(&t("15:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    db.drop_db().await;
}

#[tokio::test]
async fn the_hours_block_holds_until_entry_time_plus_hours() {
    // Set at 07:00 with a 4-hour block: not before 11:00.
    let db = setup("hoursblock", &[("callback_hours_block", "4")], &[]).await;
    let s = db.pass_at(Some(&t("08:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.pending), (1, 0, 1), "{s}");
    assert_eq!(s.next_wake.unwrap().to_string(), t("11:00:00"));
    assert_eq!(db.pass_at(Some(&t("10:59:59"))).await.inserted, 0);
    assert_eq!(db.pass_at(Some(&t("11:00:00"))).await.inserted, 1);
    assert_eq!(db.hopper_rows(1).await, 1);
    db.drop_db().await;
}

/// A pass gathers its DNC kills over batches and writes them a few hundred
/// at a time: with 400 hits in batches of 100 some are written mid-pass and
/// the rest at its end, and every one is killed (lead first), none queued.
#[tokio::test]
async fn dnc_kills_gathered_over_batches_are_all_written() {
    let db = TestDb::new("dnc_gathered").await;
    db.bulk(2000).await;
    db.exec("UPDATE vicidial_campaigns SET callback_dnc = 'ENABLED', use_internal_dnc = 'Y' WHERE campaign_id = 'C'")
        .await;
    // Every fifth lead's phone is listed: 400 of the 1,400 ANYONE callbacks.
    db.exec("INSERT INTO vicidial_dnc (phone_number) SELECT phone_number FROM vicidial_list WHERE lead_id % 5 = 0")
        .await;
    let s = db
        .engine(100)
        .pass(vicidial_callbackd::engine::PassOptions::default(), &|| false)
        .await
        .unwrap();
    assert_eq!((s.dead, s.inserted), (400, 1000), "{s}");
    let count = |sql: &'static str| db.count(sql);
    assert_eq!(
        count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'DNCL' AND lead_id % 5 = 0").await,
        400
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'DEAD' AND lead_id % 5 = 0").await,
        400
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM vicidial_hopper h JOIN vicidial_dnc d ON d.phone_number = (SELECT phone_number FROM vicidial_list l WHERE l.lead_id = h.lead_id)").await,
        0,
        "a listed number queued"
    );
    db.drop_db().await;
}

/// A DNC case: campaign settings, DNC rows, and whether callback 10 is killed with which lead status.
async fn dnc_case(tag: &str, campaign: &[(&str, &str)], setup_sql: &[&str], killed: Option<&str>) {
    let mut settings = vec![("callback_dnc", "ENABLED")];
    settings.extend_from_slice(campaign);
    let db = setup(tag, &settings, &[("phone_number", "3125550100")]).await;
    db.campaign("OTHER", &[]).await;
    // Another open callback of the same lead dies too; a final one does not.
    db.callback(
        11,
        1,
        "C",
        101,
        &[("recipient", "USERONLY"), ("callback_time", "2026-03-05 10:00:00")],
    )
    .await;
    db.callback(12, 1, "C", 101, &[("status", "INACTIVE")]).await;
    for sql in setup_sql {
        db.exec(sql).await;
    }
    let s = db.pass_at(Some(&t("08:00:00"))).await;
    match killed {
        Some(status) => {
            assert_eq!((s.dead, s.inserted), (2, 0), "{tag}: {s}");
            assert_eq!(db.lead_state(1).await.0, status, "{tag}");
            assert_eq!(db.callback_status(10).await, "DEAD", "{tag}");
            assert_eq!(db.callback_status(11).await, "DEAD", "{tag}");
            assert_eq!(db.callback_status(12).await, "INACTIVE", "{tag}: final callbacks stay");
            assert_eq!(db.hopper_rows(1).await, 0, "{tag}");
        }
        None => {
            assert_eq!((s.dead, s.inserted), (0, 1), "{tag}: {s}");
            assert_eq!(db.callback_status(11).await, "ACTIVE", "{tag}");
        }
    }
    db.drop_db().await;
}

#[tokio::test]
async fn dnc_internal_exact() {
    let hit = ["INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550100')"];
    dnc_case("dnc_int_y", &[("use_internal_dnc", "Y")], &hit, Some("DNCL")).await;
    dnc_case("dnc_int_n", &[("use_internal_dnc", "N")], &hit, None).await;
    // callback_dnc DISABLED: VICIdial does not check callbacks at all.
    dnc_case(
        "dnc_off",
        &[("use_internal_dnc", "Y"), ("callback_dnc", "DISABLED")],
        &hit,
        None,
    )
    .await;
}

#[tokio::test]
async fn dnc_internal_areacode() {
    let area = ["INSERT INTO vicidial_dnc (phone_number) VALUES ('312XXXXXXX')"];
    dnc_case("dnc_int_area", &[("use_internal_dnc", "AREACODE")], &area, Some("DNCL")).await;
    dnc_case("dnc_int_area_y", &[("use_internal_dnc", "Y")], &area, None).await;
}

#[tokio::test]
async fn dnc_campaign_exact_areacode_and_other_campaign() {
    let own = ["INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) VALUES ('3125550100', 'C')"];
    dnc_case("dnc_camp_y", &[("use_campaign_dnc", "Y")], &own, Some("DNCC")).await;
    let area = ["INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) VALUES ('312XXXXXXX', 'C')"];
    dnc_case(
        "dnc_camp_area",
        &[("use_campaign_dnc", "AREACODE")],
        &area,
        Some("DNCC"),
    )
    .await;
    dnc_case("dnc_camp_area_y", &[("use_campaign_dnc", "Y")], &area, None).await;
    let other = ["INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) VALUES ('3125550100', 'OTHER')"];
    dnc_case(
        "dnc_other",
        &[("use_campaign_dnc", "Y"), ("use_other_campaign_dnc", "OTHER")],
        &other,
        Some("DNCC"),
    )
    .await;
    dnc_case("dnc_not_other", &[("use_campaign_dnc", "Y")], &other, None).await;
}

/// A due scan reads its rows' DNC entries with their leads, as joins
/// (`callbacks::read_leads`); the batch statement a pass falls back on
/// reads them as subqueries joined to the callbacks (`facts::gather`). Both
/// read the same entries for every kind of match: number and area code,
/// internal and campaign lists, another campaign's list, case and trailing
/// spaces, a campaign id stored in another case, a USERONLY callback and a
/// campaign without a DNC check (nothing looked up).
#[tokio::test]
async fn dnc_entries_read_with_the_leads_are_those_the_batch_statement_reads() {
    use vicidial_callbackd::db::callbacks::{self, Scan};
    use vicidial_callbackd::db::facts::{self, DncAhead, Wanted};
    use vicidial_callbackd::rules::dnc::DncLookups;
    use vicidial_callbackd::rules::model::Facts;

    let db = TestDb::new("dnc_two_forms").await;
    let check = [("callback_dnc", "ENABLED")];
    db.campaign("C", &check).await;
    db.campaign("D", &[("callback_dnc", "ENABLED"), ("use_other_campaign_dnc", "other")])
        .await;
    db.campaign("OTHER", &[]).await;
    db.campaign("E", &[]).await;
    db.list(101, "C", &[]).await;
    db.exec(
        "INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550001 '), ('313XXXXXXX'); \
         INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) \
           VALUES ('3125550003', 'c'), ('314XXXXXXX', 'C'), ('3125550005', 'OTHER'), ('3125550006', 'C')",
    )
    .await;
    let cases = [
        (1, "3125550001", "C", "ANYONE"),
        (2, "3135550002", "C", "ANYONE"),
        (3, "3125550003", "c", "ANYONE"),
        (4, "3145550004", "C", "ANYONE"),
        (5, "3125550005", "D", "ANYONE"),
        (6, "3125550006", "D", "ANYONE"),
        (7, "3125550001", "C", "USERONLY"),
        (8, "3125550001", "E", "ANYONE"),
    ];
    for (lead, phone, campaign, recipient) in cases {
        db.lead(lead, 101, &[("phone_number", phone)]).await;
        db.callback(lead * 10, lead, campaign, 101, &[("recipient", recipient)])
            .await;
    }
    let all = DncLookups {
        internal_number: true,
        internal_areacode: true,
        campaign_number: true,
        campaign_areacode: true,
    };
    let mut s = db.db.session().await.unwrap();
    let now = chrono::NaiveDateTime::parse_from_str(&t("10:00:00"), "%Y-%m-%d %H:%M:%S").unwrap();
    let ids: Vec<u32> = cases.iter().map(|c| c.0 * 10).collect();
    let mut rows = callbacks::find(&mut s, Scan::Due(now), &ids, &DncAhead::default())
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.lead_unread && r.row.lead.is_none()));
    // Every row is asked for every entry here; a pass asks per campaign policy.
    let lookups = vec![Some(all); rows.len()];
    callbacks::read_leads(&mut s, &mut rows, &lookups).await.unwrap();
    let wanted = Wanted {
        dnc: ids.clone(),
        dnc_lookups: all,
        ..Wanted::default()
    };
    let batch = facts::gather(&mut s, now, &wanted, Facts::default()).await.unwrap();
    for r in &rows {
        let id = r.row.callback_id;
        assert_eq!(r.row.lead.as_ref().map(|l| l.lead_id), Some(id / 10));
        assert_eq!(r.dnc.as_ref(), batch.dnc.get(&id), "callback {id}");
    }
    let hits: Vec<(u32, [Option<bool>; 4])> = rows
        .iter()
        .map(|r| {
            let d = r.dnc.clone().unwrap_or_default();
            let entries = [
                d.internal_number,
                d.internal_areacode,
                d.campaign_number,
                d.campaign_areacode,
            ];
            (r.row.callback_id, entries)
        })
        .collect();
    let (y, n) = (Some(true), Some(false));
    assert_eq!(
        hits,
        vec![
            (10, [y, n, n, n]),
            (20, [n, y, n, n]),
            (30, [n, n, y, n]),
            (40, [n, n, n, y]),
            (50, [n, n, y, n]),
            (60, [n, n, n, n]),
            (70, [y, n, n, n]),
            (80, [y, n, n, n]),
        ]
    );
    drop(s);
    db.drop_db().await;
}

#[tokio::test]
async fn dnc_added_while_held_kills_at_the_opening() {
    let db = setup(
        "dnc_late",
        &[
            ("local_call_time", "9am-9pm"),
            ("callback_dnc", "ENABLED"),
            ("use_internal_dnc", "Y"),
        ],
        &[("gmt_offset_now", "-10.00"), ("phone_number", "3125550100")],
    )
    .await;
    assert_eq!(db.pass_at(Some(&t("08:00:00"))).await.pending, 1);
    db.exec("INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550100')")
        .await;
    let s = db.pass_at(Some(&t("14:00:00"))).await;
    assert_eq!((s.inserted, s.dead), (0, 1), "{s}");
    assert_eq!(db.lead_state(1).await.0, "DNCL");
    db.drop_db().await;
}

#[tokio::test]
async fn the_24_hour_limit_holds_as_tfhccl_then_lets_it_through_once_calls_age_out() {
    let db = setup(
        "limit24",
        &[("call_limit_24hour_method", "PHONE_NUMBER"), ("call_limit_24hour", "2")],
        &[("phone_number", "3125550100")],
    )
    .await;
    db.exec("UPDATE system_settings SET call_limit_24hour = '1'").await;
    // Two calls to the same number and code (from another lead) in the last day.
    db.exec(
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) VALUES \
         (99, 101, '2026-03-03 09:00:00', '3125550100', '1'), (99, 101, '2026-03-04 06:00:00', '3125550100', '1'), \
         (98, 101, '2026-03-04 06:00:00', '3125550100', '44')",
    )
    .await;
    let s = db.pass_at(Some(&t("08:00:00"))).await;
    assert_eq!((s.activated, s.inserted, s.limited), (0, 0, 1), "{s}");
    assert_eq!(db.callback_status(10).await, "TFHCCL");
    assert_eq!(db.lead_state(1).await.1, "D");
    // Retried every pass: at 09:00 the first call is more than a day old.
    let s = db.pass_at(Some(&t("09:00:01"))).await;
    assert_eq!((s.activated, s.inserted), (1, 1), "{s}");
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.lead_state(1).await, ("CALLBK".into(), "N".into()));
    db.drop_db().await;
}

#[tokio::test]
async fn the_24_hour_limit_by_lead_and_campaign_lists_scope() {
    let db = setup(
        "limitlead",
        &[
            ("call_limit_24hour_method", "LEAD"),
            ("call_limit_24hour", "1"),
            ("call_limit_24hour_scope", "CAMPAIGN_LISTS"),
        ],
        &[],
    )
    .await;
    db.exec("UPDATE system_settings SET call_limit_24hour = '1'").await;
    // A call from a list of another campaign does not count under CAMPAIGN_LISTS.
    db.exec(
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
         VALUES (1, 999, '2026-03-04 06:00:00', '3125550001', '1')",
    )
    .await;
    assert_eq!(db.pass_at(Some(&t("08:00:00"))).await.inserted, 1);
    db.exec("UPDATE vicidial_callbacks SET status = 'ACTIVE' WHERE callback_id = 10")
        .await;
    db.exec("DELETE FROM vicidial_hopper").await;
    db.exec("UPDATE vicidial_lead_24hour_calls SET list_id = 101").await;
    let s = db.pass_at(Some(&t("08:00:10"))).await;
    assert_eq!((s.limited, s.inserted), (1, 0), "{s}");
    db.drop_db().await;
}

#[tokio::test]
async fn the_per_state_override_container_lowers_the_limit_for_the_area_codes_state() {
    let db = setup(
        "limitstate",
        &[
            ("call_limit_24hour_method", "PHONE_NUMBER"),
            ("call_limit_24hour", "3"),
            ("call_limit_24hour_override", "TFH_STATES"),
        ],
        &[("phone_number", "3125550100"), ("state", "IL")],
    )
    .await;
    db.exec("UPDATE system_settings SET call_limit_24hour = '1'").await;
    db.exec(
        "INSERT INTO vicidial_settings_containers (container_id, container_notes, container_type, user_group, \
         container_entry) VALUES ('TFH_STATES', '24-hour limits by state', 'CALL_LIMIT_24HOUR', '---ALL---', \
         'method => state_areacode\\r\\n; Illinois allows one call a day\\r\\nstate => USA,IL,1\\r\\n')",
    )
    .await;
    db.exec(
        "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
         VALUES (1, 101, '2026-03-04 06:00:00', '3125550100', '1')",
    )
    .await;
    // One call against a campaign limit of 3: through, while 312 is not known to be Illinois.
    assert_eq!(db.pass_at(Some(&t("08:00:00"))).await.inserted, 1);
    db.exec("UPDATE vicidial_callbacks SET status = 'ACTIVE' WHERE callback_id = 10")
        .await;
    db.exec("DELETE FROM vicidial_hopper").await;
    db.exec(
        "INSERT INTO vicidial_phone_codes (country_code, country, areacode, state, GMT_offset, DST, DST_range, \
         geographic_description) VALUES (1, 'USA', '312', 'IL', '-6.00', 'Y', 'SSM-FSN', 'Chicago')",
    )
    .await;
    let s = db.pass_at(Some(&t("08:00:10"))).await;
    assert_eq!((s.limited, s.inserted), (1, 0), "Illinois allows one call: {s}");
    assert_eq!(db.callback_status(10).await, "TFHCCL");
    db.drop_db().await;
}

/// The engine keeps the settings it read while the probe shows their tables
/// unwritten since; a change (here the DNC check turned on, a second after
/// the last read or in the same second) is read before the next callback is
/// decided, so a callback is never inserted under settings that no longer
/// hold.
#[tokio::test]
async fn a_settings_change_is_read_by_the_next_pass_of_a_running_engine() {
    let db = setup(
        "settings_cache",
        &[("use_internal_dnc", "Y"), ("callback_dnc", "DISABLED")],
        &[("phone_number", "3125550100")],
    )
    .await;
    db.exec("INSERT INTO vicidial_dnc (phone_number) VALUES ('3125550100')")
        .await;
    let mut engine = db.engine(500);
    let at = |hms: &str| vicidial_callbackd::engine::PassOptions {
        at: Some(chrono::NaiveDateTime::parse_from_str(&t(hms), "%Y-%m-%d %H:%M:%S").unwrap()),
        dry_run: false,
    };
    // Not due yet: the settings are read (a second after the setup wrote
    // them, so they are kept) and read from memory the second time.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..2 {
        let s = engine.pass(at("07:30:00"), &|| false).await.unwrap();
        assert_eq!(s.activated, 0, "{s}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    db.exec("UPDATE vicidial_campaigns SET callback_dnc = 'ENABLED' WHERE campaign_id = 'C'")
        .await;
    let s = engine.pass(at("08:00:00"), &|| false).await.unwrap();
    assert_eq!((s.dead, s.inserted), (1, 0), "{s}");
    assert_eq!(db.hopper_rows(1).await, 0);
    assert_eq!(db.lead_state(1).await.0, "DNCL");
    db.drop_db().await;
}
