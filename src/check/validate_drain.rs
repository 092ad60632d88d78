//! Replays a drain report and fails loudly on anything the eviction API or
//! kube-scheduler would refuse: the independent check every drain plan in
//! the tests goes through.
//!
//! Before each wave the PDBs' statuses are recomputed from scratch on the
//! cluster as the earlier waves left it (evicted pods running again on
//! their destinations, each replacement as healthy as the pod it replaced:
//! podplan's conservative planning rule, under which an unready pod's
//! replacement stays unready); each eviction is put to the eviction API's
//! rules in order, and one that fits only if unready pods' replacements
//! counted as healthy is named as such; each replacement must pass every
//! filter plugin on its node with everything placed so far (a fresh
//! `PodState` per pod, no caching).

use crate::engine::disruption::{
    disruptions_allowed_with, eviction_outcome, guarding_pdbs, pdb_statuses,
    replacement_is_healthy, EvictionOutcome, PdbStatus,
};
use crate::engine::targets::targets;
use crate::model::{Cluster, Node, NodeId, PodId, PodPhase, PoolId};
use crate::predicates::{filter, PodState, Snapshot};
use crate::report::drain::{DrainOptions, DrainReport, Eviction, Wave};
use std::collections::{HashMap, HashSet};

/// Checks `report` against `cluster` and `options`; returns every problem.
/// The checks, in order: the surge nodes, then each wave (node limit,
/// evictions, replacements, emptied nodes), then every pod to drain
/// accounted for once, `feasible`, and the wave lower bound.
pub fn validate_drain(
    cluster: &Cluster,
    options: &DrainOptions,
    report: &DrainReport,
) -> Result<(), Vec<String>> {
    let targets = match targets(cluster, options) {
        Ok(t) => t,
        Err(e) => return Err(vec![format!("targets: {e}")]),
    };
    let mut errors = Vec::new();
    let snapshot = cordoned_with_surge(cluster, &targets, &report.surge_nodes, &mut errors);
    check_surge_count(report, options, &mut errors);
    let mut replay = Replay::new(cluster, options, &targets, snapshot, errors);
    for (w, wave) in report.waves.iter().enumerate() {
        replay.check_wave(w + 1, wave);
    }
    let mut errors = replay.check_every_pod_accounted(report);
    check_feasible(report, &mut errors);
    check_wave_lower_bound(report, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The scheduler's view before the first wave: the targets cordoned and
/// the report's surge nodes added, each of which must be a new node of a
/// pool that the cluster does not have yet.
fn cordoned_with_surge<'c>(
    cluster: &'c Cluster,
    targets: &[NodeId],
    surge_nodes: &[String],
    errors: &mut Vec<String>,
) -> Snapshot<'c> {
    let mut snapshot = Snapshot::new(cluster);
    for &t in targets {
        snapshot.set_unschedulable(t, true);
    }
    for name in surge_nodes {
        match new_pool_node(cluster, name) {
            Some(node) if cluster.node_by_name(name).is_none() => {
                snapshot.add_node(node);
            }
            _ => errors.push(format!("surge node {name} is not a new node of a pool")),
        }
    }
    snapshot
}

/// The node a pool would create under `name` (`<pool>-new-<k>`), if any.
fn new_pool_node(cluster: &Cluster, name: &str) -> Option<Node> {
    cluster.pools.iter().enumerate().find_map(|(p, pool)| {
        let k: usize = name
            .strip_prefix(&format!("{}-new-", pool.name))?
            .parse()
            .ok()?;
        Some(pool.new_node(PoolId(p as u32), k))
    })
}

/// No more surge nodes than `--surge`.
fn check_surge_count(report: &DrainReport, options: &DrainOptions, errors: &mut Vec<String>) {
    if report.surge_nodes.len() > options.surge {
        errors.push(format!(
            "{} surge nodes, --surge {}",
            report.surge_nodes.len(),
            options.surge
        ));
    }
}

/// `feasible` holds exactly when there is no blocker.
fn check_feasible(report: &DrainReport, errors: &mut Vec<String>) {
    if report.feasible != report.blockers.is_empty() {
        errors.push("feasible disagrees with the blockers".into());
    }
}

