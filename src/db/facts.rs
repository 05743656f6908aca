//! Per-batch lookups the gates need: DNC entries, 24-hour call counts and the
//! places of phones. One statement per kind per batch, never one per lead.
//!
//! Every match runs in SQL, joined to the callbacks themselves, so the server
//! compares phone numbers, phone codes, campaign ids and postal codes under
//! the columns' own collations and types, exactly as VICIdial's own queries
//! do (`AST_VDhopper.pl` lines 671-735 and `check_24hour_call_count`): a DNC
//! entry `3055550100 ` matches `3055550100`, a campaign DNC row of `sales`
//! matches campaign `SALES`, and a `phone_code` of `'01'` matches
//! `vicidial_phone_codes.country_code` 1 (a SMALLINT, compared as a number).
//! Perl's undef (a NULL column) is an empty string there, hence the COALESCEs.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::{DbResult, RowReader, Session, ids, placeholders};
use crate::model::{CallCount, DncFacts, DncLookups, Facts, LimitMethod, PlaceFacts};

/// Which callbacks need which lookups (decided by `engine::rules::needs`).
#[derive(Clone, Debug, Default)]
pub struct Wanted {
    /// Callbacks to check against the DNC lists.
    pub dnc: Vec<u32>,
    /// The DNC entries they need looked up.
    pub dnc_lookups: DncLookups,
    /// Callbacks to count 24-hour calls for, by phone or by lead.
    pub calls: HashMap<LimitMethod, Vec<u32>>,
    /// Callbacks whose phone must be placed for a per-state limit override.
    pub places: Vec<u32>,
}

/// Looks up every wanted fact of a batch; `now` is the pass time (server local).
pub async fn gather(s: &mut Session, now: NaiveDateTime, wanted: &Wanted) -> DbResult<Facts> {
    let mut facts = Facts::default();
    if !wanted.dnc.is_empty() {
        facts.dnc = dnc(s, &wanted.dnc, wanted.dnc_lookups).await?;
    }
    for (method, callback_ids) in &wanted.calls {
        if !callback_ids.is_empty() {
            facts.calls.extend(calls(s, now, *method, callback_ids).await?);
        }
    }
    if !wanted.places.is_empty() {
        facts.places = places(s, &wanted.places).await?;
    }
    Ok(facts)
}

/// Runs a per-callback lookup (its first column the `callback_id`) and reads
/// each row's fact with `read`, which starts at column 1.
async fn per_callback<T>(
    s: &mut Session,
    sql: &str,
    params: Vec<Value>,
    read: impl Fn(&mut RowReader) -> T,
) -> DbResult<HashMap<u32, T>> {
    Ok(s.select(sql, params)
        .await?
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            let id = r.uint(0).unwrap_or_default() as u32;
            (id, read(&mut r))
        })
        .collect())
}

/// The campaign whose DNC list applies: `use_other_campaign_dnc` when it has
/// any length, else the callback's own campaign id (line 709).
const DNC_LIST: &str =
    "IF(LENGTH(COALESCE(c.use_other_campaign_dnc, '')) > 0, c.use_other_campaign_dnc, cb.campaign_id)";
const PHONE: &str = "COALESCE(l.phone_number, '')";
const AREACODE_ENTRY: &str = "CONCAT(LEFT(COALESCE(l.phone_number, ''), 3), 'XXXXXXX')";

/// DNC entries found per callback, for the lists and matchings `lookups`
/// names (`NULL`, read as not looked up, for the others).
async fn dnc(s: &mut Session, callback_ids: &[u32], lookups: DncLookups) -> DbResult<HashMap<u32, DncFacts>> {
    let lookup = |wanted: bool, exists: String| {
        if wanted {
            format!("EXISTS ({exists})")
        } else {
            "NULL".into()
        }
    };
    let internal = |entry| format!("SELECT 1 FROM vicidial_dnc d WHERE d.phone_number = {entry}");
    let campaign = |entry| {
        format!("SELECT 1 FROM vicidial_campaign_dnc d WHERE d.phone_number = {entry} AND d.campaign_id = {DNC_LIST}")
    };
    let sql = format!(
        "SELECT cb.callback_id, {}, {}, {}, {}, {DNC_LIST} \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         WHERE cb.callback_id IN ({})",
        lookup(lookups.internal_number, internal(PHONE)),
        lookup(lookups.internal_areacode, internal(AREACODE_ENTRY)),
        lookup(lookups.campaign_number, campaign(PHONE)),
        lookup(lookups.campaign_areacode, campaign(AREACODE_ENTRY)),
        placeholders(callback_ids.len())
    );
    per_callback(s, &sql, ids(callback_ids), |r| DncFacts {
        internal_number: r.int(1).map(|n| n == 1),
        internal_areacode: r.int(2).map(|n| n == 1),
        campaign_number: r.int(3).map(|n| n == 1),
        campaign_areacode: r.int(4).map(|n| n == 1),
        campaign_list: r.text(5),
    })
    .await
}

