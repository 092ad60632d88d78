//! Step 0 of `place`, the first plan: first-fit decreasing over the real
//! filter plugins (`predicates::filter`), near-linear in the pods, so that
//! a valid plan exists early at any size and every later step only has to
//! improve on it.
//!
//! Classes go in the packer's order (most constrained first, then largest
//! first, [`super::pack::class_order`]); the pods of one class go one after
//! the other, each on the first node that takes it: existing nodes, then
//! the new nodes in the order they were opened. A class keeps a cursor
//! over the nodes, skipping for good the ones it can never use again: those
//! a node-local filter rejects (their verdict only worsens as pods are
//! added), and those inter-pod anti-affinity rejects (it only grows);
//! topology spread and pod affinity may change their verdict, so a node
//! they reject stays a candidate. When no node takes a pod, the pools the
//! class prefers (cheapest per pod first) open their next node, as many
//! as the pool has zones at most, within `maxCount` (`minCount` nodes are
//! existing nodes here, `Cluster::with_min_counts`), like
//! cluster-autoscaler does; a node that took nothing is closed again.
//!
//! Speed at scale (150,000 pods, tens of thousands of nodes): a class's
//! `PodTopologySpread` state is not built from every node (upstream's
//! PreFilter, O(nodes) per class) but counted per domain by node kind —
//! the base snapshot's nodes, and new nodes by type, which differ only in
//! their hostname ([`SpreadCounts`]) — with the domains of the types the
//! class may use known from the start, so that nodes opened later in
//! those domains cannot break its spread in the final state. Constraints
//! over the hostname, or with `minDomains`, keep the general path
//! ([`FullState`]). A class with no inter-pod terms of its own that no
//! anti-affinity term can match gets an empty inter-pod state without
//! reading every node's pods.

use super::pack::{Packer, Packing, Rest};
use super::problem::Problem;
use super::repair::repaired;
use crate::engine::trace::Trace;
use crate::model::{
    InclusionPolicy, Labels, Node, NodeId, Pod, PodAffinityTerm, PodId, PodSpec,
    TopologySpreadConstraint, UnsatisfiableAction,
};
use crate::predicates::{
    self, inter_pod_affinity, node_affinity, node_ports, node_resources_fit, taint_toleration,
    Plugin, PodState, Snapshot,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::Instant;

/// The first plan, and whether it got to every pod before its deadline.
pub(crate) struct FirstPlan<'c> {
    /// The plan, repaired to pass the final check.
    pub packing: Packing<'c>,
    /// False when the deadline stopped it: its leftovers were not tried.
    pub complete: bool,
}

/// First-fit decreasing of every pod in class `order`, new nodes opened in
/// each class's pool `preference` (types, cheapest per pod first), until
/// `deadline`; repaired to pass the final check.
pub(crate) fn first_plan<'c>(
    p: &Problem<'c>,
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
    trace: Trace,
) -> FirstPlan<'c> {
    let (packer, rest) = Packing::empty(p).into_packer(p);
    let mut fit = FirstFit {
        p,
        packer,
        rest,
        nodes: p.existing.clone(),
        skip: Vec::new(),
        slots: (0..p.existing.len()).map(Slot::Existing).collect(),
        class_fit: ClassFit::default(),
        domains: Domains::default(),
        repelled: repelled_classes(p),
        placed: 0,
    };
    let mut leftover = Vec::new();
    let mut complete = true;
    for &c in order {
        let pods = &p.classes[c].pods;
        let placed = if complete {
            fit.place_class(c, pods, &pool_order(p, &preference[c]), deadline)
        } else {
            0
        };
        complete = complete && !fit.out_of_time(deadline);
        leftover.extend(pods[placed..].iter().copied());
    }
    fit.rest.leftover = leftover;
    trace.say(|| "first fit".into());
    // A counted spread class knows its domains from the start, but a pod
    // of another class its spread counts was checked against the nodes
    // there were (`place_keeping_spread`): a zone opened later can break
    // that spread in the final state.
    let watched = fit.domains.counted && !p.spread_watch.watching.is_empty();
    let grew = fit.domains.grew_after_spread || watched;
    let packing = fit.packer.into_packing(fit.rest);
    // Every pod passed every filter when placed, and placing a pod that
    // breaks another's spread is undone (`place_keeping_spread`): only a
    // spread domain added after a spread pod was placed can make the
    // final state fail the check (the costly part at scale).
    let packing = if grew { repaired(p, packing) } else { packing };
    FirstPlan { packing, complete }
}

