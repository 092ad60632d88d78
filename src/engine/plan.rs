//! From a solver's final state to the `place` / `simulate` report
//! (SPEC.md §2): assignments and unplaced pods in pod order, new nodes and
//! their cost per pool, per-pool utilisation, status and statistics.

use crate::model::{Cluster, Labels, NodeId, PodId};
use crate::predicates::Snapshot;
use crate::report::place::{Assignment, PlaceReport, PlanStats, PlanStatus, PoolUsage, Unplaced};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// What a solver decided, on top of the snapshot it ends with.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Pods placed, with their node (any order; the report lists them in
    /// pod order). Their nodes are the snapshot's: existing ones, and new
    /// pool nodes, which must be `<pool>-new-0..n` of each pool as
    /// `NodePool::new_node` makes them.
    pub placed: Vec<(PodId, NodeId)>,
    /// Pods left pending, with the reason.
    pub unplaced: Vec<(PodId, String)>,
    /// A proven lower bound on the cost (0 when nothing is proven).
    pub lower_bound: f64,
    /// The solver proved that a plan costing `lower_bound` is optimal: the
    /// status is `optimal` when every pod is placed and the cost meets the
    /// bound.
    pub proven: bool,
}

/// Number of distinct (namespace, labels, spec) among `pods`: the pod
/// equivalence classes of the statistics.
pub fn pod_class_count(cluster: &Cluster, pods: &[PodId]) -> usize {
    let classes: HashSet<(&str, &Labels, usize)> = pods
        .iter()
        .map(|&id| {
            let pod = cluster.pod(id);
            (
                pod.namespace.as_str(),
                &pod.labels,
                Arc::as_ptr(&pod.spec) as usize,
            )
        })
        .collect();
    classes.len()
}

/// The report of `plan` on the final `snapshot`: status `infeasible` when a
/// pod is unplaced, `optimal` when [`Plan::proven`] and the cost meets the
/// bound, else `feasible`; `cost` is the new nodes' hourly cost; `pools`
/// has every pool of the cluster, with requested / allocatable cpu and
/// memory over its nodes (existing and new) in the final snapshot. `stats`
/// is taken as given.
pub fn report(snapshot: &Snapshot, plan: Plan, stats: PlanStats) -> PlaceReport {
    let cluster = snapshot.cluster();
    let mut placed = plan.placed;
    placed.sort_by_key(|(pod, _)| *pod);
    let assignments = placed
        .iter()
        .map(|&(pod, node)| Assignment {
            pod: snapshot.pod(pod).key(),
            node: snapshot.node(node).name.clone(),
        })
        .collect();
    let mut unplaced = plan.unplaced;
    unplaced.sort_by_key(|(pod, _)| *pod);
    let unplaced: Vec<Unplaced> = unplaced
        .into_iter()
        .map(|(pod, message)| Unplaced {
            pod: snapshot.pod(pod).key(),
            message,
        })
        .collect();

    #[derive(Default)]
    struct Tally {
        nodes: u32,
        new_nodes: u32,
        cpu: (i128, i128),
        memory: (i128, i128),
    }
    let mut tallies: Vec<Tally> = cluster.pools.iter().map(|_| Tally::default()).collect();
    for id in snapshot.node_ids() {
        let node = snapshot.node(id);
        let Some(t) = node.pool.and_then(|p| tallies.get_mut(p.index())) else {
            continue;
        };
        let requested = &snapshot.info(id).requested;
        t.nodes += 1;
        t.new_nodes += u32::from(node.is_new);
        t.cpu.0 += i128::from(requested.milli_cpu);
        t.cpu.1 += i128::from(node.allocatable.milli_cpu);
        t.memory.0 += i128::from(requested.memory);
        t.memory.1 += i128::from(node.allocatable.memory);
    }
    let ratio = |(used, total): (i128, i128)| {
        if total > 0 {
            used as f64 / total as f64
        } else {
            0.0
        }
    };
    let mut cost = 0.0;
    let mut new_nodes = BTreeMap::new();
    let mut pools = BTreeMap::new();
    for (pool, t) in cluster.pools.iter().zip(tallies) {
        let pool_cost = pool.cost_per_hour * f64::from(t.new_nodes);
        cost += pool_cost;
        if t.new_nodes > 0 {
            new_nodes.insert(pool.name.clone(), t.new_nodes);
        }
        pools.insert(
            pool.name.clone(),
            PoolUsage {
                nodes: t.nodes,
                new_nodes: t.new_nodes,
                cost: pool_cost,
                cpu_utilisation: ratio(t.cpu),
                memory_utilisation: ratio(t.memory),
            },
        );
    }
    let status = if !unplaced.is_empty() {
        PlanStatus::Infeasible
    } else if plan.proven && cost <= plan.lower_bound + 1e-9 {
        PlanStatus::Optimal
    } else {
        PlanStatus::Feasible
    };
    PlaceReport {
        status,
        cost,
        lower_bound: plan.lower_bound,
        new_nodes,
        assignments,
        unplaced,
        removable_nodes: Vec::new(),
        pools,
        stats,
    }
}

/// A report planned on [`Cluster::with_min_counts`]'s copy, for the original
/// cluster: the forced nodes' cost added to the bound (the report's cost
/// counts them already, as new nodes), and the status re-derived.
pub(crate) fn add_forced_cost(mut report: PlaceReport, forced_cost: f64) -> PlaceReport {
    report.lower_bound += forced_cost;
    if report.status == PlanStatus::Feasible
        && report.unplaced.is_empty()
        && report.cost <= report.lower_bound + 1e-9
    {
        report.status = PlanStatus::Optimal;
    }
    report
}
