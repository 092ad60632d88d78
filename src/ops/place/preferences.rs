//! Soft preferences: `place`'s last phase improves the plan's soft-preference
//! weight ([`crate::scoring::preferences`]) without changing its cost.
//!
//! **Improvement** ([`improve`]): with the plan's nodes fixed (existing ones
//! and the new ones it bought, so neither the cost nor the placed pods
//! change), pending pods with a weight move, one at a time, to a node of
//! the plan where their own weight is lower — or swap with a pod there
//! when the node is full — when kube-scheduler's filters let them (on the
//! state with every other pod in place) and the plan's total drops,
//! counting the pods whose preferred pod (anti-)affinity terms match the
//! moved pod, whose weights change too (kept exactly, per term and
//! domain, by an index of counts).
//! Pods that another workload's required pod affinity or hard topology
//! spread selects (or their own required pod affinity) stay put (moving
//! them could break that pod, which the mover's own filters do not see).
//! The result is kept only when the final-state validator passes it;
//! otherwise the search is redone with every pod under hard spread or
//! required affinity pinned, and when that fails too, the plan is left as
//! it was. The search gets half the time left before the deadline `place`
//! gives it (0.9 of the time limit), the rest recounts and validates.
//! `PODPLAN_DEBUG=1` traces it ([`Trace`]).
//!
//! Scenarios without preferred terms or `PreferNoSchedule` taints skip
//! all of this after one look at the pods' specs.

use crate::check::preferences::replay;
use crate::check::validate::validate_plan;
use crate::engine::plan::{self, Plan};
use crate::engine::trace::Trace;
use crate::model::{Cluster, NodeId, PodId, Taint, TaintEffect, UnsatisfiableAction};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::{self, PodState, Snapshot};
use crate::report::place::{PlaceReport, PlanStats};
use crate::scoring::preferences::{spec_key, total, Index};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::Instant;

/// Improves the soft preferences of a `place` report (see the module
/// docs) without changing its nodes, cost or placed pods, and records the
/// plan's total in `stats.soft_violations`. Stops searching at `deadline`.
pub(crate) fn improve(cluster: &Cluster, report: &mut PlaceReport, deadline: Instant) {
    // The common case costs one look at the specs and taints.
    if !has_soft_terms(cluster) {
        report.stats.soft_violations = 0;
        return;
    }
    let Some((snapshot, placed)) = replay(cluster, report) else {
        return;
    };
    let before = total(&snapshot, &placed);
    report.stats.soft_violations = before;
    if before == 0 {
        return;
    }
    let start = Baseline {
        snapshot,
        placed,
        before,
    };
    for conservative in [false, true] {
        if let Round::Settled = start.round(cluster, report, conservative, deadline) {
            return;
        }
    }
}

/// Whether any node or pool has a `PreferNoSchedule` taint or any pending
/// pod a preferred node or pod (anti-)affinity term (each spec looked at
/// once).
fn has_soft_terms(cluster: &Cluster) -> bool {
    let tainted = |taints: &[Taint]| {
        taints
            .iter()
            .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    };
    let mut seen: HashSet<usize> = HashSet::new();
    cluster.nodes.iter().any(|n| tainted(&n.taints))
        || cluster.pools.iter().any(|p| tainted(&p.taints))
        || cluster.pending_pods().any(|id| {
            let spec = &cluster.pod(id).spec;
            seen.insert(spec_key(spec))
                && (!spec.preferred_node_affinity.is_empty()
                    || !spec.preferred_pod_affinity.is_empty()
                    || !spec.preferred_pod_anti_affinity.is_empty())
        })
}

/// The report's plan as the search starts from it.
struct Baseline<'c> {
    /// The cluster with the plan's pods placed.
    snapshot: Snapshot<'c>,
    /// The placed pending pods and their nodes.
    placed: Vec<(PodId, NodeId)>,
    /// The plan's total violation weight.
    before: u64,
}

