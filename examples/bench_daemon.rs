//! Benchmark of the running daemon (the real binary, `run`) on the throwaway
//! MariaDB: what it costs the database server when nothing happens and under
//! a dialer's load, how fast it reacts, and how late callbacks go LIVE. Run it
//! with `scripts/bench.sh` (which builds the release binary and starts the
//! server). Every figure is printed with how it was measured.
//!
//! The database: `--callbacks` callbacks (100,000): 30% LIVE ANYONE already
//! dialed, 10% LIVE ANYONE held by an hours block, 10% LIVE USERONLY, 30%
//! ACTIVE due in the coming days, 20% INACTIVE; one lead each.
//!
//! - **idle**: nothing due, nothing changing, for `--seconds` (65: a window
//!   that holds the minute's full pass and the start of the first sweep of
//!   the table, so the average is the daemon's, not a quiet moment's): the queries the
//!   daemon sends (MariaDB's `Questions` counter), the rows the server reads
//!   for it (`Handler_read_*`), and the server's CPU (`/proc/<pid>/stat`).
//! - **reaction**: while idle, the time until a hopper row appears after a
//!   callback is inserted already due, after its hopper row is deleted, after
//!   a LIVE USERONLY callback is converted to ANYONE, and after a callback
//!   set 2 s ahead comes due.
//! - **busy**: a simulated dialer takes 20 leads a second from the hopper
//!   (deletes the row, sets the lead's markers as VICIdial's dialer does),
//!   a simulated hopper job keeps the hopper at 300 rows with ordinary leads,
//!   and agents add one ANYONE callback a second; the server's CPU with the
//!   daemon minus the same load without it.
//! - **lost under load**: during the busy window, `--tries` times, an undialed
//!   callback's hopper row deleted (not dialed), to its new row.
//! - **latency**: 200 callbacks come due during the busy window; from their
//!   `callback_time` to the daemon's `LIVE` and `hopper: inserted` log lines.
//! - **memory**: the daemon's peak resident set (`VmHWM`).
//!
//! The cell of `scripts/bench.sh`'s matrix: `--schema FILE` (VICIdial's own
//! create script), `--hopper-engine ENGINE`, `--key-buffer MB` (see
//! `support/shape.rs`), and `--backlog N`: N ANYONE callbacks already due and
//! undialed at the start, which the daemon's first pass puts in the hopper,
//! so that it watches that many rows while the dialer works through them (a
//! large hopper); `--watch poll|binlog` sets `engine.watch` (poll). The last lines, `result: NAME VALUE`, are what
//! the matrix reads.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Pool};

#[path = "support/server.rs"]
mod server;
#[path = "support/shape.rs"]
mod shape;
use server::{cpu_seconds, mariadb_pid, peak_rss_kb};
use shape::Shape;

