//! The alert loop: finds triggered USERONLY callbacks whose alert is due,
//! claims each one, sends its email and records the result.
//!
//! **Who gets an alert.** Every `LIVE` USERONLY callback with `email_alert IS
//! NULL` whose own campaign has `scheduled_callbacks_email_alert='Y'`, once the
//! campaign's hours block (`entry_time + callback_hours_block` hours) has
//! passed. By default the email goes out whether or not the owner is logged in
//! (`only_logged_in = false`): VICIdial's agent screen already alerts agents
//! who sit in front of it, and the point of a server-side alert is to reach
//! the agent who is *not* at the screen. With `only_logged_in = true` the
//! daemon behaves like VICIdial and waits while the owner has no
//! `vicidial_live_agents` row, until the alert is too late.
//!
//! **Too late.** An alert is due at its `callback_time`, or when the hours
//! block ends if that is later; more than `max_lateness_minutes` after that
//! (the daemon was down, the agent never logged in) it is recorded as
//! `NOT AVAILABLE` instead of being sent. `0` means no limit.
//!
//! **At most one email per callback, ever.** Before sending, the alert is
//! claimed with `UPDATE ... SET email_alert = <pass time> WHERE callback_id = ?
//! AND email_alert IS NULL` (re-checking `LIVE` and `USERONLY`); only the
//! process whose update changed the row sends. Then `email_result` is set to
//! `SENT` or `FAILED`. `NOT AVAILABLE` (no container or a malformed one, no
//! valid address, lead gone, too late) is claim and result in one statement.
//! A crash between claim and result leaves `email_alert` set with no result:
//! such alerts are never sent again, and are logged once as "delivery unknown".
//! The time written is the database's (the pass clock), never the host's.
//!
//! **Never in the way of activation.** The loop is a task of its own with one
//! database connection of its own, polling every `engine.poll_interval_ms`.
//! Up to [`SEND_CONCURRENCY`] emails are in flight at once, each retried inside
//! [`Mailer::send`]; the engine never waits for any of it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike};
use lettre::Message;
use lettre::message::Mailbox;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::email::EmailConfig;
use crate::email::container::{self, EmailTemplate};
use crate::email::template;
use crate::email::transport::{Delivery, Mailer, MailerError, build_message};
use crate::config::EngineConfig;
use crate::db::alerts::{self, Candidate, EmailResult, LEAD_COLUMNS};
use crate::db::{Db, DbResult, Session, clock};
use crate::engine::PassOptions;
use crate::ops::metrics;
use crate::ops::{Shutdown, run_loop};

/// Most emails being sent at the same time.
pub const SEND_CONCURRENCY: usize = 4;

/// A claim this old without a result is reported as "delivery unknown"
/// (younger ones may still be in flight in another daemon).
const UNKNOWN_AFTER_MINUTES: i64 = 15;

/// How often claims without a result are looked for.
const UNKNOWN_SCAN_EVERY: Duration = Duration::from_secs(60);

/// How long a shutdown waits for emails in flight before abandoning them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What one alert pass did (in a dry run: what it would have done).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertSummary {
    /// Emails accepted by the mail server.
    pub sent: u64,
    /// Emails given up on (`FAILED`).
    pub failed: u64,
    /// Alerts recorded as `NOT AVAILABLE`.
    pub not_available: u64,
    /// Alerts left for a later pass (`only_logged_in` and the owner is away).
    pub waiting: u64,
    /// Claims without a result newly found and logged as "delivery unknown".
    pub unknown: u64,
    /// Alerts another process claimed between our read and our claim.
    pub claimed_elsewhere: u64,
    /// The database time the pass worked at.
    pub at: NaiveDateTime,
    /// When the next alert held back by its campaign's hours block is due.
    pub next_due: Option<NaiveDateTime>,
}

impl AlertSummary {
    /// What the metrics count of this pass.
    pub fn counts(&self) -> metrics::EmailCounts {
        metrics::EmailCounts {
            sent: self.sent,
            failed: self.failed,
            not_available: self.not_available,
            unknown: self.unknown,
        }
    }
}

impl AlertSummary {
    /// True when the pass recorded or found something.
    pub fn did_work(&self) -> bool {
        self.sent + self.failed + self.not_available + self.unknown + self.claimed_elsewhere > 0
    }
}

