//! `place --repack`: consolidation. Bound pods may move too, so that
//! existing nodes can be emptied and removed; the plan says which
//! (`removableNodes`), where every moved pod goes, and what it costs.
//!
//! # What may move (cluster-autoscaler's scale-down rules, by default)
//!
//! A bound pod is one of three things ([`role`]):
//!
//! - **goes with its node**: DaemonSet pods (kubectl drain's
//!   `--ignore-daemonsets`; also those the snapshot synthesises), mirror
//!   pods of static manifests (controller kind `Node`), and pods already
//!   terminating. They never move and never keep a node: when the node
//!   goes, they go with it — as cluster-autoscaler and Karpenter skip them.
//! - **pins its node** (the node is never removed, and the pod stays):
//!   - a pod without a controller: it would be deleted, not recreated
//!     (cluster-autoscaler's default; kubectl drain without `--force`;
//!     `podplan drain`'s `UnmanagedPod`). Karpenter evicts such pods; a plan
//!     that silently deletes a workload is not a consolidation.
//!   - a pod with an `emptyDir` volume: its data would be lost
//!     (cluster-autoscaler's `--skip-nodes-with-local-storage=true`
//!     default; `podplan drain`'s `LocalStorage`).
//!   - a `kube-system` pod no PodDisruptionBudget guards
//!     (cluster-autoscaler's `--skip-nodes-with-system-pods=true` default:
//!     system pods are moved only when their owners said how, with a PDB).
//! - **moves**: every other bound pod (it has a controller that recreates
//!   it). A moved pod is placed like a pending one — without `nodeName`,
//!   with every filter plugin on the final state.
//!
//! PodDisruptionBudgets are *not* checked: the plan is a target state, not
//! a sequence of evictions. `podplan drain --nodes <removableNodes>` plans
//! the safe way there (waves within each budget) and names what blocks it.
//!
//! Only existing nodes of a pool with a positive `costPerHour` are
//! candidates (removing anything else saves nothing; nodes outside every
//! pool are not the autoscaler's to remove), and never below the pool's
//! `minCount` (kept plus new nodes), as cluster-autoscaler never shrinks a
//! node group below its minimum.
//!
//! # Objective and report
//!
//! `cost` is the hourly cost of every node in the plan: existing nodes kept
//! (at their pool's `costPerHour`; nodes outside every pool cost 0) plus new
//! nodes. It is minimised, subject to placing at least the pods the plain
//! plan places, every moved pod included (a plan that saves money by
//! leaving running pods pending is no consolidation). `removableNodes` are
//! the existing nodes the plan empties; `assignments` list the pending pods
//! and the moved bound pods; `stats.method` says how much the removal saves.
//!
//! # Algorithm
//!
//! 1. The plain plan ([`super::place`] without `--repack`): the starting
//!    point, so a repack plan is never worse.
//! 2. Candidates, cluster-autoscaler's scale-down order: least utilised
//!    first (the larger of requested CPU and memory over allocatable, all
//!    pods counted), then fewer pods to move, then the more expensive node.
//!    Unlike cluster-autoscaler there is no 50% utilisation threshold: the
//!    plan is computed, not acted on, so every candidate is tried.
//! 3. Screening, as cluster-autoscaler's scale-down simulation: on the
//!    final state of the plan, each candidate in turn is cordoned and its
//!    pods are re-placed on the other nodes (existing and new, the ones
//!    already emptied excluded), first fit on the most allocated node with
//!    every filter plugin; when all fit, the node is marked empty.
//! 4. The nodes so emptied are removed for real: their movable pods become
//!    pending on a copy of the cluster without those nodes, and the whole
//!    `place` pipeline plans them with the pending pods (it may also add a
//!    cheaper node). The result is kept when it places as many pods and
//!    costs less; else the first half of the nodes is tried, and so on.
//! 5. Replacement, as Karpenter's consolidation: each remaining candidate,
//!    one at a time, is removed on top, its pods planned by `place` — which
//!    may buy a cheaper node for them — and kept when the cost drops.
//! 6. When the plan buys new nodes, each removed node is tried back in:
//!    at equal cost, fewer moved pods win (no churn for nothing).
//!
//! Every `place` call gets a share of the time limit; phases stop when it
//! runs out. The chosen plan is validated on its final state
//! ([`crate::check::validate::validate_repack_plan`]).
//!
//! # Lower bound
//!
//! `lowerBound` is the optimum of a relaxation, solved as an LP and then as
//! a MILP with integer node counts when time allows ([`lower_bound`]):
//! every existing node is a bin — kept for sure (with its pinned pods) or,
//! for a candidate, bought at its pool's cost with room for everything but
//! the pods that go with it; new nodes are bought per pool and zone; the
//! pods to place (movable bound pods and the plan's placed pending pods)
//! are split fractionally over the bins their node-local filters accept,
//! per resource, one per node for pods that allow only one. Inter-pod
//! affinity, spread and `minCount` are dropped, and existing nodes alike
//! are merged into one bin: a valid but weaker bound than `place`'s
//! configuration LP (it ignores how pods pack into single nodes), so a
//! repack plan is often `feasible` with an honest gap, `optimal` only when
//! the cost meets this bound.

