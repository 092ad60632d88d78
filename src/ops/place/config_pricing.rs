//! Pricing for the configuration LP (`config_lp`): the pattern
//! of greatest worth one node can hold — a bounded knapsack over every
//! resource dimension at once, with the classes' prices as worths.
//!
//! The search is a depth-first branch and bound over the classes, densest
//! first (worth per share of the node), each taken from as many as fit
//! down to none; a branch is cut when its worth plus an optimistic rest
//! (the least fractional knapsack of the classes still to decide, per
//! dimension and on a surrogate row) cannot beat the best pattern found.
//! Within its
//! node budget it is exact; past it, [`Priced::upper`] is the fractional
//! (LP) knapsack of each dimension alone, the least of them — still an
//! upper bound on every pattern's worth, so the Lagrangian bound that uses
//! it stays valid.

/// One class a node may hold: its index, worth, how many of it at most,
/// and its request per dimension.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The class.
    pub class: usize,
    /// Its price (the dual of its demand row).
    pub worth: f64,
    /// Pods of it a pattern holds at most (what fits alone, and the demand).
    pub most: u32,
    /// Its request per dimension.
    pub req: Vec<f64>,
}

/// The best pattern found and a proven upper bound on any pattern's worth.
#[derive(Debug, Clone)]
pub(crate) struct Priced {
    /// (class, pods) of the best pattern found.
    pub pattern: Vec<(usize, u32)>,
    /// Its worth.
    pub worth: f64,
    /// No pattern is worth more (equal to `worth` when the search ended).
    pub upper: f64,
    /// Whether the pattern is proven the best (`upper == worth`).
    pub exact: bool,
}

/// Search nodes one pricing may visit before it settles for the bound.
const NODE_BUDGET: usize = 60_000;

/// The pattern of greatest worth of `items` within `free` per dimension.
pub(crate) fn best_pattern(items: &[Item], free: &[f64]) -> Priced {
    best_pattern_within(items, free, NODE_BUDGET, true)
}

/// [`best_pattern`] with at most `node_budget` search nodes, and the
/// two-dimension table as a fallback only when `table` (it is the slow
/// part: many calls want only the fractional bound).
pub(crate) fn best_pattern_within(
    items: &[Item],
    free: &[f64],
    node_budget: usize,
    table: bool,
) -> Priced {
    let mut items: Vec<&Item> = items
        .iter()
        .filter(|i| i.worth > 1e-12 && i.most > 0)
        .collect();
    let share = |i: &Item| surrogate(&i.req, free).max(1e-12);
    items.sort_by(|a, b| (b.worth / share(b)).total_cmp(&(a.worth / share(a))));
    let mut search = Knapsack::new(&items, free, node_budget);
    let mut counts = vec![0u32; items.len()];
    let mut room = free.to_vec();
    room.push(free.iter().filter(|f| **f > 0.0).count() as f64);
    search.descend(0, room, 0.0, &mut counts);
    let mut upper = search.best;
    if search.visited > node_budget {
        // The table's best, when it fits every dimension, may beat the
        // search's; its worth (a relaxation's) bounds every pattern.
        upper = fractional_bound(&items, free);
        if table {
            let (table_worth, counts) = two_dimension_bound(&items, free);
            if fits_all(&items, &counts, free) && table_worth > search.best {
                search.best = table_worth;
                search.best_counts = counts;
            }
            upper = upper.min(table_worth);
        }
        upper = upper.max(search.best);
    }
    let pattern = items
        .iter()
        .zip(&search.best_counts)
        .filter(|(_, k)| **k > 0)
        .map(|(i, k)| (i.class, *k))
        .collect();
    Priced {
        pattern,
        worth: search.best,
        upper,
        exact: upper <= search.best + 1e-9,
    }
}

/// Whether `counts` pods of `items` fit in `free` in every dimension.
fn fits_all(items: &[&Item], counts: &[u32], free: &[f64]) -> bool {
    free.iter().enumerate().all(|(d, room)| {
        let used: f64 = items
            .iter()
            .zip(counts)
            .map(|(i, k)| i.req[d] * f64::from(*k))
            .sum();
        used <= room + 1e-9
    })
}

