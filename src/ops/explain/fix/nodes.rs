//! Fixes that change nodes and pools: uncordon a node, add a pool's node,
//! raise a pool's `maxCount`, remove a node's taints.

use super::pod_spec::{taint_text, untolerated};
use super::prover::{Context, Edit, Prover, Rule};
use crate::model::{NodeId, PodId, PodOrigin, PoolId};
use crate::report::fix::{Change, Fix, FixKind, ObjectRef, PatchOp};
use serde_json::json;

/// Nodes tried per rule at most.
const MAX_NODES: usize = 32;

/// A change of the cluster-scoped object `kind`/`name`.
fn change(kind: &str, name: &str, patch: Vec<PatchOp>) -> Change {
    Change {
        target: ObjectRef {
            kind: kind.to_string(),
            namespace: None,
            name: name.to_string(),
        },
        patch,
        delete: false,
    }
}

/// `Uncordon`: the first cordoned node where the pod would then fit.
pub(super) struct Uncordon;

impl Rule for Uncordon {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let cordoned: Vec<NodeId> = {
            let s = prover.snapshot();
            s.node_ids()
                .filter(|&n| s.node(n).unschedulable && !s.node(n).is_new)
                .take(MAX_NODES)
                .collect()
        };
        for node in cordoned {
            let Some(proof) = prover.prove(pod, &Edit::Uncordon(node)) else {
                continue;
            };
            let name = prover.snapshot().node(node).name.clone();
            let patch = vec![PatchOp::replace("/spec/unschedulable".into(), json!(false))];
            let summary = format!("uncordon node {name}");
            return vec![proof.fix(
                FixKind::Uncordon,
                summary,
                vec![change("Node", &name, patch)],
            )];
        }
        Vec::new()
    }
}

/// `ScalePool`: the pod fits a pool's new node as it is; cluster-autoscaler
/// adds the node, so no object changes. One fix per pool.
pub(super) struct ScalePool;

impl Rule for ScalePool {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        // Where it fits as it is, found once for every rule.
        let Some(proof) = cx.as_is else {
            return Vec::new();
        };
        let rooms = prover.snapshot().cluster().pool_rooms();
        let mut found = Vec::new();
        for &first in &proof.nodes {
            let node = prover.snapshot().node(first);
            let (Some(p), true) = (node.pool, node.is_new) else {
                continue;
            };
            let name = node.name.clone();
            let (nodes, pods) = prover.nodes_for(pod, first, cx.replicas, rooms[p.index()]);
            let pool = &prover.snapshot().cluster().pools[p.index()];
            let short = if pods < cx.replicas {
                format!(
                    " ({pods} of them: maxCount {} leaves no more room)",
                    pool.max_count.unwrap_or(0)
                )
            } else {
                String::new()
            };
            found.push(Fix {
                kind: FixKind::ScalePool,
                summary: format!(
                    "add {nodes} node(s) of pool {} for the {} pending pod(s) like this one{short} (cluster-autoscaler adds them)",
                    pool.name, cx.replicas
                ),
                fits_on: vec![name],
                needs_new_node: true,
                added_cost_per_hour: pool.cost_per_hour * nodes as f64,
                changes: Vec::new(),
            });
        }
        found
    }
}

/// `RaiseMaxCount`: a pool at its `maxCount` whose new node would take the
/// pod: one more node allowed.
pub(super) struct RaiseMaxCount;

impl Rule for RaiseMaxCount {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let mut found = Vec::new();
        let existing = prover.snapshot().cluster().nodes_per_pool();
        for &p in cx.full_pools {
            let pool = &prover.snapshot().cluster().pools[p.index()];
            let Some(max) = pool.max_count else {
                continue;
            };
            // Its existing nodes (cordoned ones too) may already exceed it.
            let raised = max.max(existing[p.index()]).saturating_add(1);
            let node = pool.new_node(PoolId(p.0), 0);
            let (name, pool_name) = (node.name.clone(), pool.name.clone());
            let Some(proof) = prover.prove(pod, &Edit::PoolNode(node)) else {
                continue;
            };
            if !proof.fits_on.contains(&name) {
                continue;
            }
            let patch = vec![PatchOp::replace("/spec/maxCount".into(), json!(raised))];
            let summary =
                format!("raise pool {pool_name}'s maxCount {max} → {raised}, then it adds {name}");
            found.push(proof.fix(
                FixKind::RaiseMaxCount,
                summary,
                vec![change("NodePool", &pool_name, patch)],
            ));
        }
        found
    }
}

/// `RemoveTaint`: remove from one node the fewest taints the pod does not
/// tolerate, where it then fits.
pub(super) struct RemoveTaint;