/// Per class, whether a required anti-affinity term of a pod that may be
/// placed matches it: the bound pods', the DaemonSets' and the classes'
/// (one match per spec).
fn repelled_classes(p: &Problem) -> Vec<bool> {
    let snapshot = &p.base;
    let bound = snapshot.node_ids().flat_map(|n| {
        let info = snapshot.info(n);
        info.pods_with_required_anti_affinity
            .iter()
            .map(|q| &snapshot.pod(*q).spec)
    });
    let daemons = p.cluster.daemon_sets.iter().map(|d| &d.spec);
    let classes = p
        .classes
        .iter()
        .map(|c| &p.cluster.pod(c.representative()).spec);
    let mut seen = HashSet::new();
    let terms: Vec<&PodAffinityTerm> = bound
        .chain(daemons)
        .chain(classes)
        .filter(|spec| !spec.pod_anti_affinity.is_empty())
        .filter(|spec| seen.insert(Arc::as_ptr(spec)))
        .flat_map(|spec| spec.pod_anti_affinity.iter())
        .collect();
    p.classes
        .iter()
        .map(|c| {
            let q = p.cluster.pod(c.representative());
            terms
                .iter()
                .any(|t| inter_pod_affinity::term_matches(t, p.cluster, &q.namespace, &q.labels))
        })
        .collect()
}

/// Pools in the order of their first type in `preference`.
fn pool_order(p: &Problem, preference: &[usize]) -> Vec<usize> {
    let mut pools: Vec<usize> = Vec::new();
    for t in preference {
        let pi = p.types[*t].pool.index();
        if !pools.contains(&pi) {
            pools.push(pi);
        }
    }
    pools
}

/// The state of [`first_plan`].
struct FirstFit<'a, 'c> {
    p: &'a Problem<'c>,
    packer: Packer<'c>,
    rest: Rest,
    /// Every node a pod may go to: existing, then new ones as opened.
    nodes: Vec<NodeId>,
    /// For the class being placed: per index into `nodes`, the next index
    /// that may still be a candidate (itself when it is one); a
    /// union-find "next" chain, so that skipping is near-constant.
    skip: Vec<usize>,
    /// Per index into `nodes`, the node's kind.
    slots: Vec<Slot>,
    /// Where the class being placed may go.
    class_fit: ClassFit,
    /// The spread domains of the nodes so far.
    domains: Domains,
    /// Per class, whether a required anti-affinity term of a pod that may
    /// be placed matches it ([`repelled_classes`]).
    repelled: Vec<bool>,
    /// Pods placed so far.
    placed: usize,
}

/// Pods the first plan places whatever the deadline: a few milliseconds of
/// work, so that a small scenario is planned in full even at a tiny limit
/// on a loaded machine (a deadline of 30 ms can pass before the solve
/// gets the processor).
const ALWAYS_PLACED: usize = 256;

impl FirstFit<'_, '_> {
    /// The deadline has passed and the pods every plan places are placed.
    fn out_of_time(&self, deadline: Instant) -> bool {
        self.placed >= ALWAYS_PLACED && Instant::now() >= deadline
    }
}

/// A node's kind: an existing node (index into `Problem::existing`) or a
/// new node of a type; `Other` for a new node of no type (none).
#[derive(Clone, Copy)]
enum Slot {
    /// An existing node.
    Existing(usize),
    /// A new node of this type.
    Type(usize),
    /// A new node of no known type: never a candidate.
    Other,
}

/// Where one class may go, by node kind: `Problem::compat_existing` and
/// `Problem::compat_types` as flags.
#[derive(Default)]
struct ClassFit {
    existing: Vec<bool>,
    types: Vec<bool>,
}

impl ClassFit {
    /// The flags of class `c`.
    fn new(p: &Problem, c: usize) -> Self {
        let mut fit = ClassFit {
            existing: vec![false; p.existing.len()],
            types: vec![false; p.types.len()],
        };
        for (e, _) in &p.compat_existing[c] {
            fit.existing[*e] = true;
        }
        for (t, _) in &p.compat_types[c] {
            fit.types[*t] = true;
        }
        fit
    }
}

