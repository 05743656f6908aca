//! The daemon's configuration: one typed [`Config`], read from a TOML file and
//! then from `CALLBACKD_SECTION__KEY` environment variables, with every key
//! defaulted so that a VICIdial server needs no file at all (the database
//! settings then come from `/etc/astguiclient.conf`, read as VICIdial's own
//! scripts read it, see [`crate::config::astguiclient`]).
//!
//! Every problem is one [`ConfigError`] naming where the value came from (the
//! file as given, or the environment variable) and the key.

pub mod astguiclient;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;


/// Where the configuration file is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/vicidial-callbackd/config.toml";

/// VICIdial's own settings file, the fallback for the database settings.
pub const ASTGUICLIENT_CONF: &str = "/etc/astguiclient.conf";

/// Prefix of the environment variables that override configuration keys.
const ENV_PREFIX: &str = "CALLBACKD_";

/// Where a database URL given on the command line is said to come from.
const URL_ORIGIN: &str = "--database-url (or CALLBACKD_DATABASE_URL)";

/// A configuration problem, reported as one line naming the origin and the key.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {key}: {problem}")]
pub struct ConfigError {
    /// The file (as given), the environment variable, or `--database-url`.
    pub origin: String,
    /// The key, as written in the file (`engine.batch_size`); `-` for the whole file.
    pub key: String,
    /// What is wrong, in plain words.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `key`, whose value came from `origin`.
    pub fn new(origin: impl Into<String>, key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.into(),
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// What to read the configuration from: kept by the daemon so SIGHUP can read it again.
#[derive(Clone, Debug, Default)]
pub struct ConfigSource {
    /// The file given with `--config` (it must exist); `None` means the
    /// default path, which may be absent.
    pub path: Option<PathBuf>,
    /// `--database-url` (or `CALLBACKD_DATABASE_URL`), which overrides the file.
    pub database_url: Option<String>,
}

impl ConfigSource {
    /// Loads the file, applies the environment overrides and the database
    /// URL, and validates every value.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let (file, required) = match &self.path {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        // The path as given: the config crate would print it relative to the
        // working directory, which from `/` drops the leading slash.
        let shown = file.display().to_string();
        let file_read = file.is_file();
        if required && !file_read {
            return Err(ConfigError::new(shown, "-", "file not found"));
        }
        let variables = overrides();
        let origin = Origin {
            file: shown,
            file_read,
            variables: variables.keys().cloned().collect(),
            url_from_command_line: self.database_url.is_some(),
        };
        let built = config::Config::builder()
            .add_source(
                config::File::from(file.as_path())
                    .format(config::FileFormat::Toml)
                    .required(required),
            )
            .add_source(
                config::Environment::with_prefix("CALLBACKD")
                    .prefix_separator("_")
                    .separator("__")
                    .source(Some(variables)),
            )
            .build()
            .map_err(|e| origin.describe(e))?;
        let mut config: Config = built.try_deserialize().map_err(|e| origin.describe(e))?;
        if let Some(url) = &self.database_url {
            config.database.url = Some(url.clone());
        }
        config.origin = origin;
        config.validate()?;
        Ok(config)
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How to reach VICIdial's database.
    pub database: DatabaseConfig,
    /// How the engine schedules and sizes its work.
    pub engine: EngineConfig,
    /// Email alerts for triggered USERONLY callbacks.
    pub email: EmailConfig,
    /// Log output.
    pub log: LogConfig,
    /// The Prometheus and health endpoint.
    pub metrics: MetricsConfig,
    /// The availability-aware move of USERONLY callbacks (opt-in).
    pub availability: AvailabilityConfig,
    /// The scheduled purge (opt-in).
    pub purge: PurgeConfig,
    /// Event-driven mode (`engine.watch`): following the binary log.
    pub binlog: BinlogConfig,
    /// The daily promise report by email (opt-in).
    pub report: ReportConfig,
    /// Where the values came from (not a key).
    #[serde(skip)]
    pub origin: Origin,
}

/// The `[database]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `mysql://user:pass@host:port/db`; when set, the other keys are ignored.
    pub url: Option<String>,
    /// Server host; unset means "read /etc/astguiclient.conf".
    pub host: Option<String>,
    /// Server port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database (schema) name.
    pub name: String,
    /// VICIdial's settings file, read when neither `url` nor `host` is set.
    pub astguiclient_conf: PathBuf,
    /// Most connections the daemon opens.
    pub max_connections: usize,
    /// Longest a statement may run, waits for table locks included; past it
    /// the statement fails and the pass is retried, so neither a lock held by
    /// a backup nor a half-open connection can stall the daemon.
    pub statement_timeout_seconds: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            host: None,
            port: 3306,
            user: "cron".into(),
            password: "1234".into(),
            name: "asterisk".into(),
            astguiclient_conf: PathBuf::from(ASTGUICLIENT_CONF),
            max_connections: 4,
            statement_timeout_seconds: 60,
        }
    }
}

