//! The packer: given how many new nodes each pool adds, places the pods
//! class by class (largest first) on the first node every filter plugin
//! accepts, with one PreFilter state per class updated incrementally.
//!
//! All new nodes exist before the first pod is placed, so each counts as a
//! topology domain from the start, as in the final state.

use super::problem::{free_of, Problem, SpreadWatch};
use crate::model::{Node, NodeId, PodId, PoolId};
use crate::predicates::{self, PodState, Snapshot};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::Instant;

/// One pod fewer in a tally.
fn untally(tally: &mut HashMap<usize, u32>, key: usize) {
    if let Some(v) = tally.get_mut(&key) {
        *v -= 1;
        if *v == 0 {
            tally.remove(&key);
        }
    }
}

/// Pods of a class per node at most for it to count as big (tuned on the
/// ladder: 4, 8, 16, 32 and 64 tried; 16 gave the smallest gaps).
const BIG_POD_CAP: f64 = 16.0;

/// The zone topology key.
const ZONE: &str = "topology.kubernetes.io/zone";

/// The outcome of one packing.
pub(crate) struct Packing<'c> {
    /// The final state.
    pub snapshot: Snapshot<'c>,
    /// New nodes per pool.
    pub pool_nodes: Vec<u32>,
    /// Where each placed pod went.
    pub placed: Vec<(PodId, NodeId)>,
    /// Pods that found no node.
    pub leftover: Vec<PodId>,
    /// Per class: pods placed per existing node (index into `existing`).
    pub on_existing: Vec<HashMap<usize, u32>>,
    /// Per class: pods placed per node type.
    pub on_types: Vec<HashMap<usize, u32>>,
    /// New nodes of each type, in creation order.
    pub nodes_of_type: Vec<Vec<NodeId>>,
    /// Type of each new node.
    pub node_type: HashMap<NodeId, usize>,
}

impl<'c> Packing<'c> {
    /// A copy to try changes on.
    pub fn clone_packing(&self) -> Packing<'c> {
        Packing {
            snapshot: self.snapshot.clone(),
            pool_nodes: self.pool_nodes.clone(),
            placed: self.placed.clone(),
            leftover: self.leftover.clone(),
            on_existing: self.on_existing.clone(),
            on_types: self.on_types.clone(),
            nodes_of_type: self.nodes_of_type.clone(),
            node_type: self.node_type.clone(),
        }
    }

    /// Hourly cost of the new nodes.
    pub fn cost(&self, p: &Problem) -> f64 {
        p.counts_cost(&self.pool_nodes)
    }

    /// Whether this packing beats `other`: more pods placed, or as many
    /// for less.
    pub fn better_than(&self, other: &Packing, p: &Problem) -> bool {
        self.placed.len() > other.placed.len()
            || (self.placed.len() == other.placed.len() && self.cost(p) < other.cost(p) - 1e-9)
    }

    /// Takes pods off their nodes: they become leftovers.
    pub fn drop_pods(&mut self, p: &Problem, pods: &[PodId]) {
        let drop: HashSet<PodId> = pods.iter().copied().collect();
        let mut kept = Vec::with_capacity(self.placed.len());
        for &(pod, node) in &self.placed {
            if !drop.contains(&pod) {
                kept.push((pod, node));
                continue;
            }
            self.snapshot.unassign(pod);
            self.leftover.push(pod);
            let c = p.class_of[&pod];
            if let Some(e) = p.existing_index.get(&node) {
                untally(&mut self.on_existing[c], *e);
            }
            if let Some(t) = self.node_type.get(&node) {
                untally(&mut self.on_types[c], *t);
            }
        }
        self.placed = kept;
    }
}

/// The most constrained classes first: fewest pools that can take them,
/// then as [`class_order`]. A class with one possible pool cannot go
/// elsewhere, so it should not find that pool taken by one that could.
pub(crate) fn constrained_first(p: &Problem, order: &[usize]) -> Vec<usize> {
    let mut out = order.to_vec();
    let choices: Vec<usize> = (0..p.classes.len())
        .map(|c| p.pools_for_class(c).len() + usize::from(!p.compat_existing[c].is_empty()))
        .collect();
    // Stable: ties keep `order`.
    out.sort_by_key(|c| choices[*c]);
    out
}

/// The order classes are packed in: pods with required pod affinity last
/// (their targets first), then by size — the largest share of a typical
/// node's capacity first — then one-per-node classes first.
pub(crate) fn class_order(p: &Problem) -> Vec<usize> {
    let ndims = p.dims.len();
    let mut typical = vec![1.0f64; ndims];
    for free in p.type_free.iter().chain(&p.existing_free) {
        for d in 0..ndims {
            typical[d] = typical[d].max(free[d]);
        }
    }
    let size = |c: usize| -> f64 {
        (0..ndims)
            .map(|d| p.class_req[c][d] / typical[d])
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..p.classes.len()).collect();
    order.sort_by(|&a, &b| {
        let affinity = |c: usize| {
            !p.cluster
                .pod(p.classes[c].representative())
                .spec
                .pod_affinity
                .is_empty()
        };
        affinity(a)
            .cmp(&affinity(b))
            .then(p.classes[b].one_per_node.cmp(&p.classes[a].one_per_node))
            .then(size(b).total_cmp(&size(a)))
            .then(a.cmp(&b))
    });
    order
}

