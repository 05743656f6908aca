//! `reassign`, `convert`, `reschedule` and `remove`: validated first (the
//! callback exists and is open, the target user exists and is active, a time
//! is not in the past unless `--force`), then one conditional statement per
//! change whose affected-row count is checked, then one `vicidial_admin_log`
//! row, as VICIdial's lead page writes it for one callback
//! (`admin_modify_lead.php` line 1798, VICIdial 2.14: `LEADS`, `MODIFY`, `ADMIN MODIFY LEAD
//! CALLBACK`, the lead id) and its bulk change page for all of an agent's
//! (`callbacks_bulk_change.php` line 210: `USERS`, `MODIFY`, `ADMIN CALLBACK
//! BULK CHANGE`, the new user, `Old user: ...`; `docs/vicidial.md`, section
//! "Manager pages").

use super::common::{Actor, ManageError, parse_time};
use crate::manage::args::{CallbacksCommand, ChangeArgs};
use crate::rules::model::Recipient;
use crate::rules::collation;
use crate::db::Session;
use crate::db::clock;
use crate::db::Stmt;
use crate::db::manage::{self, AdminLog, Detail, Owner};

/// One change: the statement that makes it (its count must be at least
/// one), statements that follow from it, and the admin log entry.
pub struct Change {
    /// What it does, for the output.
    pub summary: String,
    /// The change itself, conditional on the state validated.
    pub first: Stmt,
    /// What follows from it (the lead back to CBHOLD, a hopper row withdrawn).
    pub then: Vec<Stmt>,
    /// The admin log row (its statements are filled in with those run).
    pub log: AdminLog,
}

impl Change {
    /// Applies it, or with `dry_run` only prints it.
    pub async fn apply(mut self, s: &mut Session, dry_run: bool) -> Result<(), ManageError> {
        if dry_run {
            println!("dry run: would {}", self.summary);
            for stmt in std::iter::once(&self.first).chain(&self.then) {
                println!("  {}", stmt.shown());
            }
            return Ok(());
        }
        if self.first.run(s).await? == 0 {
            return Err(ManageError::Failed(format!(
                "nothing changed: it was changed by someone else meanwhile (not {})",
                self.summary
            )));
        }
        println!("{}", self.summary);
        println!("  {}", self.first.shown());
        let mut run = vec![self.first];
        for stmt in self.then {
            let n = stmt.run(s).await?;
            println!("  {} ({n} rows)", stmt.shown());
            run.push(stmt);
        }
        self.log.statements = run;
        self.log.stmt().run(s).await?;
        Ok(())
    }
}

/// Runs `reassign`, `convert`, `reschedule` or `remove`.
pub async fn command(s: &mut Session, command: CallbacksCommand) -> Result<(), ManageError> {
    let (change, args) = match command {
        CallbacksCommand::Reassign {
            id: Some(id),
            to,
            change,
            ..
        } => (reassign(s, id, &to, &change).await?, change),
        CallbacksCommand::Reassign {
            from: Some(from),
            to,
            campaign,
            change,
            ..
        } => (reassign_all(s, &from, &to, campaign.as_deref(), &change).await?, change),
        CallbacksCommand::Convert { id, to, user, change } => {
            (convert(s, id, to, user.as_deref(), &change).await?, change)
        }
        CallbacksCommand::Reschedule { id, to, force, change } => {
            (reschedule(s, id, &to, force, &change).await?, change)
        }
        CallbacksCommand::Remove { id, change } => (remove(s, id, &change).await?, change),
        other => unreachable!("not a change: {other:?}"),
    };
    match change {
        Some(change) => change.apply(s, args.dry_run).await,
        None => Ok(()),
    }
}