/// What a node says to one pod.
enum Verdict {
    /// It took the pod.
    Placed,
    /// Not now (topology spread, pod affinity): maybe for a later pod.
    NotNow,
    /// Never for this class.
    Never,
}

impl FirstFit<'_, '_> {
    /// Places the pods of class `c` in turn, each on the first candidate
    /// node that takes it, else on a new node of `pools`; how many it
    /// placed before one found no way (or the deadline passed).
    fn place_class(
        &mut self,
        c: usize,
        pods: &[PodId],
        pools: &[usize],
        deadline: Instant,
    ) -> usize {
        self.skip = (0..=self.nodes.len()).collect();
        self.class_fit = ClassFit::new(self.p, c);
        let mut class = ClassState::new(self, c, pods[0]);
        for (k, &pod) in pods.iter().enumerate() {
            if self.out_of_time(deadline) {
                return k;
            }
            if !self.on_open_node(&mut class, c, pod)
                && !self.on_new_node(&mut class, c, pod, pools)
            {
                return k;
            }
            self.placed += 1;
            if k == 0 {
                class.register(&mut self.domains, pod);
            }
        }
        pods.len()
    }

    /// The kind of the snapshot's `node` for spread counting (None for a
    /// new node of no type).
    fn kind_of(&self, node: NodeId) -> Option<Kind> {
        if node.index() < self.p.base.node_count() {
            return Some(Kind::Base(node.index()));
        }
        self.packer.type_of(node).map(Kind::Type)
    }

    /// The spread kind of the node at `slot` (None for [`Slot::Other`]).
    fn kind_of_slot(&self, slot: Slot) -> Option<Kind> {
        match slot {
            Slot::Existing(e) => Some(Kind::Base(self.p.existing[e].index())),
            Slot::Type(t) => Some(Kind::Type(t)),
            Slot::Other => None,
        }
    }

    /// Places `pod` on the first node that takes it, skipping for good
    /// the ones that never will; false when none does.
    fn on_open_node(&mut self, class: &mut ClassState, c: usize, pod: PodId) -> bool {
        let mut i = self.next_candidate(0);
        while i < self.nodes.len() {
            match self.try_node(class, c, pod, self.nodes[i], self.slots[i]) {
                Verdict::Placed => return true,
                Verdict::Never => self.skip[i] = i + 1,
                Verdict::NotNow => {}
            }
            i = self.next_candidate(i + 1);
        }
        false
    }

    /// The first candidate index from `i` on (`nodes.len()` when none),
    /// shortening the chain on the way.
    fn next_candidate(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.skip[root] != root {
            root = self.skip[root];
        }
        let mut j = i;
        while self.skip[j] != root {
            let next = self.skip[j];
            self.skip[j] = root;
            j = next;
        }
        root
    }

    /// `pod` (class `c`) on `node` (of kind `slot`), if every filter takes
    /// it: the node-local ones, topology spread (the class's counts when
    /// it has them), then the pod-counting plugins.
    fn try_node(
        &mut self,
        class: &mut ClassState,
        c: usize,
        pod: PodId,
        node: NodeId,
        slot: Slot,
    ) -> Verdict {
        if !self.node_local(pod, node, slot) {
            return Verdict::Never;
        }
        let kind = self.kind_of_slot(slot);
        match kind.map_or(Some(true), |k| class.admits(k)) {
            None => return Verdict::Never,
            Some(false) => return Verdict::NotNow,
            Some(true) => {}
        }
        let snapshot = &self.packer.snapshot;
        let state = class.state();
        state.pod = pod;
        if let Err(rejection) = predicates::filter_stateful(snapshot, state, node) {
            let monotone = rejection.plugin == Plugin::InterPodAffinity
                && snapshot.pod(pod).spec.pod_affinity.is_empty();
            return if monotone {
                Verdict::Never
            } else {
                Verdict::NotNow
            };
        }
        if !self.packer.place_keeping_spread(c, pod, node) {
            return Verdict::NotNow;
        }
        class.state().add_pod(&self.packer.snapshot, pod, node);
        if let Some(k) = kind {
            class.placed(k);
        }
        Verdict::Placed
    }