/// Per class, the order in which new-node types are tried: where the LP
/// puts most of the class first, then the cheapest per pod.
pub(crate) fn type_preference(
    p: &Problem,
    lp_on_types: Option<&[HashMap<usize, f64>]>,
) -> Vec<Vec<usize>> {
    (0..p.classes.len())
        .map(|c| {
            let mut types: Vec<(usize, f64, f64)> = p.compat_types[c]
                .iter()
                .map(|(t, cap)| {
                    let share = lp_on_types
                        .and_then(|x| x[c].get(t).copied())
                        .unwrap_or(0.0);
                    let pool = &p.cluster.pools[p.types[*t].pool.index()];
                    (*t, share, pool.cost_per_hour / cap)
                })
                .collect();
            types.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(a.2.total_cmp(&b.2))
                    .then(a.0.cmp(&b.0))
            });
            types.into_iter().map(|(t, _, _)| t).collect()
        })
        .collect()
}

/// Where an LP puts each class: pods per existing bin and per type. The
/// packer spreads a class's share of a type round-robin over that type's
/// nodes, so every node gets the LP's mix of classes (which fits, on
/// average, by the LP's capacity rows) instead of filling up with one class.
pub(crate) struct Guide<'a> {
    /// Existing bins (indices into `existing`).
    pub bins: &'a [Vec<usize>],
    /// Per class: pods per existing bin.
    pub on_bins: &'a [HashMap<usize, f64>],
    /// Per class: pods per type.
    pub on_types: &'a [HashMap<usize, f64>],
}

/// The mutable side of a packing: the snapshot and the tallies.
pub(crate) struct Packer<'c> {
    /// The state pods are placed on.
    pub snapshot: Snapshot<'c>,
    placed: Vec<(PodId, NodeId)>,
    on_existing: Vec<HashMap<usize, u32>>,
    on_types: Vec<HashMap<usize, u32>>,
    existing_index: HashMap<NodeId, usize>,
    node_type: HashMap<NodeId, usize>,
    /// [`Problem::spread_watch`].
    spread_watch: Arc<SpreadWatch>,
}

/// What a `Packer` leaves alone of a `Packing`.
pub(crate) struct Rest {
    /// New nodes per pool.
    pub pool_nodes: Vec<u32>,
    /// Pods that found no node.
    pub leftover: Vec<PodId>,
    /// New nodes of each type, in creation order.
    pub nodes_of_type: Vec<Vec<NodeId>>,
}

impl<'c> Packing<'c> {
    /// No new node and no pod placed: the problem's base snapshot, every
    /// pod a leftover.
    pub(crate) fn empty(p: &Problem<'c>) -> Self {
        Packing {
            snapshot: p.base.clone(),
            pool_nodes: vec![0; p.cluster.pools.len()],
            placed: Vec::new(),
            leftover: p.pods.clone(),
            on_existing: vec![HashMap::new(); p.classes.len()],
            on_types: vec![HashMap::new(); p.classes.len()],
            nodes_of_type: vec![Vec::new(); p.types.len()],
            node_type: HashMap::new(),
        }
    }

    /// Splits into the packer that moves pods and the rest.
    pub(crate) fn into_packer(self, p: &Problem) -> (Packer<'c>, Rest) {
        let packer = Packer {
            snapshot: self.snapshot,
            placed: self.placed,
            on_existing: self.on_existing,
            on_types: self.on_types,
            existing_index: p.existing_index.clone(),
            node_type: self.node_type,
            spread_watch: p.spread_watch.clone(),
        };
        let rest = Rest {
            pool_nodes: self.pool_nodes,
            leftover: self.leftover,
            nodes_of_type: self.nodes_of_type,
        };
        (packer, rest)
    }
}

impl<'c> Packer<'c> {
    /// Joins a packer and the rest back into a packing.
    pub(crate) fn into_packing(self, rest: Rest) -> Packing<'c> {
        Packing {
            snapshot: self.snapshot,
            pool_nodes: rest.pool_nodes,
            placed: self.placed,
            leftover: rest.leftover,
            on_existing: self.on_existing,
            on_types: self.on_types,
            nodes_of_type: rest.nodes_of_type,
            node_type: self.node_type,
        }
    }
}

