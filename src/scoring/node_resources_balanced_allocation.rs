//! `NodeResourcesBalancedAllocation` over cpu and memory (upstream
//! `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go`).
//!
//! For each resource the node has, the fraction `(node requested + pod
//! request) / allocatable`, capped at 1; the score is `(1 - std) * 100`
//! truncated, where with two fractions `std = |f1 - f2| / 2` and with one
//! it is 0. Unlike LeastAllocated it uses the *actual* requests
//! (`useRequested: true`), not the non-zero ones. A best-effort pod
//! (requesting neither cpu nor memory) skips the plugin (PreScore returns
//! Skip since v1.33): every node scores 0. No NormalizeScore.
//!
//! This is the formula of the released schedulers up to v1.34; newer
//! upstream work scores the *change* in balance the pod causes instead.

use crate::model::Resources;

/// PreScore's Skip: the pod requests neither cpu nor memory.
pub fn is_best_effort(requests: &Resources) -> bool {
    requests.milli_cpu == 0 && requests.memory == 0
}

/// Score of a node with `allocatable` whose pods request `node_requested`,
/// for a pod requesting `pod`.
pub fn score(pod: &Resources, allocatable: &Resources, node_requested: &Resources) -> i64 {
    let mut fractions = [0.0f64; 2];
    let mut n = 0;
    for (requested, capacity) in [
        (
            node_requested.milli_cpu.saturating_add(pod.milli_cpu),
            allocatable.milli_cpu,
        ),
        (
            node_requested.memory.saturating_add(pod.memory),
            allocatable.memory,
        ),
    ] {
        if capacity == 0 {
            continue;
        }
        fractions[n] = (requested as f64 / capacity as f64).min(1.0);
        n += 1;
    }
    let std = if n == 2 {
        ((fractions[0] - fractions[1]) / 2.0).abs()
    } else {
        0.0
    };
    ((1.0 - std) * super::framework::MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(cpu: i64, mem: i64) -> Resources {
        Resources {
            milli_cpu: cpu,
            memory: mem,
            ..Default::default()
        }
    }

    /// In the manner of upstream `TestNodeResourcesBalancedAllocation`: a
    /// pod of 3000m/5000 on a node of 10000m/20000 already requesting
    /// 6000m/0 gives fractions 0.9 and 0.25, std 0.325, score 67; on a node
    /// of 6000m/10000 requesting 6000m/5000 the cpu fraction 1.5 is capped
    /// at 1 and memory is 1, score 100.
    #[test]
    fn upstream_examples() {
        assert_eq!(
            score(&res(3000, 5000), &res(10000, 20000), &res(6000, 0)),
            67
        );
        assert_eq!(
            score(&res(3000, 5000), &res(6000, 10000), &res(6000, 5000)),
            100
        );
        // Only cpu on the node: std 0.
        assert_eq!(score(&res(1, 1), &res(10, 0), &res(0, 0)), 100);
        assert!(is_best_effort(&Resources::default()));
        assert!(!is_best_effort(&res(0, 1)));
    }
}
