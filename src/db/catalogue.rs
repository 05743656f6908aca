//! The catalogue of what the daemon's statements touch: for each feature,
//! the privilege it needs on each table and the columns it writes. Every
//! statement the daemon sends lives in this folder (a test below reads the
//! rest of the source to keep it so), and a test reads every write statement
//! here to check that it is in the catalogue, and every catalogue entry is
//! in a statement.
//!
//! `check` asks the server itself: for each entry of the enabled features it
//! runs [`Need::probe`], an `EXPLAIN` of a statement of that kind on that
//! table and those columns. The server checks privileges for an `EXPLAIN` as
//! for the statement, but runs nothing, so grants through roles, to
//! `PUBLIC`, on columns or on wildcard databases are judged exactly as the
//! daemon's own statements will be.
//!
//! Binary-log following needs global privileges that no `EXPLAIN` shows;
//! `check` tries the stream itself (`binlog::probe`).

use super::{DbError, DbResult, Session};
use crate::config::Config;

/// What turns a set of statements on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Activation, hopper inserts, the USERONLY move, leadership: always on.
    Engine,
    /// Email alerts (`[email] enabled`).
    Alerts,
    /// The scheduled purge (`[purge] enabled`).
    Purge,
    /// The availability move (`[availability]`).
    Availability,
    /// The daily promise report by email (`[report] enabled`).
    Digest,
    /// The manager commands (`callbacks reassign`, `convert`, `purge`, ...),
    /// run by whoever runs them: `check` warns about these, it does not fail.
    Commands,
}

impl Feature {
    /// Whether `config` turns this feature on.
    pub fn on(self, config: &Config) -> bool {
        match self {
            Feature::Engine => true,
            Feature::Alerts => config.email.enabled,
            Feature::Purge => config.purge.enabled,
            Feature::Availability => config.availability.any(),
            Feature::Digest => config.report.enabled && config.report.time().is_some(),
            Feature::Commands => false,
        }
    }
}

/// A kind of statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Reads.
    Select,
    /// `INSERT` (and `REPLACE`, with [`Privilege::Delete`]).
    Insert,
    /// `UPDATE` of the listed columns.
    Update,
    /// `DELETE`.
    Delete,
}

impl Privilege {
    /// The privilege's name in `GRANT`.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
        }
    }
}

/// One privilege on one table, for one feature.
#[derive(Clone, Copy, Debug)]
pub struct Need {
    /// The feature whose statements need it.
    pub feature: Feature,
    /// The kind of statement.
    pub privilege: Privilege,
    /// The table, in the daemon's database.
    pub table: &'static str,
    /// The columns written (`INSERT`, `UPDATE`) or read (`SELECT`).
    pub columns: &'static [&'static str],
    /// What needs it, for the message.
    pub why: &'static str,
}

const fn need(
    feature: Feature,
    privilege: Privilege,
    table: &'static str,
    columns: &'static [&'static str],
    why: &'static str,
) -> Need {
    Need {
        feature,
        privilege,
        table,
        columns,
        why,
    }
}

use Feature::*;
use Privilege::*;

const HOPPER_ROW: &[&str] = &[
    "lead_id",
    "campaign_id",
    "status",
    "user",
    "list_id",
    "gmt_offset_now",
    "state",
    "alt_dial",
    "priority",
    "source",
    "vendor_lead_code",
];
const ADMIN_LOG_ROW: &[&str] = &[
    "event_date",
    "user",
    "ip_address",
    "event_section",
    "event_type",
    "record_id",
    "event_code",
    "event_sql",
    "event_notes",
];

