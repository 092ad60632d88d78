//! Serde mirrors of just the Kubernetes fields podplan reads.
//!
//! Everything else in an object (`managedFields`, status junk, annotations,
//! unknown fields) is skipped without being looked at. `null` is treated as
//! absent everywhere: a `null` field takes its default, a `null` element of
//! a list or value of a map is dropped. Values that must be valid to be read
//! (quantities, operators, effects) are checked while deserializing, so that
//! `serde_path_to_error` names the offending field.
//!
//! Each struct field is the Kubernetes API field of the same name (in
//! snake case) and means what it means there; only departures from that
//! are documented.

use super::quantity::{self, Quantity};
use crate::model::{
    InclusionPolicy, Operator, TaintEffect, TolerationOperator, UnhealthyPodEvictionPolicy,
    UnsatisfiableAction,
};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A short string read without a heap allocation (up to 24 bytes inline):
/// for the values podplan only compares and drops (condition types,
/// phases, container and resource names).
pub(crate) type Word = compact_str::CompactString;

/// A string map (labels, nodeSelector) with `null` values dropped.
pub(crate) type StrMap = BTreeMap<String, String>;

/// `null` → `T::default()`.
fn nd<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list whose `null` (and `null` elements) are absent, read straight
/// into its `Vec` (no intermediate list of options).
fn nvec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Vec<T>, D2::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element::<Option<T>>()? {
                out.extend(item);
            }
            Ok(out)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
}

