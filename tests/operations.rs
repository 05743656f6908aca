//! Operating the daemon as ops people do: its log output under a pipe, as
//! JSON and under journald; the real binary against the throwaway MariaDB.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Stdio;

use common::{Daemon, Launch, TestDb, callbackd, t};

/// One due ANYONE callback (10) of lead 1, campaign C, list 101.
async fn one_due(tag: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    db
}

#[tokio::test]
async fn log_lines_off_a_terminal_have_no_escape_codes_and_grep_by_field() {
    let db = one_due("log_text").await;
    let out = callbackd()
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00"), "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\x1b'), "escape codes in piped output: {err:?}");
    let live = err.lines().find(|l| l.contains("LIVE (ANYONE)")).expect("a LIVE line");
    assert!(
        live.contains("callback_id=10") && live.contains("lead_id=1 ") && live.contains("campaign=C"),
        "{live}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn json_lines_parse_and_carry_the_callback_fields() {
    let db = one_due("log_json").await;
    let out = callbackd()
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00"), "--force"])
        .env("CALLBACKD_LOG__FORMAT", "json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let live = lines
        .iter()
        .find(|l| l["message"].as_str().is_some_and(|m| m.starts_with("LIVE (ANYONE)")))
        .expect("a LIVE line");
    assert_eq!(live["level"], "INFO");
    assert_eq!(live["callback_id"], 10);
    assert_eq!(live["lead_id"], 1, "a number, not a string: {live}");
    assert_eq!(live["campaign"], "C");
    db.drop_db().await;
}

#[tokio::test]
async fn under_journald_each_line_carries_its_priority() {
    let db = one_due("log_journald").await;
    let dir = std::env::temp_dir().join(format!("callbackd-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stderr");
    let file = std::fs::File::create(&path).unwrap();
    // systemd names the stream it connected as stderr by device and inode.
    let meta = file.metadata().unwrap();
    let status = callbackd()
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00"), "--force"])
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    assert!(status.success());
    let err = std::fs::read_to_string(&path).unwrap();
    let live = err.lines().find(|l| l.contains("LIVE (ANYONE)")).expect("a LIVE line");
    assert!(live.starts_with("<6>"), "{live}");
    assert!(err.lines().all(|l| l.starts_with('<')), "{err}");
    // A stream that is not the one named gets no prefixes.
    let out = callbackd()
        .args(["--database-url", &db.url, "once", "--dry-run"])
        .env("JOURNAL_STREAM", "1:1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("<6>"));
    std::fs::remove_dir_all(&dir).unwrap();
    db.drop_db().await;
}

/// The real daemon with `/metrics`, its log in a file, `extra` arguments before `run`.
fn start(db: &TestDb, name: &str, extra: &[&str]) -> Daemon {
    start_as(&db.url, name, extra, &[])
}

/// [`start`] with another database URL (another user) and environment.
fn start_as(url: &str, name: &str, extra: &[&str], env: &[(&str, &str)]) -> Daemon {
    let mut launch = Launch::new(url).args(extra).metrics();
    for (k, v) in env {
        launch = launch.env(k, v);
    }
    launch.start(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_one_leader_kill_9_and_the_standby_finishes_the_work_once() {
    let db = TestDb::new("leader").await;
    let a = start(&db, "a", &[]);
    a.wait_for_log("leader: took the leader lock", 10).await;
    let b = start(&db, "b", &[]);
    // b is up and a standby: its health says so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Ok(Ok(s)) = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            tokio::net::TcpStream::connect(("127.0.0.1", b.port())),
        )
        .await
        {
            drop(s);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "b never listened: {}", b.log());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (code, body) = b.get("/health").await;
    assert_eq!(
        (code, body.trim()),
        (503, "standby: another daemon holds the leader lock")
    );
    // ... but it is ready to take over and alive: a probe on every server passes.
    let (code, body) = b.get("/readyz").await;
    assert_eq!((code, body.trim()), (200, "ok: standby: ready to take over"));
    assert_eq!(b.get("/livez").await, (200, "ok\n".to_owned()));
    // Work arrives; the leader alone does it.
    db.bulk(3000).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut a = a;
    a.kill().unwrap(); // SIGKILL, mid-work or just after
    a.wait().unwrap();
    let killed_at = std::time::Instant::now();
    b.wait_for_log("leader: took the leader lock", 10).await;
    let took = killed_at.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "takeover took {took:?}");
    assert!(!a.log().is_empty() && !a.log().contains("standby"), "{}", a.log());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while db
        .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status <> 'LIVE'")
        .await
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "b did not finish: {}", b.log());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    db.assert_all_delivered(3000, "after failover").await;
    assert_eq!(b.stop(), Some(0));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_after_a_pass_and_with_the_database_down() {
    let db = one_due("metrics").await;
    // Due long ago by the database's clock.
    let d = start(&db, "m", &[]);
    d.wait_for_log("LIVE (ANYONE)", 10).await;
    d.wait_for_log("pass: activated=1", 10).await;
    let (code, body) = d.get("/health").await;
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    assert_eq!(d.get("/readyz").await, (200, "ok: leader\n".to_owned()));
    assert_eq!(d.get("/livez").await, (200, "ok\n".to_owned()));
    let (code, metrics) = d.get("/metrics").await;
    assert_eq!(code, 200);
    let value = |name: &str| -> f64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no {name} in:\n{metrics}"));
        line[name.len()..].trim().parse().unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last = value("callbackd_last_pass_timestamp_seconds");
    assert!(last > now - 60.0 && last <= now + 1.0, "last pass at {last}, now {now}");
    let started = value("process_start_time_seconds");
    assert!(
        started > now - 60.0 && started <= now,
        "started at {started}, now {now}"
    );
    assert!(value("process_resident_memory_bytes") > 1e6, "{metrics}");
    assert!(value("process_open_fds") >= 3.0, "{metrics}");
    for line in [
        "callbackd_watch_mode{mode=\"poll\"} 1\n",
        "callbackd_watch_mode{mode=\"binlog\"} 0\n",
        concat!(
            "callbackd_build_info{version=\"",
            env!("CARGO_PKG_VERSION"),
            "\",commit=\""
        ),
        "callbackd_callbacks_activated_total 1\n",
        "callbackd_callbacks_inserted_total 1\n",
        "callbackd_leader 1\n",
        "callbackd_database_up 1\n",
        "callbackd_due_backlog 0\n",
        "# TYPE callbackd_pass_duration_seconds histogram\n",
    ] {
        assert!(metrics.contains(line), "{line:?} missing:\n{metrics}");
    }
    // Every metric the shipped alert rules and Grafana dashboard name is exported.
    let exported: std::collections::BTreeSet<&str> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for file in ["monitoring/alerts.yml", "monitoring/grafana-dashboard.json"] {
        let text = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let named = metric_names(&text);
        assert!(named.len() >= 10, "{file}: {named:?}");
        let unknown: Vec<_> = named.iter().filter(|n| !exported.contains(n.as_str())).collect();
        assert!(unknown.is_empty(), "{file} names {unknown:?}, not exported:\n{metrics}");
    }
    db.outage(false).await;
    // Leadership cannot be confirmed without the database: the daemon stops
    // working at once (fenced writes would change nothing anyway).
    d.wait_for_log("lost the leader lock's connection", 10).await;
    let (code, body) = d.get("/health").await;
    assert_eq!(code, 503, "{body}");
    assert!(body.starts_with("database unreachable: "), "{body}");
    let (code, body) = d.get("/readyz").await;
    assert_eq!(code, 503, "{body}");
    // Scrapes share one database reading a second, so the outage shows
    // within a second or so.
    let mut metrics = String::new();
    for _ in 0..30 {
        metrics = d.get("/metrics").await.1;
        if metrics.contains("callbackd_database_up 0\n") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(metrics.contains("callbackd_database_up 0\n"), "{metrics}");
    assert!(metrics.contains("callbackd_leader 0\n"), "{metrics}");
    db.outage(true).await;
    // Back: it takes the lock again, with a new term.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while d.log().matches("took the leader lock").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", d.log());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(d.stop(), Some(0));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_a_good_file_and_keeps_the_running_one_on_a_bad_one() {
    let db = TestDb::new("sighup").await;
    let dir = std::env::temp_dir().join(format!("callbackd-hup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(&file, "[engine]\nbatch_size = 300\n").unwrap();
    let d = start(&db, "hup", &["--config", file.to_str().unwrap()]);
    d.wait_for_log("running poll_ms=700 batch=300", 10).await;
    std::fs::write(&file, "[engine]\nbatch_size = \"lots\"\n").unwrap();
    d.signal("-HUP");
    d.wait_for_log("configuration reload failed, keeping the running configuration", 10)
        .await;
    assert!(d.log().contains("config.toml: engine.batch_size"), "{}", d.log());
    std::fs::write(&file, "[engine]\nbatch_size = 200\n").unwrap();
    d.signal("-HUP");
    d.wait_for_log("running poll_ms=700 batch=200", 10).await;
    let (code, _) = d.get("/health").await;
    assert_eq!(code, 200, "still working after two reloads");
    assert_eq!(d.stop(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
    db.drop_db().await;
}

/// A statement that gets no answer (here it waits on a table lock that a
/// backup holds, on a server that does not bound lock waits) is given up
/// after the statement limit plus a grace, and the pass fails, so the loop
/// logs it and retries instead of stalling for ever.
#[tokio::test]
async fn a_statement_without_an_answer_is_given_up() {
    use mysql_async::prelude::Queryable;
    let db = one_due("stalled").await;
    let pool = mysql_async::Pool::new(mysql_async::Opts::from_url(&db.url).unwrap());
    let mut backup = pool.get_conn().await.unwrap();
    backup.query_drop("LOCK TABLES vicidial_callbacks WRITE").await.unwrap();
    let stalled = vicidial_callbackd::db::Db::new(mysql_async::Opts::from_url(&db.url).unwrap())
        .with_statement_timeout(std::time::Duration::ZERO);
    let mut engine = vicidial_callbackd::engine::Engine::new(stalled, Default::default());
    let started = std::time::Instant::now();
    let result = engine.pass(Default::default(), &|| false).await;
    assert!(
        matches!(result, Err(vicidial_callbackd::db::DbError::Timeout(10))),
        "{:?}",
        result.map(|s| s.to_string())
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    backup.query_drop("UNLOCK TABLES").await.unwrap();
    drop(backup);
    pool.disconnect().await.unwrap();
    db.drop_db().await;
}

/// A scheduled purge that fails (here: its user may not write the archive)
/// is logged, counted and retried on its own schedule; activations go on.
#[tokio::test]
async fn a_failing_scheduled_purge_does_not_hold_activations() {
    let db = one_due("purge_denied").await;
    db.callback(20, 1, "C", 101, &[("status", "INACTIVE")]).await;
    let user = format!("cbt_nopurge_{}", std::process::id());
    let name = &db.name;
    db.exec(&format!(
        "CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'x'; \
         GRANT SELECT, UPDATE, DELETE ON `{name}`.* TO '{user}'@'%'; \
         GRANT INSERT ON `{name}`.`vicidial_hopper` TO '{user}'@'%'; \
         GRANT INSERT ON `{name}`.`vicidial_admin_log` TO '{user}'@'%'; \
         GRANT INSERT ON `{name}`.`callbackd_leader` TO '{user}'@'%'; \
         GRANT INSERT ON `{name}`.`callbackd_queued` TO '{user}'@'%'; \
         GRANT INSERT ON `{name}`.`callbackd_claimed` TO '{user}'@'%'"
    ))
    .await;
    let url = db.url.replacen("callbackd:callbackd@", &format!("{user}:x@"), 1);
    let env = [
        ("CALLBACKD_PURGE__ENABLED", "true"),
        ("CALLBACKD_PURGE__AT", "00:00"),
        ("CALLBACKD_PURGE__OLDER_THAN_DAYS", "0"),
    ];
    let d = start_as(&url, "p", &[], &env);
    d.wait_for_log("scheduled purge failed", 15).await;
    // A callback coming due now is activated within a poll or two.
    db.lead(3, 101, &[]).await;
    db.callback(30, 3, "C", 101, &[]).await;
    db.exec("UPDATE vicidial_callbacks SET callback_time = NOW() WHERE callback_id = 30")
        .await;
    let started = std::time::Instant::now();
    while db.callback_status(30).await != "LIVE" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "not activated within 3 s:\n{}",
            d.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(db.hopper_rows(3).await, 1);
    let (_, metrics) = d.get("/metrics").await;
    assert!(
        !metrics.contains("callbackd_duty_failures_total{duty=\"purge\"} 0\n"),
        "{metrics}"
    );
    assert_eq!(
        d.log().matches("scheduled purge failed").count(),
        1,
        "retried on its own schedule, not every tick"
    );
    assert_eq!(d.stop(), Some(0));
    db.exec(&format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    db.drop_db().await;
}

/// The metric names a rules or dashboard file mentions (words starting
/// `callbackd_` or `process_`), histogram series folded into their metric.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("callbackd_") || w.starts_with("process_"))
        .map(|w| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| w.strip_suffix(s).filter(|m| m.ends_with("_seconds")))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}

/// With the smallest pool allowed and a client scraping /metrics in a loop,
/// callbacks coming due are activated within a second: /metrics and email
/// alerts have connections of their own, never the engine's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_loop_on_the_smallest_pool_does_not_delay_activations() {
    let db = one_due("scrape_loop").await;
    let d = start_as(&db.url, "s", &[], &[("CALLBACKD_DATABASE__MAX_CONNECTIONS", "2")]);
    d.wait_for_log("pass: activated=1", 10).await;
    let port = d.port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scraping = stop.clone();
    let scraper = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut scrapes = 0u32;
        while !scraping.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                let _ = s
                    .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .await;
                let mut body = Vec::new();
                let _ = s.read_to_end(&mut body).await;
                scrapes += 1;
            }
        }
        scrapes
    });
    for lead in 2..=21u32 {
        db.lead(lead, 101, &[]).await;
        db.callback(lead * 10, lead, "C", 101, &[]).await;
    }
    db.exec("UPDATE vicidial_callbacks SET callback_time = NOW() WHERE callback_id >= 20")
        .await;
    let started = std::time::Instant::now();
    // Activated and queued: the claim comes first, the hopper row a moment after.
    while db.count("SELECT COUNT(*) FROM vicidial_hopper").await < 21 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "not all activated and queued within 1 s under a scrape loop:\n{}",
            d.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let scrapes = scraper.await.unwrap();
    assert!(scrapes > 10, "the loop scraped {scrapes} times");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status = 'LIVE'")
            .await,
        21
    );
    assert_eq!(d.stop(), Some(0));
    db.drop_db().await;
}
