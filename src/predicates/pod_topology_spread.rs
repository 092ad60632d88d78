//! `PodTopologySpread`: the pod's `DoNotSchedule` topology spread
//! constraints (`ScheduleAnyway` ones only score) (upstream
//! `pkg/scheduler/framework/plugins/podtopologyspread/filtering.go` and
//! `common.go`).
//!
//! [`State::new`] is upstream's PreFilter (`calPreFilterState`). A node is
//! *eligible* for a constraint when it carries the topology keys of all the
//! pod's constraints and passes the constraint's node inclusion policies
//! (`nodeAffinityPolicy`, default Honor: the pod's node selector and required
//! node affinity; `nodeTaintsPolicy`, default Ignore: Honor excludes nodes
//! with a NoSchedule/NoExecute taint the pod does not tolerate). Each
//! eligible node's topology value is a domain; its count is the number of
//! placed, non-terminating pods of the pod's namespace that match the
//! constraint's selector. Selectors are matched once per
//! [`PodGroup`](super::PodGroup), whose per-node counts are then added up.
//!
//! [`State::filter`] applies, per constraint in order: a node without the
//! topology key fails with [`ERR_REASON_NODE_LABEL_NOT_MATCH`]; otherwise
//! `count(domain) + selfMatch - globalMin > maxSkew` fails with
//! [`ERR_REASON_CONSTRAINTS_NOT_MATCH`], where the global minimum is 0 while
//! there are fewer domains than `minDomains` (default 1).
//!
//! Upstream tracks the minimum with two "critical paths", exact only for
//! preemption's single-node removals; here the minimum is kept exact (a
//! histogram of domain counts) under any sequence of
//! [`State::add_pod`] / [`State::remove_pod`], so incremental updates always
//! agree with recomputing the state. A node added to the snapshot after the
//! state was computed becomes a domain only when a matching pod is added to
//! it (as upstream's AddPod): recompute the state after adding nodes.

use super::framework::Verdict;
use super::node_affinity::required_matches;
use super::state::Snapshot;
use super::taint_toleration::{find_untolerated, is_hard};
use crate::model::{
    InclusionPolicy, Node, NodeId, Pod, PodId, PodSpec, TopologySpreadConstraint,
    UnsatisfiableAction,
};
use std::collections::{BTreeMap, HashMap};

/// Upstream's `ErrReasonConstraintsNotMatch`.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// Upstream's `ErrReasonNodeLabelNotMatch`.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// Marks a node that is not eligible for a constraint (in `State::new`).
const NOT_ELIGIBLE: u32 = u32::MAX;

/// One `DoNotSchedule` constraint's counts.
#[derive(Debug, Clone, Default)]
struct ConstraintState {
    /// Index of the constraint in `spec.topology_spread`.
    index: usize,
    /// The incoming pod matches the constraint's selector (selfMatchNum).
    self_match: bool,
    /// Matching pods per domain (topology value) of the eligible nodes
    /// (upstream `TpValueToMatchNum[i]`); a domain stays when its count
    /// drops to 0.
    counts: HashMap<String, i32>,
    /// How many domains have each count: the first key is the global minimum.
    histogram: BTreeMap<i32, u32>,
}

impl ConstraintState {
    /// The smallest domain count, None without domains.
    fn min_count(&self) -> Option<i32> {
        self.histogram.keys().next().copied()
    }

    /// Upstream `preFilterState.minMatchNum`: the global minimum, 0 while
    /// there are fewer domains than `min_domains`.
    fn min_match_num(&self, min_domains: i32) -> i64 {
        let min = i64::from(self.min_count().unwrap_or(i32::MAX));
        if (self.counts.len() as i64) < i64::from(min_domains) {
            0
        } else {
            min
        }
    }

    /// Adds `delta` to a domain's count (creating the domain if needed, as
    /// upstream's `TpValueToMatchNum[i][v] += delta`).
    fn bump(&mut self, value: &str, delta: i32) {
        let new = match self.counts.get_mut(value) {
            Some(count) => {
                let old = *count;
                *count += delta;
                if let Some(n) = self.histogram.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        self.histogram.remove(&old);
                    }
                }
                old + delta
            }
            None => {
                self.counts.insert(value.to_string(), delta);
                delta
            }
        };
        *self.histogram.entry(new).or_insert(0) += 1;
    }
}

/// Whether the node passes the constraint's node inclusion policies
/// (upstream `topologySpreadConstraint.matchNodeInclusionPolicies`).
fn included(constraint: &TopologySpreadConstraint, spec: &PodSpec, node: &Node) -> bool {
    if constraint.node_affinity_policy == InclusionPolicy::Honor && !required_matches(spec, node) {
        return false;
    }
    if constraint.node_taints_policy == InclusionPolicy::Honor
        && find_untolerated(&node.taints, &spec.tolerations, is_hard).is_some()
    {
        return false;
    }
    true
}

