//! From row events to [`Change`]s: which tables are watched, where their key
//! columns sit, and which changes are worth a pass.

use std::collections::{HashMap, HashSet};

use mysql_async::Value;
use mysql_async::binlog::events::{RowsEventData, TableMapEvent};
use mysql_async::binlog::row::BinlogRow;
use mysql_async::binlog::value::BinlogValue;

use super::Change;
use crate::db::replica::ColumnAt;

/// What a watched table's changes mean to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `vicidial_callbacks`: every change, by `callback_id`.
    Callbacks,
    /// `vicidial_list`: changes of leads with an open callback.
    Leads,
    /// `vicidial_hopper`: deletions of leads with an open callback. Waking
    /// at once on the dialer's own delete is safe: it marks the lead called
    /// first (`AST_VDauto_dial.pl` lines 1932/1936, VICIdial 2.14,
    /// `called_since_last_reset`), then deletes the row (line 2077), so the pass
    /// sees a dialed lead (`docs/vicidial.md`, section "Dialer").
    Hopper,
    /// A table the gates read: real changes, not VICIdial's stamps.
    Settings,
}

/// The watched tables (those `db::settings` reads for the gates included).
pub const WATCHED: &[(&str, Kind)] = &[
    ("vicidial_callbacks", Kind::Callbacks),
    ("vicidial_list", Kind::Leads),
    ("vicidial_hopper", Kind::Hopper),
    ("vicidial_campaigns", Kind::Settings),
    ("vicidial_lists", Kind::Settings),
    ("system_settings", Kind::Settings),
    ("vicidial_call_times", Kind::Settings),
    ("vicidial_state_call_times", Kind::Settings),
    ("vicidial_call_time_holidays", Kind::Settings),
    ("vicidial_settings_containers", Kind::Settings),
];

/// Columns of the settings tables that VICIdial's own jobs write every few
/// seconds or every run, and that no gate reads: an update of only these
/// (and of `ON UPDATE` timestamps) wakes nothing.
pub const NOISE: &[(&str, &str)] = &[
    // `AST_VDauto_dial.pl` lines 2418 and 4069 (VICIdial 2.14), every dialing loop with calls placed
    // or agents logged in.
    ("vicidial_campaigns", "campaign_calldate"),
    ("vicidial_campaigns", "campaign_logindate"),
    // `AST_VDadapt.pl` lines 678 and 712 (stats), 7048 (adaptive dial level), VICIdial 2.14.
    ("vicidial_campaigns", "campaign_stats_refresh"),
    ("vicidial_campaigns", "auto_dial_level"),
    // `AST_VDhopper.pl` lines 1413 and 2943 (VICIdial 2.14), every minute.
    ("vicidial_campaigns", "auto_hopper_level"),
    ("vicidial_campaigns", "hopper_drop_run_trigger"),
    // `AST_VDauto_dial.pl` line 4060; `ADMIN_keepalive_ALL.pl` lines 1378, 6504, 6604 (VICIdial 2.14).
    ("vicidial_lists", "list_lastcalldate"),
    ("vicidial_lists", "resets_today"),
    // `AST_VDhopper.pl` line 1283; `ADMIN_keepalive_ALL.pl` lines 2804, 5639 (VICIdial 2.14).
    ("system_settings", "call_limit_24hour_reset"),
    ("system_settings", "voicemail_timezones"),
    ("system_settings", "highest_lead_id"),
];

/// Where one watched table's columns sit.
#[derive(Clone, Debug, Default)]
struct Layout {
    /// The column that names a row to the engine: `callback_id` for
    /// callbacks, `lead_id` for leads and the hopper.
    key: Option<usize>,
    /// `vicidial_callbacks.lead_id`: a callback's lead becomes watched.
    lead: Option<usize>,
    /// Columns whose change alone says nothing (see [`NOISE`]).
    ignored: HashSet<usize>,
}

/// The watched tables of one database, with their layouts.
#[derive(Debug)]
pub struct Tables {
    database: String,
    tables: HashMap<String, (Kind, Layout)>,
}

