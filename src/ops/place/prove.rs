//! Steps 13 and 14 of `place`: prove a lower bound for the chosen plan
//! and finish it. The bound is the sizing LP's when it placed the same
//! pods, else the LP for the pods placed; then the bound MILP with
//! integer node counts, warm-started from the plan, in the time left
//! (or the tight LP); and the enumeration's bound when it ran
//! ([`bound`]). Finishing improves soft preferences on the plan's nodes
//! ([`preferences`]).

use super::bound::{self, Query, Warm};
use super::bound_round::round_up_to_achievable;
use super::choose::Chosen;
use super::config_bound::EarlyBound;
use super::config_lagrange::subgradient_bound;
use super::config_lp::config_lp_bound;
use super::preferences;
use super::problem::Problem;
use super::search::{relaxation, Search};
use crate::engine::lp::seconds_until;
use crate::report::place::{PlaceReport, PlanStatus};
use std::collections::HashMap;
use web_time::Instant;

/// A bound, whether the MILP proved it with integer node counts, and
/// what proved it (`stats.boundSource`).
struct Proof {
    lower: f64,
    integral: bool,
    source: String,
}

impl Proof {
    /// Takes `value` as the bound, proven by `source`, when it is higher.
    fn raise(&mut self, value: f64, source: &str) {
        if value > self.lower + 1e-9 || self.source.is_empty() {
            self.lower = self.lower.max(value);
            self.source = source.to_string();
        }
    }
}

/// The cost of the nodes planned in for the pools' minCount
/// (`Cluster::with_min_counts`): the first new nodes of each pool.
fn forced_cost(p: &Problem) -> f64 {
    p.cluster
        .pools
        .iter()
        .map(|pool| pool.first_new_index as f64 * pool.cost_per_hour)
        .sum()
}

impl Search<'_, '_> {
    /// Step 13, prove: the chosen plan's lower bound and status
    /// (optimal when the plan meets its bound), and how it was found in
    /// `stats.method`.
    /// `early` is the configuration LP's bound on plans placing every pod
    /// when the search found one.
    pub fn prove(&self, chosen: Chosen, early: Option<EarlyBound>) -> PlaceReport {
        let placed = self.placed_per_class(&chosen);
        let mut report = chosen.report;
        let cost = report.cost;
        // The pools' minCount nodes are in the plan's cost, not in the
        // bound (`place` adds their cost to it).
        let own = cost - forced_cost(self.setup.p);
        let proof = self.lower_bound(&placed, own, chosen.packed, early);
        // The solver's objective carries floating-point error (the bound
        // was shaved by 1e-6 relative for it): within that, the plan meets
        // its bound.
        let lower = if own <= proof.lower + 2e-6 * (1.0 + own) {
            own
        } else {
            proof.lower.min(own)
        };
        report.stats.bound_source = proof.source;
        report.lower_bound = lower;
        report.status = if !report.unplaced.is_empty() {
            PlanStatus::Infeasible
        } else if cost <= lower {
            PlanStatus::Optimal
        } else {
            PlanStatus::Feasible
        };
        if !chosen.packed {
            report.stats.method = format!("simulate, better than {} packings", self.packings);
        }
        report.stats.method += if proof.integral {
            "; milp bound"
        } else {
            "; lp bound"
        };
        report
    }

    /// Pods the chosen plan places per class: the packing's own, or by
    /// key for the baseline (its report is all there is).
    fn placed_per_class(&self, chosen: &Chosen) -> Vec<u32> {
        let p = self.setup.p;
        let mut placed = vec![0u32; p.classes.len()];
        if chosen.packed {
            for (pod, _) in &self.best.placed {
                placed[p.class_of[pod]] += 1;
            }
            return placed;
        }
        let class_of: HashMap<String, usize> = p
            .pods
            .iter()
            .filter_map(|pod| Some((p.cluster.pod(*pod).key(), *p.class_of.get(pod)?)))
            .collect();
        for a in &chosen.report.assignments {
            if let Some(c) = class_of.get(&a.pod) {
                placed[*c] += 1;
            }
        }
        placed
    }

