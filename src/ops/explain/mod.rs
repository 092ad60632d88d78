//! `explain`: kube-scheduler's filter phase for every pending pod, with the
//! other pending pods not yet placed (the report: `docs/reports.md#explain`).
//! With `--with-pools` each pool's first new node is a candidate too, as
//! cluster-autoscaler would offer it; a pool at its `maxCount` offers none,
//! and its node is listed as rejected by `ClusterAutoscaler`.

mod fix;

use crate::engine::scale_up::{at_max_count, AUTOSCALER};
use crate::error::{Error, Result};
use crate::model::{Cluster, NodeId, Pod, PodId, PodSpec, PoolId};
use crate::parallel;
use crate::predicates::fit_error::{rejection_histogram, summary_message};
use crate::predicates::{self, PodState, Rejection, Snapshot};
use crate::report::explain::{
    reason_counts, ExplainOptions, ExplainReport, FilterReason, PodExplanation,
};
use crate::report::fix::Fix;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Explains every pending pod (or the one named in `options.pod`).
pub fn explain(cluster: &Cluster, options: &ExplainOptions) -> Result<ExplainReport> {
    let (snapshot, refused) = candidate_nodes(cluster, options.with_pools);
    let pods = pods_to_explain(cluster, options.pod.as_deref())?;
    let classes = Classes::of(cluster, &pods);
    // The groups and classes are independent: spread over threads (the
    // results come back in order, so the report is the same either way).
    let locals: Vec<Verdicts> = parallel::map(&classes.local_pods, |&id| {
        node_local_verdicts(&snapshot, cluster.pod(id))
    });
    let mut templates = parallel::map(&classes.class_pods, |&(id, local)| {
        explain_class(&snapshot, id, &locals[local], &refused, options.summary)
    });
    let mut fixes = options
        .fix
        .then(|| ClassFixes::find(cluster, &snapshot, &classes, &templates, &refused));
    let mut report = ExplainReport::default();
    if options.summary {
        // Grouped once per class, before the pods copy their class's
        // explanation: classes come in the order of their first pods, so
        // the groups are numbered as over the pods, and no pod copies a
        // list of feasible node names.
        let mut by_class = ExplainReport {
            pods: templates
                .iter_mut()
                .map(|(e, _, _)| std::mem::take(e))
                .collect(),
            ..ExplainReport::default()
        };
        by_class.group_feasible_nodes();
        for ((template, _, _), grouped) in templates.iter_mut().zip(by_class.pods) {
            *template = grouped;
        }
        report.feasible_groups = by_class.feasible_groups;
    }
    for (&id, &class) in pods.iter().zip(&classes.class_of) {
        let (template, systems, _) = &templates[class];
        let mut explanation = template.clone();
        explanation.pod = cluster.pod(id).key();
        if let Some(fixes) = &mut fixes {
            explanation.fixes = fixes.of(cluster, class, id);
        }
        if let Some(systems) = systems {
            report.warnings.push(format!(
                "{} could land on nodes of either OS ({systems}): give it a {OS_LABEL} node selector, or taint the Windows pool",
                explanation.pod
            ));
        }
        report.pods.push(explanation);
    }
    Ok(report)
}

/// The pods to explain, in equivalence classes: pods with the same
/// namespace, labels, spec and nodeName get the same verdict on every node,
/// so each class is filtered and explained once; and the node-local
/// plugins see only the spec and nodeName, so classes that differ in
/// labels alone share their node-local verdicts (a group).
struct Classes {
    /// Per pod to explain, its class.
    class_of: Vec<usize>,
    /// Per class, its first pod and its group.
    class_pods: Vec<(PodId, usize)>,
    /// Per group, its first pod.
    local_pods: Vec<PodId>,
}

