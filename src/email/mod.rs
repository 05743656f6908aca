//! Email alerts for agent-only (USERONLY) callbacks that have triggered.
//!
//! Each alert is claimed before anything is sent, with a conditional
//! `UPDATE vicidial_callbacks SET email_alert = <the pass's database time>
//! WHERE callback_id = ? AND email_alert IS NULL`: only the process whose
//! update changed the row sends, so a callback gets at most one email even
//! with several daemons or the agent screen racing for it, and the result
//! (`SENT`, `FAILED`, `NOT AVAILABLE`) is recorded in `email_result`
//! afterwards. A crash between claim and result leaves a claimed row without
//! a result rather than risking a second email.
//!
//! Alerts go out whether or not the agent is logged in (`only_logged_in =
//! false`, the default): VICIdial's agent screen already alerts the agent who
//! is at it, and the point of a server-side alert is to reach the one who is
//! away from the screen. `only_logged_in = true` restores VICIdial's rule.
//!
//! The [`alerts`] loop runs on a task of its own with its own database
//! connection, and sending (with its retries and backoff) runs on tasks of
//! their own, so a slow or dead mail server never delays a callback. This
//! module also holds the pure pieces ([`container`] parsing, [`template`]
//! substitution) and the [`transport`] that talks to SMTP or `sendmail`.

pub mod alerts;
pub mod container;
pub mod template;
pub mod transport;

use serde::Deserialize;

/// The `[email]` section of the configuration.
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
    /// Time limit, in seconds, for each SMTP command and for one `sendmail` run.
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

/// Which transport delivers the alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// An SMTP server (`smtp_host`, `smtp_port`, ...).
    Smtp,
    /// The local `sendmail`-compatible binary (`sendmail_command`).
    Sendmail,
}

/// Encryption of the SMTP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text, the usual choice for a relay on the same host.
    None,
    /// Plain connection upgraded with STARTTLS; fails if the server does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}
