//! An independent replay of a placement plan through the filter plugins:
//! every placed pod must pass every filter on its node with all the other
//! pods of the plan in place (docs/reports.md: "checked on the final state").

use crate::engine::drainability::{drainability, Drainability, Policy};
use crate::model::{Cluster, NodeId, PodId, PoolId};
use crate::predicates::{self, PodState, Rejection, Snapshot};
use crate::report::place::PlaceReport;
use std::collections::{HashMap, HashSet};

/// One thing wrong with a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The pod concerned (or `-` for plan-level problems).
    pub pod: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pod, self.message)
    }
}

fn violation(pod: &str, message: impl Into<String>) -> Violation {
    Violation {
        pod: pod.to_string(),
        message: message.into(),
    }
}

/// Replays `report` on `cluster`: new nodes exist as named, every pending
/// pod is placed or reported unplaced exactly once, pool maxCounts hold,
/// the cost adds up, `lowerBound <= cost`, and every placed pod passes
/// every filter plugin on its node in the final state. A report with
/// `removableNodes` is a repack plan: [`validate_repack_plan`].
pub fn validate_plan(cluster: &Cluster, report: &PlaceReport) -> Result<(), Vec<Violation>> {
    if !report.removable_nodes.is_empty() {
        return validate_repack_plan(cluster, report);
    }
    let mut problems = Vec::new();
    let mut snapshot = Snapshot::new(cluster);
    let mut node_ids: HashMap<String, NodeId> = snapshot
        .node_ids()
        .map(|id| (snapshot.node(id).name.clone(), id))
        .collect();
    check_pool_min_counts(cluster, report, &mut problems);
    let cost = check_new_nodes(cluster, report, &mut snapshot, &mut node_ids, &mut problems);
    check_cost(report, cost, &mut problems);
    check_lower_bound(report, &mut problems);
    let placed = check_assignments(cluster, report, &node_ids, &mut snapshot, &mut problems);
    check_final_state(cluster, &mut snapshot, &placed, &mut problems);
    into_result(problems)
}

/// Every pool reaches its minCount (existing nodes and new ones).
fn check_pool_min_counts(cluster: &Cluster, report: &PlaceReport, problems: &mut Vec<Violation>) {
    for (i, pool) in cluster.pools.iter().enumerate() {
        let existing = existing_nodes(cluster, PoolId(i as u32));
        let new = report.new_nodes.get(&pool.name).copied().unwrap_or(0);
        if existing + new < pool.min_count {
            problems.push(violation(
                "-",
                format!(
                    "pool {}: {existing} existing + {new} new nodes are below minCount {}",
                    pool.name, pool.min_count
                ),
            ));
        }
    }
}

/// The cluster's nodes of `pool`.
fn existing_nodes(cluster: &Cluster, pool: PoolId) -> u32 {
    cluster
        .nodes
        .iter()
        .filter(|n| n.pool == Some(pool))
        .count() as u32
}

/// The new nodes are of known pools within their maxCount; adds them to
/// the snapshot and `node_ids` and returns their hourly cost.
fn check_new_nodes(
    cluster: &Cluster,
    report: &PlaceReport,
    snapshot: &mut Snapshot,
    node_ids: &mut HashMap<String, NodeId>,
    problems: &mut Vec<Violation>,
) -> f64 {
    let mut cost = 0.0;
    for (pool_name, count) in &report.new_nodes {
        let Some(pool_id) = cluster.pool_by_name(pool_name) else {
            problems.push(violation(
                "-",
                format!("new nodes of unknown pool {pool_name}"),
            ));
            continue;
        };
        let pool = &cluster.pools[pool_id.index()];
        let existing = existing_nodes(cluster, pool_id);
        if let Some(max) = pool.max_count {
            if existing + count > max {
                problems.push(violation(
                    "-",
                    format!("pool {pool_name}: {existing} existing + {count} new nodes exceed maxCount {max}"),
                ));
            }
        }
        cost += pool.cost_per_hour * f64::from(*count);
        for k in 0..*count as usize {
            let node = pool.new_node(PoolId(pool_id.0), k);
            let name = node.name.clone();
            let id = snapshot.add_node(node);
            node_ids.insert(name, id);
        }
    }
    cost
}

