//! From a solver's final state to the `place` / `simulate` report
//! (`docs/reports.md#place`): assignments and unplaced pods in pod order,
//! new nodes and their cost per pool, per-pool utilisation, status and
//! statistics.

use crate::error::{Error, Result};
use crate::model::{Cluster, Labels, Limits, NodeId, PodId};
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
    let assignments = assignments(snapshot, plan.placed);
    let unplaced = unplaced(snapshot, plan.unplaced);
    let cluster = snapshot.cluster();
    let mut cost = 0.0;
    let mut new_nodes = BTreeMap::new();
    let mut pools = BTreeMap::new();
    // Pool order: the order the cost is summed in.
    for (pool, tally) in cluster.pools.iter().zip(pool_tallies(snapshot)) {
        let mut usage = tally.usage(pool.cost_per_hour);
        usage.price_estimated = pool.price_origin.is_estimated();
        cost += usage.cost;
        if usage.new_nodes > 0 {
            new_nodes.insert(pool.name.clone(), usage.new_nodes);
        }
        pools.insert(pool.name.clone(), usage);
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
        message: None,
    }
}

/// The placed pods in pod order, with their nodes' names.
fn assignments(snapshot: &Snapshot, mut placed: Vec<(PodId, NodeId)>) -> Vec<Assignment> {
    placed.sort_by_key(|(pod, _)| *pod);
    placed
        .iter()
        .map(|&(pod, node)| Assignment {
            pod: snapshot.pod(pod).key(),
            node: snapshot.node(node).name.clone(),
        })
        .collect()
}

/// The pending pods in pod order, with why.
fn unplaced(snapshot: &Snapshot, mut unplaced: Vec<(PodId, String)>) -> Vec<Unplaced> {
    unplaced.sort_by_key(|(pod, _)| *pod);
    unplaced
        .into_iter()
        .map(|(pod, message)| Unplaced {
            pod: snapshot.pod(pod).key(),
            message,
        })
        .collect()
}

/// One pool's nodes and their requested / allocatable cpu and memory.
#[derive(Default)]
struct Tally {
    nodes: u32,
    new_nodes: u32,
    cpu: (i128, i128),
    memory: (i128, i128),
}

impl Tally {
    /// The pool's line of the report: its new nodes cost `cost_per_hour`
    /// each.
    fn usage(&self, cost_per_hour: f64) -> PoolUsage {
        PoolUsage {
            nodes: self.nodes,
            new_nodes: self.new_nodes,
            cost: cost_per_hour * f64::from(self.new_nodes),
            cpu_utilisation: ratio(self.cpu),
            memory_utilisation: ratio(self.memory),
            price_estimated: false,
        }
    }
}

/// `used / total`, 0 when nothing is allocatable.
fn ratio((used, total): (i128, i128)) -> f64 {
    if total > 0 {
        used as f64 / total as f64
    } else {
        0.0
    }
}

/// Per pool of the cluster, in pool order, the tally of its nodes in the
/// snapshot (nodes of no pool are not counted).
fn pool_tallies(snapshot: &Snapshot) -> Vec<Tally> {
    let cluster = snapshot.cluster();
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
    tallies
}

/// `Err` when the pools' `minCount` would take the cluster beyond
/// [`Limits::max_nodes`]: checked before [`Cluster::with_min_counts`]
/// creates those nodes (the reader checks it too; a cluster built in code
/// is checked here).
pub(crate) fn check_forced_nodes(cluster: &Cluster) -> Result<()> {
    let total = cluster.nodes_with_min_counts();
    let max = cluster.limits.max_nodes;
    if total > max as u64 {
        return Err(Error::Usage(format!(
            "the pools' minCount bring the cluster to {total} nodes, above the limit of {max} \
             nodes per cluster (Kubernetes supports 5000; {})",
            Limits::how_to_raise("max-nodes", "maxNodes")
        )));
    }
    Ok(())
}

/// The report, or `Err` when its plan has more nodes (existing and new)
/// than [`Limits::max_nodes`].
pub(crate) fn check_plan_nodes(cluster: &Cluster, report: PlaceReport) -> Result<PlaceReport> {
    let existing = cluster.nodes.iter().filter(|n| !n.is_new).count();
    let new: u64 = report.new_nodes.values().map(|&n| u64::from(n)).sum();
    let total = existing as u64 + new;
    let max = cluster.limits.max_nodes;
    if total > max as u64 {
        return Err(Error::Usage(format!(
            "the plan needs {total} nodes ({existing} existing, {new} new), above the limit of \
             {max} nodes per cluster (Kubernetes supports 5000; {})",
            Limits::how_to_raise("max-nodes", "maxNodes")
        )));
    }
    Ok(report)
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