/// The wave lower bound is at most the plan's number of waves with
/// evictions.
fn check_wave_lower_bound(report: &DrainReport, errors: &mut Vec<String>) {
    let waves_with_evictions = report
        .waves
        .iter()
        .filter(|w| !w.evictions.is_empty())
        .count();
    if report.wave_lower_bound > waves_with_evictions {
        errors.push(format!(
            "wave lower bound {} above the plan's {} waves",
            report.wave_lower_bound, waves_with_evictions
        ));
    }
}

/// The plan replayed wave by wave, and the problems found so far.
struct Replay<'c> {
    cluster: &'c Cluster,
    options: &'c DrainOptions,
    target_set: HashSet<NodeId>,
    pod_by_key: HashMap<String, PodId>,
    /// Node names of the snapshot, surge nodes included.
    node_by_name: HashMap<String, NodeId>,
    /// Pods that must leave the targets: all but DaemonSet and mirror pods.
    must_leave: HashSet<PodId>,
    /// The scheduler's view: evicted pods' replacements on their
    /// destinations.
    snapshot: Snapshot<'c>,
    /// The cluster as the waves so far left it, for the PDBs' statuses.
    world: Cluster,
    /// Pods evicted so far.
    evicted: HashSet<PodId>,
    /// Evicted pods that were unready and whose replacements run (unready
    /// too, by the planning rule), for the message of a plan that counts
    /// them as healthy.
    replaced_unready: HashSet<PodId>,
    errors: Vec<String>,
}

