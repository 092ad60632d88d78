//! `PodTopologySpread` scoring (upstream
//! `pkg/scheduler/framework/plugins/podtopologyspread/scoring.go`).
//!
//! The constraints scored are the pod's `ScheduleAnyway` ones; a pod with
//! no constraint at all gets the system defaults (`hostname` maxSkew 3,
//! `zone` maxSkew 5, both `ScheduleAnyway`) with the selector of its owning
//! workload (`helper.DefaultSelector`). Upstream merges the selectors of
//! the Services selecting the pod and of its ReplicationController,
//! ReplicaSet or StatefulSet; podplan reads no Services, so the selector is
//! that of the pod's workload: the Deployment, ReplicaSet or StatefulSet a
//! pending replica comes from, or the ReplicaSet / StatefulSet of the
//! scenario named by a pod's controller reference. (A Deployment replica's
//! ReplicaSet selector also pins `pod-template-hash`; the Deployment's
//! selector used here counts the pods of older revisions too.) Jobs and
//! other owners get no default spreading, as upstream without a Service.
//!
//! PreScore: with explicit constraints, feasible nodes missing a topology
//! key of any constraint are *ignored* (score 0); with the defaults they
//! are not (a missing key counts as the value ""). Each non-hostname
//! constraint's domains are the values of the non-ignored feasible nodes;
//! its count per domain is the number of matching pods (same namespace, not
//! terminating, selector non-empty and matching) on *all* nodes that have
//! every key (explicit constraints only) and pass the constraint's node
//! inclusion policies. Hostname constraints count the pods on the scored
//! node itself. Each constraint's weight is `ln(domains + 2)` (hostname:
//! the number of non-ignored feasible nodes).
//!
//! Score: `round(Σ count × weight + maxSkew - 1)` over the constraints
//! whose key the node has. NormalizeScore: `100 × (max + min - s) / max`
//! over the non-ignored nodes (100 for all when max is 0), 0 for ignored.
//!
//! Counting is per label group of the snapshot (its per-node counts), with
//! the selector matched once per group; [`ClassSpread`] remembers which
//! groups match and looks only at groups that appeared since.

use super::framework::{KeyDomains, Topology, MISSING};
use crate::model::{
    InclusionPolicy, LabelSelector, Labels, Node, NodeId, PodSpec, UnsatisfiableAction,
};
use crate::predicates::node_affinity::required_matches;
use crate::predicates::taint_toleration::{find_untolerated, is_hard};
use crate::predicates::Snapshot;

/// `v1.LabelHostname`: counted per node, not per domain.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `v1.LabelTopologyZone`.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// maxSkew of the system default hostname constraint.
pub const DEFAULT_HOSTNAME_MAX_SKEW: i32 = 3;
/// maxSkew of the system default zone constraint.
pub const DEFAULT_ZONE_MAX_SKEW: i32 = 5;

/// A `ScheduleAnyway` constraint as scoring reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftConstraint {
    /// `maxSkew`.
    pub max_skew: i32,
    /// `topologyKey`.
    pub topology_key: String,
    /// The selector counting pods.
    pub selector: LabelSelector,
    /// `nodeAffinityPolicy`.
    pub node_affinity_policy: InclusionPolicy,
    /// `nodeTaintsPolicy`.
    pub node_taints_policy: InclusionPolicy,
}

/// The constraints scored for a pod: its `ScheduleAnyway` constraints, or,
/// when it has none at all, the system defaults with `default_selector`
/// (none when that selector is absent, nil or empty).
pub fn soft_constraints(
    spec: &PodSpec,
    default_selector: Option<&LabelSelector>,
) -> Vec<SoftConstraint> {
    if !spec.topology_spread.is_empty() {
        return spec
            .topology_spread
            .iter()
            .filter(|c| c.when_unsatisfiable == UnsatisfiableAction::ScheduleAnyway)
            .map(|c| SoftConstraint {
                max_skew: c.max_skew,
                topology_key: c.topology_key.clone(),
                selector: c.selector.clone(),
                node_affinity_policy: c.node_affinity_policy,
                node_taints_policy: c.node_taints_policy,
            })
            .collect();
    }
    match default_selector {
        Some(sel) if !sel.matches_nothing && !sel.requirements.is_empty() => [
            (LABEL_HOSTNAME, DEFAULT_HOSTNAME_MAX_SKEW),
            (LABEL_ZONE, DEFAULT_ZONE_MAX_SKEW),
        ]
        .into_iter()
        .map(|(key, max_skew)| SoftConstraint {
            max_skew,
            topology_key: key.to_string(),
            selector: sel.clone(),
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
        })
        .collect(),
        _ => Vec::new(),
    }
}

/// Upstream `topologyNormalizingWeight`: `ln(size + 2)`.
pub fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// Upstream `scoreForCount`: `count × weight + maxSkew - 1`.
pub fn score_for_count(count: i64, max_skew: i32, weight: f64) -> f64 {
    count as f64 * weight + (f64::from(max_skew) - 1.0)
}

