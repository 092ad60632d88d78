//! `NodeResourcesFit`: the pod's requests must fit the node's allocatable
//! minus what its pods request, on every resource, plus the pod count
//! (`noderesources/fit.go`, `fitsRequest`).

use super::framework::Verdict;
use super::state::NodeInfo;
use crate::model::{Node, Pod, Resources, CPU, EPHEMERAL_STORAGE, MEMORY, PODS};

/// Upstream's reason for the pod count.
pub const TOO_MANY_PODS: &str = "Too many pods";

/// One resource the node lacks (upstream's `InsufficientResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsufficientResource<'a> {
    /// Resource name (`pods`, `cpu`, `memory`, `ephemeral-storage`, or a
    /// scalar such as `nvidia.com/gpu`).
    pub resource: &'a str,
    /// What the pod requests (1 for `pods`; millicores for `cpu`).
    pub requested: i64,
    /// What the node's pods already request (their count for `pods`).
    pub used: i64,
    /// The node's allocatable.
    pub capacity: i64,
}

impl InsufficientResource<'_> {
    /// Upstream's reason string: `Too many pods` or `Insufficient <name>`.
    pub fn reason(&self) -> String {
        if self.resource == PODS {
            TOO_MANY_PODS.to_string()
        } else {
            format!("Insufficient {}", self.resource)
        }
    }

    /// Upstream's `Unresolvable`: the request exceeds the node's whole
    /// allocatable, so no preemption on this node can help. Upstream sets it
    /// for cpu, memory, ephemeral storage and scalars, never for `pods`.
    pub fn unresolvable(&self) -> bool {
        self.resource != PODS && self.requested > self.capacity
    }
}

/// `fitsRequest` without ignored resources: every resource the node lacks,
/// in upstream's order (pods, cpu, memory, ephemeral-storage, then scalars;
/// upstream walks scalars in Go map order, we in name order).
///
/// cpu, memory and ephemeral storage are checked only when requested
/// (`> 0`); a scalar whenever its request is non-zero, including scalars
/// the node does not have at all.
pub fn insufficient_resources<'a>(
    requests: &'a Resources,
    allocatable: &Resources,
    info: &NodeInfo,
) -> Vec<InsufficientResource<'a>> {
    let mut out = Vec::new();
    let used = &info.requested;
    let pods = info.pods.len() as i64;
    if pods + 1 > allocatable.pods {
        out.push(InsufficientResource {
            resource: PODS,
            requested: 1,
            used: pods,
            capacity: allocatable.pods,
        });
    }
    let fixed = [
        (
            CPU,
            requests.milli_cpu,
            used.milli_cpu,
            allocatable.milli_cpu,
        ),
        (MEMORY, requests.memory, used.memory, allocatable.memory),
        (
            EPHEMERAL_STORAGE,
            requests.ephemeral_storage,
            used.ephemeral_storage,
            allocatable.ephemeral_storage,
        ),
    ];
    for (resource, requested, used, capacity) in fixed {
        if requested > 0 && requested > capacity.saturating_sub(used) {
            out.push(InsufficientResource {
                resource,
                requested,
                used,
                capacity,
            });
        }
    }
    for (name, requested) in &requests.scalars {
        if *requested == 0 {
            continue;
        }
        let (used, capacity) = (used.scalar(name), allocatable.scalar(name));
        if *requested > capacity.saturating_sub(used) {
            out.push(InsufficientResource {
                resource: name,
                requested: *requested,
                used,
                capacity,
            });
        }
    }
    out
}

/// Filter: every insufficient resource is a reason, in upstream's order.
pub fn filter(pod: &Pod, node: &Node, info: &NodeInfo) -> Verdict {
    let lacking = insufficient_resources(&pod.spec.requests, &node.allocatable, info);
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(lacking.iter().map(InsufficientResource::reason).collect())
    }
}
