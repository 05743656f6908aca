//! The command line. Its words are pinned: operators and scripts call them.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use clap::{Parser, Subcommand, ValueEnum};

use crate::manage::args::{AlertsCommand, CallbacksCommand};

/// What `--help` says about exit codes; scripts and systemd rely on them.
const EXIT_CODES: &str = "Exit codes: 0 ok; 1 database or runtime error (check: an item FAILed); \
2 configuration or usage error (one line on stderr naming the file or variable and the key).";

/// Scheduled-callback daemon for VICIdial.
#[derive(Debug, Parser)]
#[command(
    name = "vicidial-callbackd",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CALLBACKD_COMMIT"), ")"),
    about,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// TOML configuration file (default /etc/vicidial-callbackd/config.toml, optional).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// mysql://USER:PASS@HOST:PORT/DB; overrides the configuration.
    #[arg(
        long,
        global = true,
        env = "CALLBACKD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground (systemd supervises it).
    Run,
    /// One full pass of every duty, then print a summary line and exit.
    Once {
        /// Evaluate as if the database clock read this (server local time, "YYYY-MM-DD HH:MM:SS").
        #[arg(long, value_parser = parse_now)]
        now: Option<NaiveDateTime>,
        /// Log every change it would make and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --now and without --dry-run: really change rows at the invented time.
        #[arg(long)]
        force: bool,
    },
    /// Check configuration, connection, privileges, schema, clocks and the
    /// email container: one line per item (ok, warn, FAIL).
    #[command(after_help = EXIT_CODES)]
    Check {
        /// `text` (FAIL lines on stderr) or `json` (one document on stdout, for monitoring).
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Manager commands: list, status, show, explain, reassign, convert,
    /// reschedule, remove, purge.
    #[command(after_help = EXIT_CODES)]
    Callbacks {
        /// What to do.
        #[command(subcommand)]
        command: CallbacksCommand,
    },
    /// Email alert tools: list, resend, test.
    #[command(after_help = EXIT_CODES)]
    Alerts {
        /// What to do.
        #[command(subcommand)]
        command: AlertsCommand,
    },
}

/// How `check` prints its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per item.
    Text,
    /// One JSON document.
    Json,
}

fn parse_now(text: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| format!("{text:?} is not a time like \"2026-03-04 09:00:00\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_words_parse() {
        let cli = Cli::parse_from([
            "x",
            "--config",
            "c.toml",
            "once",
            "--now",
            "2026-03-04 09:00:00",
            "--dry-run",
        ]);
        assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("c.toml")));
        match cli.command {
            Command::Once { now, dry_run, .. } => {
                assert_eq!(now.unwrap().to_string(), "2026-03-04 09:00:00");
                assert!(dry_run);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["x", "once", "--now", "tomorrow"]).is_err());
        let cli = Cli::parse_from([
            "x",
            "-vv",
            "--database-url",
            "mysql://a@b/c",
            "check",
            "--format",
            "json",
        ]);
        assert_eq!(cli.verbose, 2);
        assert!(matches!(
            cli.command,
            Command::Check {
                format: CheckFormat::Json
            }
        ));
        assert_eq!(cli.database_url.as_deref(), Some("mysql://a@b/c"));
    }
}
