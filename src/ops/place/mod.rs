//! `place`: the cheapest set of new nodes and a placement of every pending
//! pod on them, with a proven lower bound on the cost.
//!
//! 1. Aggregate: pod classes, node types, what fits where ([`problem`]).
//! 2. Size the pools with the LP relaxation of the bound model ([`bound`]).
//! 3. Pack with exactly those nodes, several ways — guided by the LP's
//!    distribution of the classes (round-robin, and node by node with the
//!    best-aligned pod first), and plain first-fit decreasing — and place
//!    leftovers by moving one pod or adding nodes ([`pack`]); keep the best
//!    plan. Then repack each pool's pods from scratch node by node (best
//!    aligned pod first, the mix a knapsack says fills the node best, or
//!    the patterns of the pool's configuration LP by column generation),
//!    which saves nodes on big multi-dimensional pods. Then pack the node
//!    counts of the bound's MILP too, and keep the better plan.
//! 4. Shrink: one node fewer of a pool at a time (most expensive first)
//!    while the plan gets cheaper and places as many pods; swap nodes for
//!    cheaper pools; consolidate; repack the pools again. When the node
//!    count vectors cheaper than the plan are few (small instances), try
//!    them all, cheapest first: each is refuted by the LP with those
//!    counts or packed — a search, and a proof, the moves above lack.
//! 5. Safety net: kube-scheduler and cluster-autoscaler's plan (`simulate`)
//!    when it is better; only plans that pass every filter in their final
//!    state are reported (`validate`), repaired if need be.
//! 6. Prove: the LP bound for the pods placed, then the MILP with integer
//!    node counts, warm-started from the plan, in the remaining time; both
//!    with each node's capacity cut to what the requests can fill, and the
//!    enumeration's bound when it ran.
//!
//! `PODPLAN_DEBUG=1` prints a trace of the phases to stderr.

mod bound;
mod pack;
pub mod preferences;
mod problem;

pub(crate) use problem::MAX_NODES;

use crate::check::validate::validate_plan;
use crate::engine::lp::seconds_until;
use crate::engine::plan::{self, Plan};
use crate::error::Result;
use crate::model::{Cluster, PodId, PoolId};
use crate::predicates::fit_error::unschedulable_message;
use crate::predicates::PodState;
use crate::report::place::{PlaceOptions, PlaceReport, PlanStats, PlanStatus};
use bound::{Query, Warm};
use pack::{
    class_order, complete, consolidate, constrained_first, pack, repack_pool, type_preference,
    Guide, Mode, Packing, Repack,
};
use problem::Problem;
use std::collections::HashMap;
use web_time::{Duration, Instant};

