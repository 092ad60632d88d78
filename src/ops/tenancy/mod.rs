//! `tenancy`: the price of isolation. The scenario's pods grouped into
//! tenants, planned from scratch with `place` in three layouts —
//! `shared`, `dedicated-pools`, `dedicated-clusters` ([`layouts`]) —
//! each plan replayed by the validator, each layout's cost split into
//! parts ([`account`]), and the differences between layouts into causes.

mod account;
mod layouts;

use crate::check::validate_plan;
use crate::error::{Error, Result};
use crate::model::Cluster;
use crate::ops::place::place;
use crate::report::place::PlaceOptions;
use crate::report::tenancy::{Difference, Layout, TenancyOptions, TenancyReport};
use account::{layout_of, Planned};
use layouts::{PlannedCluster, TenantBy};

/// The three layouts and their differences (docs/reports.md#tenancy).
pub(crate) fn tenancy(cluster: &Cluster, options: &TenancyOptions) -> Result<TenancyReport> {
    check_options(options)?;
    let by = TenantBy::parse(&options.tenant_by)?;
    let t = layouts::tenancy(cluster, &by, &options.tenants)?;
    let third = options.time_limit / 3.0;
    let per_cluster = third / t.tenants.len() as f64;
    let fee = options.control_plane_cost;
    let shared = if options.keep_existing {
        layouts::shared_as_running(cluster)?
    } else {
        layouts::shared(&t)
    };
    let shared = plan_layout("shared", vec![shared], third, 1, fee, &t)?;
    let pools = vec![layouts::dedicated_pools(&t)];
    let pools = plan_layout("dedicated-pools", pools, third, 1, fee, &t)?;
    let clusters = layouts::dedicated_clusters(&t);
    let count = clusters.len() as u32;
    let clusters = plan_layout("dedicated-clusters", clusters, per_cluster, count, fee, &t)?;
    let differences = vec![
        difference(&shared, &pools),
        difference(&pools, &clusters),
        difference(&shared, &clusters),
    ];
    Ok(TenancyReport {
        tenant_by: options.tenant_by.clone(),
        tenants: t.tenants.clone(),
        infrastructure_pods: t.tenant_of.iter().filter(|o| o.is_none()).count(),
        control_plane_cost: fee,
        keep_existing: options.keep_existing,
        layouts: vec![shared, pools, clusters],
        differences,
    })
}

/// Finite, non-negative fee, a positive time limit, and `keepExisting`
/// without `tenants`.
fn check_options(options: &TenancyOptions) -> Result<()> {
    if options.keep_existing && !options.tenants.is_empty() {
        return Err(Error::Usage(
            "--keep-existing keeps every pod on today's nodes: it does not go with --tenants"
                .into(),
        ));
    }
    let fee = options.control_plane_cost;
    if !fee.is_finite() || fee < 0.0 {
        return Err(Error::Usage(format!(
            "--control-plane-cost {fee}: expected a cost per hour, 0 or more"
        )));
    }
    let limit = options.time_limit;
    if !limit.is_finite() || limit <= 0.0 {
        return Err(Error::Usage(format!(
            "--time-limit {limit}: expected a number of seconds above 0"
        )));
    }
    Ok(())
}

/// `place` on each cluster of a layout with `time_limit` seconds each,
/// every plan validated, then the layout's accounts.
fn plan_layout(
    name: &str,
    planned: Vec<PlannedCluster>,
    time_limit: f64,
    clusters: u32,
    fee: f64,
    t: &layouts::Tenancy,
) -> Result<Layout> {
    let options = PlaceOptions {
        time_limit,
        repack: false,
    };
    let mut runs = Vec::with_capacity(planned.len());
    for p in planned {
        let report = place(&p.cluster, &options)?;
        if let Err(problems) = validate_plan(&p.cluster, &report) {
            let list: Vec<String> = problems.iter().map(|v| v.to_string()).collect();
            return Err(Error::Internal(format!(
                "tenancy: the {name} plan of {} fails validation: {}",
                p.name,
                list.join("; ")
            )));
        }
        runs.push(Planned { planned: p, report });
    }
    layout_of(name, &runs, clusters, fee, t)
}

/// `to` − `from`, split into causes; fragmentation is the rest, so they
/// add up exactly.
fn difference(from: &Layout, to: &Layout) -> Difference {
    let total = clean(to.cost - from.cost);
    let control_planes = clean(to.parts.control_planes - from.parts.control_planes);
    let system_pools = clean(to.parts.system_pools - from.parts.system_pools);
    let daemon_sets = clean(to.parts.daemon_sets - from.parts.daemon_sets);
    Difference {
        from: from.name.clone(),
        to: to.name.clone(),
        total,
        control_planes,
        system_pools,
        daemon_sets,
        fragmentation: total - control_planes - system_pools - daemon_sets,
    }
}

/// A difference of sums of the same costs is 0, not rounding noise (a
/// `-0.000` in the table).
fn clean(x: f64) -> f64 {
    if x.abs() < 1e-9 {
        0.0
    } else {
        x
    }
}