/// How a search round ended.
enum Round {
    /// The report holds the improved plan, or the round found none (or no
    /// time was left): stop.
    Settled,
    /// The improved plan failed the validator: retry with more pods pinned.
    Invalid,
}

impl Baseline<'_> {
    /// Searches from the plan (pinning more pods when `conservative`) for
    /// half the time left, then keeps the result in `report` when its
    /// total is lower and the validator passes it.
    fn round(
        &self,
        cluster: &Cluster,
        report: &mut PlaceReport,
        conservative: bool,
        deadline: Instant,
    ) -> Round {
        let began = Instant::now();
        if began >= deadline {
            return Round::Settled;
        }
        let trace = Trace::from_env(began);
        // Half the time left searches; the rest recounts and validates.
        let until = began + deadline.saturating_duration_since(began) / 2;
        let mut work = self.snapshot.clone();
        let moves = search(&mut work, &self.placed, conservative, until);
        trace.say(|| format!("preferences: {moves} moves (conservative {conservative})"));
        if moves == 0 {
            return Round::Settled;
        }
        let now: Vec<(PodId, NodeId)> = self
            .placed
            .iter()
            .map(|&(pod, node)| (pod, work.placement(pod).unwrap_or(node)))
            .collect();
        let after = total(&work, &now);
        let before = self.before;
        trace.say(|| format!("preferences: violations {before} -> {after}"));
        if after >= before {
            return Round::Settled;
        }
        let candidate = rewritten(report, &work, &now);
        let valid = validate_plan(cluster, &candidate).is_ok();
        trace.say(|| format!("preferences: validated ({valid})"));
        if !valid {
            return Round::Invalid;
        }
        *report = candidate;
        report.stats.soft_violations = after;
        Round::Settled
    }
}