impl Packer<'_> {
    /// Adds pool `pi`'s next new node (`<pool>-new-<k>`, in zone `k` mod
    /// its zones) to the snapshot, counted in `rest`.
    pub(crate) fn open_node(&mut self, p: &Problem, rest: &mut Rest, pi: usize) -> NodeId {
        let pool = &p.cluster.pools[pi];
        let k = rest.pool_nodes[pi] as usize;
        let id = self.snapshot.add_node(pool.new_node(PoolId(pi as u32), k));
        rest.pool_nodes[pi] += 1;
        if let Some(&t) = p.type_index.get(&(pi, k % pool.zones.len().max(1))) {
            self.node_type.insert(id, t);
            rest.nodes_of_type[t].push(id);
        }
        id
    }

    /// The type of new node `node` (None for an existing node).
    pub(crate) fn type_of(&self, node: NodeId) -> Option<usize> {
        self.node_type.get(&node).copied()
    }

    /// Undoes [`Packer::open_node`] for the last node added, `id` of pool
    /// `pi`, which must hold no pod.
    pub(crate) fn close_last_node(&mut self, rest: &mut Rest, pi: usize, id: NodeId) {
        self.snapshot.remove_last_node();
        rest.pool_nodes[pi] -= 1;
        if let Some(t) = self.node_type.remove(&id) {
            rest.nodes_of_type[t].pop();
        }
    }

    /// The problem's pods on `node`, with their classes (the pods bound
    /// before are not the packer's to move).
    pub(crate) fn problem_pods_on(&self, p: &Problem, node: NodeId) -> Vec<(PodId, usize)> {
        self.snapshot
            .info(node)
            .pods
            .iter()
            .filter_map(|q| p.class_of.get(q).map(|c| (*q, *c)))
            .collect()
    }

    /// Places `pod` (of class `c`) on `node` if every filter accepts it.
    pub(crate) fn try_place(
        &mut self,
        state: &mut PodState,
        c: usize,
        pod: PodId,
        node: NodeId,
    ) -> bool {
        state.pod = pod;
        if predicates::filter(&self.snapshot, state, node).is_err() {
            return false;
        }
        if !self.place_keeping_spread(c, pod, node) {
            return false;
        }
        state.add_pod(&self.snapshot, pod, node);
        true
    }

    /// Places `pod` (class `c`, which the filters accepted on `node`)
    /// unless that breaks, in the final state, the spread of a placed pod
    /// of another class whose constraint counts it: then leaves it out
    /// and says false. Only pods in `node`'s domain can break, and pods of
    /// one class on one node share a verdict: one per node is checked.
    pub(crate) fn place_keeping_spread(&mut self, c: usize, pod: PodId, node: NodeId) -> bool {
        self.force_place(c, pod, node);
        let watch = self.spread_watch.clone();
        let Some(list) = watch.watchers.get(c) else {
            return true;
        };
        for w in list {
            let Some((pods, keys)) = watch.watching.get(w) else {
                continue;
            };
            let labels = &self.snapshot.node(node).labels;
            let mut checked: HashSet<NodeId> = Default::default();
            let victims: Vec<(PodId, NodeId)> = pods
                .iter()
                .filter_map(|q| self.snapshot.placement(*q).map(|m| (*q, m)))
                .filter(|(_, m)| {
                    keys.iter().any(|k| {
                        labels.get(k).is_some()
                            && labels.get(k) == self.snapshot.node(*m).labels.get(k)
                    })
                })
                .filter(|(_, m)| checked.insert(*m))
                .collect();
            for (q, m) in victims {
                self.snapshot.unassign(q);
                let state = PodState::new(&self.snapshot, q);
                let ok = predicates::filter(&self.snapshot, &state, m).is_ok();
                self.snapshot.assign(q, m);
                if !ok {
                    self.unplace(c, pod, node);
                    return false;
                }
            }
        }
        true
    }

    /// Makes room for `pod` (class `c`) by moving one placed pod of the
    /// problem off a node to another node: for each candidate node and each
    /// movable pod on it, the pod takes its place if the moved one fits
    /// elsewhere; undone otherwise. Spends at most `budget` filter calls.
    /// `state` is class `c`'s state for the snapshot as it is, kept so by
    /// AddPod/RemovePod through every trial (computing it anew per trial
    /// costs a pass over the cluster, which at scale made completing
    /// leftovers take seconds).
    fn eject_one(
        &mut self,
        p: &Problem,
        candidates_of: &dyn Fn(usize) -> Vec<NodeId>,
        (c, pod): (usize, PodId),
        state: &mut PodState,
        budget: &mut usize,
    ) -> bool {
        for node in candidates_of(c) {
            for (q, qc) in self.problem_pods_on(p, node) {
                if *budget == 0 {
                    return false;
                }
                self.unplace(qc, q, node);
                state.remove_pod(&self.snapshot, q, node);
                *budget = budget.saturating_sub(1);
                if self.try_place(state, c, pod, node) {
                    if self.re_place(candidates_of, (qc, q), node, budget) {
                        let to = self.snapshot.placement(q).unwrap_or(node);
                        state.add_pod(&self.snapshot, q, to);
                        return true;
                    }
                    self.unplace(c, pod, node);
                    state.remove_pod(&self.snapshot, pod, node);
                }
                // Back where it was: that state was accepted before.
                self.force_place(qc, q, node);
                state.add_pod(&self.snapshot, q, node);
            }
        }
        false
    }

    /// Places the moved pod `q` (class `qc`) on one of its candidate nodes
    /// other than `from`; whether one took it.
    fn re_place(
        &mut self,
        candidates_of: &dyn Fn(usize) -> Vec<NodeId>,
        (qc, q): (usize, PodId),
        from: NodeId,
        budget: &mut usize,
    ) -> bool {
        let mut q_state = PodState::new(&self.snapshot, q);
        for other in candidates_of(qc) {
            if other == from {
                continue;
            }
            *budget = budget.saturating_sub(1);
            if self.try_place(&mut q_state, qc, q, other) {
                return true;
            }
        }
        false
    }

    /// Places without asking the filters: only to restore a placement
    /// that was accepted before.
    fn force_place(&mut self, c: usize, pod: PodId, node: NodeId) {
        self.snapshot.assign(pod, node);
        self.placed.push((pod, node));
        if let Some(e) = self.existing_index.get(&node) {
            *self.on_existing[c].entry(*e).or_insert(0) += 1;
        }
        if let Some(t) = self.node_type.get(&node) {
            *self.on_types[c].entry(*t).or_insert(0) += 1;
        }
    }

    /// Undoes `try_place`.
    pub(crate) fn unplace(&mut self, c: usize, pod: PodId, node: NodeId) {
        self.snapshot.unassign(pod);
        if let Some(i) = self.placed.iter().rposition(|(q, _)| *q == pod) {
            self.placed.swap_remove(i);
        }
        if let Some(e) = self.existing_index.get(&node) {
            untally(&mut self.on_existing[c], *e);
        }
        if let Some(t) = self.node_type.get(&node) {
            untally(&mut self.on_types[c], *t);
        }
    }

    /// [`Packer::unplace`] of each `(pod, class, node)` of `taken`, in
    /// order, with the same result; the pods' places in `placed` are
    /// looked up instead of searched (emptying a pool of 150,000 pods
    /// one search at a time took two seconds, past any deadline).
    pub(crate) fn unplace_all(&mut self, taken: &[(PodId, usize, NodeId)]) {
        // The last place of each pod, as `unplace`'s search from the end.
        let mut place: HashMap<PodId, usize> = self
            .placed
            .iter()
            .enumerate()
            .map(|(i, (q, _))| (*q, i))
            .collect();
        for &(pod, c, node) in taken {
            self.snapshot.unassign(pod);
            if let Some(i) = place.remove(&pod) {
                self.placed.swap_remove(i);
                if let Some((moved, _)) = self.placed.get(i) {
                    place.insert(*moved, i);
                }
            }
            if let Some(e) = self.existing_index.get(&node) {
                untally(&mut self.on_existing[c], *e);
            }
            if let Some(t) = self.node_type.get(&node) {
                untally(&mut self.on_types[c], *t);
            }
        }
    }

    /// Places up to `quota` pods from `pods[*next..]` round-robin over
    /// `nodes`, from `*cursor` on (shared by all classes, so that the load
    /// spreads evenly); stops early after a full round without success.
    #[allow(clippy::too_many_arguments)]
    fn round_robin(
        &mut self,
        state: &mut PodState,
        c: usize,
        pods: &[PodId],
        next: &mut usize,
        nodes: &[NodeId],
        cursor: &mut usize,
        quota: usize,
    ) {
        if nodes.is_empty() {
            return;
        }
        let (mut i, mut placed, mut misses) = (*cursor, 0usize, 0usize);
        while placed < quota && *next < pods.len() && misses < nodes.len() {
            let node = nodes[i % nodes.len()];
            i += 1;
            if self.try_place(state, c, pods[*next], node) {
                *next += 1;
                placed += 1;
                misses = 0;
            } else {
                misses += 1;
            }
        }
        *cursor = i % nodes.len();
    }
}

