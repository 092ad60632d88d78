//! `place --repack`: consolidation. Bound pods may move too, so that
//! existing nodes can be emptied and removed; the plan says which
//! (`removableNodes`), where every moved pod goes, and what it costs.
//!
//! # What may move (cluster-autoscaler's scale-down rules, by default)
//!
//! A bound pod is one of three things ([`crate::engine::drainability`],
//! under its scale-down policy):
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
//! 7. The lower bound (below) and the report. When the plain plan places
//!    every pending pod, the bound over plans that do is computed before
//!    screening: the search stops as soon as a plan meets it.
//!
//! Every phase ends at a fixed share of the time limit, and every `place`
//! call gets a share of what is left of its phase ([`budget`]); phases
//! stop when it runs out. The chosen plan is validated on its final state
//! ([`crate::check::validate::validate_repack_plan`]).
//!
//! # Lower bound
//!
//! `lowerBound` is the optimum of a relaxation, solved as an LP and then as
//! a MILP with integer node counts when time allows ([`bound`],
//! [`relaxation`]):
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

mod bound;
mod budget;
mod candidates;
mod finish;
mod relaxation;
mod screen;
mod search;
mod trial;

use crate::engine::trace::Trace;
use crate::error::Result;
use crate::model::{Cluster, PodId};
use crate::report::place::{PlaceOptions, PlaceReport};
use bound::lower_bound;
use budget::Budget;
use candidates::Scope;
use finish::{final_report, placed_pending};
use screen::screen;
use search::{plain_plan, Search};
use web_time::Instant;

/// Plans with bound pods allowed to move (see the module docs).
pub(crate) fn consolidate(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    let start = Instant::now();
    let budget = Budget::new(start, options.time_limit);
    let trace = Trace::from_env(start);

    // 1. The plain plan.
    let base = plain_plan(cluster, budget.base)?;
    // 2. Candidates.
    let scope = Scope::new(cluster);
    let mut search = Search::new(&scope, base);
    trace.say(|| {
        let (cost, candidates) = (search.best.cost, scope.candidates.len());
        format!("repack: plain plan {cost:.3}, {candidates} candidates")
    });
    // The early bound, over plans placing every pending pod.
    if search.best.report.unplaced.is_empty() {
        let all_pending: Vec<PodId> = cluster.pending_pods().collect();
        search.early = lower_bound(&scope, &all_pending, budget.screen);
    }
    // 3. Screening on the plain plan's final state.
    let screened = screen(&scope, &search.best.report, budget.screen);
    search.note_deadline(budget.screen);
    trace.say(|| format!("repack: {} nodes emptied in screening", screened.len()));
    // 4. The screened nodes removed for real; halved on failure.
    search.remove_screened(&screened, &budget);
    trace.say(|| {
        let (removed, cost) = (search.best.removed.len(), search.best.cost);
        format!("repack: {removed} removed, cost {cost:.3}")
    });
    // 5. Replacement: one more node at a time.
    search.remove_one_more(&budget, &trace);
    // 6. Keep back what need not go.
    search.keep_back(&budget);

    // 7. The bound over all repack plans placing the same pods; the report.
    let placed_pending = placed_pending(cluster, &search.best.report);
    let lower = match search.early {
        Some(early) if search.best.report.unplaced.is_empty() => Some(early),
        _ => lower_bound(&scope, &placed_pending, budget.bound),
    };
    search.note_deadline(budget.bound);
    let pods = placed_pending.len();
    Ok(final_report(&scope, &search, lower, pods, start))
}
