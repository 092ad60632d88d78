//! Wire → model, validated once. Objects are converted as they are read
//! (so a 150,000-pod dump is never held twice); what depends on other
//! objects — priorities, the node a pod is bound to, a node's pool,
//! workload replicas still to create — is resolved in [`Builder::finish`],
//! after every input has been read.

mod field;
mod pod_spec;
mod replicas;

use super::chunked::Chunked;
use super::filter::{Filter, ObjectKey, Verdict};
use super::wire::{self, IntOrStr, ObjectMeta, PodSpecW};
use crate::error::{Error, Result};
use crate::model::{
    Cluster, DaemonSet, IntOrPercent, LabelSelector, Labels, Limits, Node, NodeId, NodePool,
    OwnerRef, Pod, PodDisruptionBudget, PodOrigin, PodPhase, PodSpec, PoolId, Resources, Taint,
    UnhealthyPodEvictionPolicy, Workload, WorkloadKind,
};
use field::{de, ferr, FieldErr};
use pod_spec::{convert_pod_spec, label_selector, to_resources, StagedSpec};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Label naming a node's AKS pool.
const LABEL_AGENTPOOL: &str = "kubernetes.azure.com/agentpool";
/// Label every namespace carries with its own name.
const LABEL_NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";
/// Built-in PriorityClasses every cluster has.
const BUILTIN_PRIORITY_CLASSES: [(&str, i32); 2] = [
    ("system-cluster-critical", 2_000_000_000),
    ("system-node-critical", 2_000_001_000),
];
/// How deep Lists may nest in Lists.
pub(crate) const MAX_LIST_DEPTH: usize = 8;

/// The kinds podplan reads, with the API group each belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    Pod,
    Namespace,
    Workload(WorkloadKind),
    DaemonSet,
    Pdb,
    PriorityClass,
    NodePool,
}

impl Kind {
    /// The kind named `kind`, if podplan reads it.
    fn parse(kind: &str) -> Option<Kind> {
        Some(match kind {
            "Node" => Kind::Node,
            "Pod" => Kind::Pod,
            "Namespace" => Kind::Namespace,
            "Deployment" => Kind::Workload(WorkloadKind::Deployment),
            "ReplicaSet" => Kind::Workload(WorkloadKind::ReplicaSet),
            "StatefulSet" => Kind::Workload(WorkloadKind::StatefulSet),
            "Job" => Kind::Workload(WorkloadKind::Job),
            "DaemonSet" => Kind::DaemonSet,
            "PodDisruptionBudget" => Kind::Pdb,
            "PriorityClass" => Kind::PriorityClass,
            "NodePool" => Kind::NodePool,
            _ => return None,
        })
    }