/// Without consolidation (no removable nodes) the cost is exactly the new
/// nodes'.
fn check_cost(report: &PlaceReport, new_nodes_cost: f64, problems: &mut Vec<Violation>) {
    if report.removable_nodes.is_empty() && cost_mismatch(new_nodes_cost, report.cost) {
        problems.push(violation(
            "-",
            format!(
                "cost {} but the new nodes cost {}",
                report.cost, new_nodes_cost
            ),
        ));
    }
}

/// A lower bound above the cost it bounds is a solver bug.
fn check_lower_bound(report: &PlaceReport, problems: &mut Vec<Violation>) {
    if report.lower_bound > report.cost + 1e-6 {
        problems.push(violation(
            "-",
            format!(
                "lowerBound {} exceeds cost {}",
                report.lower_bound, report.cost
            ),
        ));
    }
}

/// Assignments and unplaced pods name known pods and nodes, and every
/// pending pod appears exactly once among them; puts the assigned pods on
/// their nodes in the snapshot and returns them.
fn check_assignments(
    cluster: &Cluster,
    report: &PlaceReport,
    node_ids: &HashMap<String, NodeId>,
    snapshot: &mut Snapshot,
    problems: &mut Vec<Violation>,
) -> Vec<(PodId, NodeId)> {
    // Pods by key: pending pods must all be accounted for; bound pods may
    // appear (moved, with --repack).
    let pod_ids: HashMap<String, PodId> = (0..cluster.pods.len())
        .map(|i| PodId(i as u32))
        .filter(|id| !cluster.pod(*id).is_terminal())
        .map(|id| (cluster.pod(id).key(), id))
        .collect();
    let mut seen: HashMap<PodId, usize> = HashMap::new();
    let mut placed = Vec::new();
    for a in &report.assignments {
        let (Some(&pod), Some(&node)) = (pod_ids.get(&a.pod), node_ids.get(&a.node)) else {
            problems.push(violation(&a.pod, format!("unknown pod or node {}", a.node)));
            continue;
        };
        *seen.entry(pod).or_insert(0) += 1;
        snapshot.assign(pod, node);
        placed.push((pod, node));
    }
    for u in &report.unplaced {
        match pod_ids.get(&u.pod) {
            Some(&pod) => *seen.entry(pod).or_insert(0) += 1,
            None => problems.push(violation(&u.pod, "unknown unplaced pod")),
        }
    }
    check_pending_once(cluster, &seen, problems);
    placed
}

/// Every pending pod is placed or unplaced exactly once.
fn check_pending_once(
    cluster: &Cluster,
    seen: &HashMap<PodId, usize>,
    problems: &mut Vec<Violation>,
) {
    for id in cluster.pending_pods() {
        match seen.get(&id).copied().unwrap_or(0) {
            1 => {}
            0 => problems.push(violation(
                &cluster.pod(id).key(),
                "neither placed nor unplaced",
            )),
            n => problems.push(violation(
                &cluster.pod(id).key(),
                format!("appears {n} times"),
            )),
        }
    }
}

/// Placed pods of one class, grouped by node (nodes in id order).
type ClassPlacement = Vec<(NodeId, Vec<PodId>)>;

/// Every placed pod passes every filter plugin on its node with all the
/// other pods of the plan in place.
fn check_final_state(
    cluster: &Cluster,
    snapshot: &mut Snapshot,
    placed: &[(PodId, NodeId)],
    problems: &mut Vec<Violation>,
) {
    let classes = classes_by_node(cluster, placed);
    let any_anti_affinity = snapshot
        .node_ids()
        .any(|n| !snapshot.info(n).pods_with_required_anti_affinity.is_empty());
    for nodes in classes {
        // A pod without pod (anti-)affinity or hard spread can fail the
        // stateful plugins only through another pod's required
        // anti-affinity: with none anywhere, the node-local plugins decide.
        let stateful = any_anti_affinity || has_pod_constraints(&cluster.pod(nodes[0].1[0]).spec);
        check_class(snapshot, &nodes, stateful, problems);
    }
}

