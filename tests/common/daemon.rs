//! The real binary: one way to run it ([`callbackd`]) and one wrapper for a
//! running daemon ([`Daemon`], started with [`Launch`]), its log in a file
//! the test reads, killed when the test lets go of it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary, with none of the caller's settings in its environment.
pub fn callbackd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vicidial-callbackd"));
    cmd.env_remove("CALLBACKD_DATABASE_URL")
        .env_remove("JOURNAL_STREAM")
        .env_remove("RUST_LOG");
    cmd
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start a daemon: `run` on a database URL, email off, `/metrics`
/// off unless asked for, more settings as environment variables.
pub struct Launch {
    cmd: Command,
    port: Option<u16>,
}

impl Launch {
    /// `run` on `url`.
    pub fn new(url: &str) -> Launch {
        let mut cmd = callbackd();
        cmd.args(["--database-url", url])
            .env("CALLBACKD_EMAIL__ENABLED", "false")
            .env("CALLBACKD_METRICS__ENABLED", "false");
        Launch { cmd, port: None }
    }

    /// A setting, as its environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Launch {
        self.cmd.env(key, value);
        self
    }

    /// Arguments before `run` (`--config FILE`, ...).
    pub fn args(mut self, args: &[&str]) -> Launch {
        self.cmd.args(args);
        self
    }

    /// `/metrics` and the health endpoints on a free loopback port.
    pub fn metrics(mut self) -> Launch {
        let port = free_port();
        self.cmd
            .env("CALLBACKD_METRICS__ENABLED", "true")
            .env("CALLBACKD_METRICS__LISTEN", format!("127.0.0.1:{port}"));
        self.port = Some(port);
        self
    }

    /// Starts it; its log goes to a file named after `name`.
    pub fn start(mut self, name: &str) -> Daemon {
        let dir = std::env::temp_dir().join(format!("callbackd-daemons-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join(format!("{name}-{}.log", free_port()));
        let child = self
            .cmd
            .arg("run")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the daemon");
        Daemon {
            child,
            log,
            port: self.port,
        }
    }
}

/// A running daemon, killed when the test lets go of it, so a failing test
/// leaves no daemon behind to load the shared server.
pub struct Daemon {
    child: Child,
    log: PathBuf,
    port: Option<u16>,
}

impl std::ops::Deref for Daemon {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many log lines so far.
    pub fn lines(&self) -> usize {
        self.log().lines().count()
    }

    /// The first log line containing `text` from line `from` on, waiting up to `within`.
    pub async fn wait_log(&self, text: &str, from: usize, within: Duration) -> (usize, String) {
        let started = Instant::now();
        loop {
            let log = self.log();
            if let Some((i, line)) = log.lines().enumerate().skip(from).find(|(_, l)| l.contains(text)) {
                return (i, line.to_owned());
            }
            assert!(
                started.elapsed() < within,
                "no log line with {text:?} within {within:?}; log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits up to `secs` for a log line containing `text`.
    pub async fn wait_for_log(&self, text: &str, secs: u64) {
        self.wait_log(text, 0, Duration::from_secs(secs)).await;
    }

    /// The `/metrics` port ([`Launch::metrics`]).
    pub fn port(&self) -> u16 {
        self.port.expect("started with Launch::metrics")
    }

    /// `GET path` on the metrics port: the status code and the body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port()))
            .await
            .unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).await.unwrap();
        let code = text[9..12].parse().unwrap();
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (code, body)
    }

    /// Sends `signal` (`-TERM`, `-HUP`, ...).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// SIGTERM, and the exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.signal("-TERM");
        self.child.wait().unwrap().code()
    }
}
