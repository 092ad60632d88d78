//! Which evictions go in which wave: as many as every PDB's budget allows
//! as early as possible, as the eviction API would accept them.
//!
//! Each PDB's pods form their own stream: an eviction under one PDB never
//! changes another's budget (a pod under two PDBs is refused and never
//! gets here). Between waves a PDB's healthy count only falls: a
//! replacement is as healthy as the pod it replaces
//! (`replacement_is_healthy`), so only a healthy pod deleted for good
//! changes it. Evicting a PDB's pods greedily — unready pods first, since
//! they go without budget while the PDB is healthy enough — reaches each
//! stream's least number of waves, so without a node limit the plan has
//! as many waves as its slowest PDB needs, which is what [`lower_bound`]
//! proves any plan needs.

use crate::engine::disruption::{
    disruptions_allowed_with, eviction_outcome, EvictionOutcome, PdbStatus,
};
use crate::model::{Cluster, NodeId, PodId};
use std::collections::{HashMap, HashSet};

/// A pod on a drained node that the eviction API will be asked to evict.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The pod.
    pub pod: PodId,
    /// Its (drained) node.
    pub node: NodeId,
    /// The PDB that guards it, if any.
    pub pdb: Option<usize>,
    /// Counted in the PDB's currentHealthy.
    pub healthy: bool,
    /// Healthy and not deleted outright by the eviction API (a Pending
    /// pod can be Ready): its eviction always spends its PDB's budget.
    pub spends_budget: bool,
    /// Its controller recreates it (false: `--force` deletes it for good).
    pub recreated: bool,
    /// Recreated, and its replacement counts in the PDB's currentHealthy
    /// once it runs: only when the pod itself did (`replacement_is_healthy`).
    pub replaced_healthy: bool,
}

/// The waves, and the candidates no wave can ever evict.
#[derive(Debug, Clone, Default)]
pub(super) struct Composition {
    /// Candidate indices per wave, in eviction order.
    pub waves: Vec<Vec<usize>>,
    /// Candidates refused for good, with their PDB and the PDB's numbers
    /// when it refused them for the last time.
    pub stuck: Vec<(usize, usize, PdbStatus)>,
}

/// Plans the waves. `statuses` are the PDBs' statuses before the drain;
/// `max_unavailable` caps how many drained nodes have evictions in one wave.
pub(super) fn compose(
    cluster: &Cluster,
    candidates: &[Candidate],
    statuses: &[PdbStatus],
    max_unavailable: Option<usize>,
) -> Composition {
    let mut composer = Composer::new(cluster, candidates, statuses, max_unavailable);
    while !composer.remaining.is_empty() {
        composer.refresh_budgets();
        let pass = composer.evict_what_budgets_allow();
        // A PDB that refused every eviction this wave has the same budget
        // next wave (only its own evictions change its healthy count):
        // refused for good.
        let stuck: HashSet<usize> = pass
            .refused
            .difference(&pass.evicted_under)
            .copied()
            .collect();
        composer.set_aside_stuck(pass.deferred, &stuck);
        if pass.wave.is_empty() {
            if stuck.is_empty() {
                // Nothing moved and nothing changes: no wave will ever move
                // what is left (every pod left is under a refusing PDB).
                composer.give_up();
                break;
            }
            // Stuck nodes freed their slots: try again without a wave.
            continue;
        }
        composer.finish_wave(pass.wave);
    }
    composer.out
}

/// The state of [`compose`] between waves.
struct Composer<'a> {
    cluster: &'a Cluster,
    candidates: &'a [Candidate],
    /// The PDBs' statuses before the drain.
    statuses: &'a [PdbStatus],
    max_unavailable: Option<usize>,
    /// The PDBs' statuses in the wave being composed, budgets spent as its
    /// evictions are accepted.
    now: Vec<PdbStatus>,
    /// Each PDB's healthy pods after the waves so far.
    healthy: Vec<i32>,
    /// Candidates in no wave and not stuck, in eviction order.
    remaining: Vec<usize>,
    /// Candidates not yet settled per drained node.
    left_on_node: HashMap<NodeId, usize>,
    /// Drained nodes with evictions and candidates left: they hold a slot
    /// under the node limit.
    open: HashSet<NodeId>,
    out: Composition,
}

/// One pass over the remaining candidates.
#[derive(Default)]
struct Pass {
    /// Candidates evicted, in order.
    wave: Vec<usize>,
    /// Candidates left for a later wave.
    deferred: Vec<usize>,
    /// PDBs that refused an eviction.
    refused: HashSet<usize>,
    /// PDBs that accepted one.
    evicted_under: HashSet<usize>,
}

