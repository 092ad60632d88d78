//! kube-scheduler's score phase with the default profile: one file per
//! score plugin, named like upstream (`pkg/scheduler/framework/plugins/*`).
//!
//! For the feasible nodes of a pod, each plugin computes a raw score per
//! node (after its PreScore), normalises it to 0..=100
//! ([`MAX_NODE_SCORE`]) and is multiplied by its weight; the node's total
//! is the sum (upstream `prioritizeNodes` / `RunScorePlugins`). A plugin
//! whose PreScore returns Skip contributes 0 to every node.
//!
//! | plugin | weight |
//! |---|---|
//! | `NodeResourcesFit` (LeastAllocated, cpu 1, memory 1) | 1 |
//! | `NodeResourcesBalancedAllocation` (cpu, memory) | 1 |
//! | `TaintToleration` (PreferNoSchedule taints) | 3 |
//! | `NodeAffinity` (preferred terms) | 2 |
//! | `InterPodAffinity` (hardPodAffinityWeight 1) | 2 |
//! | `PodTopologySpread` (ScheduleAnyway, system defaults) | 2 |
//!
//! Not modelled: `ImageLocality` (weight 1; podplan knows no images) and
//! `VolumeBinding` scoring (no volumes). Every feasible node is scored:
//! upstream's `percentageOfNodesToScore` (which, on large clusters, stops
//! filtering after a share of the nodes is found feasible, starting from a
//! rotating index) is taken as 100%.
//!
//! [`Scorer`] keeps, in step with a [`Snapshot`], what scoring needs beyond
//! it: each node's non-zero requests, the placed pods whose terms score
//! other pods, and per pod class the selector matches already made, so
//! scoring one pod costs O(feasible nodes + nodes holding matching pods),
//! not O(pods).

pub mod framework;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod pod_topology_spread;
pub(crate) mod preferences;
pub mod taint_toleration;

use crate::model::{
    LabelSelector, Labels, NodeId, Pod, PodId, PodOrigin, PodSpec, WorkloadId, WorkloadKind,
};
use crate::predicates::Snapshot;
use std::collections::HashMap;
use std::sync::Arc;

pub use framework::{default_normalize_score, NodeScores, ScorePlugin, MAX_NODE_SCORE};
pub(crate) use framework::{KeyDomains, Topology};

/// A pod class for scoring: pods alike in namespace, labels, spec and
/// default spreading selector score every node alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClassKey {
    namespace: String,
    labels: Labels,
    spec: usize,
    workload: Option<WorkloadId>,
}

#[derive(Debug, Clone)]
struct ClassCache {
    /// Held so that the pointer key stays unique.
    _spec: Arc<PodSpec>,
    terms: inter_pod_affinity::ClassTerms,
    spread: pod_topology_spread::ClassSpread,
}

/// Class caches kept at most (they are rebuilt when dropped).
const MAX_CLASSES: usize = 4096;

/// The score phase, kept in step with a snapshot: call
/// [`Scorer::pod_added`] / [`Scorer::pod_removed`] after each
/// `Snapshot::assign` / `unassign`, [`Scorer::node_added`] after
/// `Snapshot::add_node` and [`Scorer::node_removing`] before
/// `Snapshot::remove_last_node`.
#[derive(Debug, Clone)]
pub struct Scorer {
    /// Per node, the non-zero (cpu, memory) requests of its pods
    /// (upstream `NodeInfo.NonZeroRequested`).
    non_zero: Vec<(i64, i64)>,
    existing: inter_pod_affinity::ExistingTerms,
    topology: Topology,
    /// ReplicaSets and StatefulSets by (namespace, kind, name).
    workloads: HashMap<(String, WorkloadKind, String), WorkloadId>,
    classes: HashMap<ClassKey, ClassCache>,
}

