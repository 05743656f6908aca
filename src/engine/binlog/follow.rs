//! The replication connection: check that the server can stream row events
//! to this user, stream from the kept position, turn the events into
//! [`Change`]s, and keep the position; after a cut, resume where it stopped.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use mysql_async::binlog::EventType;
use mysql_async::binlog::events::{Event, EventData, QueryEvent, RotateEvent};
use mysql_async::{BinlogStream, BinlogStreamRequest, Conn, Opts};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::Change;
use super::decode::{Kind, Tables, WATCHED};
use super::position::{Position, Store};
use crate::ops::error_text;
use crate::config::{Config, WatchMode};
use crate::db::replica::{self as sql, LogSettings};
use crate::ops::{Retry, Shutdown};

/// Why the server cannot stream row events to this user: one line, with the
/// setting or the `GRANT` statement that fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// `log_bin` is off.
    LogOff,
    /// `binlog_format` is not `ROW` (the value it is).
    NotRow(String),
    /// A replication privilege is missing.
    Grant {
        /// The privilege the server refused.
        missing: &'static str,
        /// The statement an administrator runs to grant both.
        statement: String,
    },
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::LogOff => write!(
                f,
                "the binary log is off (log_bin): start the server with log_bin and binlog_format=ROW under [mysqld]"
            ),
            Unavailable::NotRow(format) => write!(
                f,
                "binlog_format is {format}, not ROW: SET GLOBAL binlog_format='ROW' and put binlog_format=ROW \
                 under [mysqld] in the server's configuration"
            ),
            Unavailable::Grant { missing, statement } => {
                write!(f, "the database user lacks {missing}: {statement}")
            }
        }
    }
}

/// What the server said when asked to stream.
#[derive(Debug)]
pub struct Ready {
    /// Its binary-log settings.
    pub settings: LogSettings,
    /// Where its binary log ends now (`file:offset`).
    pub end: String,
}

/// Whether binlog mode would work with these connection settings: the
/// server's settings, its end position, then a real (non-blocking) stream
/// from that end, closed at once. `Err` is a connection or server failure.
pub async fn probe(opts: &Opts, server_id: u32) -> Result<Result<Ready, Unavailable>, mysql_async::Error> {
    let mut conn = Conn::new(opts.clone()).await?;
    let (settings, end) = match prepare(&mut conn).await? {
        Ok(ready) => ready,
        Err(why) => return Ok(Err(why)),
    };
    let request = BinlogStreamRequest::new(server_id)
        .with_filename(end.file.as_bytes())
        .with_pos(end.offset)
        .with_non_blocking();
    let mut stream = match conn.get_binlog_stream(request).await {
        Ok(stream) => stream,
        Err(e) if refused(&e) => return Ok(Err(grant(&settings, "REPLICATION SLAVE"))),
        Err(e) => return Err(e),
    };
    while let Some(event) = next(&mut stream).await {
        if let Err(e) = event {
            let _ = stream.close().await;
            return match refused(&e) {
                true => Ok(Err(grant(&settings, "REPLICATION SLAVE"))),
                false => Err(e),
            };
        }
    }
    let _ = stream.close().await;
    Ok(Ok(Ready {
        end: end.to_string(),
        settings,
    }))
}

/// Reads the settings and the end position, or says why streaming cannot work.
async fn prepare(conn: &mut Conn) -> Result<Result<(LogSettings, Position), Unavailable>, mysql_async::Error> {
    let settings = sql::log_settings(conn).await?;
    if !settings.log_bin {
        return Ok(Err(Unavailable::LogOff));
    }
    if !settings.format.eq_ignore_ascii_case("ROW") {
        return Ok(Err(Unavailable::NotRow(settings.format)));
    }
    let monitor = if settings.mariadb {
        "BINLOG MONITOR"
    } else {
        "REPLICATION CLIENT"
    };
    match sql::end_position(conn).await {
        Ok(Some((file, offset))) => Ok(Ok((settings, Position { file, offset }))),
        Ok(None) => Ok(Err(Unavailable::LogOff)),
        Err(e) if refused(&e) => Ok(Err(grant(&settings, monitor))),
        Err(e) => Err(e),
    }
}

