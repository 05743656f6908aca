//! Inserts into `vicidial_hopper`, the dialer's queue.

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::callbacks::UNDIALED;
use super::facts::dnc_clear;
use super::fence::HELD;
use super::{DbResult, RowReader, Session, ids, placeholders};
use crate::rules::dnc::DncLookups;

/// Inserts one hopper row per callback, exactly as VICIdial's hopper job does
/// (`AST_VDhopper.pl` line 767, VICIdial 2.14: the callback's campaign and list, the lead's
/// `gmt_offset_now`, `state` and `vendor_lead_code`, `user=''`,
/// `priority=50`, `source='C'`, `alt_dial='NONE'`), with `status` `READY` or
/// `RHOLD`. A NULL `state` or `vendor_lead_code` goes in as `''`, as Perl's
/// undef does: VICIdial's call-time clean-up (`state NOT IN (...)`) relies
/// on it. The statement re-checks, at the moment it runs, that the callback
/// is still LIVE ANYONE, the lead still undialed and not in the hopper: one
/// statement under one table lock, so neither the dialer nor a second writer
/// can slip a duplicate in between. It also re-checks what could make the
/// dial illegal since the decision: the lead's number is on none of the DNC
/// entries `dnc` names (the campaign's policy), and the lead's call window
/// is still open (`deadline`, UTC, against the database's clock). The
/// callbacks must belong to distinct leads. Returns the callbacks whose lead
/// got a row, and the ids of the rows (first and last).
pub async fn insert(
    s: &mut Session,
    callback_ids: &[u32],
    hopper_status: &str,
    dnc: DncLookups,
    deadline: NaiveDateTime,
) -> DbResult<(Vec<u32>, Option<(u64, u64)>)> {
    let sql = format!(
        "INSERT INTO vicidial_hopper \
           (lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, alt_dial, priority, source, vendor_lead_code) \
         SELECT l.lead_id, cb.campaign_id, ?, '', cb.list_id, l.gmt_offset_now, COALESCE(l.state, ''), 'NONE', 50, 'C', \
                COALESCE(l.vendor_lead_code, '') \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
           LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         WHERE cb.callback_id IN ({}) AND cb.status = 'LIVE' AND cb.recipient = 'ANYONE' AND {UNDIALED} \
           AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id) \
           AND {} AND UTC_TIMESTAMP(6) < ? AND {HELD}",
        placeholders(callback_ids.len()),
        dnc_clear(dnc),
    );
    let mut params = vec![Value::from(hopper_status)];
    params.extend(ids(callback_ids));
    params.push(deadline.into());
    let (inserted, first_id) = s.insert(&sql, params).await?;
    // One statement's rows have consecutive ids (MyISAM and MEMORY lock the
    // table; InnoDB allocates a statement's ids together unless
    // innodb_autoinc_lock_mode=2, where the range only over-covers).
    let rows = (inserted > 0).then(|| (first_id, first_id + inserted - 1));
    if inserted == callback_ids.len() as u64 {
        return Ok((callback_ids.to_vec(), rows));
    }
    if inserted == 0 {
        return Ok((vec![], rows));
    }
    // Some leads were dialed or queued meanwhile: which ones got a row? The
    // rows of this statement have ids from its first one on.
    let sql = format!(
        "SELECT cb.callback_id FROM vicidial_hopper h JOIN vicidial_callbacks cb ON cb.lead_id = h.lead_id \
         WHERE h.hopper_id >= ? AND h.source = 'C' AND cb.callback_id IN ({})",
        placeholders(callback_ids.len())
    );
    let mut params = vec![Value::from(first_id)];
    params.extend(ids(callback_ids));
    let callbacks = s
        .select(&sql, params)
        .await?
        .into_iter()
        .filter_map(|row| RowReader::new(row).uint(0).map(|id| id as u32))
        .collect();
    Ok((callbacks, rows))
}

/// A waiting callback row of the hopper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HopperRow {
    /// `hopper_id`.
    pub hopper_id: u64,
    /// Its lead.
    pub lead_id: u32,
}

/// The callback rows (`source='C'`) still waiting (`READY`/`RHOLD`) with
/// ids above `after`: a primary-key range.
pub async fn callback_rows_after(s: &mut Session, after: u64) -> DbResult<Vec<HopperRow>> {
    Ok(s.select(
        "SELECT hopper_id, lead_id FROM vicidial_hopper \
         WHERE hopper_id > ? AND source = 'C' AND status IN ('READY','RHOLD')",
        vec![after.into()],
    )
    .await?
    .into_iter()
    .filter_map(|row| {
        let mut r = RowReader::new(row);
        Some(HopperRow {
            hopper_id: r.uint(0)?,
            lead_id: r.uint(1)? as u32,
        })
    })
    .collect())
}