    /// The best bound on plans placing `placed` pods per class, for a plan
    /// of `cost` (the search's packing when `packed`): the LP's, the
    /// enumeration's, then — while the plan does not meet it and there is
    /// time — the MILP's, else the tight LP's.
    fn lower_bound(
        &self,
        placed: &[u32],
        cost: f64,
        packed: bool,
        early: Option<EarlyBound>,
    ) -> Proof {
        let setup = &self.setup;
        let (p, hard) = (setup.p, setup.budget.hard);
        let all_placed = placed == setup.demand.as_slice();
        let mut proof = Proof {
            lower: 0.0,
            integral: false,
            source: String::new(),
        };
        match &setup.sizing {
            Some(b) if all_placed && b.unplaced_pods < 1e-9 => proof.raise(b.value, "lp"),
            _ => {
                let b = relaxation(p, None, placed, None, hard, true);
                proof.raise(b.map_or(0.0, |b| b.value), "lp");
            }
        }
        // The enumeration of node counts bounds every plan placing all pods.
        if let (Some(b), true) = (self.enumerated_bound, all_placed) {
            proof.raise(b, "enumeration");
        }
        let open = |lower: f64| cost > lower + 1e-6 && Instant::now() < hard;
        let early = early.filter(|_| all_placed);
        if let Some(b) = early {
            proof.raise(b.value, b.source);
        }
        if open(proof.lower) && early.is_none() {
            self.raise_by_configurations(&mut proof, placed, cost);
        }
        if packed && open(proof.lower) {
            if let Some(milp) = self.milp_bound(placed) {
                proof.integral = milp.integral;
                proof.raise(
                    milp.value,
                    if milp.integral {
                        "milp"
                    } else {
                        "milp-interrupted"
                    },
                );
            }
        }
        // Without the MILP's answer, the tight LP when there is time.
        if !proof.integral && open(proof.lower) {
            if let Some(b) = relaxation(p, None, placed, None, hard, true) {
                proof.raise(b.value, "lp");
            }
        }
        // No plan costs strictly between the bound and the next sum of
        // whole nodes' prices.
        let rounded = round_up_to_achievable(p, proof.lower, cost);
        if rounded > proof.lower + 1e-9 {
            proof.lower = rounded;
            proof.source += "+achievable-cost";
        }
        proof
    }

    /// The configuration LP's bound for `placed` pods per class and a plan
    /// of `cost`: by column generation in a third of the time left before
    /// the hard deadline; when that does not converge, by subgradient
    /// ascent on its Lagrangian in half of what is left then.
    fn raise_by_configurations(&self, proof: &mut Proof, placed: &[u32], cost: f64) {
        let (p, hard, trace) = (self.setup.p, self.setup.budget.hard, self.setup.trace);
        let share =
            |part: u32| Instant::now() + hard.saturating_duration_since(Instant::now()) / part;
        let generated = config_lp_bound(p, placed, cost, share(3));
        if let Some(b) = &generated {
            trace.say(|| {
                format!(
                    "configuration lp {:.3} (converged {}, master {:.3}, {} columns, {} rounds, {} inexact pricings)",
                    b.value, b.converged, b.master, b.columns, b.rounds, b.inexact
                )
            });
            proof.raise(b.value, "configuration-lp");
        }
        if generated.is_some_and(|b| b.converged) || cost <= proof.lower + 1e-6 {
            return;
        }
        if let Some(value) = subgradient_bound(p, placed, cost, share(2)) {
            trace.say(|| format!("configuration lagrangian {value:.3}"));
            proof.raise(value, "configuration-lagrangian");
        }
    }

    /// The bound MILP for `placed` pods per class, with tight capacities,
    /// warm-started from the search's plan, until the hard deadline.
    fn milp_bound(&self, placed: &[u32]) -> Option<bound::Bound> {
        let best = &self.best;
        let warm = Warm {
            pool_nodes: &best.pool_nodes,
            on_existing: &best.on_existing,
            on_types: &best.on_types,
        };
        let query = Query {
            demand: placed,
            penalty: None,
            integer: true,
            fixed_pool_nodes: None,
            time_limit: seconds_until(self.setup.budget.hard),
            warm: Some(&warm),
            tight: true,
        };
        let milp = bound::solve(self.setup.p, &query)?;
        self.setup.trace.say(|| {
            format!(
                "milp {:.3} (integral {}), nodes {:?}",
                milp.value, milp.integral, milp.pool_nodes
            )
        });
        Some(milp)
    }

    /// Step 14, finish: soft preferences, on the plan's nodes, until their
    /// deadline; then the solve's time, and whether a deadline cut it.
    pub fn finish(&self, mut report: PlaceReport) -> PlaceReport {
        let budget = &self.setup.budget;
        preferences::improve(self.setup.p.cluster, &mut report, budget.preferences);
        report.stats.solve_millis = budget.start.elapsed().as_millis() as u64;
        report.stats.time_limit_hit = self.time_limit_hit || Instant::now() >= budget.hard;
        report
    }
}