const DB: &str = "callbackd_bench_daemon";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let n: u64 = arg("--callbacks", "100000").parse().expect("a number");
    let seconds: u64 = arg("--seconds", "65").parse().expect("a number");
    let bin = arg("--bin", "target/release/vicidial-callbackd");
    let backlog: u64 = arg("--backlog", "0").parse().expect("a number");
    let watch = arg("--watch", "poll");
    let shape = Shape::from_args(&args);
    let server =
        std::env::var("CALLBACKD_TEST_SERVER").unwrap_or_else(|_| "mysql://callbackd:callbackd@127.0.0.1:33306".into());
    let pool = setup(&server, &shape, n, backlog).await;
    let mut c = pool.get_conn().await.unwrap();
    c.query_drop(format!("USE {DB}")).await.unwrap();
    let key_buffer = shape.set_key_buffer(&mut c).await;
    println!("server: {}", shape.describe(&mut c, DB).await);
    let mariadb = mariadb_pid(&mut c).await;
    let log = std::env::temp_dir().join(format!("callbackd-bench-{}.log", std::process::id()));
    let userstat: i64 = c.query_first("SELECT @@userstat").await.unwrap().unwrap_or(0);
    let url = daemon_url(&server, &mut c).await;
    let started = Instant::now();
    let mut daemon = start(&bin, &url, &watch, &log);
    // The first (full) pass decides every held callback once, and queues the backlog.
    tokio::time::sleep(Duration::from_secs(5)).await;
    while count(&mut c, "SELECT COUNT(*) FROM vicidial_hopper").await < backlog {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the backlog never reached the hopper"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "database: {n} callbacks, a backlog of {backlog} in the hopper {:.1} s after the start; window {seconds} s; \
         daemon {bin}, engine.watch {watch}",
        started.elapsed().as_secs_f64()
    );
    let mut results: Vec<(String, f64)> = Vec::new();

    let idle = measure(&mut c, mariadb, Duration::from_secs(seconds)).await;
    println!(
        "idle: {:.2} queries/s from the daemon, {:.0} rows read/s, MariaDB CPU {:.2}% of one core, of which the \
         daemon's statements {:.2}% (Questions and Handler_read_* counters, /proc/<mariadbd>/stat, \
         USER_STATISTICS.CPU_TIME of the daemon's user, over {seconds} s)",
        idle.queries_per_s, idle.rows_per_s, idle.cpu_percent, idle.own_percent
    );
    results.push(("idle_queries_per_s".into(), idle.queries_per_s));
    results.push(("idle_cpu_percent".into(), idle.cpu_percent));
    results.push(("idle_own_percent".into(), idle.own_percent));

    let tries: u64 = arg("--tries", "3").parse().expect("a number");
    let reactions = react(&mut c, tries).await;
    for (what, took) in &reactions {
        println!("reaction: {what}: {} ms (polled every 5 ms)", took.as_millis());
    }
    results.push((
        "reaction_worst_ms".into(),
        reactions
            .iter()
            .map(|(_, t)| t.as_secs_f64() * 1000.0)
            .fold(0.0, f64::max),
    ));

    // Busy, with the daemon; 200 callbacks come due during the window.
    let first_late = late_callbacks(&mut c, 200, seconds).await;
    let load = Load::start(&pool);
    // Hopper rows lost (deleted undialed) under the load, on a connection of their own.
    let lost = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut c = pool.get_conn().await.unwrap();
            c.query_drop(format!("USE {DB}")).await.unwrap();
            lost_under_load(&mut c, tries, seconds).await
        })
    };
    let with = measure(&mut c, mariadb, Duration::from_secs(seconds)).await;
    let lost = lost.await.unwrap();
    let dialed = load.stop().await;
    let undone = undelivered(&mut c).await;
    let rss_kb = peak_rss_kb(daemon.id());
    sigterm(&mut daemon);
    let load = Load::start(&pool);
    let without = measure(&mut c, mariadb, Duration::from_secs(seconds)).await;
    load.stop().await;
    println!(
        "busy: daemon's share of MariaDB {:.2}% of one core ({:.2}% with it, {:.2}% without, same load: \
         a dialer taking 20 leads/s ({dialed} taken), agents adding 1 callback/s); undialed callbacks \
         neither in the hopper nor held: {undone}; the daemon's statements alone {:.2}% \
         (USER_STATISTICS.CPU_TIME of its user)",
        with.cpu_percent - without.cpu_percent,
        with.cpu_percent,
        without.cpu_percent,
        with.own_percent
    );
    results.push(("busy_share_percent".into(), with.cpu_percent - without.cpu_percent));
    results.push(("busy_own_percent".into(), with.own_percent));
    println!(
        "busy: an undialed callback's hopper row deleted under that load, to a new one: {} ms, the slowest of {} \
         tries (polled every 5 ms)",
        lost.as_millis(),
        tries
    );
    results.push(("busy_lost_row_ms".into(), lost.as_secs_f64() * 1000.0));
    let (live, hopper) = latencies(&mut c, &log, first_late).await;
    for (what, mut l) in [("LIVE", live), ("hopper", hopper)] {
        l.sort_unstable_by(f64::total_cmp);
        let pick = |q: f64| {
            l.get(((l.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "latency to {what}: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {} callbacks due under the busy load \
             (callback_time to the daemon's log line)",
            pick(0.5),
            pick(0.99),
            l.last().copied().unwrap_or(f64::NAN),
            l.len()
        );
        results.push((
            format!("latency_{}_max_ms", what.to_lowercase()),
            l.last().copied().unwrap_or(f64::NAN),
        ));
    }
    println!(
        "memory: the daemon's peak resident set {:.1} MB (VmHWM)",
        rss_kb as f64 / 1024.0
    );
    results.push(("memory_mb".into(), rss_kb as f64 / 1024.0));
    // CALLBACKD_BENCH_LOG keeps the daemon's log there (with RUST_LOG=
    // vicidial_callbackd::db=trace it times every statement).
    match std::env::var_os("CALLBACKD_BENCH_LOG") {
        Some(keep) => std::fs::rename(&log, keep).unwrap(),
        None => std::fs::remove_file(&log).unwrap(),
    }
    c.query_drop(format!("DROP DATABASE {DB}")).await.unwrap();
    c.query_drop(format!("SET GLOBAL userstat = {userstat}")).await.unwrap();
    if let Some(bytes) = key_buffer {
        c.query_drop(format!("SET GLOBAL key_buffer_size = {bytes}"))
            .await
            .unwrap();
    }
    drop(c);
    pool.disconnect().await.unwrap();
    for (name, value) in results {
        println!("result: {name} {value:.3}");
    }
}

/// A fresh database shaped as the module doc says.
async fn setup(server: &str, shape: &Shape, n: u64, backlog: u64) -> Pool {
    let pool = Pool::new(Opts::from_url(server).unwrap());
    let mut c = pool.get_conn().await.unwrap();
    c.query_drop(format!("DROP DATABASE IF EXISTS {DB}")).await.unwrap();
    c.query_drop(format!("CREATE DATABASE {DB}")).await.unwrap();
    c.query_drop(format!("USE {DB}")).await.unwrap();
    c.query_drop(shape.schema_sql()).await.unwrap();
    shape::prepare_tables(&mut c, shape.schema.is_some(), shape.hopper_engine.as_deref()).await;
    for sql in [
        "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, local_call_time, scheduled_callbacks) \
         VALUES ('BENCH', 'Benchmark', 'Y', '24hours', 'Y')"
            .to_string(),
        "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, local_call_time, scheduled_callbacks, \
         callback_hours_block) VALUES ('HELD', 'Held', 'Y', '24hours', 'Y', 100)"
            .to_string(),
        "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active) VALUES (9001, 'Bench', 'BENCH', 'Y'), \
         (9002, 'Held', 'HELD', 'Y')"
            .to_string(),
        // Class by seq % 10: 0-2 LIVE ANYONE dialed (half an hour ago, after
        // their time: the callback's dial), 4 LIVE ANYONE held, 5 LIVE
        // USERONLY, 3/6/7 ACTIVE in the coming days, 8/9 INACTIVE.
        format!(
            "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, first_name, \
             last_name, state, gmt_offset_now, vendor_lead_code, called_since_last_reset, last_local_call_time) \
             SELECT seq, IF(seq % 10 = 4, 9002, 9001), 9001, ELT(1 + seq % 10, 'NA', 'NA', 'NA', 'CBHOLD', 'CALLBK', \
             'CBHOLD', 'CBHOLD', 'CBHOLD', 'SALE', 'SALE'), '1', CONCAT('312', LPAD(seq, 7, '0')), 'Pat', \
             CONCAT('Lead', seq), 'IL', '-5.00', CONCAT('V', seq), IF(seq % 10 = 4, 'N', 'Y'), \
             IF(seq % 10 < 3, NOW() - INTERVAL 30 MINUTE, NOW() - INTERVAL 1 DAY) \
             FROM seq_1_to_{n}"
        ),
        format!(
            "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
             callback_time, user, recipient, lead_status) \
             SELECT seq, seq, IF(seq % 10 = 4, 9002, 9001), IF(seq % 10 = 4, 'HELD', 'BENCH'), \
             ELT(1 + seq % 10, 'LIVE', 'LIVE', 'LIVE', 'ACTIVE', 'LIVE', 'LIVE', 'ACTIVE', 'ACTIVE', 'INACTIVE', 'INACTIVE'), \
             IF(seq % 10 = 4, NOW(), NOW() - INTERVAL 2 DAY), \
             IF(seq % 10 IN (3, 6, 7), NOW() + INTERVAL 1 DAY + INTERVAL seq % 5000 MINUTE, NOW() - INTERVAL 1 HOUR), \
             '1001', IF(seq % 10 = 5, 'USERONLY', 'ANYONE'), 'CALLBK' FROM seq_1_to_{n}"
        ),
        // Ordinary leads for the simulated hopper job (no callbacks).
        "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, state, \
         gmt_offset_now, called_since_last_reset) SELECT 9000000 + seq, 9001, 9001, 'NEW', '1', \
         CONCAT('773', LPAD(seq, 7, '0')), 'IL', '-6.00', 'N' FROM seq_1_to_100000"
            .to_string(),
        // The backlog: due an hour ago, ANYONE, undialed (seq_1_to_0 counts down:
        // the WHERE keeps it empty).
        format!(
            "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, state, \
             gmt_offset_now, called_since_last_reset) SELECT 8000000 + seq, 9001, 9001, 'CBHOLD', '1', \
             CONCAT('415', LPAD(seq, 7, '0')), 'CA', '-8.00', 'N' FROM seq_1_to_{backlog} \
             WHERE seq <= {backlog}"
        ),
        format!(
            "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
             callback_time, user, recipient, lead_status) SELECT 8000000 + seq, 8000000 + seq, 9001, 'BENCH', \
             'ACTIVE', NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 HOUR, '1001', 'ANYONE', 'CALLBK' \
             FROM seq_1_to_{backlog} WHERE seq <= {backlog}"
        ),
        "ANALYZE TABLE vicidial_callbacks, vicidial_list, vicidial_hopper".to_string(),
    ] {
        c.query_drop(sql).await.unwrap();
    }
    pool
}