/// A string map whose `null` (and `null` values) are absent, read straight
/// into its map.
fn nmap<'de, D>(d: D) -> Result<StrMap, D::Error>
where
    D: Deserializer<'de>,
{
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = StrMap;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_unit<E: de::Error>(self) -> Result<StrMap, E> {
            Ok(StrMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<StrMap, E> {
            Ok(StrMap::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<StrMap, D2::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrMap, A::Error> {
            let mut out = StrMap::new();
            while let Some(key) = map.next_key::<String>()? {
                match map.next_value::<Option<String>>()? {
                    Some(value) => {
                        out.insert(key, value);
                    }
                    // A later null drops an earlier value, as the map of
                    // options did.
                    None => {
                        out.remove(&key);
                    }
                }
            }
            Ok(out)
        }
    }
    d.deserialize_option(V)
}

// ---------------------------------------------------------------------------
// Scalars checked while reading
// ---------------------------------------------------------------------------

/// A resource quantity (string or JSON number), parsed and non-negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Qty(pub Quantity);

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn parse<E: de::Error>(s: &str) -> Result<Qty, E> {
                let q = quantity::parse(s)
                    .map_err(|_| E::custom(format_args!("invalid quantity {s:?}")))?;
                if q.is_negative() {
                    return Err(E::custom(format_args!(
                        "invalid value {s:?}: must be greater than or equal to 0"
                    )));
                }
                Ok(Qty(q))
            }
        }
        impl Visitor<'_> for V {
            type Value = Qty;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity such as \"100m\" or \"1Gi\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Qty, E> {
                V::parse(s)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Qty, E> {
                V::parse(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Qty, E> {
                V::parse(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Qty, E> {
                if !v.is_finite() {
                    return Err(E::custom(format_args!("invalid quantity {v}")));
                }
                V::parse(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// A `ResourceList`: resource name → quantity, in input order, `null`
/// values dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResourceList(pub Vec<(Word, Quantity)>);

impl<'de> Deserialize<'de> for ResourceList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResourceList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of resource names to quantities")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResourceList, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Word>()? {
                    if let Some(Qty(q)) = map.next_value::<Option<Qty>>()? {
                        out.retain(|(n, _): &(Word, Quantity)| *n != key);
                        out.push((key, q));
                    }
                }
                Ok(ResourceList(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Defines a string enum read with a checked conversion.
macro_rules! checked_str {
    ($(#[$m:meta])* $name:ident($ty:ty), $what:literal, { $($s:literal => $v:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) struct $name(pub $ty);

        // Read from the borrowed text: no allocation per value.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        match s {
                            $($s => Ok($name($v)),)*
                            _ => Err(E::custom(format_args!(concat!("unknown ", $what, " {:?}"), s))),
                        }
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

checked_str!(
    /// A node selector requirement's operator.
    NodeOp(Operator), "operator", {
        "In" => Operator::In, "NotIn" => Operator::NotIn, "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist, "Gt" => Operator::Gt, "Lt" => Operator::Lt,
    }
);
checked_str!(
    /// A label selector requirement's operator (no `Gt`/`Lt`).
    SelOp(Operator), "operator", {
        "In" => Operator::In, "NotIn" => Operator::NotIn, "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
    }
);
checked_str!(
    /// A taint's effect.
    Effect(TaintEffect), "taint effect", {
        "NoSchedule" => TaintEffect::NoSchedule,
        "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
        "NoExecute" => TaintEffect::NoExecute,
    }
);
checked_str!(
    /// A toleration's effect; `""` tolerates every effect.
    TolEffect(Option<TaintEffect>), "toleration effect", {
        "" => None,
        "NoSchedule" => Some(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Some(TaintEffect::PreferNoSchedule),
        "NoExecute" => Some(TaintEffect::NoExecute),
    }
);
checked_str!(
    /// A toleration's operator; `""` is `Equal`.
    TolOp(TolerationOperator), "toleration operator", {
        "" => TolerationOperator::Equal,
        "Equal" => TolerationOperator::Equal,
        "Exists" => TolerationOperator::Exists,
    }
);
checked_str!(
    /// `whenUnsatisfiable`.
    When(UnsatisfiableAction), "whenUnsatisfiable", {
        "DoNotSchedule" => UnsatisfiableAction::DoNotSchedule,
        "ScheduleAnyway" => UnsatisfiableAction::ScheduleAnyway,
    }
);
checked_str!(
    /// `nodeAffinityPolicy` / `nodeTaintsPolicy`.
    Policy(InclusionPolicy), "policy", {
        "Honor" => InclusionPolicy::Honor,
        "Ignore" => InclusionPolicy::Ignore,
    }
);
checked_str!(
    /// `unhealthyPodEvictionPolicy`.
    Unhealthy(UnhealthyPodEvictionPolicy), "unhealthyPodEvictionPolicy", {
        "IfHealthyBudget" => UnhealthyPodEvictionPolicy::IfHealthyBudget,
        "AlwaysAllow" => UnhealthyPodEvictionPolicy::AlwaysAllow,
    }
);

/// An `IntOrString` as written: an integer or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IntOrStr {
    /// A JSON integer.
    Int(i64),
    /// A JSON string.
    Str(String),
}

impl<'de> Deserialize<'de> for IntOrStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a percentage string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrStr, E> {
                Ok(IntOrStr::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrStr, E> {
                Ok(IntOrStr::Int(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrStr, E> {
                Ok(IntOrStr::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectMeta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "nmap")]
    pub labels: StrMap,
    #[serde(default, deserialize_with = "nvec")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(default)]
    pub deletion_timestamp: Option<IgnoredAny>,
}

/// `metadata.ownerReferences[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwnerReference {
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub controller: Option<bool>,
}

/// A Node.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NodeW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: NodeSpecW,
    #[serde(default, deserialize_with = "nd")]
    pub status: NodeStatusW,
}

/// A Node's `spec`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NodeSpecW {
    #[serde(default, deserialize_with = "nvec")]
    pub taints: Vec<TaintW>,
    #[serde(default, deserialize_with = "nd")]
    pub unschedulable: bool,
}

/// A taint.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TaintW {
    #[serde(default, deserialize_with = "nd")]
    pub key: String,
    #[serde(default, deserialize_with = "nd")]
    pub value: String,
    #[serde(default)]
    pub effect: Option<Effect>,
}

/// A Node's `status`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NodeStatusW {
    #[serde(default)]
    pub allocatable: Option<ResourceList>,
    #[serde(default)]
    pub capacity: Option<ResourceList>,
}

/// A Pod.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PodW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: PodSpecW,
    #[serde(default, deserialize_with = "nd")]
    pub status: PodStatusW,
}

/// A pod spec (of a Pod or a template).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodSpecW {
    #[serde(default, deserialize_with = "nvec")]
    pub containers: Vec<ContainerW>,
    #[serde(default, deserialize_with = "nvec")]
    pub init_containers: Vec<ContainerW>,
    #[serde(default)]
    pub overhead: Option<ResourceList>,
    /// Pod-level resources (`PodLevelResources`).
    #[serde(default)]
    pub resources: Option<ResourcesW>,
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default, deserialize_with = "nmap")]
    pub node_selector: StrMap,
    #[serde(default, deserialize_with = "nd")]
    pub affinity: AffinityW,
    #[serde(default, deserialize_with = "nvec")]
    pub tolerations: Vec<TolerationW>,
    #[serde(default, deserialize_with = "nvec")]
    pub topology_spread_constraints: Vec<SpreadW>,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub priority_class_name: Option<String>,
    #[serde(default, deserialize_with = "nvec")]
    pub volumes: Vec<VolumeW>,
    #[serde(default, deserialize_with = "nd")]
    pub host_network: bool,
}

/// A container or init container.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerW {
    #[serde(default, deserialize_with = "nd")]
    pub name: Word,
    #[serde(default, deserialize_with = "nd")]
    pub resources: ResourcesW,
    #[serde(default, deserialize_with = "nvec")]
    pub ports: Vec<PortW>,
    #[serde(default)]
    pub restart_policy: Option<Word>,
}

/// `resources` (requests and limits).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResourcesW {
    #[serde(default)]
    pub requests: Option<ResourceList>,
    #[serde(default)]
    pub limits: Option<ResourceList>,
}

/// A container port.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PortW {
    #[serde(default, deserialize_with = "nd")]
    pub container_port: i32,
    #[serde(default, deserialize_with = "nd")]
    pub host_port: i32,
    #[serde(default, rename = "hostIP", deserialize_with = "nd")]
    pub host_ip: String,
    #[serde(default, deserialize_with = "nd")]
    pub protocol: String,
}

/// A volume (only whether it is an `emptyDir`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VolumeW {
    #[serde(default)]
    pub empty_dir: Option<IgnoredAny>,
}

/// `affinity`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AffinityW {
    #[serde(default)]
    pub node_affinity: Option<NodeAffinityW>,
    #[serde(default)]
    pub pod_affinity: Option<PodAffinityW>,
    #[serde(default)]
    pub pod_anti_affinity: Option<PodAffinityW>,
}

/// `affinity.nodeAffinity`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NodeAffinityW {
    #[serde(default, rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required: Option<NodeSelectorW>,
    #[serde(
        default,
        rename = "preferredDuringSchedulingIgnoredDuringExecution",
        deserialize_with = "nvec"
    )]
    pub preferred: Vec<PreferredW>,
}