/// Plans the pending pods at least cost (see the module docs).
pub fn place(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    // Nodes every plan needs for the pools' minCount: plan with them in.
    if let Some((forced, cost)) = cluster.with_min_counts() {
        return place(&forced, options).map(|r| plan::add_forced_cost(r, cost));
    }
    let start = Instant::now();
    let limit = options.time_limit.max(0.05);
    // Keep a tenth of the budget for the final bound and the report.
    let deadline = start + Duration::from_secs_f64(limit * 0.6);
    let hard_deadline = start + Duration::from_secs_f64(limit * 0.75);
    let pods: Vec<PodId> = cluster.pending_pods().collect();
    let p = Problem::new(cluster, pods);
    let order = class_order(&p);
    let demand: Vec<u32> = p.classes.iter().map(|c| c.pods.len() as u32).collect();

    // 2. Size the pools: the LP with a penalty per unplaced pod larger than
    // any node, so it places whatever it can.
    let max_cost = cluster
        .pools
        .iter()
        .map(|p| p.cost_per_hour)
        .fold(0.0, f64::max);
    let penalty: Vec<f64> = p
        .classes
        .iter()
        .map(|c| (max_cost + 1.0) * 10.0 * (1.0 + f64::from(c.priority.max(0)) / 1e9))
        .collect();
    let lp = |counts: Option<&[u32]>,
              demand: &[u32],
              penalty: Option<&[f64]>,
              until: Instant,
              tight: bool| {
        bound::solve(
            &p,
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
    };
    let sizing = lp(None, &demand, Some(&penalty), deadline, false);
    let counts: Vec<u32> = match &sizing {
        Some(b) => p.rounded_counts(&b.pool_nodes),
        None => vec![0; cluster.pools.len()],
    };
    let debug = std::env::var_os("PODPLAN_DEBUG").is_some();
    if debug {
        if let Some(b) = &sizing {
            eprintln!(
                "{:>8} ms  sizing lp {:.3}, nodes {:?}",
                start.elapsed().as_millis(),
                b.value,
                b.pool_nodes
            );
        }
    }
    let unguided_preference = type_preference(&p, None);
    let constrained = constrained_first(&p, &order);
    let better = |a: &Packing, b: &Packing| a.better_than(b, &p);
    // With exactly `counts` new nodes: the packing guided by the LP's
    // distribution of the classes over these nodes, and a plain
    // first-fit-decreasing one, each completed with added nodes where pods
    // are left over; the better of the two. None when the LP proves these
    // nodes cannot take `must_place` pods (no plan can, then).
    let mut packings = 0;
    let mut attempt = |counts: &[u32], must_place: usize| -> Option<Packing> {
        let dist = lp(Some(counts), &demand, Some(&penalty), hard_deadline, false);
        if let Some(d) = &dist {
            let total: usize = demand.iter().map(|d| *d as usize).sum();
            if (total as f64 - d.unplaced_pods) < must_place as f64 - 1e-6 {
                return None;
            }
        }
        let guide = dist.as_ref().map(|b| Guide {
            bins: &b.bins,
            on_bins: &b.on_bins,
            on_types: &b.on_types,
        });
        let preference = type_preference(&p, dist.as_ref().map(|b| b.on_types.as_slice()));
        if debug {
            eprintln!("{:>8} ms  lp for {counts:?}", start.elapsed().as_millis());
        }
        let guided = pack(
            &p,
            counts,
            &order,
            &preference,
            guide.as_ref(),
            Mode::RoundRobin,
            hard_deadline,
        );
        if debug {
            eprintln!(
                "{:>8} ms  guided packing, {} left",
                start.elapsed().as_millis(),
                guided.leftover.len()
            );
        }
        let guided = repaired(&p, complete(&p, guided, &order, &preference, hard_deadline));
        if debug {
            eprintln!(
                "{:>8} ms  completed, cost {:.3}",
                start.elapsed().as_millis(),
                guided.cost(&p)
            );
        }
        packings += 1;
        // Node by node, from the same guide: better on multi-dimensional
        // pods (memory-heavy, GPU) and where classes may take several pools.
        let guided = match &guide {
            Some(g) if Instant::now() < deadline => {
                let filled = pack(
                    &p,
                    counts,
                    &order,
                    &preference,
                    Some(g),
                    Mode::Fill,
                    hard_deadline,
                );
                if debug {
                    eprintln!(
                        "{:>8} ms  filled packing, {} left",
                        start.elapsed().as_millis(),
                        filled.leftover.len()
                    );
                }
                let filled = repaired(&p, complete(&p, filled, &order, &preference, hard_deadline));
                packings += 1;
                if debug {
                    eprintln!(
                        "{:>8} ms  completed, cost {:.3}",
                        start.elapsed().as_millis(),
                        filled.cost(&p)
                    );
                }
                if better(&filled, &guided) {
                    filled
                } else {
                    guided
                }
            }
            _ => guided,
        };
        // The plain packing is a second opinion for small and odd
        // instances; at scale the guided one is better and time is short.
        if p.pods.len() > PLAIN_PACKING_UP_TO {
            return Some(guided);
        }
        let plain = plain_packing(
            &p,
            counts,
            &constrained,
            &unguided_preference,
            hard_deadline,
        );
        packings += 1;
        let mut best = if better(&plain, &guided) {
            plain
        } else {
            guided
        };
        // Small instances: more orders, shuffled with a fixed seed (the
        // answer is reproducible), each packed plain and completed.
        if p.pods.len() <= SHUFFLED_ORDERS_UP_TO {
            let mut seed = 0x9E37_79B9_7F4A_7C15u64;
            for _ in 0..SHUFFLED_ORDERS {
                if Instant::now() >= deadline {
                    break;
                }
                let mut shuffled = constrained.clone();
                for i in (1..shuffled.len()).rev() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    shuffled.swap(i, (seed % (i as u64 + 1)) as usize);
                }
                let trial =
                    plain_packing(&p, counts, &shuffled, &unguided_preference, hard_deadline);
                packings += 1;
                if better(&trial, &best) {
                    best = trial;
                }
            }
        }
        Some(best)
    };

    let phase = |name: &str| {
        if debug {
            eprintln!("{:>8} ms  {name}", start.elapsed().as_millis());
        }
    };
    phase("sized");
    // Small instances get the baseline first, so that the search cannot
    // crowd it out of the time limit.
    let early_baseline = (p.pods.len() <= PLAIN_PACKING_UP_TO)
        .then(|| {
            let options = PlaceOptions {
                time_limit: seconds_until(deadline),
                repack: false,
            };
            super::simulate::simulate(cluster, &options).ok()
        })
        .flatten();
    // 3. Pack with the LP's node counts; leftovers get added nodes.
    let mut best = match attempt(&counts, 0) {
        Some(packing) => packing,
        None => plain_packing(
            &p,
            &counts,
            &constrained,
            &unguided_preference,
            hard_deadline,
        ),
    };

    phase("packed");
    // 3b. Repack each pool's pods from scratch, node by node (the best
    // aligned pod first): few big multi-dimensional pods (memory-heavy,
    // Windows) pack much tighter so than pod by pod.
    let pools_by_cost = p.pools_by_cost_desc();
    let repack_preference = type_preference(&p, sizing.as_ref().map(|b| b.on_types.as_slice()));
    best = repack_pools(
        &p,
        best,
        &order,
        &repack_preference,
        &pools_by_cost,
        deadline,
        debug,
    );
    phase("repacked");
    // 3c. The bound's own node counts: the MILP with integer node counts
    // and tight capacities, warm-started from the plan, packed (and
    // completed where its mix does not fit) when it differs from the plan.
    if best.leftover.is_empty() && Instant::now() < deadline {
        let warm = Warm {
            pool_nodes: &best.pool_nodes,
            on_existing: &best.on_existing,
            on_types: &best.on_types,
        };
        let query = Query {
            demand: &demand,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: seconds_until(deadline).min(limit * 0.1),
            warm: Some(&warm),
            tight: true,
        };
        if let Some(milp) = bound::solve(&p, &query) {
            let v = p.rounded_counts(&milp.pool_nodes);
            if debug {
                eprintln!("{:>8} ms  milp counts {v:?}", start.elapsed().as_millis());
            }
            if v != best.pool_nodes {
                if let Some(trial) = attempt(&v, 0) {
                    let trial = repack_pools(
                        &p,
                        trial,
                        &order,
                        &repack_preference,
                        &pools_by_cost,
                        deadline,
                        debug,
                    );
                    if debug {
                        eprintln!(
                            "{:>8} ms  milp counts packed: cost {:.3}, {} left",
                            start.elapsed().as_millis(),
                            trial.cost(&p),
                            trial.leftover.len()
                        );
                    }
                    if better(&trial, &best) {
                        best = trial;
                    }
                }
            }
        }
    }
    phase("milp counts");
    // 4. Shrink: one node fewer of a pool, most expensive first, while the
    // plan stays cheaper and places as many pods.
    let mut time_limit_hit = false;
    // Steps start at a twentieth of the pool and halve on failure.
    'shrink: for &pi in &pools_by_cost {
        let mut step = (best.pool_nodes[pi] / 20).max(1);
        while best.pool_nodes[pi] > 0 && step > 0 {
            if Instant::now() >= deadline {
                time_limit_hit = true;
                break 'shrink;
            }
            let mut fewer = best.pool_nodes.clone();
            fewer[pi] -= step.min(best.pool_nodes[pi]);
            match attempt(&fewer, best.placed.len()) {
                Some(trial) if better(&trial, &best) => {
                    best = trial;
                }
                _ => step /= 2,
            }
        }
    }

    phase("shrunk");
    // 4b. Swap: one node of a pool for one of a cheaper pool, while that
    // places as many pods for less.
    let mut improved = true;
    while improved && !time_limit_hit {
        improved = false;
        'swap: for &from in &pools_by_cost {
            for &to in pools_by_cost.iter().rev() {
                let (cost_from, cost_to) = (
                    cluster.pools[from].cost_per_hour,
                    cluster.pools[to].cost_per_hour,
                );
                if best.pool_nodes[from] == 0
                    || cost_to >= cost_from
                    || best.pool_nodes[to] >= p.pool_room[to]
                {
                    continue;
                }
                if Instant::now() >= deadline {
                    time_limit_hit = true;
                    break 'swap;
                }
                let mut swapped = best.pool_nodes.clone();
                swapped[from] -= 1;
                swapped[to] += 1;
                if let Some(trial) = attempt(&swapped, best.placed.len()) {
                    if better(&trial, &best) {
                        best = trial;
                        improved = true;
                        break 'swap;
                    }
                }
            }
        }
    }

    phase("swapped");
    // 4c. Consolidate inside the plan: empty the last nodes of each pool
    // into the room left on the others.
    if Instant::now() < deadline {
        let trial = repaired(
            &p,
            consolidate(&p, best.clone_packing(), &repack_preference, deadline),
        );
        if better(&trial, &best) {
            best = trial;
        }
    }
    phase("consolidated");
    // 4d. Repack each pool's pods from scratch again, after the search.
    if Instant::now() < deadline {
        best = repack_pools(
            &p,
            best,
            &order,
            &repack_preference,
            &pools_by_cost,
            deadline,
            debug,
        );
    } else {
        time_limit_hit = true;
    }
    phase("repacked");
    // 4e. Every node-count vector cheaper than the plan, cheapest first,
    // when there are few: each is refuted by the LP with those counts, or
    // packed. The first that packs is optimal; when all are refuted, the
    // plan is — a proof the LP bound alone cannot give, as it ignores how
    // pods fragment nodes and repel each other.
    // A plan that leaves pods pending is beaten by any placing them all:
    // then every vector, however dear, is a candidate.
    let mut counts_bound: Option<f64> = None;
    if !time_limit_hit {
        let from = match &sizing {
            Some(b) if b.unplaced_pods < 1e-9 => b.value,
            _ => 0.0,
        };
        let below = if best.leftover.is_empty() {
            best.cost(&p)
        } else {
            f64::INFINITY
        };
        if let Some(vectors) = cheaper_counts(&p, from, below, ENUMERATED_COUNTS) {
            // The cheapest vector not refuted so far (none: the plan's).
            let mut bound: Option<f64> = None;
            for v in vectors {
                let v_cost = p.counts_cost(&v);
                if best.leftover.is_empty() && v_cost >= best.cost(&p) - 1e-9 {
                    break;
                }
                if Instant::now() >= deadline {
                    time_limit_hit = true;
                    bound = bound.or(Some(v_cost));
                    break;
                }
                if bound::refutes(&p, &v, &demand, seconds_until(deadline)) {
                    continue;
                }
                // Not refuted: no plan is cheaper than this vector.
                bound = bound.or(Some(v_cost));
                if let Some(trial) = attempt(&v, best.placed.len()) {
                    if trial.leftover.is_empty() && better(&trial, &best) {
                        best = trial;
                    }
                }
            }
            // Every vector was tried: a plan placing all pods costs at least
            // the first one not refuted; with none, no plan places them all
            // (and the bound is moot).
            let bound = match (bound, best.leftover.is_empty()) {
                (Some(b), true) => b.min(best.cost(&p)),
                (None, true) => best.cost(&p),
                (Some(b), false) => b,
                (None, false) => f64::INFINITY,
            };
            if debug {
                eprintln!(
                    "{:>8} ms  counts enumerated: bound {bound:.3}, cost {:.3}",
                    start.elapsed().as_millis(),
                    best.cost(&p)
                );
            }
            counts_bound = Some(bound);
        }
    }
    phase("enumerated");
    // 5. Safety net: kube-scheduler and cluster-autoscaler's plan, when it
    // places more pods or costs less (small instances with odd shapes are
    // where a greedy order can win).
    let baseline = match early_baseline.or_else(|| {
        (Instant::now() < deadline)
            .then(|| {
                let options = PlaceOptions {
                    time_limit: seconds_until(deadline),
                    repack: false,
                };
                super::simulate::simulate(cluster, &options).ok()
            })
            .flatten()
    }) {
        Some(r) => Some(r).filter(|r| {
            r.unplaced.len() < best.leftover.len()
                || (r.unplaced.len() == best.leftover.len() && r.cost < best.cost(&p) - 1e-9)
        }),
        None => None,
    };

    phase("simulated");
    // 6. Only a plan that passes every filter in its final state is
    // reported. Nodes added late (new topology domains) can break spread
    // placed before them: then pack again with all nodes from the start,
    // and as a last resort leave the offending pods pending.
    let stats = |method: String, time_limit_hit: bool| PlanStats {
        solve_millis: start.elapsed().as_millis() as u64,
        pods: p.pods.len(),
        pod_classes: p.classes.len(),
        method,
        time_limit_hit,
        ..PlanStats::default()
    };
    let packing_report = |packing: &Packing, method: &str| {
        let plan = Plan {
            placed: packing.placed.clone(),
            unplaced: unplaced_with_reasons(&p, packing),
            lower_bound: 0.0,
            proven: false,
        };
        plan::report(&packing.snapshot, plan, stats(method.to_string(), false))
    };
    // Candidates: the baseline when it passes the final check, and the
    // packing. The one placing most pods, then cheapest, wins.
    let mut valid: Vec<(PlaceReport, Option<Packing>)> = Vec::new();
    if let Some(r) = baseline {
        if validate_plan(cluster, &r).is_ok() {
            valid.push((r, None));
        }
    }
    // Every packing went through `repaired`: it passes the final check.
    let report = packing_report(&best, &format!("lp-guided packing ({packings} packings)"));
    valid.push((report, Some(best)));
    valid.sort_by(|a, b| {
        a.0.unplaced
            .len()
            .cmp(&b.0.unplaced.len())
            .then(a.0.cost.total_cmp(&b.0.cost))
            .then(b.1.is_some().cmp(&a.1.is_some()))
    });
    let chosen = valid.into_iter().next();
    let Some((mut report, packing)) = chosen else {
        return Err(crate::error::Error::Internal(
            "place found no consistent plan".into(),
        ));
    };

    phase("validated");
    // 7. Prove a bound for the pods placed: the sizing LP's when it placed
    // them all, else the LP for those pods; then the MILP in the time left.
    // Pods placed per class: the packing's own, or by key for the
    // baseline (its report is all there is).
    let mut placed = vec![0u32; p.classes.len()];
    match &packing {
        Some(packing) => {
            for (pod, _) in &packing.placed {
                placed[p.class_of[pod]] += 1;
            }
        }
        None => {
            let class_of: HashMap<String, usize> = p
                .pods
                .iter()
                .filter_map(|pod| Some((cluster.pod(*pod).key(), *p.class_of.get(pod)?)))
                .collect();
            for a in &report.assignments {
                if let Some(c) = class_of.get(&a.pod) {
                    placed[*c] += 1;
                }
            }
        }
    }
    let cost = report.cost;
    let mut lower = match &sizing {
        Some(b) if placed == demand && b.unplaced_pods < 1e-9 => b.value,
        _ => lp(None, &placed, None, hard_deadline, true).map_or(0.0, |b| b.value),
    };
    // The enumeration of node counts bounds every plan placing all pods.
    if let (Some(b), true) = (counts_bound, placed == demand) {
        lower = lower.max(b);
    }
    let mut integral = false;
    if let (Some(packing), true) = (
        &packing,
        cost > lower + 1e-6 && Instant::now() < hard_deadline,
    ) {
        let warm = Warm {
            pool_nodes: &packing.pool_nodes,
            on_existing: &packing.on_existing,
            on_types: &packing.on_types,
        };
        let query = Query {
            demand: &placed,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: seconds_until(hard_deadline),
            warm: Some(&warm),
            tight: true,
        };
        if let Some(milp) = bound::solve(&p, &query) {
            if debug {
                eprintln!(
                    "{:>8} ms  milp {:.3} (integral {}), nodes {:?}",
                    start.elapsed().as_millis(),
                    milp.value,
                    milp.integral,
                    milp.pool_nodes
                );
            }
            integral = milp.integral;
            lower = lower.max(milp.value);
        }
    }
    // Without the MILP's answer, the tight LP when there is time.
    if !integral && cost > lower + 1e-6 && Instant::now() < hard_deadline {
        if let Some(b) = lp(None, &placed, None, hard_deadline, true) {
            lower = lower.max(b.value);
        }
    }
    // The solver's objective carries floating-point error (the bound was
    // shaved by 1e-6 relative for it): within that, the plan meets its bound.
    let lower = if cost <= lower + 2e-6 * (1.0 + cost) {
        cost
    } else {
        lower.min(cost)
    };
    report.lower_bound = lower;
    report.status = if !report.unplaced.is_empty() {
        PlanStatus::Infeasible
    } else if cost <= lower {
        PlanStatus::Optimal
    } else {
        PlanStatus::Feasible
    };
    if packing.is_none() {
        report.stats.method = format!("simulate, better than {packings} packings");
    }
    report.stats.method += if integral {
        "; milp bound"
    } else {
        "; lp bound"
    };
    // 8. Soft preferences, on the plan's nodes ([`preferences`]).
    preferences::improve(
        cluster,
        &mut report,
        start + Duration::from_secs_f64(limit * 0.9),
    );
    report.stats.solve_millis = start.elapsed().as_millis() as u64;
    report.stats.time_limit_hit = time_limit_hit || Instant::now() >= hard_deadline;
    Ok(report)
}

