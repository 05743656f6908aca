//! The daily digest (`[report]`): at its time of day, yesterday's promise
//! report by email, through the `[email]` transport, at most once a day
//! across restarts and failovers. Only the leading daemon runs it. The day
//! is claimed before anything is sent, with one conditional insert into
//! `vicidial_admin_log` (`CALLBACK PROMISE DIGEST`, `record_id`
//! `promise-digest-YYYY-MM-DD`, the report's day) that adds the row only
//! when the day has none, so a daemon that restarts, or takes over, finds
//! the day taken; the result (`sent` or `failed: ...`) is written into the
//! row's notes. A day whose send failed is not sent again by itself, as an
//! alert is not.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Mailboxes, MultiPart, SinglePart};
use tracing::{info, warn};

use crate::report::args::{ReportArgs, ReportBy, ReportFormat};
use crate::config::Config;
use crate::db::{Db, Session};
use crate::email::transport::{Delivery, Mailer};
use crate::manage::common::ManageError;
use crate::ops::Shutdown;

/// How often it looks at the clock.
const EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The admin log's event code of a digest.
const CODE: &str = "CALLBACK PROMISE DIGEST";

/// What it remembers between looks (the database remembers the rest).
#[derive(Default)]
pub struct Digest {
    done: Option<NaiveDate>,
}

/// Sends the digest daily until a shutdown (the end of this daemon's lead).
pub async fn run(db: Db, config: Config, mut shutdown: Shutdown) {
    let mut digest = Digest::default();
    loop {
        let result = match db.session().await {
            Ok(mut s) => match crate::db::clock::now(&mut s).await {
                Ok((now, _)) => digest.tick(&mut s, &config, now).await,
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(Some(outcome)) => info!("promise digest: {outcome}"),
            Ok(None) => {}
            Err(e) => warn!("promise digest: {e}; trying again in {} s", EVERY.as_secs()),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.recv() => return,
        }
    }
}

impl Digest {
    /// Sends yesterday's report when `now` (server time) is past the time of
    /// day and the day is not taken; returns what happened when it took it.
    pub async fn tick(
        &mut self,
        s: &mut Session,
        config: &Config,
        now: NaiveDateTime,
    ) -> Result<Option<String>, ManageError> {
        let r = &config.report;
        let Some(at) = r.time().filter(|_| r.enabled) else {
            return Ok(None);
        };
        let day = now.date() - Duration::days(1);
        if now.time() < at || self.done == Some(day) {
            return Ok(None);
        }
        let record = format!("promise-digest-{}", day.format("%Y-%m-%d"));
        let (claimed, log_id) = crate::db::report::claim_digest(s, &record, CODE).await?;
        self.done = Some(day);
        if claimed == 0 {
            return Ok(None);
        }
        let outcome = match self.send(s, config, day).await {
            Ok(to) => format!("the report of {day} sent to {to}"),
            Err(e) => format!("failed: {e}"),
        };
        crate::db::report::note_digest(s, log_id, &outcome).await?;
        Ok(Some(outcome))
    }

    async fn send(&self, s: &mut Session, config: &Config, day: NaiveDate) -> Result<String, ManageError> {
        let r = &config.report;
        let day_text = day.format("%Y-%m-%d").to_string();
        let args = ReportArgs {
            from: Some(day_text.clone()),
            to: Some(day_text.clone()),
            campaign: None,
            user: None,
            user_group: None,
            list: None,
            by: match r.by.as_str() {
                "agent" => ReportBy::Agent,
                "day" => ReportBy::Day,
                "hour" => ReportBy::Hour,
                _ => ReportBy::Campaign,
            },
            format: ReportFormat::Table,
            grace: format!("{}m", r.grace_minutes),
            now: None,
            details: false,
        };
        let grace = Duration::minutes(r.grace_minutes.into());
        let report = crate::report::build(s, config, &args, grace, None).await?;
        let text = crate::report::render::table(&report, false);
        let failed = |e: &dyn std::fmt::Display| ManageError::Failed(e.to_string());
        let from: Mailbox = r.from.trim().parse().map_err(|e| failed(&e))?;
        let to: Mailboxes = r.to.trim().parse().map_err(|e| failed(&e))?;
        let mut builder = Message::builder()
            .from(from)
            .subject(format!("Callback promise report {day_text}"));
        for mailbox in to {
            builder = builder.to(mailbox);
        }
        let body = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text);
        let message = if r.format == "html" {
            let html = crate::report::html::page(&report);
            let attachment = Attachment::new(format!("promise-report-{day_text}.html")).body(
                html,
                ContentType::parse("text/html; charset=utf-8").map_err(|e| failed(&e))?,
            );
            builder.multipart(MultiPart::mixed().singlepart(body).singlepart(attachment))
        } else {
            builder.singlepart(body)
        }
        .map_err(|e| failed(&e))?;
        let mailer = Mailer::new(&config.email).map_err(|e| failed(&e))?;
        match mailer.send(&message).await {
            Delivery::Sent => Ok(r.to.trim().to_string()),
            Delivery::Failed { reason, attempts } => {
                Err(ManageError::Failed(format!("{reason} (after {attempts} attempts)")))
            }
            // The day is claimed: an unknown delivery is not sent again.
            Delivery::Unknown { reason } => Err(ManageError::Failed(format!("delivery unknown ({reason})"))),
        }
    }
}
