//! `NodeResourcesFit`: the pod's requests must fit the node's allocatable
//! minus what its pods request, on every resource, plus the pod count.

use super::{NodeInfo, Verdict};
use crate::model::{Node, Pod};

/// Upstream's reason for the pod count.
pub const TOO_MANY_PODS: &str = "Too many pods";

/// Filter (`fitsRequest`): every insufficient resource is a reason.
pub fn filter(pod: &Pod, node: &Node, info: &NodeInfo) -> Verdict {
    let mut reasons = Vec::new();
    let alloc = &node.allocatable;
    let used = &info.requested;
    if info.pods.len() as i64 + 1 > alloc.pods {
        reasons.push(TOO_MANY_PODS.to_string());
    }
    let req = &pod.spec.requests;
    if req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu {
        reasons.push("Insufficient cpu".into());
    }
    if req.memory > 0 && req.memory > alloc.memory - used.memory {
        reasons.push("Insufficient memory".into());
    }
    if req.ephemeral_storage > 0
        && req.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage
    {
        reasons.push("Insufficient ephemeral-storage".into());
    }
    for (name, quantity) in &req.scalars {
        if *quantity > 0 && *quantity > alloc.scalar(name) - used.scalar(name) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}
