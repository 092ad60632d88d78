//! Where evicted pods' replacements go: the nodes kube-scheduler's filters
//! accept at that moment, found fast enough for a 1,000-node pool.
//!
//! During a drain the destination nodes only ever gain pods (drained nodes
//! are cordoned and never receive any), so a node that one pod's class
//! fails on for a node-local reason (resources, ports, taints, affinity)
//! stays failed for the rest of the drain: each class keeps a cursor past
//! them. Node-local verdicts that do not depend on the node's identity are
//! computed once per node *signature* (labels but the hostname, taints),
//! and per-class filter state is brought up to date lazily from a log of
//! the snapshot's changes, skipping the changes that cannot concern the
//! class (decided once per class and *kind* of moved pod: its label group
//! and anti-affinity spec).

use crate::model::{Labels, Node, NodeId, Pod, PodAffinityTerm, PodId, PodSpec, Taint};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::node_affinity::{pre_filter, PreFilter};
use crate::predicates::{self, filter_node_local, filter_stateful, PodState, Snapshot};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The hostname label, which differs on every node.
const HOSTNAME: &str = "kubernetes.io/hostname";

/// One change of the snapshot, replayed into class states.
#[derive(Debug, Clone, Copy)]
struct Event {
    pod: PodId,
    node: NodeId,
    added: bool,
    /// The pod's kind, [`ANY_KIND`] when unknown.
    kind: u32,
}

/// The kind of a pod of unknown groups: always replayed.
const ANY_KIND: u32 = u32::MAX;

/// Pods that schedule alike: same namespace, labels and spec.
type ClassKey = (String, Labels, Arc<PodSpec>);

/// Whether a kind of moved pod may change a class's state, once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relevance {
    Unknown,
    Concerns,
    Ignores,
}

/// What a class knows about the destination nodes.
struct ClassCache {
    /// A never-placed copy of the class's pod that the state is for.
    probe: PodId,
    /// NodeAffinity's PreFilter result.
    pre_filter: PreFilter,
    /// The stateful plugins' counts; `None` for a class no placed pod's
    /// affinity can concern (no terms of its own, matched by no existing
    /// anti-affinity term): those plugins always pass for it.
    state: Option<PodState>,
    /// Events of the log already applied to `state`.
    seen: usize,
    /// Per kind of moved pod, whether its moves may change `state`.
    relevance: Vec<Relevance>,
    /// The state's [`PodState::concerning_labels`]: kinds of pods carrying
    /// none of them (and without anti-affinity) are ignored untested.
    concerning_labels: Option<Vec<(String, String)>>,
    /// Candidate nodes in search order.
    candidates: Vec<NodeId>,
    /// Candidates before this index failed for good.
    cursor: usize,
}

/// Finds destinations and applies moves to the snapshot.
pub(super) struct Finder {
    /// Nodes that may receive pods, in search order.
    destinations: Vec<NodeId>,
    /// Destinations by signature.
    by_signature: Vec<Vec<NodeId>>,
    classes: Vec<ClassCache>,
    /// Classes by key, consulted once per spec `Arc` and class.
    class_index: HashMap<ClassKey, usize>,
    /// Classes of the pods sharing a spec `Arc` (by address; the `Arc`
    /// kept keeps the address its own), told apart by namespace and
    /// labels: finds a pod's class without building its key.
    by_spec: HashMap<usize, (Arc<PodSpec>, Vec<usize>)>,
    log: Vec<Event>,
    kinds: Kinds,
    /// Every distinct required anti-affinity term of a pod in the snapshot
    /// (replacements are copies, so no new term appears).
    anti_affinity_terms: Vec<PodAffinityTerm>,
}

impl Finder {
    /// A finder over `destinations` (searched in this order).
    pub(super) fn new(snapshot: &Snapshot, destinations: Vec<NodeId>) -> Self {
        let mut index: HashMap<(Labels, Vec<Taint>, bool), u32> = HashMap::new();
        let mut by_signature: Vec<Vec<NodeId>> = Vec::new();
        for &n in &destinations {
            let node = snapshot.node(n);
            let mut labels = node.labels.clone();
            labels.remove(HOSTNAME);
            let key = (labels, node.taints.clone(), node.unschedulable);
            let next = index.len() as u32;
            let sig = *index.entry(key).or_insert(next);
            if sig == next {
                by_signature.push(Vec::new());
            }
            by_signature[sig as usize].push(n);
        }
        let mut seen: HashSet<&PodAffinityTerm> = HashSet::new();
        for p in 0..snapshot.pod_count() {
            for term in &snapshot.pod(PodId(p as u32)).spec.pod_anti_affinity {
                seen.insert(term);
            }
        }
        let anti_affinity_terms = seen.into_iter().cloned().collect();
        Finder {
            destinations,
            by_signature,
            classes: Vec::new(),
            class_index: HashMap::new(),
            by_spec: HashMap::new(),
            log: Vec::new(),
            kinds: Kinds::default(),
            anti_affinity_terms,
        }
    }

