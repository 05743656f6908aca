//! When a LIVE USERONLY callback nobody took goes to ANYONE
//! (`docs/vicidial.md`, section "Callback statuses"): VICIdial's keepalive
//! job moves those of active campaigns whose `callback_time` is more than
//! the campaign's `callback_useronly_move_minutes` ago
//! (`ADMIN_keepalive_ALL.pl` lines 5693 and 5728, VICIdial 2.14: strictly
//! before `NOW() - INTERVAL minutes MINUTE`). The engine finds them with
//! [`STALE_SQL`]; `callbacks explain` says when with [`moves_at`].

use chrono::{Duration, NaiveDateTime};

/// The moment after which the callback is stale: its time plus the
/// campaign's minutes; `None` when the campaign does not move callbacks
/// (`minutes` 0) or the time is NULL.
pub fn moves_at(callback_time: Option<NaiveDateTime>, minutes: u64) -> Option<NaiveDateTime> {
    callback_time.filter(|_| minutes > 0).map(|t| t + Duration::minutes(minutes as i64))
}

/// Stale at `now` (server time): strictly past the moment [`moves_at`] gives.
pub fn is_stale(moves_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    moves_at.is_some_and(|t| t < now)
}

/// [`is_stale`] of [`moves_at`] in SQL over `cb` (the callback) and `c` (its campaign),
/// `now` its one parameter.
pub const STALE_SQL: &str =
    "c.callback_useronly_move_minutes > 0 AND cb.callback_time < ? - INTERVAL c.callback_useronly_move_minutes MINUTE";
