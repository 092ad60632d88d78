//! `InterPodAffinity`: the incoming pod's required pod affinity and
//! anti-affinity, and the required anti-affinity of the pods already placed
//! (upstream `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`).
//!
//! [`State::new`] is upstream's PreFilter. It counts, per topology pair
//! (topology key, value), the placed pods that match the incoming pod's
//! affinity terms (a pod counts only if it matches *all* of them), its
//! anti-affinity terms (each matching term counts), and the placed pods whose
//! anti-affinity terms match the incoming pod. Selectors are matched once
//! per [`PodGroup`](super::PodGroup) of the snapshot (namespace, labels), and
//! the existing pods' anti-affinity terms once per distinct spec
//! ([`AntiAffinityGroup`](super::AntiAffinityGroup)).
//! [`State::add_pod`] / [`State::remove_pod`] are upstream's AddPod/RemovePod
//! (`preFilterState.updateWithPod`). [`State::filter`] checks, in upstream's
//! order, affinity, anti-affinity, then existing pods' anti-affinity.

use super::framework::Verdict;
use super::state::Snapshot;
use crate::model::{Cluster, Labels, NodeId, Pod, PodAffinityTerm, PodId};
use std::collections::{BTreeMap, HashMap};

/// Upstream's `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// Upstream's `ErrReasonAffinityRulesNotMatch`.
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
/// Upstream's `ErrReasonAntiAffinityRulesNotMatch`.
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";

/// `framework.AffinityTerm.Matches`: whether a pod in `namespace` with
/// `labels` is selected by `term`. Its namespace must be listed in the term
/// or selected by the term's namespace selector (against the namespace's
/// labels, [`Cluster::labels_of_namespace`]; a nil namespace selector selects
/// no namespace, an empty one every namespace), and its labels must match
/// the term's label selector (nil selects nothing).
pub fn term_matches(
    term: &PodAffinityTerm,
    cluster: &Cluster,
    namespace: &str,
    labels: &Labels,
) -> bool {
    if !term.selector.matches(labels) {
        return false;
    }
    if term.namespaces.iter().any(|n| n == namespace) {
        return true;
    }
    match &term.namespace_selector {
        None => false,
        Some(sel) if sel.is_empty() => true,
        Some(sel) => sel.matches(&cluster.labels_of_namespace(namespace)),
    }
}

/// Whether a pod matches every term (upstream `podMatchesAllAffinityTerms`):
/// false when there is no term.
fn matches_all(
    terms: &[PodAffinityTerm],
    cluster: &Cluster,
    namespace: &str,
    labels: &Labels,
) -> bool {
    !terms.is_empty()
        && terms
            .iter()
            .all(|t| term_matches(t, cluster, namespace, labels))
}

/// Counts of pods per topology pair (upstream `topologyToMatchedTermCount`),
/// keyed by topology key, then topology value. A pair whose count reaches
/// zero is removed, as upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopologyCounts {
    by_key: HashMap<String, HashMap<String, i64>>,
}

impl TopologyCounts {
    /// The count of the pair (`key`, `value`), 0 when absent.
    pub fn get(&self, key: &str, value: &str) -> i64 {
        self.by_key
            .get(key)
            .and_then(|values| values.get(value))
            .copied()
            .unwrap_or(0)
    }

    /// True when no pair has a non-zero count.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// All pairs with their counts, sorted (for tests and reports).
    pub fn to_map(&self) -> BTreeMap<(String, String), i64> {
        self.by_key
            .iter()
            .flat_map(|(k, values)| {
                values
                    .iter()
                    .map(move |(v, c)| ((k.clone(), v.clone()), *c))
            })
            .collect()
    }

