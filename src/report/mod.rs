//! `callbacks report`: were the promises kept? For every callback whose time
//! fell in a period, the first dial of its lead by its campaign at or after
//! the moment it became dialable (`vicidial_log`, where VICIdial writes every
//! outbound dial, auto and manual), how late that was, and for the ones not
//! dialed, why: still open (with the reason `callbacks explain` gives now),
//! or never (killed for DNC, removed by a manager, INACTIVE without a dial,
//! lead deleted). The arithmetic is in [`classify`] (pure), the SQL in
//! `db::report`, the output in [`render`] and [`html`].

pub(crate) mod args;
pub(crate) mod classify;
pub(crate) mod html;
pub(crate) mod late;
pub(crate) mod render;
pub mod watch;

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};

use args::{ReportArgs, ReportBy, ReportFormat};
use crate::config::Config;
use crate::db::Session;
use crate::db::report::{self as sql, LEADS_PER_STATEMENT, Scope};
use crate::rules::decision::{Feed, Outcome};
use crate::manage::explain::{self, Verdict};
use crate::manage::common::{ManageError, parse_duration, parse_time};
use classify::{Bucket, GroupBy, Judged, Promise};

/// Open callbacks explained one by one at most; past this the report says so.
const MAX_EXPLAINED: usize = 1000;

/// The report, ready to print.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    /// Callbacks due at or after this (server time).
    pub from: NaiveDateTime,
    /// ... and before this.
    pub to: NaiveDateTime,
    /// The database clock the report was made at (dials up to then).
    pub now: NaiveDateTime,
    /// The on-time grace.
    pub grace: Duration,
    /// How it is grouped.
    pub by: GroupBy,
    /// The filters given, for the heading ("campaign SALESUS, list 1001").
    pub filters: Vec<String>,
    /// Every callback.
    pub judged: Vec<Judged>,
    /// Totals per group.
    pub groups: Vec<classify::Totals>,
    /// Totals of all.
    pub all: classify::Totals,
    /// The undialed ones by bucket and reason.
    pub reasons: Vec<(Bucket, String, u64)>,
}

impl Report {
    /// What the groups are.
    pub(crate) fn by_name(&self) -> &'static str {
        match self.by {
            GroupBy::Campaign => "campaign",
            GroupBy::Agent => "agent",
            GroupBy::Day => "day",
            GroupBy::Hour => "hour",
        }
    }
}

