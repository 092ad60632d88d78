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

use super::pack::{Packer, Packing, Rest};
use super::problem::Problem;
use super::repair::repaired;
use crate::engine::trace::Trace;
use crate::model::{InclusionPolicy, NodeId, PodId, UnsatisfiableAction};
use crate::predicates::{
    self, node_affinity, node_ports, node_resources_fit, Plugin, PodState, Snapshot,
};
use std::collections::HashSet;
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
    };
    let mut leftover = Vec::new();
    let mut complete = true;
    for &c in order {
        let pods = &p.classes[c].pods;
        let placed = if complete {
            fit.place_class(c, &pool_order(p, &preference[c]), deadline)
        } else {
            0
        };
        complete = complete && Instant::now() < deadline;
        leftover.extend(pods[placed..].iter().copied());
    }
    fit.rest.leftover = leftover;
    trace.say(|| "first fit".into());
    let grew = fit.domains.grew_after_spread;
    let packing = fit.packer.into_packing(fit.rest);
    // Every pod passed every filter when placed, and placing a pod that
    // breaks another's spread is undone (`place_keeping_spread`): only a
    // spread domain added after a spread pod was placed can make the
    // final state fail the check (the costly part at scale).
    let packing = if grew { repaired(p, packing) } else { packing };
    FirstPlan { packing, complete }
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
    fn place_class(&mut self, c: usize, pools: &[usize], deadline: Instant) -> usize {
        let pods = &self.p.classes[c].pods;
        self.skip = (0..=self.nodes.len()).collect();
        self.class_fit = ClassFit::new(self.p, c);
        let mut class = ClassState::new(&self.packer.snapshot, pods[0]);
        for (k, &pod) in pods.iter().enumerate() {
            if Instant::now() >= deadline {
                return k;
            }
            if self.on_open_node(&mut class.state, c, pod) {
                if k == 0 {
                    self.domains.register(pod, &class.domains);
                }
                continue;
            }
            if !self.on_new_node(&mut class, c, pod, pools) {
                return k;
            }
            if k == 0 {
                self.domains.register(pod, &class.domains);
            }
        }
        pods.len()
    }

    /// Places `pod` on the first node that takes it, skipping for good
    /// the ones that never will; false when none does.
    fn on_open_node(&mut self, state: &mut PodState, c: usize, pod: PodId) -> bool {
        let mut i = self.next_candidate(0);
        while i < self.nodes.len() {
            match self.try_node(state, c, pod, self.nodes[i], self.slots[i]) {
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
    /// it.
    fn try_node(
        &mut self,
        state: &mut PodState,
        c: usize,
        pod: PodId,
        node: NodeId,
        slot: Slot,
    ) -> Verdict {
        if !self.node_local(pod, node, slot) {
            return Verdict::Never;
        }
        let snapshot = &self.packer.snapshot;
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
        state.add_pod(&self.packer.snapshot, pod, node);
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
                class.see_node(&self.packer.snapshot, pod, id);
                if matches!(
                    self.try_node(&mut class.state, c, pod, id, slot),
                    Verdict::Placed
                ) {
                    self.keep_opened(&opened);
                    class.stale = false;
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
    /// node in a spread domain no node had before is noted
    /// ([`Domains::grew_after_spread`]).
    fn keep_opened(&mut self, opened: &[(NodeId, Slot)]) {
        for &(id, slot) in opened {
            let i = self.nodes.len();
            self.nodes.push(id);
            self.slots.push(slot);
            self.skip[i] = i;
            self.skip.push(i + 1);
            self.domains.add_node(&self.packer.snapshot, id);
        }
    }
}

/// A spread constraint's topology key, and the domains a state counts.
type KnownDomains = (String, HashSet<String>);

/// A class's PreFilter state while its pods are placed, and the topology
/// spread domains it knows: a new node in a domain it does not know (a new
/// zone, a new hostname) makes it stale, so it is computed anew (the
/// domains' minimum changes); in a known one, the state stands.
struct ClassState {
    state: PodState,
    /// Per DoNotSchedule spread constraint, in the state's order: its
    /// topology key and the domains the state counts.
    domains: Vec<KnownDomains>,
    /// Whether a node the state counts as a domain was closed again.
    stale: bool,
}

impl ClassState {
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
        ClassState {
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
            *self = ClassState::new(snapshot, pod);
            self.stale = true;
        }
    }

    /// After nodes were closed again: computed anew if one was a domain.
    fn refresh_if_stale(&mut self, snapshot: &Snapshot, pod: PodId) {
        if self.stale {
            *self = ClassState::new(snapshot, pod);
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
    /// Per spread class placed: a member, and per DoNotSchedule
    /// constraint its topology key and the domains it knew.
    known: Vec<(PodId, Vec<KnownDomains>)>,
    /// Whether a node in a domain new to a class came after it.
    grew_after_spread: bool,
}

impl Domains {
    /// A spread class (member `pod`) placed its first pod, knowing
    /// `domains`.
    fn register(&mut self, pod: PodId, domains: &[KnownDomains]) {
        if !domains.is_empty() {
            self.known.push((pod, domains.to_vec()));
        }
    }

    /// Notes `node`, just added: whether it is in a domain new to a class
    /// placed before, and counts for it (its node affinity admits the
    /// node, or the constraint ignores node affinity; taints are not
    /// looked at, which can only flag more).
    fn add_node(&mut self, snapshot: &Snapshot, node: NodeId) {
        if self.grew_after_spread {
            return;
        }
        let n = snapshot.node(node);
        self.grew_after_spread = self.known.iter().any(|(pod, domains)| {
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
