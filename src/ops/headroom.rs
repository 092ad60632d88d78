//! `headroom`: how many more copies of one pod fit (the report:
//! `docs/reports.md#headroom`), the job of kubernetes-sigs/cluster-capacity.

use crate::engine::scale_up::{PoolScaler, ScaleTarget, ScaleUp, Trial};
use crate::error::{Error, Result};
use crate::model::{
    Cluster, NodeId, Pod, PodId, PodOrigin, PodPhase, PodSpec, UnsatisfiableAction, WorkloadId,
};
use crate::predicates::fit_error::rejection_histogram;
use crate::predicates::{self, node_affinity, PodState, Snapshot};
use crate::report::explain::reason_counts;
use crate::report::explain::ReasonCount;
use crate::report::headroom::{HeadroomOptions, HeadroomReport, PodManifest};
use crate::scoring::pod_topology_spread::LABEL_HOSTNAME;
use crate::scoring::Scorer;
use std::collections::{BTreeMap, HashSet};
use web_time::{Duration, Instant};

/// New pool nodes added at most with `with_pools`: a guard on memory (a
/// pool's `maxCount` may be in the millions); reaching it sets `capped`.
pub const MAX_NEW_NODES: usize = 10_000;

/// Counts how many more copies of one pod the cluster takes.
///
/// - **The pod**: `options.workload` (`ns/name` of a Deployment,
///   StatefulSet, ReplicaSet or Job: its pod template, owned by it, so the
///   default spreading scores see the workload's selector) or
///   `options.pod` (a manifest holding exactly one Pod, read with
///   [`read_scenario`]; its `spec.nodeName` is dropped, as the copies are
///   to be scheduled). Anything else is [`Error::Usage`].
/// - **The cluster as it is**: existing nodes with their bound pods (and
///   DaemonSet pods). Pending pods of the scenario are ignored, as
///   cluster-capacity does; the report warns when there are some.
/// - **Copies are bound one at a time** as kube-scheduler would: the
///   filter plugins on every node, with every copy placed so far counting
///   for the next one's affinity, anti-affinity and spread; then the
///   default score plugins ([`Scorer`]) on the feasible nodes, ties to the
///   lowest node index (as `simulate`). When no node passes, the count
///   stops; `stoppedBy` is then the histogram of the (plugin, reason) that
///   rejects each node.
/// - **With `options.with_pools`**, when no node passes, a pool node is
///   added as `simulate` does (cluster-autoscaler with a cheapest-first
///   expander: cheapest `costPerHour` first, up to one node per zone of a
///   zone-balanced pool until one takes the copy), up to the pool's
///   `maxCount` (existing nodes included). Pools without `maxCount` are not
///   scaled (their headroom would be unbounded), with a warning.
/// - **Termination**: every copy must pass NodeResourcesFit's `pods`
///   limit, so the count is finite; still, it stops at
///   `options.max_copies` and after [`MAX_NEW_NODES`] new nodes, with
///   `capped` set.
///
/// **Speed.** The node-local filters (everything but PodTopologySpread and
/// InterPodAffinity) are evaluated once per node and re-run only on the
/// node that just received a copy (the copies share one spec). When the
/// pod has no DoNotSchedule spread constraint, no required pod affinity,
/// and required anti-affinity only by `kubernetes.io/hostname` (with
/// distinct hostnames), a copy changes the verdict of its own node only:
/// each node then takes copies until it is full, whatever the order, so
/// the final state the scheduler reaches does not depend on the scores and
/// nodes are simply filled in order (O(copies + nodes)). Otherwise every
/// copy runs the stateful filters on the nodes that pass the node-local
/// ones, and the scores on the feasible nodes (O(copies × nodes)). On a
/// generated cluster of 5,000 nodes and 100,000 bound pods (release build,
/// parsing included): a 100m/128Mi pod, 176,800 copies, 0.9 s; the same
/// pod with hostname anti-affinity to itself, 0.7 s; with a zone spread
/// constraint (ordered), 176,800 copies scored on 3,000 nodes each, 63 s —
/// which is why adding copies stops at `time_limit` (default 10 s) with
/// `capped` set.
pub(crate) fn headroom(
    cluster: &Cluster,
    options: &HeadroomOptions,
    manifest: Option<&Cluster>,
) -> Result<HeadroomReport> {
    let (key, template, mut warnings) = template(cluster, options, manifest)?;
    warnings.extend(scenario_warnings(cluster, options.with_pools));
    let deadline = Instant::now() + Duration::from_secs_f64(options.time_limit.clamp(0.0, 1e9));
    let mut run = Run::new(cluster, template, options.with_pools);
    let count = run.add_copies(options, deadline);
    warnings.extend(count.warning(options, run.pools.total_added()));
    Ok(HeadroomReport {
        pod: key,
        fits: count.fits,
        per_node: run.copies_per_node(),
        stopped_by: run.stopped_by(count.next),
        new_nodes: run.new_nodes_per_pool(),
        capped: count.capped,
        warnings,
    })
}

