//! The lower bound on every repack plan's cost: builds the relaxation
//! (pod classes, bins of existing nodes and new-node types) that
//! [`super::relaxation`] solves (see the parent module's docs).

use super::candidates::Scope;
use super::relaxation::{Bin, Relaxation};
use crate::engine::classes::{node_types, HOSTNAME};
use crate::engine::drainability::Drainability;
use crate::model::{Cluster, Labels, Node, NodeId, Pod, PodId, PoolId, Resources};
use crate::predicates::node_affinity::{self, PreFilter};
use crate::predicates::{self, NodeInfo, Snapshot};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::Instant;

/// A proven lower bound on the cost of every repack plan that places the
/// `pending` pods, or None when the solver proves nothing by `until`: the
/// LP first (cheap, always some bound), then the MILP when time is left;
/// the better of the two.
pub(super) fn lower_bound(scope: &Scope, pending: &[PodId], until: Instant) -> Option<f64> {
    let cluster = scope.cluster;
    let classes = Classes::new(cluster, &scope.roles, pending);
    let (mut bins, constant) = existing_bins(scope, &classes, until)?;
    let type_bins = add_type_bins(cluster, &scope.snapshot, &classes, &mut bins);
    let relaxation = Relaxation {
        bins,
        type_bins,
        one_per_node: classes.one_per_node(),
        req: classes.requirements(),
        demand: classes.demand,
        constant,
    };
    let relaxed = relaxation.solve(cluster, false, until)?;
    if Instant::now() >= until {
        return Some(relaxed);
    }
    Some(
        relaxation
            .solve(cluster, true, until)
            .map_or(relaxed, |v| v.max(relaxed)),
    )
}

/// The pods to place, in classes: (namespace, labels, spec), `nodeName`
/// ignored (moved pods are recreated without it).
struct Classes {
    /// One unbound pod per class.
    reps: Vec<Pod>,
    /// Pods per class.
    demand: Vec<f64>,
    /// Per class: existing node -> its pods of the class there now.
    hosted: Vec<HashMap<NodeId, u32>>,
    /// Per class: node affinity's PreFilter.
    pres: Vec<PreFilter>,
    /// The resource dimensions: the standard four, then every scalar
    /// resource a class requests.
    dims: Vec<String>,
}

impl Classes {
    /// The classes of the `pending` pods and of every movable bound pod.
    fn new(cluster: &Cluster, roles: &[Drainability], pending: &[PodId]) -> Self {
        let mut pods: Vec<PodId> = pending.to_vec();
        pods.extend(
            cluster.bound_pods().filter(|p| {
                cluster.pod(*p).node.is_some() && roles[p.index()] == Drainability::Moves
            }),
        );
        let mut class_index: HashMap<(&str, &Labels, usize), usize> = HashMap::new();
        let mut classes = Classes {
            reps: Vec::new(),
            demand: Vec::new(),
            hosted: Vec::new(),
            pres: Vec::new(),
            dims: Vec::new(),
        };
        for &id in &pods {
            let pod = cluster.pod(id);
            let key = (
                pod.namespace.as_str(),
                &pod.labels,
                Arc::as_ptr(&pod.spec) as usize,
            );
            let next = classes.reps.len();
            let c = *class_index.entry(key).or_insert(next);
            if c == next {
                let mut rep = pod.clone();
                rep.unbind();
                classes.reps.push(rep);
                classes.demand.push(0.0);
                classes.hosted.push(HashMap::new());
            }
            classes.demand[c] += 1.0;
            if let (true, Some(n)) = (pod.is_bound(), pod.node) {
                *classes.hosted[c].entry(n).or_insert(0) += 1;
            }
        }
        classes.dims = dimensions(&classes.reps);
        classes.pres = classes
            .reps
            .iter()
            .map(|p| node_affinity::pre_filter(&p.spec))
            .collect();
        classes
    }

    /// Per class: at most one pod per node (self anti-affinity on the
    /// hostname, or host ports), unless some node already runs more.
    fn one_per_node(&self) -> Vec<bool> {
        self.reps
            .iter()
            .enumerate()
            .map(|(c, pod)| {
                let self_anti = pod.spec.pod_anti_affinity.iter().any(|t| {
                    t.topology_key == HOSTNAME
                        && t.namespaces.contains(&pod.namespace)
                        && t.selector.matches(&pod.labels)
                });
                (self_anti || !pod.spec.host_ports.is_empty())
                    && self.hosted[c].values().all(|n| *n <= 1)
            })
            .collect()
    }