/// The `[engine]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How often the database is looked at for new or edited callbacks, in milliseconds.
    pub poll_interval_ms: u64,
    /// Most callbacks one statement touches, so no table lock is held for long.
    pub batch_size: usize,
    /// How far ahead the next call-time opening of a held callback is searched.
    pub call_time_horizon_days: u32,
    /// Longest wait between retries while the database is unreachable, in seconds.
    pub max_backoff_seconds: u64,
    /// How often (and after a database error) a full pass looks at every
    /// pending callback up to `repair_max_age_days` old; between full passes
    /// each poll probes for changes and works only on what changed.
    pub full_scan_seconds: u64,
    /// Undialed LIVE ANYONE callbacks that became dialable longer ago than
    /// this are not repaired, only reported once, after the first sweep of
    /// the table (VICIdial leaves night-time ones undialed for ever; dialing
    /// them years later is no promise kept). The scans' windows start here;
    /// due callbacks older than this are the sweep's.
    pub repair_max_age_days: u32,
    /// Most callbacks one pass takes per step; the next pass takes the rest.
    pub max_per_pass: usize,
    /// How changes are noticed: polling, or following the binary log (see [`crate::engine::binlog`]).
    pub watch: WatchMode,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            poll_interval_ms: 700,
            batch_size: 500,
            call_time_horizon_days: 8,
            max_backoff_seconds: 30,
            full_scan_seconds: 60,
            repair_max_age_days: 7,
            max_per_pass: 100_000,
            watch: WatchMode::Poll,
        }
    }
}

impl EngineConfig {
    /// The poll interval as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

/// The `[email]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// Master switch; even when on, nothing is sent unless a campaign has
    /// `scheduled_callbacks_email_alert='Y'`.
    pub enabled: bool,
    /// How messages leave the host: an SMTP server or the local `sendmail` binary.
    pub transport: TransportKind,
    /// SMTP server host name or IP address.
    pub smtp_host: String,
    /// SMTP server port.
    pub smtp_port: u16,
    /// Encryption of the SMTP connection.
    pub smtp_tls: TlsMode,
    /// SMTP user name; authentication is used only when user and password are both set.
    pub smtp_user: Option<String>,
    /// SMTP password, paired with `smtp_user`.
    pub smtp_password: Option<String>,
    /// Time limit, in seconds, for connecting to the SMTP server and for one
    /// `sendmail` run; one SMTP exchange gets twice it.
    pub timeout_seconds: u64,
    /// Path of the `sendmail`-compatible binary used when `transport = "sendmail"`.
    pub sendmail_command: String,
    /// Attempts after the first one, made only for temporary failures.
    pub retries: u32,
    /// Wait before the first retry, in seconds; it doubles for each further retry.
    pub retry_backoff_seconds: f64,
    /// Send only while the owning agent is logged in (has a
    /// `vicidial_live_agents` row), VICIdial's rule; until then the alert
    /// waits, and past `max_lateness_minutes` it is marked `NOT AVAILABLE`.
    /// Off by default: the point of a server-side alert is to reach the agent
    /// who is away from the screen.
    pub only_logged_in: bool,
    /// An alert more than this many minutes after it became due (its callback
    /// time, or the end of the campaign's hours block when later) is marked
    /// `NOT AVAILABLE` instead of being sent late; 0 means no limit.
    pub max_lateness_minutes: u32,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            enabled: true,
            transport: TransportKind::Smtp,
            smtp_host: "127.0.0.1".to_owned(),
            smtp_port: 25,
            smtp_tls: TlsMode::None,
            smtp_user: None,
            smtp_password: None,
            timeout_seconds: 10,
            sendmail_command: "/usr/sbin/sendmail".to_owned(),
            retries: 3,
            retry_backoff_seconds: 2.0,
            only_logged_in: false,
            max_lateness_minutes: 60,
        }
    }
}

