//! Rules that run both in Rust and inside SQL agree, on generated rows: the
//! SQL fragment a rule's module owns is evaluated by the server and compared
//! with the Rust function on the same values.

mod common;

use chrono::{Duration, NaiveDateTime};
use common::TestDb;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};
use vicidial_callbackd::rules::hours_block;

/// A row as the agreement query reads it: id, `entry_time` as text, the
/// block, the SQL's end, the SQL's "over", the SQL's "dialable from".
type Row = (u32, Option<String>, u32, Option<NaiveDateTime>, i64, NaiveDateTime);

/// The hours block's end, whether it is over, and when the callback could
/// first be dialed, for every campaign block
/// (0, 1, 4, 24 hours) and every kind of `entry_time` (NULL, a zero date,
/// before, at and after the moment asked about).
#[tokio::test]
async fn the_hours_block_in_sql_agrees_with_the_rule() {
    let db = TestDb::new("rules_hours_block").await;
    let now = common::at("12:00:00");
    let entries: Vec<Option<String>> = vec![
        None,
        Some("0000-00-00 00:00:00".into()),
        Some((now - Duration::hours(25)).to_string()),
        Some((now - Duration::hours(4)).to_string()),
        Some((now - Duration::minutes(210)).to_string()),
        Some((now - Duration::minutes(30)).to_string()),
        Some(now.to_string()),
        Some((now + Duration::hours(1)).to_string()),
    ];
    let blocks = [0u32, 1, 4, 24];
    let callback_time = now - Duration::hours(2);
    let mut id = 0;
    for (b, block) in blocks.iter().enumerate() {
        let campaign = format!("HB{b}");
        db.campaign(&campaign, &[("callback_hours_block", &block.to_string())])
            .await;
        for entry in &entries {
            id += 1;
            db.callback(id, id, &campaign, 101, &[("callback_time", &callback_time.to_string())])
                .await;
            let value = entry.as_ref().map_or("NULL".to_string(), |e| format!("'{e}'"));
            db.exec(&format!(
                "SET SESSION sql_mode = ''; UPDATE vicidial_callbacks SET entry_time = {value} WHERE callback_id = {id}"
            ))
            .await;
        }
    }
    let mut conn = Conn::new(Opts::from_url(&db.url).unwrap()).await.unwrap();
    let rows: Vec<Row> = conn
        .exec(
            format!(
                "SELECT cb.callback_id, CAST(cb.entry_time AS CHAR), c.callback_hours_block, {}, {}, {} \
                 FROM vicidial_callbacks cb JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
                 ORDER BY cb.callback_id",
                hours_block::ENDS_SQL,
                hours_block::OVER_AT_SQL,
                hours_block::DIALABLE_FROM_SQL
            ),
            (now,),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), blocks.len() * entries.len());
    for (id, entry, block, sql_end, sql_over, sql_dialable) in rows {
        // As the daemon reads the column: a zero date is no time at all.
        let entry = entry
            .filter(|e| !e.starts_with("0000"))
            .map(|e| NaiveDateTime::parse_from_str(&e, "%Y-%m-%d %H:%M:%S").unwrap());
        assert_eq!(
            sql_end,
            hours_block::ends(entry, block),
            "callback {id}: {entry:?} + {block} h"
        );
        assert_eq!(
            sql_over == 1,
            !hours_block::holds(entry, block, now),
            "callback {id}: {entry:?} + {block} h at {now}"
        );
        assert_eq!(
            sql_dialable,
            hours_block::dialable_from(callback_time, entry, block),
            "callback {id}: dialable from, {entry:?} + {block} h"
        );
    }
    drop(conn);
    db.drop_db().await;
}

/// The pending rule's "undialed" (the lead in the callback's status, not
/// called since) in SQL and in Rust, over every mix of a callback's
/// `lead_status` (empty, NULL, spaces, a status, another case) and a lead's
/// status and `called_since_last_reset`.
#[tokio::test]
async fn undialed_in_sql_agrees_with_the_rule() {
    let db = TestDb::new("rules_undialed").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    let callback_statuses = [None, Some(""), Some("  "), Some("CALLBK"), Some("SALE"), Some("callbk")];
    let lead_statuses = ["CALLBK", "callbk", "CALLBK ", "SALE", "CBHOLD", ""];
    let mut id = 0;
    for cb_status in callback_statuses {
        for lead_status in lead_statuses {
            for csr in ["N", "Y"] {
                id += 1;
                db.lead(id, 101, &[("status", lead_status), ("called_since_last_reset", csr)])
                    .await;
                db.callback(id, id, "C", 101, &[("lead_status", cb_status.unwrap_or("NULL"))])
                    .await;
            }
        }
    }
    let mut conn = Conn::new(Opts::from_url(&db.url).unwrap()).await.unwrap();
    let rows: Vec<(u32, Option<String>, String, String, i64)> = conn
        .query(format!(
            "SELECT cb.callback_id, cb.lead_status, l.status, l.called_since_last_reset, {} \
             FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id ORDER BY cb.callback_id",
            vicidial_callbackd::rules::pending::UNDIALED_SQL
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), id as usize);
    let mut undialed = 0;
    for (id, cb_status, status, csr, sql) in rows {
        // As the daemon reads the column: NULL is empty.
        let rust = vicidial_callbackd::rules::pending::undialed(cb_status.as_deref().unwrap_or(""), &status, &csr);
        assert_eq!(
            sql == 1,
            rust,
            "callback {id}: lead_status {cb_status:?}, lead {status:?}/{csr}"
        );
        undialed += u32::from(rust);
    }
    assert!(undialed > 5, "the rows hold both answers");
    drop(conn);
    db.drop_db().await;
}

