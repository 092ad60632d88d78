//! What a change (`podplan diff`) names: the objects of its files, which
//! base objects it replaces or deletes (the [`Filter`] the base is read
//! through), and the resulting list of changed objects. The rules are in
//! `change.rs`.

use super::wire::{ObjectMeta, OwnerReference};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The annotation that turns a change object into a deletion.
pub(crate) const DELETE_ANNOTATION: &str = "podplan.dev/delete";

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
    /// `namespaced` tells whether objects of the kind live in a namespace.
    pub(crate) fn record(
        &mut self,
        file: &str,
        ordinal: usize,
        kind_name: &str,
        namespaced: bool,
        obj: &Map<String, Value>,
    ) -> Result<bool> {
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
            namespace: namespace(namespaced, get("namespace")),
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

    /// The objects the change deletes.
    pub(crate) fn deleted_keys(&self) -> impl Iterator<Item = &ObjectKey> {
        self.objects.iter().filter(|o| o.2).map(|o| &o.0)
    }

    /// The filter the base is read through.
    pub(crate) fn filter(&self) -> Filter {
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
    pub(crate) fn changes(
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
        let cascaded = cascaded;
        let parents: BTreeMap<&ObjectKey, &ObjectKey> =
            cascaded.iter().map(|(k, c)| (k, c)).collect();
        let derived: Vec<ChangedObject> = cascaded
            .iter()
            .map(|(key, cause)| ChangedObject {
                key: key.clone(),
                action: Action::Deleted,
                file: file_of(cause, &files, &parents),
                cause: Some(cause.clone()),
            })
            .collect();
        changes.extend(derived);
        Ok(changes)
    }
}

/// The change file of the deletion that a cascade started from (a pod
/// goes with its node, which went with its pool).
fn file_of<'a>(
    mut key: &'a ObjectKey,
    files: &BTreeMap<ObjectKey, String>,
    parents: &BTreeMap<&'a ObjectKey, &'a ObjectKey>,
) -> String {
    // Each step goes one cascade up; a chain is at most pool → node → pod.
    for _ in 0..parents.len() + 1 {
        if let Some(file) = files.get(key) {
            return file.clone();
        }
        match parents.get(key) {
            Some(&parent) => key = parent,
            None => break,
        }
    }
    String::new()
}
