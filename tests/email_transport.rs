//! Email delivery against real servers: the aiosmtpd sink on loopback for
//! SMTP, and a small script standing in for `sendmail`.

#[path = "common/smtp.rs"]
mod smtp;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use smtp::{SinkMode, SmtpSink, temp_dir, unused_port};
use vicidial_callbackd::email::transport::{Delivery, Mailer, build_message};
use vicidial_callbackd::email::{EmailConfig, TransportKind, container, template};

const CONTAINER: &str = "; sending email address\r\n\
    email_from => callbacks@example.com ; a bare address: '>' is dropped on setting lines\r\n\
    email_subject => Callback: --A--first_name--B-- --A--last_name--B-- for --A--agent_name--B--\r\n\
    email_body_begin => Hello --A--agent_name--B--,\r\n\
    \r\n\
    Name: --A--first_name--B-- --A--last_name--B--\r\n\
    Phone: --A--phone_number--B--\r\n\
    Comments: --A--callback_comments--B--\r\n\
    Unknown: --A--no_such_field--B--\r\n\
    email_body_end\r\n";

fn lead_value(name: &str) -> Option<String> {
    let value = match name {
        "first_name" => "Seán",
        "last_name" => "O'Brien",
        "agent_name" => "Zoë Müller",
        "phone_number" => "3125551234",
        "callback_comments" => "wants 50% off+tax & a call --A--first_name--B--",
        _ => return None,
    };
    Some(value.to_owned())
}

fn smtp_config(port: u16, retries: u32) -> EmailConfig {
    EmailConfig {
        smtp_port: port,
        retries,
        retry_backoff_seconds: 0.05,
        timeout_seconds: 5,
        ..EmailConfig::default()
    }
}

fn simple_message() -> lettre::Message {
    build_message(
        "callbacks@example.com",
        "agent@example.com",
        "Callback due",
        &["Call the lead.".to_owned()],
    )
    .unwrap()
}

#[tokio::test]
async fn message_arrives_with_substituted_and_encoded_values() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let parsed = container::parse(CONTAINER).unwrap();
    let subject = template::render(&parsed.subject, lead_value);
    let body: Vec<String> = parsed
        .body
        .iter()
        .map(|line| template::render(line, lead_value))
        .collect();
    let message = build_message(&parsed.from, "Zoë Müller <zoe@example.com>", &subject, &body).unwrap();

    let delivery = Mailer::new(&smtp_config(sink.port, 3)).unwrap().send(&message).await;

    assert_eq!(delivery, Delivery::Sent);
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.envelope_from, "callbacks@example.com");
    assert_eq!(mail.envelope_to, ["zoe@example.com"]);
    assert_eq!(mail.defects, 0, "{}", mail.raw);
    assert_eq!(mail.header("From"), Some("callbacks@example.com"));
    assert_eq!(mail.header("To"), Some("Zoë Müller <zoe@example.com>"));
    assert_eq!(mail.header("Subject"), Some("Callback: Seán O'Brien for Zoë Müller"));
    assert_eq!(mail.header("Content-Type"), Some("text/plain; charset=\"utf-8\""));
    assert_eq!(
        mail.body.trim_end_matches('\n'),
        "Hello Zoë Müller,\n\
         \n\
         Name: Seán O'Brien\n\
         Phone: 3125551234\n\
         Comments: wants 50% off+tax & a call --A--first_name--B--\n\
         Unknown: --A--no_such_field--B--"
    );
    // Non-ASCII travels as RFC 2047 encoded words, never as raw 8-bit headers.
    let raw_headers = mail.raw_headers();
    assert!(raw_headers.is_ascii(), "{raw_headers}");
    assert!(raw_headers.contains("=?utf-8?"), "{raw_headers}");
    assert!(sink.rejections().is_empty());
}

#[tokio::test]
async fn temporary_failures_are_retried_and_the_message_sent_once() {
    let sink = SmtpSink::start_default(SinkMode::TempFail(2));

    let delivery = Mailer::new(&smtp_config(sink.port, 3))
        .unwrap()
        .send(&simple_message())
        .await;

    assert_eq!(delivery, Delivery::Sent);
    assert_eq!(sink.rejections().len(), 2);
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].header("Subject"), Some("Callback due"));
}

/// A relay that files the message and drops the connection before its
/// final reply: the message may have been delivered, so it is not sent again.
#[tokio::test]
async fn a_connection_lost_after_data_is_unknown_and_not_retried() {
    let sink = SmtpSink::start_default(SinkMode::DropAfterData);
    let delivery = Mailer::new(&smtp_config(sink.port, 3))
        .unwrap()
        .send(&simple_message())
        .await;
    assert!(matches!(delivery, Delivery::Unknown { .. }), "{delivery:?}");
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
}

/// A relay whose final reply comes after the timeout: unknown, sent once.
#[tokio::test]
async fn a_final_reply_later_than_the_timeout_is_unknown_and_not_retried() {
    let sink = SmtpSink::start_default(SinkMode::LateReply(4.0));
    let config = EmailConfig {
        timeout_seconds: 1,
        ..smtp_config(sink.port, 3)
    };
    let delivery = Mailer::new(&config).unwrap().send(&simple_message()).await;
    assert!(matches!(delivery, Delivery::Unknown { .. }), "{delivery:?}");
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
}