#![allow(clippy::needless_range_loop)]

use crate::check::validate::validate_repack_plan;
use crate::engine::classes::{node_types, HOSTNAME};
use crate::engine::drainability::{drainability, Drainability, Policy};
use crate::engine::lp::{backend, seconds_until, IntegerIf};
use crate::error::Result;
use crate::model::{Cluster, NodeId, Pod, PodId, PoolId, Resources};
use crate::predicates::{self, node_affinity, NodeInfo, PodState, Snapshot};
use crate::report::place::{PlaceOptions, PlaceReport, PlanStatus};
use good_lp::{
    constraint, variable, Expression, ProblemVariables, Solution, SolutionStatus, SolverModel,
    Variable, WithTimeLimit,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use web_time::{Duration, Instant};

/// One evaluated set of removed nodes.
struct Trial {
    removed: Vec<NodeId>,
    report: PlaceReport,
    /// Hourly cost of every node of the plan.
    cost: f64,
    moved: usize,
}

/// Plans with bound pods allowed to move (see the module docs).
pub(crate) fn consolidate(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    let start = Instant::now();
    let limit = options.time_limit.max(0.05);
    let at = |share: f64| start + Duration::from_secs_f64(limit * share);
    let (base_until, screen_until, search_until, bound_until) =
        (at(0.25), at(0.4), at(0.8), at(0.92));
    let plain = |c: &Cluster, until: Instant| {
        let options = PlaceOptions {
            time_limit: seconds_until(until),
            repack: false,
        };
        super::place::place(c, &options)
    };
    let debug = std::env::var_os("PODPLAN_DEBUG").is_some();

    // 1. The plain plan.
    let base = plain(cluster, base_until)?;
    let existing_cost: f64 = (0..cluster.nodes.len())
        .map(|i| cluster.node_cost(NodeId(i as u32)))
        .sum();
    let snapshot = Snapshot::new(cluster);
    let roles: Vec<Drainability> = (0..snapshot.pod_count())
        .map(|i| {
            let id = PodId(i as u32);
            if snapshot.placement(id).is_some() {
                drainability(cluster, id, Policy::scale_down())
            } else {
                Drainability::Moves
            }
        })
        .collect();
    let candidates = candidates(cluster, &snapshot, &roles);
    let mut best = Trial {
        removed: Vec::new(),
        cost: existing_cost + base.cost,
        report: base,
        moved: 0,
    };
    let base_unplaced = best.report.unplaced.len();
    let mut time_limit_hit = best.report.stats.time_limit_hit;
    if debug {
        eprintln!(
            "{:>8} ms  repack: plain plan {:.3}, {} candidates",
            start.elapsed().as_millis(),
            best.cost,
            candidates.len()
        );
    }

    // Evaluates removing `removed`: the plan of the cluster without them.
    let evaluate = |removed: &[NodeId], until: Instant| -> Option<Trial> {
        let removed_set: HashSet<NodeId> = removed.iter().copied().collect();
        let moved: HashSet<PodId> = cluster
            .bound_pods()
            .filter(|p| {
                cluster
                    .pod(*p)
                    .node
                    .is_some_and(|n| removed_set.contains(&n))
                    && roles[p.index()] == Drainability::Moves
            })
            .collect();
        let reduced = cluster.without_nodes(&removed_set, &moved);
        let report = plain(&reduced, until).ok()?;
        let moved_keys: HashSet<String> = moved.iter().map(|p| cluster.pod(*p).key()).collect();
        if report.unplaced.iter().any(|u| moved_keys.contains(&u.pod))
            || report.unplaced.len() > base_unplaced
        {
            return None;
        }
        let kept: f64 = existing_cost - removed.iter().map(|n| cluster.node_cost(*n)).sum::<f64>();
        let trial = Trial {
            removed: removed.to_vec(),
            cost: kept + report.cost,
            report,
            moved: moved.len(),
        };
        // Below minCount with the plan's new nodes counted too.
        min_counts_hold(cluster, &trial).then_some(trial)
    };
    // Cheaper, or as cheap with fewer pods moved (no churn for nothing).
    let is_better = |t: &Trial, best: &Trial| {
        t.report.unplaced.len() <= best.report.unplaced.len()
            && (t.cost < best.cost - 1e-9 || (t.cost <= best.cost + 1e-9 && t.moved < best.moved))
    };
    // Whether a trial passes the final check, as a repack report.
    let valid = |t: &Trial| {
        let report = finish(cluster, t, t.cost, PlanStatus::Feasible);
        validate_repack_plan(cluster, &report).is_ok()
    };

    // The bound for plans placing every pending pod, early: the search
    // stops once a plan meets it.
    let all_pending: Vec<PodId> = cluster.pending_pods().collect();
    let early = if best.report.unplaced.is_empty() {
        lower_bound(
            cluster,
            &snapshot,
            &roles,
            &candidates,
            &all_pending,
            screen_until,
        )
    } else {
        None
    };
    let proven = |t: &Trial| {
        t.report.unplaced.is_empty() && early.is_some_and(|l| t.cost <= l + 2e-6 * (1.0 + t.cost))
    };

    // 3. Screening on the plain plan's final state.
    let screened = screen(cluster, &best.report, &candidates, &roles, screen_until);
    time_limit_hit |= Instant::now() >= screen_until;
    if debug {
        eprintln!(
            "{:>8} ms  repack: {} nodes emptied in screening",
            start.elapsed().as_millis(),
            screened.len()
        );
    }
    // 4. Remove them for real; halve on failure.
    let mut take = screened.len();
    while take > 0 && Instant::now() < search_until && !proven(&best) {
        let share = seconds_until(search_until) / 2.0;
        let until = Instant::now() + Duration::from_secs_f64(share);
        match evaluate(&screened[..take], until) {
            Some(t) if is_better(&t, &best) && valid(&t) => {
                best = t;
                break;
            }
            _ => take /= 2,
        }
    }
    if debug {
        eprintln!(
            "{:>8} ms  repack: {} removed, cost {:.3}",
            start.elapsed().as_millis(),
            best.removed.len(),
            best.cost
        );
    }
    // 5. One more node at a time, its pods planned by place.
    let mut tried = 0;
    for &c in &candidates {
        if best.removed.contains(&c) {
            continue;
        }
        if proven(&best) {
            break;
        }
        if Instant::now() >= search_until {
            time_limit_hit = true;
            break;
        }
        let share = (seconds_until(search_until) / 3.0).max(0.05);
        let until = Instant::now() + Duration::from_secs_f64(share);
        let mut removed = best.removed.clone();
        removed.push(c);
        tried += 1;
        if let Some(t) = evaluate(&removed, until) {
            if is_better(&t, &best) && valid(&t) {
                if debug {
                    eprintln!(
                        "{:>8} ms  repack: + {}, cost {:.3}",
                        start.elapsed().as_millis(),
                        cluster.node(c).name,
                        t.cost
                    );
                }
                best = t;
            }
        }
    }

    // 6. Keep back what need not go: a removed node whose pods only
    // bought a new node (as cheap) stays, with its pods.
    for i in (0..best.removed.len()).rev() {
        if Instant::now() >= search_until || i >= best.removed.len() {
            break;
        }
        if best.report.new_nodes.is_empty() {
            break;
        }
        let mut removed = best.removed.clone();
        removed.remove(i);
        let share = (seconds_until(search_until) / 3.0).max(0.05);
        let until = Instant::now() + Duration::from_secs_f64(share);
        if let Some(t) = evaluate(&removed, until) {
            if is_better(&t, &best) && valid(&t) {
                best = t;
            }
        }
    }

    // Bound over all repack plans placing the same pods.
    let placed_pending: Vec<PodId> = {
        let keys: HashSet<&str> = best
            .report
            .assignments
            .iter()
            .map(|a| a.pod.as_str())
            .collect();
        cluster
            .pending_pods()
            .filter(|p| keys.contains(cluster.pod(*p).key().as_str()))
            .collect()
    };
    let lower = if best.report.unplaced.is_empty() && early.is_some() {
        early
    } else {
        lower_bound(
            cluster,
            &snapshot,
            &roles,
            &candidates,
            &placed_pending,
            bound_until,
        )
    };
    time_limit_hit |= Instant::now() >= bound_until;
    let cost = best.cost;
    let lower = match lower {
        Some(l) if cost <= l + 2e-6 * (1.0 + cost) => cost,
        Some(l) => l.min(cost).max(0.0),
        None => 0.0,
    };
    let status = if !best.report.unplaced.is_empty() {
        PlanStatus::Infeasible
    } else if cost <= lower {
        PlanStatus::Optimal
    } else {
        PlanStatus::Feasible
    };
    let mut report = finish(cluster, &best, lower, status);
    let saved = best
        .removed
        .iter()
        .fold(0.0, |sum, n| sum + cluster.node_cost(*n));
    let movable = roles
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            **r == Drainability::Moves && cluster.pods.get(*i).is_some_and(|p| p.is_bound())
        })
        .count();
    report.stats.method = format!(
        "repack: {} of {} candidate nodes removable (saves {:.3}/h), {} pods moved, {} single-node trials; {}",
        best.removed.len(),
        candidates.len(),
        saved,
        best.moved,
        tried,
        report.stats.method
    );
    report.stats.pods = placed_pending.len() + best.report.unplaced.len() + movable;
    report.stats.solve_millis = start.elapsed().as_millis() as u64;
    report.stats.time_limit_hit = time_limit_hit;
    Ok(report)
}

