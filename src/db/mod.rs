//! The database side: a connection pool, one [`Session`] per pass, and the SQL,
//! one module per concern. Every statement binds its values; nothing read from
//! the database is ever spliced into SQL text. Writes are short, bounded
//! statements (VICIdial's tables are MyISAM: one statement holds a table lock),
//! and each one goes through [`Session::write`], which is also where tests
//! inject failures between any two writes.

pub mod alerts;
pub mod callbacks;
pub mod catalogue;
pub mod clock;
pub mod facts;
pub mod fence;
pub mod hopper;
#[cfg(feature = "test-hooks")]
mod hooks;
pub mod manage;
pub(crate) mod replica;
pub(crate) mod report;
pub mod schema;
pub mod settings;
mod value;

use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Pool, Row, Value};

pub use value::RowReader;
#[cfg(feature = "test-hooks")]
pub use hooks::{Pause, longest_statement_us};

/// A database error, or a failure injected by a test.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The server or the connection failed.
    #[error("database: {0}")]
    Mysql(#[from] mysql_async::Error),
    /// A test asked for a failure at this write.
    #[cfg(feature = "test-hooks")]
    #[error("injected failure before write {0}")]
    Injected(i64),
    /// The server did not answer in time (a half-open connection, a lock
    /// held past the server's own limit): the connection is dropped.
    #[error("database: no answer within {0} s")]
    Timeout(u64),
    /// VICIdial's data cannot be worked on safely (a required row is
    /// missing): nothing is done until it is fixed.
    #[error("{0}")]
    Data(String),
    /// A write of a fenced session without the term check: a bug, refused
    /// rather than run unfenced ([`fence`]).
    #[error("refused: a leader's write without its term check: {0}")]
    Unfenced(String),
}

/// A statement's time in microseconds (also noted for the benchmark).
fn record(started: std::time::Instant) -> u64 {
    let us = started.elapsed().as_micros() as u64;
    #[cfg(feature = "test-hooks")]
    hooks::statement_took(us);
    us
}

impl DbError {
    /// Whether trying again cannot help until someone changes something:
    /// access denied to a database, table, column or routine, a table or
    /// column that does not exist, a bad login, or VICIdial's data missing a
    /// row the daemon needs.
    pub fn is_permanent(&self) -> bool {
        match self {
            DbError::Mysql(mysql_async::Error::Server(e)) => {
                matches!(e.code, 1044 | 1045 | 1054 | 1142 | 1143 | 1146 | 1227 | 1370)
            }
            DbError::Data(_) => true,
            _ => false,
        }
    }
}

/// Result of a database call.
pub type DbResult<T> = Result<T, DbError>;

/// The pool, shared by the engine and the email sender.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// The options the pool was made with (for [`Db::own_pool`]).
    opts: mysql_async::Opts,
    #[cfg(feature = "test-hooks")]
    faults: hooks::Faults,
    /// Longest wait for any one statement's answer.
    answer_within: std::time::Duration,
    /// The term of leadership every write is fenced by ([`fence`]); `None`
    /// for manager commands and dry runs.
    term: Option<Arc<fence::Term>>,
    /// Whether the server caches table statistics (MySQL 8), once known.
    server: Arc<std::sync::OnceLock<bool>>,
}

/// Whether a server of this `VERSION()` caches
/// `information_schema.TABLES.UPDATE_TIME` (MySQL 8.0 on; MariaDB never).
pub fn caches_table_stats(version: &str) -> bool {
    if version.to_ascii_lowercase().contains("mariadb") {
        return false;
    }
    version
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok())
        .is_some_and(|major| major >= 8)
}

impl Db {
    /// Creates the pool; no connection is made until the first query.
    pub fn new(opts: mysql_async::Opts) -> Db {
        // Connections keep their session (sql_mode, prepared statements)
        // across passes: no reset when one goes back to the pool, so an idle
        // poll is one statement, not four.
        let pool_opts = opts.pool_opts().clone().with_reset_connection(false);
        let mut setup = opts.setup().to_vec();
        // VICIdial's columns hold zero dates and odd values; strict mode would
        // turn its own data into errors on our writes.
        setup.push("SET SESSION sql_mode='NO_ENGINE_SUBSTITUTION'".to_string());
        let opts: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(opts)
            .pool_opts(pool_opts)
            .setup(setup)
            .into();
        Db {
            pool: Pool::new(opts.clone()),
            opts,
            #[cfg(feature = "test-hooks")]
            faults: Default::default(),
            answer_within: std::time::Duration::from_secs(300),
            term: None,
            server: Arc::default(),
        }
    }