/// The least over dimensions of the fractional knapsack of that dimension
/// alone: an upper bound on every pattern's worth.
fn fractional_bound(items: &[&Item], free: &[f64]) -> f64 {
    per_dimension_bound(items, free).min(surrogate_pairs_bound(items, free))
}

/// The least over dimensions of the fractional knapsack in that
/// dimension alone (items that do not use it all taken).
fn per_dimension_bound(items: &[&Item], free: &[f64]) -> f64 {
    let everything: f64 = items.iter().map(|i| i.worth * f64::from(i.most)).sum();
    let mut least = everything;
    for (d, room) in free.iter().enumerate() {
        let mut order: Vec<&&Item> = items.iter().filter(|i| i.req[d] > 0.0).collect();
        if order.is_empty() {
            continue;
        }
        order.sort_by(|a, b| (b.worth / b.req[d]).total_cmp(&(a.worth / a.req[d])));
        let free_items: f64 = items
            .iter()
            .filter(|i| i.req[d] <= 0.0)
            .map(|i| i.worth * f64::from(i.most))
            .sum();
        let mut left = *room;
        let mut worth = free_items;
        for i in order {
            let take = (left / i.req[d]).min(f64::from(i.most));
            worth += take * i.worth;
            left -= take * i.req[d];
            if left <= 0.0 {
                break;
            }
        }
        least = least.min(worth);
    }
    least
}

/// Golden-section steps per pair of dimensions in [`surrogate_pairs_bound`].
const SURROGATE_STEPS: usize = 12;

/// Dimensions (the most pressed) whose pairs [`surrogate_pairs_bound`] mixes.
const SURROGATE_DIMENSIONS: usize = 3;

/// The least fractional bound over surrogate rows mixing two dimensions,
/// `w r_a / F_a + (1 - w) r_b / F_b <= 1` (every pattern that fits meets
/// each such row, so each bound holds): per pair of the most pressed
/// dimensions, a golden-section search over `w` (the bound is convex in
/// it). The per-dimension bounds alone can pass a node's cost at prices
/// that mix two dimensions (the configuration LP's starting prices do),
/// which no pattern can.
fn surrogate_pairs_bound(items: &[&Item], free: &[f64]) -> f64 {
    let pressure = |d: usize| -> f64 {
        if free[d] <= 0.0 {
            return 0.0;
        }
        items
            .iter()
            .map(|i| i.req[d] * f64::from(i.most))
            .sum::<f64>()
            / free[d]
    };
    let mut dims: Vec<usize> = (0..free.len()).filter(|&d| pressure(d) > 0.0).collect();
    dims.sort_by(|a, b| pressure(*b).total_cmp(&pressure(*a)));
    dims.truncate(SURROGATE_DIMENSIONS);
    let mut least = f64::INFINITY;
    for (k, &a) in dims.iter().enumerate() {
        for &b in &dims[k + 1..] {
            let at = |w: f64| mixed_bound(items, free, a, b, w);
            let (mut lo, mut hi) = (0.0f64, 1.0f64);
            let ratio = (5f64.sqrt() - 1.0) / 2.0;
            let (mut x1, mut x2) = (hi - ratio * (hi - lo), lo + ratio * (hi - lo));
            let (mut f1, mut f2) = (at(x1), at(x2));
            for _ in 0..SURROGATE_STEPS {
                if f1 <= f2 {
                    hi = x2;
                    (x2, f2) = (x1, f1);
                    x1 = hi - ratio * (hi - lo);
                    f1 = at(x1);
                } else {
                    lo = x1;
                    (x1, f1) = (x2, f2);
                    x2 = lo + ratio * (hi - lo);
                    f2 = at(x2);
                }
            }
            least = least.min(f1).min(f2);
        }
    }
    least
}