impl Scorer {
    /// Reads the snapshot's placed pods: O(pods), once.
    pub fn new(snapshot: &Snapshot) -> Self {
        let cluster = snapshot.cluster();
        let workloads = cluster
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| matches!(w.kind, WorkloadKind::ReplicaSet | WorkloadKind::StatefulSet))
            .map(|(i, w)| {
                (
                    (w.namespace.clone(), w.kind, w.name.clone()),
                    WorkloadId(i as u32),
                )
            })
            .collect();
        let mut scorer = Scorer {
            non_zero: Vec::new(),
            existing: Default::default(),
            topology: Topology::default(),
            workloads,
            classes: HashMap::new(),
        };
        for node in snapshot.node_ids() {
            scorer.node_added(snapshot, node);
        }
        scorer
    }

    /// `pod` was placed on `node`.
    pub fn pod_added(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId) {
        self.update(snapshot, pod, node, 1);
    }

    /// `pod` was removed from `node`.
    pub fn pod_removed(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId) {
        self.update(snapshot, pod, node, -1);
    }

    fn update(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId, delta: i32) {
        let p = snapshot.pod(pod);
        let (cpu, memory) = node_resources_fit::non_zero_requests(&p.spec.requests);
        if let Some(slot) = self.non_zero.get_mut(node.index()) {
            let d = i64::from(delta);
            slot.0 = slot.0.saturating_add(d.saturating_mul(cpu));
            slot.1 = slot.1.saturating_add(d.saturating_mul(memory));
        }
        self.existing.update(p, node, delta);
    }

    /// `node` was added to the snapshot (with its DaemonSet pods).
    pub fn node_added(&mut self, snapshot: &Snapshot, node: NodeId) {
        if self.non_zero.len() <= node.index() {
            self.non_zero.resize(node.index() + 1, (0, 0));
        }
        for &pod in &snapshot.info(node).pods {
            self.pod_added(snapshot, pod, node);
        }
    }

    /// `node`, the snapshot's last, is about to be removed.
    pub fn node_removing(&mut self, snapshot: &Snapshot, node: NodeId) {
        for &pod in &snapshot.info(node).pods {
            self.pod_removed(snapshot, pod, node);
        }
        self.non_zero.truncate(node.index());
        self.topology.truncate(node.index());
    }

    /// The workload whose selector gives `pod` its default spreading
    /// (see [`pod_topology_spread`]).
    fn default_spread_workload(&self, snapshot: &Snapshot, pod: PodId) -> Option<WorkloadId> {
        let cluster = snapshot.cluster();
        let p = snapshot.pod(pod);
        match p.origin {
            PodOrigin::Workload(w) => {
                let kind = cluster.workloads.get(w.0 as usize)?.kind;
                (kind != WorkloadKind::Job).then_some(w)
            }
            _ => {
                let owner = p.owner.as_ref()?;
                let kind = match owner.kind.as_str() {
                    "ReplicaSet" => WorkloadKind::ReplicaSet,
                    "StatefulSet" => WorkloadKind::StatefulSet,
                    _ => return None,
                };
                self.workloads
                    .get(&(p.namespace.clone(), kind, owner.name.clone()))
                    .copied()
            }
        }
    }

    /// Scores `feasible` nodes for `pod`: every plugin's normalised score
    /// and the weighted total.
    pub fn score(&mut self, snapshot: &Snapshot, pod: PodId, feasible: &[NodeId]) -> NodeScores {
        let p = snapshot.pod(pod);
        let spec = &p.spec;
        let workload = self.default_spread_workload(snapshot, pod);
        let class = class_cache(&mut self.classes, snapshot, p, workload);
        class.terms.refresh(snapshot, &self.existing, p);
        class.spread.refresh(snapshot, &p.namespace);
        let plugins = vec![
            (
                ScorePlugin::NodeResourcesFit,
                fit_scores(&self.non_zero, snapshot, spec, feasible),
            ),
            (
                ScorePlugin::NodeResourcesBalancedAllocation,
                balanced_allocation_scores(snapshot, spec, feasible),
            ),
            (
                ScorePlugin::TaintToleration,
                taint_toleration_scores(snapshot, spec, feasible),
            ),
            (
                ScorePlugin::NodeAffinity,
                node_affinity_scores(snapshot, spec, feasible),
            ),
            (
                ScorePlugin::InterPodAffinity,
                inter_pod_affinity_scores(
                    snapshot,
                    &self.existing,
                    &class.terms,
                    &mut self.topology,
                    feasible,
                ),
            ),
            (
                ScorePlugin::PodTopologySpread,
                pod_topology_spread_scores(
                    snapshot,
                    &class.spread,
                    spec,
                    &mut self.topology,
                    feasible,
                ),
            ),
        ];
        let total = weighted_total(&plugins, feasible.len());
        NodeScores {
            nodes: feasible.to_vec(),
            plugins,
            total,
        }
    }
}

/// The class cache of a pod (dropping every cache first when there are
/// [`MAX_CLASSES`] and this class is new).
fn class_cache<'a>(
    classes: &'a mut HashMap<ClassKey, ClassCache>,
    snapshot: &Snapshot,
    pod: &Pod,
    workload: Option<WorkloadId>,
) -> &'a mut ClassCache {
    let spec = &pod.spec;
    let key = ClassKey {
        namespace: pod.namespace.clone(),
        labels: pod.labels.clone(),
        spec: Arc::as_ptr(spec) as usize,
        workload,
    };
    if classes.len() >= MAX_CLASSES && !classes.contains_key(&key) {
        classes.clear();
    }
    classes.entry(key).or_insert_with(|| {
        let selector: Option<&LabelSelector> = workload
            .and_then(|w| snapshot.cluster().workloads.get(w.0 as usize))
            .map(|w| &w.selector);
        ClassCache {
            _spec: Arc::clone(spec),
            terms: Default::default(),
            spread: pod_topology_spread::ClassSpread::new(spec, selector),
        }
    })
}