/// The repack report of a trial: its plan with the removed nodes, the cost
/// of every node kept, the given bound and status.
fn finish(cluster: &Cluster, t: &Trial, lower: f64, status: PlanStatus) -> PlaceReport {
    let mut report = t.report.clone();
    let mut removed = t.removed.clone();
    removed.sort();
    report.removable_nodes = removed
        .iter()
        .map(|n| cluster.node(*n).name.clone())
        .collect();
    report.cost = t.cost;
    report.lower_bound = lower;
    report.status = status;
    report
}

/// Existing nodes that may be removed, in cluster-autoscaler's order (see
/// the module docs).
fn candidates(cluster: &Cluster, snapshot: &Snapshot, roles: &[Drainability]) -> Vec<NodeId> {
    let mut list: Vec<(f64, usize, f64, NodeId)> = Vec::new();
    for i in 0..cluster.nodes.len() {
        let id = NodeId(i as u32);
        let cost = cluster.node_cost(id);
        if cost <= 0.0 {
            continue;
        }
        let info = snapshot.info(id);
        if info
            .pods
            .iter()
            .any(|p| matches!(roles.get(p.index()), Some(Drainability::Blocked(_))))
        {
            continue;
        }
        let moving = info
            .pods
            .iter()
            .filter(|p| roles.get(p.index()) == Some(&Drainability::Moves))
            .count();
        let alloc = &cluster.node(id).allocatable;
        let ratio = |used: i64, total: i64| {
            if total > 0 {
                used as f64 / total as f64
            } else {
                0.0
            }
        };
        let utilisation = ratio(info.requested.milli_cpu, alloc.milli_cpu)
            .max(ratio(info.requested.memory, alloc.memory));
        list.push((utilisation, moving, cost, id));
    }
    list.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(b.2.total_cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });
    list.into_iter().map(|(_, _, _, id)| id).collect()
}

