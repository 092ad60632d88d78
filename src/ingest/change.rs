//! A scenario before and after a change (`podplan diff`): the change's
//! objects replace or add to the base's by kind, namespace and name; an
//! object annotated `podplan.dev/delete: "true"` deletes the base's.
//!
//! * **Replace / add.** A change object whose kind, namespace (`default`
//!   when absent, none for cluster-scoped kinds) and name match a base
//!   object replaces it as a whole (like `kubectl replace`, not a merge of
//!   fields); otherwise it is added. No duplicate warning is given for a
//!   replacement: it is the point of the change.
//! * **Delete.** An object annotated `podplan.dev/delete: "true"` needs only
//!   `kind`, `apiVersion` and `metadata` (its spec is not read). It deletes
//!   the base object of the same kind, namespace and name, and, as the
//!   garbage collector and AKS would, what depends on it: the nodes of a
//!   deleted `NodePool` (label `kubernetes.azure.com/agentpool`), the pods
//!   (and ReplicaSets) whose controller is a deleted workload or
//!   DaemonSet (a Deployment's ReplicaSets are recognised by their
//!   `controller` owner, or by their name `<deployment>-<hash>`). The pods
//!   bound to a deleted `Node` (or a deleted pool's node) become pending,
//!   as their controllers' replacements would be; those without a
//!   controller, DaemonSet pods and mirror pods go with the node. Deleting
//!   an object the base does not have is an error naming the change file
//!   and the object, as `kubectl delete` answers `NotFound`.
//! * **Order.** Objects the change replaces or adds come after the base's
//!   (pending pods are listed in that order).

use super::convert::Builder;
use super::filter::{ChangeLog, ObjectKey};
use super::{read_input, read_scenario_with, Input};
use crate::error::Result;
use crate::model::{Cluster, Limits};
use std::collections::BTreeSet;
use std::sync::Arc;

pub(crate) use super::filter::{Action, ChangedObject};

/// The scenario before and after the change, and what changed.
#[derive(Debug)]
pub(crate) struct ChangedScenario {
    /// The base alone.
    pub before: Cluster,
    /// The base with the change applied.
    pub after: Cluster,
    /// The change's objects in the order of the change files, then what
    /// their deletion took with it (sorted).
    pub changes: Vec<ChangedObject>,
}

/// Reads `base` alone, and `base` with `change` applied (see the module
/// documentation), both within `limits`.
pub(crate) fn read_change(
    base: &[Input],
    change: &[Input],
    limits: &Limits,
) -> Result<ChangedScenario> {
    let before = read_scenario_with(base, limits)?;
    let mut log = ChangeLog::default();
    let mut changed = Builder::with_limits(*limits);
    for input in change {
        read_input(&mut changed, input, false, Some(&mut log))?;
    }
    let mut after = Builder::with_filter(Arc::new(log.filter()), *limits);
    for input in base {
        read_input(&mut after, input, true, None)?;
    }
    let (found, mut cascaded) = after.take_matches();
    let deleted_nodes: BTreeSet<String> = log
        .deleted_keys()
        .filter(|k| found.contains(*k))
        .chain(cascaded.iter().map(|(k, _)| k))
        .filter(|k| k.kind == "Node")
        .map(|k| k.name.clone())
        .collect();
    for (pod, node) in after.release_pods_on(&deleted_nodes) {
        let node = ObjectKey {
            kind: "Node".into(),
            namespace: String::new(),
            name: node,
        };
        cascaded.push((pod, node));
    }
    let changes = log.changes(&found, cascaded)?;
    after.merge(changed);
    Ok(ChangedScenario {
        before,
        after: after.finish()?,
        changes,
    })
}