impl std::fmt::Display for AlertSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sent={} failed={} not_available={} waiting={} unknown={} claimed_elsewhere={}",
            self.sent, self.failed, self.not_available, self.waiting, self.unknown, self.claimed_elsewhere
        )
    }
}

/// What to do with one candidate.
#[derive(Debug)]
pub enum Decision {
    /// Claim it and send this message to `to`.
    Send {
        /// The recipient text, for the log.
        to: String,
        /// The message, ready to go.
        message: Box<Message>,
    },
    /// Claim it and record `NOT AVAILABLE`, for this reason.
    NotAvailable(String),
    /// Leave it for a later pass: the owner is not logged in (`only_logged_in`).
    Wait,
}

/// The moment an alert became due: the callback time, or the end of the
/// hours block when that is later. `None` when the callback has no time.
pub fn alert_due(c: &Candidate) -> Option<NaiveDateTime> {
    let callback_time = c.callback_time?;
    let block_end = c
        .entry_time
        .filter(|_| c.hours_block > 0)
        .map(|entry| entry + chrono::Duration::hours(c.hours_block.into()));
    Some(block_end.map_or(callback_time, |end| end.max(callback_time)))
}

/// Every `--A--name--B--` variable the README lists ("Email alerts") for this candidate
/// (empty when it has no lead).
pub fn variables(c: &Candidate) -> HashMap<&'static str, String> {
    let mut vars: HashMap<&'static str, String> = HashMap::new();
    if let Some(lead) = &c.lead {
        for (name, value) in LEAD_COLUMNS.iter().zip(lead) {
            vars.insert(name, value.clone());
        }
        if let Some(vendor) = vars.get("vendor_lead_code").cloned() {
            vars.insert("vendor_id", vendor);
        }
    }
    vars.insert("list_name", c.list_name.clone());
    vars.insert("list_description", c.list_description.clone());
    vars.insert("agent_name", c.agent_name.clone());
    vars.insert("callback_comments", c.comments.clone());
    vars.insert(
        "callback_time",
        c.callback_time
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
    );
    vars.insert("campaign_id", c.campaign_id.clone());
    vars.insert("callback_id", c.callback_id.to_string());
    vars
}

/// Decides one candidate at `now`; pure. `template` is the parsed container,
/// or why there is none usable.
pub fn decide(
    c: &Candidate,
    now: NaiveDateTime,
    config: &EmailConfig,
    template: Result<&EmailTemplate, &str>,
) -> Decision {
    let Some(due) = alert_due(c) else {
        return Decision::NotAvailable("the callback has no callback_time".to_owned());
    };
    if config.max_lateness_minutes > 0 {
        let late = now - due;
        if late > chrono::Duration::minutes(config.max_lateness_minutes.into()) {
            return Decision::NotAvailable(format!(
                "too late: due at {due}, {} minutes ago (max_lateness_minutes = {})",
                late.num_minutes(),
                config.max_lateness_minutes
            ));
        }
    }
    if config.only_logged_in && !c.logged_in {
        return Decision::Wait;
    }
    if c.lead.is_none() {
        return Decision::NotAvailable("the lead is gone".to_owned());
    }
    let template = match template {
        Ok(template) => template,
        Err(why) => return Decision::NotAvailable(why.to_owned()),
    };
    let to = match &template.to {
        Some(to) => to.clone(),
        None if c.agent_email.trim().is_empty() => {
            let whose = if c.user_exists {
                format!("user {:?} has no email address", c.user)
            } else {
                format!("user {:?} does not exist", c.user)
            };
            return Decision::NotAvailable(whose);
        }
        None => c.agent_email.clone(),
    };
    let vars = variables(c);
    let value = |name: &str| vars.get(name).cloned();
    let subject = template::render(&template.subject, value);
    let body: Vec<String> = template.body.iter().map(|line| template::render(line, value)).collect();
    match build_message(&template.from, &to, &subject, &body) {
        Ok(message) => Decision::Send {
            to,
            message: Box::new(message),
        },
        Err(error) => Decision::NotAvailable(error.to_string()),
    }
}

