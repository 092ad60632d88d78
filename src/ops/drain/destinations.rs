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

use crate::model::{Cluster, Labels, Node, NodeId, Pod, PodAffinityTerm, PodId, PodSpec, Taint};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::node_affinity::{pre_filter, PreFilter};
use crate::predicates::{
    self, filter_node_local, filter_node_pods, filter_stateful, PodState, Snapshot,
};
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
    /// Kinds of moved pods already sorted into concerning or not.
    kinds_known: usize,
    /// The known kinds whose moves may change `state`.
    concerning_kinds: Vec<u32>,
    /// The state's [`PodState::concerning_labels`]: kinds of pods carrying
    /// none of them (and without anti-affinity) are ignored untested.
    concerning_labels: Option<Vec<(String, String)>>,
    /// Candidate nodes in search order (shared by the classes that admit
    /// the same signatures).
    candidates: Arc<Vec<NodeId>>,
    /// The candidates passed the node-local plugins that read only the
    /// node, once per signature (the class's verdicts cannot differ within
    /// one): only the plugins that read its pods are left to run.
    statically_fit: bool,
    /// Candidates before this index failed for good.
    cursor: usize,
}

/// Finds destinations and applies moves to the snapshot.
pub(super) struct Finder {
    /// Nodes that may receive pods, in search order (shared with the
    /// classes that search them all).
    destinations: Arc<Vec<NodeId>>,
    /// Destinations by signature.
    by_signature: Vec<Vec<NodeId>>,
    /// Candidate lists by the signatures they admit.
    candidates: HashMap<Vec<bool>, Arc<Vec<NodeId>>>,
    classes: Vec<ClassCache>,
    /// Classes (pods that schedule alike: same namespace, labels and
    /// spec) by namespace and labels, consulted once per spec `Arc`.
    by_labels: HashMap<(String, Labels), Vec<usize>>,
    /// Classes of the pods sharing a spec `Arc` (by address; the `Arc`
    /// kept keeps the address its own), told apart by namespace and
    /// labels: finds a pod's class without building its key.
    by_spec: HashMap<usize, (Arc<PodSpec>, Vec<usize>)>,
    log: Log,
    /// Event indices to replay (reused).
    scratch: Vec<u32>,
    /// Every distinct required anti-affinity term of a pod in the snapshot
    /// (replacements are copies, so no new term appears).
    anti_affinity_terms: AntiAffinityTerms,
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
        let anti_affinity_terms = AntiAffinityTerms::new(seen.into_iter().cloned().collect());
        Finder {
            destinations: Arc::new(destinations),
            by_signature,
            candidates: HashMap::new(),
            classes: Vec::new(),
            by_labels: HashMap::new(),
            by_spec: HashMap::new(),
            log: Log::default(),
            scratch: Vec::new(),
            anti_affinity_terms,
        }
    }

    /// Removes a pod from its node, logging the change.
    pub(super) fn unassign(&mut self, snapshot: &mut Snapshot, pod: PodId) {
        if let Some(node) = snapshot.placement(pod) {
            snapshot.unassign(pod);
            self.log.push(snapshot, pod, node, false);
        }
    }

    /// Places a pod on a node, logging the change.
    pub(super) fn assign(&mut self, snapshot: &mut Snapshot, pod: PodId, node: NodeId) {
        self.unassign(snapshot, pod);
        snapshot.assign(pod, node);
        self.log.push(snapshot, pod, node, true);
    }

    /// The first destination (in search order) that accepts `pod` now.
    pub(super) fn find(&mut self, snapshot: &mut Snapshot, pod: PodId) -> Option<NodeId> {
        let c = self.class_of(snapshot, pod);
        let cache = self.classes.get_mut(c)?;
        catch_up(cache, &self.log, snapshot, &mut self.scratch);
        let probe = snapshot.pod(cache.probe);
        let mut settled = true;
        let mut i = cache.cursor;
        while i < cache.candidates.len() {
            let n = cache.candidates[i];
            let (node, info) = (snapshot.node(n), snapshot.info(n));
            let local = if cache.statically_fit {
                filter_node_pods(probe, node, info)
            } else {
                filter_node_local(probe, node, info, &cache.pre_filter)
            };
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
        let key = (p.namespace.clone(), p.labels.clone());
        let same_spec = self.by_labels.get(&key).and_then(|classes| {
            classes
                .iter()
                .copied()
                .find(|&c| snapshot.pod(self.classes[c].probe).spec == spec)
        });
        let c = match same_spec {
            Some(c) => c,
            None => {
                let cache = self.new_class(snapshot, pod);
                self.classes.push(cache);
                let c = self.classes.len() - 1;
                self.by_labels.entry(key).or_default().push(c);
                c
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
            || self.anti_affinity_terms.any_selects(cluster, probe_pod);
        let pre_filter = pre_filter(spec);
        let statically_fit = !references_node_identity(probe_pod);
        let candidates = if !statically_fit {
            Arc::clone(&self.destinations)
        } else {
            // Static verdicts once per signature, on its first node.
            let admitted: Vec<bool> = self
                .by_signature
                .iter()
                .map(|nodes| static_fit(probe_pod, snapshot.node(nodes[0]), &pre_filter))
                .collect();
            let by_signature = &self.by_signature;
            let shared = self
                .candidates
                .entry(admitted)
                .or_insert_with_key(|admitted| {
                    let nodes = by_signature.iter().zip(admitted).filter(|(_, a)| **a);
                    Arc::new(nodes.flat_map(|(nodes, _)| nodes.iter().copied()).collect())
                });
            Arc::clone(shared)
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
            seen: self.log.events.len(),
            kinds_known: 0,
            concerning_kinds: Vec::new(),
            concerning_labels,
            candidates,
            statically_fit,
            cursor: 0,
        }
    }
}

/// Distinct anti-affinity terms, indexed by the label pairs their
/// selectors require.
struct AntiAffinityTerms {
    terms: Vec<PodAffinityTerm>,
    /// Terms by a label pair one of which a pod they select carries.
    by_label: PairIndex,
    /// Terms requiring no particular pair.
    unindexed: Vec<u32>,
}

impl AntiAffinityTerms {
    fn new(terms: Vec<PodAffinityTerm>) -> Self {
        let mut by_label = PairIndex::default();
        let mut unindexed = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            match term.selector.required_pairs() {
                Some(pairs) => {
                    for (key, value) in pairs {
                        by_label.insert(key, value, i as u32);
                    }
                }
                None => unindexed.push(i as u32),
            }
        }
        AntiAffinityTerms {
            terms,
            by_label,
            unindexed,
        }
    }

    /// Whether one of the terms selects `pod`; only the terms it may
    /// match by its labels are tested.
    fn any_selects(&self, cluster: &Cluster, pod: &Pod) -> bool {
        let indexed = pod.labels.iter().flat_map(|(k, v)| self.by_label.get(k, v));
        self.unindexed
            .iter()
            .chain(indexed)
            .filter_map(|&i| self.terms.get(i as usize))
            .any(|t| term_matches(t, cluster, &pod.namespace, &pod.labels))
    }
}

/// The snapshot's changes, with the events of each *kind* of moved pod:
/// pods of one kind share what [`PodState::concerns`] reads (label group
/// and anti-affinity group in the snapshot), so whether a kind concerns a
/// class is decided once, and a class replays only its kinds' events.
#[derive(Default)]
struct Log {
    events: Vec<Event>,
    /// Kinds by label group, then anti-affinity group (a group's pods
    /// nearly always share one spec, so the lists are short).
    index: Vec<Vec<(Option<u32>, u32)>>,
    /// A pod of each kind.
    pods: Vec<PodId>,
    /// Indices of each kind's events, ascending.
    by_kind: Vec<Vec<u32>>,
    /// Indices of the events of pods of no kind (never placed: none in
    /// practice), replayed into every class.
    kindless: Vec<u32>,
    /// Kinds by the label pairs their pods carry.
    by_label: PairIndex,
    /// Kinds of pods with required anti-affinity, by a label pair one of
    /// which a pod their terms select carries ...
    anti_affinity_by_label: PairIndex,
    /// ... or, for terms that require no particular pair, all of them.
    anti_affinity_unindexed: Vec<u32>,
}

impl Log {
    /// Logs a change (made already).
    fn push(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId, added: bool) {
        let i = self.events.len() as u32;
        self.events.push(Event { pod, node, added });
        match self
            .kind(snapshot, pod)
            .and_then(|k| self.by_kind.get_mut(k))
        {
            Some(events) => events.push(i),
            None => self.kindless.push(i),
        }
    }

    /// The kind of a pod that has been placed, None if it has not.
    fn kind(&mut self, snapshot: &Snapshot, pod: PodId) -> Option<usize> {
        let group = snapshot.pod_group(pod)? as usize;
        let anti_affinity = snapshot.anti_affinity_group(pod);
        if self.index.len() <= group {
            self.index.resize(group + 1, Vec::new());
        }
        let kinds = self.index.get_mut(group)?;
        let found = kinds.iter().find(|(a, _)| *a == anti_affinity);
        let kind = match found {
            Some(&(_, kind)) => kind,
            None => {
                let kind = self.pods.len() as u32;
                kinds.push((anti_affinity, kind));
                kind
            }
        };
        if kind as usize == self.pods.len() {
            self.pods.push(pod);
            self.by_kind.push(Vec::new());
            let p = snapshot.pod(pod);
            for (key, value) in &p.labels {
                self.by_label.insert(key, value, kind);
            }
            for term in &p.spec.pod_anti_affinity {
                match term.selector.required_pairs() {
                    Some(pairs) => {
                        for (key, value) in pairs {
                            self.anti_affinity_by_label.insert(key, value, kind);
                        }
                    }
                    None => self.anti_affinity_unindexed.push(kind),
                }
            }
        }
        Some(kind as usize)
    }

    /// The kinds from `from` on that may concern a class whose probe
    /// carries `probe_labels` and whose state has these concerning labels:
    /// with labels, the kinds carrying one, and the kinds with
    /// anti-affinity terms that may select the probe; without, all.
    /// Ascending.
    fn kinds_to_test(
        &self,
        from: usize,
        labels: Option<&[(String, String)]>,
        probe_labels: &Labels,
    ) -> Vec<u32> {
        let Some(pairs) = labels else {
            return (from as u32..self.pods.len() as u32).collect();
        };
        let from = from as u32;
        let mut kinds = tail(&self.anti_affinity_unindexed, from).to_vec();
        for (key, value) in probe_labels {
            kinds.extend_from_slice(tail(self.anti_affinity_by_label.get(key, value), from));
        }
        for (key, value) in pairs {
            kinds.extend_from_slice(tail(self.by_label.get(key, value), from));
        }
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// Ids by label pair, each list ascending when ids are inserted in
/// ascending order (an id may repeat).
#[derive(Default)]
struct PairIndex(HashMap<String, HashMap<String, Vec<u32>>>);

impl PairIndex {
    fn insert(&mut self, key: &str, value: &str, id: u32) {
        let values = match self.0.get_mut(key) {
            Some(values) => values,
            None => self.0.entry(key.into()).or_default(),
        };
        match values.get_mut(value) {
            Some(ids) => ids.push(id),
            None => {
                values.insert(value.into(), vec![id]);
            }
        }
    }

    fn get(&self, key: &str, value: &str) -> &[u32] {
        self.0
            .get(key)
            .and_then(|values| values.get(value))
            .map_or(&[], Vec::as_slice)
    }
}

/// The part of an ascending list from `from` on.
fn tail(list: &[u32], from: u32) -> &[u32] {
    &list[list.partition_point(|&x| x < from)..]
}

/// Brings a class's state up to date with the log: sorts the kinds that
/// appeared since into concerning or not, then replays the concerning
/// kinds' events in log order (the others' are no-ops).
fn catch_up(cache: &mut ClassCache, log: &Log, snapshot: &Snapshot, replay: &mut Vec<u32>) {
    let Some(state) = &mut cache.state else {
        cache.seen = log.events.len();
        return;
    };
    if cache.kinds_known < log.pods.len() {
        let probe_labels = &snapshot.pod(cache.probe).labels;
        let labels = cache.concerning_labels.as_deref();
        for k in log.kinds_to_test(cache.kinds_known, labels, probe_labels) {
            if log
                .pods
                .get(k as usize)
                .is_some_and(|&pod| state.concerns(snapshot, pod))
            {
                cache.concerning_kinds.push(k);
            }
        }
        cache.kinds_known = log.pods.len();
    }
    let seen = cache.seen as u32;
    replay.clear();
    replay.extend_from_slice(tail(&log.kindless, seen));
    let mut lists = usize::from(!replay.is_empty());
    for &k in &cache.concerning_kinds {
        if let Some(events) = log.by_kind.get(k as usize) {
            let new = tail(events, seen);
            lists += usize::from(!new.is_empty());
            replay.extend_from_slice(new);
        }
    }
    if lists > 1 {
        replay.sort_unstable();
    }
    for &i in replay.iter() {
        let Some(e) = log.events.get(i as usize) else {
            continue;
        };
        if e.added {
            state.add_pod(snapshot, e.pod, e.node);
        } else {
            state.remove_pod(snapshot, e.pod, e.node);
        }
    }
    cache.seen = log.events.len();
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

/// Whether a pod's node-local verdict may differ between nodes of one
/// signature: it names nodes (nodeName, `matchFields`) or selects on the
/// hostname label.
fn references_node_identity(pod: &Pod) -> bool {
    let spec = &pod.spec;
    pod.node_name.is_some()
        || spec.node_selector.contains_key(HOSTNAME)
        || spec.required_node_affinity.as_ref().is_some_and(|a| {
            a.terms.iter().any(|t| {
                !t.match_fields.is_empty() || t.match_expressions.iter().any(|r| r.key == HOSTNAME)
            })
        })
}

#[cfg(test)]
mod tests {
    //! The finder's caches (class states replayed from the log, skipped
    //! kinds, cursors, shared candidate lists) against the uncached
    //! computation: on random clusters and drains, `find` answers the
    //! first node, in the class's search order, that the filter plugins
    //! accept with a freshly computed state, and no accepted node is
    //! missing from that order.

    use super::*;
    use crate::model::{
        Cluster, InclusionPolicy, LabelSelector, Operator, PodOrigin, PodPhase, Requirement,
        Resources, TaintEffect, Toleration, TolerationOperator, TopologySpreadConstraint,
        UnsatisfiableAction,
    };
    use proptest::prelude::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    fn selector(rng: &mut Rng, apps: usize) -> LabelSelector {
        let req = |key: &str, op, values: &[&str]| Requirement::new(key, op, values);
        let app = format!("w{}", rng.below(apps));
        match rng.below(10) {
            0 => LabelSelector::nothing(),
            1 => LabelSelector::everything(),
            2 => LabelSelector {
                requirements: vec![req("app", Operator::Exists, &[])],
                matches_nothing: false,
            },
            3 => LabelSelector {
                requirements: vec![req("tier", Operator::NotIn, &["x"])],
                matches_nothing: false,
            },
            4 => LabelSelector {
                requirements: vec![
                    req("tier", Operator::Exists, &[]),
                    req("app", Operator::In, &[&app, "w0"]),
                ],
                matches_nothing: false,
            },
            _ => LabelSelector::from_labels(&crate::model::labels([("app", &app)])),
        }
    }

    fn term(rng: &mut Rng, apps: usize) -> PodAffinityTerm {
        let keys = ["kubernetes.io/hostname", "zone"];
        let mut t = PodAffinityTerm {
            selector: selector(rng, apps),
            namespaces: vec![["a", "b"][rng.below(2)].into()],
            namespace_selector: None,
            topology_key: keys[rng.below(2)].into(),
        };
        if rng.chance(25) {
            t.namespaces.clear();
            t.namespace_selector = Some(LabelSelector::from_labels(&crate::model::labels([(
                "team", "t1",
            )])));
        }
        t
    }

    fn spec(rng: &mut Rng, apps: usize, nodes: usize) -> PodSpec {
        let mut spec = PodSpec {
            requests: Resources {
                milli_cpu: 100 + 100 * rng.below(8) as i64,
                pods: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        if rng.chance(40) {
            spec.pod_anti_affinity.push(term(rng, apps));
        }
        if rng.chance(15) {
            spec.pod_affinity.push(term(rng, apps));
        }
        if rng.chance(30) {
            spec.topology_spread.push(TopologySpreadConstraint {
                max_skew: 1 + rng.below(2) as i32,
                topology_key: ["zone", "kubernetes.io/hostname"][rng.below(2)].into(),
                when_unsatisfiable: if rng.chance(80) {
                    UnsatisfiableAction::DoNotSchedule
                } else {
                    UnsatisfiableAction::ScheduleAnyway
                },
                selector: selector(rng, apps),
                min_domains: rng.chance(20).then_some(2),
                node_affinity_policy: InclusionPolicy::Honor,
                node_taints_policy: if rng.chance(30) {
                    InclusionPolicy::Honor
                } else {
                    InclusionPolicy::Ignore
                },
            });
        }
        if rng.chance(30) {
            spec.tolerations.push(Toleration {
                key: "dedicated".into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: None,
            });
        }
        match rng.below(10) {
            0 => {
                spec.node_selector
                    .insert(HOSTNAME.into(), format!("n{}", rng.below(nodes)));
            }
            1 => {
                spec.node_selector.insert("disk".into(), "ssd".into());
            }
            _ => {}
        }
        spec
    }

    fn node(rng: &mut Rng, i: usize) -> Node {
        let name = format!("n{i}");
        let mut labels = crate::model::labels([(HOSTNAME, name.as_str())]);
        if rng.chance(85) {
            labels.insert("zone".into(), format!("z{}", rng.below(3)));
        }
        if rng.chance(40) {
            labels.insert("disk".into(), "ssd".into());
        }
        let taints = if rng.chance(20) {
            vec![Taint {
                key: "dedicated".into(),
                value: "x".into(),
                effect: TaintEffect::NoSchedule,
            }]
        } else {
            Vec::new()
        };
        Node {
            name,
            labels,
            taints,
            allocatable: Resources {
                milli_cpu: 1000 + 500 * rng.below(5) as i64,
                pods: 110,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Nodes, and pods of a few workloads bound to random nodes.
    fn scenario(rng: &mut Rng) -> Cluster {
        let nodes = 5 + rng.below(8);
        let apps = 2 + rng.below(5);
        let specs: Vec<(Arc<PodSpec>, &str)> = (0..apps)
            .map(|_| (Arc::new(spec(rng, apps, nodes)), ["a", "b"][rng.below(2)]))
            .collect();
        let mut cluster = Cluster {
            nodes: (0..nodes).map(|i| node(rng, i)).collect(),
            ..Default::default()
        };
        cluster
            .namespace_labels
            .insert("a".into(), crate::model::labels([("team", "t1")]));
        for i in 0..20 + rng.below(40) {
            let w = rng.below(apps);
            let mut labels = crate::model::labels([("app", format!("w{w}").as_str())]);
            if rng.chance(40) {
                labels.insert("tier".into(), ["x", "y"][rng.below(2)].into());
            }
            let n = rng.below(nodes);
            cluster.pods.push(Pod {
                namespace: specs[w].1.into(),
                name: format!("p{i}"),
                labels,
                spec: Arc::clone(&specs[w].0),
                node_name: Some(format!("n{n}")),
                node: Some(NodeId(n as u32)),
                phase: PodPhase::Running,
                ready: true,
                terminating: rng.chance(5),
                owner: None,
                origin: PodOrigin::Input,
            });
        }
        cluster
    }

    /// Drains the first nodes wave by wave as the planner does, checking
    /// every `find` against the uncached computation.
    fn check_drain(seed: u64) -> Result<(), String> {
        let mut rng = Rng(seed | 1);
        let cluster = scenario(&mut rng);
        let mut snapshot = Snapshot::new(&cluster);
        let targets = 1 + rng.below(3);
        for t in 0..targets {
            snapshot.set_unschedulable(NodeId(t as u32), true);
        }
        let destinations: Vec<NodeId> = snapshot.node_ids().skip(targets).collect();
        let mut finder = Finder::new(&snapshot, destinations);
        let mut moving: Vec<PodId> = (0..targets)
            .flat_map(|t| snapshot.info(NodeId(t as u32)).pods.clone())
            .collect();
        moving.sort();
        while !moving.is_empty() {
            let wave: Vec<PodId> = moving.drain(..moving.len().min(1 + rng.below(4))).collect();
            for &pod in &wave {
                finder.unassign(&mut snapshot, pod);
            }
            for &pod in &wave {
                let copy = snapshot.add_replacement(pod);
                let found = finder.find(&mut snapshot, copy);
                let feasible = finder.all_feasible(&mut snapshot, copy);
                let class = finder.class_of(&mut snapshot, copy);
                let order = &finder.classes[class].candidates;
                if let Some(n) = feasible.iter().find(|n| !order.contains(n)) {
                    return Err(format!("seed {seed}: {n:?} accepts {copy:?}, not searched"));
                }
                let expected = order.iter().copied().find(|n| feasible.contains(n));
                if found != expected {
                    return Err(format!(
                        "seed {seed}: pod {}: found {found:?}, expected {expected:?}",
                        snapshot.pod(pod).name
                    ));
                }
                if let Some(n) = found {
                    finder.assign(&mut snapshot, copy, n);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn finds_what_the_uncached_filters_find(seed in any::<u64>()) {
            if let Err(e) = check_drain(seed) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
