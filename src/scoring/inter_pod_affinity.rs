//! `InterPodAffinity` scoring (upstream
//! `pkg/scheduler/framework/plugins/interpodaffinity/scoring.go`).
//!
//! PreScore sums, per topology pair (key, value), signed weights over the
//! placed pods of *all* nodes (not only the feasible ones):
//! - each preferred affinity term of the incoming pod that a placed pod
//!   matches adds its weight at the placed pod's node's value of the term's
//!   key, each preferred anti-affinity term subtracts it;
//! - each required affinity term of a placed pod that the incoming pod
//!   matches adds `hardPodAffinityWeight` (1), each preferred affinity term
//!   adds its weight, each preferred anti-affinity term subtracts it.
//!
//! Score is the sum of the pairs the node has; NormalizeScore maps the
//! feasible nodes' scores linearly from [min, max] onto [0, 100] (all 0
//! when they are equal or nothing matched).
//!
//! Selectors are matched once per label group of the snapshot (incoming
//! terms) and once per distinct spec of the placed pods with such terms
//! (their terms against the incoming pod); the per-node counts then say how
//! many pods each match stands for. [`ClassTerms`] keeps the matches of one
//! incoming pod class and only looks at groups and specs that appeared since.

use super::framework::{Topology, MISSING};
use crate::model::{NodeId, Pod, PodSpec};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::{PerNode, Snapshot};
use std::collections::HashMap;
use std::sync::Arc;

/// Upstream's default `hardPodAffinityWeight`.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Whether placed pods with this spec score incoming pods: required pod
/// affinity, preferred affinity or preferred anti-affinity.
pub fn scores_others(spec: &PodSpec) -> bool {
    !spec.pod_affinity.is_empty()
        || !spec.preferred_pod_affinity.is_empty()
        || !spec.preferred_pod_anti_affinity.is_empty()
}

/// Whether the pod has preferred pod (anti-)affinity terms of its own.
pub fn has_preferences(spec: &PodSpec) -> bool {
    !spec.preferred_pod_affinity.is_empty() || !spec.preferred_pod_anti_affinity.is_empty()
}

/// Placed pods whose spec [`scores_others`], grouped by spec (replicas
/// share theirs), with their count per node.
#[derive(Debug, Clone, Default)]
pub struct ExistingTerms {
    entries: Vec<Entry>,
    by_spec: HashMap<usize, u32>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Held so that the pointer key stays unique.
    spec: Arc<PodSpec>,
    per_node: PerNode,
}

impl ExistingTerms {
    /// Records `pod` placed on (`delta` 1) or removed from (-1) `node`.
    pub fn update(&mut self, pod: &Pod, node: NodeId, delta: i32) {
        if !scores_others(&pod.spec) {
            return;
        }
        let key = Arc::as_ptr(&pod.spec) as usize;
        let next = self.entries.len() as u32;
        let e = *self.by_spec.entry(key).or_insert(next);
        if e == next {
            self.entries.push(Entry {
                spec: Arc::clone(&pod.spec),
                per_node: PerNode::default(),
            });
        }
        let per_node = &mut self.entries[e as usize].per_node;
        let count = per_node.entry(node).or_insert(0);
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            per_node.remove(&node);
        }
    }

    /// Number of distinct specs seen.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no spec was seen.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Where a contribution's pods are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// A label group of the snapshot.
    Group(u32),
    /// An entry of [`ExistingTerms`].
    Existing(u32),
}

/// One matched term: every pod of `source` adds `weight` to the pair
/// (`topology_key`, its node's value).
#[derive(Debug, Clone)]
pub(crate) struct Contribution {
    source: Source,
    topology_key: String,
    weight: i64,
}

/// The matched terms for one incoming pod class (namespace, labels, spec).
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassTerms {
    groups_seen: usize,
    entries_seen: usize,
    contributions: Vec<Contribution>,
}

impl ClassTerms {
    /// Matches the groups and specs that appeared since the last call.
    pub(crate) fn refresh(
        &mut self,
        snapshot: &Snapshot,
        existing: &ExistingTerms,
        incoming: &Pod,
    ) {
        if has_preferences(&incoming.spec) {
            self.match_new_groups(snapshot, incoming);
        }
        self.groups_seen = snapshot.groups().len();
        self.match_new_entries(snapshot, existing, incoming);
        self.entries_seen = existing.entries.len();
    }