    /// Whether `group` (of `apiVersion`) is one this kind is served from.
    fn in_group(self, group: &str) -> bool {
        match self {
            Kind::Node | Kind::Pod | Kind::Namespace => group.is_empty(),
            Kind::Workload(WorkloadKind::Job) => group == "batch",
            Kind::Workload(_) | Kind::DaemonSet => group == "apps" || group == "extensions",
            Kind::Pdb => group == "policy",
            Kind::PriorityClass => group == "scheduling.k8s.io",
            Kind::NodePool => group == "podplan.dev",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub(crate) fn namespaced(self) -> bool {
        !matches!(
            self,
            Kind::Node | Kind::Namespace | Kind::PriorityClass | Kind::NodePool
        )
    }
}

/// Whether podplan reads objects of `kind_name` (`""`: no kind) and
/// `api_version`; if not, what the skip warning calls them.
pub(crate) fn classify(
    kind_name: &str,
    api_version: Option<&str>,
) -> std::result::Result<Kind, String> {
    if kind_name.is_empty() {
        return Err(NO_KIND.to_string());
    }
    let Some(kind) = Kind::parse(kind_name) else {
        return Err(kind_name.to_string());
    };
    match api_version {
        Some(v) if !kind.in_group(v.rsplit_once('/').map_or("", |(g, _)| g)) => {
            Err(format!("{kind_name} ({v})"))
        }
        _ => Ok(kind),
    }
}

/// The skip label of objects without a kind.
const NO_KIND: &str = "(none)";

/// An object deserialized into its wire struct, not yet converted.
#[derive(Debug)]
pub(crate) enum Parsed {
    Node(wire::NodeW),
    Pod(wire::PodW),
    Namespace(wire::NamespaceW),
    Workload(WorkloadKind, wire::WorkloadW),
    DaemonSet(wire::WorkloadW),
    /// The PDB and whether it is `policy/v1beta1`.
    Pdb(wire::PdbW, bool),
    PriorityClass(wire::PriorityClassW),
    /// A NodePool's metadata and its `spec` as written.
    NodePool(ObjectMeta, Value),
}

impl Parsed {
    /// An empty object of `kind`, filled field by field by the streaming
    /// reader.
    pub(crate) fn empty(kind: Kind, api_version: Option<&str>) -> Parsed {
        match kind {
            Kind::Node => Parsed::Node(Default::default()),
            Kind::Pod => Parsed::Pod(Default::default()),
            Kind::Namespace => Parsed::Namespace(Default::default()),
            Kind::Workload(k) => Parsed::Workload(k, Default::default()),
            Kind::DaemonSet => Parsed::DaemonSet(Default::default()),
            Kind::Pdb => Parsed::Pdb(Default::default(), is_v1beta1(api_version)),
            Kind::PriorityClass => Parsed::PriorityClass(Default::default()),
            Kind::NodePool => Parsed::NodePool(Default::default(), Value::Null),
        }
    }

    /// Reads the top-level field `key` from `d` (a streaming reader's
    /// value); fields podplan does not read are skipped.
    pub(crate) fn set_field<'de, D: serde::Deserializer<'de>>(
        &mut self,
        key: &str,
        d: D,
    ) -> std::result::Result<(), D::Error> {
        use serde::de::{Deserialize, IgnoredAny};
        fn set<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(
            slot: &mut T,
            d: D,
        ) -> std::result::Result<(), D::Error> {
            *slot = Option::<T>::deserialize(d)?.unwrap_or_default();
            Ok(())
        }
        match (self, key) {
            (Parsed::Node(o), "metadata") => set(&mut o.metadata, d),
            (Parsed::Node(o), "spec") => set(&mut o.spec, d),
            (Parsed::Node(o), "status") => set(&mut o.status, d),
            (Parsed::Pod(o), "metadata") => set(&mut o.metadata, d),
            (Parsed::Pod(o), "spec") => set(&mut o.spec, d),
            (Parsed::Pod(o), "status") => set(&mut o.status, d),
            (Parsed::Namespace(o), "metadata") => set(&mut o.metadata, d),
            (Parsed::Workload(_, o) | Parsed::DaemonSet(o), "metadata") => set(&mut o.metadata, d),
            (Parsed::Workload(_, o) | Parsed::DaemonSet(o), "spec") => set(&mut o.spec, d),
            (Parsed::Workload(_, o) | Parsed::DaemonSet(o), "status") => set(&mut o.status, d),
            (Parsed::Pdb(o, _), "metadata") => set(&mut o.metadata, d),
            (Parsed::Pdb(o, _), "spec") => set(&mut o.spec, d),
            (Parsed::PriorityClass(o), "metadata") => set(&mut o.metadata, d),
            (Parsed::PriorityClass(o), "value") => set(&mut o.value, d),
            (Parsed::PriorityClass(o), "globalDefault") => set(&mut o.global_default, d),
            (Parsed::NodePool(m, _), "metadata") => set(m, d),
            (Parsed::NodePool(_, spec), "spec") => {
                *spec = Value::deserialize(d)?;
                Ok(())
            }
            _ => IgnoredAny::deserialize(d).map(|_| ()),
        }
    }

    /// Records `apiVersion` where it matters (a PDB's `policy/v1beta1`).
    pub(crate) fn set_api_version(&mut self, api_version: Option<&str>) {
        if let Parsed::Pdb(_, beta) = self {
            *beta = is_v1beta1(api_version);
        }
    }

    /// The object's `metadata`.
    fn metadata(&self) -> &ObjectMeta {
        match self {
            Parsed::Node(o) => &o.metadata,
            Parsed::Pod(o) => &o.metadata,
            Parsed::Namespace(o) => &o.metadata,
            Parsed::Workload(_, o) | Parsed::DaemonSet(o) => &o.metadata,
            Parsed::Pdb(o, _) => &o.metadata,
            Parsed::PriorityClass(o) => &o.metadata,
            Parsed::NodePool(m, _) => m,
        }
    }

    /// The object's kind, as Kubernetes names it.
    fn kind_name(&self) -> &'static str {
        match self {
            Parsed::Node(_) => "Node",
            Parsed::Pod(_) => "Pod",
            Parsed::Namespace(_) => "Namespace",
            Parsed::Workload(k, _) => k.as_str(),
            Parsed::DaemonSet(_) => "DaemonSet",
            Parsed::Pdb(..) => "PodDisruptionBudget",
            Parsed::PriorityClass(_) => "PriorityClass",
            Parsed::NodePool(..) => "NodePool",
        }
    }

    /// Whether the object lives in a namespace.
    fn namespaced(&self) -> bool {
        !matches!(
            self,
            Parsed::Node(_)
                | Parsed::Namespace(_)
                | Parsed::PriorityClass(_)
                | Parsed::NodePool(..)
        )
    }
}

/// Whether a PDB is `policy/v1beta1`, whose empty selector selects nothing.
fn is_v1beta1(api_version: Option<&str>) -> bool {
    api_version == Some("policy/v1beta1")
}

/// A Pod before its spec is shared and its node resolved; `spec` indexes
/// the builder's specs.
#[derive(Debug)]
struct StagedPod {
    pod: Pod,
    spec: usize,
}

/// A workload before its spec is shared, with its template's `nodeName`.
#[derive(Debug)]
struct StagedWorkload {
    workload: Workload,
    spec: usize,
    node_name: Option<String>,
    /// The input it was read from, for the errors of its replicas.
    file: Arc<str>,
}

/// A DaemonSet before its spec is shared.
#[derive(Debug)]
struct StagedDaemonSet {
    daemon_set: DaemonSet,
    spec: usize,
}

/// Counts per kind, in order of first appearance (for warnings).
#[derive(Debug, Default)]
struct Tally(Vec<(String, usize)>);

impl Tally {
    fn add(&mut self, what: &str) {
        self.add_n(what, 1);
    }

    fn add_n(&mut self, what: &str, n: usize) {
        match self.0.iter_mut().find(|(k, _)| k == what) {
            Some((_, c)) => *c += n,
            None => self.0.push((what.to_string(), n)),
        }
    }

    /// Adds every count of `other`.
    fn absorb(&mut self, other: &Tally) {
        for (what, n) in &other.0 {
            self.add_n(what, *n);
        }
    }
}

/// FxHash (rustc's hasher): the maps here are keyed by names from the
/// input, hashed once per object; SipHash's DoS resistance buys nothing
/// in a batch reader and costs a tenth of the reading time.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Inserts `item` under `key`, or replaces the earlier object of that key
/// (the later definition wins) and counts the duplicate.
fn upsert<K: std::hash::Hash + Eq, T>(
    items: &mut Vec<T>,
    index: &mut FxMap<K, usize>,
    key: K,
    item: T,
    duplicates: &mut Tally,
    kind: &str,
) {
    match index.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => {
            duplicates.add(kind);
            items[*e.get()] = item;
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(items.len());
            items.push(item);
        }
    }
}

/// A hash of a pod's controller, to find the specs of its other pods.
fn owner_key(namespace: &str, owner: &OwnerRef) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = FxHasher::default();
    (namespace, &owner.kind, &owner.name).hash(&mut h);
    h.finish()
}

