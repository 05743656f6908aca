//! Manager commands: `vicidial-callbackd callbacks ...` (list, status, show,
//! explain, reassign, convert, reschedule, remove, purge) and `alerts ...`,
//! for the admin at a shell on the server, with the daemon's configuration
//! and connection settings. Every change is validated first (a bad argument
//! is one line on stderr, exit 2, nothing changed), supports `--dry-run`,
//! prints what it changed and writes one `vicidial_admin_log` row the way
//! VICIdial's admin pages do. The availability move and the scheduled purge
//! are functions the daemon calls ([`availability`], [`purge`]).

pub mod alerts;
pub mod args;
pub mod availability;
pub mod change;
pub mod common;
mod closed;
pub mod explain;
pub mod purge;
mod table;
mod view;

use std::process::ExitCode;

use args::{AlertsCommand, CallbacksCommand};
use crate::config::Config;
use crate::db::Db;
use common::{ManageError, parse_time};

/// Runs a `callbacks` subcommand; returns the exit code.
pub async fn callbacks(db: &Db, config: &Config, command: CallbacksCommand) -> ExitCode {
    finish(run_callbacks(db, config, command).await)
}

/// Runs an `alerts` subcommand; returns the exit code.
pub async fn alerts(db: &Db, config: &Config, command: AlertsCommand) -> ExitCode {
    finish(alerts::run(db, config, command).await)
}

fn finish(result: Result<(), ManageError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(ManageError::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(crate::ops::EXIT_CONFIG)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_callbacks(db: &Db, config: &Config, command: CallbacksCommand) -> Result<(), ManageError> {
    let mut s = db.session().await?;
    match command {
        CallbacksCommand::List(args) => view::list(&mut s, config, args).await,
        CallbacksCommand::Status { format } => view::status(&mut s, config, format).await,
        CallbacksCommand::Show { id, format } => view::show(&mut s, config, id, format).await,
        CallbacksCommand::Explain { id, now, format } => {
            let at = now.as_deref().map(parse_time).transpose()?;
            let e = explain::explain(&mut s, config, id, at).await?;
            if format == args::DataFormat::Json {
                let doc = serde_json::json!({
                    "callback_id": id,
                    "lead_id": e.detail.lead_id,
                    "status": e.detail.status,
                    "recipient": e.detail.recipient,
                    "lines": e.lines,
                });
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
                return Ok(());
            }
            println!(
                "callback {} (lead {}, {} {}):",
                id, e.detail.lead_id, e.detail.status, e.detail.recipient
            );
            for line in e.lines {
                println!("{line}");
            }
            Ok(())
        }
        CallbacksCommand::Purge(args) => purge::command(&mut s, args).await,
        CallbacksCommand::Report(args) => crate::report::command(&mut s, config, args).await,
        other => change::command(&mut s, other).await,
    }
}