/// What the scenario makes the count ignore: its pending pods, and with
/// `with_pools` the pools without `maxCount`.
fn scenario_warnings(cluster: &Cluster, with_pools: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    let pending = cluster.pending_pods().count();
    if pending > 0 {
        warnings.push(format!(
            "{pending} pending pod(s) of the scenario ignored: copies are placed on the cluster as it is (bound pods only)"
        ));
    }
    if with_pools {
        for pool in cluster.pools.iter().filter(|p| p.max_count.is_none()) {
            warnings.push(format!(
                "pool {} has no maxCount: not scaled (its headroom would be unbounded)",
                pool.name
            ));
        }
    }
    warnings
}

/// How adding copies ended.
struct Count {
    /// Copies bound.
    fits: usize,
    /// Stopped by a guard (copies, new nodes, time), not by a full cluster.
    capped: bool,
    /// The guard was the time limit.
    timed_out: bool,
    /// The copy that was not bound (in the snapshot, unplaced).
    next: PodId,
}

impl Count {
    /// Why more copies may fit, when a guard stopped the count.
    fn warning(&self, options: &HeadroomOptions, new_nodes: usize) -> Option<String> {
        let fits = self.fits;
        if self.timed_out {
            Some(format!(
                "time limit of {} s reached after {fits} copies: more may fit",
                options.time_limit
            ))
        } else if self.capped {
            Some(format!(
                "stopped after {fits} copies and {new_nodes} new nodes (the guard is {} copies, {MAX_NEW_NODES} new nodes): more may fit",
                options.max_copies
            ))
        } else {
            None
        }
    }
}

/// Where the next copy goes, or why counting stops.
enum Step {
    /// Bind it there.
    Node(NodeId),
    /// No node (and no pool) takes it.
    Full,
    /// Scaling up would pass [`MAX_NEW_NODES`].
    Guard,
}

/// The pod to copy: its key, the template (pending, unbound) and warnings.
/// `manifest` is `options.pod` as read by the caller (parsing is ingest's).
fn template(
    cluster: &Cluster,
    options: &HeadroomOptions,
    manifest: Option<&Cluster>,
) -> Result<(String, Pod, Vec<String>)> {
    match (&options.workload, &options.pod, manifest) {
        (Some(workload), None, _) => workload_template(cluster, workload),
        (None, Some(file), Some(read)) => manifest_template(file, read),
        (None, Some(_), None) => Err(Error::Internal(
            "headroom's pod manifest was not read".into(),
        )),
        (Some(_), Some(_), _) => Err(Error::Usage(
            "headroom takes either a workload or a pod manifest, not both".into(),
        )),
        (None, None, _) => Err(Error::Usage(
            "headroom needs a pod: a workload (NAMESPACE/NAME) or a pod manifest".into(),
        )),
    }
}

/// The pod template of a workload of the scenario, as its controller would
/// create it.
fn workload_template(cluster: &Cluster, key: &str) -> Result<(String, Pod, Vec<String>)> {
    let Some((namespace, name)) = key.split_once('/') else {
        return Err(Error::Usage(format!(
            "workload {key:?}: expected NAMESPACE/NAME"
        )));
    };
    let candidates: Vec<usize> = cluster
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| w.namespace == namespace && w.name == name)
        .map(|(i, _)| i)
        .collect();
    // A Deployment and a ReplicaSet may share a name: the top-level one is
    // what the user means.
    let Some(&i) = candidates
        .iter()
        .find(|&&i| cluster.workloads[i].owner.is_none())
        .or(candidates.first())
    else {
        return Err(Error::Usage(format!(
            "no Deployment, StatefulSet, ReplicaSet or Job {key} in the scenario"
        )));
    };
    let w = &cluster.workloads[i];
    let pod = w.replica(WorkloadId(i as u32), w.name.clone());
    Ok((format!("{namespace}/{name}"), pod, Vec::new()))
}