/// [`repack_pool`] on every pool with new nodes, most expensive first,
/// keeping each repacking that is better (once it passes the final check).
fn repack_pools<'c>(
    p: &Problem<'c>,
    mut best: Packing<'c>,
    order: &[usize],
    preference: &[Vec<usize>],
    pools_by_cost: &[usize],
    deadline: Instant,
    debug: bool,
) -> Packing<'c> {
    let better = |a: &Packing, b: &Packing| a.better_than(b, p);
    // The longest trial so far: one that could not end by the deadline
    // is not started (the bound needs the time after it).
    let mut longest = Duration::ZERO;
    for &pi in pools_by_cost {
        if best.pool_nodes[pi] < 2 {
            continue;
        }
        // Pod by pod (best-aligned first), node by node by knapsack, and
        // by the configuration LP's patterns.
        for how in Repack::ALL {
            let began = Instant::now();
            if began + longest >= deadline {
                return best;
            }
            let trial = repack_pool(p, &best, pi, order, preference, deadline, how);
            // Nodes left empty go first; the final check (costly at
            // scale) only for a plan that is better without it, as
            // repairing only takes pods and nodes away.
            let trial = trial.map(|t| trimmed(p, t)).filter(|t| better(t, &best));
            if let Some(trial) = trial {
                let trial = repaired(p, trial);
                if debug {
                    eprintln!(
                        "          repacked {}{}: cost {:.3} ({} left)",
                        p.cluster.pools[pi].name,
                        how.label(),
                        trial.cost(p),
                        trial.leftover.len()
                    );
                }
                if better(&trial, &best) {
                    best = trial;
                }
            }
            longest = longest.max(began.elapsed());
        }
    }
    best
}