impl Classes {
    fn of(cluster: &Cluster, pods: &[PodId]) -> Self {
        let mut classes: HashMap<ClassKey, usize> = HashMap::new();
        let mut groups: HashMap<(&PodSpec, Option<&str>), usize> = HashMap::new();
        let mut out = Classes {
            class_of: Vec::with_capacity(pods.len()),
            class_pods: Vec::new(),
            local_pods: Vec::new(),
        };
        for &id in pods {
            let pod = cluster.pod(id);
            let next = out.class_pods.len();
            let class = *classes.entry(ClassKey::of(pod)).or_insert(next);
            if class == next {
                let next_group = out.local_pods.len();
                let group = *groups
                    .entry((&*pod.spec, pod.node_name.as_deref()))
                    .or_insert(next_group);
                if group == next_group {
                    out.local_pods.push(id);
                }
                out.class_pods.push((id, group));
            }
            out.class_of.push(class);
        }
        out
    }
}

/// One class's explanation (pod name left blank), the nodes' operating
/// systems when its feasible nodes run several, and whether it fits some
/// existing node.
fn explain_class(
    snapshot: &Snapshot,
    id: PodId,
    local: &[Result<(), Rejection>],
    refused: &[Refused],
    summary: bool,
) -> (PodExplanation, Option<String>, bool) {
    let state = PodState::new(snapshot, id);
    let stateful = stateful_verdicts(snapshot, &state, local);
    let per_node = first_rejections(local, &stateful);
    let explanation = explain_one(snapshot, &per_node, refused, summary);
    let systems = feasible_systems(snapshot, &per_node);
    let fits_existing = per_node
        .iter()
        .enumerate()
        .any(|(i, v)| v.is_ok() && !snapshot.node(NodeId(i as u32)).is_new);
    (explanation, systems, fits_existing)
}

/// The fixes of a pod, found once per class for its first pod and aimed
/// at each other pod's object when its spec is written in the same place
/// (another Pod, the same workload); found anew otherwise.
struct ClassFixes<'c> {
    prover: fix::Prover<'c>,
    full_pools: Vec<PoolId>,
    /// Per class that fits no existing node, its first pod and its fixes.
    found: Vec<Option<(PodId, Vec<Fix>)>>,
    /// Per class, its pods.
    replicas: Vec<usize>,
}

impl<'c> ClassFixes<'c> {
    /// The fixes of every class that fits no existing node.
    fn find(
        cluster: &'c Cluster,
        snapshot: &Snapshot<'c>,
        classes: &Classes,
        templates: &[(PodExplanation, Option<String>, bool)],
        refused: &[Refused],
    ) -> Self {
        let mut prover = fix::Prover::new(snapshot.clone());
        let full_pools: Vec<PoolId> = refused.iter().map(|r| r.pool).collect();
        let mut replicas = vec![0; classes.class_pods.len()];
        for &c in &classes.class_of {
            replicas[c] += 1;
        }
        let found = classes
            .class_pods
            .iter()
            .zip(templates)
            .zip(&replicas)
            .map(|((&(id, _), (_, _, fits_existing)), &n)| {
                (!fits_existing).then(|| (id, fix::fixes(cluster, &mut prover, id, &full_pools, n)))
            })
            .collect();
        ClassFixes {
            prover,
            full_pools,
            found,
            replicas,
        }
    }

    /// The fixes of pod `id` of `class`; None when the class fits.
    fn of(&mut self, cluster: &Cluster, class: usize, id: PodId) -> Option<Vec<Fix>> {
        let (first, fixes) = self.found[class].as_ref()?;
        let from = fix::Subject::of(cluster, *first);
        let to = fix::Subject::of(cluster, id);
        if from.spec_path == to.spec_path {
            Some(fix::retarget(fixes, &from.target, &to.target))
        } else {
            let replicas = self.replicas[class];
            Some(fix::fixes(
                cluster,
                &mut self.prover,
                id,
                &self.full_pools,
                replicas,
            ))
        }
    }
}