impl Tables {
    /// Layouts from `information_schema` (see `db::binlog::columns`).
    pub fn new(database: &str, columns: &[ColumnAt]) -> Tables {
        let mut tables: HashMap<String, (Kind, Layout)> = WATCHED
            .iter()
            .map(|(name, kind)| (name.to_string(), (*kind, Layout::default())))
            .collect();
        for c in columns {
            let Some((kind, layout)) = tables.get_mut(&c.table) else {
                continue;
            };
            let key = match kind {
                Kind::Callbacks => "callback_id",
                Kind::Leads | Kind::Hopper => "lead_id",
                Kind::Settings => "",
            };
            if c.column.eq_ignore_ascii_case(key) {
                layout.key = Some(c.index);
            }
            if *kind == Kind::Callbacks && c.column.eq_ignore_ascii_case("lead_id") {
                layout.lead = Some(c.index);
            }
            let noise = NOISE
                .iter()
                .any(|(t, col)| *t == c.table && col.eq_ignore_ascii_case(&c.column));
            if noise || c.on_update {
                layout.ignored.insert(c.index);
            }
        }
        Tables {
            database: database.to_owned(),
            tables,
        }
    }

    /// The kind of a table-mapped table, when it is watched.
    pub fn kind(&self, tme: &TableMapEvent<'_>) -> Option<Kind> {
        self.watched(tme).map(|(kind, _)| *kind)
    }

    fn watched(&self, tme: &TableMapEvent<'_>) -> Option<&(Kind, Layout)> {
        if tme.database_name() != self.database {
            return None;
        }
        self.tables.get(tme.table_name().as_ref())
    }

    /// Whether a statement logged as text (DDL, `TRUNCATE`, the `DELETE` a
    /// server logs for a MEMORY table emptied by its restart) may touch a
    /// watched table of this database. Generous: a false hit costs one pass.
    pub fn statement_touches(&self, schema: &str, query: &str) -> bool {
        let q = query.trim_start().to_ascii_lowercase();
        if q.starts_with("begin") || q.starts_with("commit") || q.starts_with("xa ") || q.starts_with("savepoint") {
            return false;
        }
        (schema == self.database || q.contains(&self.database.to_ascii_lowercase()))
            && self.tables.keys().any(|t| q.contains(t.as_str()))
    }