/// Accumulates converted objects across inputs.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    nodes: Vec<Node>,
    node_index: FxMap<String, usize>,
    pods: Chunked<StagedPod>,
    /// Pods by a hash of their namespace and name (no copy of either);
    /// a pod whose hash an earlier pod of another name has goes to
    /// `pod_index_exact`.
    pod_index: FxMap<u64, usize>,
    pod_index_exact: FxMap<(String, String), usize>,
    specs: Vec<StagedSpec>,
    /// Hash of (namespace, owner kind, owner name) → the last spec of a pod
    /// it owns, so that the pods of one controller share one
    /// `Arc<PodSpec>` (specs are compared before sharing, so a collision
    /// only costs a comparison).
    spec_by_owner: FxMap<u64, usize>,
    workloads: Vec<StagedWorkload>,
    workload_index: FxMap<(WorkloadKind, String, String), usize>,
    daemon_sets: Vec<StagedDaemonSet>,
    daemon_set_index: FxMap<(String, String), usize>,
    pdbs: Vec<PodDisruptionBudget>,
    pdb_index: FxMap<(String, String), usize>,
    pools: Vec<NodePool>,
    pool_index: FxMap<String, usize>,
    priority_classes: BTreeMap<String, i32>,
    global_defaults: BTreeMap<String, i32>,
    namespace_labels: BTreeMap<String, Labels>,
    skipped: Tally,
    duplicates: Tally,
    /// The object being converted, described for its errors (a buffer
    /// kept from object to object).
    description: String,
    /// `podplan diff`: the base objects a change replaces or deletes,
    /// which are left out.
    filter: Option<Arc<Filter>>,
    /// The objects the filter named that were there.
    found: BTreeSet<ObjectKey>,
    /// Objects left out because one the change deletes was (object, cause).
    cascaded: Vec<(ObjectKey, ObjectKey)>,
    /// The limits the scenario is read within.
    limits: Limits,
    /// The input being read (for the errors found once all are read).
    file: Arc<str>,
    /// The input each pool was read from, by pool name.
    pool_files: FxMap<String, Arc<str>>,
}

/// `metadata.name` of an object, or `#<ordinal>`: for error messages.
fn describe(kind: &str, namespaced: bool, obj: &Map<String, Value>, ordinal: usize) -> String {
    let meta = obj.get("metadata").and_then(Value::as_object);
    let get = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match get("name") {
        Some(name) if namespaced => {
            format!("{kind} {}/{name}", get("namespace").unwrap_or("default"))
        }
        Some(name) => format!("{kind} {name}"),
        None => format!("{kind} #{ordinal}"),
    }
}

/// The same description from a deserialized object, written into `out`
/// (a buffer reused from object to object: the description is only read
/// when the object is invalid).
fn describe_parsed(out: &mut String, kind: &str, parsed: &Parsed, ordinal: usize) {
    use std::fmt::Write;
    out.clear();
    let meta = parsed.metadata();
    fn nonempty(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|s| !s.is_empty())
    }
    // Writing to a String cannot fail.
    let _ = match nonempty(&meta.name) {
        Some(name) if parsed.namespaced() => write!(
            out,
            "{kind} {}/{name}",
            nonempty(&meta.namespace).unwrap_or("default")
        ),
        Some(name) => write!(out, "{kind} {name}"),
        None => write!(out, "{kind} #{ordinal}"),
    };
}

/// `metadata.name`, which must be there (taken out of `meta`).
fn required_name(meta: &mut ObjectMeta) -> std::result::Result<String, FieldErr> {
    match meta.name.take() {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err(ferr("metadata.name", "is required")),
    }
}

/// `metadata.namespace`, `default` when absent (taken out of `meta`).
fn namespace_of(meta: &mut ObjectMeta) -> String {
    match meta.namespace.take() {
        Some(ns) if !ns.is_empty() => ns,
        _ => "default".to_string(),
    }
}

/// The `controller: true` owner (`metav1.GetControllerOf`), taken out of
/// `meta`.
fn controller_of(meta: &mut ObjectMeta) -> Option<OwnerRef> {
    meta.owner_references
        .iter_mut()
        .find(|o| o.controller == Some(true))
        .map(|o| OwnerRef {
            kind: std::mem::take(&mut o.kind),
            name: std::mem::take(&mut o.name),
        })
}

impl Builder {
    /// A builder that leaves out the objects `filter` replaces or deletes
    /// (see [`Builder::take_matches`]).
    pub(crate) fn with_filter(filter: Arc<Filter>, limits: Limits) -> Builder {
        Builder {
            filter: Some(filter),
            limits,
            ..Builder::default()
        }
    }

    /// A builder that reads within `limits`.
    pub(crate) fn with_limits(limits: Limits) -> Builder {
        Builder {
            limits,
            ..Builder::default()
        }
    }

    /// An empty builder with this one's filter and limits, for one more
    /// input.
    pub(crate) fn child(&self) -> Builder {
        Builder {
            filter: self.filter.clone(),
            limits: self.limits,
            ..Builder::default()
        }
    }

    /// Objects converted next come from `file`.
    fn set_file(&mut self, file: &str) {
        if &*self.file != file {
            self.file = Arc::from(file);
        }
    }

