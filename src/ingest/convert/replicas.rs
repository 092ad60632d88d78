//! The replicas workloads still have to create: pending pods that are in
//! no input, but that the workloads' controllers will make.

use crate::error::{Error, Result};
use crate::model::{
    orphan_replica_set_owner, Limits, NodeId, OwnerRef, Pod, Workload, WorkloadId, WorkloadKind,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The workloads whose replicas are expanded, with what each brings from
/// its input: its template's `nodeName` and its file; and the limits the
/// replicas must stay within.
pub(super) struct Expansion<'a> {
    /// The workloads, in input order.
    pub(super) workloads: &'a [Workload],
    /// Each workload's `spec.template.spec.nodeName`: its replicas are
    /// bound to that node.
    pub(super) template_node_names: &'a [Option<String>],
    /// The input each workload was read from.
    pub(super) files: &'a [Arc<str>],
    /// The limits on pods and on the bytes replicas copy.
    pub(super) limits: &'a Limits,
}

/// Bytes a replica costs beside what it copies from its template: the
/// pod's own struct and its allocations' bookkeeping.
const REPLICA_OVERHEAD: u64 = 256;

impl Expansion<'_> {
    /// The replicas still to create ([`missing_replicas`]), once the pods to create are known to stay
    /// within the limits: `pods.len()` plus the replicas to create at most
    /// `max_pods`, and what they copy (names, labels) at most
    /// `max_input_bytes`. Checked before any replica is made.
    pub(super) fn expand(
        &self,
        pods: &[Pod],
        node_ids: &HashMap<&str, NodeId>,
    ) -> Result<Vec<Pod>> {
        if self.workloads.is_empty() {
            return Ok(Vec::new());
        }
        let missing = missing_replicas(self.workloads, pods);
        self.check(pods.len(), &missing)?;
        if missing.iter().all(|&m| m == 0) {
            return Ok(Vec::new());
        }
        Ok(create_replicas(
            self.workloads,
            &missing,
            self.template_node_names,
            pods,
            node_ids,
        ))
    }

    /// The limit error of the first workload whose replicas go beyond
    /// `max_pods` or `max_input_bytes`.
    fn check(&self, pods: usize, missing: &[i64]) -> Result<()> {
        let limits = self.limits;
        let mut total = pods as u64;
        let mut bytes = 0u64;
        for (i, w) in self.workloads.iter().enumerate() {
            let m = missing[i].max(0) as u64;
            if m == 0 {
                continue;
            }
            total += m;
            bytes = bytes.saturating_add(m.saturating_mul(replica_bytes(w)));
            let message = if total > limits.max_pods as u64 {
                format!(
                    "{m} replicas to create bring the scenario to {total} pods, above the limit \
                     of {} pods (Kubernetes supports 150000; {})",
                    limits.max_pods,
                    Limits::how_to_raise("max-pods", "maxPods")
                )
            } else if bytes > limits.max_input_bytes as u64 {
                format!(
                    "{m} replicas to create, each copying {} bytes of names and labels, bring \
                     the pods workloads create to {bytes} bytes, above the limit of {} bytes \
                     ({})",
                    replica_bytes(w),
                    limits.max_input_bytes,
                    Limits::how_to_raise("max-input-bytes", "maxInputBytes")
                )
            } else {
                continue;
            };
            let field = if w.kind == WorkloadKind::Job {
                "spec.parallelism"
            } else {
                "spec.replicas"
            };
            return Err(Error::Field {
                file: self
                    .files
                    .get(i)
                    .map_or_else(String::new, |f| f.to_string()),
                object: format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name),
                field: field.into(),
                message,
            });
        }
        Ok(())
    }
}

/// What one replica of `w` copies from it (namespace, name and a number,
/// labels, owner), plus [`REPLICA_OVERHEAD`].
fn replica_bytes(w: &Workload) -> u64 {
    let labels: usize = w
        .template_labels
        .iter()
        .map(|(k, v)| k.len() + v.len() + 48)
        .sum();
    (w.namespace.len() + 2 * w.name.len() + 8 + labels) as u64 + REPLICA_OVERHEAD
}

/// Per workload, the replicas its controller still has to create: `replicas` minus the
/// Pod objects of the input the workload's controller already has.
///
/// A pod counts for a workload when it is in the workload's namespace, the
/// workload's selector matches it, it is active, and its controller is the
/// workload — for a Deployment, a ReplicaSet that the Deployment owns (or,
/// when that ReplicaSet is not in the input, any ReplicaSet; the Deployment
/// named like the ReplicaSet minus its hash is preferred). "Active" is what
/// the controllers count: not Succeeded/Failed, and, except for
/// StatefulSets (which recreate an ordinal only once its pod is gone), not
/// terminating. A ReplicaSet whose Deployment is in the input creates
/// nothing itself.
fn missing_replicas(workloads: &[Workload], pods: &[Pod]) -> Vec<i64> {
    let controllers = Controllers::new(workloads);
    let present = controllers.count_present(pods);
    workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if controllers.covered_by[i].is_some() {
                0
            } else {
                (i64::from(w.replicas) - present[i]).max(0)
            }
        })
        .collect()
}

/// Finds the workload whose controller a pod's owner is.
struct Controllers<'w> {
    workloads: &'w [Workload],
    /// (kind, namespace, name) → workload.
    index: HashMap<(WorkloadKind, &'w str, &'w str), usize>,
    /// A ReplicaSet → the Deployment of the input that controls it.
    covered_by: Vec<Option<usize>>,
    /// Namespace → its Deployments.
    deployments_by_ns: HashMap<&'w str, Vec<usize>>,
}