/// The scheduler's message for each leftover pod, computed once per class
/// on the final state.
fn unplaced_with_reasons(p: &Problem, packing: &Packing) -> Vec<(PodId, String)> {
    let mut messages: HashMap<usize, String> = HashMap::new();
    let class_of = &p.class_of;
    packing
        .leftover
        .iter()
        .map(|pod| {
            let c = class_of[pod];
            let message = messages
                .entry(c)
                .or_insert_with(|| {
                    let state = PodState::new(&packing.snapshot, *pod);
                    unschedulable_message(&packing.snapshot, &state)
                })
                .clone();
            (*pod, message)
        })
        .collect()
}

/// An unguided round-robin packing of `counts` new nodes in class
/// `order`, completed with added nodes where pods are left over, and
/// repaired.
fn plain_packing<'c>(
    p: &Problem<'c>,
    counts: &[u32],
    order: &[usize],
    preference: &[Vec<usize>],
    deadline: Instant,
) -> Packing<'c> {
    let packing = pack(
        p,
        counts,
        order,
        preference,
        None,
        Mode::RoundRobin,
        deadline,
    );
    repaired(p, complete(p, packing, order, preference, deadline))
}

/// The packing, made to pass every filter in its final state: nodes added
/// late are new topology domains and can break zone spread placed before
/// them, so pods the validator rejects are left pending (and new nodes
/// left empty dropped) until it passes.
fn repaired<'c>(p: &Problem<'c>, mut packing: Packing<'c>) -> Packing<'c> {
    loop {
        packing = trimmed(p, packing);
        let plan = Plan {
            placed: packing.placed.clone(),
            unplaced: packing
                .leftover
                .iter()
                .map(|pod| (*pod, String::new()))
                .collect(),
            lower_bound: 0.0,
            proven: false,
        };
        let report = plan::report(&packing.snapshot, plan, PlanStats::default());
        let Err(problems) = validate_plan(p.cluster, &report) else {
            return packing;
        };
        let keys: std::collections::HashSet<&str> =
            problems.iter().map(|v| v.pod.as_str()).collect();
        let pods: Vec<PodId> = packing
            .placed
            .iter()
            .map(|(pod, _)| *pod)
            .filter(|pod| keys.contains(p.cluster.pod(*pod).key().as_str()))
            .collect();
        if pods.is_empty() {
            return packing;
        }
        packing.drop_pods(p, &pods);
    }
}

