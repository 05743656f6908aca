//! Odd rows lose no promise, and one pass reaches the state a second pass
//! keeps: callbacks with an empty or NULL `lead_status`, several open
//! callbacks of one lead, a callback whose campaign row is missing, and the
//! settings cache across the autumn's repeated hour. Against VICIdial's
//! schema on the test server (America/New_York).

mod common;

use std::process::{Command, Output};

use common::{TestDb, t};

fn callbackd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vicidial-callbackd"))
        .args(args)
        .env_remove("CALLBACKD_DATABASE_URL")
        .env_remove("RUST_LOG")
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

/// `AST_VDhopper.pl` (2.14, build 250224-1641) line 752 gives the lead the
/// callback's `lead_status` as it is, empty included, and inserts it: the
/// customer is called. The daemon calls too, and gives the lead `CALLBK`,
/// so a lost hopper row is put back (the pending rule knows the lead as
/// undialed), and says so once per callback; `check` counts such rows.
#[tokio::test]
async fn an_empty_or_null_lead_status_is_dialed_with_callbk_and_counted() {
    let db = TestDb::new("odd_empty_status").await;
    db.campaign("C", &[]).await;
    db.list(101, "C", &[]).await;
    for (lead, status) in [(1, ""), (2, "NULL"), (3, "CALLBK")] {
        db.lead(lead, 101, &[]).await;
        db.callback(lead * 10, lead, "C", 101, &[("lead_status", status)]).await;
    }
    assert_eq!(
        db.value("SELECT COUNT(*) FROM vicidial_callbacks WHERE lead_status IS NULL")
            .await,
        "1"
    );
    let out = callbackd(&["--database-url", &db.url, "check"]);
    let said = text(&out);
    assert!(
        said.contains("warn callbacks: 2 open callbacks have an empty or NULL lead_status"),
        "{said}"
    );

    let now = t("10:00:00");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for id in [10, 20] {
        let line = said
            .lines()
            .filter(|l| l.contains(&format!("callback_id={id} ")) && l.contains("lead_status is empty"))
            .count();
        assert_eq!(line, 1, "callback {id} logged once: {said}");
    }
    assert!(
        !said.contains("callback_id=30 lead_id=3 campaign=C dry_run=false lead_status"),
        "{said}"
    );
    for lead in [1, 2, 3] {
        assert_eq!(db.callback_status(lead * 10).await, "LIVE");
        assert_eq!(db.lead_state(lead).await, ("CALLBK".into(), "N".into()), "lead {lead}");
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead}");
    }
    // A MySQL restart empties the MEMORY hopper: the leads are undialed, and
    // go back in; the activation is not logged again.
    db.exec("DELETE FROM vicidial_hopper").await;
    let now = t("10:05:00");
    let out = callbackd(&["--database-url", &db.url, "once", "--now", &now, "--force"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("lead_status is empty"), "{said}");
    for lead in [1, 2, 3] {
        assert_eq!(db.hopper_rows(lead).await, 1, "lead {lead} back in the hopper");
    }
    db.drop_db().await;
}
