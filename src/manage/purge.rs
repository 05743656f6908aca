//! `callbacks purge` and the daemon's daily purge, one code: the callbacks
//! VICIdial's `AST_DB_dead_cb_purge.pl` takes (`INACTIVE`, and those whose
//! lead is gone; optionally those of non-callback leads and duplicates) are
//! copied into `vicidial_callbacks_archive`, then deleted. Unlike VICIdial's
//! script, which deletes even when the copy failed (lines 214-218, VICIdial 2.14;
//! `docs/vicidial.md`, section "Purge": the
//! archive's primary key has no AUTO_INCREMENT, so an id archived before
//! makes the INSERT fail), a callback is deleted only when the archive holds
//! an identical row: an id already archived with other contents stays where
//! it is, and is reported.


use tracing::warn;

use super::common::{Actor, ManageError, parse_duration};
use crate::manage::args::PurgeArgs;
use crate::db::Stmt;
use crate::db::manage::{self, AdminLog, PurgeScope};
use crate::db::{DbResult, Session};

/// Callbacks per statement.
const BATCH: usize = 500;

/// Longest `event_sql` written: a large purge lists its first statements.
const MAX_EVENT_SQL: usize = 60_000;

/// What a purge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Callbacks the purge selected.
    pub selected: u64,
    /// New rows in the archive.
    pub archived: u64,
    /// Callbacks deleted (each one identical in the archive).
    pub deleted: u64,
    /// Callbacks left in place: the archive holds another row with the same id
    /// (or the row changed while it was being archived).
    pub kept: Vec<u32>,
}

impl std::fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "selected={} archived={} deleted={} kept={}",
            self.selected,
            self.archived,
            self.deleted,
            self.kept.len()
        )
    }
}

/// Purges what `scope` selects; with `dry_run` only counts. Writes one
/// `vicidial_admin_log` row (`LEADS`, `DELETE`, record `callbacks`) when something was purged or kept.
pub async fn purge(s: &mut Session, scope: &PurgeScope, actor: &Actor, dry_run: bool) -> DbResult<PurgeReport> {
    let mut report = PurgeReport::default();
    let mut statements: Vec<Stmt> = Vec::new();
    let mut after = 0;
    loop {
        let ids = manage::purge_candidates(s, scope, after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        report.selected += ids.len() as u64;
        if dry_run {
            continue;
        }
        let copy = manage::archive(&ids, scope);
        report.archived += copy.run(s).await?;
        let delete = manage::delete_archived(&ids);
        report.deleted += delete.run(s).await?;
        let kept = manage::archived_differently(s, &ids).await?;
        for id in &kept {
            warn!(
                callback_id = id,
                "purge: kept, vicidial_callbacks_archive already holds callback {id} with other contents"
            );
        }
        report.kept.extend(kept);
        statements.extend([copy, delete]);
    }
    if !dry_run && report.selected > 0 {
        let mut log = AdminLog {
            user: actor.user.clone(),
            ip_address: actor.ip.clone(),
            section: "LEADS",
            event_type: "DELETE",
            record_id: "callbacks".into(),
            code: "CALLBACK PURGE",
            statements,
            notes: String::new(),
        };
        log.notes = actor.noted(format!(
            "callbacks archived: {}|callbacks deleted: {}|kept, already archived with other contents: {}|{}",
            report.archived,
            report.deleted,
            report.kept.len(),
            scope_words(scope)
        ));
        if log.event_sql().len() > MAX_EVENT_SQL {
            let total = log.statements.len();
            while log.statements.len() > 1 && log.event_sql().len() > MAX_EVENT_SQL {
                log.statements.pop();
            }
            log.notes.push_str(&format!(
                "|event_sql: first {} of {total} statements",
                log.statements.len()
            ));
        }
        log.stmt().run(s).await?;
    }
    Ok(report)
}

fn scope_words(scope: &PurgeScope) -> String {
    let mut words = vec!["INACTIVE, lead gone".to_string()];
    if scope.non_callback_leads {
        words.push("non-callback leads".into());
    }
    if scope.duplicates {
        words.push("duplicates".into());
    }
    if let Some(secs) = scope.older_than_seconds {
        words.push(format!("changed more than {secs} s ago"));
    }
    words.join(", ")
}

/// `callbacks purge`.
pub async fn command(s: &mut Session, args: PurgeArgs) -> Result<(), ManageError> {
    let older = args.older_than.as_deref().map(parse_duration).transpose()?;
    let scope = PurgeScope {
        older_than_seconds: older.map(|d| d.num_seconds().max(0) as u64),
        non_callback_leads: args.non_callback_leads,
        duplicates: args.duplicates,
    };
    let actor = Actor::of_command(args.change.as_user.as_deref());
    let report = purge(s, &scope, &actor, args.change.dry_run).await?;
    if args.change.dry_run {
        println!(
            "dry run: would archive and delete {} callbacks ({})",
            report.selected,
            scope_words(&scope)
        );
        return Ok(());
    }
    println!(
        "purged {} callbacks: {} copied into vicidial_callbacks_archive, {} deleted ({})",
        report.selected,
        report.archived,
        report.deleted,
        scope_words(&scope)
    );
    if !report.kept.is_empty() {
        let ids: Vec<String> = report.kept.iter().map(u32::to_string).collect();
        println!(
            "kept {}: vicidial_callbacks_archive already holds these ids with other contents; compare them by hand: {}",
            report.kept.len(),
            ids.join(", ")
        );
    }
    Ok(())
}