    /// Pods and nodes read so far.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.pods.len(), self.nodes.len())
    }

    /// The `i`-th pod read, described for errors (`Pod ns/name`).
    pub(crate) fn pod_description(&self, i: usize) -> String {
        self.pods.get(i).map_or_else(
            || format!("Pod #{}", i + 1),
            |p| format!("Pod {}/{}", p.pod.namespace, p.pod.name),
        )
    }

    /// The `i`-th node read, described for errors (`Node name`).
    pub(crate) fn node_description(&self, i: usize) -> String {
        self.nodes.get(i).map_or_else(
            || format!("Node #{}", i + 1),
            |n| format!("Node {}", n.name),
        )
    }

    /// The objects the filter named that were read, and those left out
    /// with an object it deletes.
    pub(crate) fn take_matches(&mut self) -> (BTreeSet<ObjectKey>, Vec<(ObjectKey, ObjectKey)>) {
        (
            std::mem::take(&mut self.found),
            std::mem::take(&mut self.cascaded),
        )
    }

    /// `podplan diff`: the pods bound to `nodes` (deleted by the change)
    /// become pending, as their controllers' replacements; pods without a
    /// controller, and DaemonSet and mirror pods, go with the node (they
    /// are marked Failed: they hold nothing). Returns those that go, with
    /// their node.
    pub(crate) fn release_pods_on(&mut self, nodes: &BTreeSet<String>) -> Vec<(ObjectKey, String)> {
        let mut gone = Vec::new();
        if nodes.is_empty() {
            return gone;
        }
        for staged in self.pods.iter_mut() {
            let pod = &mut staged.pod;
            let Some(node) = pod.node_name.as_ref().filter(|n| nodes.contains(*n)) else {
                continue;
            };
            if matches!(pod.phase, PodPhase::Succeeded | PodPhase::Failed) {
                continue;
            }
            let recreated = pod
                .owner
                .as_ref()
                .is_some_and(|o| o.kind != "DaemonSet" && o.kind != "Node");
            if recreated {
                pod.node_name = None;
                pod.phase = PodPhase::Pending;
                pod.ready = false;
            } else {
                let key = ObjectKey {
                    kind: "Pod".into(),
                    namespace: pod.namespace.clone(),
                    name: pod.name.clone(),
                };
                gone.push((key, node.clone()));
                pod.phase = PodPhase::Failed;
            }
        }
        gone
    }

    /// Converts one object. `kind_name` is its own or its list's;
    /// `ordinal` its 1-based position in the file (named in errors when it
    /// has no name).
    pub(crate) fn add_object(
        &mut self,
        file: &str,
        ordinal: usize,
        kind_name: &str,
        mut obj: Map<String, Value>,
    ) -> Result<()> {
        let api_version = match obj.get("apiVersion") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(Error::Field {
                    file: file.to_string(),
                    object: format!("{kind_name} #{ordinal}"),
                    field: "apiVersion".into(),
                    message: "must be a string".into(),
                })
            }
        };
        let kind = match classify(kind_name, api_version.as_deref()) {
            Ok(kind) => kind,
            Err(what) => {
                self.skip(&what);
                return Ok(());
            }
        };
        let object = describe(kind_name, kind.namespaced(), &obj, ordinal);
        self.set_file(file);
        let parsed = match kind {
            Kind::NodePool => {
                let spec = obj.remove("spec").unwrap_or(Value::Null);
                de::<wire::MetaOnlyW>(Value::Object(obj))
                    .map(|m| Parsed::NodePool(m.metadata, spec))
            }
            Kind::Node => de(Value::Object(obj)).map(Parsed::Node),
            Kind::Pod => de(Value::Object(obj)).map(Parsed::Pod),
            Kind::Namespace => de(Value::Object(obj)).map(Parsed::Namespace),
            Kind::Workload(k) => de(Value::Object(obj)).map(|w| Parsed::Workload(k, w)),
            Kind::DaemonSet => de(Value::Object(obj)).map(Parsed::DaemonSet),
            Kind::Pdb => {
                de(Value::Object(obj)).map(|p| Parsed::Pdb(p, is_v1beta1(api_version.as_deref())))
            }
            Kind::PriorityClass => de(Value::Object(obj)).map(Parsed::PriorityClass),
        };
        parsed
            .and_then(|p| self.convert(p))
            .map_err(|e| Error::Field {
                file: file.to_string(),
                object,
                field: e.field,
                message: e.message,
            })
    }

    /// Converts an object the streaming reader deserialized.
    pub(crate) fn add_parsed(
        &mut self,
        file: &str,
        ordinal: usize,
        kind_name: &str,
        parsed: Parsed,
    ) -> Result<()> {
        let mut object = std::mem::take(&mut self.description);
        describe_parsed(&mut object, kind_name, &parsed, ordinal);
        self.set_file(file);
        let converted = self.convert(parsed).map_err(|e| Error::Field {
            file: file.to_string(),
            object: object.clone(),
            field: e.field,
            message: e.message,
        });
        self.description = object;
        converted
    }

    /// Counts an object podplan does not read (`what` from [`classify`]).
    pub(crate) fn skip(&mut self, what: &str) {
        self.skipped.add(what);
    }

    /// Converts an object deserialized either way.
    fn convert(&mut self, parsed: Parsed) -> std::result::Result<(), FieldErr> {
        if let Some(filter) = &self.filter {
            let kind = parsed.kind_name();
            match filter.verdict(kind, parsed.namespaced(), parsed.metadata()) {
                Verdict::Keep => {}
                Verdict::Named(key) => {
                    self.found.insert(key);
                    return Ok(());
                }
                Verdict::Cascade(key, cause) => {
                    self.cascaded.push((key, cause));
                    return Ok(());
                }
            }
        }
        match parsed {
            Parsed::Node(n) => self.add_node(n),
            Parsed::Pod(p) => self.add_pod(p),
            Parsed::Namespace(n) => self.add_namespace(n),
            Parsed::Workload(k, w) => self.add_workload(k, w),
            Parsed::DaemonSet(w) => self.add_daemon_set(w),
            Parsed::Pdb(p, beta) => self.add_pdb(p, beta),
            Parsed::PriorityClass(p) => self.add_priority_class(p),
            Parsed::NodePool(meta, spec) => self.add_node_pool(meta, spec),
        }
    }

    fn add_node(&mut self, mut n: wire::NodeW) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut n.metadata)?;
        let mut taints = Vec::with_capacity(n.spec.taints.len());
        for (i, t) in n.spec.taints.into_iter().enumerate() {
            let effect = t
                .effect
                .ok_or_else(|| ferr(format!("spec.taints[{i}].effect"), "is required"))?;
            taints.push(Taint {
                key: t.key,
                value: t.value,
                effect: effect.0,
            });
        }
        let allocatable = match (n.status.allocatable, n.status.capacity) {
            (Some(a), _) if !a.0.is_empty() => to_resources(&a),
            (_, Some(c)) => to_resources(&c),
            _ => Resources::default(),
        };
        let node = Node {
            name,
            labels: n.metadata.labels,
            taints,
            unschedulable: n.spec.unschedulable,
            allocatable,
            pool: None,
            is_new: false,
        };
        self.insert_node(node);
        Ok(())
    }

    fn add_pod(&mut self, mut p: wire::PodW) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut p.metadata)?;
        let namespace = namespace_of(&mut p.metadata);
        let owner = controller_of(&mut p.metadata);
        let labels = p.metadata.labels;
        let node_name = p.spec.node_name.clone().filter(|s| !s.is_empty());
        // Bound pods hold what in-place resize allocated, as the scheduler's
        // NodeInfo counts them (`UseStatusResources`).
        let status = node_name.is_some().then_some(&p.status);
        let staged = convert_pod_spec(p.spec, status, &namespace, &labels, "spec")?;
        let spec = match &owner {
            Some(o) => {
                let key = owner_key(&namespace, o);
                match self.spec_by_owner.get(&key) {
                    Some(&i) if self.specs[i] == staged => i,
                    _ => {
                        let i = self.push_spec(staged);
                        self.spec_by_owner.insert(key, i);
                        i
                    }
                }
            }
            None => self.push_spec(staged),
        };
        let phase = match p.status.phase.as_str() {
            "" | "Pending" => PodPhase::Pending,
            "Running" => PodPhase::Running,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            _ => PodPhase::Unknown,
        };
        let ready = p
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        let pod = Pod {
            namespace,
            name,
            labels,
            spec: Arc::default(),
            node_name,
            node: None,
            phase,
            ready,
            terminating: p.metadata.deletion_timestamp.is_some(),
            owner,
            origin: PodOrigin::Input,
        };
        self.insert_pod(StagedPod { pod, spec });
        Ok(())
    }

    fn insert_node(&mut self, node: Node) {
        let key = node.name.clone();
        upsert(
            &mut self.nodes,
            &mut self.node_index,
            key,
            node,
            &mut self.duplicates,
            "Node",
        );
    }

    fn insert_pod(&mut self, staged: StagedPod) {
        use std::hash::{Hash, Hasher};
        let mut h = FxHasher::default();
        (&staged.pod.namespace, &staged.pod.name).hash(&mut h);
        let hash = h.finish();
        match self.pod_index.get(&hash) {
            None => {
                self.pod_index.insert(hash, self.pods.len());
                self.pods.push(staged);
            }
            Some(&i) => {
                let same = self.pods.get(i).is_some_and(|p| {
                    p.pod.namespace == staged.pod.namespace && p.pod.name == staged.pod.name
                });
                if same {
                    self.duplicates.add("Pod");
                    self.pods.set(i, staged);
                    return;
                }
                // Another pod has this hash: index it by its exact name.
                let key = (staged.pod.namespace.clone(), staged.pod.name.clone());
                match self.pod_index_exact.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        self.duplicates.add("Pod");
                        self.pods.set(*e.get(), staged);
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(self.pods.len());
                        self.pods.push(staged);
                    }
                }
            }
        }
    }

    fn insert_workload(&mut self, staged: StagedWorkload) {
        let w = &staged.workload;
        let key = (w.kind, w.namespace.clone(), w.name.clone());
        let kind = w.kind.as_str();
        upsert(
            &mut self.workloads,
            &mut self.workload_index,
            key,
            staged,
            &mut self.duplicates,
            kind,
        );
    }

    fn insert_daemon_set(&mut self, staged: StagedDaemonSet) {
        let d = &staged.daemon_set;
        let key = (d.namespace.clone(), d.name.clone());
        upsert(
            &mut self.daemon_sets,
            &mut self.daemon_set_index,
            key,
            staged,
            &mut self.duplicates,
            "DaemonSet",
        );
    }

    fn insert_pdb(&mut self, pdb: PodDisruptionBudget) {
        let key = (pdb.namespace.clone(), pdb.name.clone());
        upsert(
            &mut self.pdbs,
            &mut self.pdb_index,
            key,
            pdb,
            &mut self.duplicates,
            "PodDisruptionBudget",
        );
    }

    fn insert_pool(&mut self, pool: NodePool) {
        upsert(
            &mut self.pools,
            &mut self.pool_index,
            pool.name.clone(),
            pool,
            &mut self.duplicates,
            "NodePool",
        );
    }

    fn insert_priority_class(&mut self, name: String, value: i32, global_default: bool) {
        if global_default {
            self.global_defaults.insert(name.clone(), value);
        } else {
            self.global_defaults.remove(&name);
        }
        if self.priority_classes.insert(name, value).is_some() {
            self.duplicates.add("PriorityClass");
        }
    }

    fn insert_namespace(&mut self, name: String, labels: Labels) {
        if self.namespace_labels.insert(name, labels).is_some() {
            self.duplicates.add("Namespace");
        }
    }

    /// Adds what `other` (the objects of one later input) holds, as if its
    /// objects had been added to `self` one by one.
    pub(crate) fn merge(&mut self, mut other: Builder) {
        self.found.append(&mut other.found);
        self.cascaded.append(&mut other.cascaded);
        if self.is_empty() {
            let (found, cascaded) = self.take_matches();
            *self = other;
            self.found = found;
            self.cascaded = cascaded;
            return;
        }
        let offset = self.specs.len();
        self.specs.extend(other.specs);
        self.skipped.absorb(&other.skipped);
        self.duplicates.absorb(&other.duplicates);
        for node in other.nodes {
            self.insert_node(node);
        }
        for mut p in other.pods {
            p.spec += offset;
            // Share the spec of an earlier input's pod of the same owner.
            if let Some(o) = &p.pod.owner {
                if let Some(&j) = self.spec_by_owner.get(&owner_key(&p.pod.namespace, o)) {
                    if j < offset && self.specs[j] == self.specs[p.spec] {
                        p.spec = j;
                    }
                }
            }
            self.insert_pod(p);
        }
        for (k, i) in other.spec_by_owner {
            self.spec_by_owner.insert(k, i + offset);
        }
        for mut w in other.workloads {
            w.spec += offset;
            self.insert_workload(w);
        }
        for mut d in other.daemon_sets {
            d.spec += offset;
            self.insert_daemon_set(d);
        }
        for pdb in other.pdbs {
            self.insert_pdb(pdb);
        }
        for pool in other.pools {
            self.insert_pool(pool);
        }
        self.pool_files.extend(other.pool_files);
        for (name, value) in other.priority_classes {
            let global = other.global_defaults.contains_key(&name);
            self.insert_priority_class(name, value, global);
        }
        for (name, labels) in other.namespace_labels {
            self.insert_namespace(name, labels);
        }
    }

    fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.pods.is_empty()
            && self.specs.is_empty()
            && self.workloads.is_empty()
            && self.daemon_sets.is_empty()
            && self.pdbs.is_empty()
            && self.pools.is_empty()
            && self.priority_classes.is_empty()
            && self.namespace_labels.is_empty()
            && self.skipped.0.is_empty()
            && self.duplicates.0.is_empty()
    }

    fn push_spec(&mut self, s: StagedSpec) -> usize {
        self.specs.push(s);
        self.specs.len() - 1
    }

    /// Converts and stages a controller's pod template spec.
    fn push_template(
        &mut self,
        spec: PodSpecW,
        namespace: &str,
        labels: &Labels,
    ) -> std::result::Result<usize, FieldErr> {
        let staged = convert_pod_spec(spec, None, namespace, labels, "spec.template.spec")?;
        Ok(self.push_spec(staged))
    }

    fn add_namespace(&mut self, mut n: wire::NamespaceW) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut n.metadata)?;
        let mut labels = n.metadata.labels;
        // The API server sets this label on every namespace.
        labels
            .entry(LABEL_NAMESPACE_NAME.to_string())
            .or_insert_with(|| name.clone());
        self.insert_namespace(name, labels);
        Ok(())
    }

    fn add_workload(
        &mut self,
        kind: WorkloadKind,
        mut w: wire::WorkloadW,
    ) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut w.metadata)?;
        let namespace = namespace_of(&mut w.metadata);
        let owner = controller_of(&mut w.metadata);
        let spec = w.spec;
        let replicas = if kind == WorkloadKind::Job {
            job_active(&spec, &w.status, &self.limits)?
        } else {
            let r = spec.replicas.unwrap_or(1);
            check_replicas(r, "spec.replicas", &self.limits)?;
            r
        };
        let template_labels = spec.template.metadata.labels;
        let selector = match spec.selector {
            Some(s) => label_selector(s, "spec.selector")?,
            // A Job's selector is generated (controller-uid); ownership
            // identifies its pods. Old API versions defaulted the selector
            // to the template's labels.
            None if kind == WorkloadKind::Job => LabelSelector::everything(),
            None => LabelSelector::from_labels(&template_labels),
        };
        let node_name = spec
            .template
            .spec
            .node_name
            .clone()
            .filter(|s| !s.is_empty());
        let spec = self.push_template(spec.template.spec, &namespace, &template_labels)?;
        let workload = Workload {
            kind,
            namespace,
            name,
            replicas,
            selector,
            template_labels,
            spec: Arc::default(),
            owner,
        };
        self.insert_workload(StagedWorkload {
            workload,
            spec,
            node_name,
            file: Arc::clone(&self.file),
        });
        Ok(())
    }

    fn add_daemon_set(&mut self, mut w: wire::WorkloadW) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut w.metadata)?;
        let namespace = namespace_of(&mut w.metadata);
        let template_labels = w.spec.template.metadata.labels;
        let spec = self.push_template(w.spec.template.spec, &namespace, &template_labels)?;
        self.insert_daemon_set(StagedDaemonSet {
            daemon_set: DaemonSet {
                namespace,
                name,
                template_labels,
                spec: Arc::default(),
            },
            spec,
        });
        Ok(())
    }

    fn add_pdb(&mut self, mut p: wire::PdbW, v1beta1: bool) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut p.metadata)?;
        let namespace = namespace_of(&mut p.metadata);
        let spec = p.spec;
        let (selector, selector_empty) = match spec.selector {
            // A nil selector selects nothing in either version.
            None => (LabelSelector::nothing(), true),
            Some(s) => {
                let empty = s.match_labels.is_empty() && s.match_expressions.is_empty();
                if empty && v1beta1 {
                    // policy/v1beta1: an empty selector selects nothing.
                    (LabelSelector::nothing(), true)
                } else {
                    (label_selector(s, "spec.selector")?, empty)
                }
            }
        };
        let min_available = spec
            .min_available
            .map(|v| int_or_percent(v, "spec.minAvailable"))
            .transpose()?;
        let max_unavailable = spec
            .max_unavailable
            .map(|v| int_or_percent(v, "spec.maxUnavailable"))
            .transpose()?;
        if min_available.is_some() && max_unavailable.is_some() {
            return Err(ferr(
                "spec",
                "minAvailable and maxUnavailable cannot be both set",
            ));
        }
        let pdb = PodDisruptionBudget {
            namespace,
            name,
            selector,
            selector_empty,
            min_available,
            max_unavailable,
            unhealthy_pod_eviction_policy: spec
                .unhealthy_pod_eviction_policy
                .map_or(UnhealthyPodEvictionPolicy::IfHealthyBudget, |u| u.0),
        };
        self.insert_pdb(pdb);
        Ok(())
    }

    fn add_priority_class(
        &mut self,
        mut p: wire::PriorityClassW,
    ) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut p.metadata)?;
        self.insert_priority_class(name, p.value, p.global_default);
        Ok(())
    }

    fn add_node_pool(
        &mut self,
        mut meta: ObjectMeta,
        spec: Value,
    ) -> std::result::Result<(), FieldErr> {
        let name = required_name(&mut meta)?;
        let mut pool = super::pools::convert_node_pool(&name, &spec).map_err(|(field, msg)| {
            let field = if field.is_empty() {
                "spec".to_string()
            } else if field.starts_with('[') {
                format!("spec{field}")
            } else {
                format!("spec.{field}")
            };
            ferr(field, msg)
        })?;
        check_pool_counts(&pool, &spec, &self.limits)?;
        pool.name = name;
        self.pool_files
            .insert(pool.name.clone(), Arc::clone(&self.file));
        self.insert_pool(pool);
        Ok(())
    }

    /// Resolves what depends on other objects and returns the cluster.
    pub(crate) fn finish(self) -> Result<Cluster> {
        let Builder {
            mut nodes,
            pods: staged_pods,
            specs,
            workloads: staged_workloads,
            daemon_sets: staged_daemon_sets,
            pdbs,
            mut pools,
            priority_classes: input_classes,
            global_defaults,
            namespace_labels,
            skipped,
            duplicates,
            limits,
            pool_files,
            ..
        } = self;
        check_forced_nodes(&nodes, &pools, &pool_files, &limits)?;
        let mut warnings = tally_warnings(&skipped, &duplicates);
        warnings.extend(crate::model::prices::price_from_catalogue(&mut pools));
        let mut priority_classes: BTreeMap<String, i32> = BUILTIN_PRIORITY_CLASSES
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect();
        priority_classes.extend(input_classes);
        // Several global defaults: admission picks the lowest value.
        let global_default = global_defaults.values().copied().min();
        let specs = resolve_priorities(specs, &priority_classes, global_default, &mut warnings);
        let podless = nodes.iter().filter(|n| n.allocatable.pods <= 0).count();
        if podless > 0 {
            warnings.push(format!(
                "{podless} node(s) without pods in status.allocatable (or capacity): kube-scheduler places no pod there"
            ));
        }
        assign_pools(&mut nodes, &pools);
        let (pods, workloads) =
            resolve_pods(&nodes, &specs, staged_pods, staged_workloads, &limits)?;
        let daemon_sets = staged_daemon_sets
            .into_iter()
            .map(|s| {
                let mut d = s.daemon_set;
                d.spec = specs[s.spec].clone();
                d
            })
            .collect();
        Ok(Cluster {
            nodes,
            pods,
            pools,
            workloads,
            daemon_sets,
            pdbs,
            priority_classes,
            namespace_labels,
            warnings,
            limits,
        })
    }
}

