//! The manager commands' words (`callbacks ...`, `alerts ...`), as the
//! command line reads them: defined here, beside the commands that run
//! them, and composed into the whole command line by `cli/args.rs`. Their
//! words are pinned: operators and scripts call them.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Subcommand, ValueEnum};

use crate::report::args::ReportArgs;
use crate::rules::model::Recipient;

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
        #[arg(long, value_parser = recipient())]
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

/// `--to anyone|useronly`, read straight into the rules' [`Recipient`].
fn recipient() -> impl TypedValueParser<Value = Recipient> {
    PossibleValuesParser::new(["anyone", "useronly"]).map(|v| {
        if v == "anyone" {
            Recipient::Anyone
        } else {
            Recipient::UserOnly
        }
    })
}
