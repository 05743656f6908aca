//! The daemon's configuration: one typed [`Config`], read from a TOML file and
//! then from `CALLBACKD_*` environment variables, with every key defaulted so
//! that a VICIdial server needs no file at all (the database settings then come
//! from `/etc/astguiclient.conf`, as VICIdial's own scripts read them).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::email::EmailConfig;

/// Where the configuration file is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/vicidial-callbackd/config.toml";

/// VICIdial's own settings file, the fallback for the database settings.
pub const ASTGUICLIENT_CONF: &str = "/etc/astguiclient.conf";

/// A configuration problem, reported as one line naming the file and the key.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {key}: {problem}")]
pub struct ConfigError {
    /// The file (or `environment`, or `--database-url`) the bad value came from.
    pub origin: String,
    /// The key, as written in the file (`engine.batch_size`).
    pub key: String,
    /// What is wrong, in plain words.
    pub problem: String,
}

impl ConfigError {
    fn new(source: impl Into<String>, key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            origin: source.into(),
            key: key.into(),
            problem: problem.into(),
        }
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
    /// Every pass looks for pending callbacks due in this many past hours...
    pub pending_window_hours: u32,
    /// ...and every this many seconds (and after a database error), for every
    /// pending callback up to `repair_max_age_days` old.
    pub full_scan_seconds: u64,
    /// Undialed LIVE ANYONE callbacks that became dialable longer ago than
    /// this are not repaired, only reported once at start (VICIdial leaves
    /// night-time ones undialed for ever; dialing them years later is no
    /// promise kept).
    pub repair_max_age_days: u32,
    /// Most callbacks one pass takes per step; the next pass takes the rest.
    pub max_per_pass: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            poll_interval_ms: 500,
            batch_size: 500,
            call_time_horizon_days: 8,
            max_backoff_seconds: 30,
            pending_window_hours: 24,
            full_scan_seconds: 60,
            repair_max_age_days: 7,
            max_per_pass: 100_000,
        }
    }
}

impl EngineConfig {
    /// The poll interval as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

impl Config {
    /// Loads the file (when `path` is given it must exist; the default path is
    /// optional), applies `CALLBACKD_SECTION__KEY` environment overrides and the
    /// `--database-url`, resolves the database URL and validates every value.
    pub fn load(path: Option<&Path>, database_url: Option<&str>) -> Result<Config, ConfigError> {
        let (file, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        let source = file.display().to_string();
        if required && !file.exists() {
            return Err(ConfigError::new(source, "-", "file not found"));
        }
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
                    .source(Some(overrides())),
            )
            .build()
            .map_err(|e| describe(&source, e))?;
        let mut config: Config = built.try_deserialize().map_err(|e| describe(&source, e))?;
        if let Some(url) = database_url {
            config.database.url = Some(url.to_string());
        }
        config.validate(&source)?;
        Ok(config)
    }

    fn validate(&self, source: &str) -> Result<(), ConfigError> {
        let e = &self.engine;
        if e.poll_interval_ms == 0 || e.poll_interval_ms > 60_000 {
            return Err(ConfigError::new(
                source,
                "engine.poll_interval_ms",
                "must be from 1 to 60000",
            ));
        }
        if e.batch_size == 0 || e.batch_size > 5000 {
            return Err(ConfigError::new(source, "engine.batch_size", "must be from 1 to 5000"));
        }
        if e.call_time_horizon_days == 0 || e.call_time_horizon_days > 366 {
            return Err(ConfigError::new(
                source,
                "engine.call_time_horizon_days",
                "must be from 1 to 366",
            ));
        }
        // Upper bounds keep every derived time and duration far from overflow.
        let ranges: [(&str, u64, u64, u64); 5] = [
            ("engine.max_backoff_seconds", e.max_backoff_seconds, 1, 3600),
            ("engine.pending_window_hours", e.pending_window_hours.into(), 1, 8760),
            ("engine.full_scan_seconds", e.full_scan_seconds, 1, 86_400),
            ("engine.repair_max_age_days", e.repair_max_age_days.into(), 1, 3650),
            (
                "engine.max_per_pass",
                e.max_per_pass as u64,
                e.batch_size as u64,
                10_000_000,
            ),
        ];
        for (key, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::new(source, key, format!("must be from {min} to {max}")));
            }
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::new(
                source,
                "database.max_connections",
                "must be at least 1",
            ));
        }
        if let Some(url) = &self.database.url {
            mysql_async::Opts::from_url(url)
                .map_err(|err| ConfigError::new(source, "database.url", format!("not a mysql:// URL ({err})")))?;
        }
        if self.email.retry_backoff_seconds < 0.0 || !self.email.retry_backoff_seconds.is_finite() {
            return Err(ConfigError::new(
                source,
                "email.retry_backoff_seconds",
                "must be a number of seconds, 0 or more",
            ));
        }
        Ok(())
    }

    /// The connection options: the URL when given, else the `[database]` keys
    /// when `host` is set, else VICIdial's `astguiclient.conf`.
    pub fn database_opts(&self) -> Result<mysql_async::Opts, ConfigError> {
        let db = &self.database;
        let builder = if let Some(url) = &db.url {
            let opts = mysql_async::Opts::from_url(url)
                .map_err(|err| ConfigError::new("database.url", "database.url", err.to_string()))?;
            mysql_async::OptsBuilder::from_opts(opts)
        } else if let Some(host) = &db.host {
            mysql_async::OptsBuilder::default()
                .ip_or_hostname(host.clone())
                .tcp_port(db.port)
                .user(Some(db.user.clone()))
                .pass(Some(db.password.clone()))
                .db_name(Some(db.name.clone()))
        } else {
            let path = &db.astguiclient_conf;
            let text = std::fs::read_to_string(path).map_err(|err| {
                ConfigError::new(
                    path.display().to_string(),
                    "VARDB_server",
                    format!("cannot read it ({err}); set database.url or database.host in the configuration"),
                )
            })?;
            astguiclient_opts(&text)
                .map_err(|(key, problem)| ConfigError::new(path.display().to_string(), key, problem))?
        };
        let constraints =
            mysql_async::PoolConstraints::new(1, db.max_connections).expect("validated: max_connections >= 1");
        Ok(builder
            .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints))
            .into())
    }
}

