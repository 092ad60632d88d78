//! Rebuilding one pool: its new nodes emptied of the problem's pods and
//! filled again from scratch, node by node ([`rebuild_pool`]), three ways
//! ([`Rebuild`]): the best-aligned pod first, the mix a bounded knapsack
//! says fills the node best, or the patterns of the pool's configuration
//! LP by column generation (Gilmore and Gomory's cutting-stock method).
//! Pod by pod, greedy packing strands capacity on big multi-dimensional
//! pods; node by node saves nodes there. (Not `place --repack`, which
//! moves bound pods off existing nodes: `ops::consolidate`.)

use super::pack::{constrained, Filler, Packing, Quotas};
use super::problem::{free_of, Problem};
use crate::engine::lp::seconds_until;
use crate::model::{NodeId, PodId};
use crate::predicates::{self, PodState};
use web_time::Instant;

/// How [`rebuild_pool`] fills the nodes after the constrained classes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rebuild {
    /// Node by node, in creation order, the best-aligned pod first
    /// ([`Mode::Fill`]).
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

/// Rebuilds pool `pi`'s new nodes from scratch: the
/// constrained classes (spread, affinity, one per node) first, one pod
/// per node in turn over as many nodes as the pods' total requests need;
/// then the others as `mode` says; pods left over go first-fit anywhere
/// they may. The nodes left empty at the end of the pool are what this
/// saves (the caller trims them). None when some pod finds no node.
pub(crate) fn rebuild_pool<'c>(
    p: &Problem<'c>,
    packing: &Packing<'c>,
    pi: usize,
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
    mode: Rebuild,
) -> Option<Packing<'c>> {
    let knapsack = mode != Rebuild::Greedy;
    let mut nodes: Vec<NodeId> = p
        .types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.pool.index() == pi)
        .flat_map(|(t, _)| packing.nodes_of_type[t].iter().copied())
        .collect();
    nodes.sort();
    if nodes.len() < 2 {
        return None;
    }
    let (mut packer, rest) = packing.clone_packing().into_packer(p);
    let mut lists: Vec<Vec<PodId>> = vec![Vec::new(); p.classes.len()];
    for &node in &nodes {
        for (q, c) in packer.problem_pods_on(p, node) {
            packer.unplace(c, q, node);
            lists[c].push(q);
        }
    }
    // Nodes the pods need at least, by total request per dimension.
    let ndims = p.dims.len();
    let first_type = packing.node_type.get(&nodes[0]).copied()?;
    let free = &p.type_free[first_type];
    let need = (0..ndims)
        .map(|d| {
            let total: f64 = (0..p.classes.len())
                .map(|c| p.class_req[c][d] * lists[c].len() as f64)
                .sum();
            if free[d] > 0.0 {
                (total / free[d]).ceil() as usize
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0)
        .clamp(1, nodes.len());
    let mut next = vec![0usize; p.classes.len()];
    let mut filler = Filler::new(p);
    // Constrained classes: one pod per node in turn over the first `need`
    // nodes (zones alternate in creation order, so spread stays even).
    let mut cursor = 0usize;
    for &c in order {
        if lists[c].is_empty() || !constrained(p, c) || (knapsack && one_at_a_time(p, c)) {
            continue;
        }
        let mut misses = 0;
        while next[c] < lists[c].len() && misses < need {
            if Instant::now() >= deadline {
                return None;
            }
            let node = nodes[cursor % need];
            cursor += 1;
            let pod = lists[c][next[c]];
            let state = filler
                .states
                .entry(c)
                .or_insert_with(|| PodState::new(&packer.snapshot, pod));
            state.pod = pod;
            if predicates::filter(&packer.snapshot, state, node).is_ok()
                && packer.place_keeping_spread(c, pod, node)
            {
                next[c] += 1;
                misses = 0;
                filler.placed(c, pod, node, &packer.snapshot);
            } else {
                misses += 1;
            }
        }
    }
    // The rest node by node.
    let slices: Vec<&[PodId]> = lists.iter().map(|l| l.as_slice()).collect();
    let mut quotas: Vec<(usize, usize)> = order
        .iter()
        .filter(|c| next[**c] < lists[**c].len())
        .map(|c| (*c, usize::MAX))
        .collect();
    let table = if knapsack {
        let rest_classes: Vec<usize> = quotas.iter().map(|(c, _)| *c).collect();
        Some(Knapsack::new(p, &rest_classes, &lists, &next, free)?)
    } else {
        None
    };
    // Patterns: the configuration LP's, rounded down, one node each.
    let mut patterns: Vec<Quotas> = Vec::new();
    if let (Some(table), Rebuild::Patterns) = (&table, mode) {
        for (pattern, copies) in table.patterns(p, &lists, &next, free, deadline)? {
            let quotas: Quotas = pattern
                .iter()
                .enumerate()
                .filter(|(_, k)| **k > 0)
                .map(|(i, k)| (table.classes[i], *k))
                .collect();
            patterns.extend(std::iter::repeat_n(quotas, copies));
        }
    }
    for (k, &node) in nodes.iter().enumerate() {
        if Instant::now() >= deadline {
            return None;
        }
        quotas.retain(|(c, _)| next[*c] < lists[*c].len());
        if quotas.is_empty() {
            break;
        }
        if let Some(pattern) = patterns.get(k) {
            let mut pattern = pattern.clone();
            filler.fill(p, &mut packer, node, &mut pattern, &slices, &mut next);
            continue;
        }
        match table.as_ref().filter(|_| mode == Rebuild::Knapsack) {
            Some(table) => {
                let node_free = free_of(
                    &p.dims,
                    &packer.snapshot.node(node).allocatable,
                    packer.snapshot.info(node),
                );
                let mut chosen = table.choose(p, &lists, &next, &node_free);
                filler.fill(p, &mut packer, node, &mut chosen, &slices, &mut next);
            }
            None => filler.fill(p, &mut packer, node, &mut quotas, &slices, &mut next),
        }
    }
    // Leftovers first-fit anywhere.
    for &c in order {
        if next[c] >= lists[c].len() {
            continue;
        }
        let mut state = PodState::new(&packer.snapshot, lists[c][next[c]]);
        let mut candidates: Vec<NodeId> = p.compat_existing[c]
            .iter()
            .map(|(i, _)| p.existing[*i])
            .collect();
        for &t in &preference[c] {
            candidates.extend(rest.nodes_of_type[t].iter().copied());
        }
        while next[c] < lists[c].len() {
            let pod = lists[c][next[c]];
            if !candidates
                .iter()
                .any(|n| packer.try_place(&mut state, c, pod, *n))
            {
                return None;
            }
            next[c] += 1;
        }
    }
    Some(packer.into_packing(rest))
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
        let stride = caps.get(1).map_or(1, |c| c + 1);
        let states = (caps[0] + 1) * stride;
        let second = |s: &[usize]| s.get(1).copied().unwrap_or(0);
        let mut value = vec![f64::NEG_INFINITY; states];
        value[0] = 0.0;
        let mut choice: Vec<Vec<u16>> = Vec::with_capacity(self.classes.len());
        for (i, &c) in self.classes.iter().enumerate() {
            let most = if one_at_a_time(p, c) {
                left[i].min(1)
            } else {
                left[i]
            };
            let size = &self.size[i];
            let gain = gains[i];
            let mut updated = value.clone();
            let mut pick = vec![0u16; states];
            for (from, &base) in value.iter().enumerate() {
                if base == f64::NEG_INFINITY || most == 0 || gain <= 0.0 {
                    continue;
                }
                let (a, b) = (from / stride, from % stride);
                for k in 1..=most.min(u16::MAX as usize) {
                    let (ua, ub) = (a + k * size[0], b + k * second(size));
                    if ua > caps[0] || (caps.len() > 1 && ub > caps[1]) {
                        break;
                    }
                    let to = ua * stride + ub;
                    let v = base + k as f64 * gain;
                    if v > updated[to] + 1e-12 {
                        updated[to] = v;
                        pick[to] = k as u16;
                    }
                }
            }
            value = updated;
            choice.push(pick);
        }
        let mut counts = vec![0usize; self.classes.len()];
        let Some((mut at, _)) = value
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(b.1))
        else {
            return counts;
        };
        for i in (0..self.classes.len()).rev() {
            let k = choice[i][at] as usize;
            if k > 0 {
                counts[i] = k;
                let (a, b) = (at / stride, at % stride);
                let size = &self.size[i];
                at = (a - k * size[0]) * stride + (b - k * second(size));
            }
        }
        counts
    }
}
