//! What ops people watch: `/metrics` in Prometheus' text format,
//! `/health` (200, or 503 with the reason), `/livez` (the process works) and
//! `/readyz` (a leader, or a standby ready to take over), on `[metrics] listen`
//! (127.0.0.1:9477 by default), plus the state systemd's watchdog and
//! `STATUS=` line read. Counts come from each pass's summary; the due backlog
//! is read from the database for a scrape, at most once a second.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tracing::{debug, warn};

use crate::config::MetricsConfig;
use crate::db::{Db, DbError, DbResult};
use crate::rules::decision::{BAD_ROW_KINDS, Gate};
use crate::ops::Shutdown;

/// Upper bounds of the pass-duration histogram, in seconds.
const BUCKETS: [f64; 12] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The daemon's counters and state, one per process.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    activated: u64,
    inserted: u64,
    dead: u64,
    moved: u64,
    limited: u64,
    skipped: u64,
    pending: u64,
    held_by_gate: HashMap<&'static str, u64>,
    skipped_by_kind: HashMap<&'static str, u64>,
    emails_sent: u64,
    emails_failed: u64,
    emails_not_available: u64,
    emails_unknown: u64,
    pass_buckets: [u64; BUCKETS.len()],
    pass_count: u64,
    pass_sum: f64,
    database_errors: u64,
    last_error: Option<String>,
    pass_started: Option<Instant>,
    last_pass: Option<Instant>,
    heartbeat: Option<Instant>,
    leader: bool,
    /// Second hopper rows of a lead removed, by who wrote the second: the
    /// daemon, or another process.
    duplicates_removed: [u64; 2],
    /// Failed runs of the duties: the scheduled purge, the availability move.
    duty_failures: [u64; 2],
    /// The promise: callback_time to first dial, by campaign (buckets, count, sum).
    promise_dial: std::collections::BTreeMap<String, ([u64; PROMISE_BUCKETS.len()], u64, f64)>,
    /// Callbacks whose grace ran out without a dial, by campaign.
    promise_missed: std::collections::BTreeMap<String, u64>,
    /// From callback_time to LIVE and to the hopper, by (to, campaign):
    /// buckets, count, sum.
    lateness: std::collections::BTreeMap<(&'static str, String), ([u64; LATENESS_BUCKETS.len()], u64, f64)>,
}

/// A label value as Prometheus' text format writes it.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Upper bounds of the lateness histogram, in seconds.
const LATENESS_BUCKETS: [f64; 11] = [
    1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14_400.0, 86_400.0,
];