fn start(bin: &str, url: &str, watch: &str, log: &std::path::Path) -> Child {
    Command::new(bin)
        .args(["--database-url", url, "run"])
        .env("CALLBACKD_ENGINE__WATCH", watch)
        .env("CALLBACKD_LOG__FORMAT", "json")
        .env("CALLBACKD_METRICS__ENABLED", "false")
        .env_remove("CALLBACKD_TEST_SERVER")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start the daemon (build it with cargo build --release)")
}

fn sigterm(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

struct Window {
    queries_per_s: f64,
    rows_per_s: f64,
    cpu_percent: f64,
    /// The daemon's own statements' CPU in MariaDB, % of a core.
    own_percent: f64,
}

/// The MariaDB user the daemon connects as, so that the server's user
/// statistics (`userstat`) tell its statements' CPU from the load's.
const DAEMON_USER: &str = "callbackd_daemon";

/// Creates the daemon's user (every privilege: a throwaway server), turns the
/// server's user statistics on (until the benchmark ends, see `main`), and
/// returns the daemon's database URL.
async fn daemon_url(server: &str, c: &mut Conn) -> String {
    for sql in [
        format!("CREATE USER IF NOT EXISTS '{DAEMON_USER}'@'%' IDENTIFIED BY '{DAEMON_USER}'"),
        format!("GRANT ALL PRIVILEGES ON *.* TO '{DAEMON_USER}'@'%'"),
        "SET GLOBAL userstat = 1".to_string(),
    ] {
        c.query_drop(sql).await.unwrap();
    }
    let (_, host) = server.rsplit_once('@').expect("a server URL with user@host");
    format!("mysql://{DAEMON_USER}:{DAEMON_USER}@{host}/{DB}")
}

/// CPU seconds MariaDB spent on the daemon's statements so far
/// (`information_schema.USER_STATISTICS.CPU_TIME` of its user).
async fn daemon_cpu(c: &mut Conn) -> f64 {
    c.exec_first(
        "SELECT CPU_TIME FROM information_schema.USER_STATISTICS WHERE USER = ?",
        (DAEMON_USER,),
    )
    .await
    .unwrap()
    .unwrap_or(0.0)
}

async fn counters(c: &mut Conn) -> (f64, f64) {
    let rows: Vec<(String, String)> = c
        .query("SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Handler_read%'")
        .await
        .unwrap();
    let get = |pred: &dyn Fn(&str) -> bool| -> f64 {
        rows.iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, v)| v.parse::<f64>().unwrap_or(0.0))
            .sum()
    };
    (get(&|k| k == "Questions"), get(&|k| k.starts_with("Handler_read")))
}