/// Parses the container text and checks its sender (the alert loop does it
/// once per change of text; `check` once).
pub fn usable_template(text: Option<&str>) -> Result<EmailTemplate, String> {
    let Some(text) = text else {
        return Err(format!("there is no {} settings container", alerts::CONTAINER_ID));
    };
    let template = container::parse(text).map_err(|e| e.to_string())?;
    template.from.trim().parse::<Mailbox>().map_err(|e| {
        format!(
            "the {} settings container's email_from {:?} is not an address: {e}",
            alerts::CONTAINER_ID,
            template.from
        )
    })?;
    Ok(template)
}

/// The container as last read, and what it parsed to.
struct ContainerCache {
    /// `None` for no row.
    text: Option<String>,
    template: Result<EmailTemplate, String>,
}

impl ContainerCache {
    /// Takes the text just read; parses it only when it changed. Returns what
    /// to log: `None` when unchanged (or first seen and usable), else whether
    /// it is usable now, so a problem is logged once per change of the text.
    fn refresh(cache: &mut Option<ContainerCache>, text: Option<String>) -> Option<Result<(), String>> {
        if cache.as_ref().is_some_and(|c| c.text == text) {
            return None;
        }
        let first = cache.is_none();
        let template = usable_template(text.as_deref());
        let report = match &template {
            Ok(_) if first => None,
            Ok(_) => Some(Ok(())),
            Err(why) => Some(Err(why.clone())),
        };
        *cache = Some(ContainerCache { text, template });
        report
    }
}

/// An email being sent.
struct InFlight {
    callback_id: u32,
    user: String,
    to: String,
}

/// The alert sender: its configuration, mailer and what it has already logged.
pub struct Alerts {
    db: Db,
    config: EmailConfig,
    batch_size: usize,
    mailer: Arc<Mailer>,
    container: Option<ContainerCache>,
    unknown_logged: HashSet<u32>,
    last_unknown_scan: Option<Instant>,
}

/// The state of one alert pass: its connection and clock, the shutdown
/// signal, the emails on their way, and what it did.
struct AlertPass {
    session: Session,
    /// The pass time, in whole seconds (`email_alert` is a DATETIME).
    now: NaiveDateTime,
    dry_run: bool,
    stop: Stop,
    sending: JoinSet<Delivery>,
    in_flight: HashMap<tokio::task::Id, InFlight>,
    summary: AlertSummary,
}

/// The shutdown signal as one pass sees it.
struct Stop {
    shutdown: Option<Shutdown>,
    grace_until: Option<tokio::time::Instant>,
}

impl Stop {
    fn requested(&self) -> bool {
        self.grace_until.is_some() || self.shutdown.as_ref().is_some_and(Shutdown::is_shutdown)
    }
}

impl Alerts {
    /// An alert sender over this database; fails when the `[email]` settings
    /// cannot make a mailer. `batch_size` bounds the callbacks read at once.
    pub fn new(db: Db, config: EmailConfig, batch_size: usize) -> Result<Alerts, MailerError> {
        let mailer = Mailer::new(&config)?;
        Ok(Alerts {
            db,
            config,
            batch_size: batch_size.max(1),
            mailer: Arc::new(mailer),
            container: None,
            unknown_logged: HashSet::new(),
            last_unknown_scan: None,
        })
    }

    /// One full pass: every due alert is decided, claimed and sent, and the
    /// pass returns when every email it started has a result.
    pub async fn pass(&mut self, options: PassOptions) -> DbResult<AlertSummary> {
        self.pass_until(options, None).await
    }

    async fn pass_until(&mut self, options: PassOptions, shutdown: Option<Shutdown>) -> DbResult<AlertSummary> {
        let mut session = self.db.session().await?;
        let now = match options.at {
            Some(at) => at,
            None => clock::now(&mut session).await?.0,
        };
        let now = now.with_nanosecond(0).unwrap_or(now);
        let mut p = AlertPass {
            session,
            now,
            dry_run: options.dry_run,
            stop: Stop {
                shutdown,
                grace_until: None,
            },
            sending: JoinSet::new(),
            in_flight: HashMap::new(),
            summary: AlertSummary {
                at: now,
                ..AlertSummary::default()
            },
        };
        self.report_unrecorded(&mut p).await?;
        if !alerts::any_campaign_alerts(&mut p.session).await? {
            return Ok(p.summary);
        }
        let started = self.claim_and_send(&mut p).await;
        // Whatever happened, collect the emails already on their way.
        let finished = self.finish(&mut p).await;
        started?;
        finished?;
        p.summary.next_due = alerts::next_unblocked(&mut p.session, now).await?;
        Ok(p.summary)
    }

