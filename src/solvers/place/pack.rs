//! The packer: given how many new nodes each pool adds, places the pods
//! class by class (largest first) on the first node every filter plugin
//! accepts, with one PreFilter state per class updated incrementally.
//!
//! All new nodes exist before the first pod is placed, so each counts as a
//! topology domain from the start, as in the final state.

use super::problem::Problem;
use crate::model::{NodeId, PodId, PoolId};
use crate::predicates::{self, PodState, Snapshot};
use std::collections::HashMap;
use web_time::Instant;

/// The outcome of one packing.
pub(crate) struct Packing<'c> {
    /// The final state.
    pub snapshot: Snapshot<'c>,
    /// New nodes per pool.
    pub pool_nodes: Vec<u32>,
    /// Where each placed pod went.
    pub placed: Vec<(PodId, NodeId)>,
    /// Pods that found no node.
    pub leftover: Vec<PodId>,
    /// Per class: pods placed per existing node (index into `existing`).
    pub on_existing: Vec<HashMap<usize, u32>>,
    /// Per class: pods placed per node type.
    pub on_types: Vec<HashMap<usize, u32>>,
}

impl Packing<'_> {
    /// Hourly cost of the new nodes.
    pub fn cost(&self, p: &Problem) -> f64 {
        self.pool_nodes
            .iter()
            .zip(&p.cluster.pools)
            .map(|(n, pool)| f64::from(*n) * pool.cost_per_hour)
            .sum()
    }

    /// Pods placed per class.
    pub fn placed_per_class(&self, p: &Problem) -> Vec<u32> {
        (0..p.classes.len())
            .map(|c| {
                self.on_existing[c].values().sum::<u32>() + self.on_types[c].values().sum::<u32>()
            })
            .collect()
    }
}

/// The order classes are packed in: pods with required pod affinity last
/// (their targets first), then by size — the largest share of a typical
/// node's capacity first — then one-per-node classes first.
pub(crate) fn class_order(p: &Problem) -> Vec<usize> {
    let ndims = p.dims.len();
    let mut typical = vec![1.0f64; ndims];
    for free in p.type_free.iter().chain(&p.existing_free) {
        for d in 0..ndims {
            typical[d] = typical[d].max(free[d]);
        }
    }
    let size = |c: usize| -> f64 {
        (0..ndims)
            .map(|d| p.class_req[c][d] / typical[d])
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..p.classes.len()).collect();
    order.sort_by(|&a, &b| {
        let affinity = |c: usize| {
            !p.cluster
                .pod(p.classes[c].representative())
                .spec
                .pod_affinity
                .is_empty()
        };
        affinity(a)
            .cmp(&affinity(b))
            .then(p.classes[b].one_per_node.cmp(&p.classes[a].one_per_node))
            .then(size(b).total_cmp(&size(a)))
            .then(a.cmp(&b))
    });
    order
}

/// Per class, the order in which new-node types are tried: where the LP
/// puts most of the class first, then the cheapest per pod.
pub(crate) fn type_preference(
    p: &Problem,
    lp_on_types: Option<&[HashMap<usize, f64>]>,
) -> Vec<Vec<usize>> {
    (0..p.classes.len())
        .map(|c| {
            let mut types: Vec<(usize, f64, f64)> = p.compat_types[c]
                .iter()
                .map(|(t, cap)| {
                    let share = lp_on_types
                        .and_then(|x| x[c].get(t).copied())
                        .unwrap_or(0.0);
                    let pool = &p.cluster.pools[p.types[*t].pool.index()];
                    (*t, share, pool.cost_per_hour / cap)
                })
                .collect();
            types.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(a.2.total_cmp(&b.2))
                    .then(a.0.cmp(&b.0))
            });
            types.into_iter().map(|(t, _, _)| t).collect()
        })
        .collect()
}

/// Packs every pod of the problem with `pool_nodes` new nodes per pool,
/// trying for each class existing nodes first, then new nodes by type in
/// `preference` order. Stops placing (the rest are leftovers) at `deadline`.
pub(crate) fn pack<'c>(
    p: &Problem<'c>,
    pool_nodes: &[u32],
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
) -> Packing<'c> {
    let mut snapshot = p.base.clone();
    let mut node_type: HashMap<NodeId, usize> = HashMap::new();
    // Type index of (pool, zone).
    let type_index: HashMap<(usize, usize), usize> = p
        .types
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.pool.index(), t.zone), i))
        .collect();
    for (pi, pool) in p.cluster.pools.iter().enumerate() {
        let zones = pool.zones.len().max(1);
        for k in 0..pool_nodes[pi] as usize {
            let id = snapshot.add_node(pool.new_node(PoolId(pi as u32), k));
            if let Some(&t) = type_index.get(&(pi, k % zones)) {
                node_type.insert(id, t);
            }
        }
    }
    // New nodes by type, in creation order.
    let mut nodes_of_type: Vec<Vec<NodeId>> = vec![Vec::new(); p.types.len()];
    let mut new_nodes: Vec<NodeId> = node_type.keys().copied().collect();
    new_nodes.sort();
    for n in &new_nodes {
        nodes_of_type[node_type[n]].push(*n);
    }
    let mut placed = Vec::new();
    let mut leftover = Vec::new();
    let mut on_existing = vec![HashMap::new(); p.classes.len()];
    let mut on_types = vec![HashMap::new(); p.classes.len()];
    for &c in order {
        let class = &p.classes[c];
        if Instant::now() >= deadline {
            leftover.extend(class.pods.iter().copied());
            continue;
        }
        // Candidates: compatible existing nodes (free), then new nodes in
        // the class's type preference.
        let mut candidates: Vec<(NodeId, Option<usize>, Option<usize>)> = p.compat_existing[c]
            .iter()
            .map(|(i, _)| (p.existing[*i], Some(*i), None))
            .collect();
        for &t in &preference[c] {
            candidates.extend(nodes_of_type[t].iter().map(|n| (*n, None, Some(t))));
        }
        if candidates.is_empty() {
            leftover.extend(class.pods.iter().copied());
            continue;
        }
        let mut state = PodState::new(&snapshot, class.representative());
        let mut cursor = 0;
        for (k, &pod) in class.pods.iter().enumerate() {
            state.pod = pod;
            let mut found = None;
            for step in 0..candidates.len() {
                let i = (cursor + step) % candidates.len();
                if predicates::filter(&snapshot, &state, candidates[i].0).is_ok() {
                    found = Some(i);
                    break;
                }
            }
            let Some(i) = found else {
                // Nothing else changes while this class is placed: the
                // remaining pods of the class cannot fit either.
                leftover.extend(class.pods[k..].iter().copied());
                break;
            };
            cursor = i;
            let (node, existing, typ) = candidates[i];
            snapshot.assign(pod, node);
            state.add_pod(&snapshot, pod, node);
            placed.push((pod, node));
            if let Some(e) = existing {
                *on_existing[c].entry(e).or_insert(0) += 1;
            }
            if let Some(t) = typ {
                *on_types[c].entry(t).or_insert(0) += 1;
            }
        }
    }
    Packing {
        snapshot,
        pool_nodes: pool_nodes.to_vec(),
        placed,
        leftover,
        on_existing,
        on_types,
    }
}