/// The packing without the new nodes at the end of each pool that hold
/// none of the problem's pods (paid for nothing), rebuilt on a fresh
/// snapshot when any goes.
fn trimmed<'c>(p: &Problem<'c>, packing: Packing<'c>) -> Packing<'c> {
    let pools = &p.cluster.pools;
    let used: std::collections::HashSet<&str> = packing
        .placed
        .iter()
        .map(|(_, node)| packing.snapshot.node(*node).name.as_str())
        .collect();
    // Names as the pool gives them (after its minCount nodes, when those
    // are planned in).
    let counts: Vec<u32> = pools
        .iter()
        .zip(&packing.pool_nodes)
        .enumerate()
        .map(|(pi, (pool, n))| {
            let mut n = *n;
            while n > 0 {
                let last = pool.new_node(PoolId(pi as u32), n as usize - 1);
                if used.contains(last.name.as_str()) {
                    break;
                }
                n -= 1;
            }
            n
        })
        .collect();
    if counts == packing.pool_nodes {
        return packing;
    }
    let placed: Vec<(PodId, String)> = packing
        .placed
        .iter()
        .map(|(pod, node)| (*pod, packing.snapshot.node(*node).name.clone()))
        .collect();
    let mut fresh = pack(
        p,
        &counts,
        &[],
        &vec![Vec::new(); p.classes.len()],
        None,
        Mode::RoundRobin,
        Instant::now(),
    );
    let ids: HashMap<String, crate::model::NodeId> = fresh
        .snapshot
        .node_ids()
        .map(|id| (fresh.snapshot.node(id).name.clone(), id))
        .collect();
    let class_of = &p.class_of;
    fresh.leftover = packing.leftover;
    for (pod, name) in placed {
        // Every used node is kept; a pod whose node is gone all the same
        // stays pending rather than lost.
        let Some(&node) = ids.get(&name) else {
            fresh.leftover.push(pod);
            continue;
        };
        fresh.snapshot.assign(pod, node);
        fresh.placed.push((pod, node));
        let c = class_of[&pod];
        if let Some(e) = p.existing_index.get(&node) {
            *fresh.on_existing[c].entry(*e).or_insert(0) += 1;
        }
        if let Some(t) = fresh.node_type.get(&node) {
            *fresh.on_types[c].entry(*t).or_insert(0) += 1;
        }
    }
    fresh
}

