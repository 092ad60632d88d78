//! `simulate`: what kube-scheduler (default profile) and cluster-autoscaler
//! would do with the pending pods (the report: `docs/reports.md#simulate`).
//! It is the baseline against which `place`'s savings are shown, and proves
//! nothing about cost.

use crate::engine::plan::{self, Plan};
use crate::engine::scale_up::{PoolScaler, ScaleTarget, ScaleUp, Trial};
use crate::error::Result;
use crate::model::{Cluster, Labels, NodeId, PodId, UnsatisfiableAction};
use crate::predicates::{
    self, node_affinity, node_name, node_ports, node_resources_fit, node_unschedulable,
    taint_toleration, PodState, Snapshot,
};
use crate::report::place::{PlaceOptions, PlaceReport, PlanStats, PlanStatus};
use crate::scoring::pod_topology_spread::LABEL_HOSTNAME as HOSTNAME;
use crate::scoring::{KeyDomains, Scorer, Topology};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;
use web_time::{Duration, Instant};

/// The message of the pods left pending because the time limit was reached.
pub const TIME_LIMIT_MESSAGE: &str = "time limit reached";

/// Places the pending pods one at a time, as kube-scheduler's default
/// profile would, adding pool nodes as cluster-autoscaler would.
///
/// - **Queue order**: priority descending, then input order (a stable
///   sort; upstream breaks priority ties by queue arrival time).
/// - **Scheduling cycle** for each pod, on the current state (the pods
///   placed so far included): the filter plugins on every node (exactly
///   [`predicates::filter`]), then the default score plugins on the
///   feasible ones ([`crate::scoring`]); the pod is bound to the node with
///   the highest total. A single feasible node is taken unscored, as
///   upstream does. **Ties**: upstream picks one of the best nodes at
///   random; podplan picks the one with the lowest node index (existing
///   nodes in input order, then new nodes in the order they were added), so
///   that runs are reproducible.
/// - **Scale-up**, when the pod fits no node: pools whose `maxCount`
///   allows another node (existing nodes of the pool included) are tried
///   cheapest `costPerHour` first, then in pool order; the pool's next new
///   node (`<pool>-new-<k>`, with its DaemonSet pods) is added if the pod
///   passes every filter on it, and the scheduling cycle reruns (the pod
///   may then also fit elsewhere). A node on which the pod does not pass is
///   not kept. This is cluster-autoscaler with a cheapest-first expander,
///   one pod at a time; `minCount` is not enforced (nodes are never added
///   just to reach it). No node is added once the cluster has
///   `cluster.limits.max_nodes` (cluster-autoscaler's
///   `--max-nodes-total`): the pod stays pending.
/// - A pod that no node and no pool takes is **retried** after the pass
///   (upstream requeues unschedulable pods when a pod is bound or a node
///   added): the failed pods are tried again, in queue order, as long as
///   the previous pass placed a pod (a simplification: upstream also
///   backs off, and a requeued pod may overtake lower-priority pods still
///   waiting). One that still fails stays pending
///   with the scheduler's message for the nodes of its last attempt
///   (`0/N nodes are available: ...`).
/// - **Time limit**: once `options.time_limit` seconds have passed (a limit
///   that is not positive has passed at once), the remaining pods stay
///   pending with [`TIME_LIMIT_MESSAGE`] and `stats.timeLimitHit` is set.
///
/// The report is `timeout` (with a `message`) when the time limit left
/// pods untried, else `infeasible` when a pod stays pending (kube-scheduler
/// and cluster-autoscaler would leave it so; not a proof that no plan
/// places it), else `feasible`;
/// `lowerBound` is 0 (simulate proves nothing). `options.repack` is
/// ignored: the scheduler never moves bound pods.
pub fn simulate(cluster: &Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    plan::check_forced_nodes(cluster)?;
    let started = Instant::now();
    // cluster-autoscaler with --enforce-node-group-min-size: pools first
    // grow to their minCount (in what the copy left of the time limit).
    if let Some((forced, cost)) = cluster.with_min_counts() {
        let left = PlaceOptions {
            time_limit: options.time_limit - started.elapsed().as_secs_f64(),
            ..options.clone()
        };
        let report = simulate(&forced, &left).map(|r| plan::add_forced_cost(r, cost));
        crate::parallel::drop_later(forced);
        return report;
    }
    let mut clock = Clock {
        deadline: deadline(started, options.time_limit),
        hit: false,
    };
    let mut queue: Vec<PodId> = cluster.pending_pods().collect();
    queue.sort_by_key(|&id| Reverse(cluster.pod(id).spec.priority));
    let classes = filter_classes(cluster, &queue);

    let mut sim = Simulator::new(cluster);
    let mut placed = Vec::with_capacity(queue.len());
    let mut failed = sim.first_pass(&queue, &classes, &mut placed, &mut clock);
    sim.retry(&mut failed, &mut placed, &mut clock);
    let unplaced = failed
        .into_iter()
        .map(|(pod, _, message)| (pod, message))
        .collect();
    let stats = PlanStats {
        solve_millis: started.elapsed().as_millis() as u64,
        pods: queue.len(),
        pod_classes: plan::pod_class_count(cluster, &queue),
        method: "simulate".to_string(),
        time_limit_hit: clock.hit,
        soft_violations: crate::scoring::preferences::total(&sim.snapshot, &placed),
        ..PlanStats::default()
    };
    let plan = Plan {
        placed,
        unplaced,
        lower_bound: 0.0,
        proven: false,
    };
    Ok(timed_out(plan::report(&sim.snapshot, plan, stats)))
}

