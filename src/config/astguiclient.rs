//! VICIdial's `/etc/astguiclient.conf`, read exactly as VICIdial's Perl
//! scripts read it (`bin/AST_VDhopper.pl`, VICIdial 2.14, lines 322-360, the
//! `PATHconf` loop; other scripts repeat it, e.g. `bin/ADMIN_keepalive_ALL.pl`
//! lines 440 and 488; `docs/vicidial.md`, section "astguiclient.conf"):
//!
//! - each line loses every space, `>`, tab, CR and LF, and everything from the
//!   first `#` or `;` (line 329: `s/ |>|\n|\r|\t|\#.*|;.*//gi`);
//! - a line *starting with* a key name sets it (`/^VARDB_server/`, a prefix
//!   match), and its value is the text after the last `=` (`s/.*=//gi`), or
//!   the whole line when it has no `=`;
//! - a later line overrides an earlier one (the loop assigns, it does not stop);
//! - an empty (or `0`) `VARDB_port` means 3306 (line 360: `if (!$VARDB_port)`).
//!
//! So `VARDB_pass => se cret # old` is the password `secret`, as VICIdial
//! connects with it.

/// The database settings of an astguiclient.conf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `VARDB_server`.
    pub server: Option<String>,
    /// `VARDB_database`.
    pub database: Option<String>,
    /// `VARDB_user`.
    pub user: Option<String>,
    /// `VARDB_pass`.
    pub pass: Option<String>,
    /// `VARDB_port`, as written.
    pub port: Option<String>,
}

/// The port VICIdial's scripts use when `VARDB_port` is empty or missing.
const DEFAULT_PORT: u16 = 3306;

impl Settings {
    /// Reads the `VARDB_*` settings out of the file's text.
    pub fn parse(text: &str) -> Settings {
        let mut s = Settings::default();
        for raw in text.lines() {
            let line = clean(raw);
            let value = || Some(line.rsplit('=').next().unwrap_or_default().to_owned());
            // The order of VICIdial's tests; none of these names is a prefix of another.
            if line.starts_with("VARDB_server") {
                s.server = value();
            }
            if line.starts_with("VARDB_database") {
                s.database = value();
            }
            if line.starts_with("VARDB_user") {
                s.user = value();
            }
            if line.starts_with("VARDB_pass") {
                s.pass = value();
            }
            if line.starts_with("VARDB_port") {
                s.port = value();
            }
        }
        s
    }

    /// The port: VICIdial's default for an empty, missing or `0` value
    /// (Perl's falsy strings), else the number written.
    pub fn port(&self) -> Result<u16, String> {
        match self.port.as_deref() {
            None | Some("") | Some("0") => Ok(DEFAULT_PORT),
            Some(p) => p.parse().map_err(|_| format!("{p:?} is not a port number")),
        }
    }

    /// Connection options; the error names the missing or bad key.
    pub fn opts(&self) -> Result<mysql_async::OptsBuilder, (&'static str, String)> {
        let required = |value: &Option<String>, key: &'static str| match value {
            Some(v) if !v.is_empty() => Ok(v.clone()),
            _ => Err((key, "missing or empty".to_owned())),
        };
        let server = required(&self.server, "VARDB_server")?;
        let database = required(&self.database, "VARDB_database")?;
        let user = required(&self.user, "VARDB_user")?;
        let port = self.port().map_err(|problem| ("VARDB_port", problem))?;
        Ok(mysql_async::OptsBuilder::default()
            .ip_or_hostname(server)
            .tcp_port(port)
            .user(Some(user))
            .pass(Some(self.pass.clone().unwrap_or_default()))
            .db_name(Some(database)))
    }
}

