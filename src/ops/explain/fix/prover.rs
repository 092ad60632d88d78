//! What the fix rules share: the pod's object ([`Subject`]), a tentative
//! change ([`Edit`]), its proof by re-running the filters ([`Prover`]),
//! and the rule interface ([`Rule`]).

use crate::model::{Cluster, Node, NodeId, Pod, PodId, PodOrigin, PodSpec, PoolId, Taint};
use crate::parallel;
use crate::predicates::{self, PodState, Snapshot};
use crate::report::fix::{Change, Fix, FixKind, ObjectRef, PatchOp};
use std::sync::Arc;

/// The object a pod's spec is written in, and where.
pub(crate) struct Subject<'a> {
    /// The pending pod.
    pub pod: &'a Pod,
    /// The Pod object, or the workload whose template made the pod.
    pub target: ObjectRef,
    /// JSON Pointer of the pod spec in `target`.
    pub spec_path: &'static str,
}

impl<'a> Subject<'a> {
    /// The source of `pod`.
    pub fn of(cluster: &'a Cluster, id: PodId) -> Self {
        let pod = cluster.pod(id);
        match pod.origin {
            PodOrigin::Workload(w) => {
                let w = &cluster.workloads[w.0 as usize];
                Subject {
                    pod,
                    target: ObjectRef {
                        kind: w.kind.as_str().to_string(),
                        namespace: Some(w.namespace.clone()),
                        name: w.name.clone(),
                    },
                    spec_path: "/spec/template/spec",
                }
            }
            _ => Subject {
                pod,
                target: ObjectRef {
                    kind: "Pod".into(),
                    namespace: Some(pod.namespace.clone()),
                    name: pod.name.clone(),
                },
                spec_path: "/spec",
            },
        }
    }

    /// `rest` (starting with `/`) under the pod spec.
    pub fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.spec_path)
    }

    /// A change of the subject's object.
    pub fn change(&self, patch: Vec<PatchOp>) -> Change {
        Change {
            target: self.target.clone(),
            patch,
            delete: false,
        }
    }
}

/// A tentative change of the model, undone after its proof.
pub(crate) enum Edit {
    /// The pod with another spec.
    Spec(PodSpec),
    /// The node uncordoned.
    Uncordon(NodeId),
    /// The node with these taints instead of its own.
    Taints(NodeId, Vec<Taint>),
    /// A new node of a pool at its `maxCount`.
    PoolNode(Node),
}

/// Re-runs the filters on a copy of the snapshot with an edit applied.
pub(crate) struct Prover<'c> {
    snapshot: Snapshot<'c>,
}

impl<'c> Prover<'c> {
    /// A prover over `snapshot` (the cluster's nodes, and with pools their
    /// first new nodes).
    pub fn new(snapshot: Snapshot<'c>) -> Self {
        Prover { snapshot }
    }

