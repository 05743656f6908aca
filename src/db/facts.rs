//! Per-batch lookups the gates need: DNC entries, 24-hour call counts and the
//! places of phones. One statement per kind per batch, never one per lead.
//!
//! Every match runs in SQL, joined to the callbacks themselves, so the server
//! compares phone numbers, phone codes, campaign ids and postal codes under
//! the columns' own collations and types, exactly as VICIdial's own queries
//! do (`AST_VDhopper.pl` lines 671-735 and `check_24hour_call_count`, VICIdial 2.14;
//! `docs/vicidial.md`, section "Collation"): a DNC
//! entry `3055550100 ` matches `3055550100`, a campaign DNC row of `sales`
//! matches campaign `SALES`, and a `phone_code` of `'01'` matches
//! `vicidial_phone_codes.country_code` 1 (a SMALLINT, compared as a number).
//! Perl's undef (a NULL column) is an empty string there, hence the COALESCEs.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use mysql_async::Value;

use super::{DbResult, RowReader, Session, ids, placeholders};
use crate::rules::model::{CallCount, Facts, LimitMethod};
use crate::rules::dnc::{DncFacts, DncLookups};
use crate::rules::call_limit::{PlaceFacts};

/// Which callbacks need which lookups (decided by `rules::decision::needs`).
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

