//! PodDisruptionBudget arithmetic as kube-controller-manager's disruption
//! controller computes it (`pkg/controller/disruption/disruption.go`), and
//! the eviction API's per-pod decision
//! (`pkg/registry/core/pod/storage/eviction.go`).
//!
//! Status (`trySync`): the PDB selects the pods of its namespace that its
//! selector matches (policy/v1: an empty selector selects them all; a nil
//! or v1beta1-empty one selects none). `currentHealthy` counts those that
//! are Ready and not being deleted (`countHealthyPods`; the phase is not
//! consulted). `expectedPods` and `desiredHealthy` (`getExpectedPodCount`):
//!
//! - `maxUnavailable` (integer or percent): expected = the summed scale of
//!   the controllers of the selected pods; desired = expected −
//!   ceil(maxUnavailable of expected), at least 0;
//! - `minAvailable` integer: expected = the number of selected pods
//!   (terminal and terminating ones included), desired = minAvailable;
//! - `minAvailable` percent: expected = the controllers' summed scale,
//!   desired = ceil(percent of expected);
//! - neither: 0 and 0.
//!
//! Percentages are `intstr.GetScaledValueFromIntOrPercent(.., roundUp=true)`
//! in both fields. `disruptionsAllowed` = currentHealthy − desiredHealthy,
//! or 0 when that is negative or expectedPods is 0 (`updatePdbStatus`).
//! When a controller's scale cannot be found, the controller's `failSafe`
//! applies: 0 disruptions allowed, and [`PdbStatus::note`] says why.
//!
//! What podplan's input cannot represent, and what is done instead:
//! - Pods only: podplan models existing Pod objects (`PodOrigin::Input`);
//!   replicas a workload has yet to create do not exist for the controller
//!   and are not counted.
//! - `status.disruptedPods` (evictions the API server approved but the
//!   controller has not seen deleted yet) is not read: a scenario is a
//!   settled state.
//! - ReplicationControllers and custom resources' scale subresource are not
//!   read: a percentage/maxUnavailable PDB over their pods takes upstream's
//!   failure path (failSafe), exactly as upstream does when the owner is
//!   missing. Jobs, DaemonSets, Nodes (static pods) have no scale
//!   subresource upstream either: failSafe there too.
//! - Without UIDs, an owner is identified by kind, namespace and name.

use crate::model::{
    orphan_replica_set_owner, Cluster, IntOrPercent, Operator, Pod, PodDisruptionBudget, PodId,
    PodOrigin, PodPhase, UnhealthyPodEvictionPolicy, WorkloadKind,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Whether the eviction API skips a PDB whose selector was written empty.
///
/// It did until kubernetes/kubernetes#119732 removed the `selector.Empty()`
/// test from `getPodDisruptionBudgets` (v1.29, backported to 1.27.7 and
/// 1.28.3): a policy/v1 PDB with an empty selector now guards every pod of
/// its namespace (upstream's case "matching pdbs with no disruptions
/// allowed, pod running, empty selector" expects 429). podplan follows current Kubernetes (the project's
/// original contract described the old rule; docs/input.md says so). A v1beta1
/// empty selector selects nothing either way.
const EVICTION_IGNORES_EMPTY_SELECTOR: bool = false;

/// One PDB's status as the disruption controller would write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbStatus {
    /// `namespace/name`.
    pub pdb: String,
    /// Index in `cluster.pdbs`.
    #[serde(skip)]
    pub index: usize,
    /// `status.expectedPods`.
    pub expected_pods: i32,
    /// `status.currentHealthy`: selected pods that are Ready and not
    /// terminating.
    pub current_healthy: i32,
    /// `status.desiredHealthy`.
    pub desired_healthy: i32,
    /// `status.disruptionsAllowed`.
    pub disruptions_allowed: i32,
    /// Why the numbers are not the whole story: the error that made the
    /// controller fail safe (disruptionsAllowed 0; expectedPods and
    /// desiredHealthy then read 0, currentHealthy is still counted), or the
    /// warning it raises about selected pods without a controller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The pods it selects for status counting, in input order.
    #[serde(skip)]
    pub pods: Vec<PodId>,
}

