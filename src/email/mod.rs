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

pub mod container;
pub mod template;
pub mod transport;

pub use crate::config::{EmailConfig, TlsMode, TransportKind};