/// `report` with the placement of `snapshot`: assignments and per-pool
/// utilisation; nodes, cost, bound, status and the rest unchanged.
fn rewritten(report: &PlaceReport, snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> PlaceReport {
    let plan = Plan {
        placed: placed.to_vec(),
        unplaced: Vec::new(),
        lower_bound: 0.0,
        proven: false,
    };
    let fresh = plan::report(snapshot, plan, PlanStats::default());
    let mut out = report.clone();
    out.assignments = fresh.assignments;
    out.pools = fresh.pools;
    out
}

/// Pods whose move could break another pod's hard constraint unseen by the
/// mover's filters: those selected by a placed pod's required pod affinity
/// term or `DoNotSchedule` spread constraint — of another spec, or when
/// `conservative`, of any spec (the pod's own included).
fn pinned(snapshot: &Snapshot, placed: &[(PodId, NodeId)], conservative: bool) -> HashSet<PodId> {
    let cluster = snapshot.cluster();
    let specs = hard_specs(snapshot);
    let mut out = HashSet::new();
    for &(pod, _) in placed {
        let p = snapshot.pod(pod);
        let own = spec_key(&p.spec);
        let selected = specs.iter().any(|(key, (spec, namespace))| {
            if *key == own && !conservative {
                // Its own replicas' spread is the mover's own constraint,
                // which its filters check; its own required affinity is not.
                return spec
                    .pod_affinity
                    .iter()
                    .any(|t| term_matches(t, cluster, &p.namespace, &p.labels));
            }
            spec.pod_affinity
                .iter()
                .any(|t| term_matches(t, cluster, &p.namespace, &p.labels))
                || spec.topology_spread.iter().any(|c| {
                    c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule
                        && *namespace == p.namespace
                        && c.selector.matches(&p.labels)
                })
        });
        if selected {
            out.insert(pod);
        }
    }
    out
}

/// The specs (by key, with a namespace of their pods) of the placed pods
/// with a required pod affinity term or a `DoNotSchedule` spread
/// constraint.
fn hard_specs(snapshot: &Snapshot) -> HashMap<usize, (Arc<crate::model::PodSpec>, String)> {
    let mut specs = HashMap::new();
    for id in (0..snapshot.pod_count() as u32).map(PodId) {
        if snapshot.placement(id).is_none() {
            continue;
        }
        let p = snapshot.pod(id);
        let hard = !p.spec.pod_affinity.is_empty()
            || p.spec
                .topology_spread
                .iter()
                .any(|c| c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule);
        if hard {
            specs
                .entry(spec_key(&p.spec))
                .or_insert_with(|| (Arc::clone(&p.spec), p.namespace.clone()));
        }
    }
    specs
}

/// The local search on `snapshot` (changed in place): passes over the pods
/// with a weight, each moved to a node where its own weight is lower or,
/// when no such node takes it, swapped with a movable pod of that node,
/// whenever the plan's total drops; until a pass changes nothing or the
/// deadline passes. Returns the number of moves and swaps made.
fn search(
    snapshot: &mut Snapshot,
    placed: &[(PodId, NodeId)],
    conservative: bool,
    deadline: Instant,
) -> usize {
    let index = Index::new(snapshot, placed);
    let pinned = pinned(snapshot, placed, conservative);
    let candidates: Vec<PodId> = placed
        .iter()
        .map(|(pod, _)| *pod)
        .filter(|pod| !pinned.contains(pod))
        .collect();
    let mut search = LocalSearch {
        index,
        movable: candidates.iter().copied().collect(),
        nodes: snapshot.node_ids().collect(),
        stuck: HashSet::new(),
        deadline,
    };
    let mut changes = 0;
    // Each change strictly lowers the total, which is bounded below: the
    // cap on passes only guards the time.
    for _ in 0..64 {
        let mut changed = false;
        for &pod in &candidates {
            if Instant::now() >= deadline {
                return changes;
            }
            if search.improve_pod(snapshot, pod) {
                changed = true;
                changes += 1;
            }
        }
        if !changed {
            break;
        }
    }
    changes
}

/// Pods alike: (spec, node, hash of namespace and labels).
type Alike = (usize, NodeId, u64);

/// The state of the local search between its steps.
struct LocalSearch {
    index: Index,
    /// Pods that may move (the candidates, none pinned).
    movable: HashSet<PodId>,
    /// Every node of the plan.
    nodes: Vec<NodeId>,
    /// Pods alike (spec, namespace, labels) on the same node fare alike:
    /// once one found nothing, the others are skipped until something
    /// changes.
    stuck: HashSet<Alike>,
    deadline: Instant,
}

impl LocalSearch {
    /// Moves or swaps `pod` to a node where the plan's total drops, if
    /// any takes it. True when it changed the plan.
    fn improve_pod(&mut self, snapshot: &mut Snapshot, pod: PodId) -> bool {
        let Some(from) = snapshot.placement(pod) else {
            return false;
        };
        let key = alike(snapshot, pod, from);
        if self.stuck.contains(&key) {
            return false;
        }
        let mine = self.index.own(snapshot, pod, from);
        if mine <= 0 {
            return false;
        }
        let matched = self.index.matched_by(snapshot, pod);
        let owned = self.index.owned(snapshot, pod);
        let mut options: Vec<(i64, NodeId)> = self
            .nodes
            .iter()
            .filter(|&&n| n != from && self.index.own(snapshot, pod, n) < mine)
            .map(|&n| {
                let delta = self.index.delta(snapshot, pod, (from, n), &matched, &owned);
                (delta, n)
            })
            .collect();
        if options.is_empty() {
            return false;
        }
        options.sort();
        let mover = Mover {
            pod,
            from,
            matched: &matched,
            owned: &owned,
        };
        let index = &mut self.index;
        let done = (options[0].0 < 0 && mover.try_move(snapshot, index, &options))
            || mover.try_swap(snapshot, index, &options, &self.movable, self.deadline);
        if done {
            self.stuck.clear();
        } else {
            self.stuck.insert(key);
        }
        done
    }
}

/// The [`Alike`] key of `pod` on `node`.
fn alike(snapshot: &Snapshot, pod: PodId, node: NodeId) -> Alike {
    use std::hash::{Hash, Hasher};
    let p = snapshot.pod(pod);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.namespace.hash(&mut h);
    p.labels.hash(&mut h);
    (spec_key(&p.spec), node, h.finish())
}

/// Nodes (best first) a pod tries to swap into.
const SWAP_NODES: usize = 16;

/// A pod the search tries to move, with its terms.
struct Mover<'a> {
    pod: PodId,
    from: NodeId,
    /// The terms it matches ([`Index::matched_by`]).
    matched: &'a [usize],
    /// Its own terms ([`Index::owned`]).
    owned: &'a [(usize, bool)],
}