/// A `NodeSelector`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorW {
    #[serde(default, deserialize_with = "nvec")]
    pub node_selector_terms: Vec<NodeSelectorTermW>,
}

/// A `NodeSelectorTerm`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorTermW {
    #[serde(default, deserialize_with = "nvec")]
    pub match_expressions: Vec<NodeReqW>,
    #[serde(default, deserialize_with = "nvec")]
    pub match_fields: Vec<NodeReqW>,
}

/// A `NodeSelectorRequirement`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NodeReqW {
    #[serde(default, deserialize_with = "nd")]
    pub key: String,
    #[serde(default)]
    pub operator: Option<NodeOp>,
    #[serde(default, deserialize_with = "nvec")]
    pub values: Vec<String>,
}

/// A `PreferredSchedulingTerm`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PreferredW {
    #[serde(default, deserialize_with = "nd")]
    pub weight: i32,
    #[serde(default, deserialize_with = "nd")]
    pub preference: NodeSelectorTermW,
}

/// `podAffinity` / `podAntiAffinity`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PodAffinityW {
    #[serde(
        default,
        rename = "requiredDuringSchedulingIgnoredDuringExecution",
        deserialize_with = "nvec"
    )]
    pub required: Vec<PodAffinityTermW>,
    #[serde(
        default,
        rename = "preferredDuringSchedulingIgnoredDuringExecution",
        deserialize_with = "nvec"
    )]
    pub preferred: Vec<WeightedPodAffinityTermW>,
}

/// A `PodAffinityTerm`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodAffinityTermW {
    #[serde(default)]
    pub label_selector: Option<LabelSelectorW>,
    #[serde(default, deserialize_with = "nvec")]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub namespace_selector: Option<LabelSelectorW>,
    #[serde(default, deserialize_with = "nd")]
    pub topology_key: String,
    #[serde(default, deserialize_with = "nvec")]
    pub match_label_keys: Vec<String>,
    #[serde(default, deserialize_with = "nvec")]
    pub mismatch_label_keys: Vec<String>,
}

/// A `WeightedPodAffinityTerm`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WeightedPodAffinityTermW {
    #[serde(default, deserialize_with = "nd")]
    pub weight: i32,
    #[serde(default, deserialize_with = "nd")]
    pub pod_affinity_term: PodAffinityTermW,
}

