//! Serialisable reports (docs/reports.md) and their text tables.

pub mod diff;
pub mod drain;
pub mod explain;
pub mod fix;
pub mod headroom;
pub mod place;
pub mod sizes;
pub mod tenancy;
