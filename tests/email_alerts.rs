//! Email alerts for triggered USERONLY callbacks (README, "Email alerts"),
//! end to end: a real MariaDB (one database per test) and a real SMTP server
//! (the aiosmtpd sink of `tests/support/smtp_sink.py`) on loopback.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use common::{TestDb, t};
use mysql_async::Opts;
use smtp::{ReceivedMail, SinkMode, SmtpSink, unused_port};
use vicidial_callbackd::db::Db;
use vicidial_callbackd::duties::alerts::{AlertSummary, Alerts};
use vicidial_callbackd::email::EmailConfig;
use vicidial_callbackd::engine::PassOptions;

/// A container using every variable the README lists ("Email alerts"), one per body line,
/// written the way VICIdial's editor saves it (CRLF, `=>`, comments).
const EVERY_VARIABLE: &str = "; alert settings\r\n\
    email_from => alerts@example.com ; the sender\r\n\
    email_subject => Callback --A--callback_id--B-- for --A--agent_name--B--: --A--first_name--B-- --A--last_name--B--\r\n\
    email_body_begin => Hello --A--agent_name--B--,\r\n\
    lead_id=--A--lead_id--B--\r\n\
    vendor_lead_code=--A--vendor_lead_code--B--\r\n\
    vendor_id=--A--vendor_id--B--\r\n\
    list_id=--A--list_id--B--\r\n\
    gmt_offset_now=--A--gmt_offset_now--B--\r\n\
    phone_code=--A--phone_code--B--\r\n\
    phone_number=--A--phone_number--B--\r\n\
    title=--A--title--B--\r\n\
    first_name=--A--first_name--B--\r\n\
    middle_initial=--A--middle_initial--B--\r\n\
    last_name=--A--last_name--B--\r\n\
    address1=--A--address1--B--\r\n\
    address2=--A--address2--B--\r\n\
    address3=--A--address3--B--\r\n\
    city=--A--city--B--\r\n\
    state=--A--state--B--\r\n\
    province=--A--province--B--\r\n\
    postal_code=--A--postal_code--B--\r\n\
    country_code=--A--country_code--B--\r\n\
    gender=--A--gender--B--\r\n\
    date_of_birth=--A--date_of_birth--B--\r\n\
    alt_phone=--A--alt_phone--B--\r\n\
    email=--A--email--B--\r\n\
    security_phrase=--A--security_phrase--B--\r\n\
    comments=--A--comments--B--\r\n\
    called_count=--A--called_count--B--\r\n\
    rank=--A--rank--B--\r\n\
    owner=--A--owner--B--\r\n\
    entry_list_id=--A--entry_list_id--B--\r\n\
    list_name=--A--list_name--B--\r\n\
    list_description=--A--list_description--B--\r\n\
    agent_name=--A--AGENT_NAME--B--\r\n\
    callback_comments=--A--callback_comments--B--\r\n\
    callback_time=--A--callback_time--B--\r\n\
    campaign_id=--A--campaign_id--B--\r\n\
    callback_id=--A--callback_id--B--\r\n\
    unknown=--A--nickname--B--\r\n\
    \r\n\
    # and ; stay in the body\r\n\
    email_body_end\r\n";

/// The body `EVERY_VARIABLE` gives for callback 10 of [`scenario`].
const EVERY_VARIABLE_BODY: &str = "Hello Zoë Müller,\n\
    lead_id=1\n\
    vendor_lead_code=V1\n\
    vendor_id=V1\n\
    list_id=101\n\
    gmt_offset_now=-6.00\n\
    phone_code=1\n\
    phone_number=3125550001\n\
    title=Mr\n\
    first_name=Seán\n\
    middle_initial=Q\n\
    last_name=O'Brien\n\
    address1=1 Main St\n\
    address2=Apt 2\n\
    address3=\n\
    city=Chicago\n\
    state=IL\n\
    province=\n\
    postal_code=60601\n\
    country_code=USA\n\
    gender=M\n\
    date_of_birth=1970-01-02\n\
    alt_phone=3125550000\n\
    email=sean@example.org\n\
    security_phrase=blue & gold\n\
    comments=Lead note: 50% off+tax\n\
    called_count=3\n\
    rank=5\n\
    owner=1001\n\
    entry_list_id=101\n\
    list_name=Rückrufe\n\
    list_description=Café list – VIP\n\
    agent_name=Zoë Müller\n\
    callback_comments=call back re: quote --A--first_name--B--\n\
    callback_time=2026-03-04 10:00:00\n\
    campaign_id=C\n\
    callback_id=10\n\
    unknown=--A--nickname--B--\n\
    \n\
    # and ; stay in the body";

