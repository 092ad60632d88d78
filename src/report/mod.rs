//! Serialisable reports (SPEC.md §2) and their text tables.

pub mod drain;
pub mod explain;
pub mod headroom;
pub mod place;