/// An open callback, or why it cannot be changed.
async fn open_callback(s: &mut Session, id: u32) -> Result<Detail, ManageError> {
    let d = manage::detail(s, id)
        .await?
        .ok_or_else(|| ManageError::usage(format!("there is no callback {id}")))?;
    if !crate::rules::status::is_open(&d.status) {
        return Err(ManageError::usage(format!(
            "callback {id} is {}: only open callbacks (ACTIVE, LIVE, TFHCCL) can be changed",
            d.status
        )));
    }
    Ok(d)
}

/// A user who exists and is active, as `vicidial_users` spells the name.
async fn active_user(s: &mut Session, name: &str) -> Result<Owner, ManageError> {
    match manage::user(s, name).await? {
        None => Err(ManageError::usage(format!(
            "there is no user {name:?} in vicidial_users"
        ))),
        Some(u) if !u.active => Err(ManageError::usage(format!("user {} is inactive", u.user))),
        Some(u) => Ok(u),
    }
}

/// The admin log row of a change of one callback, as the lead page writes it.
fn lead_page_log(d: &Detail, args: &ChangeArgs, notes: String) -> AdminLog {
    let actor = Actor::of_command(args.as_user.as_deref());
    AdminLog {
        notes: actor.noted(notes),
        user: actor.user,
        ip_address: actor.ip,
        section: "LEADS",
        event_type: "MODIFY",
        record_id: d.lead_id.to_string(),
        code: "ADMIN MODIFY LEAD CALLBACK",
        statements: vec![],
    }
}

fn is_live_anyone(d: &Detail) -> bool {
    crate::rules::status::CallbackStatus::Live.is(&d.status) && collation::eq(&d.recipient, "ANYONE")
}

async fn reassign(s: &mut Session, id: u32, to: &str, args: &ChangeArgs) -> Result<Option<Change>, ManageError> {
    let d = open_callback(s, id).await?;
    let to = active_user(s, to).await?;
    if collation::eq(&d.user, &to.user) {
        println!("callback {id} already belongs to {}: nothing to change", d.user);
        return Ok(None);
    }
    let summary = format!(
        "reassign callback {id} ({}) from {} to {}",
        d.recipient, d.user, to.user
    );
    Ok(Some(Change {
        first: manage::set_user(id, &to.user),
        then: vec![],
        log: lead_page_log(
            &d,
            args,
            format!("callback {id} reassigned from {} to {}", d.user, to.user),
        ),
        summary,
    }))
}

async fn reassign_all(
    s: &mut Session,
    from: &str,
    to: &str,
    campaign: Option<&str>,
    args: &ChangeArgs,
) -> Result<Option<Change>, ManageError> {
    let campaign = match campaign {
        Some(c) => Some(
            manage::campaign_id(s, c)
                .await?
                .ok_or_else(|| ManageError::usage(format!("there is no campaign {c:?}")))?,
        ),
        None => None,
    };
    let to = active_user(s, to).await?;
    let owned = manage::useronly_of(s, from, campaign.as_deref()).await?;
    // A user who is gone may still own callbacks: those are what to reassign.
    if owned.is_empty() && manage::user(s, from).await?.is_none() {
        return Err(ManageError::usage(format!(
            "there is no user {from:?} in vicidial_users, and no open USERONLY callback of that user"
        )));
    }
    if owned.is_empty() {
        println!("{from} has no open USERONLY callbacks: nothing to change");
        return Ok(None);
    }
    let mut ids: Vec<u32> = owned.iter().map(|d| d.callback_id).collect();
    ids.sort_unstable();
    let actor = Actor::of_command(args.as_user.as_deref());
    let listed: Vec<String> = ids.iter().map(u32::to_string).collect();
    Ok(Some(Change {
        summary: format!(
            "reassign {} open USERONLY callbacks{} from {from} to {}: {}",
            ids.len(),
            campaign.map(|c| format!(" of {c}")).unwrap_or_default(),
            to.user,
            listed.join(", ")
        ),
        first: manage::set_user_bulk(&ids, from, &to.user),
        then: vec![],
        log: AdminLog {
            user: actor.user.clone(),
            ip_address: actor.ip.clone(),
            section: "USERS",
            event_type: "MODIFY",
            record_id: to.user.clone(),
            code: "ADMIN CALLBACK BULK CHANGE",
            statements: vec![],
            notes: actor.noted(format!("Old user: {from}|callbacks: {}", listed.join(","))),
        },
    }))
}