impl<'w> Controllers<'w> {
    fn new(workloads: &'w [Workload]) -> Self {
        let index: HashMap<(WorkloadKind, &str, &str), usize> = workloads
            .iter()
            .enumerate()
            .map(|(i, w)| ((w.kind, w.namespace.as_str(), w.name.as_str()), i))
            .collect();
        let covered_by = workloads
            .iter()
            .map(|w| {
                let o = w.owner.as_ref()?;
                (w.kind == WorkloadKind::ReplicaSet && o.kind == "Deployment")
                    .then(|| {
                        index
                            .get(&(
                                WorkloadKind::Deployment,
                                w.namespace.as_str(),
                                o.name.as_str(),
                            ))
                            .copied()
                    })
                    .flatten()
            })
            .collect();
        let mut deployments_by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            if w.kind == WorkloadKind::Deployment {
                deployments_by_ns.entry(&w.namespace).or_default().push(i);
            }
        }
        Controllers {
            workloads,
            index,
            covered_by,
            deployments_by_ns,
        }
    }

    /// How many active pods each workload's controller already has.
    fn count_present(&self, pods: &[Pod]) -> Vec<i64> {
        // ReplicaSets not in the input → the Deployment their pods count for.
        let mut orphan_rs: HashMap<(&str, &str), Option<usize>> = HashMap::new();
        let mut present = vec![0i64; self.workloads.len()];
        for pod in pods {
            let Some(owner) = &pod.owner else { continue };
            if pod.is_terminal() {
                continue;
            }
            let Some(t) = self.workload_of(pod, owner, &mut orphan_rs) else {
                continue;
            };
            let w = &self.workloads[t];
            if pod.terminating && w.kind != WorkloadKind::StatefulSet {
                continue;
            }
            if w.selector.matches(&pod.labels) {
                present[t] += 1;
            }
        }
        present
    }

    /// The workload `pod` (controlled by `owner`) counts for: the owner, or
    /// the Deployment of the input above its ReplicaSet. The choice for a
    /// ReplicaSet that is not in the input is made once (by its first pod)
    /// and kept in `orphan_rs`.
    fn workload_of<'p>(
        &self,
        pod: &'p Pod,
        owner: &'p OwnerRef,
        orphan_rs: &mut HashMap<(&'p str, &'p str), Option<usize>>,
    ) -> Option<usize> {
        let ns = pod.namespace.as_str();
        let find = |kind| self.index.get(&(kind, ns, owner.name.as_str())).copied();
        match owner.kind.as_str() {
            "ReplicaSet" => match find(WorkloadKind::ReplicaSet) {
                Some(rs) => Some(self.covered_by[rs].unwrap_or(rs)),
                None => *orphan_rs.entry((ns, &owner.name)).or_insert_with(|| {
                    orphan_replica_set_owner(
                        self.workloads,
                        self.deployments_by_ns.get(ns)?,
                        &owner.name,
                        &pod.labels,
                    )
                }),
            },
            "Deployment" => find(WorkloadKind::Deployment),
            "StatefulSet" => find(WorkloadKind::StatefulSet),
            "Job" => find(WorkloadKind::Job),
            _ => None,
        }
    }
}

/// `missing[i]` replicas of each workload `i`, named `<workload>-<k>` with
/// the first numbers `k` no pod of the namespace has.
///
/// Such a name can only be an input pod's whose name, less its last
/// `-<suffix>`, is the workload's, or one made for another workload of the
/// same namespace and name (of another kind): only those workloads look
/// their names up (hashing a million names took most of the time).
fn create_replicas(
    workloads: &[Workload],
    missing: &[i64],
    template_node_names: &[Option<String>],
    pods: &[Pod],
    node_ids: &HashMap<&str, NodeId>,
) -> Vec<Pod> {
    // The input's names are borrowed; only the names made here are owned.
    let existing: HashSet<(&str, &str)> = pods
        .iter()
        .map(|p| (p.namespace.as_str(), p.name.as_str()))
        .collect();
    let prefixes: HashSet<(&str, &str)> = pods
        .iter()
        .filter_map(|p| Some((p.namespace.as_str(), p.name.rsplit_once('-')?.0)))
        .collect();
    let mut twins: HashMap<(&str, &str), usize> = HashMap::new();
    for (w, m) in workloads.iter().zip(missing) {
        if *m > 0 {
            *twins.entry((&w.namespace, &w.name)).or_default() += 1;
        }
    }
    let mut made: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::with_capacity(missing.iter().sum::<i64>().max(0) as usize);
    for (i, w) in workloads.iter().enumerate() {
        if missing[i] <= 0 {
            continue;
        }
        let key = (w.namespace.as_str(), w.name.as_str());
        let clash_input = prefixes.contains(&key);
        let clash_made = twins.get(&key).is_some_and(|n| *n > 1);
        let node_name = template_node_names[i].clone();
        let template = Pod {
            node: node_name.as_deref().and_then(|n| node_ids.get(n).copied()),
            node_name,
            ..w.replica(WorkloadId(i as u32), String::new())
        };
        let mut k = 0u64;
        for _ in 0..missing[i] {
            let name = loop {
                let name = format!("{}-{k}", w.name);
                k += 1;
                let taken = (clash_input && existing.contains(&(key.0, name.as_str())))
                    || (clash_made && !made.insert((w.namespace.clone(), name.clone())));
                if !taken {
                    break name;
                }
            };
            out.push(Pod {
                name,
                ..template.clone()
            });
        }
    }
    out
}
