//! Steps 4 to 6: the search over sets of removed nodes, each evaluated by
//! planning the cluster without them with `place` (see the parent
//! module's docs).

use super::budget::Budget;
use super::candidates::Scope;
use super::trial::Trial;
use crate::check::validate::validate_repack_plan;
use crate::engine::drainability::Drainability;
use crate::engine::lp::seconds_until;
use crate::engine::trace::Trace;
use crate::error::Result;
use crate::model::{Cluster, NodeId, PodId};
use crate::ops::place::place;
use crate::report::place::{PlaceOptions, PlaceReport, PlanStatus};
use std::collections::HashSet;
use web_time::Instant;

/// Relative slack under which a plan's cost meets the bound.
pub(super) const BOUND_TOLERANCE: f64 = 2e-6;

/// Whether `cost` meets the lower bound `lower` (up to solver tolerance).
pub(super) fn meets_bound(cost: f64, lower: f64) -> bool {
    cost <= lower + BOUND_TOLERANCE * (1.0 + cost)
}

/// The plain plan (`place` without `--repack`) of `cluster`, by `until`.
pub(super) fn plain_plan(cluster: &Cluster, until: Instant) -> Result<PlaceReport> {
    let options = PlaceOptions {
        time_limit: seconds_until(until),
        repack: false,
    };
    place(cluster, &options)
}

/// The state of the search: the best trial so far and what the final
/// report needs to know about the way there.
pub(super) struct Search<'a> {
    scope: &'a Scope<'a>,
    /// Hourly cost of every existing node.
    existing_cost: f64,
    /// Pods the plain plan leaves pending: no trial may leave more.
    base_unplaced: usize,
    /// The early bound for plans placing every pending pod: the search
    /// stops once a plan meets it.
    pub(super) early: Option<f64>,
    /// The best trial so far; at first the plain plan, nothing removed.
    pub(super) best: Trial,
    /// Single-node trials run (step 5).
    pub(super) tried: usize,
    /// Whether a phase ran out of time.
    pub(super) time_limit_hit: bool,
}

impl<'a> Search<'a> {
    /// A search starting from the plain plan `base`.
    pub(super) fn new(scope: &'a Scope<'a>, base: PlaceReport) -> Self {
        let cluster = scope.cluster;
        let existing_cost: f64 = (0..cluster.nodes.len())
            .map(|i| cluster.node_cost(NodeId(i as u32)))
            .sum();
        let best = Trial {
            removed: Vec::new(),
            cost: existing_cost + base.cost,
            report: base,
            moved: 0,
        };
        Search {
            scope,
            existing_cost,
            base_unplaced: best.report.unplaced.len(),
            early: None,
            time_limit_hit: best.report.stats.time_limit_hit,
            best,
            tried: 0,
        }
    }

    /// Notes a phase that ended at `deadline`, when it is past.
    pub(super) fn note_deadline(&mut self, deadline: Instant) {
        self.time_limit_hit |= Instant::now() >= deadline;
    }

    /// Step 4: removes the screened nodes for real; on failure the first
    /// half of them, and so on.
    pub(super) fn remove_screened(&mut self, screened: &[NodeId], budget: &Budget) {
        let mut take = screened.len();
        while take > 0 && !budget.search_over() && !self.proven() {
            let until = budget.removal_trial();
            if self.try_improve(&screened[..take], until) {
                break;
            }
            take /= 2;
        }
    }

    /// Step 5: each remaining candidate, one at a time, removed on top of
    /// the best trial; kept when the cost drops.
    pub(super) fn remove_one_more(&mut self, budget: &Budget, trace: &Trace) {
        let scope = self.scope;
        for &c in &scope.candidates {
            if self.best.removed.contains(&c) {
                continue;
            }
            if self.proven() {
                break;
            }
            if budget.search_over() {
                self.time_limit_hit = true;
                break;
            }
            let until = budget.single_trial();
            let mut removed = self.best.removed.clone();
            removed.push(c);
            self.tried += 1;
            if self.try_improve(&removed, until) {
                let cost = self.best.cost;
                trace.say(|| format!("repack: + {}, cost {cost:.3}", scope.cluster.node(c).name));
            }
        }
    }

    /// Step 6: while the plan buys new nodes, each removed node is tried
    /// back in, last first: at equal cost, fewer moved pods win.
    pub(super) fn keep_back(&mut self, budget: &Budget) {
        for i in (0..self.best.removed.len()).rev() {
            if budget.search_over() || i >= self.best.removed.len() {
                break;
            }
            if self.best.report.new_nodes.is_empty() {
                break;
            }
            let mut removed = self.best.removed.clone();
            removed.remove(i);
            let until = budget.single_trial();
            self.try_improve(&removed, until);
        }
    }

    /// Whether the best trial places every pending pod and meets the early
    /// bound: no plan can do better.
    fn proven(&self) -> bool {
        self.best.report.unplaced.is_empty()
            && self.early.is_some_and(|l| meets_bound(self.best.cost, l))
    }

    /// Evaluates removing `removed`; keeps the trial when it beats the
    /// best one and passes the final check. Whether it was kept.
    fn try_improve(&mut self, removed: &[NodeId], until: Instant) -> bool {
        match self.evaluate(removed, until) {
            Some(t) if t.is_better_than(&self.best) && self.is_valid(&t) => {
                self.best = t;
                true
            }
            _ => false,
        }
    }

    /// The trial removing `removed`: the plan of the cluster without them,
    /// their movable pods pending. None when `place` fails, leaves a moved
    /// pod or more pods than the plain plan pending, or a pool falls below
    /// its `minCount`.
    fn evaluate(&self, removed: &[NodeId], until: Instant) -> Option<Trial> {
        let cluster = self.scope.cluster;
        let removed_set: HashSet<NodeId> = removed.iter().copied().collect();
        let moved = self.moved_pods(&removed_set);
        let reduced = cluster.without_nodes(&removed_set, &moved);
        let report = plain_plan(&reduced, until).ok()?;
        if self.leaves_too_many_pending(&report, &moved) {
            return None;
        }
        let kept: f64 =
            self.existing_cost - removed.iter().map(|n| cluster.node_cost(*n)).sum::<f64>();
        let trial = Trial {
            removed: removed.to_vec(),
            cost: kept + report.cost,
            report,
            moved: moved.len(),
        };
        trial.min_counts_hold(cluster).then_some(trial)
    }

    /// The bound pods that move off the `removed` nodes.
    fn moved_pods(&self, removed: &HashSet<NodeId>) -> HashSet<PodId> {
        let cluster = self.scope.cluster;
        cluster
            .bound_pods()
            .filter(|p| {
                cluster.pod(*p).node.is_some_and(|n| removed.contains(&n))
                    && self.scope.roles[p.index()] == Drainability::Moves
            })
            .collect()
    }

    /// Whether `report` leaves a moved pod pending, or more pods than the
    /// plain plan: a consolidation keeps running pods running.
    fn leaves_too_many_pending(&self, report: &PlaceReport, moved: &HashSet<PodId>) -> bool {
        let moved_keys: HashSet<String> = moved
            .iter()
            .map(|p| self.scope.cluster.pod(*p).key())
            .collect();
        report.unplaced.iter().any(|u| moved_keys.contains(&u.pod))
            || report.unplaced.len() > self.base_unplaced
    }

    /// Whether a trial passes the final check, as a repack report.
    fn is_valid(&self, t: &Trial) -> bool {
        let report = t.repack_report(self.scope.cluster, t.cost, PlanStatus::Feasible);
        validate_repack_plan(self.scope.cluster, &report).is_ok()
    }
}