/// A `metav1.LabelSelector`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelectorW {
    #[serde(default, deserialize_with = "nmap")]
    pub match_labels: StrMap,
    #[serde(default, deserialize_with = "nvec")]
    pub match_expressions: Vec<LabelReqW>,
}

/// A `LabelSelectorRequirement`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LabelReqW {
    #[serde(default, deserialize_with = "nd")]
    pub key: String,
    #[serde(default)]
    pub operator: Option<SelOp>,
    #[serde(default, deserialize_with = "nvec")]
    pub values: Vec<String>,
}

/// A toleration.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TolerationW {
    #[serde(default, deserialize_with = "nd")]
    pub key: String,
    #[serde(default)]
    pub operator: Option<TolOp>,
    #[serde(default, deserialize_with = "nd")]
    pub value: String,
    #[serde(default)]
    pub effect: Option<TolEffect>,
}

/// A `TopologySpreadConstraint`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpreadW {
    #[serde(default)]
    pub max_skew: Option<i32>,
    #[serde(default, deserialize_with = "nd")]
    pub topology_key: String,
    #[serde(default)]
    pub when_unsatisfiable: Option<When>,
    #[serde(default)]
    pub label_selector: Option<LabelSelectorW>,
    #[serde(default)]
    pub min_domains: Option<i32>,
    #[serde(default)]
    pub node_affinity_policy: Option<Policy>,
    #[serde(default)]
    pub node_taints_policy: Option<Policy>,
    #[serde(default, deserialize_with = "nvec")]
    pub match_label_keys: Vec<String>,
}

/// A Pod's `status`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodStatusW {
    #[serde(default, deserialize_with = "nd")]
    pub phase: Word,
    #[serde(default, deserialize_with = "nvec")]
    pub conditions: Vec<ConditionW>,
    #[serde(default, deserialize_with = "nvec")]
    pub container_statuses: Vec<ContainerStatusW>,
    #[serde(default, deserialize_with = "nvec")]
    pub init_container_statuses: Vec<ContainerStatusW>,
}

/// A status condition.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConditionW {
    #[serde(default, rename = "type", deserialize_with = "nd")]
    pub type_: Word,
    #[serde(default, deserialize_with = "nd")]
    pub status: Word,
    #[serde(default, deserialize_with = "nd")]
    pub reason: Word,
}

/// A container status (only the resources in-place resize reports).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerStatusW {
    #[serde(default, deserialize_with = "nd")]
    pub name: Word,
    #[serde(default)]
    pub allocated_resources: Option<ResourceList>,
    #[serde(default)]
    pub resources: Option<ResourcesW>,
}

/// A pod template.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TemplateW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: PodSpecW,
}

/// A Deployment, ReplicaSet, StatefulSet, Job or DaemonSet.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WorkloadW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: WorkloadSpecW,
    #[serde(default, deserialize_with = "nd")]
    pub status: WorkloadStatusW,
}

/// The `spec` of a workload.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WorkloadSpecW {
    #[serde(default)]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub parallelism: Option<i32>,
    #[serde(default)]
    pub completions: Option<i32>,
    #[serde(default, deserialize_with = "nd")]
    pub suspend: bool,
    #[serde(default)]
    pub selector: Option<LabelSelectorW>,
    #[serde(default, deserialize_with = "nd")]
    pub template: TemplateW,
}

/// The `status` of a workload (Jobs: succeeded pods and conditions).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WorkloadStatusW {
    #[serde(default, deserialize_with = "nd")]
    pub succeeded: i32,
    #[serde(default, deserialize_with = "nvec")]
    pub conditions: Vec<ConditionW>,
}

/// A PodDisruptionBudget.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PdbW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: PdbSpecW,
}

/// A PodDisruptionBudget's `spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PdbSpecW {
    #[serde(default)]
    pub selector: Option<LabelSelectorW>,
    #[serde(default)]
    pub min_available: Option<IntOrStr>,
    #[serde(default)]
    pub max_unavailable: Option<IntOrStr>,
    #[serde(default)]
    pub unhealthy_pod_eviction_policy: Option<Unhealthy>,
}

/// A PriorityClass.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PriorityClassW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub value: i32,
    #[serde(default, deserialize_with = "nd")]
    pub global_default: bool,
}

/// A Namespace (labels only).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NamespaceW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
}

/// Just the metadata of an object (NodePool).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MetaOnlyW {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
}