/// The one Pod of a manifest (`read` is what ingest read of it).
fn manifest_template(manifest: &PodManifest, read: &Cluster) -> Result<(String, Pod, Vec<String>)> {
    let pods: Vec<&Pod> = read
        .pods
        .iter()
        .filter(|p| p.origin == PodOrigin::Input)
        .collect();
    let [pod] = pods.as_slice() else {
        return Err(Error::Usage(format!(
            "{}: expected exactly one Pod, found {}",
            manifest.file,
            pods.len()
        )));
    };
    let mut warnings = Vec::new();
    let others =
        read.nodes.len() + read.workloads.len() + read.daemon_sets.len() + read.pools.len();
    if others > 0 {
        warnings.push(format!(
            "{}: only the Pod is used; {others} other object(s) ignored",
            manifest.file
        ));
    }
    let mut pod = (*pod).clone();
    if pod.node_name.as_deref().is_some_and(|n| !n.is_empty()) {
        warnings.push(format!(
            "{}: spec.nodeName of {} ignored: the copies are scheduled",
            manifest.file,
            pod.key()
        ));
    }
    pod.node_name = None;
    pod.node = None;
    pod.phase = PodPhase::Pending;
    pod.ready = false;
    pod.terminating = false;
    Ok((pod.key(), pod, warnings))
}

/// Whether the order of the binds matters for copies of `spec` (see
/// [`headroom`]), and when it does not and the copies have anti-affinity,
/// the (distinct) hostnames it relies on.
fn placement_order(snapshot: &Snapshot, spec: &PodSpec) -> (bool, Option<HashSet<String>>) {
    // A copy changes other nodes' verdicts through hard spread
    // constraints, required affinity (whose "first pod" exception is
    // cluster-wide) and anti-affinity by a key that groups nodes.
    let hard_spread = spec
        .topology_spread
        .iter()
        .any(|c| c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule);
    let anti_by_host = spec
        .pod_anti_affinity
        .iter()
        .all(|t| t.topology_key == LABEL_HOSTNAME);
    if hard_spread || !spec.pod_affinity.is_empty() || !anti_by_host {
        return (true, None);
    }
    if spec.pod_anti_affinity.is_empty() {
        return (false, None);
    }
    let mut seen = HashSet::new();
    let distinct = snapshot.node_ids().all(|n| {
        snapshot
            .node(n)
            .labels
            .get(LABEL_HOSTNAME)
            .is_none_or(|h| seen.insert(h.clone()))
    });
    if distinct {
        (false, Some(seen))
    } else {
        (true, None)
    }
}

/// The scheduler (and autoscaler) placing copies on one snapshot.
struct Run<'c> {
    cluster: &'c Cluster,
    snapshot: Snapshot<'c>,
    template: Pod,
    /// Copies created so far (for their names).
    created: usize,
    /// NodeAffinity's PreFilter for the template.
    pre_filter: node_affinity::PreFilter,
    /// The PreFilter state, kept up to date with every bind (upstream's
    /// AddPod); dropped when a node is added or removed.
    state: Option<PodState>,
    /// Per node: the node-local filters pass. Only NodeResourcesFit and
    /// NodePorts can change, and only on the node that receives a copy.
    local_ok: Vec<bool>,
    /// Copies per node.
    per_node: Vec<usize>,
    /// Whether the order of the binds matters (see [`headroom`]); when not,
    /// nodes are filled in index order, from `cursor` on.
    ordered: bool,
    cursor: usize,
    /// Hostname label values of the nodes, kept while unordered placement
    /// relies on them being distinct.
    hostnames: Option<HashSet<String>>,
    /// Built when placement is ordered.
    scorer: Option<Scorer>,
    /// Pools that may scale (none without `with_pools`), by `costPerHour`,
    /// then pool order.
    pools: PoolScaler,
}

impl<'c> Run<'c> {
    /// A run on the cluster as it is, with the node-local verdicts of
    /// `template` on every node.
    fn new(cluster: &'c Cluster, template: Pod, with_pools: bool) -> Self {
        let snapshot = Snapshot::new(cluster);
        let pre_filter = node_affinity::pre_filter(&template.spec);
        let local_ok = snapshot
            .node_ids()
            .map(|n| {
                predicates::filter_node_local(
                    &template,
                    snapshot.node(n),
                    snapshot.info(n),
                    &pre_filter,
                )
                .is_ok()
            })
            .collect();
        let (ordered, hostnames) = placement_order(&snapshot, &template.spec);
        let scorer = ordered.then(|| Scorer::new(&snapshot));
        let pools = PoolScaler::new(cluster, |p| with_pools && p.max_count.is_some());
        let nodes = snapshot.node_count();
        Run {
            cluster,
            snapshot,
            template,
            created: 0,
            pre_filter,
            state: None,
            local_ok,
            per_node: vec![0; nodes],
            ordered,
            cursor: 0,
            hostnames,
            scorer,
            pools,
        }
    }