/// The report as `timeout`, with a message, when the time limit left pods
/// pending untried ([`TIME_LIMIT_MESSAGE`]): they may well fit, so the
/// report is no `infeasible`.
fn timed_out(mut report: PlaceReport) -> PlaceReport {
    let untried = report
        .unplaced
        .iter()
        .filter(|u| u.message == TIME_LIMIT_MESSAGE)
        .count();
    if untried == 0 {
        return report;
    }
    report.status = PlanStatus::Timeout;
    report.stats.time_limit_phase = Some("simulate".into());
    report.message = Some(format!(
        "time limit reached before every pod was tried: {} of {} pods placed, {} not \
         tried; rerun with a longer --time-limit",
        report.assignments.len(),
        report.assignments.len() + report.unplaced.len(),
        untried
    ));
    report
}

/// The time limit, and whether it was reached (it stays reached).
struct Clock {
    deadline: Option<Instant>,
    hit: bool,
}

impl Clock {
    /// Whether the time limit is reached (now or before).
    fn is_up(&mut self) -> bool {
        self.hit = self.hit || self.deadline.is_some_and(|d| Instant::now() >= d);
        self.hit
    }
}

/// A pod left pending: (pod, its filter class, why), in queue order.
type Failed = (PodId, u32, String);

/// When the time limit ends: at once when it is not positive (or NaN),
/// never when it does not fit an `Instant`.
fn deadline(started: Instant, seconds: f64) -> Option<Instant> {
    if seconds.is_nan() || seconds <= 0.0 {
        return Some(started);
    }
    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| started.checked_add(d))
}

/// Per queued pod, its filter class: pods with the same namespace, labels,
/// spec and `nodeName` get the same filter verdicts and the same PreFilter
/// state.
fn filter_classes(cluster: &Cluster, queue: &[PodId]) -> Vec<u32> {
    let mut index: HashMap<(&str, &Labels, usize, Option<&str>), u32> = HashMap::new();
    queue
        .iter()
        .map(|&id| {
            let pod = cluster.pod(id);
            let key = (
                pod.namespace.as_str(),
                &pod.labels,
                Arc::as_ptr(&pod.spec) as usize,
                pod.node_name.as_deref(),
            );
            let next = index.len() as u32;
            *index.entry(key).or_insert(next)
        })
        .collect()
}