    /// Removes a pod from its node, logging the change.
    pub(super) fn unassign(&mut self, snapshot: &mut Snapshot, pod: PodId) {
        if let Some(node) = snapshot.placement(pod) {
            snapshot.unassign(pod);
            let kind = self.kinds.of(snapshot, pod);
            self.log.push(Event {
                pod,
                node,
                added: false,
                kind,
            });
        }
    }

    /// Places a pod on a node, logging the change.
    pub(super) fn assign(&mut self, snapshot: &mut Snapshot, pod: PodId, node: NodeId) {
        self.unassign(snapshot, pod);
        snapshot.assign(pod, node);
        let kind = self.kinds.of(snapshot, pod);
        self.log.push(Event {
            pod,
            node,
            added: true,
            kind,
        });
    }

    /// The first destination (in search order) that accepts `pod` now.
    pub(super) fn find(&mut self, snapshot: &mut Snapshot, pod: PodId) -> Option<NodeId> {
        let c = self.class_of(snapshot, pod);
        let cache = self.classes.get_mut(c)?;
        catch_up(cache, &self.log, &self.kinds, snapshot);
        let probe = snapshot.pod(cache.probe);
        let mut settled = true;
        let mut i = cache.cursor;
        while i < cache.candidates.len() {
            let n = cache.candidates[i];
            let local =
                filter_node_local(probe, snapshot.node(n), snapshot.info(n), &cache.pre_filter);
            if local.is_err() {
                // Fails for good: the node only gains pods from here on.
                if settled {
                    cache.cursor = i + 1;
                }
                i += 1;
                continue;
            }
            settled = false;
            match &cache.state {
                None => return Some(n),
                Some(state) if filter_stateful(snapshot, state, n).is_ok() => return Some(n),
                Some(_) => {}
            }
            i += 1;
        }
        None
    }

    /// All destinations that accept `pod` now (for exhaustive search on
    /// small instances), in search order.
    pub(super) fn all_feasible(&self, snapshot: &mut Snapshot, pod: PodId) -> Vec<NodeId> {
        let state = PodState::new(snapshot, pod);
        self.destinations
            .iter()
            .copied()
            .filter(|&n| predicates::filter(snapshot, &state, n).is_ok())
            .collect()
    }

    /// The index of `pod`'s class, created on first use.
    fn class_of(&mut self, snapshot: &mut Snapshot, pod: PodId) -> usize {
        let p = snapshot.pod(pod);
        let address = Arc::as_ptr(&p.spec) as usize;
        if let Some((_, classes)) = self.by_spec.get(&address) {
            for &c in classes {
                let probe = snapshot.pod(self.classes[c].probe);
                if probe.namespace == p.namespace && probe.labels == p.labels {
                    return c;
                }
            }
        }
        let spec = Arc::clone(&p.spec);
        let key = class_key(p);
        let c = match self.class_index.get(&key) {
            Some(&c) => c,
            None => {
                let cache = self.new_class(snapshot, pod);
                self.classes.push(cache);
                self.class_index.insert(key, self.classes.len() - 1);
                self.classes.len() - 1
            }
        };
        self.by_spec
            .entry(address)
            .or_insert_with(|| (spec, Vec::new()))
            .1
            .push(c);
        c
    }

    fn new_class(&mut self, snapshot: &mut Snapshot, pod: PodId) -> ClassCache {
        let copy = snapshot.pod(pod).clone();
        let probe = snapshot.add_pod(copy);
        let probe_pod = snapshot.pod(probe);
        let spec = &probe_pod.spec;
        let cluster = snapshot.cluster();
        let concerned = !spec.pod_affinity.is_empty()
            || !spec.pod_anti_affinity.is_empty()
            || !spec.topology_spread.is_empty()
            || self
                .anti_affinity_terms
                .iter()
                .any(|t| term_matches(t, cluster, &probe_pod.namespace, &probe_pod.labels));
        let pre_filter = pre_filter(spec);
        let candidates = if references_node_identity(spec) {
            self.destinations.clone()
        } else {
            // Static verdicts once per signature, on its first node.
            let mut candidates = Vec::new();
            for nodes in &self.by_signature {
                if static_fit(probe_pod, snapshot.node(nodes[0]), &pre_filter) {
                    candidates.extend_from_slice(nodes);
                }
            }
            candidates
        };
        let state = concerned.then(|| PodState::new(snapshot, probe));
        let concerning_labels = state.as_ref().and_then(|s| {
            let pairs = s.concerning_labels(snapshot)?;
            Some(pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect())
        });
        ClassCache {
            probe,
            pre_filter,
            state,
            seen: self.log.len(),
            relevance: Vec::new(),
            concerning_labels,
            candidates,
            cursor: 0,
        }
    }
}

