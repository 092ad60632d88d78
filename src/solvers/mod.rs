//! Operations over a cluster: explain, and later place, simulate, drain.

pub mod explain;