/// Static verdicts kept at most (one byte each), over all classes.
const MAX_STATIC_VERDICTS: usize = 32 << 20;

/// The verdicts of the filters that read only the pod's spec and the node
/// (NodeAffinity's PreFilter, NodeUnschedulable, NodeName, TaintToleration,
/// NodeAffinity), per filter class and node. They never change in a
/// simulation: no node is cordoned, and nodes are only appended to, or
/// removed from the end of, the node list.
#[derive(Debug, Default)]
struct StaticFilters {
    by_class: HashMap<u32, (node_affinity::PreFilter, Vec<bool>)>,
}

impl StaticFilters {
    /// The class's verdicts on every node of the snapshot.
    fn verdicts(&mut self, snapshot: &Snapshot, class: u32, pod: PodId) -> &[bool] {
        let p = snapshot.pod(pod);
        // Bounded memory: one bool per node and class.
        let max_classes = (MAX_STATIC_VERDICTS / snapshot.node_count().max(1)).max(16);
        if self.by_class.len() >= max_classes && !self.by_class.contains_key(&class) {
            self.by_class.clear();
        }
        let (pre, ok) = self
            .by_class
            .entry(class)
            .or_insert_with(|| (node_affinity::pre_filter(&p.spec), Vec::new()));
        for i in ok.len()..snapshot.node_count() {
            let node = snapshot.node(NodeId(i as u32));
            // The plugins' own tests, without building reason strings.
            ok.push(
                pre.admits(node).is_ok()
                    && node_unschedulable::filter(p, node).is_ok()
                    && node_name::filter(p, node).is_ok()
                    && taint_toleration::find_untolerated(
                        &node.taints,
                        &p.spec.tolerations,
                        taint_toleration::is_hard,
                    )
                    .is_none()
                    && node_affinity::required_matches(&p.spec, node),
            );
        }
        ok
    }

    /// Forgets nodes from index `nodes` on.
    fn truncate(&mut self, nodes: usize) {
        for (_, ok) in self.by_class.values_mut() {
            ok.truncate(nodes);
        }
    }
}

/// The scheduler and autoscaler at work on one snapshot.
struct Simulator<'c> {
    cluster: &'c Cluster,
    snapshot: Snapshot<'c>,
    scorer: Scorer,
    filters: StaticFilters,
    /// Node domains of the topology keys of hard spread constraints.
    topology: Topology,
    /// The PreFilter state of the last class scheduled, kept up to date
    /// with every bind (upstream's AddPod) until a node is added or removed.
    state: Option<(u32, PodState)>,
    /// The pools, tried by `costPerHour`, then pool order.
    pools: PoolScaler,
    /// Bumped whenever a pod is bound or a node kept: a class that failed
    /// at the same generation fails again.
    generation: u64,
    /// Per class, the generation it last failed at and its message.
    failures: HashMap<u32, (u64, String)>,
    /// New nodes the pools may add in all: the cluster's node limit
    /// (`Limits::max_nodes`) less its nodes, as cluster-autoscaler's
    /// `--max-nodes-total`.
    max_new: usize,
}

impl<'c> ScaleTarget for Simulator<'c> {
    fn add_node(&mut self, node: crate::model::Node) -> NodeId {
        let id = self.snapshot.add_node(node);
        self.scorer.node_added(&self.snapshot, id);
        // PreFilter states do not see nodes added after them.
        self.state = None;
        id
    }

    fn remove_last_node(&mut self) {
        let Some(last) = self.snapshot.node_count().checked_sub(1) else {
            return;
        };
        let id = NodeId(last as u32);
        self.scorer.node_removing(&self.snapshot, id);
        self.snapshot.remove_last_node();
        self.filters.truncate(last);
        self.topology.truncate(last);
    }

