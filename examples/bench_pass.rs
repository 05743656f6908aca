//! Benchmark: one pass over N due callbacks (70% ANYONE), on the throwaway
//! MariaDB. Run it with `scripts/bench.sh` (which starts the server), e.g.
//! `scripts/bench.sh --callbacks 50000`.
//!
//! It measures one pass on freshly generated data, in three cases:
//! - `plain`: every gate open (24hours call time, no DNC, no limit);
//! - `dnc`: the performance issue's case: the DNC check on (`callback_dnc`,
//!   internal and campaign lists, 2% of the numbers listed), every other
//!   gate open;
//! - `gated`: the DNC check, the 24-hour limit on (by phone number), a
//!   9am-9pm call time with leads in four time zones (some outside their
//!   hours: held), an hours block;
//!
//! and after each, `second`: the pass right after (held callbacks are
//! decided once more), and `idle`: the pass after that, with nothing left to
//! do, which is what the daemon pays every full pass while callbacks are held.
//!
//! `--case NAME` runs only that case (`plain`, `dnc` or `gated`).
//!
//! `--history N` (default: as many as `--callbacks`) adds N old callbacks of
//! N old leads (dialed LIVE ANYONE ones and INACTIVE ones, as a VICIdial site
//! accumulates), so the scans run against a realistically large table.
//! `--scale N` (default 1,000,000; 0 skips it) then runs the `dnc` case once
//! more with N old callbacks, and prints how its pass compares.
//!
//! `--cron-peer DIR` (what `scripts/bench.sh --vicidial VICIDIAL_DIR` passes,
//! DIR prepared by `scripts/cron-peer.sh`) also times VICIdial's own cron job,
//! `AST_VDhopper.pl`, on the `plain` and `dnc` data generated the same way
//! into a database of VICIdial's complete schema, and prints the ratios to
//! the daemon's passes. (The `gated` case depends on the hour for the cron,
//! which runs by the clock.)
//!
//! The cell of `scripts/bench.sh`'s matrix: `--schema FILE` (VICIdial's own
//! create script for the daemon's database too), `--hopper-engine ENGINE`,
//! `--key-buffer MB` (see `support/shape.rs`), and `--hopper-rows N`: N rows
//! of other leads already in the hopper, as a VICIdial hopper holds, for the
//! daemon and the cron alike. The last lines, `result: NAME VALUE`, are what
//! the matrix reads.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, Pool};

#[path = "support/server.rs"]
mod server;
#[path = "support/shape.rs"]
mod shape;
use shape::Shape;
use vicidial_callbackd::config::EngineConfig;
use vicidial_callbackd::db::Db;
use vicidial_callbackd::engine::{Engine, PassOptions};