/// Pods alike (namespace, labels, spec) on the same node get the same
/// verdict with one of them taken out: check one per (class, node). Classes
/// come in the order of their first pod.
fn classes_by_node(cluster: &Cluster, placed: &[(PodId, NodeId)]) -> Vec<ClassPlacement> {
    type ClassKey<'a> = (&'a str, &'a crate::model::Labels, usize);
    let mut classes: HashMap<ClassKey, HashMap<NodeId, Vec<PodId>>> = HashMap::new();
    for &(pod, node) in placed {
        let p = cluster.pod(pod);
        let key = (
            p.namespace.as_str(),
            &p.labels,
            std::sync::Arc::as_ptr(&p.spec) as usize,
        );
        classes
            .entry(key)
            .or_default()
            .entry(node)
            .or_default()
            .push(pod);
    }
    let mut classes: Vec<ClassPlacement> = classes
        .into_values()
        .map(|nodes| {
            let mut nodes: ClassPlacement = nodes.into_iter().collect();
            nodes.sort_by_key(|(node, _)| *node);
            nodes
        })
        .collect();
    classes.sort_by_key(|nodes| nodes[0].1[0]);
    classes
}

/// Whether a spec has pod (anti-)affinity or a hard topology spread.
fn has_pod_constraints(spec: &crate::model::PodSpec) -> bool {
    !spec.pod_affinity.is_empty()
        || !spec.pod_anti_affinity.is_empty()
        || spec
            .topology_spread
            .iter()
            .any(|c| c.when_unsatisfiable == crate::model::UnsatisfiableAction::DoNotSchedule)
}

/// One class, one pod per node, each taken out of its node and put to the
/// filters there. With `stateful`, one PreFilter state is moved from node
/// to node incrementally; otherwise only the node-local plugins run.
fn check_class(
    snapshot: &mut Snapshot,
    nodes: &[(NodeId, Vec<PodId>)],
    stateful: bool,
    problems: &mut Vec<Violation>,
) {
    let mut state: Option<PodState> = None;
    let mut previous: Option<(PodId, NodeId)> = None;
    for (node, pods) in nodes {
        let pod = pods[0];
        snapshot.unassign(pod);
        let verdict = if stateful {
            stateful_verdict(snapshot, &mut state, previous, pod, *node)
        } else {
            node_local_verdict(snapshot, pod, *node)
        };
        if let Err(rejection) = verdict {
            for p in pods {
                problems.push(violation(
                    &snapshot.pod(*p).key(),
                    format!(
                        "on {}: {}: {}",
                        snapshot.node(*node).name,
                        rejection.plugin.name(),
                        rejection.reasons.join(", ")
                    ),
                ));
            }
        }
        if stateful {
            previous = Some((pod, *node));
        } else {
            snapshot.assign(pod, *node);
        }
    }
    if let Some((prev, prev_node)) = previous {
        snapshot.assign(prev, prev_node);
    }
}

/// Every filter plugin's verdict on `pod` (already taken out of `node`),
/// with the class's state brought over from the `previous` pod checked,
/// which goes back on its node.
fn stateful_verdict(
    snapshot: &mut Snapshot,
    state: &mut Option<PodState>,
    previous: Option<(PodId, NodeId)>,
    pod: PodId,
    node: NodeId,
) -> Result<(), Rejection> {
    let st = match state.as_mut() {
        None => state.insert(PodState::new(snapshot, pod)),
        Some(st) => {
            // Put the previous one back, take this one out.
            if let Some((prev, prev_node)) = previous {
                snapshot.assign(prev, prev_node);
                st.add_pod(snapshot, prev, prev_node);
            }
            st.remove_pod(snapshot, pod, node);
            st.pod = pod;
            st
        }
    };
    predicates::filter(snapshot, st, node)
}

/// The node-local plugins' verdict on `pod` (already taken out of `node`).
fn node_local_verdict(snapshot: &Snapshot, pod: PodId, node: NodeId) -> Result<(), Rejection> {
    let p = snapshot.pod(pod);
    let pre = predicates::node_affinity::pre_filter(&p.spec);
    predicates::filter_node_local(p, snapshot.node(node), snapshot.info(node), &pre)
}

