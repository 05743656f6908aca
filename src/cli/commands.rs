//! The subcommands: `run`, `once`, `check`, and the manager commands (`callbacks`, `alerts`, in [`crate::manage`]).

use std::process::ExitCode;

use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::cli::args::{CheckFormat, Command};
use crate::config::{Config, ConfigError, ConfigSource, DatabaseTarget};
use crate::db::Db;
use crate::email::transport::{Mailer, MailerError};
use crate::duties::alerts::Alerts;
use crate::engine::{self, Engine, PassOptions};
use crate::ops::{Shutdown, notify};
use crate::cli::check;
use crate::engine::binlog;
use crate::ops::{leader, metrics};

pub use crate::ops::EXIT_CONFIG;

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
    let db = Db::new(target.opts.clone()).with_statement_timeout(config.statement_timeout());
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
        Command::Once {
            now: Some(_),
            dry_run: false,
            force: false,
        } => {
            eprintln!(
                "error: once --now without --dry-run would change real rows as if it were that time; \
                 add --dry-run to rehearse, or --force if that is really meant"
            );
            ExitCode::from(EXIT_CONFIG)
        }
        Command::Once { now, dry_run, .. } => once(db.clone(), config, now, dry_run).await,
        Command::Callbacks { command } => crate::manage::callbacks(&db, &config, command).await,
        Command::Alerts { command } => crate::manage::alerts(&db, &config, command).await,
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

/// The daemon: leader election, then, while leading, the engine and the
/// email loops; `/metrics` and `/health`; systemd's notifications. SIGTERM
/// and SIGINT stop it after the current batch; SIGHUP reloads the
/// configuration file.
async fn run(db: Db, source: ConfigSource, mut config: Config) -> ExitCode {
    exit_on_panic();
    let mut signals = Signals::new();
    let (stop, shutdown) = Shutdown::new();
    let mut helpers = Vec::new();
    if config.metrics.enabled {
        // Callbacks matter more than their metrics: a taken port is an
        // error in the log (and a failed scrape), not a stopped daemon.
        match tokio::net::TcpListener::bind(config.metrics.listen).await {
            Ok(listener) => {
                info!(listen = %config.metrics.listen, "serving /metrics and /health");
                helpers.push(tokio::spawn(metrics::serve(
                    listener,
                    db.own_pool(1),
                    config.metrics.clone(),
                    shutdown.clone(),
                )));
                // The promise metrics: first dials read from vicidial_log.
                helpers.push(tokio::spawn(crate::report::watch::run(
                    db.own_pool(1),
                    shutdown.clone(),
                )));
            }
            Err(e) => error!(
                "metrics.listen: cannot listen on {}: {e}; running without /metrics and /health",
                config.metrics.listen
            ),
        }
    }
    let (role_tx, mut role) = watch::channel(None);
    // Email alerts (and their SMTP retries) have connections of their own,
    // and so do the daily duties (purge, digest): none of them ever waits
    // for, or holds up, the engine's connections.
    let email_db = db.own_pool(1);
    let duty_db = db.own_pool(1);
    let opts = config.database_opts().expect("validated at start");
    helpers.push(tokio::spawn(leader::elect(opts.clone(), role_tx, shutdown.clone())));
    helpers.push(tokio::spawn(notify::supervise(
        Duration::from_secs(config.log.slow_seconds),
        db.clone(),
        shutdown.clone(),
    )));
    loop {
        // A standby waits to lead; a signal may come first.
        let signal = tokio::select! {
            _ = role.wait_for(|term| term.is_some()) => None,
            signal = signals.next() => Some(signal),
        };
        match signal {
            Some(Signal::Stop) => break,
            Some(Signal::Reload) => {
                reload(&source, &mut config);
                continue;
            }
            None => {}
        }
        let Some(led) = role.borrow().clone() else {
            continue;
        };
        // Every write of this term carries it (db::fence): once another
        // daemon opens a term, what this one still sends changes nothing.
        let db = db.fenced(led.clone());
        // One term of leadership: the loops run until it ends, a stop, or a
        // reload (which starts the next term with the new configuration).
        // The engine runs on this task (its pass is not Send); email alerts
        // on their own, with their own connection.
        let (end_term, term) = Shutdown::new();
        let wake_alerts = std::sync::Arc::new(tokio::sync::Notify::new());
        let alerts = config.email.enabled.then(|| {
            let alerts = Alerts::new(
                email_db.fenced(led.clone()),
                config.email.clone(),
                config.engine.batch_size,
            )
            .expect("validated at start and on reload");
            tokio::spawn(crate::duties::alerts::run(
                alerts,
                config.engine.clone(),
                term.clone(),
                wake_alerts.clone(),
            ))
        });
        // The daily duties, each on its own schedule and outside the
        // engine's failure domain: a failing purge or digest is logged,
        // counted and tried again later; activations go on.
        let duties = duty_db.fenced(led.clone());
        let mut daily = Vec::new();
        if config.report.enabled {
            daily.push(tokio::spawn(crate::duties::digest::run(
                duties.clone(),
                config.clone(),
                term.clone(),
            )));
        }
        if config.purge.enabled {
            daily.push(tokio::spawn(crate::duties::purge::run(
                duties,
                config.purge.clone(),
                term.clone(),
            )));
        }
        let (changes, watcher) = binlog::start(&config, opts.clone(), term.clone());
        let mut engine = Engine::new(db.clone(), config.engine.clone()).with_availability(config.availability.clone());
        let engine_loop = engine::run(&mut engine, term, wake_alerts, changes);
        tokio::pin!(engine_loop);
        let mut engine_done = false;
        let signal = tokio::select! {
            _ = &mut engine_loop => {
                engine_done = true;
                None
            }
            _ = role.wait_for(|now| now.as_ref() != Some(&led)) => None,
            signal = signals.next() => Some(signal),
        };
        let deposed = signal.is_none() && !engine_done;
        if signal == Some(Signal::Stop) {
            info!("shutdown requested: finishing the current batch");
        }
        end_term.shutdown();
        if deposed {
            // Work in flight was decided on facts another leader may be
            // changing now: abandoned, not finished (its writes would change
            // nothing anyway, being of an old term).
            warn!(term = led.term, "leadership lost: abandoning the work in flight");
            if let Some(alerts) = &alerts {
                alerts.abort();
            }
            for task in &daily {
                task.abort();
            }
        } else if !engine_done {
            engine_loop.await;
        }
        if let Some(alerts) = alerts {
            let _ = alerts.await;
        }
        if let Some(watcher) = watcher {
            let _ = watcher.await;
        }
        for task in daily {
            let _ = task.await;
        }
        match signal {
            Some(Signal::Stop) => break,
            Some(Signal::Reload) => reload(&source, &mut config),
            None => {}
        }
    }
    stop.shutdown();
    for task in helpers {
        let _ = task.await;
    }
    ExitCode::SUCCESS
}

