//! Substitution of `--A--name--B--` variables in subjects and bodies.

/// Opens a variable, as in VICIdial's templates.
const OPEN: &str = "--A--";
/// Closes a variable.
const CLOSE: &str = "--B--";

/// Replaces every `--A--name--B--` whose lowercased name `value` knows.
///
/// Unknown names and unterminated markers stay as written; values go in
/// verbatim and are not scanned again, so a value holding a marker stays literal.
pub fn render(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len()..];
        let name_len = after_open
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after_open.len());
        let (name, after_name) = after_open.split_at(name_len);
        if !name.is_empty()
            && let Some(after_close) = after_name.strip_prefix(CLOSE)
            && let Some(replacement) = value(&name.to_ascii_lowercase())
        {
            out.push_str(&rest[..start]);
            out.push_str(&replacement);
            rest = after_close;
        } else {
            // Step over one '-' only, so an opener starting inside this one
            // (`--A----A--name--B--`) is still found.
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(name: &str) -> Option<String> {
        match name {
            "first_name" => Some("Seán".to_owned()),
            "last_name" => Some("O'Brien".to_owned()),
            "city" => Some("Zoë Müller & Co, 東京 <a@b>".to_owned()),
            "comments" => Some("call --A--first_name--B-- back? 50% off+tax".to_owned()),
            "empty" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_known_variables() {
        assert_eq!(
            render("Hello --A--first_name--B-- --A--last_name--B--!", lead),
            "Hello Seán O'Brien!"
        );
    }

    #[test]
    fn values_go_in_as_plain_text() {
        assert_eq!(render("--A--city--B--", lead), "Zoë Müller & Co, 東京 <a@b>");
        assert_eq!(render("[--A--empty--B--]", lead), "[]");
    }

    #[test]
    fn values_are_not_substituted_again() {
        assert_eq!(
            render("Note: --A--comments--B--", lead),
            "Note: call --A--first_name--B-- back? 50% off+tax"
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(render("--A--First_Name--B-- --A--LAST_NAME--B--", lead), "Seán O'Brien");
    }

    #[test]
    fn unknown_names_stay_as_written() {
        assert_eq!(
            render("--A--nickname--B-- --A--first_name--B--", lead),
            "--A--nickname--B-- Seán"
        );
    }

    #[test]
    fn adjacent_variables_are_all_replaced() {
        assert_eq!(render("--A--first_name--B----A--last_name--B--", lead), "SeánO'Brien");
    }

    #[test]
    fn unterminated_markers_stay_as_written() {
        assert_eq!(render("--A--first_name", lead), "--A--first_name");
        assert_eq!(render("--A--first_name--B", lead), "--A--first_name--B");
        assert_eq!(render("--A----B--", lead), "--A----B--");
        assert_eq!(render("x --A--", lead), "x --A--");
        assert_eq!(render("--B--first_name--A--", lead), "--B--first_name--A--");
    }

    #[test]
    fn an_opener_inside_a_broken_one_is_still_found() {
        assert_eq!(render("--A----A--first_name--B--", lead), "--A--Seán");
        assert_eq!(
            render("--A--first name--B-- --A--last_name--B--", lead),
            "--A--first name--B-- O'Brien"
        );
    }

    #[test]
    fn non_ascii_text_around_variables_is_kept() {
        assert_eq!(
            render("Rückruf für --A--first_name--B-- – jetzt ☎", lead),
            "Rückruf für Seán – jetzt ☎"
        );
        assert_eq!(render("--A--prénom--B--", lead), "--A--prénom--B--");
    }

    #[test]
    fn text_without_variables_is_unchanged() {
        assert_eq!(render("", lead), "");
        assert_eq!(
            render("no variables - here -- at all", lead),
            "no variables - here -- at all"
        );
    }
}
