//! The per-state override of the 24-hour call limit, as VICIdial's hopper job
//! applies it (`AST_VDhopper.pl` `check_24hour_call_count`, lines 3799-3918,
//! VICIdial 2.14; `docs/vicidial.md`, section "24-hour limit"):
//! a settings container named by the campaign's `call_limit_24hour_override`
//! sets the limit for the state of the phone's area code
//! (`vicidial_phone_codes`), and can lower it for the state of the lead's
//! postal code (`vicidial_postal_codes`) or of the lead's `state` column.
//! Pure functions; the lookups are SQL in `db::facts`.
//!
//! Container lines are read exactly as the Perl reads them, quirks included,
//! so that the daemon applies what VICIdial applies and nothing else:
//! ```text
//! method=>state_areacode       ; or ..._state, or ..._postcode
//! state=>USA,GA,4              ; country, state, limit
//! ```


/// A parsed override container: its lines in order, as VICIdial reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitOverride {
    lines: Vec<Line>,
    /// Lines VICIdial reads but can never apply (no limit digits, too few
    /// fields, a country that cannot match), kept so the admin can be told.
    pub ignored: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Method(String),
    State { country: String, state: String, limit: u64 },
}

/// `s/ => |=> | =>/=>/gi`: one left-to-right pass, the alternatives tried in
/// order at each position (`AST_VDhopper.pl` line 3838, VICIdial 2.14), so `state  => X` keeps a space.
fn normalize_arrows(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(tail) = [" => ", "=> ", " =>"].iter().find_map(|p| rest.strip_prefix(p)) {
            out.push_str("=>");
            rest = tail;
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `s/state=>//gi`: every occurrence, in any case (`AST_VDhopper.pl` line 3881, VICIdial 2.14).
fn strip_state_arrows(line: &str) -> String {
    const NEEDLE: &str = "state=>";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        if rest.len() >= NEEDLE.len()
            && rest.is_char_boundary(NEEDLE.len())
            && rest[..NEEDLE.len()].eq_ignore_ascii_case(NEEDLE)
        {
            rest = &rest[NEEDLE.len()..];
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Perl's `split(/,/, $x)`: trailing empty fields are dropped.
fn perl_split_commas(text: &str) -> Vec<&str> {
    let mut fields: Vec<&str> = text.split(',').collect();
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

impl LimitOverride {
    /// Parses the container text as VICIdial does (`AST_VDhopper.pl` lines 3831-3916, VICIdial 2.14).
    pub fn parse(text: &str) -> LimitOverride {
        let mut parsed = LimitOverride::default();
        // `length($TEMP_TFhour_OR_entry) > 2` (line 3831).
        if text.len() <= 2 {
            return parsed;
        }
        for raw in text.split('\n') {
            // `s/;.*|\r|\t//gi` (line 3837).
            let line: String = raw.split(';').next().unwrap_or_default().replace(['\r', '\t'], "");
            let line = normalize_arrows(&line);
            if line.len() <= 3 {
                continue;
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("method") {
                parsed.lines.push(Line::Method(line));
            } else if lower.starts_with("state") {
                let stripped = strip_state_arrows(&line);
                let fields = perl_split_commas(&stripped);
                let digits: String = fields
                    .get(2)
                    .map(|f| f.chars().filter(char::is_ascii_digit).collect())
                    .unwrap_or_default();
                let country = fields.first().copied().unwrap_or_default();
                let usable = !digits.is_empty() && !country.contains(['=', '>', ' ']);
                if !usable {
                    parsed.ignored.push(raw.trim_end_matches('\r').to_string());
                }
                if !digits.is_empty() {
                    parsed.lines.push(Line::State {
                        country: country.to_string(),
                        state: fields.get(1).copied().unwrap_or_default().to_string(),
                        limit: digits.parse().unwrap_or(u64::MAX),
                    });
                }
            } else {
                parsed.ignored.push(raw.trim_end_matches('\r').to_string());
            }
        }
        parsed
    }
}

/// The limit that applies to one phone, walking the lines in order as VICIdial
/// does: a state line matching the area code's state sets the limit; one
/// matching the postal code's state (after a `postcode` method line) or the
/// lead's state (after a method line ending in `state`, when the area code's
/// state differs) lowers it. Every comparison is Perl's `eq`: exact.
pub fn effective_limit(base: u64, rules: &LimitOverride, place: &PlaceFacts) -> u64 {
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
            Line::State {
                country,
                state,
                limit: l,
            } if *country == place.country => {
                if *state == place.areacode_state {
                    limit = *l;
                }
                if by_postcode && place.postcode_state.as_deref() == Some(state.as_str()) && *l < limit {
                    limit = *l;
                }
                if by_state_field && place.lead_state == *state && *l < limit {
                    limit = *l;
                }
            }
            Line::State { .. } => {}
        }
    }
    limit
}

/// Where VICIdial places a lead's phone, for the per-state limit override.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceFacts {
    /// `vicidial_phone_codes.state` of the phone's country and area code ('' when none).
    pub areacode_state: String,
    /// `vicidial_phone_codes.country` of it ('' when none).
    pub country: String,
    /// `vicidial_postal_codes.state` of the lead's postal code, when looked up and found.
    pub postcode_state: Option<String>,
    /// The lead's own `state` column.
    pub lead_state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(areacode_state: &str, lead_state: &str, postcode_state: Option<&str>) -> PlaceFacts {
        PlaceFacts {
            areacode_state: areacode_state.into(),
            country: "USA".into(),
            postcode_state: postcode_state.map(Into::into),
            lead_state: lead_state.into(),
        }
    }

    fn state(country: &str, state: &str, limit: u64) -> Line {
        Line::State {
            country: country.into(),
            state: state.into(),
            limit,
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
                state("USA", "GA", 4),
                state("USA", "FL", 3),
            ]
        );
        assert_eq!(o.ignored, vec!["state=>USA,TX".to_string(), "junk".to_string()]);
        assert_eq!(LimitOverride::parse(""), LimitOverride::default());
    }

    /// `AST_VDhopper.pl` line 3838 (VICIdial 2.14) replaces in one pass: with two spaces before
    /// the arrow one space is left, `s/state=>//` then misses, and the country
    /// field reads `state =>USA`, which matches no country.
    #[test]
    fn two_spaces_before_the_arrow_leave_the_line_unapplied_as_in_vicidial_line_3838() {
        assert_eq!(normalize_arrows("state  => USA,TX,3"), "state =>USA,TX,3");
        let o = LimitOverride::parse("state  => USA,TX,3\n");
        assert_eq!(o.ignored, vec!["state  => USA,TX,3".to_string()]);
        assert_eq!(effective_limit(5, &o, &place("TX", "TX", None)), 5);
        // Every other spacing works.
        for line in [
            "state => USA,TX,3",
            "state=> USA,TX,3",
            "state =>USA,TX,3",
            "STATE=>USA,TX,3",
        ] {
            let o = LimitOverride::parse(line);
            assert!(o.ignored.is_empty(), "{line}");
            assert_eq!(effective_limit(5, &o, &place("TX", "TX", None)), 3, "{line}");
        }
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
        let mut lower = place("ga", "GA", None);
        lower.country = "usa".into();
        assert_eq!(effective_limit(2, &o, &lower), 2, "Perl's eq is exact");
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
        // `/state$/` on the line as it stands: a trailing space defeats it.
        let spaced = LimitOverride::parse("method=>areacode_state \nstate=>USA,FL,1\n");
        assert_eq!(effective_limit(3, &spaced, &place("GA", "FL", None)), 3);
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
    fn state_arrows_are_removed_everywhere_and_trailing_empty_fields_dropped() {
        assert_eq!(strip_state_arrows("state=>USA,State=>GA,4"), "USA,GA,4");
        assert_eq!(perl_split_commas("USA,GA,,"), vec!["USA", "GA"]);
        let o = LimitOverride::parse("state=>USA,GA,4,extra\n");
        assert_eq!(o.lines, vec![state("USA", "GA", 4)]);
    }
}
