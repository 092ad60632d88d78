//! A layout's accounts from its `place` plans: cost parts, nodes per
//! pool, utilisation, and per-tenant rows that add up to the layout.

use super::layouts::{is_node_bound, is_system, PlannedCluster, Tenancy};
use crate::error::{Error, Result};
use crate::model::{Cluster, PoolId, Resources};
use crate::predicates::state::daemon_should_run;
use crate::report::place::PlaceReport;
use crate::report::tenancy::{CostParts, Layout, TenancyRun, TenantRow, HOURS_PER_MONTH};
use std::collections::BTreeMap;

/// A planned cluster and its plan.
pub(crate) struct Planned {
    /// The cluster.
    pub planned: PlannedCluster,
    /// `place`'s plan for it.
    pub report: PlaceReport,
}

/// Requested and allocatable CPU and memory over some nodes.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    cpu: f64,
    cpu_allocatable: f64,
    memory: f64,
    memory_allocatable: f64,
}

impl Usage {
    fn add(&mut self, nodes: u32, allocatable: &Resources, cpu: f64, memory: f64) {
        let n = f64::from(nodes);
        let (c, m) = (allocatable.milli_cpu as f64, allocatable.memory as f64);
        self.cpu += cpu * c * n;
        self.cpu_allocatable += c * n;
        self.memory += memory * m * n;
        self.memory_allocatable += m * n;
    }

    fn cpu(&self) -> Option<f64> {
        (self.cpu_allocatable > 0.0).then(|| self.cpu / self.cpu_allocatable)
    }

    fn memory(&self) -> Option<f64> {
        (self.memory_allocatable > 0.0).then(|| self.memory / self.memory_allocatable)
    }
}

/// What a layout's runs add up to, before the tenant rows.
#[derive(Default)]
struct Totals {
    parts: CostParts,
    nodes: BTreeMap<String, u32>,
    usage: Usage,
    own_cost: BTreeMap<String, f64>,
    own_nodes: BTreeMap<String, u32>,
    own_usage: BTreeMap<String, Usage>,
}

/// The share of a node of `pool` that the DaemonSets running on it
/// request: the larger of the CPU and memory shares, at most 1.
pub(crate) fn daemon_share(cluster: &Cluster, pool: PoolId) -> f64 {
    let node = cluster.pools[pool.index()].new_node(pool, 0);
    let mut requests = Resources::default();
    for ds in cluster
        .daemon_sets
        .iter()
        .filter(|d| daemon_should_run(d, &node))
    {
        requests.add(&ds.spec.requests);
    }
    let share = |r: i64, a: i64| if a > 0 { r as f64 / a as f64 } else { 0.0 };
    let cpu = share(requests.milli_cpu, node.allocatable.milli_cpu);
    let memory = share(requests.memory, node.allocatable.memory);
    cpu.max(memory).min(1.0)
}

/// The hourly cost of the nodes a run's cluster has before planning
/// (`--keep-existing`: today's nodes; none from scratch), which its plan
/// keeps and does not count.
fn kept_cost(run: &Planned) -> f64 {
    let cluster = &run.planned.cluster;
    cluster
        .nodes
        .iter()
        .filter_map(|n| n.pool)
        .map(|pool| cluster.pools[pool.index()].cost_per_hour)
        .sum()
}

/// The pods a run's cluster has bound before planning, DaemonSet and
/// static pods aside (`--keep-existing`; none from scratch).
fn kept_pods(run: &Planned) -> usize {
    let cluster = &run.planned.cluster;
    cluster
        .pods
        .iter()
        .filter(|p| p.node.is_some() && !is_node_bound(p))
        .count()
}

/// Adds one run's nodes to `totals`; errors when the pools' node costs do
/// not add up to the plan's cost and the kept nodes'.
fn add_run(totals: &mut Totals, run: &Planned) -> Result<()> {
    let cluster = &run.planned.cluster;
    let mut cost = 0.0;
    for (i, pool) in cluster.pools.iter().enumerate() {
        let Some(usage) = run.report.pools.get(&pool.name) else {
            continue;
        };
        if usage.nodes == 0 {
            continue;
        }
        let pool_cost = f64::from(usage.nodes) * pool.cost_per_hour;
        cost += pool_cost;
        if is_system(pool) {
            totals.parts.system_pools += pool_cost;
        } else {
            let share = daemon_share(cluster, PoolId(i as u32));
            totals.parts.daemon_sets += pool_cost * share;
            totals.parts.workload_nodes += pool_cost * (1.0 - share);
        }
        *totals.nodes.entry(pool.name.clone()).or_default() += usage.nodes;
        let (c, m) = (usage.cpu_utilisation, usage.memory_utilisation);
        totals.usage.add(usage.nodes, &pool.allocatable, c, m);
        if let Some(owner) = &run.planned.owner[i] {
            *totals.own_cost.entry(owner.clone()).or_default() += pool_cost;
            *totals.own_nodes.entry(owner.clone()).or_default() += usage.nodes;
            let own = totals.own_usage.entry(owner.clone()).or_default();
            own.add(usage.nodes, &pool.allocatable, c, m);
        }
    }
    let expected = run.report.cost + kept_cost(run);
    if (cost - expected).abs() > 1e-6 * cost.max(1.0) {
        return Err(Error::Internal(format!(
            "tenancy: the nodes of {} cost {cost}/h, the plan and the kept nodes say {expected}/h",
            run.planned.name
        )));
    }
    Ok(())
}

