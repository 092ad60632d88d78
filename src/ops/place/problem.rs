//! The placement problem in aggregated form: pod classes, candidate bins
//! (existing nodes, new-node types) and which class may go where, with how
//! many pods of a class one bin holds on its own.

use crate::engine::classes::{node_types, pod_classes, NodeType, PodClass};
use crate::model::{Cluster, NodeId, Pod, PodId, Resources};
use crate::predicates::{self, node_affinity, NodeInfo, Snapshot};
use std::collections::HashMap;
use std::sync::Arc;

/// A resource dimension of the packing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dim {
    /// Milli-CPU.
    Cpu,
    /// Bytes of memory.
    Memory,
    /// Bytes of ephemeral storage.
    EphemeralStorage,
    /// Pod slots (every pod takes one).
    Pods,
    /// An extended resource, by name.
    Scalar(String),
}

impl Dim {
    /// The amount of this dimension in `r`.
    pub(crate) fn of(&self, r: &Resources) -> i64 {
        match self {
            Dim::Cpu => r.milli_cpu,
            Dim::Memory => r.memory,
            Dim::EphemeralStorage => r.ephemeral_storage,
            Dim::Pods => r.pods,
            Dim::Scalar(name) => r.scalar(name),
        }
    }
}

/// What one bin (an existing node, or a node of a new type) can still take.
pub(crate) fn free_of(dims: &[Dim], node_alloc: &Resources, info: &NodeInfo) -> Vec<f64> {
    dims.iter()
        .map(|d| match d {
            Dim::Pods => (node_alloc.pods - info.pods.len() as i64).max(0) as f64,
            _ => (d.of(node_alloc) - d.of(&info.requested)).max(0) as f64,
        })
        .collect()
}

/// Pods of one class that fit in `free` alone (resources only).
fn capacity(req: &[f64], free: &[f64], one_per_node: bool) -> f64 {
    let mut cap = f64::INFINITY;
    for (r, f) in req.iter().zip(free) {
        if *r > 0.0 {
            cap = cap.min((f / r).floor());
        }
    }
    if one_per_node {
        cap = cap.min(1.0);
    }
    cap
}

/// The aggregated placement problem.
#[derive(Clone)]
pub(crate) struct Problem<'c> {
    /// The cluster as read.
    pub cluster: &'c Cluster,
    /// The cluster with the pods that stay put (and DaemonSet pods).
    pub base: Snapshot<'c>,
    /// Pods to place.
    pub pods: Vec<PodId>,
    /// Their classes.
    pub classes: Vec<PodClass>,
    /// New-node types (pool × zone).
    pub types: Vec<NodeType>,
    /// Resource dimensions.
    pub dims: Vec<Dim>,
    /// Per class, its request per dimension (pods = 1).
    pub class_req: Vec<Vec<f64>>,
    /// Existing nodes that may take pods.
    pub existing: Vec<NodeId>,
    /// Free capacity per existing node and dimension.
    pub existing_free: Vec<Vec<f64>>,
    /// Free capacity per type (allocatable minus its DaemonSet pods).
    pub type_free: Vec<Vec<f64>>,
    /// Per class: (index into `existing`, pods of the class it holds alone).
    pub compat_existing: Vec<Vec<(usize, f64)>>,
    /// Per class: (index into `types`, pods of the class one node holds alone).
    pub compat_types: Vec<Vec<(usize, f64)>>,
    /// Per pool: how many new nodes it may add (maxCount minus existing).
    pub pool_room: Vec<u32>,
    /// Class of every pod of the problem.
    pub class_of: ClassOf,
    /// Index into `existing` of every existing node.
    pub existing_index: HashMap<NodeId, usize>,
    /// Type of (pool index, zone index).
    pub type_index: HashMap<(usize, usize), usize>,
    /// Classes whose spread counts other classes' pods ([`SpreadWatch`]).
    pub spread_watch: Arc<SpreadWatch>,
}

