//! Why a callback was dialed late, where the data and the rules can tell:
//! a USERONLY callback waits for its agent to dial it by hand; the hours
//! block held it (`entry_time + callback_hours_block` after its time); its
//! lead was outside the call time when it came due (the same call-time
//! rules the pass applies, `calltime`). Pure: decided from the callback,
//! its lead's zone and the settings as they are now (a setting changed since
//! gives today's answer). What the data cannot tell (the dialer's pace, the
//! hopper's order, an outage) is said as such.

use chrono::{Duration, NaiveDateTime};

use super::classify::{Bucket, Judged};
use crate::calltime::{GmtOffset, LeadZone};
use crate::clock::ServerZone;
use crate::collation;
use crate::model::Settings;

/// The lead's zone, as the report reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LeadPlace {
    /// `gmt_offset_now` as stored.
    pub gmt_offset_now: String,
    /// `state`.
    pub state: String,
}

/// The reason a late callback was late, in a few words (grouped on).
pub(crate) fn reason(j: &Judged, place: Option<&LeadPlace>, settings: &Settings, zone: &ServerZone) -> String {
    let p = &j.promise;
    if collation::eq(&p.recipient, "USERONLY") {
        return "USERONLY: dialed by hand by its agent".into();
    }
    let campaign = settings.campaign(&p.campaign_id);
    if let (Some(c), Some(entry)) = (campaign, p.entry_time)
        && c.callback_hours_block > 0
        && entry + Duration::hours(c.callback_hours_block.into()) > j.dialable_at
    {
        return "held: callback_hours_block".into();
    }
    if let (Some(c), Some(place)) = (campaign, place)
        && let Some(offset) = GmtOffset::parse(&place.gmt_offset_now).filter(|o| o.on_grid())
    {
        let at: NaiveDateTime = zone.to_utc(j.dialable_at);
        let list = settings
            .lists
            .get(&p.list_id)
            .filter(|l| l.call_time_enforced(zone.date_at(at)))
            .map(|l| l.local_call_time.as_str());
        let lead = LeadZone {
            gmt_offset: offset,
            state: place.state.clone(),
        };
        if let Ok(false) = settings.call_times.allows(&c.local_call_time, list, &lead, at, zone) {
            return "held: outside call time at its time".into();
        }
    }
    // What the data cannot tell: the dialer's pace, the hopper's order, an outage.
    "no hold known".into()
}

/// Gives every late callback its reason.
pub(crate) fn explain_late(
    judged: &mut [Judged],
    places: &std::collections::HashMap<u32, LeadPlace>,
    settings: &Settings,
    zone: &ServerZone,
) {
    for j in judged
        .iter_mut()
        .filter(|j| matches!(j.bucket, Bucket::LateHour | Bucket::LateDay | Bucket::LateLater))
    {
        j.reason = reason(j, places.get(&j.promise.lead_id), settings, zone);
    }
}