impl Mover<'_> {
    /// Moves the pod to the first of `options` (delta, node), best first,
    /// with a negative delta whose filters pass it. True when it moved.
    fn try_move(
        &self,
        snapshot: &mut Snapshot,
        index: &mut Index,
        options: &[(i64, NodeId)],
    ) -> bool {
        let pod = self.pod;
        snapshot.unassign(pod);
        let state = PodState::new(snapshot, pod);
        let to = options
            .iter()
            .take_while(|(d, _)| *d < 0)
            .map(|(_, n)| *n)
            .find(|&n| predicates::filter(snapshot, &state, n).is_ok());
        // Deltas and counts are taken with the pod in place.
        snapshot.assign(pod, self.from);
        let Some(to) = to else {
            return false;
        };
        index.apply((self.from, to), self.matched, self.owned);
        snapshot.assign(pod, to);
        true
    }

    /// Swaps the pod with a movable pod of one of `options`' nodes when the
    /// pair lowers the total and each passes the filters on the other's
    /// node (with the other already there). True when they swapped.
    fn try_swap(
        &self,
        snapshot: &mut Snapshot,
        index: &mut Index,
        options: &[(i64, NodeId)],
        movable: &HashSet<PodId>,
        deadline: Instant,
    ) -> bool {
        let (pod, from) = (self.pod, self.from);
        // The best few nodes, and one pod per spec on each: pods of one
        // workload on one node are alike, and a swap is tried O(1) times.
        for &(mine, to) in options.iter().take(SWAP_NODES) {
            for other in one_per_spec(snapshot, to, pod, movable) {
                if Instant::now() >= deadline {
                    return false;
                }
                let their_matched = index.matched_by(snapshot, other);
                let their_owned = index.owned(snapshot, other);
                let theirs = self.delta_after_move(
                    snapshot,
                    index,
                    other,
                    to,
                    (&their_matched, &their_owned),
                );
                if mine + theirs >= 0 || !self.swap_fits(snapshot, other, to) {
                    continue;
                }
                index.apply((from, to), self.matched, self.owned);
                snapshot.assign(pod, to);
                index.apply((to, from), &their_matched, &their_owned);
                snapshot.assign(other, from);
                return true;
            }
        }
        false
    }

    /// The delta of `other` moving from `to` to the pod's node once the
    /// pod is on `to` (exact: the index then holds the pod there); the
    /// index and snapshot are restored.
    fn delta_after_move(
        &self,
        snapshot: &mut Snapshot,
        index: &mut Index,
        other: PodId,
        to: NodeId,
        (their_matched, their_owned): (&[usize], &[(usize, bool)]),
    ) -> i64 {
        let (pod, from) = (self.pod, self.from);
        index.apply((from, to), self.matched, self.owned);
        snapshot.assign(pod, to);
        let theirs = index.delta(snapshot, other, (to, from), their_matched, their_owned);
        index.apply((to, from), self.matched, self.owned);
        snapshot.assign(pod, from);
        theirs
    }

    /// Whether the pod passes the filters on `to` with `other` already on
    /// the pod's node, and `other` on that node with the pod on `to`; the
    /// snapshot is restored.
    fn swap_fits(&self, snapshot: &mut Snapshot, other: PodId, to: NodeId) -> bool {
        let (pod, from) = (self.pod, self.from);
        snapshot.unassign(pod);
        snapshot.assign(other, from);
        let fits = predicates::filter(snapshot, &PodState::new(snapshot, pod), to).is_ok();
        let fits = fits && {
            snapshot.unassign(other);
            snapshot.assign(pod, to);
            predicates::filter(snapshot, &PodState::new(snapshot, other), from).is_ok()
        };
        snapshot.assign(pod, from);
        snapshot.assign(other, to);
        fits
    }
}

