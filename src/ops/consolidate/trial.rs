//! One evaluated set of removed nodes, and how two compare.

use crate::model::{Cluster, NodeId};
use crate::report::place::{PlaceReport, PlanStatus};

/// One evaluated set of removed nodes: the plan of the cluster without
/// them.
pub(super) struct Trial {
    /// The existing nodes removed, in the order they were tried.
    pub(super) removed: Vec<NodeId>,
    /// The `place` plan of the cluster without them.
    pub(super) report: PlaceReport,
    /// Hourly cost of every node of the plan.
    pub(super) cost: f64,
    /// Bound pods the removal moves.
    pub(super) moved: usize,
}

/// How much cheaper counts as cheaper (floating-point noise aside).
const COST_EPSILON: f64 = 1e-9;

impl Trial {
    /// Cheaper than `best` without leaving more pods pending, or as cheap
    /// with fewer pods moved (no churn for nothing).
    pub(super) fn is_better_than(&self, best: &Trial) -> bool {
        self.report.unplaced.len() <= best.report.unplaced.len()
            && (self.cost < best.cost - COST_EPSILON
                || (self.cost <= best.cost + COST_EPSILON && self.moved < best.moved))
    }

    /// Every pool a node was removed from keeps at least `minCount` nodes,
    /// new ones included.
    pub(super) fn min_counts_hold(&self, cluster: &Cluster) -> bool {
        cluster.pool_minimums_hold(&self.removed, &self.report.new_nodes)
    }

    /// The repack report of the trial: its plan with the removed nodes,
    /// the cost of every node kept, the given bound and status.
    pub(super) fn repack_report(
        &self,
        cluster: &Cluster,
        lower: f64,
        status: PlanStatus,
    ) -> PlaceReport {
        let mut report = self.report.clone();
        let mut removed = self.removed.clone();
        removed.sort();
        report.removable_nodes = removed
            .iter()
            .map(|n| cluster.node(*n).name.clone())
            .collect();
        report.cost = self.cost;
        report.lower_bound = lower;
        report.status = status;
        report
    }
}