    /// Adds `delta` to the pair (`key`, the node's value of `key`), if the
    /// node has the label (upstream `topologyToMatchedTermCount.update`).
    fn update(&mut self, node_labels: &Labels, key: &str, delta: i64) {
        let Some(value) = node_labels.get(key) else {
            return;
        };
        if delta == 0 {
            return;
        }
        let values = match self.by_key.get_mut(key) {
            Some(values) => values,
            None => self.by_key.entry(key.to_string()).or_default(),
        };
        match values.get_mut(value.as_str()) {
            Some(count) => {
                *count += delta;
                if *count == 0 {
                    values.remove(value.as_str());
                }
            }
            None => {
                values.insert(value.clone(), delta);
            }
        }
        if values.is_empty() {
            self.by_key.remove(key);
        }
    }

    /// Whether some pair (k, the node's value of k) has a positive count:
    /// upstream iterates over the node's labels; iterating over the (few)
    /// topology keys present gives the same answer.
    fn any_on_node(&self, node_labels: &Labels) -> bool {
        self.by_key.iter().any(|(key, values)| {
            node_labels
                .get(key)
                .and_then(|v| values.get(v.as_str()))
                .is_some_and(|c| *c > 0)
        })
    }
}

/// Placed pods whose required anti-affinity terms match `incoming`, per
/// topology pair (upstream `getExistingAntiAffinityCounts`). Upstream adds
/// 1 per pod and matching term; the match depends only on the terms and
/// the incoming pod, so each [`AntiAffinityGroup`](super::AntiAffinityGroup)
/// (pods sharing a spec) is matched once and adds its per-node counts.
fn existing_anti_affinity_counts(snapshot: &Snapshot, incoming: &Pod) -> TopologyCounts {
    let cluster = snapshot.cluster();
    let mut counts = TopologyCounts::default();
    for group in snapshot.anti_affinity_groups() {
        if group.per_node.is_empty() {
            continue;
        }
        for term in &group.spec.pod_anti_affinity {
            if !term_matches(term, cluster, &incoming.namespace, &incoming.labels) {
                continue;
            }
            for (&node_id, &count) in &group.per_node {
                let node_labels = &snapshot.node(node_id).labels;
                counts.update(node_labels, &term.topology_key, i64::from(count));
            }
        }
    }
    counts
}

/// Placed pods matching all of `incoming`'s required affinity terms, and
/// matching each of its required anti-affinity terms, per topology pair
/// (upstream `getIncomingAffinityAntiAffinityCounts`), one label group at a
/// time, among the groups that carry a label pair the selectors require.
fn incoming_affinity_counts(
    snapshot: &Snapshot,
    incoming: &Pod,
) -> (TopologyCounts, TopologyCounts) {
    let cluster = snapshot.cluster();
    let affinity = &incoming.spec.pod_affinity;
    let anti_affinity = &incoming.spec.pod_anti_affinity;
    let mut affinity_counts = TopologyCounts::default();
    let mut anti_affinity_counts = TopologyCounts::default();
    if affinity.is_empty() && anti_affinity.is_empty() {
        return (affinity_counts, anti_affinity_counts);
    }
    let mut anti_matched: Vec<bool> = Vec::with_capacity(anti_affinity.len());
    // Only groups carrying a label pair the selectors require can match.
    let groups = snapshot.groups();
    let candidates = match State::concerning_labels(incoming) {
        Some(pairs) => snapshot.groups_with_labels(&pairs),
        None => (0..groups.len() as u32).collect(),
    };
    for group in candidates.iter().filter_map(|&g| groups.get(g as usize)) {
        if group.per_node.is_empty() {
            continue;
        }
        let all_affinity = matches_all(affinity, cluster, &group.namespace, &group.labels);
        anti_matched.clear();
        anti_matched.extend(
            anti_affinity
                .iter()
                .map(|t| term_matches(t, cluster, &group.namespace, &group.labels)),
        );
        if !all_affinity && !anti_matched.contains(&true) {
            continue;
        }
        for (&node_id, &count) in &group.per_node {
            let node_labels = &snapshot.node(node_id).labels;
            let count = i64::from(count);
            if all_affinity {
                for term in affinity {
                    affinity_counts.update(node_labels, &term.topology_key, count);
                }
            }
            let matched_terms = anti_affinity.iter().zip(&anti_matched).filter(|(_, m)| **m);
            for (term, _) in matched_terms {
                anti_affinity_counts.update(node_labels, &term.topology_key, count);
            }
        }
    }
    (affinity_counts, anti_affinity_counts)
}

