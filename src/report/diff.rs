//! The `diff` report (`docs/reports.md#diff`: a scenario before and after
//! a change) and its text view.

use super::place::PlanStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Options of `diff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct DiffOptions {
    /// Wall-clock budget in seconds: `place` before and `place` after get
    /// half each; each `headroom` run gets half too.
    pub time_limit: f64,
    /// Also drain this pool before and after (`--drain-pool`).
    pub drain_pool: Option<String>,
    /// The limits both scenarios are read within.
    pub limits: crate::model::Limits,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            time_limit: 5.0,
            drain_pool: None,
            limits: crate::model::Limits::default(),
        }
    }
}

/// What a change does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum ChangeAction {
    /// The base had no object of this kind, namespace and name.
    Added,
    /// The change's object replaces the base's.
    Replaced,
    /// Deleted (`podplan.dev/delete: "true"`, or with what it depends on).
    Deleted,
}

impl ChangeAction {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Added => "added",
            ChangeAction::Replaced => "replaced",
            ChangeAction::Deleted => "deleted",
        }
    }
}

/// One object the change adds, replaces or deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ObjectChange {
    /// `Deployment`, `NodePool`, ...
    pub kind: String,
    /// Its namespace; empty for cluster-scoped kinds.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// What happens to it.
    pub action: ChangeAction,
    /// The change file that says so.
    pub file: String,
    /// For an object deleted with another (a pool's nodes, a workload's
    /// pods): that object, as `Kind ns/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because_of: Option<String>,
}

/// How a pending pod's fate changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PodChangeKind {
    /// Fits no node (existing, or new of any pool) after the change; it
    /// fitted before, or was not pending. The CLI exits 1.
    Unschedulable,
    /// Fits after the change; fitted nothing before.
    Schedulable,
    /// Pending only after the change (a new workload, a deleted node's
    /// pods), and it fits.
    Appeared,
    /// Pending only before the change (its workload deleted or smaller).
    Disappeared,
}

impl PodChangeKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PodChangeKind::Unschedulable => "unschedulable",
            PodChangeKind::Schedulable => "schedulable",
            PodChangeKind::Appeared => "appeared",
            PodChangeKind::Disappeared => "disappeared",
        }
    }
}

/// A pending pod whose fate the change changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PodChange {
    /// `ns/name`.
    pub pod: String,
    /// What changes.
    pub change: PodChangeKind,
    /// kube-scheduler's message before (existing nodes and one new node
    /// per pool, as `explain --with-pools`); `null` when not pending.
    pub before: Option<String>,
    /// The same after the change.
    pub after: Option<String>,
}

/// One side of `place`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PlaceSide {
    /// The plan's status.
    pub status: PlanStatus,
    /// Hourly cost of the new nodes.
    pub cost: f64,
    /// The proven lower bound on `cost`.
    pub lower_bound: f64,
    /// New nodes per pool.
    pub new_nodes: BTreeMap<String, u32>,
    /// Pods the plan leaves pending.
    pub unplaced: usize,
}

/// `place` before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PlaceDiff {
    /// Before the change.
    pub before: PlaceSide,
    /// After it.
    pub after: PlaceSide,
    /// `after.cost - before.cost`, per hour.
    pub cost_delta: f64,
}

/// One side of `headroom`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct HeadroomSide {
    /// More copies that fit (pools growing up to their `maxCount`).
    pub fits: usize,
    /// New nodes they need, per pool.
    pub new_nodes: BTreeMap<String, u32>,
    /// The count stopped at the time limit or a cap: at least this many.
    pub capped: bool,
}

/// `headroom --with-pools` of a workload the change adds or replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct HeadroomDiff {
    /// `Kind ns/name`.
    pub workload: String,
    /// Before the change; `null` when the workload is new.
    pub before: Option<HeadroomSide>,
    /// After it.
    pub after: HeadroomSide,
}

/// One side of the drain of `--drain-pool`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct DrainSide {
    /// The drain can finish.
    pub feasible: bool,
    /// Waves of evictions.
    pub waves: usize,
    /// Evictions over all waves.
    pub evictions: usize,
    /// What blocks it: `ns/name: Reason`, in the drain report's order.
    pub blockers: Vec<String>,
    /// Why the drain could not be planned at all (e.g. the pool is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The drain of a pool before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct DrainDiff {
    /// The drained pool.
    pub pool: String,
    /// Before the change.
    pub before: DrainSide,
    /// After it.
    pub after: DrainSide,
}

