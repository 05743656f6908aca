//! The per-state override of the 24-hour call limit, as VICIdial's hopper job
//! applies it: a settings container named by the campaign's
//! `call_limit_24hour_override` lowers (or sets) the limit for the state of
//! the phone's area code (`vicidial_phone_codes`), of the lead's postal code
//! (`vicidial_postal_codes`), or of the lead's `state` column. Pure functions;
//! the lookups are set-based queries in `db::facts`.
//!
//! Container lines (`;` starts a comment, ` => ` may be written for `=>`):
//! ```text
//! method=>state_areacode       ; or ..._state, or ..._postcode, or both
//! state=>USA,GA,4              ; country, state, limit
//! ```

/// One `state=>COUNTRY,STATE,LIMIT` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLimit {
    /// Country as `vicidial_phone_codes.country` spells it (`USA`, `CAN`).
    pub country: String,
    /// State or province code.
    pub state: String,
    /// The limit for that state.
    pub limit: u32,
}

/// A parsed override container: its lines in order, as VICIdial reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitOverride {
    lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Method(String),
    State(StateLimit),
}

impl LimitOverride {
    /// Parses the container text; lines it does not understand are ignored, as VICIdial ignores them.
    pub fn parse(text: &str) -> LimitOverride {
        let mut lines = Vec::new();
        for raw in text.split('\n') {
            let line = raw.split(';').next().unwrap_or_default().replace(['\r', '\t'], "");
            let line = line.replace(" => ", "=>").replace("=> ", "=>").replace(" =>", "=>");
            if line.len() <= 3 {
                continue;
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("method") {
                lines.push(Line::Method(line));
            } else if lower.starts_with("state") {
                let rest = line.get(strip_len(&lower, "state=>")..).unwrap_or_default();
                let fields: Vec<&str> = rest.split(',').collect();
                let digits: String = fields
                    .get(2)
                    .unwrap_or(&"")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                if let (Some(country), Some(state), Ok(limit)) = (fields.first(), fields.get(1), digits.parse()) {
                    lines.push(Line::State(StateLimit {
                        country: country.to_string(),
                        state: state.to_string(),
                        limit,
                    }));
                }
            }
        }
        LimitOverride { lines }
    }

    /// Whether a `method` line asks for the lead's postal code to be looked up.
    pub fn wants_postcode(&self) -> bool {
        self.lines
            .iter()
            .any(|l| matches!(l, Line::Method(m) if m.contains("postcode")))
    }
}

/// The length of `prefix` when `text` starts with it, else 0.
fn strip_len(text: &str, prefix: &str) -> usize {
    if text.starts_with(prefix) { prefix.len() } else { 0 }
}

/// What VICIdial knows of where a phone is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// State of the phone's area code (`vicidial_phone_codes.state`), empty when unknown.
    pub areacode_state: String,
    /// Country of the phone's area code (`vicidial_phone_codes.country`).
    pub country: String,
    /// State of the lead's postal code (`vicidial_postal_codes.state`), when found.
    pub postcode_state: Option<String>,
    /// The lead's own `state` column.
    pub lead_state: String,
}

/// VICIdial's postal code key: its digits, the first five (its script applies
/// the US rule to every country).
pub fn postcode_key(postal_code: &str) -> String {
    postal_code.chars().filter(char::is_ascii_digit).take(5).collect()
}

