//! Operations over a cluster: explain, and later place, simulate, drain.

pub mod classes;
pub mod explain;
pub mod place;
pub mod plan;
pub mod simulate;
pub mod validate;