    fn trial(&mut self, pod: PodId, node: NodeId, first: bool) -> Trial {
        let state = PodState::new(&self.snapshot, pod);
        if predicates::filter(&self.snapshot, &state, node).is_ok() {
            Trial::Takes
        } else if first && !self.fits_empty_template(pod, node) {
            Trial::RejectsAlways
        } else {
            Trial::Rejects
        }
    }
}

impl<'c> Simulator<'c> {
    fn new(cluster: &'c Cluster) -> Self {
        let snapshot = Snapshot::new(cluster);
        let scorer = Scorer::new(&snapshot);
        Simulator {
            cluster,
            snapshot,
            scorer,
            filters: StaticFilters::default(),
            topology: Topology::default(),
            state: None,
            pools: PoolScaler::new(cluster, |_| true),
            generation: 0,
            failures: HashMap::new(),
            max_new: cluster.limits.max_nodes.saturating_sub(cluster.nodes.len()),
        }
    }

    /// The first pass over the queue: each pod placed (into `placed`) or
    /// failed; once the time limit is reached, the rest fail with
    /// [`TIME_LIMIT_MESSAGE`]. The failed pods, in queue order.
    fn first_pass(
        &mut self,
        queue: &[PodId],
        classes: &[u32],
        placed: &mut Vec<(PodId, NodeId)>,
        clock: &mut Clock,
    ) -> Vec<Failed> {
        let mut failed = Vec::new();
        for (&pod, &class) in queue.iter().zip(classes) {
            if clock.is_up() {
                failed.push((pod, class, TIME_LIMIT_MESSAGE.to_string()));
                continue;
            }
            match self.place(pod, class) {
                Ok(node) => placed.push((pod, node)),
                Err(message) => failed.push((pod, class, message)),
            }
        }
        failed
    }

    /// Upstream moves unschedulable pods back to the active queue when the
    /// cluster changes (a pod bound, a node added): retries the `failed`
    /// pods, in queue order, while a pass places something (the first
    /// pass included) and time is left.
    fn retry(
        &mut self,
        failed: &mut Vec<Failed>,
        placed: &mut Vec<(PodId, NodeId)>,
        clock: &mut Clock,
    ) {
        let mut progress = !placed.is_empty();
        while progress && !failed.is_empty() && !clock.is_up() {
            progress = false;
            for (pod, class, message) in std::mem::take(failed) {
                if clock.is_up() {
                    failed.push((pod, class, message));
                    continue;
                }
                match self.place(pod, class) {
                    Ok(node) => {
                        placed.push((pod, node));
                        progress = true;
                    }
                    Err(message) => failed.push((pod, class, message)),
                }
            }
        }
    }

    /// Schedules one pod, scaling up if needed: its node, or why it stays
    /// pending.
    fn place(&mut self, pod: PodId, class: u32) -> Result<NodeId, String> {
        // Nothing changed since a pod of this class failed: this one fails
        // the same way.
        if let Some((generation, message)) = self.failures.get(&class) {
            if *generation == self.generation {
                return Err(message.clone());
            }
        }
        if let Some(node) = self.schedule(pod, class) {
            self.bind(pod, node);
            return Ok(node);
        }
        if self.scale_up(pod) {
            if let Some(node) = self.schedule(pod, class) {
                self.bind(pod, node);
                return Ok(node);
            }
        }
        let state = PodState::new(&self.snapshot, pod);
        let message = crate::predicates::fit_error::unschedulable_message(&self.snapshot, &state);
        self.failures
            .insert(class, (self.generation, message.clone()));
        Err(message)
    }

    /// One scheduling cycle: filter, score, select.
    fn schedule(&mut self, pod: PodId, class: u32) -> Option<NodeId> {
        match &mut self.state {
            Some((c, state)) if *c == class => state.pod = pod,
            _ => self.state = Some((class, PodState::new(&self.snapshot, pod))),
        }
        let state = &self.state.as_ref()?.1;
        let feasible = feasible_nodes(
            &self.snapshot,
            &mut self.filters,
            &mut self.topology,
            class,
            state,
        );
        match feasible.len() {
            0 => None,
            1 => Some(feasible[0]),
            _ => self.scorer.score(&self.snapshot, pod, &feasible).best(),
        }
    }