/// Upstream `nodeLabelsMatchSpreadConstraints`: the node has the topology
/// keys of all the constraints.
fn has_all_keys<'a>(
    node: &Node,
    mut constraints: impl Iterator<Item = &'a TopologySpreadConstraint>,
) -> bool {
    constraints.all(|c| node.labels.contains_key(&c.topology_key))
}

/// Whether a placed pod's labels count for a constraint (upstream
/// `countPodsMatchSelector`: an empty selector counts no pod, a nil one
/// matches none).
fn counts_labels(constraint: &TopologySpreadConstraint, labels: &crate::model::Labels) -> bool {
    !constraint.selector.is_empty() && constraint.selector.matches(labels)
}

/// Label pairs one of which every pod counted for one of `constraints`
/// carries (see [`counts_labels`]); None when a selector needs no
/// particular pair.
fn required_pairs<'a>(
    constraints: impl Iterator<Item = &'a TopologySpreadConstraint>,
) -> Option<Vec<(&'a str, &'a str)>> {
    let mut pairs = Vec::new();
    for c in constraints {
        // An empty selector counts no pod.
        if !c.selector.is_empty() {
            pairs.extend(c.selector.required_pairs()?);
        }
    }
    Some(pairs)
}

/// Precomputed per-pod state (upstream's `preFilterState`).
#[derive(Debug, Clone, Default)]
pub struct State {
    constraints: Vec<ConstraintState>,
}

impl State {
    /// PreFilter. Cost: O(nodes × constraints) to find the eligible nodes'
    /// domains, plus O(groups × constraints) selector matches and the
    /// per-node counts of the matching groups of the pod's namespace.
    pub fn new(snapshot: &Snapshot, pod: PodId) -> Self {
        let incoming = snapshot.pod(pod);
        let spec = &incoming.spec;
        let defs: Vec<(usize, &TopologySpreadConstraint)> = spec
            .topology_spread
            .iter()
            .enumerate()
            .filter(|(_, c)| c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule)
            .collect();
        if defs.is_empty() {
            return State::default();
        }

        // Domains of the eligible nodes: node -> domain index, per constraint.
        let node_count = snapshot.node_count();
        let mut node_domain: Vec<Vec<u32>> = vec![vec![NOT_ELIGIBLE; node_count]; defs.len()];
        let mut domains: Vec<Vec<&str>> = vec![Vec::new(); defs.len()];
        let mut domain_index: Vec<HashMap<&str, u32>> = vec![HashMap::new(); defs.len()];
        for node_id in snapshot.node_ids() {
            let node = snapshot.node(node_id);
            if !has_all_keys(node, defs.iter().map(|(_, c)| *c)) {
                continue;
            }
            for (i, (_, c)) in defs.iter().enumerate() {
                if !included(c, spec, node) {
                    continue;
                }
                let value = node.labels[&c.topology_key].as_str();
                let d = *domain_index[i].entry(value).or_insert_with(|| {
                    domains[i].push(value);
                    (domains[i].len() - 1) as u32
                });
                node_domain[i][node_id.index()] = d;
            }
        }

        // Matching pods per domain, one selector match per label group,
        // among the groups carrying a label pair the selectors require.
        let mut counts: Vec<Vec<i32>> = domains.iter().map(|d| vec![0; d.len()]).collect();
        let groups = snapshot.groups();
        let candidates = match required_pairs(defs.iter().map(|(_, c)| *c)) {
            Some(pairs) => snapshot.groups_with_labels(&pairs),
            None => (0..groups.len() as u32).collect(),
        };
        for group in candidates.iter().filter_map(|&g| groups.get(g as usize)) {
            if group.terminating || group.namespace != incoming.namespace {
                continue;
            }
            for (i, (_, c)) in defs.iter().enumerate() {
                if !counts_labels(c, &group.labels) {
                    continue;
                }
                for (&node_id, &n) in &group.per_node {
                    match node_domain[i].get(node_id.index()) {
                        Some(&d) if d != NOT_ELIGIBLE => counts[i][d as usize] += n as i32,
                        _ => {}
                    }
                }
            }
        }

        let constraints = defs
            .iter()
            .enumerate()
            .map(|(i, (index, c))| {
                let mut state = ConstraintState {
                    index: *index,
                    self_match: c.selector.matches(&incoming.labels),
                    counts: HashMap::with_capacity(domains[i].len()),
                    histogram: BTreeMap::new(),
                };
                for (value, count) in domains[i].iter().zip(&counts[i]) {
                    state.counts.insert((*value).to_string(), *count);
                    *state.histogram.entry(*count).or_insert(0) += 1;
                }
                state
            })
            .collect();
        State { constraints }
    }

    /// AddPod: `added` was placed on `node` after the state was computed.
    pub fn add_pod(&mut self, snapshot: &Snapshot, pod: PodId, added: PodId, node: NodeId) {
        self.update_with_pod(snapshot, pod, added, node, 1);
    }

