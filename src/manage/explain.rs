//! `callbacks explain ID`: the plain answer to "why is this callback (not)
//! being dialed?". A callback a pass would work on is decided by the
//! engine's own code ([`crate::engine::wanted::decide`]: the same scans, facts and
//! rules), so the answer can never disagree with the daemon; for the others
//! (not due, final, in the hopper, dialed, waiting for its agent) the facts
//! are read directly.

use chrono::NaiveDateTime;

use super::common::{ManageError, format_in};
use crate::rules::calltime::{GmtOffset, LeadZone};
use crate::rules::server_zone::PassClock;
use crate::rules::collation;
use crate::rules::status::CallbackStatus;
use crate::config::{Config, EngineConfig};
use crate::db::Session;
use crate::db::manage::{self, Detail};
use crate::db::settings;
use crate::rules::dnc::DncList;
use crate::engine::wanted::{self as decision, Decided};
use crate::rules::decision::{Feed, Gate, Outcome, Phase, bad_row_kind};
use crate::rules::model::{LimitScope, Settings};

/// Why a callback is or is not being dialed.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not an open callback (`INACTIVE`, `DEAD`, ...): nothing dials it.
    Final(String),
    /// Waiting for its time.
    NotDue(NaiveDateTime),
    /// The next pass works on it: the engine's own decision.
    Decided {
        /// Which scan finds it (due, or LIVE ANYONE pending).
        phase: Phase,
        /// What the pass does.
        outcome: Outcome,
    },
    /// LIVE ANYONE and its lead is in the hopper, with this hopper status.
    InHopper(String),
    /// LIVE ANYONE, and its lead was dialed since (lead status now).
    Dialed(String),
    /// LIVE USERONLY: waiting for its agent to dial it by hand.
    WaitingForAgent {
        /// Moved to ANYONE at this time by `callback_useronly_move_minutes`, when set.
        moves_at: Option<NaiveDateTime>,
    },
    /// LIVE ANYONE, looks undialed, but became dialable before the repair age.
    TooOld,
    /// A row the daemon cannot use.
    BadData(String),
}

/// The answer for one callback.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The callback.
    pub detail: Detail,
    /// The verdict.
    pub verdict: Verdict,
    /// The answer in plain words, first line the verdict.
    pub lines: Vec<String>,
}

/// Explains one callback at `at` (server time; the database's now when `None`).
pub async fn explain(
    s: &mut Session,
    config: &Config,
    callback_id: u32,
    at: Option<NaiveDateTime>,
) -> Result<Explanation, ManageError> {
    let cx = context(s, config, at).await?;
    if manage::detail(s, callback_id).await?.is_none()
        && let Some(detail) = manage::archived_detail(s, callback_id).await?
    {
        // Purged: gone from vicidial_callbacks, kept in the archive.
        let lines = super::closed::lines(s, &detail, &cx.clock, true).await?;
        let verdict = Verdict::Final(detail.status.clone());
        return Ok(Explanation { detail, verdict, lines });
    }
    explain_in(s, config, &cx, callback_id).await
}

/// What explaining needs once for any number of callbacks: the clock and the settings.
pub(crate) struct Context {
    clock: PassClock,
    settings: Settings,
}

impl Context {
    /// The clock the answers are given at.
    pub(crate) fn clock(&self) -> &PassClock {
        &self.clock
    }