/// Replays a `place --repack` report: the removable nodes are existing
/// nodes, and none keeps a pod that would have to stay (only DaemonSet,
/// mirror and terminating pods go with a node); every bound pod the plan
/// moves may move (it has a controller, no emptyDir, and is no unguarded
/// kube-system pod); pools keep their `minCount`; `cost` is the hourly
/// cost of the existing nodes kept plus the new ones; `lowerBound <= cost`.
/// Then the plan is checked as [`validate_plan`] checks a plain one, on the
/// final state: the cluster without the removed nodes, the moved pods
/// placed where the plan says and every other pod where it is.
pub fn validate_repack_plan(cluster: &Cluster, report: &PlaceReport) -> Result<(), Vec<Violation>> {
    let mut problems = Vec::new();
    let removed = check_removable_nodes(cluster, report, &mut problems);
    let moved = check_moved_pods(cluster, report, &mut problems);
    check_removed_nodes_emptied(cluster, &removed, &moved, &mut problems);
    let removed_list: Vec<NodeId> = removed.iter().copied().collect();
    if !cluster.pool_minimums_hold(&removed_list, &report.new_nodes) {
        problems.push(violation("-", "a pool falls below its minCount"));
    }
    check_lower_bound(report, &mut problems);
    check_repacked_state(cluster, report, &removed, &moved, &mut problems);
    into_result(problems)
}

/// The removable nodes are existing nodes, each named once; returns them.
fn check_removable_nodes(
    cluster: &Cluster,
    report: &PlaceReport,
    problems: &mut Vec<Violation>,
) -> HashSet<NodeId> {
    let mut removed: HashSet<NodeId> = HashSet::new();
    for name in &report.removable_nodes {
        match cluster.node_by_name(name) {
            Some(id) if removed.insert(id) => {}
            Some(_) => problems.push(violation("-", format!("node {name} removed twice"))),
            None => problems.push(violation("-", format!("unknown removable node {name}"))),
        }
    }
    removed
}

/// Every bound pod the plan assigns to another node may move; returns
/// those moved pods.
fn check_moved_pods(
    cluster: &Cluster,
    report: &PlaceReport,
    problems: &mut Vec<Violation>,
) -> HashSet<PodId> {
    let bound: HashMap<String, PodId> = cluster
        .bound_pods()
        .map(|id| (cluster.pod(id).key(), id))
        .collect();
    let mut moved: HashSet<PodId> = HashSet::new();
    for a in &report.assignments {
        let Some(&pod) = bound.get(&a.pod) else {
            continue;
        };
        if cluster.pod(pod).node_name.as_deref() == Some(a.node.as_str()) {
            continue;
        }
        moved.insert(pod);
        let why = match drainability(cluster, pod, Policy::scale_down()) {
            Drainability::Moves => continue,
            Drainability::Blocked(rule) => rule.why(),
            Drainability::GoesWithNode => {
                "a DaemonSet, mirror or terminating pod stays on its node"
            }
        };
        problems.push(violation(
            &a.pod,
            format!("moved, but it may not move: {why}"),
        ));
    }
    moved
}

/// No removed node keeps a pod that must move off it.
fn check_removed_nodes_emptied(
    cluster: &Cluster,
    removed: &HashSet<NodeId>,
    moved: &HashSet<PodId>,
    problems: &mut Vec<Violation>,
) {
    for pod in cluster.bound_pods() {
        let Some(node) = cluster.pod(pod).node else {
            continue;
        };
        if removed.contains(&node) && !moved.contains(&pod) {
            if let Drainability::Blocked(_) | Drainability::Moves =
                drainability(cluster, pod, Policy::scale_down())
            {
                problems.push(violation(
                    &cluster.pod(pod).key(),
                    format!("still on removed node {}", cluster.node(node).name),
                ));
            }
        }
    }
}

/// The final state, checked as a plain plan whose cost is the new nodes':
/// the report's cost less the kept existing nodes'.
fn check_repacked_state(
    cluster: &Cluster,
    report: &PlaceReport,
    removed: &HashSet<NodeId>,
    moved: &HashSet<PodId>,
    problems: &mut Vec<Violation>,
) {
    let kept: f64 = (0..cluster.nodes.len() as u32)
        .map(NodeId)
        .filter(|n| !removed.contains(n))
        .map(|n| cluster.node_cost(n))
        .sum();
    let reduced = cluster.without_nodes(removed, moved);
    let mut inner = report.clone();
    inner.removable_nodes.clear();
    inner.cost = report.cost - kept;
    inner.lower_bound = 0.0;
    if let Err(more) = validate_plan(&reduced, &inner) {
        problems.extend(more.into_iter().map(|mut v| {
            if v.message.starts_with("cost ") {
                v.message = format!("{} (after the kept existing nodes' {kept})", v.message);
            }
            v
        }));
    }
}

fn into_result(problems: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn cost_mismatch(a: f64, b: f64) -> bool {
    (a - b).abs() > 1e-6 * (1.0 + a.abs())
}