/// A server that cannot be reached at all never got the message: retried.
#[tokio::test]
async fn a_server_that_cannot_be_reached_is_retried_and_fails() {
    let delivery = Mailer::new(&smtp_config(unused_port(), 2))
        .unwrap()
        .send(&simple_message())
        .await;
    match delivery {
        Delivery::Failed { attempts, .. } => assert_eq!(attempts, 3),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn temporary_failures_beyond_the_retries_fail() {
    let sink = SmtpSink::start_default(SinkMode::TempFail(10));

    let delivery = Mailer::new(&smtp_config(sink.port, 2))
        .unwrap()
        .send(&simple_message())
        .await;

    match delivery {
        Delivery::Failed { reason, attempts } => {
            assert_eq!(attempts, 3);
            assert!(reason.contains("451"), "{reason}");
        }
        other => panic!("not failed despite 451 answers: {other:?}"),
    }
    assert_eq!(sink.rejections().len(), 3);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn permanent_failure_fails_at_once() {
    let sink = SmtpSink::start_default(SinkMode::PermFail);

    let delivery = Mailer::new(&smtp_config(sink.port, 3))
        .unwrap()
        .send(&simple_message())
        .await;

    match delivery {
        Delivery::Failed { reason, attempts } => {
            assert_eq!(attempts, 1);
            assert!(reason.contains("550"), "{reason}");
        }
        other => panic!("not failed despite a 550 answer: {other:?}"),
    }
    assert_eq!(sink.rejections(), ["RCPT 550 5.1.1 mailbox unavailable"]);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn no_server_is_retried_with_backoff_then_fails() {
    let config = smtp_config(unused_port(), 2);
    let started = Instant::now();

    let delivery = Mailer::new(&config).unwrap().send(&simple_message()).await;

    assert!(matches!(delivery, Delivery::Failed { attempts: 3, .. }), "{delivery:?}");
    // Two waits: 0.05 s, then doubled to 0.1 s.
    assert!(started.elapsed() >= Duration::from_millis(150));
}

/// Writes an executable shell script standing in for `sendmail`.
fn write_script(dir: &Path, body: &str) -> String {
    let path = dir.join("sendmail");
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

fn sendmail_config(command: String, retries: u32, timeout_seconds: u64) -> EmailConfig {
    EmailConfig {
        transport: TransportKind::Sendmail,
        sendmail_command: command,
        retries,
        retry_backoff_seconds: 0.05,
        timeout_seconds,
        ..EmailConfig::default()
    }
}

#[tokio::test]
async fn sendmail_receives_the_envelope_and_message() {
    let dir = temp_dir("callbackd-sendmail");
    let command = write_script(
        &dir,
        &format!(
            "printf '%s\\n' \"$@\" > '{0}/args'\ncat > '{0}/message.eml'",
            dir.display()
        ),
    );
    let message = build_message(
        "Call Center <callbacks@example.com>",
        "Seán O'Brien <sean@example.com>",
        "Rückruf für Zoë",
        &["Line one".to_owned(), "Line two".to_owned()],
    )
    .unwrap();

    let delivery = Mailer::new(&sendmail_config(command, 0, 5))
        .unwrap()
        .send(&message)
        .await;

    assert_eq!(delivery, Delivery::Sent);
    let args = fs::read_to_string(dir.join("args")).unwrap();
    assert_eq!(args, "-i\n-f\ncallbacks@example.com\n--\nsean@example.com\n");
    let received = fs::read(dir.join("message.eml")).unwrap();
    assert_eq!(received, message.formatted());
    let text = String::from_utf8(received).unwrap();
    assert!(text.is_ascii(), "{text}");
    assert!(text.ends_with("\r\n\r\nLine one\r\nLine two"), "{text}");
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sendmail_failure_is_retried_then_fails() {
    let dir = temp_dir("callbackd-sendmail");
    let command = write_script(
        &dir,
        &format!(
            "cat > /dev/null\necho run >> '{}/runs'\necho 'queue directory full' >&2\nexit 75",
            dir.display()
        ),
    );

    let delivery = Mailer::new(&sendmail_config(command, 2, 5))
        .unwrap()
        .send(&simple_message())
        .await;

    match delivery {
        Delivery::Failed { reason, attempts } => {
            assert_eq!(attempts, 3);
            assert!(reason.contains("queue directory full"), "{reason}");
        }
        other => panic!("not failed despite exit status 75: {other:?}"),
    }
    assert_eq!(fs::read_to_string(dir.join("runs")).unwrap().lines().count(), 3);
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn missing_sendmail_fails_at_once() {
    let dir = temp_dir("callbackd-sendmail");
    let command = dir.join("no-such-sendmail").to_str().unwrap().to_owned();

    let delivery = Mailer::new(&sendmail_config(command, 3, 5))
        .unwrap()
        .send(&simple_message())
        .await;

    assert!(matches!(delivery, Delivery::Failed { attempts: 1, .. }), "{delivery:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn hung_sendmail_is_stopped_by_the_timeout() {
    let dir = temp_dir("callbackd-sendmail");
    let command = write_script(&dir, "exec sleep 30");
    let started = Instant::now();

    let delivery = Mailer::new(&sendmail_config(command, 0, 1))
        .unwrap()
        .send(&simple_message())
        .await;

    // A sendmail killed while it hung may have queued the message already:
    // unknown, never run again by itself.
    match delivery {
        Delivery::Unknown { reason } => assert!(reason.contains("did not finish"), "{reason}"),
        other => panic!("a hung sendmail counted as {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    fs::remove_dir_all(&dir).unwrap();
}