/// Kinds of moved pods: pods of one kind share what
/// [`PodState::concerns`] reads (label group and anti-affinity group in
/// the snapshot), so whether a kind concerns a class is decided once.
#[derive(Default)]
struct Kinds {
    index: HashMap<(u32, Option<u32>), u32>,
    /// A pod of each kind.
    pods: Vec<PodId>,
    /// Kinds by the label pairs their pods carry, ascending.
    by_label: HashMap<String, HashMap<String, Vec<u32>>>,
    /// Kinds of pods with required anti-affinity, ascending.
    with_anti_affinity: Vec<u32>,
}

impl Kinds {
    /// The kind of a pod that has been placed, [`ANY_KIND`] if it has not.
    fn of(&mut self, snapshot: &Snapshot, pod: PodId) -> u32 {
        let Some(group) = snapshot.pod_group(pod) else {
            return ANY_KIND;
        };
        let anti_affinity = snapshot.anti_affinity_group(pod);
        let next = self.pods.len() as u32;
        let kind = *self.index.entry((group, anti_affinity)).or_insert(next);
        if kind == next {
            self.pods.push(pod);
            for (key, value) in &snapshot.pod(pod).labels {
                let values = match self.by_label.get_mut(key) {
                    Some(values) => values,
                    None => self.by_label.entry(key.clone()).or_default(),
                };
                match values.get_mut(value) {
                    Some(kinds) => kinds.push(kind),
                    None => {
                        values.insert(value.clone(), vec![kind]);
                    }
                }
            }
            if anti_affinity.is_some() {
                self.with_anti_affinity.push(kind);
            }
        }
        kind
    }

    /// Extends a class's relevance to the kinds that appeared since: with
    /// concerning labels, the kinds carrying none and without
    /// anti-affinity are ignored untested, the others left to test.
    fn extend_relevance(&self, cache: &mut ClassCache) {
        let old = cache.relevance.len();
        if old >= self.pods.len() {
            return;
        }
        let Some(pairs) = &cache.concerning_labels else {
            cache.relevance.resize(self.pods.len(), Relevance::Unknown);
            return;
        };
        cache.relevance.resize(self.pods.len(), Relevance::Ignores);
        let relevance = &mut cache.relevance;
        let mut to_test = |kinds: &[u32]| {
            let new = kinds.partition_point(|&k| (k as usize) < old);
            for &k in &kinds[new..] {
                if let Some(r) = relevance.get_mut(k as usize) {
                    *r = Relevance::Unknown;
                }
            }
        };
        to_test(&self.with_anti_affinity);
        for (key, value) in pairs {
            if let Some(kinds) = self.by_label.get(key).and_then(|v| v.get(value)) {
                to_test(kinds);
            }
        }
    }
}

/// Brings a class's state up to date with the log, replaying only the
/// events of kinds that may concern it (the others are no-ops).
fn catch_up(cache: &mut ClassCache, log: &[Event], kinds: &Kinds, snapshot: &Snapshot) {
    if cache.state.is_none() {
        cache.seen = log.len();
        return;
    }
    kinds.extend_relevance(cache);
    let (Some(state), relevance) = (&mut cache.state, &mut cache.relevance) else {
        return;
    };
    for e in &log[cache.seen..] {
        let k = e.kind as usize;
        if let (Some(r), Some(&pod)) = (relevance.get_mut(k), kinds.pods.get(k)) {
            if *r == Relevance::Unknown {
                *r = if state.concerns(snapshot, pod) {
                    Relevance::Concerns
                } else {
                    Relevance::Ignores
                };
            }
            if *r == Relevance::Ignores {
                continue;
            }
        }
        if e.added {
            state.add_pod(snapshot, e.pod, e.node);
        } else {
            state.remove_pod(snapshot, e.pod, e.node);
        }
    }
    cache.seen = log.len();
}

/// The class a pod schedules in.
fn class_key(pod: &Pod) -> ClassKey {
    (
        pod.namespace.clone(),
        pod.labels.clone(),
        Arc::clone(&pod.spec),
    )
}

/// The node-local plugins that read only the node (not its pods), for
/// pods whose verdict cannot depend on the node's name or hostname.
fn static_fit(pod: &Pod, node: &Node, pre_filter: &PreFilter) -> bool {
    pre_filter.admits(node).is_ok()
        && predicates::node_unschedulable::filter(pod, node).is_ok()
        && predicates::node_name::filter(pod, node).is_ok()
        && predicates::taint_toleration::filter(pod, node).is_ok()
        && predicates::node_affinity::filter(pod, node).is_ok()
}

/// Whether a spec's node-local verdict may differ between nodes of one
/// signature: it names nodes (nodeName, `matchFields`) or selects on the
/// hostname label.
fn references_node_identity(spec: &PodSpec) -> bool {
    spec.node_selector.contains_key(HOSTNAME)
        || spec.required_node_affinity.as_ref().is_some_and(|a| {
            a.terms.iter().any(|t| {
                !t.match_fields.is_empty() || t.match_expressions.iter().any(|r| r.key == HOSTNAME)
            })
        })
}