/// `cost / bound - 1` as `PlaceReport::gap`, `None` when infinite.
fn gap(cost: f64, bound: f64) -> Option<f64> {
    if cost <= bound + 1e-9 {
        Some(0.0)
    } else if bound <= 0.0 {
        None
    } else {
        Some(cost / bound - 1.0)
    }
}

/// One run as the report shows it: its cost and bound with the kept
/// nodes' (`--keep-existing`), its pods with the kept ones.
fn run_of(run: &Planned) -> TenancyRun {
    let r = &run.report;
    let kept = kept_cost(run);
    TenancyRun {
        cluster: run.planned.name.clone(),
        status: r.status,
        cost: r.cost + kept,
        lower_bound: r.lower_bound + kept,
        gap: gap(r.cost + kept, r.lower_bound + kept),
        nodes: r
            .pools
            .iter()
            .filter(|(_, p)| p.nodes > 0)
            .map(|(k, p)| (k.clone(), p.nodes))
            .collect(),
        pods: r.assignments.len() + kept_pods(run),
        unplaced: r
            .unplaced
            .iter()
            .map(|u| format!("{}: {}", u.pod, u.message))
            .collect(),
        validated: true,
    }
}

/// The layout `name` from its validated runs: `clusters` control planes
/// at `fee` each.
pub(crate) fn layout_of(
    name: &str,
    runs: &[Planned],
    clusters: u32,
    fee: f64,
    t: &Tenancy,
) -> Result<Layout> {
    let mut totals = Totals::default();
    for run in runs {
        add_run(&mut totals, run)?;
        if let Some(tenant) = &run.planned.tenant {
            *totals.own_cost.entry(tenant.clone()).or_default() += fee;
        }
    }
    totals.parts.control_planes = f64::from(clusters) * fee;
    let cost = totals.parts.total();
    // Kept nodes are a fixed cost under every plan: the bound includes it.
    let bound = runs
        .iter()
        .map(|r| r.report.lower_bound + kept_cost(r))
        .sum::<f64>()
        + totals.parts.control_planes;
    let pods: usize = runs
        .iter()
        .map(|r| r.report.assignments.len() + kept_pods(r))
        .sum();
    let node_count: u32 = totals.nodes.values().sum();
    Ok(Layout {
        name: name.into(),
        clusters,
        cost,
        cost_per_month: cost * HOURS_PER_MONTH,
        lower_bound: bound,
        gap: gap(cost, bound),
        parts: totals.parts,
        pods,
        pods_per_node: if node_count > 0 {
            pods as f64 / f64::from(node_count)
        } else {
            0.0
        },
        cpu_utilisation: totals.usage.cpu().unwrap_or(0.0),
        memory_utilisation: totals.usage.memory().unwrap_or(0.0),
        tenants: tenant_rows(&totals, cost, t),
        nodes: totals.nodes,
        runs: runs.iter().map(run_of).collect(),
    })
}

/// Each tenant's share of what tenants share: the mean of its shares of
/// the tenants' CPU and memory requests (of one dimension when the other
/// is requested by none, of the pods when neither is).
pub(crate) fn shares(t: &Tenancy) -> BTreeMap<String, f64> {
    let mut requested: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for (pod, tenant) in t.base.pods.iter().zip(&t.tenant_of) {
        if let Some(tenant) = tenant {
            let r = requested.entry(tenant.as_str()).or_default();
            r.0 += pod.spec.requests.milli_cpu as f64;
            r.1 += pod.spec.requests.memory as f64;
            r.2 += 1.0;
        }
    }
    let sum = requested
        .values()
        .fold((0.0, 0.0, 0.0), |a, r| (a.0 + r.0, a.1 + r.1, a.2 + r.2));
    let frac = |x: f64, total: f64| (total > 0.0).then(|| x / total);
    requested
        .into_iter()
        .map(|(tenant, r)| {
            let share = match (frac(r.0, sum.0), frac(r.1, sum.1)) {
                (Some(c), Some(m)) => (c + m) / 2.0,
                (Some(s), None) | (None, Some(s)) => s,
                (None, None) => r.2 / sum.2,
            };
            (tenant.to_string(), share)
        })
        .collect()
}

/// One row per tenant: its own cost plus its share of the rest, so that
/// the rows add up to `cost`.
fn tenant_rows(totals: &Totals, cost: f64, t: &Tenancy) -> Vec<TenantRow> {
    let shares = shares(t);
    let shared = cost - totals.own_cost.values().sum::<f64>();
    t.tenants
        .iter()
        .map(|tenant| {
            let share = shares.get(tenant).copied().unwrap_or(0.0);
            let own = totals.own_cost.get(tenant).copied().unwrap_or(0.0);
            let usage = totals.own_usage.get(tenant).copied().unwrap_or_default();
            let tenant_cost = own + share * shared;
            TenantRow {
                tenant: tenant.clone(),
                pods: t
                    .tenant_of
                    .iter()
                    .flatten()
                    .filter(|o| *o == tenant)
                    .count(),
                nodes: totals.own_nodes.get(tenant).copied().unwrap_or(0),
                cost: tenant_cost,
                cost_per_month: tenant_cost * HOURS_PER_MONTH,
                share,
                cpu_utilisation: usage.cpu(),
                memory_utilisation: usage.memory(),
            }
        })
        .collect()
}
