//! The table privileges the daemon's statements need, by feature: what
//! `check` verifies, for what the configuration turns on. Kept beside the
//! statements (this folder): a statement that writes a table it did not
//! write before adds its line here.

/// One privilege on one table, and which statements need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    /// `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub privilege: &'static str,
    /// The table (of the daemon's database).
    pub table: &'static str,
    /// What needs it, for the message.
    pub why: &'static str,
}

const fn need(privilege: &'static str, table: &'static str, why: &'static str) -> Need {
    Need { privilege, table, why }
}

/// The engine's writes, always on.
const ENGINE: &[Need] = &[
    need("UPDATE", "vicidial_callbacks", "claims, holds, kills"),
    need("UPDATE", "vicidial_list", "the leads' callback status"),
    need("INSERT", "vicidial_hopper", "hopper rows"),
    need("DELETE", "vicidial_hopper", "second rows of a lead"),
    need("SELECT", "callbackd_leader", "terms of leadership"),
    need("INSERT", "callbackd_leader", "terms of leadership"),
    need("UPDATE", "callbackd_leader", "terms of leadership"),
    need("SELECT", "callbackd_claimed", "the daemon's own claims"),
    need("INSERT", "callbackd_claimed", "the daemon's own claims"),
    need("DELETE", "callbackd_claimed", "the daemon's own claims"),
    need("SELECT", "callbackd_queued", "the daemon's own hopper rows"),
    need("INSERT", "callbackd_queued", "the daemon's own hopper rows"),
    need("DELETE", "callbackd_queued", "the daemon's own hopper rows"),
];

/// The scheduled purge (`[purge] enabled`).
const PURGE: &[Need] = &[
    need("SELECT", "vicidial_callbacks_archive", "the scheduled purge"),
    need("INSERT", "vicidial_callbacks_archive", "the scheduled purge"),
    need("DELETE", "vicidial_callbacks", "the scheduled purge"),
    need("INSERT", "vicidial_admin_log", "the scheduled purge's admin log entry"),
];

/// The availability move (`[availability]`).
const AVAILABILITY: &[Need] = &[need(
    "INSERT",
    "vicidial_admin_log",
    "the availability move's admin log entry",
)];

/// What the daemon needs with these features on (no repeats).
pub fn needed(purge: bool, availability: bool) -> Vec<Need> {
    let mut all: Vec<Need> = ENGINE.to_vec();
    for (on, needs) in [(purge, PURGE), (availability, AVAILABILITY)] {
        if on {
            for n in needs {
                if !all.iter().any(|a| a.privilege == n.privilege && a.table == n.table) {
                    all.push(*n);
                }
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_add_their_tables_once() {
        let engine = needed(false, false);
        assert!(!engine.iter().any(|n| n.table == "vicidial_callbacks_archive"));
        let all = needed(true, true);
        assert!(
            all.iter()
                .any(|n| n.privilege == "INSERT" && n.table == "vicidial_callbacks_archive")
        );
        let logs = all
            .iter()
            .filter(|n| n.privilege == "INSERT" && n.table == "vicidial_admin_log")
            .count();
        assert_eq!(logs, 1);
    }

    #[test]
    fn every_table_written_is_one_the_statements_write() {
        // Each write privilege is one a statement of db/ uses on that table.
        let sources = [
            include_str!("callbacks.rs"),
            include_str!("hopper.rs"),
            include_str!("fence.rs"),
            include_str!("manage.rs"),
            include_str!("../../sql/callbackd.sql"),
        ]
        .join("\n");
        for n in needed(true, true).iter().filter(|n| n.privilege != "SELECT") {
            let verb = match n.privilege {
                "INSERT" => ["INSERT INTO ", "REPLACE INTO ", "INSERT IGNORE INTO "],
                "UPDATE" => ["UPDATE ", "UPDATE ", "UPDATE "],
                _ => ["DELETE FROM ", "DELETE cb FROM ", "DELETE h FROM "],
            };
            let upsert = n.privilege == "UPDATE"
                && sources.contains(&format!("INSERT INTO {} ", n.table))
                && sources.contains("ON DUPLICATE KEY UPDATE");
            assert!(
                upsert || verb.iter().any(|v| sources.contains(&format!("{v}{}", n.table))),
                "{} on {} is in no statement",
                n.privilege,
                n.table
            );
        }
    }
}
