//! Operating the daemon as ops people do: its log output under a pipe, as
//! JSON and under journald; the real binary against the throwaway MariaDB.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};

use common::{TestDb, t};

fn callbackd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vicidial-callbackd"));
    cmd.env_remove("CALLBACKD_DATABASE_URL")
        .env_remove("JOURNAL_STREAM")
        .env_remove("RUST_LOG");
    cmd
}

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
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00")])
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
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00")])
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
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:00")])
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
