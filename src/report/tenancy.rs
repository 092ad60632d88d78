//! The `tenancy` report (`docs/reports.md#tenancy`): three layouts of the
//! same tenants — shared pools, dedicated pools, dedicated clusters — each
//! planned with `place` from scratch, and the differences between them
//! split into their causes; and its text table.

use super::place::PlanStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Hours in the month of the report's monthly figures.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Options of `tenancy`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct TenancyOptions {
    /// How pods are grouped into tenants: `namespace`, or `label:KEY`
    /// (the value of the pod label KEY).
    pub tenant_by: String,
    /// Only these tenants (empty: every tenant found); the other tenants'
    /// pods are left out of every layout.
    pub tenants: Vec<String>,
    /// Hourly fee of one cluster's control plane (AKS Standard tier 0.10;
    /// 0 for the Free tier).
    pub control_plane_cost: f64,
    /// `shared` is the cluster as it runs: the scenario's nodes (each at
    /// its NodePool's price) and the pods bound to them stay, and only
    /// the pending pods are planned. The dedicated layouts are planned
    /// from scratch either way: today's nodes are neither tainted nor
    /// labelled for a tenant. Not with `tenants`.
    pub keep_existing: bool,
    /// Wall-clock limit for all the `place` runs, in seconds: a third for
    /// `shared`, a third for `dedicated-pools`, a third shared equally by
    /// the clusters of `dedicated-clusters`.
    pub time_limit: f64,
}

impl Default for TenancyOptions {
    fn default() -> Self {
        TenancyOptions {
            tenant_by: "namespace".into(),
            tenants: Vec::new(),
            control_plane_cost: 0.10,
            keep_existing: false,
            time_limit: 10.0,
        }
    }
}

/// A layout's hourly cost split into parts that add up to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct CostParts {
    /// Control-plane fees: clusters × `controlPlaneCost`.
    pub control_planes: f64,
    /// Nodes of the system pools (mode `System`), whole.
    pub system_pools: f64,
    /// On the other nodes, each node's cost × the larger of the CPU and
    /// memory shares of its allocatable that the DaemonSets running on it
    /// request.
    pub daemon_sets: f64,
    /// The rest of the other nodes' cost: what the workload pods use and
    /// what packing leaves idle.
    pub workload_nodes: f64,
}

impl CostParts {
    /// The sum of the parts.
    pub fn total(&self) -> f64 {
        self.control_planes + self.system_pools + self.daemon_sets + self.workload_nodes
    }
}

/// One `place` run of a layout: a whole cluster planned from scratch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct TenancyRun {
    /// The cluster planned: `shared`, `dedicated-pools`, or the tenant's
    /// name in `dedicated-clusters`.
    pub cluster: String,
    /// `place`'s status.
    pub status: PlanStatus,
    /// Hourly cost of the nodes (`place`'s cost, plus the kept nodes'
    /// with `keepExisting`; no control plane).
    pub cost: f64,
    /// `place`'s proven lower bound (plus the kept nodes' cost).
    pub lower_bound: f64,
    /// `cost / lowerBound - 1`, null when the bound is 0 and the cost not.
    pub gap: Option<f64>,
    /// Nodes per pool (pools with none left out).
    pub nodes: BTreeMap<String, u32>,
    /// Pods placed, or kept on their nodes (DaemonSet pods not counted).
    pub pods: usize,
    /// Pods left pending, with the scheduler's reason.
    pub unplaced: Vec<String>,
    /// The plan passed the independent validator (`check::validate_plan`).
    pub validated: bool,
}

/// A tenant's row in a layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct TenantRow {
    /// Tenant name.
    pub tenant: String,
    /// The tenant's pods.
    pub pods: usize,
    /// Nodes only this tenant uses (0 in `shared`).
    pub nodes: u32,
    /// Hourly cost: its own nodes and control plane, plus its share of
    /// what tenants share (see `share`). The rows add up to the layout.
    pub cost: f64,
    /// `cost` × 730.
    pub cost_per_month: f64,
    /// The tenant's share of the shared cost: the mean of its shares of
    /// the tenants' CPU and memory requests.
    pub share: f64,
    /// Requested / allocatable CPU on its own nodes (null without any).
    pub cpu_utilisation: Option<f64>,
    /// Requested / allocatable memory on its own nodes (null without any).
    pub memory_utilisation: Option<f64>,
}

/// One layout: its runs, its cost and parts, its tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// `shared`, `dedicated-pools` or `dedicated-clusters`.
    pub name: String,
    /// Clusters (control planes).
    pub clusters: u32,
    /// Hourly cost: the runs' costs plus the control planes.
    pub cost: f64,
    /// `cost` × 730.
    pub cost_per_month: f64,
    /// The runs' lower bounds plus the control planes.
    pub lower_bound: f64,
    /// `cost / lowerBound - 1`, null when the bound is 0 and the cost not.
    pub gap: Option<f64>,
    /// The cost split into parts (they add up to `cost`).
    pub parts: CostParts,
    /// Nodes per pool over every run.
    pub nodes: BTreeMap<String, u32>,
    /// Pods placed over every run (DaemonSet pods not counted).
    pub pods: usize,
    /// `pods` / nodes.
    pub pods_per_node: f64,
    /// Requested / allocatable CPU over every node (DaemonSets included).
    pub cpu_utilisation: f64,
    /// Requested / allocatable memory over every node.
    pub memory_utilisation: f64,
    /// Per tenant.
    pub tenants: Vec<TenantRow>,
    /// The `place` runs.
    pub runs: Vec<TenancyRun>,
}

