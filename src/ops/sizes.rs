//! `sizes`: `place` with each candidate VM size of one pool in turn, and
//! with a mix of the two cheapest (the pool plus a second pool), in a
//! table cheapest first. The candidates (resized, priced pools) come from
//! the ingest layer; this runs the plans and reads their reports.

use super::place::place;
use crate::error::Result;
use crate::model::{Cluster, NodePool, PriceOrigin};
use crate::report::place::{PlaceOptions, PlaceReport};
use crate::report::sizes::{SizeRow, SizesReport};

/// Fills `report.rows`: one `place` per candidate of `candidates` (the
/// pool at index `pool` replaced by it), then one with the two cheapest
/// together (the first keeps the pool, `mix` is the second's pool beside
/// it). `time_limit` is shared out evenly.
pub(crate) fn sizes(
    cluster: &Cluster,
    pool: usize,
    candidates: &[NodePool],
    mix: impl Fn(&NodePool) -> NodePool,
    time_limit: f64,
    mut report: SizesReport,
) -> Result<SizesReport> {
    let runs = candidates.len() + usize::from(candidates.len() >= 2);
    let each = PlaceOptions {
        time_limit: (time_limit / runs.max(1) as f64).max(0.05),
        repack: false,
    };
    let mut rows = Vec::with_capacity(runs);
    for candidate in candidates {
        let mut variant = cluster.clone();
        variant.pools[pool] = candidate.clone();
        let plan = place(&variant, &each)?;
        rows.push(row(&plan, &[candidate]));
    }
    sort(&mut rows);
    if let [first, second, ..] = rows.as_slice() {
        let (a, b) = (pick(candidates, first), pick(candidates, second));
        if let (Some(a), Some(b)) = (a, b) {
            let mut variant = cluster.clone();
            variant.pools[pool] = a.clone();
            let extra = mix(b);
            variant.pools.push(extra.clone());
            let plan = place(&variant, &each)?;
            rows.push(row(&plan, &[a, &extra]));
            sort(&mut rows);
        }
    }
    report.rows = rows;
    Ok(report)
}

/// The candidate of a single-size row.
fn pick<'a>(candidates: &'a [NodePool], row: &SizeRow) -> Option<&'a NodePool> {
    match row.sizes.as_slice() {
        [size] => candidates
            .iter()
            .find(|c| c.vm_size.as_deref() == Some(size.as_str())),
        _ => None,
    }
}

/// Cheapest first: fewer pods pending, then cost, then bound, then name.
fn sort(rows: &mut [SizeRow]) {
    rows.sort_by(|a, b| {
        a.unplaced
            .cmp(&b.unplaced)
            .then(a.cost.total_cmp(&b.cost))
            .then(a.lower_bound.total_cmp(&b.lower_bound))
            .then(a.sizes.cmp(&b.sizes))
    });
}

/// `a / b`, 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The row of a plan with candidate pools `pools` (matched by name).
fn row(plan: &PlaceReport, pools: &[&NodePool]) -> SizeRow {
    let mut nodes = 0;
    let mut pool_cost = 0.0;
    let (mut cpu, mut cpu_weight, mut mem, mut mem_weight) = (0.0, 0.0, 0.0, 0.0);
    for p in pools {
        if let Some(u) = plan.pools.get(&p.name) {
            nodes += u.new_nodes;
            pool_cost += u.cost;
            let w = f64::from(u.nodes) * p.allocatable.milli_cpu as f64;
            cpu += u.cpu_utilisation * w;
            cpu_weight += w;
            let w = f64::from(u.nodes) * p.allocatable.memory as f64;
            mem += u.memory_utilisation * w;
            mem_weight += w;
        }
    }
    let estimated = pools.iter().all(|p| p.price_origin == PriceOrigin::File);
    SizeRow {
        sizes: pools
            .iter()
            .map(|p| p.vm_size.clone().unwrap_or_default())
            .collect(),
        prices: pools.iter().map(|p| p.cost_per_hour).collect(),
        price_origin: if estimated { "file" } else { "catalogue" }.into(),
        nodes,
        pool_cost,
        cost: plan.cost,
        lower_bound: plan.lower_bound,
        gap: plan.gap(),
        status: plan.status,
        unplaced: plan.unplaced.len(),
        cpu_utilisation: ratio(cpu, cpu_weight),
        memory_utilisation: ratio(mem, mem_weight),
    }
}
