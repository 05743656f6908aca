//! The subcommands: `run`, `once` and `check`.

use std::process::ExitCode;

use chrono::{Local, NaiveDateTime};
use tokio::sync::watch;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

use crate::cli::Command;
use crate::config::Config;
use crate::db::{self, Db};
use crate::email::{self, alerts::Alerts};
use crate::engine::{self, Engine, PassOptions};

/// Logs to stderr; `RUST_LOG` overrides the level given by `-v`.
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("vicidial_callbackd={level},warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs a subcommand and returns the process exit code.
pub async fn execute(command: Command, config: Config) -> ExitCode {
    let opts = match config.database_opts() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let db = Db::new(opts);
    let code = match command {
        Command::Run => run(db.clone(), config).await,
        Command::Once { now, dry_run } => once(db.clone(), config, now, dry_run).await,
        Command::Check => check(db.clone()).await,
    };
    // Closing the pool is best-effort: the server may be the thing that failed.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), db.close()).await;
    code
}

async fn run(db: Db, config: Config) -> ExitCode {
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

async fn check(db: Db) -> ExitCode {
    let mut session = match db.session().await {
        Ok(s) => s,
        Err(e) => {
            println!("cannot connect to the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("configuration: ok");
    println!("database connection: ok");
    let mut failed = false;
    match db::schema::problems(&mut session).await {
        Ok(problems) if problems.is_empty() => {
            println!("schema: ok (every table and column the daemon uses is there)")
        }
        Ok(problems) => {
            failed = true;
            for p in problems {
                println!("schema: {p}");
            }
        }
        Err(e) => {
            failed = true;
            println!("schema: cannot read information_schema: {e}");
        }
    }
    match db::clock::read(&mut session, None).await {
        Ok(clock) => {
            for warning in clock_warnings(clock.now, clock.offset().local_minus_utc(), Local::now()) {
                println!("warning: {warning}");
            }
        }
        Err(e) => {
            failed = true;
            println!("clock: cannot read the database clock: {e}");
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// VICIdial mixes the host's and the database's clocks and assumes they agree.
fn clock_warnings(db_now: NaiveDateTime, db_offset_secs: i32, host: chrono::DateTime<Local>) -> Vec<String> {
    let mut warnings = Vec::new();
    let skew = (host.naive_local() - db_now).num_milliseconds().abs();
    if skew > 2000 {
        warnings.push(format!(
            "the database clock ({db_now}) and this host's clock ({}) differ by {:.1} s; VICIdial's jobs assume they agree",
            host.naive_local().format("%Y-%m-%d %H:%M:%S"),
            skew as f64 / 1000.0
        ));
    }
    let host_offset = host.offset().local_minus_utc();
    if (host_offset - db_offset_secs).abs() >= 60 {
        warnings.push(format!(
            "the database's time zone (UTC{:+.2}) differs from this host's (UTC{:+.2})",
            f64::from(db_offset_secs) / 3600.0,
            f64::from(host_offset) / 3600.0
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clocks_that_agree_give_no_warning() {
        let host = Local.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap();
        let offset = host.offset().local_minus_utc();
        assert!(clock_warnings(host.naive_local(), offset, host).is_empty());
        let w = clock_warnings(host.naive_local() - chrono::Duration::seconds(30), offset, host);
        assert_eq!(w.len(), 1, "{w:?}");
        let w = clock_warnings(host.naive_local(), offset + 3600, host);
        assert!(w[0].contains("time zone"), "{w:?}");
    }
}
