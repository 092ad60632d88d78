//! Soft preferences: `place`'s third objective, after the cost of the new
//! nodes and the unplaced pods.
//!
//! **Violation weight.** A pending pod on a node violates, with weight:
//! - each of its `preferred_node_affinity` terms the node does not match:
//!   the term's weight (terms of weight 0 and empty terms are ignored, as
//!   upstream's NodeAffinity score ignores them);
//! - each `PreferNoSchedule` taint of the node it does not tolerate: 1
//!   (what kube-scheduler's TaintToleration score counts);
//! - each of its `preferred_pod_affinity` terms with no matching pod (other
//!   than itself) in the node's domain of the term's topology key: the
//!   term's weight (a node without the key has no domain: violated);
//! - each of its `preferred_pod_anti_affinity` terms with a matching pod
//!   (other than itself) in that domain: the term's weight.
//!
//! A plan's total is the sum over its placed pending pods ([`total`]).
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
//! spread selects (or their own required pod affinity) stay put (moving them could break that pod, which the
//! mover's own filters do not see). The result is kept only when the
//! final-state validator passes it; otherwise the search is redone with
//! every pod under hard spread or required affinity pinned, and when that
//! fails too, the plan is left as it was. The search gets half the time
//! left before the deadline `place` gives it (0.9 of the time limit), the
//! rest recounts and validates. `PODPLAN_DEBUG=1` traces it.
//!
//! Scenarios without preferred terms or `PreferNoSchedule` taints skip
//! all of this after one look at the pods' specs.

use super::plan::{self, Plan};
use crate::model::{
    Cluster, NodeId, PodAffinityTerm, PodId, PoolId, TaintEffect, UnsatisfiableAction,
};
use crate::predicates::inter_pod_affinity::term_matches;
use crate::predicates::{self, PodState, Snapshot};
use crate::report::place::{PlaceReport, PlanStats};
use crate::scoring::taint_toleration;
use crate::solvers::validate::validate_plan;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::Instant;

/// Domain of a node without the topology key.
const MISSING: u32 = u32::MAX;

/// The violation weight of `pod` placed on `node`, with every other pod of
/// the snapshot where it is (see the module docs). The pod itself never
/// counts for its own pod (anti-)affinity terms, wherever it is placed.
pub(crate) fn violations(snapshot: &Snapshot, pod: PodId, node: NodeId) -> i64 {
    let p = snapshot.pod(pod);
    let spec = &p.spec;
    let n = snapshot.node(node);
    let mut weight = static_weight(spec, n);
    let cluster = snapshot.cluster();
    let own = snapshot.placement(pod);
    let domain_of = |key: &str, id: NodeId| snapshot.node(id).labels.get(key).cloned();
    let signed = spec
        .preferred_pod_affinity
        .iter()
        .map(|t| (t, false))
        .chain(spec.preferred_pod_anti_affinity.iter().map(|t| (t, true)));
    for (t, anti) in signed {
        let w = i64::from(t.weight);
        let Some(value) = n.labels.get(&t.term.topology_key) else {
            weight += if anti { 0 } else { w };
            continue;
        };
        let mut count: i64 = 0;
        for g in snapshot.groups() {
            if !term_matches(&t.term, cluster, &g.namespace, &g.labels) {
                continue;
            }
            for (&other, &k) in &g.per_node {
                if domain_of(&t.term.topology_key, other).as_ref() == Some(value) {
                    count += i64::from(k);
                }
            }
        }
        // The pod itself, where it is placed, is no other pod.
        if let Some(at) = own {
            if term_matches(&t.term, cluster, &p.namespace, &p.labels)
                && domain_of(&t.term.topology_key, at).as_ref() == Some(value)
            {
                count -= 1;
            }
        }
        let violated = if anti { count > 0 } else { count <= 0 };
        if violated {
            weight += w;
        }
    }
    weight
}