    /// The node-local filter plugins' verdict ([`predicates::filter_node_local`]):
    /// those that read only the node's labels, taints and flags passed on
    /// the node's kind when the problem was built (`compat_existing`,
    /// `compat_types`: a new node differs from its type's template only
    /// in its name); NodePorts and NodeResourcesFit, which read its pods,
    /// are asked every time.
    fn node_local(&self, pod: PodId, node: NodeId, slot: Slot) -> bool {
        let compatible = match slot {
            Slot::Existing(e) => self.class_fit.existing[e],
            Slot::Type(t) => self.class_fit.types[t],
            Slot::Other => false,
        };
        let snapshot = &self.packer.snapshot;
        let (q, info) = (snapshot.pod(pod), snapshot.info(node));
        // The plugin's check without its reason strings (formatting them
        // was a sixth of the time at scale).
        let allocatable = &snapshot.node(node).allocatable;
        compatible
            && node_ports::filter(q, info).is_ok()
            && node_resources_fit::insufficient_resources(&q.spec.requests, allocatable, info)
                .is_empty()
    }

    /// Opens new nodes of `pools` in turn, up to one per zone each, until
    /// one takes `pod`; the ones that took nothing are closed again.
    fn on_new_node(
        &mut self,
        class: &mut ClassState,
        c: usize,
        pod: PodId,
        pools: &[usize],
    ) -> bool {
        let p = self.p;
        for &pi in pools {
            let mut opened = Vec::new();
            for _ in 0..p.cluster.pools[pi].zones.len().max(1) {
                if self.rest.pool_nodes[pi] >= p.pool_room[pi] {
                    break;
                }
                let id = self.packer.open_node(p, &mut self.rest, pi);
                let slot = self.slot_of_new(pi);
                opened.push((id, slot));
                let kind = self.kind_of_slot(slot);
                class.see_node(&self.packer.snapshot, pod, id, kind);
                if matches!(self.try_node(class, c, pod, id, slot), Verdict::Placed) {
                    self.keep_opened(&opened);
                    class.settled();
                    return true;
                }
            }
            for (id, _) in opened.into_iter().rev() {
                self.packer.close_last_node(&mut self.rest, pi, id);
            }
            class.refresh_if_stale(&self.packer.snapshot, pod);
        }
        false
    }

    /// The kind of the node pool `pi` just opened (its last).
    fn slot_of_new(&self, pi: usize) -> Slot {
        let p = self.p;
        let zones = p.cluster.pools[pi].zones.len().max(1);
        let k = self.rest.pool_nodes[pi] as usize - 1;
        p.type_index
            .get(&(pi, k % zones))
            .map_or(Slot::Other, |t| Slot::Type(*t))
    }

    /// The nodes just opened become candidates, for this class too; a
    /// node in a spread domain new to a class placed before is noted
    /// ([`Domains::grew_after_spread`]).
    fn keep_opened(&mut self, opened: &[(NodeId, Slot)]) {
        for &(id, slot) in opened {
            let i = self.nodes.len();
            self.nodes.push(id);
            self.slots.push(slot);
            self.skip[i] = i;
            self.skip.push(i + 1);
            self.domains.add_node(&self.packer.snapshot, id, slot);
        }
    }
}

/// The state of the class being placed: its PreFilter state for the
/// pod-counting plugins, and its topology spread counted by node kind
/// ([`SpreadCounts`]), or, when that cannot be, the whole PreFilter state
/// recomputed as nodes in new domains come ([`FullState`]).
enum ClassState {
    /// Spread counted by node kind; the state's own spread part is empty.
    Counted(PodState, SpreadCounts),
    /// The general path.
    Full(FullState),
}