/// Looks up every wanted fact of a batch; `now` is the pass time (server
/// local). `facts` holds what is known already (DNC entries read ahead).
pub async fn gather(s: &mut Session, now: NaiveDateTime, wanted: &Wanted, mut facts: Facts) -> DbResult<Facts> {
    if !wanted.dnc.is_empty() {
        facts.dnc.extend(dnc(s, &wanted.dnc, wanted.dnc_lookups).await?);
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
/// any length, else the callback's own campaign id (`AST_VDhopper.pl` line 704,
/// VICIdial 2.14), `own`: `c`
/// is the campaign's row.
fn dnc_list(own: &str) -> String {
    format!("IF(LENGTH(COALESCE(c.use_other_campaign_dnc, '')) > 0, c.use_other_campaign_dnc, {own})")
}
const PHONE: &str = "COALESCE(l.phone_number, '')";
const AREACODE_ENTRY: &str = "CONCAT(LEFT(COALESCE(l.phone_number, ''), 3), 'XXXXXXX')";

/// The DNC entries, in [`DncLookups`]' order, matched against `d`: the
/// table, and the condition (the lead's number or area code entry; in the
/// campaign's list, `list`).
fn entries(d: &str, list: &str) -> [(&'static str, String); 4] {
    let campaign = |entry| format!("{d}.phone_number = {entry} AND {d}.campaign_id = {list}");
    [
        ("vicidial_dnc", format!("{d}.phone_number = {PHONE}")),
        ("vicidial_dnc", format!("{d}.phone_number = {AREACODE_ENTRY}")),
        ("vicidial_campaign_dnc", campaign(PHONE)),
        ("vicidial_campaign_dnc", campaign(AREACODE_ENTRY)),
    ]
}

/// The DNC columns of a statement over `l` (the leads) and `c` (their
/// callbacks' campaign), `own` the callback's own campaign id: per entry,
/// in [`DncLookups`]' order, `EXISTS` where `when` gives a condition
/// (`None`: never, the column is NULL, read as not looked up), then the
/// campaign list consulted. With nothing to look up, all NULL.
pub(super) fn dnc_columns(when: [Option<&str>; 4], own: &str) -> String {
    if when.iter().all(Option::is_none) {
        return ["NULL"; 5].join(", ");
    }
    let list = dnc_list(own);
    let mut columns: Vec<String> = when
        .into_iter()
        .zip(entries("d", &list))
        .map(|(when, (table, matches))| {
            let entry = format!("SELECT 1 FROM {table} d WHERE {matches}");
            match when {
                None => "NULL".to_string(),
                Some("") => format!("EXISTS ({entry})"),
                Some(when) => format!("IF({when}, EXISTS ({entry}), NULL)"),
            }
        })
        .collect();
    columns.push(list);
    columns.join(", ")
}

/// The condition that none of the DNC entries `lookups` names holds the
/// lead's number (over `l`, and `c` the campaign of `cb`): the same entries,
/// matched the same way, as [`dnc_columns`] reads, for a write to re-check
/// in its own statement what the decision read.
pub(super) fn dnc_clear(lookups: DncLookups) -> String {
    let list = dnc_list("cb.campaign_id");
    let clear: Vec<String> = lookups_when(lookups, "")
        .into_iter()
        .zip(entries("d", &list))
        .filter(|(when, _)| when.is_some())
        .map(|(_, (table, matches))| format!("NOT EXISTS (SELECT 1 FROM {table} d WHERE {matches})"))
        .collect();
    match clear.is_empty() {
        true => "TRUE".into(),
        false => clear.join(" AND "),
    }
}

/// [`dnc_columns`] as joins, cheaper than a subquery per row, for a
/// statement that merges its rows per lead (an entry matched twice, were
/// the tables' unique keys gone, only repeats the lead): the `LEFT JOIN`s,
/// and the columns, in the same form.
pub(super) fn dnc_joins(when: [Option<&str>; 4], own: &str) -> (String, String) {
    if when.iter().all(Option::is_none) {
        return (String::new(), dnc_columns(when, own));
    }
    let list = dnc_list(own);
    let (mut joins, mut columns) = (Vec::new(), Vec::new());
    for (i, when) in when.into_iter().enumerate() {
        let d = format!("d{i}");
        let (table, matches) = &entries(&d, &list)[i];
        columns.push(match when {
            None => "NULL".to_string(),
            Some(when) => {
                let on = if when.is_empty() { "TRUE" } else { when };
                joins.push(format!("LEFT JOIN {table} {d} ON {on} AND {matches}"));
                match when {
                    "" => format!("{d}.phone_number IS NOT NULL"),
                    _ => format!("IF({when}, {d}.phone_number IS NOT NULL, NULL)"),
                }
            }
        });
    }
    columns.push(list);
    (joins.join(" "), columns.join(", "))
}

/// [`dnc_columns`]' conditions for `lookups`: `when` for the entries it
/// names, never for the others.
pub(super) fn lookups_when(lookups: DncLookups, when: &str) -> [Option<&str>; 4] {
    [
        lookups.internal_number,
        lookups.internal_areacode,
        lookups.campaign_number,
        lookups.campaign_areacode,
    ]
    .map(|wanted| wanted.then_some(when))
}

/// Reads [`dnc_columns`] from column `first` on; `None` when nothing was looked up.
pub fn read_dnc(r: &mut RowReader, first: usize) -> Option<DncFacts> {
    let mut entry = |i| r.int(first + i).map(|n| n == 1);
    let facts = DncFacts {
        internal_number: entry(0),
        internal_areacode: entry(1),
        campaign_number: entry(2),
        campaign_areacode: entry(3),
        campaign_list: String::new(),
    };
    let looked_up = [
        facts.internal_number,
        facts.internal_areacode,
        facts.campaign_number,
        facts.campaign_areacode,
    ]
    .iter()
    .any(Option::is_some);
    looked_up.then(|| DncFacts {
        campaign_list: r.text(first + 4),
        ..facts
    })
}

/// DNC entries read with a scan's rows, so that a batch's own DNC statement
/// is left for the rows they miss: per entry, the campaigns whose ANYONE
/// callbacks need it (`rules::decision::dnc_policy`). Which rows need what is
/// still `rules::decision::needs`' to say; this only reads ahead.
#[derive(Clone, Debug, Default)]
pub struct DncAhead {
    /// Per entry, in [`DncLookups`]' order: campaign ids as stored.
    pub campaigns: [Vec<String>; 4],
}

impl DncAhead {
    /// The columns ([`read_dnc`] reads them) and their values.
    pub fn columns(&self) -> (String, Vec<Value>) {
        let mut params = Vec::new();
        let when: Vec<Option<String>> = self
            .campaigns
            .iter()
            .map(|ids| {
                (!ids.is_empty()).then(|| {
                    params.extend(ids.iter().map(|id| Value::from(id.as_str())));
                    format!(
                        "cb.recipient = 'ANYONE' AND cb.campaign_id IN ({})",
                        placeholders(ids.len())
                    )
                })
            })
            .collect();
        let when: Vec<Option<&str>> = when.iter().map(Option::as_deref).collect();
        (
            dnc_columns([when[0], when[1], when[2], when[3]], "cb.campaign_id"),
            params,
        )
    }
}

/// DNC entries found per callback, for the lists and matchings `lookups`
/// names (`NULL`, read as not looked up, for the others).
async fn dnc(s: &mut Session, callback_ids: &[u32], lookups: DncLookups) -> DbResult<HashMap<u32, DncFacts>> {
    let sql = format!(
        "SELECT cb.callback_id, {} \
         FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         LEFT JOIN vicidial_campaigns c ON c.campaign_id = cb.campaign_id \
         WHERE cb.callback_id IN ({})",
        dnc_columns(lookups_when(lookups, ""), "cb.campaign_id"),
        placeholders(callback_ids.len())
    );
    let rows = s.select(&sql, ids(callback_ids)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut r = RowReader::new(row);
            let id = r.uint(0).unwrap_or_default() as u32;
            Some((id, read_dnc(&mut r, 1)?))
        })
        .collect())
}

/// Whether a counted call is on one of the campaign's lists. VICIdial builds
/// `list_id IN(...)` from `vicidial_lists where campaign_id='$campaign'`, and
/// from `'1'` when the campaign has no list (`AST_VDhopper.pl` lines 3760-3773,
/// VICIdial 2.14).
pub(crate) const ON_CAMPAIGN_LISTS: &str = "IF(EXISTS (SELECT 1 FROM vicidial_lists vl WHERE vl.campaign_id = cb.campaign_id), \
       t.list_id IN (SELECT vl.list_id FROM vicidial_lists vl WHERE vl.campaign_id = cb.campaign_id), \
       t.list_id = 1)";

/// Which `vicidial_lead_24hour_calls` rows (`t`) are the same phone as the
/// lead `l` of the callback `cb` (`AST_VDhopper.pl` lines 3775-3782, VICIdial 2.14): by phone number and
/// phone code, or by lead; `None` when the method counts nothing.
pub(crate) fn limit_matching(method: LimitMethod) -> Option<&'static str> {
    match method {
        LimitMethod::PhoneNumber => {
            Some("t.phone_number = COALESCE(l.phone_number, '') AND t.phone_code = COALESCE(l.phone_code, '')")
        }
        LimitMethod::Lead => Some("t.lead_id = cb.lead_id"),
        LimitMethod::Disabled => None,
    }
}

/// Calls of the last 24 hours (`call_date >= NOW() - INTERVAL 1 DAY`, line
/// 3777) per callback, by phone number and phone code, or by lead.
async fn calls(
    s: &mut Session,
    now: NaiveDateTime,
    method: LimitMethod,
    callback_ids: &[u32],
) -> DbResult<HashMap<u32, CallCount>> {
    let Some(matching) = limit_matching(method) else {
        return Ok(HashMap::new());
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
/// and area code (`country_code='$phone_code' and areacode='$areacode'`,
/// `AST_VDhopper.pl` line 3802, VICIdial 2.14; the first row found wins), the state of its postal code (its first
/// five digits, looked up only when the lead has one, lines 3851-3873), and
/// the lead's own state.
pub(crate) async fn places(s: &mut Session, callback_ids: &[u32]) -> DbResult<HashMap<u32, PlaceFacts>> {
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