    /// The same pool, with every write fenced by `term` ([`fence`]): a
    /// write that does not carry [`fence::HELD`] is refused, and one whose
    /// term is no longer the current one changes nothing.
    pub fn fenced(&self, term: fence::Term) -> Db {
        Db {
            term: Some(Arc::new(term)),
            ..self.clone()
        }
    }

    /// Gives up on a statement whose answer has not come `limit` plus a
    /// grace after it was sent. The server stops its own statements at
    /// `limit` (`max_statement_time`, `lock_wait_timeout`); this catches the
    /// connection that can no longer say so.
    pub fn with_statement_timeout(mut self, limit: std::time::Duration) -> Db {
        self.answer_within = limit + std::time::Duration::from_secs(10);
        self
    }

    /// The same database through a pool of its own of at most `size`
    /// connections: a part that must never wait for another's connections
    /// (email alerts, `/metrics`) gets one, so a slow mail server or a
    /// scrape storm never holds up an activation.
    pub fn own_pool(&self, size: usize) -> Db {
        let constraints = mysql_async::PoolConstraints::new(0, size.max(1)).expect("0 <= max");
        let pool_opts = self.opts.pool_opts().clone().with_constraints(constraints);
        let opts: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(self.opts.clone())
            .pool_opts(pool_opts)
            .into();
        Db {
            pool: Pool::new(opts.clone()),
            opts,
            ..self.clone()
        }
    }

    /// Takes a connection from the pool for one pass; waits at most the
    /// statement limit for one (a pool whose connections are all busy
    /// or stuck is an error, not a hang).
    pub async fn session(&self) -> DbResult<Session> {
        let mut conn = Session::answer(self.answer_within, self.pool.get_conn()).await??;
        // MySQL 8 caches information_schema.TABLES.UPDATE_TIME for
        // information_schema_stats_expiry seconds (a day by default), which
        // would hide settings changes from the probe; MariaDB keeps it
        // current and has no such variable.
        let version = &self.server;
        let mysql8 = match version.get() {
            Some(v) => *v,
            None => {
                let v: Option<String> = conn.query_first("SELECT VERSION()").await?;
                *version.get_or_init(|| caches_table_stats(v.as_deref().unwrap_or_default()))
            }
        };
        if mysql8 {
            conn.query_drop("SET SESSION information_schema_stats_expiry = 0")
                .await?;
        }
        Ok(Session {
            conn,
            #[cfg(feature = "test-hooks")]
            faults: self.faults.clone(),
            answer_within: self.answer_within,
            term: self.term.clone(),
        })
    }

    /// Closes every connection.
    pub async fn close(self) -> DbResult<()> {
        Ok(self.pool.disconnect().await?)
    }
}

/// One connection, used by one pass from start to end.
pub struct Session {
    conn: Conn,
    #[cfg(feature = "test-hooks")]
    faults: hooks::Faults,
    answer_within: std::time::Duration,
    term: Option<Arc<fence::Term>>,
}

impl Session {
    /// Waits for a statement's answer, at most `within`.
    async fn answer<T>(within: std::time::Duration, statement: impl Future<Output = T>) -> DbResult<T> {
        tokio::time::timeout(within, statement)
            .await
            .map_err(|_| DbError::Timeout(within.as_secs()))
    }

    /// Runs a SELECT and returns its rows.
    pub async fn select(&mut self, sql: &str, params: Vec<Value>) -> DbResult<Vec<Row>> {
        self.select_map(sql, params, |row| row).await
    }