/// The `diff` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    /// Some pod fits nowhere after the change that fitted (or was not
    /// pending) before: the CLI exits 1.
    pub newly_unschedulable: bool,
    /// The objects the change adds, replaces or deletes.
    pub changes: Vec<ObjectChange>,
    /// Pending pods whose fate changes: in pod order after the change,
    /// then those pending only before.
    pub pods: Vec<PodChange>,
    /// `place` before and after.
    pub place: PlaceDiff,
    /// Headroom of the workloads the change adds or replaces.
    pub headroom: Vec<HeadroomDiff>,
    /// With `drainPool`: its drain before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<DrainDiff>,
    /// Warnings of reading the scenario after the change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl DiffReport {
    /// A readable before/after: the changed objects, the pods whose fate
    /// changes, place, headroom and drain.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_changes(&mut out);
        self.write_pods(&mut out);
        write_place(&mut out, &self.place);
        self.write_headroom(&mut out);
        if let Some(drain) = &self.drain {
            write_drain(&mut out, drain);
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }

    fn write_changes(&self, out: &mut String) {
        let _ = writeln!(out, "changes ({}):", self.changes.len());
        for c in &self.changes {
            let name = if c.namespace.is_empty() {
                c.name.clone()
            } else {
                format!("{}/{}", c.namespace, c.name)
            };
            let because = c
                .because_of
                .as_ref()
                .map(|b| format!(" (with {b})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:<9} {} {name}{because}", c.action.as_str(), c.kind);
        }
    }

    fn write_pods(&self, out: &mut String) {
        if self.pods.is_empty() {
            let _ = writeln!(out, "pending pods: no change");
            return;
        }
        let _ = writeln!(out, "pending pods ({} changed):", self.pods.len());
        // Replicas with the same fate and messages share one entry.
        let same = |a: &PodChange, b: &PodChange| {
            (a.change, &a.before, &a.after) == (b.change, &b.before, &b.after)
        };
        for group in self.pods.chunk_by(same) {
            let (p, last) = (&group[0], &group[group.len() - 1]);
            let pods = match group.len() {
                1 => p.pod.clone(),
                n => format!("{} … {} ({n} pods)", p.pod, last.pod),
            };
            let _ = writeln!(out, "  {:<13} {pods}", p.change.as_str());
            if let Some(m) = &p.before {
                let _ = writeln!(out, "      before: {m}");
            }
            if let Some(m) = &p.after {
                let _ = writeln!(out, "      after:  {m}");
            }
        }
    }

    fn write_headroom(&self, out: &mut String) {
        for h in &self.headroom {
            let side = |s: &HeadroomSide| {
                let plus = if s.capped { "+" } else { "" };
                format!("{}{plus} more{}", s.fits, new_nodes(&s.new_nodes))
            };
            let before = h.before.as_ref().map_or("(new)".to_string(), side);
            let _ = writeln!(
                out,
                "headroom {}: {before} -> {}",
                h.workload,
                side(&h.after)
            );
        }
    }
}

/// ` on N new nodes (pool: k, ...)`, or nothing.
fn new_nodes(per_pool: &BTreeMap<String, u32>) -> String {
    let total: u32 = per_pool.values().sum();
    if total == 0 {
        return String::new();
    }
    let pools: Vec<String> = per_pool.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    format!(" with {total} new node(s) ({})", pools.join(", "))
}

fn write_place(out: &mut String, place: &PlaceDiff) {
    let side = |s: &PlaceSide| {
        let unplaced = if s.unplaced > 0 {
            format!(", {} pod(s) left pending", s.unplaced)
        } else {
            String::new()
        };
        format!(
            "${:.3}/h ({}, lower bound ${:.3}){}{unplaced}",
            s.cost,
            status(s.status),
            s.lower_bound,
            new_nodes(&s.new_nodes)
        )
    };
    let _ = writeln!(out, "place:");
    let _ = writeln!(out, "  before: {}", side(&place.before));
    let _ = writeln!(out, "  after:  {}", side(&place.after));
    let _ = writeln!(out, "  change: {:+.3} $/h", place.cost_delta);
}

fn status(s: PlanStatus) -> &'static str {
    match s {
        PlanStatus::Optimal => "optimal",
        PlanStatus::Feasible => "feasible",
        PlanStatus::Infeasible => "infeasible",
        PlanStatus::Timeout => "timeout",
    }
}

fn write_drain(out: &mut String, drain: &DrainDiff) {
    let side = |s: &DrainSide| match &s.error {
        Some(e) => format!("cannot plan: {e}"),
        None if s.feasible => format!("drains in {} wave(s), {} eviction(s)", s.waves, s.evictions),
        None => format!("blocked by {}", s.blockers.join(", ")),
    };
    let _ = writeln!(out, "drain pool {}:", drain.pool);
    let _ = writeln!(out, "  before: {}", side(&drain.before));
    let _ = writeln!(out, "  after:  {}", side(&drain.after));
}