/// Every write, and the reads of the daemon's own tables (the reads of
/// VICIdial's tables are [`super::schema::REQUIRED`]).
pub const WRITES: &[Need] = &[
    need(
        Engine,
        Update,
        "vicidial_callbacks",
        &["status", "recipient"],
        "claims, holds, kills",
    ),
    need(
        Engine,
        Update,
        "vicidial_list",
        &["status", "called_since_last_reset"],
        "the leads' callback status",
    ),
    need(Engine, Insert, "vicidial_hopper", HOPPER_ROW, "hopper rows"),
    need(Engine, Delete, "vicidial_hopper", &[], "second rows of a lead"),
    need(
        Engine,
        Select,
        "callbackd_leader",
        &["lock_name", "term"],
        "terms of leadership",
    ),
    need(
        Engine,
        Insert,
        "callbackd_leader",
        &["lock_name", "term", "holder", "taken_at"],
        "terms of leadership",
    ),
    need(
        Engine,
        Update,
        "callbackd_leader",
        &["term", "holder", "taken_at"],
        "terms of leadership",
    ),
    need(
        Engine,
        Select,
        "callbackd_claimed",
        &["callback_id", "claimed_at"],
        "the daemon's own claims",
    ),
    need(
        Engine,
        Insert,
        "callbackd_claimed",
        &["callback_id", "claimed_at"],
        "the daemon's own claims",
    ),
    need(Engine, Delete, "callbackd_claimed", &[], "the daemon's own claims"),
    need(
        Engine,
        Select,
        "callbackd_queued",
        &["hopper_id", "lead_id", "queued_at"],
        "the daemon's own hopper rows",
    ),
    need(
        Engine,
        Insert,
        "callbackd_queued",
        &["hopper_id", "lead_id", "queued_at"],
        "the daemon's own hopper rows",
    ),
    need(Engine, Delete, "callbackd_queued", &[], "the daemon's own hopper rows"),
    need(
        Alerts,
        Update,
        "vicidial_callbacks",
        &["email_alert", "email_result"],
        "email alerts",
    ),
    need(
        Purge,
        Select,
        "vicidial_callbacks_archive",
        &["callback_id"],
        "the scheduled purge",
    ),
    need(
        Purge,
        Insert,
        "vicidial_callbacks_archive",
        &["callback_id"],
        "the scheduled purge",
    ),
    need(Purge, Delete, "vicidial_callbacks", &[], "the scheduled purge"),
    need(
        Purge,
        Insert,
        "vicidial_admin_log",
        ADMIN_LOG_ROW,
        "the scheduled purge's admin log entry",
    ),
    need(
        Availability,
        Insert,
        "vicidial_admin_log",
        ADMIN_LOG_ROW,
        "the availability move's admin log entry",
    ),
    need(
        Digest,
        Insert,
        "vicidial_admin_log",
        ADMIN_LOG_ROW,
        "the daily report's admin log entry",
    ),
    need(
        Digest,
        Update,
        "vicidial_admin_log",
        &["event_notes"],
        "the daily report's admin log entry",
    ),
    need(
        Commands,
        Update,
        "vicidial_callbacks",
        &[
            "user",
            "recipient",
            "callback_time",
            "status",
            "email_alert",
            "email_result",
        ],
        "manager commands",
    ),
    need(Commands, Update, "vicidial_list", &["status"], "manager commands"),
    need(Commands, Delete, "vicidial_hopper", &[], "manager commands"),
    need(
        Commands,
        Insert,
        "vicidial_admin_log",
        ADMIN_LOG_ROW,
        "manager commands",
    ),
    need(
        Commands,
        Insert,
        "vicidial_callbacks_archive",
        &["callback_id"],
        "callbacks purge",
    ),
    need(Commands, Delete, "vicidial_callbacks", &[], "callbacks purge"),
];

/// What the manager commands need beyond the reads.
pub fn commands() -> Vec<Need> {
    WRITES.iter().filter(|n| n.feature == Commands).copied().collect()
}

/// What the daemon needs with `config`'s features on: every read of
/// VICIdial's tables, then the entries of the enabled features (an entry
/// two features share once).
pub fn needed(config: &Config) -> Vec<Need> {
    let mut all: Vec<Need> = super::schema::REQUIRED
        .iter()
        .map(|&(table, _)| need(Engine, Select, table, &[], "reads"))
        .collect();
    for n in WRITES.iter().filter(|n| n.feature.on(config)) {
        if !all
            .iter()
            .any(|a| a.privilege == n.privilege && a.table == n.table && a.columns == n.columns)
        {
            all.push(*n);
        }
    }
    all
}

