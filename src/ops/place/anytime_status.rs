//! What `place`'s status claims about the pods it leaves unplaced
//! (`docs/reports.md#place`): `infeasible` only with a proof, `timeout`
//! when the time limit cut the search short without one.
//!
//! The proof is static and per pod class, so that it is sound whatever the
//! search did: a plan places at most as many pods of a class as its
//! candidate nodes hold on their own — the existing nodes and one new node
//! of each pool that may still grow, those that pass the node-local filter
//! plugins (`predicates::filter_node_local`: taints, node affinity, ports,
//! resources) with only the pods that stay bound, and that the required
//! inter-pod anti-affinity of those pods (or the class's own, against
//! them) does not rule out (both only grow as pods are added; kube-
//! scheduler's `InterPodAffinity` plugin). Each candidate holds as many
//! pods of the class as its free resources take alone (one, for a class
//! that repels itself per node), a new node's times its pool's room
//! (`maxCount`). When the plan places that many, its other pods of the
//! class are proven unplaceable.
//!
//! A second proof is exhaustion, on small problems: every vector of new
//! nodes per pool within the pools' room searched exactly
//! (`exact_search`) without a packing of every pod. A third is the
//! enumeration's (`Search::enumerate`): when it
//! refuted every vector of new nodes per pool (the bound LP with clique
//! cuts proves each infeasible), no plan places every pod, whichever pods
//! the plan leaves.

use super::exact_search::{search_vector, Outcome};
use super::pack::{class_order, constrained_first};
use super::problem::Problem;
use crate::model::{NodeId, PodId};
use crate::predicates::{self, Plugin, PodState, Snapshot};
use crate::report::place::{PlaceReport, PlanStatus};
use std::collections::{HashMap, HashSet};
use web_time::Instant;

/// What the search knows about how it ended.
pub(crate) struct Ending {
    /// Whether a deadline stopped a step.
    pub time_limit_hit: bool,
    /// The first step a deadline stopped.
    pub time_limit_phase: Option<&'static str>,
    /// Whether the first plan got to every pod.
    pub first_complete: bool,
    /// The solve's time limit, in seconds.
    pub time_limit: f64,
    /// Proven that no plan places every pod: the enumeration refuted
    /// every vector of new nodes per pool (`Search::enumerate`).
    pub none_places_all: bool,
    /// When the solve's time limit ends.
    pub end: Instant,
}

/// Sets the report's status, `message` and `stats.timeLimitPhase`: with
/// unplaced pods, `infeasible` when every one is proven unplaceable (the
/// module docs) or no plan places every pod (the enumeration refuted
/// every vector of new nodes), else `timeout` when the time limit was hit, else
/// `feasible` (the search ran out of ideas, not of time: nothing is
/// proven either way), with a message saying so.
pub(crate) fn settle(p: &Problem, report: &mut PlaceReport, ending: &Ending) {
    // The simulate baseline's own are not place's.
    report.message = None;
    report.stats.time_limit_phase = None;
    if ending.time_limit_hit {
        report.stats.time_limit_hit = true;
    }
    if report.stats.time_limit_hit {
        let phase = ending.time_limit_phase.unwrap_or("prove");
        report.stats.time_limit_phase = Some(phase.to_string());
    }
    if report.unplaced.is_empty() {
        return;
    }
    let unproven = unproven_unplaced(p, report);
    if unproven == 0 || ending.none_places_all || every_vector_infeasible(p, ending.end) {
        report.status = PlanStatus::Infeasible;
        return;
    }
    let (placed, total) = (report.assignments.len(), placed_and_unplaced(report));
    if report.stats.time_limit_hit {
        report.status = PlanStatus::Timeout;
        report.message = Some(timeout_message(ending, placed, total, unproven));
    } else {
        report.status = PlanStatus::Feasible;
        report.message = Some(format!(
            "{} of {} pods placed; {} left unplaced found no node in this search, but are \
             not proven unplaceable",
            thousands(placed),
            thousands(total),
            thousands(unproven)
        ));
    }
}