/// The plan's total violation weight: the sum of [`violations`] over
/// `placed` (the placed pending pods), on the final `snapshot`.
pub(crate) fn total(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> u64 {
    if !has_preferences(snapshot, placed) {
        return 0;
    }
    let index = Index::new(snapshot, placed);
    placed
        .iter()
        .map(|&(pod, node)| index.own(snapshot, pod, node).max(0) as u64)
        .sum()
}

/// The total violation weight of a plain `place` / `simulate` report on
/// `cluster`, recomputed pod by pod with [`violations`] (independently of
/// the counts the search keeps; O(pods × pod groups), meant for checks).
/// None when the report does not replay (unknown pods or nodes, or a
/// `--repack` plan).
pub fn report_violations(cluster: &Cluster, report: &PlaceReport) -> Option<u64> {
    let (snapshot, placed) = replay(cluster, report)?;
    Some(
        placed
            .iter()
            .map(|&(pod, node)| violations(&snapshot, pod, node).max(0) as u64)
            .sum(),
    )
}

/// Improves the soft preferences of a `place` report (see the module
/// docs) without changing its nodes, cost or placed pods, and records the
/// plan's total in `stats.soft_violations`. Stops searching at `deadline`.
pub(crate) fn improve(cluster: &Cluster, report: &mut PlaceReport, deadline: Instant) {
    // The common case costs one look at the specs and taints.
    let tainted = |taints: &[crate::model::Taint]| {
        taints
            .iter()
            .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    };
    let mut seen: HashSet<usize> = HashSet::new();
    let any = cluster.nodes.iter().any(|n| tainted(&n.taints))
        || cluster.pools.iter().any(|p| tainted(&p.taints))
        || cluster.pending_pods().any(|id| {
            let spec = &cluster.pod(id).spec;
            seen.insert(spec_key(spec))
                && (!spec.preferred_node_affinity.is_empty()
                    || !spec.preferred_pod_affinity.is_empty()
                    || !spec.preferred_pod_anti_affinity.is_empty())
        });
    if !any {
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
    let debug = std::env::var_os("PODPLAN_DEBUG").is_some();
    for conservative in [false, true] {
        let began = Instant::now();
        if began >= deadline {
            return;
        }
        // Half the time left searches; the rest recounts and validates.
        let until = began + deadline.saturating_duration_since(began) / 2;
        let mut work = snapshot.clone();
        let moves = search(&mut work, &placed, conservative, until);
        if debug {
            eprintln!(
                "          preferences: {moves} moves in {} ms (conservative {conservative})",
                began.elapsed().as_millis()
            );
        }
        if moves == 0 {
            return;
        }
        let now: Vec<(PodId, NodeId)> = placed
            .iter()
            .map(|&(pod, node)| (pod, work.placement(pod).unwrap_or(node)))
            .collect();
        let after = total(&work, &now);
        if debug {
            eprintln!("          preferences: violations {before} -> {after}");
        }
        if after >= before {
            return;
        }
        let candidate = rewritten(report, &work, &now);
        let valid = validate_plan(cluster, &candidate);
        if debug {
            eprintln!(
                "          preferences: validated ({}) at {} ms",
                valid.is_ok(),
                began.elapsed().as_millis()
            );
        }
        if valid.is_ok() {
            *report = candidate;
            report.stats.soft_violations = after;
            return;
        }
    }
}

/// Whether any placed pod has a preferred term or any node a
/// `PreferNoSchedule` taint: without either every weight is 0.
fn has_preferences(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> bool {
    let tainted = snapshot.node_ids().any(|n| {
        snapshot
            .node(n)
            .taints
            .iter()
            .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    });
    tainted
        || placed.iter().any(|&(pod, _)| {
            let spec = &snapshot.pod(pod).spec;
            !spec.preferred_node_affinity.is_empty()
                || !spec.preferred_pod_affinity.is_empty()
                || !spec.preferred_pod_anti_affinity.is_empty()
        })
}

/// The node-local part of the weight: unmatched preferred node affinity
/// terms and untolerated `PreferNoSchedule` taints.
fn static_weight(spec: &crate::model::PodSpec, node: &crate::model::Node) -> i64 {
    let affinity: i64 = spec
        .preferred_node_affinity
        .iter()
        .filter(|t| {
            t.weight != 0
                && !(t.term.match_expressions.is_empty() && t.term.match_fields.is_empty())
                && !t.term.matches(&node.labels, &node.name)
        })
        .map(|t| i64::from(t.weight))
        .sum();
    let taints = if node
        .taints
        .iter()
        .any(|t| t.effect == TaintEffect::PreferNoSchedule)
    {
        let tolerations = taint_toleration::prefer_no_schedule_tolerations(&spec.tolerations);
        taint_toleration::score(&node.taints, &tolerations)
    } else {
        0
    };
    affinity + taints
}

/// The final state of a plain `place` report: the cluster, its new nodes
/// (those the cluster does not hold already) and every assignment. None
/// when a name does not resolve (then nothing is changed).
fn replay<'c>(
    cluster: &'c Cluster,
    report: &PlaceReport,
) -> Option<(Snapshot<'c>, Vec<(PodId, NodeId)>)> {
    if !report.removable_nodes.is_empty() {
        return None;
    }
    let mut snapshot = Snapshot::new(cluster);
    let mut node_ids: HashMap<String, NodeId> = snapshot
        .node_ids()
        .map(|id| (snapshot.node(id).name.clone(), id))
        .collect();
    for (pool_name, count) in &report.new_nodes {
        let pool_id = cluster.pool_by_name(pool_name)?;
        let pool = cluster.pools.get(pool_id.index())?;
        // New nodes already in the cluster (a pool's minCount, planned in).
        let present = cluster
            .nodes
            .iter()
            .filter(|n| n.pool == Some(pool_id) && n.is_new)
            .count() as u32;
        for k in 0..count.saturating_sub(present) as usize {
            let node = pool.new_node(PoolId(pool_id.0), k);
            let name = node.name.clone();
            let id = snapshot.add_node(node);
            node_ids.insert(name, id);
        }
    }
    let pod_ids: HashMap<String, PodId> = cluster
        .pending_pods()
        .map(|id| (cluster.pod(id).key(), id))
        .collect();
    let mut placed = Vec::with_capacity(report.assignments.len());
    for a in &report.assignments {
        let pod = *pod_ids.get(&a.pod)?;
        let node = *node_ids.get(&a.node)?;
        snapshot.assign(pod, node);
        placed.push((pod, node));
    }
    Some((snapshot, placed))
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

/// One distinct preferred pod (anti-)affinity term.
struct Term {
    /// Index into [`Index::domains`].
    key: usize,
    weight: i64,
    anti: bool,
    term: PodAffinityTerm,
}

/// Counts the weights need, kept in step with the moves.
struct Index {
    /// Per topology key, each node's domain (or [`MISSING`]).
    domains: Vec<Vec<u32>>,
    terms: Vec<Term>,
    /// Per term, the placed pods matching it per domain.
    counts: Vec<Vec<i64>>,
    /// Per term, the placed pending pods holding it per domain:
    /// `[not matching it themselves, matching it]`.
    owners: Vec<Vec<[i64; 2]>>,
    /// Per spec (pointer), its terms.
    spec_terms: HashMap<usize, Vec<usize>>,
    /// Per spec (pointer), the node-local weight on each node.
    statics: HashMap<usize, Vec<i64>>,
}

fn spec_key(spec: &Arc<crate::model::PodSpec>) -> usize {
    Arc::as_ptr(spec) as usize
}

impl Index {
    fn new(snapshot: &Snapshot, placed: &[(PodId, NodeId)]) -> Self {
        let cluster = snapshot.cluster();
        let node_count = snapshot.node_count();
        let mut keys: Vec<String> = Vec::new();
        let mut terms: Vec<Term> = Vec::new();
        let mut spec_terms: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut statics: HashMap<usize, Vec<i64>> = HashMap::new();
        for &(pod, _) in placed {
            let spec = &snapshot.pod(pod).spec;
            let sk = spec_key(spec);
            if spec_terms.contains_key(&sk) {
                continue;
            }
            statics.insert(
                sk,
                snapshot
                    .node_ids()
                    .map(|n| static_weight(spec, snapshot.node(n)))
                    .collect(),
            );
            let mut mine = Vec::new();
            let signed = spec
                .preferred_pod_affinity
                .iter()
                .map(|t| (t, false))
                .chain(spec.preferred_pod_anti_affinity.iter().map(|t| (t, true)));
            for (t, anti) in signed {
                let key = match keys.iter().position(|k| *k == t.term.topology_key) {
                    Some(k) => k,
                    None => {
                        keys.push(t.term.topology_key.clone());
                        keys.len() - 1
                    }
                };
                mine.push(terms.len());
                terms.push(Term {
                    key,
                    weight: i64::from(t.weight),
                    anti,
                    term: t.term.clone(),
                });
            }
            spec_terms.insert(sk, mine);
        }
        let domains: Vec<Vec<u32>> = keys
            .iter()
            .map(|key| {
                let mut values: HashMap<&str, u32> = HashMap::new();
                snapshot
                    .node_ids()
                    .map(|n| match snapshot.node(n).labels.get(key) {
                        Some(v) => {
                            let next = values.len() as u32;
                            *values.entry(v.as_str()).or_insert(next)
                        }
                        None => MISSING,
                    })
                    .collect()
            })
            .collect();
        let mut counts: Vec<Vec<i64>> = terms
            .iter()
            .map(|t| {
                let width = domains[t.key]
                    .iter()
                    .filter(|d| **d != MISSING)
                    .max()
                    .map_or(0, |m| *m as usize + 1);
                vec![0; width]
            })
            .collect();
        let mut owners: Vec<Vec<[i64; 2]>> = counts.iter().map(|c| vec![[0; 2]; c.len()]).collect();
        for g in snapshot.groups() {
            for (ti, t) in terms.iter().enumerate() {
                if !term_matches(&t.term, cluster, &g.namespace, &g.labels) {
                    continue;
                }
                for (&node, &k) in &g.per_node {
                    let d = domains[t.key][node.index()];
                    if d != MISSING {
                        counts[ti][d as usize] += i64::from(k);
                    }
                }
            }
        }
        let mut index = Index {
            domains,
            terms,
            counts,
            owners: Vec::new(),
            spec_terms,
            statics,
        };
        debug_assert!(node_count == index.domains.first().map_or(node_count, Vec::len));
        for &(pod, node) in placed {
            for (t, matched) in index.owned(snapshot, pod) {
                let d = index.domains[index.terms[t].key][node.index()];
                if d != MISSING {
                    owners[t][d as usize][usize::from(matched)] += 1;
                }
            }
        }
        index.owners = owners;
        index
    }

    /// The terms of `pod`'s spec, each with whether the pod matches it.
    fn owned(&self, snapshot: &Snapshot, pod: PodId) -> Vec<(usize, bool)> {
        let p = snapshot.pod(pod);
        let cluster = snapshot.cluster();
        self.spec_terms
            .get(&spec_key(&p.spec))
            .map(|ts| {
                ts.iter()
                    .map(|&t| {
                        (
                            t,
                            term_matches(&self.terms[t].term, cluster, &p.namespace, &p.labels),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The terms (of any placed pending pod) that `pod` matches.
    fn matched_by(&self, snapshot: &Snapshot, pod: PodId) -> Vec<usize> {
        let p = snapshot.pod(pod);
        let cluster = snapshot.cluster();
        (0..self.terms.len())
            .filter(|&t| term_matches(&self.terms[t].term, cluster, &p.namespace, &p.labels))
            .collect()
    }

    /// `pod`'s own weight on `node`, the other pods where they are (the pod
    /// itself, if placed, not counting for its terms).
    fn own(&self, snapshot: &Snapshot, pod: PodId, node: NodeId) -> i64 {
        let spec = &snapshot.pod(pod).spec;
        let sk = spec_key(spec);
        let mut weight = match self.statics.get(&sk) {
            Some(s) => s[node.index()],
            None => static_weight(spec, snapshot.node(node)),
        };
        let at = snapshot.placement(pod);
        for (t, matched) in self.owned(snapshot, pod) {
            let term = &self.terms[t];
            let d = self.domains[term.key][node.index()];
            if d == MISSING {
                weight += if term.anti { 0 } else { term.weight };
                continue;
            }
            let mut count = self.counts[t][d as usize];
            if matched && at.is_some_and(|a| self.domains[term.key][a.index()] == d) {
                count -= 1;
            }
            let violated = if term.anti { count > 0 } else { count <= 0 };
            if violated {
                weight += term.weight;
            }
        }
        weight
    }

    /// Change of the plan's total when `pod` moves from `from` to `to`:
    /// its own weight, and the weights of the other owners of the terms
    /// it matches (`matched`) in the two domains.
    fn delta(
        &self,
        snapshot: &Snapshot,
        pod: PodId,
        (from, to): (NodeId, NodeId),
        matched: &[usize],
        owned: &[(usize, bool)],
    ) -> i64 {
        let mut delta = self.own(snapshot, pod, to) - self.own(snapshot, pod, from);
        for &t in matched {
            let term = &self.terms[t];
            let a = self.domains[term.key][from.index()];
            let b = self.domains[term.key][to.index()];
            if a == b {
                continue;
            }
            // Pods flipping between violated and not, per domain: an owner
            // that does not match the term sees `count` others, one that
            // does sees `count - 1`.
            let w = term.weight;
            let sign = if term.anti { -1 } else { 1 };
            if a != MISSING {
                let c = self.counts[t][a as usize];
                let [mut plain, mut selfish] = self.owners[t][a as usize];
                if let Some((_, m)) = owned.iter().find(|(o, _)| *o == t) {
                    if *m {
                        selfish -= 1;
                    } else {
                        plain -= 1;
                    }
                }
                // The pod leaves: others drop by one.
                if c == 1 {
                    delta += sign * w * plain;
                }
                if c == 2 {
                    delta += sign * w * selfish;
                }
            }
            if b != MISSING {
                let c = self.counts[t][b as usize];
                let [plain, selfish] = self.owners[t][b as usize];
                // The pod arrives: others grow by one.
                if c == 0 {
                    delta -= sign * w * plain;
                }
                if c == 1 {
                    delta -= sign * w * selfish;
                }
            }
        }
        delta
    }

    /// Records the move of `pod` from `from` to `to`.
    fn apply(&mut self, (from, to): (NodeId, NodeId), matched: &[usize], owned: &[(usize, bool)]) {
        for &t in matched {
            let key = self.terms[t].key;
            let (a, b) = (
                self.domains[key][from.index()],
                self.domains[key][to.index()],
            );
            if a != MISSING {
                self.counts[t][a as usize] -= 1;
            }
            if b != MISSING {
                self.counts[t][b as usize] += 1;
            }
        }
        for &(t, m) in owned {
            let key = self.terms[t].key;
            let (a, b) = (
                self.domains[key][from.index()],
                self.domains[key][to.index()],
            );
            if a != MISSING {
                self.owners[t][a as usize][usize::from(m)] -= 1;
            }
            if b != MISSING {
                self.owners[t][b as usize][usize::from(m)] += 1;
            }
        }
    }
}

/// Pods whose move could break another pod's hard constraint unseen by the
/// mover's filters: those selected by a placed pod's required pod affinity
/// term or `DoNotSchedule` spread constraint — of another spec, or when
/// `conservative`, of any spec (the pod's own included).
fn pinned(snapshot: &Snapshot, placed: &[(PodId, NodeId)], conservative: bool) -> HashSet<PodId> {
    let cluster = snapshot.cluster();
    let mut specs: HashMap<usize, (Arc<crate::model::PodSpec>, String)> = HashMap::new();
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
    let mut index = Index::new(snapshot, placed);
    let pinned = pinned(snapshot, placed, conservative);
    let candidates: Vec<PodId> = placed
        .iter()
        .map(|(pod, _)| *pod)
        .filter(|pod| !pinned.contains(pod))
        .collect();
    let movable: HashSet<PodId> = candidates.iter().copied().collect();
    let nodes: Vec<NodeId> = snapshot.node_ids().collect();
    let mut changes = 0;
    // Pods alike (spec, namespace, labels) on the same node fare alike:
    // once one found nothing, the others are skipped until something
    // changes.
    let mut stuck: HashSet<(usize, NodeId, u64)> = HashSet::new();
    let alike = |snapshot: &Snapshot, pod: PodId, node: NodeId| {
        use std::hash::{Hash, Hasher};
        let p = snapshot.pod(pod);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        p.namespace.hash(&mut h);
        p.labels.hash(&mut h);
        (spec_key(&p.spec), node, h.finish())
    };
    // Each change strictly lowers the total, which is bounded below: the
    // cap on passes only guards the time.
    for _ in 0..64 {
        let mut changed = false;
        for &pod in &candidates {
            if Instant::now() >= deadline {
                return changes;
            }
            let Some(from) = snapshot.placement(pod) else {
                continue;
            };
            let key = alike(snapshot, pod, from);
            if stuck.contains(&key) {
                continue;
            }
            let mine = index.own(snapshot, pod, from);
            if mine <= 0 {
                continue;
            }
            let matched = index.matched_by(snapshot, pod);
            let owned = index.owned(snapshot, pod);
            let mut options: Vec<(i64, NodeId)> = nodes
                .iter()
                .filter(|&&n| n != from && index.own(snapshot, pod, n) < mine)
                .map(|&n| (index.delta(snapshot, pod, (from, n), &matched, &owned), n))
                .collect();
            if options.is_empty() {
                continue;
            }
            options.sort();
            let mover = Mover {
                pod,
                from,
                matched: &matched,
                owned: &owned,
            };
            let done = (options[0].0 < 0 && mover.try_move(snapshot, &mut index, &options))
                || mover.try_swap(snapshot, &mut index, &options, &movable, deadline);
            if done {
                changed = true;
                changes += 1;
                stuck.clear();
            } else {
                stuck.insert(key);
            }
        }
        if !changed {
            break;
        }
    }
    changes
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
            let mut specs: HashSet<usize> = HashSet::new();
            let others: Vec<PodId> = snapshot
                .info(to)
                .pods
                .iter()
                .copied()
                .filter(|q| *q != pod && movable.contains(q))
                .filter(|q| specs.insert(spec_key(&snapshot.pod(*q).spec)))
                .collect();
            for other in others {
                if Instant::now() >= deadline {
                    return false;
                }
                // The other's delta, once the pod has moved (exact: the
                // index then holds the pod on `to`).
                let their_matched = index.matched_by(snapshot, other);
                let their_owned = index.owned(snapshot, other);
                index.apply((from, to), self.matched, self.owned);
                snapshot.assign(pod, to);
                let theirs = index.delta(snapshot, other, (to, from), &their_matched, &their_owned);
                index.apply((to, from), self.matched, self.owned);
                snapshot.assign(pod, from);
                if mine + theirs >= 0 {
                    continue;
                }
                // Each on the other's node, the other one already there.
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
                if fits {
                    index.apply((from, to), self.matched, self.owned);
                    snapshot.assign(pod, to);
                    index.apply((to, from), &their_matched, &their_owned);
                    snapshot.assign(other, from);
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        labels, LabelSelector, Node, NodeSelectorTerm, Operator, Pod, PodSpec,
        PreferredSchedulingTerm, Requirement, Resources, Taint, WeightedPodAffinityTerm,
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

    /// The indexed total equals the sum of the brute-force [`violations`]
    /// on every placement of three pods with all kinds of preference over
    /// three nodes (27 placements), and a move's delta is the change of
    /// the total.
    #[test]
    fn index_agrees_with_brute_force() {
        let term = |key: &str, app: &str| PodAffinityTerm {
            selector: LabelSelector::from_labels(&labels([("app", app)])),
            namespaces: vec!["default".into()],
            namespace_selector: None,
            topology_key: key.into(),
        };
        let spec = Arc::new(PodSpec {
            preferred_node_affinity: vec![PreferredSchedulingTerm {
                weight: 3,
                term: NodeSelectorTerm {
                    match_expressions: vec![Requirement::new(
                        "topology.kubernetes.io/zone",
                        Operator::In,
                        &["b"],
                    )],
                    match_fields: vec![],
                },
            }],
            preferred_pod_anti_affinity: vec![WeightedPodAffinityTerm {
                weight: 5,
                term: term("kubernetes.io/hostname", "web"),
            }],
            preferred_pod_affinity: vec![WeightedPodAffinityTerm {
                weight: 7,
                term: term("topology.kubernetes.io/zone", "db"),
            }],
            ..Default::default()
        });
        let plain = Arc::new(PodSpec::default());
        let cluster = Cluster {
            nodes: vec![
                node("n0", "a", vec![]),
                node("n1", "b", vec![]),
                node(
                    "n2",
                    "b",
                    vec![Taint {
                        key: "k".into(),
                        value: "v".into(),
                        effect: TaintEffect::PreferNoSchedule,
                    }],
                ),
            ],
            pods: vec![
                pod("w0", "web", &spec),
                pod("w1", "web", &spec),
                pod("d0", "db", &plain),
            ],
            ..Default::default()
        };
        let mut checked = 0;
        for code in 0..27u32 {
            let at = [code % 3, code / 3 % 3, code / 9];
            let mut snapshot = Snapshot::new(&cluster);
            let placed: Vec<(PodId, NodeId)> = at
                .iter()
                .enumerate()
                .map(|(p, n)| (PodId(p as u32), NodeId(*n)))
                .collect();
            for &(p, n) in &placed {
                snapshot.assign(p, n);
            }
            let brute: i64 = placed
                .iter()
                .map(|&(p, n)| violations(&snapshot, p, n))
                .sum();
            assert_eq!(total(&snapshot, &placed), brute as u64, "placement {at:?}");
            // Every move of every pod: the delta is the total's change.
            let index = Index::new(&snapshot, &placed);
            for &(p, from) in &placed {
                for to in (0..3).map(NodeId).filter(|n| *n != from) {
                    let matched = index.matched_by(&snapshot, p);
                    let owned = index.owned(&snapshot, p);
                    let delta = index.delta(&snapshot, p, (from, to), &matched, &owned);
                    let mut after = snapshot.clone();
                    after.assign(p, to);
                    let moved: Vec<(PodId, NodeId)> = placed
                        .iter()
                        .map(|&(q, n)| (q, if q == p { to } else { n }))
                        .collect();
                    let sum: i64 = moved.iter().map(|&(q, n)| violations(&after, q, n)).sum();
                    assert_eq!(brute + delta, sum, "{at:?}: pod {p:?} to {to:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 27 * 3 * 2);
    }
}
