//! The cluster as podplan sees it: arena-indexed nodes, pods, pools and
//! budgets, converted once from the wire format by `ingest`.

use super::labels::{LabelSelector, Labels, NodeSelector, NodeSelectorTerm};
use super::resources::Resources;
use super::Limits;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Index of a node: in `Cluster::nodes`, and in a `Snapshot` (which may
/// append new pool nodes after the existing ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub u32);

/// Index of a pod: in `Cluster::pods`, and in a `Snapshot` (which may append
/// pods of its own, such as DaemonSet pods on new nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PodId(pub u32);

/// Index of a node pool in `Cluster::pools`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PoolId(pub u32);

impl NodeId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl PodId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl PoolId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    /// Hard: new pods that do not tolerate it are not scheduled.
    NoSchedule,
    /// Soft: the scheduler tries to avoid the node.
    PreferNoSchedule,
    /// Hard, and running pods that do not tolerate it are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
}

/// A toleration's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum TolerationOperator {
    /// Key and value must equal the taint's (the default).
    #[default]
    Equal,
    /// Any value; with an empty key, any taint.
    Exists,
}

/// A pod toleration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Toleration {
    /// Key; empty with `Exists` tolerates every key.
    pub key: String,
    /// Operator.
    pub operator: TolerationOperator,
    /// Value for `Equal`.
    pub value: String,
    /// Effect to tolerate; `None` tolerates every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// `v1.Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Exists => true,
        }
    }
}

/// A node, existing or new from a pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: Labels,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `status.allocatable` (or capacity when absent).
    pub allocatable: Resources,
    /// The pool it belongs to (label `kubernetes.azure.com/agentpool`).
    pub pool: Option<PoolId>,
    /// True for a node that does not exist yet (a pool's new node).
    pub is_new: bool,
}

/// A host port a container binds (only entries with `hostPort > 0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostPort {
    /// Host IP; empty means all addresses (`0.0.0.0`).
    pub host_ip: String,
    /// Protocol, `TCP` when unset.
    pub protocol: String,
    /// The port.
    pub port: i32,
}

/// A `PodAffinityTerm`, with namespaces resolved and `matchLabelKeys` /
/// `mismatchLabelKeys` already merged into the selector (as the API server
/// does at pod creation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PodAffinityTerm {
    /// Selector over pod labels (nil selects nothing).
    pub selector: LabelSelector,
    /// Namespaces the term applies to; the pod's own namespace when both
    /// this and `namespace_selector` were empty.
    pub namespaces: Vec<String>,
    /// Namespace selector (None = nil = no namespace by selector).
    pub namespace_selector: Option<LabelSelector>,
    /// Topology key.
    pub topology_key: String,
}

/// A weighted preferred pod affinity term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeightedPodAffinityTerm {
    /// Weight 1-100.
    pub weight: i32,
    /// The term.
    pub term: PodAffinityTerm,
}

/// A weighted preferred node selector term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreferredSchedulingTerm {
    /// Weight 1-100.
    pub weight: i32,
    /// The term.
    pub term: NodeSelectorTerm,
}

/// `whenUnsatisfiable` of a topology spread constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnsatisfiableAction {
    /// Hard constraint (a filter).
    DoNotSchedule,
    /// Soft constraint (a score).
    ScheduleAnyway,
}

/// `nodeAffinityPolicy` / `nodeTaintsPolicy` of a spread constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InclusionPolicy {
    /// Only nodes that pass the pod's node affinity / tolerate taints count.
    Honor,
    /// All nodes count.
    Ignore,
}

