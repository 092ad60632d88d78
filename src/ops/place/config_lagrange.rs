//! The configuration LP's Lagrangian bound by subgradient ascent, for
//! problems where the LP solver is too slow to run column generation
//! (tens of thousands of pods over hundreds of classes and several pools).
//!
//! For prices `y >= 0` on the demand rows, every plan costs at least
//! `L(y) = sum_c d_c y_c + min_N sum_b (cost_b - best_b(y)) N_b` over node
//! counts within the pools' room, the zone rows and the existing nodes
//! ([`inner_minimum`], the zone rows left out), where `best_b(y)` bounds from above
//! the worth of one node's pattern ([`super::config_pricing`]). The bound
//! holds for every `y`; the ascent only looks for a high one: it moves
//! the prices along the subgradient `d_c - sum_b N_b a_cb` (demand minus
//! what the chosen patterns cover) with Polyak's step towards the plan's
//! cost, halving the step when the bound stops rising (Held & Karp 1971;
//! Fisher 1981, "The Lagrangian relaxation method for solving integer
//! programming problems").

use super::config_lp::{bins, items_of, Bin, Source};
use super::config_pricing::{best_pattern_within, Priced};
use super::problem::Problem;
use web_time::Instant;

/// Search nodes per pricing of a new-node type.
const TYPE_NODES: usize = 20_000;

/// Search nodes per pricing of a group of existing nodes (there can be
/// hundreds of groups; their bound is the fractional one past this).
const EXISTING_NODES: usize = 500;

/// Polyak's step factor at first (halved when the bound stalls).
const FIRST_STEP: f64 = 1.0;

/// Rounds without a better bound before the step halves.
const PATIENCE: usize = 4;

/// The best Lagrangian bound found for placing `demand` pods per class,
/// given a plan of cost `upper`, by the `deadline`; None when not even
/// one round finished.
pub(crate) fn subgradient_bound(
    p: &Problem,
    demand: &[u32],
    upper: f64,
    deadline: Instant,
) -> Option<f64> {
    let bins = bins(p);
    let mut prices = starting_prices(p, &bins, demand);
    let room = ExistingRoom::new(p, &bins, demand);
    let mut best: Option<f64> = opening_bound(p, &room, demand, &prices);
    let (mut step, mut stale) = (FIRST_STEP, 0);
    while Instant::now() < deadline && step > 1e-4 {
        let Some(priced) = price(p, &bins, &prices, demand, deadline) else {
            break;
        };
        let worth: Vec<f64> = priced.iter().map(|q| q.upper).collect();
        let existing = existing_worth(p, &bins, &room, &prices, &worth);
        let (value, counts) = inner_minimum(p, &bins, demand, &prices, &worth, upper, &existing);
        // The same prices scaled down until no new node's pattern is
        // worth more than its cost bound the plans too, buying nothing.
        let bound = value.max(scaled_down(&bins, &worth, demand, &prices, &existing));
        if best.is_none_or(|b| bound > b + 1e-9) {
            best = Some(bound);
            stale = 0;
        } else {
            stale += 1;
            if stale >= PATIENCE {
                step /= 2.0;
                stale = 0;
            }
        }
        let gradient = subgradient(demand, &bins, &priced, &counts, &existing);
        let norm: f64 = gradient.iter().map(|g| g * g).sum();
        if norm < 1e-12 {
            break;
        }
        let length = step * (upper - value).max(1e-6 * (1.0 + upper)) / norm;
        for (y, g) in prices.iter_mut().zip(&gradient) {
            *y = (*y + length * g).max(0.0);
        }
    }
    best.map(|b| b.max(0.0))
}

/// The bound of the starting prices before any pricing: they are a
/// feasible dual by construction (no new node's pattern is worth more than
/// its cost, [`starting_prices`]), so no node pays to buy and `L(y)` is
/// `sum_c d_c y_c` less the existing nodes' aggregate worth
/// ([`ExistingRoom::aggregate`]). It needs no knapsack search, so a bound exists
/// even when the first round cannot end in time (150,000 pods at a 2 s
/// limit). None without dimensions.
fn opening_bound(
    p: &Problem,
    existing: &ExistingRoom,
    demand: &[u32],
    prices: &[f64],
) -> Option<f64> {
    let (worth, _) = existing.aggregate(p, prices)?;
    let priced: f64 = demand
        .iter()
        .zip(prices)
        .map(|(d, y)| f64::from(*d) * y)
        .sum();
    Some((priced - worth).max(0.0))
}

