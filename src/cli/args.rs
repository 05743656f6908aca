//! The command line. Its words are pinned: operators and scripts call them.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use clap::{Parser, Subcommand, ValueEnum};

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

/// Manager commands on callbacks.
#[derive(Debug, Subcommand)]
pub enum CallbacksCommand {
    /// Callbacks by user, campaign, list, status, recipient or due time (oldest first).
    List(ListArgs),
    /// One screen: counts by status and recipient, held by gate, due backlog,
    /// next wake, email results today, stale undialed callbacks left alone.
    Status {
        /// `text` or `json` (one document; README, "For managers").
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Everything about one callback.
    Show {
        /// `callback_id`.
        id: u32,
        /// `text` or `json` (the object `list --format json` gives for it).
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Why a callback is (not) being dialed, decided by the engine's own rules.
    Explain {
        /// `callback_id`.
        id: u32,
        /// As if the database clock read this (server time, "YYYY-MM-DD HH:MM:SS").
        #[arg(long)]
        now: Option<String>,
        /// `text` or `json` (the callback and the answer's lines).
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Give one callback, or all open USERONLY callbacks of one agent, to another agent.
    Reassign {
        /// One callback (else --from).
        id: Option<u32>,
        /// Every open USERONLY callback of this agent.
        #[arg(long, conflicts_with = "id", required_unless_present = "id")]
        from: Option<String>,
        /// The agent who takes them (must exist and be active).
        #[arg(long)]
        to: String,
        /// With --from: only this campaign's callbacks.
        #[arg(long, requires = "from")]
        campaign: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// USERONLY to ANYONE (a LIVE one goes through the gates into the hopper
    /// at the next pass), or ANYONE to USERONLY with an owner.
    Convert {
        /// `callback_id`.
        id: u32,
        /// `anyone` or `useronly`.
        #[arg(long, value_enum)]
        to: Recipient,
        /// With --to useronly: the owner (must exist and be active).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// A new callback time; the callback waits for it again (ACTIVE).
    Reschedule {
        /// `callback_id`.
        id: u32,
        /// The new time, server time "YYYY-MM-DD HH:MM:SS".
        #[arg(long)]
        to: String,
        /// Accept a time in the past (the callback comes due at once).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Remove a callback: status INACTIVE (and its undialed hopper row, if any).
    Remove {
        /// `callback_id`.
        id: u32,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Archive into vicidial_callbacks_archive, then delete: INACTIVE callbacks
    /// and callbacks whose lead is gone (as AST_DB_dead_cb_purge.pl).
    Purge(PurgeArgs),
    /// Were the promises kept? Each callback of a period with the first dial
    /// of its lead (vicidial_log) at or after its time: on time, late, not
    /// dialed yet, never, and why.
    Report(ReportArgs),
}

/// `callbacks report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Callbacks whose time is at or after this (server time, "YYYY-MM-DD" or
    /// "YYYY-MM-DD HH:MM:SS"; default: yesterday 00:00).
    #[arg(long)]
    pub from: Option<String>,
    /// ... and before this (a bare date includes that day; default: today 00:00).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this campaign's callbacks.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Only this agent's (the callback's owner).
    #[arg(long)]
    pub user: Option<String>,
    /// Only this user group's (vicidial_callbacks.user_group).
    #[arg(long)]
    pub user_group: Option<String>,
    /// Only this list's.
    #[arg(long)]
    pub list: Option<u64>,
    /// One line per campaign, agent, day or hour (of the callback's time).
    #[arg(long, value_enum, default_value_t = ReportBy::Campaign)]
    pub by: ReportBy,
    /// `table`, `csv` (one line per group), `json` (everything, every callback) or `html` (one file with charts).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// A dial this soon after the callback's time is on time (90s, 5m, 1h).
    #[arg(long, default_value = "5m")]
    pub grace: String,
    /// As if the database clock read this (server time, "YYYY-MM-DD HH:MM:SS").
    #[arg(long)]
    pub now: Option<String>,
    /// With `table`: also one line per callback.
    #[arg(long)]
    pub details: bool,
}

/// How `callbacks report` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportBy {
    /// The callback's campaign.
    Campaign,
    /// The callback's owner.
    Agent,
    /// The day of its time.
    Day,
    /// The hour of its time.
    Hour,
}

/// How `callbacks report` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Columns that fit a terminal.
    Table,
    /// Comma-separated values with a header, one line per group.
    Csv,
    /// One JSON document.
    Json,
    /// One self-contained HTML page with charts.
    Html,
}

/// `callbacks list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Owner.
    #[arg(long)]
    pub user: Option<String>,
    /// Campaign.
    #[arg(long)]
    pub campaign: Option<String>,
    /// The callback's list.
    #[arg(long)]
    pub list: Option<u64>,
    /// Status (ACTIVE, LIVE, TFHCCL, INACTIVE, DEAD).
    #[arg(long)]
    pub status: Option<String>,
    /// ANYONE or USERONLY.
    #[arg(long)]
    pub recipient: Option<String>,
    /// Callback time before this (server time, "YYYY-MM-DD HH:MM:SS").
    #[arg(long)]
    pub due_before: Option<String>,
    /// Only LIVE ANYONE callbacks held out of the hopper by a gate, with the gate and when it opens.
    #[arg(long)]
    pub held: bool,
    /// `table` (fits a terminal), `csv` or `json`.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// At most this many.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
}

/// `callbacks purge`.
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// Only callbacks last changed longer ago than this (30d, 12h, 90m, 600s).
    #[arg(long)]
    pub older_than: Option<String>,
    /// Also callbacks (any status) whose lead is no longer in a callback status.
    #[arg(long)]
    pub non_callback_leads: bool,
    /// Also every open callback of a lead but its newest.
    #[arg(long)]
    pub duplicates: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

/// What every change takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ChangeArgs {
    /// Print what would change and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The user named in vicidial_admin_log (default: the Unix user).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
}

/// A callback's recipient, for `convert --to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Recipient {
    /// Any agent, through the hopper.
    Anyone,
    /// One agent, by hand.
    Useronly,
}

/// How `callbacks list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Columns that fit a terminal.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// One JSON array.
    Json,
}

/// Email alert tools.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Alerts of the last 24 hours, or every failed or delivery-unknown one.
    List {
        /// Every FAILED alert.
        #[arg(long)]
        failed: bool,
        /// Every alert claimed without a recorded result (delivery unknown).
        #[arg(long)]
        unknown: bool,
        /// `text` or `json` (one array).
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Send a FAILED or delivery-unknown alert again, now.
    Resend {
        /// `callback_id`.
        id: u32,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Send one test message through the configured transport and say what happened.
    Test {
        /// Where to.
        #[arg(long)]
        to: String,
        /// From (default: the AGENT_CALLBACK_EMAIL container's email_from).
        #[arg(long)]
        from: Option<String>,
    },
}

/// How `status`, `show`, `explain` and `alerts list` print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// For people.
    Text,
    /// One JSON document on stdout, its shape documented in the README.
    Json,
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