/// The warnings for skipped objects (one per kind), then for duplicates.
fn tally_warnings(skipped: &Tally, duplicates: &Tally) -> Vec<String> {
    let mut warnings = Vec::new();
    for (kind, n) in &skipped.0 {
        let objects = if *n == 1 { "object" } else { "objects" };
        warnings.push(if kind == NO_KIND {
            format!("skipped {n} {objects} without a kind")
        } else {
            format!("skipped {n} {objects} of kind {kind}")
        });
    }
    for (kind, n) in &duplicates.0 {
        let objects = if *n == 1 { "object" } else { "objects" };
        warnings.push(format!(
            "{n} duplicate {kind} {objects} (same namespace and name): the later definition wins"
        ));
    }
    warnings
}

/// The specs with their priorities: `spec.priority` as written (set by
/// admission on Pods), else the named PriorityClass's (0, with a warning,
/// when the class is not in the input), else the global default's.
fn resolve_priorities(
    specs: Vec<StagedSpec>,
    priority_classes: &BTreeMap<String, i32>,
    global_default: Option<i32>,
    warnings: &mut Vec<String>,
) -> Vec<Arc<PodSpec>> {
    let mut missing_classes = BTreeSet::new();
    let arcs = specs
        .into_iter()
        .map(|s| {
            let mut spec = s.spec;
            spec.priority = match s.explicit_priority {
                Some(p) => p,
                None => match &spec.priority_class_name {
                    Some(class) => match priority_classes.get(class) {
                        Some(&v) => v,
                        None => {
                            missing_classes.insert(class.clone());
                            0
                        }
                    },
                    None => global_default.unwrap_or(0),
                },
            };
            Arc::new(spec)
        })
        .collect();
    for class in missing_classes {
        warnings.push(format!(
            "PriorityClass {class:?} is not in the input: its pods get priority 0"
        ));
    }
    arcs
}

