//! kube-scheduler's filter phase: one file per filter plugin, named like
//! upstream (`pkg/scheduler/framework/plugins/*`), with upstream's reason
//! strings.
//!
//! Per-pod state is computed once ([`PodState::new`], upstream's PreFilter)
//! and updated incrementally ([`PodState::add_pod`] / [`PodState::remove_pod`],
//! upstream's PreFilterExtensions) so solvers can call [`filter`] millions of
//! times.

pub mod fit_error;
pub mod framework;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod state;
pub mod taint_toleration;

pub use framework::{Plugin, Rejection, Verdict};
pub use state::{AntiAffinityGroup, NodeIdHasher, NodeInfo, PerNode, PodGroup, Snapshot};

use crate::model::{NodeId, PodId};

/// Per-pod precomputed state (upstream's CycleState after PreFilter).
#[derive(Debug, Clone)]
pub struct PodState {
    /// The pod being scheduled.
    pub pod: PodId,
    /// NodeAffinity's PreFilter result (node names pinned by `matchFields`).
    pub node_affinity: node_affinity::PreFilter,
    /// InterPodAffinity's counts.
    pub inter_pod_affinity: inter_pod_affinity::State,
    /// PodTopologySpread's counts.
    pub pod_topology_spread: pod_topology_spread::State,
}

impl PodState {
    /// PreFilter: computes the state of `pod` against the snapshot.
    pub fn new(snapshot: &Snapshot, pod: PodId) -> Self {
        PodState {
            pod,
            node_affinity: node_affinity::pre_filter(&snapshot.pod(pod).spec),
            inter_pod_affinity: inter_pod_affinity::State::new(snapshot, pod),
            pod_topology_spread: pod_topology_spread::State::new(snapshot, pod),
        }
    }

    /// Updates the state for a pod `added` that was placed on `node` after
    /// the state was computed (call after `Snapshot::assign`).
    pub fn add_pod(&mut self, snapshot: &Snapshot, added: PodId, node: NodeId) {
        let pod = self.pod;
        self.inter_pod_affinity.add_pod(snapshot, pod, added, node);
        self.pod_topology_spread.add_pod(snapshot, pod, added, node);
    }

    /// Updates the state for a `node` added to the snapshot after the
    /// state was computed, with the pods on it (call after
    /// `Snapshot::add_node`): PodTopologySpread gains its domain;
    /// InterPodAffinity's counts, per topology pair of placed pods, gain
    /// the node's pods.
    pub fn add_node(&mut self, snapshot: &Snapshot, node: NodeId) {
        let pod = self.pod;
        self.pod_topology_spread.add_node(snapshot, pod, node);
        for &other in &snapshot.info(node).pods {
            self.inter_pod_affinity.add_pod(snapshot, pod, other, node);
        }
    }

    /// Whether adding or removing `other` may change the state: false
    /// means [`PodState::add_pod`] and [`PodState::remove_pod`] of it leave
    /// the state as it is, wherever it goes. It depends only on `other`'s
    /// namespace, labels, terminating flag and required anti-affinity terms
    /// (the keys of [`Snapshot::pod_group`] and
    /// [`Snapshot::anti_affinity_group`]), so solvers replaying many moves
    /// into many states memoize it per such pair and skip the replays.
    pub fn concerns(&self, snapshot: &Snapshot, other: PodId) -> bool {
        let incoming = snapshot.pod(self.pod);
        let other = snapshot.pod(other);
        inter_pod_affinity::State::concerns(snapshot.cluster(), incoming, other)
            || self.pod_topology_spread.concerns(incoming, other)
    }