/// Whether a pod counts towards `currentHealthy` (`countHealthyPods`): its
/// Ready condition is True (`IsPodReady`) and it has no deletion timestamp.
/// Upstream does not look at the phase.
pub fn is_healthy(pod: &Pod) -> bool {
    pod.ready && !pod.terminating
}

/// Whether the replacement of the evicted pod `evicted` counts towards
/// `currentHealthy` once it runs: exactly when `evicted` did.
///
/// A podplan planning rule, not upstream behaviour: a real replacement may
/// well become Ready, but a plan must not depend on a failing pod
/// recovering, so an unready (or terminating) pod's replacement is assumed
/// to stay unready and never refills its PDB's budget.
pub(crate) fn replacement_is_healthy(evicted: &Pod) -> bool {
    is_healthy(evicted)
}

/// The `disruptionsAllowed` that `status`'s PDB grants with
/// `current_healthy` healthy pods (`updatePdbStatus`): currentHealthy −
/// desiredHealthy, or 0 when that is negative or expectedPods is 0 (also
/// how a failSafe status reads).
pub(crate) fn disruptions_allowed_with(status: &PdbStatus, current_healthy: i32) -> i32 {
    if status.expected_pods <= 0 {
        0
    } else {
        clamp_i32((i64::from(current_healthy) - i64::from(status.desired_healthy)).max(0))
    }
}

/// The status of `cluster.pdbs[index]`. An index out of range yields an
/// empty status with a note, never a panic.
pub fn pdb_status(cluster: &Cluster, index: usize) -> PdbStatus {
    let Some(pdb) = cluster.pdbs.get(index) else {
        return PdbStatus {
            pdb: String::new(),
            index,
            expected_pods: 0,
            current_healthy: 0,
            desired_healthy: 0,
            disruptions_allowed: 0,
            note: Some(format!("no PodDisruptionBudget at index {index}")),
            pods: Vec::new(),
        };
    };
    let pods = if selector_is_valid(pdb) {
        cluster
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| exists(p) && selects(pdb, p))
            .map(|(i, _)| PodId(i as u32))
            .collect()
    } else {
        Vec::new()
    };
    let controllers = Controllers::new(cluster);
    let mut cache = HashMap::new();
    compute(cluster, index, pods, &controllers, &mut cache)
}

/// The status of every PDB, in `cluster.pdbs` order.
///
/// Pods are indexed by namespace and by the labels that the PDBs' `In`
/// requirements name, so each PDB only tests the pods that could match.
pub fn pdb_statuses(cluster: &Cluster) -> Vec<PdbStatus> {
    if cluster.pdbs.is_empty() {
        return Vec::new();
    }
    let index = PodIndex::new(cluster);
    // Selecting is per PDB and read-only: over threads. Counting shares a
    // cache of controllers' scales: in order.
    let selected = crate::parallel::map(&cluster.pdbs, |pdb| {
        if selector_is_valid(pdb) {
            index.select(cluster, pdb)
        } else {
            Vec::new()
        }
    });
    let controllers = Controllers::new(cluster);
    let mut cache = HashMap::new();
    selected
        .into_iter()
        .enumerate()
        .map(|(i, pods)| compute(cluster, i, pods, &controllers, &mut cache))
        .collect()
}

/// PDBs the eviction API consults for this pod (same namespace, selector
/// matches, selector not empty), in `cluster.pdbs` order.
pub fn guarding_pdbs(cluster: &Cluster, pod: PodId) -> Vec<usize> {
    let Some(p) = cluster.pods.get(pod.index()) else {
        return Vec::new();
    };
    cluster
        .pdbs
        .iter()
        .enumerate()
        .filter(|(_, pdb)| guards(pdb) && selects(pdb, p))
        .map(|(i, _)| i)
        .collect()
}

