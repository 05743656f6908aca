//! Inserts into `vicidial_hopper`, the dialer's queue.

use mysql_async::Value;

use super::callbacks::UNDIALED;
use super::{DbResult, Session, ids, placeholders};

/// Inserts one hopper row per callback, exactly as VICIdial's hopper job does
/// (the callback's campaign and list, the lead's `gmt_offset_now`, `state` and
/// `vendor_lead_code`, `user=''`, `priority=50`, `source='C'`, `alt_dial='NONE'`),
/// with `status` `READY` or `RHOLD`. The statement re-checks, at the moment it
/// runs, that the callback is still LIVE ANYONE, the lead still undialed and
/// not in the hopper: one statement under one table lock, so neither the
/// dialer nor a second writer can slip a duplicate in between. The callbacks
/// must belong to distinct leads. Returns the number of rows inserted.
pub async fn insert(s: &mut Session, callback_ids: &[u32], hopper_status: &str) -> DbResult<u64> {
    let sql = format!(
        "INSERT INTO vicidial_hopper \
           (lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, alt_dial, priority, source, vendor_lead_code) \
         SELECT l.lead_id, cb.campaign_id, ?, '', cb.list_id, l.gmt_offset_now, l.state, 'NONE', 50, 'C', l.vendor_lead_code \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.callback_id IN ({}) AND cb.status = 'LIVE' AND cb.recipient = 'ANYONE' AND {UNDIALED} \
           AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)",
        placeholders(callback_ids.len())
    );
    let mut params = vec![Value::from(hopper_status)];
    params.extend(ids(callback_ids));
    s.write(&sql, params).await
}
