//! Per-batch lookups the gates need: DNC entries and 24-hour call counts. One
//! query per kind per batch, never one per lead.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::{DbResult, RowReader, Session, placeholders};
use crate::dnc::DncHits;

/// Looks up which of the given entries exist on the internal list and on the
/// given campaigns' lists.
pub async fn dnc(
    s: &mut Session,
    internal_keys: &BTreeSet<String>,
    campaign_keys: &BTreeSet<(String, String)>,
) -> DbResult<DncHits> {
    let mut hits = DncHits::default();
    if !internal_keys.is_empty() {
        let sql = format!(
            "SELECT phone_number FROM vicidial_dnc WHERE phone_number IN ({})",
            placeholders(internal_keys.len())
        );
        let params = internal_keys.iter().map(|k| Value::from(k.as_str())).collect();
        for row in s.select(&sql, params).await? {
            hits.internal.insert(RowReader::new(row).text(0));
        }
    }
    if !campaign_keys.is_empty() {
        let campaigns: BTreeSet<&str> = campaign_keys.iter().map(|(c, _)| c.as_str()).collect();
        let numbers: BTreeSet<&str> = campaign_keys.iter().map(|(_, n)| n.as_str()).collect();
        let sql = format!(
            "SELECT campaign_id, phone_number FROM vicidial_campaign_dnc \
             WHERE campaign_id IN ({}) AND phone_number IN ({})",
            placeholders(campaigns.len()),
            placeholders(numbers.len())
        );
        let params = campaigns
            .iter()
            .chain(numbers.iter())
            .map(|k| Value::from(*k))
            .collect();
        for row in s.select(&sql, params).await? {
            let mut r = RowReader::new(row);
            let pair = (r.text(0), r.text(1));
            if campaign_keys.contains(&pair) {
                hits.campaign.insert(pair);
            }
        }
    }
    Ok(hits)
}

/// Calls of the last 24 hours, per list, by phone (number and code) and by lead.
#[derive(Clone, Debug, Default)]
pub struct RecentCalls {
    /// `(phone_number, phone_code)` to `(list_id, count)`.
    pub by_phone: HashMap<(String, String), Vec<(u64, u64)>>,
    /// `lead_id` to `(list_id, count)`.
    pub by_lead: HashMap<u32, Vec<(u64, u64)>>,
}

/// Counts `vicidial_lead_24hour_calls` rows with `call_date >= now - 1 day`
/// for the given phones and leads, grouped by list so either scope can be
/// applied afterwards.
pub async fn recent_calls(
    s: &mut Session,
    now: NaiveDateTime,
    phones: &BTreeSet<(String, String)>,
    leads: &BTreeSet<u32>,
) -> DbResult<RecentCalls> {
    let mut calls = RecentCalls::default();
    if !phones.is_empty() {
        let numbers: BTreeSet<&str> = phones.iter().map(|(n, _)| n.as_str()).collect();
        let sql = format!(
            "SELECT phone_number, phone_code, list_id, COUNT(*) FROM vicidial_lead_24hour_calls \
             WHERE call_date >= ? - INTERVAL 1 DAY AND phone_number IN ({}) \
             GROUP BY phone_number, phone_code, list_id",
            placeholders(numbers.len())
        );
        let mut params = vec![Value::from(now)];
        params.extend(numbers.iter().map(|n| Value::from(*n)));
        for row in s.select(&sql, params).await? {
            let mut r = RowReader::new(row);
            let key = (r.text(0), r.text(1));
            let entry = (r.uint(2).unwrap_or(0), r.uint(3).unwrap_or(0));
            calls.by_phone.entry(key).or_default().push(entry);
        }
    }
    if !leads.is_empty() {
        let sql = format!(
            "SELECT lead_id, list_id, COUNT(*) FROM vicidial_lead_24hour_calls \
             WHERE call_date >= ? - INTERVAL 1 DAY AND lead_id IN ({}) GROUP BY lead_id, list_id",
            placeholders(leads.len())
        );
        let mut params = vec![Value::from(now)];
        params.extend(leads.iter().map(|&l| Value::from(l)));
        for row in s.select(&sql, params).await? {
            let mut r = RowReader::new(row);
            let lead = r.uint(0).unwrap_or(0) as u32;
            let entry = (r.uint(1).unwrap_or(0), r.uint(2).unwrap_or(0));
            calls.by_lead.entry(lead).or_default().push(entry);
        }
    }
    Ok(calls)
}

/// Where area codes are: `(country_code, areacode)` to `(state, country)`
/// from `vicidial_phone_codes` (the first row of a pair wins, as in VICIdial).
pub async fn phone_places(
    s: &mut Session,
    keys: &BTreeSet<(String, String)>,
) -> DbResult<HashMap<(String, String), (String, String)>> {
    let mut places = HashMap::new();
    let areacodes: BTreeSet<&str> = keys.iter().map(|(_, a)| a.as_str()).collect();
    if areacodes.is_empty() {
        return Ok(places);
    }
    let sql = format!(
        "SELECT country_code, areacode, state, country FROM vicidial_phone_codes WHERE areacode IN ({})",
        placeholders(areacodes.len())
    );
    for row in s
        .select(&sql, areacodes.iter().map(|a| Value::from(*a)).collect())
        .await?
    {
        let mut r = RowReader::new(row);
        let key = (r.text(0), r.text(1));
        if keys.contains(&key) {
            let place = (r.text(2), r.text(3));
            places.entry(key).or_insert(place);
        }
    }
    Ok(places)
}

/// The state of each postal code found in `vicidial_postal_codes`.
pub async fn postcode_states(s: &mut Session, keys: &BTreeSet<String>) -> DbResult<HashMap<String, String>> {
    let mut states = HashMap::new();
    if keys.is_empty() {
        return Ok(states);
    }
    let sql = format!(
        "SELECT postal_code, state FROM vicidial_postal_codes WHERE postal_code IN ({})",
        placeholders(keys.len())
    );
    for row in s
        .select(&sql, keys.iter().map(|k| Value::from(k.as_str())).collect())
        .await?
    {
        let mut r = RowReader::new(row);
        let (code, state) = (r.text(0), r.text(1));
        states.entry(code).or_insert(state);
    }
    Ok(states)
}
