//! # vicidial-callbackd
//!
//! A daemon beside a VICIdial server, on VICIdial's own MySQL/MariaDB
//! database, that takes over the server side of scheduled callbacks from
//! VICIdial's once-a-minute cron jobs: it activates callbacks the moment they
//! come due, puts ANYONE callbacks into the campaign hopper behind DNC,
//! call-time, hours-block and 24-hour-limit gates, and moves stale agent-only
//! callbacks to ANYONE.
//!
//! The design in one paragraph: VICIdial's tables are MyISAM (no
//! transactions) and its cron jobs keep running beside us, so every write is a
//! short conditional statement whose WHERE clause re-checks the state it
//! changes, and the writes of an activation are ordered so that a crash
//! between any two leaves a state that the *pending* rule completes on the
//! next pass (see [`engine`]). Deciding is pure ([`rules`]); applying is SQL
//! ([`db`]). The clock is the database's, never the host's. The layers and
//! the road one callback takes through them: `docs/architecture.md`.

/// Declares the layers: public for the tests, examples and benchmark
/// (feature `test-hooks`), crate-private otherwise, so the compiler finds
/// what nothing uses.
macro_rules! layers {
    ($($name:ident),* $(,)?) => {$(
        #[cfg(feature = "test-hooks")]
        pub mod $name;
        #[cfg(not(feature = "test-hooks"))]
        pub(crate) mod $name;
    )*};
}

layers!(cli, config, db, duties, email, engine, manage, ops, report, rules);

pub use cli::main;
