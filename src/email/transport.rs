//! Delivery of alert messages over SMTP or through the local `sendmail`.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use lettre::address::AddressError;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::{sendmail, smtp};
use lettre::{AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

use super::{EmailConfig, TlsMode, TransportKind};

/// Longest wait between two attempts (unless the configured first wait is
/// longer), so many retries cannot push an alert hours past its callback.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Sends alert messages with the configured transport, retrying temporary failures.
#[derive(Debug)]
pub struct Mailer {
    transport: Transport,
    retries: u32,
    backoff: Duration,
    timeout: Duration,
}

#[derive(Debug)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Sendmail(AsyncSendmailTransport<Tokio1Executor>),
}

/// The outcome of [`Mailer::send`], to be recorded in `email_result`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The server or `sendmail` accepted the message.
    Sent,
    /// Given up: a permanent failure, or temporary ones until the retries ran out.
    Failed {
        /// The last failure, for the log.
        reason: String,
        /// How many attempts were made, the first one included.
        attempts: u32,
    },
    /// The connection was lost or timed out after it was made: the server
    /// may have taken the message (a relay that files it and drops the
    /// connection before its final reply), so it is not sent again.
    Unknown {
        /// What happened, for the log.
        reason: String,
    },
}

/// A mailer that cannot be set up or a message that cannot be built.
#[derive(Debug, Error)]
pub enum MailerError {
    /// A value of the `[email]` section is unusable.
    #[error("invalid [email] configuration: {key}: {problem}")]
    Config {
        /// The key of the `[email]` section (`smtp_host`).
        key: &'static str,
        /// What is wrong with its value.
        problem: String,
    },
    /// TLS parameters could not be built for the SMTP host.
    #[error("cannot set up TLS for SMTP host {host:?}: {source}")]
    Tls {
        /// The configured `smtp_host`.
        host: String,
        /// What lettre reported.
        #[source]
        source: smtp::Error,
    },
    /// A sender or recipient is not a valid address (the alert is `NOT AVAILABLE`).
    #[error("invalid {role} address {address:?}: {source}")]
    Address {
        /// `"from"` or `"to"`.
        role: &'static str,
        /// The text that failed to parse.
        address: String,
        /// What lettre reported.
        #[source]
        source: AddressError,
    },
    /// lettre refused to assemble the message.
    #[error("cannot build the email: {0}")]
    Message(#[from] lettre::error::Error),
}

impl MailerError {
    /// The `[email]` key a configuration problem is about (`email.smtp_host`), if it is one.
    pub fn config_key(&self) -> Option<String> {
        match self {
            MailerError::Config { key, .. } => Some(format!("email.{key}")),
            MailerError::Tls { .. } => Some("email.smtp_tls".to_owned()),
            _ => None,
        }
    }
}

fn config_error(key: &'static str, problem: String) -> MailerError {
    MailerError::Config { key, problem }
}

/// One failed attempt, and whether another one may succeed.
struct Failure {
    outcome: Outcome,
    reason: String,
}

/// What a failed attempt says of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Refused or never sent: may be tried again.
    Temporary,
    /// Refused for good.
    Permanent,
    /// May have been delivered: not tried again.
    Unknown,
}

impl Mailer {
    /// Builds the transport described by `config`; fails on an unusable host,
    /// TLS setting, credentials pair, timeout, backoff or command.
    pub fn new(config: &EmailConfig) -> Result<Mailer, MailerError> {
        if config.timeout_seconds == 0 {
            return Err(config_error("timeout_seconds", "must be at least 1".to_owned()));
        }
        let timeout = Duration::from_secs(config.timeout_seconds);
        let backoff = Duration::try_from_secs_f64(config.retry_backoff_seconds).map_err(|_| {
            config_error(
                "retry_backoff_seconds",
                format!(
                    "must be a number of seconds, 0 or more, not {}",
                    config.retry_backoff_seconds
                ),
            )
        })?;
        let transport = match config.transport {
            TransportKind::Smtp => Transport::Smtp(smtp_transport(config, timeout)?),
            TransportKind::Sendmail => {
                if config.sendmail_command.trim().is_empty() {
                    return Err(config_error("sendmail_command", "is empty".to_owned()));
                }
                Transport::Sendmail(AsyncSendmailTransport::new_with_command(&config.sendmail_command))
            }
        };
        Ok(Mailer {
            transport,
            retries: config.retries,
            backoff,
            timeout,
        })
    }