    /// Binds a pod and keeps the caches in step.
    fn bind(&mut self, pod: PodId, node: NodeId) {
        self.snapshot.assign(pod, node);
        self.scorer.pod_added(&self.snapshot, pod, node);
        if let Some((_, state)) = &mut self.state {
            state.add_pod(&self.snapshot, pod, node);
        }
        self.generation += 1;
    }

    /// Adds the first pool node, cheapest pool first, on which the pod
    /// passes every filter ([`PoolScaler::scale_up`]); false when there is
    /// none.
    fn scale_up(&mut self, pod: PodId) -> bool {
        let mut pools = std::mem::take(&mut self.pools);
        let added = pools.scale_up(self.cluster, self, pod, self.max_new) == ScaleUp::Added;
        self.pools = pools;
        if added {
            self.generation += 1;
        }
        added
    }

    /// Whether the pod passes the node-local filters on this (new) node.
    fn fits_empty_template(&self, pod: PodId, node: NodeId) -> bool {
        let p = self.snapshot.pod(pod);
        let pre = crate::predicates::node_affinity::pre_filter(&p.spec);
        predicates::filter_node_local(p, self.snapshot.node(node), self.snapshot.info(node), &pre)
            .is_ok()
    }
}

/// The nodes on which every filter plugin passes. The static plugins come
/// from the class's cache; the others are run per node. Equivalent to
/// `predicates::filter(..).is_ok()` on every node (checked in debug
/// builds): all plugins must pass, so their order does not matter here.
fn feasible_nodes(
    snapshot: &Snapshot,
    filters: &mut StaticFilters,
    topology: &mut Topology,
    class: u32,
    state: &PodState,
) -> Vec<NodeId> {
    let pod = snapshot.pod(state.pod);
    let spec = &pod.spec;
    let spread = state.pod_topology_spread.constraint_count() > 0;
    let inter_pod = inter_pod_affinity_applies(spec, state);
    let mut spread_memo = if spread {
        SpreadMemo::new(snapshot, topology, spec)
    } else {
        None
    };
    let verdicts = filters.verdicts(snapshot, class, state.pod);
    let mut feasible = Vec::new();
    for (i, _) in verdicts.iter().enumerate().filter(|(_, ok)| **ok) {
        let id = NodeId(i as u32);
        if !fits_ports_and_resources(snapshot, pod, id) {
            continue;
        }
        if spread {
            let passes = || state.pod_topology_spread.filter(snapshot, pod, id).is_ok();
            let ok = match &mut spread_memo {
                Some(memo) => memo.passes(i, passes),
                None => passes(),
            };
            if !ok {
                continue;
            }
        }
        if inter_pod && state.inter_pod_affinity.filter(snapshot, pod, id).is_err() {
            continue;
        }
        feasible.push(id);
    }
    #[cfg(debug_assertions)]
    check_feasible(snapshot, state.pod, &feasible);
    feasible
}

/// Whether InterPodAffinity can reject a node: not without terms of the
/// pod's own and with no placed pod's anti-affinity against it.
fn inter_pod_affinity_applies(spec: &crate::model::PodSpec, state: &PodState) -> bool {
    !spec.pod_affinity.is_empty()
        || !spec.pod_anti_affinity.is_empty()
        || !state
            .inter_pod_affinity
            .existing_anti_affinity_counts()
            .is_empty()
}

