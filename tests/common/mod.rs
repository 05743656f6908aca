//! The fixture builder shared by the integration tests: a fresh database of
//! its own per test, on the throwaway MariaDB that `scripts/test.sh` starts,
//! loaded with `sql/vicidial-schema.sql`, plus terse inserts with defaults.
#![allow(dead_code)]

pub mod daemon;
pub mod proxy;

#[allow(unused_imports)]
pub use daemon::{Daemon, Launch, callbackd, free_port};

use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Pool, Row, Value};
use vicidial_callbackd::config::EngineConfig;
use vicidial_callbackd::db::Db;
use vicidial_callbackd::engine::{Engine, PassOptions, Summary};

/// The server URL without a database (`scripts/db.sh url`).
pub fn server_url() -> String {
    std::env::var("CALLBACKD_TEST_SERVER").unwrap_or_else(|_| "mysql://callbackd:callbackd@127.0.0.1:33306".into())
}

/// One test's own database.
pub struct TestDb {
    /// The database name.
    pub name: String,
    /// URL including the database, for the binary's `--database-url`.
    pub url: String,
    /// The daemon's view of it.
    pub db: Db,
    pool: Pool,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A time on the test calendar: 2026-03-04 (a Wednesday) at `hh:mm:ss`.
pub fn t(hms: &str) -> String {
    format!("2026-03-04 {hms}")
}

/// `YYYY-MM-DD HH:MM:SS` as a time.
pub fn parse_time(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A time of the test calendar's day ([`t`]).
pub fn at(hms: &str) -> chrono::NaiveDateTime {
    parse_time(&t(hms))
}

impl TestDb {
    /// Creates a fresh database with VICIdial's schema and the stock call times.
    pub async fn new(tag: &str) -> TestDb {
        TestDb::on(&server_url(), tag).await
    }

    /// [`TestDb::new`] on another server (`mysql://user:pass@host:port`).
    pub async fn on(server: &str, tag: &str) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("cbt_{tag}_{}_{n}", std::process::id());
        let admin = Pool::new(Opts::from_url(server).expect("server url"));
        let mut conn = admin.get_conn().await.unwrap_or_else(|e| {
            panic!("cannot reach the test MariaDB at {server} ({e}); run the tests with scripts/test.sh")
        });
        conn.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        conn.query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        drop(conn);
        admin.disconnect().await.unwrap();
        let url = format!("{server}/{name}");
        let pool = Pool::new(OptsBuilder::from_opts(Opts::from_url(&url).unwrap()));
        pool.get_conn().await.unwrap().query_drop(schema()).await.unwrap();
        let db = Db::new(Opts::from_url(&url).unwrap());
        TestDb { name, url, db, pool }
    }

    /// Drops the database (the daemon's connections then fail), and with
    /// `restore`, creates it again with the schema.
    pub async fn outage(&self, restore: bool) {
        let admin = Pool::new(Opts::from_url(&server_url()).unwrap());
        let mut conn = admin.get_conn().await.unwrap();
        if restore {
            conn.query_drop(format!(
                "CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4",
                self.name
            ))
            .await
            .unwrap();
            conn.query_drop(format!("USE {}", self.name)).await.unwrap();
            conn.query_drop(schema()).await.unwrap();
        } else {
            conn.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name))
                .await
                .unwrap();
        }
        drop(conn);
        admin.disconnect().await.unwrap();
    }

    /// Converts every table to InnoDB, as some sites run VICIdial.
    pub async fn to_innodb(&self) {
        let tables = self
            .rows(&format!(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' AND ENGINE <> 'InnoDB'",
                self.name
            ))
            .await;
        for t in tables {
            // VICIdial's widest tables only convert with strict mode off, as sites do it.
            self.exec(&format!(
                "SET SESSION innodb_strict_mode = 0; ALTER TABLE `{}` ENGINE=InnoDB",
                t[0]
            ))
            .await;
        }
    }

    /// Kills every server connection to this database but the fixture's own.
    pub async fn kill_connections(&self) {
        let ids = self
            .rows(&format!(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{}' AND ID <> CONNECTION_ID()",
                self.name
            ))
            .await;
        for id in ids {
            // The connection may be gone already.
            let mut conn = self.pool.get_conn().await.unwrap();
            let _ = conn.query_drop(format!("KILL {}", id[0])).await;
        }
    }

    /// Runs SQL text (fixture statements only; the daemon always binds).
    pub async fn exec(&self, sql: &str) {
        let mut conn = self.pool.get_conn().await.unwrap();
        conn.query_drop(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs a statement with bound values.
    pub async fn exec_with(&self, sql: &str, params: Vec<Value>) {
        let mut conn = self.pool.get_conn().await.unwrap();
        conn.exec_drop(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Rows of a query, each column as text (`NULL` for NULL).
    pub async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let mut conn = self.pool.get_conn().await.unwrap();
        let rows: Vec<Row> = conn.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.into_iter()
            .map(|r| {
                r.unwrap()
                    .into_iter()
                    .map(|v| match v {
                        Value::NULL => "NULL".to_string(),
                        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                        other => other.as_sql(true).trim_matches('\'').to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    /// A single value.
    pub async fn value(&self, sql: &str) -> String {
        self.rows(sql)
            .await
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or_else(|| "NULL".into())
    }

    /// A count.
    pub async fn count(&self, sql: &str) -> u64 {
        self.value(sql).await.parse().unwrap()
    }

    /// A callback's status.
    pub async fn callback_status(&self, callback_id: u32) -> String {
        self.value(&format!(
            "SELECT status FROM vicidial_callbacks WHERE callback_id = {callback_id}"
        ))
        .await
    }

    /// A lead's status and called_since_last_reset.
    pub async fn lead_state(&self, lead_id: u32) -> (String, String) {
        let r = self
            .rows(&format!(
                "SELECT status, called_since_last_reset FROM vicidial_list WHERE lead_id = {lead_id}"
            ))
            .await;
        (r[0][0].clone(), r[0][1].clone())
    }

    /// Hopper rows of a lead.
    pub async fn hopper_rows(&self, lead_id: u32) -> u64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM vicidial_hopper WHERE lead_id = {lead_id}"
        ))
        .await
    }

    /// An engine with test-sized batches.
    pub fn engine(&self, batch_size: usize) -> Engine {
        Engine::new(
            self.db.clone(),
            EngineConfig {
                batch_size,
                ..EngineConfig::default()
            },
        )
    }

    /// One pass at `at` (`None`: the database clock).
    pub async fn pass_at(&self, at: Option<&str>) -> Summary {
        self.pass_with(at, false).await
    }

    /// One pass, optionally dry.
    pub async fn pass_with(&self, at: Option<&str>, dry_run: bool) -> Summary {
        let at = at.map(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap());
        self.engine(500)
            .pass(PassOptions { at, dry_run }, &|| false)
            .await
            .expect("pass")
    }

    /// Inserts a campaign; `extra` are `(column, value)` pairs over the defaults
    /// (24hours call time, scheduled callbacks on, every gate off).
    pub async fn campaign(&self, id: &str, extra: &[(&str, &str)]) {
        let mut cols = vec![
            ("campaign_id", id.to_string()),
            ("campaign_name", format!("{id} campaign")),
            ("active", "Y".into()),
            ("local_call_time", "24hours".into()),
            ("scheduled_callbacks", "Y".into()),
        ];
        merge(&mut cols, extra);
        self.insert("vicidial_campaigns", cols).await;
    }

    /// Inserts a list of a campaign.
    pub async fn list(&self, list_id: u64, campaign: &str, extra: &[(&str, &str)]) {
        let mut cols = vec![
            ("list_id", list_id.to_string()),
            ("list_name", format!("List {list_id}")),
            ("campaign_id", campaign.to_string()),
            ("active", "Y".into()),
        ];
        merge(&mut cols, extra);
        self.insert("vicidial_lists", cols).await;
    }

    /// Inserts a lead in `CBHOLD`, called once before (as after a CALLBK disposition).
    pub async fn lead(&self, lead_id: u32, list_id: u64, extra: &[(&str, &str)]) {
        let mut cols = vec![
            ("lead_id", lead_id.to_string()),
            ("list_id", list_id.to_string()),
            ("entry_list_id", list_id.to_string()),
            ("status", "CBHOLD".into()),
            ("phone_code", "1".into()),
            ("phone_number", format!("312555{:04}", lead_id % 10000)),
            ("first_name", "Pat".into()),
            ("last_name", format!("Lead{lead_id}")),
            ("state", "IL".into()),
            ("gmt_offset_now", "-6.00".into()),
            ("vendor_lead_code", format!("V{lead_id}")),
            ("called_since_last_reset", "Y".into()),
            ("called_count", "1".into()),
            ("last_local_call_time", t("07:55:00")),
        ];
        merge(&mut cols, extra);
        self.insert("vicidial_list", cols).await;
    }

    /// Inserts a callback (ACTIVE ANYONE for lead `lead_id`, set at 08:00, due at 10:00).
    pub async fn callback(&self, callback_id: u32, lead_id: u32, campaign: &str, list_id: u64, extra: &[(&str, &str)]) {
        let mut cols = vec![
            ("callback_id", callback_id.to_string()),
            ("lead_id", lead_id.to_string()),
            ("list_id", list_id.to_string()),
            ("campaign_id", campaign.to_string()),
            ("status", "ACTIVE".into()),
            ("entry_time", t("08:00:00")),
            ("callback_time", t("10:00:00")),
            ("user", "1001".into()),
            ("recipient", "ANYONE".into()),
            ("comments", "call back".into()),
            ("user_group", "AGENTS".into()),
            ("lead_status", "CALLBK".into()),
        ];
        merge(&mut cols, extra);
        self.insert("vicidial_callbacks", cols).await;
    }

    /// The smallest call center: campaign `C` and list 101 (each with the given
    /// settings), lead 1 and its callback 10 (see [`TestDb::lead`] and
    /// [`TestDb::callback`] for the defaults the pairs override).
    pub async fn single(
        tag: &str,
        campaign: &[(&str, &str)],
        lead: &[(&str, &str)],
        callback: &[(&str, &str)],
    ) -> TestDb {
        let db = TestDb::new(tag).await;
        db.campaign("C", campaign).await;
        db.list(101, "C", &[]).await;
        db.lead(1, 101, lead).await;
        db.callback(10, 1, "C", 101, callback).await;
        db
    }

    /// A campaign `C` with list 101 and `n` leads (ids from 1), each with one
    /// callback (id = lead id) due in the last hour by the database clock
    /// (callback `i` at `i % 60` minutes ago), 70% ANYONE.
    pub async fn bulk(&self, n: u32) {
        self.campaign("C", &[]).await;
        self.list(101, "C", &[]).await;
        let mut conn = self.pool.get_conn().await.unwrap();
        for chunk in (1..=n).collect::<Vec<_>>().chunks(1000) {
            let leads: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "({i},101,101,'CBHOLD','1','312{:07}','Pat','Lead','IL','-6.00','V{i}','Y',NOW() - INTERVAL 1 DAY)",
                        i
                    )
                })
                .collect();
            conn.query_drop(format!(
                "INSERT INTO vicidial_list (lead_id, list_id, entry_list_id, status, phone_code, phone_number, \
                 first_name, last_name, state, gmt_offset_now, vendor_lead_code, called_since_last_reset, \
                 last_local_call_time) VALUES {}",
                leads.join(",")
            ))
            .await
            .unwrap();
            let cbs: Vec<String> = chunk
                .iter()
                .map(|i| {
                    let recipient = if i % 10 < 7 { "ANYONE" } else { "USERONLY" };
                    format!(
                        "({i},{i},101,'C','ACTIVE',NOW() - INTERVAL 2 HOUR,NOW() - INTERVAL {} MINUTE,'1001','{recipient}','CALLBK')",
                        i % 60
                    )
                })
                .collect();
            conn.query_drop(format!(
                "INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, \
                 callback_time, user, recipient, lead_status) VALUES {}",
                cbs.join(",")
            ))
            .await
            .unwrap();
        }
    }

    /// Another handle on the same database (for a task of its own); only
    /// the owner drops the database.
    pub fn attach(other: &TestDb) -> TestDb {
        TestDb {
            name: other.name.clone(),
            url: other.url.clone(),
            db: Db::new(Opts::from_url(&other.url).unwrap()),
            pool: Pool::new(OptsBuilder::from_opts(Opts::from_url(&other.url).unwrap())),
        }
    }

    /// `n` leads from `first` on, each with an ANYONE callback due in `seconds`.
    pub async fn due_in(&self, first: u32, n: u32, seconds: u32) {
        for lead in first..first + n {
            self.lead(lead, 101, &[]).await;
            self.callback(lead, lead, "C", 101, &[]).await;
        }
        self.exec(&format!(
            "UPDATE vicidial_callbacks SET callback_time = NOW() + INTERVAL {seconds} SECOND \
             WHERE callback_id >= {first} AND callback_id < {}",
            first + n
        ))
        .await;
    }

    /// One turn of VICIdial's dialer (`AST_VDauto_dial.pl`, VICIdial 2.14:
    /// line 1748 takes up to `n` READY rows by priority then `hopper_id`;
    /// per lead, line 1788 sets every row of the lead INCALL, the call marks
    /// the lead, line 2077 deletes every row of the lead), with the call
    /// ending at once (status `NA`). Returns the leads dialed.
    pub async fn take_and_dial(&self, n: u32) -> Vec<u32> {
        let mut conn = self.pool.get_conn().await.unwrap();
        conn.query_drop(format!(
            "UPDATE vicidial_hopper SET status = 'QUEUE', user = 'VDAD_test' WHERE status = 'READY' \
             ORDER BY priority DESC, hopper_id LIMIT {n}"
        ))
        .await
        .unwrap();
        let queued: Vec<u32> = conn
            .query(
                "SELECT lead_id FROM vicidial_hopper WHERE status = 'QUEUE' AND user = 'VDAD_test' \
                 ORDER BY priority DESC, hopper_id",
            )
            .await
            .unwrap();
        let mut dialed = Vec::new();
        for lead in queued {
            // The dialer's own check: a lead taken twice in one turn is dialed once.
            if dialed.contains(&lead) {
                continue;
            }
            conn.query_drop(format!(
                "UPDATE vicidial_hopper SET status = 'INCALL' WHERE lead_id = {lead}; \
                 UPDATE vicidial_list SET status = 'NA', called_since_last_reset = 'Y', user = 'VDAD', \
                   called_count = called_count + 1, \
                   last_local_call_time = UTC_TIMESTAMP() + INTERVAL ROUND(gmt_offset_now * 60) MINUTE \
                 WHERE lead_id = {lead}; \
                 DELETE FROM vicidial_hopper WHERE lead_id = {lead}"
            ))
            .await
            .unwrap();
            dialed.push(lead);
        }
        dialed
    }

    async fn insert(&self, table: &str, cols: Vec<(&str, String)>) {
        let names: Vec<String> = cols.iter().map(|(c, _)| format!("`{c}`")).collect();
        let marks = vec!["?"; cols.len()].join(", ");
        let values: Vec<Value> = cols
            .into_iter()
            .map(|(_, v)| if v == "NULL" { Value::NULL } else { Value::from(v) })
            .collect();
        self.exec_with(
            &format!("INSERT INTO {table} ({}) VALUES ({marks})", names.join(", ")),
            values,
        )
        .await;
    }

    /// Every due ANYONE callback LIVE with exactly one hopper row and its lead
    /// in CALLBK; every USERONLY one LIVE with its lead untouched.
    pub async fn assert_all_delivered(&self, n: u32, context: &str) {
        let not_live = self
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE status <> 'LIVE'")
            .await;
        assert_eq!(not_live, 0, "{context}: callbacks not LIVE");
        let anyone = self
            .count("SELECT COUNT(*) FROM vicidial_callbacks WHERE recipient = 'ANYONE'")
            .await;
        let hopper = self.count("SELECT COUNT(*) FROM vicidial_hopper").await;
        let distinct = self.count("SELECT COUNT(DISTINCT lead_id) FROM vicidial_hopper").await;
        assert_eq!(
            (hopper, distinct),
            (anyone, anyone),
            "{context}: one hopper row per ANYONE lead"
        );
        let stray = self
            .count(
                "SELECT COUNT(*) FROM vicidial_hopper h JOIN vicidial_callbacks cb ON cb.lead_id = h.lead_id \
                 WHERE cb.recipient <> 'ANYONE'",
            )
            .await;
        assert_eq!(stray, 0, "{context}: USERONLY leads in the hopper");
        let callbk = self
            .count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CALLBK' AND called_since_last_reset = 'N'")
            .await;
        assert_eq!(callbk, anyone, "{context}: ANYONE leads in CALLBK");
        assert_eq!(
            self.count("SELECT COUNT(*) FROM vicidial_list WHERE status = 'CBHOLD'")
                .await,
            u64::from(n) - anyone
        );
    }

    /// Drops the database.
    pub async fn drop_db(self) {
        let mut conn = self.pool.get_conn().await.unwrap();
        conn.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name))
            .await
            .unwrap();
        drop(conn);
        let _ = self.pool.disconnect().await;
        let _ = self.db.close().await;
    }
}

/// The real binary running the daemon on `db`, with 200-callback batches and no email.
pub fn daemon(db: &TestDb) -> Daemon {
    daemon_at(&db.url)
}

/// [`daemon`] on a database URL (through a [`proxy::Proxy`], say).
pub fn daemon_at(url: &str) -> Daemon {
    Launch::new(url)
        .env("CALLBACKD_ENGINE__BATCH_SIZE", "200")
        .start("daemon")
}

/// Sends SIGTERM (std only has SIGKILL).
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// VICIdial's schema as `sql/` ships it, and the daemon's own table.
fn schema() -> String {
    let vicidial = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/vicidial-schema.sql")).unwrap();
    let own = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/callbackd.sql")).unwrap();
    format!("{vicidial}\n{own}")
}

fn merge<'a>(cols: &mut Vec<(&'a str, String)>, extra: &[(&'a str, &str)]) {
    for (k, v) in extra {
        match cols.iter_mut().find(|(c, _)| c == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => cols.push((k, v.to_string())),
        }
    }
}