/// The fractional knapsack of `items` on the surrogate row mixing
/// dimensions `a` and `b` with weight `w` (see [`surrogate_pairs_bound`]).
fn mixed_bound(items: &[&Item], free: &[f64], a: usize, b: usize, w: f64) -> f64 {
    let size = |i: &Item| w * i.req[a] / free[a] + (1.0 - w) * i.req[b] / free[b];
    let mut order: Vec<(f64, f64, f64)> = items
        .iter()
        .map(|i| (size(i), i.worth, f64::from(i.most)))
        .collect();
    let density = |(s, v, _): &(f64, f64, f64)| if *s > 0.0 { v / s } else { f64::INFINITY };
    order.sort_by(|x, y| density(y).total_cmp(&density(x)));
    let (mut left, mut worth) = (1.0f64, 0.0);
    for (s, v, most) in order {
        let take = if s > 0.0 { (left / s).min(most) } else { most };
        if take <= 0.0 {
            break;
        }
        worth += take * v;
        left -= take * s;
    }
    worth
}

/// States the two-dimension table of [`two_dimension_bound`] may have.
const TABLE_STATES: usize = 1_000_000;

/// A bounded knapsack over the two dimensions the items press most (the
/// others left out), in units of the requests' greatest common divisor or
/// — when that makes the table too big — coarser units with every request
/// rounded down and the room too: a relaxation, so its best worth is an
/// upper bound on every pattern's. Also the pods per item of that best
/// worth, traced back.
fn two_dimension_bound(items: &[&Item], free: &[f64]) -> (f64, Vec<u32>) {
    let pressure = |d: usize| -> f64 {
        let total: f64 = items.iter().map(|i| i.req[d] * f64::from(i.most)).sum();
        if free[d] > 0.0 {
            total / free[d]
        } else {
            0.0
        }
    };
    let mut dims: Vec<usize> = (0..free.len()).filter(|d| pressure(*d) > 1.0).collect();
    dims.sort_by(|a, b| pressure(*b).total_cmp(&pressure(*a)));
    dims.truncate(2);
    if dims.is_empty() {
        let all = items.iter().map(|i| i.worth * f64::from(i.most)).sum();
        return (all, items.iter().map(|i| i.most).collect());
    }
    let gcds: Vec<f64> = dims
        .iter()
        .map(|&d| items.iter().map(|i| i.req[d] as u64).fold(0, gcd).max(1) as f64)
        .collect();
    let unit = table_units(&dims.iter().map(|d| free[*d]).collect::<Vec<_>>(), &gcds);
    let caps: Vec<usize> = dims
        .iter()
        .zip(&unit)
        .map(|(&d, u)| (free[d] / u).floor() as usize)
        .collect();
    let mut table = Table::new(&caps);
    for (k, item) in items.iter().enumerate() {
        let size: Vec<usize> = dims
            .iter()
            .zip(&unit)
            .map(|(&d, u)| (item.req[d] / u).floor() as usize)
            .collect();
        // Binary splitting: pieces of 1, 2, 4, ... pods, each taken or not.
        let mut left = item.most;
        let mut piece = 1u32;
        while left > 0 {
            let n = piece.min(left);
            left -= n;
            piece *= 2;
            table.take_piece(k, &size, n, item.worth);
        }
    }
    table.best(items.len())
}

/// The 0/1 table of [`two_dimension_bound`]: best worth within each use
/// `a * stride + b` of the counted dimensions, and per piece the states
/// where taking it paid.
struct Table {
    caps: Vec<usize>,
    stride: usize,
    value: Vec<f64>,
    /// Per piece: (item, pods, units per counted dimension, states taken).
    pieces: Vec<(usize, u32, [usize; 2], Vec<u64>)>,
}

impl Table {
    /// An empty table within `caps` units.
    fn new(caps: &[usize]) -> Self {
        let stride = caps.get(1).map_or(1, |c| c + 1);
        Table {
            caps: caps.to_vec(),
            stride,
            value: vec![0.0; (caps[0] + 1) * stride],
            pieces: Vec::new(),
        }
    }

