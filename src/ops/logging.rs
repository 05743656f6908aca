//! Log output for people and for journald: colour only on a terminal and
//! without `NO_COLOR`, the syslog priority of each level when stderr is
//! journald's stream (so `journalctl -p err` finds the errors), and text or
//! JSON lines with the same fields; or, with `log.format = "journald"`, each
//! event sent to journald with its fields as journal fields.

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
        .with_ansi(colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR")));
    if log_format == LogFormat::Journald {
        match journal() {
            Ok(journal) => {
                tracing_subscriber::registry().with(filter).with(journal).init();
                return;
            }
            Err(e) => {
                let layer = if journald {
                    layer.event_format(Priority(format().without_time())).boxed()
                } else {
                    layer.boxed()
                };
                tracing_subscriber::registry().with(filter).with(layer).init();
                tracing::warn!("log.format = \"journald\": journald is not reachable ({e}); logging text to stderr");
                return;
            }
        }
    }
    // journald stamps every line itself: a second timestamp is noise.
    let layer = match (log_format, journald) {
        (LogFormat::Text, false) => layer.boxed(),
        (LogFormat::Text, true) => layer.event_format(Priority(format().without_time())).boxed(),
        (LogFormat::Json | LogFormat::Journald, false) => layer.json().flatten_event(true).boxed(),
        (LogFormat::Json | LogFormat::Journald, true) => {
            let json = layer.json();
            json.event_format(Priority(format().json().flatten_event(true).without_time()))
                .boxed()
        }
    };
    tracing_subscriber::registry().with(filter).with(layer).init();
}

/// The journald layer: fields under their own names, upper-cased
/// (`callback_id` -> `CALLBACK_ID`), the message as `MESSAGE`, the level as
/// `PRIORITY`, and `SYSLOG_IDENTIFIER=vicidial-callbackd`, as
/// systemd.journal-fields(7) names them.
pub(crate) fn journal() -> std::io::Result<tracing_journald::Layer> {
    Ok(tracing_journald::layer()?
        .with_field_prefix(None)
        .with_syslog_identifier("vicidial-callbackd".to_owned()))
}

/// Colour on a terminal, unless `NO_COLOR` is set to anything but the empty
/// string (no-color.org).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
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

    /// Where journald runs: an event sent through the layer is read back with
    /// `journalctl CALLBACK_ID=...`, its fields as journal fields. Skipped
    /// with a message where there is no journald (containers, CI).
    #[test]
    fn fields_reach_the_journal_as_journal_fields() {
        if !std::path::Path::new("/run/systemd/journal/socket").exists() {
            eprintln!("skipped: journald is not running here");
            return;
        }
        let id = 900_000_000 + std::process::id();
        let subscriber = tracing_subscriber::registry().with(journal().unwrap());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                callback_id = id,
                lead_id = 7,
                campaign = "SALES",
                outcome = "LIVE",
                "journal test"
            );
        });
        let mut found = String::new();
        for _ in 0..50 {
            let out = std::process::Command::new("journalctl")
                .args(["-o", "export", "--no-pager", &format!("CALLBACK_ID={id}")])
                .output()
                .unwrap();
            found = String::from_utf8_lossy(&out.stdout).into_owned();
            if !found.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        for field in [
            "LEAD_ID=7\n",
            "CAMPAIGN=SALES\n",
            "OUTCOME=LIVE\n",
            "MESSAGE=journal test\n",
            "PRIORITY=4\n",
            "SYSLOG_IDENTIFIER=vicidial-callbackd\n",
        ] {
            assert!(found.contains(field), "{field:?} not in:\n{found}");
        }
    }

    #[test]
    fn no_color_turns_colour_off_on_a_terminal() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
    }
}