/// NormalizeScore over the feasible nodes; `ignored` nodes get 0.
pub fn normalize(scores: &mut [i64], ignored: &[bool]) {
    let max_node = super::framework::MAX_NODE_SCORE;
    let mut min = i64::MAX;
    let mut max = 0i64;
    for (s, ign) in scores.iter().zip(ignored) {
        if !ign {
            min = min.min(*s);
            max = max.max(*s);
        }
    }
    for (s, ign) in scores.iter_mut().zip(ignored) {
        *s = if *ign {
            0
        } else if max == 0 {
            max_node
        } else {
            match (max + min - *s).checked_mul(max_node) {
                Some(product) => product / max,
                None => {
                    (i128::from(max_node) * (i128::from(max) + i128::from(min) - i128::from(*s))
                        / i128::from(max)) as i64
                }
            }
        };
    }
}

/// `matchNodeInclusionPolicies`.
fn included(c: &SoftConstraint, spec: &PodSpec, node: &Node) -> bool {
    (c.node_affinity_policy == InclusionPolicy::Ignore || required_matches(spec, node))
        && (c.node_taints_policy == InclusionPolicy::Ignore
            || find_untolerated(&node.taints, &spec.tolerations, is_hard).is_none())
}

/// `countPodsMatchSelector` for a label group: an empty selector counts
/// nothing.
fn counts(selector: &LabelSelector, labels: &Labels) -> bool {
    !selector.is_empty() && selector.matches(labels)
}

/// The scoring constraints of one incoming pod class and the label groups
/// each one counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassSpread {
    constraints: Vec<SoftConstraint>,
    require_all: bool,
    groups: Vec<Vec<u32>>,
    groups_seen: usize,
}

impl ClassSpread {
    /// The class of a pod with `spec`, whose default selector (if it has no
    /// constraints) is `default_selector`.
    pub(crate) fn new(spec: &PodSpec, default_selector: Option<&LabelSelector>) -> Self {
        let constraints = soft_constraints(spec, default_selector);
        ClassSpread {
            groups: vec![Vec::new(); constraints.len()],
            constraints,
            // systemDefaulted: only explicit constraints need every key.
            require_all: !spec.topology_spread.is_empty(),
            groups_seen: 0,
        }
    }

    /// Matches the groups that appeared since the last call.
    pub(crate) fn refresh(&mut self, snapshot: &Snapshot, namespace: &str) {
        let groups = snapshot.groups();
        if !self.constraints.is_empty() {
            for (g, group) in groups.iter().enumerate().skip(self.groups_seen) {
                if group.terminating || group.namespace != namespace {
                    continue;
                }
                for (i, c) in self.constraints.iter().enumerate() {
                    if counts(&c.selector, &group.labels) {
                        self.groups[i].push(g as u32);
                    }
                }
            }
        }
        self.groups_seen = groups.len();
    }

    /// Whether the plugin runs (PreScore does not return Skip).
    pub(crate) fn is_active(&self) -> bool {
        !self.constraints.is_empty()
    }
}

/// PreScore and Score: the raw score of each feasible node, and which
/// feasible nodes are ignored.
pub(crate) fn raw_scores(
    snapshot: &Snapshot,
    class: &ClassSpread,
    spec: &PodSpec,
    topology: &mut Topology,
    feasible: &[NodeId],
) -> (Vec<i64>, Vec<bool>) {
    let n = feasible.len();
    if class.constraints.is_empty() {
        return (vec![0; n], vec![false; n]);
    }
    for c in &class.constraints {
        topology.ensure(snapshot, &c.topology_key);
    }
    let domains: Vec<&KeyDomains> = class
        .constraints
        .iter()
        .map(|c| topology.get(&c.topology_key))
        .collect();
    let ignored: Vec<bool> = feasible
        .iter()
        .map(|&node| class.require_all && !has_every_key(&domains, node))
        .collect();
    let tallies = tallies(snapshot, class, spec, &domains, feasible, &ignored);
    let scores = feasible
        .iter()
        .zip(&ignored)
        .map(|(&node, ign)| {
            if *ign {
                0
            } else {
                node_score(&class.constraints, &domains, &tallies, node)
            }
        })
        .collect();
    (scores, ignored)
}

/// Whether the node has every constraint's topology key.
fn has_every_key(domains: &[&KeyDomains], node: NodeId) -> bool {
    domains.iter().all(|d| d.node[node.index()] != MISSING)
}