/// The server's counters and CPU over a window (the benchmark's own two
/// status reads are taken out of the query count).
async fn measure(c: &mut Conn, mariadb: u32, window: Duration) -> Window {
    let own0 = daemon_cpu(c).await;
    let (q0, r0) = counters(c).await;
    let cpu0 = cpu_seconds(mariadb);
    tokio::time::sleep(window).await;
    let (q1, r1) = counters(c).await;
    let cpu1 = cpu_seconds(mariadb);
    let own1 = daemon_cpu(c).await;
    let s = window.as_secs_f64();
    Window {
        queries_per_s: (q1 - q0 - 1.0) / s,
        rows_per_s: (r1 - r0) / s,
        cpu_percent: (cpu1 - cpu0) / s * 100.0,
        own_percent: (own1 - own0) / s * 100.0,
    }
}

async fn count(c: &mut Conn, sql: &str) -> u64 {
    c.query_first(sql).await.unwrap().unwrap_or(0)
}

async fn until_in_hopper(c: &mut Conn, lead: u64, from: Instant) -> Duration {
    loop {
        if count(
            c,
            &format!("SELECT COUNT(*) FROM vicidial_hopper WHERE lead_id = {lead}"),
        )
        .await
            > 0
        {
            return from.elapsed();
        }
        assert!(
            from.elapsed() < Duration::from_secs(30),
            "lead {lead} never reached the hopper"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn new_lead(c: &mut Conn, lead: u64, status: &str, callback: &str) {
    c.query_drop(format!(
        "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, state, \
         gmt_offset_now, called_since_last_reset) VALUES ({lead}, 9001, 9001, '{status}', '1', \
         CONCAT('646', LPAD({lead}, 7, '0')), 'NY', '-5.00', 'Y')"
    ))
    .await
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, \
         user, recipient, lead_status) VALUES ({lead}, {lead}, 9001, 'BENCH', 'ACTIVE', NOW() - INTERVAL 1 HOUR, \
         {callback}, '1001', 'ANYONE', 'CALLBK')"
    ))
    .await
    .unwrap();
}