impl<'a> Composer<'a> {
    fn new(
        cluster: &'a Cluster,
        candidates: &'a [Candidate],
        statuses: &'a [PdbStatus],
        max_unavailable: Option<usize>,
    ) -> Self {
        // Unready pods first: they go free while their PDB is healthy enough,
        // which a healthy pod deleted for good may end.
        let mut remaining: Vec<usize> = (0..candidates.len()).collect();
        remaining.sort_by_key(|&i| (candidates[i].healthy, i));
        let mut left_on_node: HashMap<NodeId, usize> = HashMap::new();
        for c in candidates {
            *left_on_node.entry(c.node).or_insert(0) += 1;
        }
        Composer {
            cluster,
            candidates,
            statuses,
            max_unavailable,
            now: statuses.to_vec(),
            healthy: statuses.iter().map(|s| s.current_healthy).collect(),
            remaining,
            left_on_node,
            open: HashSet::new(),
            out: Composition::default(),
        }
    }

    /// Each PDB's status at the start of a wave, from its healthy count.
    fn refresh_budgets(&mut self) {
        for (p, s) in self.now.iter_mut().enumerate() {
            s.current_healthy = self.healthy[p];
            s.disruptions_allowed = disruptions_allowed_with(&self.statuses[p], self.healthy[p]);
        }
    }

    /// Puts every remaining candidate, in order, to the eviction API, on
    /// the nodes the node limit lets have evictions this wave.
    fn evict_what_budgets_allow(&mut self) -> Pass {
        let candidates = self.candidates;
        let opening = self.max_unavailable.map(|limit| {
            choose_nodes(
                candidates,
                &self.remaining,
                &self.open,
                &self.now,
                limit.max(1),
            )
        });
        let mut pass = Pass::default();
        for i in std::mem::take(&mut self.remaining) {
            let c = &candidates[i];
            if self.waits_for_slot(c.node, opening.as_ref()) {
                pass.deferred.push(i);
            } else if self.evict(c, &mut pass.refused) {
                self.open.insert(c.node);
                if let Some(p) = c.pdb {
                    pass.evicted_under.insert(p);
                }
                pass.wave.push(i);
            } else {
                pass.deferred.push(i);
            }
        }
        pass
    }

    /// Whether `node` may not have evictions this wave: it holds no slot
    /// and is not among the nodes `opening` this wave.
    fn waits_for_slot(&self, node: NodeId, opening: Option<&HashSet<NodeId>>) -> bool {
        let (Some(limit), Some(opening)) = (self.max_unavailable, opening) else {
            return false;
        };
        !self.open.contains(&node) && (self.open.len() >= limit.max(1) || !opening.contains(&node))
    }

    /// The eviction API's verdict on `c` now, its budget spent when it
    /// accepts; a refusing PDB goes in `refused`.
    fn evict(&mut self, c: &Candidate, refused: &mut HashSet<usize>) -> bool {
        let guarding: Vec<usize> = c.pdb.into_iter().collect();
        match eviction_outcome(self.cluster, c.pod, &guarding, &self.now) {
            EvictionOutcome::Free | EvictionOutcome::AllowedUnhealthy => true,
            EvictionOutcome::Spends(p) => {
                self.now[p].disruptions_allowed -= 1;
                true
            }
            EvictionOutcome::TooManyRequests(p) => {
                refused.insert(p);
                false
            }
            // Filtered out as blockers before composing.
            EvictionOutcome::MultiplePdbs(_) => false,
        }
    }

    /// Deferred candidates under a `stuck` PDB are stuck for good; the
    /// others remain.
    fn set_aside_stuck(&mut self, deferred: Vec<usize>, stuck: &HashSet<usize>) {
        for i in deferred {
            match self.candidates[i].pdb {
                Some(p) if stuck.contains(&p) => {
                    self.out.stuck.push((i, p, self.now[p].clone()));
                    close(
                        &mut self.left_on_node,
                        &mut self.open,
                        self.candidates[i].node,
                    );
                }
                _ => self.remaining.push(i),
            }
        }
    }

    /// Every remaining candidate under a PDB is stuck.
    fn give_up(&mut self) {
        for i in self.remaining.drain(..) {
            if let Some(p) = self.candidates[i].pdb {
                self.out.stuck.push((i, p, self.now[p].clone()));
            }
        }
    }

    /// The wave's pods run again: a replacement is as healthy as the pod it
    /// replaces (an unready pod's stays unready), deleted pods are gone.
    fn finish_wave(&mut self, wave: Vec<usize>) {
        for &i in &wave {
            let c = &self.candidates[i];
            if let Some(p) = c.pdb {
                self.healthy[p] += i32::from(c.replaced_healthy) - i32::from(c.healthy);
            }
            close(&mut self.left_on_node, &mut self.open, c.node);
        }
        self.out.waves.push(wave);
    }
}

/// How a waiting node ranks for a free slot (smaller is better).
type NodeRank = (usize, std::cmp::Reverse<usize>, usize);