/// Classes with a DoNotSchedule topology spread constraint that counts
/// pods of other classes: placing one of those raises the count of its
/// domain, which can break their spread in the final state
/// (kube-scheduler checks spread only for the pod it binds).
#[derive(Debug, Default)]
pub(crate) struct SpreadWatch {
    /// Per class, the other classes whose spread counts its pods.
    pub watchers: Vec<Vec<usize>>,
    /// Per watching class: its pods and the topology keys of its
    /// DoNotSchedule constraints.
    pub watching: HashMap<usize, (Vec<PodId>, Vec<String>)>,
}

/// The class of each pod of a problem, by pod index: a lookup without
/// hashing (a map of 1,000,000 pods took a tenth of a second to build).
#[derive(Debug, Default, Clone)]
pub(crate) struct ClassOf(Vec<usize>);

/// The entry of a pod in no class.
const NO_CLASS: usize = usize::MAX;

impl ClassOf {
    /// The classes of the pods of `classes`, among `pods` pods.
    fn new(pods: usize, classes: &[PodClass]) -> Self {
        let mut of = vec![NO_CLASS; pods];
        for (c, class) in classes.iter().enumerate() {
            for pod in &class.pods {
                of[pod.index()] = c;
            }
        }
        ClassOf(of)
    }

    /// The class of `pod`, if it is in the problem.
    pub fn get(&self, pod: &PodId) -> Option<&usize> {
        self.0.get(pod.index()).filter(|c| **c != NO_CLASS)
    }
}

impl std::ops::Index<&PodId> for ClassOf {
    type Output = usize;

    /// The class of `pod`, which must be in the problem.
    fn index(&self, pod: &PodId) -> &usize {
        match self.get(pod) {
            Some(c) => c,
            None => panic!("pod {} is in no class of the problem", pod.index()),
        }
    }
}

/// Cap on new nodes of a pool without maxCount: Kubernetes' 5,000-node limit.
pub(crate) const MAX_NODES: u32 = 5000;

impl<'c> Problem<'c> {
    /// Builds the problem for `pods` (pending, plus bound ones that may
    /// move with `--repack`, which the base snapshot leaves unplaced).
    pub fn new(cluster: &'c Cluster, pods: Vec<PodId>) -> Self {
        let mut base = Snapshot::new(cluster);
        for &p in &pods {
            base.unassign(p);
        }
        let classes = pod_classes(cluster, &pods);
        let types = node_types(cluster);
        let dims = dims_of(&classes);
        let class_req = class_requests(&dims, &classes);
        // One scratch node per type, with its DaemonSet pods.
        let mut probe = base.clone();
        let type_nodes: Vec<NodeId> = types
            .iter()
            .map(|t| probe.add_node(t.template.clone()))
            .collect();
        let existing: Vec<NodeId> = (0..cluster.nodes.len() as u32).map(NodeId).collect();
        let existing_free = free_on(&dims, &base, &existing);
        let type_free = free_on(&dims, &probe, &type_nodes);
        let mut compat_existing = Vec::with_capacity(classes.len());
        let mut compat_types = Vec::with_capacity(classes.len());
        for (class, req) in classes.iter().zip(&class_req) {
            let fit = ClassFit::new(cluster, class, req);
            compat_existing.push(fit.on(&base, &existing, &existing_free));
            compat_types.push(fit.on(&probe, &type_nodes, &type_free));
        }
        let class_of = ClassOf::new(cluster.pods.len(), &classes);
        let existing_index = existing.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let type_index = types
            .iter()
            .enumerate()
            .map(|(i, t)| ((t.pool.index(), t.zone), i))
            .collect();
        let spread_watch = Arc::new(spread_watch(cluster, &classes));
        Problem {
            cluster,
            base,
            pods,
            classes,
            types,
            dims,
            class_req,
            existing,
            existing_free,
            type_free,
            compat_existing,
            compat_types,
            pool_room: pool_room(cluster),
            class_of,
            existing_index,
            type_index,
            spread_watch,
        }
    }

