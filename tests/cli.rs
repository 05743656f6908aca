//! The command line as operators and scripts use it: `check`, `once`, and
//! configuration errors, running the real binary.

mod common;

use std::process::Output;

use common::{TestDb, t};

fn callbackd(args: &[&str]) -> Output {
    common::callbackd()
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
    assert!(text(&out).contains("ok   schema: "), "{}", text(&out));
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
fn check_says_on_stderr_when_the_database_is_unreachable_naming_it_once() {
    let out = callbackd(&["--database-url", "mysql://nobody:x@127.0.0.1:1/none", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("FAIL database: cannot connect to 127.0.0.1:1/none as nobody"),
        "{err}"
    );
    assert!(!err.contains("Input/output error: Input/output error"), "{err}");
    assert!(!err.contains(":x@"), "the password is never shown: {err}");
}

#[tokio::test]
async fn check_names_what_it_checked_and_speaks_json() {
    let db = TestDb::new("check_json").await;
    let out = callbackd(&["--database-url", &db.url, "check"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        assert!(line.starts_with("ok ") || line.starts_with("warn "), "{line}");
    }
    assert!(
        said.contains("ok   database: connected to 127.0.0.1:") && said.contains(&format!("/{} as callbackd", db.name)),
        "{said}"
    );
    assert!(said.contains("ok   privileges:"), "{said}");
    assert!(said.contains("email container: AGENT_CALLBACK_EMAIL parses"), "{said}");
    let out = callbackd(&["--database-url", &db.url, "check", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["passed"], true);
    let items = doc["items"].as_array().unwrap();
    assert!(
        items.iter().any(|i| i["item"] == "schema" && i["status"] == "ok"),
        "{doc}"
    );
    db.exec("UPDATE vicidial_settings_containers SET container_entry = 'email_subject=x' WHERE container_id LIKE 'AGENT_CALLBACK_EMAIL%'")
        .await;
    let out = callbackd(&["--database-url", &db.url, "check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["item"] == "email container" && i["status"] == "FAIL"),
        "{doc}"
    );
    db.drop_db().await;
}

/// The privileges of an enabled duty are checked too: a scheduled purge
/// whose user may not write the archive fails the check, not the daemon.
#[tokio::test]
async fn check_looks_for_the_privileges_of_enabled_duties() {
    let db = TestDb::new("check_duties").await;
    let user = format!("cbt_duty_{}", std::process::id());
    let name = &db.name;
    db.exec(&format!(
        "CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'pw'; \
         GRANT SELECT, INSERT, UPDATE ON `{name}`.* TO '{user}'@'%'; \
         GRANT DELETE ON `{name}`.`vicidial_hopper` TO '{user}'@'%'; \
         GRANT DELETE ON `{name}`.`callbackd_claimed` TO '{user}'@'%'; \
         GRANT DELETE ON `{name}`.`callbackd_queued` TO '{user}'@'%'"
    ))
    .await;
    let url = db.url.replacen("callbackd:callbackd@", &format!("{user}:pw@"), 1);
    let plain = callbackd(&["--database-url", &url, "check"]);
    let purging = common::callbackd()
        .args(["--database-url", &url, "check"])
        .env_remove("CALLBACKD_DATABASE_URL")
        .env("CALLBACKD_PURGE__ENABLED", "true")
        .output()
        .unwrap();
    db.exec(&format!("DROP USER '{user}'@'%'")).await;
    assert!(text(&plain).contains("ok   privileges:"), "{}", text(&plain));
    assert_eq!(purging.status.code(), Some(1), "{}", text(&purging));
    let err = String::from_utf8_lossy(&purging.stderr);
    assert!(
        err.contains("FAIL privileges: missing: DELETE on vicidial_callbacks (the scheduled purge)"),
        "{err}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn check_fails_on_a_missing_privilege() {
    let db = TestDb::new("check_grants").await;
    let user = format!("cbt_ro_{}", std::process::id());
    db.exec(&format!(
        "CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, UPDATE ON `{}`.* TO '{user}'@'%'",
        db.name
    ))
    .await;
    let url = db.url.replacen("callbackd:callbackd@", &format!("{user}:pw@"), 1);
    let out = callbackd(&["--database-url", &url, "check"]);
    db.exec(&format!("DROP USER '{user}'@'%'")).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FAIL privileges: missing: INSERT on vicidial_hopper"),
        "{err}"
    );
    assert!(!err.contains("UPDATE on"), "{err}");
    db.drop_db().await;
}

/// The server judges the privileges: those of the user's default role
/// count, those of a role granted but not enabled at login do not (the
/// daemon's statements could not use them either).
#[tokio::test]
async fn check_counts_the_default_roles_privileges_and_only_those() {
    let db = TestDb::new("check_roles").await;
    let pid = std::process::id();
    let (user, role, other) = (
        format!("cbt_role_{pid}"),
        format!("cbt_r_{pid}"),
        format!("cbt_o_{pid}"),
    );
    let name = &db.name;
    db.exec(&format!(
        "CREATE ROLE IF NOT EXISTS {role}; CREATE ROLE IF NOT EXISTS {other}; \
         GRANT SELECT, INSERT, UPDATE ON `{name}`.* TO {role}; \
         GRANT DELETE ON `{name}`.`vicidial_hopper` TO {role}; \
         GRANT DELETE ON `{name}`.`callbackd_claimed` TO {role}; \
         GRANT DELETE ON `{name}`.`callbackd_queued` TO {role}; \
         GRANT DELETE ON `{name}`.`vicidial_callbacks` TO {other}; \
         CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'pw'; \
         GRANT {role} TO '{user}'@'%'; GRANT {other} TO '{user}'@'%'; \
         SET DEFAULT ROLE {role} FOR '{user}'@'%'"
    ))
    .await;
    let url = db.url.replacen("callbackd:callbackd@", &format!("{user}:pw@"), 1);
    let plain = callbackd(&["--database-url", &url, "check"]);
    let purging = common::callbackd()
        .args(["--database-url", &url, "check"])
        .env_remove("CALLBACKD_DATABASE_URL")
        .env("CALLBACKD_PURGE__ENABLED", "true")
        .output()
        .unwrap();
    db.exec(&format!("DROP USER '{user}'@'%'; DROP ROLE {role}; DROP ROLE {other}"))
        .await;
    assert!(text(&plain).contains("ok   privileges:"), "{}", text(&plain));
    assert!(
        text(&plain).contains("manager commands run as this user would fail: missing DELETE on vicidial_callbacks"),
        "{}",
        text(&plain)
    );
    assert_eq!(purging.status.code(), Some(1), "{}", text(&purging));
    assert!(
        text(&purging).contains("FAIL privileges: missing: DELETE on vicidial_callbacks (the scheduled purge)"),
        "{}",
        text(&purging)
    );
    db.drop_db().await;
}

/// Before the first start the daemon's own tables do not exist: `check`
/// says they will be made then (with CREATE), and does not fail.
#[tokio::test]
async fn check_before_the_first_start_says_the_own_tables_are_made_then() {
    let db = TestDb::new("check_own").await;
    db.exec("DROP TABLE callbackd_leader, callbackd_claimed, callbackd_queued")
        .await;
    let out = callbackd(&["--database-url", &db.url, "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("ok   privileges:"), "{}", text(&out));
    assert!(
        text(&out).contains(
            "the daemon's own tables (callbackd_claimed, callbackd_leader, callbackd_queued) do not exist yet"
        ),
        "{}",
        text(&out)
    );
    db.drop_db().await;
}

#[tokio::test]
async fn check_and_run_reject_the_same_bad_email_settings() {
    let db = TestDb::new("check_email").await;
    let dir = std::env::temp_dir().join(format!("callbackd-cli-email-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("email.toml");
    for (toml, key) in [
        ("[email]\nsmtp_user = \"cb\"\n", "email.smtp_password"),
        ("[email]\nsmtp_host = \"mail server\"\n", "email.smtp_host"),
    ] {
        std::fs::write(&file, toml).unwrap();
        for command in ["check", "run"] {
            let out = callbackd(&["--config", file.to_str().unwrap(), "--database-url", &db.url, command]);
            assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains("email.toml") && err.contains(key), "{command}: {err}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    db.drop_db().await;
}

#[test]
fn a_mistyped_variable_is_named_not_the_file() {
    let out = common::callbackd()
        .args(["--database-url", "mysql://a:b@127.0.0.1:1/x", "check"])
        .env("CALLBACKD_ENGINE__BATCH_SIZ", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: CALLBACKD_ENGINE__BATCH_SIZ: engine.batch_siz: unknown key"),
        "{err}"
    );
}

#[test]
fn a_relative_path_is_printed_as_given_and_help_lists_exit_codes() {
    let out = common::callbackd()
        .current_dir("/")
        .args(["--config", "nonexistent/callbackd.toml", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: nonexistent/callbackd.toml: "),
        "{}",
        text(&out)
    );
    let help = callbackd(&["check", "--help"]);
    assert!(
        text(&help).contains("Exit codes: 0 ok; 1 database or runtime error"),
        "{}",
        text(&help)
    );
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
    // Values that would overflow a time computed from them.
    for (key, value) in [
        ("full_scan_seconds", "9223372036854775807"),
        ("repair_max_age_days", "100000"),
    ] {
        std::fs::write(&file, format!("[engine]\n{key} = {value}\n")).unwrap();
        let out = callbackd(&["--config", file.to_str().unwrap(), "check"]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("engine.{key}: must be from 1 to")), "{err}");
    }
    // A pass works on two connections at once: one would wait on itself.
    std::fs::write(&file, "[database]\nmax_connections = 1\n").unwrap();
    let out = callbackd(&["--config", file.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("database.max_connections: must be at least 2"), "{err}");
    std::fs::write(&file, "[email]\nsmtp_tls = \"sometimes\"\n").unwrap();
    let out = callbackd(&["--config", file.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("email.smtp_tls: \"sometimes\" is not one of: \"none\", \"starttls\", \"tls\""),
        "{err}"
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
    // Real rows at an invented time only with --force.
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

/// The pending rule reads `vicidial_callbacks.modify_date` as the moment a
/// callback was made dialable; a schema where it is not stamped on update
/// (created with `explicit_defaults_for_timestamp=ON`) is warned about.
#[tokio::test]
async fn check_warns_when_modify_date_is_not_stamped_on_update() {
    let db = TestDb::new("check_modify").await;
    assert!(!text(&callbackd(&["--database-url", &db.url, "check"])).contains("not stamped on update"));
    db.exec("ALTER TABLE vicidial_callbacks MODIFY modify_date TIMESTAMP NULL DEFAULT NULL")
        .await;
    let out = callbackd(&["--database-url", &db.url, "check"]);
    let said = text(&out);
    assert!(
        said.contains("warn schema: vicidial_callbacks.modify_date is not stamped on update"),
        "{said}"
    );
    db.drop_db().await;
}
