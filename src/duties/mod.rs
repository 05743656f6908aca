//! The leader's duties beside the engine, each on its own task and database
//! connection, so that one failing or slow never delays an activation:
//! email alerts for triggered USERONLY callbacks ([`alerts`]), the daily
//! promise digest ([`digest`]) and the daily purge ([`purge`]).

pub mod alerts;
pub mod digest;
pub mod purge;
