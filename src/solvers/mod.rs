//! Operations over a cluster: explain, place, simulate, drain, headroom.

pub mod classes;
pub mod disruption;
pub mod drain;
pub mod explain;
pub mod headroom;
pub mod place;
pub mod plan;
pub mod simulate;
pub mod validate;
pub mod validate_drain;