/// The first (lowest) `hopper_id` of each of these leads' rows, any status.
pub async fn first_rows(s: &mut Session, lead_ids: &[u32]) -> DbResult<std::collections::HashMap<u32, u64>> {
    let mut first = std::collections::HashMap::new();
    for chunk in lead_ids.chunks(5000) {
        let sql = format!(
            "SELECT lead_id, MIN(hopper_id) FROM vicidial_hopper WHERE lead_id IN ({}) GROUP BY lead_id",
            placeholders(chunk.len())
        );
        for row in s.select(&sql, ids(chunk)).await? {
            let mut r = RowReader::new(row);
            if let (Some(lead), Some(id)) = (r.uint(0), r.uint(1)) {
                first.insert(lead as u32, id);
            }
        }
    }
    Ok(first)
}

/// Deletes these callback rows where they still wait (not taken by the
/// dialer); returns how many it deleted.
pub async fn remove_waiting(s: &mut Session, hopper_ids: &[u64]) -> DbResult<u64> {
    let mut removed = 0;
    for chunk in hopper_ids.chunks(5000) {
        let sql = format!(
            "DELETE FROM vicidial_hopper WHERE hopper_id IN ({}) AND source = 'C' \
             AND status IN ('READY','RHOLD') AND {HELD}",
            placeholders(chunk.len())
        );
        removed += s.write(&sql, ids(chunk)).await?;
    }
    Ok(removed)
}

/// Records the rows the daemon just inserted (`first..=last`, of `leads`),
/// so that a row another writer adds for one of those leads is known for a
/// second dial of the same promise, across restarts too.
pub async fn record_queued(s: &mut Session, rows: (u64, u64), leads: &[u32]) -> DbResult<u64> {
    let sql = format!(
        "REPLACE INTO callbackd_queued (hopper_id, lead_id, queued_at) \
         SELECT hopper_id, lead_id, NOW() FROM vicidial_hopper \
         WHERE hopper_id BETWEEN ? AND ? AND lead_id IN ({}) AND {HELD}",
        placeholders(leads.len())
    );
    let mut params = vec![Value::from(rows.0), Value::from(rows.1)];
    params.extend(ids(leads));
    s.write(&sql, params).await
}

/// Whether the hopper's ids may start over at or below `seen`: its
/// `AUTO_INCREMENT` is no higher (emptied by `TRUNCATE`, or a MEMORY hopper
/// after a restart), or the server does not say. Deleting rows, the newest
/// included, lowers `MAX(hopper_id)` but not the counter, on MEMORY, MyISAM
/// and InnoDB alike, so their ids are not given again.
pub async fn ids_start_over(s: &mut Session, seen: u64) -> DbResult<bool> {
    let next = s
        .select(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'vicidial_hopper'",
            vec![],
        )
        .await?
        .into_iter()
        .next()
        .and_then(|row| RowReader::new(row).uint(0));
    Ok(next.is_none_or(|next| next <= seen))
}

/// The rows the daemon queued for these leads within the last `seconds`,
/// as `(hopper_id, lead_id)`.
pub async fn queued_lately(s: &mut Session, lead_ids: &[u32], seconds: u64) -> DbResult<Vec<HopperRow>> {
    let mut found = Vec::new();
    for chunk in lead_ids.chunks(5000) {
        let sql = format!(
            "SELECT hopper_id, lead_id FROM callbackd_queued \
             WHERE lead_id IN ({}) AND queued_at >= NOW() - INTERVAL ? SECOND",
            placeholders(chunk.len())
        );
        let mut params = ids(chunk);
        params.push(seconds.into());
        for row in s.select(&sql, params).await? {
            let mut r = RowReader::new(row);
            if let (Some(hopper_id), Some(lead)) = (r.uint(0), r.uint(1)) {
                found.push(HopperRow {
                    hopper_id,
                    lead_id: lead as u32,
                });
            }
        }
    }
    Ok(found)
}

/// Forgets records older than a day, a bounded number at a time.
pub async fn forget_queued(s: &mut Session) -> DbResult<u64> {
    s.write(
        &format!("DELETE FROM callbackd_queued WHERE queued_at < NOW() - INTERVAL 1 DAY AND {HELD} LIMIT 10000"),
        vec![],
    )
    .await
}
