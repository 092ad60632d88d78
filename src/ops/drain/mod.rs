//! `drain`: can these nodes be emptied without breaking a
//! PodDisruptionBudget, what blocks it, and in what waves.
//!
//! 1. Targets (`--nodes`, `--pool`) are cordoned; `--surge` nodes of the
//!    pool are added, as many as its `maxCount` allows (fewer, with a
//!    warning, when the surge would pass it). DaemonSet and mirror pods
//!    stay (`--ignore-daemonsets`).
//! 2. Blockers up front, with kubectl drain's filters: pods without a
//!    controller (unless `--force`), with emptyDir (unless
//!    `--delete-emptydir-data`), under two PDBs (the eviction API refuses).
//! 3. Waves ([`waves`]): each PDB's evictions within its budget at that
//!    moment, as early as possible; PDBs that never allow one are blockers.
//!    A later wave's budgets count the earlier waves' replacements, each as
//!    healthy as the pod it replaces: an unready pod's replacement is
//!    assumed to stay unready. This is podplan's planning rule, not
//!    upstream behaviour (the disruption controller counts whatever is
//!    Ready when it syncs): it is conservative, so a plan never depends on
//!    a failing pod recovering. The PDB arithmetic itself is the
//!    controller's ([`crate::engine::disruption`]).
//! 4. Destinations ([`destinations`]): each wave's replacements placed in
//!    order on nodes kube-scheduler's filters accept at that moment; on
//!    small instances an exhaustive search backs up the greedy one, so a
//!    pod is called `NoFeasibleNode` only when no placement exists. Pods
//!    without a destination become blockers and the waves are recomposed
//!    without them.

mod destinations;
mod waves;

use crate::engine::disruption::{
    can_ignore_pdb, guarding_by_pod, is_healthy, pdb_statuses, replacement_is_healthy, PdbStatus,
};
use crate::engine::drainability::{drainability, Blocked, Drainability, Policy};
use crate::engine::scale_up::at_max_count;
use crate::engine::targets::resolve_targets;
use crate::engine::trace::Trace;
use crate::error::{Error, Result};
use crate::model::{Cluster, IntOrPercent, NodeId, PodId, PoolId};
use crate::parallel;
use crate::predicates::fit_error::unschedulable_message;
use crate::predicates::{PodState, Snapshot};
use crate::report::drain::{
    Blocker, BlockerReason, DrainOptions, DrainReport, DrainStats, Eviction, PdbNumbers, Wave,
};
use destinations::Finder;
use std::collections::{HashMap, HashSet};
use waves::{compose, lower_bound, Candidate};
use web_time::Instant;

/// Exhaustive destination search runs when at most this many pods move...
const EXACT_MAX_PODS: usize = 12;
/// ...and at most this many (pod, node) filter calls are spent on it.
const EXACT_MAX_STEPS: usize = 200_000;

/// Plans the drain (see the module docs).
pub fn drain(cluster: &Cluster, options: &DrainOptions) -> Result<DrainReport> {
    let start = Instant::now();
    let trace = Trace::from_env(start);
    // 1. Targets, and the PDBs' statuses before the drain.
    let (targets, pool) = resolve_targets(cluster, options)?;
    let (surge, surge_warning) = clipped_surge(cluster, pool, options.surge);
    let statuses = pdb_statuses(cluster);
    trace.say(|| format!("{} PDB statuses", statuses.len()));
    let base = Snapshot::new(cluster);
    trace.say(|| format!("snapshot of {} nodes", base.node_count()));
    // 2. Blockers up front; the other pods are candidates for eviction.
    let sorted = sort_pods(cluster, &base, &targets, &statuses, options)?;
    trace.say(|| format!("{} candidates", sorted.candidates.len()));
    let mut blockers = sorted.blockers;
    let candidates = sorted.candidates;
    // 3. and 4. Waves and destinations; pods that no destination takes,
    // and pods under a PDB that never allows their eviction, are blockers.
    let setting = Setting {
        cluster,
        base: &base,
        targets: &targets,
        pool,
        surge,
        options,
        statuses: &statuses,
    };
    let plan = plan_waves(&setting, &candidates, &mut blockers);
    trace.say(|| format!("{} waves placed", plan.composition.waves.len()));
    blockers.extend(budget_blockers(
        cluster,
        &candidates,
        &plan.composition.stuck,
    ));
    // The report.
    let waves = report_waves(cluster, &candidates, &targets, &plan, &blockers);
    let evicted: Vec<usize> = plan.composition.waves.iter().flatten().copied().collect();
    let wave_lower_bound = lower_bound(&candidates, &evicted, &statuses, options.max_unavailable);
    Ok(DrainReport {
        feasible: blockers.is_empty(),
        waves,
        wave_lower_bound,
        blockers,
        pdbs: statuses.iter().map(numbers).collect(),
        surge_nodes: plan.surge_nodes,
        stats: DrainStats {
            solve_millis: start.elapsed().as_millis() as u64,
            nodes: targets.len(),
            evictions: evicted.len(),
            ignored_pods: sorted.ignored,
        },
        warnings: surge_warning
            .into_iter()
            .chain(warnings(&candidates))
            .collect(),
    })
}

