//! Schema compatibility: every table and column the daemon reads or writes,
//! with the kind of type it needs, checked against `information_schema` so
//! `check` can say in plain words what a database lacks.

use super::{DbResult, RowReader, Session};

/// The kind of value a column must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Any integer type.
    Int,
    /// Text: CHAR, VARCHAR, TEXT or ENUM.
    Text,
    /// DATETIME or TIMESTAMP.
    DateTime,
    /// DATE or DATETIME.
    Date,
    /// DECIMAL or a float.
    Number,
    /// Anything (read as text, as the email template columns are).
    Any,
}

impl Kind {
    fn accepts(self, data_type: &str) -> bool {
        let t = data_type.to_ascii_lowercase();
        match self {
            Kind::Int => t.ends_with("int"),
            Kind::Text => t.contains("char") || t.contains("text") || t == "enum" || t == "set",
            Kind::DateTime => t == "datetime" || t == "timestamp",
            Kind::Date => t == "date" || t == "datetime",
            Kind::Number => t == "decimal" || t == "float" || t == "double" || t.ends_with("int"),
            Kind::Any => true,
        }
    }
}

use Kind::*;

/// Every column the daemon uses, by table.
pub const REQUIRED: &[(&str, &[(&str, Kind)])] = &[
    (
        "vicidial_callbacks",
        &[
            ("callback_id", Int),
            ("lead_id", Int),
            ("list_id", Int),
            ("campaign_id", Text),
            ("status", Text),
            ("entry_time", DateTime),
            ("callback_time", DateTime),
            ("user", Text),
            ("recipient", Text),
            ("lead_status", Text),
            ("comments", Text),
            ("email_alert", DateTime),
            ("email_result", Text),
            ("modify_date", DateTime),
        ],
    ),
    (
        "vicidial_list",
        &[
            ("lead_id", Int),
            ("list_id", Int),
            ("status", Text),
            ("gmt_offset_now", Number),
            ("state", Text),
            ("phone_code", Text),
            ("phone_number", Text),
            ("vendor_lead_code", Text),
            ("called_since_last_reset", Text),
            ("last_local_call_time", DateTime),
            ("postal_code", Text),
            ("modify_date", DateTime),
        ],
    ),
    (
        "vicidial_hopper",
        &[
            ("lead_id", Int),
            ("campaign_id", Text),
            ("status", Text),
            ("user", Text),
            ("list_id", Int),
            ("gmt_offset_now", Number),
            ("state", Text),
            ("alt_dial", Text),
            ("priority", Int),
            ("source", Text),
            ("vendor_lead_code", Text),
        ],
    ),
    (
        "vicidial_lists",
        &[
            ("list_id", Int),
            ("campaign_id", Text),
            ("active", Text),
            ("expiration_date", Date),
            ("local_call_time", Text),
            ("list_name", Text),
            ("list_description", Text),
        ],
    ),
    (
        "vicidial_campaigns",
        &[
            ("campaign_id", Text),
            ("active", Text),
            ("local_call_time", Text),
            ("callback_dnc", Text),
            ("use_internal_dnc", Text),
            ("use_campaign_dnc", Text),
            ("use_other_campaign_dnc", Text),
            ("hopper_hold_inserts", Text),
            ("callback_hours_block", Int),
            ("callback_useronly_move_minutes", Int),
            ("scheduled_callbacks_email_alert", Text),
            ("call_limit_24hour_method", Text),
            ("call_limit_24hour_scope", Text),
            ("call_limit_24hour", Int),
            ("no_hopper_dialing", Text),
            ("call_limit_24hour_override", Text),
        ],
    ),
    (
        "system_settings",
        &[
            ("anyone_callback_inactive_lists", Text),
            ("hopper_hold_inserts", Text),
            ("call_limit_24hour", Text),
        ],
    ),
    ("vicidial_dnc", &[("phone_number", Text)]),
    (
        "vicidial_phone_codes",
        &[
            ("country_code", Int),
            ("areacode", Text),
            ("state", Text),
            ("country", Text),
        ],
    ),
    ("vicidial_postal_codes", &[("postal_code", Text), ("state", Text)]),
    (
        "vicidial_users",
        &[("user", Text), ("full_name", Text), ("email", Text)],
    ),
    ("vicidial_live_agents", &[("user", Text)]),
    (
        "vicidial_settings_containers",
        &[("container_id", Text), ("container_entry", Text)],
    ),
    (
        "vicidial_campaign_dnc",
        &[("phone_number", Text), ("campaign_id", Text)],
    ),
    (
        "vicidial_lead_24hour_calls",
        &[
            ("lead_id", Int),
            ("list_id", Int),
            ("call_date", DateTime),
            ("phone_number", Text),
            ("phone_code", Text),
        ],
    ),
    (
        "vicidial_call_times",
        &[
            ("call_time_id", Text),
            ("ct_default_start", Int),
            ("ct_default_stop", Int),
            ("ct_sunday_start", Int),
            ("ct_sunday_stop", Int),
            ("ct_monday_start", Int),
            ("ct_monday_stop", Int),
            ("ct_tuesday_start", Int),
            ("ct_tuesday_stop", Int),
            ("ct_wednesday_start", Int),
            ("ct_wednesday_stop", Int),
            ("ct_thursday_start", Int),
            ("ct_thursday_stop", Int),
            ("ct_friday_start", Int),
            ("ct_friday_stop", Int),
            ("ct_saturday_start", Int),
            ("ct_saturday_stop", Int),
            ("ct_state_call_times", Text),
            ("ct_holidays", Text),
        ],
    ),
    (
        "vicidial_state_call_times",
        &[
            ("state_call_time_id", Text),
            ("state_call_time_state", Text),
            ("sct_default_start", Int),
            ("sct_default_stop", Int),
            ("sct_sunday_start", Int),
            ("sct_sunday_stop", Int),
            ("sct_monday_start", Int),
            ("sct_monday_stop", Int),
            ("sct_tuesday_start", Int),
            ("sct_tuesday_stop", Int),
            ("sct_wednesday_start", Int),
            ("sct_wednesday_stop", Int),
            ("sct_thursday_start", Int),
            ("sct_thursday_stop", Int),
            ("sct_friday_start", Int),
            ("sct_friday_stop", Int),
            ("sct_saturday_start", Int),
            ("sct_saturday_stop", Int),
            ("ct_holidays", Text),
        ],
    ),
    (
        "vicidial_call_time_holidays",
        &[
            ("holiday_id", Text),
            ("holiday_date", Date),
            ("holiday_status", Text),
            ("ct_default_start", Int),
            ("ct_default_stop", Int),
        ],
    ),
];