/// [`guarding_pdbs`] for every existing pod at once, from the statuses'
/// pod lists (no selector is matched again): entry `i` lists the PDBs
/// guarding `cluster.pods[i]`. Pods a workload has yet to create get an
/// empty list (they are Pending: evicting them is free anyway).
pub fn guarding_by_pod(cluster: &Cluster, statuses: &[PdbStatus]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); cluster.pods.len()];
    for s in statuses {
        let Some(pdb) = cluster.pdbs.get(s.index) else {
            continue;
        };
        if !guards(pdb) {
            continue;
        }
        for p in &s.pods {
            if let Some(list) = out.get_mut(p.index()) {
                list.push(s.index);
            }
        }
    }
    for list in &mut out {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// What the eviction API does with an eviction request for `pod` given its
/// guarding PDBs' CURRENT statuses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EvictionOutcome {
    /// Deleted without consulting PDBs (`canIgnorePDB`: Pending, Succeeded,
    /// Failed, or already terminating), or no PDB guards it.
    Free,
    /// Allowed without spending budget: the pod is not Ready and its PDB
    /// has `unhealthyPodEvictionPolicy: AlwaysAllow`, or the default
    /// `IfHealthyBudget` with `currentHealthy >= desiredHealthy` and
    /// `desiredHealthy > 0`.
    AllowedUnhealthy,
    /// Allowed; decrements this PDB's `disruptionsAllowed` by one.
    Spends(usize),
    /// 429 Too Many Requests: this PDB allows no disruption now.
    TooManyRequests(usize),
    /// The pod is under more than one PDB: refused (the eviction
    /// subresource does not support it; HTTP 500).
    MultiplePdbs(Vec<usize>),
}

/// What the eviction API does with an eviction request for `pod` given its
/// guarding PDBs (`guarding`, from [`guarding_pdbs`]) and their current
/// statuses (`statuses`, indexed like `cluster.pdbs`).
///
/// The order is upstream's: `canIgnorePDB` first (so a Pending pod under
/// two PDBs is still free), then more than one PDB refuses, then an unready
/// pod may go without spending budget, then `checkAndDecrement`. A status
/// missing from `statuses` is treated as allowing nothing (429).
pub fn eviction_outcome(
    cluster: &Cluster,
    pod: PodId,
    guarding: &[usize],
    statuses: &[PdbStatus],
) -> EvictionOutcome {
    let Some(p) = cluster.pods.get(pod.index()) else {
        return EvictionOutcome::Free;
    };
    if can_ignore_pdb(p) {
        return EvictionOutcome::Free;
    }
    let index = match guarding {
        [] => return EvictionOutcome::Free,
        [one] => *one,
        many => return EvictionOutcome::MultiplePdbs(many.to_vec()),
    };
    let Some(status) = statuses.get(index) else {
        return EvictionOutcome::TooManyRequests(index);
    };
    if !p.ready {
        let policy = cluster
            .pdbs
            .get(index)
            .map_or(UnhealthyPodEvictionPolicy::IfHealthyBudget, |b| {
                b.unhealthy_pod_eviction_policy
            });
        if policy == UnhealthyPodEvictionPolicy::AlwaysAllow {
            return EvictionOutcome::AllowedUnhealthy;
        }
        if status.current_healthy >= status.desired_healthy && status.desired_healthy > 0 {
            return EvictionOutcome::AllowedUnhealthy;
        }
    }
    // checkAndDecrement: 0 is a 429; a negative count is a 403 upstream,
    // a refusal all the same.
    if status.disruptions_allowed <= 0 {
        EvictionOutcome::TooManyRequests(index)
    } else {
        EvictionOutcome::Spends(index)
    }
}

/// `canIgnorePDB`: the eviction API deletes such a pod outright, without
/// consulting any PDB (not running, or already terminating).
pub(crate) fn can_ignore_pdb(pod: &Pod) -> bool {
    matches!(
        pod.phase,
        PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed
    ) || pod.terminating
}

/// A Pod object of the input: what the controller's pod lister holds.
fn exists(pod: &Pod) -> bool {
    pod.origin == PodOrigin::Input
}

/// The PDB's selector selects this pod for status (namespace included).
fn selects(pdb: &PodDisruptionBudget, pod: &Pod) -> bool {
    pod.namespace == pdb.namespace && pdb.selector.matches(&pod.labels)
}

/// The eviction API consults this PDB at all (`getPodDisruptionBudgets`:
/// a selector that fails to parse matches no pod; see
/// [`EVICTION_IGNORES_EMPTY_SELECTOR`]).
fn guards(pdb: &PodDisruptionBudget) -> bool {
    let skipped = EVICTION_IGNORES_EMPTY_SELECTOR && pdb.selector_empty;
    !skipped && !pdb.selector.matches_nothing && selector_is_valid(pdb)
}

