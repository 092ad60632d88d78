//! Step 3b of `place`, one size per pool. When pools offer a pool's
//! other VM sizes (`NodePool::resized_from`, `place --pool-sizes auto`),
//! the LP of the whole problem mixes sizes whose nodes the packings
//! cannot fill (it sees neither the nodes anti-affinity needs nor how
//! pods share a node), and the search over every size at once ended
//! above the best single size `sizes` finds (ladder m: 65.35/h against
//! 61.44/h). So this step also plans with one size per group of pools,
//! by coordinate descent: first every pool at its own size (the plan
//! without `--pool-sizes`), then each other size of each group, the other
//! groups at the best choice so far, most promising first by the LP of
//! that choice (one that proves no plan of it can beat the best is
//! skipped). Each is a short search of its own on the problem with the
//! other sizes closed ([`Problem::with_pools_open`]): `place`'s search
//! with the configuration LP's bound beside it, which proves small ones
//! optimal and ends them early; its plan is a plan of the whole problem, kept when better. The step takes two thirds of
//! the search time left at most; the search over every size goes on from the
//! best plan, so mixes of sizes still compete.

use super::budget::Budget;
use super::pack::Packing;
use super::problem::Problem;
use super::search::{relaxation, Search};
use super::{first_plan_of, search_beside_bound};
use crate::engine::trace::Trace;
use web_time::{Duration, Instant};

/// LP amounts below this are solver noise (pods the LP leaves unplaced).
const NOISE: f64 = 1e-6;

/// A run may take a quarter of the step's time left at most (less when
/// fewer runs are left): the most promising runs, which go first, get
/// the most time, and a run whose search ends early (small instances end
/// proving their packing optimal) leaves its time to the next.
const LEAST_RUNS_SHARING: usize = 4;

/// A short search's least time, in packings (`Budget::packing`): a first
/// plan, the sizing LP's packing, rebuilt pools, the MILP's counts and a
/// few shrinks.
const STEPS_PER_RUN: u32 = 8;

/// Groups of pools that are sizes of one pool: the pool first, then the
/// pools resized from it; only pools with room for a node, and groups of
/// two pools or more (none in a problem this step closed pools of, so
/// its searches do not run it again).
fn size_groups(p: &Problem) -> Vec<Vec<usize>> {
    let pools = &p.cluster.pools;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let open = |i: usize| p.pool_room[i] > 0;
    for (i, pool) in pools.iter().enumerate() {
        let Some(base) = &pool.resized_from else {
            continue;
        };
        let Some(b) = pools.iter().position(|q| &q.name == base) else {
            continue;
        };
        if !open(i) || !open(b) {
            continue;
        }
        match groups.iter_mut().find(|g| g[0] == b) {
            Some(g) => g.push(i),
            None => groups.push(vec![b, i]),
        }
    }
    groups
}

/// Which pools a choice of one pool per group leaves open: every pool of
/// no group, and the chosen ones.
fn open_pools(pools: usize, groups: &[Vec<usize>], choice: &[usize]) -> Vec<bool> {
    let mut open = vec![true; pools];
    for (group, &chosen) in groups.iter().zip(choice) {
        for &pi in group {
            open[pi] = pi == chosen;
        }
    }
    open
}

/// A short search on `r` (a problem with some pools closed) ending by
/// `end`: `place`'s search, with the configuration LP's bound beside it
/// (steps 2 to 10, [`search_beside_bound`]); its best plan.
fn restricted_search<'c>(
    r: &Problem<'c>,
    budget: Budget,
    end: Instant,
    trace: Trace,
) -> Packing<'c> {
    let budget = budget.ending_by(end);
    let began = Instant::now();
    let first = first_plan_of(r, budget, trace);
    let budget = budget.with_packing_time(began.elapsed());
    let (search, ..) = search_beside_bound(r, budget, trace, first);
    search.best
}

