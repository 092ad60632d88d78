//! Cluster-autoscaler's scale-up, shared by `simulate`, `headroom` and
//! `explain --with-pools`: the pools it may grow, in the order its
//! least-cost expander tries them, and one pool node at a time added to a
//! scheduler state ([`ScaleTarget`]) until one takes the pod.
//!
//! Upstream: cluster-autoscaler `core/scaleup/orchestrator` and
//! `expander/price` (here: cheapest `costPerHour` first, then pool order).

use crate::model::{Cluster, Node, NodeId, NodePool, PodId, PoolId};

/// Who rejects the new node of a pool at its `maxCount` in `explain
/// --with-pools`: not a scheduler plugin but cluster-autoscaler, which
/// skips a node group at its maximum size before asking any filter.
pub(crate) const AUTOSCALER: &str = "ClusterAutoscaler";

/// Why `pool` offers no new node when `room` (its [`Cluster::pool_rooms`]
/// entry) is 0: `pool general is at maxCount 3` (cluster-autoscaler's
/// `max node group size reached`); `None` while it may grow.
pub(crate) fn at_max_count(pool: &NodePool, room: Option<u32>) -> Option<String> {
    match (room, pool.max_count) {
        (Some(0), Some(max)) => Some(format!("pool {} is at maxCount {max}", pool.name)),
        _ => None,
    }
}

/// The pools `keep` accepts, cheapest first (ties by pool order): the order
/// in which cluster-autoscaler's least-cost expander tries them.
pub(crate) fn pools_by_cost(cluster: &Cluster, keep: impl Fn(&NodePool) -> bool) -> Vec<PoolId> {
    let mut order: Vec<PoolId> = (0..cluster.pools.len() as u32)
        .map(PoolId)
        .filter(|p| keep(&cluster.pools[p.index()]))
        .collect();
    order.sort_by(|a, b| {
        let cost = |p: &PoolId| cluster.pools[p.index()].cost_per_hour;
        cost(a).total_cmp(&cost(b)).then(a.cmp(b))
    });
    order
}

/// What a scale-up attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScaleUp {
    /// A node that takes the pod was added.
    Added,
    /// No pool may add a node that takes it.
    NoPool,
    /// The cap on new nodes was reached.
    Guard,
}

/// What a pool node just added does with the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trial {
    /// The pod passes every filter on it.
    Takes,
    /// It rejects the pod; a node of the pool in another zone may not.
    Rejects,
    /// It rejects the pod even when empty (taints, affinity, size): no
    /// node of the pool will take it.
    RejectsAlways,
}

/// A scheduler state to which [`PoolScaler::scale_up`] adds trial nodes.
pub(crate) trait ScaleTarget {
    /// Adds a node, keeping the caches in step.
    fn add_node(&mut self, node: Node) -> NodeId;
    /// Removes the last node (a trial that is not kept).
    fn remove_last_node(&mut self);
    /// What the node just added does with the pod; `first` when it is the
    /// pool's first trial (the only one at which `RejectsAlways` is asked).
    fn trial(&mut self, pod: PodId, node: NodeId, first: bool) -> Trial;
}

/// Cluster-autoscaler's node groups: the pools it may grow, in the order
/// its least-cost expander tries them, and their node counts.
#[derive(Debug, Default)]
pub(crate) struct PoolScaler {
    /// Pools by `costPerHour`, then pool order.
    order: Vec<PoolId>,
    /// Nodes per pool in the snapshot (existing and new).
    nodes: Vec<u32>,
    /// New nodes per pool.
    pub(crate) added: Vec<u32>,
}

impl PoolScaler {
    /// The pools `keep` accepts, with the cluster's node counts.
    pub(crate) fn new(cluster: &Cluster, keep: impl Fn(&NodePool) -> bool) -> Self {
        PoolScaler {
            order: pools_by_cost(cluster, keep),
            nodes: cluster.nodes_per_pool(),
            added: vec![0; cluster.pools.len()],
        }
    }

    /// New nodes over all pools.
    pub(crate) fn total_added(&self) -> usize {
        self.added.iter().map(|&n| n as usize).sum()
    }

    /// Adds the first pool node, cheapest pool first, that takes the pod.
    /// As cluster-autoscaler on a zone-balanced AKS pool, which cannot pick
    /// the new node's zone, a pool may add up to one node per zone until
    /// one takes the pod (a zone-spread pod needs a node in a lagging
    /// zone); the nodes added on the way stay (they were paid for), unless
    /// none takes the pod. At most `max_new` new nodes in all.
    pub(crate) fn scale_up(
        &mut self,
        cluster: &Cluster,
        target: &mut impl ScaleTarget,
        pod: PodId,
        max_new: usize,
    ) -> ScaleUp {
        for &p in &self.order {
            let pool = &cluster.pools[p.index()];
            let attempts = pool.zones.len().max(1);
            let mut added = 0usize;
            let mut fits = false;
            while added < attempts {
                if pool
                    .max_count
                    .is_some_and(|max| self.nodes[p.index()] + added as u32 >= max)
                {
                    break;
                }
                if self.total_added().saturating_add(added) >= max_new {
                    for _ in 0..added {
                        target.remove_last_node();
                    }
                    return ScaleUp::Guard;
                }
                let node = pool.new_node(p, self.added[p.index()] as usize + added);
                let id = target.add_node(node);
                added += 1;
                match target.trial(pod, id, added == 1) {
                    Trial::Takes => {
                        fits = true;
                        break;
                    }
                    Trial::RejectsAlways => break,
                    Trial::Rejects => {}
                }
            }
            if fits {
                self.nodes[p.index()] += added as u32;
                self.added[p.index()] += added as u32;
                return ScaleUp::Added;
            }
            for _ in 0..added {
                target.remove_last_node();
            }
        }
        ScaleUp::NoPool
    }
}