/// `metav1.LabelSelectorAsSelector` succeeds: label selectors know only
/// In, NotIn, Exists and DoesNotExist, and every requirement must pass
/// `labels.NewRequirement`.
fn selector_is_valid(pdb: &PodDisruptionBudget) -> bool {
    pdb.selector
        .requirements
        .iter()
        .all(|r| !matches!(r.operator, Operator::Gt | Operator::Lt) && r.is_valid())
}

/// The first requirement that `LabelSelectorAsSelector` rejects, for the
/// failSafe note.
fn invalid_selector_note(pdb: &PodDisruptionBudget) -> String {
    let bad = pdb
        .selector
        .requirements
        .iter()
        .find(|r| matches!(r.operator, Operator::Gt | Operator::Lt) || !r.is_valid());
    match bad {
        Some(r) => format!(
            "invalid selector: requirement {} {} {:?} does not parse; the PDB selects no pod",
            r.key,
            r.operator.as_str(),
            r.values
        ),
        None => "invalid selector".to_string(),
    }
}

// ---------------------------------------------------------------------------
// Status arithmetic
// ---------------------------------------------------------------------------

/// Owner kind, namespace, name → the controller it resolves to.
type ScaleCache<'a> = HashMap<(&'a str, &'a str, &'a str), Result<(usize, i32), String>>;

/// `trySync` for one PDB over its selected pods.
fn compute<'a>(
    cluster: &'a Cluster,
    index: usize,
    pods: Vec<PodId>,
    controllers: &Controllers<'a>,
    cache: &mut ScaleCache<'a>,
) -> PdbStatus {
    let pdb = &cluster.pdbs[index];
    let current_healthy = count_i32(pods.iter().filter(|p| is_healthy(cluster.pod(**p))).count());
    let mut status = PdbStatus {
        pdb: format!("{}/{}", pdb.namespace, pdb.name),
        index,
        expected_pods: 0,
        current_healthy,
        desired_healthy: 0,
        disruptions_allowed: 0,
        note: None,
        pods,
    };
    if !selector_is_valid(pdb) {
        // getPodsForPdb fails before anything is counted: failSafe over a
        // status never written (TestInvalidSelectors: 0, 0, 0, 0).
        status.current_healthy = 0;
        status.note = Some(invalid_selector_note(pdb));
        return status;
    }
    let expected =
        |cache: &mut ScaleCache<'a>| expected_scale(cluster, &status.pods, controllers, cache);
    let outcome = match (pdb.max_unavailable, pdb.min_available) {
        (Some(max_unavailable), _) => expected(cache).map(|(expected, unmanaged)| {
            let max = scaled(max_unavailable, expected);
            (expected, (i64::from(expected) - max).max(0), unmanaged)
        }),
        (None, Some(IntOrPercent::Int(n))) => Ok((count_i32(status.pods.len()), i64::from(n), 0)),
        (None, Some(min @ IntOrPercent::Percent(_))) => expected(cache)
            .map(|(expected, unmanaged)| (expected, scaled(min, expected), unmanaged)),
        (None, None) => Ok((0, 0, 0)),
    };
    match outcome {
        Err(message) => status.note = Some(message),
        Ok((expected, desired, unmanaged)) => {
            let desired = clamp_i32(desired);
            status.expected_pods = expected;
            status.desired_healthy = desired;
            let allowed = i64::from(current_healthy) - i64::from(desired);
            status.disruptions_allowed = if expected <= 0 || allowed <= 0 {
                0
            } else {
                clamp_i32(allowed)
            };
            if unmanaged > 0 {
                status.note = Some(format!(
                    "{unmanaged} selected pod(s) have no controller and do not count towards \
                     expectedPods; set minAvailable to an integer to count them"
                ));
            }
        }
    }
    status
}