impl<'c> Search<'_, 'c> {
    /// Step 3b, one size per pool (the module docs); nothing when no pool
    /// is resized from another.
    pub fn one_size_per_pool(&mut self) {
        let p = self.setup.p;
        let groups = size_groups(p);
        if groups.is_empty() || self.setup.budget.search_over() {
            return;
        }
        let now = Instant::now();
        let end = now + self.setup.budget.search.saturating_duration_since(now) * 2 / 3;
        let mut choice: Vec<usize> = groups.iter().map(|g| g[0]).collect();
        // Every pool at its own size first: the groups that plan uses
        // rank first.
        self.try_choice(&groups, &choice, end, LEAST_RUNS_SHARING);
        let changes = self.ranked_changes(&groups, &choice, end);
        for (k, &(g, pool)) in changes.iter().enumerate() {
            if Instant::now() >= end {
                break;
            }
            let mut trial = choice.clone();
            trial[g] = pool;
            if self.try_choice(&groups, &trial, end, changes.len() - k) {
                choice = trial;
            }
        }
        self.setup.trace.say(|| {
            let names: Vec<&str> = choice
                .iter()
                .map(|&pi| p.cluster.pools[pi].name.as_str())
                .collect();
            format!(
                "one size per pool: {names:?}, cost {:.3}",
                self.best.cost(p)
            )
        });
    }

    /// Every change of one group's size from `choice`, most promising
    /// first: groups the best plan has nodes in, then by the first plan
    /// (first-fit decreasing, [`first_plan_of`]) of the choice it makes:
    /// fewer pods left, then cheaper (the sizing LP, buying fractions of
    /// big nodes, often cannot tell sizes apart); then the cheaper node.
    /// Without those whose LP proves that no plan of theirs placing every
    /// pod is cheaper than the best plan. Stops ranking at `end`.
    fn ranked_changes(
        &self,
        groups: &[Vec<usize>],
        choice: &[usize],
        end: Instant,
    ) -> Vec<(usize, usize)> {
        let (p, setup) = (self.setup.p, &self.setup);
        let complete = self.best.leftover.is_empty();
        let best = self.best.cost(p);
        let mut ranked = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let idle = group.iter().all(|&pi| self.best.pool_nodes[pi] == 0);
            for &pool in group.iter().filter(|&&pi| pi != choice[g]) {
                if Instant::now() >= end {
                    break;
                }
                let mut trial = choice.to_vec();
                trial[g] = pool;
                let r = p.with_pools_open(&open_pools(p.cluster.pools.len(), groups, &trial));
                let demand = &setup.demand;
                let Some(lp) = relaxation(&r, None, demand, Some(&setup.penalty), end, false)
                else {
                    continue;
                };
                // One whose LP must leave pods unplaced (their penalty is
                // dearer than any node), or is no cheaper than the best
                // plan, cannot beat a plan that places every pod.
                let loses = lp.unplaced_pods > NOISE || lp.value >= best - 1e-9;
                if complete && loses {
                    continue;
                }
                let budget = setup.budget.ending_by(end);
                let first = first_plan_of(&r, budget, setup.trace).packing;
                let price = p.cluster.pools[pool].cost_per_hour;
                let key = (idle, first.leftover.len(), first.cost(p), price);
                ranked.push((key, g, pool));
            }
        }
        ranked.sort_by(|(a, ..), (b, ..)| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then(a.2.total_cmp(&b.2))
                .then(a.3.total_cmp(&b.3))
        });
        setup.trace.say(|| {
            let names: Vec<String> = ranked
                .iter()
                .map(|(k, _, pi)| format!("{} {:.3}", p.cluster.pools[*pi].name, k.2))
                .collect();
            format!("one size per pool, ranked: {names:?}")
        });
        ranked.into_iter().map(|(_, g, pool)| (g, pool)).collect()
    }

    /// Plans with one pool per group as `choice` says, in a share of the
    /// time to `end` (with `runs` left, [`LEAST_RUNS_SHARING`]); keeps the plan when it
    /// is better, and says so.
    fn try_choice(
        &mut self,
        groups: &[Vec<usize>],
        choice: &[usize],
        end: Instant,
        runs: usize,
    ) -> bool {
        let now = Instant::now();
        let setup = &self.setup;
        let runs = runs.clamp(1, LEAST_RUNS_SHARING);
        let share = end.saturating_duration_since(now).as_secs_f64() / runs as f64;
        // The LP of fewer sizes is much faster than the whole problem's
        // (`budget.lp`): a run's least time counts packings only.
        let least = setup.budget.packing * STEPS_PER_RUN;
        let by = (now + Duration::from_secs_f64(share).max(least)).min(end);
        if by <= now + setup.budget.packing {
            return false;
        }
        let p = setup.p;
        let r = p.with_pools_open(&open_pools(p.cluster.pools.len(), groups, choice));
        let plan = restricted_search(&r, setup.budget, by, setup.trace);
        setup.trace.say(|| {
            format!(
                "one size per pool, {:?}: cost {:.3}, {} left",
                choice,
                plan.cost(p),
                plan.leftover.len()
            )
        });
        self.packings += 1;
        let better = plan.better_than(&self.best, p);
        if better {
            self.replace_best(plan, false);
        }
        better
    }
}
