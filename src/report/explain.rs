//! The `explain` report.

use serde::{Deserialize, Serialize};

/// Options of `explain`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainOptions {
    /// Only this pod (`ns/name`).
    pub pod: Option<String>,
    /// Reason histogram instead of per-node detail.
    pub summary: bool,
    /// Add one template node per pool.
    pub with_pools: bool,
}

/// The `explain` report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExplainReport {
    /// One entry per pending pod, in input order.
    pub pods: Vec<PodExplanation>,
}

/// Why one pending pod is (un)schedulable.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodExplanation {
    /// `ns/name`.
    pub pod: String,
    /// The scheduler's summary line.
    pub message: String,
}
