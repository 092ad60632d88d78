//! Step 10 of `place`, enumerate: the vectors of new nodes per pool that
//! cost less than the plan (all of them, or when they are too many all
//! those below a lower cost), cheapest first, while the search has time.
//! Each is refuted by the LP with those counts and its clique cuts
//! ([`bound::refutes`]), or searched exactly ([`exact_search`]): a packing
//! found there is optimal (every cheaper vector was refuted), a search
//! that ends without one refutes the vector too, and one out of steps
//! stops the bound there (the heuristic packings get a try at it). The
//! bound is the cost of the first vector not refuted — a proof the LP
//! bound alone cannot give, as it ignores how pods fragment nodes and
//! repel each other.

use super::bound;
use super::config_bound::Published;
use super::exact_search::{search_vector, Outcome};
use super::problem::Problem;
use super::search::Search;
use crate::engine::lp::seconds_until;
use web_time::Instant;

/// Node-count vectors the enumeration tries at most.
const ENUMERATED_COUNTS: usize = 2000;

/// Placements the exact search tries per vector at most (it also stops
/// at half the search time left).
const STEPS_PER_VECTOR: usize = 2_000_000;

/// Steps of the walk over count vectors before it gives up.
const WALK_STEPS: usize = 2_000_000;

impl<'c> Search<'_, 'c> {
    /// Step 10, enumerate (see the module docs): records the bound it
    /// proves in `enumerated_bound`. Skipped after the search deadline.
    /// A plan that leaves pods pending is beaten by any placing them all:
    /// then every vector, however dear, is a candidate.
    pub fn enumerate(&mut self, known: &Published) {
        if !self.time_limit_hit {
            self.enumerate_cheaper_counts(known.get());
        }
        self.setup.trace.say(|| "enumerated".into());
    }

    /// The enumeration, from the sizing LP's cost (when it placed every
    /// pod) or the configuration LP's bound `known` (0 when none), to the
    /// plan's; nothing when the vectors are too many. Vectors cheaper than
    /// either bound cannot hold every pod: they count as refuted.
    fn enumerate_cheaper_counts(&mut self, known: f64) {
        let p = self.setup.p;
        let from = match &self.setup.sizing {
            Some(b) if b.unplaced_pods < 1e-9 => b.value.max(self.milp_floor()),
            _ => 0.0,
        }
        // A vector may cost the bound exactly (floating-point error aside).
        .max(known - 1e-6 * (1.0 + known));
        let below = if self.best.leftover.is_empty() {
            self.best.cost(p)
        } else {
            f64::INFINITY
        };
        let Some((vectors, complete_below)) = counts_below(p, from, below) else {
            return;
        };
        let first_open = self.try_in_turn(vectors);
        // Every vector below `complete_below` was tried: a plan placing
        // all pods costs at least the first one not refuted; with none,
        // at least `complete_below` (infinite: no plan places them all,
        // and the bound is moot).
        let bound = match (first_open, self.best.leftover.is_empty()) {
            (Some(b), true) => b.min(self.best.cost(p)),
            (None, true) => complete_below.min(self.best.cost(p)),
            (Some(b), false) => b,
            (None, false) => complete_below,
        };
        let cost = self.best.cost(p);
        self.setup
            .trace
            .say(|| format!("counts enumerated: bound {bound:.3}, cost {cost:.3}"));
        self.enumerated_bound = Some(bound);
    }

    /// Tries `vectors` cheapest first, until one costs as much as a plan
    /// placing every pod: each not refuted by the LP is searched exactly
    /// (when the plan places every pod) and, when that proves nothing,
    /// packed; a packing of every pod for less is kept. The cost of the
    /// first vector not refuted (the first not tried, at the deadline,
    /// which it flags); None when every one was refuted.
    fn try_in_turn(&mut self, vectors: Vec<Vec<u32>>) -> Option<f64> {
        let p = self.setup.p;
        let mut first_open: Option<f64> = None;
        for v in vectors {
            let v_cost = p.counts_cost(&v);
            if self.best.leftover.is_empty() && v_cost >= self.best.cost(p) - 1e-9 {
                break;
            }
            if self.setup.budget.search_over() {
                self.time_limit_hit = true;
                return first_open.or(Some(v_cost));
            }
            let deadline = self.setup.budget.search;
            if bound::refutes(p, &v, &self.setup.demand, seconds_until(deadline)) {
                continue;
            }
            match self.search_exactly(&v) {
                Outcome::Infeasible => continue,
                Outcome::Packed(trial) => {
                    if trial.better_than(&self.best, p) {
                        self.replace_best(*trial, false);
                    }
                    return first_open.or(Some(v_cost));
                }
                Outcome::Unknown => {}
            }
            // Not refuted: no plan is cheaper than this vector.
            first_open = first_open.or(Some(v_cost));
            if let Some(trial) = self.attempt(&v, self.best.placed.len()) {
                if trial.leftover.is_empty() && trial.better_than(&self.best, p) {
                    self.replace_best(trial, false);
                }
            }
        }
        first_open
    }

    /// The bound MILP's proven bound on plans placing every pod (integer
    /// node counts, tight capacities, clique cuts), in at most the time
    /// the budget gives a MILP during the search; 0 when it fails. Every
    /// vector below it is refuted at once.
    fn milp_floor(&self) -> f64 {
        let setup = &self.setup;
        let seconds = seconds_until(setup.budget.search).min(setup.budget.milp_counts_seconds);
        let query = bound::Query {
            demand: &setup.demand,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: seconds,
            warm: None,
            tight: true,
        };
        let floor = bound::solve(setup.p, &query).map_or(0.0, |b| b.value);
        setup.trace.say(|| format!("milp floor {floor:.3}"));
        floor
    }

    /// The exact search of vector `v` ([`search_vector`]), when the plan
    /// places every pod (else some pod fits nowhere, and every vector is
    /// infeasible for all of them).
    fn search_exactly(&self, v: &[u32]) -> Outcome<'c> {
        let setup = &self.setup;
        if !self.best.leftover.is_empty() {
            return Outcome::Unknown;
        }
        // Half the time left: a vector the search cannot settle leaves
        // time for the dearer ones, which may still pack.
        let now = Instant::now();
        let deadline = now + setup.budget.search.saturating_duration_since(now) / 2;
        let outcome = search_vector(setup.p, v, &setup.constrained, STEPS_PER_VECTOR, deadline);
        setup.trace.say(|| {
            let what = match &outcome {
                Outcome::Packed(_) => "packed",
                Outcome::Infeasible => "infeasible",
                Outcome::Unknown => "unknown",
            };
            format!("exact search of {v:?}: {what}")
        });
        outcome
    }
}

