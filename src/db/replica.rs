//! The SQL of event-driven mode ([`crate::engine::binlog`]): what the server's binary
//! log is set to, where it ends, where the watched columns sit in each table,
//! and which leads have a callback the engine may still act on. These run on
//! the replication connection itself, before it becomes a stream, in the text
//! protocol (the `SHOW` statements are not preparable on every server).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use super::RowReader;

/// The server's binary-log settings, read before streaming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSettings {
    /// `@@log_bin`: the binary log is written.
    pub log_bin: bool,
    /// `@@binlog_format`: `ROW`, `MIXED` or `STATEMENT`.
    pub format: String,
    /// `@@binlog_row_image`: `FULL`, `MINIMAL` or `NOBLOB`.
    pub row_image: String,
    /// MariaDB rather than MySQL (the grants and events differ).
    pub mariadb: bool,
    /// `CURRENT_USER()`, as `user@host`, for the `GRANT` statement to suggest.
    pub account: String,
}

/// Reads the binary-log settings; they need no privilege.
pub async fn log_settings(conn: &mut Conn) -> Result<LogSettings, mysql_async::Error> {
    let row: Option<Row> = conn
        .query_first(
            "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image, VERSION(), CURRENT_USER()",
        )
        .await?;
    // A SELECT of variables always returns its one row.
    let mut r = RowReader::new(row.ok_or(mysql_async::DriverError::ConnectionClosed)?);
    let (log_bin, format, row_image, version, account) = (r.text(0), r.text(1), r.text(2), r.text(3), r.text(4));
    Ok(LogSettings {
        log_bin: matches!(log_bin.as_str(), "1" | "ON"),
        format,
        row_image,
        mariadb: version.to_ascii_lowercase().contains("mariadb"),
        account,
    })
}

/// Where the server's binary log ends now (`SHOW MASTER STATUS`; MySQL 8.4
/// only knows `SHOW BINARY LOG STATUS`). `None` when the log is off. Needs
/// `BINLOG MONITOR` (MariaDB) or `REPLICATION CLIENT` (MySQL).
pub async fn end_position(conn: &mut Conn) -> Result<Option<(String, u64)>, mysql_async::Error> {
    let row: Option<Row> = match conn.query_first("SHOW MASTER STATUS").await {
        Ok(row) => row,
        // 1064: a syntax error, the statement's name on MySQL 8.4 and later.
        Err(mysql_async::Error::Server(e)) if e.code == 1064 => conn.query_first("SHOW BINARY LOG STATUS").await?,
        Err(e) => return Err(e),
    };
    Ok(row.and_then(|row| {
        let mut values = row.unwrap().into_iter();
        let file = match values.next()? {
            Value::Bytes(b) => String::from_utf8(b).ok()?,
            _ => return None,
        };
        let position = match values.next()? {
            Value::Bytes(b) => std::str::from_utf8(&b).ok()?.parse().ok()?,
            Value::UInt(n) => n,
            Value::Int(n) => u64::try_from(n).ok()?,
            _ => return None,
        };
        Some((file, position))
    }))
}

/// One column of a watched table: its 0-based position in a row image, its
/// name, and whether the server stamps it on every update (`ON UPDATE
/// CURRENT_TIMESTAMP`), which says nothing about what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnAt {
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// Its position in the row, from 0.
    pub index: usize,
    /// Stamped by the server on every update.
    pub on_update: bool,
}

/// The columns of `tables` in `database`, in table order.
pub async fn columns(conn: &mut Conn, database: &str, tables: &[&str]) -> Result<Vec<ColumnAt>, mysql_async::Error> {
    let sql = format!(
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, EXTRA FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({}) ORDER BY TABLE_NAME, ORDINAL_POSITION",
        super::placeholders(tables.len())
    );
    let mut params: Vec<Value> = vec![database.into()];
    params.extend(tables.iter().map(|t| Value::from(*t)));
    let rows: Vec<(String, String, u64, String)> = conn.exec(sql, params).await?;
    Ok(rows
        .into_iter()
        .map(|(table, column, position, extra)| ColumnAt {
            table,
            column,
            index: position.saturating_sub(1) as usize,
            on_update: extra.to_ascii_lowercase().contains("on update"),
        })
        .collect())
}

/// Leads with a callback the engine may still act on: `ACTIVE` or `TFHCCL`,
/// or `LIVE` ANYONE changed within `repair_days` (the engine repairs no
/// older one). Changes to other leads (the dialer's, all day long) wake nothing.
pub async fn open_callback_leads(conn: &mut Conn, repair_days: u32) -> Result<Vec<u32>, mysql_async::Error> {
    // lead_id is nullable in VICIdial's schema.
    let leads: Vec<Option<u32>> = conn
        .exec(
            "SELECT DISTINCT lead_id FROM vicidial_callbacks \
         WHERE status IN ('ACTIVE','TFHCCL') \
            OR (status = 'LIVE' AND recipient = 'ANYONE' AND modify_date >= NOW() - INTERVAL ? DAY)",
            (repair_days,),
        )
        .await?;
    Ok(leads.into_iter().flatten().collect())
}

/// What a replica says before it asks for the stream: the heartbeat period
/// (nanoseconds; the server sends one after that much silence, so a dead
/// connection is told from a quiet one) and, on MariaDB, the capability
/// flags it understands.
pub(crate) async fn announce_replica(
    conn: &mut Conn,
    heartbeat_nanos: u128,
    mariadb_capability: Option<u32>,
) -> Result<(), mysql_async::Error> {
    conn.query_drop(format!("SET @master_heartbeat_period = {heartbeat_nanos}"))
        .await?;
    if let Some(capability) = mariadb_capability {
        conn.query_drop(format!("SET @mariadb_slave_capability = {capability}"))
            .await?;
    }
    Ok(())
}
