//! Counts and variants of a cluster that more than one operation (and the
//! validators) need: nodes per pool and the room their `maxCount` leaves,
//! a node's hourly cost, the cluster padded to every pool's `minCount`,
//! and the cluster without some nodes.

use super::cluster::{Cluster, NodeId, Pod, PodId, PodPhase, PoolId};
use std::collections::{BTreeMap, HashSet};

impl Cluster {
    /// Existing nodes per pool, indexed by pool (nodes outside every pool
    /// are not counted). What `maxCount` and `minCount` are checked against.
    pub fn nodes_per_pool(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.pools.len()];
        for node in &self.nodes {
            if let Some(slot) = node.pool.and_then(|p| counts.get_mut(p.index())) {
                *slot += 1;
            }
        }
        counts
    }

    /// Per pool, the new nodes its `maxCount` still allows: `maxCount` less
    /// the pool's existing nodes ([`Cluster::nodes_per_pool`]; cordoned
    /// ones count, as in cluster-autoscaler's target size), never below 0;
    /// `None` without `maxCount`.
    pub fn pool_rooms(&self) -> Vec<Option<u32>> {
        self.pools
            .iter()
            .zip(self.nodes_per_pool())
            .map(|(pool, existing)| pool.max_count.map(|max| max.saturating_sub(existing)))
            .collect()
    }

    /// Hourly cost of an existing node: its pool's `costPerHour`, 0
    /// outside every pool.
    pub fn node_cost(&self, id: NodeId) -> f64 {
        self.node(id)
            .pool
            .and_then(|p| self.pools.get(p.index()))
            .map_or(0.0, |p| p.cost_per_hour)
    }

    /// The existing nodes plus those the pools need to reach their
    /// `minCount` ([`Cluster::with_min_counts`] creates them): what
    /// [`super::Limits::max_nodes`] is checked against before they are made.
    pub fn nodes_with_min_counts(&self) -> u64 {
        let existing = self.nodes_per_pool();
        let missing: u64 = self
            .pools
            .iter()
            .zip(&existing)
            .filter(|(pool, _)| pool.first_new_index == 0)
            .map(|(pool, n)| u64::from(pool.min_count.saturating_sub(*n)))
            .sum();
        self.nodes.len() as u64 + missing
    }

    /// The nodes every plan must add so that each pool reaches its
    /// `minCount` (`<pool>-new-0 ..`, zones round-robin, as any plan names
    /// them), put into a copy of the cluster, with their hourly cost;
    /// `None` when every pool has its minimum already. Planning on the copy
    /// and adding the cost to its bound is exact: every valid plan contains
    /// these nodes.
    pub fn with_min_counts(&self) -> Option<(Cluster, f64)> {
        let existing = self.nodes_per_pool();
        // The common case, every pool at its minimum, copies nothing (a copy
        // is a tenth of a second at 150,000 pods).
        let short = self
            .pools
            .iter()
            .zip(&existing)
            .any(|(pool, n)| pool.min_count > *n && pool.first_new_index == 0);
        if !short {
            return None;
        }
        let mut forced = self.clone();
        let mut cost = 0.0;
        for (i, pool) in self.pools.iter().enumerate() {
            let missing = pool.min_count.saturating_sub(existing[i]) as usize;
            if missing == 0 || pool.first_new_index > 0 {
                continue;
            }
            let id = PoolId(i as u32);
            for k in 0..missing {
                forced.nodes.push(pool.new_node(id, k));
            }
            forced.pools[i].first_new_index = missing;
            cost += pool.cost_per_hour * missing as f64;
        }
        (forced.nodes.len() > self.nodes.len()).then_some((forced, cost))
    }

    /// The cluster after consolidation: the `removed` nodes gone (with the
    /// pods bound to them that do not move), the `moved` pods pending again
    /// as their controller recreates them (no `nodeName`, phase Pending),
    /// every other pod where it was.
    pub fn without_nodes(&self, removed: &HashSet<NodeId>, moved: &HashSet<PodId>) -> Cluster {
        let mut index: Vec<Option<NodeId>> = vec![None; self.nodes.len()];
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            if !removed.contains(&NodeId(i as u32)) {
                index[i] = Some(NodeId(nodes.len() as u32));
                nodes.push(node.clone());
            }
        }
        let mut pods = Vec::with_capacity(self.pods.len());
        for (i, pod) in self.pods.iter().enumerate() {
            let mut pod = pod.clone();
            if moved.contains(&PodId(i as u32)) {
                pod.unbind();
            } else if let Some(n) = pod.node {
                match index.get(n.index()).copied().flatten() {
                    Some(new) => pod.node = Some(new),
                    // Bound to a removed node and not moved: gone with it.
                    None if pod.is_bound() => continue,
                    None => pod.node = None,
                }
            }
            pods.push(pod);
        }
        Cluster {
            nodes,
            pods,
            pools: self.pools.clone(),
            workloads: self.workloads.clone(),
            daemon_sets: self.daemon_sets.clone(),
            pdbs: self.pdbs.clone(),
            priority_classes: self.priority_classes.clone(),
            namespace_labels: self.namespace_labels.clone(),
            warnings: Vec::new(),
            limits: self.limits,
        }
    }

    /// Whether every pool a node of `removed` belongs to keeps at least
    /// `minCount` nodes: its existing nodes less those removed, plus its
    /// `new_nodes` (per pool name).
    pub fn pool_minimums_hold(
        &self,
        removed: &[NodeId],
        new_nodes: &BTreeMap<String, u32>,
    ) -> bool {
        let mut kept = self.nodes_per_pool();
        let removed: HashSet<NodeId> = removed.iter().copied().collect();
        let mut pools: HashSet<PoolId> = HashSet::new();
        for pool in removed.iter().filter_map(|n| self.node(*n).pool) {
            pools.insert(pool);
            if let Some(k) = kept.get_mut(pool.index()) {
                *k = k.saturating_sub(1);
            }
        }
        pools.into_iter().all(|p| {
            let Some(pool) = self.pools.get(p.index()) else {
                return true;
            };
            let new = new_nodes.get(&pool.name).copied().unwrap_or(0);
            kept[p.index()] + new >= pool.min_count
        })
    }
}

impl Pod {
    /// The pod as its controller recreates it: pending, on no node.
    pub fn unbind(&mut self) {
        self.node_name = None;
        self.node = None;
        self.phase = PodPhase::Pending;
        self.ready = false;
    }
}