/// Vectors of new nodes per pool up to which [`every_vector_infeasible`]
/// tries them all.
const EXHAUSTED_VECTORS: u64 = 256;

/// Placements the exact search tries per vector at most.
const STEPS_PER_VECTOR: usize = 20_000;

/// Proven that no plan places every pod, on small problems: every vector
/// of new nodes per pool within the pools' room (at most
/// [`EXHAUSTED_VECTORS`]) is searched exactly ([`search_vector`]) and
/// none has a packing of every pod, before `end`.
fn every_vector_infeasible(p: &Problem, end: Instant) -> bool {
    let sizes: Vec<u64> = p.pool_room.iter().map(|r| u64::from(*r) + 1).collect();
    let total = sizes.iter().try_fold(1u64, |n, s| {
        n.checked_mul(*s).filter(|n| *n <= EXHAUSTED_VECTORS)
    });
    let Some(total) = total else {
        return false;
    };
    let order = constrained_first(p, &class_order(p));
    (0..total).all(|mut code| {
        let counts: Vec<u32> = sizes
            .iter()
            .map(|s| {
                let k = code % s;
                code /= s;
                k as u32
            })
            .collect();
        matches!(
            search_vector(p, &counts, &order, STEPS_PER_VECTOR, end),
            Outcome::Infeasible
        )
    })
}

/// Pods the report places and leaves.
fn placed_and_unplaced(report: &PlaceReport) -> usize {
    report.assignments.len() + report.unplaced.len()
}

/// The `timeout` message: how far the plan got, and what to do.
fn timeout_message(ending: &Ending, placed: usize, total: usize, unproven: usize) -> String {
    let limit = format!("time limit of {:.2} s", ending.time_limit);
    if ending.first_complete {
        format!(
            "{limit} reached: {} of {} pods placed, {} unplaced without proof that they \
             cannot be; rerun with a longer --time-limit",
            thousands(placed),
            thousands(total),
            thousands(unproven)
        )
    } else {
        format!(
            "{limit} reached before a first plan was complete: {} of {} pods placed; rerun \
             with a longer --time-limit",
            thousands(placed),
            thousands(total)
        )
    }
}

/// `n` with a comma every three digits.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// How many of the report's unplaced pods no proof covers: per class with
/// unplaced pods, all of them when the plan places as many as
/// [`Probe::most_placeable`] allows, else none.
fn unproven_unplaced(p: &Problem, report: &PlaceReport) -> usize {
    let (unplaced, found) = unplaced_per_class(p, report);
    let proven = proven_unplaceable(p, &unplaced);
    let unproven: usize = (0..p.classes.len())
        .filter(|c| !proven[*c])
        .map(|c| unplaced[c])
        .sum();
    unproven + report.unplaced.len() - found
}

/// The report's unplaced pods per class of the problem, and how many
/// are the problem's. Both lists are in pod order (`engine::plan`), so
/// they are merged by key (`namespace/name`, matched without formatting
/// each pod's); a key out of order falls back to a lookup.
fn unplaced_per_class(p: &Problem, report: &PlaceReport) -> (Vec<usize>, usize) {
    let mut pods = p.pods.clone();
    pods.sort_unstable();
    let is = |pod: PodId, (ns, name): (&str, &str)| {
        let q = p.cluster.pod(pod);
        q.name == name && q.namespace == ns
    };
    let mut unplaced = vec![0usize; p.classes.len()];
    let mut next = 0;
    for u in &report.unplaced {
        let Some(key) = u.pod.split_once('/') else {
            continue;
        };
        let Some(k) = (next..pods.len()).find(|k| is(pods[*k], key)) else {
            return unplaced_by_lookup(p, report);
        };
        unplaced[p.class_of[&pods[k]]] += 1;
        next = k + 1;
    }
    let found = unplaced.iter().sum();
    (unplaced, found)
}