/// `getExpectedScale`: the summed scale of the distinct controllers of the
/// pods, and how many pods have no controller; the first pod whose
/// controller cannot be found is an error.
fn expected_scale<'a>(
    cluster: &'a Cluster,
    pods: &[PodId],
    controllers: &Controllers<'a>,
    cache: &mut ScaleCache<'a>,
) -> Result<(i32, usize), String> {
    let mut scale: HashMap<usize, i32> = HashMap::new();
    let mut unmanaged = 0;
    for &id in pods {
        let pod = cluster.pod(id);
        let Some(owner) = &pod.owner else {
            unmanaged += 1;
            continue;
        };
        let key = (
            pod.namespace.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
        );
        let found = cache
            .entry(key)
            .or_insert_with(|| controllers.find(cluster, pod))
            .clone()?;
        scale.insert(found.0, found.1);
    }
    let sum: i64 = scale.values().map(|&s| i64::from(s)).sum();
    Ok((clamp_i32(sum), unmanaged))
}

/// `intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true)`.
/// Integer arithmetic gives upstream's float result exactly: a quotient by
/// 100 that is not an integer is at least 0.01 away from one.
fn scaled(v: IntOrPercent, total: i32) -> i64 {
    match v {
        IntOrPercent::Int(n) => i64::from(n),
        IntOrPercent::Percent(p) => {
            let x = i64::from(p) * i64::from(total);
            -((-x).div_euclid(100))
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn count_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

// ---------------------------------------------------------------------------
// Controller finders
// ---------------------------------------------------------------------------

/// The workloads of the scenario, indexed for the finders.
struct Controllers<'a> {
    by_key: HashMap<(WorkloadKind, &'a str, &'a str), usize>,
    deployments_by_ns: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Controllers<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let mut by_key = HashMap::new();
        let mut deployments_by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, w) in cluster.workloads.iter().enumerate() {
            by_key
                .entry((w.kind, w.namespace.as_str(), w.name.as_str()))
                .or_insert(i);
            if w.kind == WorkloadKind::Deployment {
                deployments_by_ns.entry(&w.namespace).or_default().push(i);
            }
        }
        Controllers {
            by_key,
            deployments_by_ns,
        }
    }

    fn get(&self, kind: WorkloadKind, namespace: &str, name: &str) -> Option<usize> {
        self.by_key.get(&(kind, namespace, name)).copied()
    }

    /// The finders in upstream's order (ReplicationController, Deployment
    /// via ReplicaSet, ReplicaSet, StatefulSet, scale subresource) for the
    /// controller of `pod`, which has one: (workload index, scale), or the
    /// error that makes the controller fail safe.
    fn find(&self, cluster: &Cluster, pod: &Pod) -> Result<(usize, i32), String> {
        let Some(owner) = &pod.owner else {
            return Err(String::new());
        };
        let ns = pod.namespace.as_str();
        let name = owner.name.as_str();
        let scale_of = |i: usize| (i, cluster.workloads[i].replicas);
        let not_found = |why: &str| {
            format!(
                "owner {} {ns}/{name} {why}: found no controllers for pod \"{}\"",
                owner.kind, pod.name
            )
        };
        let no_scale = |resource: &str| {
            format!(
                "{resource} does not implement the scale subresource (owner {} {ns}/{name} of \
                 pod \"{}\")",
                owner.kind, pod.name
            )
        };
        match owner.kind.as_str() {
            "ReplicaSet" => match self.get(WorkloadKind::ReplicaSet, ns, name) {
                Some(rs) => {
                    let deployment = cluster.workloads[rs]
                        .owner
                        .as_ref()
                        .filter(|o| o.kind == "Deployment");
                    match deployment {
                        // getPodReplicaSet: a ReplicaSet without a Deployment.
                        None => Ok(scale_of(rs)),
                        // getPodDeployment; when that Deployment is absent,
                        // getScaleController reads the ReplicaSet's scale.
                        Some(d) => Ok(self
                            .get(WorkloadKind::Deployment, ns, &d.name)
                            .map_or(scale_of(rs), scale_of)),
                    }
                }
                // Not in the input: as ingest does, its Deployment is the
                // one whose selector matches (named like the ReplicaSet
                // minus its hash preferred), if any.
                None => self
                    .orphan_deployment(cluster, pod, name)
                    .map(scale_of)
                    .ok_or_else(|| not_found("not found")),
            },
            "StatefulSet" => self
                .get(WorkloadKind::StatefulSet, ns, name)
                .map(scale_of)
                .ok_or_else(|| not_found("not found")),
            // Not a real pod owner, but Deployments have a scale subresource.
            "Deployment" => self
                .get(WorkloadKind::Deployment, ns, name)
                .map(scale_of)
                .ok_or_else(|| not_found("not found")),
            "ReplicationController" => Err(not_found(
                "not found (podplan does not read ReplicationControllers)",
            )),
            "Job" => Err(no_scale("jobs.batch")),
            "DaemonSet" => Err(no_scale("daemonsets.apps")),
            "Node" => Err(no_scale("nodes")),
            "Pod" => Err(no_scale("pods")),
            _ => Err(not_found(
                "not found (podplan cannot read the scale subresource of this kind)",
            )),
        }
    }

    /// ingest's resolution of a ReplicaSet missing from the input.
    fn orphan_deployment(&self, cluster: &Cluster, pod: &Pod, rs_name: &str) -> Option<usize> {
        let candidates = self.deployments_by_ns.get(pod.namespace.as_str())?;
        orphan_replica_set_owner(&cluster.workloads, candidates, rs_name, &pod.labels)
    }
}