    /// What a rows event on a watched table says, or `None` when it is
    /// nothing the engine needs. `leads` are the leads with an open callback;
    /// a callback written adds its lead.
    pub fn change(
        &self,
        event: &RowsEventData<'_>,
        tme: &TableMapEvent<'_>,
        leads: &mut HashSet<u32>,
    ) -> Option<Change> {
        let (kind, layout) = self.watched(tme)?;
        let delete = matches!(
            event,
            RowsEventData::DeleteRowsEvent(_) | RowsEventData::DeleteRowsEventV1(_)
        );
        if *kind == Kind::Hopper && !delete {
            return None;
        }
        let before: Vec<usize> = event
            .columns_before_image()
            .map(|b| b.iter_ones().collect())
            .unwrap_or_default();
        let after: Vec<usize> = event
            .columns_after_image()
            .map(|b| b.iter_ones().collect())
            .unwrap_or_default();
        let mut ids = Vec::new();
        // A row that cannot be read still says "this table changed".
        let mut unknown = false;
        let mut settings_changed = false;
        for rows in event.rows(tme) {
            let Ok((old, new)) = rows else {
                unknown = true;
                break;
            };
            let key = |image: &Option<BinlogRow>, present: &[usize], col: Option<usize>| {
                image.as_ref().and_then(|row| id_at(row, present, col?))
            };
            match kind {
                Kind::Settings => settings_changed |= differs(&old, &before, &new, &after, &layout.ignored),
                Kind::Callbacks => {
                    if let Some(lead) = key(&new, &after, layout.lead) {
                        leads.insert(lead);
                    }
                    match key(&new, &after, layout.key).or_else(|| key(&old, &before, layout.key)) {
                        Some(id) => ids.push(id),
                        None => unknown = true,
                    }
                }
                Kind::Leads | Kind::Hopper => {
                    match key(&old, &before, layout.key).or_else(|| key(&new, &after, layout.key)) {
                        Some(lead) if leads.contains(&lead) => ids.push(lead),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
            }
        }
        if unknown {
            // Which rows is unknown: the engine looks at all of them.
            ids.clear();
        } else if ids.is_empty() && !settings_changed {
            return None;
        }
        Some(match kind {
            Kind::Callbacks => Change::Callbacks(ids),
            Kind::Leads => Change::Leads(ids),
            Kind::Hopper => Change::HopperDeleted(ids),
            Kind::Settings => Change::Settings,
        })
    }
}

/// The value of table column `col` in a row image whose present columns are `present`.
fn value_at<'r>(row: &'r BinlogRow, present: &[usize], col: usize) -> Option<&'r BinlogValue<'r>> {
    row.as_ref(present.binary_search(&col).ok()?)
}

/// An id column's value. Without `binlog_row_metadata=FULL` the server does
/// not say a column is unsigned, so an `INT UNSIGNED` above 2^31 arrives
/// negative: its 32 bits are the id.
fn id_at(row: &BinlogRow, present: &[usize], col: usize) -> Option<u32> {
    match value_at(row, present, col)? {
        BinlogValue::Value(Value::Int(n)) => Some(*n as u32),
        BinlogValue::Value(Value::UInt(n)) => u32::try_from(*n).ok(),
        BinlogValue::Value(Value::Bytes(b)) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Whether an update changed a column that is not ignored; an insert or a
/// delete (one image only) always counts.
fn differs(
    old: &Option<BinlogRow>,
    before: &[usize],
    new: &Option<BinlogRow>,
    after: &[usize],
    ignored: &HashSet<usize>,
) -> bool {
    let (Some(old), Some(new)) = (old, new) else {
        return true;
    };
    after
        .iter()
        .filter(|col| !ignored.contains(col))
        .any(|&col| value_at(old, before, col) != value_at(new, after, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(table: &str, column: &str, index: usize, on_update: bool) -> ColumnAt {
        ColumnAt {
            table: table.into(),
            column: column.into(),
            index,
            on_update,
        }
    }

    #[test]
    fn layouts_find_the_keys_and_the_noise() {
        let tables = Tables::new(
            "asterisk",
            &[
                col("vicidial_callbacks", "callback_id", 0, false),
                col("vicidial_callbacks", "lead_id", 1, false),
                col("vicidial_hopper", "hopper_id", 0, false),
                col("vicidial_hopper", "lead_id", 1, false),
                col("vicidial_lists", "list_lastcalldate", 7, false),
                col("vicidial_call_times", "modify_stamp", 9, true),
                col("vicidial_live_agents", "lead_id", 3, false),
            ],
        );
        let (_, cb) = &tables.tables["vicidial_callbacks"];
        assert_eq!((cb.key, cb.lead), (Some(0), Some(1)));
        assert_eq!(tables.tables["vicidial_hopper"].1.key, Some(1));
        assert!(tables.tables["vicidial_lists"].1.ignored.contains(&7));
        assert!(tables.tables["vicidial_call_times"].1.ignored.contains(&9));
        assert!(!tables.tables.contains_key("vicidial_live_agents"));
    }

    #[test]
    fn statements_on_watched_tables_of_this_database_count() {
        let tables = Tables::new("asterisk", &[]);
        assert!(tables.statement_touches("", "DELETE FROM `asterisk`.`vicidial_hopper`"));
        assert!(tables.statement_touches("asterisk", "ALTER TABLE vicidial_list ADD COLUMN x INT"));
        assert!(!tables.statement_touches("other", "TRUNCATE vicidial_hopper"));
        assert!(!tables.statement_touches("asterisk", "BEGIN"));
        assert!(!tables.statement_touches("asterisk", "CREATE TABLE vicidial_log_extra (x INT)"));
    }
}
