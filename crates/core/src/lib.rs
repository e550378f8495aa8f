//! anzen-core — the domain vocabulary and the rules.
//!
//! Everything here is pure: no I/O, no database, no clock (callers pass `now`).
//! Rules turn records into findings; the store only persists what these types describe.

pub mod asset;
pub mod calendar;
pub mod finding;
pub mod holidays;
pub mod org;
pub mod password;
pub mod role;
pub mod rules;

pub use org::{OrgId, OrgKind, UserId};
pub use role::{Action, Role};