// ---------------------------------------------------------------------------
// Pod index
// ---------------------------------------------------------------------------

/// Existing pods by namespace, and by (namespace, key, value) for the label
/// keys that some PDB's `In` requirement names.
struct PodIndex<'a> {
    by_ns: HashMap<&'a str, Vec<u32>>,
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<u32>>,
}

impl<'a> PodIndex<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let keys: HashSet<&str> = cluster
            .pdbs
            .iter()
            .filter(|p| !p.selector.matches_nothing)
            .flat_map(|p| &p.selector.requirements)
            .filter(|r| r.operator == Operator::In)
            .map(|r| r.key.as_str())
            .collect();
        let namespaces: HashSet<&str> = cluster.pdbs.iter().map(|p| p.namespace.as_str()).collect();
        let mut by_ns: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut by_label: HashMap<(&str, &str, &str), Vec<u32>> = HashMap::new();
        for (i, pod) in cluster.pods.iter().enumerate() {
            let ns = pod.namespace.as_str();
            if !exists(pod) || !namespaces.contains(ns) {
                continue;
            }
            by_ns.entry(ns).or_default().push(i as u32);
            if keys.len() <= pod.labels.len() {
                for &k in &keys {
                    if let Some((k, v)) = pod.labels.get_key_value(k) {
                        by_label.entry((ns, k, v)).or_default().push(i as u32);
                    }
                }
            } else {
                for (k, v) in &pod.labels {
                    if keys.contains(k.as_str()) {
                        by_label.entry((ns, k, v)).or_default().push(i as u32);
                    }
                }
            }
        }
        PodIndex { by_ns, by_label }
    }

    /// The existing pods `pdb` selects, in input order.
    fn select(&self, cluster: &Cluster, pdb: &PodDisruptionBudget) -> Vec<PodId> {
        if pdb.selector.matches_nothing {
            return Vec::new();
        }
        let ns = pdb.namespace.as_str();
        let Some(all) = self.by_ns.get(ns) else {
            return Vec::new();
        };
        // The `In` requirement with the fewest candidates narrows the scan.
        let empty: &[u32] = &[];
        let mut best: Option<(usize, Vec<&[u32]>)> = None;
        for r in &pdb.selector.requirements {
            if r.operator != Operator::In {
                continue;
            }
            let lists: Vec<&[u32]> = r
                .values
                .iter()
                .map(|v| {
                    self.by_label
                        .get(&(ns, r.key.as_str(), v.as_str()))
                        .map_or(empty, Vec::as_slice)
                })
                .collect();
            let size = lists.iter().map(|l| l.len()).sum();
            if best.as_ref().is_none_or(|(s, _)| size < *s) {
                best = Some((size, lists));
            }
        }
        let candidates: Vec<u32> = match best {
            None => all.clone(),
            Some((_, lists)) if lists.len() == 1 => lists[0].to_vec(),
            Some((_, lists)) => {
                let mut merged: Vec<u32> = lists.concat();
                merged.sort_unstable();
                merged.dedup();
                merged
            }
        };
        candidates
            .into_iter()
            .filter(|&i| pdb.selector.matches(&cluster.pods[i as usize].labels))
            .map(PodId)
            .collect()
    }
}