    /// Binds copies one at a time until none fits or a guard stops it:
    /// `options.max_copies`, the new-node guard, or `deadline`.
    fn add_copies(&mut self, options: &HeadroomOptions, deadline: Instant) -> Count {
        let mut count = Count {
            fits: 0,
            capped: false,
            timed_out: false,
            next: self.new_copy(),
        };
        loop {
            if count.fits >= options.max_copies {
                count.capped = true;
                break;
            }
            // The stopping histogram filters every node once more after
            // the loop: leave it a margin.
            if count.fits % 64 == 0 && Instant::now() >= deadline {
                count.capped = true;
                count.timed_out = true;
                break;
            }
            match self.step(count.next, options.with_pools) {
                Step::Node(node) => self.bind(count.next, node),
                Step::Full => break,
                Step::Guard => {
                    count.capped = true;
                    break;
                }
            }
            count.fits += 1;
            count.next = self.new_copy();
        }
        count
    }

    /// Where a copy goes: a node that takes it, else (with `with_pools`) a
    /// new pool node if one takes it.
    fn step(&mut self, pod: PodId, with_pools: bool) -> Step {
        if let Some(node) = self.select(pod) {
            return Step::Node(node);
        }
        if !with_pools {
            return Step::Full;
        }
        match self.scale_up(pod) {
            ScaleUp::Added => self.select(pod).map_or(Step::Full, Step::Node),
            ScaleUp::NoPool => Step::Full,
            ScaleUp::Guard => Step::Guard,
        }
    }