/// The server refused for lack of a privilege.
fn refused(err: &mysql_async::Error) -> bool {
    // 1227: "you need (at least one of) the ... privilege(s)"; 1045, 1142: access denied.
    matches!(err, mysql_async::Error::Server(e) if matches!(e.code, 1227 | 1045 | 1142))
}

fn grant(settings: &LogSettings, missing: &'static str) -> Unavailable {
    let both = if settings.mariadb {
        "REPLICATION SLAVE, BINLOG MONITOR"
    } else {
        "REPLICATION SLAVE, REPLICATION CLIENT"
    };
    let (user, host) = settings
        .account
        .rsplit_once('@')
        .unwrap_or((settings.account.as_str(), "%"));
    Unavailable::Grant {
        missing,
        statement: format!("GRANT {both} ON *.* TO '{user}'@'{host}'"),
    }
}

/// The next event of a stream.
async fn next(stream: &mut BinlogStream) -> Option<mysql_async::Result<Event>> {
    use futures_core::Stream;
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// The replica `server_id` when `binlog.server_id` is 0: the same for the
/// same host and database across restarts (a restarted daemon replaces its
/// old stream at once), distinct between hosts and databases, and in the
/// upper half of the range, away from the small ids replicas are given.
pub fn server_id(config: &Config, opts: &Opts) -> u32 {
    if config.binlog.server_id != 0 {
        return config.binlog.server_id;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let text = format!(
        "vicidial-callbackd/{}/{}",
        host.trim(),
        opts.db_name().unwrap_or_default()
    );
    // FNV-1a: stable across builds, unlike std's hasher.
    let hash = text
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    0x8000_0000 | (hash & 0x7fff_ffff)
}

/// How a stream ended.
enum Ended {
    /// The daemon is stopping (or the engine is gone).
    Shutdown,
    /// The server cannot stream to us, for this reason.
    Unavailable(Unavailable),
    /// The connection failed or was cut: resume at the kept position.
    Cut(String),
    /// Start again at once (the position was gone; a watched table's layout may have changed).
    Again,
}

/// How often an unavailable binary log is looked at again, so a grant or a
/// setting fixed by an administrator takes effect without a restart.
const RECHECK: Duration = Duration::from_secs(300);

/// A connection attempt and the statements before the stream.
const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// The position file is written at most this often (and at every stop).
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// MariaDB's own event types (`log_event.h`), which the stream reader passes through unnamed.
mod mariadb {
    pub const ANNOTATE_ROWS: u8 = 160;
    pub const QUERY_COMPRESSED: u8 = 165;
    pub const WRITE_ROWS_COMPRESSED_V1: u8 = 166;
    pub const DELETE_ROWS_COMPRESSED_V1: u8 = 168;
    pub const DELETE_ROWS_COMPRESSED: u8 = 171;
    /// Tells the server this replica reads GTID and annotate events as they are.
    pub const CAPABILITY_GTID: u32 = 4;
}

/// The watcher task's state.
pub struct Watcher {
    opts: Opts,
    database: String,
    server_id: u32,
    store: Option<Store>,
    heartbeat: Duration,
    repair_days: u32,
    mode: WatchMode,
    poll_ms: u64,
    max_backoff: Duration,
    tx: mpsc::Sender<Change>,
    following: watch::Sender<bool>,
    /// The last transaction boundary read; `None` before the first stream.
    position: Option<Position>,
    /// Whether the position file was read (only the first stream reads it).
    loaded: bool,
    saved: Option<(Position, Instant)>,
    /// Leads with an open callback (see `db::binlog::open_callback_leads`).
    leads: HashSet<u32>,
    /// The channel was full: a [`Change::Lost`] is owed.
    owe_lost: bool,
    /// The last reason logged for not following, said once until it changes.
    said: Option<Unavailable>,
}

impl Watcher {
    /// A watcher as configured, sending on `tx` and saying on `following` whether it follows.
    pub fn new(config: &Config, opts: Opts, tx: mpsc::Sender<Change>, following: watch::Sender<bool>) -> Watcher {
        let database = opts.db_name().unwrap_or_default().to_owned();
        Watcher {
            server_id: server_id(config, &opts),
            store: Some(Store::new(&config.binlog.state_dir, &database)),
            database,
            opts,
            heartbeat: Duration::from_secs(config.binlog.heartbeat_seconds),
            repair_days: config.engine.repair_max_age_days,
            mode: config.engine.watch,
            poll_ms: config.engine.poll_interval_ms,
            max_backoff: Duration::from_secs(config.engine.max_backoff_seconds),
            tx,
            following,
            position: None,
            loaded: false,
            saved: None,
            leads: HashSet::new(),
            owe_lost: false,
            said: None,
        }
    }

    /// Follows the binary log until `shutdown`, polling (by saying so on
    /// `following`) whenever it cannot.
    pub async fn run(mut self, mut shutdown: Shutdown) {
        let mut retry = Retry::new("binlog", self.max_backoff);
        while !shutdown.is_shutdown() {
            let ended = self.follow(&mut shutdown, &mut retry).await;
            self.following.send_replace(false);
            crate::ops::monitor::set_watch(crate::ops::monitor::Watch::FellBack);
            self.save(true);
            let wait = match ended {
                Ended::Shutdown => break,
                Ended::Again => Duration::ZERO,
                Ended::Unavailable(why) => {
                    if self.said.as_ref() != Some(&why) {
                        let line = format!("binlog mode unavailable: {why}; polling every {} ms", self.poll_ms);
                        match self.mode {
                            WatchMode::Binlog => warn!("{line}"),
                            _ => info!("{line}"),
                        }
                        self.said = Some(why);
                    }
                    RECHECK
                }
                Ended::Cut(why) => {
                    let at = self.position.as_ref().map(|p| p.to_string()).unwrap_or_default();
                    retry.failed(&format!(
                        "stream cut ({why}); polling until it is back, resuming at {at}"
                    ))
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => {}
            }
        }
        self.save(true);
    }

    /// One stream, from connecting to its end.
    async fn follow(&mut self, shutdown: &mut Shutdown, retry: &mut Retry) -> Ended {
        let started = tokio::time::timeout(CONNECT_LIMIT, self.connect()).await;
        let (mut stream, settings, tables, from_end) = match started {
            Ok(Ok(Ok(stream))) => stream,
            Ok(Ok(Err(why))) => return Ended::Unavailable(why),
            Ok(Err(e)) => return Ended::Cut(error_text(&e)),
            Err(_) => return Ended::Cut(format!("no answer within {} s", CONNECT_LIMIT.as_secs())),
        };
        let silence = self.heartbeat * 3;
        let mut first = true;
        loop {
            let event = tokio::select! {
                biased;
                _ = shutdown.recv() => {
                    let _ = tokio::time::timeout(Duration::from_secs(2), stream.close()).await;
                    return Ended::Shutdown;
                }
                event = tokio::time::timeout(silence, next(&mut stream)) => event,
            };
            let event = match event {
                Err(_) => return Ended::Cut(format!("nothing from the server for {} s", silence.as_secs())),
                Ok(None) => return Ended::Cut("the server ended the stream".to_owned()),
                // 1236: the server cannot read from that position (purged, or never there).
                Ok(Some(Err(mysql_async::Error::Server(e)))) if e.code == 1236 && !from_end => {
                    let at = self.position.take().map(|p| p.to_string()).unwrap_or_default();
                    warn!(
                        "binlog: position {at} is gone from the server ({}); continuing from its current end \
                         after one full pass",
                        e.message
                    );
                    return Ended::Again;
                }
                Ok(Some(Err(e))) if refused(&e) => return Ended::Unavailable(grant(&settings, "REPLICATION SLAVE")),
                Ok(Some(Err(e))) => return Ended::Cut(error_text(&e)),
                Ok(Some(Ok(event))) => event,
            };
            if first {
                first = false;
                retry.succeeded();
                self.said = None;
                self.following.send_replace(true);
                crate::ops::monitor::set_watch(crate::ops::monitor::Watch::Following);
                let at = self.position.as_ref().map(|p| p.to_string()).unwrap_or_default();
                info!(
                    server_id = self.server_id,
                    "binlog: following {at}{}",
                    if from_end { " (the current end)" } else { "" }
                );
                // Whatever happened before the current end is for a full pass to find.
                if from_end && !self.send(Change::Lost) {
                    return Ended::Shutdown;
                }
            }
            match self.handle(&event, &stream, &tables) {
                Handled::Go => {}
                Handled::Stop => return Ended::Shutdown,
                Handled::Again => return Ended::Again,
            }
            self.save(false);
        }
    }
}

/// What one event asks of the stream.
enum Handled {
    Go,
    /// The engine is gone.
    Stop,
    /// Start a new stream at the position reached.
    Again,
}

/// Most leads remembered as having an open callback before they are read
/// anew (a few tens of megabytes).
const MOST_LEADS: usize = 2_000_000;

impl Watcher {
    /// Connects, checks the server, reads the tables' layouts and the leads
    /// with open callbacks, and starts the stream at the kept position (or at
    /// the server's end, the third value then `true`).
    async fn connect(
        &mut self,
    ) -> Result<Result<(BinlogStream, LogSettings, Tables, bool), Unavailable>, mysql_async::Error> {
        let mut conn = Conn::new(self.opts.clone()).await?;
        let (settings, end) = match prepare(&mut conn).await? {
            Ok(ready) => ready,
            Err(why) => return Ok(Err(why)),
        };
        if !settings.row_image.eq_ignore_ascii_case("FULL") && self.said.is_none() {
            debug!(
                "binlog: binlog_row_image is {}: some changes wake the engine without saying which rows",
                settings.row_image
            );
        }
        let tables: Vec<&str> = WATCHED.iter().map(|(t, _)| *t).collect();
        let layout = Tables::new(&self.database, &sql::columns(&mut conn, &self.database, &tables).await?);
        self.leads = sql::open_callback_leads(&mut conn, self.repair_days)
            .await?
            .into_iter()
            .collect();
        if !self.loaded {
            self.loaded = true;
            self.position = self.store.as_ref().and_then(Store::load);
            if let (Some(p), Some(store)) = (&self.position, &self.store) {
                info!("binlog: resuming at {p}, kept in {}", store.path().display());
            }
        }
        let from_end = self.position.is_none();
        let start = self.position.get_or_insert(end).clone();
        // The server sends a heartbeat after this much silence, so a dead
        // connection is told from a quiet one (nanoseconds).
        crate::db::replica::announce_replica(
            &mut conn,
            self.heartbeat.as_nanos(),
            settings.mariadb.then_some(mariadb::CAPABILITY_GTID),
        )
        .await?;
        let request = BinlogStreamRequest::new(self.server_id)
            .with_filename(start.file.as_bytes())
            .with_pos(start.offset);
        match conn.get_binlog_stream(request).await {
            Ok(stream) => Ok(Ok((stream, settings, layout, from_end))),
            Err(e) if refused(&e) => Ok(Err(grant(&settings, "REPLICATION SLAVE"))),
            Err(e) => Err(e),
        }
    }

    /// Turns one event into changes and moves the position.
    fn handle(&mut self, event: &Event, stream: &BinlogStream, tables: &Tables) -> Handled {
        let header = event.header();
        let kind = header.event_type_raw();
        let boundary = |w: &mut Watcher| {
            if let Some(p) = w.position.as_mut()
                && header.log_pos() > 0
            {
                p.offset = u64::from(header.log_pos());
            }
        };
        const ROTATE: u8 = EventType::ROTATE_EVENT as u8;
        const QUERY: u8 = EventType::QUERY_EVENT as u8;
        const XID: u8 = EventType::XID_EVENT as u8;
        const PAYLOAD: u8 = EventType::TRANSACTION_PAYLOAD_EVENT as u8;
        match kind {
            // The artificial rotate that starts a stream (log_pos 0) names
            // the file asked for; it comes before the format event, so its
            // checksum would be read as part of the name.
            ROTATE if header.log_pos() > 0 => {
                if let Ok(rotate) = event.read_event::<RotateEvent<'_>>() {
                    self.position = Some(Position {
                        file: rotate.name().into_owned(),
                        offset: rotate.position(),
                    });
                }
            }
            QUERY => {
                let Ok(query) = event.read_event::<QueryEvent<'_>>() else {
                    return Handled::Go;
                };
                let text = query.query();
                if text.trim_start().eq_ignore_ascii_case("BEGIN") {
                    return Handled::Go;
                }
                boundary(self);
                if tables.statement_touches(&query.schema(), &text) {
                    // A statement on a watched table (DDL, TRUNCATE, a MEMORY
                    // hopper emptied by a restart): which rows is unknown, and
                    // the layouts are read again on a new stream.
                    debug!(query = %text, "binlog: statement on a watched table");
                    return match self.send(Change::Lost) {
                        true => Handled::Again,
                        false => Handled::Stop,
                    };
                }
            }
            XID | PAYLOAD => boundary(self),
            mariadb::QUERY_COMPRESSED => {
                // Its text cannot be read here: it may be a statement on a watched table.
                boundary(self);
                if !self.send(Change::Lost) {
                    return Handled::Stop;
                }
            }
            mariadb::WRITE_ROWS_COMPRESSED_V1..=mariadb::DELETE_ROWS_COMPRESSED => {
                if let Some(change) = compressed_change(event, kind, stream, tables)
                    && !self.send(change)
                {
                    return Handled::Stop;
                }
            }
            mariadb::ANNOTATE_ROWS => {}
            _ => {
                if let Ok(Some(EventData::RowsEvent(rows))) = event.read_data()
                    && let Some(tme) = stream.get_tme(rows.table_id())
                    && let Some(change) = tables.change(&rows, tme, &mut self.leads)
                    && !self.send(change)
                {
                    return Handled::Stop;
                }
                // Every new callback adds its lead: a stream followed for
                // weeks reads the leads with open callbacks anew instead of
                // growing without bound: a new stream from the last
                // transaction boundary (its changes come again: harmless).
                if self.leads.len() > MOST_LEADS {
                    return Handled::Again;
                }
            }
        }
        Handled::Go
    }

    /// Sends a change without waiting: the engine takes them all at the start
    /// of each pass, so a full channel means a pass is due anyway, and what
    /// did not fit is owed as one [`Change::Lost`]. False when the engine is gone.
    fn send(&mut self, change: Change) -> bool {
        use mpsc::error::TrySendError;
        if self.owe_lost {
            match self.tx.try_send(Change::Lost) {
                Ok(()) => self.owe_lost = false,
                Err(TrySendError::Full(_)) => return true,
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.tx.try_send(change) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.owe_lost = true;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// Writes the position when it moved, at most every [`SAVE_EVERY`]
    /// unless `now`. A position file that cannot be written is said once;
    /// the stream goes on (a restart then starts at the end, with a full pass).
    fn save(&mut self, now: bool) {
        let (Some(store), Some(position)) = (&self.store, &self.position) else {
            return;
        };
        if let Some((saved, at)) = &self.saved
            && (saved == position || (!now && at.elapsed() < SAVE_EVERY))
        {
            return;
        }
        match store.save(position) {
            Ok(()) => self.saved = Some((position.clone(), Instant::now())),
            Err(e) => {
                warn!(
                    "binlog: cannot keep the position in {} ({e}); a restart will start at the end with a \
                     full pass (binlog.state_dir)",
                    store.path().display()
                );
                self.store = None;
            }
        }
    }
}

/// A compressed MariaDB rows event (`log_bin_compress`): its table is read
/// from the post-header (a 6-byte table id), its rows are not.
fn compressed_change(event: &Event, kind: u8, stream: &BinlogStream, tables: &Tables) -> Option<Change> {
    let data = event.data();
    let id = data.get(..6)?.iter().rev().fold(0u64, |n, b| (n << 8) | u64::from(*b));
    let deleted = kind == mariadb::DELETE_ROWS_COMPRESSED_V1 || kind == mariadb::DELETE_ROWS_COMPRESSED;
    Some(match tables.kind(stream.get_tme(id)?)? {
        Kind::Callbacks => Change::Callbacks(Vec::new()),
        Kind::Leads => Change::Leads(Vec::new()),
        Kind::Hopper if deleted => Change::HopperDeleted(Vec::new()),
        Kind::Hopper => return None,
        Kind::Settings => Change::Settings,
    })
}
