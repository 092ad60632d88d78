//! Rebuilding one pool: its new nodes emptied of the problem's pods and
//! filled again from scratch, node by node ([`rebuild_pool`]), three ways
//! ([`Rebuild`]): the best-aligned pod first, the mix a bounded knapsack
//! says fills the node best, or the patterns of the pool's configuration
//! LP by column generation (Gilmore and Gomory's cutting-stock method).
//! Pod by pod, greedy packing strands capacity on big multi-dimensional
//! pods; node by node saves nodes there. (Not `place --repack`, which
//! moves bound pods off existing nodes: `ops::consolidate`.)

use super::pack::{candidate_nodes, constrained, Filler, Packer, Packing, Quotas};
use super::problem::{free_of, Problem};
use crate::engine::lp::seconds_until;
use crate::model::{NodeId, PodId};
use crate::predicates::{self, PodState};
use web_time::Instant;

/// How [`rebuild_pool`] fills the nodes after the constrained classes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rebuild {
    /// Node by node, in creation order, the best-aligned pod first
    /// ([`Mode::Fill`](super::pack::Mode::Fill)).
    Greedy,
    /// Each node, in creation order, takes the mix of the other pods that
    /// fills it best: a bounded knapsack over their classes in the two
    /// dimensions they need most nodes for (in units of the gcd of their
    /// requests), a unit of a dimension worth what that dimension still
    /// needs in nodes, so scarce capacity goes first and no node keeps a
    /// gap the rest could not fill (minimum bin slack). For pools of few,
    /// big pods (memory-heavy), where pod-by-pod greed strands capacity;
    /// the filters still decide every placement. The rebuild is None
    /// also when the units are too fine for the table.
    Knapsack,
    /// The nodes take the patterns (pods per class on one node) of the
    /// pool's configuration LP, solved by column generation with the
    /// knapsack as pricing, rounded down; the pods the rounding leaves go
    /// node by node as in [`Rebuild::Greedy`].
    Patterns,
}

impl Rebuild {
    /// Every way, in the order they are tried.
    pub(crate) const ALL: [Rebuild; 3] = [Rebuild::Greedy, Rebuild::Knapsack, Rebuild::Patterns];

    /// Suffix for the trace (`rebuilt pool <pool><label>`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Rebuild::Greedy => "",
            Rebuild::Knapsack => " by knapsack",
            Rebuild::Patterns => " by patterns",
        }
    }
}

/// Rebuilds pool `pi`'s new nodes from scratch: takes the problem's pods
/// off them; places the constrained classes (spread, affinity, one per
/// node) first, one pod per node in turn over as many nodes as the pods'
/// total requests need; then the others node by node as `mode` says;
/// pods left over go first-fit anywhere they may. The nodes left empty
/// at the end of the pool are what this saves (the caller trims them).
/// None when some pod finds no node, at `deadline`, or when the
/// knapsack's units are too fine.
pub(crate) fn rebuild_pool<'c>(
    p: &Problem<'c>,
    packing: &Packing<'c>,
    pi: usize,
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
    mode: Rebuild,
) -> Option<Packing<'c>> {
    let nodes = new_nodes_of_pool(p, packing, pi);
    if nodes.len() < 2 {
        return None;
    }
    let first_type = packing.node_type.get(&nodes[0]).copied()?;
    let free = &p.type_free[first_type];
    let (packer, rest) = packing.clone_packing().into_packer(p);
    let mut pool = Rebuilding::emptied(p, packer, &nodes, deadline);
    let need = pool.nodes_needed(free).clamp(1, nodes.len());
    let knapsack = mode != Rebuild::Greedy;
    pool.spread_constrained(order, &nodes[..need], knapsack)?;
    pool.fill_nodes(order, &nodes, free, mode)?;
    pool.first_fit_rest(order, preference, &rest.nodes_of_type)?;
    Some(pool.packer.into_packing(rest))
}

/// Pool `pi`'s new nodes in the packing, in creation order.
fn new_nodes_of_pool(p: &Problem, packing: &Packing, pi: usize) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = p
        .types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.pool.index() == pi)
        .flat_map(|(t, _)| packing.nodes_of_type[t].iter().copied())
        .collect();
    nodes.sort();
    nodes
}