    /// Request per class and dimension; a pod per pod.
    fn requirements(&self) -> Vec<Vec<f64>> {
        let amount = |r: &Resources, d: &str| r.get(d) as f64;
        self.reps
            .iter()
            .map(|p| {
                self.dims
                    .iter()
                    .map(|d| {
                        if d == "pods" {
                            1.0
                        } else {
                            amount(&p.spec.requests, d).max(0.0)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The classes the node-local filters let onto `node` (with `info` on
    /// it), plus those it hosts now when `id` is an existing node.
    fn accepted(&self, node: &Node, info: &NodeInfo, id: Option<NodeId>) -> Vec<usize> {
        (0..self.reps.len())
            .filter(|&c| {
                id.is_some_and(|id| self.hosted[c].contains_key(&id))
                    || predicates::filter_node_local(&self.reps[c], node, info, &self.pres[c])
                        .is_ok()
            })
            .collect()
    }
}

/// The resource dimensions of the classes (see [`Classes::dims`]).
fn dimensions(reps: &[Pod]) -> Vec<String> {
    let mut dims: Vec<String> = ["cpu", "memory", "ephemeral-storage", "pods"]
        .map(String::from)
        .to_vec();
    for rep in reps {
        for (name, v) in &rep.spec.requests.scalars {
            if *v > 0 && !dims.contains(name) {
                dims.push(name.clone());
            }
        }
    }
    dims
}

/// What makes two existing nodes alike: kept for sure, cost, pool, room
/// and accepted classes.
type BinKey = (bool, u64, Option<PoolId>, Vec<i64>, Vec<usize>);

/// The bins of the existing nodes, alike ones merged, and the cost of
/// those kept for sure; None when time runs out.
fn existing_bins(scope: &Scope, classes: &Classes, until: Instant) -> Option<(Vec<Bin>, f64)> {
    let (cluster, snapshot) = (scope.cluster, &scope.snapshot);
    let candidate_set: HashSet<NodeId> = scope.candidates.iter().copied().collect();
    let mut constant = 0.0;
    let mut bins: Vec<Bin> = Vec::new();
    let mut merged: HashMap<BinKey, usize> = HashMap::new();
    for i in 0..cluster.nodes.len() {
        if Instant::now() >= until {
            return None;
        }
        let id = NodeId(i as u32);
        let node = snapshot.node(id);
        let fixed = !candidate_set.contains(&id);
        let cost = cluster.node_cost(id);
        let (pinned, movable, movable_count) = split_pods(cluster, snapshot, &scope.roles, id);
        let room = existing_room(node, &pinned, &movable, movable_count, &classes.dims);
        let accepts = classes.accepted(node, &pinned, Some(id));
        if fixed {
            constant += cost;
        }
        if accepts.is_empty() {
            // Nothing to place there: a kept node costs its constant, a
            // candidate is better removed.
            continue;
        }
        let key: BinKey = (
            fixed,
            cost.to_bits(),
            node.pool,
            room.clone(),
            accepts.clone(),
        );
        if let Some(&b) = merged.get(&key) {
            if let Some(n) = bins[b].count.as_mut() {
                *n += 1;
            }
            continue;
        }
        merged.insert(key, bins.len());
        bins.push(Bin {
            count: Some(1),
            fixed,
            cost,
            pool: node.pool,
            room: room.iter().map(|v| (*v).max(0) as f64).collect(),
            accepts,
        });
    }
    Some((bins, constant))
}

/// The pods on node `id`: what stays whatever happens (as a node info),
/// and the requests and count of those that could move.
fn split_pods(
    cluster: &Cluster,
    snapshot: &Snapshot,
    roles: &[Drainability],
    id: NodeId,
) -> (NodeInfo, Resources, i64) {
    let mut pinned = NodeInfo::default();
    let mut movable = Resources::default();
    let mut movable_count = 0i64;
    for &p in &snapshot.info(id).pods {
        let r = &snapshot.pod(p).spec.requests;
        if roles
            .get(p.index())
            .is_none_or(|r| *r != Drainability::Moves)
            || p.index() >= cluster.pods.len()
        {
            pinned.requested.add(r);
            pinned.pods.push(p);
            pinned
                .used_ports
                .extend(snapshot.pod(p).spec.host_ports.iter().cloned());
        } else {
            movable.add(r);
            movable_count += 1;
        }
    }
    (pinned, movable, movable_count)
}

/// An existing node's room per dimension: what the filters let in beside
/// its pinned pods, or what its movable pods use now when more.
fn existing_room(
    node: &Node,
    pinned: &NodeInfo,
    movable: &Resources,
    movable_count: i64,
    dims: &[String],
) -> Vec<i64> {
    dims.iter()
        .map(|d| {
            if d == "pods" {
                (node.allocatable.pods - pinned.pods.len() as i64).max(movable_count)
            } else {
                (node.allocatable.get(d) - pinned.requested.get(d)).max(movable.get(d))
            }
        })
        .collect()
}

/// Adds a bin per new-node type (with its DaemonSet pods) to `bins`: per
/// type, its bin and zone index.
fn add_type_bins(
    cluster: &Cluster,
    snapshot: &Snapshot,
    classes: &Classes,
    bins: &mut Vec<Bin>,
) -> Vec<(usize, usize)> {
    let mut probe = snapshot.clone();
    node_types(cluster)
        .iter()
        .map(|t| {
            let n = probe.add_node(t.template.clone());
            let node = probe.node(n);
            let info = probe.info(n);
            let room: Vec<f64> = classes
                .dims
                .iter()
                .map(|d| {
                    let v = if d == "pods" {
                        node.allocatable.pods - info.pods.len() as i64
                    } else {
                        node.allocatable.get(d) - info.requested.get(d)
                    };
                    v.max(0) as f64
                })
                .collect();
            let pool = cluster.pools.get(t.pool.index());
            bins.push(Bin {
                count: None,
                fixed: false,
                cost: pool.map_or(0.0, |p| p.cost_per_hour),
                pool: Some(t.pool),
                room,
                accepts: classes.accepted(node, info, None),
            });
            (bins.len() - 1, t.zone)
        })
        .collect()
}
