//! Replays a drain report and fails loudly on anything the eviction API or
//! kube-scheduler would refuse: the independent check every drain plan in
//! the tests goes through.
//!
//! Before each wave the PDBs' statuses are recomputed from scratch on the
//! cluster as the earlier waves left it (evicted pods running again on
//! their destinations); each eviction is put to the eviction API's rules
//! in order; each replacement must pass every filter plugin on its node
//! with everything placed so far (a fresh `PodState` per pod, no caching).

use crate::engine::disruption::{eviction_outcome, guarding_pdbs, pdb_statuses, EvictionOutcome};
use crate::engine::targets::targets;
use crate::model::{Cluster, NodeId, PodId, PodPhase};
use crate::predicates::{filter, PodState, Snapshot};
use crate::report::drain::{DrainOptions, DrainReport};
use std::collections::{HashMap, HashSet};

/// Checks `report` against `cluster` and `options`; returns every problem.
pub fn validate_drain(
    cluster: &Cluster,
    options: &DrainOptions,
    report: &DrainReport,
) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let targets = match targets(cluster, options) {
        Ok(t) => t,
        Err(e) => return Err(vec![format!("targets: {e}")]),
    };
    let target_set: HashSet<NodeId> = targets.iter().copied().collect();
    let pod_by_key: HashMap<String, PodId> = cluster
        .pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key(), PodId(i as u32)))
        .collect();

    let mut snapshot = Snapshot::new(cluster);
    for &t in &targets {
        snapshot.set_unschedulable(t, true);
    }
    for name in &report.surge_nodes {
        let made = cluster.pools.iter().enumerate().find_map(|(p, pool)| {
            let k: usize = name
                .strip_prefix(&format!("{}-new-", pool.name))?
                .parse()
                .ok()?;
            Some(pool.new_node(crate::model::PoolId(p as u32), k))
        });
        match made {
            Some(node) if cluster.node_by_name(name).is_none() => {
                snapshot.add_node(node);
            }
            _ => errors.push(format!("surge node {name} is not a new node of a pool")),
        }
    }
    if report.surge_nodes.len() > options.surge {
        errors.push(format!(
            "{} surge nodes, --surge {}",
            report.surge_nodes.len(),
            options.surge
        ));
    }
    let node_by_name: HashMap<String, NodeId> = snapshot
        .node_ids()
        .map(|n| (snapshot.node(n).name.clone(), n))
        .collect();

    // Pods that must leave the targets: all but DaemonSet and mirror pods.
    let mut must_leave: HashSet<PodId> = HashSet::new();
    for &t in &targets {
        for &p in &snapshot.info(t).pods {
            let pod = snapshot.pod(p);
            let owner = pod.owner.as_ref().map(|o| o.kind.as_str());
            if p.index() < cluster.pods.len() && !matches!(owner, Some("DaemonSet") | Some("Node"))
            {
                must_leave.insert(p);
            }
        }
    }

    let mut world = cluster.clone();
    let mut evicted: HashSet<PodId> = HashSet::new();
    for (w, wave) in report.waves.iter().enumerate() {
        if let Some(limit) = options.max_unavailable {
            let nodes: HashSet<&str> = wave.evictions.iter().map(|e| e.from.as_str()).collect();
            if nodes.len() > limit.max(1) {
                errors.push(format!(
                    "wave {}: evictions on {} nodes, --max-unavailable {limit}",
                    w + 1,
                    nodes.len()
                ));
            }
        }
        let mut now = pdb_statuses(&world);
        let mut leaving = Vec::new();
        for e in &wave.evictions {
            let Some(&pod) = pod_by_key.get(&e.pod) else {
                errors.push(format!("wave {}: unknown pod {}", w + 1, e.pod));
                continue;
            };
            if !evicted.insert(pod) {
                errors.push(format!("wave {}: {} evicted twice", w + 1, e.pod));
            }
            let on = snapshot
                .placement(pod)
                .map(|n| snapshot.node(n).name.clone());
            if on.as_deref() != Some(e.from.as_str()) || !must_leave.contains(&pod) {
                errors.push(format!(
                    "wave {}: {} is on {:?}, not a pod to drain from {}",
                    w + 1,
                    e.pod,
                    on,
                    e.from
                ));
            }
            let guarding = guarding_pdbs(&world, pod);
            match eviction_outcome(&world, pod, &guarding, &now) {
                EvictionOutcome::Free | EvictionOutcome::AllowedUnhealthy => {}
                EvictionOutcome::Spends(p) => now[p].disruptions_allowed -= 1,
                EvictionOutcome::TooManyRequests(p) => errors.push(format!(
                    "wave {}: evicting {} exceeds PDB {}'s budget",
                    w + 1,
                    e.pod,
                    now[p].pdb
                )),
                EvictionOutcome::MultiplePdbs(_) => errors.push(format!(
                    "wave {}: {} is under several PDBs: the eviction API refuses it",
                    w + 1,
                    e.pod
                )),
            }
            leaving.push((pod, e));
        }
        for (pod, _) in &leaving {
            snapshot.unassign(*pod);
        }
        for (pod, e) in leaving {
            let original = &cluster.pods[pod.index()];
            let Some(to) = &e.to else {
                if original.owner.is_some() || !options.force {
                    errors.push(format!(
                        "wave {}: {} is deleted without --force or has a controller",
                        w + 1,
                        e.pod
                    ));
                }
                world.pods[pod.index()].phase = PodPhase::Failed;
                continue;
            };
            let Some(&node) = node_by_name.get(to) else {
                errors.push(format!(
                    "wave {}: {} goes to unknown node {to}",
                    w + 1,
                    e.pod
                ));
                continue;
            };
            if target_set.contains(&node) {
                errors.push(format!(
                    "wave {}: {} goes to drained node {to}",
                    w + 1,
                    e.pod
                ));
            }
            let id = snapshot.add_replacement(pod);
            let state = PodState::new(&snapshot, id);
            if let Err(r) = filter(&snapshot, &state, node) {
                errors.push(format!(
                    "wave {}: {} cannot run on {to}: {}: {}",
                    w + 1,
                    e.pod,
                    r.plugin.name(),
                    r.reasons.join(", ")
                ));
            }
            snapshot.assign(id, node);
            let moved = &mut world.pods[pod.index()];
            moved.node_name = Some(to.clone());
            moved.node = world
                .nodes
                .iter()
                .position(|n| &n.name == to)
                .map(|i| NodeId(i as u32));
            moved.phase = PodPhase::Running;
            moved.ready = true;
            moved.terminating = false;
        }
        for name in &wave.nodes {
            match node_by_name.get(name) {
                Some(n) if target_set.contains(n) => {
                    let left = snapshot
                        .info(*n)
                        .pods
                        .iter()
                        .filter(|p| must_leave.contains(p))
                        .count();
                    if left > 0 {
                        errors.push(format!(
                            "wave {}: {name} is listed empty but keeps {left} pod(s)",
                            w + 1
                        ));
                    }
                }
                _ => errors.push(format!("wave {}: {name} is not a drained node", w + 1)),
            }
        }
    }
    let blocked: HashSet<&str> = report.blockers.iter().map(|b| b.pod.as_str()).collect();
    for pod in &must_leave {
        let key = cluster.pods[pod.index()].key();
        let gone = evicted.contains(pod);
        if gone == blocked.contains(key.as_str()) {
            errors.push(format!(
                "{key}: {}",
                if gone {
                    "evicted and also a blocker"
                } else {
                    "neither evicted nor a blocker"
                }
            ));
        }
    }
    if report.feasible != report.blockers.is_empty() {
        errors.push("feasible disagrees with the blockers".into());
    }
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
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