/// Declares a configuration enum read from a string, matched without regard
/// to case, whose error lists the allowed values (not the Rust type).
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
        #[serde(try_from = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                $(if text.trim().eq_ignore_ascii_case($text) {
                    return Ok($name::$variant);
                })+
                Err(format!(
                    "{text:?} is not one of: {}",
                    [$(concat!("\"", $text, "\"")),+].join(", ")
                ))
            }
        }
    };
}

choice! {
    /// How the engine notices changes.
    WatchMode {
        /// Look every `poll_interval_ms`.
        Poll = "poll",
        /// Follow the binary log; poll while it cannot be followed, saying why.
        Binlog = "binlog",
        /// As `binlog`, said at info level: for servers that may or may not log rows.
        Auto = "auto",
    }
}

choice! {
    /// Which transport delivers the alerts.
    TransportKind {
        /// An SMTP server (`smtp_host`, `smtp_port`, ...).
        Smtp = "smtp",
        /// The local `sendmail`-compatible binary (`sendmail_command`).
        Sendmail = "sendmail",
    }
}

choice! {
    /// Encryption of the SMTP connection.
    TlsMode {
        /// Plain text, the usual choice for a relay on the same host.
        None = "none",
        /// Plain connection upgraded with STARTTLS; fails if the server does not offer it.
        Starttls = "starttls",
        /// TLS from the first byte (SMTPS, usually port 465).
        Tls = "tls",
    }
}

choice! {
    /// How log lines are written.
    LogFormat {
        /// One line of text per event: `LEVEL target: message key=value ...`.
        Text = "text",
        /// One JSON object per line, the same fields as keys.
        Json = "json",
        /// Straight to journald with each field as a journal field
        /// (`CALLBACK_ID`, `LEAD_ID`, `CAMPAIGN`, ...), so
        /// `journalctl CALLBACK_ID=501` finds one callback's lines; text on
        /// stderr where journald does not run.
        Journald = "journald",
    }
}

/// The `[log]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `"text"`, `"json"` or `"journald"`; read at start only.
    pub format: LogFormat,
    /// A pass or a statement running longer than this many seconds is
    /// logged as a warning, saying what it waits on.
    pub slow_seconds: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            slow_seconds: 10,
        }
    }
}

/// The `[metrics]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` and `/health`.
    pub enabled: bool,
    /// Address and port to listen on; keep it on loopback unless a firewall guards it.
    pub listen: SocketAddr,
    /// `/health` answers 503 when the leader's last pass ended longer ago than this.
    pub max_pass_age_seconds: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9477)),
            max_pass_age_seconds: 60,
        }
    }
}

/// The `[availability]` section: a LIVE USERONLY callback whose owner is
/// gone, inactive, or not logged in some minutes after its time becomes
/// ANYONE, so the customer does not wait on an agent who is away.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AvailabilityConfig {
    /// For every campaign.
    pub enabled: bool,
    /// For these campaigns only (when `enabled` is false); matched as MySQL matches ids.
    pub campaigns: Vec<String>,
    /// Minutes after `callback_time` an owner who is not logged in is waited for.
    pub minutes: u32,
}

impl Default for AvailabilityConfig {
    fn default() -> Self {
        AvailabilityConfig {
            enabled: false,
            campaigns: vec![],
            minutes: 30,
        }
    }
}