/// A pool being rebuilt: the packer with the problem's pods taken off the
/// pool's nodes, and those pods per class, placed again from `next` on.
struct Rebuilding<'a, 'c> {
    p: &'a Problem<'c>,
    packer: Packer<'c>,
    filler: Filler,
    /// Per class, the pods taken off the pool's nodes.
    lists: Vec<Vec<PodId>>,
    /// Per class, how many of `lists` are placed again.
    next: Vec<usize>,
    deadline: Instant,
}

impl<'a, 'c> Rebuilding<'a, 'c> {
    /// Takes the problem's pods off `nodes`.
    fn emptied(
        p: &'a Problem<'c>,
        mut packer: Packer<'c>,
        nodes: &[NodeId],
        deadline: Instant,
    ) -> Self {
        let mut lists: Vec<Vec<PodId>> = vec![Vec::new(); p.classes.len()];
        let mut taken = Vec::new();
        for &node in nodes {
            for (q, c) in packer.problem_pods_on(p, node) {
                taken.push((q, c, node));
                lists[c].push(q);
            }
        }
        packer.unplace_all(&taken);
        Rebuilding {
            p,
            packer,
            filler: Filler::new(p),
            lists,
            next: vec![0; p.classes.len()],
            deadline,
        }
    }

    /// Pods of class `c` not placed again yet.
    fn left(&self, c: usize) -> bool {
        self.next[c] < self.lists[c].len()
    }