/// Every vector of new nodes per pool from `from` to below a cost up to
/// `below` ([`cheaper_counts`]), at most [`ENUMERATED_COUNTS`] of them,
/// with that cost: `below` when they are few enough, else the highest
/// found by bisection. None when even the first step has too many.
fn counts_below(p: &Problem, from: f64, below: f64) -> Option<(Vec<Vec<u32>>, f64)> {
    if let Some(all) = cheaper_counts(p, from, below, ENUMERATED_COUNTS) {
        return Some((all, below));
    }
    // Costs above the plan's have no use; an infinite one none either.
    let mut high = if below.is_finite() {
        below
    } else {
        from * 2.0 + 1.0
    };
    let mut low = from;
    let mut found = None;
    for _ in 0..24 {
        let mid = (low + high) / 2.0;
        match cheaper_counts(p, from, mid, ENUMERATED_COUNTS) {
            Some(v) => {
                found = Some((v, mid));
                low = mid;
            }
            None => high = mid,
        }
    }
    found
}

/// Every vector of new nodes per pool (0 for pools no class may use, at
/// most each pool's room) whose cost is at least `from` and below
/// `below`, cheapest first; None when there are more than `cap` (or a
/// usable pool is free, which makes them endless, or the walk is long).
fn cheaper_counts(p: &Problem, from: f64, below: f64, cap: usize) -> Option<Vec<Vec<u32>>> {
    let pools = &p.cluster.pools;
    let usable: Vec<usize> = (0..pools.len())
        .filter(|pi| (0..p.classes.len()).any(|c| p.pools_for_class(c).contains(pi)))
        .collect();
    if usable.iter().any(|pi| pools[*pi].cost_per_hour <= 0.0) {
        return None;
    }
    // Dearest pools first: fewer prefixes to walk.
    let mut usable = usable;
    usable.sort_by(|a, b| pools[*b].cost_per_hour.total_cmp(&pools[*a].cost_per_hour));
    let least = least_nodes(p);
    let mut reach = vec![0.0; usable.len() + 1];
    let mut floor = vec![0.0; usable.len() + 1];
    for k in (0..usable.len()).rev() {
        let pi = usable[k];
        reach[k] = reach[k + 1] + pools[pi].cost_per_hour * f64::from(p.pool_room[pi]);
        floor[k] = floor[k + 1] + pools[pi].cost_per_hour * f64::from(least[pi]);
    }
    let mut walk = Walk {
        p,
        usable: &usable,
        reach: &reach,
        floor: &floor,
        least: &least,
        from,
        below,
        cap,
        steps: 0,
        counts: vec![0u32; pools.len()],
        out: Vec::new(),
    };
    if !walk.descend(0, 0.0) {
        return None;
    }
    let mut out = walk.out;
    out.sort_by(|a, b| p.counts_cost(a).total_cmp(&p.counts_cost(b)));
    Some(out)
}