    /// Label pairs one of which every pod that [`PodState::concerns`] the
    /// state carries, unless that pod has required anti-affinity (which may
    /// select this one whatever its labels): solvers test only the pods
    /// carrying one. None when there is no such list (a selector without
    /// an `In` requirement).
    pub fn concerning_labels<'s>(&self, snapshot: &'s Snapshot) -> Option<Vec<(&'s str, &'s str)>> {
        let incoming = snapshot.pod(self.pod);
        let mut pairs = inter_pod_affinity::State::concerning_labels(incoming)?;
        pairs.extend(self.pod_topology_spread.concerning_labels(incoming)?);
        Some(pairs)
    }

    /// Updates the state for a pod `removed` from `node` (call after
    /// `Snapshot::unassign`).
    pub fn remove_pod(&mut self, snapshot: &Snapshot, removed: PodId, node: NodeId) {
        let pod = self.pod;
        self.inter_pod_affinity
            .remove_pod(snapshot, pod, removed, node);
        self.pod_topology_spread
            .remove_pod(snapshot, pod, removed, node);
    }
}

/// Runs the filter plugins in order on one node; the first failing plugin
/// rejects the node.
pub fn filter(snapshot: &Snapshot, state: &PodState, node_id: NodeId) -> Result<(), Rejection> {
    let pod = snapshot.pod(state.pod);
    filter_node_local(
        pod,
        snapshot.node(node_id),
        snapshot.info(node_id),
        &state.node_affinity,
    )?;
    filter_stateful(snapshot, state, node_id)
}

/// The plugins that count other pods (PodTopologySpread, InterPodAffinity),
/// in filter order: the rest of [`filter`] after [`filter_node_local`].
pub fn filter_stateful(
    snapshot: &Snapshot,
    state: &PodState,
    node_id: NodeId,
) -> Result<(), Rejection> {
    let pod = snapshot.pod(state.pod);
    let reject = |plugin: Plugin| move |reasons: Vec<String>| Rejection { plugin, reasons };
    state
        .pod_topology_spread
        .filter(snapshot, pod, node_id)
        .map_err(reject(Plugin::PodTopologySpread))?;
    state
        .inter_pod_affinity
        .filter(snapshot, pod, node_id)
        .map_err(reject(Plugin::InterPodAffinity))?;
    Ok(())
}

/// The plugins that look at one node only (everything but PodTopologySpread
/// and InterPodAffinity), in filter order. Their verdict for a node changes
/// only when that node's pods change, so solvers use them to precompute
/// which pod classes may go where.
pub fn filter_node_local(
    pod: &crate::model::Pod,
    node: &crate::model::Node,
    info: &NodeInfo,
    node_affinity_pre_filter: &node_affinity::PreFilter,
) -> Result<(), Rejection> {
    let reject = |plugin: Plugin| move |reasons: Vec<String>| Rejection { plugin, reasons };
    // Nodes outside NodeAffinity's PreFilter result are rejected before any
    // Filter runs, as the framework does.
    node_affinity_pre_filter
        .admits(node)
        .map_err(reject(Plugin::NodeAffinity))?;
    node_unschedulable::filter(pod, node).map_err(reject(Plugin::NodeUnschedulable))?;
    node_name::filter(pod, node).map_err(reject(Plugin::NodeName))?;
    taint_toleration::filter(pod, node).map_err(reject(Plugin::TaintToleration))?;
    node_affinity::filter(pod, node).map_err(reject(Plugin::NodeAffinity))?;
    filter_node_pods(pod, node, info)
}

/// The node-local plugins that read the node's pods (NodePorts,
/// NodeResourcesFit), in filter order: the rest of [`filter_node_local`].
/// The others read only the node and the pod, so a solver that checked
/// them once per node needs only these as pods come and go.
pub fn filter_node_pods(
    pod: &crate::model::Pod,
    node: &crate::model::Node,
    info: &NodeInfo,
) -> Result<(), Rejection> {
    let reject = |plugin: Plugin| move |reasons: Vec<String>| Rejection { plugin, reasons };
    node_ports::filter(pod, info).map_err(reject(Plugin::NodePorts))?;
    node_resources_fit::filter(pod, node, info).map_err(reject(Plugin::NodeResourcesFit))?;
    Ok(())
}