const DB: &str = "callbackd_bench";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let n = arg("--callbacks", 50_000);
    let batch = arg("--batch", 500) as usize;
    let history = arg("--history", n);
    let hopper_rows = arg("--hopper-rows", 0);
    let shape = Shape::from_args(&args);
    let cron_peer = args
        .iter()
        .position(|a| a == "--cron-peer")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let server =
        std::env::var("CALLBACKD_TEST_SERVER").unwrap_or_else(|_| "mysql://callbackd:callbackd@127.0.0.1:33306".into());
    println!("callbacks={n} (70% ANYONE) batch={batch} history={history} hopper rows before the pass={hopper_rows}");
    let key_buffer = server_settings(&server, &shape).await;
    let mut passes = Vec::new();
    let only = args.iter().position(|a| a == "--case").and_then(|i| args.get(i + 1));
    for case in [Case::Plain, Case::Dnc, Case::Gated] {
        if only.is_some_and(|name| name != case.name()) {
            continue;
        }
        passes.push((
            case,
            run(&server, &shape, n, case, history, hopper_rows, batch, true).await,
        ));
    }
    let scale = arg("--scale", 1_000_000);
    if let Some(dnc) = passes.iter().find(|(c, _)| *c == Case::Dnc).map(|(_, t)| *t)
        && scale > 0
    {
        let big = run(&server, &shape, n, Case::Dnc, scale, hopper_rows, batch, false).await;
        println!(
            "scale: the dnc pass with {} callbacks in the table: {:.3} s, {:+.0}% against {} ({:.3} s)",
            n + scale,
            big.pass.as_secs_f64(),
            (big.pass.as_secs_f64() / dnc.pass.as_secs_f64() - 1.0) * 100.0,
            n + history,
            dnc.pass.as_secs_f64()
        );
    }
    let mut results = Vec::new();
    for (case, first) in &passes {
        results.push((format!("{}_pass_s", case.name()), first.pass.as_secs_f64()));
        results.push((format!("{}_longest_ms", case.name()), first.longest_ms));
    }
    match cron_peer {
        Some(dir) => {
            for (case, daemon) in passes.iter().filter(|(c, _)| *c != Case::Gated) {
                let shape = Data {
                    hopper_engine: shape.hopper_engine.as_deref(),
                    hopper_rows,
                    ..Data::default()
                };
                let took = cron(&server, &dir, &shape, n, history, *case, daemon.pass).await;
                results.push((format!("{}_cron_s", case.name()), took.as_secs_f64()));
                results.push((
                    format!("{}_ratio", case.name()),
                    took.as_secs_f64() / daemon.pass.as_secs_f64(),
                ));
            }
        }
        None => println!(
            "cron peer: not run (scripts/bench.sh --vicidial DIR, DIR a VICIdial source checkout, runs VICIdial's \
             AST_VDhopper.pl on the same data and prints the ratio)"
        ),
    }
    if let Some(bytes) = key_buffer {
        let pool = Pool::new(Opts::from_url(&server).unwrap());
        let mut c = pool.get_conn().await.unwrap();
        c.query_drop(format!("SET GLOBAL key_buffer_size = {bytes}"))
            .await
            .unwrap();
        drop(c);
        pool.disconnect().await.unwrap();
    }
    for (name, value) in results {
        println!("result: {name} {value:.3}");
    }
}

/// A first pass's figures.
#[derive(Clone, Copy)]
struct First {
    pass: Duration,
    longest_ms: f64,
}

/// Starts this process's peak resident set (`VmHWM`) again from its present
/// size (Linux's `clear_refs`), so the figure read after a pass is the
/// pass's peak: the process before it generated the data.
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting VmHWM through /proc/self/clear_refs");
}

/// Sets the cell's key buffer and prints the server's shape: MyISAM caches
/// index blocks only in the key buffer, and a pass reads and updates the
/// indexes of tables that, with `--scale`, hold a million rows. Returns the
/// key buffer to put back.
async fn server_settings(server: &str, shape: &Shape) -> Option<u64> {
    let pool = Pool::new(Opts::from_url(server).unwrap());
    let mut c = pool.get_conn().await.unwrap();
    let before = shape.set_key_buffer(&mut c).await;
    println!("server: {}", shape.describe(&mut c, DB).await);
    drop(c);
    pool.disconnect().await.unwrap();
    before
}