    /// The problem with no new node of the pools not `open` (their room
    /// 0, their types compatible with no class): the problem of the
    /// cluster without them, sharing this one's pods, types and nodes.
    pub fn with_pools_open(&self, open: &[bool]) -> Problem<'c> {
        let mut out = self.clone();
        let is_open = |pool: usize| open.get(pool).copied().unwrap_or(true);
        for (pool, room) in out.pool_room.iter_mut().enumerate() {
            if !is_open(pool) {
                *room = 0;
            }
        }
        let types = &self.types;
        for compat in &mut out.compat_types {
            compat.retain(|(t, _)| is_open(types[*t].pool.index()));
        }
        out
    }

    /// Pools that offer at least one compatible type to class `c`.
    pub fn pools_for_class(&self, c: usize) -> Vec<usize> {
        let mut pools: Vec<usize> = self.compat_types[c]
            .iter()
            .map(|(t, _)| self.types[*t].pool.index())
            .collect();
        pools.sort_unstable();
        pools.dedup();
        pools
    }

    /// Pending pods per class: the demand every bound and search places.
    pub fn demand(&self) -> Vec<u32> {
        self.classes.iter().map(|c| c.pods.len() as u32).collect()
    }

    /// Hourly cost of `counts` new nodes per pool.
    pub fn counts_cost(&self, counts: &[u32]) -> f64 {
        counts
            .iter()
            .zip(&self.cluster.pools)
            .map(|(n, pool)| f64::from(*n) * pool.cost_per_hour)
            .sum()
    }

    /// New nodes per pool for an LP's fractional node counts: rounded up
    /// (past solver noise), at most each pool's room.
    pub fn rounded_counts(&self, pool_nodes: &[f64]) -> Vec<u32> {
        pool_nodes
            .iter()
            .zip(&self.pool_room)
            .map(|(n, room)| ((n - 1e-6).ceil().max(0.0) as u32).min(*room))
            .collect()
    }

    /// Pool indices, most expensive first (ties in pool order): the order
    /// in which pools are shrunk and emptied.
    pub fn pools_by_cost_desc(&self) -> Vec<usize> {
        let pools = &self.cluster.pools;
        let mut order: Vec<usize> = (0..pools.len()).collect();
        order.sort_by(|a, b| pools[*b].cost_per_hour.total_cmp(&pools[*a].cost_per_hour));
        order
    }
}

/// The dimensions of the packing: CPU, memory, ephemeral storage, pods,
/// then each extended resource some class requests, in order of first use.
fn dims_of(classes: &[PodClass]) -> Vec<Dim> {
    let mut dims = vec![Dim::Cpu, Dim::Memory, Dim::EphemeralStorage, Dim::Pods];
    for c in classes {
        for (name, v) in &c.requests.scalars {
            let d = Dim::Scalar(name.clone());
            if *v > 0 && !dims.contains(&d) {
                dims.push(d);
            }
        }
    }
    dims
}

/// Per class, its request per dimension (1 pod in [`Dim::Pods`]).
fn class_requests(dims: &[Dim], classes: &[PodClass]) -> Vec<Vec<f64>> {
    classes
        .iter()
        .map(|c| {
            dims.iter()
                .map(|d| match d {
                    Dim::Pods => 1.0,
                    _ => d.of(&c.requests).max(0) as f64,
                })
                .collect()
        })
        .collect()
}

/// Free capacity per dimension of each of `nodes` in `snap`.
fn free_on(dims: &[Dim], snap: &Snapshot, nodes: &[NodeId]) -> Vec<Vec<f64>> {
    nodes
        .iter()
        .map(|&n| free_of(dims, &snap.node(n).allocatable, snap.info(n)))
        .collect()
}

