//! The scheduler's view of the cluster at one moment (kube-scheduler's
//! snapshot of `NodeInfo`s), updated incrementally as pods are assigned
//! and removed, with an index of pods by (namespace, labels) so that
//! affinity and spread counting costs O(distinct label sets), not O(pods),
//! and one of the pods with required anti-affinity by spec, so that
//! existing pods' anti-affinity costs O(distinct specs).

use crate::model::{
    Cluster, DaemonSet, HostPort, Labels, Node, NodeId, Pod, PodId, PodOrigin, PodPhase, PodSpec,
    Resources, Taint, TaintEffect, Toleration, TolerationOperator,
};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::Arc;

/// What is placed on one node (kube-scheduler's `framework.NodeInfo`).
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    /// Sum of the requests of the pods on the node.
    pub requested: Resources,
    /// Pods on the node.
    pub pods: Vec<PodId>,
    /// Host ports in use, one entry per pod port.
    pub used_ports: Vec<HostPort>,
    /// Pods on the node with required pod anti-affinity terms.
    pub pods_with_required_anti_affinity: Vec<PodId>,
}

/// Pods sharing namespace, labels and terminating flag: the unit in which
/// selectors are matched.
#[derive(Debug, Clone)]
pub struct PodGroup {
    /// Namespace.
    pub namespace: String,
    /// Labels.
    pub labels: Labels,
    /// Whether the pods are terminating (PodTopologySpread skips them).
    pub terminating: bool,
    /// Number of the group's pods on each node.
    pub per_node: PerNode,
}

/// Counts per node. Node ids are small dense integers hashed in every
/// assign: SipHash's resistance to crafted keys buys nothing for them.
pub type PerNode = HashMap<NodeId, u32, BuildHasherDefault<NodeIdHasher>>;

/// The hasher of [`PerNode`]: one multiply per word (FxHash's step).
#[derive(Debug, Default, Clone, Copy)]
pub struct NodeIdHasher(u64);

impl Hasher for NodeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl NodeIdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Placed pods with required pod anti-affinity that share one spec (by
/// `Arc`, as replicas do): the unit in which existing pods' anti-affinity
/// terms are matched.
#[derive(Debug, Clone)]
pub struct AntiAffinityGroup {
    /// The shared spec, whose `pod_anti_affinity` is not empty.
    pub spec: Arc<PodSpec>,
    /// Number of the group's pods on each node.
    pub per_node: PerNode,
}

/// The nodes under consideration and the pods placed on them.
#[derive(Debug, Clone)]
pub struct Snapshot<'c> {
    cluster: &'c Cluster,
    nodes: Vec<Node>,
    infos: Vec<NodeInfo>,
    extra_pods: Vec<Pod>,
    placement: Vec<Option<NodeId>>,
    groups: Vec<PodGroup>,
    /// Groups by the hash of their (namespace, labels, terminating), so
    /// that finding a pod's group clones nothing (equal hashes are told
    /// apart by comparing).
    group_index: HashMap<u64, Vec<u32>>,
    group_hasher: RandomState,
    /// The group `group_of` found last.
    last_group: Option<u32>,
    /// Groups by the label pairs their pods carry, ascending.
    groups_by_label: HashMap<String, HashMap<String, Vec<u32>>>,
    pod_group: Vec<Option<u32>>,
    anti_affinity_groups: Vec<AntiAffinityGroup>,
    /// By spec address (the group holds the `Arc`, so the address stays its).
    anti_affinity_index: HashMap<usize, u32>,
    pod_anti_affinity_group: Vec<Option<u32>>,
}

impl<'c> Snapshot<'c> {
    /// The cluster as it is: existing nodes with their bound pods, and the
    /// DaemonSet pods each node should run but the input does not show.
    pub fn new(cluster: &'c Cluster) -> Self {
        let mut s = Snapshot {
            cluster,
            nodes: cluster.nodes.clone(),
            infos: vec![NodeInfo::default(); cluster.nodes.len()],
            extra_pods: Vec::new(),
            placement: vec![None; cluster.pods.len()],
            groups: Vec::new(),
            group_index: HashMap::new(),
            group_hasher: RandomState::new(),
            last_group: None,
            groups_by_label: HashMap::new(),
            pod_group: vec![None; cluster.pods.len()],
            anti_affinity_groups: Vec::new(),
            anti_affinity_index: HashMap::new(),
            pod_anti_affinity_group: vec![None; cluster.pods.len()],
        };
        for (i, pod) in cluster.pods.iter().enumerate() {
            if let (true, Some(node)) = (pod.is_bound(), pod.node) {
                s.assign(PodId(i as u32), node);
            }
        }
        for n in 0..s.nodes.len() {
            s.add_missing_daemon_pods(NodeId(n as u32));
        }
        s
    }