/// [`unplaced_per_class`] by a set of the report's keys.
fn unplaced_by_lookup(p: &Problem, report: &PlaceReport) -> (Vec<usize>, usize) {
    let wanted: HashSet<(&str, &str)> = report
        .unplaced
        .iter()
        .filter_map(|u| u.pod.split_once('/'))
        .collect();
    let mut unplaced = vec![0usize; p.classes.len()];
    let mut found = 0;
    for pod in &p.pods {
        let q = p.cluster.pod(*pod);
        if wanted.contains(&(q.namespace.as_str(), q.name.as_str())) {
            unplaced[p.class_of[pod]] += 1;
            found += 1;
        }
    }
    (unplaced, found)
}

/// Per class, whether its `unplaced[c]` pods are proven unplaceable by
/// the static proof of the module docs: the plan places as many of the
/// class as its candidate nodes hold ([`Probe::most_placeable`]). False
/// for classes with nothing unplaced.
pub(crate) fn proven_unplaceable(p: &Problem, unplaced: &[usize]) -> Vec<bool> {
    let probe = Probe::new(p);
    unplaced
        .iter()
        .enumerate()
        .map(|(c, left)| {
            let placed = p.classes[c].pods.len() - left;
            *left > 0 && placed as f64 >= probe.most_placeable(c)
        })
        .collect()
}

/// The snapshot the proof looks at: the pods that stay bound, and one new
/// node per node type (pool and zone), with its DaemonSet pods.
struct Probe<'a, 'c> {
    p: &'a Problem<'c>,
    snapshot: Snapshot<'c>,
    /// Per type, its node in `snapshot`.
    type_nodes: Vec<NodeId>,
}

impl<'a, 'c> Probe<'a, 'c> {
    /// The probe of `p`.
    fn new(p: &'a Problem<'c>) -> Self {
        let mut snapshot = p.base.clone();
        let type_nodes = p
            .types
            .iter()
            .map(|t| snapshot.add_node(t.template.clone()))
            .collect();
        Probe {
            p,
            snapshot,
            type_nodes,
        }
    }

    /// An upper bound on the pods of class `c` any plan places (module
    /// docs).
    fn most_placeable(&self, c: usize) -> f64 {
        let p = self.p;
        let pod = p.classes[c].representative();
        let one = p.classes[c].one_per_node;
        let state = PodState::new(&self.snapshot, pod);
        let take = |cap: f64| if one { 1.0 } else { cap };
        let existing: f64 = p.compat_existing[c]
            .iter()
            .filter(|(i, _)| self.possible(&state, pod, p.existing[*i]))
            .map(|(_, cap)| take(*cap))
            .sum();
        let mut per_pool: HashMap<usize, f64> = HashMap::new();
        for (t, cap) in &p.compat_types[c] {
            let pi = p.types[*t].pool.index();
            if p.pool_room[pi] > 0 && self.possible(&state, pod, self.type_nodes[*t]) {
                let best = per_pool.entry(pi).or_insert(0.0);
                *best = best.max(take(*cap));
            }
        }
        let new: f64 = per_pool
            .iter()
            .map(|(pi, cap)| cap * f64::from(p.pool_room[*pi]))
            .sum();
        existing + new
    }

    /// False when required inter-pod anti-affinity between `pod` and the
    /// bound pods rules `node` out for good: the plugin rejects it and
    /// the pod has no required affinity (which could be what failed, and
    /// may be met later).
    fn possible(&self, state: &PodState, pod: PodId, node: NodeId) -> bool {
        if !self.snapshot.pod(pod).spec.pod_affinity.is_empty() {
            return true;
        }
        !matches!(
            predicates::filter_stateful(&self.snapshot, state, node),
            Err(r) if r.plugin == Plugin::InterPodAffinity
        )
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(149_956), "149,956");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
