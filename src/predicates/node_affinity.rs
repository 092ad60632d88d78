//! `NodeAffinity`: `spec.nodeSelector` and required node affinity
//! (terms ORed, expressions ANDed, `matchFields` on `metadata.name`).

use super::Verdict;
use crate::model::{Node, Pod, PodSpec};

/// Upstream's `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

/// Whether the node satisfies the spec's node selector and required node
/// affinity (`nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`).
pub fn required_matches(spec: &PodSpec, node: &Node) -> bool {
    spec.node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v))
        && spec
            .required_node_affinity
            .as_ref()
            .is_none_or(|sel| sel.matches(&node.labels, &node.name))
}

/// Filter.
pub fn filter(pod: &Pod, node: &Node) -> Verdict {
    if required_matches(&pod.spec, node) {
        Ok(())
    } else {
        Err(vec![ERR_REASON_POD.into()])
    }
}