    /// The settings the answers are decided with.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// Reads the clock (at `at`, or the database's now) and the settings once.
pub(crate) async fn context(
    s: &mut Session,
    config: &Config,
    at: Option<NaiveDateTime>,
) -> Result<Context, ManageError> {
    let clock = decision::pass_clock(s, at, config.engine.call_time_horizon_days).await?;
    let settings = settings::load(s).await?;
    Ok(Context { clock, settings })
}

/// Explains one callback with a context read before (the promise report
/// explains every open callback of a period this way).
pub(crate) async fn explain_in(
    s: &mut Session,
    config: &Config,
    cx: &Context,
    callback_id: u32,
) -> Result<Explanation, ManageError> {
    let Some(detail) = manage::detail(s, callback_id).await? else {
        return Err(ManageError::usage(format!("there is no callback {callback_id}")));
    };
    let (clock, settings) = (&cx.clock, &cx.settings);
    let decided = decision::decide(s, clock, settings, &config.engine, callback_id).await?;
    let verdict = match &decided {
        Some(d) => Verdict::Decided {
            phase: d.phase,
            outcome: d.outcome.clone(),
        },
        None => undecided(&detail, clock),
    };
    let cx = Words {
        detail: &detail,
        clock,
        settings,
        engine: &config.engine,
    };
    let mut lines = match (&decided, &verdict) {
        (Some(d), _) => cx.decided(d),
        // Closed: why, and by whom, as the promise report judges it.
        (None, Verdict::Final(_)) => super::closed::lines(s, &detail, clock, false).await?,
        (None, _) => cx.undecided(&verdict),
    };
    lines.extend(cx.notes(config));
    Ok(Explanation { detail, verdict, lines })
}

/// The verdict for a callback no scan of a pass finds.
fn undecided(d: &Detail, clock: &PassClock) -> Verdict {
    if !crate::rules::status::is_open(&d.status) {
        return Verdict::Final(d.status.clone());
    }
    if !CallbackStatus::Live.is(&d.status) {
        return match d.callback_time {
            Some(t) if !crate::rules::status::is_due(&d.status, Some(t), clock.now) => Verdict::NotDue(t),
            _ => Verdict::BadData("callback_time is NULL or zero".into()),
        };
    }
    if collation::eq(&d.recipient, "USERONLY") {
        let moves_at = d
            .campaign
            .as_ref()
            .filter(|c| c.active && c.useronly_move_minutes > 0)
            .and_then(|c| crate::rules::useronly_move::moves_at(d.callback_time, c.useronly_move_minutes));
        return Verdict::WaitingForAgent { moves_at };
    }
    if !collation::eq(&d.recipient, "ANYONE") {
        return Verdict::BadData("recipient is neither ANYONE nor USERONLY".into());
    }
    let Some(lead) = &d.lead else {
        return Verdict::BadData(format!("lead {} does not exist", d.lead_id));
    };
    if let Some(status) = &d.hopper_status {
        return Verdict::InHopper(status.clone());
    }
    let undialed = crate::rules::pending::undialed(&d.lead_status, &lead.status, &lead.called_since_last_reset);
    if undialed || collation::eq(&lead.status, "CBHOLD") {
        Verdict::TooOld
    } else {
        Verdict::Dialed(lead.status.clone())
    }
}

/// What the words are made of.
struct Words<'a> {
    detail: &'a Detail,
    clock: &'a PassClock,
    settings: &'a Settings,
    engine: &'a EngineConfig,
}

