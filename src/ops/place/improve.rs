//! The steps of `place`'s search that improve the best plan by local
//! moves: rebuild each pool's nodes from scratch, pack the bound MILP's
//! node counts, shrink pools, swap nodes for cheaper pools, and
//! consolidate inside the plan. Each keeps the best plan or replaces it
//! with a better one, and stops starting work at the search deadline.

use super::bound::{self, Query, Warm};
use super::pack::{empty_last_nodes, Packing};
use super::rebuild::{rebuild_pool, Rebuild};
use super::repair::{repaired, trimmed};
use super::search::{Search, Setup};
use crate::engine::lp::seconds_until;
use web_time::{Duration, Instant};

impl<'c> Setup<'_, 'c> {
    /// [`rebuild_pool`] on every pool with two new nodes or more, most
    /// expensive first, each way in turn ([`Rebuild::ALL`]), keeping each
    /// rebuilt plan that is better (once it passes the final check).
    pub fn rebuild_pools(&self, best: &mut Packing<'c>) {
        self.rebuild_pools_until(best, self.budget.search);
    }

    /// [`Setup::rebuild_pools`], starting no rebuild that could not end by
    /// `until`.
    pub fn rebuild_pools_until(&self, best: &mut Packing<'c>, until: Instant) {
        // The longest trial so far (at first, a packing's estimate): one
        // that could not end by the deadline is not started (the bound
        // needs the time after it).
        let mut longest = Duration::ZERO;
        for &pi in &self.pools_by_cost {
            if best.pool_nodes[pi] < 2 {
                continue;
            }
            for how in Rebuild::ALL {
                let began = Instant::now();
                if began + longest.max(self.budget.packing) >= until {
                    return;
                }
                if let Some(trial) = self.rebuilt(best, pi, how) {
                    if trial.better_than(best, self.p) {
                        *best = trial;
                    }
                }
                longest = longest.max(began.elapsed());
            }
        }
    }

    /// `best` with pool `pi` rebuilt `how`, when that is better before
    /// the final check; repaired to pass it.
    fn rebuilt(&self, best: &Packing<'c>, pi: usize, how: Rebuild) -> Option<Packing<'c>> {
        let p = self.p;
        let preference = &self.sized_preference;
        let trial = rebuild_pool(
            p,
            best,
            pi,
            &self.order,
            preference,
            self.budget.search,
            how,
        )?;
        // Nodes left empty go first; the final check (costly at scale)
        // only for a plan that is better without it, as repairing only
        // takes pods and nodes away.
        let trial = Some(trimmed(p, trial)).filter(|t| t.better_than(best, p))?;
        let trial = repaired(p, trial);
        self.trace.say(|| {
            format!(
                "rebuilt pool {}{}: cost {:.3} ({} left)",
                p.cluster.pools[pi].name,
                how.label(),
                trial.cost(p),
                trial.leftover.len()
            )
        });
        Some(trial)
    }

    /// The node counts of the bound's MILP (integer node counts, tight
    /// capacities), warm-started from `best`, in at most a tenth of the
    /// time limit.
    fn milp_counts(&self, best: &Packing) -> Option<Vec<u32>> {
        let warm = Warm {
            pool_nodes: &best.pool_nodes,
            on_existing: &best.on_existing,
            on_types: &best.on_types,
        };
        let query = Query {
            demand: &self.demand,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: seconds_until(self.budget.search).min(self.budget.milp_counts_seconds),
            warm: Some(&warm),
            tight: true,
        };
        let milp = bound::solve(self.p, &query)?;
        let counts = self.p.rounded_counts(&milp.pool_nodes);
        self.trace.say(|| format!("milp counts {counts:?}"));
        Some(counts)
    }
}

impl Search<'_, '_> {
    /// Step 4, rebuild pools: each pool's pods packed again from scratch,
    /// node by node ([`Setup::rebuild_pools`]): few big multi-dimensional
    /// pods (memory-heavy, Windows) pack much tighter so than pod by pod.
    pub fn rebuild_pools(&mut self) {
        self.rebuild_best();
        self.setup.trace.say(|| "rebuilt pools".into());
    }

    /// Step 5, pack the MILP's counts: when the plan places every pod, the
    /// bound's MILP proposes node counts; packed (completed where its mix
    /// does not fit) and rebuilt when they differ from the plan's.
    pub fn pack_milp_counts(&mut self) {
        if self.best.leftover.is_empty() && !self.setup.budget.search_over() {
            self.try_milp_counts();
        }
        self.setup.trace.say(|| "milp counts".into());
    }