    /// Copies per node that received some, by node name.
    fn copies_per_node(&self) -> BTreeMap<String, usize> {
        self.per_node
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (self.snapshot.node(NodeId(i as u32)).name.clone(), *n))
            .collect()
    }

    /// New nodes per pool that added some, by pool name.
    fn new_nodes_per_pool(&self) -> BTreeMap<String, u32> {
        self.pools
            .added
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (self.cluster.pools[i].name.clone(), *n))
            .collect()
    }

    /// Adds the next copy to the snapshot, unplaced.
    fn new_copy(&mut self) -> PodId {
        let mut pod = self.template.clone();
        pod.name = format!("{}-headroom-{}", self.template.name, self.created);
        self.created += 1;
        self.snapshot.add_pod(pod)
    }

    /// The PreFilter state for `pod` (any copy: they share namespace,
    /// labels and spec).
    fn state_for(&mut self, pod: PodId) {
        match &mut self.state {
            Some(state) => state.pod = pod,
            None => self.state = Some(PodState::new(&self.snapshot, pod)),
        }
    }

    /// Whether the stateful filters pass on a node whose node-local ones do.
    fn stateful_ok(&self, node: NodeId) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| predicates::filter_stateful(&self.snapshot, s, node).is_ok())
    }

    /// One scheduling cycle for a copy: the node it goes to, if any.
    fn select(&mut self, pod: PodId) -> Option<NodeId> {
        self.state_for(pod);
        let nodes = self.snapshot.node_count();
        if !self.ordered {
            // A node that rejects a copy rejects every later one (its own
            // copies only add), so nodes before the cursor are done.
            while self.cursor < nodes {
                let id = NodeId(self.cursor as u32);
                if self.local_ok[self.cursor] && self.stateful_ok(id) {
                    debug_assert!(
                        predicates::filter(&self.snapshot, &PodState::new(&self.snapshot, pod), id)
                            .is_ok(),
                        "a headroom copy's node passes every filter"
                    );
                    return Some(id);
                }
                self.cursor += 1;
            }
            return None;
        }
        let feasible: Vec<NodeId> = (0..nodes)
            .filter(|&i| self.local_ok[i])
            .map(|i| NodeId(i as u32))
            .filter(|&n| self.stateful_ok(n))
            .collect();
        #[cfg(debug_assertions)]
        {
            let fresh = PodState::new(&self.snapshot, pod);
            let expected: Vec<NodeId> = self
                .snapshot
                .node_ids()
                .filter(|&n| predicates::filter(&self.snapshot, &fresh, n).is_ok())
                .collect();
            debug_assert_eq!(feasible, expected, "feasible nodes of a headroom copy");
        }
        match feasible.len() {
            0 => None,
            1 => Some(feasible[0]),
            _ => self
                .scorer
                .get_or_insert_with(|| Scorer::new(&self.snapshot))
                .score(&self.snapshot, pod, &feasible)
                .best(),
        }
    }

    /// Binds a copy and keeps the caches in step.
    fn bind(&mut self, pod: PodId, node: NodeId) {
        self.snapshot.assign(pod, node);
        if let Some(scorer) = &mut self.scorer {
            scorer.pod_added(&self.snapshot, pod, node);
        }
        if let Some(state) = &mut self.state {
            state.add_pod(&self.snapshot, pod, node);
        }
        self.local_ok[node.index()] = self.local_verdict(node);
        self.per_node[node.index()] += 1;
    }

    fn local_verdict(&self, node: NodeId) -> bool {
        predicates::filter_node_local(
            &self.template,
            self.snapshot.node(node),
            self.snapshot.info(node),
            &self.pre_filter,
        )
        .is_ok()
    }

    /// Adds the first pool node, cheapest pool first, on which the copy
    /// passes every filter: `simulate`'s scale-up ([`PoolScaler::scale_up`]),
    /// capped at [`MAX_NEW_NODES`] new nodes.
    fn scale_up(&mut self, pod: PodId) -> ScaleUp {
        let mut pools = std::mem::take(&mut self.pools);
        let outcome = pools.scale_up(self.cluster, self, pod, MAX_NEW_NODES);
        self.pools = pools;
        outcome
    }

    /// What rejects each node for one more copy: (plugin, reason) counts,
    /// most frequent first, then by reason (explain's `--summary` order).
    fn stopped_by(&self, pod: PodId) -> Vec<ReasonCount> {
        let state = PodState::new(&self.snapshot, pod);
        let verdicts: Vec<_> = self
            .snapshot
            .node_ids()
            .map(|n| predicates::filter(&self.snapshot, &state, n))
            .collect();
        reason_counts(&rejection_histogram(
            verdicts.iter().filter_map(|v| v.as_ref().err()),
        ))
    }
}

impl<'c> ScaleTarget for Run<'c> {
    /// Adds a node, keeping the caches in step.
    fn add_node(&mut self, node: crate::model::Node) -> NodeId {
        let id = self.snapshot.add_node(node);
        if let Some(scorer) = &mut self.scorer {
            scorer.node_added(&self.snapshot, id);
        }
        self.local_ok.push(self.local_verdict(id));
        self.per_node.push(0);
        // PreFilter states do not see nodes added after them.
        self.state = None;
        if let Some(seen) = &mut self.hostnames {
            let host = self.snapshot.node(id).labels.get(LABEL_HOSTNAME);
            if host.is_some_and(|h| !seen.insert(h.clone())) {
                // Two nodes now share a hostname domain: a copy on one
                // changes the other's verdict, so the order matters. The
                // state reached so far is what any order reaches.
                self.hostnames = None;
                self.ordered = true;
                self.scorer = Some(Scorer::new(&self.snapshot));
            }
        }
        id
    }

    /// Removes the last node (a scale-up attempt that is not kept).
    fn remove_last_node(&mut self) {
        let Some(last) = self.snapshot.node_count().checked_sub(1) else {
            return;
        };
        let id = NodeId(last as u32);
        if let Some(scorer) = &mut self.scorer {
            scorer.node_removing(&self.snapshot, id);
        }
        if let Some(node) = self.snapshot.remove_last_node() {
            if let (Some(seen), Some(h)) = (&mut self.hostnames, node.labels.get(LABEL_HOSTNAME)) {
                seen.remove(h);
            }
        }
        self.local_ok.truncate(last);
        self.per_node.truncate(last);
        self.cursor = self.cursor.min(last);
        self.state = None;
    }

    fn trial(&mut self, pod: PodId, node: NodeId, first: bool) -> Trial {
        let local = self.local_ok[node.index()];
        self.state_for(pod);
        if local && self.stateful_ok(node) {
            Trial::Takes
        } else if first && !local {
            Trial::RejectsAlways
        } else {
            Trial::Rejects
        }
    }
}
