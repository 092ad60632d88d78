//! The soft-preference weight of a finished plan, recomputed from its
//! report pod by pod (independently of the counts `place`'s search keeps).

use crate::model::{Cluster, NodeId, PodId, PoolId};
use crate::predicates::Snapshot;
use crate::report::place::PlaceReport;
use crate::scoring::preferences::violations;
use std::collections::HashMap;

/// The total violation weight of a plain `place` / `simulate` report on
/// `cluster`, recomputed pod by pod with [`violations`] (independently of
/// the counts the search keeps; O(pods × pod groups), meant for checks).
/// None when the report does not replay (unknown pods or nodes, or a
/// `--repack` plan).
pub fn report_violations(cluster: &Cluster, report: &PlaceReport) -> Option<u64> {
    let (snapshot, placed) = replay(cluster, report)?;
    Some(
        placed
            .iter()
            .map(|&(pod, node)| violations(&snapshot, pod, node).max(0) as u64)
            .sum(),
    )
}

/// The final state of a plain `place` report: the cluster, its new nodes
/// (those the cluster does not hold already) and every assignment. None
/// when a name does not resolve (then nothing is changed).
pub(crate) fn replay<'c>(
    cluster: &'c Cluster,
    report: &PlaceReport,
) -> Option<(Snapshot<'c>, Vec<(PodId, NodeId)>)> {
    if !report.removable_nodes.is_empty() {
        return None;
    }
    let mut snapshot = Snapshot::new(cluster);
    let mut node_ids: HashMap<String, NodeId> = snapshot
        .node_ids()
        .map(|id| (snapshot.node(id).name.clone(), id))
        .collect();
    for (pool_name, count) in &report.new_nodes {
        let pool_id = cluster.pool_by_name(pool_name)?;
        let pool = cluster.pools.get(pool_id.index())?;
        // New nodes already in the cluster (a pool's minCount, planned in).
        let present = cluster
            .nodes
            .iter()
            .filter(|n| n.pool == Some(pool_id) && n.is_new)
            .count() as u32;
        for k in 0..count.saturating_sub(present) as usize {
            let node = pool.new_node(PoolId(pool_id.0), k);
            let name = node.name.clone();
            let id = snapshot.add_node(node);
            node_ids.insert(name, id);
        }
    }
    let pod_ids: HashMap<String, PodId> = cluster
        .pending_pods()
        .map(|id| (cluster.pod(id).key(), id))
        .collect();
    let mut placed = Vec::with_capacity(report.assignments.len());
    for a in &report.assignments {
        let pod = *pod_ids.get(&a.pod)?;
        let node = *node_ids.get(&a.node)?;
        snapshot.assign(pod, node);
        placed.push((pod, node));
    }
    Some((snapshot, placed))
}