/// A topology spread constraint with `matchLabelKeys` merged into the selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TopologySpreadConstraint {
    /// `maxSkew`.
    pub max_skew: i32,
    /// `topologyKey`.
    pub topology_key: String,
    /// `whenUnsatisfiable`.
    pub when_unsatisfiable: UnsatisfiableAction,
    /// `labelSelector` (nil selects nothing).
    pub selector: LabelSelector,
    /// `minDomains`.
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy` (default Honor).
    pub node_affinity_policy: InclusionPolicy,
    /// `nodeTaintsPolicy` (default Ignore).
    pub node_taints_policy: InclusionPolicy,
}

/// What kube-scheduler reads of a pod spec. Shared (`Arc`) by all replicas
/// of a workload, so 150,000 pods cost a few hundred specs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PodSpec {
    /// Effective requests (containers, sidecars, init containers, overhead).
    pub requests: Resources,
    /// `spec.nodeSelector`.
    pub node_selector: Labels,
    /// Required node affinity (None when absent).
    pub required_node_affinity: Option<NodeSelector>,
    /// Preferred node affinity.
    pub preferred_node_affinity: Vec<PreferredSchedulingTerm>,
    /// `spec.tolerations`.
    pub tolerations: Vec<Toleration>,
    /// Required pod affinity terms.
    pub pod_affinity: Vec<PodAffinityTerm>,
    /// Preferred pod affinity terms.
    pub preferred_pod_affinity: Vec<WeightedPodAffinityTerm>,
    /// Required pod anti-affinity terms.
    pub pod_anti_affinity: Vec<PodAffinityTerm>,
    /// Preferred pod anti-affinity terms.
    pub preferred_pod_anti_affinity: Vec<WeightedPodAffinityTerm>,
    /// `spec.topologySpreadConstraints`.
    pub topology_spread: Vec<TopologySpreadConstraint>,
    /// Host ports (`hostPort > 0`) of the containers and of the init
    /// containers with `restartPolicy: Always` (sidecars); other init
    /// containers' ports are not counted (`schedutil.GetHostPorts`).
    pub host_ports: Vec<HostPort>,
    /// Resolved priority (`spec.priority`, else the PriorityClass's value).
    pub priority: i32,
    /// `spec.priorityClassName`.
    pub priority_class_name: Option<String>,
    /// The pod has an `emptyDir` volume (kubectl drain's local storage).
    pub has_local_storage: bool,
    /// When the requests are exactly those of one container (no init
    /// containers, overhead or pod-level resources): what `explain --fix`
    /// needs to write a patch that changes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sole_container: Option<SoleContainer>,
}

/// The one container whose requests are a pod's (see
/// [`PodSpec::sole_container`]): `spec.containers[0]`, and which of its
/// `resources` lists are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SoleContainer {
    /// `resources.requests` is given.
    pub has_requests: bool,
    /// `resources.limits` is given.
    pub has_limits: bool,
}

/// `status.phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PodPhase {
    /// Accepted, not all containers running (or not yet bound).
    #[default]
    Pending,
    /// Bound, containers running.
    Running,
    /// All containers terminated successfully: holds nothing.
    Succeeded,
    /// All containers terminated, one failed: holds nothing.
    Failed,
    /// Phase unknown.
    Unknown,
}

/// The controller that owns a pod (`ownerReferences` with `controller: true`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnerRef {
    /// Owner kind (`ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, `Node`, ...).
    pub kind: String,
    /// Owner name.
    pub name: String,
}

/// Where a pod came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PodOrigin {
    /// A Pod object of the input.
    #[default]
    Input,
    /// A replica a workload object still has to create.
    Workload(WorkloadId),
    /// A DaemonSet pod on a node (synthesised by the snapshot).
    DaemonSet(u32),
}

/// A pod: bound, pending, or terminal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pod {
    /// `metadata.namespace` ("default" when absent).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: Labels,
    /// Scheduling-relevant spec, shared between replicas.
    pub spec: Arc<PodSpec>,
    /// `spec.nodeName` as written.
    pub node_name: Option<String>,
    /// The bound node when `node_name` names a node of the scenario.
    pub node: Option<NodeId>,
    /// `status.phase`.
    pub phase: PodPhase,
    /// Ready condition is True.
    pub ready: bool,
    /// `metadata.deletionTimestamp` is set.
    pub terminating: bool,
    /// The controlling owner, if any.
    pub owner: Option<OwnerRef>,
    /// Where the pod came from.
    pub origin: PodOrigin,
}

