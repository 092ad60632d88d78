//! `NodeUnschedulable`: a cordoned node (`spec.unschedulable`) takes only
//! pods that tolerate the `node.kubernetes.io/unschedulable:NoSchedule` taint.

use super::framework::Verdict;
use crate::model::{Node, Pod, Taint, TaintEffect};

/// Upstream's `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

/// The taint a cordoned node is treated as having.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Filter: a cordoned node rejects the pod unless one of its tolerations
/// tolerates `node.kubernetes.io/unschedulable:NoSchedule` (empty value).
pub fn filter(pod: &Pod, node: &Node) -> Verdict {
    if !node.unschedulable {
        return Ok(());
    }
    let taint = Taint {
        key: TAINT_NODE_UNSCHEDULABLE.into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    };
    if pod.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
        Ok(())
    } else {
        Err(vec![ERR_REASON_UNSCHEDULABLE.into()])
    }
}