/// Per pool, the fewest new nodes of it that a plan placing every pod
/// has: a class that no existing node and only this pool's nodes take, at
/// most `k` pods to a node, needs `ceil(pods / k)` of them.
fn least_nodes(p: &Problem) -> Vec<u32> {
    let mut least = vec![0u32; p.cluster.pools.len()];
    for (c, class) in p.classes.iter().enumerate() {
        let types = &p.compat_types[c];
        if !p.compat_existing[c].is_empty() || types.is_empty() {
            continue;
        }
        let pool = p.types[types[0].0].pool.index();
        if types.iter().any(|(t, _)| p.types[*t].pool.index() != pool) {
            continue;
        }
        let per_node = types.iter().map(|(_, cap)| *cap).fold(0.0, f64::max);
        let nodes = (class.pods.len() as f64 / per_node).ceil() as u32;
        least[pool] = least[pool].max(nodes.min(p.pool_room[pool]));
    }
    least
}

/// The depth-first walk of [`cheaper_counts`] over the usable pools.
struct Walk<'a, 'c> {
    p: &'a Problem<'c>,
    usable: &'a [usize],
    /// Per position in `usable`, the most the pools from there can add.
    reach: &'a [f64],
    /// Per position in `usable`, the least the pools from there add.
    floor: &'a [f64],
    /// Per pool, the fewest new nodes a plan placing every pod has.
    least: &'a [u32],
    from: f64,
    below: f64,
    cap: usize,
    steps: usize,
    /// The vector being built.
    counts: Vec<u32>,
    /// The vectors found.
    out: Vec<Vec<u32>>,
}

impl Walk<'_, '_> {
    /// Every count of the `k`-th usable pool and the ones after it, with
    /// `spent` on the pools before; false when the cap is passed.
    fn descend(&mut self, k: usize, spent: f64) -> bool {
        self.steps += 1;
        if self.steps > WALK_STEPS {
            return false;
        }
        if spent + self.reach[k] < self.from - 1e-9 || spent + self.floor[k] >= self.below - 1e-9 {
            return true;
        }
        if k == self.usable.len() {
            if spent >= self.from - 1e-9 {
                self.out.push(self.counts.clone());
            }
            return self.out.len() <= self.cap;
        }
        let pi = self.usable[k];
        let price = self.p.cluster.pools[pi].cost_per_hour;
        let mut n = self.least[pi];
        while n <= self.p.pool_room[pi] && spent + f64::from(n) * price < self.below - 1e-9 {
            self.counts[pi] = n;
            if !self.descend(k + 1, spent + f64::from(n) * price) {
                return false;
            }
            n += 1;
        }
        self.counts[pi] = 0;
        true
    }
}
