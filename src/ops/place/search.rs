//! The state of `place`'s search and its first steps: what every step
//! reads ([`Setup`]: the problem, its LP sizing, the orders the packer
//! follows, the budget), the best plan so far ([`Search`]), and the move
//! every later step is made of: packing a vector of new nodes per pool
//! several ways and keeping the best ([`Setup::attempt`]).

use super::anytime_status::Ending;
use super::bound::{self, Bound, Query};
use super::budget::Budget;
use super::first_fit::FirstPlan;
use super::pack::{
    class_order, complete, constrained_first, pack, type_preference, Guide, Mode, Packing,
};
use super::problem::Problem;
use super::repair::repaired;
use crate::engine::lp::seconds_until;
use crate::engine::trace::Trace;
use web_time::{Duration, Instant};

/// How much dearer than the best plan a guided packing may be and still
/// have its pools rebuilt ([`Search::rebuilt_if_near`]).
const REBUILD_NEAR: f64 = 1.02;

/// Pods up to which packings are also tried in shuffled class orders.
const SHUFFLED_ORDERS_UP_TO: usize = 200;
/// How many shuffled orders.
const SHUFFLED_ORDERS: usize = 24;

/// Pods up to which every packing is also tried plain (first-fit
/// decreasing, most constrained classes first), and the simulate baseline
/// runs before the search.
pub(crate) const PLAIN_PACKING_UP_TO: usize = 20_000;

/// The LP relaxation of the bound model ([`bound::solve`]) for `demand`
/// pods per class: with `counts` new nodes per pool when given (else as
/// many as pay), an unplaced pod costing its class's `penalty` when given
/// (else every pod placed), solved until `until`; `tight` cuts each node's
/// capacity to what the requests can fill.
pub(crate) fn relaxation(
    p: &Problem,
    counts: Option<&[u32]>,
    demand: &[u32],
    penalty: Option<&[f64]>,
    until: Instant,
    tight: bool,
) -> Option<Bound> {
    bound::solve(
        p,
        &Query {
            demand,
            penalty,
            integer: false,
            fixed_pool_nodes: counts,
            time_limit: seconds_until(until),
            warm: None,
            tight,
        },
    )
}

/// What every step of the search reads and none changes.
pub(crate) struct Setup<'s, 'c> {
    /// The aggregated problem.
    pub p: &'s Problem<'c>,
    /// The deadlines.
    pub budget: Budget,
    /// Debug output.
    pub trace: Trace,
    /// Pending pods per class.
    pub demand: Vec<u32>,
    /// Per class, what the sizing LP pays per pod it leaves unplaced:
    /// more than any node, so it places whatever it can.
    pub penalty: Vec<f64>,
    /// The sizing LP's answer (None when it failed).
    pub sizing: Option<Bound>,
    /// The order classes are packed in ([`class_order`]).
    pub order: Vec<usize>,
    /// The same, most constrained classes first ([`constrained_first`]).
    pub constrained: Vec<usize>,
    /// Per class, new-node types cheapest per pod first (no LP's say).
    pub unguided_preference: Vec<Vec<usize>>,
    /// Per class, new-node types where the sizing LP puts the class first:
    /// for rebuilding pools and consolidating.
    pub sized_preference: Vec<Vec<usize>>,
    /// Pools, most expensive first.
    pub pools_by_cost: Vec<usize>,
}

impl<'s, 'c> Setup<'s, 'c> {
    /// The setup before sizing: the orders the packings follow and the
    /// type preferences without the LP's say; from here on, the `budget`
    /// keeps the report's time back ([`Budget::with_report_reserve`]).
    pub fn new(p: &'s Problem<'c>, budget: Budget, trace: Trace) -> Self {
        let budget = budget.with_report_reserve(p.pods.len());
        let order = class_order(p);
        let unguided_preference = type_preference(p, None);
        Setup {
            p,
            budget,
            trace,
            constrained: constrained_first(p, &order),
            sized_preference: unguided_preference.clone(),
            unguided_preference,
            pools_by_cost: p.pools_by_cost_desc(),
            order,
            demand: p.demand(),
            penalty: unplaced_penalty(p),
            sizing: None,
        }
    }

