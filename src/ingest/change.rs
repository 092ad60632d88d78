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
//!   `controller` owner, or by their name `<deployment>-<hash>`). Pods
//!   bound to a deleted `Node` stay, pending: their controllers'
//!   replacements. Deleting an object the base does not have is an error
//!   naming the change file and the object, as `kubectl delete` answers
//!   `NotFound`.
//! * **Order.** Objects the change replaces or adds come after the base's
//!   (pending pods are listed in that order).

use super::convert::{classify, Builder};
use super::wire::{ObjectMeta, OwnerReference};
use super::{read_input, read_scenario, Input};
use crate::error::{Error, Result};
use crate::model::Cluster;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The annotation that turns a change object into a deletion.
pub const DELETE_ANNOTATION: &str = "podplan.dev/delete";

/// Label naming a node's AKS pool.
const LABEL_AGENTPOOL: &str = "kubernetes.azure.com/agentpool";

/// An object's identity: kind, namespace (empty for cluster-scoped
/// kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ObjectKey {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    /// The key of an object of `kind` with `meta`; `None` without a name.
    pub(crate) fn of(kind: &str, namespaced: bool, meta: &ObjectMeta) -> Option<ObjectKey> {
        let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
        Some(ObjectKey {
            kind: kind.to_string(),
            namespace: namespace(namespaced, meta.namespace.as_deref()),
            name: name.to_string(),
        })
    }

    /// `Kind ns/name` or `Kind name`, as errors name objects.
    pub(crate) fn describe(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// An object's namespace: `default` when absent, empty when cluster-scoped.
fn namespace(namespaced: bool, namespace: Option<&str>) -> String {
    match namespace.filter(|n| !n.is_empty()) {
        _ if !namespaced => String::new(),
        Some(ns) => ns.to_string(),
        None => "default".to_string(),
    }
}

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The base had no such object.
    Added,
    /// The change's object replaces the base's.
    Replaced,
    /// Deleted by the annotation, or because what it depends on was.
    Deleted,
}

/// One object the change adds, replaces or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangedObject {
    /// The object.
    pub key: ObjectKey,
    /// What happens to it.
    pub action: Action,
    /// The change file that says so.
    pub file: String,
    /// For an object deleted because another was: that object.
    pub cause: Option<ObjectKey>,
}

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

/// Which base objects the change replaces or deletes: the base is read
/// through it (see [`Builder::with_filter`]).
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// Every object the change names (replaced, added or deleted).
    named: BTreeSet<ObjectKey>,
    /// Those it deletes.
    deleted: BTreeSet<ObjectKey>,
}

/// What a base object becomes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Kept.
    Keep,
    /// Named by the change: left out (replaced or deleted).
    Named(ObjectKey),
    /// Deleted with the object of the second key.
    Cascade(ObjectKey, ObjectKey),
}

impl Filter {
    /// The verdict on a base object of `kind` with `meta`.
    pub(crate) fn verdict(&self, kind: &str, namespaced: bool, meta: &ObjectMeta) -> Verdict {
        let Some(key) = ObjectKey::of(kind, namespaced, meta) else {
            return Verdict::Keep;
        };
        if self.named.contains(&key) {
            return Verdict::Named(key);
        }
        if self.deleted.is_empty() {
            return Verdict::Keep;
        }
        let cause = match kind {
            "Node" => meta
                .labels
                .get(LABEL_AGENTPOOL)
                .and_then(|pool| self.deleted_key("NodePool", "", pool)),
            _ => meta
                .owner_references
                .iter()
                .find(|o| o.controller == Some(true))
                .and_then(|o| self.deleted_owner(&key.namespace, o)),
        };
        match cause {
            Some(cause) => Verdict::Cascade(key, cause),
            None => Verdict::Keep,
        }
    }

    /// The deleted object of this kind, namespace and name, if it is one.
    fn deleted_key(&self, kind: &str, namespace: &str, name: &str) -> Option<ObjectKey> {
        let key = ObjectKey {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        self.deleted.contains(&key).then_some(key)
    }

    /// The deleted object that `owner` (a controller reference in
    /// `namespace`) is, or the deleted Deployment of a ReplicaSet owner
    /// named `<deployment>-<hash>`.
    fn deleted_owner(&self, namespace: &str, owner: &OwnerReference) -> Option<ObjectKey> {
        self.deleted_key(&owner.kind, namespace, &owner.name)
            .or_else(|| {
                let (deployment, _) = owner.name.rsplit_once('-')?;
                (owner.kind == "ReplicaSet")
                    .then(|| self.deleted_key("Deployment", namespace, deployment))
                    .flatten()
            })
    }
}

/// What the change files hold, recorded as they are read.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    /// Objects in file order: key, file, and whether it is a deletion.
    objects: Vec<(ObjectKey, String, bool)>,
}