/// How the packer uses its guide.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Every class but the big ones takes its shares round-robin; the rest
    /// goes first-fit.
    RoundRobin,
    /// Only classes whose pods constrain each other (spread, affinity, one
    /// per node) take their shares round-robin; then node by node, each
    /// node is filled from the classes the guide puts on its type or bin,
    /// the pod best aligned with the node's free capacity first (the
    /// dot-product heuristic of vector packing); the rest goes first-fit.
    Fill,
}

/// Whether the pods of class `c` constrain where others of it (or other
/// pods) go: zone/host spread, pod (anti-)affinity, one per node.
pub(crate) fn constrained(p: &Problem, c: usize) -> bool {
    let spec = &p.cluster.pod(p.classes[c].representative()).spec;
    p.classes[c].one_per_node
        || !spec.pod_affinity.is_empty()
        || !spec.pod_anti_affinity.is_empty()
        || !spec.topology_spread.is_empty()
}

/// Packs every pod of the problem with `pool_nodes` new nodes per pool:
/// per class, first its `guide` shares (as `mode` says), then the rest
/// first-fit over existing nodes and new nodes by type in `preference`
/// order. Stops placing (the rest are leftovers) at `deadline`.
pub(crate) fn pack<'c>(
    p: &Problem<'c>,
    pool_nodes: &[u32],
    order: &[usize],
    preference: &[Vec<usize>],
    guide: Option<&Guide>,
    mode: Mode,
    deadline: Instant,
) -> Packing<'c> {
    let (mut packer, nodes_of_type) = Packer::with_new_nodes(p, pool_nodes);
    let mut next = vec![0usize; p.classes.len()];
    if let Some(g) = guide {
        let sharing: Vec<usize> = order
            .iter()
            .copied()
            .filter(|c| takes_shares(p, *c, mode))
            .collect();
        place_shares(
            p,
            &mut packer,
            g,
            &sharing,
            &nodes_of_type,
            &mut next,
            deadline,
        );
        if mode == Mode::Fill {
            fill_nodes(
                p,
                &mut packer,
                g,
                order,
                &nodes_of_type,
                &mut next,
                deadline,
            );
        }
    }
    let leftover = first_fit(
        p,
        &mut packer,
        order,
        preference,
        &nodes_of_type,
        &mut next,
        deadline,
    );
    packer.into_packing(Rest {
        pool_nodes: pool_nodes.to_vec(),
        leftover,
        nodes_of_type,
    })
}

