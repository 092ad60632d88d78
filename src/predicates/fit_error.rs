//! kube-scheduler's `FitError`: the `0/N nodes are available: ...` line of
//! a pod that fits no node, from the per-node rejections (upstream
//! `framework/types.go` `FitError.Error` and `sortReasonsHistogram`).

use super::{filter, PodState, Rejection, Snapshot};
use std::collections::{BTreeMap, HashMap};

/// The scheduler's (reason, plugin) -> nodes histogram of the nodes'
/// rejections; hashed while counting (5,000 nodes a pod), ordered once at
/// the end.
pub fn rejection_histogram<'r>(
    rejections: impl IntoIterator<Item = &'r Rejection>,
) -> BTreeMap<(&'r str, &'static str), usize> {
    let mut counting: HashMap<(&str, &'static str), usize> = HashMap::new();
    for rejection in rejections {
        let plugin = rejection.plugin.name();
        for reason in &rejection.reasons {
            *counting.entry((reason.as_str(), plugin)).or_insert(0) += 1;
        }
    }
    counting.into_iter().collect()
}

/// The scheduler's summary line for a pod against every node of the
/// snapshot (`0/N nodes are available: ...`), for reports of pods that stay
/// pending.
pub fn unschedulable_message(snapshot: &Snapshot, state: &PodState) -> String {
    let verdicts: Vec<Result<(), Rejection>> = snapshot
        .node_ids()
        .map(|n| filter(snapshot, state, n))
        .collect();
    let feasible = verdicts.iter().filter(|v| v.is_ok()).count();
    let histogram = rejection_histogram(verdicts.iter().filter_map(|v| v.as_ref().err()));
    summary_message(feasible, verdicts.len(), &histogram)
}

/// kube-scheduler's `FitError` line: `0/3 nodes are available: 1 Insufficient
/// cpu, 2 node(s) had untolerated taint {a: b}.` — reasons as "count reason",
/// sorted as strings (upstream's `sortReasonsHistogram`).
pub fn summary_message(
    feasible: usize,
    total: usize,
    histogram: &BTreeMap<(&str, &'static str), usize>,
) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for ((reason, _), n) in histogram {
        *by_reason.entry(reason).or_insert(0) += n;
    }
    let mut parts: Vec<String> = by_reason.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    if parts.is_empty() {
        format!("{feasible}/{total} nodes are available.")
    } else {
        format!(
            "{feasible}/{total} nodes are available: {}.",
            parts.join(", ")
        )
    }
}