/// Whether a counted call is on one of the campaign's lists. VICIdial builds
/// `list_id IN(...)` from `vicidial_lists where campaign_id='$campaign'`, and
/// from `'1'` when the campaign has no list (lines 3760-3773).
const ON_CAMPAIGN_LISTS: &str = "IF(EXISTS (SELECT 1 FROM vicidial_lists vl WHERE vl.campaign_id = cb.campaign_id), \
       t.list_id IN (SELECT vl.list_id FROM vicidial_lists vl WHERE vl.campaign_id = cb.campaign_id), \
       t.list_id = 1)";

/// Calls of the last 24 hours (`call_date >= NOW() - INTERVAL 1 DAY`, line
/// 3777) per callback, by phone number and phone code, or by lead.
async fn calls(
    s: &mut Session,
    now: NaiveDateTime,
    method: LimitMethod,
    callback_ids: &[u32],
) -> DbResult<HashMap<u32, CallCount>> {
    let matching = match method {
        LimitMethod::PhoneNumber => {
            "t.phone_number = COALESCE(l.phone_number, '') AND t.phone_code = COALESCE(l.phone_code, '')"
        }
        LimitMethod::Lead => "t.lead_id = cb.lead_id",
        LimitMethod::Disabled => return Ok(HashMap::new()),
    };
    let sql = format!(
        "SELECT cb.callback_id, COUNT(t.lead_id), COALESCE(SUM({ON_CAMPAIGN_LISTS}), 0), \
           MIN(t.call_date), MIN(IF({ON_CAMPAIGN_LISTS}, t.call_date, NULL)) \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         LEFT JOIN vicidial_lead_24hour_calls t ON {matching} AND t.call_date >= ? - INTERVAL 1 DAY \
         WHERE cb.callback_id IN ({}) GROUP BY cb.callback_id",
        placeholders(callback_ids.len())
    );
    let mut params = vec![Value::from(now)];
    params.extend(ids(callback_ids));
    per_callback(s, &sql, params, |r| CallCount {
        all: r.uint(1).unwrap_or_default(),
        campaign_lists: r.uint(2).unwrap_or_default(),
        oldest_all: r.datetime(3),
        oldest_campaign_lists: r.datetime(4),
    })
    .await
}

/// Where each callback's phone is: the state and country of its phone code
/// and area code (`country_code='$phone_code' and areacode='$areacode'`, line
/// 3802; the first row found wins), the state of its postal code (its first
/// five digits, looked up only when the lead has one, lines 3851-3873), and
/// the lead's own state.
async fn places(s: &mut Session, callback_ids: &[u32]) -> DbResult<HashMap<u32, PlaceFacts>> {
    let sql = format!(
        "SELECT cb.callback_id, \
           (SELECT CONCAT(COALESCE(pc.state, ''), 0x01, COALESCE(pc.country, '')) FROM vicidial_phone_codes pc \
             WHERE pc.country_code = COALESCE(l.phone_code, '') \
               AND pc.areacode = LEFT(COALESCE(l.phone_number, ''), 3) LIMIT 1), \
           IF(LENGTH(COALESCE(l.postal_code, '')) > 0, \
              (SELECT COALESCE(pz.state, '') FROM vicidial_postal_codes pz \
                WHERE pz.postal_code = LEFT(REGEXP_REPLACE(l.postal_code, '[^0-9]', ''), 5) LIMIT 1), NULL), \
           COALESCE(l.state, '') \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.callback_id IN ({})",
        placeholders(callback_ids.len())
    );
    per_callback(s, &sql, ids(callback_ids), |r| {
        let areacode = r.text(1);
        let (areacode_state, country) = areacode.split_once('\u{1}').unwrap_or(("", ""));
        PlaceFacts {
            areacode_state: areacode_state.to_string(),
            country: country.to_string(),
            postcode_state: r.opt_text(2),
            lead_state: r.text(3),
        }
    })
    .await
}