/// The limit that applies to one phone, walking the lines in order as VICIdial does:
/// a state line matching the area code's state sets the limit; one matching the
/// postal code's state (with a `postcode` method) or the lead's state (with a
/// method ending in `state`, when that differs from the area code's) lowers it.
pub fn effective_limit(base: u32, rules: &LimitOverride, place: &Place) -> u32 {
    let mut limit = base;
    let mut by_state_field = false;
    let mut by_postcode = false;
    for line in &rules.lines {
        match line {
            // Once set, a flag stays set for the lines after, as in VICIdial.
            Line::Method(m) => {
                by_state_field |= m.ends_with("state") && place.areacode_state != place.lead_state;
                by_postcode |= m.contains("postcode") && place.postcode_state.is_some();
            }
            Line::State(s) if s.country == place.country => {
                if s.state == place.areacode_state {
                    limit = s.limit;
                }
                if by_postcode && place.postcode_state.as_deref() == Some(s.state.as_str()) && s.limit < limit {
                    limit = s.limit;
                }
                if by_state_field && place.lead_state == s.state && s.limit < limit {
                    limit = s.limit;
                }
            }
            Line::State(_) => {}
        }
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(areacode_state: &str, lead_state: &str, postcode_state: Option<&str>) -> Place {
        Place {
            areacode_state: areacode_state.into(),
            country: "USA".into(),
            postcode_state: postcode_state.map(Into::into),
            lead_state: lead_state.into(),
        }
    }

    #[test]
    fn parses_lines_comments_and_arrows() {
        let o = LimitOverride::parse(
            "; per-state limits\r\nmethod => state_areacode\r\nstate=>USA,GA,4 ; Georgia\nstate => USA,FL,x3\nstate=>USA,TX\njunk\n",
        );
        assert_eq!(
            o.lines,
            vec![
                Line::Method("method=>state_areacode".into()),
                Line::State(StateLimit {
                    country: "USA".into(),
                    state: "GA".into(),
                    limit: 4
                }),
                Line::State(StateLimit {
                    country: "USA".into(),
                    state: "FL".into(),
                    limit: 3
                }),
            ]
        );
        assert!(!o.wants_postcode());
        assert!(LimitOverride::parse("method=>state_areacode_postcode").wants_postcode());
        assert_eq!(LimitOverride::parse(""), LimitOverride::default());
    }

    #[test]
    fn the_area_codes_state_sets_the_limit_even_upwards() {
        let o = LimitOverride::parse("state=>USA,GA,4\nstate=>USA,FL,1\n");
        assert_eq!(effective_limit(2, &o, &place("GA", "GA", None)), 4);
        assert_eq!(effective_limit(2, &o, &place("FL", "GA", None)), 1);
        assert_eq!(effective_limit(2, &o, &place("TX", "TX", None)), 2);
        let mut canada = place("GA", "GA", None);
        canada.country = "CAN".into();
        assert_eq!(
            effective_limit(2, &o, &canada),
            2,
            "another country's line does not apply"
        );
    }

    #[test]
    fn the_leads_state_lowers_only_with_a_state_method_and_a_different_area_code_state() {
        let o = LimitOverride::parse("method=>areacode_state\nstate=>USA,GA,5\nstate=>USA,FL,1\n");
        assert_eq!(effective_limit(3, &o, &place("GA", "FL", None)), 1);
        // Line order matters as in VICIdial: a later area-code line sets the limit again.
        let reordered = LimitOverride::parse("method=>areacode_state\nstate=>USA,FL,1\nstate=>USA,GA,5\n");
        assert_eq!(effective_limit(3, &reordered, &place("GA", "FL", None)), 5);
        assert_eq!(effective_limit(3, &o, &place("TX", "GA", None)), 3, "only lowers");
        let without = LimitOverride::parse("state=>USA,FL,1\n");
        assert_eq!(effective_limit(3, &without, &place("GA", "FL", None)), 3);
    }

    #[test]
    fn the_postal_codes_state_lowers_with_a_postcode_method() {
        let o = LimitOverride::parse("method=>postcode\nstate=>USA,NC,1\n");
        assert_eq!(effective_limit(3, &o, &place("GA", "GA", Some("NC"))), 1);
        assert_eq!(effective_limit(3, &o, &place("GA", "GA", None)), 3);
        // Lines before the method line are read without it, as VICIdial reads them.
        let late = LimitOverride::parse("state=>USA,NC,1\nmethod=>postcode\n");
        assert_eq!(effective_limit(3, &late, &place("GA", "GA", Some("NC"))), 3);
    }

    #[test]
    fn postcode_keys_keep_five_digits() {
        assert_eq!(postcode_key("30301-1234"), "30301");
        assert_eq!(postcode_key(" 02134 "), "02134");
        assert_eq!(postcode_key("K1A 0B1"), "101");
        assert_eq!(postcode_key(""), "");
    }
}
