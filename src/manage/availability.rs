//! The availability-aware move, beyond VICIdial: a LIVE USERONLY callback
//! whose owner no longer exists, is inactive, or has not been logged in
//! (no `vicidial_live_agents` row) `[availability] minutes` after its
//! `callback_time` becomes ANYONE and `ACTIVE`, as VICIdial's own move does
//! (`ADMIN_keepalive_ALL.pl` line 5728, VICIdial 2.14; `docs/vicidial.md`, section
//! "USERONLY move"), so the pass's due step takes it
//! through the gates into the hopper. Opt-in, globally or per campaign.

use chrono::NaiveDateTime;
use tracing::info;

use super::common::Actor;
use crate::config::AvailabilityConfig;
use crate::db::callbacks;
use crate::db::manage::{self, AdminLog};
use crate::db::{DbResult, Session};

/// Callbacks looked at per statement.
const BATCH: usize = 500;

/// Moves the callbacks whose owner cannot take them; returns how many moved.
/// Each move is logged with its reason and written to `vicidial_admin_log`
/// as the daemon (`VDAD`); a dry run logs and changes nothing.
pub async fn move_unavailable(
    s: &mut Session,
    now: NaiveDateTime,
    config: &AvailabilityConfig,
    dry_run: bool,
) -> DbResult<u64> {
    if !config.any() {
        return Ok(0);
    }
    let campaigns = (!config.enabled).then_some(config.campaigns.as_slice());
    let mut moved = 0;
    let mut after = 0;
    loop {
        let found = manage::unavailable_owners(s, campaigns, now, config.minutes, after, BATCH).await?;
        let Some(last) = found.last() else { break };
        after = last.callback_id;
        let full = found.len() == BATCH;
        for f in found {
            let stmt = callbacks::move_to_anyone(&[f.callback_id], Some(&f.user));
            if !dry_run && stmt.run(s).await? == 0 {
                continue;
            }
            info!(
                callback_id = f.callback_id,
                lead_id = f.lead_id,
                campaign = %f.campaign_id,
                user = %f.user,
                dry_run,
                "moved USERONLY to ANYONE: {}",
                f.why
            );
            moved += 1;
            if dry_run {
                continue;
            }
            let actor = Actor::daemon();
            let log = AdminLog {
                user: actor.user,
                ip_address: actor.ip,
                section: "LEADS",
                event_type: "MODIFY",
                record_id: f.lead_id.to_string(),
                code: "CALLBACK AVAILABILITY MOVE",
                statements: vec![stmt],
                notes: format!(
                    "callback {} moved from USERONLY ({}) to ANYONE: {}",
                    f.callback_id, f.user, f.why
                ),
            };
            log.stmt().run(s).await?;
        }
        if !full {
            break;
        }
    }
    Ok(moved)
}