impl Pod {
    /// Succeeded or Failed: holds nothing, is neither bound nor pending.
    pub fn is_terminal(&self) -> bool {
        matches!(self.phase, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// Has `spec.nodeName` and is not terminal.
    pub fn is_bound(&self) -> bool {
        !self.is_terminal() && self.node_name.as_deref().is_some_and(|n| !n.is_empty())
    }

    /// Has no `spec.nodeName` and is not terminal.
    pub fn is_pending(&self) -> bool {
        !self.is_terminal() && !self.is_bound()
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Index of a workload in `Cluster::workloads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkloadId(pub u32);

/// Kinds of pod-creating workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// batch/v1 Job.
    Job,
}

impl WorkloadKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::Job => "Job",
        }
    }
}

/// A Deployment, ReplicaSet, StatefulSet or Job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Kind.
    pub kind: WorkloadKind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Desired replicas (`spec.replicas`, or `spec.parallelism` for Jobs).
    pub replicas: i32,
    /// `spec.selector`.
    pub selector: LabelSelector,
    /// Template labels.
    pub template_labels: Labels,
    /// Template spec.
    pub spec: Arc<PodSpec>,
    /// Controlling owner of the workload itself (a ReplicaSet's Deployment).
    pub owner: Option<OwnerRef>,
}

impl Workload {
    /// A replica the workload's controller would create: its pod template,
    /// owned by the workload, pending.
    pub fn replica(&self, id: WorkloadId, name: String) -> Pod {
        Pod {
            namespace: self.namespace.clone(),
            name,
            labels: self.template_labels.clone(),
            spec: Arc::clone(&self.spec),
            node_name: None,
            node: None,
            phase: PodPhase::Pending,
            ready: false,
            terminating: false,
            owner: Some(OwnerRef {
                kind: self.kind.as_str().to_string(),
                name: self.name.clone(),
            }),
            origin: PodOrigin::Workload(id),
        }
    }
}

/// The Deployment that owns a pod's ReplicaSet when the ReplicaSet is not
/// in the input: among `candidates` (indices of the namespace's
/// Deployments in `workloads`) whose selector matches the pod, the one named
/// like the ReplicaSet without its pod-template-hash suffix, else the
/// first. Ingest (replica counting) and the disruption controller's scale
/// lookup both resolve owners this way.
pub fn orphan_replica_set_owner(
    workloads: &[Workload],
    candidates: &[usize],
    replica_set: &str,
    pod_labels: &Labels,
) -> Option<usize> {
    let stem = replica_set.rsplit_once('-').map(|(s, _)| s);
    candidates
        .iter()
        .copied()
        .filter(|&d| workloads[d].selector.matches(pod_labels))
        .min_by_key(|&d| Some(workloads[d].name.as_str()) != stem)
}

/// A DaemonSet: one pod on every node it matches and tolerates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaemonSet {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Template labels.
    pub template_labels: Labels,
    /// Template spec.
    pub spec: Arc<PodSpec>,
}

/// An integer or a percentage (`minAvailable`, `maxUnavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IntOrPercent {
    /// An absolute count.
    Int(i32),
    /// A percentage (0-100 or more, as written).
    Percent(i32),
}

/// `unhealthyPodEvictionPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum UnhealthyPodEvictionPolicy {
    /// Unready pods may be evicted only while the budget is healthy (default).
    #[default]
    IfHealthyBudget,
    /// Unready pods may always be evicted.
    AlwaysAllow,
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodDisruptionBudget {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The selector (policy/v1: empty selects the whole namespace;
    /// v1beta1: empty selects nothing).
    pub selector: LabelSelector,
    /// The selector was empty as written: the eviction API ignores such a PDB.
    pub selector_empty: bool,
    /// `minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
    /// `unhealthyPodEvictionPolicy`.
    pub unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy,
}

/// AKS-style pool priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PoolPriority {
    /// On-demand nodes.
    #[default]
    Regular,
    /// Spot nodes: labelled and tainted `kubernetes.azure.com/scalesetpriority=spot`.
    Spot,
}

/// Where a pool's hourly cost comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceOrigin {
    /// No price: `costPerHour` absent and none found (cost 0).
    #[default]
    Unpriced,
    /// The NodePool's `costPerHour`.
    Given,
    /// Estimated from the built-in price catalogue.
    Catalogue,
    /// Estimated from a `--prices` file.
    File,
}

impl PriceOrigin {
    /// Whether the price is an estimate from a price table.
    pub fn is_estimated(self) -> bool {
        matches!(self, PriceOrigin::Catalogue | PriceOrigin::File)
    }
}

/// A pool of identical nodes that can be added (the `NodePool` kind).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePool {
    /// Pool name.
    pub name: String,
    /// VM size, if given.
    pub vm_size: Option<String>,
    /// `Linux` or `Windows`.
    pub os_type: String,
    /// `System` or `User`.
    pub mode: String,
    /// Regular or Spot.
    pub priority: PoolPriority,
    /// Node capacity.
    pub capacity: Resources,
    /// Node allocatable (given, or derived with the AKS reservation rules).
    pub allocatable: Resources,
    /// Labels every new node carries (derived labels included, except the
    /// per-node hostname and zone).
    pub labels: Labels,
    /// Taints every new node carries (the Spot taint included).
    pub taints: Vec<Taint>,
    /// Zones new nodes are spread over, round-robin (may be empty).
    pub zones: Vec<String>,
    /// Minimum node count.
    pub min_count: u32,
    /// Maximum node count, existing nodes of the pool included.
    pub max_count: Option<u32>,
    /// Hourly cost of one node.
    pub cost_per_hour: f64,
    /// The Azure region (`armRegionName`, e.g. `eastus`) prices are
    /// looked up in when `costPerHour` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where `cost_per_hour` comes from.
    #[serde(default)]
    pub price_origin: PriceOrigin,
    /// New nodes `<pool>-new-0 .. first_new_index-1` are already among the
    /// cluster's nodes (those a plan must add to reach `min_count`): the
    /// `k`-th further new node is `<pool>-new-<first_new_index + k>`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub first_new_index: usize,
    /// The pool this one offers in another VM size (`place --pool-sizes
    /// auto`): `place` also plans with one size per such group of pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resized_from: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl NodePool {
    /// The `k`-th new node of this pool (`<pool>-new-<k>`, counted from
    /// [`NodePool::first_new_index`]), as docs/input.md names and labels it.
    pub fn new_node(&self, id: PoolId, k: usize) -> Node {
        let k = k + self.first_new_index;
        let name = format!("{}-new-{}", self.name, k);
        let mut labels = self.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), name.clone());
        if !self.zones.is_empty() {
            labels.insert(
                "topology.kubernetes.io/zone".into(),
                self.zones[k % self.zones.len()].clone(),
            );
        }
        Node {
            name,
            labels,
            taints: self.taints.clone(),
            unschedulable: false,
            allocatable: self.allocatable.clone(),
            pool: Some(id),
            is_new: true,
        }
    }
}