    /// Logs, once each, claims that never got a result.
    async fn report_unrecorded(&mut self, p: &mut AlertPass) -> DbResult<()> {
        if self.last_unknown_scan.is_some_and(|t| t.elapsed() < UNKNOWN_SCAN_EVERY) {
            return Ok(());
        }
        let before = p.now - chrono::Duration::minutes(UNKNOWN_AFTER_MINUTES);
        // Bounded: past this many, each is logged once more.
        if self.unknown_logged.len() > 100_000 {
            self.unknown_logged.clear();
        }
        for row in alerts::unrecorded(&mut p.session, before, 10_000).await? {
            if self.unknown_logged.insert(row.callback_id) {
                p.summary.unknown += 1;
                warn!(
                    callback_id = row.callback_id,
                    user = %row.user,
                    claimed_at = ?row.claimed_at,
                    "email alert delivery unknown: claimed but no result recorded \
                     (a crash or kill while sending); it will not be sent again"
                );
            }
        }
        self.last_unknown_scan = Some(Instant::now());
        Ok(())
    }

    /// Reads the container once per pass and re-parses it when its text changed,
    /// logging a missing or malformed one once per change.
    async fn template(&mut self, session: &mut Session) -> DbResult<Result<EmailTemplate, String>> {
        let text = alerts::container(session).await?;
        match ContainerCache::refresh(&mut self.container, text) {
            Some(Ok(())) => info!("the {} settings container changed and is usable", alerts::CONTAINER_ID),
            Some(Err(why)) => {
                warn!("email alerts will be recorded NOT AVAILABLE until this is fixed: {why}")
            }
            None => {}
        }
        Ok(self.container.as_ref().expect("set by refresh").template.clone())
    }

    /// Decides every due alert; claims and starts sending those to send.
    async fn claim_and_send(&mut self, p: &mut AlertPass) -> DbResult<()> {
        let (now, dry_run) = (p.now, p.dry_run);
        let mut template = None;
        let mut after = 0;
        while !p.stop.requested() {
            let rows = alerts::candidates(&mut p.session, now, after, self.batch_size).await?;
            let Some(last) = rows.last() else { break };
            after = last.callback_id;
            let full = rows.len() == self.batch_size;
            if template.is_none() {
                template = Some(self.template(&mut p.session).await?);
            }
            let template = template.as_ref().expect("just loaded");
            for candidate in rows {
                if p.stop.requested() {
                    return Ok(());
                }
                let id = candidate.callback_id;
                match decide(&candidate, now, &self.config, template.as_ref().map_err(String::as_str)) {
                    Decision::Wait => {
                        p.summary.waiting += 1;
                        debug!(callback_id = id, user = %candidate.user, "email alert waits: the agent is not logged in");
                    }
                    Decision::NotAvailable(why) => {
                        if dry_run || alerts::claim_not_available(&mut p.session, id, now).await? {
                            p.summary.not_available += 1;
                            info!(callback_id = id, user = %candidate.user, campaign = %candidate.campaign_id, dry_run, "email alert NOT AVAILABLE: {why}");
                        } else {
                            p.summary.claimed_elsewhere += 1;
                            debug!(callback_id = id, "email alert claimed elsewhere");
                        }
                    }
                    Decision::Send { to, message } => {
                        if dry_run {
                            p.summary.sent += 1;
                            info!(callback_id = id, user = %candidate.user, to = %to, dry_run, "email alert would be sent");
                            continue;
                        }
                        // A free slot first, so the claim time is the send time.
                        while p.sending.len() >= SEND_CONCURRENCY {
                            if !self.collect_one(p).await? {
                                return Ok(());
                            }
                        }
                        if p.stop.requested() {
                            return Ok(());
                        }
                        if !alerts::claim(&mut p.session, id, now).await? {
                            p.summary.claimed_elsewhere += 1;
                            debug!(callback_id = id, "email alert claimed elsewhere");
                            continue;
                        }
                        let mailer = self.mailer.clone();
                        let handle = p.sending.spawn(async move { mailer.send(&message).await });
                        p.in_flight.insert(
                            handle.id(),
                            InFlight {
                                callback_id: id,
                                user: candidate.user.clone(),
                                to,
                            },
                        );
                    }
                }
            }
            if !full {
                break;
            }
        }
        Ok(())
    }

