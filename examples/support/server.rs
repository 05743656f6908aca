//! The benchmarks' view of the local MariaDB server process.

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

/// The server's process id (from its pid file: the benchmarks need a local server).
pub async fn mariadb_pid(c: &mut Conn) -> u32 {
    let path: String = c.query_first("SELECT @@pid_file").await.unwrap().unwrap();
    let dir: String = c.query_first("SELECT @@datadir").await.unwrap().unwrap();
    let path = if path.starts_with('/') {
        path
    } else {
        format!("{dir}/{path}")
    };
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (the benchmark needs a local server)"))
        .trim()
        .parse()
        .unwrap()
}

/// CPU seconds (user + system) a process has used.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

/// A process's peak resident set, in kB (`VmHWM`).
pub fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