impl Rule for RemoveTaint {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let mut nodes: Vec<(usize, NodeId)> = {
            let s = prover.snapshot();
            s.node_ids()
                .filter(|&n| !s.node(n).is_new)
                .map(|n| (untolerated(&pod.spec, s.node(n)).len(), n))
                .filter(|(count, _)| *count > 0)
                .collect()
        };
        nodes.sort();
        for (_, n) in nodes.into_iter().take(MAX_NODES) {
            let node = prover.snapshot().node(n);
            let removed: Vec<usize> = untolerated(&pod.spec, node)
                .iter()
                .map(|(i, _)| *i)
                .collect();
            let texts: Vec<String> = removed
                .iter()
                .map(|&i| taint_text(&node.taints[i]))
                .collect();
            let kept = node
                .taints
                .iter()
                .enumerate()
                .filter(|(i, _)| !removed.contains(i))
                .map(|(_, t)| t.clone())
                .collect();
            let name = node.name.clone();
            let Some(proof) = prover.prove(pod, &Edit::Taints(n, kept)) else {
                continue;
            };
            if !proof.fits_on.contains(&name) {
                continue;
            }
            let patch = removed
                .iter()
                .rev()
                .map(|i| PatchOp::remove(format!("/spec/taints/{i}")))
                .collect();
            let summary = format!(
                "remove taint {} from node {name} (every tenant may then use it)",
                texts.join(", ")
            );
            return vec![proof.fix(
                FixKind::RemoveTaint,
                summary,
                vec![change("Node", &name, patch)],
            )];
        }
        Vec::new()
    }
}

/// `Preempt` (information): kube-scheduler's preemption
/// (`DefaultPreemption`'s `SelectVictimsOnNode`) on the existing nodes:
/// every pod of lower priority is removed, the pod must then fit, and the
/// victims are reprieved highest priority first while it still fits. Of
/// the nodes where that works, the one whose highest victim priority, then
/// sum of victim priorities, then victim count is least (the first tie
/// breakers of `pickOneNodeForPreemption`; PodDisruptionBudgets are not
/// weighed). Only Pod objects of the input are candidates, so that the
/// change can name them.
pub(super) struct Preempt;

impl Rule for Preempt {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let priority = pod.spec.priority;
        let candidates: Vec<(NodeId, Vec<PodId>)> = {
            let s = prover.snapshot();
            s.node_ids()
                .filter(|&n| !s.node(n).is_new)
                .map(|n| (n, lower_priority_pods(prover, n, priority)))
                .filter(|(_, victims)| !victims.is_empty())
                .take(MAX_NODES)
                .collect()
        };
        let mut best: Option<(Vec<i64>, NodeId, Vec<PodId>)> = None;
        for (node, victims) in candidates {
            let Some(kept) = prover.victims(pod, node, &victims) else {
                continue;
            };
            let priorities: Vec<i64> = kept
                .iter()
                .map(|&v| i64::from(prover.snapshot().pod(v).spec.priority))
                .collect();
            let key = vec![
                priorities.iter().copied().max().unwrap_or(i64::MIN),
                priorities.iter().sum(),
                kept.len() as i64,
            ];
            if best.as_ref().is_none_or(|(k, _, _)| key < *k) {
                best = Some((key, node, kept));
            }
        }
        let Some((_, node, victims)) = best else {
            return Vec::new();
        };
        let snapshot = prover.snapshot();
        let names: Vec<String> = victims.iter().map(|&v| snapshot.pod(v).key()).collect();
        let changes = victims
            .iter()
            .map(|&v| {
                let victim = snapshot.pod(v);
                Change {
                    target: ObjectRef {
                        kind: "Pod".into(),
                        namespace: Some(victim.namespace.clone()),
                        name: victim.name.clone(),
                    },
                    patch: Vec::new(),
                    delete: true,
                }
            })
            .collect();
        let node_name = snapshot.node(node).name.clone();
        vec![Fix {
            kind: FixKind::Preempt,
            summary: format!(
                "kube-scheduler's preemption would evict {} lower-priority pod(s) from {node_name}: {}",
                names.len(),
                names.join(", ")
            ),
            fits_on: vec![node_name],
            needs_new_node: false,
            added_cost_per_hour: 0.0,
            changes,
        }]
    }
}

/// The input Pod objects on `node` with a priority below `priority`,
/// highest priority first (the order of reprieve).
fn lower_priority_pods(prover: &Prover, node: NodeId, priority: i32) -> Vec<PodId> {
    let s = prover.snapshot();
    let mut pods: Vec<PodId> = s
        .info(node)
        .pods
        .iter()
        .copied()
        .filter(|&p| {
            let pod = s.pod(p);
            pod.spec.priority < priority
                && pod.origin == PodOrigin::Input
                && p.index() < s.cluster().pods.len()
        })
        .collect();
    pods.sort_by_key(|&p| std::cmp::Reverse(s.pod(p).spec.priority));
    pods
}