impl<'c> Replay<'c> {
    fn new(
        cluster: &'c Cluster,
        options: &'c DrainOptions,
        targets: &[NodeId],
        snapshot: Snapshot<'c>,
        errors: Vec<String>,
    ) -> Self {
        let pod_by_key = cluster
            .pods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key(), PodId(i as u32)))
            .collect();
        let node_by_name = snapshot
            .node_ids()
            .map(|n| (snapshot.node(n).name.clone(), n))
            .collect();
        let must_leave = pods_to_drain(cluster, &snapshot, targets);
        Replay {
            cluster,
            options,
            target_set: targets.iter().copied().collect(),
            pod_by_key,
            node_by_name,
            must_leave,
            snapshot,
            world: cluster.clone(),
            evicted: HashSet::new(),
            replaced_unready: HashSet::new(),
            errors,
        }
    }

    /// One wave (`w` counts from 1): the node limit, each eviction put to
    /// the eviction API, each replacement put to the filters, and the
    /// nodes it lists as emptied.
    fn check_wave(&mut self, w: usize, wave: &Wave) {
        self.check_node_limit(w, wave);
        let leaving = self.check_evictions(w, wave);
        for (pod, _) in &leaving {
            self.snapshot.unassign(*pod);
        }
        for (pod, e) in leaving {
            self.check_replacement(w, pod, e);
        }
        self.check_emptied_nodes(w, wave);
    }

    /// Evictions on at most `--max-unavailable` nodes.
    fn check_node_limit(&mut self, w: usize, wave: &Wave) {
        if let Some(limit) = self.options.max_unavailable {
            let nodes: HashSet<&str> = wave.evictions.iter().map(|e| e.from.as_str()).collect();
            if nodes.len() > limit.max(1) {
                self.errors.push(format!(
                    "wave {w}: evictions on {} nodes, --max-unavailable {limit}",
                    nodes.len()
                ));
            }
        }
    }

    /// Each eviction, in order, against the PDBs' statuses recomputed at
    /// the start of the wave: a known pod to drain, on the node named,
    /// evicted once, that the eviction API accepts. Returns the pods that
    /// leave.
    fn check_evictions<'w>(&mut self, w: usize, wave: &'w Wave) -> Vec<(PodId, &'w Eviction)> {
        let mut now = pdb_statuses(&self.world);
        let mut leaving = Vec::new();
        for e in &wave.evictions {
            let Some(&pod) = self.pod_by_key.get(&e.pod) else {
                self.errors.push(format!("wave {w}: unknown pod {}", e.pod));
                continue;
            };
            self.check_evicted_pod(w, pod, e);
            self.check_eviction_api(w, pod, e, &mut now);
            leaving.push((pod, e));
        }
        leaving
    }

    /// The pod is evicted once, from the node it is on, and must leave.
    fn check_evicted_pod(&mut self, w: usize, pod: PodId, e: &Eviction) {
        if !self.evicted.insert(pod) {
            self.errors
                .push(format!("wave {w}: {} evicted twice", e.pod));
        }
        let on = self
            .snapshot
            .placement(pod)
            .map(|n| self.snapshot.node(n).name.clone());
        if on.as_deref() != Some(e.from.as_str()) || !self.must_leave.contains(&pod) {
            self.errors.push(format!(
                "wave {w}: {} is on {:?}, not a pod to drain from {}",
                e.pod, on, e.from
            ));
        }
    }

    /// The eviction API's verdict with the budgets left in `now`.
    fn check_eviction_api(&mut self, w: usize, pod: PodId, e: &Eviction, now: &mut [PdbStatus]) {
        let guarding = guarding_pdbs(&self.world, pod);
        match eviction_outcome(&self.world, pod, &guarding, now) {
            EvictionOutcome::Free | EvictionOutcome::AllowedUnhealthy => {}
            EvictionOutcome::Spends(p) => now[p].disruptions_allowed -= 1,
            EvictionOutcome::TooManyRequests(p) => {
                let message =
                    match self.fits_if_unready_replacements_counted(pod, &guarding, now, p) {
                        Some(counted) => format!(
                            "wave {w}: evicting {} exceeds PDB {}'s budget: the plan counts the \
                         replacements of {counted} unready pod(s) evicted before as healthy, but a \
                         replacement is only as healthy as the pod it replaces (currentHealthy {}, \
                         desiredHealthy {})",
                            e.pod, now[p].pdb, now[p].current_healthy, now[p].desired_healthy
                        ),
                        None => format!(
                            "wave {w}: evicting {} exceeds PDB {}'s budget",
                            e.pod, now[p].pdb
                        ),
                    };
                self.errors.push(message);
            }
            EvictionOutcome::MultiplePdbs(_) => self.errors.push(format!(
                "wave {w}: {} is under several PDBs: the eviction API refuses it",
                e.pod
            )),
        }
    }

    /// Whether PDB `p`, which refuses evicting `pod` with the budget left in
    /// `now`, would accept it if the replacements of the unready pods it
    /// selects that earlier waves evicted counted as healthy: then their
    /// number, the mistake to name.
    fn fits_if_unready_replacements_counted(
        &self,
        pod: PodId,
        guarding: &[usize],
        now: &[PdbStatus],
        p: usize,
    ) -> Option<usize> {
        let status = now.get(p)?;
        let counted = status
            .pods
            .iter()
            .filter(|id| self.replaced_unready.contains(id))
            .count();
        if counted == 0 {
            return None;
        }
        // What this wave's evictions have spent so far stays spent.
        let spent = disruptions_allowed_with(status, status.current_healthy)
            .saturating_sub(status.disruptions_allowed);
        let mut optimistic = now.to_vec();
        let healthy = status
            .current_healthy
            .saturating_add(i32::try_from(counted).unwrap_or(i32::MAX));
        optimistic[p].current_healthy = healthy;
        optimistic[p].disruptions_allowed =
            disruptions_allowed_with(status, healthy).saturating_sub(spent);
        let outcome = eviction_outcome(&self.world, pod, guarding, &optimistic);
        (!matches!(outcome, EvictionOutcome::TooManyRequests(_))).then_some(counted)
    }

    /// An evicted pod without a destination is deleted, which only
    /// `--force` does, to pods without a controller; one with a
    /// destination must pass every filter on a node that is not drained.
    fn check_replacement(&mut self, w: usize, pod: PodId, e: &Eviction) {
        let Some(to) = &e.to else {
            let original = &self.cluster.pods[pod.index()];
            if original.owner.is_some() || !self.options.force {
                self.errors.push(format!(
                    "wave {w}: {} is deleted without --force or has a controller",
                    e.pod
                ));
            }
            // Gone for good: it counts towards no PDB's currentHealthy.
            let gone = &mut self.world.pods[pod.index()];
            gone.phase = PodPhase::Failed;
            gone.ready = false;
            return;
        };
        let Some(&node) = self.node_by_name.get(to) else {
            self.errors
                .push(format!("wave {w}: {} goes to unknown node {to}", e.pod));
            return;
        };
        if self.target_set.contains(&node) {
            self.errors
                .push(format!("wave {w}: {} goes to drained node {to}", e.pod));
        }
        let id = self.snapshot.add_replacement(pod);
        let state = PodState::new(&self.snapshot, id);
        if let Err(r) = filter(&self.snapshot, &state, node) {
            self.errors.push(format!(
                "wave {w}: {} cannot run on {to}: {}: {}",
                e.pod,
                r.plugin.name(),
                r.reasons.join(", ")
            ));
        }
        self.snapshot.assign(id, node);
        self.run_moved(pod, to);
    }

    /// The world after a move: the pod runs on `to`, as healthy as it was
    /// (`replacement_is_healthy`: an unready pod's replacement is unready).
    fn run_moved(&mut self, pod: PodId, to: &str) {
        let node = self
            .world
            .nodes
            .iter()
            .position(|n| n.name == to)
            .map(|i| NodeId(i as u32));
        let healthy = replacement_is_healthy(&self.cluster.pods[pod.index()]);
        if !healthy {
            self.replaced_unready.insert(pod);
        }
        let moved = &mut self.world.pods[pod.index()];
        moved.node_name = Some(to.to_string());
        moved.node = node;
        moved.phase = PodPhase::Running;
        moved.ready = healthy;
        moved.terminating = false;
    }

    /// Every node the wave lists is a drained node left with no pod to
    /// drain.
    fn check_emptied_nodes(&mut self, w: usize, wave: &Wave) {
        for name in &wave.nodes {
            match self.node_by_name.get(name) {
                Some(n) if self.target_set.contains(n) => {
                    let left = self
                        .snapshot
                        .info(*n)
                        .pods
                        .iter()
                        .filter(|p| self.must_leave.contains(p))
                        .count();
                    if left > 0 {
                        self.errors.push(format!(
                            "wave {w}: {name} is listed empty but keeps {left} pod(s)"
                        ));
                    }
                }
                _ => self
                    .errors
                    .push(format!("wave {w}: {name} is not a drained node")),
            }
        }
    }

    /// Every pod to drain is either evicted or a blocker, not both;
    /// returns all the problems found.
    fn check_every_pod_accounted(mut self, report: &DrainReport) -> Vec<String> {
        let blocked: HashSet<&str> = report.blockers.iter().map(|b| b.pod.as_str()).collect();
        for pod in &self.must_leave {
            let key = self.cluster.pods[pod.index()].key();
            let gone = self.evicted.contains(pod);
            if gone == blocked.contains(key.as_str()) {
                self.errors.push(format!(
                    "{key}: {}",
                    if gone {
                        "evicted and also a blocker"
                    } else {
                        "neither evicted nor a blocker"
                    }
                ));
            }
        }
        self.errors
    }
}

