//! Benchmark: polling against following the binary log, side by side, with
//! the real daemon (the release binary next to this example) on a MariaDB
//! that writes a row-based binary log (`scripts/binlog-db.sh start`).
//!
//! ```sh
//! scripts/binlog-db.sh start
//! cargo build --release && cargo run --release --example bench_watch -- [--samples 200] [--idle 30] [--background 10000]
//! ```
//!
//! For each mode (`poll` at the default 500 ms, `binlog`) it measures:
//! - the reaction to a callback inserted already due: from the INSERT's
//!   return to the callback LIVE with its lead in the hopper (p50, p99, max);
//! - the reaction to the hopper row of an undialed callback deleted: until
//!   it is back;
//! - idle: the server's statements per second (`Questions`, less this
//!   benchmark's own) and the MariaDB process's CPU time, over `--idle` seconds.
//!
//! `--background N` adds N ACTIVE callbacks due tomorrow, so an idle pass
//! scans a table of some size. Each reaction is measured after a pause drawn
//! from 0 to 500 ms, so the inserts fall anywhere in the poll interval. The
//! daemon runs with metrics off and email alerts off (`--email` turns them
//! on: their loop polls in both modes); its leader lock (one statement a
//! second) is counted, as an operator would see it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let samples = arg("--samples", 200) as u32;
    let idle = Duration::from_secs(arg("--idle", 30));
    let background = arg("--background", 10_000) as u32;
    let email = args.iter().any(|a| a == "--email");
    let server = std::env::var("CALLBACKD_BINLOG_TEST_SERVER")
        .unwrap_or_else(|_| "mysql://callbackd:callbackd@127.0.0.1:33307".into());
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("vicidial-callbackd"))
        .filter(|p| p.exists())
        .expect("the daemon next to this example: cargo build --release first");
    println!(
        "| mode | inserted due: p50 / p99 / max | hopper row deleted: p50 / p99 / max | idle statements/s | idle MariaDB CPU |"
    );
    println!("|---|---|---|---|---|");
    for mode in ["poll", "binlog"] {
        let r = measure(&server, &binary, mode, samples, idle, background, email).await;
        println!(
            "| {mode} | {} | {} | {:.2} | {:.2}% of a core |",
            r.inserted, r.deleted, r.statements_per_second, r.cpu_percent
        );
    }
}

struct Result {
    inserted: Latency,
    deleted: Latency,
    statements_per_second: f64,
    cpu_percent: f64,
}

struct Latency(Vec<Duration>);

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = self.0.clone();
        s.sort();
        let at = |p: f64| s[((s.len() as f64 * p).ceil() as usize).clamp(1, s.len()) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "{:.1} / {:.1} / {:.1} ms",
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*s.last().unwrap())
        )
    }
}