impl<'c> Packer<'c> {
    /// A packer on the problem's base snapshot with `pool_nodes` new nodes
    /// per pool, all added before any pod is placed; and the new nodes of
    /// each type, in creation order.
    fn with_new_nodes(p: &Problem<'c>, pool_nodes: &[u32]) -> (Self, Vec<Vec<NodeId>>) {
        let mut snapshot = p.base.clone();
        let mut node_type: HashMap<NodeId, usize> = HashMap::new();
        for (pi, pool) in p.cluster.pools.iter().enumerate() {
            let zones = pool.zones.len().max(1);
            for k in 0..pool_nodes[pi] as usize {
                let id = snapshot.add_node(pool.new_node(PoolId(pi as u32), k));
                if let Some(&t) = p.type_index.get(&(pi, k % zones)) {
                    node_type.insert(id, t);
                }
            }
        }
        let mut nodes_of_type: Vec<Vec<NodeId>> = vec![Vec::new(); p.types.len()];
        let mut new_nodes: Vec<NodeId> = node_type.keys().copied().collect();
        new_nodes.sort();
        for n in &new_nodes {
            nodes_of_type[node_type[n]].push(*n);
        }
        let packer = Packer {
            snapshot,
            placed: Vec::new(),
            on_existing: vec![HashMap::new(); p.classes.len()],
            on_types: vec![HashMap::new(); p.classes.len()],
            existing_index: p.existing_index.clone(),
            node_type,
            spread_watch: p.spread_watch.clone(),
        };
        (packer, nodes_of_type)
    }
}

/// Whether class `c` takes its guide shares round-robin in `mode`: in
/// [`Mode::RoundRobin`] all but big pods (few to a node), which pack
/// better first-fit decreasing; in [`Mode::Fill`] only constrained ones.
fn takes_shares(p: &Problem, c: usize, mode: Mode) -> bool {
    match mode {
        Mode::RoundRobin => {
            let big = p.compat_types[c].iter().all(|(_, cap)| *cap <= BIG_POD_CAP)
                && !p.classes[c].one_per_node
                && !p.compat_types[c].is_empty();
            !big
        }
        Mode::Fill => constrained(p, c),
    }
}

/// Round-robin cursors per existing bin (Ok) or new-node type (Err),
/// shared across classes so that the load spreads.
type Cursors = HashMap<Result<usize, usize>, usize>;

/// A class's guide share on one existing bin (Ok) or type (Err): its
/// nodes, and how many pods it may still take there.
struct Share {
    nodes: Vec<NodeId>,
    target: Result<usize, usize>,
    quota: usize,
}

/// Phase 1: each class of `classes` takes its guide shares round-robin
/// over the nodes of each bin or type, one pod per share in turn, so that
/// spread over zones stays balanced while the shares fill. Stops at
/// `deadline`.
fn place_shares(
    p: &Problem,
    packer: &mut Packer,
    g: &Guide,
    classes: &[usize],
    nodes_of_type: &[Vec<NodeId>],
    next: &mut [usize],
    deadline: Instant,
) {
    let mut cursors = Cursors::new();
    for &c in classes {
        if Instant::now() >= deadline {
            break;
        }
        let pods = &p.classes[c].pods;
        let mut state = PodState::new(&packer.snapshot, p.classes[c].representative());
        let mut open = shares(p, g, c, nodes_of_type);
        while !open.is_empty() && next[c] < pods.len() {
            open.retain_mut(|share| {
                if next[c] >= pods.len() {
                    return false;
                }
                let cursor = cursors.entry(share.target).or_insert(0);
                let before = next[c];
                packer.round_robin(&mut state, c, pods, &mut next[c], &share.nodes, cursor, 1);
                if next[c] == before {
                    return false;
                }
                share.quota -= 1;
                share.quota > 0
            });
        }
    }
}

/// Class `c`'s shares in the guide with at least one pod and one node,
/// largest first.
fn shares(p: &Problem, g: &Guide, c: usize, nodes_of_type: &[Vec<NodeId>]) -> Vec<Share> {
    let mut shares: Vec<(f64, Result<usize, usize>)> = Vec::new();
    for (b, x) in &g.on_bins[c] {
        shares.push((*x, Ok(*b)));
    }
    for (t, x) in &g.on_types[c] {
        shares.push((*x, Err(*t)));
    }
    shares.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    shares
        .into_iter()
        .map(|(x, target)| Share {
            nodes: match target {
                Ok(b) => g.bins[b].iter().map(|i| p.existing[*i]).collect(),
                Err(t) => nodes_of_type[t].clone(),
            },
            target,
            quota: (x + 1e-6).floor() as usize,
        })
        .filter(|share| share.quota > 0 && !share.nodes.is_empty())
        .collect()
}

/// Where class `c` may go, in the order it tries: the existing nodes
/// that may take it, then the new nodes by type in `preference` order.
pub(crate) fn candidate_nodes(
    p: &Problem,
    c: usize,
    preference: &[Vec<usize>],
    nodes_of_type: &[Vec<NodeId>],
) -> Vec<NodeId> {
    let mut candidates: Vec<NodeId> = p.compat_existing[c]
        .iter()
        .map(|(i, _)| p.existing[*i])
        .collect();
    for &t in &preference[c] {
        candidates.extend(nodes_of_type[t].iter().copied());
    }
    candidates
}

/// Phase 2: the pods of each class not placed yet, first-fit over its
/// [`candidate_nodes`] (from where the class's last pod went), in class
/// `order`; the pods that find no node (all those after `deadline`) are
/// the leftovers.
fn first_fit(
    p: &Problem,
    packer: &mut Packer,
    order: &[usize],
    preference: &[Vec<usize>],
    nodes_of_type: &[Vec<NodeId>],
    next: &mut [usize],
    deadline: Instant,
) -> Vec<PodId> {
    let mut leftover = Vec::new();
    for &c in order {
        let pods = &p.classes[c].pods;
        if next[c] >= pods.len() {
            continue;
        }
        if Instant::now() < deadline {
            let candidates = candidate_nodes(p, c, preference, nodes_of_type);
            packer.first_fit_class(p, c, &candidates, &mut next[c]);
        }
        leftover.extend(pods[next[c]..].iter().copied());
    }
    leftover
}