/// Puts existing nodes in the pool their agentpool label names.
fn assign_pools(nodes: &mut [Node], pools: &[NodePool]) {
    for node in nodes {
        node.pool = node
            .labels
            .get(LABEL_AGENTPOOL)
            .and_then(|p| pools.iter().position(|pool| &pool.name == p))
            .map(|i| PoolId(i as u32));
    }
}

/// The pods with their specs and nodes, followed by the replicas the
/// workloads still have to create; and the workloads with their specs.
fn resolve_pods(
    nodes: &[Node],
    specs: &[Arc<PodSpec>],
    staged_pods: Chunked<StagedPod>,
    staged_workloads: Vec<StagedWorkload>,
    limits: &Limits,
) -> Result<(Vec<Pod>, Vec<Workload>)> {
    let node_ids: HashMap<&str, NodeId> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), NodeId(i as u32)))
        .collect();
    let mut pods: Vec<Pod> = staged_pods
        .into_iter()
        .map(|s| {
            let mut pod = s.pod;
            pod.spec = specs[s.spec].clone();
            pod.node = pod
                .node_name
                .as_deref()
                .and_then(|n| node_ids.get(n).copied());
            pod
        })
        .collect();
    let mut workloads: Vec<Workload> = Vec::with_capacity(staged_workloads.len());
    let mut template_node_names = Vec::with_capacity(staged_workloads.len());
    let mut files = Vec::with_capacity(staged_workloads.len());
    for s in staged_workloads {
        let mut w = s.workload;
        w.spec = specs[s.spec].clone();
        workloads.push(w);
        template_node_names.push(s.node_name);
        files.push(s.file);
    }
    let expansion = replicas::Expansion {
        workloads: &workloads,
        template_node_names: &template_node_names,
        files: &files,
        limits,
    };
    let new_pods = expansion.expand(&pods, &node_ids)?;
    if pods.is_empty() {
        // No Pod object: the replicas are all the pods (copying a million
        // of them into the empty vector took a tenth of a second).
        pods = new_pods;
    } else {
        pods.extend(new_pods);
    }
    Ok((pods, workloads))
}

