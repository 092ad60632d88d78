//! `place`: the cheapest set of new nodes and a placement of every pending
//! pod on them, with a proven lower bound on the cost.
//!
//! [`place`] is a pipeline of named steps over one [`search::Search`]
//! (the problem, the LP sizing, the best plan so far), each a method
//! that keeps the best plan or replaces it with a better one, within the
//! deadlines of a [`budget::Budget`]:
//!
//! 1. Aggregate: pod classes, node types, what fits where ([`problem`]);
//!    the pools' `minCount` nodes are planned in first.
//! 2. First plan: first-fit decreasing over the real filters
//!    ([`first_fit`]), due by `Budget::first_plan` (its first 256 pods
//!    are placed whatever the deadline), so that a valid plan exists at
//!    every size whatever the time limit; every later step only
//!    replaces it with a better one.
//!    Then size: the LP relaxation of the bound model sizes the pools
//!    ([`bound`]; `Setup::sized`); at scale, the first plan's pools are
//!    rebuilt before it (step 4 on the first plan).
//! 3. Pack with exactly those nodes, several ways — guided by the LP's
//!    distribution of the classes (round-robin, and node by node with the
//!    best-aligned pod first), plain first-fit decreasing, and shuffled
//!    orders on small instances — placing leftovers by moving one pod or
//!    adding nodes ([`pack`]); keep the best plan (`Search::pack`).
//!    With pools in several VM sizes (`--pool-sizes auto`), also plan
//!    with one size per pool, each size in turn ([`one_size`]).
//! 4. Rebuild pools: each pool's pods packed again from scratch node by
//!    node (best-aligned pod first, the mix a knapsack says fills the node
//!    best, or the patterns of the pool's configuration LP by column
//!    generation), which saves nodes on big multi-dimensional pods
//!    ([`rebuild`]).
//! 5. Pack the MILP's counts: the bound MILP's node counts, packed and
//!    rebuilt, when they differ from the plan's.
//! 6. Shrink: one node fewer of a pool at a time (most expensive first)
//!    while the plan gets cheaper and places as many pods.
//! 7. Swap: a node of a pool for one of a cheaper pool.
//! 8. Consolidate inside the plan: empty the last new nodes of each pool
//!    into the others' room (not `--repack`, which is `ops::consolidate`).
//! 9. Rebuild pools again ([`improve`] holds steps 4 to 9).
//! 10. Enumerate: node-count vectors from the bound up to the plan's cost
//!     (at most 2,000, else a cheaper window), cheapest first: each is
//!     refuted by the LP with those counts and the clique cuts, or
//!     searched exactly ([`exact_search`]: a packing, which is then
//!     optimal, or a proof that none exists); a search that runs out of
//!     budget proves nothing ([`enumerate`]). Then polish: while the
//!     search deadline is ahead and the plan does not meet a bound
//!     already proven, one node fewer of a pool packed plainly in
//!     shuffled most-constrained-first orders ([`polish`]).
//!
//!     Beside steps 2 to 10, from the first plan to the search deadline,
//!     the configuration LP's bound on plans placing every pod
//!     ([`config_bound`]): column generation over whole nodes' patterns
//!     ([`config_lp`], priced by [`config_pricing`]) when its master is
//!     small, else its Lagrangian by subgradient ascent
//!     ([`config_lagrange`]) and then, with a second or more ahead, the
//!     tight LP of the aggregated model ([`bound`]). With the `parallel`
//!     feature (native default) it runs on a second thread; without
//!     (WASM), after step 10 in half the time left before the search
//!     deadline, without the LP. The enumeration (step 10) starts from the
//!     bound proven by then.
//! 11. Safety net: kube-scheduler and cluster-autoscaler's plan
//!     (`simulate`), kept when it is better; run before step 3 on small
//!     instances so that the search cannot crowd it out.
//! 12. Choose: of the plans that pass every filter in their final state
//!     (`validate`; every packing is repaired until it does, [`repair`]),
//!     the one placing most pods, then the cheapest ([`choose`]).
//! 13. Prove: the LP bound for the pods placed, then the MILP with integer
//!     node counts, warm-started from the plan, in the remaining time;
//!     both with each node's capacity cut to what the requests can fill
//!     and clique cuts (classes no two of which share a node of a type,
//!     [`cuts_clique`]), rounded up to a cost whole nodes can add up to
//!     ([`bound_round`]), the enumeration's bound when it ran, and the
//!     configuration LP's ([`prove`]; `stats.boundSource` names the
//!     source).
//! 14. Status: `infeasible` only with a proof that some pod fits nowhere
//!     (per class, or every vector refuted); `timeout` when the time limit
//!     stopped a step before every pod was placed ([`anytime_status`]).
//! 15. Finish: soft preferences on the plan's nodes ([`preferences`]).
//!
//! The search steps start no work after 0.6 of the time limit; packings
//! under way and the bound end by 0.75, the preferences by 0.9
//! ([`budget::Budget`]). `PODPLAN_DEBUG=1` prints a trace of the steps to
//! stderr (`engine::trace`).

