//! `alerts list`, `alerts resend ID` and `alerts test --to ADDRESS`, with the
//! alert loop's own pieces: the same container, template, message and
//! configured transport ([`crate::email`]).

use chrono::Duration;

use super::common::{Actor, ManageError};
use crate::manage::args::{AlertsCommand, DataFormat};
use crate::config::{Config, TransportKind};
use crate::db::alerts as db_alerts;
use crate::db::manage::{self, AdminLog};
use crate::db::{Db, Session, clock};
use crate::duties::alerts::{Decision, decide, usable_template};
use crate::email::transport::{Delivery, Mailer, build_message};

/// Runs an `alerts` subcommand.
pub async fn run(db: &Db, config: &Config, command: AlertsCommand) -> Result<(), ManageError> {
    let mut s = db.session().await?;
    match command {
        AlertsCommand::List {
            failed,
            unknown,
            format,
        } => list(&mut s, failed, unknown, format).await,
        AlertsCommand::Resend { id, change } => {
            let actor = Actor::of_command(change.as_user.as_deref());
            resend(&mut s, config, id, &actor, change.dry_run).await
        }
        AlertsCommand::Test { to, from } => test(&mut s, config, &to, from.as_deref()).await,
    }
}

async fn list(s: &mut Session, failed: bool, unknown: bool, format: DataFormat) -> Result<(), ManageError> {
    let (now, _) = clock::now(s).await?;
    let alerts = manage::alerts(s, now - Duration::hours(24), failed, unknown, 1000).await?;
    if format == DataFormat::Json {
        let docs: Vec<serde_json::Value> = alerts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "callback_id": a.callback_id,
                    "lead_id": a.lead_id,
                    "user": a.user,
                    "email": a.email,
                    "status": a.status,
                    "claimed": a.email_alert.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
                    "result": if a.email_result.is_empty() { None } else { Some(&a.email_result) },
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&docs).unwrap_or_default());
        return Ok(());
    }
    println!(
        "{:<8} {:<8} {:<8} {:<19} {:<13} EMAIL",
        "ID", "LEAD", "OWNER", "CLAIMED", "RESULT"
    );
    for a in &alerts {
        let claimed = a
            .email_alert
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let result = if a.email_result.is_empty() {
            "unknown"
        } else {
            &a.email_result
        };
        println!(
            "{:<8} {:<8} {:<8} {claimed:<19} {result:<13} {}",
            a.callback_id, a.lead_id, a.user, a.email
        );
    }
    println!("{} alerts", alerts.len());
    Ok(())
}

/// Sends a FAILED or delivery-unknown alert again, now, whatever its lateness
/// (the manager asked for it), and records the new result.
async fn resend(s: &mut Session, config: &Config, id: u32, actor: &Actor, dry_run: bool) -> Result<(), ManageError> {
    let Some(detail) = manage::detail(s, id).await? else {
        return Err(ManageError::usage(format!("there is no callback {id}")));
    };
    if detail.email_alert.is_none() || !(detail.email_result.is_empty() || detail.email_result == "FAILED") {
        let state = match (detail.email_alert, detail.email_result.as_str()) {
            (None, _) => "no alert was ever sent for it".to_string(),
            (_, result) => format!("its alert is {result}"),
        };
        return Err(ManageError::usage(format!(
            "callback {id}: {state}; only a FAILED or delivery-unknown alert can be resent"
        )));
    }
    let candidate = db_alerts::candidate(s, id)
        .await?
        .ok_or_else(|| ManageError::usage(format!("callback {id}: its campaign does not exist")))?;
    let template = usable_template(db_alerts::container(s).await?.as_deref());
    let explicit = crate::config::EmailConfig {
        max_lateness_minutes: 0,
        only_logged_in: false,
        ..config.email.clone()
    };
    let (now, _) = clock::now(s).await?;
    let (to, message) = match decide(&candidate, now, &explicit, template.as_ref().map_err(String::as_str)) {
        Decision::Send { to, message } => (to, message),
        Decision::NotAvailable(why) => return Err(ManageError::Failed(format!("callback {id}: cannot send: {why}"))),
        Decision::Wait => unreachable!("only_logged_in is off"),
    };
    if dry_run {
        println!("dry run: would resend the alert of callback {id} to {to}");
        return Ok(());
    }
    let mailer = Mailer::new(&config.email).map_err(|e| ManageError::Failed(e.to_string()))?;
    let (result, said) = match mailer.send(&message).await {
        Delivery::Sent => ("SENT", format!("sent to {to}")),
        Delivery::Failed { reason, attempts } => ("FAILED", format!("failed after {attempts} attempts: {reason}")),
        Delivery::Unknown { reason } => {
            return Err(ManageError::Failed(format!(
                "callback {id}: delivery to {to} unknown ({reason}): it may have been delivered; \
                 check with the recipient before resending"
            )));
        }
    };
    let record = manage::record_resent(id, result);
    record.run(s).await?;
    AdminLog {
        user: actor.user.clone(),
        ip_address: actor.ip.clone(),
        section: "LEADS",
        event_type: "OTHER",
        record_id: detail.lead_id.to_string(),
        code: "CALLBACK EMAIL RESEND",
        notes: actor.noted(format!("callback {id}: email alert resent to {to}: {result}")),
        statements: vec![record],
    }
    .stmt()
    .run(s)
    .await?;
    println!("callback {id}: alert {said}");
    if result == "FAILED" {
        return Err(ManageError::Failed(format!("callback {id}: the alert was not sent")));
    }
    Ok(())
}

/// Sends one message through the configured transport.
async fn test(s: &mut Session, config: &Config, to: &str, from: Option<&str>) -> Result<(), ManageError> {
    let from = match from {
        Some(from) => from.to_string(),
        None => {
            usable_template(db_alerts::container(s).await?.as_deref())
                .map_err(|why| ManageError::usage(format!("{why}; give --from ADDRESS")))?
                .from
        }
    };
    let lines = vec![
        "This is a test message from vicidial-callbackd (alerts test).".to_string(),
        "Callback alerts are sent the same way.".to_string(),
    ];
    let message = build_message(&from, to, "vicidial-callbackd test message", &lines)
        .map_err(|e| ManageError::usage(e.to_string()))?;
    let mailer = Mailer::new(&config.email).map_err(|e| ManageError::Failed(e.to_string()))?;
    let via = match config.email.transport {
        TransportKind::Smtp => format!("SMTP {}:{}", config.email.smtp_host, config.email.smtp_port),
        TransportKind::Sendmail => config.email.sendmail_command.clone(),
    };
    match mailer.send(&message).await {
        Delivery::Sent => {
            println!("sent from {from} to {to}: accepted by {via}");
            Ok(())
        }
        Delivery::Failed { reason, attempts } => Err(ManageError::Failed(format!(
            "not sent from {from} to {to} through {via} after {attempts} attempts: {reason}"
        ))),
        Delivery::Unknown { reason } => Err(ManageError::Failed(format!(
            "from {from} to {to} through {via}: delivery unknown ({reason})"
        ))),
    }
}