    /// Step 2, size: the LP relaxation of the bound model with a penalty
    /// per unplaced pod; its answer, the type preferences it guides, and
    /// its time in each later step's estimate ([`Budget::with_lp_time`]).
    pub fn sized(mut self) -> Self {
        let began = Instant::now();
        self.sizing = sizing_lp(self.p, self.budget, &self.demand, &self.penalty);
        self.budget = self.budget.with_lp_time(began.elapsed());
        if let Some(b) = &self.sizing {
            self.trace
                .say(|| format!("sizing lp {:.3}, nodes {:?}", b.value, b.pool_nodes));
            self.sized_preference = type_preference(self.p, Some(b.on_types.as_slice()));
        }
        self.trace.say(|| "sized".into());
        self
    }

    /// The sizing LP's node counts, rounded (none when it failed).
    fn sized_counts(&self) -> Vec<u32> {
        match &self.sizing {
            Some(b) => self.p.rounded_counts(&b.pool_nodes),
            None => vec![0; self.p.cluster.pools.len()],
        }
    }

    /// With exactly `counts` new nodes: the packings guided by the LP's
    /// distribution of the classes over these nodes, plain first-fit
    /// decreasing ones (in shuffled orders too, on small instances), each
    /// completed with added nodes where pods are left over and repaired;
    /// the best of them. None when the LP proves these nodes cannot take
    /// `must_place` pods (no plan can, then), or leaves no time to pack
    /// before the search deadline. Counts the packings made.
    pub fn attempt(
        &self,
        counts: &[u32],
        must_place: usize,
        packings: &mut usize,
    ) -> Option<Packing<'c>> {
        let p = self.p;
        let dist = relaxation(
            p,
            Some(counts),
            &self.demand,
            Some(&self.penalty),
            self.budget.search,
            false,
        );
        // The LP may have taken the time the packing needed.
        if self.budget.search_over() {
            return None;
        }
        if let Some(d) = &dist {
            let total: usize = self.demand.iter().map(|d| *d as usize).sum();
            if (total as f64 - d.unplaced_pods) < must_place as f64 - 1e-6 {
                return None;
            }
        }
        let guided = self.guided(counts, dist.as_ref(), packings);
        // The plain packing is a second opinion for small and odd
        // instances; at scale the guided one is better and time is short.
        if p.pods.len() > PLAIN_PACKING_UP_TO {
            return Some(guided);
        }
        let plain = self.plain(counts, &self.constrained);
        *packings += 1;
        let best = if plain.better_than(&guided, p) {
            plain
        } else {
            guided
        };
        Some(self.shuffled(counts, best, packings))
    }

    /// The packings guided by `dist` (the LP with these counts): shares
    /// round-robin, then — while the search has time — node by node (better
    /// on multi-dimensional pods, memory-heavy or GPU, and where classes may
    /// take several pools); the better one.
    fn guided(&self, counts: &[u32], dist: Option<&Bound>, packings: &mut usize) -> Packing<'c> {
        let p = self.p;
        let guide = dist.map(|b| Guide {
            bins: &b.bins,
            on_bins: &b.on_bins,
            on_types: &b.on_types,
        });
        let preference = type_preference(p, dist.map(|b| b.on_types.as_slice()));
        self.trace.say(|| format!("lp for {counts:?}"));
        let began = Instant::now();
        let round_robin = self.completed(counts, &preference, guide.as_ref(), Mode::RoundRobin);
        *packings += 1;
        // The second packing takes about as long as the first (at scale,
        // completing thousands of leftovers takes ten first plans and more).
        let room = Instant::now() + began.elapsed() < self.budget.search;
        let Some(g) = guide
            .as_ref()
            .filter(|_| room && !self.budget.search_over())
        else {
            return round_robin;
        };
        let filled = self.completed(counts, &preference, Some(g), Mode::Fill);
        *packings += 1;
        if filled.better_than(&round_robin, p) {
            filled
        } else {
            round_robin
        }
    }

    /// One guided packing in the class order, completed and repaired.
    fn completed(
        &self,
        counts: &[u32],
        preference: &[Vec<usize>],
        guide: Option<&Guide>,
        mode: Mode,
    ) -> Packing<'c> {
        let (p, order, hard) = (self.p, &self.order, self.budget.hard);
        let packing = pack(p, counts, order, preference, guide, mode, hard);
        self.trace
            .say(|| format!("{mode:?} packing, {} left", packing.leftover.len()));
        let packing = repaired(p, complete(p, packing, order, preference, hard));
        self.trace
            .say(|| format!("completed, cost {:.3}", packing.cost(p)));
        packing
    }

    /// An unguided round-robin packing of `counts` new nodes in class
    /// `order`, completed with added nodes where pods are left over, and
    /// repaired.
    pub fn plain(&self, counts: &[u32], order: &[usize]) -> Packing<'c> {
        let (p, preference, hard) = (self.p, &self.unguided_preference, self.budget.hard);
        let packing = pack(p, counts, order, preference, None, Mode::RoundRobin, hard);
        repaired(p, complete(p, packing, order, preference, hard))
    }

    /// On small instances, `best` or a better plain packing in one of
    /// [`SHUFFLED_ORDERS`] shuffles of the constrained-first order, with a
    /// fixed seed (the answer is reproducible), while the search has time.
    fn shuffled(&self, counts: &[u32], mut best: Packing<'c>, packings: &mut usize) -> Packing<'c> {
        if self.p.pods.len() > SHUFFLED_ORDERS_UP_TO {
            return best;
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..SHUFFLED_ORDERS {
            if self.budget.search_over() {
                break;
            }
            let mut shuffled = self.constrained.clone();
            for i in (1..shuffled.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                shuffled.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let trial = self.plain(counts, &shuffled);
            *packings += 1;
            if trial.better_than(&best, self.p) {
                best = trial;
            }
        }
        best
    }
}

/// The sizing LP ([`relaxation`] with a `penalty` per unplaced pod of
/// `demand`), due a packing's time before the search deadline, so that
/// one can follow it; not started when that time has passed (the search
/// goes on from the first plan, and the LP would only eat the time the
/// bound and the report need).
fn sizing_lp(p: &Problem, budget: Budget, demand: &[u32], penalty: &[f64]) -> Option<Bound> {
    if budget.search_over() {
        return None;
    }
    let until = budget.search - budget.packing;
    relaxation(p, None, demand, Some(penalty), until, false)
}

/// Per class, the sizing LP's cost of leaving one pod unplaced: ten times
/// the dearest node and more, a little more for higher priority.
fn unplaced_penalty(p: &Problem) -> Vec<f64> {
    let max_cost = p
        .cluster
        .pools
        .iter()
        .map(|p| p.cost_per_hour)
        .fold(0.0, f64::max);
    p.classes
        .iter()
        .map(|c| (max_cost + 1.0) * 10.0 * (1.0 + f64::from(c.priority.max(0)) / 1e9))
        .collect()
}

/// The search: its setup, the best plan so far, and what the steps found
/// on the way. Each step is a method (here and in the sibling files
/// `improve`, `enumerate`, `choose` and `prove`) that keeps `best` or
/// replaces it with a better plan ([`Packing::better_than`]).
pub(crate) struct Search<'s, 'c> {
    /// What every step reads.
    pub setup: Setup<'s, 'c>,
    /// The best plan so far; every one passes the final check. Replaced
    /// through [`Search::replace_best`].
    pub best: Packing<'c>,
    /// Whether the best plan's pools were rebuilt since it became the
    /// best: rebuilding them again is skipped.
    pub best_rebuilt: bool,
    /// Packings made so far (`stats.method` reports them).
    pub packings: usize,
    /// Whether a step stopped at a deadline.
    pub time_limit_hit: bool,
    /// The first step a deadline stopped (`stats.timeLimitPhase`).
    pub time_limit_phase: Option<&'static str>,
    /// Whether the first plan got to every pod before its deadline.
    pub first_complete: bool,
    /// The enumeration's lower bound on plans that place every pod, when
    /// it ran to the end ([`Search::enumerate`]).
    pub enumerated_bound: Option<f64>,
}

impl<'s, 'c> Search<'s, 'c> {
    /// Step 3, pack: the sizing LP's node counts, packed
    /// ([`Setup::attempt`]; plainly when the LP refutes them), leftovers on
    /// added nodes; kept over the `first` plan unless that is better. Not
    /// started after the search deadline: the search goes on from the
    /// first plan.
    /// `first_rebuilt` says whether the first plan's pools were rebuilt
    /// already (at scale, before sizing).
    pub fn pack(setup: Setup<'s, 'c>, first: FirstPlan<'c>, first_rebuilt: bool) -> Self {
        let mut search = Search {
            setup,
            best: first.packing,
            best_rebuilt: first_rebuilt,
            packings: 0,
            time_limit_hit: false,
            time_limit_phase: None,
            first_complete: first.complete,
            enumerated_bound: None,
        };
        if !first.complete {
            search.stopped("first-plan");
        }
        if search.setup.budget.search_over() {
            search.stopped("pack");
            return search;
        }
        let setup = &search.setup;
        let counts = setup.sized_counts();
        let mut packings = 0;
        let packed = match setup.attempt(&counts, 0, &mut packings) {
            Some(packing) => packing,
            None if !setup.budget.search_over() => setup.plain(&counts, &setup.constrained),
            None => {
                search.stopped("pack");
                return search;
            }
        };
        setup.trace.say(|| "packed".into());
        search.packings += packings;
        let (packed, rebuilt) = search.rebuilt_if_near(packed);
        if !search.best.better_than(&packed, search.setup.p) {
            search.replace_best(packed, rebuilt);
        }
        search
    }

    /// Makes `plan` the best plan; `rebuilt` says whether its pools were
    /// rebuilt (a rebuild of the same plan would find nothing new).
    pub fn replace_best(&mut self, plan: Packing<'c>, rebuilt: bool) {
        self.best = plan;
        self.best_rebuilt = rebuilt;
    }

    /// `packed` with its pools rebuilt when it places as many pods as the
    /// best plan for at most [`REBUILD_NEAR`] more: rebuilding saves 1-2%
    /// on the guided packings (measured on the ladder), so one that
    /// starts a little dearer than a first plan whose pools were already
    /// rebuilt can still end cheaper.
    /// Also whether it was rebuilt.
    fn rebuilt_if_near(&self, mut packed: Packing<'c>) -> (Packing<'c>, bool) {
        let p = self.setup.p;
        let near = packed.placed.len() >= self.best.placed.len()
            && packed.cost(p) <= self.best.cost(p) * REBUILD_NEAR;
        let rebuild = near && self.best.better_than(&packed, p);
        if rebuild {
            self.setup.rebuild_pools(&mut packed);
        }
        (packed, rebuild)
    }

    /// How the search ended, for the status ([`super::anytime_status::settle`]) of a solve of
    /// `time_limit` seconds. A deadline that stopped a step without
    /// naming it (the enumeration's) is reported as `enumerate`.
    pub fn ending(&self, time_limit: f64) -> Ending {
        let unnamed = self.time_limit_hit.then_some("enumerate");
        Ending {
            time_limit_hit: self.time_limit_hit,
            time_limit_phase: self.time_limit_phase.or(unnamed),
            first_complete: self.first_complete,
            time_limit,
            none_places_all: self.enumerated_bound.is_some_and(f64::is_infinite),
            end: self.setup.budget.start + Duration::from_secs_f64(time_limit.max(0.0)),
        }
    }

    /// Records that a deadline stopped `step` (the first one is reported).
    pub fn stopped(&mut self, step: &'static str) {
        self.time_limit_hit = true;
        self.time_limit_phase.get_or_insert(step);
    }

    /// [`Setup::attempt`], counted, for a plan that must place as many
    /// pods as the best so far (`must_place`).
    pub fn attempt(&mut self, counts: &[u32], must_place: usize) -> Option<Packing<'c>> {
        self.setup.attempt(counts, must_place, &mut self.packings)
    }
}