/// Node-count vectors the enumeration below the plan's cost tries at most.
const ENUMERATED_COUNTS: usize = 64;

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
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut counts = vec![0u32; pools.len()];
    // Depth-first over the usable pools; false when the cap is passed.
    fn walk(
        p: &Problem,
        usable: &[usize],
        k: usize,
        spent: f64,
        (from, below, cap): (f64, f64, usize),
        counts: &mut Vec<u32>,
        out: &mut Vec<Vec<u32>>,
    ) -> bool {
        if k == usable.len() {
            if spent >= from - 1e-9 {
                out.push(counts.clone());
            }
            return out.len() <= cap;
        }
        let pi = usable[k];
        let price = p.cluster.pools[pi].cost_per_hour;
        let mut n = 0u32;
        while n <= p.pool_room[pi] && spent + f64::from(n) * price < below - 1e-9 {
            counts[pi] = n;
            if !walk(
                p,
                usable,
                k + 1,
                spent + f64::from(n) * price,
                (from, below, cap),
                counts,
                out,
            ) {
                return false;
            }
            n += 1;
        }
        counts[pi] = 0;
        true
    }
    if !walk(
        p,
        &usable,
        0,
        0.0,
        (from, below, cap),
        &mut counts,
        &mut out,
    ) {
        return None;
    }
    out.sort_by(|a, b| p.counts_cost(a).total_cmp(&p.counts_cost(b)));
    Some(out)
}

/// Pods up to which packings are also tried in shuffled class orders.
const SHUFFLED_ORDERS_UP_TO: usize = 200;
/// How many shuffled orders.
const SHUFFLED_ORDERS: usize = 24;

/// Pods up to which every packing is also tried plain (first-fit
/// decreasing, most constrained classes first).
const PLAIN_PACKING_UP_TO: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::*;
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
