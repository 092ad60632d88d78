//! `NodeAffinity`: `spec.nodeSelector` and required node affinity
//! (`nodeaffinity/node_affinity.go` over component-helpers'
//! `nodeaffinity.GetRequiredNodeAffinity`).
//!
//! Filter: every `nodeSelector` pair must be a node label, and some term of
//! the required affinity must match (see [`NodeSelectorTerm::matches`]:
//! empty and unparsable terms match nothing, `nodeSelectorTerms: []`
//! matches no node).
//!
//! PreFilter ([`pre_filter`]) narrows the candidates to the node names the
//! terms pin with `matchFields: metadata.name In`, and fails outright when
//! the terms pin disjoint names. The framework reports the nodes it so
//! excludes as [`ERR_REASON_NOT_PRE_FILTERED`], before any Filter runs.
//!
//! [`NodeSelectorTerm::matches`]: crate::model::NodeSelectorTerm::matches

use super::framework::Verdict;
use crate::model::{Node, Operator, Pod, PodSpec};
use std::collections::BTreeSet;

/// Upstream's `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

/// Upstream's `errReasonConflict`: PreFilter's status when every term pins
/// node names and no name survives.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// The status the framework gives nodes outside a PreFilter result
/// (`"node(s) didn't satisfy plugin(s) %v"` with the plugins that returned
/// node names; in the default profile only NodeAffinity does).
pub const ERR_REASON_NOT_PRE_FILTERED: &str = "node(s) didn't satisfy plugin(s) [NodeAffinity]";

/// The metadata field `matchFields` can pin (`metav1.ObjectNameField`).
const OBJECT_NAME_FIELD: &str = "metadata.name";

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

/// The outcome of NodeAffinity's PreFilter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreFilter {
    /// Status `Skip`: no node selector and no required affinity, so the
    /// Filter is not run (it would pass every node).
    Skip,
    /// No `PreFilterResult`: every node is a candidate.
    AllNodes,
    /// `PreFilterResult.NodeNames`: only these nodes are candidates.
    NodeNames(BTreeSet<String>),
    /// `UnschedulableAndUnresolvable` with [`ERR_REASON_CONFLICT`]: every
    /// term pins node names and the terms' sets are all empty.
    Conflict,
}

impl PreFilter {
    /// What the framework records for `node` before any Filter runs: the
    /// PreFilter's failure, or [`ERR_REASON_NOT_PRE_FILTERED`] for a node
    /// outside the result.
    pub fn admits(&self, node: &Node) -> Verdict {
        match self {
            PreFilter::Skip | PreFilter::AllNodes => Ok(()),
            PreFilter::NodeNames(names) if names.contains(&node.name) => Ok(()),
            PreFilter::NodeNames(_) => Err(vec![ERR_REASON_NOT_PRE_FILTERED.into()]),
            PreFilter::Conflict => Err(vec![ERR_REASON_CONFLICT.into()]),
        }
    }
}

/// PreFilter: the node names the required terms pin. A term pins the
/// intersection of its `metadata.name In` field requirements (all their
/// values, valid or not); the terms are ORed, so one term that pins nothing
/// leaves every node a candidate. The node selector pins nothing.
pub fn pre_filter(spec: &PodSpec) -> PreFilter {
    let Some(selector) = &spec.required_node_affinity else {
        // Our model cannot tell a nil nodeSelector from an empty one; both
        // let every node pass the Filter, so Skip and AllNodes agree.
        return if spec.node_selector.is_empty() {
            PreFilter::Skip
        } else {
            PreFilter::AllNodes
        };
    };
    if selector.terms.is_empty() {
        return PreFilter::AllNodes;
    }
    let mut names = BTreeSet::new();
    for term in &selector.terms {
        let mut pinned: Option<BTreeSet<&str>> = None;
        for r in &term.match_fields {
            if r.key == OBJECT_NAME_FIELD && r.operator == Operator::In {
                let values = r.values.iter().map(String::as_str);
                pinned = Some(match pinned {
                    None => values.collect(),
                    Some(prev) => values.filter(|v| prev.contains(v)).collect(),
                });
            }
        }
        match pinned {
            None => return PreFilter::AllNodes,
            Some(pinned) => names.extend(pinned.into_iter().map(String::from)),
        }
    }
    if names.is_empty() {
        PreFilter::Conflict
    } else {
        PreFilter::NodeNames(names)
    }
}