/// Reads the configuration again for SIGHUP. A bad file is logged and the
/// running configuration kept; the database, metrics and log settings need a
/// restart (the connections and the listener are made at start).
fn reload(source: &ConfigSource, config: &mut Config) {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
    match source.load().and_then(|new| validate(&new).map(|target| (new, target))) {
        Ok((new, target)) => {
            let old = config.database_target().map(|t| t.to_string()).unwrap_or_default();
            if target.to_string() != old {
                warn!("reload: the database settings changed; restart to use them");
            }
            if new.metrics.listen != config.metrics.listen || new.metrics.enabled != config.metrics.enabled {
                warn!("reload: the [metrics] settings changed; restart to use them");
            }
            if new.log.format != config.log.format {
                warn!("reload: log.format changed; restart to use it");
            }
            info!(config = %new.origin.describe_sources(), "configuration reloaded");
            *config = new;
        }
        Err(e) => error!("configuration reload failed, keeping the running configuration: {e}"),
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
}

/// A panic in any task ends the process with a non-zero code, so systemd
/// restarts it: a half-dead daemon (say, alerts gone, engine running) would
/// look alive to everyone watching.
fn exit_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        error!("panic: {info}; exiting");
        std::process::exit(101);
    }));
}

/// What a signal asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// SIGTERM (systemd's stop) or SIGINT (Ctrl-C).
    Stop,
    /// SIGHUP: read the configuration again.
    Reload,
}

/// The signals the daemon handles; installed first, so a signal is never the
/// default "die at once".
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).expect("SIGTERM handler"),
            int: signal(SignalKind::interrupt()).expect("SIGINT handler"),
            hup: signal(SignalKind::hangup()).expect("SIGHUP handler"),
        }
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::Stop,
            _ = self.int.recv() => Signal::Stop,
            _ = self.hup.recv() => Signal::Reload,
        }
    }
}

async fn once(db: Db, config: Config, at: Option<NaiveDateTime>, dry_run: bool) -> ExitCode {
    // A run that writes takes the leader lock and fences its writes, as the
    // daemon does: it never races a running daemon.
    let (db, _lock) = if dry_run {
        (db, None)
    } else {
        let opts = config.database_opts().expect("validated at start");
        match crate::ops::leader::hold_for_once(&opts).await {
            Ok((lock, term)) => (db.fenced(term), Some(lock)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
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
    let mut engine = Engine::new(db, config.engine).with_availability(config.availability.clone());
    let options = PassOptions { at, dry_run };
    match engine.pass(options, &|| false).await {
        Ok(summary) => println!("{summary}"),
        Err(e) => {
            error!("pass failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    // What the pass's windows leave out: callbacks overdue by more than the
    // repair age, and the count of those too old to repair.
    match engine.sweep(options, &|| false).await {
        Ok(summary) if summary.activated > 0 => println!("overdue beyond engine.repair_max_age_days: {summary}"),
        Ok(_) => {}
        Err(e) => {
            error!("sweep failed: {e}");
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