/// A pass at a time of the test calendar's day.
fn pass_at(hms: &str) -> PassOptions {
    PassOptions {
        at: Some(common::at(hms)),
        dry_run: false,
    }
}

/// SMTP on `port` of loopback, small backoffs so the tests stay fast.
fn config(port: u16) -> EmailConfig {
    EmailConfig {
        smtp_port: port,
        retries: 3,
        retry_backoff_seconds: 0.05,
        timeout_seconds: 5,
        ..EmailConfig::default()
    }
}

fn alerts(db: &TestDb, config: EmailConfig) -> Alerts {
    Alerts::new(db.db.clone(), config, 500).expect("mailer")
}

/// Inserts a `vicidial_users` row.
async fn user(db: &TestDb, user: &str, full_name: &str, email: &str) {
    db.exec_with(
        "INSERT INTO vicidial_users (user, pass, full_name, email, user_group, active) \
         VALUES (?, 'x', ?, ?, 'AGENTS', 'Y')",
        vec![user.into(), full_name.into(), email.into()],
    )
    .await;
}

/// Replaces the text of the stock `AGENT_CALLBACK_EMAIL ` container.
async fn set_container(db: &TestDb, text: &str) {
    db.exec_with(
        "UPDATE vicidial_settings_containers SET container_entry = ? \
         WHERE container_id = 'AGENT_CALLBACK_EMAIL'",
        vec![text.into()],
    )
    .await;
}

/// A LIVE USERONLY callback `id` of agent `owner` on lead `lead`, due at 10:00.
async fn useronly(db: &TestDb, id: u32, lead: u32, owner: &str, extra: &[(&str, &str)]) {
    db.lead(lead, 101, &[]).await;
    let mut cols = vec![("status", "LIVE"), ("recipient", "USERONLY"), ("user", owner)];
    cols.extend_from_slice(extra);
    db.callback(id, lead, "C", 101, &cols).await;
}

/// Campaign C (alerts on) with list 101, agent 1001 (Zoë Müller), and callback
/// 10: LIVE USERONLY for lead 1 (Seán O'Brien), due at 10:00.
async fn scenario(tag: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.campaign("C", &[("scheduled_callbacks_email_alert", "Y")]).await;
    db.list(
        101,
        "C",
        &[("list_name", "Rückrufe"), ("list_description", "Café list – VIP")],
    )
    .await;
    user(&db, "1001", "Zoë Müller", "zoe@example.com").await;
    db.lead(
        1,
        101,
        &[
            ("first_name", "Seán"),
            ("last_name", "O'Brien"),
            ("phone_number", "3125550001"),
            ("title", "Mr"),
            ("middle_initial", "Q"),
            ("address1", "1 Main St"),
            ("address2", "Apt 2"),
            ("city", "Chicago"),
            ("postal_code", "60601"),
            ("country_code", "USA"),
            ("gender", "M"),
            ("date_of_birth", "1970-01-02"),
            ("alt_phone", "3125550000"),
            ("email", "sean@example.org"),
            ("security_phrase", "blue & gold"),
            ("comments", "Lead note: 50% off+tax"),
            ("called_count", "3"),
            ("rank", "5"),
            ("owner", "1001"),
        ],
    )
    .await;
    db.callback(
        10,
        1,
        "C",
        101,
        &[
            ("status", "LIVE"),
            ("recipient", "USERONLY"),
            ("comments", "call back re: quote --A--first_name--B--"),
        ],
    )
    .await;
    db
}