/// The surge nodes the pool may add: `asked` clipped to the room its
/// `maxCount` leaves (its existing nodes count, the drained and cordoned
/// ones included: they are still there while the surge nodes run), and a
/// warning when clipped. Clipping rather than failing keeps the plan
/// useful: the drain is planned with the surge the pool can take.
fn clipped_surge(cluster: &Cluster, pool: Option<PoolId>, asked: usize) -> (usize, Option<String>) {
    let Some(p) = pool else {
        return (asked, None);
    };
    let pool = &cluster.pools[p.index()];
    let room = cluster.pool_rooms()[p.index()];
    let (Some(left), Some(max)) = (room, pool.max_count) else {
        return (asked, None);
    };
    if left as usize >= asked {
        return (asked, None);
    }
    let why = at_max_count(pool, room).unwrap_or_else(|| {
        format!(
            "pool {} has room for {left} more node(s) under maxCount {max}",
            pool.name
        )
    });
    let warning = format!("--surge {asked} clipped to {left} surge node(s): {why}");
    (left as usize, Some(warning))
}

/// The pods on the drained nodes, sorted by what becomes of them.
struct Sorted {
    /// Pods the eviction API will be asked to evict.
    candidates: Vec<Candidate>,
    /// Pods kubectl drain or the eviction API refuses whatever the waves.
    blockers: Vec<Blocker>,
    /// DaemonSet and mirror pods, which stay.
    ignored: usize,
}

/// What becomes of one pod on a drained node.
enum Fate {
    /// It goes with the node.
    Ignored,
    Blocker(Blocker),
    Candidate(Candidate),
}

/// Sorts the targets' pods, node by node and in pod order, with kubectl
/// drain's filters and the one-PDB rule of the eviction API.
fn sort_pods(
    cluster: &Cluster,
    base: &Snapshot,
    targets: &[NodeId],
    statuses: &[PdbStatus],
    options: &DrainOptions,
) -> Result<Sorted> {
    let guarding_of = guarding_by_pod(cluster, statuses);
    let policy = Policy::drain(options.force, options.delete_emptydir_data);
    let mut sorted = Sorted {
        candidates: Vec::new(),
        blockers: Vec::new(),
        ignored: 0,
    };
    // Node by node over threads; the fates come back in node order.
    let fates = parallel::map(targets, |&node| {
        let mut pods = base.info(node).pods.clone();
        pods.sort();
        pods.into_iter()
            .map(|pod| fate(cluster, base, pod, node, policy, &guarding_of, statuses))
            .collect::<Result<Vec<Fate>>>()
    });
    for node_fates in fates {
        for f in node_fates? {
            match f {
                Fate::Ignored => sorted.ignored += 1,
                Fate::Blocker(b) => sorted.blockers.push(b),
                Fate::Candidate(c) => sorted.candidates.push(c),
            }
        }
    }
    Ok(sorted)
}