    /// Adds the piece of `n` pods of item `k` (`size` units each, `worth`
    /// each), taken or not.
    fn take_piece(&mut self, k: usize, size: &[usize], n: u32, worth: f64) {
        let units = [
            size[0] * n as usize,
            size.get(1).map_or(0, |s| s * n as usize),
        ];
        let top1 = self.caps.get(1).copied().unwrap_or(0);
        if units[0] > self.caps[0] || units[1] > top1 {
            return;
        }
        let gain = f64::from(n) * worth;
        let mut taken = vec![0u64; self.value.len().div_ceil(64)];
        for a in (units[0]..=self.caps[0]).rev() {
            for b in (units[1]..=top1).rev() {
                let to = a * self.stride + b;
                let from = self.value[(a - units[0]) * self.stride + (b - units[1])] + gain;
                if from > self.value[to] + 1e-12 {
                    self.value[to] = from;
                    taken[to / 64] |= 1 << (to % 64);
                }
            }
        }
        self.pieces.push((k, n, units, taken));
    }

    /// The best worth and the pods per item (of `items`) it takes.
    fn best(&self, items: usize) -> (f64, Vec<u32>) {
        let mut counts = vec![0u32; items];
        let (mut at, best) = self
            .value
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |acc, (i, v)| if v > acc.1 { (i, v) } else { acc });
        for (k, n, units, taken) in self.pieces.iter().rev() {
            if taken[at / 64] & (1 << (at % 64)) != 0 {
                counts[*k] += n;
                let (a, b) = (at / self.stride, at % self.stride);
                at = (a - units[0]) * self.stride + (b - units[1]);
            }
        }
        (best, counts)
    }
}

/// Units per counted dimension: the gcd where the table stays within
/// [`TABLE_STATES`], else coarser — the dimension with fewer units keeps
/// up to the square root of the states, the other gets the rest.
fn table_units(room: &[f64], gcds: &[f64]) -> Vec<f64> {
    let exact: Vec<f64> = room
        .iter()
        .zip(gcds)
        .map(|(r, g)| (r / g).floor())
        .collect();
    let states = TABLE_STATES as f64;
    if exact.iter().map(|n| n + 1.0).product::<f64>() <= states {
        return gcds.to_vec();
    }
    if exact.len() == 1 {
        return vec![gcds[0].max(room[0] / states)];
    }
    let (few, many) = if exact[0] <= exact[1] { (0, 1) } else { (1, 0) };
    let mut units = gcds.to_vec();
    let few_units = exact[few].min(states.sqrt().floor());
    units[few] = gcds[few].max(room[few] / few_units.max(1.0));
    let many_units = (states / (few_units + 1.0)).floor() - 1.0;
    units[many] = gcds[many].max(room[many] / many_units.max(1.0));
    units
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The branch and bound of [`best_pattern`]. Its bound at a search node
/// is the least, over every dimension and one surrogate (the sum of each
/// dimension's share of the node), of the fractional knapsack of the
/// classes still to decide in that dimension alone (Martello & Toth).
struct Knapsack<'a> {
    items: &'a [&'a Item],
    /// Per item, its weight in each dimension and then the surrogate.
    weight: Vec<Vec<f64>>,
    /// Per dimension (and the surrogate), the items by worth per unit.
    orders: Vec<Vec<usize>>,
    best: f64,
    best_counts: Vec<u32>,
    visited: usize,
    /// Search nodes it may visit.
    budget: usize,
}