/// The movable pods of node `to` other than `pod`, one per spec.
fn one_per_spec(
    snapshot: &Snapshot,
    to: NodeId,
    pod: PodId,
    movable: &HashSet<PodId>,
) -> Vec<PodId> {
    let mut specs: HashSet<usize> = HashSet::new();
    snapshot
        .info(to)
        .pods
        .iter()
        .copied()
        .filter(|q| *q != pod && movable.contains(q))
        .filter(|q| specs.insert(spec_key(&snapshot.pod(*q).spec)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        labels, Node, NodeSelectorTerm, Operator, Pod, PodSpec, PreferredSchedulingTerm,
        Requirement, Resources, Taint,
    };

    fn node(name: &str, zone: &str, taints: Vec<Taint>) -> Node {
        Node {
            name: name.into(),
            labels: labels([
                ("kubernetes.io/hostname", name),
                ("topology.kubernetes.io/zone", zone),
            ]),
            taints,
            allocatable: Resources {
                milli_cpu: 4000,
                memory: 1 << 34,
                pods: 110,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn pod(name: &str, app: &str, spec: &Arc<PodSpec>) -> Pod {
        Pod {
            name: name.into(),
            namespace: "default".into(),
            labels: labels([("app", app)]),
            spec: Arc::clone(spec),
            ..Default::default()
        }
    }

    /// Two full nodes: the pod preferring the other zone gets there only by
    /// swapping with the pod without preferences, and does.
    #[test]
    fn a_swap_frees_the_preferred_node() {
        let prefers_b = Arc::new(PodSpec {
            requests: Resources {
                milli_cpu: 4000,
                ..Default::default()
            },
            preferred_node_affinity: vec![PreferredSchedulingTerm {
                weight: 4,
                term: NodeSelectorTerm {
                    match_expressions: vec![Requirement::new(
                        "topology.kubernetes.io/zone",
                        Operator::In,
                        &["b"],
                    )],
                    match_fields: vec![],
                },
            }],
            ..Default::default()
        });
        let plain = Arc::new(PodSpec {
            requests: Resources {
                milli_cpu: 4000,
                ..Default::default()
            },
            ..Default::default()
        });
        let cluster = Cluster {
            nodes: vec![node("n0", "a", vec![]), node("n1", "b", vec![])],
            pods: vec![pod("w", "web", &prefers_b), pod("x", "other", &plain)],
            ..Default::default()
        };
        let mut snapshot = Snapshot::new(&cluster);
        let placed = [(PodId(0), NodeId(0)), (PodId(1), NodeId(1))];
        for (p, n) in placed {
            snapshot.assign(p, n);
        }
        assert_eq!(total(&snapshot, &placed), 4);
        let far = Instant::now() + std::time::Duration::from_secs(60);
        assert_eq!(search(&mut snapshot, &placed, false, far), 1);
        assert_eq!(snapshot.placement(PodId(0)), Some(NodeId(1)));
        assert_eq!(snapshot.placement(PodId(1)), Some(NodeId(0)));
        let now = [(PodId(0), NodeId(1)), (PodId(1), NodeId(0))];
        assert_eq!(total(&snapshot, &now), 0);
    }
}
