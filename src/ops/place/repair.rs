//! Making a packing reportable: every plan `place` reports passes every
//! filter plugin in its final state (`check::validate`), and pays for no
//! new node it leaves empty.

use super::pack::{pack, Mode, Packing};
use super::problem::Problem;
use crate::check::validate::validate_plan;
use crate::engine::plan::{self, Plan};
use crate::model::{NodeId, PodId, PoolId};
use crate::report::place::PlanStats;
use std::collections::{HashMap, HashSet};
use web_time::Instant;

/// The packing, made to pass every filter in its final state: nodes added
/// late are new topology domains and can break zone spread placed before
/// them, so pods the validator rejects are left pending (and new nodes
/// left empty dropped) until it passes.
pub(crate) fn repaired<'c>(p: &Problem<'c>, mut packing: Packing<'c>) -> Packing<'c> {
    loop {
        packing = trimmed(p, packing);
        let rejected = rejected_pods(p, &packing);
        if rejected.is_empty() {
            return packing;
        }
        packing.drop_pods(p, &rejected);
    }
}

/// The placed pods the final check rejects (none when it passes).
fn rejected_pods(p: &Problem, packing: &Packing) -> Vec<PodId> {
    let plan = Plan {
        placed: packing.placed.clone(),
        unplaced: packing
            .leftover
            .iter()
            .map(|pod| (*pod, String::new()))
            .collect(),
        lower_bound: 0.0,
        proven: false,
    };
    let report = plan::report(&packing.snapshot, plan, PlanStats::default());
    let Err(problems) = validate_plan(p.cluster, &report) else {
        return Vec::new();
    };
    let keys: HashSet<&str> = problems.iter().map(|v| v.pod.as_str()).collect();
    packing
        .placed
        .iter()
        .map(|(pod, _)| *pod)
        .filter(|pod| keys.contains(p.cluster.pod(*pod).key().as_str()))
        .collect()
}

/// The packing without the new nodes at the end of each pool that hold
/// none of the problem's pods (paid for nothing), rebuilt on a fresh
/// snapshot when any goes.
pub(crate) fn trimmed<'c>(p: &Problem<'c>, packing: Packing<'c>) -> Packing<'c> {
    let counts = used_counts(p, &packing);
    if counts == packing.pool_nodes {
        return packing;
    }
    let placed: Vec<(PodId, String)> = packing
        .placed
        .iter()
        .map(|(pod, node)| (*pod, packing.snapshot.node(*node).name.clone()))
        .collect();
    let mut fresh = pack(
        p,
        &counts,
        &[],
        &vec![Vec::new(); p.classes.len()],
        None,
        Mode::RoundRobin,
        Instant::now(),
    );
    fresh.leftover = packing.leftover;
    place_by_name(p, &mut fresh, placed);
    fresh
}

/// New nodes per pool up to the last one that holds a pod of the packing.
fn used_counts(p: &Problem, packing: &Packing) -> Vec<u32> {
    let used: HashSet<&str> = packing
        .placed
        .iter()
        .map(|(_, node)| packing.snapshot.node(*node).name.as_str())
        .collect();
    // Names as the pool gives them (after its minCount nodes, when those
    // are planned in).
    p.cluster
        .pools
        .iter()
        .zip(&packing.pool_nodes)
        .enumerate()
        .map(|(pi, (pool, n))| {
            let mut n = *n;
            while n > 0 {
                let last = pool.new_node(PoolId(pi as u32), n as usize - 1);
                if used.contains(last.name.as_str()) {
                    break;
                }
                n -= 1;
            }
            n
        })
        .collect()
}

/// Puts each pod back on the node of its name in `fresh` (no filter asked:
/// these placements passed before), keeping the tallies.
fn place_by_name(p: &Problem, fresh: &mut Packing, placed: Vec<(PodId, String)>) {
    let ids: HashMap<String, NodeId> = fresh
        .snapshot
        .node_ids()
        .map(|id| (fresh.snapshot.node(id).name.clone(), id))
        .collect();
    for (pod, name) in placed {
        // Every used node is kept; a pod whose node is gone all the same
        // stays pending rather than lost.
        let Some(&node) = ids.get(&name) else {
            fresh.leftover.push(pod);
            continue;
        };
        fresh.snapshot.assign(pod, node);
        fresh.placed.push((pod, node));
        let c = p.class_of[&pod];
        if let Some(e) = p.existing_index.get(&node) {
            *fresh.on_existing[c].entry(*e).or_insert(0) += 1;
        }
        if let Some(t) = fresh.node_type.get(&node) {
            *fresh.on_types[c].entry(*t).or_insert(0) += 1;
        }
    }
}
