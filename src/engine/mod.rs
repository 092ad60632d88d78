//! Machinery below every operation: pod classes and node types, the plan
//! a solver ends with and its report, cluster-autoscaler's scale-up, PDB
//! arithmetic with the eviction API's rules, the drainability rules, drain
//! targets, and the LP backend.
//!
//! Nothing here imports an operation or a validator.

pub(crate) mod classes;
pub mod disruption;
pub(crate) mod drainability;
pub(crate) mod lp;
pub(crate) mod plan;
pub(crate) mod scale_up;
pub(crate) mod targets;
pub(crate) mod trace;