impl ClassState {
    /// The state of class `c` (member `pod`) on `fit`'s current state.
    fn new(fit: &FirstFit, c: usize, pod: PodId) -> Self {
        let snapshot = &fit.packer.snapshot;
        let spec = &snapshot.pod(pod).spec;
        // Without terms of its own, and matched by no one's anti-affinity,
        // the class's inter-pod state stays empty: not built from every
        // node's pods.
        let alone =
            spec.pod_affinity.is_empty() && spec.pod_anti_affinity.is_empty() && !fit.repelled[c];
        match SpreadCounts::new(fit, c, pod) {
            Some(spread) => {
                let state = PodState {
                    pod,
                    node_affinity: node_affinity::pre_filter(spec),
                    inter_pod_affinity: if alone {
                        Default::default()
                    } else {
                        inter_pod_affinity::State::new(snapshot, pod)
                    },
                    pod_topology_spread: Default::default(),
                };
                ClassState::Counted(state, spread)
            }
            None => ClassState::Full(FullState::new(snapshot, pod)),
        }
    }

    /// The PreFilter state.
    fn state(&mut self) -> &mut PodState {
        match self {
            ClassState::Counted(state, _) => state,
            ClassState::Full(full) => &mut full.state,
        }
    }

    /// The counted spread's verdict on a node of `kind` (None: never);
    /// the general path's state checks spread itself.
    fn admits(&self, kind: Kind) -> Option<bool> {
        match self {
            ClassState::Counted(_, spread) => spread.admits(kind),
            ClassState::Full(_) => Some(true),
        }
    }

    /// A pod of the class went to a node of `kind`.
    fn placed(&mut self, kind: Kind) {
        if let ClassState::Counted(_, spread) = self {
            spread.placed(kind);
        }
    }

    /// After `node` (of `kind`) was added.
    fn see_node(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId, kind: Option<Kind>) {
        match (self, kind) {
            (ClassState::Counted(_, spread), Some(kind)) => spread.see(kind),
            (ClassState::Counted(..), None) => {}
            (ClassState::Full(full), _) => full.see_node(snapshot, pod, node),
        }
    }

    /// A node added took the pod and stays.
    fn settled(&mut self) {
        if let ClassState::Full(full) = self {
            full.stale = false;
        }
    }

    /// After nodes were closed again.
    fn refresh_if_stale(&mut self, snapshot: &Snapshot, pod: PodId) {
        if let ClassState::Full(full) = self {
            full.refresh_if_stale(snapshot, pod);
        }
    }

    /// The class (member `pod`) placed its first pod: its domains are
    /// noted, so that later nodes in new ones flag the plan.
    fn register(&self, domains: &mut Domains, pod: PodId) {
        match self {
            ClassState::Counted(_, spread) => domains.register_types(&spread.new_domain_types()),
            ClassState::Full(full) => domains.register(pod, &full.domains),
        }
    }
}

/// A spread constraint's topology key, and the domains a state counts.
type KnownDomains = (String, HashSet<String>);

/// A class's PreFilter state while its pods are placed, and the topology
/// spread domains it knows: a new node in a domain it does not know (a new
/// zone, a new hostname) makes it stale, so it is computed anew (the
/// domains' minimum changes); in a known one, the state stands.
struct FullState {
    state: PodState,
    /// Per DoNotSchedule spread constraint, in the state's order: its
    /// topology key and the domains the state counts.
    domains: Vec<KnownDomains>,
    /// Whether a node the state counts as a domain was closed again.
    stale: bool,
}

impl FullState {
    /// The state of class member `pod` on `snapshot`.
    fn new(snapshot: &Snapshot, pod: PodId) -> Self {
        let state = PodState::new(snapshot, pod);
        let keys = snapshot
            .pod(pod)
            .spec
            .topology_spread
            .iter()
            .filter(|c| c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule)
            .map(|c| c.topology_key.clone());
        let spread = &state.pod_topology_spread;
        let domains = keys
            .enumerate()
            .map(|(i, key)| (key, spread.domain_counts(i).into_keys().collect()))
            .collect();
        FullState {
            state,
            domains,
            stale: false,
        }
    }

    /// After `node` was added: computed anew when it is in a domain the
    /// state does not know.
    fn see_node(&mut self, snapshot: &Snapshot, pod: PodId, node: NodeId) {
        let labels = &snapshot.node(node).labels;
        let new_domain = self
            .domains
            .iter()
            .any(|(key, known)| labels.get(key).is_some_and(|v| !known.contains(v)));
        if new_domain {
            *self = FullState::new(snapshot, pod);
            self.stale = true;
        }
    }