/// `email_alert` and `email_result` of a callback (`NULL` for NULL).
async fn email_state(db: &TestDb, callback_id: u32) -> (String, String) {
    let rows = db
        .rows(&format!(
            "SELECT email_alert, email_result FROM vicidial_callbacks WHERE callback_id = {callback_id}"
        ))
        .await;
    (rows[0][0].clone(), rows[0][1].clone())
}

fn counts(s: &AlertSummary) -> (u64, u64, u64) {
    (s.sent, s.failed, s.not_available)
}

/// Messages as they arrive (the sink writes each one when it accepts it).
fn messages(sink: &SmtpSink) -> Vec<ReceivedMail> {
    sink.messages()
}

#[tokio::test]
async fn the_alert_arrives_with_every_variable_filled_and_is_recorded_sent() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_sent").await;
    set_container(&db, EVERY_VARIABLE).await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    assert_eq!(
        email_state(&db, 10).await,
        (t("10:00:30"), "SENT".to_owned()),
        "claimed at the pass's database time, then SENT"
    );
    let mails = messages(&sink);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.defects, 0, "{}", mail.raw);
    assert_eq!(mail.envelope_from, "alerts@example.com");
    assert_eq!(mail.envelope_to, ["zoe@example.com"]);
    assert_eq!(mail.header("From"), Some("alerts@example.com"));
    assert_eq!(mail.header("To"), Some("zoe@example.com"));
    assert_eq!(mail.header("Subject"), Some("Callback 10 for Zoë Müller: Seán O'Brien"));
    assert_eq!(mail.header("Content-Type"), Some("text/plain; charset=\"utf-8\""));
    assert_eq!(mail.body.trim_end_matches('\n'), EVERY_VARIABLE_BODY);
    // Non-ASCII headers travel as RFC 2047 encoded words, never raw 8-bit;
    // values are not URL-encoded (VICIdial's agent screen sends "Se%C3%A1n").
    let raw_headers = mail.raw_headers();
    assert!(raw_headers.is_ascii(), "{raw_headers}");
    assert!(raw_headers.contains("=?utf-8?"), "{raw_headers}");
    assert!(!mail.raw.contains("%C3"), "{}", mail.raw);
    db.drop_db().await;
}

