//! `NodeAffinity` scoring (upstream
//! `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`): the
//! raw score is the sum of the weights of the pod's preferred node affinity
//! terms the node matches; NormalizeScore is `DefaultNormalizeScore(100)`
//! (the best node scores 100). A pod without preferred terms skips the
//! plugin (every node scores 0).
//!
//! Terms of weight 0 and empty terms are ignored (upstream
//! `NewPreferredSchedulingTerms`). A term that does not parse makes
//! upstream's PreScore fail (the API server rejects such pods); podplan
//! counts it as matching no node.

use crate::model::{Node, PodSpec};

/// Whether the plugin runs for the pod (PreScore does not return Skip).
pub fn has_preferences(spec: &PodSpec) -> bool {
    !spec.preferred_node_affinity.is_empty()
}

/// Score: the sum of the weights of the matching preferred terms.
pub fn score(spec: &PodSpec, node: &Node) -> i64 {
    spec.preferred_node_affinity
        .iter()
        .filter(|t| t.weight != 0 && t.term.matches(&node.labels, &node.name))
        .map(|t| i64::from(t.weight))
        .sum()
}

/// NormalizeScore.
pub fn normalize(scores: &mut [i64]) {
    super::framework::default_normalize_score(super::framework::MAX_NODE_SCORE, false, scores);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{labels, NodeSelectorTerm, Operator, PreferredSchedulingTerm, Requirement};

    /// Upstream `TestNodeAffinityPriority` "all nodes matches the preferred
    /// scheduling requirements of pod but with different priorities": term
    /// weights 2 (foo=bar), 4 (key=value), 5 (az=az1 and foo=bar); nodes
    /// matching 2, 2+4+5 and 2+4 normalise to 18, 100 and 54.
    #[test]
    fn upstream_weights_and_normalisation() {
        let term = |w: i32, reqs: &[(&str, &str)]| PreferredSchedulingTerm {
            weight: w,
            term: NodeSelectorTerm {
                match_expressions: reqs
                    .iter()
                    .map(|(k, v)| Requirement::new(k, Operator::In, &[v]))
                    .collect(),
                match_fields: vec![],
            },
        };
        let spec = PodSpec {
            preferred_node_affinity: vec![
                term(2, &[("foo", "bar")]),
                term(4, &[("key", "value")]),
                term(5, &[("foo", "bar"), ("az", "az1")]),
            ],
            ..Default::default()
        };
        let node = |l| Node {
            name: "n".into(),
            labels: l,
            ..Default::default()
        };
        let nodes = [
            node(labels([("foo", "bar")])),
            node(labels([("foo", "bar"), ("key", "value"), ("az", "az1")])),
            node(labels([("foo", "bar"), ("key", "value")])),
        ];
        let mut scores: Vec<i64> = nodes.iter().map(|n| score(&spec, n)).collect();
        assert_eq!(scores, [2, 11, 6]);
        normalize(&mut scores);
        assert_eq!(scores, [18, 100, 54]);
        assert!(has_preferences(&spec));
    }
}
