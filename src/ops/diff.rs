//! `diff`: the same scenario before and after a change. The operations
//! run on both sides — explain (with one new node per pool), place,
//! headroom of the workloads the change adds or replaces, and the drain
//! of a pool — and the report keeps what differs. Nothing is computed
//! here that those operations do not compute.

use super::{drain, explain, headroom, place};
use crate::error::Result;
use crate::model::Cluster;
use crate::report::diff::{
    ChangeAction, DiffOptions, DiffReport, DrainDiff, DrainSide, HeadroomDiff, HeadroomSide,
    ObjectChange, PlaceDiff, PlaceSide, PodChange, PodChangeKind,
};
use crate::report::drain::DrainOptions;
use crate::report::explain::{ExplainOptions, ExplainReport};
use crate::report::headroom::HeadroomOptions;
use crate::report::place::{PlaceOptions, PlaceReport};
use std::collections::HashMap;

/// Kinds whose pod template `headroom` copies.
const WORKLOAD_KINDS: [&str; 4] = ["Deployment", "StatefulSet", "ReplicaSet", "Job"];

/// Compares `before` with `after`, the scenario once `changes` are applied.
pub(crate) fn diff(
    before: &Cluster,
    after: &Cluster,
    changes: Vec<ObjectChange>,
    options: &DiffOptions,
) -> Result<DiffReport> {
    let half = (options.time_limit / 2.0).max(0.05);
    let pods = pod_changes(&explain_both(before)?, &explain_both(after)?);
    let place = PlaceDiff::new(place_side(before, half)?, place_side(after, half)?);
    let headroom = headroom_changes(before, after, &changes, half)?;
    let drain = match &options.drain_pool {
        Some(pool) => Some(drain_diff(before, after, pool)?),
        None => None,
    };
    Ok(DiffReport {
        newly_unschedulable: pods
            .iter()
            .any(|p| p.change == PodChangeKind::Unschedulable),
        changes,
        pods,
        place,
        headroom,
        drain,
        warnings: after.warnings.clone(),
    })
}

/// `explain --with-pools --summary`: a pod is unschedulable when it fits
/// no existing node and no new node of any pool.
fn explain_both(cluster: &Cluster) -> Result<ExplainReport> {
    explain::explain(
        cluster,
        &ExplainOptions {
            pod: None,
            summary: true,
            with_pools: true,
            fix: false,
        },
    )
}

/// The pending pods whose fate differs: in `after`'s order, then those
/// pending only in `before`.
fn pod_changes(before: &ExplainReport, after: &ExplainReport) -> Vec<PodChange> {
    let fits = |p: &crate::report::explain::PodExplanation| p.feasible_count > 0;
    let before_by_pod: HashMap<&str, _> = before.pods.iter().map(|p| (p.pod.as_str(), p)).collect();
    let mut changes = Vec::new();
    for a in &after.pods {
        let b = before_by_pod.get(a.pod.as_str()).copied();
        let change = match (b.map(fits), fits(a)) {
            (Some(false), true) => PodChangeKind::Schedulable,
            (None, true) => PodChangeKind::Appeared,
            (Some(true) | None, false) => PodChangeKind::Unschedulable,
            (Some(true), true) | (Some(false), false) => continue,
        };
        changes.push(PodChange {
            pod: a.pod.clone(),
            change,
            before: b.map(|b| b.message.clone()),
            after: Some(a.message.clone()),
        });
    }
    let after_pods: std::collections::HashSet<&str> =
        after.pods.iter().map(|p| p.pod.as_str()).collect();
    for b in &before.pods {
        if !after_pods.contains(b.pod.as_str()) {
            changes.push(PodChange {
                pod: b.pod.clone(),
                change: PodChangeKind::Disappeared,
                before: Some(b.message.clone()),
                after: None,
            });
        }
    }
    changes
}

impl PlaceDiff {
    fn new(before: PlaceSide, after: PlaceSide) -> PlaceDiff {
        // Rounded to the cent's tenth, as costs are shown: no 1e-16 noise.
        let cost_delta = ((after.cost - before.cost) * 1e6).round() / 1e6;
        PlaceDiff {
            before,
            after,
            cost_delta,
        }
    }
}

/// `place` within `time_limit` seconds, summarised.
fn place_side(cluster: &Cluster, time_limit: f64) -> Result<PlaceSide> {
    let report: PlaceReport = place::place(
        cluster,
        &PlaceOptions {
            time_limit,
            repack: false,
        },
    )?;
    Ok(PlaceSide {
        status: report.status,
        cost: report.cost,
        lower_bound: report.lower_bound,
        new_nodes: report.new_nodes,
        unplaced: report.unplaced.len(),
    })
}

/// Headroom (pools growing) of each workload the change adds or replaces.
fn headroom_changes(
    before: &Cluster,
    after: &Cluster,
    changes: &[ObjectChange],
    time_limit: f64,
) -> Result<Vec<HeadroomDiff>> {
    let mut out = Vec::new();
    for c in changes {
        if c.action == ChangeAction::Deleted || !WORKLOAD_KINDS.contains(&c.kind.as_str()) {
            continue;
        }
        let workload = format!("{}/{}", c.namespace, c.name);
        let before = match c.action {
            ChangeAction::Replaced => Some(headroom_side(before, &workload, time_limit)?),
            _ => None,
        };
        out.push(HeadroomDiff {
            workload: format!("{} {workload}", c.kind),
            before,
            after: headroom_side(after, &workload, time_limit)?,
        });
    }
    Ok(out)
}

fn headroom_side(cluster: &Cluster, workload: &str, time_limit: f64) -> Result<HeadroomSide> {
    let options = HeadroomOptions {
        workload: Some(workload.to_string()),
        with_pools: true,
        time_limit,
        ..HeadroomOptions::default()
    };
    let report = headroom::headroom(cluster, &options, None)?;
    Ok(HeadroomSide {
        fits: report.fits,
        new_nodes: report.new_nodes,
        capped: report.capped,
    })
}

/// The drain of `pool` before and after; an error when neither side can
/// plan it (a pool that never existed is a mistake in the request).
fn drain_diff(before: &Cluster, after: &Cluster, pool: &str) -> Result<DrainDiff> {
    let (b, a) = (drain_side(before, pool), drain_side(after, pool));
    if let (Some(e), Some(_)) = (&b.error, &a.error) {
        return Err(crate::error::Error::Usage(format!("--drain-pool: {e}")));
    }
    Ok(DrainDiff {
        pool: pool.to_string(),
        before: b,
        after: a,
    })
}

/// The drain of `pool`; a pool the side does not have is an answer
/// (`error`), not a failure of the diff.
fn drain_side(cluster: &Cluster, pool: &str) -> DrainSide {
    let options = DrainOptions {
        pool: Some(pool.to_string()),
        ..DrainOptions::default()
    };
    match drain::drain(cluster, &options) {
        Ok(report) => DrainSide {
            feasible: report.feasible,
            waves: report.waves.len(),
            evictions: report.waves.iter().map(|w| w.evictions.len()).sum(),
            blockers: report
                .blockers
                .iter()
                .map(|b| format!("{}: {}", b.pod, b.reason.as_str()))
                .collect(),
            error: None,
        },
        Err(e) => DrainSide {
            feasible: false,
            waves: 0,
            evictions: 0,
            blockers: Vec::new(),
            error: Some(e.to_string()),
        },
    }
}
