//! Which pods of a node that goes may move: one table of named rules, as
//! cluster-autoscaler's `simulator/drainability/rules` and kubectl drain's
//! pod filters. `drain` and consolidation (`place --repack`) share it; they
//! differ only in their [`Policy`].
//!
//! The rules, in order (the first that decides wins; a pod no rule stops
//! moves, recreated by its controller):
//!
//! 1. [`DaemonSetOrMirror`]: DaemonSet pods (also those the snapshot
//!    synthesises) and mirror pods of static manifests (controller kind
//!    `Node`) go with their node — kubectl drain's `--ignore-daemonsets`.
//! 2. [`Terminating`]: a pod already terminating goes with its node
//!    (consolidation only; cluster-autoscaler and Karpenter skip them).
//! 3. [`Unmanaged`]: a pod without a controller would be deleted, not
//!    recreated — blocked unless `--force` (kubectl drain's `UnmanagedPod`
//!    filter; cluster-autoscaler's default).
//! 4. [`LocalStorage`]: a pod with an `emptyDir` volume would lose its
//!    data — blocked unless `--delete-emptydir-data` (cluster-autoscaler's
//!    `--skip-nodes-with-local-storage=true`).
//! 5. [`SystemPodWithoutPdb`]: a `kube-system` pod that no
//!    PodDisruptionBudget guards (consolidation only: cluster-autoscaler's
//!    `--skip-nodes-with-system-pods=true`).
//!
//! The eviction API's own refusal of a pod under two PDBs is not a
//! drainability rule: `drain` checks it with the PDB statuses.

use super::disruption::guarding_pdbs;
use crate::model::{Cluster, Pod, PodId};

/// Which optional rules apply, and the overrides a user gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Delete pods without a controller (kubectl drain `--force`).
    pub force: bool,
    /// Evict pods with emptyDir volumes (`--delete-emptydir-data`).
    pub delete_emptydir_data: bool,
    /// Terminating pods go with their node ([`Terminating`]).
    pub terminating_go_with_node: bool,
    /// kube-system pods need a PDB to move ([`SystemPodWithoutPdb`]).
    pub system_pods_need_pdb: bool,
}

impl Policy {
    /// kubectl drain's filters with its two overrides.
    pub(crate) fn drain(force: bool, delete_emptydir_data: bool) -> Self {
        Policy {
            force,
            delete_emptydir_data,
            terminating_go_with_node: false,
            system_pods_need_pdb: false,
        }
    }

    /// cluster-autoscaler's scale-down defaults (consolidation).
    pub(crate) fn scale_down() -> Self {
        Policy {
            force: false,
            delete_emptydir_data: false,
            terminating_go_with_node: true,
            system_pods_need_pdb: true,
        }
    }
}

/// The rule that keeps a pod from moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// [`Unmanaged`].
    UnmanagedPod,
    /// [`LocalStorage`].
    LocalStorage,
    /// [`SystemPodWithoutPdb`].
    SystemPodWithoutPdb,
}

impl Blocked {
    /// Why the pod may not move, in one phrase.
    pub(crate) fn why(self) -> &'static str {
        match self {
            Blocked::UnmanagedPod => "no controller: it would be deleted and not recreated",
            Blocked::LocalStorage => "uses emptyDir: its data would be lost",
            Blocked::SystemPodWithoutPdb => "kube-system pod without a PodDisruptionBudget",
        }
    }
}

/// What a pod does when its node goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drainability {
    /// Rescheduled elsewhere by its controller (or deleted, with `--force`).
    Moves,
    /// Leaves with the node and never keeps it (DaemonSet, mirror and,
    /// under [`Policy::terminating_go_with_node`], terminating pods).
    GoesWithNode,
    /// Keeps its node.
    Blocked(Blocked),
}

/// One drainability rule: `None` when it does not decide for this pod.
trait Rule {
    fn check(
        &self,
        cluster: &Cluster,
        id: PodId,
        pod: &Pod,
        policy: Policy,
    ) -> Option<Drainability>;
}

/// Rule 1 (see the module docs).
struct DaemonSetOrMirror;
/// Rule 2.
struct Terminating;
/// Rule 3.
struct Unmanaged;
/// Rule 4.
struct LocalStorage;
/// Rule 5.
struct SystemPodWithoutPdb;

fn owner_kind(pod: &Pod) -> Option<&str> {
    pod.owner.as_ref().map(|o| o.kind.as_str())
}

impl Rule for DaemonSetOrMirror {
    fn check(&self, _: &Cluster, _: PodId, pod: &Pod, _: Policy) -> Option<Drainability> {
        matches!(owner_kind(pod), Some("DaemonSet") | Some("Node"))
            .then_some(Drainability::GoesWithNode)
    }
}

impl Rule for Terminating {
    fn check(&self, _: &Cluster, _: PodId, pod: &Pod, policy: Policy) -> Option<Drainability> {
        (policy.terminating_go_with_node && pod.terminating).then_some(Drainability::GoesWithNode)
    }
}

impl Rule for Unmanaged {
    fn check(&self, _: &Cluster, _: PodId, pod: &Pod, policy: Policy) -> Option<Drainability> {
        (owner_kind(pod).is_none() && !policy.force)
            .then_some(Drainability::Blocked(Blocked::UnmanagedPod))
    }
}

impl Rule for LocalStorage {
    fn check(&self, _: &Cluster, _: PodId, pod: &Pod, policy: Policy) -> Option<Drainability> {
        (pod.spec.has_local_storage && !policy.delete_emptydir_data)
            .then_some(Drainability::Blocked(Blocked::LocalStorage))
    }
}

impl Rule for SystemPodWithoutPdb {
    fn check(
        &self,
        cluster: &Cluster,
        id: PodId,
        pod: &Pod,
        policy: Policy,
    ) -> Option<Drainability> {
        (policy.system_pods_need_pdb
            && pod.namespace == "kube-system"
            && guarding_pdbs(cluster, id).is_empty())
        .then_some(Drainability::Blocked(Blocked::SystemPodWithoutPdb))
    }
}

/// The rules, in the order they are asked.
const RULES: [&dyn Rule; 5] = [
    &DaemonSetOrMirror,
    &Terminating,
    &Unmanaged,
    &LocalStorage,
    &SystemPodWithoutPdb,
];

/// What bound pod `id` does when its node goes, under `policy`. Pods the
/// snapshot synthesised (ids past the cluster's pods) are DaemonSet pods.
pub(crate) fn drainability(cluster: &Cluster, id: PodId, policy: Policy) -> Drainability {
    let Some(pod) = cluster.pods.get(id.index()) else {
        return Drainability::GoesWithNode;
    };
    RULES
        .iter()
        .find_map(|rule| rule.check(cluster, id, pod, policy))
        .unwrap_or(Drainability::Moves)
}