/// A replica count is between 0 and `limits.max_workload_replicas`:
/// beyond it the scenario is not a cluster but a typo, and expanding it
/// would exhaust memory.
fn check_replicas(r: i32, field: &str, limits: &Limits) -> std::result::Result<(), FieldErr> {
    if r < 0 {
        return Err(ferr(
            field,
            format!("{r}: must be greater than or equal to 0"),
        ));
    }
    let max = limits.max_workload_replicas;
    if i64::from(r) > i64::from(max) {
        return Err(ferr(
            field,
            format!(
                "{r} replicas: above the limit of {max} replicas per workload ({})",
                Limits::how_to_raise("max-replicas", "maxWorkloadReplicas")
            ),
        ));
    }
    Ok(())
}

/// A pool's `maxCount` and `minCount` are within its node limit:
/// `spec.nodeLimit` when given, else `limits.max_pool_nodes` (AKS's
/// 1,000 nodes per pool).
fn check_pool_counts(
    pool: &NodePool,
    spec: &Value,
    limits: &Limits,
) -> std::result::Result<(), FieldErr> {
    let own = super::pools::node_limit(spec).map_err(|(f, m)| ferr(format!("spec.{f}"), m))?;
    let limit = own.unwrap_or(limits.max_pool_nodes);
    let how = if own.is_some() {
        "the pool's spec.nodeLimit".to_string()
    } else {
        format!(
            "AKS allows 1000; for a pool that is not an AKS one set its spec.nodeLimit, or {}",
            Limits::how_to_raise("max-pool-nodes", "maxPoolNodes")
        )
    };
    let counts = [
        ("spec.maxCount", pool.max_count),
        ("spec.minCount", Some(pool.min_count)),
    ];
    for (field, count) in counts {
        if let Some(n) = count.filter(|&n| n > limit) {
            return Err(ferr(
                field,
                format!("{n} nodes: above the limit of {limit} nodes per pool ({how})"),
            ));
        }
    }
    Ok(())
}