/// One line as VICIdial's substitution leaves it.
fn clean(line: &str) -> String {
    let uncommented = match line.find(['#', ';']) {
        Some(at) => &line[..at],
        None => line,
    };
    uncommented
        .chars()
        .filter(|c| !matches!(c, ' ' | '>' | '\n' | '\r' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape VICIdial's installer writes (`install.pl`, lines 2666-2689, VICIdial 2.14).
    const STOCK: &str = "\
# astguiclient.conf - configuration elements for the astguiclient package
# this is the astguiclient configuration file
# all comments will be lost if you run install.pl again

# Paths used by astGUIclient
PATHhome => /usr/share/astguiclient
PATHlogs => /var/log/astguiclient

# Database connection information
VARDB_server => 10.10.10.15
VARDB_database => asterisk
VARDB_user => cron
VARDB_pass => 1234
VARDB_custom_user => custom
VARDB_custom_pass => custom1234
VARDB_port => 3306
";

    #[test]
    fn stock_file_is_read() {
        let s = Settings::parse(STOCK);
        assert_eq!(s.server.as_deref(), Some("10.10.10.15"));
        assert_eq!(s.database.as_deref(), Some("asterisk"));
        assert_eq!(s.user.as_deref(), Some("cron"));
        assert_eq!(s.pass.as_deref(), Some("1234"));
        assert_eq!(s.port(), Ok(3306));
    }

    #[test]
    fn spaces_tabs_and_angle_brackets_go_everywhere_in_the_line() {
        let s = Settings::parse("\tVARDB_server =>  db 1.example\r\nVARDB_pass => se cret\n");
        assert_eq!(s.server.as_deref(), Some("db1.example"));
        assert_eq!(s.pass.as_deref(), Some("secret"));
    }

    #[test]
    fn hash_or_semicolon_starts_a_comment_even_inside_a_value() {
        let s = Settings::parse("VARDB_pass => abc#def\nVARDB_user => cron ; the cron user\n#VARDB_server => old\n");
        assert_eq!(s.pass.as_deref(), Some("abc"));
        assert_eq!(s.user.as_deref(), Some("cron"));
        assert_eq!(s.server, None);
    }

    #[test]
    fn the_value_follows_the_last_equals_sign_or_is_the_whole_line() {
        let s = Settings::parse("VARDB_pass => a=b=c\nVARDB_server\n");
        assert_eq!(s.pass.as_deref(), Some("c"));
        assert_eq!(s.server.as_deref(), Some("VARDB_server"));
    }

    #[test]
    fn a_later_line_overrides_an_earlier_one() {
        let s = Settings::parse("VARDB_server => old\nVARDB_server => new\n");
        assert_eq!(s.server.as_deref(), Some("new"));
    }

    #[test]
    fn keys_match_by_prefix_at_the_start_of_the_line() {
        // `VARDB_user` also matches `VARDB_username` (a prefix test), but not
        // an indented-by-letters `XVARDB_user`.
        let s = Settings::parse("VARDB_username => alice\nXVARDB_user => bob\n  VARDB_port => 3307\n");
        assert_eq!(s.user.as_deref(), Some("alice"));
        assert_eq!(s.port(), Ok(3307));
    }

    #[test]
    fn empty_or_zero_port_means_3306() {
        assert_eq!(Settings::parse("VARDB_port =>\n").port(), Ok(3306));
        assert_eq!(Settings::parse("VARDB_port => 0\n").port(), Ok(3306));
        assert_eq!(Settings::parse("").port(), Ok(3306));
        assert!(Settings::parse("VARDB_port => many\n").port().is_err());
    }

    #[test]
    fn options_name_the_missing_key() {
        let opts: mysql_async::Opts = Settings::parse(STOCK).opts().unwrap().into();
        assert_eq!(opts.ip_or_hostname(), "10.10.10.15");
        assert_eq!(opts.tcp_port(), 3306);
        assert_eq!(opts.db_name(), Some("asterisk"));
        let err = Settings::parse("VARDB_server => x\nVARDB_user => u\n")
            .opts()
            .unwrap_err();
        assert_eq!(err.0, "VARDB_database");
        let err = Settings::parse("VARDB_server => x\nVARDB_database => a\nVARDB_user => u\nVARDB_port => x1\n")
            .opts()
            .unwrap_err();
        assert_eq!(err.0, "VARDB_port");
    }
}
