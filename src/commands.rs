//! The subcommands: `run`, `once` and `check`.

use std::process::ExitCode;

use chrono::NaiveDateTime;
use tokio::sync::watch;
use tracing::{error, info};

use crate::check;
use crate::cli::{CheckFormat, Command};
use crate::config::{Config, ConfigError, ConfigSource, DatabaseTarget};
use crate::db::Db;
use crate::email::transport::{Mailer, MailerError};
use crate::email::{self, alerts::Alerts};
use crate::engine::{self, Engine, PassOptions};

/// The exit code of a configuration or usage error (clap uses it too).
pub const EXIT_CONFIG: u8 = 2;

/// Checks what only building the parts can check, the database settings
/// (which may come from astguiclient.conf) and the `[email]` transport, with
/// the code `run` uses, so `check` and `run` agree on every configuration.
pub fn validate(config: &Config) -> Result<DatabaseTarget, ConfigError> {
    let target = config.database_target()?;
    if config.email.enabled {
        Mailer::new(&config.email).map_err(|e| {
            let key = e.config_key().unwrap_or_else(|| "email".to_owned());
            let problem = match e {
                MailerError::Config { problem, .. } => problem,
                other => other.to_string(),
            };
            ConfigError::new(config.origin.of(&key), key, problem)
        })?;
    }
    Ok(target)
}

/// Runs a subcommand and returns the process exit code.
pub async fn execute(command: Command, source: ConfigSource, config: Config) -> ExitCode {
    let target = match validate(&config) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let db = Db::new(target.opts.clone());
    let code = match command {
        Command::Run => {
            info!(
                version = env!("CARGO_PKG_VERSION"),
                config = %config.origin.describe_sources(),
                database = %target,
                "vicidial-callbackd starting"
            );
            run(db.clone(), source, config).await
        }
        Command::Once { now, dry_run } => once(db.clone(), config, now, dry_run).await,
        Command::Check { format } => {
            let report = check::run(&db, &config, &target).await;
            match format {
                CheckFormat::Text => report.print_text(),
                CheckFormat::Json => report.print_json(),
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    };
    // Closing the pool is best-effort: the server may be the thing that failed.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), db.close()).await;
    code
}

async fn run(db: Db, _source: ConfigSource, config: Config) -> ExitCode {
    let (tx, rx) = watch::channel(false);
    // Handlers first, so a stop request is never the default "die at once".
    let signals = Signals::new();
    tokio::spawn(async move {
        signals.wait().await;
        info!("shutdown requested: finishing the current batch");
        let _ = tx.send(true);
    });
    // Email alerts run beside the engine, on their own task and connection,
    // so a slow or dead mail server never delays an activation.
    let alerts = if config.email.enabled {
        match Alerts::new(db.clone(), config.email.clone(), config.engine.batch_size) {
            Ok(alerts) => Some(tokio::spawn(email::alerts::run(
                alerts,
                config.engine.clone(),
                rx.clone(),
            ))),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        info!("email alerts disabled ([email] enabled = false)");
        None
    };
    let mut engine = Engine::new(db, config.engine);
    engine::run(&mut engine, rx).await;
    if let Some(alerts) = alerts {
        let _ = alerts.await;
    }
    ExitCode::SUCCESS
}

/// SIGTERM (systemd's stop) and SIGINT (Ctrl-C).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).expect("SIGTERM handler"),
            int: signal(SignalKind::interrupt()).expect("SIGINT handler"),
        }
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

async fn once(db: Db, config: Config, at: Option<NaiveDateTime>, dry_run: bool) -> ExitCode {
    let alerts = if config.email.enabled {
        match Alerts::new(db.clone(), config.email.clone(), config.engine.batch_size) {
            Ok(alerts) => Some(alerts),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let mut engine = Engine::new(db, config.engine);
    let options = PassOptions { at, dry_run };
    match engine.pass(options, &|| false).await {
        Ok(summary) => println!("{summary}"),
        Err(e) => {
            error!("pass failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    let Some(mut alerts) = alerts else {
        println!("emails disabled");
        return ExitCode::SUCCESS;
    };
    match alerts.pass(options).await {
        Ok(summary) => {
            println!("emails {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            error!("email alert pass failed: {e}");
            ExitCode::FAILURE
        }
    }
}