/// The `[binlog]` section: how the binary log is followed when `engine.watch`
/// is `binlog` or `auto`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinlogConfig {
    /// The replica id the stream registers with; 0 derives one from the host
    /// name and the database, distinct per daemon and stable across restarts.
    pub server_id: u32,
    /// Where the stream's position is kept between runs.
    pub state_dir: PathBuf,
    /// While the binary log is followed, a pass runs at least this often
    /// anyway, so a missed or misread event can never lose a callback. It
    /// stays below `metrics.max_pass_age_seconds` and the unit's watchdog
    /// (120 s), which take a quiet engine for a stuck one.
    pub safety_pass_seconds: u64,
    /// The server sends a heartbeat after this many seconds of silence; three
    /// missed ones count as a cut connection.
    pub heartbeat_seconds: u64,
}

impl Default for BinlogConfig {
    fn default() -> Self {
        BinlogConfig {
            server_id: 0,
            state_dir: PathBuf::from("/var/lib/vicidial-callbackd"),
            safety_pass_seconds: 30,
            heartbeat_seconds: 5,
        }
    }
}

impl AvailabilityConfig {
    /// Whether the move applies to a campaign.
    pub fn applies_to(&self, campaign: &str) -> bool {
        self.enabled || self.campaigns.iter().any(|c| crate::rules::collation::eq(c, campaign))
    }

    /// Whether it applies anywhere.
    pub fn any(&self) -> bool {
        self.enabled || !self.campaigns.is_empty()
    }
}

/// The `[purge]` section: the daemon runs `callbacks purge` once a day.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PurgeConfig {
    /// Run it.
    pub enabled: bool,
    /// When, in server time, `HH:MM`.
    pub at: String,
    /// Only callbacks last changed more than this many days ago (0: any).
    pub older_than_days: u32,
    /// Also callbacks whose lead is no longer in a callback status (`--non-callback-leads`).
    pub non_callback_leads: bool,
    /// Also every open callback of a lead but its newest (`--duplicates`).
    pub duplicates: bool,
}

impl Default for PurgeConfig {
    fn default() -> Self {
        PurgeConfig {
            enabled: false,
            at: "03:30".into(),
            older_than_days: 30,
            non_callback_leads: false,
            duplicates: false,
        }
    }
}

impl PurgeConfig {
    /// The time of day it runs.
    pub fn time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").ok()
    }
}

/// The `[report]` section: yesterday's promise report (`callbacks report`)
/// by email, once a day, through the `[email]` transport.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Send it.
    pub enabled: bool,
    /// When, in server time, `HH:MM`.
    pub at: String,
    /// Recipients, comma-separated.
    pub to: String,
    /// The sender.
    pub from: String,
    /// `table` (the text table in the body) or `html` (the table, and the HTML page attached).
    pub format: String,
    /// `campaign`, `agent`, `day` or `hour`.
    pub by: String,
    /// A dial this many minutes after the callback's time is on time.
    pub grace_minutes: u32,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            enabled: false,
            at: "07:00".into(),
            to: String::new(),
            from: String::new(),
            format: "html".into(),
            by: "campaign".into(),
            grace_minutes: 5,
        }
    }
}

impl ReportConfig {
    /// The time of day it is sent.
    pub fn time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").ok()
    }
}

/// Where the configuration's values came from.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// The file path, as given (or the default path).
    pub file: String,
    /// Whether that file exists and was read.
    pub file_read: bool,
    /// The `CALLBACKD_SECTION__KEY` variables that were applied, as named in the environment.
    pub variables: Vec<String>,
    /// Whether the database URL came from the command line (or its variable).
    pub url_from_command_line: bool,
}

impl Origin {
    /// Where `key` (`email.smtp_host`) got its value: its environment
    /// variable when one is set, else the file.
    pub fn of(&self, key: &str) -> String {
        if key == "database.url" && self.url_from_command_line {
            return URL_ORIGIN.to_owned();
        }
        let wanted = format!("{ENV_PREFIX}{}", key.replace('.', "__"));
        self.variables
            .iter()
            .find(|v| v.eq_ignore_ascii_case(&wanted))
            .cloned()
            .unwrap_or_else(|| self.file.clone())
    }