    /// After nodes were closed again: computed anew if one was a domain.
    fn refresh_if_stale(&mut self, snapshot: &Snapshot, pod: PodId) {
        if self.stale {
            *self = FullState::new(snapshot, pod);
        }
    }
}

/// The spread domains each spread class placed so far knew when its
/// first pod went: a node added later in a domain one of them did not
/// know, and that counts for it, can break its spread in the final state
/// (kube-scheduler checks spread only for the pod it binds), so the plan
/// must then go through the final check.
#[derive(Default)]
struct Domains {
    /// Per general-path spread class placed: a member, and per
    /// DoNotSchedule constraint its topology key and the domains it knew.
    known: Vec<(PodId, Vec<KnownDomains>)>,
    /// Per type, whether its node is in a domain new to a counted spread
    /// class placed before ([`SpreadCounts::new_domain_types`]).
    new_for_counted: Vec<bool>,
    /// Whether a counted spread class was placed.
    counted: bool,
    /// Whether a node in a domain new to a class came after it.
    grew_after_spread: bool,
}

impl Domains {
    /// A general-path spread class (member `pod`) placed its first pod,
    /// knowing `domains`.
    fn register(&mut self, pod: PodId, domains: &[KnownDomains]) {
        if !domains.is_empty() {
            self.known.push((pod, domains.to_vec()));
        }
    }

    /// A counted spread class placed its first pod: the types whose node
    /// would be in a domain new to it.
    fn register_types(&mut self, new: &[bool]) {
        if new.is_empty() {
            return;
        }
        self.counted = true;
        self.new_for_counted.resize(new.len(), false);
        for (flag, n) in self.new_for_counted.iter_mut().zip(new) {
            *flag |= *n;
        }
    }

    /// Notes `node` (at `slot`), just added: whether it is in a domain new
    /// to a class placed before, and counts for it (its node affinity
    /// admits the node, or the constraint ignores node affinity; taints
    /// are not looked at, which can only flag more).
    fn add_node(&mut self, snapshot: &Snapshot, node: NodeId, slot: Slot) {
        if self.grew_after_spread {
            return;
        }
        self.grew_after_spread = match slot {
            Slot::Type(t) => self.new_for_counted.get(t).copied().unwrap_or(false),
            _ => self.counted,
        };
        let n = snapshot.node(node);
        self.grew_after_spread |= self.known.iter().any(|(pod, domains)| {
            let spec = &snapshot.pod(*pod).spec;
            let new_domain = domains
                .iter()
                .any(|(key, known)| n.labels.get(key).is_some_and(|v| !known.contains(v)));
            let honours_affinity = spec
                .topology_spread
                .iter()
                .all(|c| c.node_affinity_policy == InclusionPolicy::Honor);
            new_domain && (!honours_affinity || node_affinity::required_matches(spec, n))
        });
    }
}

/// The key whose value differs on every new node: a constraint over it
/// (or with `minDomains`, which a superset of domains would loosen)
/// takes the general path, [`FullState`].
const HOSTNAME: &str = "kubernetes.io/hostname";

/// A node as spread counting sees it: a node of the problem's base
/// snapshot (by id index), or a new node of a type (all alike but for
/// their hostname).
#[derive(Clone, Copy)]
enum Kind {
    /// A node of the base snapshot.
    Base(usize),
    /// A new node of this type.
    Type(usize),
}

/// What one node kind is to one constraint: its domain (an index into
/// [`Counted::count`]; None when it lacks the topology key), and whether
/// it is eligible (it has every constraint's key and passes this one's
/// inclusion policies), so that its pods count and its domain is one.
#[derive(Clone, Copy)]
struct Place {
    value: Option<u32>,
    eligible: bool,
}

/// One `DoNotSchedule` constraint of the class being placed, counted per
/// domain as `PodTopologySpread`'s PreFilter state does
/// (`predicates::pod_topology_spread`), but from node kinds: O(base nodes
/// + types) to build instead of O(nodes).
struct Counted {
    max_skew: i64,
    /// The class's pods match the selector (upstream selfMatchNum).
    self_match: bool,
    /// The class's placed pods count (non-empty selector that matches).
    counts_own: bool,
    /// Per base node, then per type ([`Kind`]).
    base: Vec<Place>,
    types: Vec<Place>,
    /// Matching pods per value of the key, and whether it is a domain.
    count: Vec<i64>,
    domain: Vec<bool>,
    /// The smallest count over the domains (None without domains).
    min: Option<i64>,
}