impl<'a> Knapsack<'a> {
    /// The search over `items` (densest first) within `free`.
    fn new(items: &'a [&'a Item], free: &[f64], budget: usize) -> Self {
        let weight: Vec<Vec<f64>> = items
            .iter()
            .map(|item| {
                let mut w = item.req.clone();
                w.push(surrogate(&item.req, free));
                w
            })
            .collect();
        let orders = (0..=free.len())
            .map(|d| {
                let mut order: Vec<usize> = (0..items.len()).collect();
                let density = |i: usize| {
                    if weight[i][d] > 0.0 {
                        items[i].worth / weight[i][d]
                    } else {
                        f64::INFINITY
                    }
                };
                order.sort_by(|a, b| density(*b).total_cmp(&density(*a)));
                order
            })
            .collect();
        Knapsack {
            items,
            weight,
            orders,
            best: 0.0,
            best_counts: vec![0; items.len()],
            visited: 0,
            budget,
        }
    }

    /// Worth the items from `k` on could add within `room` (per dimension,
    /// then the surrogate), at most.
    fn optimistic(&self, k: usize, room: &[f64]) -> f64 {
        let mut least = f64::INFINITY;
        for (d, order) in self.orders.iter().enumerate() {
            let mut left = room[d];
            let mut worth = 0.0;
            for &i in order.iter().filter(|i| **i >= k) {
                let (w, item) = (self.weight[i][d], self.items[i]);
                let take = if w > 0.0 {
                    (left / w).min(f64::from(item.most))
                } else {
                    f64::from(item.most)
                };
                worth += take * item.worth;
                left -= take * w;
                if left <= 1e-12 && w > 0.0 {
                    break;
                }
            }
            least = least.min(worth);
        }
        least
    }

    /// Decides item `k` on (each count from the most that fits down),
    /// with `room` left (per dimension, then the surrogate) and `worth`
    /// so far.
    fn descend(&mut self, k: usize, room: Vec<f64>, worth: f64, counts: &mut [u32]) {
        self.visited += 1;
        if worth > self.best + 1e-12 {
            self.best = worth;
            self.best_counts.copy_from_slice(counts);
        }
        if k == self.items.len()
            || self.visited > self.budget
            || worth + self.optimistic(k, &room) <= self.best + 1e-12
        {
            return;
        }
        let item = self.items[k];
        let fits = room
            .iter()
            .zip(&item.req)
            .filter(|(_, r)| **r > 0.0)
            .map(|(f, r)| ((f + 1e-9) / r).floor() as u32)
            .fold(item.most, u32::min);
        for take in (0..=fits).rev() {
            let left: Vec<f64> = room
                .iter()
                .zip(&self.weight[k])
                .map(|(f, w)| f - f64::from(take) * w)
                .collect();
            counts[k] = take;
            self.descend(k + 1, left, worth + f64::from(take) * item.worth, counts);
            counts[k] = 0;
            if self.visited > self.budget {
                return;
            }
        }
    }
}