impl ChangeLog {
    /// Records a change object of `kind_name` (already without its list);
    /// true when it is a deletion, which the reader then skips.
    pub(crate) fn record(
        &mut self,
        file: &str,
        ordinal: usize,
        kind_name: &str,
        obj: &Map<String, Value>,
    ) -> Result<bool> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str);
        let Ok(kind) = classify(kind_name, api_version) else {
            // A kind podplan does not read: skipped with a warning.
            return Ok(false);
        };
        let meta = obj.get("metadata").and_then(Value::as_object);
        let get = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        let field_error = |field: &str, message: String| Error::Field {
            file: file.to_string(),
            object: format!("{kind_name} #{ordinal}"),
            field: field.to_string(),
            message,
        };
        let Some(name) = get("name").filter(|n| !n.is_empty()) else {
            return Err(field_error("metadata.name", "is required".into()));
        };
        let key = ObjectKey {
            kind: kind_name.to_string(),
            namespace: namespace(kind.namespaced(), get("namespace")),
            name: name.to_string(),
        };
        let annotation = meta
            .and_then(|m| m.get("annotations"))
            .and_then(Value::as_object)
            .and_then(|a| a.get(DELETE_ANNOTATION));
        let delete = match annotation {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) if s == "true" => true,
            Some(Value::String(s)) if s == "false" => false,
            Some(other) => {
                return Err(Error::Field {
                    file: file.to_string(),
                    object: key.describe(),
                    field: format!("metadata.annotations[{DELETE_ANNOTATION}]"),
                    message: format!("must be \"true\" or \"false\" (a string), found {other}"),
                })
            }
        };
        self.objects.push((key, file.to_string(), delete));
        Ok(delete)
    }

    /// The filter the base is read through.
    fn filter(&self) -> Filter {
        let mut filter = Filter::default();
        for (key, _, delete) in &self.objects {
            filter.named.insert(key.clone());
            if *delete {
                filter.deleted.insert(key.clone());
            }
        }
        filter
    }

    /// The changed objects, given the base objects the change names
    /// (`found`) and those deleted with them (`cascaded`); an error for a
    /// deletion of an object the base does not have.
    fn changes(
        self,
        found: &BTreeSet<ObjectKey>,
        cascaded: Vec<(ObjectKey, ObjectKey)>,
    ) -> Result<Vec<ChangedObject>> {
        let mut changes: Vec<ChangedObject> = Vec::with_capacity(self.objects.len());
        let mut files: BTreeMap<ObjectKey, String> = BTreeMap::new();
        for (key, file, delete) in self.objects {
            let existed = found.contains(&key);
            if delete && !existed {
                return Err(Error::Field {
                    file,
                    object: key.describe(),
                    field: format!("metadata.annotations[{DELETE_ANNOTATION}]"),
                    message: "the base scenario has no such object to delete (NotFound)".into(),
                });
            }
            let action = match (delete, existed) {
                (true, _) => Action::Deleted,
                (false, true) => Action::Replaced,
                (false, false) => Action::Added,
            };
            // A later object of the same key wins, as in the reader.
            changes.retain(|c| c.key != key);
            files.insert(key.clone(), file.clone());
            changes.push(ChangedObject {
                key,
                action,
                file,
                cause: None,
            });
        }
        let mut cascaded = cascaded;
        cascaded.sort();
        cascaded.dedup();
        for (key, cause) in cascaded {
            changes.push(ChangedObject {
                key,
                action: Action::Deleted,
                file: files.get(&cause).cloned().unwrap_or_default(),
                cause: Some(cause),
            });
        }
        Ok(changes)
    }
}

/// Reads `base` alone, and `base` with `change` applied (see the module
/// documentation).
pub(crate) fn read_change(base: &[Input], change: &[Input]) -> Result<ChangedScenario> {
    let before = read_scenario(base)?;
    let mut log = ChangeLog::default();
    let mut changed = Builder::default();
    for input in change {
        read_input(&mut changed, input, false, Some(&mut log))?;
    }
    let mut after = Builder::with_filter(Arc::new(log.filter()));
    for input in base {
        read_input(&mut after, input, true, None)?;
    }
    let (found, cascaded) = after.take_matches();
    let changes = log.changes(&found, cascaded)?;
    after.merge(changed);
    Ok(ChangedScenario {
        before,
        after: after.finish()?,
        changes,
    })
}
