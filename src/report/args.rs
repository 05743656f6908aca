//! `callbacks report`'s words, as the command line reads them (composed
//! into the manager commands by `manage/args.rs`); the digest asks for the
//! same report with them.

use clap::ValueEnum;

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