/// NodePorts and NodeResourcesFit pass on the node.
fn fits_ports_and_resources(snapshot: &Snapshot, pod: &crate::model::Pod, id: NodeId) -> bool {
    let spec = &pod.spec;
    let info = snapshot.info(id);
    if !spec.host_ports.is_empty() && node_ports::filter(pod, info).is_err() {
        return false;
    }
    let node = snapshot.node(id);
    !lacks_pods_cpu_or_memory(spec, node, info)
        && node_resources_fit::insufficient_resources(&spec.requests, &node.allocatable, info)
            .is_empty()
}

/// PodTopologySpread's verdicts per pair of domains: the verdict depends
/// only on the node's values of the constraints' keys, so with at most two
/// keys, none of them the hostname, it is run once per pair.
struct SpreadMemo<'t> {
    /// The domains of the DoNotSchedule constraints' keys.
    domains: Vec<&'t KeyDomains>,
    /// Values of the first key, plus one for a missing key.
    width: usize,
    /// Per pair of domains (a missing key is one more): 0 unknown, 1 pass,
    /// 2 fail.
    verdicts: Vec<u8>,
}

impl<'t> SpreadMemo<'t> {
    /// The memo for a pod with `spec`, when its hard constraints allow one.
    fn new(
        snapshot: &Snapshot,
        topology: &'t mut Topology,
        spec: &crate::model::PodSpec,
    ) -> Option<Self> {
        let keys: Vec<&str> = spec
            .topology_spread
            .iter()
            .filter(|c| c.when_unsatisfiable == UnsatisfiableAction::DoNotSchedule)
            .map(|c| c.topology_key.as_str())
            .collect();
        if keys.len() > 2 || keys.contains(&HOSTNAME) {
            return None;
        }
        for key in &keys {
            topology.ensure(snapshot, key);
        }
        let topology: &'t Topology = topology;
        let domains: Vec<&KeyDomains> = keys.iter().map(|k| topology.get(k)).collect();
        let width = domains.first().map_or(1, |d| d.values.len() + 1);
        let height = domains.get(1).map_or(1, |d| d.values.len() + 1);
        Some(SpreadMemo {
            domains,
            width,
            verdicts: vec![0; width * height],
        })
    }

    /// The verdict on node index `i`, from `passes` the first time its
    /// pair of domains is seen.
    fn passes(&mut self, i: usize, passes: impl FnOnce() -> bool) -> bool {
        // MISSING (u32::MAX) maps to the last index of its axis.
        let domain = |k: usize| {
            self.domains
                .get(k)
                .map_or(0, |d| (d.node[i] as usize).min(d.values.len()))
        };
        let slot = &mut self.verdicts[domain(0) + self.width * domain(1)];
        if *slot == 0 {
            *slot = if passes() { 1 } else { 2 };
        }
        *slot == 1
    }
}

/// Debug builds: `feasible` is what [`predicates::filter`] accepts.
#[cfg(debug_assertions)]
fn check_feasible(snapshot: &Snapshot, pod: PodId, feasible: &[NodeId]) {
    let fresh = PodState::new(snapshot, pod);
    let expected: Vec<NodeId> = snapshot
        .node_ids()
        .filter(|&n| predicates::filter(snapshot, &fresh, n).is_ok())
        .collect();
    debug_assert_eq!(
        feasible,
        expected,
        "feasible nodes of {}",
        snapshot.pod(pod).key()
    );
}

/// A quick, allocation-free subset of NodeResourcesFit: the node has no
/// room for one more pod, or lacks requested cpu or memory (the same
/// comparisons as `insufficient_resources`, which decides the rest).
fn lacks_pods_cpu_or_memory(
    spec: &crate::model::PodSpec,
    node: &crate::model::Node,
    info: &predicates::NodeInfo,
) -> bool {
    let (r, a, used) = (&spec.requests, &node.allocatable, &info.requested);
    info.pods.len() as i64 + 1 > a.pods
        || (r.milli_cpu > 0 && r.milli_cpu > a.milli_cpu.saturating_sub(used.milli_cpu))
        || (r.memory > 0 && r.memory > a.memory.saturating_sub(used.memory))
}