    /// One phrase for the startup line: the file (or its absence) and the variables applied.
    pub fn describe_sources(&self) -> String {
        let mut text = if self.file_read {
            self.file.clone()
        } else {
            format!("defaults (no {})", self.file)
        };
        if !self.variables.is_empty() {
            text.push_str(&format!(" and {}", self.variables.join(", ")));
        }
        text
    }

    /// Turns the `config` crate's errors into one line naming the origin and key.
    fn describe(&self, err: config::ConfigError) -> ConfigError {
        use config::ConfigError as E;
        let at = |key: String, problem: String| ConfigError::new(self.of(&key), key, problem);
        match err {
            E::At { error, key, .. } => {
                let inner = self.describe(*error);
                let key = match key {
                    Some(k) if inner.key == "-" => k,
                    Some(k) if !inner.key.starts_with(&k) => format!("{k}.{}", inner.key),
                    _ => inner.key,
                };
                at(key, inner.problem)
            }
            E::Type {
                unexpected,
                expected,
                key,
                ..
            } => at(
                key.unwrap_or_else(|| "-".into()),
                format!("expected {expected}, found {unexpected}"),
            ),
            E::FileParse { cause, .. } => ConfigError::new(&self.file, "-", format!("not valid TOML: {cause}")),
            E::Message(m) => match unknown_field(&m) {
                Some(field) => at(
                    field,
                    "unknown key (see config/vicidial-callbackd.toml for the keys)".to_owned(),
                ),
                None => ConfigError::new(&self.file, "-", m),
            },
            other => ConfigError::new(&self.file, "-", other.to_string()),
        }
    }
}