async fn measure(
    server: &str,
    binary: &std::path::Path,
    mode: &str,
    samples: u32,
    idle: Duration,
    background: u32,
    email: bool,
) -> Result {
    let name = format!("callbackd_bench_watch_{mode}");
    let mut admin = Conn::new(Opts::from_url(server).unwrap()).await.unwrap();
    admin
        .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        .await
        .unwrap();
    let url = format!("{server}/{name}");
    let mut conn = Conn::new(Opts::from_url(&url).unwrap()).await.unwrap();
    let schema = format!(
        "{}\n{}",
        include_str!("../sql/vicidial-schema.sql"),
        include_str!("../sql/callbackd.sql")
    );
    conn.query_drop(schema).await.unwrap();
    conn.query_drop(
        "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, local_call_time, scheduled_callbacks) \
         VALUES ('C', 'C', 'Y', '24hours', 'Y'); \
         INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active) VALUES (101, 'L', 'C', 'Y')",
    )
    .await
    .unwrap();
    let leads = samples + background;
    for chunk in (1..=leads).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| format!("({i},101,101,'CBHOLD','1','312{i:07}','IL','-6.00','Y',NOW() - INTERVAL 1 DAY)"))
            .collect();
        conn.query_drop(format!(
            "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, state, \
             gmt_offset_now, called_since_last_reset, last_local_call_time) VALUES {}",
            rows.join(",")
        ))
        .await
        .unwrap();
    }
    for chunk in (samples + 1..=leads).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| format!("({i},{i},101,'C','ACTIVE',NOW(),NOW() + INTERVAL 1 DAY,'1001','ANYONE','CALLBK')"))
            .collect();
        conn.query_drop(format!(
            "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
             callback_time, user, recipient, lead_status) VALUES {}",
            rows.join(",")
        ))
        .await
        .unwrap();
    }

    let state = std::env::temp_dir().join(format!("callbackd-bench-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state).unwrap();
    let mut daemon = Command::new(binary)
        .args(["--database-url", &url, "run"])
        .env("CALLBACKD_ENGINE__WATCH", mode)
        .env("CALLBACKD_BINLOG__STATE_DIR", &state)
        .env("CALLBACKD_EMAIL__ENABLED", email.to_string())
        .env("CALLBACKD_METRICS__ENABLED", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Connected, leading, first pass done, stream followed.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut jitter = Jitter(u64::from(samples) ^ 0x9e37_79b9);
    let mut inserted = Vec::new();
    for id in 1..=samples {
        jitter.pause().await;
        conn.query_drop(format!(
            "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
             callback_time, user, recipient, lead_status) \
             VALUES ({id}, {id}, 101, 'C', 'ACTIVE', NOW() - INTERVAL 1 HOUR, NOW() - INTERVAL 1 SECOND, '1001', \
             'ANYONE', 'CALLBK')"
        ))
        .await
        .unwrap();
        inserted.push(delivered(&mut conn, id).await);
    }
    let mut deleted = Vec::new();
    for id in 1..=samples {
        jitter.pause().await;
        conn.query_drop(format!("DELETE FROM vicidial_hopper WHERE lead_id = {id}"))
            .await
            .unwrap();
        deleted.push(delivered(&mut conn, id).await);
    }

    // Idle: let the last reactions settle, then count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid: u32 = {
        let file: String = admin.query_first("SELECT @@pid_file").await.unwrap().unwrap();
        std::fs::read_to_string(file).unwrap().trim().parse().unwrap()
    };
    let (q0, c0, t0) = (questions(&mut admin).await, cpu_ticks(pid), Instant::now());
    tokio::time::sleep(idle).await;
    let (q1, c1, elapsed) = (questions(&mut admin).await, cpu_ticks(pid), t0.elapsed().as_secs_f64());
    // The second SHOW STATUS counts itself.
    let statements_per_second = (q1 - q0 - 1) as f64 / elapsed;
    // /proc counts in clock ticks, 100 a second on Linux.
    let cpu_percent = (c1 - c0) as f64 / elapsed;

    stop(&mut daemon);
    admin.query_drop(format!("DROP DATABASE {name}")).await.unwrap();
    let _ = std::fs::remove_dir_all(&state);
    Result {
        inserted: Latency(inserted),
        deleted: Latency(deleted),
        statements_per_second,
        cpu_percent,
    }
}

/// Pauses from 0 to 500 ms (a fixed pseudo-random sequence, the same for both modes).
struct Jitter(u64);

impl Jitter {
    async fn pause(&mut self) {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        tokio::time::sleep(Duration::from_millis((self.0 >> 33) % 500)).await;
    }
}

/// Until callback `id` is LIVE with its lead in the hopper.
async fn delivered(conn: &mut Conn, id: u32) -> Duration {
    let started = Instant::now();
    loop {
        let n: Option<u64> = conn
            .query_first(format!(
                "SELECT COUNT(*) FROM vicidial_callbacks cb JOIN vicidial_hopper h ON h.lead_id = cb.lead_id \
                 WHERE cb.callback_id = {id} AND cb.status = 'LIVE'"
            ))
            .await
            .unwrap();
        if n == Some(1) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "callback {id} never delivered"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn questions(conn: &mut Conn) -> u64 {
    let row: Option<(String, u64)> = conn.query_first("SHOW GLOBAL STATUS LIKE 'Questions'").await.unwrap();
    row.unwrap().1
}

/// User plus system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn stop(daemon: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &daemon.id().to_string()]).status();
    let _ = daemon.wait();
}