    /// The incoming pod's preferred terms (affinity +weight, anti-affinity
    /// -weight) against the label groups not seen yet.
    fn match_new_groups(&mut self, snapshot: &Snapshot, incoming: &Pod) {
        let cluster = snapshot.cluster();
        let spec = &incoming.spec;
        for (g, group) in snapshot.groups().iter().enumerate().skip(self.groups_seen) {
            let signed = spec
                .preferred_pod_affinity
                .iter()
                .map(|t| (t, 1))
                .chain(spec.preferred_pod_anti_affinity.iter().map(|t| (t, -1)));
            for (t, sign) in signed {
                if term_matches(&t.term, cluster, &group.namespace, &group.labels) {
                    self.push(
                        Source::Group(g as u32),
                        &t.term.topology_key,
                        sign * i64::from(t.weight),
                    );
                }
            }
        }
    }

    /// The terms of the placed pods' specs not seen yet against the
    /// incoming pod: required affinity ([`HARD_POD_AFFINITY_WEIGHT`]),
    /// preferred affinity (+weight) and anti-affinity (-weight).
    fn match_new_entries(&mut self, snapshot: &Snapshot, existing: &ExistingTerms, incoming: &Pod) {
        let cluster = snapshot.cluster();
        let matches = |t| term_matches(t, cluster, &incoming.namespace, &incoming.labels);
        for (e, entry) in existing.entries.iter().enumerate().skip(self.entries_seen) {
            let source = Source::Existing(e as u32);
            let theirs = &entry.spec;
            for t in theirs.pod_affinity.iter().filter(|t| matches(t)) {
                self.push(source, &t.topology_key, HARD_POD_AFFINITY_WEIGHT);
            }
            for t in theirs
                .preferred_pod_affinity
                .iter()
                .filter(|t| matches(&t.term))
            {
                self.push(source, &t.term.topology_key, i64::from(t.weight));
            }
            for t in theirs
                .preferred_pod_anti_affinity
                .iter()
                .filter(|t| matches(&t.term))
            {
                self.push(source, &t.term.topology_key, -i64::from(t.weight));
            }
        }
    }

    /// Records one matched term.
    fn push(&mut self, source: Source, key: &str, weight: i64) {
        self.contributions.push(Contribution {
            source,
            topology_key: key.to_string(),
            weight,
        });
    }
}

/// PreScore and Score: the raw score of each feasible node.
pub(crate) fn raw_scores(
    snapshot: &Snapshot,
    existing: &ExistingTerms,
    class: &ClassTerms,
    topology: &mut Topology,
    feasible: &[NodeId],
) -> Vec<i64> {
    if class.contributions.is_empty() {
        return vec![0; feasible.len()];
    }
    // Per topology key, the summed weight per domain.
    let mut keys: Vec<&str> = Vec::new();
    for c in &class.contributions {
        if !keys.contains(&c.topology_key.as_str()) {
            keys.push(&c.topology_key);
            topology.ensure(snapshot, &c.topology_key);
        }
    }
    let domains: Vec<_> = keys.iter().map(|k| topology.get(k)).collect();
    let mut sums: Vec<Vec<i64>> = domains.iter().map(|d| vec![0; d.values.len()]).collect();
    for c in &class.contributions {
        let k = keys.iter().position(|k| *k == c.topology_key).unwrap_or(0);
        let per_node = match c.source {
            Source::Group(g) => &snapshot.groups()[g as usize].per_node,
            Source::Existing(e) => &existing.entries[e as usize].per_node,
        };
        for (&node, &count) in per_node {
            let d = domains[k].node[node.index()];
            if d != MISSING {
                sums[k][d as usize] += c.weight * i64::from(count);
            }
        }
    }
    feasible
        .iter()
        .map(|n| {
            domains
                .iter()
                .zip(&sums)
                .map(|(d, s)| match d.node[n.index()] {
                    MISSING => 0,
                    v => s[v as usize],
                })
                .sum()
        })
        .collect()
}

/// NormalizeScore: linear from [min, max] onto [0, 100], truncated.
pub fn normalize(scores: &mut [i64]) {
    let (Some(&min), Some(&max)) = (scores.iter().min(), scores.iter().max()) else {
        return;
    };
    let diff = max.saturating_sub(min);
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (super::framework::MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_min_max() {
        let mut s = [-5, 0, 5, 15];
        normalize(&mut s);
        assert_eq!(s, [0, 25, 50, 100]);
        let mut same = [3, 3];
        normalize(&mut same);
        assert_eq!(same, [0, 0]);
    }
}
