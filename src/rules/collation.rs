//! Matching ids the way MySQL does. VICIdial matches ids in SQL
//! (`WHERE campaign_id='$x'`) under its tables' default case-insensitive,
//! PAD SPACE collations, so `sales` finds campaign `SALES` and `9am-9pm `
//! finds call time `9am-9pm`. Where the daemon matches such ids in Rust
//! (campaigns, call times, state rules, holidays, settings containers,
//! statuses) it compares [`Key`]s, never raw strings.
//!
//! Values taken from leads (phone numbers, phone codes, postal codes) are
//! never matched here: those comparisons run in SQL (`db::facts`), where the
//! server applies each column's own collation.
//!
//! Scope: trailing spaces are ignored (PAD SPACE) and letters are compared
//! without case (Unicode simple lowercase). Accent folding (`é` = `e` in
//! `utf8_general_ci`) is not emulated; VICIdial's admin screens keep ids to
//! letters, digits, `-` and `_`, where this is exact.

use std::fmt;

/// A value folded for comparison as MySQL's default collations compare it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// Folds a value: trailing spaces dropped, letters lowercased.
    pub fn new(text: &str) -> Key {
        Key(text
            .trim_end_matches(' ')
            .chars()
            .flat_map(char::to_lowercase)
            .collect())
    }

    /// The folded text (for logs and maps, not for display to operators).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key::new(text)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether MySQL's default collation finds `a` and `b` equal.
pub fn eq(a: &str, b: &str) -> bool {
    Key::new(a) == Key::new(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_trailing_spaces_are_ignored() {
        assert!(eq("SALES", "sales"));
        assert!(eq("9am-9pm ", "9am-9pm"));
        assert!(eq("CBHOLD", "cbhold  "));
        assert_eq!(Key::new("Ünï "), Key::new("üNÏ"));
    }

    #[test]
    fn leading_spaces_tabs_and_other_letters_count() {
        assert!(!eq(" SALES", "SALES"), "PAD SPACE pads the end only");
        assert!(!eq("SALES\t", "SALES"), "only spaces are padding");
        assert!(!eq("SALES1", "SALES"));
        assert!(!eq("", "x"));
        assert!(eq("", "   "));
    }
}
