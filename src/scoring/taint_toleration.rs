//! `TaintToleration` scoring (upstream
//! `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`):
//! the raw score is the number of the node's `PreferNoSchedule` taints that
//! the pod's tolerations with effect `PreferNoSchedule` or no effect do not
//! tolerate; NormalizeScore is `DefaultNormalizeScore(100, reverse)`, so the
//! nodes with the fewest such taints score 100.

use crate::model::{Taint, TaintEffect, Toleration};

/// PreScore: the tolerations that can tolerate a `PreferNoSchedule` taint
/// (`getAllTolerationPreferNoSchedule`).
pub fn prefer_no_schedule_tolerations(tolerations: &[Toleration]) -> Vec<&Toleration> {
    tolerations
        .iter()
        .filter(|t| t.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule))
        .collect()
}

/// Score: `countIntolerableTaintsPreferNoSchedule`.
pub fn score(taints: &[Taint], tolerations: &[&Toleration]) -> i64 {
    taints
        .iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
        .filter(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
        .count() as i64
}

/// NormalizeScore.
pub fn normalize(scores: &mut [i64]) {
    super::framework::default_normalize_score(super::framework::MAX_NODE_SCORE, true, scores);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TolerationOperator;

    fn taint(key: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: "v".into(),
            effect,
        }
    }

    /// Upstream `TestTaintTolerationScore` "the nodes that all of their
    /// taints are tolerated by the pod get higher score": node scores 0, 1
    /// and 2 intolerable taints normalise to 100, 50 and 0.
    #[test]
    fn upstream_counts_and_normalises() {
        let tolerations = vec![Toleration {
            key: "a".into(),
            operator: TolerationOperator::Equal,
            value: "v".into(),
            effect: Some(TaintEffect::PreferNoSchedule),
        }];
        let prefer = prefer_no_schedule_tolerations(&tolerations);
        let nodes = [
            vec![taint("a", TaintEffect::PreferNoSchedule)],
            vec![taint("b", TaintEffect::PreferNoSchedule)],
            vec![
                taint("b", TaintEffect::PreferNoSchedule),
                taint("c", TaintEffect::PreferNoSchedule),
                taint("d", TaintEffect::NoSchedule),
            ],
        ];
        let mut scores: Vec<i64> = nodes.iter().map(|t| score(t, &prefer)).collect();
        assert_eq!(scores, [0, 1, 2]);
        normalize(&mut scores);
        assert_eq!(scores, [100, 50, 0]);
        // A NoSchedule toleration does not count for PreferNoSchedule.
        let hard = [Toleration {
            effect: Some(TaintEffect::NoSchedule),
            operator: TolerationOperator::Exists,
            ..Default::default()
        }];
        assert!(prefer_no_schedule_tolerations(&hard).is_empty());
    }
}