/// NodeResourcesFit (LeastAllocated) on the nodes' non-zero requests.
fn fit_scores(
    non_zero: &[(i64, i64)],
    snapshot: &Snapshot,
    spec: &PodSpec,
    feasible: &[NodeId],
) -> Vec<i64> {
    let pod_non_zero = node_resources_fit::non_zero_requests(&spec.requests);
    feasible
        .iter()
        .map(|&n| {
            let requested = non_zero.get(n.index()).copied().unwrap_or_default();
            node_resources_fit::score(pod_non_zero, &snapshot.node(n).allocatable, requested)
        })
        .collect()
}

/// NodeResourcesBalancedAllocation: 0 everywhere for a best-effort pod.
fn balanced_allocation_scores(
    snapshot: &Snapshot,
    spec: &PodSpec,
    feasible: &[NodeId],
) -> Vec<i64> {
    if node_resources_balanced_allocation::is_best_effort(&spec.requests) {
        return vec![0; feasible.len()];
    }
    feasible
        .iter()
        .map(|&n| {
            node_resources_balanced_allocation::score(
                &spec.requests,
                &snapshot.node(n).allocatable,
                &snapshot.info(n).requested,
            )
        })
        .collect()
}

/// TaintToleration (PreferNoSchedule taints), normalised.
fn taint_toleration_scores(snapshot: &Snapshot, spec: &PodSpec, feasible: &[NodeId]) -> Vec<i64> {
    let tolerations = taint_toleration::prefer_no_schedule_tolerations(&spec.tolerations);
    let mut scores: Vec<i64> = feasible
        .iter()
        .map(|&n| taint_toleration::score(&snapshot.node(n).taints, &tolerations))
        .collect();
    taint_toleration::normalize(&mut scores);
    scores
}

/// NodeAffinity (preferred terms), normalised; 0 everywhere without any.
fn node_affinity_scores(snapshot: &Snapshot, spec: &PodSpec, feasible: &[NodeId]) -> Vec<i64> {
    if !node_affinity::has_preferences(spec) {
        return vec![0; feasible.len()];
    }
    let mut scores: Vec<i64> = feasible
        .iter()
        .map(|&n| node_affinity::score(spec, snapshot.node(n)))
        .collect();
    node_affinity::normalize(&mut scores);
    scores
}

/// InterPodAffinity, normalised.
fn inter_pod_affinity_scores(
    snapshot: &Snapshot,
    existing: &inter_pod_affinity::ExistingTerms,
    terms: &inter_pod_affinity::ClassTerms,
    topology: &mut Topology,
    feasible: &[NodeId],
) -> Vec<i64> {
    let mut scores = inter_pod_affinity::raw_scores(snapshot, existing, terms, topology, feasible);
    inter_pod_affinity::normalize(&mut scores);
    scores
}

/// PodTopologySpread, normalised; 0 everywhere when PreScore skips.
fn pod_topology_spread_scores(
    snapshot: &Snapshot,
    spread: &pod_topology_spread::ClassSpread,
    spec: &PodSpec,
    topology: &mut Topology,
    feasible: &[NodeId],
) -> Vec<i64> {
    if !spread.is_active() {
        return vec![0; feasible.len()];
    }
    let (mut scores, ignored) =
        pod_topology_spread::raw_scores(snapshot, spread, spec, topology, feasible);
    pod_topology_spread::normalize(&mut scores, &ignored);
    scores
}

/// Per node, the sum of the plugins' scores times their weights.
fn weighted_total(plugins: &[(ScorePlugin, Vec<i64>)], nodes: usize) -> Vec<i64> {
    let mut total = vec![0i64; nodes];
    for (plugin, scores) in plugins {
        for (t, s) in total.iter_mut().zip(scores) {
            *t = t.saturating_add(s.saturating_mul(plugin.weight()));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_normalize_score_follows_upstream() {
        let mut s = [10, 5, 0];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [100, 50, 0]);
        let mut r = [10, 5, 0];
        default_normalize_score(100, true, &mut r);
        assert_eq!(r, [0, 50, 100]);
        let mut z = [0, 0];
        default_normalize_score(100, true, &mut z);
        assert_eq!(z, [100, 100]);
        let mut z = [0, 0];
        default_normalize_score(100, false, &mut z);
        assert_eq!(z, [0, 0]);
    }

    #[test]
    fn best_prefers_lowest_index_on_ties() {
        let scores = NodeScores {
            nodes: vec![NodeId(3), NodeId(1), NodeId(2)],
            plugins: vec![],
            total: vec![5, 7, 7],
        };
        assert_eq!(scores.best(), Some(NodeId(1)));
    }
}