    /// The snapshot the edits apply to.
    pub fn snapshot(&self) -> &Snapshot<'c> {
        &self.snapshot
    }

    /// Where `pod` fits once `edit` is made (the edit is then undone);
    /// None when it fits nowhere.
    pub fn prove(&mut self, pod: &Pod, edit: &Edit) -> Option<Proof> {
        let spec = || (*pod.spec).clone();
        let proof = match edit {
            Edit::Spec(changed) => self.fits_as(pod, changed.clone()),
            Edit::Uncordon(node) => {
                self.snapshot.set_unschedulable(*node, false);
                let proof = self.fits_as(pod, spec());
                self.snapshot.set_unschedulable(*node, true);
                proof
            }
            Edit::Taints(node, taints) => {
                let old = self.snapshot.set_taints(*node, taints.clone());
                let proof = self.fits_as(pod, spec());
                self.snapshot.set_taints(*node, old);
                proof
            }
            Edit::PoolNode(node) => {
                self.snapshot.add_node(node.clone());
                let proof = self.fits_as(pod, spec());
                self.snapshot.remove_last_node();
                proof
            }
        };
        (!proof.nodes.is_empty()).then_some(proof)
    }

    /// The victims kube-scheduler's preemption would pick on `node` among
    /// `candidates` (highest priority first): all removed, `pod` must fit
    /// the node; then each is put back while the pod still fits. None when
    /// the pod does not fit even with all removed. The snapshot is restored.
    pub fn victims(&mut self, pod: &Pod, node: NodeId, candidates: &[PodId]) -> Option<Vec<PodId>> {
        for &v in candidates {
            self.snapshot.unassign(v);
        }
        let copy = self.snapshot.add_pod(pod.clone());
        let fits = |snapshot: &Snapshot| {
            let state = PodState::new(snapshot, copy);
            predicates::filter(snapshot, &state, node).is_ok()
        };
        let mut victims = None;
        if fits(&self.snapshot) {
            let mut kept = Vec::new();
            for &v in candidates {
                self.snapshot.assign(v, node);
                if !fits(&self.snapshot) {
                    self.snapshot.unassign(v);
                    kept.push(v);
                }
            }
            victims = Some(kept);
        }
        for &v in candidates {
            if self.snapshot.placement(v).is_none() {
                self.snapshot.assign(v, node);
            }
        }
        victims
    }

    /// How many new nodes of the pool whose first new node is `first`
    /// (in the snapshot) take `count` pods like `pod`, placed one by one,
    /// each on the first of those nodes that passes the filters or else on
    /// a node added for it (cluster-autoscaler's binpacking estimator), at
    /// most `room` nodes; and how many pods they took. The snapshot is
    /// restored.
    pub fn nodes_for(
        &mut self,
        pod: &Pod,
        first: NodeId,
        count: usize,
        room: Option<u32>,
    ) -> (usize, usize) {
        let Some(pool) = self.snapshot.node(first).pool else {
            return (0, 0);
        };
        let template = self.snapshot.cluster().pools[pool.index()].clone();
        let mut nodes = vec![first];
        let mut placed = Vec::new();
        for _ in 0..count {
            let copy = self.snapshot.add_pod(pod.clone());
            let state = PodState::new(&self.snapshot, copy);
            let fits = |s: &Snapshot, n: NodeId| predicates::filter(s, &state, n).is_ok();
            let target = match nodes.iter().copied().find(|&n| fits(&self.snapshot, n)) {
                Some(n) => n,
                None if room.is_some_and(|r| nodes.len() >= r as usize) => break,
                None => {
                    let n = self.snapshot.add_node(template.new_node(pool, nodes.len()));
                    nodes.push(n);
                    if !fits(&self.snapshot, n) {
                        break;
                    }
                    n
                }
            };
            self.snapshot.assign(copy, target);
            placed.push((copy, target));
        }
        let used = placed.iter().map(|&(_, n)| n).max().map_or(0, |last| {
            nodes.iter().position(|&n| n == last).map_or(0, |i| i + 1)
        });
        for &(p, _) in &placed {
            self.snapshot.unassign(p);
        }
        for _ in 1..nodes.len() {
            self.snapshot.remove_last_node();
        }
        (used, placed.len())
    }

    /// Where a copy of `pod` with `spec` fits. The copy is added to the
    /// snapshot unplaced, so it counts in no other verdict.
    fn fits_as(&mut self, pod: &Pod, spec: PodSpec) -> Proof {
        let copy = Pod {
            spec: Arc::new(spec),
            ..pod.clone()
        };
        let id = self.snapshot.add_pod(copy);
        let snapshot = &self.snapshot;
        let state = PodState::new(snapshot, id);
        let verdicts = parallel::map_range(snapshot.node_count(), 256, |i| {
            predicates::filter(snapshot, &state, NodeId(i as u32)).is_ok()
        });
        let nodes: Vec<NodeId> = (0..verdicts.len())
            .filter(|&i| verdicts[i])
            .map(|i| NodeId(i as u32))
            .collect();
        let needs_new_node = nodes.iter().all(|&n| snapshot.node(n).is_new);
        let added_cost_per_hour = if needs_new_node {
            nodes
                .iter()
                .filter_map(|&n| snapshot.node(n).pool)
                .map(|p| snapshot.cluster().pools[p.index()].cost_per_hour)
                .fold(f64::INFINITY, f64::min)
        } else {
            0.0
        };
        Proof {
            fits_on: nodes
                .iter()
                .map(|&n| snapshot.node(n).name.clone())
                .collect(),
            nodes,
            needs_new_node,
            added_cost_per_hour: if added_cost_per_hour.is_finite() {
                added_cost_per_hour
            } else {
                0.0
            },
        }
    }
}

/// Where the pod fits after an edit.
pub(crate) struct Proof {
    /// The nodes, by id (valid while the edit's nodes exist).
    pub nodes: Vec<NodeId>,
    /// Their names.
    pub fits_on: Vec<String>,
    /// Every one is a new pool node.
    pub needs_new_node: bool,
    /// The cheapest of their pools' costs when every one is new, else 0.
    pub added_cost_per_hour: f64,
}

impl Proof {
    /// The fix this proof shows.
    pub fn fix(self, kind: FixKind, summary: String, changes: Vec<Change>) -> Fix {
        Fix {
            kind,
            summary,
            fits_on: self.fits_on,
            needs_new_node: self.needs_new_node,
            added_cost_per_hour: self.added_cost_per_hour,
            changes,
        }
    }
}

/// What the rules see.
pub(crate) struct Context<'a> {
    /// The pending pod and its object.
    pub subject: Subject<'a>,
    /// Pools at their `maxCount` (with `--with-pools`): their new node is
    /// not in the snapshot.
    pub full_pools: &'a [PoolId],
    /// Where the pod fits unchanged (new pool nodes only), if anywhere.
    pub as_is: Option<&'a Proof>,
    /// Pending pods like this one (its class): what `ScalePool` sizes for.
    pub replicas: usize,
}

impl Context<'_> {
    /// The proof shows the pod fitting somewhere it does not fit as it is.
    pub fn helps(&self, proof: &Proof) -> bool {
        self.lands_elsewhere(&proof.fits_on)
    }

    /// Some of `nodes` is not where the pod fits as it is.
    pub fn lands_elsewhere(&self, nodes: &[String]) -> bool {
        let as_is = self.as_is.map_or(&[][..], |p| &p.fits_on[..]);
        nodes.iter().any(|n| !as_is.contains(n))
    }
}

/// One kind of remedy.
pub(crate) trait Rule {
    /// The proven fixes of this rule for the context's pod (at most a few).
    fn fixes(&self, context: &Context, prover: &mut Prover) -> Vec<Fix>;
}