    /// Sends with retries on temporary failures; never panics.
    pub async fn send(&self, message: &Message) -> Delivery {
        let envelope = message.envelope();
        let raw = message.formatted();
        let mut attempts: u32 = 0;
        loop {
            attempts = attempts.saturating_add(1);
            let failure = match self.attempt(envelope, &raw).await {
                Ok(()) => return Delivery::Sent,
                Err(failure) => failure,
            };
            if failure.outcome == Outcome::Unknown {
                return Delivery::Unknown { reason: failure.reason };
            }
            if failure.outcome == Outcome::Permanent || attempts > self.retries {
                return Delivery::Failed {
                    reason: failure.reason,
                    attempts,
                };
            }
            let wait = self.backoff_after(attempts);
            tracing::warn!(
                attempt = attempts,
                retry_in = ?wait,
                reason = %failure.reason,
                "temporary email failure, will retry"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, envelope: &lettre::address::Envelope, raw: &[u8]) -> Result<(), Failure> {
        match &self.transport {
            // lettre bounds only the connect with its timeout; a server
            // that stops answering mid-exchange is bounded here, the whole
            // exchange by twice the limit (EHLO, MAIL, RCPT, DATA, the
            // message). Past it the message may have been taken: unknown.
            Transport::Smtp(transport) => {
                match tokio::time::timeout(self.timeout * 2, transport.send_raw(envelope, raw)).await {
                    Ok(result) => result.map(drop).map_err(|error| Failure {
                        outcome: smtp_outcome(&error),
                        reason: error.to_string(),
                    }),
                    Err(_) => Err(Failure {
                        outcome: Outcome::Unknown,
                        reason: format!("the SMTP server did not finish within {:?}", self.timeout * 2),
                    }),
                }
            }
            // lettre puts no time limit on sendmail; a hung one is killed when
            // the timed-out future drops it.
            Transport::Sendmail(transport) => {
                match tokio::time::timeout(self.timeout, transport.send_raw(envelope, raw)).await {
                    Ok(result) => result.map_err(|error| Failure {
                        outcome: match sendmail_is_temporary(&error) {
                            true => Outcome::Temporary,
                            false => Outcome::Permanent,
                        },
                        reason: format!("sendmail: {}", error.to_string().trim_end()),
                    }),
                    // A sendmail that hangs may have queued the message already.
                    Err(_) => Err(Failure {
                        outcome: Outcome::Unknown,
                        reason: format!("sendmail did not finish within {:?}", self.timeout),
                    }),
                }
            }
        }
    }

    /// The wait after failed attempt number `attempt` (1-based): the configured
    /// backoff doubled once per earlier retry.
    fn backoff_after(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF.max(self.backoff))
    }
}

fn smtp_transport(config: &EmailConfig, timeout: Duration) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailerError> {
    let host = config.smtp_host.trim();
    if !is_host(host) {
        return Err(config_error(
            "smtp_host",
            format!("{:?} is not a host name or address", config.smtp_host),
        ));
    }
    if config.smtp_port == 0 {
        return Err(config_error("smtp_port", "must not be 0".to_owned()));
    }
    let tls_parameters = || {
        TlsParameters::new(host.to_owned()).map_err(|source| MailerError::Tls {
            host: host.to_owned(),
            source,
        })
    };
    let tls = match config.smtp_tls {
        TlsMode::None => Tls::None,
        TlsMode::Starttls => Tls::Required(tls_parameters()?),
        TlsMode::Tls => Tls::Wrapper(tls_parameters()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(config.smtp_port)
        .tls(tls)
        .timeout(Some(timeout));
    match (&config.smtp_user, &config.smtp_password) {
        (Some(user), Some(password)) => {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        (None, None) => {}
        _ => {
            let missing = if config.smtp_user.is_some() {
                "smtp_password"
            } else {
                "smtp_user"
            };
            return Err(config_error(
                missing,
                "must be set too: smtp_user and smtp_password go together".to_owned(),
            ));
        }
    }
    Ok(builder.build())
}

/// Whether `host` is an IP address or a syntactically valid DNS name; lettre
/// checks names only when connecting, where a typo would look like a failed send.
fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// What a failed SMTP attempt says of the message. A 4xx reply, or a
/// server that could not be reached at all, is temporary: the message was
/// refused or never left. 5xx replies, TLS failures and client-side refusals
/// (such as no usable authentication mechanism) are permanent. Anything else
/// (the connection lost, a timeout, a reply that cannot be read, once the
/// connection was made) is unknown: lettre does not say whether DATA was
/// sent, and a relay may have filed the message, so it is never sent again
/// by itself.
fn smtp_outcome(error: &smtp::Error) -> Outcome {
    if error.is_transient() {
        return Outcome::Temporary;
    }
    if error.is_permanent() || error.is_tls() || error.is_client() || error.is_transport_shutdown() {
        return Outcome::Permanent;
    }
    // lettre's connection-kind errors (the server could not be reached)
    // have no predicate of their own; their text starts so.
    if error.to_string().starts_with("Connection error") {
        return Outcome::Temporary;
    }
    Outcome::Unknown
}

/// lettre reports sendmail's exit status only through its stderr, so any
/// failure counts as temporary except a command that cannot be run at all.
fn sendmail_is_temporary(error: &sendmail::Error) -> bool {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io_error) = cause.downcast_ref::<io::Error>() {
            return !matches!(
                io_error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
            );
        }
        source = cause.source();
    }
    true
}

/// Builds the message: From, To, Subject (UTF-8, lettre encodes non-ASCII), text/plain UTF-8 body with the lines joined by "\n".
///
/// `to` may list several addresses separated by commas; line breaks in the
/// subject (from substituted values) become spaces, since a header is one line.
pub fn build_message(from: &str, to: &str, subject: &str, body_lines: &[String]) -> Result<Message, MailerError> {
    let address_error = |role, address: &str, source| MailerError::Address {
        role,
        address: address.to_owned(),
        source,
    };
    let from_mailbox: Mailbox = from
        .trim()
        .parse()
        .map_err(|source| address_error("from", from, source))?;
    let to_mailboxes: Mailboxes = to.trim().parse().map_err(|source| address_error("to", to, source))?;
    if to_mailboxes.iter().next().is_none() {
        return Err(address_error("to", to, AddressError::MissingParts));
    }
    let subject: String = subject
        .chars()
        .map(|c| if matches!(c, '\r' | '\n') { ' ' } else { c })
        .collect();
    let mut builder = Message::builder().from(from_mailbox).subject(subject).message_id(None);
    for mailbox in to_mailboxes {
        builder = builder.to(mailbox);
    }
    Ok(builder.header(ContentType::TEXT_PLAIN).body(body_lines.join("\n"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EmailConfig {
        EmailConfig::default()
    }

    fn text(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn default_config_builds_an_smtp_mailer() {
        let mailer = Mailer::new(&config()).unwrap();
        assert!(matches!(mailer.transport, Transport::Smtp(_)));
        assert_eq!(mailer.retries, 3);
    }

    #[test]
    fn tls_modes_build() {
        for tls in [TlsMode::Starttls, TlsMode::Tls] {
            let config = EmailConfig {
                smtp_host: "mail.example.com".to_owned(),
                smtp_tls: tls,
                ..config()
            };
            Mailer::new(&config).unwrap();
        }
    }

    #[test]
    fn sendmail_mailer_builds() {
        let config = EmailConfig {
            transport: TransportKind::Sendmail,
            ..config()
        };
        assert!(matches!(
            Mailer::new(&config).unwrap().transport,
            Transport::Sendmail(_)
        ));
    }

    #[test]
    fn bad_settings_are_rejected() {
        let bad = [
            EmailConfig {
                smtp_host: String::new(),
                ..config()
            },
            EmailConfig {
                smtp_host: "mail server".to_owned(),
                ..config()
            },
            EmailConfig {
                smtp_host: "mail.example.com:25".to_owned(),
                smtp_tls: TlsMode::Starttls,
                ..config()
            },
            EmailConfig {
                smtp_port: 0,
                ..config()
            },
            EmailConfig {
                timeout_seconds: 0,
                ..config()
            },
            EmailConfig {
                retry_backoff_seconds: -1.0,
                ..config()
            },
            EmailConfig {
                retry_backoff_seconds: f64::NAN,
                ..config()
            },
            EmailConfig {
                smtp_user: Some("u".to_owned()),
                ..config()
            },
            EmailConfig {
                smtp_password: Some("p".to_owned()),
                ..config()
            },
            EmailConfig {
                transport: TransportKind::Sendmail,
                sendmail_command: " ".to_owned(),
                ..config()
            },
        ];
        for config in bad {
            assert!(
                matches!(Mailer::new(&config), Err(MailerError::Config { .. })),
                "{config:?}"
            );
        }
    }

    #[test]
    fn host_names_and_addresses_are_checked() {
        for good in [
            "127.0.0.1",
            "::1",
            "localhost",
            "mail.example.com",
            "smtp-1.internal_lan.",
            "MAIL",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "mail server",
            "bad!host",
            "a..b",
            "-a.com",
            "a-.com",
            ".",
            "smtp://mail.example.com",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let config = EmailConfig {
            retry_backoff_seconds: 2.0,
            ..config()
        };
        let mailer = Mailer::new(&config).unwrap();
        let waits: Vec<u64> = (1..=10).map(|n| mailer.backoff_after(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(mailer.backoff_after(u32::MAX), MAX_BACKOFF);
        let slow = Mailer::new(&EmailConfig {
            retry_backoff_seconds: 900.0,
            ..config
        })
        .unwrap();
        assert_eq!(slow.backoff_after(3), Duration::from_secs(900));
    }

    #[test]
    fn builds_a_plain_text_utf8_message() {
        let body = vec!["Line one".to_owned(), String::new(), "Line three".to_owned()];
        let message = build_message(
            "Call Center <cc@example.com>",
            "agent@example.com",
            "Callback due",
            &body,
        )
        .unwrap();
        let text = text(&message);
        assert!(text.contains("From: \"Call Center\" <cc@example.com>\r\n"), "{text}");
        assert!(text.contains("To: agent@example.com\r\n"), "{text}");
        assert!(text.contains("Subject: Callback due\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\n"), "{text}");
        assert!(text.contains("Message-ID: <"), "{text}");
        assert!(text.ends_with("\r\n\r\nLine one\r\n\r\nLine three"), "{text}");
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn non_ascii_subjects_are_encoded() {
        let message = build_message("a@example.com", "b@example.com", "Rückruf: Zoë", &[]).unwrap();
        let text = text(&message);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
    }

    #[test]
    fn line_breaks_in_the_subject_become_spaces() {
        let message = build_message("a@example.com", "b@example.com", "Due\r\nBcc: victim@example.com", &[]).unwrap();
        let text = text(&message);
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(text.contains("Subject: Due  Bcc: victim@example.com\r\n"), "{text}");
    }

    #[test]
    fn several_recipients_are_accepted() {
        let message = build_message("a@example.com", "b@example.com, Boss <c@example.com>", "Due", &[]).unwrap();
        assert_eq!(message.envelope().to().len(), 2);
    }

    #[test]
    fn invalid_addresses_are_address_errors() {
        for (from, to, role) in [
            ("not an address", "b@example.com", "from"),
            ("", "b@example.com", "from"),
            ("a@example.com", "", "to"),
            ("a@example.com", "nobody", "to"),
        ] {
            match build_message(from, to, "Due", &[]) {
                Err(MailerError::Address { role: got, .. }) => {
                    assert_eq!(got, role, "{from:?} {to:?}")
                }
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
    }
}