    /// The MILP's counts, packed, rebuilt, and kept when better.
    fn try_milp_counts(&mut self) {
        let Some(counts) = self.setup.milp_counts(&self.best) else {
            return;
        };
        if counts == self.best.pool_nodes {
            return;
        }
        let Some(mut trial) = self.attempt(&counts, 0) else {
            return;
        };
        let (setup, p) = (&self.setup, self.setup.p);
        setup.rebuild_pools(&mut trial);
        setup.trace.say(|| {
            format!(
                "milp counts packed: cost {:.3}, {} left",
                trial.cost(p),
                trial.leftover.len()
            )
        });
        if trial.better_than(&self.best, p) {
            self.replace_best(trial, true);
        }
    }

    /// Step 6, shrink: one node fewer of a pool, most expensive first,
    /// while the plan gets cheaper and places as many pods.
    pub fn shrink(&mut self) {
        for pi in self.setup.pools_by_cost.clone() {
            if !self.shrink_pool(pi) {
                self.stopped("shrink");
                break;
            }
        }
        self.setup.trace.say(|| "shrunk".into());
    }

    /// Shrinks pool `pi` by steps that start at a twentieth of its nodes
    /// and halve on failure; false when the search deadline stopped it.
    fn shrink_pool(&mut self, pi: usize) -> bool {
        let mut step = (self.best.pool_nodes[pi] / 20).max(1);
        while self.best.pool_nodes[pi] > 0 && step > 0 {
            if self.setup.budget.search_over() {
                return false;
            }
            let mut fewer = self.best.pool_nodes.clone();
            fewer[pi] -= step.min(self.best.pool_nodes[pi]);
            match self.attempt(&fewer, self.best.placed.len()) {
                Some(trial) if trial.better_than(&self.best, self.setup.p) => {
                    self.replace_best(trial, false);
                }
                _ => step /= 2,
            }
        }
        true
    }

    /// Step 7, swap: one node of a pool for one of a cheaper pool, while
    /// that places as many pods for less. Skipped when shrinking hit the
    /// deadline.
    pub fn swap(&mut self) {
        while !self.time_limit_hit && self.swap_once() {}
        self.setup.trace.say(|| "swapped".into());
    }

    /// The first swap that makes the plan better, from the dearest pools
    /// to the cheapest; false when none does, or at the deadline (which
    /// it flags).
    fn swap_once(&mut self) -> bool {
        let pools = self.setup.pools_by_cost.clone();
        for &from in &pools {
            for &to in pools.iter().rev() {
                if !self.swappable(from, to) {
                    continue;
                }
                if self.setup.budget.search_over() {
                    self.stopped("swap");
                    return false;
                }
                let mut swapped = self.best.pool_nodes.clone();
                swapped[from] -= 1;
                swapped[to] += 1;
                if let Some(trial) = self.attempt(&swapped, self.best.placed.len()) {
                    if trial.better_than(&self.best, self.setup.p) {
                        self.replace_best(trial, false);
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Whether the plan has a node of pool `from` and room for one more
    /// of pool `to`, which is cheaper.
    fn swappable(&self, from: usize, to: usize) -> bool {
        let p = self.setup.p;
        let pools = &p.cluster.pools;
        self.best.pool_nodes[from] > 0
            && pools[to].cost_per_hour < pools[from].cost_per_hour
            && self.best.pool_nodes[to] < p.pool_room[to]
    }

    /// Step 8, consolidate inside the plan: empty the last new nodes of
    /// each pool into the room left on the others ([`empty_last_nodes`];
    /// not `--repack`'s consolidation, which removes existing nodes).
    pub fn consolidate(&mut self) {
        let p = self.setup.p;
        if !self.setup.budget.search_over() {
            let emptied = empty_last_nodes(
                p,
                self.best.clone_packing(),
                &self.setup.sized_preference,
                self.setup.budget.search,
            );
            let trial = repaired(p, emptied);
            if trial.better_than(&self.best, p) {
                self.replace_best(trial, false);
            }
        }
        self.setup.trace.say(|| "consolidated".into());
    }

    /// Step 9, rebuild pools again, after the moves above; at the search
    /// deadline, flags it instead.
    pub fn rebuild_pools_again(&mut self) {
        if self.setup.budget.search_over() {
            self.stopped("rebuild-pools-again");
        } else {
            self.rebuild_best();
        }
        self.setup.trace.say(|| "rebuilt pools again".into());
    }

    /// The best plan's pools rebuilt, unless they were since it became
    /// the best (rebuilding is deterministic: the same plan gives the same
    /// rebuilds, so a second pass only spends the time).
    fn rebuild_best(&mut self) {
        if !self.best_rebuilt {
            self.setup.rebuild_pools(&mut self.best);
            self.best_rebuilt = true;
        }
    }
}