    /// AddNode: `node` joined the snapshot after the state was computed,
    /// with the pods already on it (a new node's DaemonSet pods): an
    /// eligible node's domain enters with their count, as a recomputed
    /// state would have it (PreFilter's domains are the eligible nodes').
    /// O(constraints + pods on the node), where recomputing is O(cluster).
    pub fn add_node(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId) {
        if self.constraints.is_empty() {
            return;
        }
        let spec = &snapshot.pod(pod).spec;
        let joined = snapshot.node(node);
        let keys = self
            .constraints
            .iter()
            .map(|c| &spec.topology_spread[c.index]);
        if !has_all_keys(joined, keys) {
            return;
        }
        for state in &mut self.constraints {
            let c = &spec.topology_spread[state.index];
            if included(c, spec, joined) {
                state.bump(&joined.labels[&c.topology_key], 0);
            }
        }
        for &other in &snapshot.info(node).pods {
            self.add_pod(snapshot, pod, other, node);
        }
    }

    /// RemovePod: `removed` was removed from `node` after the state was computed.
    pub fn remove_pod(&mut self, snapshot: &Snapshot, pod: PodId, removed: PodId, node: NodeId) {
        self.update_with_pod(snapshot, pod, removed, node, -1);
    }

    /// Whether adding or removing `other` (on any node) may change the
    /// state of `incoming`: false means [`State::add_pod`] and
    /// [`State::remove_pod`] leave it as it is. The same tests as
    /// `update_with_pod`, without the node: they read only `other`'s
    /// namespace, labels and terminating flag, so callers may memoize the
    /// answer per such triple.
    pub fn concerns(&self, incoming: &Pod, other: &Pod) -> bool {
        other.namespace == incoming.namespace
            && !other.terminating
            && self.constraints.iter().any(|state| {
                let c = &incoming.spec.topology_spread[state.index];
                counts_labels(c, &other.labels)
            })
    }

    /// Upstream `PodTopologySpread.updateWithPod`, but skipping terminating
    /// pods and empty selectors as PreFilter's counting does, so that
    /// updates agree with a recomputed state.
    fn update_with_pod(
        &mut self,
        snapshot: &Snapshot,
        pod: PodId,
        other: PodId,
        node: NodeId,
        delta: i32,
    ) {
        if self.constraints.is_empty() {
            return;
        }
        let incoming = snapshot.pod(pod);
        let other = snapshot.pod(other);
        if other.namespace != incoming.namespace || other.terminating {
            return;
        }
        let spec = &incoming.spec;
        let node = snapshot.node(node);
        if !has_all_keys(
            node,
            self.constraints
                .iter()
                .map(|c| &spec.topology_spread[c.index]),
        ) {
            return;
        }
        for state in &mut self.constraints {
            let c = &spec.topology_spread[state.index];
            if !counts_labels(c, &other.labels) || !included(c, spec, node) {
                continue;
            }
            state.bump(&node.labels[&c.topology_key], delta);
        }
    }

    /// Label pairs one of which every pod that concerns `incoming` (see
    /// [`State::concerns`]) carries: the required pairs of each constraint
    /// that counts pods. None when a selector needs no particular pair.
    pub fn concerning_labels<'p>(&self, incoming: &'p Pod) -> Option<Vec<(&'p str, &'p str)>> {
        let spread = &incoming.spec.topology_spread;
        required_pairs(self.constraints.iter().filter_map(|s| spread.get(s.index)))
    }

    /// Filter: O(constraints) hash lookups.
    pub fn filter(&self, snapshot: &Snapshot, pod: &Pod, node: NodeId) -> Verdict {
        let node_labels = &snapshot.node(node).labels;
        for state in &self.constraints {
            let c = &pod.spec.topology_spread[state.index];
            let Some(value) = node_labels.get(&c.topology_key) else {
                return Err(vec![ERR_REASON_NODE_LABEL_NOT_MATCH.into()]);
            };
            let min = state.min_match_num(c.min_domains.unwrap_or(1));
            let match_num = i64::from(state.counts.get(value.as_str()).copied().unwrap_or(0));
            let skew = match_num + i64::from(state.self_match) - min;
            if skew > i64::from(c.max_skew) {
                return Err(vec![ERR_REASON_CONSTRAINTS_NOT_MATCH.into()]);
            }
        }
        Ok(())
    }

    /// Number of `DoNotSchedule` constraints the state holds.
    pub fn constraint_count(&self) -> usize {
        self.constraints.len()
    }

    /// The `i`-th `DoNotSchedule` constraint's matching pod count per domain
    /// (upstream `TpValueToMatchNum[i]`), sorted.
    pub fn domain_counts(&self, i: usize) -> BTreeMap<String, i32> {
        self.constraints[i]
            .counts
            .iter()
            .map(|(v, c)| (v.clone(), *c))
            .collect()
    }

    /// The `i`-th `DoNotSchedule` constraint's smallest domain count
    /// (upstream `CriticalPaths[i][0].MatchNum`), None without domains.
    pub fn min_domain_count(&self, i: usize) -> Option<i32> {
        self.constraints[i].min_count()
    }
}
