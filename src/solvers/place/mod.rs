//! `place`: the cheapest set of new nodes and a placement of every pending
//! pod on them, with a proven lower bound on the cost.
//!
//! 1. Aggregate: pod classes, node types, what fits where ([`problem`]).
//! 2. Size the pools with the LP relaxation of the bound model ([`bound`]).
//! 3. Pack with exactly those nodes; grow the pools of leftover classes and
//!    pack again until everything placeable is placed ([`pack`]).
//! 4. Shrink: drop nodes pool by pool (most expensive first) while
//!    everything still packs.
//! 5. Prove: the LP bound for the pods placed, then the MILP with integer
//!    node counts, warm-started from the plan, in the remaining time.

mod bound;
mod pack;
mod problem;

use super::explain::unschedulable_message;
use super::plan::{self, Plan};
use crate::error::Result;
use crate::model::{Cluster, PodId};
use crate::predicates::PodState;
use crate::report::place::{PlaceOptions, PlaceReport, PlanStats, PlanStatus};
use bound::{Query, Warm};
use pack::{class_order, complete, pack, type_preference, Guide, Packing};
use problem::Problem;
use std::collections::HashMap;
use web_time::{Duration, Instant};

/// Plans the pending pods at least cost (see the module docs).
pub fn place(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    let start = Instant::now();
    let limit = options.time_limit.max(0.05);
    // Keep a tenth of the budget for the final bound and the report.
    let deadline = start + Duration::from_secs_f64(limit * 0.7);
    let hard_deadline = start + Duration::from_secs_f64(limit * 0.9);
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
    let lp = |counts: Option<&[u32]>, demand: &[u32], penalty: Option<&[f64]>, until: Instant| {
        bound::solve(
            &p,
            &Query {
                demand,
                penalty,
                integer: false,
                fixed_pool_nodes: counts,
                time_limit: remaining(until),
                warm: None,
            },
        )
    };
    let sizing = lp(None, &demand, Some(&penalty), deadline);
    let mut counts: Vec<u32> = match &sizing {
        Some(b) => b
            .pool_nodes
            .iter()
            .zip(&p.pool_room)
            .map(|(n, room)| ((n - 1e-6).ceil().max(0.0) as u32).min(*room))
            .collect(),
        None => vec![0; cluster.pools.len()],
    };
    let debug = std::env::var_os("PODPLAN_DEBUG").is_some();
    // A packing guided by the LP's distribution of the classes over exactly
    // these nodes; None when the LP says these nodes cannot take the pods
    // the best packing so far placed (no valid plan can, then).
    let mut iterations = 0;
    let mut guided = |counts: &[u32], must_place: usize| -> Option<Packing> {
        let dist = lp(Some(counts), &demand, Some(&penalty), hard_deadline);
        if debug {
            eprintln!(
                "  lp with {counts:?}: unplaced {:?}",
                dist.as_ref().map(|d| d.unplaced_pods)
            );
            if let Some(d) = &dist {
                for t in 0..p.types.len() {
                    let load: f64 = (0..p.classes.len())
                        .map(|c| d.on_types[c].get(&t).copied().unwrap_or(0.0) * p.class_req[c][0])
                        .sum();
                    let pods: f64 = (0..p.classes.len())
                        .map(|c| d.on_types[c].get(&t).copied().unwrap_or(0.0))
                        .sum();
                    if pods > 0.0 {
                        eprintln!(
                            "    type {t} ({}): cpu load {load:.0} pods {pods:.1} free/node {:?}",
                            p.types[t].template.name, p.type_free[t]
                        );
                    }
                }
            }
        }
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
        iterations += 1;
        Some(pack(
            &p,
            counts,
            &order,
            &preference,
            guide.as_ref(),
            hard_deadline,
        ))
    };

    // 3. Pack, and place the leftovers on added nodes.
    let first = match guided(&counts, 0) {
        Some(packing) => packing,
        None => unreachable_packing(&p, &counts, &order, hard_deadline),
    };
    if debug {
        eprintln!("sizing {counts:?}: leftovers {}", first.leftover.len());
    }
    let fallback_preference = type_preference(&p, sizing.as_ref().map(|b| b.on_types.as_slice()));
    let mut best = complete(&p, first, &order, &fallback_preference, hard_deadline);
    counts = best.pool_nodes.clone();
    if debug {
        eprintln!("completed {counts:?}: leftovers {}", best.leftover.len());
    }

    // 4. Shrink: fewer nodes of a pool, most expensive first, as long as
    // the same number of pods is placed.
    let mut pools_by_cost: Vec<usize> = (0..cluster.pools.len()).collect();
    pools_by_cost.sort_by(|a, b| {
        cluster.pools[*b]
            .cost_per_hour
            .total_cmp(&cluster.pools[*a].cost_per_hour)
    });
    let mut time_limit_hit = false;
    'shrink: for &pi in &pools_by_cost {
        while counts[pi] > 0 {
            if Instant::now() >= deadline {
                time_limit_hit = true;
                break 'shrink;
            }
            let mut fewer = counts.clone();
            fewer[pi] -= 1;
            let Some(trial) = guided(&fewer, best.placed.len()) else {
                break;
            };
            let trial = complete(&p, trial, &order, &fallback_preference, hard_deadline);
            if trial.placed.len() >= best.placed.len() && trial.cost(&p) < best.cost(&p) - 1e-9 {
                counts = trial.pool_nodes.clone();
                best = trial;
            } else {
                break;
            }
        }
    }
    if debug {
        eprintln!("shrunk {counts:?}");
    }

    // 5. Prove a bound for the pods placed.
    let placed = best.placed_per_class(&p);
    let cost = best.cost(&p);
    let lp = lp(None, &placed, None, hard_deadline);
    if debug {
        eprintln!(
            "after shrinking: {counts:?}; lp {:?}",
            lp.as_ref().map(|b| (b.value, &b.pool_nodes))
        );
    }
    let mut lower = lp.as_ref().map_or(0.0, |b| b.value);
    let mut integral = false;
    if cost > lower + 1e-6 && Instant::now() < hard_deadline {
        let warm = Warm {
            pool_nodes: &best.pool_nodes,
            on_existing: &best.on_existing,
            on_types: &best.on_types,
        };
        let query = Query {
            demand: &placed,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: remaining(hard_deadline),
            warm: Some(&warm),
        };
        if let Some(milp) = bound::solve(&p, &query) {
            integral = milp.integral;
            lower = lower.max(milp.value);
        }
    }
    // The solver's objective carries floating-point error (the bound was
    // shaved by 1e-6 relative for it): within that, the plan meets its bound.
    let lower = if cost <= lower + 2e-6 * (1.0 + cost) {
        cost
    } else {
        lower
    };
    let status = if !best.leftover.is_empty() {
        PlanStatus::Infeasible
    } else if cost <= lower {
        PlanStatus::Optimal
    } else {
        PlanStatus::Feasible
    };
    if Instant::now() >= hard_deadline {
        time_limit_hit = true;
    }
    let method = format!(
        "lp-sized packing ({iterations} packings){}",
        if integral {
            ", milp bound"
        } else {
            ", lp bound"
        }
    );
    let unplaced = unplaced_with_reasons(&p, &best);
    let stats = PlanStats {
        solve_millis: start.elapsed().as_millis() as u64,
        pods: p.pods.len(),
        pod_classes: p.classes.len(),
        method,
        time_limit_hit,
    };
    let plan = Plan {
        placed: best.placed.clone(),
        unplaced,
        lower_bound: lower,
        proven: status == PlanStatus::Optimal,
    };
    Ok(plan::report(&best.snapshot, plan, stats))
}

/// The scheduler's message for each leftover pod, computed once per class
/// on the final state.
fn unplaced_with_reasons(p: &Problem, packing: &Packing) -> Vec<(PodId, String)> {
    let mut messages: HashMap<usize, String> = HashMap::new();
    let class_of: HashMap<PodId, usize> = class_index(p);
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

/// Class of every pod of the problem.
fn class_index(p: &Problem) -> HashMap<PodId, usize> {
    p.classes
        .iter()
        .enumerate()
        .flat_map(|(c, class)| class.pods.iter().map(move |pod| (*pod, c)))
        .collect()
}

/// A plain packing, for when the LP found no distribution at all.
fn unreachable_packing<'c>(
    p: &Problem<'c>,
    counts: &[u32],
    order: &[usize],
    deadline: Instant,
) -> Packing<'c> {
    let preference = type_preference(p, None);
    pack(p, counts, order, &preference, None, deadline)
}

fn remaining(deadline: Instant) -> f64 {
    deadline
        .saturating_duration_since(Instant::now())
        .as_secs_f64()
        .max(0.01)
}