/// Upper bounds of the promise histogram (callback_time to first dial), in seconds.
const PROMISE_BUCKETS: [f64; 10] = [
    30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14_400.0, 86_400.0, 259_200.0,
];

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A second hopper row of a lead was removed; `writer` wrote it
    /// (`daemon` or `other`).
    pub fn duplicate_removed(&self, writer: &str) {
        self.with(|s| s.duplicates_removed[usize::from(writer != "daemon")] += 1);
    }

    /// A duty (`purge` or `availability`) failed; the engine went on.
    pub fn duty_failed(&self, duty: &str) {
        self.with(|s| s.duty_failures[usize::from(duty != "purge")] += 1);
    }

    /// A callback reached `to` (`live` or `hopper`) `seconds` after its time.
    pub fn lateness(&self, to: &'static str, campaign: &str, seconds: f64) {
        self.with(|s| {
            let entry = s.lateness.entry((to, campaign.trim_end().to_string())).or_insert((
                [0; LATENESS_BUCKETS.len()],
                0,
                0.0,
            ));
            for (bucket, bound) in entry.0.iter_mut().zip(LATENESS_BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
            entry.1 += 1;
            entry.2 += seconds;
        });
    }

    /// An engine pass starts.
    pub fn pass_started(&self) {
        self.with(|s| s.pass_started = Some(Instant::now()));
    }

    /// An engine pass ended, after `elapsed`.
    pub fn engine_pass(&self, result: Result<&PassCounts, &DbError>, elapsed: Duration) {
        self.with(|s| {
            s.pass_started = None;
            let now = Instant::now();
            s.heartbeat = Some(now);
            match result {
                Ok(summary) => {
                    s.activated += summary.activated;
                    s.inserted += summary.inserted;
                    s.dead += summary.dead;
                    s.moved += summary.moved;
                    s.limited += summary.limited;
                    s.skipped += summary.skipped;
                    s.pending = summary.pending;
                    s.held_by_gate = summary.held_by_gate.clone();
                    s.skipped_by_kind = summary.skipped_by_kind.clone();
                    s.last_pass = Some(now);
                    s.last_error = None;
                    crate::ops::monitor::pass_finished();
                    let secs = elapsed.as_secs_f64();
                    s.pass_count += 1;
                    s.pass_sum += secs;
                    for (bucket, bound) in s.pass_buckets.iter_mut().zip(BUCKETS) {
                        if secs <= bound {
                            *bucket += 1;
                        }
                    }
                }
                Err(e) => {
                    s.database_errors += 1;
                    s.last_error = Some(e.to_string());
                }
            }
        });
    }

    /// A callback's first dial was seen, `seconds` after it became dialable.
    pub fn promise_dialed(&self, campaign: &str, seconds: f64) {
        self.with(|s| {
            let entry = s.promise_dial.entry(campaign.to_string()).or_default();
            for (bucket, bound) in entry.0.iter_mut().zip(PROMISE_BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
            entry.1 += 1;
            entry.2 += seconds;
        });
    }

    /// A callback's grace ran out without a dial.
    pub fn promise_missed_grace(&self, campaign: &str) {
        self.with(|s| *s.promise_missed.entry(campaign.to_string()).or_default() += 1);
    }

    /// An email pass ended; `None` when it failed.
    pub fn email_pass(&self, summary: Option<&EmailCounts>) {
        self.with(|s| match summary {
            Some(a) => {
                s.emails_sent += a.sent;
                s.emails_failed += a.failed;
                s.emails_not_available += a.not_available;
                s.emails_unknown += a.unknown;
            }
            None => s.database_errors += 1,
        });
    }

    /// This daemon became the leader, or a standby; `error` says why it
    /// cannot even take part (the database is unreachable).
    pub fn set_role(&self, leader: bool, error: Option<String>) {
        self.with(|s| {
            s.leader = leader;
            s.heartbeat = Some(Instant::now());
            if !leader {
                s.pass_started = None;
                s.last_error = error;
            }
        });
    }

    /// True while the daemon is making progress: no pass has run longer than
    /// `limit`, and something reported within `limit`. systemd's watchdog is
    /// fed only then, so a stuck loop is restarted.
    pub fn alive(&self, limit: Duration) -> bool {
        self.with(|s| match s.pass_started {
            Some(t) => t.elapsed() < limit,
            None => s.heartbeat.is_none_or(|t| t.elapsed() < limit),
        })
    }

    /// True once the daemon has found its place: a leader after its first
    /// pass, a standby once connected.
    pub fn ready(&self) -> bool {
        self.with(|s| s.last_pass.is_some() || (!s.leader && s.heartbeat.is_some() && s.last_error.is_none()))
    }

    /// How long the current pass has run, if one is running.
    pub fn pass_running_for(&self) -> Option<Duration> {
        self.with(|s| s.pass_started.map(|t| t.elapsed()))
    }

    /// The `STATUS=` line: role, last pass, pending count.
    pub fn status_line(&self) -> String {
        self.with(|s| {
            let role = if s.leader { "leader" } else { "standby" };
            let last = s.last_pass.map_or("no pass yet".to_owned(), |t| {
                format!("last pass {} s ago", t.elapsed().as_secs())
            });
            match &s.last_error {
                Some(e) => format!("{role}; {last}; database error: {e}"),
                None => format!("{role}; {last}; {} held", s.pending),
            }
        })
    }

    /// `Ok` when healthy, else the reason `/health` gives with its 503.
    pub fn health(&self, max_pass_age: Duration) -> Result<(), String> {
        self.with(|s| {
            if let Some(e) = &s.last_error {
                return Err(format!("database unreachable: {e}"));
            }
            if !s.leader {
                return Err("standby: another daemon holds the leader lock".to_owned());
            }
            match s.last_pass {
                None => Err("no pass has finished yet".to_owned()),
                Some(t) if t.elapsed() > max_pass_age => {
                    Err(format!("last pass finished {} s ago", t.elapsed().as_secs()))
                }
                Some(_) => Ok(()),
            }
        })
    }

    /// `/readyz`: `Ok` with the role when this daemon can act (a healthy
    /// leader, or a standby in touch with the database, ready to take over),
    /// else the reason for the 503.
    pub fn readiness(&self, max_pass_age: Duration) -> Result<&'static str, String> {
        if self.with(|s| s.leader) {
            return self.health(max_pass_age).map(|()| "leader");
        }
        self.with(|s| match (&s.last_error, s.heartbeat) {
            (Some(e), _) => Err(format!("standby: database unreachable: {e}")),
            (None, None) => Err("not connected yet".to_owned()),
            (None, Some(t)) if t.elapsed() > max_pass_age => Err(format!(
                "standby: no word from the leader lock for {} s",
                t.elapsed().as_secs()
            )),
            (None, Some(_)) => Ok("standby: ready to take over"),
        })
    }

    /// The Prometheus text; `backlog` is the scrape's own reading of the database.
    pub fn render(&self, backlog: Option<Backlog>) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: &[(String, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in lines {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: u64| vec![(String::new(), v.to_string())];
        self.with(|s| {
            let counters = [
                ("activated", s.activated, "Due callbacks made LIVE."),
                ("inserted", s.inserted, "Hopper rows inserted for ANYONE callbacks."),
                (
                    "killed",
                    s.dead,
                    "Callbacks set DEAD by a DNC hit (the lead's DNC list).",
                ),
                ("moved", s.moved, "USERONLY callbacks moved to ANYONE."),
                (
                    "limited",
                    s.limited,
                    "Callbacks held by the 24-hour call limit (TFHCCL).",
                ),
                (
                    "skipped",
                    s.skipped,
                    "Callbacks skipped as bad data (lead gone, unknown campaign).",
                ),
            ];
            for (what, value, help) in counters {
                metric(
                    &format!("callbackd_callbacks_{what}_total"),
                    "counter",
                    help,
                    &one(value),
                );
            }
            metric(
                "callbackd_callbacks_held",
                "gauge",
                "LIVE ANYONE callbacks held out of the hopper by a gate at the end of the last pass.",
                &one(s.pending),
            );
            let lines: Vec<_> = Gate::NAMES
                .iter()
                .map(|g| {
                    (
                        format!("{{gate=\"{g}\"}}"),
                        s.held_by_gate.get(g).copied().unwrap_or(0).to_string(),
                    )
                })
                .collect();
            metric(
                "callbackd_callbacks_held_by_gate",
                "gauge",
                "LIVE ANYONE callbacks held at the end of the last pass, by the gate that holds them.",
                &lines,
            );
            let lines: Vec<_> = BAD_ROW_KINDS
                .iter()
                .map(|k| {
                    (
                        format!("{{reason=\"{k}\"}}"),
                        s.skipped_by_kind.get(k).copied().unwrap_or(0).to_string(),
                    )
                })
                .collect();
            metric(
                "callbackd_callbacks_bad_rows",
                "gauge",
                "Open callbacks skipped as bad data at the end of the last pass, by reason \
                 (lead_gone, bad_recipient, unknown_campaign: a campaign row that does not exist).",
                &lines,
            );
            let emails = [
                ("sent", s.emails_sent),
                ("failed", s.emails_failed),
                ("not_available", s.emails_not_available),
                ("unknown", s.emails_unknown),
            ];
            let lines: Vec<_> = emails
                .iter()
                .map(|(r, v)| (format!("{{result=\"{r}\"}}"), v.to_string()))
                .collect();
            metric("callbackd_emails_total", "counter", "Email alerts by result.", &lines);
            let mut lines = Vec::new();
            for ((to, campaign), (buckets, count, sum)) in &s.lateness {
                let labels = format!("to=\"{to}\",campaign=\"{}\"", label_value(campaign));
                for (bound, n) in LATENESS_BUCKETS.iter().zip(buckets) {
                    lines.push((format!("_bucket{{{labels},le=\"{bound}\"}}"), n.to_string()));
                }
                lines.push((format!("_bucket{{{labels},le=\"+Inf\"}}"), count.to_string()));
                lines.push((format!("_sum{{{labels}}}"), format!("{sum}")));
                lines.push((format!("_count{{{labels}}}"), count.to_string()));
            }
            metric(
                "callbackd_lateness_seconds",
                "histogram",
                "From a callback's time to LIVE (to=live) and to its hopper row (to=hopper), by campaign.",
                &lines,
            );
            let lines: Vec<_> = ["purge", "availability"]
                .iter()
                .zip(s.duty_failures)
                .map(|(d, v)| (format!("{{duty=\"{d}\"}}"), v.to_string()))
                .collect();
            metric(
                "callbackd_duty_failures_total",
                "counter",
                "Failed runs of a duty (the scheduled purge, the availability move); activations go on.",
                &lines,
            );
            let lines: Vec<_> = ["daemon", "other"]
                .iter()
                .zip(s.duplicates_removed)
                .map(|(w, v)| (format!("{{second_writer=\"{w}\"}}"), v.to_string()))
                .collect();
            metric(
                "callbackd_hopper_duplicates_removed_total",
                "counter",
                "Second hopper rows of a lead removed before the dialer took them, by who wrote the second.",
                &lines,
            );
            let mut lines: Vec<_> = BUCKETS
                .iter()
                .zip(s.pass_buckets)
                .map(|(b, n)| (format!("_bucket{{le=\"{b}\"}}"), n.to_string()))
                .collect();
            lines.push(("_bucket{le=\"+Inf\"}".into(), s.pass_count.to_string()));
            lines.push(("_sum".into(), format!("{}", s.pass_sum)));
            lines.push(("_count".into(), s.pass_count.to_string()));
            metric(
                "callbackd_pass_duration_seconds",
                "histogram",
                "Duration of successful engine passes.",
                &lines,
            );
            metric(
                "callbackd_database_errors_total",
                "counter",
                "Passes (engine or email) that failed on a database error.",
                &one(s.database_errors),
            );
            metric(
                "callbackd_leader",
                "gauge",
                "1 when this daemon holds the leader lock and works, 0 on a standby.",
                &one(u64::from(s.leader)),
            );
            let mut lines = Vec::new();
            for (campaign, (buckets, count, sum)) in &s.promise_dial {
                let c = label_value(campaign);
                for (b, n) in PROMISE_BUCKETS.iter().zip(buckets) {
                    lines.push((format!("_bucket{{campaign=\"{c}\",le=\"{b}\"}}"), n.to_string()));
                }
                lines.push((format!("_bucket{{campaign=\"{c}\",le=\"+Inf\"}}"), count.to_string()));
                lines.push((format!("_sum{{campaign=\"{c}\"}}"), format!("{sum}")));
                lines.push((format!("_count{{campaign=\"{c}\"}}"), count.to_string()));
            }
            metric(
                "callbackd_promise_first_dial_seconds",
                "histogram",
                "Seconds from the moment a callback became dialable to the first dial of its lead by its campaign \
                 (vicidial_log), by campaign, as the dials are seen.",
                &lines,
            );
            let lines: Vec<_> = s
                .promise_missed
                .iter()
                .map(|(c, n)| {
                    let c = label_value(c);
                    (format!("{{campaign=\"{c}\"}}"), n.to_string())
                })
                .collect();
            metric(
                "callbackd_promise_not_dialed_within_grace_total",
                "counter",
                "Callbacks whose grace (5 minutes after they became dialable) ran out without a dial, by campaign.",
                &lines,
            );
            if let Some(t) = s.last_pass {
                let age = vec![(String::new(), format!("{:.3}", t.elapsed().as_secs_f64()))];
                metric(
                    "callbackd_last_pass_age_seconds",
                    "gauge",
                    "Seconds since the last successful engine pass ended.",
                    &age,
                );
            }
        });
        metric(
            "callbackd_database_up",
            "gauge",
            "1 when this scrape could read the database.",
            &one(u64::from(backlog.is_some())),
        );
        if let Some(b) = backlog {
            metric(
                "callbackd_due_backlog",
                "gauge",
                "Due callbacks (callback_time passed) still ACTIVE: not yet activated, and not held by the 24-hour limit (TFHCCL).",
                &one(b.due),
            );
            metric(
                "callbackd_oldest_due_age_seconds",
                "gauge",
                "Age of the oldest ACTIVE callback past its callback_time; 0 when none.",
                &one(b.oldest_age_seconds),
            );
        }
        out
    }
}

/// What one engine pass did, as the metrics count it.
#[derive(Clone, Debug, Default)]
pub struct PassCounts {
    /// Callbacks made LIVE.
    pub activated: u64,
    /// Hopper rows inserted.
    pub inserted: u64,
    /// Callbacks killed (DNC).
    pub dead: u64,
    /// USERONLY callbacks moved to ANYONE.
    pub moved: u64,
    /// Callbacks held by the 24-hour limit.
    pub limited: u64,
    /// Rows skipped as bad.
    pub skipped: u64,
    /// Callbacks held now.
    pub pending: u64,
    /// Callbacks held now, by gate.
    pub held_by_gate: HashMap<&'static str, u64>,
    /// Rows skipped, by kind.
    pub skipped_by_kind: HashMap<&'static str, u64>,
}

/// What one email pass did.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmailCounts {
    /// Emails accepted by the mail server.
    pub sent: u64,
    /// Emails given up on.
    pub failed: u64,
    /// Alerts recorded as `NOT AVAILABLE`.
    pub not_available: u64,
    /// Claims whose delivery is unknown.
    pub unknown: u64,
}

/// The due-but-undone callbacks, as the database sees them now.
#[derive(Clone, Copy, Debug)]
pub struct Backlog {
    /// How many.
    pub due: u64,
    /// Seconds since the oldest one's `callback_time`.
    pub oldest_age_seconds: u64,
}

/// Reads the backlog.
async fn backlog(db: &Db) -> DbResult<Backlog> {
    let (due, oldest_age_seconds) = crate::db::callbacks::backlog(&mut db.session().await?).await?;
    Ok(Backlog {
        due,
        oldest_age_seconds,
    })
}

/// `/livez` fails once nothing has reported for this long: the unit's `WatchdogSec`.
const LIVE_LIMIT: Duration = Duration::from_secs(120);

/// Serves `/metrics`, `/health`, `/livez` and `/readyz` on `listener` until a shutdown.
pub async fn serve(listener: TcpListener, db: Db, config: MetricsConfig, mut shutdown: Shutdown) {
    let max_age = Duration::from_secs(config.max_pass_age_seconds);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    warn!("metrics: accept failed: {e}");
                    continue;
                }
            },
            _ = shutdown.recv() => return,
        };
        let db = db.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(req, db.clone(), max_age));
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                debug!("metrics: connection ended: {e}");
            }
        });
    }
}