impl Packer<'_> {
    /// Places the pods of class `c` from `*next` on, each on the first of
    /// `candidates` that takes it, from where the previous one went; stops
    /// at the first that fits nowhere (nothing else changes while this
    /// class is placed: the rest of it cannot fit either).
    fn first_fit_class(&mut self, p: &Problem, c: usize, candidates: &[NodeId], next: &mut usize) {
        let pods = &p.classes[c].pods;
        let mut state = PodState::new(&self.snapshot, p.classes[c].representative());
        let mut cursor = 0;
        while *next < pods.len() {
            let pod = pods[*next];
            let found = (0..candidates.len())
                .map(|step| (cursor + step) % candidates.len())
                .find(|&i| self.try_place(&mut state, c, pod, candidates[i]));
            let Some(i) = found else {
                break;
            };
            cursor = i;
            *next += 1;
        }
    }
}

/// Pods a node group may still take, per class: (class, pods).
pub(crate) type Quotas = Vec<(usize, usize)>;

/// The bin-centric phase of [`Mode::Fill`]: each class's quota on a bin
/// or type is its guide share (rounded) minus what it already has there;
/// every node of the bin or type, in order, takes pods of the classes with
/// quota left there, the one whose request is best aligned with the node's
/// free capacity (largest dot product, both relative to the node's
/// capacity) first, until none fits.
fn fill_nodes(
    p: &Problem,
    packer: &mut Packer,
    g: &Guide,
    order: &[usize],
    nodes_of_type: &[Vec<NodeId>],
    next: &mut [usize],
    deadline: Instant,
) {
    // Targets: existing bins (Ok) and types (Err), each with its quotas.
    let mut targets: Vec<(Vec<NodeId>, Quotas)> = Vec::new();
    let mut add_target = |nodes: Vec<NodeId>, quotas: Quotas| {
        if !nodes.is_empty() && !quotas.is_empty() {
            targets.push((nodes, quotas));
        }
    };
    for (b, members) in g.bins.iter().enumerate() {
        let quotas: Vec<(usize, usize)> = order
            .iter()
            .filter_map(|&c| {
                let share = g.on_bins[c].get(&b).copied().unwrap_or(0.0);
                let had: u32 = members
                    .iter()
                    .map(|i| packer.on_existing[c].get(i).copied().unwrap_or(0))
                    .sum();
                let q = ((share + 0.5).floor() as usize).saturating_sub(had as usize);
                (q > 0).then_some((c, q))
            })
            .collect();
        add_target(members.iter().map(|i| p.existing[*i]).collect(), quotas);
    }
    for (t, nodes) in nodes_of_type.iter().enumerate() {
        let quotas: Vec<(usize, usize)> = order
            .iter()
            .filter_map(|&c| {
                let share = g.on_types[c].get(&t).copied().unwrap_or(0.0);
                let had = packer.on_types[c].get(&t).copied().unwrap_or(0);
                let q = ((share + 0.5).floor() as usize).saturating_sub(had as usize);
                (q > 0).then_some((c, q))
            })
            .collect();
        add_target(nodes.clone(), quotas);
    }
    let lists: Vec<&[PodId]> = p.classes.iter().map(|c| c.pods.as_slice()).collect();
    let mut filler = Filler::new(p);
    for (nodes, mut quotas) in targets {
        for node in nodes {
            if Instant::now() >= deadline {
                return;
            }
            quotas.retain(|(c, q)| *q > 0 && next[*c] < lists[*c].len());
            if quotas.is_empty() {
                break;
            }
            filler.fill(p, packer, node, &mut quotas, &lists, next);
        }
    }
}

/// Fills single nodes from per-class lists of pods (see [`Mode::Fill`]),
/// keeping one PreFilter state per class up to date.
pub(crate) struct Filler {
    /// Classes whose state counts every placed pod.
    stateful: Vec<bool>,
    /// Classes whose pods repel others (required anti-affinity).
    repels: Vec<bool>,
    /// Per class, its PreFilter state.
    pub states: HashMap<usize, PodState>,
}

impl Filler {
    /// A filler for the problem's classes, with no state yet.
    pub(crate) fn new(p: &Problem) -> Self {
        Filler {
            stateful: (0..p.classes.len()).map(|c| constrained(p, c)).collect(),
            repels: (0..p.classes.len())
                .map(|c| {
                    !p.cluster
                        .pod(p.classes[c].representative())
                        .spec
                        .pod_anti_affinity
                        .is_empty()
                })
                .collect(),
            states: HashMap::new(),
        }
    }

