//! The nodes a drain empties (`--nodes`, `--pool`) and the pool its surge
//! nodes come from. A pool is a NodePool object or, for clusters without
//! one, the pool label that AKS, EKS, GKE or Karpenter puts on its nodes.

use crate::error::{Error, Result};
use crate::model::{Cluster, NodeId, PoolId};
use crate::report::drain::DrainOptions;
use std::collections::BTreeSet;

/// Labels other clouds and tools use for a node's pool, for clusters
/// without NodePool objects (AKS's is read by ingest).
const POOL_LABELS: [&str; 5] = [
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "karpenter.sh/nodepool",
];

/// The nodes `options` drains (`--nodes` and `--pool`), in node order.
pub(crate) fn targets(cluster: &Cluster, options: &DrainOptions) -> Result<Vec<NodeId>> {
    resolve_targets(cluster, options).map(|(t, _)| t)
}

/// The drained nodes and the pool surge nodes come from.
pub(crate) fn resolve_targets(
    cluster: &Cluster,
    options: &DrainOptions,
) -> Result<(Vec<NodeId>, Option<PoolId>)> {
    let mut targets: BTreeSet<NodeId> = BTreeSet::new();
    let mut pool_name: Option<String> = options.pool.clone();
    for name in &options.nodes {
        let id = cluster.node_by_name(name).ok_or_else(|| {
            Error::Usage(format!("--nodes: no node named {name:?} in the scenario"))
        })?;
        targets.insert(id);
    }
    if let Some(pool) = &options.pool {
        let by_object = cluster.pool_by_name(pool);
        let before = targets.len();
        for (i, node) in cluster.nodes.iter().enumerate() {
            let in_pool = match by_object {
                Some(id) => node.pool == Some(id),
                None => false,
            } || POOL_LABELS
                .iter()
                .any(|l| node.labels.get(*l).is_some_and(|v| v == pool));
            if in_pool {
                targets.insert(NodeId(i as u32));
            }
        }
        if targets.len() == before && by_object.is_none() {
            return Err(Error::Usage(format!(
                "--pool: no pool named {pool:?} (no NodePool object, no node labelled with it)"
            )));
        }
    }
    if options.nodes.is_empty() && options.pool.is_none() {
        return Err(Error::Usage("drain needs --nodes or --pool".into()));
    }
    if pool_name.is_none() {
        // Surge nodes come from the drained nodes' pool.
        let pools: BTreeSet<Option<PoolId>> =
            targets.iter().map(|n| cluster.node(*n).pool).collect();
        if let Some(Some(p)) = pools.iter().next().filter(|_| pools.len() == 1) {
            pool_name = Some(cluster.pools[p.index()].name.clone());
        }
    }
    let pool = pool_name.as_deref().and_then(|n| cluster.pool_by_name(n));
    if options.surge > 0 && pool.is_none() {
        return Err(Error::Usage(
            "--surge needs the drained nodes' pool as a NodePool object (one pool for all targets)"
                .into(),
        ));
    }
    Ok((targets.into_iter().collect(), pool))
}
