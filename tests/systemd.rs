//! The shipped systemd unit and its hardening drop-ins. Every directive they
//! use has the systemd version that introduced it in systemd/DIRECTIVES.md;
//! the base unit needs nothing newer than 219 (CentOS 7) and each
//! `hardening-N.conf` nothing newer than N. With `systemd-analyze` (skipped
//! with a message where it is missing): both the base unit and the unit with
//! every drop-in verify, and the full hardening rates at most 4.0 ("OK") in
//! `systemd-analyze security`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/vicidial-callbackd.service");
const DROP_INS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/vicidial-callbackd.service.d");
const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/DIRECTIVES.md");
/// CentOS 7's systemd: the oldest a VICIdial server runs.
const OLDEST: u32 = 219;

/// `Directive` or `Directive=value` -> (version, source), from the table.
fn table() -> BTreeMap<String, (u32, String)> {
    let text = std::fs::read_to_string(TABLE).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `Name` | 235 | NEWS 235 |  ->  ["", "`Name`", "235", "NEWS 235", ""]
        if cells.len() != 5 || !cells[1].starts_with('`') {
            continue;
        }
        let Ok(version) = cells[2].parse::<u32>() else { continue };
        rows.insert(cells[1].trim_matches('`').to_string(), (version, cells[3].to_string()));
    }
    assert!(rows.len() > 40, "the table in {TABLE} was not read: {rows:?}");
    rows
}

/// The drop-ins, each with the systemd version its name requires.
fn drop_ins() -> Vec<(u32, PathBuf)> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(DROP_INS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let version = name
                .strip_prefix("hardening-")
                .and_then(|n| n.strip_suffix(".conf"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name}: drop-ins are named hardening-N.conf, N the systemd version"));
            (version, p)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty());
    found
}