    /// Places on `node`, one at a time, the pod of the class (with quota
    /// left in `quotas`, pods left in `lists[c][next[c]..]`) whose request
    /// is best aligned with the node's free capacity, until none fits.
    pub(crate) fn fill<L: AsRef<[PodId]>>(
        &mut self,
        p: &Problem,
        packer: &mut Packer,
        node: NodeId,
        quotas: &mut [(usize, usize)],
        lists: &[L],
        next: &mut [usize],
    ) {
        let ndims = p.dims.len();
        let alloc = packer.snapshot.node(node).allocatable.clone();
        let cap: Vec<f64> = p
            .dims
            .iter()
            .map(|d| (d.of(&alloc) as f64).max(1.0))
            .collect();
        let mut blocked = vec![false; quotas.len()];
        loop {
            let free = free_of(&p.dims, &alloc, packer.snapshot.info(node));
            let mut best: Option<(f64, usize)> = None;
            for (k, (c, q)) in quotas.iter().enumerate() {
                if blocked[k] || *q == 0 || next[*c] >= lists[*c].as_ref().len() {
                    continue;
                }
                let req = &p.class_req[*c];
                if (0..ndims).any(|d| req[d] > free[d]) {
                    blocked[k] = true;
                    continue;
                }
                let score: f64 = (0..ndims).map(|d| req[d] / cap[d] * free[d] / cap[d]).sum();
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, k));
                }
            }
            let Some((_, k)) = best else { break };
            let c = quotas[k].0;
            let pod = lists[c].as_ref()[next[c]];
            let state = self
                .states
                .entry(c)
                .or_insert_with(|| PodState::new(&packer.snapshot, pod));
            state.pod = pod;
            if predicates::filter(&packer.snapshot, state, node).is_err()
                || !packer.place_keeping_spread(c, pod, node)
            {
                blocked[k] = true;
                continue;
            }
            next[c] += 1;
            quotas[k].1 -= 1;
            self.placed(c, pod, node, &packer.snapshot);
        }
    }

    /// Other classes' counts after `pod` (class `c`) went to `node`:
    /// constrained classes count every pod; the others only pods that
    /// repel them.
    pub(crate) fn placed(&mut self, c: usize, pod: PodId, node: NodeId, snapshot: &Snapshot) {
        let repels = self.repels[c];
        for (other, st) in self.states.iter_mut() {
            if *other == c || self.stateful[*other] || repels {
                st.add_pod(snapshot, pod, node);
            }
        }
    }
}

/// Filter calls the repair of [`complete`] (making room by moving one pod)
/// may spend in all: it is quadratic.
const EJECT_BUDGET: usize = 20_000;

/// Places a packing's leftovers by adding nodes, as cluster-autoscaler
/// would but cheapest-per-pod first: each leftover pod goes first-fit on
/// any node; failing that, one placed pod moves elsewhere to make room;
/// failing that, its preferred pools add nodes (up to one per zone, for
/// zone-spread pods) until one takes it; pods that no pool can take stay
/// leftovers. Nodes added for a pod that still does not fit are removed
/// again.
pub(crate) fn complete<'c>(
    p: &Problem<'c>,
    packing: Packing<'c>,
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
) -> Packing<'c> {
    if packing.leftover.is_empty() {
        return packing;
    }
    let (packer, mut rest) = packing.into_packer(p);
    let left: HashSet<PodId> = std::mem::take(&mut rest.leftover).into_iter().collect();
    let mut completion = Completion {
        p,
        packer,
        rest,
        preference,
        deadline,
        eject_budget: EJECT_BUDGET,
    };
    let mut still = Vec::new();
    for &c in order {
        let pods: Vec<PodId> = p.classes[c]
            .pods
            .iter()
            .filter(|x| left.contains(x))
            .copied()
            .collect();
        let placed = completion.place_class(c, &pods);
        still.extend(pods[placed..].iter().copied());
    }
    completion.rest.leftover = still;
    completion.packer.into_packing(completion.rest)
}

/// The state of [`complete`].
struct Completion<'a, 'c> {
    p: &'a Problem<'c>,
    packer: Packer<'c>,
    rest: Rest,
    preference: &'a [Vec<usize>],
    deadline: Instant,
    /// Filter calls the moves of one pod may still spend.
    eject_budget: usize,
}

