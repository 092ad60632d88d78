//! `NodeName`: a pod with `spec.nodeName` fits only that node.

use super::framework::Verdict;
use crate::model::{Node, Pod};

/// Upstream's `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// Filter (`Fits`): an empty or absent `spec.nodeName` fits every node.
pub fn filter(pod: &Pod, node: &Node) -> Verdict {
    match pod.node_name.as_deref() {
        Some(name) if !name.is_empty() && name != node.name => Err(vec![ERR_REASON.into()]),
        _ => Ok(()),
    }
}