/// What becomes of `pod_id` on `node`; `guarding_of` lists the PDBs that
/// guard each pod of the cluster (the DaemonSet pods the snapshot adds are
/// not among them: they go with the node before it is read).
fn fate(
    cluster: &Cluster,
    base: &Snapshot,
    pod_id: PodId,
    node: NodeId,
    policy: Policy,
    guarding_of: &[Vec<usize>],
    statuses: &[PdbStatus],
) -> Result<Fate> {
    let pod = base.pod(pod_id);
    let blocker = |reason, pdb: Option<String>, message: String| {
        Fate::Blocker(Blocker {
            node: cluster.nodes[node.index()].name.clone(),
            pod: pod.key(),
            pdb,
            reason,
            message,
        })
    };
    match drainability(cluster, pod_id, policy) {
        Drainability::GoesWithNode => return Ok(Fate::Ignored),
        Drainability::Blocked(rule) => {
            let (reason, hint) = blocked_reason(rule)?;
            return Ok(blocker(
                reason,
                None,
                format!("{} (use {hint})", rule.why()),
            ));
        }
        Drainability::Moves => {}
    }
    let guarding = &guarding_of[pod_id.index()];
    if guarding.len() > 1 && !can_ignore_pdb(pod) {
        let names: Vec<String> = guarding.iter().map(|&p| statuses[p].pdb.clone()).collect();
        return Ok(blocker(
            BlockerReason::MultiplePdbs,
            Some(names.join(",")),
            format!(
                "under {} PDBs ({}): the eviction API refuses pods with more than one",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    Ok(Fate::Candidate(Candidate {
        pod: pod_id,
        node,
        pdb: guarding.first().copied(),
        healthy: is_healthy(pod),
        spends_budget: is_healthy(pod) && !can_ignore_pdb(pod),
        recreated: pod.owner.is_some(),
        replaced_healthy: pod.owner.is_some() && replacement_is_healthy(pod),
    }))
}

/// The blocker reason for one of kubectl drain's filters, and the flag
/// that lifts it.
fn blocked_reason(rule: Blocked) -> Result<(BlockerReason, &'static str)> {
    match rule {
        Blocked::UnmanagedPod => Ok((BlockerReason::UnmanagedPod, "--force")),
        Blocked::LocalStorage => Ok((BlockerReason::LocalStorage, "--delete-emptydir-data")),
        Blocked::SystemPodWithoutPdb => Err(Error::Internal(
            "drain's policy has no system-pod rule".into(),
        )),
    }
}

/// What the waves are planned in: the cluster, the drain's targets and
/// options, and the PDBs' statuses before it.
struct Setting<'a> {
    cluster: &'a Cluster,
    base: &'a Snapshot<'a>,
    targets: &'a [NodeId],
    /// The targets' pool (`--pool`), where surge nodes come from.
    pool: Option<PoolId>,
    /// Surge nodes to add: `--surge` within the pool's `maxCount`.
    surge: usize,
    options: &'a DrainOptions,
    statuses: &'a [PdbStatus],
}

/// The waves with a destination for every evicted pod.
struct Plan {
    /// Candidate indices (into all candidates) per wave, and the stuck.
    composition: waves::Composition,
    /// Candidate index -> destination node name (`None`: deleted).
    destinations: HashMap<usize, Option<String>>,
    /// Names of the surge nodes.
    surge_nodes: Vec<String>,
}

/// Waves, then destinations; pods without one leave (as `NoFeasibleNode`
/// blockers) and the waves are recomposed until every evicted pod has a
/// destination.
fn plan_waves(setting: &Setting, candidates: &[Candidate], blockers: &mut Vec<Blocker>) -> Plan {
    let cluster = setting.cluster;
    let mut excluded: HashSet<usize> = HashSet::new();
    loop {
        let index: Vec<usize> = (0..candidates.len())
            .filter(|i| !excluded.contains(i))
            .collect();
        let active: Vec<Candidate> = index.iter().map(|&i| candidates[i].clone()).collect();
        let max_unavailable = setting.options.max_unavailable;
        let composition = compose(cluster, &active, setting.statuses, max_unavailable);
        let outcome = place_waves(setting, &active, &composition.waves);
        if outcome.failed.is_empty() {
            return Plan {
                composition: remap(composition, &index),
                destinations: outcome
                    .destinations
                    .into_iter()
                    .map(|(i, d)| (index[i], d))
                    .collect(),
                surge_nodes: outcome.surge_nodes,
            };
        }
        for (i, message) in outcome.failed {
            let c = &candidates[index[i]];
            blockers.push(Blocker {
                node: cluster.nodes[c.node.index()].name.clone(),
                pod: cluster.pods[c.pod.index()].key(),
                pdb: None,
                reason: BlockerReason::NoFeasibleNode,
                message,
            });
            excluded.insert(index[i]);
        }
    }
}

/// Indices of the active candidates back to all candidates.
fn remap(mut c: waves::Composition, index: &[usize]) -> waves::Composition {
    for wave in &mut c.waves {
        for i in wave.iter_mut() {
            *i = index[*i];
        }
    }
    for s in &mut c.stuck {
        s.0 = index[s.0];
    }
    c
}

/// The candidates no wave can evict, as `PodDisruptionBudget` blockers.
fn budget_blockers<'a>(
    cluster: &'a Cluster,
    candidates: &'a [Candidate],
    stuck: &'a [(usize, usize, PdbStatus)],
) -> impl Iterator<Item = Blocker> + 'a {
    stuck.iter().map(move |(i, p, status)| {
        let c = &candidates[*i];
        Blocker {
            node: cluster.nodes[c.node.index()].name.clone(),
            pod: cluster.pods[c.pod.index()].key(),
            pdb: Some(status.pdb.clone()),
            reason: BlockerReason::PodDisruptionBudget,
            message: budget_message(cluster, *p, status),
        }
    })
}

/// Waves in the report; each drained node is listed in the wave that
/// empties it (nodes with a blocker never empty; nodes without evictions
/// empty in the first).
fn report_waves(
    cluster: &Cluster,
    candidates: &[Candidate],
    targets: &[NodeId],
    plan: &Plan,
    blockers: &[Blocker],
) -> Vec<Wave> {
    let blocked_nodes: HashSet<&str> = blockers.iter().map(|b| b.node.as_str()).collect();
    let mut last_wave: HashMap<NodeId, usize> = HashMap::new();
    let mut waves: Vec<Wave> = Vec::new();
    for (w, members) in plan.composition.waves.iter().enumerate() {
        let mut wave = Wave::default();
        for &i in members {
            let c = &candidates[i];
            last_wave.insert(c.node, w);
            wave.evictions.push(Eviction {
                pod: cluster.pods[c.pod.index()].key(),
                from: cluster.nodes[c.node.index()].name.clone(),
                to: plan.destinations.get(&i).cloned().flatten(),
            });
        }
        waves.push(wave);
    }
    for &node in targets {
        let name = &cluster.nodes[node.index()].name;
        if blocked_nodes.contains(name.as_str()) {
            continue;
        }
        let w = last_wave.get(&node).copied().unwrap_or(0);
        if waves.is_empty() {
            waves.push(Wave::default());
        }
        waves[w].nodes.push(name.clone());
    }
    waves
}

/// The assumptions the plan rests on that the user should know.
fn warnings(candidates: &[Candidate]) -> Vec<String> {
    let mut warnings = Vec::new();
    if candidates
        .iter()
        .any(|c| !c.healthy && c.recreated && c.pdb.is_some())
    {
        warnings.push(
            "replacements of unready pods are assumed to stay unready: they do not refill their PDB's budget"
                .into(),
        );
    }
    warnings
}

/// Destinations of one composition.
struct Placement {
    /// Active-candidate index -> destination node name (`None`: deleted).
    destinations: Vec<(usize, Option<String>)>,
    /// Active-candidate indices without a destination, with the
    /// scheduler's message at that moment.
    failed: Vec<(usize, String)>,
    /// Names of the surge nodes.
    surge_nodes: Vec<String>,
}

/// Replays the waves on a copy of the cluster: cordon, surge, then per
/// wave evict everything and place each replacement in order. On a small
/// instance where that fails, an exhaustive search tries every
/// combination before any pod is called unplaceable.
fn place_waves(setting: &Setting, candidates: &[Candidate], waves: &[Vec<usize>]) -> Placement {
    let (mut snapshot, surge_nodes) = cordoned_with_surge(setting);
    let target_set: HashSet<NodeId> = setting.targets.iter().copied().collect();
    let destinations: Vec<NodeId> = snapshot
        .node_ids()
        .filter(|n| !target_set.contains(n))
        .collect();
    let moving: usize = waves.iter().map(Vec::len).sum();
    let small = moving <= EXACT_MAX_PODS;
    let mut finder = Finder::new(&snapshot, destinations);
    let mut out = Placement {
        destinations: Vec::new(),
        failed: Vec::new(),
        surge_nodes,
    };
    // Only the exhaustive search of small instances restarts from here: at
    // scale a copy of the whole snapshot would be wasted.
    let greedy_start = small.then(|| snapshot.clone());
    let ok = place_greedily(&mut finder, &mut snapshot, candidates, waves, &mut out);
    if let (false, Some(start)) = (ok, greedy_start) {
        place_exhaustively(&finder, start, candidates, waves, &mut out);
    } else if !ok {
        // Report one failure at a time: the waves are recomposed without
        // it, which may free room for the others.
        out.failed.truncate(1);
    }
    out
}

/// The base snapshot with the targets cordoned and the (clipped) surge's
/// new nodes of the pool added (skipping names the cluster has); returns
/// the surge nodes' names too.
fn cordoned_with_surge<'c>(setting: &Setting<'c>) -> (Snapshot<'c>, Vec<String>) {
    let cluster = setting.cluster;
    let mut snapshot = setting.base.clone();
    for &t in setting.targets {
        snapshot.set_unschedulable(t, true);
    }
    let mut surge_nodes = Vec::new();
    if let Some(p) = setting.pool {
        let existing: HashSet<&str> = cluster.nodes.iter().map(|n| n.name.as_str()).collect();
        let mut k = 0;
        while surge_nodes.len() < setting.surge {
            let node = cluster.pools[p.index()].new_node(p, k);
            k += 1;
            if existing.contains(node.name.as_str()) {
                continue;
            }
            surge_nodes.push(node.name.clone());
            snapshot.add_node(node);
        }
    }
    (snapshot, surge_nodes)
}