/// Pods that must leave the targets: all but DaemonSet and mirror pods.
fn pods_to_drain(cluster: &Cluster, snapshot: &Snapshot, targets: &[NodeId]) -> HashSet<PodId> {
    let mut must_leave = HashSet::new();
    for &t in targets {
        for &p in &snapshot.info(t).pods {
            let pod = snapshot.pod(p);
            let owner = pod.owner.as_ref().map(|o| o.kind.as_str());
            if p.index() < cluster.pods.len() && !matches!(owner, Some("DaemonSet") | Some("Node"))
            {
                must_leave.insert(p);
            }
        }
    }
    must_leave
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_scenario, Input};

    /// Nodes `a` (drained) and `b`; StatefulSet `web` with 4 pods on `a`,
    /// `web-0` unready; PDB minAvailable 2: currentHealthy 3, 1 disruption
    /// allowed.
    fn one_unready_of_four() -> Cluster {
        let node = |name: &str| {
            format!(
                "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}, kubernetes.io/os: linux}}\nstatus: {{allocatable: {{cpu: \"16\", memory: 64Gi, pods: \"110\"}}}}\n"
            )
        };
        let mut text = node("a") + &node("b");
        for i in 0..4 {
            let ready = if i == 0 { "False" } else { "True" };
            text += &format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\n  namespace: ns\n  labels: {{app: web}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: web, controller: true, uid: web}}]\nspec:\n  nodeName: a\n  containers: [{{name: c, resources: {{requests: {{cpu: \"1\"}}}}}}]\nstatus: {{phase: Running, conditions: [{{type: Ready, status: \"{ready}\"}}]}}\n"
            );
        }
        text += "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: ns}\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c}]\n";
        text += "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: ns}\nspec:\n  minAvailable: 2\n  selector: {matchLabels: {app: web}}\n";
        read_scenario(&[Input::new("t.yaml", &text)]).expect("scenario reads")
    }

    /// A plan that evicts the pods of `a` in the waves given (pod numbers),
    /// every replacement to `b`.
    fn plan(waves: &[&[usize]]) -> DrainReport {
        DrainReport {
            feasible: true,
            waves: waves
                .iter()
                .map(|pods| Wave {
                    nodes: Vec::new(),
                    evictions: pods
                        .iter()
                        .map(|i| Eviction {
                            pod: format!("ns/web-{i}"),
                            from: "a".into(),
                            to: Some("b".into()),
                        })
                        .collect(),
                })
                .collect(),
            wave_lower_bound: 0,
            blockers: Vec::new(),
            pdbs: Vec::new(),
            surge_nodes: Vec::new(),
            stats: Default::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn counting_an_unready_pods_replacement_as_healthy_is_rejected() {
        let cluster = one_unready_of_four();
        let options = DrainOptions {
            nodes: vec!["a".into()],
            ..Default::default()
        };
        // Wave 1 spends the one disruption (web-1; web-0 goes free). Were
        // web-0's replacement healthy, wave 2 would have 4 healthy and 2
        // disruptions; it stays unready: 3 healthy, 1 disruption.
        let errors = validate_drain(&cluster, &options, &plan(&[&[0, 1], &[2, 3]]))
            .expect_err("the plan counts web-0's replacement as healthy");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].starts_with("wave 2: evicting ns/web-3 exceeds PDB ns/web's budget")
                && errors[0].contains("replacements of 1 unready pod(s) evicted before as healthy")
                && errors[0].contains("only as healthy as the pod it replaces"),
            "{}",
            errors[0]
        );
        // One healthy pod per wave is within the rule.
        validate_drain(&cluster, &options, &plan(&[&[0, 1], &[2], &[3]]))
            .expect("one disruption per wave");
        // A plain overspend, with no unready replacement to blame, says so
        // without naming the rule.
        let errors = validate_drain(&cluster, &options, &plan(&[&[1, 2], &[0], &[3]]))
            .expect_err("two disruptions in wave 1");
        assert_eq!(
            errors,
            vec!["wave 1: evicting ns/web-2 exceeds PDB ns/web's budget".to_string()]
        );
    }

    #[test]
    fn a_healthy_pod_deleted_for_good_no_longer_counts_as_healthy() {
        let mut cluster = one_unready_of_four();
        for pod in &mut cluster.pods {
            pod.ready = true;
            pod.owner = None;
        }
        let options = DrainOptions {
            nodes: vec!["a".into()],
            force: true,
            ..Default::default()
        };
        let deleted = |waves: &[&[usize]]| {
            let mut report = plan(waves);
            for e in report.waves.iter_mut().flat_map(|w| &mut w.evictions) {
                e.to = None;
            }
            report
        };
        // 4 healthy, minAvailable 2: 2 disruptions in wave 1 leave 2
        // healthy, and none to spend in wave 2 (web-3, left alone, is also
        // reported).
        let errors = validate_drain(&cluster, &options, &deleted(&[&[0, 1], &[2]]))
            .expect_err("wave 2 has no budget left");
        assert_eq!(
            errors,
            vec![
                "wave 2: evicting ns/web-2 exceeds PDB ns/web's budget".to_string(),
                "ns/web-3: neither evicted nor a blocker".to_string()
            ]
        );
    }
}
