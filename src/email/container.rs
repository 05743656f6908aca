//! Parsing of the `AGENT_CALLBACK_EMAIL` settings container.
//!
//! The rules follow what VICIdial's agent screen reads, so a container that
//! works there works here: setting lines lose `>`, tabs, CR and everything from
//! `#` or `;`, keys match by prefix, and a value is what follows the last `=`.
//! Body lines, between `email_body_begin` and `email_body_end`, are kept as
//! they are, with their line breaks.

use thiserror::Error;

/// The email settings read from the container, before any variable is filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailTemplate {
    /// Sender, from `email_from` (a bare address or `Name <address>`).
    pub from: String,
    /// Recipient from `email_to`; `None` means the owner's `vicidial_users.email`.
    pub to: Option<String>,
    /// Subject line, from `email_subject`.
    pub subject: String,
    /// Body lines in order, without line terminators.
    pub body: Vec<String>,
}

/// Why a container cannot be used to send alerts.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ContainerError {
    /// The container holds nothing but white space.
    #[error("the AGENT_CALLBACK_EMAIL settings container is empty")]
    Empty,
    /// No `email_from=` line with a value.
    #[error("the AGENT_CALLBACK_EMAIL settings container has no email_from value")]
    MissingFrom,
    /// No `email_subject=` line with a value.
    #[error("the AGENT_CALLBACK_EMAIL settings container has no email_subject value")]
    MissingSubject,
}

/// Parses the text of an `AGENT_CALLBACK_EMAIL` container.
///
/// A later setting line overrides an earlier one, and a setting with an empty
/// value counts as absent; the body is empty when there is no `email_body_begin`.
pub fn parse(text: &str) -> Result<EmailTemplate, ContainerError> {
    if text.trim().is_empty() {
        return Err(ContainerError::Empty);
    }
    let mut from = None;
    let mut to = None;
    let mut subject = None;
    let mut body = Vec::new();
    let mut in_body = false;
    for line in text.lines() {
        // `lines` removes a CR only before a LF; a last line may still end in one.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if in_body {
            if line.trim_start().starts_with("email_body_end") {
                in_body = false;
            } else {
                body.push(line.to_owned());
            }
            continue;
        }
        let setting = clean_setting(line);
        let value = setting
            .rsplit_once('=')
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned);
        if setting.starts_with("email_body_begin") {
            // A second block replaces the first, as a repeated setting does.
            body = value.into_iter().collect();
            in_body = true;
        } else if !setting.contains('=') {
            // Not a setting (a blank line, a comment, or a key without a value sign).
        } else if setting.starts_with("email_from") {
            from = value;
        } else if setting.starts_with("email_to") {
            to = value;
        } else if setting.starts_with("email_subject") {
            subject = value;
        }
    }
    Ok(EmailTemplate {
        from: from.ok_or(ContainerError::MissingFrom)?,
        to,
        subject: subject.ok_or(ContainerError::MissingSubject)?,
        body,
    })
}