/// A row as the due query reads it: id, status, `callback_time` as text, the SQL's answer.
type DueRow = (u32, Option<String>, Option<String>, Option<i64>);

/// "Due" (`rules::status`): every status as MySQL compares it (case,
/// trailing spaces, NULL) against every kind of `callback_time` (NULL, the
/// zero date, before, at and after now).
#[tokio::test]
async fn due_in_sql_agrees_with_the_rule() {
    let db = TestDb::new("rules_due").await;
    db.campaign("C", &[]).await;
    let now = common::at("12:00:00");
    let statuses = [
        None,
        Some("ACTIVE"),
        Some("active "),
        Some("TFHCCL"),
        Some("Tfhccl"),
        Some("LIVE"),
        Some("INACTIVE"),
        Some(""),
    ];
    let times: Vec<Option<String>> = vec![
        None,
        Some("0000-00-00 00:00:00".into()),
        Some((now - Duration::hours(1)).to_string()),
        Some(now.to_string()),
        Some((now + Duration::seconds(1)).to_string()),
        Some((now + Duration::days(1)).to_string()),
    ];
    let mut id = 0;
    for status in statuses {
        for time in &times {
            id += 1;
            db.callback(id, id, "C", 101, &[]).await;
            let quote = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
            db.exec(&format!(
                "SET SESSION sql_mode = ''; UPDATE vicidial_callbacks SET status = {}, callback_time = {} \
                 WHERE callback_id = {id}",
                quote(status),
                quote(time.as_deref())
            ))
            .await;
        }
    }
    let mut conn = Conn::new(Opts::from_url(&db.url).unwrap()).await.unwrap();
    let rows: Vec<DueRow> = conn
        .exec(
            format!(
                "SELECT callback_id, status, CAST(callback_time AS CHAR), {} FROM vicidial_callbacks \
                 ORDER BY callback_id",
                vicidial_callbackd::rules::status::DUE_SQL
            ),
            (now,),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), id as usize);
    let mut due = 0;
    for (id, status, time, sql) in rows {
        // The zero date orders before every time, as the rule's doc says.
        let parsed = time.as_deref().map(|t| {
            if t.starts_with("0000") {
                NaiveDateTime::MIN
            } else {
                NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap()
            }
        });
        let rust = vicidial_callbackd::rules::status::is_due(status.as_deref().unwrap_or(""), parsed, now);
        // SQL's NULL (a NULL status or time) selects nothing, as false does.
        assert_eq!(sql == Some(1), rust, "callback {id}: {status:?} at {time:?}");
        due += u32::from(rust);
    }
    assert!(due >= 8, "the rows hold both answers ({due} due)");
    drop(conn);
    db.drop_db().await;
}

/// A LIVE USERONLY callback gone stale (`rules::useronly_move`): campaigns
/// that move after 0, 1, 60 and 1440 minutes, times on either side of the
/// moment and on it, and NULL.
#[tokio::test]
async fn the_stale_useronly_rule_in_sql_agrees_with_the_rule() {
    let db = TestDb::new("rules_useronly_move").await;
    let now = common::at("12:00:00");
    let mut id = 0;
    let mut cases = Vec::new();
    for minutes in [0u64, 1, 60, 1440] {
        let campaign = format!("M{minutes}");
        db.campaign(&campaign, &[("callback_useronly_move_minutes", &minutes.to_string())])
            .await;
        let edge = now - Duration::minutes(minutes as i64);
        for time in [
            None,
            Some(edge - Duration::seconds(1)),
            Some(edge),
            Some(edge + Duration::seconds(1)),
            Some(now - Duration::days(3)),
        ] {
            id += 1;
            let value = time.map_or("NULL".to_string(), |t| t.to_string());
            db.callback(
                id,
                id,
                &campaign,
                101,
                &[("status", "LIVE"), ("recipient", "USERONLY"), ("callback_time", &value)],
            )
            .await;
            cases.push((id, minutes, time));
        }
    }
    let mut conn = Conn::new(Opts::from_url(&db.url).unwrap()).await.unwrap();
    let stale: Vec<(u32, Option<i64>)> = conn
        .exec(
            format!(
                "SELECT cb.callback_id, {} FROM vicidial_callbacks cb \
                 JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id ORDER BY cb.callback_id",
                vicidial_callbackd::rules::useronly_move::STALE_SQL
            ),
            (now,),
        )
        .await
        .unwrap();
    assert_eq!(stale.len(), cases.len());
    let mut moved = 0;
    for ((id, minutes, time), (sql_id, sql)) in cases.into_iter().zip(stale) {
        assert_eq!(id, sql_id);
        use vicidial_callbackd::rules::useronly_move::{is_stale, moves_at};
        let rust = is_stale(moves_at(time, minutes), now);
        assert_eq!(sql == Some(1), rust, "callback {id}: {minutes} minutes, time {time:?}");
        moved += u32::from(rust);
    }
    assert!(moved >= 6, "the rows hold both answers ({moved} stale)");
    drop(conn);
    db.drop_db().await;
}
