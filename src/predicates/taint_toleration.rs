//! `TaintToleration`: every NoSchedule and NoExecute taint of the node must
//! be tolerated; PreferNoSchedule only scores. The reason names the first
//! untolerated taint in the node's order, as `{key: value}`.
//!
//! Toleration operators are `Equal` and `Exists`; the alpha `Lt`/`Gt`
//! operators (feature gate `TaintTolerationComparisonOperators`, off by
//! default) are not modelled.

use super::framework::Verdict;
use crate::model::{Node, Pod, Taint, TaintEffect, Toleration};

/// The first taint accepted by `applies` that no toleration tolerates
/// (`v1helper.FindMatchingUntoleratedTaint`).
pub fn find_untolerated<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    applies: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| applies(t))
        .find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// Whether a taint's effect makes it a filter (NoSchedule, NoExecute).
pub fn is_hard(taint: &Taint) -> bool {
    matches!(
        taint.effect,
        TaintEffect::NoSchedule | TaintEffect::NoExecute
    )
}

/// Filter: `node(s) had untolerated taint {<key>: <value>}`.
pub fn filter(pod: &Pod, node: &Node) -> Verdict {
    match find_untolerated(&node.taints, &pod.spec.tolerations, is_hard) {
        None => Ok(()),
        Some(t) => Err(vec![format!(
            "node(s) had untolerated taint {{{}: {}}}",
            t.key, t.value
        )]),
    }
}
