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
        Command::Once {
            now: Some(_),
            dry_run: false,
            force: false,
        } => {
            eprintln!(
                "error: once --now without --dry-run would change real rows as if it were that time; \
                 add --dry-run to rehearse, or --force if that is really meant"
            );
            ExitCode::from(2)
        }
        Command::Once { now, dry_run, .. } => once(db.clone(), config, now, dry_run).await,
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
    match db::clock::now(&mut session).await {
        Ok((now, utc)) => {
            let offset = ((now - utc).num_seconds() as f64 / 60.0).round() as i32 * 60;
            let mut warnings = clock_warnings(now, offset, Local::now());
            match db::schema::server_gmt(&mut session).await {
                Ok(servers) => warnings.extend(server_gmt_warnings(&servers, offset)),
                Err(e) => warnings.push(format!("cannot read the servers table: {e}")),
            }
            for warning in warnings {
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

/// VICIdial's call-time code takes "UTC now" as its host clock minus
/// `servers.local_gmt` (plus an hour in summer time); the daemon takes the
/// database's own offset. They must agree, or the two disagree on call times.
fn server_gmt_warnings(servers: &[(String, String)], db_offset_secs: i32) -> Vec<String> {
    let db_hours = f64::from(db_offset_secs) / 3600.0;
    servers
        .iter()
        .filter_map(|(ip, gmt)| {
            let Ok(hours) = gmt.trim().parse::<f64>() else {
                return Some(format!("server {ip} has local_gmt {gmt:?}, which is not a number"));
            };
            let agrees = (hours - db_hours).abs() < 0.01 || (hours + 1.0 - db_hours).abs() < 0.01;
            (!agrees).then(|| {
                format!(
                    "server {ip} has local_gmt {gmt} but the database is at UTC{db_hours:+.2}: \
                     VICIdial and the daemon will disagree on leads' call times"
                )
            })
        })
        .collect()
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

    #[test]
    fn server_gmt_must_match_the_database_offset_or_its_summer_time() {
        let servers = vec![
            ("10.0.0.1".to_string(), "-5.00".to_string()),
            ("10.0.0.2".to_string(), "-7.00".to_string()),
            ("10.0.0.3".to_string(), "x".to_string()),
        ];
        let w = server_gmt_warnings(&servers, -5 * 3600);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("10.0.0.2") && w[1].contains("10.0.0.3"), "{w:?}");
        // In summer time (UTC-4) a -5.00 server is right.
        assert_eq!(server_gmt_warnings(&servers[..1], -4 * 3600), Vec::<String>::new());
    }
}