/// What the existing nodes can be worth at some prices, at most: the
/// value, and the pods per class behind it (for the subgradient).
/// `Nodes` when the per-node patterns' sum is the smaller bound, else
/// the pods of the aggregate one ([`existing_worth`]).
enum ExistingWorth {
    /// Every existing node takes its bin's best pattern.
    Nodes(f64),
    /// The aggregate fractional knapsack: value and pods per class.
    Aggregate(f64, Vec<f64>),
}

impl ExistingWorth {
    /// The bound on the existing nodes' worth.
    fn value(&self) -> f64 {
        match self {
            ExistingWorth::Nodes(v) | ExistingWorth::Aggregate(v, _) => *v,
        }
    }
}

/// The existing nodes summed, once per problem: their free room per
/// dimension and, per class, the pods they hold of it alone, capped by
/// its demand.
struct ExistingRoom {
    room: Vec<f64>,
    most: Vec<f64>,
}

impl ExistingRoom {
    /// The existing bins of `bins`, summed, for `demand`.
    fn new(p: &Problem, bins: &[Bin], demand: &[u32]) -> Self {
        let mut room = vec![0.0; p.dims.len()];
        let mut holds = vec![0.0; demand.len()];
        for bin in bins {
            if let Source::Existing { count } = bin.source {
                for (r, f) in room.iter_mut().zip(&bin.free) {
                    *r += f * count as f64;
                }
                for (c, k) in &bin.fits {
                    holds[*c] += f64::from(*k) * count as f64;
                }
            }
        }
        let most = (0..demand.len())
            .map(|c| holds[c].min(f64::from(demand[c])))
            .collect();
        ExistingRoom { room, most }
    }

