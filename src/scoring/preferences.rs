//! Soft preferences: the violation weight of a placement, `place`'s third
//! objective (after the cost of the new nodes and the unplaced pods), kept
//! incrementally by an [`Index`] as pods move.
//!
//! **Violation weight.** A pending pod on a node violates, with weight:
//! - each of its `preferred_node_affinity` terms the node does not match:
//!   the term's weight (terms of weight 0 and empty terms are ignored, as
//!   upstream's NodeAffinity score ignores them);
//! - each `PreferNoSchedule` taint of the node it does not tolerate: 1
//!   (what kube-scheduler's TaintToleration score counts);
//! - each of its `preferred_pod_affinity` terms with no matching pod (other
//!   than itself) in the node's domain of the term's topology key: the
//!   term's weight (a node without the key has no domain: violated);
//! - each of its `preferred_pod_anti_affinity` terms with a matching pod
//!   (other than itself) in that domain: the term's weight.
//!
//! A plan's total is the sum over its placed pending pods ([`total`]).
//!
use crate::model::{
    Node, NodeId, PodAffinityTerm, PodId, PodSpec, TaintEffect, WeightedPodAffinityTerm,
};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::Snapshot;
use crate::scoring::taint_toleration;
use std::collections::HashMap;
use std::sync::Arc;

/// Domain of a node without the topology key.
const MISSING: u32 = u32::MAX;

/// The violation weight of `pod` placed on `node`, with every other pod of
/// the snapshot where it is (see the module docs). The pod itself never
/// counts for its own pod (anti-)affinity terms, wherever it is placed.
pub(crate) fn violations(snapshot: &Snapshot, pod: PodId, node: NodeId) -> i64 {
    let p = snapshot.pod(pod);
    let spec = &p.spec;
    let n = snapshot.node(node);
    let mut weight = static_weight(spec, n);
    let cluster = snapshot.cluster();
    let own = snapshot.placement(pod);
    let domain_of = |key: &str, id: NodeId| snapshot.node(id).labels.get(key).cloned();
    for (t, anti) in signed_terms(spec) {
        let w = i64::from(t.weight);
        let Some(value) = n.labels.get(&t.term.topology_key) else {
            weight += if anti { 0 } else { w };
            continue;
        };
        let mut count: i64 = 0;
        for g in snapshot.groups() {
            if !term_matches(&t.term, cluster, &g.namespace, &g.labels) {
                continue;
            }
            for (&other, &k) in &g.per_node {
                if domain_of(&t.term.topology_key, other).as_ref() == Some(value) {
                    count += i64::from(k);
                }
            }
        }
        // The pod itself, where it is placed, is no other pod.
        if let Some(at) = own {
            if term_matches(&t.term, cluster, &p.namespace, &p.labels)
                && domain_of(&t.term.topology_key, at).as_ref() == Some(value)
            {
                count -= 1;
            }
        }
        let violated = if anti { count > 0 } else { count <= 0 };
        if violated {
            weight += w;
        }
    }
    weight
}