/// The `CALLBACKD_SECTION__KEY` variables. Others with the prefix (such as
/// `CALLBACKD_DATABASE_URL`, read by the command line) are not configuration keys.
fn overrides() -> config::Map<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("CALLBACKD_") && k.contains("__"))
        .collect()
}

/// Reads `VARDB_*` lines (`VARDB_user => cron`) of VICIdial's settings file.
fn astguiclient_opts(text: &str) -> Result<mysql_async::OptsBuilder, (&'static str, String)> {
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once("=>")?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let server = value("VARDB_server").ok_or(("VARDB_server", "missing".to_string()))?;
    let database = value("VARDB_database").ok_or(("VARDB_database", "missing".to_string()))?;
    let user = value("VARDB_user").ok_or(("VARDB_user", "missing".to_string()))?;
    let pass = value("VARDB_pass").unwrap_or_default();
    let port = match value("VARDB_port") {
        None => 3306,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| ("VARDB_port", format!("{p:?} is not a port number")))?,
    };
    Ok(mysql_async::OptsBuilder::default()
        .ip_or_hostname(server)
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(pass))
        .db_name(Some(database)))
}

/// Turns the `config` crate's errors into one line naming the file and key.
fn describe(source: &str, err: config::ConfigError) -> ConfigError {
    use config::ConfigError as E;
    match err {
        E::At { error, origin, key } => {
            let inner = describe(source, *error);
            ConfigError::new(
                origin.unwrap_or(inner.origin),
                match key {
                    Some(k) if inner.key == "-" => k,
                    Some(k) if !inner.key.starts_with(&k) => format!("{k}.{}", inner.key),
                    _ => inner.key,
                },
                inner.problem,
            )
        }
        E::Type {
            origin,
            unexpected,
            expected,
            key,
        } => ConfigError::new(
            origin.unwrap_or_else(|| source.to_string()),
            key.unwrap_or_else(|| "-".into()),
            format!("expected {expected}, found {unexpected}"),
        ),
        E::FileParse { uri, cause } => ConfigError::new(
            uri.unwrap_or_else(|| source.to_string()),
            "-",
            format!("not valid TOML: {cause}"),
        ),
        E::Message(m) => match unknown_field(&m) {
            Some(field) => ConfigError::new(
                source,
                field,
                "unknown key (see config/vicidial-callbackd.toml for the keys)",
            ),
            None => ConfigError::new(source, "-", m),
        },
        other => ConfigError::new(source, "-", other.to_string()),
    }
}

/// Pulls the field name out of serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("callbackd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = dir.join(format!("{n}.toml"));
        std::fs::write(&path, text).unwrap();
        let result = Config::load(Some(&path), None);
        std::fs::remove_file(&path).unwrap();
        result
    }

    #[test]
    fn only_section_key_variables_are_configuration() {
        // SAFETY: no other test of this binary reads or writes these variables.
        unsafe {
            std::env::set_var("CALLBACKD_SOMETHING_ELSE", "x");
            std::env::set_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS", "7");
        }
        let config = load_text("").unwrap();
        assert_eq!(config.engine.full_scan_seconds, 7);
        unsafe {
            std::env::remove_var("CALLBACKD_SOMETHING_ELSE");
            std::env::remove_var("CALLBACKD_ENGINE__FULL_SCAN_SECONDS");
        }
    }

    #[test]
    fn defaults_need_no_file() {
        let config = load_text("").unwrap();
        assert_eq!(config.engine.batch_size, 500);
        assert_eq!(config.engine.poll_interval_ms, 500);
        assert!(config.database.url.is_none());
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
    fn out_of_range_value_is_named() {
        let err = load_text("[engine]\nbatch_size = 0\n").unwrap_err();
        assert_eq!(err.key, "engine.batch_size");
        let err = load_text("[database]\nurl = \"postgres://x\"\n").unwrap_err();
        assert_eq!(err.key, "database.url");
    }

    #[test]
    fn broken_toml_names_the_file() {
        let err = load_text("[engine\n").unwrap_err();
        assert!(err.to_string().contains("not valid TOML"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/callbackd.toml")), None).unwrap_err();
        assert_eq!(err.origin, "/nonexistent/callbackd.toml");
    }

    #[test]
    fn astguiclient_conf_is_read() {
        let text = "# comment\nVARDB_server => 10.0.0.5\nVARDB_database => asterisk\nVARDB_user => cron\nVARDB_pass => 1234\nVARDB_port => 3307\n";
        let opts: mysql_async::Opts = astguiclient_opts(text).unwrap().into();
        assert_eq!(opts.ip_or_hostname(), "10.0.0.5");
        assert_eq!(opts.tcp_port(), 3307);
        assert_eq!(opts.user(), Some("cron"));
        assert_eq!(opts.db_name(), Some("asterisk"));
        let err = astguiclient_opts("VARDB_server => x\nVARDB_database => a\nVARDB_user => u\nVARDB_port => many\n")
            .unwrap_err();
        assert_eq!(err.0, "VARDB_port");
    }
}