/// [`REQUIRED`], plus the lead columns the email template reads (as text).
fn required() -> Vec<(&'static str, Vec<(&'static str, Kind)>)> {
    let template = super::alerts::LEAD_COLUMNS.iter().map(|c| (*c, Any)).collect();
    REQUIRED
        .iter()
        .map(|(t, cols)| (*t, cols.to_vec()))
        .chain([("vicidial_list", template)])
        .collect()
}

/// Whether `vicidial_callbacks.modify_date` is stamped on every change (`ON
/// UPDATE CURRENT_TIMESTAMP`, as VICIdial's bare `TIMESTAMP` means with
/// `explicit_defaults_for_timestamp` off). The pending rule reads it as the
/// moment a callback was made dialable.
pub async fn modify_date_tracks_changes(s: &mut Session) -> DbResult<bool> {
    let rows = s
        .select(
            "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = 'vicidial_callbacks' AND COLUMN_NAME = 'modify_date'",
            vec![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .next()
        .is_some_and(|row| RowReader::new(row).text(0).to_ascii_lowercase().contains("on update")))
}

/// Whether a table has an index that starts with a column (the scans name
/// VICIdial's indexes in hints, which fail where an index is missing).
pub async fn has_index(s: &mut Session, table: &str, column: &str) -> DbResult<bool> {
    let rows = s
        .select(
            "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = ? AND INDEX_NAME = ? AND COLUMN_NAME = ? AND SEQ_IN_INDEX = 1",
            vec![table.into(), column.into(), column.into()],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Lists what the connected database lacks, one plain sentence per problem;
/// empty when everything the daemon uses is there with a usable type.
pub async fn problems(s: &mut Session) -> DbResult<Vec<String>> {
    let rows = s
        .select(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
            vec![],
        )
        .await?;
    let mut found: std::collections::HashMap<(String, String), String> = std::collections::HashMap::new();
    for row in rows {
        let mut r = RowReader::new(row);
        found.insert(
            (r.text(0).to_ascii_lowercase(), r.text(1).to_ascii_lowercase()),
            r.text(2),
        );
    }
    Ok(compare(&found))
}

fn compare(found: &std::collections::HashMap<(String, String), String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, columns) in required() {
        if !found.keys().any(|(t, _)| t == table) {
            problems.push(format!("table {table} is missing"));
            continue;
        }
        for (column, kind) in columns {
            let kind = &kind;
            match found.get(&(table.to_string(), column.to_string())) {
                None => problems.push(format!("column {table}.{column} is missing")),
                Some(t) if !kind.accepts(t) => problems.push(format!(
                    "column {table}.{column} is {t}, which cannot hold {kind:?} values"
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// `(server_ip, local_gmt)` of every active server, for `check`.
pub async fn server_gmt(s: &mut Session) -> DbResult<Vec<(String, String)>> {
    let rows = s
        .select("SELECT server_ip, local_gmt FROM servers WHERE active = 'Y'", vec![])
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = RowReader::new(row);
            (r.text(0), r.text(1))
        })
        .collect())
}

/// The server's `VERSION()`.
pub async fn version(s: &mut Session) -> DbResult<String> {
    let rows = s.select("SELECT VERSION()", vec![]).await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|row| RowReader::new(row).text(0))
        .unwrap_or_default())
}

/// The longest-running statement of the daemon's database user on its
/// database (VICIdial's cron jobs may share the user), with what the server
/// says it waits on, e.g. "Waiting for table metadata lock".
pub async fn longest_statement(s: &mut Session) -> DbResult<Option<String>> {
    let rows = s
        .select(
            "SELECT TIME, STATE, LEFT(INFO, 120) FROM information_schema.PROCESSLIST \
             WHERE ID <> CONNECTION_ID() AND DB = DATABASE() AND INFO IS NOT NULL \
             AND USER = SUBSTRING_INDEX(USER(), '@', 1) ORDER BY TIME DESC LIMIT 1",
            vec![],
        )
        .await?;
    Ok(rows.into_iter().next().map(|row| {
        let mut r = RowReader::new(row);
        let (time, state, info) = (r.text(0), r.text(1), r.text(2));
        format!("the longest statement of this database user has run {time} s, state {state:?}: {info}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_vicidial_types() {
        assert!(Int.accepts("int") && Int.accepts("bigint") && Int.accepts("smallint") && Int.accepts("tinyint"));
        assert!(Text.accepts("varchar") && Text.accepts("enum") && Text.accepts("mediumtext"));
        assert!(DateTime.accepts("datetime") && DateTime.accepts("timestamp") && !DateTime.accepts("date"));
        assert!(Number.accepts("decimal") && !Number.accepts("varchar"));
        assert!(!Int.accepts("varchar"));
    }

    #[test]
    fn compare_names_missing_tables_columns_and_types() {
        let mut found = std::collections::HashMap::new();
        for (table, columns) in required() {
            for (column, kind) in columns {
                let t = match kind {
                    Int | Number => "int",
                    Text | Any => "varchar",
                    DateTime | Date => "datetime",
                };
                found
                    .entry((table.to_string(), column.to_string()))
                    .or_insert(t.to_string());
            }
        }
        assert!(compare(&found).is_empty(), "{:?}", compare(&found));
        found.remove(&("vicidial_callbacks".to_string(), "lead_status".to_string()));
        found.insert(("vicidial_list".into(), "gmt_offset_now".into()), "varchar".into());
        found.retain(|(t, _), _| t != "vicidial_dnc");
        let p = compare(&found);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(
            p.iter()
                .any(|m| m == "column vicidial_callbacks.lead_status is missing")
        );
        assert!(p.iter().any(|m| m.contains("vicidial_list.gmt_offset_now is varchar")));
        assert!(p.iter().any(|m| m == "table vicidial_dnc is missing"));
    }
}
