//! What the filter plugins share: the plugin list in the default
//! profile's filter order, a node's rejection and a plugin's verdict
//! (upstream `framework/interface.go`, `framework/types.go`).

use serde::{Deserialize, Serialize};

/// A kube-scheduler filter plugin, in the default profile's filter order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Plugin {
    /// `NodeUnschedulable`: cordoned nodes.
    NodeUnschedulable,
    /// `NodeName`: `spec.nodeName`.
    NodeName,
    /// `TaintToleration`: NoSchedule/NoExecute taints.
    TaintToleration,
    /// `NodeAffinity`: node selector and required node affinity.
    NodeAffinity,
    /// `NodePorts`: host port conflicts.
    NodePorts,
    /// `NodeResourcesFit`: requests against allocatable.
    NodeResourcesFit,
    /// `PodTopologySpread`: DoNotSchedule constraints.
    PodTopologySpread,
    /// `InterPodAffinity`: required pod affinity and anti-affinity.
    InterPodAffinity,
}

impl Plugin {
    /// All filter plugins in the default profile's order.
    pub const ALL: [Plugin; 8] = [
        Plugin::NodeUnschedulable,
        Plugin::NodeName,
        Plugin::TaintToleration,
        Plugin::NodeAffinity,
        Plugin::NodePorts,
        Plugin::NodeResourcesFit,
        Plugin::PodTopologySpread,
        Plugin::InterPodAffinity,
    ];

    /// The plugin's upstream name.
    pub fn name(self) -> &'static str {
        match self {
            Plugin::NodeUnschedulable => "NodeUnschedulable",
            Plugin::NodeName => "NodeName",
            Plugin::TaintToleration => "TaintToleration",
            Plugin::NodeAffinity => "NodeAffinity",
            Plugin::NodePorts => "NodePorts",
            Plugin::NodeResourcesFit => "NodeResourcesFit",
            Plugin::PodTopologySpread => "PodTopologySpread",
            Plugin::InterPodAffinity => "InterPodAffinity",
        }
    }
}

/// Why a node was filtered out: the first failing plugin (kube-scheduler
/// stops at the first) and its reasons (NodeResourcesFit may give several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The failing plugin.
    pub plugin: Plugin,
    /// Its reason strings, as upstream prints them.
    pub reasons: Vec<String>,
}

/// A plugin's verdict on one node: `Err` carries its reason strings.
pub type Verdict = Result<(), Vec<String>>;