/// PreScore: per constraint, its weight and counts.
fn tallies(
    snapshot: &Snapshot,
    class: &ClassSpread,
    spec: &PodSpec,
    domains: &[&KeyDomains],
    feasible: &[NodeId],
    ignored: &[bool],
) -> Vec<Tally> {
    let scored = ignored.iter().filter(|i| !**i).count();
    let counted = |c: &SoftConstraint, node: NodeId| {
        (!class.require_all || has_every_key(domains, node))
            && included(c, spec, snapshot.node(node))
    };
    class
        .constraints
        .iter()
        .zip(domains)
        .zip(&class.groups)
        .map(|((c, d), groups)| {
            if c.topology_key == LABEL_HOSTNAME {
                hostname_tally(snapshot, groups, scored)
            } else {
                domain_tally(snapshot, groups, d, feasible, ignored, |n| counted(c, n))
            }
        })
        .collect()
}

/// One constraint's weight, and its count of matching pods per domain (or
/// per node, for hostname).
struct Tally {
    weight: f64,
    counts: Vec<i64>,
}

/// A hostname constraint: the matching pods per node; the weight is over
/// the `scored` (non-ignored feasible) nodes.
fn hostname_tally(snapshot: &Snapshot, groups: &[u32], scored: usize) -> Tally {
    let mut per_node = vec![0i64; snapshot.node_count()];
    for &g in groups {
        for (&node, &count) in &snapshot.groups()[g as usize].per_node {
            if let Some(slot) = per_node.get_mut(node.index()) {
                *slot += i64::from(count);
            }
        }
    }
    Tally {
        weight: topology_normalizing_weight(scored),
        counts: per_node,
    }
}

/// Another constraint: its domains are the values of the non-ignored
/// feasible nodes (a missing key reads as "", as upstream's
/// `node.Labels[key]`), its weight is over their number, and it counts the
/// matching pods per domain on the nodes that are `counted` (they have
/// every key when required, and pass the inclusion policies).
fn domain_tally(
    snapshot: &Snapshot,
    groups: &[u32],
    d: &KeyDomains,
    feasible: &[NodeId],
    ignored: &[bool],
    counted: impl Fn(NodeId) -> bool,
) -> Tally {
    let empty = d.empty_value();
    let domain_of = |node: NodeId| match d.node[node.index()] {
        MISSING => empty as usize,
        v => v as usize,
    };
    let mut present = vec![false; d.values.len() + 1];
    let mut size = 0;
    for (&node, ign) in feasible.iter().zip(ignored) {
        let v = domain_of(node);
        if !ign && !present[v] {
            present[v] = true;
            size += 1;
        }
    }
    let mut per_domain = vec![0i64; d.values.len() + 1];
    for &g in groups {
        for (&node, &count) in &snapshot.groups()[g as usize].per_node {
            let v = domain_of(node);
            if present[v] && counted(node) {
                per_domain[v] += i64::from(count);
            }
        }
    }
    Tally {
        weight: topology_normalizing_weight(size),
        counts: per_domain,
    }
}

/// Score of a non-ignored node: `Σ scoreForCount` over the constraints
/// whose key it has, rounded.
fn node_score(
    constraints: &[SoftConstraint],
    domains: &[&KeyDomains],
    tallies: &[Tally],
    node: NodeId,
) -> i64 {
    let mut score = 0.0;
    for ((c, d), t) in constraints.iter().zip(domains).zip(tallies) {
        let v = d.node[node.index()];
        if v == MISSING {
            continue;
        }
        let count = if c.topology_key == LABEL_HOSTNAME {
            t.counts[node.index()]
        } else {
            t.counts[v as usize]
        };
        score += score_for_count(count, c.max_skew, t.weight);
    }
    score.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_upstream() {
        // max 10, min 2: 100 * (12 - s) / 10.
        let mut s = [2, 10, 6, 99];
        normalize(&mut s, &[false, false, false, true]);
        assert_eq!(s, [100, 20, 60, 0]);
        let mut zeros = [0, 0];
        normalize(&mut zeros, &[false, false]);
        assert_eq!(zeros, [100, 100]);
    }

    #[test]
    fn defaults_need_a_selector() {
        let spec = PodSpec::default();
        assert!(soft_constraints(&spec, None).is_empty());
        assert!(soft_constraints(&spec, Some(&LabelSelector::everything())).is_empty());
        assert!(soft_constraints(&spec, Some(&LabelSelector::nothing())).is_empty());
        let sel = LabelSelector::from_labels(&crate::model::labels([("app", "web")]));
        let cs = soft_constraints(&spec, Some(&sel));
        assert_eq!(cs.len(), 2);
        assert_eq!(
            (cs[0].topology_key.as_str(), cs[0].max_skew),
            (LABEL_HOSTNAME, 3)
        );
        assert_eq!(
            (cs[1].topology_key.as_str(), cs[1].max_skew),
            (LABEL_ZONE, 5)
        );
        assert!((topology_normalizing_weight(1) - 3f64.ln()).abs() < 1e-12);
        assert_eq!(score_for_count(2, 1, 1.5), 3.0);
    }
}