    /// Waits for one email to finish and records its result. False when a
    /// shutdown's grace ran out first (nothing more will be collected).
    async fn collect_one(&mut self, p: &mut AlertPass) -> DbResult<bool> {
        let AlertPass {
            session,
            stop,
            sending,
            in_flight,
            summary,
            ..
        } = p;
        let done = loop {
            match &mut stop.shutdown {
                Some(shutdown) if !shutdown.is_shutdown() => {
                    tokio::select! {
                        done = sending.join_next_with_id() => break done,
                        _ = shutdown.recv() => {}
                    }
                }
                None if stop.grace_until.is_none() => break sending.join_next_with_id().await,
                _ => {
                    let deadline = *stop
                        .grace_until
                        .get_or_insert_with(|| tokio::time::Instant::now() + SHUTDOWN_GRACE);
                    match tokio::time::timeout_at(deadline, sending.join_next_with_id()).await {
                        Ok(done) => break done,
                        Err(_) => {
                            self.abandon(p);
                            return Ok(false);
                        }
                    }
                }
            }
        };
        let Some(done) = done else {
            return Ok(false);
        };
        let (task, delivery) = match done {
            Ok((task, delivery)) => (task, Ok(delivery)),
            Err(error) => (error.id(), Err(error)),
        };
        let Some(flight) = in_flight.remove(&task) else {
            return Ok(true);
        };
        let result = match delivery {
            Ok(Delivery::Sent) => {
                summary.sent += 1;
                info!(callback_id = flight.callback_id, user = %flight.user, to = %flight.to, "email alert SENT");
                EmailResult::Sent
            }
            Ok(Delivery::Failed { reason, attempts }) => {
                summary.failed += 1;
                warn!(callback_id = flight.callback_id, user = %flight.user, to = %flight.to, attempts, "email alert FAILED: {reason}");
                EmailResult::Failed
            }
            Ok(Delivery::Unknown { reason }) => {
                // The claim stays without a result: never sent again by
                // itself; `alerts resend` can.
                warn!(
                    callback_id = flight.callback_id, user = %flight.user, to = %flight.to,
                    "email alert delivery unknown: {reason}; it will not be sent again"
                );
                self.unknown_logged.insert(flight.callback_id);
                summary.unknown += 1;
                return Ok(true);
            }
            Err(error) => {
                // Mailer::send does not panic; should it, whether the message
                // left is unknown, so the claim stays without a result.
                error!(
                    callback_id = flight.callback_id,
                    "email alert delivery unknown: the send task failed: {error}"
                );
                self.unknown_logged.insert(flight.callback_id);
                summary.unknown += 1;
                return Ok(true);
            }
        };
        alerts::record(session, flight.callback_id, result).await?;
        Ok(true)
    }

