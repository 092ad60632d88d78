//! Step 2: what each pod does when its node goes, and which nodes may
//! go, in cluster-autoscaler's scale-down order (see the parent module's
//! docs).

use crate::engine::drainability::{drainability, Drainability, Policy};
use crate::model::{Cluster, NodeId, PodId, Resources};
use crate::predicates::{NodeInfo, Snapshot};

/// What a consolidation works on: the cluster, every pod's role and the
/// candidate nodes.
pub(super) struct Scope<'c> {
    /// The cluster as given.
    pub(super) cluster: &'c Cluster,
    /// Its current state.
    pub(super) snapshot: Snapshot<'c>,
    /// Per pod of the snapshot: what it does when its node goes.
    pub(super) roles: Vec<Drainability>,
    /// The nodes that may go, in the order they are tried.
    pub(super) candidates: Vec<NodeId>,
}

impl<'c> Scope<'c> {
    /// The roles and candidates of `cluster`.
    pub(super) fn new(cluster: &'c Cluster) -> Self {
        let snapshot = Snapshot::new(cluster);
        let roles = roles(cluster, &snapshot);
        let candidates = candidates(cluster, &snapshot, &roles);
        Scope {
            cluster,
            snapshot,
            roles,
            candidates,
        }
    }
}

/// The drainability of every pod of the snapshot under
/// cluster-autoscaler's scale-down policy; pending pods move.
fn roles(cluster: &Cluster, snapshot: &Snapshot) -> Vec<Drainability> {
    (0..snapshot.pod_count())
        .map(|i| {
            let id = PodId(i as u32);
            if snapshot.placement(id).is_some() {
                drainability(cluster, id, Policy::scale_down())
            } else {
                Drainability::Moves
            }
        })
        .collect()
}

/// Existing nodes that may be removed: those of a pool with a positive
/// cost and no blocking pod, least utilised first, then fewer pods to
/// move, then the more expensive.
fn candidates(cluster: &Cluster, snapshot: &Snapshot, roles: &[Drainability]) -> Vec<NodeId> {
    let mut list: Vec<(f64, usize, f64, NodeId)> = Vec::new();
    for i in 0..cluster.nodes.len() {
        let id = NodeId(i as u32);
        let cost = cluster.node_cost(id);
        if cost <= 0.0 {
            continue;
        }
        let info = snapshot.info(id);
        if has_blocked_pod(info, roles) {
            continue;
        }
        let moving = info
            .pods
            .iter()
            .filter(|p| roles.get(p.index()) == Some(&Drainability::Moves))
            .count();
        let utilisation = utilisation(info, &cluster.node(id).allocatable);
        list.push((utilisation, moving, cost, id));
    }
    list.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(b.2.total_cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });
    list.into_iter().map(|(_, _, _, id)| id).collect()
}

/// Whether a pod on the node pins it.
fn has_blocked_pod(info: &NodeInfo, roles: &[Drainability]) -> bool {
    info.pods
        .iter()
        .any(|p| matches!(roles.get(p.index()), Some(Drainability::Blocked(_))))
}

/// cluster-autoscaler's utilisation: the larger of requested CPU and
/// memory over allocatable, all pods counted.
fn utilisation(info: &NodeInfo, allocatable: &Resources) -> f64 {
    let ratio = |used: i64, total: i64| {
        if total > 0 {
            used as f64 / total as f64
        } else {
            0.0
        }
    };
    ratio(info.requested.milli_cpu, allocatable.milli_cpu)
        .max(ratio(info.requested.memory, allocatable.memory))
}
