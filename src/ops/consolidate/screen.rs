//! Step 3, screening: cluster-autoscaler's scale-down simulation on the
//! final state of the plain plan (see the parent module's docs).

use super::candidates::Scope;
use crate::engine::drainability::Drainability;
use crate::model::{Cluster, NodeId, PodId};
use crate::predicates::{self, PodState, Snapshot};
use crate::report::place::PlaceReport;
use std::collections::{HashMap, HashSet};
use web_time::Instant;

/// The candidates whose pods all fit on the other nodes, in order, each
/// one's pods staying where they went for the next.
pub(super) fn screen(scope: &Scope, plan: &PlaceReport, until: Instant) -> Vec<NodeId> {
    let (cluster, roles) = (scope.cluster, &scope.roles);
    let Some(mut snap) = final_state(cluster, plan) else {
        return Vec::new();
    };
    let mut removed: HashSet<NodeId> = HashSet::new();
    let mut emptied = Vec::new();
    for &c in &scope.candidates {
        if Instant::now() >= until {
            break;
        }
        let pods = pods_to_move(cluster, &snap, roles, c);
        let destinations = destinations(&snap, c, &removed);
        if try_empty(&mut snap, c, pods, &destinations, until) {
            removed.insert(c);
            emptied.push(c);
        }
    }
    emptied
}

/// The cluster as the plan leaves it: its new nodes added and its pending
/// pods assigned; None when the plan names a pool the cluster lacks.
fn final_state<'c>(cluster: &'c Cluster, plan: &PlaceReport) -> Option<Snapshot<'c>> {
    let mut snap = Snapshot::new(cluster);
    let mut names: HashMap<String, NodeId> = snap
        .node_ids()
        .map(|id| (snap.node(id).name.clone(), id))
        .collect();
    for (pool_name, count) in &plan.new_nodes {
        let pool_id = cluster.pool_by_name(pool_name)?;
        for k in 0..*count as usize {
            let node = cluster.pools[pool_id.index()].new_node(pool_id, k);
            let name = node.name.clone();
            let id = snap.add_node(node);
            names.insert(name, id);
        }
    }
    let keys: HashMap<String, PodId> = cluster
        .pending_pods()
        .map(|p| (cluster.pod(p).key(), p))
        .collect();
    for a in &plan.assignments {
        if let (Some(&pod), Some(&node)) = (keys.get(&a.pod), names.get(&a.node)) {
            snap.assign(pod, node);
        }
    }
    Some(snap)
}

/// The pods to move off `node`: bound movable ones and pending ones the
/// plan put there, biggest first.
fn pods_to_move(
    cluster: &Cluster,
    snap: &Snapshot,
    roles: &[Drainability],
    node: NodeId,
) -> Vec<PodId> {
    let mut pods: Vec<PodId> = snap
        .info(node)
        .pods
        .iter()
        .copied()
        .filter(|p| {
            roles
                .get(p.index())
                .is_none_or(|r| *r == Drainability::Moves)
                && p.index() < cluster.pods.len()
        })
        .collect();
    pods.sort_by_key(|p| {
        let r = &snap.pod(*p).spec.requests;
        (std::cmp::Reverse((r.milli_cpu, r.memory)), *p)
    });
    pods
}

/// Where `node`'s pods may go: every other node not already emptied, most
/// allocated first (packing tight).
fn destinations(snap: &Snapshot, node: NodeId, removed: &HashSet<NodeId>) -> Vec<NodeId> {
    let mut destinations: Vec<NodeId> = snap
        .node_ids()
        .filter(|n| *n != node && !removed.contains(n))
        .collect();
    destinations.sort_by_key(|n| {
        let info = snap.info(*n);
        let alloc = &snap.node(*n).allocatable;
        let free = (alloc.milli_cpu - info.requested.milli_cpu).max(0);
        (free, *n)
    });
    destinations
}

/// Cordons `node` and moves its `pods`, first fit on `destinations`.
/// When one does not fit (or time is up), every move is undone and the
/// node uncordoned; else the node stays cordoned and empty.
fn try_empty(
    snap: &mut Snapshot,
    node: NodeId,
    pods: Vec<PodId>,
    destinations: &[NodeId],
    until: Instant,
) -> bool {
    let was = snap.node(node).unschedulable;
    snap.set_unschedulable(node, true);
    let mut moves: Vec<(PodId, PodId)> = Vec::new();
    let mut ok = true;
    for pod in pods {
        if Instant::now() >= until {
            ok = false;
            break;
        }
        match move_pod(snap, pod, node, destinations) {
            Some(copy) => moves.push((pod, copy)),
            None => {
                ok = false;
                break;
            }
        }
    }
    if !ok {
        for (pod, copy) in moves {
            snap.unassign(copy);
            snap.assign(pod, node);
        }
        snap.set_unschedulable(node, was);
    }
    ok
}

/// Recreates `pod` (off `from`) on the first destination every filter
/// plugin accepts: the copy's id, or None with the pod back on `from`.
fn move_pod(
    snap: &mut Snapshot,
    pod: PodId,
    from: NodeId,
    destinations: &[NodeId],
) -> Option<PodId> {
    let mut copy = snap.pod(pod).clone();
    copy.unbind();
    snap.unassign(pod);
    let copy = snap.add_pod(copy);
    let state = PodState::new(snap, copy);
    let found = destinations
        .iter()
        .find(|d| predicates::filter(snap, &state, **d).is_ok())
        .copied();
    match found {
        Some(d) => {
            snap.assign(copy, d);
            Some(copy)
        }
        None => {
            snap.assign(pod, from);
            None
        }
    }
}