/// An item's surrogate weight: the sum of its shares of `free` per
/// dimension (a valid knapsack row: the sum of the rows, each scaled).
fn surrogate(req: &[f64], free: &[f64]) -> f64 {
    req.iter()
        .zip(free)
        .map(|(r, f)| if *f > 0.0 { r / f } else { 0.0 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern of `items` within `free`, by brute force: the best worth.
    fn brute(items: &[Item], free: &[f64]) -> f64 {
        fn go(items: &[Item], k: usize, room: &[f64]) -> f64 {
            if k == items.len() {
                return 0.0;
            }
            let mut best = 0.0f64;
            for take in 0..=items[k].most {
                let left: Vec<f64> = room
                    .iter()
                    .zip(&items[k].req)
                    .map(|(f, r)| f - f64::from(take) * r)
                    .collect();
                if left.iter().any(|f| *f < -1e-9) {
                    break;
                }
                best = best.max(f64::from(take) * items[k].worth + go(items, k + 1, &left));
            }
            best
        }
        go(items, 0, free)
    }

    /// A small deterministic pseudo-random sequence (xorshift).
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// A random knapsack of one to three dimensions and up to five items.
    fn random_knapsack(state: &mut u64) -> (Vec<f64>, Vec<Item>) {
        let dims = 1 + (next(state) % 3) as usize;
        let free: Vec<f64> = (0..dims).map(|_| 4.0 + (next(state) % 12) as f64).collect();
        let items: Vec<Item> = (0..1 + next(state) % 5)
            .map(|c| Item {
                class: c as usize,
                worth: 0.1 + (next(state) % 50) as f64 / 10.0,
                most: 1 + (next(state) % 4) as u32,
                req: (0..dims).map(|_| (next(state) % 7) as f64).collect(),
            })
            .collect();
        (free, items)
    }

    /// The search finds the brute force's worth on random knapsacks, its
    /// pattern fits and is worth what it says, and its bound is no lower.
    #[test]
    fn agrees_with_brute_force() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300 {
            let (free, items) = random_knapsack(&mut state);
            let dims = free.len();
            let priced = best_pattern(&items, &free);
            let truth = brute(&items, &free);
            assert!(
                (priced.worth - truth).abs() < 1e-9,
                "{} vs {truth}",
                priced.worth
            );
            assert!(priced.upper >= truth - 1e-9);
            let mut used = vec![0.0; dims];
            let mut worth = 0.0;
            for (c, k) in &priced.pattern {
                let item = &items[*c];
                assert!(*k <= item.most);
                worth += f64::from(*k) * item.worth;
                for (u, r) in used.iter_mut().zip(&item.req) {
                    *u += f64::from(*k) * r;
                }
            }
            assert!((worth - priced.worth).abs() < 1e-9);
            assert!(used.iter().zip(&free).all(|(u, f)| *u <= f + 1e-9));
        }
    }

    /// The surrogate bound over pairs of dimensions is never below the
    /// best pattern, and never above the per-dimension bounds' least
    /// (those are its `w = 0` and `w = 1` ends, which the search brackets).
    #[test]
    fn surrogate_pairs_bound_is_an_upper_bound() {
        let mut state = 0x6a09_e667_f3bc_c908u64;
        let mut tighter = 0;
        for _ in 0..300 {
            let (free, items) = random_knapsack(&mut state);
            let refs: Vec<&Item> = items.iter().collect();
            let truth = brute(&items, &free);
            let mixed = surrogate_pairs_bound(&refs, &free);
            assert!(mixed >= truth - 1e-9, "{mixed} < {truth}");
            let per_dimension = per_dimension_bound(&refs, &free);
            assert!(per_dimension >= truth - 1e-9);
            assert!(fractional_bound(&refs, &free) >= truth - 1e-9);
            if free.len() >= 2 && mixed < per_dimension - 1e-9 {
                tighter += 1;
            }
        }
        assert!(tighter > 0, "mixing never tightened a random knapsack");
        // Mixing pays where each pod presses a different dimension: one
        // of each does not fit, and each dimension alone takes ten.
        let cross = [
            Item {
                class: 0,
                worth: 1.0,
                most: 10,
                req: vec![10.0, 1.0],
            },
            Item {
                class: 1,
                worth: 1.0,
                most: 10,
                req: vec![1.0, 10.0],
            },
        ];
        let refs: Vec<&Item> = cross.iter().collect();
        let free = [10.0, 10.0];
        assert!((per_dimension_bound(&refs, &free) - 10.0).abs() < 1e-9);
        let mixed = surrogate_pairs_bound(&refs, &free);
        assert!((1.0..2.0).contains(&mixed), "{mixed}");
    }

    /// The two-dimension table is never below the best pattern, and equals
    /// it when two dimensions are all there are and units are exact.
    #[test]
    fn two_dimension_bound_is_an_upper_bound() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let (free, items) = random_knapsack(&mut state);
            let dims = free.len();
            let refs: Vec<&Item> = items.iter().collect();
            let (bound, counts) = two_dimension_bound(&refs, &free);
            if dims <= 2 {
                assert!(fits_all(&refs, &counts, &free));
            }
            let truth = brute(&items, &free);
            assert!(bound >= truth - 1e-9, "{bound} < {truth}");
            if dims <= 2 {
                assert!((bound - truth).abs() < 1e-9, "{bound} vs {truth}");
            }
        }
    }

    /// The fractional bound is never below the best pattern.
    #[test]
    fn fractional_bound_is_an_upper_bound() {
        let items = [
            Item {
                class: 0,
                worth: 3.0,
                most: 5,
                req: vec![9.0, 1.0],
            },
            Item {
                class: 1,
                worth: 1.0,
                most: 9,
                req: vec![2.0, 3.0],
            },
        ];
        let refs: Vec<&Item> = items.iter().collect();
        let free = [16.0, 10.0];
        assert!(fractional_bound(&refs, &free) >= brute(&items, &free) - 1e-9);
    }
}
