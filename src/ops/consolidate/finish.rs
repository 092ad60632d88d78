//! The last step: the plan's status against the lower bound, and the
//! report's stats (see the parent module's docs).

use super::candidates::Scope;
use super::search::{meets_bound, Search};
use super::trial::Trial;
use crate::engine::drainability::Drainability;
use crate::model::{Cluster, PodId};
use crate::report::place::{PlaceReport, PlanStatus};
use std::collections::HashSet;
use web_time::Instant;

/// The pending pods the plan places.
pub(super) fn placed_pending(cluster: &Cluster, plan: &PlaceReport) -> Vec<PodId> {
    let keys: HashSet<&str> = plan.assignments.iter().map(|a| a.pod.as_str()).collect();
    cluster
        .pending_pods()
        .filter(|p| keys.contains(cluster.pod(*p).key().as_str()))
        .collect()
}

/// The repack report of the search's best trial, given the `lower` bound
/// the solver proved (if any) over plans placing its `placed_pending`
/// pods.
pub(super) fn final_report(
    scope: &Scope,
    search: &Search,
    lower: Option<f64>,
    placed_pending: usize,
    start: Instant,
) -> PlaceReport {
    let cluster = scope.cluster;
    let best = &search.best;
    let lower = reported_bound(lower, best.cost);
    let mut report = best.repack_report(cluster, lower, status(best, lower));
    report.stats.method = format!(
        "repack: {} of {} candidate nodes removable (saves {:.3}/h), {} pods moved, {} single-node trials; {}",
        best.removed.len(),
        scope.candidates.len(),
        saved(cluster, best),
        best.moved,
        search.tried,
        report.stats.method
    );
    report.stats.pods =
        placed_pending + best.report.unplaced.len() + movable(cluster, &scope.roles);
    report.stats.solve_millis = start.elapsed().as_millis() as u64;
    report.stats.time_limit_hit = search.time_limit_hit;
    report
}

/// The bound as reported: the cost itself when the cost meets it, never
/// above the cost nor below 0; 0 when none was proven.
fn reported_bound(lower: Option<f64>, cost: f64) -> f64 {
    match lower {
        Some(l) if meets_bound(cost, l) => cost,
        Some(l) => l.min(cost).max(0.0),
        None => 0.0,
    }
}

/// Infeasible when pods stay pending, optimal when the cost meets the
/// bound, else feasible.
fn status(best: &Trial, lower: f64) -> PlanStatus {
    if !best.report.unplaced.is_empty() {
        PlanStatus::Infeasible
    } else if best.cost <= lower {
        PlanStatus::Optimal
    } else {
        PlanStatus::Feasible
    }
}

/// What removing the trial's nodes saves per hour.
fn saved(cluster: &Cluster, best: &Trial) -> f64 {
    best.removed
        .iter()
        .fold(0.0, |sum, n| sum + cluster.node_cost(*n))
}

/// Bound pods that may move.
fn movable(cluster: &Cluster, roles: &[Drainability]) -> usize {
    roles
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            **r == Drainability::Moves && cluster.pods.get(*i).is_some_and(|p| p.is_bound())
        })
        .count()
}