/// The reaction times, each the slowest of `tries` (`--tries`, 3).
async fn react(c: &mut Conn, tries: u64) -> Vec<(&'static str, Duration)> {
    let mut out: Vec<(&'static str, Duration)> = Vec::new();
    let mut worst = |what, took: Duration| match out.iter_mut().find(|(w, _)| *w == what) {
        Some((_, t)) => *t = (*t).max(took),
        None => out.push((what, took)),
    };
    for k in 0..tries {
        let lead = 5_000_000 + k * 10;
        let started = Instant::now();
        new_lead(c, lead, "CBHOLD", "NOW()").await;
        worst(
            "a callback inserted already due, to its hopper row",
            until_in_hopper(c, lead, started).await,
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
        let started = Instant::now();
        c.query_drop(format!("DELETE FROM vicidial_hopper WHERE lead_id = {lead}"))
            .await
            .unwrap();
        let took = until_in_hopper(c, lead, started).await;
        // Each try with its wall-clock time, to find it in the daemon's log.
        eprintln!(
            "reaction try {k}: hopper row of lead {lead} deleted at {}, new one after {} ms",
            chrono::Utc::now() - chrono::Duration::from_std(took).unwrap_or_default(),
            took.as_millis()
        );
        worst("its hopper row deleted, to a new one", took);
        let useronly = 5 + 10 * (k + 1);
        let started = Instant::now();
        c.query_drop(format!(
            "UPDATE vicidial_callbacks SET recipient = 'ANYONE' WHERE callback_id = {useronly}"
        ))
        .await
        .unwrap();
        worst(
            "a LIVE USERONLY callback converted to ANYONE, to its hopper row",
            until_in_hopper(c, useronly, started).await,
        );
        let lead = lead + 1;
        let due = Instant::now() + Duration::from_secs(2);
        new_lead(c, lead, "CBHOLD", "NOW() + INTERVAL 2 SECOND").await;
        tokio::time::sleep_until((due - Duration::from_millis(100)).into()).await;
        until_in_hopper(c, lead, due).await;
        worst(
            "a callback coming due while idle, from its time to its hopper row",
            due.elapsed(),
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    out
}

/// While the load runs: `tries` times, a callback due now goes into the
/// hopper, its row is deleted undialed (a clean-up, a reset), and the time
/// to a new row is taken; returns the slowest. Spread over the window.
async fn lost_under_load(c: &mut Conn, tries: u64, seconds: u64) -> Duration {
    let mut slowest = Duration::ZERO;
    let gap = Duration::from_millis(seconds * 1000 * 6 / 10 / tries.max(1));
    for k in 0..tries {
        let lead = 5_100_000 + k;
        let started = Instant::now();
        new_lead(c, lead, "CBHOLD", "NOW()").await;
        until_in_hopper(c, lead, started).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        c.query_drop(format!("DELETE FROM vicidial_hopper WHERE lead_id = {lead}"))
            .await
            .unwrap();
        slowest = slowest.max(until_in_hopper(c, lead, started).await);
        tokio::time::sleep(gap).await;
    }
    slowest
}

/// Inserts `k` callbacks due spread over the coming window; returns the first id.
async fn late_callbacks(c: &mut Conn, k: u64, seconds: u64) -> u64 {
    let first = 6_000_000;
    let step_ms = seconds * 1000 * 8 / 10 / k;
    for i in 0..k {
        let at = format!("NOW() + INTERVAL {} MICROSECOND", (2000 + i * step_ms) * 1000);
        new_lead(c, first + i, "CBHOLD", &at).await;
    }
    first
}

/// The hopper's level that the simulated hopper job keeps with ordinary leads.
const HOPPER_LEVEL: u64 = 300;

/// How many ordinary leads the simulated hopper job has queued (of 100,000).
static NEXT_ORDINARY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The simulated dialer, agents and hopper job, on their own connections.
struct Load {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<u64>>,
}

impl Load {
    fn start(pool: &Pool) -> Load {
        let (stop, rx) = tokio::sync::watch::channel(false);
        let dialer = {
            let (pool, rx) = (pool.clone(), rx.clone());
            tokio::spawn(async move {
                let mut c = pool.get_conn().await.unwrap();
                c.query_drop(format!("USE {DB}")).await.unwrap();
                let mut taken = 0;
                while !*rx.borrow() {
                    // As AST_VDauto_dial.pl takes a row: highest priority, oldest first
                    // (but not the leads whose lost rows are timed, see lost_under_load).
                    let row: Option<(u64, u64)> = c
                        .query_first(
                            "SELECT hopper_id, lead_id FROM vicidial_hopper WHERE lead_id NOT BETWEEN 5100000 AND 5199999 \
                             ORDER BY priority DESC, hopper_id LIMIT 1",
                        )
                        .await
                        .unwrap();
                    if let Some((hopper_id, lead)) = row {
                        c.query_drop(format!("DELETE FROM vicidial_hopper WHERE hopper_id = {hopper_id}"))
                            .await
                            .unwrap();
                        c.query_drop(format!(
                            "UPDATE vicidial_list SET called_since_last_reset = 'Y', called_count = called_count + 1, \
                             user = 'VDAD', last_local_call_time = NOW() WHERE lead_id = {lead}"
                        ))
                        .await
                        .unwrap();
                        taken += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                taken
            })
        };
        let refill = {
            let (pool, rx) = (pool.clone(), rx.clone());
            tokio::spawn(async move {
                let mut c = pool.get_conn().await.unwrap();
                c.query_drop(format!("USE {DB}")).await.unwrap();
                let mut added = 0;
                while !*rx.borrow() {
                    // As VICIdial's hopper job keeps the hopper at its level with
                    // ordinary leads (source 'S'), so the dialer always has work.
                    let rows = count(&mut c, "SELECT COUNT(*) FROM vicidial_hopper").await;
                    let need = HOPPER_LEVEL.saturating_sub(rows);
                    if need > 0 {
                        // The next ordinary leads, by primary key: the same
                        // cost in every window.
                        let first = 9_000_001 + NEXT_ORDINARY.fetch_add(need, std::sync::atomic::Ordering::Relaxed);
                        c.query_drop(format!(
                            "INSERT INTO vicidial_hopper (lead_id, campaign_id, status, user, list_id, gmt_offset_now, \
                             state, alt_dial, priority, source, vendor_lead_code) \
                             SELECT l.lead_id, 'BENCH', 'READY', '', 9001, l.gmt_offset_now, l.state, 'NONE', 0, 'S', '' \
                             FROM vicidial_list l WHERE l.lead_id BETWEEN {first} AND {}",
                            first + need - 1
                        ))
                        .await
                        .unwrap();
                        added += need;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                added
            })
        };
        let agents = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut c = pool.get_conn().await.unwrap();
                c.query_drop(format!("USE {DB}")).await.unwrap();
                let mut added = 0;
                while !*rx.borrow() {
                    let lead = 7_000_000 + rand_id();
                    new_lead(&mut c, lead, "CBHOLD", "NOW() + INTERVAL 1 SECOND").await;
                    added += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                added
            })
        };
        Load {
            stop,
            tasks: vec![dialer, agents, refill],
        }
    }

    /// Stops the load; returns how many leads the dialer took.
    async fn stop(self) -> u64 {
        self.stop.send_replace(true);
        let mut counts = Vec::new();
        for t in self.tasks {
            counts.push(t.await.unwrap());
        }
        counts[0]
    }
}

/// A fresh id for an agent's new lead.
fn rand_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// LIVE ANYONE callbacks of the benchmark campaign whose lead is undialed and
/// not in the hopper (held ones are in the HELD campaign).
async fn undelivered(c: &mut Conn) -> u64 {
    count(
        c,
        "SELECT COUNT(*) FROM vicidial_callbacks cb JOIN vicidial_list l ON l.lead_id = cb.lead_id \
         WHERE cb.status = 'LIVE' AND cb.recipient = 'ANYONE' AND cb.campaign_id = 'BENCH' \
           AND l.status = cb.lead_status AND l.called_since_last_reset = 'N' \
           AND NOT EXISTS (SELECT 1 FROM vicidial_hopper h WHERE h.lead_id = cb.lead_id)",
    )
    .await
}

/// From each late callback's time to the daemon's LIVE and hopper log lines, in ms.
async fn latencies(c: &mut Conn, log: &std::path::Path, first: u64) -> (Vec<f64>, Vec<f64>) {
    let due: HashMap<u64, f64> = c
        .query::<(u64, f64), _>(format!(
            "SELECT callback_id, UNIX_TIMESTAMP(callback_time) FROM vicidial_callbacks \
             WHERE callback_id BETWEEN {first} AND {}",
            first + 999
        ))
        .await
        .unwrap()
        .into_iter()
        .collect();
    let (mut live, mut hopper) = (Vec::new(), Vec::new());
    for line in std::io::BufReader::new(std::fs::File::open(log).unwrap()).lines() {
        let Ok(line) = line else { continue };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let (Some(id), Some(ts), Some(msg)) = (
            v["callback_id"].as_u64(),
            v["timestamp"].as_str(),
            v["message"].as_str(),
        ) else {
            continue;
        };
        let (Some(due), Ok(at)) = (due.get(&id), chrono::DateTime::parse_from_rfc3339(ts)) else {
            continue;
        };
        let ms = (at.timestamp_micros() as f64 / 1e6 - due) * 1000.0;
        if msg.starts_with("LIVE") {
            live.push(ms);
        } else if msg.starts_with("hopper: inserted") {
            hopper.push(ms);
        }
    }
    (live, hopper)
}
