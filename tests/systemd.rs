//! The shipped systemd unit, checked with `systemd-analyze` where it exists
//! (skipped with a message otherwise): it verifies, and its hardening rates
//! at most 4.0 ("OK") in `systemd-analyze security`.

use std::process::Command;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/vicidial-callbackd.service");

fn analyze() -> Option<Command> {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return None;
    }
    Some(Command::new("systemd-analyze"))
}

/// The unit with ExecStart pointing at the binary just built, so verify can
/// check the command, under the unit's own name.
fn unit_copy() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("callbackd-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(UNIT).unwrap().replace(
        "/usr/local/bin/vicidial-callbackd",
        env!("CARGO_BIN_EXE_vicidial-callbackd"),
    );
    let path = dir.join("vicidial-callbackd.service");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_unit_verifies_and_is_notify_with_a_watchdog() {
    let text = std::fs::read_to_string(UNIT).unwrap();
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "User=vicidial-callbackd",
        "EnvironmentFile=-",
        "After=network-online.target mariadb.service mysql.service mysqld.service",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestartPreventExitStatus=2",
    ] {
        assert!(text.contains(line), "{line} missing");
    }
    let Some(mut cmd) = analyze() else { return };
    let out = cmd.arg("verify").arg(unit_copy()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    // Outside a booted systemd, verify may not know the user; nothing else may come up.
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| {
            !l.trim().is_empty() && !l.contains("Failed to resolve user") && !l.contains("System has not been booted")
        })
        .collect();
    assert!(problems.is_empty(), "{said}");
}

#[test]
fn hardening_rates_at_most_4_0() {
    let Some(mut cmd) = analyze() else { return };
    let out = cmd
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit_copy())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let score: f64 = said
        .lines()
        .find_map(|l| l.split("exposure level for vicidial-callbackd.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure level in:\n{said}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(score <= 4.0, "exposure {score}:\n{said}");
}