    /// Nodes of `free` capacity the pods need at least, by their total
    /// request per dimension.
    fn nodes_needed(&self, free: &[f64]) -> usize {
        let p = self.p;
        (0..p.dims.len())
            .map(|d| {
                let total: f64 = (0..p.classes.len())
                    .map(|c| p.class_req[c][d] * self.lists[c].len() as f64)
                    .sum();
                if free[d] > 0.0 {
                    (total / free[d]).ceil() as usize
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0)
    }

    /// The constrained classes, one pod per node in turn over `nodes`
    /// (zones alternate in creation order, so spread stays even), until a
    /// whole round places none; with the `knapsack`, not the classes it
    /// takes one at a time. None at the deadline.
    fn spread_constrained(
        &mut self,
        order: &[usize],
        nodes: &[NodeId],
        knapsack: bool,
    ) -> Option<()> {
        let p = self.p;
        let mut cursor = 0usize;
        for &c in order {
            if self.lists[c].is_empty() || !constrained(p, c) || (knapsack && one_at_a_time(p, c)) {
                continue;
            }
            let mut misses = 0;
            while self.left(c) && misses < nodes.len() {
                if Instant::now() >= self.deadline {
                    return None;
                }
                let node = nodes[cursor % nodes.len()];
                cursor += 1;
                if self.place_next(c, node) {
                    misses = 0;
                } else {
                    misses += 1;
                }
            }
        }
        Some(())
    }

    /// Places the next pod of class `c` on `node` if every filter accepts
    /// it and no placed pod's spread breaks.
    fn place_next(&mut self, c: usize, node: NodeId) -> bool {
        let pod = self.lists[c][self.next[c]];
        let packer = &mut self.packer;
        let state = self
            .filler
            .states
            .entry(c)
            .or_insert_with(|| PodState::new(&packer.snapshot, pod));
        state.pod = pod;
        if predicates::filter(&packer.snapshot, state, node).is_err()
            || !packer.place_keeping_spread(c, pod, node)
        {
            return false;
        }
        self.next[c] += 1;
        self.filler.placed(c, pod, node, &packer.snapshot);
        true
    }

    /// The rest, node by node in creation order, as `mode` says: the
    /// pattern of the node's turn, the knapsack's mix, or the best-aligned
    /// pod first. None at the deadline, or when the knapsack does not
    /// apply or its LP fails.
    fn fill_nodes(
        &mut self,
        order: &[usize],
        nodes: &[NodeId],
        free: &[f64],
        mode: Rebuild,
    ) -> Option<()> {
        let p = self.p;
        let mut quotas: Quotas = order
            .iter()
            .filter(|c| self.left(**c))
            .map(|c| (*c, usize::MAX))
            .collect();
        let table = match mode {
            Rebuild::Greedy => None,
            _ => {
                let classes: Vec<usize> = quotas.iter().map(|(c, _)| *c).collect();
                Some(Knapsack::new(p, &classes, &self.lists, &self.next, free)?)
            }
        };
        let patterns = match (&table, mode) {
            (Some(table), Rebuild::Patterns) => self.node_patterns(table, free)?,
            _ => Vec::new(),
        };
        let knapsack = table.as_ref().filter(|_| mode == Rebuild::Knapsack);
        for (k, &node) in nodes.iter().enumerate() {
            if Instant::now() >= self.deadline {
                return None;
            }
            quotas.retain(|(c, _)| self.left(*c));
            if quotas.is_empty() {
                break;
            }
            match (patterns.get(k), knapsack) {
                (Some(pattern), _) => self.fill(node, &mut pattern.clone()),
                (None, Some(table)) => {
                    let node_free = free_of(
                        &p.dims,
                        &self.packer.snapshot.node(node).allocatable,
                        self.packer.snapshot.info(node),
                    );
                    let mut chosen = table.choose(p, &self.lists, &self.next, &node_free);
                    self.fill(node, &mut chosen);
                }
                (None, None) => self.fill(node, &mut quotas),
            }
        }
        Some(())
    }

    /// The configuration LP's patterns, rounded down, one node each, as
    /// quotas per class. None when its LP fails.
    fn node_patterns(&self, table: &Knapsack, free: &[f64]) -> Option<Vec<Quotas>> {
        let mut patterns: Vec<Quotas> = Vec::new();
        for (pattern, copies) in
            table.patterns(self.p, &self.lists, &self.next, free, self.deadline)?
        {
            let quotas: Quotas = pattern
                .iter()
                .enumerate()
                .filter(|(_, k)| **k > 0)
                .map(|(i, k)| (table.classes[i], *k))
                .collect();
            patterns.extend(std::iter::repeat_n(quotas, copies));
        }
        Some(patterns)
    }

    /// [`Filler::fill`] on `node` within `quotas`.
    fn fill(&mut self, node: NodeId, quotas: &mut [(usize, usize)]) {
        self.filler.fill(
            self.p,
            &mut self.packer,
            node,
            quotas,
            &self.lists,
            &mut self.next,
        );
    }

    /// The pods still left, first-fit over their candidate nodes (existing,
    /// then new by type in `preference` order). None when one finds none.
    fn first_fit_rest(
        &mut self,
        order: &[usize],
        preference: &[Vec<usize>],
        nodes_of_type: &[Vec<NodeId>],
    ) -> Option<()> {
        for &c in order {
            if !self.left(c) {
                continue;
            }
            let mut state = PodState::new(&self.packer.snapshot, self.lists[c][self.next[c]]);
            let candidates = candidate_nodes(self.p, c, preference, nodes_of_type);
            while self.left(c) {
                let pod = self.lists[c][self.next[c]];
                if !candidates
                    .iter()
                    .any(|n| self.packer.try_place(&mut state, c, pod, *n))
                {
                    return None;
                }
                self.next[c] += 1;
            }
        }
        Some(())
    }
}

/// Column-generation rounds of [`Knapsack::patterns`] at most.
const PRICING_ROUNDS: usize = 200;

/// States (products of capacity units over the two binding dimensions)
/// up to which the knapsack rebuild applies.
const KNAPSACK_STATES: usize = 4096;

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Constrained classes the knapsack takes at most one pod of per node
/// (spread, anti-affinity, one per node): all but pod affinity, whose
/// pods must find their targets first.
fn one_at_a_time(p: &Problem, c: usize) -> bool {
    constrained(p, c)
        && p.cluster
            .pod(p.classes[c].representative())
            .spec
            .pod_affinity
            .is_empty()
}

/// The knapsack of [`Rebuild::Knapsack`]: its classes, dimensions
/// and units.
struct Knapsack {
    /// Classes it chooses from.
    classes: Vec<usize>,
    /// The (at most two) dimensions it counts.
    dims: Vec<usize>,
    /// Size of a unit per dimension (the gcd of the requests).
    unit: Vec<f64>,
    /// Per class, its request in units per dimension (rounded up).
    size: Vec<Vec<usize>>,
}

impl Knapsack {
    /// The table for the pods of `classes` left in `lists` (from `next`)
    /// on nodes with `free` capacity; None when its units are too fine.
    fn new(
        p: &Problem,
        classes: &[usize],
        lists: &[Vec<PodId>],
        next: &[usize],
        free: &[f64],
    ) -> Option<Knapsack> {
        let left = |c: usize| (lists[c].len() - next[c]) as f64;
        let need = |d: usize| -> f64 {
            let total: f64 = classes.iter().map(|c| p.class_req[*c][d] * left(*c)).sum();
            if free[d] > 0.0 {
                total / free[d]
            } else {
                0.0
            }
        };
        let mut dims: Vec<usize> = (0..p.dims.len()).filter(|d| need(*d) > 0.0).collect();
        dims.sort_by(|a, b| need(*b).total_cmp(&need(*a)));
        dims.truncate(2);
        if dims.is_empty() {
            return None;
        }
        let unit: Vec<f64> = dims
            .iter()
            .map(|&d| {
                classes
                    .iter()
                    .map(|c| p.class_req[*c][d] as u64)
                    .fold(0, gcd)
                    .max(1) as f64
            })
            .collect();
        let states: usize = dims
            .iter()
            .zip(&unit)
            .map(|(&d, u)| (free[d] / u).floor() as usize + 1)
            .product();
        if states > KNAPSACK_STATES {
            return None;
        }
        let size = classes
            .iter()
            .map(|c| {
                dims.iter()
                    .zip(&unit)
                    .map(|(&d, u)| (p.class_req[*c][d] / u).ceil() as usize)
                    .collect()
            })
            .collect();
        Some(Knapsack {
            classes: classes.to_vec(),
            dims,
            unit,
            size,
        })
    }

    /// How many pods of each class to put on a node with `node_free`
    /// capacity: the mix of most worth that fits in the counted
    /// dimensions, a unit worth the nodes its dimension still needs.
    fn choose(
        &self,
        p: &Problem,
        lists: &[Vec<PodId>],
        next: &[usize],
        node_free: &[f64],
    ) -> Quotas {
        let left: Vec<usize> = self
            .classes
            .iter()
            .map(|c| lists[*c].len() - next[*c])
            .collect();
        // Worth of a unit per dimension: nodes the rest still needs there.
        let worth: Vec<f64> = self
            .dims
            .iter()
            .zip(&self.unit)
            .map(|(&d, u)| {
                let total: f64 = self
                    .classes
                    .iter()
                    .zip(&left)
                    .map(|(c, l)| p.class_req[*c][d] * *l as f64)
                    .sum();
                total / node_free[d].max(1.0) * u / node_free[d].max(1.0)
            })
            .collect();
        let gains: Vec<f64> = self
            .size
            .iter()
            .map(|size| size.iter().zip(&worth).map(|(s, w)| *s as f64 * w).sum())
            .collect();
        self.best_mix(p, &left, &gains, node_free)
            .into_iter()
            .enumerate()
            .filter(|(_, k)| *k > 0)
            .map(|(i, k)| (self.classes[i], k))
            .collect()
    }

    /// The configuration LP of the pods left (from `next`) on nodes with
    /// `free` capacity, by column generation: start from one pattern per
    /// class (as many of it as a node holds) and the size-weighted mix;
    /// price the classes (the dual), add the knapsack's most valuable
    /// pattern while it is worth more than a node; then the fewest nodes
    /// per pattern, rounded down. (pattern, nodes) pairs, patterns indexed
    /// like `classes`. None when a solve fails.
    fn patterns(
        &self,
        p: &Problem,
        lists: &[Vec<PodId>],
        next: &[usize],
        free: &[f64],
        deadline: Instant,
    ) -> Option<Vec<(Vec<usize>, usize)>> {
        let left: Vec<usize> = self
            .classes
            .iter()
            .map(|c| lists[*c].len() - next[*c])
            .collect();
        let n = self.classes.len();
        let mut patterns: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let mut gains = vec![0.0; n];
            gains[i] = 1.0;
            let pattern = self.best_mix(p, &left, &gains, free);
            if pattern.iter().any(|k| *k > 0) && !patterns.contains(&pattern) {
                patterns.push(pattern);
            }
        }
        for _ in 0..PRICING_ROUNDS {
            if Instant::now() >= deadline {
                return None;
            }
            let prices = super::bound::pattern_prices(&patterns, &left, seconds_until(deadline))?;
            let pattern = self.best_mix(p, &left, &prices, free);
            let worth: f64 = pattern
                .iter()
                .zip(&prices)
                .map(|(k, y)| *k as f64 * y)
                .sum();
            if worth <= 1.0 + 1e-6 || patterns.contains(&pattern) {
                break;
            }
            patterns.push(pattern);
        }
        let nodes = super::bound::pattern_nodes(&patterns, &left, seconds_until(deadline))?;
        Some(
            patterns
                .into_iter()
                .zip(nodes)
                .map(|(pattern, x)| (pattern, (x + 1e-6).floor() as usize))
                .filter(|(_, copies)| *copies > 0)
                .collect(),
        )
    }

    /// Pods per class (indexed like `classes`, at most `left` of each) of
    /// the greatest total `gains` that fit in `node_free` in the counted
    /// dimensions (a bounded knapsack over their units).
    fn best_mix(
        &self,
        p: &Problem,
        left: &[usize],
        gains: &[f64],
        node_free: &[f64],
    ) -> Vec<usize> {
        let caps: Vec<usize> = self
            .dims
            .iter()
            .zip(&self.unit)
            .map(|(&d, u)| (node_free[d] / u).floor() as usize)
            .collect();
        let table = MixTable::solve(self, p, left, gains, &caps);
        table.counts(self)
    }
}

/// The dynamic programme of [`Knapsack::best_mix`]: states are units used
/// in the (one or two) counted dimensions, `a * stride + b`.
struct MixTable {
    /// Units per state in the second dimension, plus one (1 with one).
    stride: usize,
    /// Greatest gain per state (NEG_INFINITY: unreachable).
    value: Vec<f64>,
    /// Per class, pods of it the best way to each state takes.
    choice: Vec<Vec<u16>>,
}

/// Units of the second counted dimension (0 with one).
fn second(s: &[usize]) -> usize {
    s.get(1).copied().unwrap_or(0)
}

impl MixTable {
    /// Adds the classes one at a time, each up to its pods `left` (one for
    /// those taken one at a time), within `caps` units.
    fn solve(k: &Knapsack, p: &Problem, left: &[usize], gains: &[f64], caps: &[usize]) -> Self {
        let stride = caps.get(1).map_or(1, |c| c + 1);
        let states = (caps[0] + 1) * stride;
        let mut value = vec![f64::NEG_INFINITY; states];
        value[0] = 0.0;
        let mut choice: Vec<Vec<u16>> = Vec::with_capacity(k.classes.len());
        for (i, &c) in k.classes.iter().enumerate() {
            let most = if one_at_a_time(p, c) {
                left[i].min(1)
            } else {
                left[i]
            };
            let size = &k.size[i];
            let gain = gains[i];
            let mut updated = value.clone();
            let mut pick = vec![0u16; states];
            for (from, &base) in value.iter().enumerate() {
                if base == f64::NEG_INFINITY || most == 0 || gain <= 0.0 {
                    continue;
                }
                let (a, b) = (from / stride, from % stride);
                for n in 1..=most.min(u16::MAX as usize) {
                    let (ua, ub) = (a + n * size[0], b + n * second(size));
                    if ua > caps[0] || (caps.len() > 1 && ub > caps[1]) {
                        break;
                    }
                    let to = ua * stride + ub;
                    let v = base + n as f64 * gain;
                    if v > updated[to] + 1e-12 {
                        updated[to] = v;
                        pick[to] = n as u16;
                    }
                }
            }
            value = updated;
            choice.push(pick);
        }
        MixTable {
            stride,
            value,
            choice,
        }
    }

    /// The pods per class of the best state, traced back.
    fn counts(&self, k: &Knapsack) -> Vec<usize> {
        let mut counts = vec![0usize; k.classes.len()];
        let Some((mut at, _)) = self
            .value
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(b.1))
        else {
            return counts;
        };
        for i in (0..k.classes.len()).rev() {
            let n = self.choice[i][at] as usize;
            if n > 0 {
                counts[i] = n;
                let (a, b) = (at / self.stride, at % self.stride);
                let size = &k.size[i];
                at = (a - n * size[0]) * self.stride + (b - n * second(size));
            }
        }
        counts
    }
}