impl Config {
    /// Checks every value that has a range; the `[email]` transport settings
    /// are checked by building the mailer (see `commands`), the same code `run` uses.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, problem: &str| Err(ConfigError::new(self.origin.of(key), key, problem));
        let e = &self.engine;
        if e.poll_interval_ms == 0 || e.poll_interval_ms > 60_000 {
            return fail("engine.poll_interval_ms", "must be from 1 to 60000");
        }
        if e.batch_size == 0 || e.batch_size > 5000 {
            return fail("engine.batch_size", "must be from 1 to 5000");
        }
        if e.call_time_horizon_days == 0 || e.call_time_horizon_days > 366 {
            return fail("engine.call_time_horizon_days", "must be from 1 to 366");
        }
        // Upper bounds keep every derived time and duration far from overflow.
        let ranges: [(&str, u64, u64, u64); 6] = [
            ("engine.max_backoff_seconds", e.max_backoff_seconds, 1, 3600),
            ("engine.full_scan_seconds", e.full_scan_seconds, 1, 86_400),
            ("engine.repair_max_age_days", e.repair_max_age_days.into(), 1, 3650),
            (
                "engine.max_per_pass",
                e.max_per_pass as u64,
                e.batch_size as u64,
                10_000_000,
            ),
            ("binlog.safety_pass_seconds", self.binlog.safety_pass_seconds, 1, 110),
            ("binlog.heartbeat_seconds", self.binlog.heartbeat_seconds, 1, 300),
        ];
        for (key, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return fail(key, &format!("must be from {min} to {max}"));
            }
        }
        if self.engine.watch != WatchMode::Poll
            && self.metrics.enabled
            && self.binlog.safety_pass_seconds >= self.metrics.max_pass_age_seconds
        {
            return fail(
                "binlog.safety_pass_seconds",
                &format!(
                    "must be below metrics.max_pass_age_seconds ({}), or /health calls an idle daemon stale",
                    self.metrics.max_pass_age_seconds
                ),
            );
        }
        if self.database.max_connections < 2 {
            return fail(
                "database.max_connections",
                "must be at least 2: a pass works on two connections at once (email alerts and /metrics have one each of their own)",
            );
        }
        if self.database.statement_timeout_seconds == 0 {
            return fail("database.statement_timeout_seconds", "must be at least 1");
        }
        if self.log.slow_seconds == 0 {
            return fail("log.slow_seconds", "must be at least 1");
        }
        if self.metrics.max_pass_age_seconds == 0 {
            return fail("metrics.max_pass_age_seconds", "must be at least 1");
        }
        if let Some(Err(err)) = self.database.url.as_deref().map(mysql_async::Opts::from_url) {
            return fail("database.url", &format!("not a mysql:// URL ({err})"));
        }
        if self.availability.minutes > 100_000 {
            return fail("availability.minutes", "must be from 0 to 100000");
        }
        if self.purge.time().is_none() {
            return fail("purge.at", "must be a time of day like \"03:30\"");
        }
        if self.purge.older_than_days > 36_500 {
            return fail("purge.older_than_days", "must be from 0 to 36500");
        }
        if self.report.time().is_none() {
            return fail("report.at", "must be a time of day like \"07:00\"");
        }
        if !["table", "html"].contains(&self.report.format.as_str()) {
            return fail("report.format", "must be \"table\" or \"html\"");
        }
        if !["campaign", "agent", "day", "hour"].contains(&self.report.by.as_str()) {
            return fail("report.by", "must be \"campaign\", \"agent\", \"day\" or \"hour\"");
        }
        if self.report.grace_minutes > 1440 {
            return fail("report.grace_minutes", "must be from 0 to 1440");
        }
        if self.report.enabled {
            if self
                .report
                .to
                .parse::<lettre::message::Mailboxes>()
                .map_or(true, |m| m.iter().next().is_none())
            {
                return fail("report.to", "must be one or more email addresses, comma-separated");
            }
            if self.report.from.parse::<lettre::message::Mailbox>().is_err() {
                return fail("report.from", "must be an email address");
            }
        }
        if self.email.retry_backoff_seconds < 0.0 || !self.email.retry_backoff_seconds.is_finite() {
            return fail("email.retry_backoff_seconds", "must be a number of seconds, 0 or more");
        }
        Ok(())
    }

    /// Where the database settings are read from, and what they are.
    pub fn database_target(&self) -> Result<DatabaseTarget, ConfigError> {
        let db = &self.database;
        let (builder, from) = if let Some(url) = &db.url {
            let origin = self.origin.of("database.url");
            let opts = mysql_async::Opts::from_url(url)
                .map_err(|err| ConfigError::new(&origin, "database.url", err.to_string()))?;
            (mysql_async::OptsBuilder::from_opts(opts), origin)
        } else if let Some(host) = &db.host {
            let builder = mysql_async::OptsBuilder::default()
                .ip_or_hostname(host.clone())
                .tcp_port(db.port)
                .user(Some(db.user.clone()))
                .pass(Some(db.password.clone()))
                .db_name(Some(db.name.clone()));
            (builder, self.origin.of("database.host"))
        } else {
            let path = db.astguiclient_conf.display().to_string();
            let text = std::fs::read_to_string(&db.astguiclient_conf).map_err(|err| {
                ConfigError::new(
                    &path,
                    "VARDB_server",
                    format!("cannot read it ({err}); set database.url or database.host in the configuration"),
                )
            })?;
            let builder = astguiclient::Settings::parse(&text)
                .opts()
                .map_err(|(key, problem)| ConfigError::new(&path, key, problem))?;
            (builder, path)
        };
        let timeout = self.database.statement_timeout_seconds;
        // The pool keeps every connection it opened: the engine's two and
        // the duties' come back every few seconds, and a connection closed
        // when idle costs its setup statements each time it is opened again.
        let constraints = mysql_async::PoolConstraints::new(db.max_connections, db.max_connections)
            .expect("validated: max_connections >= 2");
        let opts: mysql_async::Opts = builder
            .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints))
            // Probes an idle or waiting connection, so a peer that vanished
            // (a half-open connection) is noticed in seconds, not hours.
            .tcp_keepalive(Some(Duration::from_secs(10)))
            .setup(vec![crate::db::session_limits(timeout)])
            .into();
        Ok(DatabaseTarget { opts, from })
    }

    /// The connection options (see [`Config::database_target`]).
    pub fn database_opts(&self) -> Result<mysql_async::Opts, ConfigError> {
        Ok(self.database_target()?.opts)
    }

    /// The statement time limit as a duration.
    pub fn statement_timeout(&self) -> Duration {
        Duration::from_secs(self.database.statement_timeout_seconds)
    }
}

