//! The command line as operators and scripts use it: `check`, `once`, and
//! configuration errors, running the real binary.

mod common;

use std::process::{Command, Output};

use common::{TestDb, t};

fn callbackd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vicidial-callbackd"))
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .output()
        .expect("run the binary")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn check_passes_on_vicidials_schema_and_names_a_missing_column() {
    let db = TestDb::new("check").await;
    let out = callbackd(&["--database-url", &db.url, "check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("schema: ok"), "{}", text(&out));
    db.exec("ALTER TABLE vicidial_callbacks DROP COLUMN lead_status").await;
    db.exec("DROP TABLE vicidial_campaign_dnc").await;
    let out = callbackd(&["--database-url", &db.url, "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("column vicidial_callbacks.lead_status is missing"),
        "{said}"
    );
    assert!(said.contains("table vicidial_campaign_dnc is missing"), "{said}");
    db.drop_db().await;
}

#[test]
fn check_says_when_the_database_is_unreachable() {
    let out = callbackd(&["--database-url", "mysql://nobody:x@127.0.0.1:1/none", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("cannot connect to the database"), "{}", text(&out));
}

#[test]
fn bad_configuration_is_one_line_naming_file_and_key_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("callbackd-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[engine]\nbatch_size = \"lots\"\n").unwrap();
    let out = callbackd(&["--config", file.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml") && err.contains("engine.batch_size"), "{err}");
    std::fs::write(&file, "[email]\nsmtp_tls = \"sometimes\"\n").unwrap();
    let out = callbackd(&["--config", file.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("email.smtp_tls"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn once_prints_the_pinned_summary_line_and_dry_run_changes_nothing() {
    let db = TestDb::new("cli_once").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    db.lead(1, 101, &[]).await;
    db.callback(10, 1, "C", 101, &[]).await;
    let now = t("10:00:00");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        first.starts_with("activated=1 inserted=1 pending=0 dead=0 errors=0"),
        "{first}"
    );
    assert_eq!(db.callback_status(10).await, "ACTIVE");
    // Real rows at an invented time only with --force (fidelity item 15).
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{}",
        text(&out)
    );
    assert_eq!(db.callback_status(10).await, "ACTIVE");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(db.callback_status(10).await, "LIVE");
    assert_eq!(db.hopper_rows(1).await, 1);
    let out = callbackd(&["--database-url", &db.url, "once", "--now", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    db.drop_db().await;
}
