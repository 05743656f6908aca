//! What the manager commands share: their error, who acts (for
//! `vicidial_admin_log`), and how times and durations are read and shown.

use chrono::{Duration, NaiveDateTime};

use crate::db::DbError;

/// Why a manager command failed.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// A bad argument: exit 2, nothing changed.
    #[error("{0}")]
    Usage(String),
    /// The database failed: exit 1.
    #[error("{0}")]
    Db(#[from] DbError),
    /// The change could not be made as validated (the row changed meanwhile), or a send failed: exit 1.
    #[error("{0}")]
    Failed(String),
}

impl ManageError {
    /// A bad argument.
    pub fn usage(message: impl Into<String>) -> ManageError {
        ManageError::Usage(message.into())
    }
}

/// Who acts, for `vicidial_admin_log.user` and `ip_address`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `--as USER`, else the Unix user (the one behind `sudo` when there is one).
    pub user: String,
    /// The SSH client's address when the shell is remote, else 127.0.0.1.
    pub ip: String,
    /// With `--as`: who really ran the command ("alice via sudo", "root"),
    /// for the admin log's notes; `--as` alone would leave no trace of it.
    pub ran_by: Option<String>,
}

impl Actor {
    /// The acting user of a command.
    pub fn of_command(as_user: Option<&str>) -> Actor {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let user = as_user
            .map(str::to_owned)
            .or_else(|| env("SUDO_USER"))
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .unwrap_or_else(|| "unknown".into());
        // VICIdial records the web client's REMOTE_ADDR; for a shell, the SSH
        // client is the closest thing (ip_address is VARCHAR(15): IPv4 only).
        let ip = env("SSH_CLIENT")
            .and_then(|v| v.split_whitespace().next().map(str::to_owned))
            .filter(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok())
            .unwrap_or_else(|| "127.0.0.1".into());
        let ran_by = as_user.map(|_| unix_user(env("SUDO_USER")));
        Actor { user, ip, ran_by }
    }

    /// `notes` for `vicidial_admin_log.event_notes`, with `|Unix user: NAME`
    /// after them when `--as` named the user.
    pub fn noted(&self, notes: impl Into<String>) -> String {
        let notes = notes.into();
        match &self.ran_by {
            Some(who) if notes.is_empty() => format!("Unix user: {who}"),
            Some(who) => format!("{notes}|Unix user: {who}"),
            None => notes,
        }
    }

    /// The daemon itself, as VICIdial's background jobs write the admin log
    /// (`user='VDAD'`, `ip_address='1.1.1.1'`: `ADMIN_keepalive_ALL.pl` line 6516, VICIdial 2.14).
    pub fn daemon() -> Actor {
        Actor {
            user: "VDAD".into(),
            ip: "1.1.1.1".into(),
            ran_by: None,
        }
    }
}

/// The name of the process's real user, from the password database (NSS:
/// local, LDAP, ...), not from `$USER`, which anyone can set; with the
/// `sudo` user in front when there is one ("alice via sudo as root").
fn unix_user(sudo_user: Option<String>) -> String {
    // SAFETY: getuid cannot fail; getpwuid_r writes only into the buffers we own.
    let uid = unsafe { libc::getuid() };
    let mut name = format!("uid {uid}");
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc == 0 && !found.is_null() {
        // SAFETY: on success pw_name points into buf, NUL-terminated.
        name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned();
    }
    match sudo_user {
        Some(s) if s != name => format!("{s} via sudo as {name}"),
        _ => name,
    }
}

/// Reads a server time "YYYY-MM-DD HH:MM:SS" (or without seconds).
pub fn parse_time(text: &str) -> Result<NaiveDateTime, ManageError> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .map_err(|_| ManageError::usage(format!("{text:?} is not a time like \"2026-03-05 09:30:00\"")))
}

/// Reads a duration: a number and a unit, `s`, `m`, `h` or `d` (`30d`, `12h`).
pub fn parse_duration(text: &str) -> Result<Duration, ManageError> {
    let bad = || ManageError::usage(format!("{text:?} is not a duration like 30d, 12h, 90m or 600s"));
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds)
        .filter(|s| *s <= 100 * 365 * 86_400)
        .map(Duration::seconds)
        .ok_or_else(bad)
}

/// "in 2 h 05 min", "12 min ago", "now".
pub fn format_in(d: Duration) -> String {
    if d.num_seconds().abs() < 60 {
        return match d.num_seconds() {
            0 => "now".into(),
            n if n > 0 => format!("in {n} s"),
            n => format!("{} s ago", -n),
        };
    }
    let minutes = d.num_minutes();
    let size = |m: i64| match (m / 1440, m % 1440 / 60, m % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (days, h, _) => format!("{days} d {h} h"),
    };
    match minutes {
        m if m > 0 => format!("in {}", size(m)),
        m => format!("{} ago", size(-m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse_or_say_why() {
        assert_eq!(parse_duration("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_duration("90m").unwrap(), Duration::minutes(90));
        for bad in ["30", "d", "30x", "-3d", "3.5h", "99999999999999d"] {
            assert!(matches!(parse_duration(bad), Err(ManageError::Usage(_))), "{bad}");
        }
        assert_eq!(
            parse_time("2026-03-05 09:30").unwrap().to_string(),
            "2026-03-05 09:30:00"
        );
        assert!(parse_time("tomorrow").is_err());
    }

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(format_in(Duration::seconds(30)), "in 30 s");
        assert_eq!(format_in(Duration::zero()), "now");
        assert_eq!(format_in(Duration::minutes(125)), "in 2 h 05 min");
        assert_eq!(format_in(Duration::minutes(-12)), "12 min ago");
        assert_eq!(format_in(Duration::days(3) + Duration::hours(2)), "in 3 d 2 h");
    }

    #[test]
    fn the_actor_is_as_given_else_the_unix_user() {
        assert_eq!(Actor::of_command(Some("6666")).user, "6666");
        assert_eq!(Actor::daemon().user, "VDAD");
    }
}