/// One case on fresh data: the first pass, timed and printed, then (with
/// `after`) the two passes after it; returns the first pass's figures.
#[allow(clippy::too_many_arguments)]
async fn run(
    server: &str,
    shape: &Shape,
    n: u64,
    case: Case,
    history: u64,
    hopper_rows: u64,
    batch: usize,
    after: bool,
) -> First {
    let data = Data {
        db: DB,
        schema: shape.schema_sql(),
        vicidial_schema: shape.schema.is_some(),
        due_now: false,
        hopper_engine: shape.hopper_engine.as_deref(),
        hopper_rows,
    };
    let pool = setup(server, &data, n, case, history).await;
    let db = Db::new(Opts::from_url(&format!("{server}/{DB}")).unwrap());
    let mut engine = Engine::new(
        db.clone(),
        EngineConfig {
            batch_size: batch,
            ..EngineConfig::default()
        },
    );
    let at = Some(chrono::NaiveDateTime::parse_from_str("2026-03-04 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap());
    let mariadb = server::mariadb_pid(&mut pool.get_conn().await.unwrap()).await;
    vicidial_callbackd::db::longest_statement_us(true);
    reset_peak_rss();
    let cpu = server::cpu_seconds(mariadb);
    let own = server::cpu_seconds(std::process::id());
    let started = Instant::now();
    let s = engine
        .pass(PassOptions { at, dry_run: false }, &|| false)
        .await
        .unwrap();
    let first = started.elapsed();
    let longest_ms = vicidial_callbackd::db::longest_statement_us(false) as f64 / 1000.0;
    let cpu = server::cpu_seconds(mariadb) - cpu;
    let own = server::cpu_seconds(std::process::id()) - own;
    let peak = server::peak_rss_kb(std::process::id()) as f64 / 1024.0;
    println!(
        "{}{}: {:.3} s for one pass ({:.0} callbacks/s), longest statement {:.1} ms, MariaDB busy {:.2} s of CPU \
         ({:.2} cores), this process {own:.2} s of CPU, its peak resident set during the pass {peak:.1} MB (wall \
         clock around Engine::pass and around each statement, /proc/<mariadbd>/stat and /proc/self/stat, VmHWM \
         reset before the pass): {s}",
        case.name(),
        if after {
            String::new()
        } else {
            format!(" with {} in the table", n + history)
        },
        first.as_secs_f64(),
        n as f64 / first.as_secs_f64(),
        longest_ms,
        cpu,
        cpu / first.as_secs_f64()
    );
    for label in ["second", "idle"].into_iter().filter(|_| after) {
        let started = Instant::now();
        let s = engine
            .pass(PassOptions { at, dry_run: false }, &|| false)
            .await
            .unwrap();
        println!(
            "{} {label}: {:.1} ms: {s}",
            case.name(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    db.close().await.unwrap();
    pool.get_conn()
        .await
        .unwrap()
        .query_drop(format!("DROP DATABASE {DB}"))
        .await
        .unwrap();
    pool.disconnect().await.unwrap();
    First {
        pass: first,
        longest_ms,
    }
}

/// The benchmark's cases (see the module's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Plain,
    Dnc,
    Gated,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Plain => "plain",
            Case::Dnc => "dnc",
            Case::Gated => "gated",
        }
    }
}

/// Where and how `setup` generates the data.
#[derive(Default)]
struct Data<'a> {
    db: &'a str,
    /// The SQL creating the tables.
    schema: String,
    /// `schema` is VICIdial's own MySQL_AST_CREATE_tables.sql.
    vicidial_schema: bool,
    /// Every time moved so that the pass time, 2026-03-04 12:00:00, is the
    /// database's NOW(): the callbacks are due by the clock, for the cron.
    due_now: bool,
    /// The hopper's engine, when not the schema's.
    hopper_engine: Option<&'a str>,
    /// Rows of other leads in the hopper before the pass.
    hopper_rows: u64,
}

/// VICIdial's hopper cron job, `AST_VDhopper.pl` from the tree given to
/// `scripts/cron-peer.sh` (which prepared `dir`), on the data of one case:
/// one run, timed as wall clock around the process, with what it did to the
/// data, and its ratio to the daemon's pass over the same.
async fn cron(
    server: &str,
    dir: &Path,
    shape: &Data<'_>,
    n: u64,
    history: u64,
    case: Case,
    daemon: Duration,
) -> Duration {
    let conf = std::fs::read_to_string(dir.join("astguiclient.conf")).unwrap();
    let db = conf
        .lines()
        .find_map(|l| l.strip_prefix("VARDB_database => "))
        .expect("VARDB_database in the peer's astguiclient.conf")
        .trim()
        .to_string();
    let data = Data {
        db: &db,
        schema: std::fs::read_to_string(dir.join("MySQL_AST_CREATE_tables.sql")).unwrap(),
        vicidial_schema: true,
        due_now: true,
        hopper_engine: shape.hopper_engine,
        hopper_rows: shape.hopper_rows,
    };
    let pool = setup(server, &data, n, case, history).await;
    let mut c = pool.get_conn().await.unwrap();
    c.query_drop(format!("USE {db}")).await.unwrap();
    // The cron compares callback_time with its host's clock (`$now_date`,
    // AST_VDhopper.pl:135-145 and 573), and VICIdial assumes host and database
    // agree: perl runs in the database's current offset from UTC, as a fixed
    // zone, which then has no daylight saving, so `servers.local_gmt` is that
    // offset (the cron adds an hour when its zone is in DST, AST_VDhopper.pl:450-452).
    let offset: i64 = c
        .query_first("SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
        .await
        .unwrap()
        .unwrap();
    let offset = (offset as f64 / 15.0).round() as i64 * 15;
    // A POSIX TZ: a name of three letters or more, then the hours west of UTC.
    let tz = format!(
        "DBT{}{}:{:02}",
        if offset > 0 { "-" } else { "" },
        offset.abs() / 60,
        offset.abs() % 60
    );
    let host_now = std::process::Command::new("perl")
        .args([
            "-e",
            "@t = localtime; printf('%04d-%02d-%02d %02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0])",
        ])
        .env("TZ", &tz)
        .output()
        .expect("perl runs");
    let host_now = String::from_utf8_lossy(&host_now.stdout).to_string();
    let skew: Option<i64> = c
        .exec_first("SELECT TIMESTAMPDIFF(SECOND, NOW(), ?)", (host_now.as_str(),))
        .await
        .unwrap()
        .flatten();
    if skew.is_none_or(|s| s.abs() > 5) {
        println!("cron peer: perl's clock under TZ={tz} reads {host_now:?}, not the database's time ({skew:?} s off)");
    }
    // The cron stops without a servers row for VARserver_ip
    // (AST_VDhopper.pl:389-393); vd_server_logs 'Y' (the schema's default,
    // MySQL_AST_CREATE_tables.sql:134) has it write its log files, as on a
    // server (AST_VDhopper.pl:399, 3939-3950).
    c.query_drop(format!(
        "INSERT INTO servers (server_id, server_description, server_ip, active, local_gmt, vd_server_logs) \
         VALUES ('BENCH', 'Benchmark', '127.0.0.1', 'Y', '{:.2}', 'Y')",
        offset as f64 / 60.0
    ))
    .await
    .unwrap();
    let due: u64 = c
        .query_first(format!(
            "SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'ACTIVE' AND callback_time <= NOW() AND callback_id <= {n}"
        ))
        .await
        .unwrap()
        .unwrap();
    // `-q`, as VICIdial's install guides put it in the crontab
    // (docs/BASE_INSTALL.txt:466: `* * * * * /usr/share/astguiclient/AST_VDhopper.pl -q`).
    let started = Instant::now();
    let out = std::process::Command::new("perl")
        .arg(dir.join("AST_VDhopper.pl"))
        .arg("-q")
        .env("TZ", &tz)
        .output()
        .expect("perl runs");
    let took = started.elapsed();
    if !out.status.success() {
        println!(
            "cron peer: AST_VDhopper.pl failed ({}) after {:.1} s: {}",
            out.status,
            took.as_secs_f64(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let grouped = |rows: Vec<(String, u64)>| {
        rows.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let callbacks: Vec<(String, u64)> = c
        .query(format!(
            "SELECT CONCAT(recipient, ' ', status), COUNT(*) FROM vicidial_callbacks WHERE callback_id <= {n} \
             GROUP BY recipient, status ORDER BY recipient, status"
        ))
        .await
        .unwrap();
    let live = callbacks
        .iter()
        .filter(|(k, _)| k.ends_with(" LIVE"))
        .map(|(_, v)| v)
        .sum::<u64>();
    let hopper: Vec<(String, u64)> = c
        .query(
            "SELECT CONCAT('source ', IF(source = '', \"''\", source), ' ', status), COUNT(*) FROM vicidial_hopper \
             GROUP BY source, status ORDER BY source, status",
        )
        .await
        .unwrap();
    let rows = hopper.iter().map(|(_, v)| v).sum::<u64>();
    let leads: Vec<(String, u64)> = c
        .query(format!(
            "SELECT CONCAT(status, ' called_since_last_reset=', called_since_last_reset), COUNT(*) FROM vicidial_list \
             WHERE lead_id <= {n} GROUP BY status, called_since_last_reset ORDER BY status, called_since_last_reset"
        ))
        .await
        .unwrap();
    // A hopper row per ANYONE callback, each for its own lead, once.
    let anyone_in_hopper: u64 = c
        .query_first(format!(
            "SELECT COUNT(DISTINCT h.lead_id) FROM vicidial_hopper h JOIN vicidial_callbacks cb ON cb.lead_id = h.lead_id \
             WHERE cb.callback_id <= {n} AND cb.recipient = 'ANYONE' AND h.source = 'C'"
        ))
        .await
        .unwrap()
        .unwrap();
    let case = case.name();
    println!(
        "cron peer, {case}: AST_VDhopper.pl -q {:.1} s for the same {n} (wall clock of one run of perl, {due} callbacks \
         due by its clock and the database's) (activated={live}, hopper rows={rows}, of them {anyone_in_hopper} the \
         ANYONE callbacks' leads); daemon {case} pass {:.3} s: ratio {:.1}x (cron / daemon)",
        took.as_secs_f64(),
        daemon.as_secs_f64(),
        took.as_secs_f64() / daemon.as_secs_f64()
    );
    println!("cron peer, {case}: callbacks after its run: {}", grouped(callbacks));
    println!("cron peer, {case}: their leads after its run: {}", grouped(leads));
    println!("cron peer, {case}: hopper after its run: {}", grouped(hopper));
    println!(
        "cron peer, {case}: its output: {:?}; its log: {}",
        String::from_utf8_lossy(&out.stdout).trim(),
        dir.join("logs").display()
    );
    drop(c);
    pool.get_conn()
        .await
        .unwrap()
        .query_drop(format!("DROP DATABASE {db}"))
        .await
        .unwrap();
    pool.disconnect().await.unwrap();
    took
}

/// A fresh database with `n` leads and callbacks generated by MariaDB's
/// sequence engine, all due at 09:00-09:59 on 2026-03-04 (with `due_now`,
/// the same hours before NOW() as those are before 12:00 that day).
async fn setup(server: &str, data: &Data<'_>, n: u64, case: Case, history: u64) -> Pool {
    let db = data.db;
    let pool = Pool::new(Opts::from_url(server).unwrap());
    let mut c = pool.get_conn().await.unwrap();
    c.query_drop(format!("DROP DATABASE IF EXISTS {db}")).await.unwrap();
    c.query_drop(format!("CREATE DATABASE {db}")).await.unwrap();
    c.query_drop(format!("USE {db}")).await.unwrap();
    c.query_drop(data.schema.as_str()).await.unwrap();
    shape::prepare_tables(&mut c, data.vicidial_schema, data.hopper_engine).await;
    // Every time below is `'...' + INTERVAL @shift SECOND`.
    c.query_drop(if data.due_now {
        "SET @shift = TIMESTAMPDIFF(SECOND, '2026-03-04 12:00:00', NOW())"
    } else {
        "SET @shift = 0"
    })
    .await
    .unwrap();
    let gated = case == Case::Gated;
    let (call_time, dnc, limit) = match case {
        Case::Plain => ("24hours", "DISABLED", "DISABLED"),
        Case::Dnc => ("24hours", "ENABLED", "DISABLED"),
        Case::Gated => ("9am-9pm", "ENABLED", "PHONE_NUMBER"),
    };
    c.query_drop(format!(
        "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, local_call_time, scheduled_callbacks, \
         callback_dnc, use_internal_dnc, use_campaign_dnc, call_limit_24hour_method, call_limit_24hour, callback_hours_block) \
         VALUES ('BENCH', 'Benchmark', 'Y', '{call_time}', 'Y', '{dnc}', 'Y', 'AREACODE', '{limit}', 3, {})",
        if gated { 1 } else { 0 }
    ))
    .await
    .unwrap();
    if gated {
        c.query_drop("UPDATE system_settings SET call_limit_24hour = '1'")
            .await
            .unwrap();
    }
    c.query_drop(
        "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active) VALUES (9001, 'Bench', 'BENCH', 'Y')",
    )
    .await
    .unwrap();
    // Offsets -5, -6, -7, -10: at 12:00 EST (17:00 UTC, the test server runs in
    // New York) the -10 leads are at 07:00, outside 9am-9pm.
    c.query_drop(format!(
        "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, first_name, \
         last_name, state, gmt_offset_now, vendor_lead_code, called_since_last_reset, last_local_call_time) \
         SELECT seq, 9001, 9001, 'CBHOLD', '1', CONCAT('312', LPAD(seq, 7, '0')), 'Pat', CONCAT('Lead', seq), 'IL', \
                ELT(1 + seq % 4, '-5.00', '-6.00', '-7.00', '-10.00'), CONCAT('V', seq), 'Y', ('2026-03-04 07:55:00' + INTERVAL @shift SECOND) \
         FROM seq_1_to_{n}"
    ))
    .await
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, \
         user, recipient, lead_status) \
         SELECT seq, seq, 9001, 'BENCH', 'ACTIVE', \
                IF(seq % 50 = 0, ('2026-03-04 16:30:00' + INTERVAL @shift SECOND), ('2026-03-04 08:00:00' + INTERVAL @shift SECOND)), \
                ('2026-03-04 09:00:00' + INTERVAL @shift SECOND) + INTERVAL (seq % 3600) SECOND, '1001', \
                IF(seq % 10 < 7, 'ANYONE', 'USERONLY'), 'CALLBK' \
         FROM seq_1_to_{n}"
    ))
    .await
    .unwrap();
    if history > 0 {
        c.query_drop(format!(
            "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, \
             called_since_last_reset, last_local_call_time) \
             SELECT 1000000 + seq, 9001, 9001, 'NA', '1', CONCAT('212', LPAD(seq, 7, '0')), 'Y', ('2025-06-01 10:00:00' + INTERVAL @shift SECOND) \
             FROM seq_1_to_{history}"
        ))
        .await
        .unwrap();
        c.query_drop(format!(
            "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
             callback_time, user, recipient, lead_status) \
             SELECT 1000000 + seq, 1000000 + seq, 9001, 'BENCH', IF(seq % 3 = 0, 'INACTIVE', 'LIVE'), \
                    ('2025-05-01 10:00:00' + INTERVAL @shift SECOND), ('2025-05-02 10:00:00' + INTERVAL @shift SECOND) + INTERVAL (seq % 300) DAY, '1001', \
                    IF(seq % 10 < 7, 'ANYONE', 'USERONLY'), 'CALLBK' \
             FROM seq_1_to_{history}"
        ))
        .await
        .unwrap();
    }
    if case != Case::Plain {
        // 2% of the numbers on DNC lists.
        c.query_drop(format!(
            "INSERT INTO vicidial_dnc (phone_number) SELECT CONCAT('312', LPAD(seq, 7, '0')) FROM seq_1_to_{n} WHERE seq % 100 = 1"
        ))
        .await
        .unwrap();
        c.query_drop(format!(
            "INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) \
             SELECT CONCAT('312', LPAD(seq, 7, '0')), 'BENCH' FROM seq_1_to_{n} WHERE seq % 100 = 2"
        ))
        .await
        .unwrap();
    }
    if gated {
        // 1% over the 24-hour limit.
        c.query_drop(format!(
            "INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code) \
             SELECT s.seq, 9001, ('2026-03-04 08:00:00' + INTERVAL @shift SECOND), CONCAT('312', LPAD(s.seq, 7, '0')), '1' \
             FROM seq_1_to_{n} s JOIN seq_1_to_3 r WHERE s.seq % 100 = 3"
        ))
        .await
        .unwrap();
    }
    if data.hopper_rows > 0 {
        // Leads the hopper job queued for the campaign (source 'S'), waiting
        // for the dialer, with their own leads.
        let k = data.hopper_rows;
        c.query_drop(format!(
            "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, \
             called_since_last_reset, gmt_offset_now, state) \
             SELECT 3000000 + seq, 9001, 9001, 'NEW', '1', CONCAT('213', LPAD(seq, 7, '0')), 'N', '-5.00', 'IL' \
             FROM seq_1_to_{k}"
        ))
        .await
        .unwrap();
        c.query_drop(format!(
            "INSERT INTO vicidial_hopper (lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, \
             alt_dial, priority, source, vendor_lead_code) \
             SELECT 3000000 + seq, 'BENCH', 'READY', '', 9001, '-5.00', 'IL', 'NONE', 0, 'S', '' FROM seq_1_to_{k}"
        ))
        .await
        .unwrap();
    }
    // Index statistics, as a live server has them.
    c.query_drop("ANALYZE TABLE vicidial_callbacks, vicidial_list, vicidial_hopper")
        .await
        .unwrap();
    drop(c);
    pool
}