/// Precomputed per-pod state (upstream's `preFilterState`).
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Placed pods whose required anti-affinity terms match the incoming pod.
    existing_anti_affinity: TopologyCounts,
    /// Placed pods matching all the incoming pod's required affinity terms.
    affinity: TopologyCounts,
    /// Placed pods matching the incoming pod's required anti-affinity terms.
    anti_affinity: TopologyCounts,
    /// The incoming pod matches all its own affinity terms ("first pod" rule).
    self_affinity: bool,
}

impl State {
    /// PreFilter: counts the snapshot's placed pods for `pod` (which should
    /// not itself be placed). Cost: O(groups × terms) selector matches plus
    /// O(nodes the matching groups are on), and one match per distinct spec
    /// of the pods with required anti-affinity.
    pub fn new(snapshot: &Snapshot, pod: PodId) -> Self {
        let cluster = snapshot.cluster();
        let incoming = snapshot.pod(pod);
        let (affinity, anti_affinity) = incoming_affinity_counts(snapshot, incoming);
        State {
            existing_anti_affinity: existing_anti_affinity_counts(snapshot, incoming),
            affinity,
            anti_affinity,
            self_affinity: matches_all(
                &incoming.spec.pod_affinity,
                cluster,
                &incoming.namespace,
                &incoming.labels,
            ),
        }
    }

    /// AddPod: `added` was placed on `node` after the state was computed.
    pub fn add_pod(&mut self, snapshot: &Snapshot, pod: PodId, added: PodId, node: NodeId) {
        self.update_with_pod(snapshot, pod, added, node, 1);
    }

    /// RemovePod: `removed` was removed from `node` after the state was computed.
    pub fn remove_pod(&mut self, snapshot: &Snapshot, pod: PodId, removed: PodId, node: NodeId) {
        self.update_with_pod(snapshot, pod, removed, node, -1);
    }

    /// Whether adding or removing `other` (on any node) may change the
    /// state of `incoming`: false means [`State::add_pod`] and
    /// [`State::remove_pod`] leave it as it is. The same tests as
    /// `update_with_pod`, without the node: they read only `other`'s
    /// namespace, labels and anti-affinity terms, so callers may memoize
    /// the answer per such triple.
    pub fn concerns(cluster: &Cluster, incoming: &Pod, other: &Pod) -> bool {
        other
            .spec
            .pod_anti_affinity
            .iter()
            .any(|t| term_matches(t, cluster, &incoming.namespace, &incoming.labels))
            || matches_all(
                &incoming.spec.pod_affinity,
                cluster,
                &other.namespace,
                &other.labels,
            )
            || incoming
                .spec
                .pod_anti_affinity
                .iter()
                .any(|t| term_matches(t, cluster, &other.namespace, &other.labels))
    }

    /// Upstream `preFilterState.updateWithPod`.
    fn update_with_pod(
        &mut self,
        snapshot: &Snapshot,
        pod: PodId,
        other: PodId,
        node: NodeId,
        delta: i64,
    ) {
        let cluster = snapshot.cluster();
        let incoming = snapshot.pod(pod);
        let other = snapshot.pod(other);
        let node_labels = &snapshot.node(node).labels;
        for term in &other.spec.pod_anti_affinity {
            if term_matches(term, cluster, &incoming.namespace, &incoming.labels) {
                self.existing_anti_affinity
                    .update(node_labels, &term.topology_key, delta);
            }
        }
        let affinity = &incoming.spec.pod_affinity;
        if matches_all(affinity, cluster, &other.namespace, &other.labels) {
            for term in affinity {
                self.affinity.update(node_labels, &term.topology_key, delta);
            }
        }
        for term in &incoming.spec.pod_anti_affinity {
            if term_matches(term, cluster, &other.namespace, &other.labels) {
                self.anti_affinity
                    .update(node_labels, &term.topology_key, delta);
            }
        }
    }