#[tokio::test]
async fn the_stock_container_with_its_trailing_space_id_is_used() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_stock").await;
    assert_eq!(
        db.value("SELECT CONCAT('[', container_id, ']') FROM vicidial_settings_containers")
            .await,
        "[AGENT_CALLBACK_EMAIL ]"
    );

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    let mails = messages(&sink);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.header("From"), Some("vicidial@local.server"));
    assert_eq!(mail.header("Subject"), Some("Scheduled callback alert for Zoë Müller"));
    assert!(
        mail.body
            .contains("right now for the following lead:\n\nName: Seán O'Brien\nPhone: 3125550001\n"),
        "{}",
        mail.body
    );
    assert!(
        mail.body
            .contains("CB Comments: call back re: quote --A--first_name--B--\n"),
        "{}",
        mail.body
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_second_pass_sends_nothing() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_twice").await;
    let mut sender = alerts(&db, config(sink.port));

    let first = sender.pass(pass_at("10:00:30")).await.unwrap();
    let second = sender.pass(pass_at("10:00:31")).await.unwrap();
    // A restarted daemon knows nothing in memory: the columns alone decide.
    let restarted = alerts(&db, config(sink.port)).pass(pass_at("10:00:32")).await.unwrap();

    assert_eq!(counts(&first), (1, 0, 0), "{first}");
    assert_eq!(counts(&second), (0, 0, 0), "{second}");
    assert_eq!(counts(&restarted), (0, 0, 0), "{restarted}");
    assert_eq!(messages(&sink).len(), 1);
    assert_eq!(email_state(&db, 10).await, (t("10:00:30"), "SENT".to_owned()));
    db.drop_db().await;
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_and_the_alert_sent_once() {
    let sink = SmtpSink::start_default(SinkMode::TempFail(2));
    let db = scenario("alert_451").await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    assert_eq!(
        sink.rejections(),
        ["DATA 451 4.3.0 try again later", "DATA 451 4.3.0 try again later"]
    );
    assert_eq!(messages(&sink).len(), 1);
    assert_eq!(email_state(&db, 10).await.1, "SENT");
    db.drop_db().await;
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_failed() {
    let sink = SmtpSink::start_default(SinkMode::PermFail);
    let db = scenario("alert_550").await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (0, 1, 0), "{s}");
    assert_eq!(sink.rejections(), ["RCPT 550 5.1.1 mailbox unavailable"]);
    assert!(messages(&sink).is_empty());
    assert_eq!(email_state(&db, 10).await, (t("10:00:30"), "FAILED".to_owned()));
    // Failed is final: no second attempt on a later pass.
    let later = alerts(&db, config(sink.port)).pass(pass_at("10:01:00")).await.unwrap();
    assert_eq!(counts(&later), (0, 0, 0), "{later}");
    assert_eq!(sink.rejections().len(), 1);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_mail_server_is_retried_then_failed_while_activation_goes_on() {
    let db = scenario("alert_dead").await;
    // Callback 20: an ANYONE callback coming due at 10:00, for the engine.
    db.lead(2, 101, &[]).await;
    db.callback(20, 2, "C", 101, &[]).await;
    // Three retries after 0.3 s, 0.6 s and 1.2 s: the alert takes 2.1 s or more.
    let slow = EmailConfig {
        retries: 3,
        retry_backoff_seconds: 0.3,
        ..config(unused_port())
    };
    let mut sender = alerts(&db, slow);

    let started = Instant::now();
    let alert_pass = tokio::spawn(async move {
        let summary = sender.pass(pass_at("10:00:30")).await.unwrap();
        (summary, started.elapsed())
    });
    // Let the alert pass claim and start sending before the engine runs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        email_state(&db, 10).await,
        (t("10:00:30"), "NULL".to_owned()),
        "the alert is claimed and being sent"
    );
    let engine = db.pass_at(Some(&t("10:00:30"))).await;
    let engine_done = started.elapsed();

    // The activation is complete while the alert is still retrying.
    assert_eq!((engine.activated, engine.inserted), (1, 1), "{engine}");
    assert_eq!(db.callback_status(20).await, "LIVE");
    assert_eq!(db.hopper_rows(2).await, 1);
    assert!(
        !alert_pass.is_finished(),
        "the alert pass ended before the engine pass did ({engine_done:?})"
    );

    let (summary, alert_done) = alert_pass.await.unwrap();
    assert_eq!(counts(&summary), (0, 1, 0), "{summary}");
    assert_eq!(email_state(&db, 10).await, (t("10:00:30"), "FAILED".to_owned()));
    assert!(
        alert_done >= Duration::from_millis(2100),
        "retries with backoff: {alert_done:?}"
    );
    assert!(
        engine_done + Duration::from_secs(1) < alert_done,
        "engine pass done at {engine_done:?}, alert pass at {alert_done:?}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn no_container_or_a_malformed_one_is_not_available() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_nocontainer").await;
    useronly(&db, 11, 2, "1001", &[]).await;
    db.exec("DELETE FROM vicidial_settings_containers").await;
    let mut sender = alerts(&db, config(sink.port));

    let s = sender.pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (0, 0, 2), "{s}");
    assert_eq!(email_state(&db, 10).await, (t("10:00:30"), "NOT AVAILABLE".to_owned()));
    assert_eq!(email_state(&db, 11).await.1, "NOT AVAILABLE");

    // A container without a subject, then one whose sender is no address.
    db.exec_with(
        "INSERT INTO vicidial_settings_containers (container_id, container_type, container_entry) \
         VALUES ('AGENT_CALLBACK_EMAIL', 'OTHER', ?)",
        vec!["email_from=alerts@example.com\nemail_body_begin=\nhi\nemail_body_end".into()],
    )
    .await;
    useronly(&db, 12, 3, "1001", &[]).await;
    let s = sender.pass(pass_at("10:00:40")).await.unwrap();
    assert_eq!(counts(&s), (0, 0, 1), "{s}");
    set_container(&db, "email_from=not an address\nemail_subject=Due\n").await;
    useronly(&db, 13, 4, "1001", &[]).await;
    let s = sender.pass(pass_at("10:00:50")).await.unwrap();
    assert_eq!(counts(&s), (0, 0, 1), "{s}");
    assert_eq!(email_state(&db, 13).await.1, "NOT AVAILABLE");

    // Fixed: the next alert is sent.
    set_container(&db, "email_from=alerts@example.com\nemail_subject=Due\n").await;
    useronly(&db, 14, 5, "1001", &[]).await;
    let s = sender.pass(pass_at("10:01:00")).await.unwrap();
    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    assert_eq!(messages(&sink).len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn an_empty_invalid_or_missing_address_is_not_available() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_address").await;
    user(&db, "1002", "No Mail", "").await;
    user(&db, "1003", "Bad Mail", "not an address").await;
    user(&db, "1004", "Half Mail", "agent@").await;
    db.exec("UPDATE vicidial_callbacks SET user = '1002' WHERE callback_id = 10")
        .await;
    useronly(&db, 11, 2, "1003", &[]).await;
    useronly(&db, 12, 3, "1004", &[]).await;
    useronly(&db, 13, 4, "9999", &[]).await; // no such user

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (0, 0, 4), "{s}");
    for id in [10, 11, 12, 13] {
        assert_eq!(
            email_state(&db, id).await,
            (t("10:00:30"), "NOT AVAILABLE".to_owned()),
            "callback {id}"
        );
    }
    assert!(messages(&sink).is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn the_containers_email_to_replaces_the_owners_address() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_email_to").await;
    user(&db, "1002", "No Mail", "").await;
    db.exec("UPDATE vicidial_callbacks SET user = '1002' WHERE callback_id = 10")
        .await;
    set_container(
        &db,
        "email_from=alerts@example.com\nemail_to=supervisor@example.com\nemail_subject=Due for --A--agent_name--B--\n",
    )
    .await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    let mails = messages(&sink);
    assert_eq!(mails[0].envelope_to, ["supervisor@example.com"]);
    assert_eq!(mails[0].header("Subject"), Some("Due for No Mail"));
    db.drop_db().await;
}

#[tokio::test]
async fn an_alert_too_late_is_not_available() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_late").await;
    // Callback 11 came due at 08:00; the daemon was down until 10:00:30.
    useronly(&db, 11, 2, "1001", &[("callback_time", &t("08:00:00"))]).await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(counts(&s), (1, 0, 1), "{s}");
    assert_eq!(email_state(&db, 11).await, (t("10:00:30"), "NOT AVAILABLE".to_owned()));
    assert_eq!(email_state(&db, 10).await.1, "SENT");
    assert_eq!(messages(&sink).len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn the_hours_block_holds_the_alert_and_lateness_counts_from_its_end() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_block").await;
    // Set at 08:00 with a 3-hour block: the alert is due at 11:00, not 10:00.
    db.exec("UPDATE vicidial_campaigns SET callback_hours_block = 3").await;
    let mut sender = alerts(&db, config(sink.port));

    let before = sender.pass(pass_at("10:59:59")).await.unwrap();
    assert_eq!(counts(&before), (0, 0, 0), "{before}");
    assert_eq!(email_state(&db, 10).await, ("NULL".into(), "NULL".into()));

    // 70 minutes after callback_time but 10 after the block ended: sent.
    let after = sender.pass(pass_at("11:10:00")).await.unwrap();
    assert_eq!(counts(&after), (1, 0, 0), "{after}");
    assert_eq!(messages(&sink).len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn alerts_off_anyone_and_untriggered_callbacks_get_nothing() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_none").await;
    // Campaign D has alerts off (VICIdial's default 'N').
    db.campaign("D", &[]).await;
    db.exec("UPDATE vicidial_callbacks SET campaign_id = 'D' WHERE callback_id = 10")
        .await;
    // On campaign C (alerts on): a LIVE ANYONE and a not yet triggered USERONLY.
    db.lead(2, 101, &[]).await;
    db.callback(11, 2, "C", 101, &[("status", "LIVE")]).await;
    useronly(&db, 12, 3, "1001", &[("status", "ACTIVE")]).await;
    // And one the agent has already dialed.
    useronly(&db, 13, 4, "1001", &[("status", "INACTIVE")]).await;

    let s = alerts(&db, config(sink.port)).pass(pass_at("10:00:30")).await.unwrap();

    assert_eq!(
        s,
        AlertSummary {
            at: s.at,
            ..AlertSummary::default()
        },
        "{s}"
    );
    for id in [10, 11, 12, 13] {
        assert_eq!(
            email_state(&db, id).await,
            ("NULL".into(), "NULL".into()),
            "callback {id}"
        );
    }
    assert!(messages(&sink).is_empty());
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_senders_at_once_send_one_email_per_callback() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_race").await;
    for n in 0..19 {
        useronly(&db, 100 + n, 100 + n, "1001", &[]).await;
    }
    set_container(
        &db,
        "email_from=alerts@example.com\nemail_subject=Callback --A--callback_id--B--\n",
    )
    .await;
    // Two daemons: separate connection pools on the same database.
    let other = Db::new(Opts::from_url(&db.url).unwrap());
    let mut first = alerts(&db, config(sink.port));
    let mut second = Alerts::new(other.clone(), config(sink.port), 500).unwrap();

    let (a, b) = tokio::join!(
        tokio::spawn(async move { first.pass(pass_at("10:00:30")).await.unwrap() }),
        tokio::spawn(async move { second.pass(pass_at("10:00:30")).await.unwrap() }),
    );
    let (a, b) = (a.unwrap(), b.unwrap());

    assert_eq!(a.sent + b.sent, 20, "{a} / {b}");
    let mut subjects: Vec<String> = messages(&sink)
        .iter()
        .map(|m| m.header("Subject").unwrap().to_owned())
        .collect();
    subjects.sort();
    let mut expected: Vec<String> = std::iter::once(10)
        .chain(100..119)
        .map(|id| format!("Callback {id}"))
        .collect();
    expected.sort();
    assert_eq!(subjects, expected);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM vicidial_callbacks WHERE email_result = 'SENT'")
            .await,
        20
    );
    let _ = other.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_claim_without_a_result_is_never_sent() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_claimed").await;
    // Claimed at 10:00:00 by a daemon that died before recording the result,
    // and 11 claimed just now by another daemon still sending.
    db.exec("UPDATE vicidial_callbacks SET email_alert = '2026-03-04 10:00:00' WHERE callback_id = 10")
        .await;
    useronly(&db, 11, 2, "1001", &[("email_alert", &t("10:29:50"))]).await;
    let mut sender = alerts(&db, config(sink.port));

    let first = sender.pass(pass_at("10:30:00")).await.unwrap();
    let second = sender.pass(pass_at("10:30:10")).await.unwrap();

    assert_eq!(counts(&first), (0, 0, 0), "{first}");
    assert_eq!(first.unknown, 1, "logged once as delivery unknown: {first}");
    assert_eq!(second.unknown, 0, "{second}");
    assert!(messages(&sink).is_empty());
    assert_eq!(email_state(&db, 10).await, (t("10:00:00"), "NULL".to_owned()));
    assert_eq!(email_state(&db, 11).await, (t("10:29:50"), "NULL".to_owned()));
    db.drop_db().await;
}

#[tokio::test]
async fn only_logged_in_waits_for_the_agent_until_too_late() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_logged_in").await;
    user(&db, "1002", "Away Agent", "away@example.com").await;
    useronly(&db, 11, 2, "1002", &[]).await;
    let mut sender = alerts(
        &db,
        EmailConfig {
            only_logged_in: true,
            ..config(sink.port)
        },
    );

    let away = sender.pass(pass_at("10:00:30")).await.unwrap();
    assert_eq!(counts(&away), (0, 0, 0), "{away}");
    assert_eq!(away.waiting, 2, "{away}");
    assert_eq!(email_state(&db, 10).await, ("NULL".into(), "NULL".into()));

    // Agent 1001 logs in; 1002 never does.
    db.exec(
        "INSERT INTO vicidial_live_agents (user, server_ip, lead_id, campaign_id, status) \
         VALUES ('1001', '10.0.0.1', 0, 'C', 'PAUSED')",
    )
    .await;
    let back = sender.pass(pass_at("10:20:00")).await.unwrap();
    assert_eq!((counts(&back), back.waiting), ((1, 0, 0), 1), "{back}");
    assert_eq!(messages(&sink)[0].envelope_to, ["zoe@example.com"]);

    let late = sender.pass(pass_at("11:00:01")).await.unwrap();
    assert_eq!((counts(&late), late.waiting), ((0, 0, 1), 0), "{late}");
    assert_eq!(email_state(&db, 11).await.1, "NOT AVAILABLE");
    assert_eq!(messages(&sink).len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn a_dry_run_claims_and_sends_nothing() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_dry").await;

    let s = alerts(&db, config(sink.port))
        .pass(PassOptions {
            dry_run: true,
            ..pass_at("10:00:30")
        })
        .await
        .unwrap();

    assert_eq!(counts(&s), (1, 0, 0), "{s}");
    assert_eq!(email_state(&db, 10).await, ("NULL".into(), "NULL".into()));
    assert!(messages(&sink).is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn once_prints_the_email_counts_on_a_second_line() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_once").await;

    let output = common::callbackd()
        .args(["--database-url", &db.url, "once", "--now", &t("10:00:30"), "--force"])
        // The test harness's own variables share the daemon's CALLBACKD_ prefix.
        .env_remove("CALLBACKD_PYTHON")
        .env_remove("CALLBACKD_TEST_SERVER")
        .env("CALLBACKD_EMAIL__SMTP_PORT", sink.port.to_string())
        .env("CALLBACKD_EMAIL__RETRY_BACKOFF_SECONDS", "0.05")
        .output()
        .expect("run the binary");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("activated="), "{stdout}");
    assert_eq!(
        lines[1],
        "emails sent=1 failed=0 not_available=0 waiting=0 unknown=0 claimed_elsewhere=0"
    );
    assert_eq!(messages(&sink).len(), 1);
    assert_eq!(email_state(&db, 10).await.1, "SENT");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_sends_on_the_database_clock_and_stops_on_shutdown() {
    let sink = SmtpSink::start_default(SinkMode::Accept);
    let db = scenario("alert_loop").await;
    let (tx, shutdown) = vicidial_callbackd::ops::Shutdown::new();
    let engine = vicidial_callbackd::config::EngineConfig {
        poll_interval_ms: 50,
        ..Default::default()
    };
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let task = tokio::spawn(vicidial_callbackd::duties::alerts::run(
        alerts(&db, config(sink.port)),
        engine,
        shutdown,
        wake.clone(),
    ));
    // Triggered just now, by the database's clock; the engine says so.
    db.exec(
        "UPDATE vicidial_callbacks SET entry_time = NOW() - INTERVAL 1 HOUR, \
         callback_time = NOW() WHERE callback_id = 10",
    )
    .await;
    wake.notify_one();

    let deadline = Instant::now() + Duration::from_secs(10);
    while email_state(&db, 10).await.1 != "SENT" {
        assert!(Instant::now() < deadline, "no alert sent by the loop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tx.shutdown();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the loop stops on shutdown")
        .unwrap();

    assert_eq!(messages(&sink).len(), 1);
    assert_eq!(
        db.count(
            "SELECT COUNT(*) FROM vicidial_callbacks \
             WHERE callback_id = 10 AND email_alert BETWEEN NOW() - INTERVAL 1 MINUTE AND NOW()"
        )
        .await,
        1,
        "email_alert is the database's time"
    );
    db.drop_db().await;
}