impl Words<'_> {
    fn decided(&self, d: &Decided) -> Vec<String> {
        let activation = match d.phase {
            Phase::Due => "the next pass makes it LIVE",
            Phase::Pending => "it is LIVE and undialed: the next pass takes it",
        };
        match &d.outcome {
            Outcome::Skip(why) => {
                let mut lines = vec![format!("bad data: {why}; the daemon skips it (and logs it hourly)")];
                if bad_row_kind(&d.row, self.settings) == Some("unknown_campaign") {
                    lines.push(
                        "  VICIdial's cron would make it LIVE and queue a hopper row no dialer takes; \
                         the daemon leaves it as it is until the campaign exists or the callback is moved \
                         to one that does"
                            .to_string(),
                    );
                }
                lines
            }
            Outcome::StayActive(why) => vec![format!(
                "due, but left ACTIVE: {why}; VICIdial's rule, it is activated once the list is active again"
            )],
            Outcome::Kill(list) => vec![self.dnc(d, list)],
            Outcome::Limited { until } => self.limit(d, *until, "the next pass sets it TFHCCL"),
            Outcome::Live => vec![format!(
                "due since {}: the next pass makes it LIVE for agent {}, who dials it by hand; \
                 it never goes into the hopper",
                self.time(self.detail.callback_time),
                self.detail.user
            )],
            Outcome::Dialed => {
                vec!["LIVE, and its lead was dialed after it became dialable: nothing more to do".into()]
            }
            Outcome::Anyone(Feed::Insert(status)) => vec![format!(
                "{activation} and inserts it into the hopper as {status} (priority 50, source C): every gate is open"
            )],
            Outcome::Anyone(Feed::InHopper) => vec![format!(
                "{activation}; its lead already has a hopper row ({}), so no second one",
                self.detail.hopper_status.as_deref().unwrap_or("?")
            )],
            Outcome::Anyone(Feed::Hold { gate, until }) => {
                let mut lines = vec![format!("{activation}, but held out of the hopper: {gate}")];
                lines.extend(self.hold(d, gate, *until));
                lines
            }
        }
    }

    fn hold(&self, d: &Decided, gate: &Gate, until: Option<NaiveDateTime>) -> Vec<String> {
        let opens = |t: Option<NaiveDateTime>| match t {
            Some(t) => format!("opens {} (server time, {})", t.format("%Y-%m-%d %H:%M:%S"), self.in_(t)),
            None => "no opening known".into(),
        };
        match gate {
            Gate::CallTime => {
                let mut lines = vec![opens(until)];
                if let (Some(t), Some(offset)) = (until, self.offset()) {
                    lines.push(format!(
                        "  that is {} lead time (gmt_offset_now {})",
                        (self.clock.to_utc(t) + offset.delta()).format("%Y-%m-%d %H:%M"),
                        self.detail.lead.as_ref().map_or("", |l| l.gmt_offset_now.as_str())
                    ));
                }
                lines.extend(self.windows(d));
                lines
            }
            Gate::HoursBlock => vec![format!(
                "  set at {}, the campaign blocks it for {} hours: {}",
                self.time(d.row.entry_time),
                self.settings
                    .campaign(&d.row.campaign_id)
                    .map_or(0, |c| c.callback_hours_block),
                opens(until)
            )],
            Gate::CallLimit => self.limit(d, until, "it stays out of the hopper"),
            Gate::InactiveList(_) => vec![
                "  it goes in once the list is active (or anyone_callback_inactive_lists is KEEP_IN_HOPPER)".into(),
            ],
            Gate::NoHopperDialing => vec!["  agents dial its lead by hand from the campaign".into()],
            _ => vec!["  fix the data; the daemon decides it again every minute".into()],
        }
    }

    /// Each call-time window that decides, open or closed, now.
    fn windows(&self, d: &Decided) -> Vec<String> {
        let (Some(campaign), Some(lead), Some(offset)) = (
            self.settings.campaign(&d.row.campaign_id),
            d.row.lead.as_ref(),
            self.offset(),
        ) else {
            return vec![];
        };
        let list = d
            .row
            .list_id
            .and_then(|id| self.settings.lists.get(&id))
            .filter(|l| l.call_time_enforced(self.clock.today()))
            .map(|l| l.local_call_time.as_str());
        let zone = LeadZone {
            gmt_offset: offset,
            state: lead.state.clone(),
        };
        let Ok(windows) = self.settings.call_times.windows_at(
            &campaign.local_call_time,
            list,
            &zone,
            self.clock.utc,
            &self.clock.zone,
        ) else {
            return vec![];
        };
        windows
            .into_iter()
            .map(|w| {
                format!(
                    "  {}: {} {} {:04}-{:04}{} at lead time {}: {}",
                    w.source,
                    w.lead_time.format("%A"),
                    if w.default_day { "(default hours)" } else { "hours" },
                    w.window.start,
                    w.window.stop,
                    w.holiday
                        .map(|h| format!(", narrowed by holiday {h}"))
                        .unwrap_or_default(),
                    w.lead_time.format("%H:%M"),
                    if w.open { "open" } else { "closed" }
                )
            })
            .collect()
    }

    fn dnc(&self, d: &Decided, list: &DncList) -> String {
        let phone = self.detail.lead.as_ref().map_or("", |l| l.phone_number.as_str());
        let found = d.facts.dnc.get(&d.row.callback_id).cloned().unwrap_or_default();
        let exact = match list {
            DncList::Internal => found.internal_number,
            DncList::Campaign(_) => found.campaign_number,
        } == Some(true);
        let entry = if exact {
            phone.to_string()
        } else {
            format!("{}XXXXXXX", phone.chars().take(3).collect::<String>())
        };
        format!(
            "DNC: the phone {phone} is on the {list} (entry {entry}): the next pass sets it DEAD and the lead {}",
            list.lead_status()
        )
    }

    fn limit(&self, d: &Decided, until: Option<NaiveDateTime>, then: &str) -> Vec<String> {
        let Some(campaign) = self.settings.campaign(&d.row.campaign_id) else {
            return vec![];
        };
        let count = d.facts.calls.get(&d.row.callback_id).cloned().unwrap_or_default();
        let (calls, scope) = match campaign.limit_scope {
            LimitScope::SystemWide => (count.all, "any list"),
            LimitScope::CampaignLists => (count.campaign_lists, "the campaign's lists"),
        };
        let mut lines = vec![format!(
            "24-hour call limit: {calls} calls in the last 24 hours counted ({:?}, {scope}), limit {}{}: {then}",
            campaign.limit_method,
            campaign.limit,
            campaign
                .limit_override
                .as_ref()
                .map(|c| format!(" (or less per state, container {c})"))
                .unwrap_or_default()
        )];
        if let Some(t) = until {
            lines.push(format!(
                "  the oldest counted call ages out at {} ({}); then it goes through the other gates",
                t.format("%Y-%m-%d %H:%M:%S"),
                self.in_(t)
            ));
        }
        lines
    }

    fn undecided(&self, verdict: &Verdict) -> Vec<String> {
        let d = self.detail;
        match verdict {
            Verdict::Final(status) => vec![format!("{status}: not an open callback; nothing dials it")],
            Verdict::NotDue(t) => vec![format!(
                "not due yet: it comes due at {} ({})",
                t.format("%Y-%m-%d %H:%M:%S"),
                self.in_(*t)
            )],
            Verdict::InHopper(status) => vec![format!(
                "LIVE and in the hopper (hopper status {status}): the dialer takes it when an agent is free"
            )],
            Verdict::Dialed(status) => {
                let when = d
                    .lead
                    .as_ref()
                    .and_then(|l| Some(l.last_local_call_time? - self.offset()?.delta()))
                    .map(|utc| {
                        format!(
                            " at {} server time",
                            self.clock.to_local(utc).format("%Y-%m-%d %H:%M:%S")
                        )
                    })
                    .unwrap_or_default();
                vec![format!(
                    "dialed: its lead was called{when} and is now {status}; VICIdial does not set an ANYONE callback \
                     INACTIVE after a dial, so it stays LIVE"
                )]
            }
            Verdict::WaitingForAgent { moves_at } => {
                let agent = match &d.owner {
                    Some(o) => match &o.logged_in_campaign {
                        Some(c) => format!("{} ({}, logged in to {c})", o.user, o.full_name),
                        None => format!("{} ({}, not logged in)", o.user, o.full_name),
                    },
                    None => format!("{} (no such user)", d.user),
                };
                let mut lines = vec![format!(
                    "LIVE USERONLY: waiting for agent {agent} to dial it by hand; it never goes into the hopper"
                )];
                match moves_at {
                    Some(t) if crate::rules::useronly_move::is_stale(Some(*t), self.clock.now) => lines.push(format!(
                        "  its campaign's callback_useronly_move_minutes ran out at {}: the next pass moves it to \
                         ANYONE and through the gates",
                        t.format("%Y-%m-%d %H:%M:%S")
                    )),
                    Some(t) => lines.push(format!(
                        "  its campaign's callback_useronly_move_minutes moves it to ANYONE at {} ({})",
                        t.format("%Y-%m-%d %H:%M:%S"),
                        self.in_(*t)
                    )),
                    None => {}
                }
                lines
            }
            Verdict::TooOld => vec![format!(
                "LIVE ANYONE and undialed, but it became dialable more than engine.repair_max_age_days ({}) ago: \
                 left alone",
                self.engine.repair_max_age_days
            )],
            Verdict::BadData(why) => vec![format!("bad data: {why}")],
            Verdict::Decided { .. } => vec![],
        }
    }

    /// Facts beyond the decision a manager should know.
    fn notes(&self, config: &Config) -> Vec<String> {
        let d = self.detail;
        let mut notes = Vec::new();
        match &d.campaign {
            None => notes.push(format!("note: campaign {} does not exist", d.campaign_id)),
            Some(c) => {
                if !c.active {
                    notes.push(format!(
                        "note: campaign {} is inactive: its hopper is not dialed",
                        d.campaign_id
                    ));
                }
                if !c.scheduled_callbacks {
                    notes.push(format!(
                        "note: campaign {} has scheduled_callbacks=N: its agents cannot see or set callbacks",
                        d.campaign_id
                    ));
                }
            }
        }
        if collation::eq(&d.recipient, "USERONLY") {
            match &d.owner {
                None => notes.push(format!("note: the owner {} does not exist in vicidial_users", d.user)),
                Some(o) if !o.active => notes.push(format!("note: the owner {} is inactive", o.user)),
                _ => {}
            }
            if config.availability.applies_to(&d.campaign_id) {
                notes.push(format!(
                    "note: availability move on: it goes to ANYONE when its owner is gone, inactive, or not logged \
                     in {} minutes after its time",
                    config.availability.minutes
                ));
            }
        }
        notes
    }

    fn offset(&self) -> Option<GmtOffset> {
        let lead = self.detail.lead.as_ref()?;
        GmtOffset::parse(&lead.gmt_offset_now).filter(|o| o.on_grid())
    }

    fn time(&self, t: Option<NaiveDateTime>) -> String {
        t.map_or_else(|| "NULL".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    fn in_(&self, t: NaiveDateTime) -> String {
        format_in(t - self.clock.now)
    }
}