/// Per pool: how many new nodes it may add (maxCount, or [`MAX_NODES`],
/// minus its existing nodes), never more than the cluster's node limit
/// leaves ([`pool_room_of`]).
fn pool_room(cluster: &Cluster) -> Vec<u32> {
    let pool_existing = cluster.nodes_per_pool();
    cluster
        .pools
        .iter()
        .zip(&pool_existing)
        .map(|(pool, existing)| pool_room_of(cluster, pool.max_count, *existing))
        .collect()
}

/// The new nodes a pool with `max_count` and `existing` nodes may add:
/// `maxCount` (else [`MAX_NODES`]) less its existing nodes, and at most
/// what the cluster's node limit (`Limits::max_nodes`) leaves after all
/// its nodes.
fn pool_room_of(cluster: &Cluster, max_count: Option<u32>, existing: u32) -> u32 {
    let limit = u32::try_from(cluster.limits.max_nodes).unwrap_or(u32::MAX);
    let left = limit.saturating_sub(u32::try_from(cluster.nodes.len()).unwrap_or(u32::MAX));
    max_count
        .unwrap_or(MAX_NODES)
        .saturating_sub(existing)
        .min(left)
}

/// What decides where one class fits: its representative pod, the pod's
/// node affinity pre-filter state, its requests and one-per-node flag.
struct ClassFit<'a> {
    pod: &'a Pod,
    pre: node_affinity::PreFilter,
    req: &'a [f64],
    one_per_node: bool,
}

impl<'a> ClassFit<'a> {
    /// The fit of `class`, whose requests per dimension are `req`.
    fn new(cluster: &'a Cluster, class: &PodClass, req: &'a [f64]) -> Self {
        let pod = cluster.pod(class.representative());
        ClassFit {
            pod,
            pre: node_affinity::pre_filter(&pod.spec),
            req,
            one_per_node: class.one_per_node,
        }
    }

    /// The nodes (of `snap`, free room `free`) the class fits on, with how
    /// many of its pods each takes; the cheap capacity first, the filters
    /// only where at least one pod fits.
    fn on(&self, snap: &Snapshot, nodes: &[NodeId], free: &[Vec<f64>]) -> Vec<(usize, f64)> {
        nodes
            .iter()
            .zip(free)
            .enumerate()
            .map(|(i, (n, free))| (i, *n, capacity(self.req, free, self.one_per_node)))
            .filter(|(_, n, cap)| {
                *cap >= 1.0
                    && predicates::filter_node_local(
                        self.pod,
                        snap.node(*n),
                        snap.info(*n),
                        &self.pre,
                    )
                    .is_ok()
            })
            .map(|(i, _, cap)| (i, cap))
            .collect()
    }
}

/// Which classes' spread counts which other classes' pods (same
/// namespace, matching selector).
fn spread_watch(cluster: &Cluster, classes: &[PodClass]) -> SpreadWatch {
    let mut watch = SpreadWatch {
        watchers: vec![Vec::new(); classes.len()],
        watching: HashMap::new(),
    };
    for (w, watcher) in classes.iter().enumerate() {
        let wpod = cluster.pod(watcher.representative());
        for constraint in &wpod.spec.topology_spread {
            if constraint.when_unsatisfiable != crate::model::UnsatisfiableAction::DoNotSchedule {
                continue;
            }
            for (c, class) in classes.iter().enumerate() {
                let pod = cluster.pod(class.representative());
                if c == w
                    || pod.namespace != wpod.namespace
                    || !constraint.selector.matches(&pod.labels)
                {
                    continue;
                }
                if !watch.watchers[c].contains(&w) {
                    watch.watchers[c].push(w);
                }
                let (_, keys) = watch
                    .watching
                    .entry(w)
                    .or_insert_with(|| (watcher.pods.clone(), Vec::new()));
                if !keys.contains(&constraint.topology_key) {
                    keys.push(constraint.topology_key.clone());
                }
            }
        }
    }
    watch
}
