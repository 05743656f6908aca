//! The text of `callbacks list`: a table that fits the terminal by display
//! width (a CJK name takes two columns a character, a combining accent none)
//! and CSV written by the csv crate, which quotes whatever needs it (commas,
//! quotes, line feeds and carriage returns).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The terminal's width in columns: asked of the terminal on stdout, else
/// `$COLUMNS`, else 120 (a pipe or a file).
pub(crate) fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ only writes the winsize we own.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0 && size.ws_col > 0 {
        return usize::from(size.ws_col);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

/// How many columns `text` takes on a terminal.
pub(crate) fn width(text: &str) -> usize {
    text.width()
}

/// `text` cut to at most `columns` display columns (never in the middle of
/// a wide character), then padded with spaces to exactly `columns`.
pub(crate) fn fit(text: &str, columns: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > columns {
            break;
        }
        out.push(c);
        used += w;
    }
    out.extend(std::iter::repeat_n(' ', columns - used));
    out
}

/// `rows` under `headers` as CSV.
pub(crate) fn csv<const N: usize>(headers: &[String; N], rows: impl IntoIterator<Item = [String; N]>) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory fails only on a ragged row, which [String; N] rules out.
    let _ = writer.write_record(headers);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_combining_characters_take_their_display_width() {
        assert_eq!(width("山田"), 4);
        assert_eq!(width("Zoe\u{0308}"), 3);
        assert_eq!(fit("山田太郎", 5), "山田 ");
        assert_eq!(fit("Zoe\u{0308}", 5), "Zoe\u{0308}  ");
        assert_eq!(fit("abcdef", 3), "abc");
    }

    #[test]
    fn csv_quotes_carriage_returns_commas_and_quotes() {
        let text = csv(
            &["id".to_string(), "name".to_string()],
            [
                ["1".to_string(), "a\rb".to_string()],
                ["2".to_string(), "x, \"y\"".to_string()],
                ["3".to_string(), "plain".to_string()],
            ],
        );
        assert_eq!(text, "id,name\n1,\"a\rb\"\n2,\"x, \"\"y\"\"\"\n3,plain\n");
    }
}