    /// Label pairs one of which every pod that concerns `incoming` (see
    /// [`State::concerns`]) carries, unless that pod's own anti-affinity
    /// terms select `incoming`: the required pairs of one affinity term
    /// (a pod must match them all) and of every anti-affinity term. None
    /// when a selector needs no particular pair.
    pub fn concerning_labels(incoming: &Pod) -> Option<Vec<(&str, &str)>> {
        let spec = &incoming.spec;
        let mut pairs = Vec::new();
        if !spec.pod_affinity.is_empty() {
            let term = spec
                .pod_affinity
                .iter()
                .find_map(|t| t.selector.required_pairs())?;
            pairs.extend(term);
        }
        for term in &spec.pod_anti_affinity {
            pairs.extend(term.selector.required_pairs()?);
        }
        Some(pairs)
    }

    /// Filter: O(terms + distinct topology keys of the existing pods'
    /// matching anti-affinity terms) hash lookups.
    pub fn filter(&self, snapshot: &Snapshot, pod: &Pod, node: NodeId) -> Verdict {
        let node_labels = &snapshot.node(node).labels;
        if !self.satisfies_pod_affinity(pod, node_labels) {
            return Err(vec![ERR_REASON_AFFINITY_RULES_NOT_MATCH.into()]);
        }
        if !self.satisfies_pod_anti_affinity(pod, node_labels) {
            return Err(vec![ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH.into()]);
        }
        if self.existing_anti_affinity.any_on_node(node_labels) {
            return Err(vec![
                ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH.into()
            ]);
        }
        Ok(())
    }

    /// Upstream `satisfyPodAffinity`: every term's topology key must be on
    /// the node, and every term's domain must hold a matching pod, unless no
    /// pod anywhere matches and the pod matches its own terms.
    fn satisfies_pod_affinity(&self, pod: &Pod, node_labels: &Labels) -> bool {
        let mut pods_exist = true;
        for term in &pod.spec.pod_affinity {
            match node_labels.get(&term.topology_key) {
                Some(value) => {
                    if self.affinity.get(&term.topology_key, value) <= 0 {
                        pods_exist = false;
                    }
                }
                None => return false,
            }
        }
        pods_exist || (self.affinity.is_empty() && self.self_affinity)
    }

    /// Upstream `satisfyPodAntiAffinity`: no term's domain (on a node that
    /// has its topology key) holds a matching pod.
    fn satisfies_pod_anti_affinity(&self, pod: &Pod, node_labels: &Labels) -> bool {
        if self.anti_affinity.is_empty() {
            return true;
        }
        pod.spec.pod_anti_affinity.iter().all(|term| {
            node_labels
                .get(&term.topology_key)
                .is_none_or(|value| self.anti_affinity.get(&term.topology_key, value) <= 0)
        })
    }

    /// Placed pods whose required anti-affinity terms match the incoming
    /// pod, per topology pair (upstream `existingAntiAffinityCounts`).
    pub fn existing_anti_affinity_counts(&self) -> &TopologyCounts {
        &self.existing_anti_affinity
    }

    /// Placed pods matching all the incoming pod's required affinity terms,
    /// per topology pair (upstream `affinityCounts`).
    pub fn affinity_counts(&self) -> &TopologyCounts {
        &self.affinity
    }

    /// Placed pods matching the incoming pod's required anti-affinity terms,
    /// per topology pair (upstream `antiAffinityCounts`).
    pub fn anti_affinity_counts(&self) -> &TopologyCounts {
        &self.anti_affinity
    }
}
