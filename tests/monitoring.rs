//! The shipped Prometheus rules, with Prometheus' own checker: `promtool
//! check rules monitoring/alerts.yml` and `promtool test rules
//! monitoring/alerts.test.yml` (each rule fires on the series that should trip
//! it and stays silent on a healthy cluster). `scripts/test.sh` provides
//! promtool from Debian's prometheus package (CALLBACKD_PROMTOOL). That every
//! metric the rules and the Grafana dashboard name is one the daemon exports is
//! checked against a live scrape in tests/operations.rs.

use std::process::Command;

fn promtool() -> Command {
    let path = std::env::var("CALLBACKD_PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let found = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "promtool not found ({path}): run the tests with scripts/test.sh, which installs it"
    );
    let mut cmd = Command::new(path);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/monitoring"));
    cmd
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}:\n{said}");
    said
}

#[test]
fn the_rules_are_valid_and_one_per_alert_line_of_the_readme() {
    let mut cmd = promtool();
    cmd.args(["check", "rules", "alerts.yml"]);
    let said = run(cmd);
    // The README's "alert when" column has fourteen lines; each has its rule.
    assert!(said.contains("SUCCESS: 14 rules found"), "{said}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = &readme[readme.find("| metric | what | alert when |").unwrap()..];
    let alert_lines = table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.trim_end().ends_with("| |") && !l.trim_end().ends_with("|  |"))
        .count();
    assert_eq!(
        alert_lines, 14,
        "the README's alert column changed: update monitoring/alerts.yml"
    );
}

#[test]
fn each_rule_fires_when_it_should_and_not_otherwise() {
    let mut cmd = promtool();
    cmd.args(["test", "rules", "alerts.test.yml"]);
    let said = run(cmd);
    assert!(said.contains("SUCCESS"), "{said}");
    // Every rule is exercised by the test file.
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/monitoring/alerts.yml")).unwrap();
    let tests = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/monitoring/alerts.test.yml")).unwrap();
    for name in rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")) {
        let firing = format!("alertname: {name}\n        exp_alerts:\n          - exp_labels");
        assert!(tests.contains(&firing), "{name} is never tested firing");
        assert!(
            tests.contains(&format!("alertname: {name}, exp_alerts: [] }}")),
            "{name} is never tested silent"
        );
    }
}
