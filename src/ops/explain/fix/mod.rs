//! `explain --fix`: for a pending pod that fits no existing node, the
//! smallest change of each kind that makes it schedulable
//! (`docs/reports.md#fixes`).
//!
//! * **Proven.** Every fix is an [`Edit`] of the model (the pod's spec, a
//!   node's taints or cordon, a pool's new node) that [`Prover`] applies to
//!   a copy of the snapshot before re-running kube-scheduler's whole filter
//!   phase for the pod on every node; a fix whose pod then fits nowhere is
//!   not shown. The same fix carries JSON Patch operations against the
//!   input's objects (the Pod, or the workload whose template made it, the
//!   Node, the NodePool); a test applies them with its own applier,
//!   re-reads the scenario and checks the pod fits.
//! * **Smallest.** Each rule proposes its candidates smallest first and
//!   keeps the first that fits: the closest spelling of a selector value,
//!   the fewest tolerations (each one checked to be needed), the smallest
//!   `maxSkew`, the largest requests that fit, one node to uncordon.
//! * **Ranked** by what they cost the user: a fix that needs no new node
//!   before one that does, then the added cost per hour, then the kind
//!   ([`FixKind`]'s order: the pod's spec before other objects,
//!   `RemoveTaint` last).
//! * **Rules** are one type each (cluster-autoscaler's drainability rules):
//!   [`pod_spec`] for the pod's own spec, [`nodes`] for nodes and pools.
//!
//! Not proposed: changes to other pods (their anti-affinity terms that
//! repel this pod), and kube-scheduler's preemption.

mod nodes;
mod pod_spec;
mod prover;

pub(super) use prover::{Prover, Subject};

use crate::model::{Cluster, PodId, PoolId};
use crate::report::fix::{Fix, FixKind, ObjectRef};
use prover::{Context, Edit, Rule};

/// The rules, in [`FixKind`] order.
fn rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(pod_spec::AddToleration),
        Box::new(pod_spec::NodeSelectorValue),
        Box::new(pod_spec::NodeAffinityExpression),
        Box::new(pod_spec::ReduceRequests),
        Box::new(pod_spec::RelaxTopologySpread),
        Box::new(pod_spec::RelaxPodAntiAffinity),
        Box::new(nodes::Uncordon),
        Box::new(nodes::ScalePool),
        Box::new(nodes::RaiseMaxCount),
        Box::new(nodes::RemoveTaint),
        Box::new(nodes::Preempt),
    ]
}

/// `fixes` with every change of object `from` made to `to` instead (a pod
/// of the same class written elsewhere with the same spec).
pub(super) fn retarget(fixes: &[Fix], from: &ObjectRef, to: &ObjectRef) -> Vec<Fix> {
    let mut out = fixes.to_vec();
    for change in out.iter_mut().flat_map(|f| f.changes.iter_mut()) {
        if change.target == *from {
            change.target = to.clone();
        }
    }
    out
}

/// The proven fixes for pod `id`, cheapest first (see the module docs).
pub(super) fn fixes(
    cluster: &Cluster,
    prover: &mut Prover,
    id: PodId,
    full_pools: &[PoolId],
    replicas: usize,
) -> Vec<Fix> {
    let subject = Subject::of(cluster, id);
    // Where the pod fits as it is (new pool nodes only, if anywhere): a
    // change that lands it nowhere else fixes nothing ScalePool does not.
    let as_is = prover.prove(subject.pod, &Edit::Spec((*subject.pod.spec).clone()));
    let context = Context {
        subject,
        full_pools,
        as_is: as_is.as_ref(),
        replicas,
    };
    let mut found: Vec<Fix> = rules()
        .iter()
        .flat_map(|rule| rule.fixes(&context, prover))
        .filter(|f| f.kind == FixKind::ScalePool || context.lands_elsewhere(&f.fits_on))
        .collect();
    found.sort_by(|a, b| {
        a.needs_new_node
            .cmp(&b.needs_new_node)
            .then(a.added_cost_per_hour.total_cmp(&b.added_cost_per_hour))
            .then(a.kind.cmp(&b.kind))
    });
    found
}
