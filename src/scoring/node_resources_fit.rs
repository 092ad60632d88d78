//! `NodeResourcesFit` scoring with the default `LeastAllocated` strategy,
//! cpu and memory weighted 1 each (upstream
//! `pkg/scheduler/framework/plugins/noderesources/least_allocated.go` and
//! `resource_allocation.go`).
//!
//! The score of a node is the weighted mean over cpu and memory of
//! `(allocatable - requested) * 100 / allocatable` (integer division), where
//! `requested` is the node's *non-zero* requests plus the incoming pod's.
//! Resources the node does not have (allocatable 0) are left out of the
//! mean; a node with neither scores 0. No NormalizeScore.
//!
//! Non-zero requests (`schedutil.GetNonzeroRequests`): upstream gives each
//! *container* without a cpu (memory) request 100m (200Mi). podplan keeps
//! only the pod's effective requests, so it applies the defaults per pod:
//! a pod whose cpu (memory) request is 0 counts as 100m (200Mi). A pod with
//! several request-less containers counts less than upstream, and a pod
//! with one requesting and one request-less container counts no default.

use crate::model::Resources;

/// `schedutil.DefaultMilliCPURequest`: 100m.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// `schedutil.DefaultMemoryRequest`: 200Mi.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A pod's non-zero (cpu millicores, memory bytes), applied at pod level
/// (see the module documentation).
pub fn non_zero_requests(requests: &Resources) -> (i64, i64) {
    let cpu = if requests.milli_cpu == 0 {
        DEFAULT_MILLI_CPU_REQUEST
    } else {
        requests.milli_cpu
    };
    let memory = if requests.memory == 0 {
        DEFAULT_MEMORY_REQUEST
    } else {
        requests.memory
    };
    (cpu, memory)
}

/// Upstream `leastRequestedScore`: the unused share of `capacity` on a 0..100
/// scale; 0 when `capacity` is 0 or exceeded.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    let free = capacity - requested;
    match free.checked_mul(super::framework::MAX_NODE_SCORE) {
        Some(scaled) => scaled / capacity,
        // Untrusted quantities may be near i64::MAX.
        None => {
            (i128::from(free) * i128::from(super::framework::MAX_NODE_SCORE) / i128::from(capacity))
                as i64
        }
    }
}

/// Score: `pod` and `node_requested` are non-zero (cpu, memory) requests,
/// the node's without the pod.
pub fn score(pod: (i64, i64), allocatable: &Resources, node_requested: (i64, i64)) -> i64 {
    let mut sum = 0;
    let mut weights = 0;
    for (requested, capacity) in [
        (
            node_requested.0.saturating_add(pod.0),
            allocatable.milli_cpu,
        ),
        (node_requested.1.saturating_add(pod.1), allocatable.memory),
    ] {
        if capacity == 0 {
            continue;
        }
        sum += least_requested_score(requested, capacity);
        weights += 1;
    }
    if weights == 0 {
        0
    } else {
        sum / weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(cpu: i64, mem: i64) -> Resources {
        Resources {
            milli_cpu: cpu,
            memory: mem,
            ..Default::default()
        }
    }

    /// Upstream `TestLeastAllocatedScoringStrategy` "nothing scheduled,
    /// resources requested, differently sized nodes": cpu 3000m / memory
    /// 5000 on nodes of 4000m/10000 and 6000m/10000 score 37 and 50.
    #[test]
    fn upstream_differently_sized_nodes() {
        let pod = (3000, 5000);
        assert_eq!(score(pod, &alloc(4000, 10000), (0, 0)), (25 + 50) / 2);
        assert_eq!(score(pod, &alloc(6000, 10000), (0, 0)), (50 + 50) / 2);
    }

    #[test]
    fn defaults_and_edges() {
        assert_eq!(
            non_zero_requests(&Resources::default()),
            (100, 200 * 1024 * 1024)
        );
        assert_eq!(non_zero_requests(&alloc(5, 7)), (5, 7));
        assert_eq!(least_requested_score(11, 10), 0);
        assert_eq!(least_requested_score(0, 0), 0);
        // A node without memory is scored on cpu alone.
        assert_eq!(score((500, 1), &alloc(1000, 0), (0, 0)), 50);
        assert_eq!(score((1, 1), &Resources::default(), (0, 0)), 0);
        assert_eq!(least_requested_score(0, i64::MAX), 100);
    }
}