    /// The aggregate bound at `prices`: no class gets more than its
    /// demand nor more than the nodes hold of it alone; for each
    /// dimension, the fractional knapsack of the classes into the nodes'
    /// summed free room in it; the least over the dimensions, and its
    /// pods per class. None without dimensions.
    fn aggregate(&self, p: &Problem, prices: &[f64]) -> Option<(f64, Vec<f64>)> {
        (0..p.dims.len())
            .map(|d| knapsack_in_dimension(p, d, self.room[d], prices, &self.most))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// The lesser of two bounds on what the existing nodes are worth at
/// `prices` (both hold for every plan, so `L(y)` stays a bound with
/// either): each node's best pattern (`worth` per bin), summed over the
/// nodes — which lets every node take a class's whole demand, so
/// hundreds of partly used nodes can price away a class's few pods
/// hundreds of times over — and the aggregate one
/// ([`ExistingRoom::aggregate`]).
fn existing_worth(
    p: &Problem,
    bins: &[Bin],
    existing: &ExistingRoom,
    prices: &[f64],
    worth: &[f64],
) -> ExistingWorth {
    let per_node: f64 = bins
        .iter()
        .zip(worth)
        .filter_map(|(bin, w)| match bin.source {
            Source::Existing { count } => Some(w.max(0.0) * count as f64),
            Source::New { .. } => None,
        })
        .sum();
    match existing.aggregate(p, prices) {
        Some((value, pods)) if value < per_node => ExistingWorth::Aggregate(value, pods),
        _ => ExistingWorth::Nodes(per_node),
    }
}

/// The fractional knapsack of up to `most[c]` pods per class, worth
/// `prices[c]` each, into `room` in dimension `d`: best price per unit
/// of the dimension first (free pods first). Its value and pods.
fn knapsack_in_dimension(
    p: &Problem,
    d: usize,
    room: f64,
    prices: &[f64],
    most: &[f64],
) -> (f64, Vec<f64>) {
    let mut classes: Vec<usize> = (0..most.len())
        .filter(|&c| most[c] > 0.0 && prices[c] > 0.0)
        .collect();
    let density = |c: usize| {
        let r = p.class_req[c][d];
        if r > 0.0 {
            prices[c] / r
        } else {
            f64::INFINITY
        }
    };
    classes.sort_by(|a, b| density(*b).total_cmp(&density(*a)));
    let (mut left, mut value) = (room, 0.0);
    let mut pods = vec![0.0; most.len()];
    for c in classes {
        let r = p.class_req[c][d];
        let take = if r > 0.0 {
            most[c].min(left / r)
        } else {
            most[c]
        };
        if take <= 0.0 {
            break;
        }
        pods[c] = take;
        left -= take * r;
        value += take * prices[c];
    }
    (value, pods)
}

/// `L(a y)` for the largest `a <= 1` at which no new node's pattern is
/// worth more than its cost: every worth bound is linear in the prices
/// (the patterns' worths, their fractional and surrogate bounds, the
/// existing nodes' knapsacks), so at `a y` no node pays to buy and the
/// bound is `a (sum_c d_c y_c - existing worth)`. Prices a hair above
/// a feasible dual (a pricing's bound is not exact) lose a hair, instead
/// of every pool's room bought at a tiny negative reduced cost.
fn scaled_down(
    bins: &[Bin],
    worth: &[f64],
    demand: &[u32],
    prices: &[f64],
    existing: &ExistingWorth,
) -> f64 {
    let scale = bins
        .iter()
        .zip(worth)
        .filter(|(b, w)| matches!(b.source, Source::New { .. }) && **w > b.cost)
        .map(|(b, w)| b.cost / w)
        .fold(1.0, f64::min);
    let priced: f64 = demand
        .iter()
        .zip(prices)
        .map(|(d, y)| f64::from(*d) * y)
        .sum();
    scale * (priced - existing.value())
}

/// `L(y)` with the zone rows left out (a relaxation: the minimum is no
/// higher, so the bound stays valid), which makes the inner problem a
/// fractional knapsack solved greedily: the existing nodes are worth
/// `existing` at most; per pool, its type of least reduced cost
/// `cost - worth`, when negative, is bought up to the pool's room, best
/// reduced cost per unit of spend first, within the plan's cost `upper`.
/// The value and the node counts per bin.
fn inner_minimum(
    p: &Problem,
    bins: &[Bin],
    demand: &[u32],
    prices: &[f64],
    worth: &[f64],
    upper: f64,
    existing: &ExistingWorth,
) -> (f64, Vec<f64>) {
    let mut value: f64 = demand
        .iter()
        .zip(prices)
        .map(|(d, y)| f64::from(*d) * y)
        .sum::<f64>()
        - existing.value();
    let mut counts = vec![0.0; bins.len()];
    // Per pool: (bin of least reduced cost, that reduced cost).
    let mut best_of_pool: Vec<Option<(usize, f64)>> = vec![None; p.pool_room.len()];
    for (b, (bin, w)) in bins.iter().zip(worth).enumerate() {
        match bin.source {
            Source::Existing { count } => {
                counts[b] = count as f64;
            }
            Source::New { pool, .. } => {
                let reduced = bin.cost - w;
                if reduced < 0.0 && best_of_pool[pool].is_none_or(|(_, r)| reduced < r) {
                    best_of_pool[pool] = Some((b, reduced));
                }
            }
        }
    }
    let mut buys: Vec<(usize, usize, f64)> = best_of_pool
        .iter()
        .enumerate()
        .filter_map(|(pool, best)| best.map(|(b, r)| (pool, b, r)))
        .collect();
    let per_spend = |b: usize, r: f64| {
        if bins[b].cost > 0.0 {
            r / bins[b].cost
        } else {
            f64::NEG_INFINITY
        }
    };
    buys.sort_by(|x, y| per_spend(x.1, x.2).total_cmp(&per_spend(y.1, y.2)));
    let mut budget = upper.max(0.0);
    for (pool, b, reduced) in buys {
        let room = f64::from(p.pool_room[pool]);
        let nodes = if bins[b].cost > 0.0 {
            room.min(budget / bins[b].cost)
        } else {
            room
        };
        budget -= nodes * bins[b].cost;
        counts[b] = nodes;
        value += nodes * reduced;
    }
    (value, counts)
}

/// Starting prices that no node's pattern is worth more than its cost
/// (a feasible dual): per class, the least over the new-node types it
/// fits of the type's cost times `w r_ca / F_ta + (1 - w) r_cb / F_tb`,
/// for a pair of dimensions `(a, b)` and a weight `w` chosen per type (a
/// pattern that fits has each dimension's share at most one, so any such
/// mix is at most one). The pairs come from the three dimensions the
/// demand presses most, the weights in twentieths; each type's choice is
/// improved in turn, types alike together, while that prices the demand
/// higher (coordinate ascent from the best choice shared by every type).
fn starting_prices(p: &Problem, bins: &[Bin], demand: &[u32]) -> Vec<f64> {
    let new: Vec<&Bin> = bins
        .iter()
        .filter(|b| matches!(b.source, Source::New { .. }))
        .collect();
    let volume = Volume {
        p,
        demand,
        mixes: mixes(&pressed_dimensions(p, &new, demand)),
        fits: (0..demand.len())
            .map(|c| {
                (0..new.len())
                    .filter(|&t| demand[c] > 0 && new[t].fits.iter().any(|(k, _)| *k == c))
                    .collect()
            })
            .collect(),
        new,
    };
    let types = volume.new.len();
    let Some(shared) = (0..volume.mixes.len()).max_by(|x, y| {
        volume
            .worth(&vec![*x; types])
            .total_cmp(&volume.worth(&vec![*y; types]))
    }) else {
        return vec![0.0; demand.len()];
    };
    let mut choice = vec![shared; types];
    volume.ascend(&mut choice);
    volume.prices(&choice)
}

/// The volume prices of [`starting_prices`]: the new-node types, the
/// mixes of dimensions, and per class the types it fits.
struct Volume<'a, 'p> {
    p: &'a Problem<'p>,
    demand: &'a [u32],
    new: Vec<&'a Bin>,
    mixes: Vec<(usize, usize, f64)>,
    fits: Vec<Vec<usize>>,
}

impl Volume<'_, '_> {
    /// What type `t`'s cost under mix `m` charges class `c`.
    fn charge(&self, t: usize, m: usize, c: usize) -> f64 {
        let (a, b, w) = self.mixes[m];
        let free = &self.new[t].free;
        let share = |d: usize| {
            if free[d] > 0.0 {
                self.p.class_req[c][d] / free[d]
            } else {
                0.0
            }
        };
        self.new[t].cost * (w * share(a) + (1.0 - w) * share(b))
    }

    /// Per class, the least charge over the types it fits, each type
    /// under its mix in `choice` (0 for a class that fits none).
    fn prices(&self, choice: &[usize]) -> Vec<f64> {
        (0..self.demand.len())
            .map(|c| {
                let least = self.fits[c]
                    .iter()
                    .map(|&t| self.charge(t, choice[t], c))
                    .fold(f64::INFINITY, f64::min);
                if least.is_finite() {
                    least
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The demand's worth at the prices of `choice`.
    fn worth(&self, choice: &[usize]) -> f64 {
        self.prices(choice)
            .iter()
            .zip(self.demand)
            .map(|(y, d)| y * f64::from(*d))
            .sum()
    }

    /// Coordinate ascent on `choice`: each group of types alike in cost
    /// and room (a pool's zones, which share the cheapest price of a
    /// class: only moved together can they raise it) takes the mix that
    /// prices the demand highest, for [`COORDINATE_SWEEPS`] rounds or
    /// until one changes nothing.
    fn ascend(&self, choice: &mut [usize]) {
        let mut alike: Vec<Vec<usize>> = Vec::new();
        for t in 0..self.new.len() {
            let (new, t_bin) = (&self.new, self.new[t]);
            match alike
                .iter_mut()
                .find(|g| new[g[0]].cost == t_bin.cost && new[g[0]].free == t_bin.free)
            {
                Some(g) => g.push(t),
                None => alike.push(vec![t]),
            }
        }
        let mut best = self.worth(choice);
        for _ in 0..COORDINATE_SWEEPS {
            let mut better = false;
            for group in &alike {
                let mut kept = choice[group[0]];
                for m in 0..self.mixes.len() {
                    group.iter().for_each(|&t| choice[t] = m);
                    let value = self.worth(choice);
                    if value > best + 1e-9 {
                        (best, kept, better) = (value, m, true);
                    }
                }
                group.iter().for_each(|&t| choice[t] = kept);
            }
            if !better {
                break;
            }
        }
    }
}

/// Rounds of the coordinate ascent over the types' mixes in
/// [`starting_prices`].
const COORDINATE_SWEEPS: usize = 3;

/// The mixes `(a, b, w)` of [`starting_prices`]: every pair of `dims`,
/// weights in twentieths.
fn mixes(dims: &[usize]) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    for (i, &a) in dims.iter().enumerate() {
        for &b in &dims[i + 1..] {
            out.extend((0..=20).map(|k| (a, b, f64::from(k) / 20.0)));
        }
    }
    if out.is_empty() {
        if let Some(&a) = dims.first() {
            out.push((a, a, 1.0));
        }
    }
    out
}

/// The three dimensions the demand fills most of the new nodes' room in
/// (those the demand asks for, most pressed first).
fn pressed_dimensions(p: &Problem, new: &[&Bin], demand: &[u32]) -> Vec<usize> {
    let dims = p.dims.len();
    let mut pressure: Vec<(usize, f64)> = (0..dims)
        .map(|d| {
            let room: f64 = new.iter().map(|b| b.free[d]).sum::<f64>() / new.len().max(1) as f64;
            let asked: f64 = demand
                .iter()
                .enumerate()
                .map(|(c, n)| f64::from(*n) * p.class_req[c][d])
                .sum();
            (d, if room > 0.0 { asked / room } else { 0.0 })
        })
        .filter(|(_, pressure)| *pressure > 0.0)
        .collect();
    pressure.sort_by(|a, b| b.1.total_cmp(&a.1));
    pressure.into_iter().take(3).map(|(d, _)| d).collect()
}

/// Each bin's best pattern at `prices` (new-node types alike in room
/// and classes priced once); None when the `deadline` passes first.
fn price(
    p: &Problem,
    bins: &[Bin],
    prices: &[f64],
    demand: &[u32],
    deadline: Instant,
) -> Option<Vec<Priced>> {
    let mut out: Vec<Priced> = Vec::with_capacity(bins.len());
    for (b, bin) in bins.iter().enumerate() {
        if Instant::now() >= deadline {
            return None;
        }
        let new = matches!(bin.source, Source::New { .. });
        let alike = (0..b).find(|&a| {
            new && matches!(bins[a].source, Source::New { .. })
                && bins[a].free == bin.free
                && bins[a].fits == bin.fits
        });
        let q = match alike {
            Some(a) => out[a].clone(),
            None => {
                let nodes = if new { TYPE_NODES } else { EXISTING_NODES };
                let items = items_of(p, bin, prices, demand);
                best_pattern_within(&items, &bin.free, nodes, false)
            }
        };
        out.push(q);
    }
    Some(out)
}

/// Demand minus what `counts` nodes of each bin's best pattern cover
/// (the existing nodes' pods from the aggregate knapsack when that was
/// their bound).
fn subgradient(
    demand: &[u32],
    bins: &[Bin],
    priced: &[Priced],
    counts: &[f64],
    existing: &ExistingWorth,
) -> Vec<f64> {
    let mut gradient: Vec<f64> = demand.iter().map(|d| f64::from(*d)).collect();
    let aggregate = match existing {
        ExistingWorth::Aggregate(_, pods) => {
            for (g, k) in gradient.iter_mut().zip(pods) {
                *g -= k;
            }
            true
        }
        ExistingWorth::Nodes(_) => false,
    };
    for ((q, n), bin) in priced.iter().zip(counts).zip(bins) {
        let existing_bin = matches!(bin.source, Source::Existing { .. });
        if *n <= 0.0 || (aggregate && existing_bin) {
            continue;
        }
        for (c, k) in &q.pattern {
            gradient[*c] -= n * f64::from(*k);
        }
    }
    for (g, d) in gradient.iter_mut().zip(demand) {
        if *d == 0 {
            *g = 0.0;
        }
    }
    gradient
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::place::config_lp::BIG_PODS;
    use crate::{read_scenario, Input};

    /// [`BIG_PODS`]: the ascent's bound never passes 12 (the optimum) and
    /// comes near it.
    #[test]
    fn big_pods_bound_is_valid_and_near() {
        let cluster = read_scenario(&[Input::new("big.yaml", BIG_PODS)]).expect("reads");
        let p = Problem::new(&cluster, cluster.pending_pods().collect());
        let demand = p.demand();
        let deadline = Instant::now() + web_time::Duration::from_secs(2);
        // 12 nodes hold the big pods and 3 small each (36 > 20): 12 is optimal.
        let b = subgradient_bound(&p, &demand, 12.0, deadline).expect("bound");
        assert!(b <= 12.0 + 1e-6, "{b}");
        assert!(b >= 11.0, "{b}");
    }
}