/// How long one reading of the backlog serves every scrape.
const BACKLOG_FRESH: Duration = Duration::from_secs(1);

/// The backlog for a scrape: one database reading at most every
/// [`BACKLOG_FRESH`], shared by the scrapes meanwhile (several Prometheus
/// servers, a dashboard refreshing), so scrapes never hold a connection each.
async fn shared_backlog(db: &Db) -> Option<Backlog> {
    static LAST: tokio::sync::Mutex<Option<(Instant, Option<Backlog>)>> = tokio::sync::Mutex::const_new(None);
    let mut last = LAST.lock().await;
    if let Some((at, reading)) = *last
        && at.elapsed() < BACKLOG_FRESH
    {
        return reading;
    }
    // A scrape never waits long on a locked or unreachable database.
    let read = tokio::time::timeout(Duration::from_secs(2), backlog(db)).await;
    let reading = read.ok().and_then(Result::ok);
    *last = Some((Instant::now(), reading));
    reading
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    db: Db,
    max_age: Duration,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match req.uri().path() {
        "/metrics" => {
            let mut text = global().render(shared_backlog(&db).await);
            text.push_str(&crate::ops::monitor::render());
            (StatusCode::OK, text)
        }
        // The process works: its loops report within the limit (as systemd's watchdog sees it).
        "/livez" if global().alive(max_age.max(LIVE_LIMIT)) => (StatusCode::OK, "ok\n".to_owned()),
        "/livez" => (StatusCode::SERVICE_UNAVAILABLE, "stuck: no progress\n".to_owned()),
        "/readyz" => match global().readiness(max_age) {
            Ok(role) => (StatusCode::OK, format!("ok: {role}\n")),
            Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
        },
        "/health" => match global().health(max_age) {
            Ok(()) => (StatusCode::OK, "ok\n".to_owned()),
            Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
        },
        _ => (
            StatusCode::NOT_FOUND,
            "not found: try /metrics, /health, /livez or /readyz\n".to_owned(),
        ),
    };
    let response = Response::builder()
        .status(status)
        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_lands_in_its_buckets_by_destination_and_campaign() {
        let m = Metrics::default();
        m.lateness("live", "SALES ", 0.4);
        m.lateness("hopper", "SALES", 42.0);
        let text = m.render(None);
        assert!(text.contains("# TYPE callbackd_lateness_seconds histogram\n"), "{text}");
        assert!(
            text.contains("callbackd_lateness_seconds_bucket{to=\"live\",campaign=\"SALES\",le=\"1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_lateness_seconds_bucket{to=\"hopper\",campaign=\"SALES\",le=\"30\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_lateness_seconds_bucket{to=\"hopper\",campaign=\"SALES\",le=\"60\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_lateness_seconds_sum{to=\"hopper\",campaign=\"SALES\"} 42\n"),
            "{text}"
        );
    }

    #[test]
    fn a_pass_counts_and_lands_in_its_bucket() {
        let m = Metrics::default();
        let summary = PassCounts {
            activated: 3,
            inserted: 2,
            pending: 1,
            ..PassCounts::default()
        };
        m.set_role(true, None);
        m.engine_pass(Ok(&summary), Duration::from_millis(30));
        let text = m.render(Some(Backlog {
            due: 4,
            oldest_age_seconds: 9,
        }));
        assert!(text.contains("callbackd_callbacks_activated_total 3\n"), "{text}");
        assert!(text.contains("callbackd_callbacks_held 1\n"), "{text}");
        assert!(
            text.contains("callbackd_pass_duration_seconds_bucket{le=\"0.025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_pass_duration_seconds_bucket{le=\"0.05\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_due_backlog 4\n") && text.contains("callbackd_leader 1\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_callbacks_bad_rows{reason=\"unknown_campaign\"} 0\n"),
            "{text}"
        );
        let summary = PassCounts {
            skipped_by_kind: [("unknown_campaign", 2)].into(),
            ..PassCounts::default()
        };
        m.engine_pass(Ok(&summary), Duration::from_millis(30));
        let text = m.render(None);
        assert!(
            text.contains("callbackd_callbacks_bad_rows{reason=\"unknown_campaign\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("callbackd_callbacks_bad_rows{reason=\"lead_gone\"} 0\n"),
            "{text}"
        );
        assert_eq!(m.health(Duration::from_secs(60)), Ok(()));
        m.set_role(false, None);
        assert!(m.health(Duration::from_secs(60)).unwrap_err().starts_with("standby"));
    }
}