mod anytime_status;
mod bound;
mod bound_round;
mod budget;
mod choose;
mod config_bound;
mod config_lagrange;
mod config_lp;
mod config_pricing;
mod cuts_clique;
mod enumerate;
mod exact_search;
mod first_fit;
mod improve;
mod one_size;
mod pack;
mod polish;
pub mod preferences;
mod problem;
mod prove;
mod rebuild;
mod repair;
mod search;

pub(crate) use problem::MAX_NODES;

use crate::engine::plan;
use crate::engine::trace::Trace;
use crate::error::Result;
use crate::model::Cluster;
use crate::report::place::{PlaceOptions, PlaceReport};
use anytime_status::settle;
use budget::Budget;
use choose::early_baseline;
use config_bound::{configuration_bound, EarlyBound, Published};
use first_fit::{first_plan, FirstPlan};
use pack::{class_order, constrained_first, type_preference};
use problem::Problem;
use search::{Search, Setup, PLAIN_PACKING_UP_TO};
use web_time::Instant;

/// The share of the time limit by which the first plan's pools are
/// rebuilt at scale, before the sizing LP (more than
/// [`PLAIN_PACKING_UP_TO`] pods).
const EARLY_REBUILD_SHARE: f64 = 0.3;

/// Plans the pending pods at least cost: the steps of the module docs.
pub fn place(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    plan::check_forced_nodes(cluster)?;
    let started = Instant::now();
    // Nodes every plan needs for the pools' minCount: plan with them in,
    // in what the copy left of the time limit.
    if let Some((forced, cost)) = cluster.with_min_counts() {
        let left = PlaceOptions {
            time_limit: options.time_limit - started.elapsed().as_secs_f64(),
            ..options.clone()
        };
        let report = place(&forced, &left).map(|r| plan::add_forced_cost(r, cost));
        crate::parallel::drop_later(forced);
        return report;
    }
    let budget = Budget::new(started, options.time_limit);
    let trace = Trace::from_env(budget.start);
    let problem = Problem::new(cluster, cluster.pending_pods().collect());
    trace.say(|| "problem".into());
    let began = Instant::now();
    let first = first_plan_of(&problem, budget, trace);
    let budget = budget.with_packing_time(began.elapsed());
    let (search, configurations, early) = search_beside_bound(&problem, budget, trace, first);
    let baseline = search.baseline(early);
    let chosen = search.choose(baseline)?;
    let report = search.prove(chosen, configurations);
    trace.say(|| "proved".into());
    let mut report = search.finish(report);
    trace.say(|| "preferences".into());
    settle(&problem, &mut report, &search.ending(options.time_limit));
    trace.say(|| "settled".into());
    plan::check_plan_nodes(cluster, report)
}

/// What the search leaves: the search, the configuration LP's bound,
/// and the early baseline ([`early_baseline`]).
type Searched<'s, 'c> = (Search<'s, 'c>, Option<EarlyBound>, Option<PlaceReport>);

/// Steps 2 to 10: size, search from the first plan and polish, with the
/// configuration LP's bound ([`config_bound`]) on a second thread beside
/// them until the search deadline; polishing stops once the plan meets
/// it.
#[cfg(feature = "parallel")]
fn search_beside_bound<'s, 'c>(
    problem: &'s Problem<'c>,
    budget: Budget,
    trace: Trace,
    first: FirstPlan<'c>,
) -> Searched<'s, 'c> {
    let demand = problem.demand();
    let upper = plan_cost_or_room(problem, &first);
    let published = Published::default();
    // The search deadline once the report's time is kept back, as the
    // search's own (`Setup::new`): the bound must not outlast the search
    // that waits for it.
    let until = budget.with_report_reserve(problem.pods.len()).search;
    std::thread::scope(|scope| {
        let bound = scope
            .spawn(|| configuration_bound(problem, &demand, upper, until, true, trace, &published));
        let (mut search, early) = sized_and_improved(problem, budget, trace, first, &published);
        search.polish(&published);
        (search, bound.join().ok().flatten(), early)
    })
}