/// The difference between two layouts, split into causes that add up to
/// it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The cheaper-expected layout.
    pub from: String,
    /// The other.
    pub to: String,
    /// `to.cost - from.cost`, per hour.
    pub total: f64,
    /// Difference of the control-plane parts.
    pub control_planes: f64,
    /// Difference of the system-pool parts.
    pub system_pools: f64,
    /// Difference of the DaemonSet parts.
    pub daemon_sets: f64,
    /// The rest: `total` minus the three above (the workload nodes' part,
    /// which differs by how densely each layout packs the same pods).
    pub fragmentation: f64,
}

/// The `tenancy` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct TenancyReport {
    /// How tenants were found (`namespace` or `label:KEY`).
    pub tenant_by: String,
    /// The tenants, sorted.
    pub tenants: Vec<String>,
    /// Infrastructure pods (kube-system), in every cluster.
    pub infrastructure_pods: usize,
    /// The control-plane fee used, per cluster and hour.
    pub control_plane_cost: f64,
    /// `shared` is the cluster as it runs (`keepExisting`); absent when
    /// false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_existing: bool,
    /// The layouts: shared, dedicated-pools, dedicated-clusters.
    pub layouts: Vec<Layout>,
    /// shared → dedicated-pools, dedicated-pools → dedicated-clusters,
    /// shared → dedicated-clusters.
    pub differences: Vec<Difference>,
}

/// `gap` as text.
fn gap_text(gap: Option<f64>) -> String {
    gap.map_or("n/a".into(), |g| format!("{:.2}%", g * 100.0))
}

/// A plan status as text.
fn status_text(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Optimal => "optimal",
        PlanStatus::Feasible => "feasible",
        PlanStatus::Infeasible => "infeasible",
        PlanStatus::Timeout => "timeout",
    }
}

/// A share as a percentage, `-` when absent.
fn percent(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

impl TenancyReport {
    /// The tables: layouts, tenants per layout, differences by cause.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} tenants by {} ({}), {} infrastructure pods; control plane {:.3}/h per cluster",
            self.tenants.len(),
            self.tenant_by,
            self.tenants.join(", "),
            self.infrastructure_pods,
            self.control_plane_cost
        );
        if self.keep_existing {
            let _ = writeln!(
                out,
                "shared: the cluster as it runs (its nodes and bound pods kept; pending pods planned)"
            );
        }
        self.write_layouts(&mut out);
        for layout in &self.layouts {
            write_layout_detail(&mut out, layout);
        }
        self.write_differences(&mut out);
        out
    }

    /// One row per layout.
    fn write_layouts(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<19} {:>8} {:>9} {:>10} {:>9} {:>7} {:>5} {:>6} {:>5} {:>5}",
            "LAYOUT",
            "CLUSTERS",
            "COST/H",
            "COST/MONTH",
            "BOUND",
            "GAP",
            "NODES",
            "PODS/N",
            "CPU",
            "MEM"
        );
        for l in &self.layouts {
            let nodes: u32 = l.nodes.values().sum();
            let _ = writeln!(
                out,
                "{:<19} {:>8} {:>9.3} {:>10.0} {:>9.3} {:>7} {:>5} {:>6.1} {:>4.0}% {:>4.0}%",
                l.name,
                l.clusters,
                l.cost,
                l.cost_per_month,
                l.lower_bound,
                gap_text(l.gap),
                nodes,
                l.pods_per_node,
                l.cpu_utilisation * 100.0,
                l.memory_utilisation * 100.0
            );
        }
    }

    /// The differences between layouts by cause.
    fn write_differences(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<40} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "DIFFERENCE (per hour)", "TOTAL", "CONTROL", "SYSTEM", "DAEMONS", "FRAGMENT"
        );
        for d in &self.differences {
            let _ = writeln!(
                out,
                "{:<40} {:>+8.3} {:>+8.3} {:>+8.3} {:>+8.3} {:>+8.3}",
                format!("{} -> {}", d.from, d.to),
                d.total,
                d.control_planes,
                d.system_pools,
                d.daemon_sets,
                d.fragmentation
            );
        }
    }
}

/// A layout's parts, pools, tenants and unplaced pods.
fn write_layout_detail(out: &mut String, l: &Layout) {
    let p = &l.parts;
    let _ = writeln!(
        out,
        "\n{}: {:.3}/h = control planes {:.3} + system pools {:.3} + daemonsets {:.3} + workload nodes {:.3}",
        l.name, l.cost, p.control_planes, p.system_pools, p.daemon_sets, p.workload_nodes
    );
    let pools: Vec<String> = l.nodes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(out, "  nodes: {}", pools.join(", "));
    let _ = writeln!(
        out,
        "  {:<16} {:>5} {:>6} {:>9} {:>11} {:>6} {:>5} {:>5}",
        "TENANT", "PODS", "NODES", "COST/H", "COST/MONTH", "SHARE", "CPU", "MEM"
    );
    for t in &l.tenants {
        let _ = writeln!(
            out,
            "  {:<16} {:>5} {:>6} {:>9.3} {:>11.0} {:>5.0}% {:>5} {:>5}",
            t.tenant,
            t.pods,
            t.nodes,
            t.cost,
            t.cost_per_month,
            t.share * 100.0,
            percent(t.cpu_utilisation),
            percent(t.memory_utilisation)
        );
    }
    for run in &l.runs {
        let _ = writeln!(
            out,
            "  place {}: {} {:.3}/h, lower bound {:.3}/h, gap {}, {} pods{}",
            run.cluster,
            status_text(run.status),
            run.cost,
            run.lower_bound,
            gap_text(run.gap),
            run.pods,
            if run.validated { ", validated" } else { "" }
        );
    }
    for run in &l.runs {
        for u in &run.unplaced {
            let _ = writeln!(out, "  unplaced in {}: {u}", run.cluster);
        }
    }
}