/// Every pool a node was removed from keeps at least `minCount` nodes,
/// new ones included.
fn min_counts_hold(cluster: &Cluster, t: &Trial) -> bool {
    cluster.pool_minimums_hold(&t.removed, &t.report.new_nodes)
}

/// cluster-autoscaler's scale-down simulation on the plan's final state:
/// the candidates whose pods all fit on the other nodes, in order, each
/// one's pods staying where they went for the next.
fn screen(
    cluster: &Cluster,
    plan: &PlaceReport,
    candidates: &[NodeId],
    roles: &[Drainability],
    until: Instant,
) -> Vec<NodeId> {
    let mut snap = Snapshot::new(cluster);
    let mut names: HashMap<String, NodeId> = snap
        .node_ids()
        .map(|id| (snap.node(id).name.clone(), id))
        .collect();
    for (pool_name, count) in &plan.new_nodes {
        let Some(pool_id) = cluster.pool_by_name(pool_name) else {
            return Vec::new();
        };
        for k in 0..*count as usize {
            let node = cluster.pools[pool_id.index()].new_node(pool_id, k);
            let name = node.name.clone();
            let id = snap.add_node(node);
            names.insert(name, id);
        }
    }
    let keys: HashMap<String, PodId> = cluster
        .pending_pods()
        .map(|p| (cluster.pod(p).key(), p))
        .collect();
    for a in &plan.assignments {
        if let (Some(&pod), Some(&node)) = (keys.get(&a.pod), names.get(&a.node)) {
            snap.assign(pod, node);
        }
    }
    let mut removed: HashSet<NodeId> = HashSet::new();
    let mut emptied = Vec::new();
    for &c in candidates {
        if Instant::now() >= until {
            break;
        }
        // The pods to move: bound movable ones and pending ones the plan
        // put there, biggest first.
        let mut pods: Vec<PodId> = snap
            .info(c)
            .pods
            .iter()
            .copied()
            .filter(|p| {
                roles
                    .get(p.index())
                    .is_none_or(|r| *r == Drainability::Moves)
                    && p.index() < cluster.pods.len()
            })
            .collect();
        pods.sort_by_key(|p| {
            let r = &snap.pod(*p).spec.requests;
            (std::cmp::Reverse((r.milli_cpu, r.memory)), *p)
        });
        // Destinations: most allocated first (packing tight).
        let mut destinations: Vec<NodeId> = snap
            .node_ids()
            .filter(|n| *n != c && !removed.contains(n))
            .collect();
        destinations.sort_by_key(|n| {
            let info = snap.info(*n);
            let alloc = &snap.node(*n).allocatable;
            let free = (alloc.milli_cpu - info.requested.milli_cpu).max(0);
            (free, *n)
        });
        let was = snap.node(c).unschedulable;
        snap.set_unschedulable(c, true);
        let mut moves: Vec<(PodId, PodId)> = Vec::new();
        let mut ok = true;
        for pod in pods {
            if Instant::now() >= until {
                ok = false;
                break;
            }
            let mut copy = snap.pod(pod).clone();
            copy.unbind();
            snap.unassign(pod);
            let copy = snap.add_pod(copy);
            let state = PodState::new(&snap, copy);
            match destinations
                .iter()
                .find(|d| predicates::filter(&snap, &state, **d).is_ok())
            {
                Some(&d) => {
                    snap.assign(copy, d);
                    moves.push((pod, copy));
                }
                None => {
                    snap.assign(pod, c);
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            removed.insert(c);
            emptied.push(c);
        } else {
            for (pod, copy) in moves {
                snap.unassign(copy);
                snap.assign(pod, c);
            }
            snap.set_unschedulable(c, was);
        }
    }
    emptied
}

/// A bin of the bound's relaxation: existing nodes alike, or a node type.
struct Bin {
    /// Nodes in the bin (existing), or None for a new-node type.
    count: Option<u32>,
    /// Kept for sure (pinned, or not a candidate).
    fixed: bool,
    cost: f64,
    pool: Option<PoolId>,
    /// Room per dimension of one node.
    room: Vec<f64>,
    /// Classes it accepts.
    accepts: Vec<usize>,
}

/// A proven lower bound on the cost of every repack plan that places the
/// `pending` pods (see the module docs), or None when the solver proves
/// nothing in time.
pub(crate) fn lower_bound(
    cluster: &Cluster,
    snapshot: &Snapshot,
    roles: &[Drainability],
    candidates: &[NodeId],
    pending: &[PodId],
    until: Instant,
) -> Option<f64> {
    // Classes of the pods to place: (namespace, labels, spec), nodeName
    // ignored (moved pods are recreated without it).
    let mut pods: Vec<PodId> = pending.to_vec();
    pods.extend(
        cluster
            .bound_pods()
            .filter(|p| cluster.pod(*p).node.is_some() && roles[p.index()] == Drainability::Moves),
    );
    let mut class_index: HashMap<(&str, &crate::model::Labels, usize), usize> = HashMap::new();
    let mut reps: Vec<Pod> = Vec::new();
    let mut demand: Vec<f64> = Vec::new();
    // Per class: existing node -> its pods of the class there now.
    let mut hosted: Vec<HashMap<NodeId, u32>> = Vec::new();
    for &id in &pods {
        let pod = cluster.pod(id);
        let key = (
            pod.namespace.as_str(),
            &pod.labels,
            Arc::as_ptr(&pod.spec) as usize,
        );
        let next = reps.len();
        let c = *class_index.entry(key).or_insert(next);
        if c == next {
            let mut rep = pod.clone();
            rep.unbind();
            reps.push(rep);
            demand.push(0.0);
            hosted.push(HashMap::new());
        }
        demand[c] += 1.0;
        if let (true, Some(n)) = (pod.is_bound(), pod.node) {
            *hosted[c].entry(n).or_insert(0) += 1;
        }
    }
    let one_per_node: Vec<bool> = reps
        .iter()
        .enumerate()
        .map(|(c, pod)| {
            let self_anti = pod.spec.pod_anti_affinity.iter().any(|t| {
                t.topology_key == HOSTNAME
                    && t.namespaces.contains(&pod.namespace)
                    && t.selector.matches(&pod.labels)
            });
            (self_anti || !pod.spec.host_ports.is_empty()) && hosted[c].values().all(|n| *n <= 1)
        })
        .collect();
    let mut dims: Vec<String> = ["cpu", "memory", "ephemeral-storage", "pods"]
        .map(String::from)
        .to_vec();
    for rep in &reps {
        for (name, v) in &rep.spec.requests.scalars {
            if *v > 0 && !dims.contains(name) {
                dims.push(name.clone());
            }
        }
    }
    let amount = |r: &Resources, d: &str| r.get(d) as f64;
    let req: Vec<Vec<f64>> = reps
        .iter()
        .map(|p| {
            dims.iter()
                .map(|d| {
                    if d == "pods" {
                        1.0
                    } else {
                        amount(&p.spec.requests, d).max(0.0)
                    }
                })
                .collect()
        })
        .collect();
    let pres: Vec<_> = reps
        .iter()
        .map(|p| node_affinity::pre_filter(&p.spec))
        .collect();

    // Existing nodes, merged when alike.
    let candidate_set: HashSet<NodeId> = candidates.iter().copied().collect();
    let mut constant = 0.0;
    let mut bins: Vec<Bin> = Vec::new();
    type BinKey = (bool, u64, Option<PoolId>, Vec<i64>, Vec<usize>);
    let mut merged: HashMap<BinKey, usize> = HashMap::new();
    for i in 0..cluster.nodes.len() {
        if Instant::now() >= until {
            return None;
        }
        let id = NodeId(i as u32);
        let node = snapshot.node(id);
        let info = snapshot.info(id);
        let fixed = !candidate_set.contains(&id);
        let cost = cluster.node_cost(id);
        // What stays on the node whatever happens, and what could move.
        let mut pinned = NodeInfo::default();
        let mut movable = Resources::default();
        let mut movable_count = 0i64;
        for &p in &info.pods {
            let r = &snapshot.pod(p).spec.requests;
            if roles
                .get(p.index())
                .is_none_or(|r| *r != Drainability::Moves)
                || p.index() >= cluster.pods.len()
            {
                pinned.requested.add(r);
                pinned.pods.push(p);
                pinned
                    .used_ports
                    .extend(snapshot.pod(p).spec.host_ports.iter().cloned());
            } else {
                movable.add(r);
                movable_count += 1;
            }
        }
        // Room: what the filters let in, or what is there now when more.
        let room: Vec<i64> = dims
            .iter()
            .map(|d| {
                if d == "pods" {
                    (node.allocatable.pods - pinned.pods.len() as i64).max(movable_count)
                } else {
                    (node.allocatable.get(d) - pinned.requested.get(d)).max(movable.get(d))
                }
            })
            .collect();
        let accepts: Vec<usize> = (0..reps.len())
            .filter(|&c| {
                hosted[c].contains_key(&id)
                    || predicates::filter_node_local(&reps[c], node, &pinned, &pres[c]).is_ok()
            })
            .collect();
        if fixed {
            constant += cost;
        }
        if accepts.is_empty() {
            // Nothing to place there: a kept node costs its constant, a
            // candidate is better removed.
            continue;
        }
        let key: BinKey = (
            fixed,
            cost.to_bits(),
            node.pool,
            room.clone(),
            accepts.clone(),
        );
        match merged.get(&key) {
            Some(&b) => {
                if let Some(n) = bins[b].count.as_mut() {
                    *n += 1;
                }
            }
            None => {
                merged.insert(key, bins.len());
                bins.push(Bin {
                    count: Some(1),
                    fixed,
                    cost,
                    pool: node.pool,
                    room: room.iter().map(|v| (*v).max(0) as f64).collect(),
                    accepts,
                });
            }
        }
    }
    // New node types, with their DaemonSet pods.
    let types = node_types(cluster);
    let mut probe = snapshot.clone();
    let type_bins: Vec<(usize, usize)> = types
        .iter()
        .map(|t| {
            let n = probe.add_node(t.template.clone());
            let node = probe.node(n);
            let info = probe.info(n);
            let room: Vec<f64> = dims
                .iter()
                .map(|d| {
                    let v = if d == "pods" {
                        node.allocatable.pods - info.pods.len() as i64
                    } else {
                        node.allocatable.get(d) - info.requested.get(d)
                    };
                    v.max(0) as f64
                })
                .collect();
            let accepts: Vec<usize> = (0..reps.len())
                .filter(|&c| predicates::filter_node_local(&reps[c], node, info, &pres[c]).is_ok())
                .collect();
            let pool = cluster.pools.get(t.pool.index());
            bins.push(Bin {
                count: None,
                fixed: false,
                cost: pool.map_or(0.0, |p| p.cost_per_hour),
                pool: Some(t.pool),
                room,
                accepts,
            });
            (bins.len() - 1, t.zone)
        })
        .collect();
    // The LP first (cheap, always some bound), then the MILP when time is
    // left; the better of the two.
    let solve = |integer: bool| {
        solve_bound(
            cluster,
            &bins,
            &type_bins,
            &demand,
            &req,
            &one_per_node,
            constant,
            integer,
            until,
        )
    };
    let relaxed = solve(false)?;
    if Instant::now() >= until {
        return Some(relaxed);
    }
    Some(solve(true).map_or(relaxed, |v| v.max(relaxed)))
}

/// Solves the bound's model (LP, or MILP with integer node counts); the
/// proven value, shaved for floating-point error, or None.
#[allow(clippy::too_many_arguments)]
fn solve_bound(
    cluster: &Cluster,
    bins: &[Bin],
    type_bins: &[(usize, usize)],
    demand: &[f64],
    req: &[Vec<f64>],
    one_per_node: &[bool],
    constant: f64,
    integer: bool,
    until: Instant,
) -> Option<f64> {
    let mut vars = ProblemVariables::new();
    // Nodes bought per bin: existing candidates 0..count, types by pool.
    let mut y: Vec<Option<Variable>> = Vec::with_capacity(bins.len());
    let mut objective = Expression::from(constant);
    for b in bins {
        let v = match (b.count, b.fixed) {
            (Some(_), true) => None,
            (Some(n), false) => Some(vars.add(variable().integer_if(integer).min(0).max(n as f64))),
            (None, _) => Some(vars.add(variable().integer_if(integer).min(0))),
        };
        if let Some(v) = v {
            objective += b.cost * v;
        }
        y.push(v);
    }
    let mut pool_n: Vec<Option<Variable>> = vec![None; cluster.pools.len()];
    for (pi, pool) in cluster.pools.iter().enumerate() {
        if type_bins
            .iter()
            .any(|(b, _)| bins[*b].pool.is_some_and(|p| p.index() == pi))
        {
            let fixed_existing = bins
                .iter()
                .filter(|b| b.fixed && b.pool.is_some_and(|p| p.index() == pi))
                .map(|b| b.count.unwrap_or(0))
                .sum::<u32>();
            let room = pool
                .max_count
                .unwrap_or(super::place::MAX_NODES)
                .saturating_sub(fixed_existing);
            pool_n[pi] = Some(vars.add(variable().integer_if(integer).min(0).max(room as f64)));
        }
    }
    // Pods of each class per bin, listed by class and by bin.
    let mut by_class: Vec<Vec<Variable>> = vec![Vec::new(); demand.len()];
    let mut by_bin: Vec<Vec<(usize, Variable)>> = Vec::with_capacity(bins.len());
    for b in bins {
        let list: Vec<(usize, Variable)> = b
            .accepts
            .iter()
            .map(|&c| {
                let v = vars.add(variable().min(0));
                by_class[c].push(v);
                (c, v)
            })
            .collect();
        by_bin.push(list);
    }
    let mut model = vars
        .minimise(objective.clone())
        .using(backend)
        .with_time_limit(seconds_until(until));
    for c in 0..demand.len() {
        let mut placed = Expression::from(0.0);
        for v in &by_class[c] {
            placed += *v;
        }
        model.add_constraint(constraint!(placed == demand[c]));
    }
    for (bi, b) in bins.iter().enumerate() {
        let nodes: Expression = match (y[bi], b.count) {
            (Some(v), _) => Expression::from(v),
            (None, n) => Expression::from(f64::from(n.unwrap_or(0))),
        };
        for d in 0..b.room.len() {
            let mut used = Expression::from(0.0);
            let mut any = false;
            for &(c, v) in &by_bin[bi] {
                if req[c][d] > 0.0 {
                    used += req[c][d] * v;
                    any = true;
                }
            }
            if any {
                model.add_constraint(constraint!(used <= b.room[d] * nodes.clone()));
            }
        }
        for &(c, v) in &by_bin[bi] {
            if one_per_node[c] {
                model.add_constraint(constraint!(v <= nodes.clone()));
            }
        }
    }
    // New nodes: per pool, zones round-robin.
    for (pi, pool) in cluster.pools.iter().enumerate() {
        let Some(n) = pool_n[pi] else { continue };
        let zones = pool.zones.len().max(1) as f64;
        let mut sum = Expression::from(0.0);
        for &(bi, zone) in type_bins {
            if bins[bi].pool.is_some_and(|p| p.index() == pi) {
                if let Some(v) = y[bi] {
                    sum += v;
                    let z = zone as f64;
                    model.add_constraint(constraint!(zones * v <= n + zones - 1.0 - z));
                    model.add_constraint(constraint!(zones * v >= n - z));
                }
            }
        }
        model.add_constraint(constraint!(sum == n));
    }
    let solution = model.solve().ok()?;
    if !matches!(solution.status(), SolutionStatus::Optimal) {
        return None;
    }
    let value = solution.eval(&objective);
    Some(value - 1e-6 * value.abs() - 1e-9)
}