impl Counted {
    /// Where `kind` is to this constraint.
    fn place(&self, kind: Kind) -> Place {
        match kind {
            Kind::Base(i) => self.base[i],
            Kind::Type(t) => self.types[t],
        }
    }

    /// Upstream's skew check on a node of `kind`: None when it lacks the
    /// key (never for this class), else whether the skew holds.
    fn admits(&self, kind: Kind) -> Option<bool> {
        let value = self.place(kind).value? as usize;
        // minDomains is 1 here: the minimum is 0 without domains.
        let min = self.min.unwrap_or(0);
        Some(self.count[value] + i64::from(self.self_match) - min <= self.max_skew)
    }

    /// A node of `kind` exists: its domain is one if it is eligible.
    fn see(&mut self, kind: Kind) {
        let place = self.place(kind);
        if let (Some(v), true) = (place.value, place.eligible) {
            if !self.domain[v as usize] {
                self.domain[v as usize] = true;
                self.refresh_min();
            }
        }
    }

    /// `n` matching pods more on a node of `kind` (upstream AddPod, which
    /// makes the domain one if it was not).
    fn add(&mut self, kind: Kind, n: i64) {
        let place = self.place(kind);
        if let (Some(v), true) = (place.value, place.eligible) {
            self.count[v as usize] += n;
            self.domain[v as usize] = true;
            self.refresh_min();
        }
    }

    /// The minimum count over the domains, recomputed.
    fn refresh_min(&mut self) {
        self.min = self
            .count
            .iter()
            .zip(&self.domain)
            .filter(|(_, d)| **d)
            .map(|(c, _)| *c)
            .min();
    }
}

/// The DoNotSchedule constraints of the class being placed, counted by
/// node kind ([`Counted`]). Its domains are, from the start, those of the
/// base nodes, of the types opened so far, and of the types the class
/// may use and whose pool has room: a superset of the final state's
/// domains as far as the class goes, so that a pod placed against them
/// keeps its spread when later nodes come (a smaller minimum is stricter).
struct SpreadCounts {
    constraints: Vec<Counted>,
}

impl SpreadCounts {
    /// The counts of class `c` (member `pod`) on `fit`'s current state;
    /// None when a constraint needs the general path ([`HOSTNAME`] key,
    /// `minDomains`) or a node is of no kind.
    fn new(fit: &FirstFit, c: usize, pod: PodId) -> Option<Self> {
        let snapshot = &fit.packer.snapshot;
        let q = snapshot.pod(pod);
        let defs: Vec<&TopologySpreadConstraint> = q
            .spec
            .topology_spread
            .iter()
            .filter(|k| k.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule)
            .collect();
        let general = |k: &&TopologySpreadConstraint| {
            k.topology_key == HOSTNAME || k.min_domains.is_some_and(|m| m > 1)
        };
        if defs.iter().any(general) {
            return None;
        }
        if defs.is_empty() {
            return Some(SpreadCounts {
                constraints: Vec::new(),
            });
        }
        let mut constraints: Vec<Counted> = defs
            .iter()
            .map(|k| counted(fit.p, snapshot, q, &defs, k))
            .collect();
        for counted in &mut constraints {
            counted.mark_domains(fit, c);
        }
        let mut spread = SpreadCounts { constraints };
        spread.count_placed(fit, q, &defs)?;
        Some(spread)
    }

    /// Adds the snapshot's placed pods each constraint counts (upstream
    /// PreFilter's count, one selector match per label group); None when
    /// one is on a node of no kind.
    fn count_placed(
        &mut self,
        fit: &FirstFit,
        q: &Pod,
        defs: &[&TopologySpreadConstraint],
    ) -> Option<()> {
        let snapshot = &fit.packer.snapshot;
        for group in snapshot.groups() {
            if group.terminating || group.namespace != q.namespace {
                continue;
            }
            for (counted, k) in self.constraints.iter_mut().zip(defs) {
                if !counts_labels(k, &group.labels) {
                    continue;
                }
                for (&node, &n) in &group.per_node {
                    counted.add(fit.kind_of(node)?, i64::from(n));
                }
            }
        }
        Some(())
    }