/// Per wave, evicts everything, then places each replacement in order on
/// the first node that accepts it, into `out`; stops after the first wave
/// with a pod placed nowhere and returns false.
fn place_greedily(
    finder: &mut Finder,
    snapshot: &mut Snapshot,
    candidates: &[Candidate],
    waves: &[Vec<usize>],
    out: &mut Placement,
) -> bool {
    let mut ok = true;
    for wave in waves {
        for &i in wave {
            finder.unassign(snapshot, candidates[i].pod);
        }
        for &i in wave {
            let c = &candidates[i];
            if !c.recreated {
                out.destinations.push((i, None));
                continue;
            }
            let copy = snapshot.add_replacement(c.pod);
            match finder.find(snapshot, copy) {
                Some(n) => {
                    finder.assign(snapshot, copy, n);
                    out.destinations
                        .push((i, Some(snapshot.node(n).name.clone())));
                }
                None => {
                    ok = false;
                    let state = PodState::new(snapshot, copy);
                    out.failed
                        .push((i, unschedulable_message(snapshot, &state)));
                }
            }
        }
        if !ok {
            break;
        }
    }
    ok
}

/// Searches every combination of destinations from `start` (the snapshot
/// before the greedy pass); found, its destinations replace the greedy
/// ones and nothing failed, else the greedy pass's first failure stands.
fn place_exhaustively(
    finder: &Finder,
    mut start: Snapshot,
    candidates: &[Candidate],
    waves: &[Vec<usize>],
    out: &mut Placement,
) {
    let order: Vec<usize> = waves.iter().flatten().copied().collect();
    let mut search = Exhaustive {
        finder,
        candidates,
        wave_of: waves
            .iter()
            .enumerate()
            .flat_map(|(w, m)| m.iter().map(move |&i| (i, w)))
            .collect(),
        order,
        chosen: Vec::new(),
        steps: 0,
    };
    if search.from(&mut start, 0) {
        out.destinations = search
            .order
            .iter()
            .zip(&search.chosen)
            .map(|(&i, n)| (i, n.map(|n| start.node(n).name.clone())))
            .collect();
        out.failed.clear();
    } else {
        out.failed.truncate(1);
    }
}

