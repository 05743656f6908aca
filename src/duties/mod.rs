//! The leader's duties beside the engine, each on its own task and database
//! connection, so that one failing or slow never delays an activation:
//! email alerts for triggered USERONLY callbacks ([`alerts`]) and the daily
//! promise digest ([`digest`]). The scheduled purge runs the same way
//! ([`crate::manage::purge::run`]).

pub mod alerts;
pub mod digest;