/// The plan's total violation weight: the sum of [`violations`] over
/// `placed` (the placed pending pods), on the final `snapshot`.
pub(crate) fn total(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> u64 {
    if !has_preferences(snapshot, placed) {
        return 0;
    }
    let index = Index::new(snapshot, placed);
    placed
        .iter()
        .map(|&(pod, node)| index.own(snapshot, pod, node).max(0) as u64)
        .sum()
}

/// Whether any placed pod has a preferred term or any node a
/// `PreferNoSchedule` taint: without either every weight is 0.
fn has_preferences(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> bool {
    let tainted = snapshot.node_ids().any(|n| {
        snapshot
            .node(n)
            .taints
            .iter()
            .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    });
    tainted
        || placed.iter().any(|&(pod, _)| {
            let spec = &snapshot.pod(pod).spec;
            !spec.preferred_node_affinity.is_empty()
                || !spec.preferred_pod_affinity.is_empty()
                || !spec.preferred_pod_anti_affinity.is_empty()
        })
}

/// The node-local part of the weight: unmatched preferred node affinity
/// terms and untolerated `PreferNoSchedule` taints.
fn static_weight(spec: &PodSpec, node: &Node) -> i64 {
    let affinity: i64 = spec
        .preferred_node_affinity
        .iter()
        .filter(|t| {
            t.weight != 0
                && !(t.term.match_expressions.is_empty() && t.term.match_fields.is_empty())
                && !t.term.matches(&node.labels, &node.name)
        })
        .map(|t| i64::from(t.weight))
        .sum();
    let taints = if node
        .taints
        .iter()
        .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    {
        let tolerations = taint_toleration::prefer_no_schedule_tolerations(&spec.tolerations);
        taint_toleration::score(&node.taints, &tolerations)
    } else {
        0
    };
    affinity + taints
}

/// One distinct preferred pod (anti-)affinity term.
struct Term {
    /// Index into [`Index::domains`].
    key: usize,
    weight: i64,
    anti: bool,
    term: PodAffinityTerm,
}

/// Counts the weights need, kept in step with the moves.
pub(crate) struct Index {
    /// Per topology key, each node's domain (or [`MISSING`]).
    domains: Vec<Vec<u32>>,
    terms: Vec<Term>,
    /// Per term, the placed pods matching it per domain.
    counts: Vec<Vec<i64>>,
    /// Per term, the placed pending pods holding it per domain:
    /// `[not matching it themselves, matching it]`.
    owners: Vec<Vec<[i64; 2]>>,
    /// Per spec (pointer), its terms.
    spec_terms: HashMap<usize, Vec<usize>>,
    /// Per spec (pointer), the node-local weight on each node.
    statics: HashMap<usize, Vec<i64>>,
}

/// A spec's identity: specs are shared between a workload's pods.
pub(crate) fn spec_key(spec: &Arc<PodSpec>) -> usize {
    Arc::as_ptr(spec) as usize
}

impl Index {
    /// The index of `placed` (the placed pending pods) on `snapshot`: the
    /// terms of their specs, the node-local weights, and the counts per
    /// domain of the pods matching and holding each term.
    pub(crate) fn new(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> Self {
        let specs = Specs::collect(snapshot, placed);
        let domains = domains_of(snapshot, &specs.keys);
        let counts = matching_counts(snapshot, &specs.terms, &domains);
        let mut index = Index {
            domains,
            terms: specs.terms,
            counts,
            owners: Vec::new(),
            spec_terms: specs.spec_terms,
            statics: specs.statics,
        };
        let node_count = snapshot.node_count();
        debug_assert!(node_count == index.domains.first().map_or(node_count, Vec::len));
        index.owners = index.owner_counts(snapshot, placed);
        index
    }

    /// Per term, the pods of `placed` holding it per domain, split by
    /// whether they match it themselves.
    fn owner_counts(&self, snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> Vec<Vec<[i64; 2]>> {
        let mut owners: Vec<Vec<[i64; 2]>> =
            self.counts.iter().map(|c| vec![[0; 2]; c.len()]).collect();
        for &(pod, node) in placed {
            for (t, matched) in self.owned(snapshot, pod) {
                let d = self.domains[self.terms[t].key][node.index()];
                if d != MISSING {
                    owners[t][d as usize][usize::from(matched)] += 1;
                }
            }
        }
        owners
    }

    /// The terms of `pod`'s spec, each with whether the pod matches it.
    pub(crate) fn owned(&self, snapshot: &Snapshot, pod: PodId) -> Vec<(usize, bool)> {
        let p = snapshot.pod(pod);
        let cluster = snapshot.cluster();
        self.spec_terms
            .get(&spec_key(&p.spec))
            .map(|ts| {
                ts.iter()
                    .map(|&t| {
                        (
                            t,
                            term_matches(&self.terms[t].term, cluster, &p.namespace, &p.labels),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The terms (of any placed pending pod) that `pod` matches.
    pub(crate) fn matched_by(&self, snapshot: &Snapshot, pod: PodId) -> Vec<usize> {
        let p = snapshot.pod(pod);
        let cluster = snapshot.cluster();
        (0..self.terms.len())
            .filter(|&t| term_matches(&self.terms[t].term, cluster, &p.namespace, &p.labels))
            .collect()
    }

    /// `pod`'s own weight on `node`, the other pods where they are (the pod
    /// itself, if placed, not counting for its terms).
    pub(crate) fn own(&self, snapshot: &Snapshot, pod: PodId, node: NodeId) -> i64 {
        let spec = &snapshot.pod(pod).spec;
        let sk = spec_key(spec);
        let mut weight = match self.statics.get(&sk) {
            Some(s) => s[node.index()],
            None => static_weight(spec, snapshot.node(node)),
        };
        let at = snapshot.placement(pod);
        for (t, matched) in self.owned(snapshot, pod) {
            let term = &self.terms[t];
            let d = self.domains[term.key][node.index()];
            if d == MISSING {
                weight += if term.anti { 0 } else { term.weight };
                continue;
            }
            let mut count = self.counts[t][d as usize];
            if matched && at.is_some_and(|a| self.domains[term.key][a.index()] == d) {
                count -= 1;
            }
            let violated = if term.anti { count > 0 } else { count <= 0 };
            if violated {
                weight += term.weight;
            }
        }
        weight
    }

    /// Change of the plan's total when `pod` moves from `from` to `to`:
    /// its own weight, and the weights of the other owners of the terms
    /// it matches (`matched`) in the two domains.
    pub(crate) fn delta(
        &self,
        snapshot: &Snapshot,
        pod: PodId,
        (from, to): (NodeId, NodeId),
        matched: &[usize],
        owned: &[(usize, bool)],
    ) -> i64 {
        let mut delta = self.own(snapshot, pod, to) - self.own(snapshot, pod, from);
        for &t in matched {
            let term = &self.terms[t];
            let a = self.domains[term.key][from.index()];
            let b = self.domains[term.key][to.index()];
            if a == b {
                continue;
            }
            // Pods flipping between violated and not, per domain: an owner
            // that does not match the term sees `count` others, one that
            // does sees `count - 1`.
            let w = term.weight;
            let sign = if term.anti { -1 } else { 1 };
            if a != MISSING {
                let c = self.counts[t][a as usize];
                let [mut plain, mut selfish] = self.owners[t][a as usize];
                if let Some((_, m)) = owned.iter().find(|(o, _)| *o == t) {
                    if *m {
                        selfish -= 1;
                    } else {
                        plain -= 1;
                    }
                }
                // The pod leaves: others drop by one.
                if c == 1 {
                    delta += sign * w * plain;
                }
                if c == 2 {
                    delta += sign * w * selfish;
                }
            }
            if b != MISSING {
                let c = self.counts[t][b as usize];
                let [plain, selfish] = self.owners[t][b as usize];
                // The pod arrives: others grow by one.
                if c == 0 {
                    delta -= sign * w * plain;
                }
                if c == 1 {
                    delta -= sign * w * selfish;
                }
            }
        }
        delta
    }

    /// Records the move of `pod` from `from` to `to`.
    pub(crate) fn apply(
        &mut self,
        (from, to): (NodeId, NodeId),
        matched: &[usize],
        owned: &[(usize, bool)],
    ) {
        for &t in matched {
            let key = self.terms[t].key;
            let (a, b) = (
                self.domains[key][from.index()],
                self.domains[key][to.index()],
            );
            if a != MISSING {
                self.counts[t][a as usize] -= 1;
            }
            if b != MISSING {
                self.counts[t][b as usize] += 1;
            }
        }
        for &(t, m) in owned {
            let key = self.terms[t].key;
            let (a, b) = (
                self.domains[key][from.index()],
                self.domains[key][to.index()],
            );
            if a != MISSING {
                self.owners[t][a as usize][usize::from(m)] -= 1;
            }
            if b != MISSING {
                self.owners[t][b as usize][usize::from(m)] += 1;
            }
        }
    }
}

/// The distinct specs of the placed pods: their preferred pod
/// (anti-)affinity terms, the topology keys of those, and their node-local
/// weights on every node.
struct Specs {
    /// Distinct topology keys, in order of first use.
    keys: Vec<String>,
    terms: Vec<Term>,
    /// Per spec (pointer), its terms.
    spec_terms: HashMap<usize, Vec<usize>>,
    /// Per spec (pointer), the node-local weight on each node.
    statics: HashMap<usize, Vec<i64>>,
}

impl Specs {
    /// The specs of `placed`, each once, in order of first appearance.
    fn collect(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> Self {
        let mut specs = Specs {
            keys: Vec::new(),
            terms: Vec::new(),
            spec_terms: HashMap::new(),
            statics: HashMap::new(),
        };
        for &(pod, _) in placed {
            let spec = &snapshot.pod(pod).spec;
            let sk = spec_key(spec);
            if !specs.spec_terms.contains_key(&sk) {
                specs.add(snapshot, sk, spec);
            }
        }
        specs
    }

    /// Adds `spec` (key `sk`): its node-local weights and its terms.
    fn add(&mut self, snapshot: &Snapshot, sk: usize, spec: &PodSpec) {
        let weights = snapshot
            .node_ids()
            .map(|n| static_weight(spec, snapshot.node(n)))
            .collect();
        self.statics.insert(sk, weights);
        let mut mine = Vec::new();
        for (t, anti) in signed_terms(spec) {
            let key = self.key_index(&t.term.topology_key);
            mine.push(self.terms.len());
            self.terms.push(Term {
                key,
                weight: i64::from(t.weight),
                anti,
                term: t.term.clone(),
            });
        }
        self.spec_terms.insert(sk, mine);
    }

    /// The index of topology key `key`, added when new.
    fn key_index(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(k) => k,
            None => {
                self.keys.push(key.to_string());
                self.keys.len() - 1
            }
        }
    }
}

/// A spec's preferred pod affinity terms (`false`), then its preferred pod
/// anti-affinity terms (`true`).
fn signed_terms(spec: &PodSpec) -> impl Iterator<Item = (&WeightedPodAffinityTerm, bool)> {
    spec.preferred_pod_affinity
        .iter()
        .map(|t| (t, false))
        .chain(spec.preferred_pod_anti_affinity.iter().map(|t| (t, true)))
}

/// Per topology key, each node's domain: its values numbered in node
/// order, [`MISSING`] on nodes without the key.
fn domains_of(snapshot: &Snapshot, keys: &[String]) -> Vec<Vec<u32>> {
    keys.iter()
        .map(|key| {
            let mut values: HashMap<&str, u32> = HashMap::new();
            snapshot
                .node_ids()
                .map(|n| match snapshot.node(n).labels.get(key) {
                    Some(v) => {
                        let next = values.len() as u32;
                        *values.entry(v.as_str()).or_insert(next)
                    }
                    None => MISSING,
                })
                .collect()
        })
        .collect()
}

/// Per term, the placed pods matching it per domain of its key.
fn matching_counts(snapshot: &Snapshot, terms: &[Term], domains: &[Vec<u32>]) -> Vec<Vec<i64>> {
    let cluster = snapshot.cluster();
    let mut counts: Vec<Vec<i64>> = terms
        .iter()
        .map(|t| {
            let width = domains[t.key]
                .iter()
                .filter(|d| **d != MISSING)
                .max()
                .map_or(0, |m| *m as usize + 1);
            vec![0; width]
        })
        .collect();
    for g in snapshot.groups() {
        for (ti, t) in terms.iter().enumerate() {
            if !term_matches(&t.term, cluster, &g.namespace, &g.labels) {
                continue;
            }
            for (&node, &k) in &g.per_node {
                let d = domains[t.key][node.index()];
                if d != MISSING {
                    counts[ti][d as usize] += i64::from(k);
                }
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        labels, Cluster, LabelSelector, NodeSelectorTerm, Operator, Pod, PodSpec,
        PreferredSchedulingTerm, Requirement, Resources, Taint, WeightedPodAffinityTerm,
    };

    fn node(name: &str, zone: &str, taints: Vec<Taint>) -> Node {
        Node {
            name: name.into(),
            labels: labels([
                ("kubernetes.io/hostname", name),
                ("topology.kubernetes.io/zone", zone),
            ]),
            taints,
            allocatable: Resources {
                milli_cpu: 4000,
                memory: 1 << 34,
                pods: 110,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn pod(name: &str, app: &str, spec: &Arc<PodSpec>) -> Pod {
        Pod {
            name: name.into(),
            namespace: "default".into(),
            labels: labels([("app", app)]),
            spec: Arc::clone(spec),
            ..Default::default()
        }
    }

    /// Three nodes (zones a, b, b; the last with a `PreferNoSchedule`
    /// taint) and three pods: two `web` replicas with every kind of
    /// preference, and a `db` pod without any.
    fn all_kinds_of_preference() -> Cluster {
        let term = |key: &str, app: &str| PodAffinityTerm {
            selector: LabelSelector::from_labels(&labels([("app", app)])),
            namespaces: vec!["default".into()],
            namespace_selector: None,
            topology_key: key.into(),
        };
        let spec = Arc::new(PodSpec {
            preferred_node_affinity: vec![PreferredSchedulingTerm {
                weight: 3,
                term: NodeSelectorTerm {
                    match_expressions: vec![Requirement::new(
                        "topology.kubernetes.io/zone",
                        Operator::In,
                        &["b"],
                    )],
                    match_fields: vec![],
                },
            }],
            preferred_pod_anti_affinity: vec![WeightedPodAffinityTerm {
                weight: 5,
                term: term("kubernetes.io/hostname", "web"),
            }],
            preferred_pod_affinity: vec![WeightedPodAffinityTerm {
                weight: 7,
                term: term("topology.kubernetes.io/zone", "db"),
            }],
            ..Default::default()
        });
        let plain = Arc::new(PodSpec::default());
        Cluster {
            nodes: vec![
                node("n0", "a", vec![]),
                node("n1", "b", vec![]),
                node(
                    "n2",
                    "b",
                    vec![Taint {
                        key: "k".into(),
                        value: "v".into(),
                        effect: TaintEffect::PreferNoSchedule,
                    }],
                ),
            ],
            pods: vec![
                pod("w0", "web", &spec),
                pod("w1", "web", &spec),
                pod("d0", "db", &plain),
            ],
            ..Default::default()
        }
    }

    /// The indexed total equals the sum of the brute-force [`violations`]
    /// on every placement of three pods with all kinds of preference over
    /// three nodes (27 placements), and a move's delta is the change of
    /// the total.
    #[test]
    fn index_agrees_with_brute_force() {
        let cluster = all_kinds_of_preference();
        let mut checked = 0;
        for code in 0..27u32 {
            let at = [code % 3, code / 3 % 3, code / 9];
            let mut snapshot = Snapshot::new(&cluster);
            let placed: Vec<(PodId, NodeId)> = at
                .iter()
                .enumerate()
                .map(|(p, n)| (PodId(p as u32), NodeId(*n)))
                .collect();
            for &(p, n) in &placed {
                snapshot.assign(p, n);
            }
            let brute: i64 = placed
                .iter()
                .map(|&(p, n)| violations(&snapshot, p, n))
                .sum();
            assert_eq!(total(&snapshot, &placed), brute as u64, "placement {at:?}");
            // Every move of every pod: the delta is the total's change.
            let index = Index::new(&snapshot, &placed);
            for &(p, from) in &placed {
                for to in (0..3).map(NodeId).filter(|n| *n != from) {
                    let matched = index.matched_by(&snapshot, p);
                    let owned = index.owned(&snapshot, p);
                    let delta = index.delta(&snapshot, p, (from, to), &matched, &owned);
                    let mut after = snapshot.clone();
                    after.assign(p, to);
                    let moved: Vec<(PodId, NodeId)> = placed
                        .iter()
                        .map(|&(q, n)| (q, if q == p { to } else { n }))
                        .collect();
                    let sum: i64 = moved.iter().map(|&(q, n)| violations(&after, q, n)).sum();
                    assert_eq!(brute + delta, sum, "{at:?}: pod {p:?} to {to:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 27 * 3 * 2);
    }
}