/// Depth-first search over every destination of every replacement, wave by
/// wave, replaying the same moves as the greedy pass.
struct Exhaustive<'a> {
    finder: &'a Finder,
    candidates: &'a [Candidate],
    /// Candidates in eviction order, and the wave of each.
    order: Vec<usize>,
    wave_of: HashMap<usize, usize>,
    /// Destinations of `order[..chosen.len()]` (`None`: deleted).
    chosen: Vec<Option<NodeId>>,
    /// Filter work spent, against [`EXACT_MAX_STEPS`].
    steps: usize,
}

impl Exhaustive<'_> {
    /// Places `order[at..]`; true leaves the snapshot in the found state.
    fn from(&mut self, snapshot: &mut Snapshot, at: usize) -> bool {
        if at == self.order.len() {
            return true;
        }
        let i = self.order[at];
        let wave = self.wave_of[&i];
        // First pod of a wave: the whole wave leaves its nodes.
        let mut removed = Vec::new();
        if at == 0 || self.wave_of[&self.order[at - 1]] != wave {
            for &j in self.order[at..]
                .iter()
                .take_while(|j| self.wave_of[*j] == wave)
            {
                let pod = self.candidates[j].pod;
                if let Some(n) = snapshot.placement(pod) {
                    snapshot.unassign(pod);
                    removed.push((pod, n));
                }
            }
        }
        let c = &self.candidates[i];
        let options: Vec<Option<(PodId, NodeId)>> = if c.recreated {
            let copy = snapshot.add_replacement(c.pod);
            let nodes = self.finder.all_feasible(snapshot, copy);
            self.steps += nodes.len().max(1) * 4;
            nodes.into_iter().map(|n| Some((copy, n))).collect()
        } else {
            vec![None]
        };
        for option in options {
            if self.steps > EXACT_MAX_STEPS {
                break;
            }
            if let Some((copy, n)) = option {
                snapshot.assign(copy, n);
            }
            self.chosen.push(option.map(|(_, n)| n));
            if self.from(snapshot, at + 1) {
                return true;
            }
            self.chosen.pop();
            if let Some((copy, _)) = option {
                snapshot.unassign(copy);
            }
        }
        for (pod, n) in removed {
            snapshot.assign(pod, n);
        }
        false
    }
}