/// Everything podplan knows about a cluster and what may be added to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Existing nodes, in input order.
    pub nodes: Vec<Node>,
    /// Pods in input order: Pod objects, then workload replicas still to create.
    pub pods: Vec<Pod>,
    /// Node pools.
    pub pools: Vec<NodePool>,
    /// Workloads (for replica counts and PDB scale).
    pub workloads: Vec<Workload>,
    /// DaemonSets.
    pub daemon_sets: Vec<DaemonSet>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<PodDisruptionBudget>,
    /// PriorityClass name -> value.
    pub priority_classes: BTreeMap<String, i32>,
    /// Labels of Namespace objects of the input, by name.
    pub namespace_labels: BTreeMap<String, Labels>,
    /// Warnings from reading the input (skipped kinds, ...).
    pub warnings: Vec<String>,
    /// The limits the scenario was read with, which the operations that
    /// add nodes keep within too.
    #[serde(default)]
    pub limits: Limits,
}

impl Cluster {
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The pod with this id.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.index()]
    }

    /// The node with this name.
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }

    /// The pool with this name.
    pub fn pool_by_name(&self, name: &str) -> Option<PoolId> {
        self.pools
            .iter()
            .position(|p| p.name == name)
            .map(|i| PoolId(i as u32))
    }

    /// Pending pods, in input order.
    pub fn pending_pods(&self) -> impl Iterator<Item = PodId> + '_ {
        self.pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_pending())
            .map(|(i, _)| PodId(i as u32))
    }

    /// Bound, non-terminal pods, in input order.
    pub fn bound_pods(&self) -> impl Iterator<Item = PodId> + '_ {
        self.pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_bound())
            .map(|(i, _)| PodId(i as u32))
    }

    /// A namespace's labels: those of its Namespace object, else the
    /// `kubernetes.io/metadata.name` label every namespace carries.
    pub fn labels_of_namespace(&self, namespace: &str) -> Cow<'_, Labels> {
        match self.namespace_labels.get(namespace) {
            Some(l) => Cow::Borrowed(l),
            None => {
                let mut l = Labels::new();
                l.insert("kubernetes.io/metadata.name".into(), namespace.into());
                Cow::Owned(l)
            }
        }
    }
}