    /// Runs a SELECT and returns its rows each made into a `T` by `f` as it
    /// arrives, so a large answer is never held twice (as rows, then read).
    pub async fn select_map<T: Send + 'static>(
        &mut self,
        sql: &str,
        params: Vec<Value>,
        f: impl FnMut(Row) -> T + Send + 'static,
    ) -> DbResult<Vec<T>> {
        let started = std::time::Instant::now();
        let rows = Self::answer(self.answer_within, self.conn.exec_map(sql, Params::from(params), f)).await??;
        let us = record(started);
        tracing::trace!(us, rows = rows.len(), "{}", statement_name(sql));
        Ok(rows)
    }

    /// Runs one write statement and returns the number of rows it changed.
    pub async fn write(&mut self, sql: &str, params: Vec<Value>) -> DbResult<u64> {
        Ok(self.insert(sql, params).await?.0)
    }

    /// Runs one write statement and returns the number of rows it changed and
    /// the first AUTO_INCREMENT id it generated (0 when none).
    pub async fn insert(&mut self, sql: &str, mut params: Vec<Value>) -> DbResult<(u64, u64)> {
        let fenced;
        let sql = match &self.term {
            Some(term) => {
                fenced = term
                    .apply(sql, &mut params)
                    .ok_or_else(|| DbError::Unfenced(statement_name(sql)))?;
                fenced.as_str()
            }
            None => sql,
        };
        #[cfg(feature = "test-hooks")]
        self.faults.before_write(&mut self.conn).await?;
        let started = std::time::Instant::now();
        Self::answer(self.answer_within, self.conn.exec_drop(sql, Params::from(params))).await??;
        let affected = self.conn.affected_rows();
        let us = record(started);
        tracing::trace!(us, affected, "{}", statement_name(sql));
        Ok((affected, self.conn.last_insert_id().unwrap_or(0)))
    }
}

/// The start of a statement, enough to tell which one it is in a trace.
fn statement_name(sql: &str) -> String {
    sql.split_whitespace().take(8).collect::<Vec<_>>().join(" ")
}

/// The statement every new connection runs first: table-lock waits count
/// against `seconds` too, and MariaDB also bounds the statement itself
/// (MySQL skips the versioned comment).
pub(crate) fn session_limits(seconds: u64) -> String {
    format!("SET SESSION lock_wait_timeout = {seconds} /*M!100108 , max_statement_time = {seconds} */")
}

/// `?, ?, ?` for an IN list of `n` values (n >= 1).
pub fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// Binds a list of ids.
pub fn ids<T: Into<Value> + Copy>(ids: &[T]) -> Vec<Value> {
    ids.iter().map(|&id| id.into()).collect()
}

/// A statement with its values: run by [`Stmt::run`], shown in the admin log by [`Stmt::shown`].
#[derive(Clone, Debug)]
pub struct Stmt {
    /// The SQL text, with `?` for every value.
    pub sql: String,
    /// The values, in order.
    pub params: Vec<Value>,
}

impl Stmt {
    /// A statement.
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Stmt {
        Stmt {
            sql: sql.into(),
            params,
        }
    }

    /// Runs it; returns the rows it changed.
    pub async fn run(&self, s: &mut Session) -> DbResult<u64> {
        s.write(&self.sql, self.params.clone()).await
    }

    /// The statement with its values written in, for `event_sql` and the
    /// command's output (never run: what runs is the bound statement).
    pub fn shown(&self) -> String {
        let mut values = self.params.iter();
        let mut out = String::with_capacity(self.sql.len() + 16);
        // The term check is the daemon's, not the change's: left out.
        for c in self.sql.replace(&format!(" AND {}", fence::HELD), "").chars() {
            match (c, c == '?') {
                (_, true) => out.push_str(&values.next().map_or_else(|| "?".into(), |v| v.as_sql(true))),
                (c, false) => out.push(c),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_mysql_8_on_caches_table_statistics() {
        assert!(super::caches_table_stats("8.0.36"));
        assert!(super::caches_table_stats("8.4.0-commercial"));
        assert!(super::caches_table_stats("9.1.0"));
        assert!(!super::caches_table_stats("5.7.44-log"));
        assert!(!super::caches_table_stats("10.11.6-MariaDB-0+deb12u1-log"));
        assert!(!super::caches_table_stats("11.4.2-MariaDB"));
    }
}