/// The report's numbers of one PDB.
fn numbers(s: &PdbStatus) -> PdbNumbers {
    PdbNumbers {
        pdb: s.pdb.clone(),
        expected_pods: s.expected_pods,
        current_healthy: s.current_healthy,
        desired_healthy: s.desired_healthy,
        disruptions_allowed: s.disruptions_allowed,
        note: s.note.clone(),
    }
}

/// "PDB shop/db allows 0 disruptions (minAvailable 3, currentHealthy 3):
/// needs 3 healthy, has 3".
fn budget_message(cluster: &Cluster, p: usize, status: &PdbStatus) -> String {
    let pdb = &cluster.pdbs[p];
    let rule = match (pdb.min_available, pdb.max_unavailable) {
        (Some(v), _) => format!("minAvailable {}", int_or_percent(v)),
        (None, Some(v)) => format!("maxUnavailable {}", int_or_percent(v)),
        (None, None) => "no minAvailable or maxUnavailable".into(),
    };
    match &status.note {
        Some(note) => format!("PDB {} allows 0 disruptions ({rule}): {note}", status.pdb),
        None => format!(
            "PDB {} allows 0 disruptions ({rule}, currentHealthy {}): needs {} healthy, has {}",
            status.pdb, status.current_healthy, status.desired_healthy, status.current_healthy
        ),
    }
}

fn int_or_percent(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(n) => format!("{n}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_targets_are_usage_errors() {
        let cluster = Cluster::default();
        let err = drain(
            &cluster,
            &DrainOptions {
                nodes: vec!["nope".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = drain(&cluster, &DrainOptions::default()).unwrap_err();
        assert!(err.to_string().contains("--nodes or --pool"), "{err}");
    }

    /// The threads change nothing: a pool of one thread plans the same
    /// drain (timing aside).
    #[test]
    fn parallel_drain_equals_the_serial_run() {
        use crate::generate::{drain_scenario, DrainScenarioOptions};
        use crate::ingest::{read_scenario, Input};
        for seed in [1, 2] {
            let text = drain_scenario(&DrainScenarioOptions {
                nodes: 60,
                pods: 1500,
                workloads: 40,
                seed,
            })
            .to_string();
            let cluster = read_scenario(&[Input::new("d.json", &text)]).unwrap();
            let options = DrainOptions {
                pool: Some("drain".into()),
                surge: 2,
                ..Default::default()
            };
            let mut threaded = drain(&cluster, &options).unwrap();
            let mut serial = parallel::serially(|| drain(&cluster, &options).unwrap());
            assert!(threaded.stats.evictions > 0);
            threaded.stats.solve_millis = 0;
            serial.stats.solve_millis = 0;
            assert_eq!(threaded, serial);
        }
    }
}
