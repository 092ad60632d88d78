//! Serialisable reports (SPEC.md §2) and their text tables.

pub mod explain;
pub mod place;