/// The drained nodes to start this wave, for the free slots under the
/// node limit: greedily the node with the fewest pods its PDBs could not
/// let go now (budgets already promised to the open nodes and to the nodes
/// chosen before it), then the most pods, then input order. Starting
/// nodes whose PDBs do not compete lets them finish in one wave and free
/// their slot.
fn choose_nodes(
    candidates: &[Candidate],
    remaining: &[usize],
    open: &HashSet<NodeId>,
    now: &[PdbStatus],
    limit: usize,
) -> HashSet<NodeId> {
    let mut chosen = HashSet::new();
    let slots = limit.saturating_sub(open.len());
    if slots == 0 {
        return chosen;
    }
    let mut budget: Vec<i32> = now.iter().map(|s| s.disruptions_allowed).collect();
    let waiting = waiting_nodes(candidates, remaining, open, &mut budget);
    if waiting.len() <= slots {
        return waiting.into_iter().map(|(n, _)| n).collect();
    }
    let mut taken = vec![false; waiting.len()];
    let mut ranker = Ranker {
        claimed: vec![0i32; budget.len()],
        touched: Vec::new(),
    };
    for _ in 0..slots {
        // (node, its rank: pods refused, most pods first, input order)
        let mut best: Option<(usize, NodeRank)> = None;
        for (k, (_, pods)) in waiting.iter().enumerate() {
            if taken[k] {
                continue;
            }
            let key = (
                ranker.refused(pods, &budget),
                std::cmp::Reverse(pods.len()),
                k,
            );
            if best.as_ref().is_none_or(|(_, b)| key < *b) {
                best = Some((k, key));
            }
        }
        let Some((k, _)) = best else { break };
        taken[k] = true;
        for p in waiting[k].1.iter().flatten() {
            budget[*p] -= 1;
        }
        chosen.insert(waiting[k].0);
    }
    chosen
}

/// The drained nodes without a slot that have candidates left, in input
/// order, each with the PDB each of its pods would spend budget of (if
/// any). The open nodes' pods are promised their budget: it is taken out
/// of `budget`.
fn waiting_nodes(
    candidates: &[Candidate],
    remaining: &[usize],
    open: &HashSet<NodeId>,
    budget: &mut [i32],
) -> Vec<(NodeId, Vec<Option<usize>>)> {
    let mut waiting: Vec<(NodeId, Vec<Option<usize>>)> = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    for &i in remaining {
        let c = &candidates[i];
        // Pods that spend budget: healthy ones under a PDB (unready ones
        // usually go free).
        let spends = c.pdb.filter(|_| c.spends_budget);
        if open.contains(&c.node) {
            if let Some(p) = spends {
                budget[p] -= 1;
            }
            continue;
        }
        let k = *index.entry(c.node).or_insert_with(|| {
            waiting.push((c.node, Vec::new()));
            waiting.len() - 1
        });
        waiting[k].1.push(spends);
    }
    waiting
}

/// Counts a waiting node's pods its PDBs would refuse.
struct Ranker {
    /// Budget a node's own pods have claimed so far, per PDB (reset after
    /// each node through `touched`).
    claimed: Vec<i32>,
    touched: Vec<usize>,
}

impl Ranker {
    /// How many of `pods` (their PDBs) find no `budget` left.
    fn refused(&mut self, pods: &[Option<usize>], budget: &[i32]) -> usize {
        let mut refused = 0;
        for &p in pods.iter().flatten() {
            if self.claimed[p] == 0 {
                self.touched.push(p);
            }
            self.claimed[p] += 1;
            if self.claimed[p] > budget[p] {
                refused += 1;
            }
        }
        for p in self.touched.drain(..) {
            self.claimed[p] = 0;
        }
        refused
    }
}

/// One candidate of `node` is settled (evicted or stuck); a node with none
/// left frees its slot.
fn close(left: &mut HashMap<NodeId, usize>, open: &mut HashSet<NodeId>, node: NodeId) {
    if let Some(n) = left.get_mut(&node) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            open.remove(&node);
        }
    }
}

/// A lower bound on the waves of any plan that evicts exactly `evicted`:
/// every PDB evicts its healthy pods at most `budget` per wave, where the
/// budget is what it grants before the drain (its healthy count never
/// rises: a replacement is only as healthy as the pod it replaces, so an
/// unready pod's replacement adds nothing, and a healthy pod's restores
/// what its eviction took); and at most `max_unavailable` nodes have
/// evictions per wave.
pub(super) fn lower_bound(
    candidates: &[Candidate],
    evicted: &[usize],
    statuses: &[PdbStatus],
    max_unavailable: Option<usize>,
) -> usize {
    if evicted.is_empty() {
        return 0;
    }
    let mut spending: HashMap<usize, usize> = HashMap::new();
    let mut nodes: HashSet<NodeId> = HashSet::new();
    for &i in evicted {
        let c = &candidates[i];
        nodes.insert(c.node);
        if let Some(p) = c.pdb.filter(|_| c.spends_budget) {
            *spending.entry(p).or_insert(0) += 1;
        }
    }
    let mut bound = 1usize;
    for (&p, &n) in &spending {
        let Some(status) = statuses.get(p) else {
            continue;
        };
        let most = disruptions_allowed_with(status, status.current_healthy);
        if most > 0 {
            bound = bound.max(n.div_ceil(most as usize));
        }
    }
    if let Some(limit) = max_unavailable {
        bound = bound.max(nodes.len().div_ceil(limit.max(1)));
    }
    bound
}
