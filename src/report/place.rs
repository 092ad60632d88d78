//! The `place` / `simulate` report (`docs/reports.md#place`,
//! `docs/reports.md#simulate`) and its text table.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Options of `place` and `simulate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct PlaceOptions {
    /// Wall-clock limit for the whole solve, in seconds.
    pub time_limit: f64,
    /// Let bound pods move too (consolidation).
    pub repack: bool,
}

impl Default for PlaceOptions {
    fn default() -> Self {
        PlaceOptions {
            time_limit: 10.0,
            repack: false,
        }
    }
}

/// How good a plan is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum PlanStatus {
    /// Every placeable pod is placed and `cost == lowerBound`.
    Optimal,
    /// A valid plan whose optimality is not proven (gap, or time limit hit).
    Feasible,
    /// Proven: some pod fits no node of the cluster and no new node of any
    /// pool (see `unplaced`, with kube-scheduler's message). The plan places
    /// the others.
    Infeasible,
    /// The time limit ended before a first plan placing every placeable pod
    /// was complete: `message` says so; the plan is what was done (valid,
    /// but `unplaced` lists pods that may well fit). Not a proof of anything.
    Timeout,
}

/// One pod's destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct Assignment {
    /// `ns/name`.
    pub pod: String,
    /// Node name (existing, or `<pool>-new-<k>`).
    pub node: String,
}

/// A pod the plan leaves pending, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct Unplaced {
    /// `ns/name`.
    pub pod: String,
    /// Why (the scheduler's summary over all candidate nodes).
    pub message: String,
}

/// Utilisation of one pool in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PoolUsage {
    /// Nodes of the pool in the plan (existing and new).
    pub nodes: u32,
    /// New nodes.
    pub new_nodes: u32,
    /// Hourly cost of the new nodes.
    pub cost: f64,
    /// Requested / allocatable CPU over the pool's nodes, 0..1.
    pub cpu_utilisation: f64,
    /// Requested / allocatable memory over the pool's nodes, 0..1.
    pub memory_utilisation: f64,
    /// The pool's price is an estimate (built-in price catalogue or a
    /// `--prices` file), not its `costPerHour`; absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub price_estimated: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Solver statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PlanStats {
    /// Wall-clock time of the solve, parsing excluded.
    pub solve_millis: u64,
    /// Pending pods considered (with `--repack`, bound pods too).
    pub pods: usize,
    /// Pod equivalence classes.
    pub pod_classes: usize,
    /// Which method produced the plan.
    pub method: String,
    /// Whether the time limit cut the search short.
    pub time_limit_hit: bool,
    /// The plan's soft-preference violations: over the placed pending
    /// pods, the weights of their unmet preferred node and pod
    /// (anti-)affinity terms plus their untolerated `PreferNoSchedule`
    /// taints (`place`'s third objective).
    #[serde(default)]
    pub soft_violations: u64,
    /// The step that the time limit stopped, when it did (`timeLimitHit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_phase: Option<String>,
    /// What proves `lowerBound` (e.g. `milp`, `lp`, `enumeration`,
    /// `configuration-lp`); empty when nothing is proven.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bound_source: String,
}

/// The `place` / `simulate` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PlaceReport {
    /// optimal | feasible | infeasible.
    pub status: PlanStatus,
    /// Hourly cost of the added nodes (with `--repack`: of all nodes kept).
    pub cost: f64,
    /// A proven lower bound on `cost` over all valid plans that place the
    /// same pods.
    pub lower_bound: f64,
    /// New nodes per pool.
    pub new_nodes: BTreeMap<String, u32>,
    /// Where each placed pod goes, in pod order.
    pub assignments: Vec<Assignment>,
    /// Pods left pending.
    pub unplaced: Vec<Unplaced>,
    /// With `--repack`: existing nodes left empty, which could be removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removable_nodes: Vec<String>,
    /// Per pool: nodes, new nodes, cost, utilisation.
    pub pools: BTreeMap<String, PoolUsage>,
    /// Statistics.
    pub stats: PlanStats,
    /// What the status means here, when it needs saying (status `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl PlaceReport {
    /// `cost / lowerBound - 1` (0 when both are 0).
    pub fn gap(&self) -> f64 {
        if self.cost <= self.lower_bound + 1e-9 {
            0.0
        } else if self.lower_bound <= 0.0 {
            f64::INFINITY
        } else {
            self.cost / self.lower_bound - 1.0
        }
    }

    /// A readable summary: status, cost, bound and gap, new nodes and
    /// utilisation per pool, unplaced pods.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_summary(&mut out);
        self.write_pools(&mut out);
        if !self.assignments.is_empty() && self.assignments.len() <= 40 {
            let _ = writeln!(out, "\nassignments:");
            for a in &self.assignments {
                let _ = writeln!(out, "  {:<40} -> {}", a.pod, a.node);
            }
        }
        if !self.removable_nodes.is_empty() {
            let _ = writeln!(
                out,
                "\nremovable nodes: {}",
                self.removable_nodes.join(", ")
            );
        }
        if !self.unplaced.is_empty() {
            let _ = writeln!(out, "\nunplaced:");
            for u in &self.unplaced {
                let _ = writeln!(out, "  {}  {}", u.pod, u.message);
            }
        }
        out
    }

    /// Status, cost, bound and gap; then pod counts, time and method; the
    /// status message when there is one.
    fn write_summary(&self, out: &mut String) {
        if let Some(message) = &self.message {
            let _ = writeln!(out, "{message}");
        }
        let status = match self.status {
            PlanStatus::Optimal => "optimal",
            PlanStatus::Feasible => "feasible",
            PlanStatus::Infeasible => "infeasible",
            PlanStatus::Timeout => "timeout",
        };
        let _ = writeln!(
            out,
            "status {status}   cost {:.3}/h   lower bound {:.3}/h   gap {}",
            self.cost,
            self.lower_bound,
            if self.gap().is_finite() {
                format!("{:.2}%", self.gap() * 100.0)
            } else {
                "n/a".into()
            }
        );
        let _ = writeln!(
            out,
            "{} pods placed, {} unplaced, {} ms ({}){}",
            self.assignments.len(),
            self.unplaced.len(),
            self.stats.solve_millis,
            self.stats.method,
            if self.stats.soft_violations > 0 {
                format!(
                    ", soft-preference violations {}",
                    self.stats.soft_violations
                )
            } else {
                String::new()
            }
        );
    }

    /// The per-pool table: nodes, new nodes, cost, utilisation.
    fn write_pools(&self, out: &mut String) {
        if self.pools.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n{:<16} {:>6} {:>6} {:>10} {:>6} {:>6}",
            "POOL", "NODES", "NEW", "COST/H", "CPU", "MEM"
        );
        for (name, p) in &self.pools {
            let _ = writeln!(
                out,
                "{:<16} {:>6} {:>6} {:>10.3}{} {:>5.0}% {:>5.0}%",
                name,
                p.nodes,
                p.new_nodes,
                p.cost,
                if p.price_estimated { "*" } else { "" },
                p.cpu_utilisation * 100.0,
                p.memory_utilisation * 100.0
            );
        }
        if self.pools.values().any(|p| p.price_estimated) {
            let _ = writeln!(
                out,
                "* estimated price (built-in price catalogue or --prices), not costPerHour"
            );
        }
    }
}
