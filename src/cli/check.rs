//! `check`: what an operator needs to know before (and while) running the
//! daemon, one line per item, `ok`, `warn` or `FAIL`, or one JSON document for
//! monitoring scripts. The configuration has been validated before this runs,
//! by the same code `run` uses.

use chrono::{Local, NaiveDateTime};
use serde::Serialize;

use crate::config::{Config, DatabaseTarget, WatchMode};
use crate::db::catalogue::Answer;
use crate::db::{self, Db, Session};
use crate::ops::error_text;
use crate::duties::alerts::usable_template;

/// How bad one item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    /// Fine.
    #[serde(rename = "ok")]
    Ok,
    /// Works, but something an operator should look at.
    #[serde(rename = "warn")]
    Warn,
    /// The daemon cannot work (or not fully) until this is fixed.
    #[serde(rename = "FAIL")]
    Fail,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// What was checked (`database`, `privileges`, ...).
    pub item: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was found, in plain words.
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Every item, in the order checked.
    pub items: Vec<Item>,
}

impl Report {
    fn add(&mut self, item: &'static str, status: Status, detail: impl Into<String>) {
        self.items.push(Item {
            item,
            status,
            detail: detail.into(),
        });
    }

    /// True when no item failed.
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.status != Status::Fail)
    }

    /// The text form: `ok`/`warn` lines on stdout, `FAIL` lines on stderr.
    pub fn print_text(&self) {
        for i in &self.items {
            let line = format!("{:<4} {}: {}", i.status.word(), i.item, i.detail);
            if i.status == Status::Fail {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
    }

    /// The JSON form: `{"passed": bool, "items": [{"item", "status", "detail"}]}` on stdout.
    pub fn print_json(&self) {
        let doc = serde_json::json!({ "passed": self.passed(), "items": self.items });
        println!("{doc}");
    }
}

/// Runs every check against the configured database.
pub async fn run(db: &Db, config: &Config, target: &DatabaseTarget) -> Report {
    let mut report = Report::default();
    report.add(
        "configuration",
        Status::Ok,
        format!(
            "{}; email alerts {}",
            config.origin.describe_sources(),
            if config.email.enabled { "on" } else { "off" }
        ),
    );
    let mut session = match db.session().await {
        Ok(s) => s,
        Err(e) => {
            report.add(
                "database",
                Status::Fail,
                format!("cannot connect to {target}: {}", error_text(&e)),
            );
            return report;
        }
    };
    let version = db::schema::version(&mut session).await.unwrap_or_default();
    report.add(
        "database",
        Status::Ok,
        format!("connected to {target}, server {version}"),
    );
    report.add(
        "change detection",
        Status::Ok,
        if db::caches_table_stats(&version) {
            "MySQL 8 caches information_schema.TABLES.UPDATE_TIME: each session sets \
             information_schema_stats_expiry = 0, so settings changes are seen at once"
        } else {
            "information_schema.TABLES.UPDATE_TIME is current on this server: settings changes are seen at once"
        },
    );
    schema(&mut session, &mut report).await;
    privileges(&mut session, config, &mut report).await;
    clock(&mut session, &mut report).await;
    odd_rows(&mut session, &mut report).await;
    if config.email.enabled {
        container(&mut session, &mut report).await;
    }
    binlog(config, target, &mut report).await;
    report
}

async fn schema(session: &mut Session, report: &mut Report) {
    match db::schema::problems(session).await {
        Ok(problems) if problems.is_empty() => {
            report.add("schema", Status::Ok, "every table and column the daemon uses is there")
        }
        Ok(problems) => {
            for p in problems {
                report.add("schema", Status::Fail, p);
            }
        }
        Err(e) => report.add(
            "schema",
            Status::Fail,
            format!("cannot read information_schema: {}", error_text(&e)),
        ),
    }
    if let Ok(false) = db::schema::modify_date_tracks_changes(session).await {
        report.add(
            "schema",
            Status::Warn,
            "vicidial_callbacks.modify_date is not stamped on update (a schema created with \
             explicit_defaults_for_timestamp=ON): the daemon then takes a callback's time as the moment it \
             was made dialable, and a lead dialed by hand between that time and the activation is not dialed again",
        );
    }
}

/// The privileges the daemon's statements need for the features the
/// configuration turns on, as the server itself judges them: each entry of
/// the catalogue ([`db::catalogue`]) by its `EXPLAIN` probe, so grants
/// through roles, to `PUBLIC` or on columns count as they will for the
/// daemon's own statements.
async fn privileges(session: &mut Session, config: &Config, report: &mut Report) {
    let needs = db::catalogue::needed(config);
    let mut missing = Vec::new();
    let mut not_yet = std::collections::BTreeSet::new();
    for need in &needs {
        match db::catalogue::probe(session, &need.probe()).await {
            Ok(Answer::Allowed) => {}
            // The schema item names a missing VICIdial table.
            Ok(Answer::NoTable) if !db::catalogue::is_own(need.table) => {}
            Ok(Answer::NoTable) => {
                not_yet.insert(need.table);
            }
            Ok(Answer::Denied(_)) => {
                let why = if need.why == "reads" {
                    String::new()
                } else {
                    format!(" ({})", need.why)
                };
                missing.push(format!("{} on {}{why}", need.privilege.name(), need.table));
            }
            Err(e) => {
                report.add(
                    "privileges",
                    Status::Fail,
                    format!("cannot ask the server about {}: {}", need.table, error_text(&e)),
                );
                return;
            }
        }
    }
    let mut commands = Vec::new();
    for need in db::catalogue::commands() {
        if let Ok(Answer::Denied(_)) = db::catalogue::probe(session, &need.probe()).await {
            commands.push(format!("{} on {} ({})", need.privilege.name(), need.table, need.why));
        }
    }
    if !not_yet.is_empty() {
        report.add(
            "privileges",
            Status::Warn,
            format!(
                "the daemon's own tables ({}) do not exist yet: it makes them at its first start, which \
                 needs CREATE on the database; without it, run sql/callbackd.sql as an administrator",
                not_yet.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    if !commands.is_empty() {
        report.add(
            "privileges",
            Status::Warn,
            format!(
                "manager commands run as this user would fail: missing {}",
                commands.join(", ")
            ),
        );
    }
    if missing.is_empty() {
        report.add(
            "privileges",
            Status::Ok,
            format!(
                "the server allows all {} kinds of statement the enabled features send",
                needs.len()
            ),
        );
    } else {
        report.add("privileges", Status::Fail, format!("missing: {}", missing.join(", ")));
    }
}

async fn clock(session: &mut Session, report: &mut Report) {
    match db::clock::now(session).await {
        Ok((now, utc)) => {
            // The offset to the minute (the two reads are microseconds apart).
            let offset = ((now - utc).num_seconds() as f64 / 60.0).round() as i32 * 60;
            let mut warnings = clock_warnings(now, offset, Local::now());
            match db::schema::server_gmt(session).await {
                Ok(servers) => warnings.extend(server_gmt_warnings(&servers, offset)),
                Err(e) => warnings.push(format!("cannot read the servers table: {}", error_text(&e))),
            }
            if warnings.is_empty() {
                report.add(
                    "clock",
                    Status::Ok,
                    format!(
                        "the database ({}, UTC{:+.2}) agrees with this host and the servers table",
                        now.format("%Y-%m-%d %H:%M:%S"),
                        f64::from(offset) / 3600.0
                    ),
                );
            }
            for w in warnings {
                report.add("clock", Status::Warn, w);
            }
        }
        Err(e) => report.add(
            "clock",
            Status::Fail,
            format!("cannot read the database clock: {}", error_text(&e)),
        ),
    }
}

/// Open callbacks the daemon treats differently from VICIdial on purpose
/// (README, "Differences from VICIdial"): worth an operator's look, as the
/// rows came from somewhere.
async fn odd_rows(session: &mut Session, report: &mut Report) {
    let odd = match db::manage::odd_rows(session).await {
        Ok(odd) => odd,
        Err(e) => {
            report.add(
                "callbacks",
                Status::Fail,
                format!("cannot read vicidial_callbacks: {}", error_text(&e)),
            );
            return;
        }
    };
    for (status, line) in odd_rows_lines(odd) {
        report.add("callbacks", status, line);
    }
}

/// The `callbacks` lines of the report for these counts.
fn odd_rows_lines(odd: db::manage::OddRows) -> Vec<(Status, String)> {
    let mut lines = Vec::new();
    if odd.empty_lead_status > 0 {
        lines.push((
            Status::Warn,
            format!(
                "{} open callbacks have an empty or NULL lead_status: their leads get CALLBK when they trigger \
                 (VICIdial would give them an empty status)",
                odd.empty_lead_status
            ),
        ));
    }
    if odd.unknown_campaign > 0 {
        lines.push((
            Status::Warn,
            format!(
                "{} open callbacks name a campaign that does not exist: the daemon skips them and logs each \
                 (VICIdial would queue a hopper row no dialer takes)",
                odd.unknown_campaign
            ),
        ));
    }
    if lines.is_empty() {
        lines.push((
            Status::Ok,
            "no open callback has an empty lead_status or a campaign that does not exist".to_string(),
        ));
    }
    lines
}

async fn container(session: &mut Session, report: &mut Report) {
    let id = db::alerts::CONTAINER_ID;
    match db::alerts::container(session).await {
        Ok(None) => report.add(
            "email container",
            Status::Warn,
            format!("there is no {id} settings container: alerts will be recorded NOT AVAILABLE"),
        ),
        Ok(Some(text)) => match usable_template(Some(&text)) {
            Ok(t) => report.add(
                "email container",
                Status::Ok,
                format!("{id} parses; from {}, {} body lines", t.from.trim(), t.body.len()),
            ),
            Err(why) => report.add("email container", Status::Fail, why),
        },
        Err(e) => report.add(
            "email container",
            Status::Fail,
            format!("cannot read {id}: {}", error_text(&e)),
        ),
    }
}

/// Event-driven mode (`engine.watch`, see [`crate::engine::binlog`]) needs row
/// events and two replication grants: this tries it, with a real stream
/// from the server's current end, closed at once.
async fn binlog(config: &Config, target: &DatabaseTarget, report: &mut Report) {
    let wanted = config.engine.watch != WatchMode::Poll;
    let server_id = crate::engine::binlog::server_id(config, &target.opts);
    let tried = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        crate::engine::binlog::probe(&target.opts, server_id),
    )
    .await;
    let (status, detail) = match tried {
        Ok(Ok(Ok(ready))) => (
            Status::Ok,
            format!(
                "binlog mode would work: row events from {} (binlog_row_image {}, replica server_id {server_id}); \
                 engine.watch is {:?}",
                ready.end, ready.settings.row_image, config.engine.watch
            ),
        ),
        Ok(Ok(Err(why))) if wanted => (
            Status::Warn,
            format!("binlog mode unavailable, the daemon polls instead: {why}"),
        ),
        Ok(Ok(Err(why))) => (
            Status::Ok,
            format!("binlog mode would not work ({why}); polling (engine.watch) works regardless"),
        ),
        Ok(Err(e)) => (
            if wanted { Status::Warn } else { Status::Ok },
            format!("cannot try binlog mode: {}", error_text(&e)),
        ),
        Err(_) => (
            if wanted { Status::Warn } else { Status::Ok },
            "cannot try binlog mode: no answer within 10 s".to_owned(),
        ),
    };
    report.add("binlog", status, detail);
    if wanted {
        let dir = &config.binlog.state_dir;
        let probe = dir.join(".check");
        match std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)) {
            Ok(()) => report.add(
                "binlog",
                Status::Ok,
                format!("the position is kept in {}", dir.display()),
            ),
            Err(e) => report.add(
                "binlog",
                Status::Warn,
                format!(
                    "cannot write binlog.state_dir {} ({e}): a restart will start at the log's end, with a full pass",
                    dir.display()
                ),
            ),
        }
    }
}

/// VICIdial mixes the host's and the database's clocks and assumes they agree.
fn clock_warnings(db_now: NaiveDateTime, db_offset_secs: i32, host: chrono::DateTime<Local>) -> Vec<String> {
    let mut warnings = Vec::new();
    let skew = (host.naive_local() - db_now).num_milliseconds().abs();
    if skew > 2000 {
        warnings.push(format!(
            "the database clock ({db_now}) and this host's clock ({}) differ by {:.1} s; VICIdial's jobs assume they agree",
            host.naive_local().format("%Y-%m-%d %H:%M:%S"),
            skew as f64 / 1000.0
        ));
    }
    let host_offset = host.offset().local_minus_utc();
    if (host_offset - db_offset_secs).abs() >= 60 {
        warnings.push(format!(
            "the database's time zone (UTC{:+.2}) differs from this host's (UTC{:+.2})",
            f64::from(db_offset_secs) / 3600.0,
            f64::from(host_offset) / 3600.0
        ));
    }
    warnings
}

/// VICIdial's call-time code takes "UTC now" as its host clock minus
/// `servers.local_gmt` (plus an hour in summer time); the daemon takes the
/// database's own offset. They must agree, or the two disagree on call times.
fn server_gmt_warnings(servers: &[(String, String)], db_offset_secs: i32) -> Vec<String> {
    let db_hours = f64::from(db_offset_secs) / 3600.0;
    servers
        .iter()
        .filter_map(|(ip, gmt)| {
            let Ok(hours) = gmt.trim().parse::<f64>() else {
                return Some(format!("server {ip} has local_gmt {gmt:?}, which is not a number"));
            };
            let agrees = (hours - db_hours).abs() < 0.01 || (hours + 1.0 - db_hours).abs() < 0.01;
            (!agrees).then(|| {
                format!(
                    "server {ip} has local_gmt {gmt} but the database is at UTC{db_hours:+.2}: \
                     VICIdial and the daemon will disagree on leads' call times"
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn odd_rows_warn_with_their_counts_and_none_is_ok() {
        use crate::db::manage::OddRows;
        let lines = odd_rows_lines(OddRows::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0, Status::Ok);
        let lines = odd_rows_lines(OddRows {
            empty_lead_status: 2,
            unknown_campaign: 3,
        });
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|(s, _)| *s == Status::Warn));
        assert!(
            lines[0]
                .1
                .starts_with("2 open callbacks have an empty or NULL lead_status")
        );
        assert!(
            lines[1]
                .1
                .starts_with("3 open callbacks name a campaign that does not exist")
        );
    }

    #[test]
    fn clocks_that_agree_give_no_warning() {
        let host = Local.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap();
        let offset = host.offset().local_minus_utc();
        assert!(clock_warnings(host.naive_local(), offset, host).is_empty());
        let w = clock_warnings(host.naive_local() - chrono::Duration::seconds(30), offset, host);
        assert_eq!(w.len(), 1, "{w:?}");
        let w = clock_warnings(host.naive_local(), offset + 3600, host);
        assert!(w[0].contains("time zone"), "{w:?}");
    }

    #[test]
    fn server_gmt_must_match_the_database_offset_or_its_summer_time() {
        let servers = vec![
            ("10.0.0.1".to_string(), "-5.00".to_string()),
            ("10.0.0.2".to_string(), "-7.00".to_string()),
            ("10.0.0.3".to_string(), "x".to_string()),
        ];
        let w = server_gmt_warnings(&servers, -5 * 3600);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("10.0.0.2") && w[1].contains("10.0.0.3"), "{w:?}");
        // In summer time (UTC-4) a -5.00 server is right.
        assert_eq!(server_gmt_warnings(&servers[..1], -4 * 3600), Vec::<String>::new());
    }
}