async fn convert(
    s: &mut Session,
    id: u32,
    to: Recipient,
    user: Option<&str>,
    args: &ChangeArgs,
) -> Result<Option<Change>, ManageError> {
    let d = open_callback(s, id).await?;
    let (wanted, from) = match to {
        Recipient::Anyone => ("ANYONE", "USERONLY"),
        Recipient::UserOnly => ("USERONLY", "ANYONE"),
    };
    if !collation::eq(&d.recipient, from) {
        return Err(ManageError::usage(format!("callback {id} is {} already", d.recipient)));
    }
    match to {
        Recipient::Anyone => {
            let then_what = if crate::rules::status::CallbackStatus::Live.is(&d.status) {
                "; it is LIVE, so the daemon's next pass puts it through the gates into the hopper"
            } else {
                ""
            };
            Ok(Some(Change {
                summary: format!("convert callback {id} from USERONLY ({}) to ANYONE{then_what}", d.user),
                first: manage::to_anyone(id),
                then: vec![],
                log: lead_page_log(&d, args, format!("callback {id} converted from USERONLY to ANYONE")),
            }))
        }
        Recipient::UserOnly => {
            let name = user.ok_or_else(|| ManageError::usage("convert --to useronly needs --user USER"))?;
            let owner = active_user(s, name).await?;
            Ok(Some(Change {
                summary: format!("convert callback {id} from ANYONE to {wanted} for {}", owner.user),
                first: manage::to_useronly(id, &owner.user),
                then: take_back(&d),
                log: lead_page_log(
                    &d,
                    args,
                    format!("callback {id} converted from ANYONE to USERONLY for {}", owner.user),
                ),
            }))
        }
    }
}

/// A triggered ANYONE callback taken back from the dialer: its undialed lead
/// back to `CBHOLD`, its undialed hopper row withdrawn.
fn take_back(d: &Detail) -> Vec<Stmt> {
    if is_live_anyone(d) {
        vec![
            manage::lead_back_to_cbhold(d.callback_id),
            manage::withdraw_from_hopper(d.callback_id),
        ]
    } else {
        vec![]
    }
}

async fn reschedule(
    s: &mut Session,
    id: u32,
    to: &str,
    force: bool,
    args: &ChangeArgs,
) -> Result<Option<Change>, ManageError> {
    let at = parse_time(to)?;
    let d = open_callback(s, id).await?;
    let (now, _) = clock::now(s).await?;
    if at <= now && !force {
        return Err(ManageError::usage(format!(
            "{at} is in the past (the database's clock reads {}); add --force to make it due at once",
            now.format("%Y-%m-%d %H:%M:%S")
        )));
    }
    let old = d
        .callback_time
        .map_or_else(|| "NULL".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    Ok(Some(Change {
        summary: format!("reschedule callback {id} from {old} to {at} (ACTIVE)"),
        first: manage::reschedule(id, at),
        then: take_back(&d),
        log: lead_page_log(&d, args, format!("callback {id} rescheduled from {old} to {at}")),
    }))
}

async fn remove(s: &mut Session, id: u32, args: &ChangeArgs) -> Result<Option<Change>, ManageError> {
    let d = open_callback(s, id).await?;
    let then = if is_live_anyone(&d) {
        vec![manage::withdraw_from_hopper(id)]
    } else {
        vec![]
    };
    Ok(Some(Change {
        summary: format!("remove callback {id} ({} {}, now INACTIVE)", d.status, d.recipient),
        first: manage::remove(id),
        then,
        log: lead_page_log(&d, args, format!("callback {id} removed: {} to INACTIVE", d.status)),
    }))
}
