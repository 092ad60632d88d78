//! Step 10 of `place`, enumerate: when the vectors of new nodes per pool
//! that cost less than the plan are few (small instances), try them all,
//! cheapest first. Each is refuted by the LP with those counts
//! ([`bound::refutes`]) or packed; the first that packs is optimal, and
//! when all are refuted the plan is — a proof the LP bound alone cannot
//! give, as it ignores how pods fragment nodes and repel each other.

use super::bound;
use super::problem::Problem;
use super::search::Search;
use crate::engine::lp::seconds_until;

/// Node-count vectors the enumeration below the plan's cost tries at most.
const ENUMERATED_COUNTS: usize = 64;

impl Search<'_, '_> {
    /// Step 10, enumerate (see the module docs): records the bound it
    /// proves in `enumerated_bound`. Skipped after the search deadline.
    /// A plan that leaves pods pending is beaten by any placing them all:
    /// then every vector, however dear, is a candidate.
    pub fn enumerate(&mut self) {
        if !self.time_limit_hit {
            self.enumerate_cheaper_counts();
        }
        self.setup.trace.say(|| "enumerated".into());
    }

    /// The enumeration, from the sizing LP's cost (when it placed every
    /// pod) to the plan's; nothing when the vectors are too many.
    fn enumerate_cheaper_counts(&mut self) {
        let p = self.setup.p;
        let from = match &self.setup.sizing {
            Some(b) if b.unplaced_pods < 1e-9 => b.value,
            _ => 0.0,
        };
        let below = if self.best.leftover.is_empty() {
            self.best.cost(p)
        } else {
            f64::INFINITY
        };
        let Some(vectors) = cheaper_counts(p, from, below, ENUMERATED_COUNTS) else {
            return;
        };
        let first_open = self.try_in_turn(vectors);
        // Every vector was tried: a plan placing all pods costs at least
        // the first one not refuted; with none, no plan places them all
        // (and the bound is moot).
        let bound = match (first_open, self.best.leftover.is_empty()) {
            (Some(b), true) => b.min(self.best.cost(p)),
            (None, true) => self.best.cost(p),
            (Some(b), false) => b,
            (None, false) => f64::INFINITY,
        };
        let cost = self.best.cost(p);
        self.setup
            .trace
            .say(|| format!("counts enumerated: bound {bound:.3}, cost {cost:.3}"));
        self.enumerated_bound = Some(bound);
    }

    /// Tries `vectors` cheapest first, until one costs as much as a plan
    /// placing every pod: each not refuted is packed, kept when it places
    /// every pod for less. The cost of the first vector not refuted (the
    /// first not tried, at the deadline, which it flags); None when every
    /// one was refuted.
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
            // Not refuted: no plan is cheaper than this vector.
            first_open = first_open.or(Some(v_cost));
            if let Some(trial) = self.attempt(&v, self.best.placed.len()) {
                if trial.leftover.is_empty() && trial.better_than(&self.best, p) {
                    self.best = trial;
                }
            }
        }
        first_open
    }
}

/// Every vector of new nodes per pool (0 for pools no class may use, at
/// most each pool's room) whose cost is at least `from` and below
/// `below`, cheapest first; None when there are more than `cap` (or a
/// usable pool is free, which makes them endless).
fn cheaper_counts(p: &Problem, from: f64, below: f64, cap: usize) -> Option<Vec<Vec<u32>>> {
    let pools = &p.cluster.pools;
    let usable: Vec<usize> = (0..pools.len())
        .filter(|pi| (0..p.classes.len()).any(|c| p.pools_for_class(c).contains(pi)))
        .collect();
    if usable.iter().any(|pi| pools[*pi].cost_per_hour <= 0.0) {
        return None;
    }
    let mut walk = Walk {
        p,
        usable: &usable,
        from,
        below,
        cap,
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

/// The depth-first walk of [`cheaper_counts`] over the usable pools.
struct Walk<'a, 'c> {
    p: &'a Problem<'c>,
    usable: &'a [usize],
    from: f64,
    below: f64,
    cap: usize,
    /// The vector being built.
    counts: Vec<u32>,
    /// The vectors found.
    out: Vec<Vec<u32>>,
}

impl Walk<'_, '_> {
    /// Every count of the `k`-th usable pool and the ones after it, with
    /// `spent` on the pools before; false when the cap is passed.
    fn descend(&mut self, k: usize, spent: f64) -> bool {
        if k == self.usable.len() {
            if spent >= self.from - 1e-9 {
                self.out.push(self.counts.clone());
            }
            return self.out.len() <= self.cap;
        }
        let pi = self.usable[k];
        let price = self.p.cluster.pools[pi].cost_per_hour;
        let mut n = 0u32;
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