/// (line number, key, value) of every assignment in a unit file.
fn assignments(path: &Path) -> Vec<(usize, String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with(['#', ';', '[']) && l.contains('='))
        .map(|(n, l)| {
            let (k, v) = l.split_once('=').unwrap();
            (n + 1, k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// The systemd version an assignment needs, from the table: its directive's,
/// or a newer value's (`ProtectSystem=strict`, each `@group` of a filter).
fn needs(rows: &BTreeMap<String, (u32, String)>, key: &str, value: &str) -> Result<u32, String> {
    let mut version = rows
        .get(key)
        .map(|r| r.0)
        .ok_or_else(|| format!("{key}= is not in {TABLE}"))?;
    let words: Vec<&str> = if key == "SystemCallFilter" {
        value.trim_start_matches('~').split_whitespace().collect()
    } else {
        vec![value]
    };
    for word in words {
        let row = rows.get(&format!("{key}={word}"));
        if word.starts_with('@') && row.is_none() {
            return Err(format!("{key}={word}: the group is not in {TABLE}"));
        }
        if let Some(r) = row {
            version = version.max(r.0);
        }
    }
    Ok(version)
}

#[test]
fn the_base_unit_needs_at_most_systemd_219_and_each_drop_in_its_own_version() {
    let rows = table();
    let mut files = vec![(OLDEST, PathBuf::from(UNIT))];
    files.extend(drop_ins());
    let mut problems = Vec::new();
    for (allowed, path) in &files {
        for (line, key, value) in assignments(path) {
            match needs(&rows, &key, &value) {
                Ok(v) if v > *allowed => problems.push(format!(
                    "{}:{line}: {key}={value} needs systemd {v}, this file at most {allowed}",
                    path.display()
                )),
                Ok(_) => {}
                Err(e) => problems.push(format!("{}:{line}: {e}", path.display())),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Without the drop-ins the state directory still exists: tmpfiles.d makes it.
    let tmpfiles = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/vicidial-callbackd.tmpfiles"
    ))
    .unwrap();
    assert!(
        tmpfiles
            .lines()
            .any(|l| l == "d /var/lib/vicidial-callbackd 0750 vicidial-callbackd vicidial-callbackd -"),
        "{tmpfiles}"
    );
}

/// The check itself fails on a directive newer than 219 in the base unit.
#[test]
fn a_newer_directive_in_the_base_unit_is_caught() {
    let rows = table();
    assert_eq!(needs(&rows, "StateDirectory", "vicidial-callbackd"), Ok(235));
    assert_eq!(needs(&rows, "ProtectSystem", "full"), Ok(219));
    assert_eq!(needs(&rows, "ProtectSystem", "strict"), Ok(232));
    assert_eq!(needs(&rows, "SystemCallFilter", "~@privileged @resources"), Ok(233));
    assert!(needs(&rows, "SystemCallFilter", "@no-such-group").is_err());
    assert!(needs(&rows, "PrivateNetwork", "true").is_err());
}

/// Rows sourced from systemd's NEWS name a directive NEWS mentions in that
/// release's section ("NEWS N") or first mentions there ("NEWS ≤N"). Read
/// where Debian installs NEWS; skipped with a message elsewhere.
#[test]
fn the_table_agrees_with_systemd_news() {
    let news = "/usr/share/doc/systemd/NEWS.gz";
    let Ok(out) = Command::new("zcat").arg(news).output() else {
        eprintln!("skipped: zcat is missing");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: {news} is not installed");
        return;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Each release's text, newest first as NEWS has them.
    let mut sections: BTreeMap<u32, String> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("CHANGES WITH ") {
            current = rest.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok();
            continue;
        }
        if let Some(v) = current {
            sections.entry(v).or_default().push_str(line);
            sections.entry(v).or_default().push('\n');
        }
    }
    let mut checked = 0;
    for (name, (version, source)) in table() {
        let (key, value) = name
            .split_once('=')
            .map_or((name.as_str(), None), |(k, v)| (k, Some(v)));
        let mentions = |v: u32| {
            sections.get(&v).is_some_and(|s| {
                s.contains(&format!("{key}=")) && value.is_none_or(|w| s.contains(w.trim_start_matches('@')))
                    || value.is_some_and(|w| s.contains(&format!("{key}={w}")))
            })
        };
        if let Some(n) = source.strip_prefix("NEWS ≤") {
            let n: u32 = n.parse().unwrap();
            assert_eq!(n, version, "{name}");
            assert!(mentions(n), "{name}: not in NEWS's section {n}");
            let older: Vec<u32> = sections.keys().copied().filter(|&v| v < n && mentions(v)).collect();
            assert!(older.is_empty(), "{name}: NEWS mentions it in {older:?}, before {n}");
            checked += 1;
        } else if let Some(n) = source.strip_prefix("NEWS ") {
            let n: u32 = n.parse().unwrap();
            assert_eq!(n, version, "{name}");
            let s = sections.get(&n).unwrap_or_else(|| panic!("no section {n} in NEWS"));
            let word = value.map_or(format!("{key}="), |w| w.trim_start_matches('@').to_string());
            assert!(
                s.contains(&word) || s.contains(&format!("{key}=")),
                "{name}: NEWS's section {n} does not name {word}"
            );
            checked += 1;
        }
    }
    assert!(checked > 25, "only {checked} rows checked against NEWS");
}

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
/// check the command, under the unit's own name; with every drop-in appended
/// (as systemd reads them: later assignments win) when `hardened`.
fn unit_copy(hardened: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callbackd-unit-{}-{hardened}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = std::fs::read_to_string(UNIT).unwrap().replace(
        "/usr/local/bin/vicidial-callbackd",
        env!("CARGO_BIN_EXE_vicidial-callbackd"),
    );
    if hardened {
        for (_, path) in drop_ins() {
            text.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
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
    for hardened in [false, true] {
        let Some(mut cmd) = analyze() else { return };
        let out = cmd.arg("verify").arg(unit_copy(hardened)).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        // Outside a booted systemd, verify may not know the user; nothing else may come up.
        let problems: Vec<&str> = said
            .lines()
            .filter(|l| {
                !l.trim().is_empty()
                    && !l.contains("Failed to resolve user")
                    && !l.contains("System has not been booted")
            })
            .collect();
        assert!(problems.is_empty(), "hardened: {hardened}\n{said}");
    }
}

#[test]
fn hardening_rates_at_most_4_0() {
    let Some(mut cmd) = analyze() else { return };
    let out = cmd
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit_copy(true))
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