impl<'c> Completion<'_, 'c> {
    /// Places `pods` (of class `c`) in turn, each on a node that takes it,
    /// after moving one pod, or on added nodes; how many it placed before
    /// one found no way (or the deadline passed).
    fn place_class(&mut self, c: usize, pods: &[PodId]) -> usize {
        let p = self.p;
        let mut next = 0;
        let mut state = None;
        while next < pods.len() {
            if Instant::now() >= self.deadline {
                break;
            }
            let pod = pods[next];
            let st = state.get_or_insert_with(|| PodState::new(&self.packer.snapshot, pod));
            let candidates = candidate_nodes(p, c, self.preference, &self.rest.nodes_of_type);
            if candidates
                .iter()
                .any(|n| self.packer.try_place(st, c, pod, *n))
            {
                next += 1;
                continue;
            }
            // Make room by moving one pod elsewhere, before paying for a node.
            if self.make_room(c, pod, st) {
                next += 1;
                continue;
            }
            let Some(fresh) = self.scale_up(c, pod, state.as_ref()) else {
                break;
            };
            state = Some(fresh);
            next += 1;
        }
        next
    }

    /// [`Packer::eject_one`] over the classes' candidate nodes, keeping
    /// class `c`'s `state` up to date.
    fn make_room(&mut self, c: usize, pod: PodId, state: &mut PodState) -> bool {
        let (p, preference) = (self.p, self.preference);
        let nodes_of_type = &self.rest.nodes_of_type;
        let candidates_of = |k: usize| candidate_nodes(p, k, preference, nodes_of_type);
        self.packer
            .eject_one(p, &candidates_of, (c, pod), state, &mut self.eject_budget)
    }

    /// Scale up: the class's preferred pools in order add nodes for `pod`,
    /// first without opening a zone no node has yet (a new topology
    /// domain can break zone spread already placed), then with. The pod's
    /// state on the new node that took it, from `current` (the state
    /// before the nodes were added, else computed anew).
    fn scale_up(&mut self, c: usize, pod: PodId, current: Option<&PodState>) -> Option<PodState> {
        let p = self.p;
        let mut pools: Vec<usize> = self.preference[c]
            .iter()
            .map(|t| p.types[*t].pool.index())
            .collect();
        pools.dedup();
        for allow_new_zone in [false, true] {
            for &pi in &pools {
                if let Some(state) = self.add_nodes_for(pi, c, pod, allow_new_zone, current) {
                    return Some(state);
                }
            }
        }
        None
    }

    /// Adds nodes of pool `pi`, up to one per zone and within its room,
    /// until one takes `pod` (class `c`): its state there. Stops before a
    /// node that opens a new zone unless `allow_new_zone`. Nodes added in
    /// vain are removed. A new node is a new topology domain: `current`
    /// is updated with each (`PodState::add_node`), which at scale is much
    /// cheaper than computing the state anew for every node.
    fn add_nodes_for(
        &mut self,
        pi: usize,
        c: usize,
        pod: PodId,
        allow_new_zone: bool,
        current: Option<&PodState>,
    ) -> Option<PodState> {
        let p = self.p;
        let pool = &p.cluster.pools[pi];
        let mut added = Vec::new();
        let mut running = current.cloned();
        for _ in 0..pool.zones.len().max(1) {
            if self.rest.pool_nodes[pi] >= p.pool_room[pi] {
                break;
            }
            let k = self.rest.pool_nodes[pi] as usize;
            if !allow_new_zone && self.opens_zone(&pool.new_node(PoolId(pi as u32), k)) {
                break;
            }
            let id = self.packer.open_node(p, &mut self.rest, pi);
            added.push(id);
            let snapshot = &self.packer.snapshot;
            let state = match &mut running {
                Some(state) => {
                    state.add_node(snapshot, id);
                    state
                }
                None => running.insert(PodState::new(snapshot, pod)),
            };
            if self.packer.try_place(state, c, pod, id) {
                return running;
            }
        }
        for id in added.into_iter().rev() {
            self.packer.close_last_node(&mut self.rest, pi, id);
        }
        None
    }

    /// Whether `node` would be the first in its zone.
    fn opens_zone(&self, node: &Node) -> bool {
        let snapshot = &self.packer.snapshot;
        node.labels.get(ZONE).is_some_and(|z| {
            !snapshot
                .node_ids()
                .any(|n| snapshot.node(n).labels.get(ZONE) == Some(z))
        })
    }
}

/// Consolidation inside the plan (not `place --repack`'s, which removes
/// existing nodes): the last new node of each pool (most expensive pool
/// first) is emptied when every problem pod on it finds another node that
/// every filter accepts; an emptied tail node is then dropped
/// (`trimmed`). Stops at the first node that cannot be emptied in each
/// pool, or at `deadline`.
pub(crate) fn empty_last_nodes<'c>(
    p: &Problem<'c>,
    packing: Packing<'c>,
    preference: &[Vec<usize>],
    deadline: Instant,
) -> Packing<'c> {
    let (mut packer, rest) = packing.into_packer(p);
    let mut emptied: HashSet<NodeId> = HashSet::new();
    let name_of: HashMap<String, NodeId> = packer
        .snapshot
        .node_ids()
        .map(|n| (packer.snapshot.node(n).name.clone(), n))
        .collect();
    for pi in p.pools_by_cost_desc() {
        let pool = &p.cluster.pools[pi];
        let mut k = rest.pool_nodes[pi];
        while k > 0 && Instant::now() < deadline {
            let name = pool.new_node(PoolId(pi as u32), k as usize - 1).name;
            let Some(&last) = name_of.get(&name) else {
                break;
            };
            let others = |c: usize| {
                candidate_nodes(p, c, preference, &rest.nodes_of_type)
                    .into_iter()
                    .filter(|n| *n != last && !emptied.contains(n))
                    .collect::<Vec<_>>()
            };
            if !packer.empty_node(p, last, &others) {
                break;
            }
            emptied.insert(last);
            k -= 1;
        }
    }
    packer.into_packing(rest)
}

impl Packer<'_> {
    /// Moves every problem pod on `node` to the first of `others(class)`
    /// that takes it; when one finds none, puts them all back and says
    /// false.
    fn empty_node(
        &mut self,
        p: &Problem,
        node: NodeId,
        others: &dyn Fn(usize) -> Vec<NodeId>,
    ) -> bool {
        let residents = self.problem_pods_on(p, node);
        for &(q, c) in &residents {
            self.unplace(c, q, node);
        }
        let mut moved: Vec<(PodId, NodeId)> = Vec::new();
        for &(q, c) in &residents {
            let mut state = PodState::new(&self.snapshot, q);
            let target = others(c)
                .into_iter()
                .find(|n| self.try_place(&mut state, c, q, *n));
            let Some(n) = target else {
                for (q, n) in moved {
                    self.unplace(p.class_of[&q], q, n);
                }
                for &(q, c) in &residents {
                    self.force_place(c, q, node);
                }
                return false;
            };
            moved.push((q, n));
        }
        true
    }
}
