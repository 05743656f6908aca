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