    /// Whether the class's next pod keeps every constraint on a node of
    /// `kind`: None when the node lacks a key (never, then).
    fn admits(&self, kind: Kind) -> Option<bool> {
        let mut all = true;
        for counted in &self.constraints {
            all = all && counted.admits(kind)?;
        }
        Some(all)
    }

    /// A pod of the class went to a node of `kind`.
    fn placed(&mut self, kind: Kind) {
        for counted in self.constraints.iter_mut().filter(|k| k.counts_own) {
            counted.add(kind, 1);
        }
    }

    /// A node of `kind` was added.
    fn see(&mut self, kind: Kind) {
        for counted in &mut self.constraints {
            counted.see(kind);
        }
    }

    /// Per type, whether a node of it would be in a domain new to the
    /// class (eligible, in a value none of its domains has).
    fn new_domain_types(&self) -> Vec<bool> {
        let types = self.constraints.first().map_or(0, |k| k.types.len());
        (0..types)
            .map(|t| {
                self.constraints.iter().any(|k| {
                    let place = k.types[t];
                    place.eligible && place.value.is_some_and(|v| !k.domain[v as usize])
                })
            })
            .collect()
    }
}

impl Counted {
    /// Marks the domains the class starts with (see [`SpreadCounts`]).
    fn mark_domains(&mut self, fit: &FirstFit, c: usize) {
        let p = fit.p;
        let usable: HashSet<usize> = p.compat_types[c]
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| {
                let pi = p.types[*t].pool.index();
                fit.rest.pool_nodes[pi] < p.pool_room[pi]
            })
            .collect();
        for i in 0..self.base.len() {
            self.see(Kind::Base(i));
        }
        for t in 0..self.types.len() {
            if usable.contains(&t) || !fit.rest.nodes_of_type[t].is_empty() {
                self.see(Kind::Type(t));
            }
        }
    }
}

/// Constraint `k` of pod `q` (whose DoNotSchedule constraints are `defs`)
/// by node kind, nothing counted yet.
fn counted(
    p: &Problem,
    snapshot: &Snapshot,
    q: &Pod,
    defs: &[&TopologySpreadConstraint],
    k: &TopologySpreadConstraint,
) -> Counted {
    let mut values: HashMap<String, u32> = HashMap::new();
    let mut place = |node: &Node| {
        let has_all = defs
            .iter()
            .all(|d| node.labels.contains_key(&d.topology_key));
        let value = node.labels.get(&k.topology_key).map(|v| {
            let next = values.len() as u32;
            *values.entry(v.clone()).or_insert(next)
        });
        Place {
            value,
            eligible: has_all && included(k, &q.spec, node),
        }
    };
    let base: Vec<Place> = (0..p.base.node_count())
        .map(|i| place(snapshot.node(NodeId(i as u32))))
        .collect();
    let types: Vec<Place> = p.types.iter().map(|t| place(&t.template)).collect();
    Counted {
        max_skew: i64::from(k.max_skew),
        self_match: k.selector.matches(&q.labels),
        counts_own: counts_labels(k, &q.labels),
        base,
        types,
        count: vec![0; values.len()],
        domain: vec![false; values.len()],
        min: None,
    }
}

/// Upstream `countPodsMatchSelector`: an empty selector counts no pod.
fn counts_labels(k: &TopologySpreadConstraint, labels: &Labels) -> bool {
    !k.selector.is_empty() && k.selector.matches(labels)
}

/// Upstream `matchNodeInclusionPolicies`: node affinity honoured by
/// default, taints only when asked.
fn included(k: &TopologySpreadConstraint, spec: &PodSpec, node: &Node) -> bool {
    if k.node_affinity_policy == InclusionPolicy::Honor
        && !node_affinity::required_matches(spec, node)
    {
        return false;
    }
    !(k.node_taints_policy == InclusionPolicy::Honor
        && taint_toleration::find_untolerated(
            &node.taints,
            &spec.tolerations,
            taint_toleration::is_hard,
        )
        .is_some())
}