/// The existing nodes and those the pools need to reach their `minCount`
/// (which `place` and `simulate` create) are within `limits.max_nodes`.
fn check_forced_nodes(
    nodes: &[Node],
    pools: &[NodePool],
    pool_files: &FxMap<String, Arc<str>>,
    limits: &Limits,
) -> Result<()> {
    let mut existing: HashMap<&str, u64> = HashMap::new();
    for node in nodes {
        if let Some(pool) = node.labels.get(LABEL_AGENTPOOL) {
            *existing.entry(pool.as_str()).or_default() += 1;
        }
    }
    let mut total = nodes.len() as u64;
    for pool in pools {
        let have = existing.get(pool.name.as_str()).copied().unwrap_or(0);
        let missing = u64::from(pool.min_count).saturating_sub(have);
        total += missing;
        if missing > 0 && total > limits.max_nodes as u64 {
            return Err(Error::Field {
                file: pool_files
                    .get(&pool.name)
                    .map_or_else(String::new, |f| f.to_string()),
                object: format!("NodePool {}", pool.name),
                field: "spec.minCount".into(),
                message: format!(
                    "{} nodes to add to reach it bring the cluster to {total} nodes, above the \
                     limit of {} nodes per cluster (Kubernetes supports 5000; {})",
                    missing,
                    limits.max_nodes,
                    Limits::how_to_raise("max-nodes", "maxNodes")
                ),
            });
        }
    }
    Ok(())
}

/// The pods a Job's controller keeps running: `parallelism`, at most the
/// completions still missing, none once it has finished or while suspended.
fn job_active(
    spec: &wire::WorkloadSpecW,
    status: &wire::WorkloadStatusW,
    limits: &Limits,
) -> std::result::Result<i32, FieldErr> {
    let parallelism = spec.parallelism.unwrap_or(1);
    check_replicas(parallelism, "spec.parallelism", limits)?;
    if let Some(c) = spec.completions {
        if c < 0 {
            return Err(ferr(
                "spec.completions",
                format!("{c}: must be greater than or equal to 0"),
            ));
        }
    }
    let succeeded = status.succeeded.max(0);
    let finished = status
        .conditions
        .iter()
        .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True");
    if spec.suspend || finished {
        return Ok(0);
    }
    Ok(match spec.completions {
        Some(c) => parallelism.min(c.saturating_sub(succeeded).max(0)),
        // Without completions the Job is done once any pod succeeded.
        None if succeeded > 0 => 0,
        None => parallelism,
    })
}

/// A PDB's `minAvailable` / `maxUnavailable`: a count ≥ 0 or a
/// percentage up to 100%.
fn int_or_percent(v: IntOrStr, field: &str) -> std::result::Result<IntOrPercent, FieldErr> {
    match v {
        IntOrStr::Int(n) => {
            if n < 0 {
                return Err(ferr(
                    field,
                    format!("{n}: must be greater than or equal to 0"),
                ));
            }
            i32::try_from(n)
                .map(IntOrPercent::Int)
                .map_err(|_| ferr(field, format!("{n}: too large")))
        }
        IntOrStr::Str(s) => {
            let p = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<i32>().ok())
                .ok_or_else(|| {
                    ferr(
                        field,
                        format!("invalid value {s:?}: must be an integer or a percentage such as \"50%\""),
                    )
                })?;
            if p > 100 {
                return Err(ferr(field, format!("{s:?}: must not be greater than 100%")));
            }
            Ok(IntOrPercent::Percent(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_active_counts() {
        let spec: wire::WorkloadSpecW = de(json!({"parallelism": 5, "completions": 7})).unwrap();
        let status: wire::WorkloadStatusW = de(json!({"succeeded": 4})).unwrap();
        assert_eq!(job_active(&spec, &status, &Limits::default()).unwrap(), 3);
        let status: wire::WorkloadStatusW =
            de(json!({"conditions": [{"type": "Complete", "status": "True"}]})).unwrap();
        assert_eq!(job_active(&spec, &status, &Limits::default()).unwrap(), 0);
    }

    #[test]
    fn int_or_percent_forms() {
        assert_eq!(
            int_or_percent(IntOrStr::Str("50%".into()), "f").unwrap(),
            IntOrPercent::Percent(50)
        );
        assert_eq!(
            int_or_percent(IntOrStr::Int(2), "f").unwrap(),
            IntOrPercent::Int(2)
        );
        assert!(int_or_percent(IntOrStr::Str("2".into()), "f").is_err());
        assert!(int_or_percent(IntOrStr::Str("150%".into()), "f").is_err());
        assert!(int_or_percent(IntOrStr::Int(-1), "f").is_err());
    }
}
