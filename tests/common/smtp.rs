//! A real SMTP server for integration tests: `tests/support/smtp_sink.py`
//! (Python's `aiosmtpd`) run on loopback, and the messages it received.

// Each test crate compiles its own copy and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use std::{fs, thread};

/// How long the sink may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How the sink answers.
#[derive(Clone, Copy, Debug)]
pub enum SinkMode {
    /// Accept every message.
    Accept,
    /// Answer the first N `DATA` commands with `451 4.3.0`, then accept.
    TempFail(u32),
    /// Answer every `RCPT` with `550 5.1.1`.
    PermFail,
    /// File each message, then drop the connection before the final reply.
    DropAfterData,
    /// File each message, then reply this many seconds later.
    LateReply(f64),
}

/// A running sink; killed, and its directory removed, on drop.
pub struct SmtpSink {
    /// The loopback port it listens on.
    pub port: u16,
    /// Where it writes what it receives.
    pub dir: PathBuf,
    child: Child,
}

/// One accepted message.
#[derive(Debug)]
pub struct ReceivedMail {
    /// The bytes received, as text (CRLF line ends).
    pub raw: String,
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The envelope recipients (`RCPT TO`).
    pub envelope_to: Vec<String>,
    /// Headers as Python's email package decodes them (RFC 2047 words decoded).
    pub headers: Vec<(String, String)>,
    /// The decoded text body, with `\n` line ends.
    pub body: String,
    /// How many defects Python's parser found in the message.
    pub defects: usize,
}

impl ReceivedMail {
    /// The first decoded header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The raw header section, before the first empty line.
    pub fn raw_headers(&self) -> &str {
        self.raw.split("\r\n\r\n").next().unwrap_or_default()
    }
}

/// The Python interpreter: `CALLBACKD_PYTHON` (the test venv's), else `python3`.
pub fn python() -> PathBuf {
    std::env::var_os("CALLBACKD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The sink script shipped in `tests/support`.
pub fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

/// A loopback port with nothing listening on it (just released by the system).
pub fn unused_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// A new empty directory under the system's temporary directory.
pub fn temp_dir(prefix: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

impl SmtpSink {
    /// Starts the sink with `python` on a port the system picks, and waits
    /// until it listens.
    pub fn start(python: &Path, script: &Path, mode: SinkMode) -> SmtpSink {
        let dir = temp_dir("callbackd-smtp-sink");
        let mut command = Command::new(python);
        command.arg(script).arg("--port").arg("0").arg("--dir").arg(&dir);
        match mode {
            SinkMode::Accept => {}
            SinkMode::TempFail(count) => {
                command.arg("--temp-fail").arg(count.to_string());
            }
            SinkMode::PermFail => {
                command.arg("--perm-fail");
            }
            SinkMode::DropAfterData => {
                command.arg("--drop-after-data");
            }
            SinkMode::LateReply(seconds) => {
                command.arg("--late-reply").arg(seconds.to_string());
            }
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        // A thread reads, so a sink that hangs before READY cannot hang the test.
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let port = line.strip_prefix("READY ").and_then(|port| port.trim().parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the SMTP sink did not start (first line {line:?}); is aiosmtpd installed for {}? \
                 Set CALLBACKD_PYTHON to a Python that has it.",
                python.display()
            );
        };
        SmtpSink { port, dir, child }
    }

    /// Starts the sink with the default interpreter and script.
    pub fn start_default(mode: SinkMode) -> SmtpSink {
        SmtpSink::start(&python(), &sink_script(), mode)
    }

    /// The accepted messages, in the order they arrived.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        (1..)
            .map(|n| self.dir.join(n.to_string()))
            .take_while(|base| base.with_extension("eml").exists())
            .map(|base| read_mail(&base))
            .collect()
    }

    /// The refusals the sink answered, one line each (`DATA 451 ...`, `RCPT 550 ...`).
    pub fn rejections(&self) -> Vec<String> {
        fs::read_to_string(self.dir.join("rejected.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn read_mail(base: &Path) -> ReceivedMail {
    let read = |extension| {
        fs::read(base.with_extension(extension))
            .unwrap_or_else(|error| panic!("read {}.{extension}: {error}", base.display()))
    };
    let raw = String::from_utf8_lossy(&read("eml")).into_owned();
    let envelope = String::from_utf8(read("env")).expect("UTF-8 envelope");
    let decoded = String::from_utf8(read("decoded")).expect("UTF-8 decoded message");
    let mut envelope_from = String::new();
    let mut envelope_to = Vec::new();
    for line in envelope.lines() {
        if let Some(from) = line.strip_prefix("from ") {
            envelope_from = from.to_owned();
        } else if let Some(to) = line.strip_prefix("to ") {
            envelope_to.push(to.to_owned());
        }
    }
    let (header_text, body) = decoded.split_once("\n\n").unwrap_or((&decoded, ""));
    let mut headers = Vec::new();
    let mut defects = 0;
    for line in header_text.lines() {
        let (name, value) = line.split_once(": ").unwrap_or((line, ""));
        if name == "X-Sink-Defects" {
            defects = value.parse().expect("defect count");
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    ReceivedMail {
        raw,
        envelope_from,
        envelope_to,
        headers,
        body: body.to_owned(),
        defects,
    }
}