/// The database the daemon connects to, and where that was configured.
#[derive(Clone, Debug)]
pub struct DatabaseTarget {
    /// The connection options.
    pub opts: mysql_async::Opts,
    /// The URL's origin, the configuration file, or the astguiclient.conf path.
    pub from: String,
}

impl std::fmt::Display for DatabaseTarget {
    /// `host:port/name as user (from ...)`: never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}/{} as {} (from {})",
            self.opts.ip_or_hostname(),
            self.opts.tcp_port(),
            self.opts.db_name().unwrap_or(""),
            self.opts.user().unwrap_or(""),
            self.from
        )
    }
}

/// The `CALLBACKD_SECTION__KEY` variables. Others with the prefix (such as
/// `CALLBACKD_DATABASE_URL`, read by the command line) are not configuration keys.
fn overrides() -> config::Map<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__"))
        .collect()
}

/// Pulls the field name out of serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held by every test that loads a configuration, since loading reads
    /// the environment and one test sets variables in it.
    static ENVIRONMENT: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn environment() -> std::sync::MutexGuard<'static, ()> {
        ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let _environment = environment();
        load_text_unlocked(text)
    }

    fn load_text_unlocked(text: &str) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("callbackd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = dir.join(format!("{n}.toml"));
        std::fs::write(&path, text).unwrap();
        let result = ConfigSource {
            path: Some(path.clone()),
            database_url: None,
        }
        .load();
        std::fs::remove_file(&path).unwrap();
        result
    }

    #[test]
    fn only_section_key_variables_are_configuration_and_a_bad_one_is_named() {
        let _environment = environment();
        // SAFETY: every test of this module that reads the environment holds `environment()`.
        unsafe {
            std::env::set_var("CALLBACKD_SOMETHING_ELSE", "x");
            std::env::set_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "7");
        }
        let config = load_text_unlocked("").unwrap();
        assert_eq!(config.engine.full_scan_seconds, 7);
        assert_eq!(
            config.origin.of("engine.full_scan_seconds"),
            "CALLBACKD_ENGINE__FULL_SCAN_SECONDS"
        );
        unsafe { std::env::set_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "0") };
        let err = load_text_unlocked("").unwrap_err();
        assert_eq!(err.origin, "CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "{err}");
        unsafe { std::env::set_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "often") };
        let err = load_text_unlocked("").unwrap_err();
        assert_eq!(err.origin, "CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "{err}");
        assert_eq!(err.key, "engine.full_scan_seconds", "{err}");
        unsafe {
            std::env::remove_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS");
            std::env::set_var("CALLBACKD_ENGINE__FULL_SCAN_SECONS", "7");
        }
        let err = load_text_unlocked("").unwrap_err();
        assert_eq!(err.origin, "CALLBACKD_ENGINE__FULL_SCAN_SECONS", "{err}");
        unsafe {
            std::env::remove_var("CALLBACKD_SOMETHING_ELSE");
            std::env::remove_var("CALLBACKD_ENGINE__FULL_SCAN_SECONS");
        }
    }

    #[test]
    fn defaults_need_no_file() {
        let config = load_text("").unwrap();
        assert_eq!(config.engine.batch_size, 500);
        assert_eq!(config.engine.poll_interval_ms, 700);
        assert!(config.database.url.is_none());
        assert_eq!(config.metrics.listen.to_string(), "127.0.0.1:9477");
        assert_eq!(config.log.format, LogFormat::Text);
    }

    #[test]
    fn a_bad_report_section_names_its_key() {
        let config =
            load_text("[report]\nenabled = true\nto = \"a@example.com, b@example.com\"\nfrom = \"cb@example.com\"\n")
                .unwrap();
        assert_eq!(
            (config.report.format.as_str(), config.report.grace_minutes),
            ("html", 5)
        );
        for (text, key) in [
            ("[report]\nat = \"7am\"\n", "report.at"),
            ("[report]\nformat = \"pdf\"\n", "report.format"),
            ("[report]\nby = \"week\"\n", "report.by"),
            ("[report]\nenabled = true\nfrom = \"cb@example.com\"\n", "report.to"),
            (
                "[report]\nenabled = true\nto = \"a@example.com\"\nfrom = \"nobody\"\n",
                "report.from",
            ),
        ] {
            assert_eq!(load_text(text).unwrap_err().key, key, "{text}");
        }
    }

    #[test]
    fn wrong_type_names_file_and_key() {
        let err = load_text("[engine]\nbatch_size = \"many\"\n").unwrap_err();
        assert!(err.origin.ends_with(".toml"), "{err}");
        assert_eq!(err.key, "engine.batch_size", "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_text("[engine]\nbatch_sise = 10\n").unwrap_err();
        assert_eq!(err.key, "engine.batch_sise", "{err}");
    }

    #[test]
    fn choices_list_the_allowed_values_and_ignore_case() {
        let err = load_text("[email]\nsmtp_tls = \"sometimes\"\n").unwrap_err();
        assert_eq!(err.key, "email.smtp_tls", "{err}");
        assert_eq!(
            err.problem, "\"sometimes\" is not one of: \"none\", \"starttls\", \"tls\"",
            "{err}"
        );
        let config = load_text("[email]\nsmtp_tls = \"STARTTLS\"\n[log]\nformat = \"json\"\n").unwrap();
        assert_eq!(config.email.smtp_tls, TlsMode::Starttls);
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn out_of_range_value_is_named() {
        let err = load_text("[engine]\nbatch_size = 0\n").unwrap_err();
        assert_eq!(err.key, "engine.batch_size");
        let err = load_text("[database]\nurl = \"postgres://x\"\n").unwrap_err();
        assert_eq!(err.key, "database.url");
        let err = load_text("[metrics]\nlisten = \"localhost\"\n").unwrap_err();
        assert_eq!(err.key, "metrics.listen", "{err}");
    }

    #[test]
    fn the_safety_pass_comes_before_health_calls_the_daemon_stale() {
        let err = load_text("[engine]\nwatch = \"binlog\"\n[binlog]\nsafety_pass_seconds = 60\n").unwrap_err();
        assert_eq!(err.key, "binlog.safety_pass_seconds", "{err}");
        let config = load_text(
            "[engine]\nwatch = \"Auto\"\n[metrics]\nmax_pass_age_seconds = 90\n[binlog]\nsafety_pass_seconds = 60\n",
        )
        .unwrap();
        assert_eq!(config.engine.watch, WatchMode::Auto);
        let err = load_text("[engine]\nwatch = \"events\"\n").unwrap_err();
        assert_eq!(
            err.problem, "\"events\" is not one of: \"poll\", \"binlog\", \"auto\"",
            "{err}"
        );
    }

    #[test]
    fn broken_toml_names_the_file() {
        let err = load_text("[engine\n").unwrap_err();
        assert!(err.to_string().contains("not valid TOML"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error_named_as_given() {
        let source = ConfigSource {
            path: Some(PathBuf::from("/nonexistent/callbackd.toml")),
            database_url: None,
        };
        assert_eq!(source.load().unwrap_err().origin, "/nonexistent/callbackd.toml");
    }

    #[test]
    fn the_target_names_host_database_and_user_never_the_password() {
        let _environment = environment();
        let config = ConfigSource {
            path: None,
            database_url: Some("mysql://cron:secret@db.example:3307/asterisk".into()),
        }
        .load()
        .unwrap();
        let target = config.database_target().unwrap().to_string();
        assert_eq!(
            target,
            "db.example:3307/asterisk as cron (from --database-url (or CALLBACKD_DATABASE_URL))"
        );
        assert!(!target.contains("secret"));
    }
}