    /// Waits for every email in flight (bounded by a shutdown's grace).
    async fn finish(&mut self, p: &mut AlertPass) -> DbResult<()> {
        let mut first_error = None;
        while !p.sending.is_empty() {
            match self.collect_one(p).await {
                Ok(true) => {}
                Ok(false) => break,
                // The result could not be written (the database went away):
                // the claim stays, so the alert is never sent twice.
                Err(e) => {
                    error!("cannot record an email alert result: {e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Gives up on emails still in flight at shutdown.
    fn abandon(&mut self, p: &mut AlertPass) {
        p.sending.abort_all();
        for flight in p.in_flight.values() {
            self.unknown_logged.insert(flight.callback_id);
            warn!(
                callback_id = flight.callback_id,
                user = %flight.user,
                "email alert abandoned at shutdown while sending: delivery unknown; it will not be sent again"
            );
        }
        p.in_flight.clear();
    }
}

/// How long the alert loop waits at most for the engine's word before it
/// looks anyway (a callback VICIdial's own cron made LIVE, a conversion).
const LOOK_ANYWAY: Duration = Duration::from_secs(30);

/// How often it looks while alerts wait for their agent to log in (with
/// `only_logged_in`): a login is nothing the engine sees.
const WHILE_WAITING: Duration = Duration::from_secs(5);

/// Runs alert passes until a shutdown. An alert can only come due when a
/// USERONLY callback triggers (the engine says so through `wake`) or an
/// hours block ends (the pass knows when): the loop sleeps until then, or
/// [`LOOK_ANYWAY`] at most, so it costs nothing while nothing happens. The
/// database being down is waited out with backoff, like the engine.
pub async fn run(mut alerts: Alerts, engine: EngineConfig, shutdown: Shutdown, wake: Arc<Notify>) {
    info!(
        concurrency = SEND_CONCURRENCY,
        only_logged_in = alerts.config.only_logged_in,
        max_lateness_minutes = alerts.config.max_lateness_minutes,
        "email alerts running"
    );
    let backoff = Duration::from_secs(engine.max_backoff_seconds);
    run_loop(
        "email alerts",
        backoff,
        shutdown,
        async move |mut shutdown: Shutdown| {
            let started = Instant::now();
            let result = alerts.pass_until(PassOptions::default(), Some(shutdown.clone())).await;
            metrics::global().email_pass(result.as_ref().ok().map(AlertSummary::counts).as_ref());
            let summary = result?;
            if summary.did_work() {
                info!(ms = started.elapsed().as_millis() as u64, "email alert pass: {summary}");
            }
            let mut wait = if summary.waiting > 0 {
                WHILE_WAITING
            } else {
                LOOK_ANYWAY
            };
            if let Some(due) = summary.next_due {
                wait = wait.min((due - summary.at).to_std().unwrap_or_default());
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => {}
            }
            Ok::<_, crate::db::DbError>(Duration::ZERO)
        },
    )
    .await;
    info!("email alerts stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(hms: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("2026-03-04 {hms}"), "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn candidate() -> Candidate {
        let mut lead: Vec<String> = LEAD_COLUMNS.iter().map(|c| format!("<{c}>")).collect();
        lead[0] = "7".to_owned();
        Candidate {
            callback_id: 42,
            user: "1001".to_owned(),
            campaign_id: "C".to_owned(),
            entry_time: Some(time("08:00:00")),
            callback_time: Some(time("10:00:00")),
            comments: "call back".to_owned(),
            hours_block: 0,
            user_exists: true,
            agent_name: "Zoë Müller".to_owned(),
            agent_email: "zoe@example.com".to_owned(),
            logged_in: false,
            list_name: "List".to_owned(),
            list_description: "Desc".to_owned(),
            lead: Some(lead),
        }
    }

    fn template() -> EmailTemplate {
        container::parse(
            "email_from=cc@example.com\nemail_subject=Due: --A--first_name--B--\n\
             email_body_begin=\n--A--agent_name--B-- / --A--vendor_id--B-- / --A--callback_time--B--\nemail_body_end",
        )
        .unwrap()
    }

    fn config() -> EmailConfig {
        EmailConfig::default()
    }

    fn reason(decision: Decision) -> String {
        match decision {
            Decision::NotAvailable(why) => why,
            other => panic!("{other:?}"),
        }
    }

    fn sends(decision: Decision) -> bool {
        matches!(decision, Decision::Send { .. })
    }

    #[test]
    fn every_spec_variable_is_filled() {
        let vars = variables(&candidate());
        let mut names: Vec<&str> = vars.keys().copied().collect();
        names.sort_unstable();
        let mut expected: Vec<&str> = LEAD_COLUMNS.to_vec();
        expected.extend([
            "vendor_id",
            "list_name",
            "list_description",
            "agent_name",
            "callback_comments",
            "callback_time",
            "campaign_id",
            "callback_id",
        ]);
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert_eq!(vars["vendor_id"], "<vendor_lead_code>");
        assert_eq!(vars["callback_time"], "2026-03-04 10:00:00");
        assert_eq!(vars["callback_id"], "42");
        assert_eq!(vars["callback_comments"], "call back");
    }

    #[test]
    fn a_due_alert_is_sent_to_the_owner() {
        let t = template();
        match decide(&candidate(), time("10:00:05"), &config(), Ok(&t)) {
            Decision::Send { to, message } => {
                assert_eq!(to, "zoe@example.com");
                let text = String::from_utf8(message.formatted()).unwrap();
                assert!(text.contains("Subject: Due: <first_name>\r\n"), "{text}");
                assert!(text.contains("<vendor_lead_code> / 2026-03-04 10:00:00"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lateness_counts_from_the_later_of_callback_time_and_hours_block() {
        let t = template();
        let mut c = candidate();
        assert_eq!(alert_due(&c), Some(time("10:00:00")));
        assert!(sends(decide(&c, time("11:00:00"), &config(), Ok(&t))));
        assert!(reason(decide(&c, time("11:00:01"), &config(), Ok(&t))).starts_with("too late"));
        c.hours_block = 3;
        assert_eq!(alert_due(&c), Some(time("11:00:00")));
        assert!(sends(decide(&c, time("11:30:00"), &config(), Ok(&t))));
        c.hours_block = 1;
        assert_eq!(alert_due(&c), Some(time("10:00:00")));
        let unlimited = EmailConfig {
            max_lateness_minutes: 0,
            ..config()
        };
        assert!(sends(decide(&c, time("23:00:00"), &unlimited, Ok(&t))));
        c.callback_time = None;
        assert!(reason(decide(&c, time("10:00:00"), &config(), Ok(&t))).contains("callback_time"));
    }

    #[test]
    fn only_logged_in_waits_but_not_past_the_lateness_limit() {
        let t = template();
        let config = EmailConfig {
            only_logged_in: true,
            ..config()
        };
        let mut c = candidate();
        assert!(matches!(decide(&c, time("10:30:00"), &config, Ok(&t)), Decision::Wait));
        assert!(reason(decide(&c, time("11:01:00"), &config, Ok(&t))).starts_with("too late"));
        c.logged_in = true;
        assert!(sends(decide(&c, time("10:30:00"), &config, Ok(&t))));
    }

    #[test]
    fn missing_pieces_are_not_available() {
        let t = template();
        let now = time("10:00:05");
        let mut c = candidate();
        assert_eq!(reason(decide(&c, now, &config(), Err("no container"))), "no container");
        c.agent_email = "  ".to_owned();
        assert!(reason(decide(&c, now, &config(), Ok(&t))).contains("has no email address"));
        c.user_exists = false;
        assert!(reason(decide(&c, now, &config(), Ok(&t))).contains("does not exist"));
        c.agent_email = "nobody".to_owned();
        assert!(reason(decide(&c, now, &config(), Ok(&t))).contains("invalid to address"));
        c.lead = None;
        assert_eq!(reason(decide(&c, now, &config(), Ok(&t))), "the lead is gone");
    }

    #[test]
    fn the_containers_email_to_wins() {
        let mut t = template();
        t.to = Some("boss@example.com".to_owned());
        let mut c = candidate();
        c.agent_email = String::new();
        match decide(&c, time("10:00:05"), &config(), Ok(&t)) {
            Decision::Send { to, .. } => assert_eq!(to, "boss@example.com"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_container_problem_is_reported_once_per_change() {
        let mut cache = None;
        let good = "email_from=a@example.com\nemail_subject=Due\n".to_owned();
        let bad = "email_from=a@example.com\n".to_owned();
        assert_eq!(ContainerCache::refresh(&mut cache, Some(good.clone())), None);
        assert_eq!(ContainerCache::refresh(&mut cache, Some(good.clone())), None);
        assert!(matches!(
            ContainerCache::refresh(&mut cache, Some(bad.clone())),
            Some(Err(why)) if why.contains("email_subject")
        ));
        assert_eq!(ContainerCache::refresh(&mut cache, Some(bad)), None);
        assert!(matches!(
            ContainerCache::refresh(&mut cache, None),
            Some(Err(why)) if why.contains("no AGENT_CALLBACK_EMAIL")
        ));
        assert_eq!(ContainerCache::refresh(&mut cache, None), None);
        assert_eq!(ContainerCache::refresh(&mut cache, Some(good)), Some(Ok(())));
        let mut fresh = None;
        let no_sender = "email_from=not an address\nemail_subject=x".to_owned();
        assert!(matches!(
            ContainerCache::refresh(&mut fresh, Some(no_sender)),
            Some(Err(why)) if why.contains("is not an address")
        ));
    }

    #[test]
    fn summary_reads_as_one_line() {
        let s = AlertSummary {
            sent: 2,
            not_available: 1,
            ..AlertSummary::default()
        };
        assert_eq!(
            s.to_string(),
            "sent=2 failed=0 not_available=1 waiting=0 unknown=0 claimed_elsewhere=0"
        );
        assert!(s.did_work());
        assert!(!AlertSummary::default().did_work());
    }
}