/// Strips a setting line down to what VICIdial looks at: no comment, no `>`
/// (so `key => value` reads as `key = value`), no tabs or CR.
fn clean_setting(line: &str) -> String {
    let without_comment = line.split(['#', ';']).next().unwrap_or_default();
    without_comment
        .chars()
        .filter(|c| !matches!(c, '>' | '\t' | '\r'))
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &[&str]) -> Vec<String> {
        body.iter().map(|line| (*line).to_owned()).collect()
    }

    #[test]
    fn parses_the_container_vicidial_installs() {
        let text = "; sending email address\r\nemail_from => vicidial@local.server\r\n\r\n\
            ; subject of the email\r\nemail_subject => Scheduled callback alert for --A--agent_name--B--\r\n\r\n\
            email_body_begin => \r\nThis is a reminder that you have a scheduled callback right now for the following lead:\r\n\r\n\
            Name: --A--first_name--B-- --A--last_name--B--\r\nPhone: --A--phone_number--B--\r\n\r\n\
            Please don't respond to this.\r\n\r\nemail_body_end";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "vicidial@local.server");
        assert_eq!(template.to, None);
        assert_eq!(template.subject, "Scheduled callback alert for --A--agent_name--B--");
        assert_eq!(
            template.body,
            lines(&[
                "This is a reminder that you have a scheduled callback right now for the following lead:",
                "",
                "Name: --A--first_name--B-- --A--last_name--B--",
                "Phone: --A--phone_number--B--",
                "",
                "Please don't respond to this.",
                "",
            ])
        );
    }

    #[test]
    fn comments_after_hash_or_semicolon_are_dropped_from_setting_lines() {
        let text = "# a comment line\nemail_from=cc@example.com # the sender\n\
            email_subject=Callback due ; shown to the agent\nemail_to=boss@example.com;x\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "cc@example.com");
        assert_eq!(template.subject, "Callback due");
        assert_eq!(template.to.as_deref(), Some("boss@example.com"));
    }

    #[test]
    fn body_lines_keep_hashes_semicolons_and_equals() {
        let text = "email_from=a@example.com\nemail_subject=s\nemail_body_begin=\n\
            Callback #--A--callback_id--B--; due now\n  a=b > c\t(tab)\nemail_body_end\n";
        assert_eq!(
            parse(text).unwrap().body,
            lines(&["Callback #--A--callback_id--B--; due now", "  a=b > c\t(tab)"])
        );
    }

    #[test]
    fn value_is_what_follows_the_last_equals_sign() {
        let text = "email_from=a@example.com\nemail_subject=a=b\nemail_to = x = y@example.com\n";
        let template = parse(text).unwrap();
        assert_eq!(template.subject, "b");
        assert_eq!(template.to.as_deref(), Some("y@example.com"));
    }

    #[test]
    fn tabs_and_angle_brackets_are_dropped_from_setting_lines() {
        let text = "email_from\t=>\tCall Center cc@example.com>\nemail_subject\t=> Due\t now\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "Call Center cc@example.com");
        assert_eq!(template.subject, "Due now");
    }

    #[test]
    fn crlf_line_ends_are_removed_everywhere() {
        let text = "email_from=a@example.com\r\nemail_subject=Due\r\nemail_body_begin=First\r\nSecond\r\n\r\nemail_body_end\r\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "a@example.com");
        assert_eq!(template.subject, "Due");
        assert_eq!(template.body, lines(&["First", "Second", ""]));
    }

    #[test]
    fn a_final_line_without_newline_loses_its_cr() {
        let text = "email_from=a@example.com\nemail_subject=Due\nemail_body_begin=\nLast line\r";
        assert_eq!(parse(text).unwrap().body, lines(&["Last line"]));
    }

    #[test]
    fn text_after_body_begin_is_the_first_body_line() {
        let text = "email_from=a@example.com\nemail_subject=Due\nemail_body_begin=Hello --A--agent_name--B--\nBye\nemail_body_end\n";
        assert_eq!(parse(text).unwrap().body, lines(&["Hello --A--agent_name--B--", "Bye"]));
    }

    #[test]
    fn body_begin_without_text_adds_no_empty_first_line() {
        for begin in ["email_body_begin=", "email_body_begin =>  ", "email_body_begin"] {
            let text = format!("email_from=a@example.com\nemail_subject=Due\n{begin}\nOnly\nemail_body_end");
            assert_eq!(parse(&text).unwrap().body, lines(&["Only"]), "{begin:?}");
        }
    }

    #[test]
    fn missing_body_end_runs_the_body_to_the_end() {
        let text = "email_from=a@example.com\nemail_subject=Due\nemail_body_begin=\nOne\n\nemail_from=not@a.setting\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "a@example.com");
        assert_eq!(template.body, lines(&["One", "", "email_from=not@a.setting"]));
    }

    #[test]
    fn settings_after_the_body_are_read() {
        let text = "email_body_begin=\nBody\nemail_body_end\nemail_from=a@example.com\nemail_subject=Due\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "a@example.com");
        assert_eq!(template.subject, "Due");
        assert_eq!(template.body, lines(&["Body"]));
    }

    #[test]
    fn body_end_may_carry_trailing_text() {
        let text = "email_from=a@example.com\nemail_subject=Due\nemail_body_begin=\nBody\nemail_body_end => done\n";
        assert_eq!(parse(text).unwrap().body, lines(&["Body"]));
    }

    #[test]
    fn no_body_begin_means_an_empty_body() {
        let template = parse("email_from=a@example.com\nemail_subject=Due").unwrap();
        assert!(template.body.is_empty());
    }

    #[test]
    fn keys_match_by_prefix() {
        let text = "email_from_address=a@example.com\nemail_subject_line=Due\nemail_to_agent=b@example.com\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "a@example.com");
        assert_eq!(template.subject, "Due");
        assert_eq!(template.to.as_deref(), Some("b@example.com"));
    }

    #[test]
    fn keys_must_start_the_line() {
        let text = "my_email_from=x@example.com\nemail_from=a@example.com\nemail_subject=Due\n";
        assert_eq!(parse(text).unwrap().from, "a@example.com");
    }

    #[test]
    fn a_later_setting_overrides_an_earlier_one() {
        let text = "email_from=a@example.com\nemail_from=b@example.com\nemail_subject=One\nemail_subject=Two\n";
        let template = parse(text).unwrap();
        assert_eq!(template.from, "b@example.com");
        assert_eq!(template.subject, "Two");
    }

    #[test]
    fn an_empty_email_to_means_the_owner() {
        let text = "email_from=a@example.com\nemail_subject=Due\nemail_to=  ; nobody\n";
        assert_eq!(parse(text).unwrap().to, None);
    }

    #[test]
    fn empty_container_is_an_error() {
        assert_eq!(parse(""), Err(ContainerError::Empty));
        assert_eq!(parse(" \r\n\t\n"), Err(ContainerError::Empty));
    }

    #[test]
    fn missing_or_empty_from_is_an_error() {
        assert_eq!(
            parse("email_subject=Due\nemail_body_begin=\nx\n"),
            Err(ContainerError::MissingFrom)
        );
        assert_eq!(
            parse("email_from= # none yet\nemail_subject=Due\n"),
            Err(ContainerError::MissingFrom)
        );
        assert_eq!(parse("; only comments\n# here\n"), Err(ContainerError::MissingFrom));
    }

    #[test]
    fn missing_or_empty_subject_is_an_error() {
        assert_eq!(parse("email_from=a@example.com\n"), Err(ContainerError::MissingSubject));
        assert_eq!(
            parse("email_from=a@example.com\nemail_subject=\n"),
            Err(ContainerError::MissingSubject)
        );
    }

    #[test]
    fn a_setting_key_without_equals_sign_is_ignored() {
        let text = "email_from a@example.com\nemail_subject=Due\n";
        assert_eq!(parse(text), Err(ContainerError::MissingFrom));
    }

    #[test]
    fn errors_read_clearly() {
        assert_eq!(
            ContainerError::MissingSubject.to_string(),
            "the AGENT_CALLBACK_EMAIL settings container has no email_subject value"
        );
    }
}
