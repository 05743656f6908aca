//! Log output for people and for journald: colour only on a terminal, the
//! syslog priority of each level when stderr is journald's stream (so
//! `journalctl -p err` finds the errors), and text or JSON lines with the
//! same fields.

use std::io::IsTerminal;
use std::os::unix::fs::MetadataExt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, format};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Sets the global logger, writing to stderr. `RUST_LOG` overrides the level
/// given by `-v`.
pub fn init(verbose: u8, log_format: LogFormat) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("vicidial_callbackd={level},warn")));
    let journald = stderr_is_journald();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // journald stamps every line itself: a second timestamp is noise.
    let layer = match (log_format, journald) {
        (LogFormat::Text, false) => layer.boxed(),
        (LogFormat::Text, true) => layer.event_format(Priority(format().without_time())).boxed(),
        (LogFormat::Json, false) => layer.json().flatten_event(true).boxed(),
        (LogFormat::Json, true) => {
            let json = layer.json();
            json.event_format(Priority(format().json().flatten_event(true).without_time()))
                .boxed()
        }
    };
    tracing_subscriber::registry().with(filter).with(layer).init();
}

/// True when stderr is the stream systemd connected to journald:
/// `JOURNAL_STREAM` names its device and inode (systemd.exec(5)), checked
/// so that a child whose stderr was redirected does not inherit the prefixes.
fn stderr_is_journald() -> bool {
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.split_once(':') else {
        return false;
    };
    let Ok(meta) = std::fs::metadata("/proc/self/fd/2") else {
        return false;
    };
    dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino())
}

/// The syslog priority journald reads from a `<N>` line prefix (sd-daemon(3)).
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// Puts the `<N>` priority prefix before each line of the inner format.
struct Priority<F>(F);

impl<S, N, F> FormatEvent<S, N> for Priority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        write!(writer, "<{}>", priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
    }
}
