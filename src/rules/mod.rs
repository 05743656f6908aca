//! The domain rules, pure: what VICIdial does with a callback, written once
//! each, with no database client and no runtime. The engine, the manager
//! commands and the report decide with these; the database layer (`db/`)
//! fills their inputs. Where a rule must also run inside SQL, its SQL sits
//! beside its Rust and a test checks that the two agree.

pub mod call_limit;
pub mod calltime;
pub mod collation;
pub mod decision;
pub mod dnc;
pub mod hours_block;
pub mod model;
pub mod pending;
pub mod server_zone;
pub mod status;
pub mod useronly_move;
