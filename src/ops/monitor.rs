//! What `/metrics` shows beside the engine's counters (README, "Metrics and
//! health"): the build, the process as `/proc` sees it, how the engine learns
//! of changes (polling, or following the binary log), and the wall-clock time
//! of the last pass. None of it reads the database. The state is in atomics,
//! so each hook elsewhere is one line and never waits on a lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// How the engine learns of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Watch {
    /// `engine.watch = "poll"` (or no term of leadership has started a watcher).
    Poll = 0,
    /// binlog or auto mode, following the binary log.
    Following = 1,
    /// binlog or auto mode, not following (binary log off, grants missing,
    /// connection cut): polling meanwhile.
    FellBack = 2,
}

impl Watch {
    const ALL: [(Watch, &'static str); 3] = [
        (Watch::Poll, "poll"),
        (Watch::Following, "binlog"),
        (Watch::FellBack, "binlog_polling"),
    ];
}

static WATCH: AtomicU8 = AtomicU8::new(Watch::Poll as u8);
/// Milliseconds since the Unix epoch at the end of the last successful pass; 0: none yet.
static LAST_PASS_MS: AtomicU64 = AtomicU64::new(0);

/// The watcher says how it is doing.
pub(crate) fn set_watch(mode: Watch) {
    WATCH.store(mode as u8, Ordering::Relaxed);
}

/// A successful engine pass ended now.
pub(crate) fn pass_finished() {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    LAST_PASS_MS.store(ms, Ordering::Relaxed);
}

/// The process as `/proc/self` tells it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Process {
    pub resident_bytes: u64,
    pub open_fds: u64,
    pub max_fds: Option<u64>,
    pub cpu_seconds: f64,
    pub start_time_seconds: f64,
}

/// `utime`, `stime` and `starttime` (fields 14, 15 and 22 of proc_pid_stat(5)),
/// in clock ticks. The command name (field 2) may hold spaces and
/// parentheses, so the fields are counted after its last `)`.
fn stat_ticks(stat: &str) -> Option<(u64, u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state).
    let at = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some((at(14)?, at(15)?, at(22)?))
}

/// `VmRSS:   23456 kB` of /proc/self/status, in bytes.
fn resident(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The soft limit of `Max open files` in /proc/self/limits.
fn max_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// Reads the process's figures. Only `/proc/self` is read, never `/proc/stat`
/// or `/proc/uptime`, which the unit's `ProcSubset=pid` hides: the start time
/// comes from the boot-time clock instead.
pub(crate) fn process() -> Option<Process> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (utime, stime, start) = stat_ticks(&stat)?;
    // SAFETY: sysconf and clock_gettime only write the timespec we own.
    let (ticks, boot) = unsafe {
        let ticks = libc::sysconf(libc::_SC_CLK_TCK);
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        let ok = libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) == 0;
        (ticks, ok.then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9))
    };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    // Seconds since boot now, minus seconds since boot at the start.
    let age = boot? - start as f64 / ticks;
    Some(Process {
        resident_bytes: std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| resident(&s))
            .unwrap_or(0),
        open_fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
        max_fds: std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|l| max_files(&l)),
        cpu_seconds: (utime + stime) as f64 / ticks,
        start_time_seconds: (now - age).floor(),
    })
}

/// The Prometheus text of this module's metrics.
pub(crate) fn render() -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in lines {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |v: String| vec![(String::new(), v)];
    metric(
        "callbackd_build_info",
        "gauge",
        "Always 1; the version and commit of the running binary.",
        &[(
            format!(
                "{{version=\"{}\",commit=\"{}\"}}",
                env!("CARGO_PKG_VERSION"),
                env!("CALLBACKD_COMMIT")
            ),
            "1".into(),
        )],
    );
    let last = LAST_PASS_MS.load(Ordering::Relaxed);
    metric(
        "callbackd_last_pass_timestamp_seconds",
        "gauge",
        "Unix time the last successful engine pass ended; 0 before the first.",
        &one(format!("{:.3}", last as f64 / 1000.0)),
    );
    let now = WATCH.load(Ordering::Relaxed);
    let lines: Vec<_> = Watch::ALL
        .iter()
        .map(|(w, name)| (format!("{{mode=\"{name}\"}}"), u8::from(*w as u8 == now).to_string()))
        .collect();
    metric(
        "callbackd_watch_mode",
        "gauge",
        "1 for how the engine learns of changes: poll, binlog (following the binary log), binlog_polling (binlog or auto mode, polling until it can follow).",
        &lines,
    );
    if let Some(p) = process() {
        metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            &one(p.resident_bytes.to_string()),
        );
        metric(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            &one(p.open_fds.to_string()),
        );
        if let Some(max) = p.max_fds {
            metric(
                "process_max_fds",
                "gauge",
                "Maximum number of open file descriptors.",
                &one(max.to_string()),
            );
        }
        metric(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            &one(format!("{:.2}", p.cpu_seconds)),
        );
        metric(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch in seconds.",
            &one(format!("{}", p.start_time_seconds)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        // A command name with a space and a parenthesis, as a thread may have.
        let stat = "4242 (tokio (rt) w) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                    250 75 0 0 20 0 4 0 123456 100000000 5000 18446744073709551615";
        assert_eq!(stat_ticks(stat), Some((250, 75, 123456)));
        assert_eq!(stat_ticks("garbage"), None);
    }

    #[test]
    fn status_and_limits_are_read() {
        assert_eq!(resident("Name:\tx\nVmRSS:\t   23456 kB\n"), Some(23456 * 1024));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(max_files(limits), Some(1024));
    }

    #[test]
    fn this_process_is_read_from_proc() {
        let p = process().expect("/proc/self is readable");
        assert!(p.resident_bytes > 1_000_000, "{p:?}");
        assert!(p.open_fds >= 3, "{p:?}");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        // Started before now, and not before this test binary was built.
        assert!(
            p.start_time_seconds <= now && p.start_time_seconds > now - 3600.0,
            "{p:?}"
        );
    }

    #[test]
    fn the_text_has_build_info_and_a_timestamp_from_the_start() {
        let text = render();
        assert!(
            text.contains(&format!(
                "callbackd_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
                env!("CARGO_PKG_VERSION"),
                env!("CALLBACKD_COMMIT")
            )),
            "{text}"
        );
        assert!(
            text.contains("# TYPE callbackd_last_pass_timestamp_seconds gauge\n"),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| l.starts_with("callbackd_watch_mode{")).count(),
            3,
            "{text}"
        );
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("callbackd_watch_mode{") && l.ends_with(" 1"))
                .count(),
            1,
            "{text}"
        );
    }
}