impl Need {
    /// A statement the server checks as this need's statements but does
    /// not run: `EXPLAIN` of a statement that could change nothing. Table
    /// and column names are the catalogue's own constants.
    pub fn probe(&self) -> String {
        let t = self.table;
        let columns = if self.columns.is_empty() {
            super::schema::REQUIRED
                .iter()
                .find(|(table, _)| *table == t)
                .map(|(_, cols)| cols.iter().map(|(c, _)| *c).collect::<Vec<_>>())
                .unwrap_or_default()
        } else {
            self.columns.to_vec()
        };
        let list = columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
        match self.privilege {
            Select if list.is_empty() => format!("EXPLAIN SELECT 1 FROM `{t}` LIMIT 0"),
            Select => format!("EXPLAIN SELECT {list} FROM `{t}` LIMIT 0"),
            Insert => format!(
                "EXPLAIN INSERT INTO `{t}` ({list}) SELECT {} FROM DUAL WHERE FALSE",
                vec!["NULL"; columns.len()].join(", ")
            ),
            Update => format!(
                "EXPLAIN UPDATE `{t}` SET {} WHERE FALSE",
                columns
                    .iter()
                    .map(|c| format!("`{c}` = `{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Delete => format!("EXPLAIN DELETE FROM `{t}` WHERE FALSE"),
        }
    }
}

/// What the server said to a privilege probe.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The statement is allowed.
    Allowed,
    /// Not granted: the server's message.
    Denied(String),
    /// The table does not exist (`ER_NO_SUCH_TABLE`).
    NoTable,
}

/// Runs a privilege probe ([`Need::probe`]); an error for any failure
/// other than a denial or a missing table.
pub async fn probe(s: &mut Session, sql: &str) -> DbResult<Answer> {
    match s.select(sql, vec![]).await {
        Ok(_) => Ok(Answer::Allowed),
        Err(DbError::Mysql(mysql_async::Error::Server(e))) if is_denied(e.code) => Ok(Answer::Denied(e.message)),
        Err(DbError::Mysql(mysql_async::Error::Server(e))) if e.code == 1146 => Ok(Answer::NoTable),
        Err(e) => Err(e),
    }
}

/// Whether `table` is one of the daemon's own (`sql/callbackd.sql`), which
/// it makes at its first start when missing.
pub fn is_own(table: &str) -> bool {
    table.starts_with("callbackd_")
}

/// Whether a server error means "not granted" (`ER_TABLEACCESS_DENIED_ERROR`,
/// `ER_COLUMNACCESS_DENIED_ERROR`), as opposed to anything else.
pub fn is_denied(code: u16) -> bool {
    matches!(code, 1142 | 1143)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source of this folder outside its tests, and of the rest of the
    /// crate, as `(path, text)`.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
                    out.push((path.display().to_string(), code));
                }
            }
        }
        let mut out = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
        out
    }

    /// The words after each occurrence of `keyword` in `text`.
    fn after<'a>(text: &'a str, keyword: &str) -> Vec<Vec<&'a str>> {
        text.match_indices(keyword)
            .map(|(i, _)| {
                text[i + keyword.len()..]
                    .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
                    .filter(|w| !w.is_empty())
                    .take(12)
                    .collect()
            })
            .collect()
    }

    fn db_sources() -> String {
        sources()
            .into_iter()
            .filter(|(p, _)| p.contains("/src/db/") && !p.ends_with("catalogue.rs"))
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
            + include_str!("../../sql/callbackd.sql")
    }

    /// `(privilege, table)` of every write statement of this folder.
    fn writes(text: &str) -> Vec<(Privilege, String)> {
        let mut found = Vec::new();
        for words in after(text, "INSERT INTO ")
            .into_iter()
            .chain(after(text, "INSERT IGNORE INTO "))
            .chain(after(text, "REPLACE INTO "))
        {
            found.push((Insert, words[0].to_string()));
        }
        for words in after(text, "REPLACE INTO ") {
            found.push((Delete, words[0].to_string()));
        }
        for (i, _) in text.match_indices("\"UPDATE ").chain(text.match_indices(" UPDATE ")) {
            let words: Vec<&str> = text[i + 8..].split_whitespace().take(1).collect();
            if let Some(w) = words.first()
                && w.starts_with("vicidial_")
            {
                found.push((Update, w.to_string()));
            }
        }
        for words in after(text, "DELETE ") {
            let table = if words.first() == Some(&"FROM") {
                words.get(1)
            } else {
                words.get(2)
            };
            if let Some(t) = table {
                found.push((Delete, t.to_string()));
            }
        }
        found
    }

    #[test]
    fn every_write_statement_is_in_the_catalogue_and_every_entry_in_a_statement() {
        let text = db_sources();
        let found = writes(&text);
        assert!(found.len() > 15, "the scan found too little: {found:?}");
        for (privilege, table) in &found {
            assert!(
                WRITES.iter().any(|n| n.privilege == *privilege && n.table == table),
                "{privilege:?} on {table} is written by a statement but not in the catalogue"
            );
        }
        for n in WRITES.iter().filter(|n| n.privilege != Select) {
            let upsert = n.privilege == Update
                && text.contains(&format!("INSERT INTO {} ", n.table))
                && text.contains("ON DUPLICATE KEY UPDATE");
            assert!(
                upsert || found.iter().any(|(p, t)| *p == n.privilege && t == n.table),
                "{:?} on {} is in the catalogue but in no statement",
                n.privilege,
                n.table
            );
        }
    }

    #[test]
    fn the_columns_each_update_sets_are_in_its_entry() {
        let text = db_sources();
        for (i, _) in text.match_indices("UPDATE vicidial_") {
            let rest = &text[i + 7..];
            let table = rest.split_whitespace().next().unwrap();
            let Some(set) = rest.find(" SET ") else { continue };
            let end = rest[set..].find(" WHERE ").map_or(rest.len(), |e| set + e);
            for assignment in rest[set + 5..end].split(',') {
                let column = assignment.split('=').next().unwrap().trim();
                let column = column.rsplit('.').next().unwrap();
                assert!(
                    WRITES
                        .iter()
                        .any(|n| n.privilege == Update && n.table == table && n.columns.contains(&column)),
                    "UPDATE {table} sets {column}, not in the catalogue"
                );
            }
        }
    }

    #[test]
    fn no_statement_is_sent_from_outside_this_folder() {
        let verbs = [
            "\"SELECT ",
            "\"INSERT ",
            "\"UPDATE ",
            "\"DELETE ",
            "\"REPLACE ",
            "\"SHOW ",
            "\"SET ",
            "\"DO ",
            "\"KILL ",
            "\"EXPLAIN ",
            "\"CREATE ",
        ];
        for (path, code) in sources() {
            if path.contains("/src/db/") {
                continue;
            }
            for verb in verbs {
                assert!(!code.contains(verb), "{path} sends SQL ({verb}...): it belongs in db/");
            }
        }
    }

    #[test]
    fn probes_name_the_table_and_columns_and_change_nothing() {
        let n = WRITES
            .iter()
            .find(|n| n.privilege == Update && n.table == "vicidial_list")
            .unwrap();
        assert_eq!(
            n.probe(),
            "EXPLAIN UPDATE `vicidial_list` SET `status` = `status`, \
             `called_since_last_reset` = `called_since_last_reset` WHERE FALSE"
        );
        for n in WRITES {
            let p = n.probe();
            assert!(p.starts_with("EXPLAIN "), "{p}");
            assert!(p.contains("WHERE FALSE") || p.ends_with("LIMIT 0"), "{p}");
        }
    }
}