/// A pool's new node that cluster-autoscaler would not add, and why.
struct Refused {
    pool: PoolId,
    node: String,
    reason: String,
}

/// The candidate nodes: the cluster's and, with `with_pools`, the first new
/// node of every pool that may still grow. The new node of a pool at its
/// `maxCount` stays out of the snapshot, so that it shapes no other
/// verdict (a spread domain, a count), and is returned as refused.
fn candidate_nodes(cluster: &Cluster, with_pools: bool) -> (Snapshot<'_>, Vec<Refused>) {
    let mut snapshot = Snapshot::new(cluster);
    let mut refused = Vec::new();
    if with_pools {
        let rooms = cluster.pool_rooms();
        for ((i, pool), room) in cluster.pools.iter().enumerate().zip(rooms) {
            let node = pool.new_node(PoolId(i as u32), 0);
            match at_max_count(pool, room) {
                Some(reason) => refused.push(Refused {
                    pool: PoolId(i as u32),
                    node: node.name,
                    reason,
                }),
                None => {
                    snapshot.add_node(node);
                }
            }
        }
    }
    (snapshot, refused)
}

/// The pending pods to explain: all, or the one named `key`
/// ([`Error::Usage`] when there is none).
fn pods_to_explain(cluster: &Cluster, key: Option<&str>) -> Result<Vec<PodId>> {
    let Some(key) = key else {
        return Ok(cluster.pending_pods().collect());
    };
    match cluster
        .pending_pods()
        .find(|id| cluster.pod(*id).key() == key)
    {
        Some(id) => Ok(vec![id]),
        None => Err(Error::Usage(format!(
            "no pending pod {key} in the scenario"
        ))),
    }
}

/// The node-local plugins' verdicts for `pod` on every node (in blocks
/// of nodes over threads: a cluster may have few groups).
fn node_local_verdicts(snapshot: &Snapshot, pod: &Pod) -> Verdicts {
    let pre_filter = predicates::node_affinity::pre_filter(&pod.spec);
    parallel::map_range(snapshot.node_count(), NODES_PER_TASK, |i| {
        let n = NodeId(i as u32);
        predicates::filter_node_local(pod, snapshot.node(n), snapshot.info(n), &pre_filter)
    })
}

/// Nodes filtered per parallel task: enough that scheduling costs little.
const NODES_PER_TASK: usize = 256;

/// The stateful plugins' verdicts on the nodes whose node-local `local`
/// verdict passes (`None` elsewhere).
fn stateful_verdicts(
    snapshot: &Snapshot,
    state: &PodState,
    local: &[Result<(), Rejection>],
) -> Vec<Option<Result<(), Rejection>>> {
    parallel::map_range(local.len(), NODES_PER_TASK, |i| {
        local[i]
            .is_ok()
            .then(|| predicates::filter_stateful(snapshot, state, NodeId(i as u32)))
    })
}

/// Every node's verdict: the node-local rejection, else the stateful one.
fn first_rejections<'v>(
    local: &'v [Result<(), Rejection>],
    stateful: &'v [Option<Result<(), Rejection>>],
) -> Vec<Result<(), &'v Rejection>> {
    local
        .iter()
        .zip(stateful)
        .map(|(l, s)| match (l, s) {
            (Err(r), _) | (Ok(()), Some(Err(r))) => Err(r),
            _ => Ok(()),
        })
        .collect()
}

const OS_LABEL: &str = "kubernetes.io/os";

/// AKS does not taint Windows pools (`docs/input.md#nodepool`), so a pod
/// without an OS selector may be scheduled onto a node of the wrong OS;
/// kube-scheduler allows it, podplan warns (`docs/reports.md#explain`). The OSes of the feasible nodes, when several.
fn feasible_systems(snapshot: &Snapshot, per_node: &[Result<(), &Rejection>]) -> Option<String> {
    let mut systems: Vec<&str> = per_node
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_ok())
        .filter_map(|(i, _)| {
            let node = snapshot.node(crate::model::NodeId(i as u32));
            node.labels.get(OS_LABEL).map(String::as_str)
        })
        .collect();
    systems.sort_unstable();
    systems.dedup();
    (systems.len() > 1).then(|| systems.join(", "))
}

