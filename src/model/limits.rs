//! The sizes podplan refuses to go beyond: a few bytes of input can ask
//! for millions of pods (`replicas: 1000000`) or billions of nodes
//! (`minCount: 4000000000`), which would exhaust memory before any error.
//! Each limit is checked before what it counts is built, and going beyond
//! it is an error naming the file, the object and the field, with the
//! limit and how to raise it.

use serde::{Deserialize, Serialize};

/// The limits a scenario is read and planned within (docs/input.md,
/// "Limits"). The defaults leave headroom over what Kubernetes and AKS
/// support: 150,000 pods and 5,000 nodes per cluster, 1,000 nodes per
/// pool.
///
/// The reader ([`crate::read_scenario_with`]) checks them and keeps them in
/// [`crate::model::Cluster::limits`]; `place` and `simulate` add no node
/// beyond [`Limits::max_nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    /// Most pods in a scenario: Pod objects plus the replicas workloads
    /// still have to create (CLI `--max-pods`).
    pub max_pods: usize,
    /// Most replicas one workload may ask for (`spec.replicas`, a Job's
    /// `spec.parallelism`; CLI `--max-replicas`).
    pub max_workload_replicas: u32,
    /// Most nodes per pool: a NodePool's `maxCount` and `minCount` (AKS
    /// allows 1,000 per pool). A pool whose `spec.nodeLimit` is set (a pool
    /// that is not an AKS one) has that limit instead (CLI
    /// `--max-pool-nodes`).
    pub max_pool_nodes: u32,
    /// Most nodes in the cluster: existing nodes, the nodes pools need to
    /// reach their `minCount`, and those a plan adds (Kubernetes supports
    /// 5,000; CLI `--max-nodes`).
    pub max_nodes: usize,
    /// Most bytes of input, and of the names and labels the replicas of
    /// workloads copy from their templates (CLI `--max-input-bytes`).
    pub max_input_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pods: 1_000_000,
            max_workload_replicas: 1_000_000,
            max_pool_nodes: 1_000,
            max_nodes: 5_000,
            max_input_bytes: 1 << 30,
        }
    }
}

impl Limits {
    /// How to raise the limit `option` (the field's camelCase name, as
    /// the WASM package takes it) whose CLI flag is `flag`: for messages.
    pub fn how_to_raise(flag: &str, option: &str) -> String {
        format!("raise it with podplan --{flag}, or the limits option {option}")
    }
}
