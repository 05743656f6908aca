//! The pending rule: which LIVE ANYONE callbacks still owe their lead the
//! activation's write or a hopper row. The database finds candidates with
//! the SQL here (a bounded scan, `db::callbacks`); the decision completes
//! each with the Rust here (`rules::decision`). `tests/rules_sql.rs` checks
//! on generated rows that the two say the same of the same values.

use crate::rules::collation;

/// The lead is as the callback's activation left it: in the callback's
/// status (its `lead_status`, `CALLBK` when empty) and not called since
/// (`called_since_last_reset='N'`; the dialer sets `Y` the moment it places
/// a call: `docs/vicidial.md`, section "Dialer"). Compared as MySQL
/// compares the columns (case and trailing spaces ignored).
pub fn undialed(callback_lead_status_stored: &str, lead_status: &str, called_since_last_reset: &str) -> bool {
    collation::eq(lead_status, callback_lead_status(callback_lead_status_stored))
        && collation::eq(called_since_last_reset, "N")
}

/// The status a callback gives its lead ([`crate::rules::decision::lead_status`])
/// from its stored `lead_status` value.
pub(crate) fn callback_lead_status(stored: &str) -> &str {
    if lead_status_is_empty(stored) {
        DEFAULT_LEAD_STATUS
    } else {
        stored
    }
}

/// The status a callback gives its lead when its `lead_status` is empty.
pub(crate) const DEFAULT_LEAD_STATUS: &str = "CALLBK";

/// Whether a stored `lead_status` is empty or NULL (read as empty).
pub(crate) fn lead_status_is_empty(stored: &str) -> bool {
    stored.trim_end_matches(' ').is_empty()
}

/// [`undialed`] in SQL, over `cb` (the callback) and `l` (its lead).
/// `NULLIF` compares as the column's collation does, so a `lead_status` of
/// spaces is empty too. The same markers guard the hopper insert.
pub const UNDIALED_SQL: &str =
    "l.status = COALESCE(NULLIF(cb.lead_status, ''), 'CALLBK') AND l.called_since_last_reset = 'N'";

/// A half-done activation (or a USERONLY callback converted to ANYONE): the
/// lead is still `CBHOLD` and no other open callback (other than LIVE
/// ANYONE ones) holds it.
pub const STRANDED_SQL: &str = "l.status = 'CBHOLD' \
    AND NOT EXISTS (SELECT 1 FROM vicidial_callbacks o WHERE o.lead_id = cb.lead_id \
         AND o.callback_id <> cb.callback_id \
         AND (o.status IN ('ACTIVE','TFHCCL') OR (o.status = 'LIVE' AND o.recipient = 'USERONLY')))";

/// An activation whose lead write never happened, whatever the lead's
/// status (VICIdial's admin page and API make ANYONE callbacks of leads left
/// in `CALLBK` from an earlier call, not `CBHOLD`): nothing has written the
/// lead since the callback last changed (made LIVE), so neither the dialer
/// nor an agent touched it. The decision also requires that the lead was
/// not dialed since the callback's time, and the lead's write re-checks the
/// lead as read.
pub const OWED_SQL: &str = "l.modify_date < cb.modify_date";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undialed_means_the_callbacks_status_and_not_called_since() {
        assert!(undialed("", "CALLBK", "N"));
        assert!(undialed("SALE", "sale ", "N"));
        assert!(!undialed("SALE", "CALLBK", "N"));
        assert!(!undialed("", "CALLBK", "Y"));
        assert!(undialed("  ", "CALLBK", "N"), "spaces are empty");
    }
}