/// One verdict per node.
type Verdicts = Vec<Result<(), Rejection>>;

/// Pods alike in namespace, labels, spec and nodeName: same verdicts.
#[derive(Hash, PartialEq, Eq)]
struct ClassKey {
    namespace: String,
    labels: crate::model::Labels,
    spec: usize,
    node_name: Option<String>,
}

impl ClassKey {
    /// The class of `pod`.
    fn of(pod: &Pod) -> Self {
        ClassKey {
            namespace: pod.namespace.clone(),
            labels: pod.labels.clone(),
            spec: Arc::as_ptr(&pod.spec) as usize,
            node_name: pod.node_name.clone(),
        }
    }
}

/// One pod's explanation from its verdicts on the snapshot's nodes and
/// the `refused` pool nodes, which reject every pod (the pod's key is
/// filled in by the caller).
fn explain_one(
    snapshot: &Snapshot,
    per_node: &[Result<(), &Rejection>],
    refused: &[Refused],
    summary: bool,
) -> PodExplanation {
    let mut feasible = Vec::new();
    let mut filtered: BTreeMap<String, Vec<FilterReason>> = BTreeMap::new();
    for (i, verdict) in per_node.iter().enumerate() {
        let node = &snapshot.node(crate::model::NodeId(i as u32)).name;
        match verdict {
            Ok(()) => feasible.push(node.clone()),
            Err(rejection) => {
                let plugin = rejection.plugin.name();
                if !summary {
                    filtered.insert(
                        node.clone(),
                        rejection
                            .reasons
                            .iter()
                            .map(|r| FilterReason {
                                plugin: plugin.to_string(),
                                message: r.clone(),
                            })
                            .collect(),
                    );
                }
            }
        }
    }
    let mut histogram =
        rejection_histogram(per_node.iter().filter_map(|v| v.as_ref().err().copied()));
    for r in refused {
        *histogram
            .entry((r.reason.as_str(), AUTOSCALER))
            .or_insert(0) += 1;
        if !summary {
            filtered.insert(
                r.node.clone(),
                vec![FilterReason {
                    plugin: AUTOSCALER.to_string(),
                    message: r.reason.clone(),
                }],
            );
        }
    }
    let total = per_node.len() + refused.len();
    let message = summary_message(feasible.len(), total, &histogram);
    let reasons = summary.then(|| reason_counts(&histogram));
    PodExplanation {
        pod: String::new(),
        feasible_count: feasible.len(),
        feasible_nodes: Some(feasible),
        feasible_group: None,
        filtered: (!summary).then_some(filtered),
        reasons,
        message,
        fixes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, GenerateOptions};
    use crate::ingest::{read_scenario, Input};

    /// The threads change nothing: a pool of one thread gives the same
    /// report, on classes that share groups and on all-distinct pods.
    #[test]
    fn parallel_explain_equals_the_serial_run() {
        for pending_workloads in [0, 7] {
            let text = generate(&GenerateOptions {
                nodes: 300,
                bound_pods: 3000,
                pending_pods: 120,
                pending_workloads,
                seed: 5,
            })
            .to_string();
            let cluster = read_scenario(&[Input::new("g.json", &text)]).unwrap();
            for (summary, with_pools) in [(false, false), (true, true)] {
                let options = ExplainOptions {
                    summary,
                    with_pools,
                    ..ExplainOptions::default()
                };
                let threaded = explain(&cluster, &options).unwrap();
                let serial = parallel::serially(|| explain(&cluster, &options).unwrap());
                assert_eq!(threaded, serial);
                assert!(threaded.pods.len() >= 60);
            }
        }
    }
}