    /// The cluster the snapshot was made from.
    pub fn cluster(&self) -> &'c Cluster {
        self.cluster
    }

    /// Number of nodes (existing first, then added ones).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// All node ids.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len() as u32).map(NodeId)
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// What is placed on a node.
    pub fn info(&self, id: NodeId) -> &NodeInfo {
        &self.infos[id.index()]
    }

    /// A pod: the cluster's, or one the snapshot added.
    pub fn pod(&self, id: PodId) -> &Pod {
        let i = id.index();
        if i < self.cluster.pods.len() {
            &self.cluster.pods[i]
        } else {
            &self.extra_pods[i - self.cluster.pods.len()]
        }
    }

    /// Number of pods known to the snapshot (cluster's and added).
    pub fn pod_count(&self) -> usize {
        self.placement.len()
    }

    /// Where a pod is placed, if anywhere.
    pub fn placement(&self, id: PodId) -> Option<NodeId> {
        self.placement[id.index()]
    }

    /// The label groups of placed pods (for selector counting).
    pub fn groups(&self) -> &[PodGroup] {
        &self.groups
    }

    /// The groups whose pods carry one of the label pairs, ascending: the
    /// only groups a selector can match when it requires one of them
    /// ([`LabelSelector::required_pairs`](crate::model::LabelSelector::required_pairs)).
    pub fn groups_with_labels(&self, pairs: &[(&str, &str)]) -> Vec<u32> {
        let mut groups = Vec::new();
        for (key, value) in pairs {
            if let Some(list) = self.groups_by_label.get(*key).and_then(|v| v.get(*value)) {
                groups.extend_from_slice(list);
            }
        }
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The label group a pod counts in once placed (None before its first
    /// placement): pods of one group share namespace, labels and
    /// terminating flag.
    pub fn pod_group(&self, id: PodId) -> Option<u32> {
        self.pod_group[id.index()]
    }

    /// The placed pods with required anti-affinity, by spec.
    pub fn anti_affinity_groups(&self) -> &[AntiAffinityGroup] {
        &self.anti_affinity_groups
    }

    /// The anti-affinity group a pod counts in once placed (None before
    /// its first placement, and for pods without required anti-affinity).
    pub fn anti_affinity_group(&self, id: PodId) -> Option<u32> {
        self.pod_anti_affinity_group[id.index()]
    }

    /// Marks a node (un)schedulable, as `kubectl cordon` does.
    pub fn set_unschedulable(&mut self, id: NodeId, unschedulable: bool) {
        self.nodes[id.index()].unschedulable = unschedulable;
    }

    /// Replaces a node's taints (a tentative change, as `kubectl taint`
    /// makes), returning the previous ones.
    pub fn set_taints(&mut self, id: NodeId, taints: Vec<Taint>) -> Vec<Taint> {
        std::mem::replace(&mut self.nodes[id.index()].taints, taints)
    }

    /// Adds a node (e.g. a pool's new node) with the DaemonSet pods it runs.
    pub fn add_node(&mut self, node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.infos.push(NodeInfo::default());
        self.add_missing_daemon_pods(id);
        id
    }

    /// Removes the node added last, undoing [`Snapshot::add_node`] (a
    /// tentative scale-up that turned out useless): the pods placed on it
    /// are unassigned, and the DaemonSet pods the snapshot synthesised for
    /// it are dropped while they are the last pods added. Other ids are
    /// unchanged; label groups that became empty stay (they count nothing).
    /// Returns the node, None when there is none.
    pub fn remove_last_node(&mut self) -> Option<Node> {
        let last = self.nodes.len().checked_sub(1)?;
        let id = NodeId(last as u32);
        let pods = self.infos[last].pods.clone();
        for pod in pods {
            self.unassign(pod);
        }
        while let Some(pod) = self.extra_pods.last() {
            if pod.node != Some(id) || !matches!(pod.origin, PodOrigin::DaemonSet(_)) {
                break;
            }
            self.extra_pods.pop();
            self.placement.pop();
            self.pod_group.pop();
            self.pod_anti_affinity_group.pop();
        }
        self.infos.pop();
        self.nodes.pop()
    }

    /// Adds the replacement of a pod, unplaced: the same pod as its
    /// controller recreates it (pending, unbound, not ready), as drain and
    /// its validator both model an eviction.
    pub fn add_replacement(&mut self, original: PodId) -> PodId {
        let pod = self.pod(original);
        let copy = Pod {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            labels: pod.labels.clone(),
            spec: Arc::clone(&pod.spec),
            node_name: None,
            node: None,
            phase: PodPhase::Pending,
            ready: false,
            terminating: false,
            owner: pod.owner.clone(),
            origin: pod.origin,
        };
        let id = self.add_pod(copy);
        // Same namespace, labels and spec: the original's groups, unless
        // the original is terminating (the copy is not).
        if !self.pod(original).terminating {
            self.pod_group[id.index()] = self.pod_group[original.index()];
        }
        self.pod_anti_affinity_group[id.index()] = self.pod_anti_affinity_group[original.index()];
        id
    }

    /// Adds a pod that is not in the cluster (a copy, a DaemonSet pod), unplaced.
    pub fn add_pod(&mut self, pod: Pod) -> PodId {
        let id = PodId(self.placement.len() as u32);
        self.extra_pods.push(pod);
        self.placement.push(None);
        self.pod_group.push(None);
        self.pod_anti_affinity_group.push(None);
        id
    }

    /// Places a pod on a node (moving it if it was placed elsewhere).
    pub fn assign(&mut self, pod_id: PodId, node: NodeId) {
        if self.placement[pod_id.index()].is_some() {
            self.unassign(pod_id);
        }
        let group = self.group_of(pod_id);
        let pod = self.pod(pod_id);
        let spec = Arc::clone(&pod.spec);
        let info = &mut self.infos[node.index()];
        info.requested.add(&spec.requests);
        info.pods.push(pod_id);
        info.used_ports.extend(spec.host_ports.iter().cloned());
        if !spec.pod_anti_affinity.is_empty() {
            info.pods_with_required_anti_affinity.push(pod_id);
            let anti = self.anti_affinity_group_of(pod_id, spec);
            *self.anti_affinity_groups[anti as usize]
                .per_node
                .entry(node)
                .or_insert(0) += 1;
        }
        *self.groups[group as usize]
            .per_node
            .entry(node)
            .or_insert(0) += 1;
        self.placement[pod_id.index()] = Some(node);
    }

    /// Removes a pod from its node (eviction, or undoing a tentative placement).
    pub fn unassign(&mut self, pod_id: PodId) {
        let Some(node) = self.placement[pod_id.index()].take() else {
            return;
        };
        let spec = Arc::clone(&self.pod(pod_id).spec);
        let info = &mut self.infos[node.index()];
        info.requested.sub(&spec.requests);
        if let Some(i) = info.pods.iter().position(|p| *p == pod_id) {
            info.pods.swap_remove(i);
        }
        for port in &spec.host_ports {
            if let Some(i) = info.used_ports.iter().position(|p| p == port) {
                info.used_ports.swap_remove(i);
            }
        }
        if let Some(i) = info
            .pods_with_required_anti_affinity
            .iter()
            .position(|p| *p == pod_id)
        {
            info.pods_with_required_anti_affinity.swap_remove(i);
        }
        if let Some(g) = self.pod_group[pod_id.index()] {
            decrement(&mut self.groups[g as usize].per_node, node);
        }
        if let Some(g) = self.pod_anti_affinity_group[pod_id.index()] {
            decrement(&mut self.anti_affinity_groups[g as usize].per_node, node);
        }
    }

    /// The anti-affinity group of a pod with required anti-affinity and
    /// spec `spec`, created on first use.
    fn anti_affinity_group_of(&mut self, pod_id: PodId, spec: Arc<PodSpec>) -> u32 {
        if let Some(g) = self.pod_anti_affinity_group[pod_id.index()] {
            return g;
        }
        let next = self.anti_affinity_groups.len() as u32;
        let g = *self
            .anti_affinity_index
            .entry(Arc::as_ptr(&spec) as usize)
            .or_insert(next);
        if g == next {
            self.anti_affinity_groups.push(AntiAffinityGroup {
                spec,
                per_node: PerNode::default(),
            });
        }
        self.pod_anti_affinity_group[pod_id.index()] = Some(g);
        g
    }

    fn group_of(&mut self, pod_id: PodId) -> u32 {
        if let Some(g) = self.pod_group[pod_id.index()] {
            return g;
        }
        let pod = self.pod(pod_id);
        let same = |g: &PodGroup| {
            g.namespace == pod.namespace
                && g.labels == pod.labels
                && g.terminating == pod.terminating
        };
        // Replicas tend to come one after the other: the last group found
        // is tried before hashing.
        let last = self
            .last_group
            .filter(|&g| self.groups.get(g as usize).is_some_and(same));
        let g = match last {
            Some(g) => g,
            None => {
                let hash =
                    self.group_hasher
                        .hash_one((&pod.namespace, &pod.labels, pod.terminating));
                let found = self
                    .group_index
                    .get(&hash)
                    .and_then(|gs| gs.iter().copied().find(|&g| same(&self.groups[g as usize])));
                match found {
                    Some(g) => g,
                    None => self.new_group(pod_id, hash),
                }
            }
        };
        self.pod_group[pod_id.index()] = Some(g);
        self.last_group = Some(g);
        g
    }

    /// Adds the group of a pod (whose key hashes to `hash`).
    fn new_group(&mut self, pod_id: PodId, hash: u64) -> u32 {
        let g = self.groups.len() as u32;
        let pod = self.pod(pod_id);
        let group = PodGroup {
            namespace: pod.namespace.clone(),
            labels: pod.labels.clone(),
            terminating: pod.terminating,
            per_node: PerNode::default(),
        };
        for (key, value) in &group.labels {
            let values = match self.groups_by_label.get_mut(key) {
                Some(values) => values,
                None => self.groups_by_label.entry(key.clone()).or_default(),
            };
            match values.get_mut(value) {
                Some(groups) => groups.push(g),
                None => {
                    values.insert(value.clone(), vec![g]);
                }
            }
        }
        self.groups.push(group);
        self.group_index.entry(hash).or_default().push(g);
        g
    }

    /// Places a pod for every DaemonSet that should run on the node and has
    /// no pod there yet.
    fn add_missing_daemon_pods(&mut self, node_id: NodeId) {
        let cluster = self.cluster;
        for (i, ds) in cluster.daemon_sets.iter().enumerate() {
            let node = &self.nodes[node_id.index()];
            if !daemon_should_run(ds, node) {
                continue;
            }
            let present = self.infos[node_id.index()].pods.iter().any(|p| {
                let p = self.pod(*p);
                p.namespace == ds.namespace
                    && p.owner
                        .as_ref()
                        .is_some_and(|o| o.kind == "DaemonSet" && o.name == ds.name)
            });
            if present {
                continue;
            }
            let pod = Pod {
                namespace: ds.namespace.clone(),
                name: format!("{}-{}", ds.name, node.name),
                labels: ds.template_labels.clone(),
                spec: Arc::clone(&ds.spec),
                node_name: Some(node.name.clone()),
                node: Some(node_id),
                phase: PodPhase::Running,
                ready: true,
                terminating: false,
                owner: Some(crate::model::OwnerRef {
                    kind: "DaemonSet".into(),
                    name: ds.name.clone(),
                }),
                origin: PodOrigin::DaemonSet(i as u32),
            };
            let id = self.add_pod(pod);
            self.assign(id, node_id);
        }
    }
}

/// Takes one pod off a node's count, dropping the node at zero.
fn decrement(per_node: &mut PerNode, node: NodeId) {
    if let Some(c) = per_node.get_mut(&node) {
        *c -= 1;
        if *c == 0 {
            per_node.remove(&node);
        }
    }
}

/// The DaemonSet controller's `NodeShouldRunDaemonPod`: the node matches
/// the template's node selector and required affinity, and its NoSchedule
/// and NoExecute taints are tolerated, counting the tolerations the
/// controller adds to every daemon pod. Resources are not checked.
pub fn daemon_should_run(ds: &DaemonSet, node: &Node) -> bool {
    if !super::node_affinity::required_matches(&ds.spec, node) {
        return false;
    }
    node.taints.iter().all(|t| {
        t.effect == TaintEffect::PreferNoSchedule
            || ds.spec.tolerations.iter().any(|tol| tol.tolerates(t))
            || DAEMON_TOLERATIONS.iter().any(|(key, effect)| {
                Toleration {
                    key: (*key).into(),
                    operator: TolerationOperator::Exists,
                    value: String::new(),
                    effect: Some(*effect),
                }
                .tolerates(t)
            })
    })
}

/// Tolerations the DaemonSet controller adds to every daemon pod
/// (`pkg/controller/daemon/util.AddOrUpdateDaemonPodTolerations`).
const DAEMON_TOLERATIONS: [(&str, TaintEffect); 6] = [
    ("node.kubernetes.io/not-ready", TaintEffect::NoExecute),
    ("node.kubernetes.io/unreachable", TaintEffect::NoExecute),
    ("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
    (
        "node.kubernetes.io/memory-pressure",
        TaintEffect::NoSchedule,
    ),
    ("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule),
];