/// Steps 2 to 10 without threads: size, search, then the configuration
/// LP's bound ([`config_bound`]) in half the time left before the search
/// deadline, then polish until the plan meets it.
#[cfg(not(feature = "parallel"))]
fn search_beside_bound<'s, 'c>(
    problem: &'s Problem<'c>,
    budget: Budget,
    trace: Trace,
    first: FirstPlan<'c>,
) -> Searched<'s, 'c> {
    let upper = plan_cost_or_room(problem, &first);
    let (mut search, early) =
        sized_and_improved(problem, budget, trace, first, &Published::default());
    let now = Instant::now();
    let until = now + budget.search.saturating_duration_since(now) / 2;
    let published = Published::default();
    let demand = &search.setup.demand;
    let bound = configuration_bound(problem, demand, upper, until, false, trace, &published);
    search.polish(&published);
    (search, bound, early)
}

/// Steps 2 to 10 before polishing: size, the early baseline, pack from
/// the first plan, improve. The enumeration starts from the configuration
/// LP's bound `known` when it is proven by then.
fn sized_and_improved<'s, 'c>(
    problem: &'s Problem<'c>,
    budget: Budget,
    trace: Trace,
    first: FirstPlan<'c>,
    known: &Published,
) -> (Search<'s, 'c>, Option<PlaceReport>) {
    let setup = Setup::new(problem, budget, trace);
    let mut first = first;
    let at_scale = problem.pods.len() > PLAIN_PACKING_UP_TO;
    if at_scale {
        // At scale the LP takes seconds and the packings it guides often
        // lose to the first plan: rebuild the first plan's pools first.
        let until = setup.budget.at_share(EARLY_REBUILD_SHARE);
        setup.rebuild_pools_until(&mut first.packing, until);
        trace.say(|| "rebuilt the first plan's pools".into());
    }
    let setup = setup.sized();
    let early = early_baseline(&setup);
    let mut search = Search::pack(setup, first, at_scale);
    search.one_size_per_pool();
    improve(&mut search, known);
    (search, early)
}

/// Steps 4 to 10 on the packed plan: rebuild pools, pack the MILP's
/// counts, shrink, swap, consolidate, rebuild again, enumerate from the
/// bound `known` so far.
fn improve(search: &mut Search, known: &Published) {
    search.rebuild_pools();
    search.pack_milp_counts();
    search.shrink();
    search.swap();
    search.consolidate();
    search.rebuild_pools_again();
    search.enumerate(known);
}

/// The first plan's cost when it places every pod, else the cost of every
/// pool's whole room (a cost no plan exceeds).
fn plan_cost_or_room(p: &Problem, first: &FirstPlan) -> f64 {
    if first.packing.leftover.is_empty() {
        first.packing.cost(p)
    } else {
        p.counts_cost(&p.pool_room)
    }
}

/// Step 0, the first plan: first-fit decreasing, most constrained classes
/// first, new nodes from the cheapest pool per pod, by the first-plan
/// deadline ([`first_fit`]).
fn first_plan_of<'c>(problem: &Problem<'c>, budget: Budget, trace: Trace) -> FirstPlan<'c> {
    let order = constrained_first(problem, &class_order(problem));
    let preference = type_preference(problem, None);
    let first = first_plan(problem, &order, &preference, budget.first_plan, trace);
    trace.say(|| {
        format!(
            "first plan: {} placed, {} left, cost {:.3}",
            first.packing.placed.len(),
            first.packing.leftover.len(),
            first.packing.cost(problem)
        )
    });
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::validate::validate_plan;
    use crate::{read_scenario, Input};

    /// A pool's minCount node planned in (`user-new-0`, zone 1) that the
    /// pods cannot use (they select zone 2): the plan's node is
    /// `user-new-1`, and trimming must know it by that name, not take the
    /// unused minimum node for the last new one (it used to drop the
    /// plan's node and panic on its pods).
    #[test]
    fn trimming_names_new_nodes_after_the_min_count_ones() {
        let yaml = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: user}
spec: {allocatable: {cpu: "2", memory: 8Gi, pods: "110"}, zones: ["1", "2"], minCount: 1, maxCount: 6, costPerHour: 0.5}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {topology.kubernetes.io/zone: "2"}
      containers: [{name: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]
"#;
        let cluster = read_scenario(&[Input::new("min.yaml", yaml)]).expect("scenario reads");
        let options = PlaceOptions {
            time_limit: 2.0,
            repack: false,
        };
        let report = place(&cluster, &options).expect("plans");
        assert!(report.unplaced.is_empty(), "{:?}", report.unplaced);
        assert!(report.assignments.iter().all(|a| a.node == "user-new-1"));
        assert!((report.cost - 1.0).abs() < 1e-9, "{}", report.cost);
        assert!(validate_plan(&cluster, &report).is_ok());
    }
}
