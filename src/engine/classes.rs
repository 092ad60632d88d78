//! Pod equivalence classes and new-node types: the aggregation that keeps
//! the optimiser's models small at 150,000 pods.

use crate::model::{Cluster, Labels, Node, PodId, PodSpec, PoolId, Resources};
use std::collections::HashMap;
use std::sync::Arc;

/// Pods that every filter plugin treats alike: same namespace, labels, spec
/// and `nodeName`.
#[derive(Debug, Clone)]
pub struct PodClass {
    /// Members, in pod order.
    pub pods: Vec<PodId>,
    /// The shared requests.
    pub requests: Resources,
    /// The shared priority.
    pub priority: i32,
    /// At most one pod of the class per node: a required anti-affinity term
    /// on `kubernetes.io/hostname` that selects the class itself, or a host port.
    pub one_per_node: bool,
}

impl PodClass {
    /// The first member, whose spec and labels stand for all.
    pub fn representative(&self) -> PodId {
        self.pods[0]
    }
}

/// What makes two pods alike: namespace, labels, spec and `nodeName`.
type ClassKey<'a> = (&'a str, &'a Labels, &'a Arc<PodSpec>, Option<&'a str>);

/// Groups pods into classes, in order of first appearance.
pub fn pod_classes(cluster: &Cluster, pods: &[PodId]) -> Vec<PodClass> {
    let mut index: HashMap<ClassKey, usize> = HashMap::new();
    let mut classes: Vec<PodClass> = Vec::new();
    for &id in pods {
        let pod = cluster.pod(id);
        let key = (
            pod.namespace.as_str(),
            &pod.labels,
            &pod.spec,
            pod.node_name.as_deref(),
        );
        match index.get(&key) {
            Some(&c) => classes[c].pods.push(id),
            None => {
                index.insert(key, classes.len());
                let self_anti = pod.spec.pod_anti_affinity.iter().any(|t| {
                    t.topology_key == HOSTNAME
                        && t.namespaces.contains(&pod.namespace)
                        && t.selector.matches(&pod.labels)
                });
                classes.push(PodClass {
                    pods: vec![id],
                    requests: pod.spec.requests.clone(),
                    priority: pod.spec.priority,
                    one_per_node: self_anti || !pod.spec.host_ports.is_empty(),
                });
            }
        }
    }
    classes
}

/// The hostname topology key.
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// A kind of new node: one pool in one of its zones. The `k`-th new node of
/// a pool with Z zones is in zone `k mod Z` (docs/input.md), so a pool with `n`
/// new nodes has `ceil((n - z) / Z)` of type z.
#[derive(Debug, Clone)]
pub struct NodeType {
    /// The pool.
    pub pool: PoolId,
    /// Zone index in the pool's zone list (0 when it has none).
    pub zone: usize,
    /// A node of this type (`<pool>-new-<zone>`), as the pool makes it.
    pub template: Node,
}

/// One node type per pool and zone.
pub fn node_types(cluster: &Cluster) -> Vec<NodeType> {
    let mut types = Vec::new();
    for (i, pool) in cluster.pools.iter().enumerate() {
        let id = PoolId(i as u32);
        for zone in 0..pool.zones.len().max(1) {
            types.push(NodeType {
                pool: id,
                zone,
                template: pool.new_node(id, zone),
            });
        }
    }
    types
}

/// How many nodes of type `zone` a pool with `n` new nodes and `zones`
/// zones has.
pub fn nodes_in_zone(n: u32, zones: usize, zone: usize) -> u32 {
    let zones = zones.max(1) as u32;
    let zone = zone as u32;
    if n <= zone {
        0
    } else {
        (n - zone).div_ceil(zones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_zone_counts() {
        let counts: Vec<u32> = (0..3).map(|z| nodes_in_zone(7, 3, z)).collect();
        assert_eq!(counts, [3, 2, 2]);
        assert_eq!(nodes_in_zone(0, 3, 0), 0);
        assert_eq!(nodes_in_zone(4, 1, 0), 4);
        assert_eq!(nodes_in_zone(2, 3, 2), 0);
    }
}