/// Reads a period bound: a date (its start; with `end`, the next day's
/// start, so the day is included) or a time.
fn bound(text: &str, end: bool) -> Result<NaiveDateTime, ManageError> {
    if let Ok(day) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        let day = if end { day + Duration::days(1) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    parse_time(text)
}

/// Runs `callbacks report`.
pub(crate) async fn command(s: &mut Session, config: &Config, args: ReportArgs) -> Result<(), ManageError> {
    let grace = parse_duration(&args.grace)?;
    let at = args.now.as_deref().map(parse_time).transpose()?;
    let report = build(s, config, &args, grace, at).await?;
    let out = match args.format {
        ReportFormat::Table => render::table(&report, args.details),
        ReportFormat::Csv => render::csv(&report),
        ReportFormat::Json => render::json(&report),
        ReportFormat::Html => html::page(&report),
    };
    print!("{out}");
    Ok(())
}

pub(crate) async fn build(
    s: &mut Session,
    config: &Config,
    args: &ReportArgs,
    grace: Duration,
    at: Option<NaiveDateTime>,
) -> Result<Report, ManageError> {
    let cx = explain::context(s, config, at).await?;
    let clock = cx.clock().clone();
    let today = clock.now.date().and_hms_opt(0, 0, 0).unwrap_or_default();
    let from = args.from.as_deref().map(|t| bound(t, false)).transpose()?;
    let to = args.to.as_deref().map(|t| bound(t, true)).transpose()?;
    let (from, to) = (from.unwrap_or(today - Duration::days(1)), to.unwrap_or(today));
    if to <= from {
        return Err(ManageError::usage(format!("--to {to} is not after --from {from}")));
    }
    let scope = Scope {
        from,
        to,
        campaign: args.campaign.clone(),
        user: args.user.clone(),
        user_group: args.user_group.clone(),
        list: args.list,
    };
    let promises = read_promises(s, &scope).await?;
    // The server's offsets over the whole span, so lateness is real time
    // across a daylight-saving change.
    let days_before = (clock.now - from).num_days().max(0) + 2;
    let days_after = (to - clock.now).num_days().max(0) + 2;
    let zone = crate::db::clock::zone(s, clock.utc, days_before, days_after).await?;
    let mut judged = Vec::with_capacity(promises.len());
    let mut by_lead: Vec<Promise> = promises;
    by_lead.sort_by_key(|p| (p.lead_id, p.callback_id));
    let mut start = 0;
    while start < by_lead.len() {
        // A batch of at most LEADS_PER_STATEMENT distinct leads.
        let mut leads = BTreeSet::new();
        let mut end = start;
        while end < by_lead.len() && (leads.len() < LEADS_PER_STATEMENT || leads.contains(&by_lead[end].lead_id)) {
            leads.insert(by_lead[end].lead_id);
            end += 1;
        }
        let batch = &by_lead[start..end];
        let leads: Vec<u32> = leads.into_iter().collect();
        // call_date is server time: two hours of margin cover a repeated
        // autumn hour; the exact comparison is made in UTC by `classify`.
        let earliest = batch.iter().map(Promise::dialable_at).min().unwrap_or(from);
        let dials = sql::dials(
            s,
            &leads,
            earliest - Duration::hours(2),
            clock.now + Duration::seconds(1),
        )
        .await?;
        let inactive: Vec<u32> = batch
            .iter()
            .filter(|p| crate::rules::status::CallbackStatus::Inactive.is(&p.status))
            .map(|p| p.lead_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let since = batch
            .iter()
            .map(|p| p.entry_time.unwrap_or(p.callback_time).min(p.callback_time))
            .min()
            .unwrap_or(from);
        let removals = sql::removals(s, &inactive, since).await?;
        let mut dials_of: HashMap<u32, Vec<classify::Dial>> = HashMap::new();
        for d in dials {
            dials_of.entry(d.lead_id).or_default().push(d);
        }
        for p in batch {
            let mine = dials_of.get(&p.lead_id).map_or(&[][..], Vec::as_slice);
            judged.push(classify::judge(p.clone(), mine, &removals, &zone, grace));
        }
        start = end;
    }
    judged.sort_by_key(|j| (j.promise.callback_time, j.promise.callback_id));
    explain_open(s, config, &cx, &mut judged).await?;
    let late: Vec<u32> = judged
        .iter()
        .filter(|j| matches!(j.bucket, Bucket::LateHour | Bucket::LateDay | Bucket::LateLater))
        .map(|j| j.promise.lead_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut places = HashMap::new();
    for batch in late.chunks(LEADS_PER_STATEMENT) {
        places.extend(sql::places(s, batch).await?);
    }
    let limits = limit_facts(s, &judged, cx.settings()).await?;
    let activity = activity(s, &judged, clock.now).await?;
    late::explain_late(&mut judged, &places, &limits, activity.as_ref(), cx.settings(), &zone);
    let by = match args.by {
        ReportBy::Campaign => GroupBy::Campaign,
        ReportBy::Agent => GroupBy::Agent,
        ReportBy::Day => GroupBy::Day,
        ReportBy::Hour => GroupBy::Hour,
    };
    let (groups, all) = classify::grouped(&judged, by);
    let reasons = classify::reasons(&judged);
    let mut filters = Vec::new();
    for (name, value) in [
        ("campaign", &args.campaign),
        ("agent", &args.user),
        ("user group", &args.user_group),
    ] {
        if let Some(v) = value {
            filters.push(format!("{name} {v}"));
        }
    }
    if let Some(l) = args.list {
        filters.push(format!("list {l}"));
    }
    Ok(Report {
        from,
        to,
        now: clock.now,
        grace,
        by,
        filters,
        judged,
        groups,
        all,
        reasons,
    })
}

/// Every callback of the scope, from `vicidial_callbacks` and then from
/// `vicidial_callbacks_archive` (purged ones; an id in both is read once).
/// The 24-hour call counts of the late ANYONE callbacks whose campaign
/// counts calls (and their phones' places when it has an override), each at
/// the moment it became dialable.
async fn limit_facts(
    s: &mut Session,
    judged: &[Judged],
    settings: &crate::rules::model::Settings,
) -> Result<late::LimitFacts, ManageError> {
    let mut facts = late::LimitFacts::default();
    if !settings.system.call_limit_24hour {
        return Ok(facts);
    }
    let mut by_method: HashMap<crate::rules::model::LimitMethod, Vec<sql::CountAt>> = HashMap::new();
    let mut placed = Vec::new();
    for j in judged
        .iter()
        .filter(|j| late::is_late(j) && crate::rules::collation::eq(&j.promise.recipient, "ANYONE"))
    {
        let Some(c) = settings.campaign(&j.promise.campaign_id) else {
            continue;
        };
        if c.limit_method == crate::rules::model::LimitMethod::Disabled {
            continue;
        }
        by_method.entry(c.limit_method).or_default().push(sql::CountAt {
            callback_id: j.promise.callback_id,
            lead_id: j.promise.lead_id,
            campaign_id: j.promise.campaign_id.clone(),
            at: j.dialable_at,
        });
        if settings.limit_override(c).is_some() && !j.promise.purged {
            placed.push(j.promise.callback_id);
        }
    }
    for (method, wanted) in by_method {
        for batch in wanted.chunks(LEADS_PER_STATEMENT) {
            facts.counts.extend(sql::call_counts(s, method, batch).await?);
        }
    }
    for batch in placed.chunks(LEADS_PER_STATEMENT) {
        facts.places.extend(crate::db::facts::places(s, batch).await?);
    }
    Ok(facts)
}

/// The daemon's own activity over the last day (its tables keep a day),
/// around the late callbacks of that day; `None` when its tables are missing.
async fn activity(
    s: &mut Session,
    judged: &[Judged],
    now: NaiveDateTime,
) -> Result<Option<late::Activity>, ManageError> {
    if !sql::activity_tables(s).await? {
        return Ok(None);
    }
    let known_since = now - Duration::days(1);
    let mut activity = late::Activity {
        known_since,
        upto: now,
        minutes: BTreeSet::new(),
    };
    let spans = judged
        .iter()
        .filter(|j| late::is_late(j))
        .filter_map(|j| Some((j.dialable_at - late::BEFORE, j.dial.as_ref()?.call_date)))
        .filter(|(from, to)| *from >= known_since && *to <= now);
    let (from, to) = spans.fold(
        (None, None),
        |(lo, hi): (Option<NaiveDateTime>, Option<NaiveDateTime>), (f, t)| {
            (Some(lo.map_or(f, |lo| lo.min(f))), Some(hi.map_or(t, |hi| hi.max(t))))
        },
    );
    if let (Some(from), Some(to)) = (from, to) {
        // A minute before: a row in the minute the window starts in.
        let rows = sql::active_minutes(s, from - Duration::minutes(1), to + Duration::seconds(1)).await?;
        activity.minutes.extend(rows);
    }
    Ok(Some(activity))
}

async fn read_promises(s: &mut Session, scope: &Scope) -> Result<Vec<Promise>, ManageError> {
    let mut found: Vec<Promise> = Vec::new();
    let mut seen = BTreeSet::new();
    for archive in [false, true] {
        let mut after = None;
        loop {
            let page = sql::promises(s, archive, scope, after).await?;
            let full = page.len() == sql::PAGE;
            after = page.last().map(|p| (p.callback_time, p.callback_id));
            for p in page {
                if seen.insert(p.callback_id) {
                    found.push(p);
                }
            }
            if !full {
                break;
            }
        }
    }
    Ok(found)
}

/// The reason `callbacks explain` gives now for each open undialed callback.
async fn explain_open(
    s: &mut Session,
    config: &Config,
    cx: &explain::Context,
    judged: &mut [Judged],
) -> Result<(), ManageError> {
    let mut explained = 0;
    for j in judged.iter_mut().filter(|j| j.bucket == Bucket::NotYet) {
        if explained == MAX_EXPLAINED {
            j.reason = "not explained (too many open)".into();
            j.detail = format!("more than {MAX_EXPLAINED} open callbacks: run callbacks explain ID");
            continue;
        }
        explained += 1;
        match explain::explain_in(s, config, cx, j.promise.callback_id).await {
            Ok(e) => {
                j.reason = label(&e.verdict);
                j.detail = e.lines.first().cloned().unwrap_or_default();
            }
            // Purged open callbacks are not in vicidial_callbacks any more.
            Err(ManageError::Usage(why)) => {
                j.reason = "not in vicidial_callbacks".into();
                j.detail = why;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A few words for an `explain` verdict, to count callbacks by.
pub(crate) fn label(v: &Verdict) -> String {
    match v {
        Verdict::Final(status) => format!("closed as {status}"),
        Verdict::NotDue(_) => "not due yet".into(),
        Verdict::Decided { outcome, .. } => match outcome {
            Outcome::Skip(_) => "bad data: skipped".into(),
            Outcome::StayActive(_) => "left ACTIVE: list inactive".into(),
            Outcome::Kill(list) => format!("DNC ({list}): killed at the next pass"),
            Outcome::Limited { .. } => "held: 24-hour call limit".into(),
            Outcome::Live => "due: the next pass makes it LIVE".into(),
            Outcome::Dialed => "lead dialed, not by its campaign in vicidial_log".into(),
            Outcome::Anyone(Feed::Insert(_)) => "due: the next pass puts it in the hopper".into(),
            Outcome::Anyone(Feed::InHopper) => "in the hopper".into(),
            Outcome::Anyone(Feed::Hold { gate, .. }) => format!("held: {gate}"),
        },
        Verdict::InHopper(_) => "in the hopper".into(),
        Verdict::Dialed(_) => "lead dialed, not by its campaign in vicidial_log".into(),
        Verdict::WaitingForAgent { .. } => "USERONLY: waiting for its agent".into(),
        Verdict::TooOld => "older than engine.repair_max_age_days".into(),
        Verdict::BadData(_) => "bad data".into(),
    }
}
