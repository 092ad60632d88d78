//! The `NodePool` kind (podplan.dev/v1alpha1) with AKS conventions: the
//! built-in VM size [`CATALOGUE`], the AKS node resource reservations
//! ([`aks_allocatable`]) and the labels and taints AKS puts on a pool's nodes.
//!
//! Reservation rules follow
//! <https://learn.microsoft.com/azure/aks/node-resource-reservations>
//! (AKS 1.29 and later):
//!
//! * CPU, kube-reserved by core count: 1 → 60m, 2 → 100m, 4 → 140m, 8 → 180m,
//!   16 → 260m, 32 → 420m, 64 → 740m. The table is reproduced exactly by
//!   60m for the first core, 40m for the second, 20m for each of cores 3–4
//!   and 10m for every core above 4 ([`aks_reserved_cpu`]), which also
//!   gives the counts between (48 cores → 580m, 96 → 1060m).
//! * Memory: kube-reserved = min(20 MiB × maxPods + 50 MiB, 25 % of memory),
//!   plus the kubelet's `memory.available<100Mi` hard eviction threshold;
//!   Windows nodes reserve 2 GiB more ([`aks_reserved_memory`]).
//! * Ephemeral storage: the kubelet's `nodefs.available<10%` hard eviction
//!   threshold, computed as the kubelet does (a `float32` percentage).
//! * Pods, GPUs and other scalar resources: not reserved.

use super::quantity;
use crate::model::{
    Labels, NodePool, PoolPriority, PriceOrigin, Resources, Taint, TaintEffect, CPU, MEMORY,
};
use serde_json::{Map, Value};

/// One VM size of the built-in catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VmSize {
    /// The Azure name, e.g. `Standard_D4s_v5` (the node's
    /// `node.kubernetes.io/instance-type`).
    pub name: &'static str,
    /// Virtual CPUs (the node's `cpu` capacity).
    pub vcpus: u32,
    /// Memory in MiB (the VM size's nominal GiB × 1024).
    pub memory_mib: u64,
    /// NVIDIA GPUs (the node's `nvidia.com/gpu` capacity); 0 for none.
    pub gpus: u32,
    /// GPU model (`A100`, `T4`, `H100`), `None` without GPUs.
    pub gpu_model: Option<&'static str>,
}

/// The extended resource name NVIDIA's device plugin advertises.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
/// Label naming a node's AKS pool; an existing node belongs to the pool of
/// that name.
pub const LABEL_AGENTPOOL: &str = "kubernetes.azure.com/agentpool";
/// Label carrying the pool mode (`system` or `user`).
pub const LABEL_MODE: &str = "kubernetes.azure.com/mode";
/// Label (and taint key) of Spot pools, value `spot`.
pub const LABEL_SCALESET_PRIORITY: &str = "kubernetes.azure.com/scalesetpriority";
/// The well-known OS label (`linux` or `windows`).
pub const LABEL_OS: &str = "kubernetes.io/os";
/// Label with the node's CPU architecture.
pub const LABEL_ARCH: &str = "kubernetes.io/arch";
/// The well-known instance type label (the VM size).
pub const LABEL_INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
/// `maxPods` when the NodePool does not say (the AKS default for Azure CNI
/// Overlay and kubenet).
pub const DEFAULT_MAX_PODS: u32 = 110;

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;
/// The kubelet's `memory.available<100Mi` hard eviction threshold on AKS.
const EVICTION_MEMORY: i64 = 100 * MIB;
/// What AKS reserves on Windows nodes on top of the computed memory.
const WINDOWS_EXTRA_MEMORY: i64 = 2 * GIB;
/// The kubelet's `nodefs.available<10%` hard eviction threshold.
const EVICTION_NODEFS_PERCENT: f32 = 0.1;

const fn vm(name: &'static str, vcpus: u32, memory_gib: u64) -> VmSize {
    VmSize {
        name,
        vcpus,
        memory_mib: memory_gib * 1024,
        gpus: 0,
        gpu_model: None,
    }
}

const fn gpu_vm(
    name: &'static str,
    vcpus: u32,
    memory_gib: u64,
    gpus: u32,
    model: &'static str,
) -> VmSize {
    VmSize {
        name,
        vcpus,
        memory_mib: memory_gib * 1024,
        gpus,
        gpu_model: Some(model),
    }
}

/// The built-in VM size catalogue (vCPUs, memory and GPUs as Azure's size
/// pages list them). A pool whose `vmSize` is not here must give
/// `capacity.cpu` and `capacity.memory`.
pub static CATALOGUE: &[VmSize] = &[
    // General purpose, Dsv5: 4 GiB per vCPU.
    vm("Standard_D2s_v5", 2, 8),
    vm("Standard_D4s_v5", 4, 16),
    vm("Standard_D8s_v5", 8, 32),
    vm("Standard_D16s_v5", 16, 64),
    vm("Standard_D32s_v5", 32, 128),
    vm("Standard_D48s_v5", 48, 192),
    vm("Standard_D64s_v5", 64, 256),
    vm("Standard_D96s_v5", 96, 384),
    // General purpose, Dsv3: 4 GiB per vCPU.
    vm("Standard_D2s_v3", 2, 8),
    vm("Standard_D4s_v3", 4, 16),
    vm("Standard_D8s_v3", 8, 32),
    vm("Standard_D16s_v3", 16, 64),
    vm("Standard_D32s_v3", 32, 128),
    vm("Standard_D48s_v3", 48, 192),
    vm("Standard_D64s_v3", 64, 256),
    // General purpose, DSv2 (the old AKS default): 3.5 GiB per vCPU.
    vm("Standard_DS2_v2", 2, 7),
    vm("Standard_DS3_v2", 4, 14),
    vm("Standard_DS4_v2", 8, 28),
    vm("Standard_DS5_v2", 16, 56),
    // Memory optimised, Esv5: 8 GiB per vCPU (E96s_v5: 672 GiB).
    vm("Standard_E2s_v5", 2, 16),
    vm("Standard_E4s_v5", 4, 32),
    vm("Standard_E8s_v5", 8, 64),
    vm("Standard_E16s_v5", 16, 128),
    vm("Standard_E20s_v5", 20, 160),
    vm("Standard_E32s_v5", 32, 256),
    vm("Standard_E48s_v5", 48, 384),
    vm("Standard_E64s_v5", 64, 512),
    vm("Standard_E96s_v5", 96, 672),
    // Compute optimised, Fsv2: 2 GiB per vCPU.
    vm("Standard_F2s_v2", 2, 4),
    vm("Standard_F4s_v2", 4, 8),
    vm("Standard_F8s_v2", 8, 16),
    vm("Standard_F16s_v2", 16, 32),
    vm("Standard_F32s_v2", 32, 64),
    vm("Standard_F48s_v2", 48, 96),
    vm("Standard_F64s_v2", 64, 128),
    vm("Standard_F72s_v2", 72, 144),
    // GPU, NC A100 v4.
    gpu_vm("Standard_NC24ads_A100_v4", 24, 220, 1, "A100"),
    gpu_vm("Standard_NC48ads_A100_v4", 48, 440, 2, "A100"),
    gpu_vm("Standard_NC96ads_A100_v4", 96, 880, 4, "A100"),
    // GPU, NCasT4_v3.
    gpu_vm("Standard_NC4as_T4_v3", 4, 28, 1, "T4"),
    gpu_vm("Standard_NC8as_T4_v3", 8, 56, 1, "T4"),
    gpu_vm("Standard_NC16as_T4_v3", 16, 110, 1, "T4"),
    gpu_vm("Standard_NC64as_T4_v3", 64, 440, 4, "T4"),
    // GPU, ND H100 v5.
    gpu_vm("Standard_ND96isr_H100_v5", 96, 1900, 8, "H100"),
];

/// The catalogue entry for a VM size name, compared case-insensitively
/// (Azure treats size names so).
pub fn vm_size(name: &str) -> Option<&'static VmSize> {
    CATALOGUE.iter().find(|v| v.name.eq_ignore_ascii_case(name))
}

/// The node capacity a VM size gives: `cpu` = vCPUs, `memory` = its MiB,
/// `nvidia.com/gpu` = its GPUs (when any) and `pods` = `max_pods`.
pub fn vm_capacity(vm: &VmSize, max_pods: u32) -> Resources {
    let mut r = Resources {
        milli_cpu: i64::from(vm.vcpus) * 1000,
        memory: i64::try_from(vm.memory_mib).map_or(i64::MAX, |m| m.saturating_mul(MIB)),
        pods: i64::from(max_pods),
        ..Resources::default()
    };
    if vm.gpus > 0 {
        r.set(GPU_RESOURCE, i64::from(vm.gpus));
    }
    r
}

/// AKS's kube-reserved CPU in millicores for a node of `milli_cpu`
/// millicores: 60m for the first core, 40m for the second, 20m for each of
/// the third and fourth, 10m for every further core (this reproduces AKS's
/// table 1/2/4/8/16/32/64 cores → 60/100/140/180/260/420/740m). Fractional
/// cores are interpolated linearly and rounded up.
pub fn aks_reserved_cpu(milli_cpu: i64) -> i64 {
    let m = i128::from(milli_cpu.max(0));
    // (upper bound of the band in millicores, millicores reserved per core)
    const BANDS: [(i128, i128); 4] = [(1000, 60), (2000, 40), (4000, 20), (i128::MAX, 10)];
    let mut lower = 0i128;
    let mut reserved_thousandths = 0i128;
    for (upper, per_core) in BANDS {
        if m <= lower {
            break;
        }
        reserved_thousandths += (m.min(upper) - lower) * per_core;
        lower = upper;
    }
    let reserved = (reserved_thousandths + 999) / 1000;
    i64::try_from(reserved).unwrap_or(i64::MAX)
}

/// AKS's reserved memory in bytes (AKS 1.29+) for a node of `memory` bytes
/// running at most `max_pods` pods: kube-reserved = min(20 MiB × max_pods +
/// 50 MiB, 25 % of `memory`), plus the 100 MiB hard eviction threshold,
/// plus 2 GiB on Windows.
pub fn aks_reserved_memory(memory: i64, max_pods: i64, windows: bool) -> i64 {
    let by_pods = (20 * MIB)
        .saturating_mul(max_pods.max(0))
        .saturating_add(50 * MIB);
    let quarter = memory.max(0) / 4;
    let mut reserved = by_pods.min(quarter).saturating_add(EVICTION_MEMORY);
    if windows {
        reserved = reserved.saturating_add(WINDOWS_EXTRA_MEMORY);
    }
    reserved
}

/// The kubelet's `nodefs.available<10%` reservation of `capacity` bytes,
/// computed as `GetThresholdQuantity` does (`float64(capacity) *
/// float64(float32(0.1))`, truncated).
fn nodefs_eviction(capacity: i64) -> i64 {
    (capacity.max(0) as f64 * f64::from(EVICTION_NODEFS_PERCENT)) as i64
}

/// The allocatable resources AKS gives a node of this capacity: CPU and
/// memory minus [`aks_reserved_cpu`] and [`aks_reserved_memory`] (with
/// `capacity.pods` as maxPods), ephemeral storage minus the kubelet's 10 %
/// eviction threshold, everything else (pods, GPUs, other scalars) as is.
/// Never negative.
pub fn aks_allocatable(capacity: &Resources, windows: bool) -> Resources {
    let mut a = capacity.clone();
    a.milli_cpu = capacity
        .milli_cpu
        .saturating_sub(aks_reserved_cpu(capacity.milli_cpu))
        .max(0);
    a.memory = capacity
        .memory
        .saturating_sub(aks_reserved_memory(capacity.memory, capacity.pods, windows))
        .max(0);
    a.ephemeral_storage = capacity
        .ephemeral_storage
        .saturating_sub(nodefs_eviction(capacity.ephemeral_storage))
        .max(0);
    a
}

/// A conversion error: field path below `spec`, message.
type FieldError = (String, String);

fn field_err(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    (path.into(), message.into())
}

/// A field's value; `null` counts as absent.
fn get<'a>(spec: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    spec.get(key).filter(|v| !v.is_null())
}

/// A string, or a number or boolean spelled as one (YAML reads `zone: 1` as
/// a number).
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get_str<'a>(spec: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, FieldError> {
    match get(spec, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_err(key, "must be a string")),
    }
}

/// One of `options` (matched case-insensitively, returned canonical), or
/// `default` when absent.
fn get_enum(
    spec: &Map<String, Value>,
    key: &str,
    options: &[&'static str],
    default: &'static str,
) -> Result<&'static str, FieldError> {
    match get_str(spec, key)? {
        None => Ok(default),
        Some(s) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(s))
            .copied()
            .ok_or_else(|| {
                field_err(
                    key,
                    format!("unsupported value {s:?}: must be {}", options.join(" or ")),
                )
            }),
    }
}

/// A non-negative whole number that fits a `u32`.
fn get_count(spec: &Map<String, Value>, key: &str) -> Result<Option<u32>, FieldError> {
    let Some(v) = get(spec, key) else {
        return Ok(None);
    };
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e18)
                    .map(|f| f as i128)
            }),
        _ => None,
    }
    .ok_or_else(|| field_err(key, "must be a whole number"))?;
    if n < 0 {
        return Err(field_err(key, format!("must not be negative, got {n}")));
    }
    u32::try_from(n)
        .map(Some)
        .map_err(|_| field_err(key, format!("{n} is too large")))
}

/// A map of resource name → quantity (`cpu` in millicores, the rest in
/// units), in the map's order.
fn parse_resources(v: &Value, path: &str) -> Result<Vec<(String, i64)>, FieldError> {
    let Value::Object(map) = v else {
        return Err(field_err(path, "must be a map of resource quantities"));
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, q) in map {
        if q.is_null() {
            continue;
        }
        let at = format!("{path}.{name}");
        let text = match q {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(field_err(at, "must be a quantity")),
        };
        let parsed = quantity::parse(&text).map_err(|e| field_err(&at, e))?;
        if parsed.is_negative() {
            return Err(field_err(at, format!("must not be negative, got {text:?}")));
        }
        let value = if name == CPU {
            parsed.milli_value()
        } else {
            parsed.value()
        };
        out.push((name.clone(), value));
    }
    Ok(out)
}

fn parse_labels(v: &Value) -> Result<Labels, FieldError> {
    let Value::Object(map) = v else {
        return Err(field_err("labels", "must be a map of strings"));
    };
    let mut labels = Labels::new();
    for (k, v) in map {
        let value =
            scalar_string(v).ok_or_else(|| field_err(format!("labels.{k}"), "must be a string"))?;
        labels.insert(k.clone(), value);
    }
    Ok(labels)
}

fn parse_taints(v: &Value) -> Result<Vec<Taint>, FieldError> {
    let Value::Array(items) = v else {
        return Err(field_err(
            "taints",
            "must be a list of {key, value, effect}",
        ));
    };
    let mut taints = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("taints[{i}].{f}");
        let Value::Object(t) = item else {
            return Err(field_err(format!("taints[{i}]"), "must be an object"));
        };
        let key = match get(t, "key") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::String(_)) | None => return Err(field_err(at("key"), "is required")),
            Some(_) => return Err(field_err(at("key"), "must be a string")),
        };
        let value = match get(t, "value") {
            None => String::new(),
            Some(v) => {
                scalar_string(v).ok_or_else(|| field_err(at("value"), "must be a string"))?
            }
        };
        let effect = match get(t, "effect") {
            None => return Err(field_err(at("effect"), "is required")),
            Some(Value::String(s)) => match s.as_str() {
                "NoSchedule" => TaintEffect::NoSchedule,
                "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                "NoExecute" => TaintEffect::NoExecute,
                _ => {
                    return Err(field_err(
                        at("effect"),
                        format!(
                            "unsupported value {s:?}: must be NoSchedule, PreferNoSchedule or NoExecute"
                        ),
                    ))
                }
            },
            Some(_) => return Err(field_err(at("effect"), "must be a string")),
        };
        taints.push(Taint { key, value, effect });
    }
    Ok(taints)
}

fn parse_zones(v: &Value) -> Result<Vec<String>, FieldError> {
    let Value::Array(items) = v else {
        return Err(field_err("zones", "must be a list of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, z)| match scalar_string(z) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(field_err(
                format!("zones[{i}]"),
                "must be a non-empty string",
            )),
        })
        .collect()
}

/// Drops zero scalars, so that `nvidia.com/gpu: 0` and absence compare equal.
fn drop_zero_scalars(r: &mut Resources) {
    r.scalars.retain(|(_, v)| *v != 0);
}

/// Converts a NodePool object's `spec` (name from `metadata.name`) to the
/// model. Errors carry the field path below `spec` (empty for `spec`
/// itself) and a message; fields are checked in the order they are
/// listed here, so the first bad one is the one reported.
pub(crate) fn convert_node_pool(name: &str, spec: &Value) -> Result<NodePool, FieldError> {
    let empty = Map::new();
    let spec = match spec {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => return Err(field_err("", "must be an object")),
    };
    let vm_name = get_str(spec, "vmSize")?.filter(|s| !s.is_empty());
    let known = vm_name.and_then(vm_size);
    let os_type = get_enum(spec, "osType", &["Linux", "Windows"], "Linux")?;
    let mode = get_enum(spec, "mode", &["System", "User"], "User")?;
    let priority = match get_enum(spec, "priority", &["Regular", "Spot"], "Regular")? {
        "Spot" => PoolPriority::Spot,
        _ => PoolPriority::Regular,
    };
    let max_pods = get_count(spec, "maxPods")?.unwrap_or(DEFAULT_MAX_PODS);
    if max_pods == 0 {
        return Err(field_err("maxPods", "must be at least 1"));
    }
    let windows = os_type == "Windows";
    let (capacity, allocatable) = pool_resources(spec, known, vm_name, max_pods, windows)?;
    let vm_label = known.map(|vm| vm.name).or(vm_name);
    let mut labels = pool_labels(spec, name, os_type, mode, vm_label)?;
    let mut taints = match get(spec, "taints") {
        Some(v) => parse_taints(v)?,
        None => Vec::new(),
    };
    if priority == PoolPriority::Spot {
        mark_spot(&mut labels, &mut taints);
    }
    let zones = match get(spec, "zones") {
        Some(v) => parse_zones(v)?,
        None => Vec::new(),
    };
    let (min_count, max_count) = node_counts(spec)?;
    let cost_per_hour = cost_per_hour(spec)?;
    let region = get_str(spec, "region")?
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(NodePool {
        name: name.into(),
        vm_size: vm_label.map(str::to_string),
        os_type: os_type.into(),
        mode: mode.into(),
        priority,
        capacity,
        allocatable,
        labels,
        taints,
        zones,
        min_count,
        max_count,
        cost_per_hour: cost_per_hour.unwrap_or(0.0),
        region,
        price_origin: if cost_per_hour.is_some() {
            PriceOrigin::Given
        } else {
            PriceOrigin::Unpriced
        },
        first_new_index: 0,
        resized_from: None,
    })
}

/// A pool's node capacity and allocatable, from the catalogue, the AKS
/// reservation rules and the explicit `capacity` and `allocatable`.
fn pool_resources(
    spec: &Map<String, Value>,
    known: Option<&VmSize>,
    vm_name: Option<&str>,
    max_pods: u32,
    windows: bool,
) -> Result<(Resources, Resources), FieldError> {
    let explicit_capacity = match get(spec, "capacity") {
        Some(v) => parse_resources(v, "capacity")?,
        None => Vec::new(),
    };
    let explicit_allocatable = match get(spec, "allocatable") {
        Some(v) => Some(parse_resources(v, "allocatable")?),
        None => None,
    };
    let explicit_allocatable = explicit_allocatable.as_deref();
    let capacity = pool_capacity(
        known,
        vm_name,
        max_pods,
        &explicit_capacity,
        explicit_allocatable,
    )?;
    let allocatable = pool_allocatable(&capacity, windows, explicit_allocatable);
    Ok((capacity, allocatable))
}

/// A pool's node capacity: the catalogue's (when `known`), overlaid by the
/// `explicit` entries. Outside the catalogue, CPU and memory must be
/// given, in `capacity` or else in `allocatable` (a node without capacity
/// reports its allocatable as capacity).
fn pool_capacity(
    known: Option<&VmSize>,
    vm_name: Option<&str>,
    max_pods: u32,
    explicit: &[(String, i64)],
    explicit_allocatable: Option<&[(String, i64)]>,
) -> Result<Resources, FieldError> {
    let mut capacity = match known {
        Some(vm) => vm_capacity(vm, max_pods),
        None => Resources {
            pods: i64::from(max_pods),
            ..Resources::default()
        },
    };
    for (resource, value) in explicit {
        capacity.set(resource, *value);
    }
    if known.is_none() {
        for resource in [CPU, MEMORY] {
            if explicit.iter().any(|(n, _)| n == resource) {
                continue;
            }
            let from_allocatable = explicit_allocatable
                .and_then(|a| a.iter().find(|(n, _)| n == resource))
                .map(|(_, value)| *value);
            capacity.set(
                resource,
                from_allocatable.ok_or_else(|| missing_capacity(resource, vm_name))?,
            );
        }
    }
    drop_zero_scalars(&mut capacity);
    Ok(capacity)
}

/// The error for CPU or memory capacity that is nowhere to be found.
fn missing_capacity(resource: &str, vm_name: Option<&str>) -> FieldError {
    match vm_name {
        Some(vm) => field_err(
            "vmSize",
            format!(
                "unknown VM size {vm:?}: not in the built-in catalogue, so \
                 capacity.cpu and capacity.memory are required"
            ),
        ),
        None => field_err(
            format!("capacity.{resource}"),
            "is required when vmSize is not given",
        ),
    }
}

/// A pool's allocatable: derived from `capacity` with the AKS rules,
/// overlaid by the `explicit` entries.
fn pool_allocatable(
    capacity: &Resources,
    windows: bool,
    explicit: Option<&[(String, i64)]>,
) -> Resources {
    let mut allocatable = aks_allocatable(capacity, windows);
    for (resource, value) in explicit.into_iter().flatten() {
        allocatable.set(resource, *value);
    }
    drop_zero_scalars(&mut allocatable);
    allocatable
}

/// A pool's node labels: the user's, then those AKS sets (which win).
fn pool_labels(
    spec: &Map<String, Value>,
    name: &str,
    os_type: &str,
    mode: &str,
    vm_label: Option<&str>,
) -> Result<Labels, FieldError> {
    let mut labels = match get(spec, "labels") {
        Some(v) => parse_labels(v)?,
        None => Labels::new(),
    };
    labels.insert(LABEL_AGENTPOOL.into(), name.into());
    labels.insert(LABEL_OS.into(), os_type.to_ascii_lowercase());
    // Every AKS node carries its architecture; charts often select on it.
    // The catalogue holds x86-64 sizes only.
    labels
        .entry(LABEL_ARCH.into())
        .or_insert_with(|| "amd64".into());
    if let Some(vm) = vm_label {
        labels.insert(LABEL_INSTANCE_TYPE.into(), vm.into());
    }
    labels.insert(LABEL_MODE.into(), mode.to_ascii_lowercase());
    Ok(labels)
}

/// The label and taint AKS puts on Spot nodes (the taint after the
/// user's, unless the user already wrote it).
fn mark_spot(labels: &mut Labels, taints: &mut Vec<Taint>) {
    labels.insert(LABEL_SCALESET_PRIORITY.into(), "spot".into());
    let spot = Taint {
        key: LABEL_SCALESET_PRIORITY.into(),
        value: "spot".into(),
        effect: TaintEffect::NoSchedule,
    };
    if !taints.contains(&spot) {
        taints.push(spot);
    }
}

/// `minCount` (0 when absent) and `maxCount`, the first not above the
/// second.
fn node_counts(spec: &Map<String, Value>) -> Result<(u32, Option<u32>), FieldError> {
    let min_count = get_count(spec, "minCount")?.unwrap_or(0);
    let max_count = get_count(spec, "maxCount")?;
    if let Some(max) = max_count {
        if min_count > max {
            return Err(field_err(
                "minCount",
                format!("minCount {min_count} is greater than maxCount {max}"),
            ));
        }
    }
    Ok((min_count, max_count))
}

/// `spec.nodeLimit`: the most nodes this pool may have in place of the
/// per-pool limit (`Limits::max_pool_nodes`, AKS's 1,000), for a pool that
/// is not an AKS one; `None` when absent.
pub(crate) fn node_limit(spec: &Value) -> Result<Option<u32>, FieldError> {
    match spec {
        Value::Object(spec) => get_count(spec, "nodeLimit"),
        _ => Ok(None),
    }
}

/// `costPerHour`: a finite number ≥ 0, `None` when absent.
fn cost_per_hour(spec: &Map<String, Value>) -> Result<Option<f64>, FieldError> {
    match get(spec, "costPerHour") {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(c) if c.is_finite() && c >= 0.0 => Ok(Some(c)),
            _ => Err(field_err(
                "costPerHour",
                format!("must be a number ≥ 0, got {n}"),
            )),
        },
        Some(_) => Err(field_err("costPerHour", "must be a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PoolId;
    use serde_json::json;

    fn pool(spec: Value) -> NodePool {
        convert_node_pool("gpu", &spec).unwrap()
    }

    fn error(spec: Value) -> (String, String) {
        convert_node_pool("gpu", &spec).unwrap_err()
    }

    #[test]
    fn catalogue_fills_capacity_and_derives_allocatable() {
        let p = pool(json!({"vmSize": "Standard_D4s_v5"}));
        assert_eq!(p.capacity.milli_cpu, 4000);
        assert_eq!(p.capacity.memory, 16 * GIB);
        assert_eq!(p.capacity.pods, 110);
        assert_eq!(p.allocatable.milli_cpu, 3860);
        // min(20 × 110 + 50, 4096) = 2250 MiB kube-reserved + 100 MiB eviction.
        assert_eq!(p.allocatable.memory, (16384 - 2250 - 100) * MIB);
        assert_eq!(p.allocatable.pods, 110);
        assert_eq!(p.os_type, "Linux");
        assert_eq!(p.mode, "User");
        assert_eq!(p.priority, PoolPriority::Regular);
        assert_eq!(p.cost_per_hour, 0.0);
        assert_eq!(p.min_count, 0);
        assert_eq!(p.max_count, None);
        assert!(p.taints.is_empty());
    }

    #[test]
    fn gpu_vm_size_and_explicit_capacity_overlay() {
        let p = pool(json!({
            "vmSize": "standard_nc24ads_a100_v4",
            "capacity": {"memory": "200Gi", "ephemeral-storage": "100Gi"},
            "maxPods": 30,
        }));
        assert_eq!(p.vm_size.as_deref(), Some("Standard_NC24ads_A100_v4"));
        assert_eq!(p.capacity.milli_cpu, 24_000);
        assert_eq!(p.capacity.memory, 200 * GIB);
        assert_eq!(p.capacity.scalar(GPU_RESOURCE), 1);
        assert_eq!(p.allocatable.scalar(GPU_RESOURCE), 1);
        assert_eq!(p.capacity.pods, 30);
        assert_eq!(p.allocatable.milli_cpu, 24_000 - 340);
        assert_eq!(p.allocatable.memory, 200 * GIB - (20 * 30 + 50 + 100) * MIB);
        // 10 % nodefs eviction, float32 percentage as the kubelet computes it.
        let cap = 100 * GIB;
        assert_eq!(
            p.allocatable.ephemeral_storage,
            cap - (cap as f64 * f64::from(0.1f32)) as i64
        );
        assert_eq!(p.labels[LABEL_INSTANCE_TYPE], "Standard_NC24ads_A100_v4");
    }

    #[test]
    fn explicit_gpu_zero_removes_catalogue_gpus() {
        let p = pool(json!({"vmSize": "Standard_NC4as_T4_v3", "capacity": {"nvidia.com/gpu": 0}}));
        assert!(p.capacity.scalars.is_empty());
        assert!(p.allocatable.scalars.is_empty());
    }

    #[test]
    fn spot_adds_label_and_taint_after_user_taints() {
        let p = pool(json!({
            "vmSize": "Standard_D2s_v5",
            "priority": "Spot",
            "taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}],
        }));
        assert_eq!(p.priority, PoolPriority::Spot);
        assert_eq!(p.labels[LABEL_SCALESET_PRIORITY], "spot");
        assert_eq!(
            p.taints,
            vec![
                Taint {
                    key: "sku".into(),
                    value: "gpu".into(),
                    effect: TaintEffect::NoSchedule
                },
                Taint {
                    key: LABEL_SCALESET_PRIORITY.into(),
                    value: "spot".into(),
                    effect: TaintEffect::NoSchedule
                },
            ]
        );
        // A user taint equal to the Spot taint is not duplicated.
        let p = pool(json!({
            "vmSize": "Standard_D2s_v5",
            "priority": "Spot",
            "taints": [{"key": LABEL_SCALESET_PRIORITY, "value": "spot", "effect": "NoSchedule"}],
        }));
        assert_eq!(p.taints.len(), 1);
        // Regular pools carry neither.
        let p = pool(json!({"vmSize": "Standard_D2s_v5", "priority": "Regular"}));
        assert!(!p.labels.contains_key(LABEL_SCALESET_PRIORITY));
        assert!(p.taints.is_empty());
    }

    #[test]
    fn unknown_vm_size_needs_capacity() {
        let (path, msg) = error(json!({"vmSize": "Standard_Z9000"}));
        assert_eq!(path, "vmSize");
        assert!(msg.contains("Standard_Z9000"), "{msg}");
        // With explicit cpu and memory it is fine, and keeps its name.
        let p = pool(json!({"vmSize": "Standard_Z9000", "capacity": {"cpu": 8, "memory": "32Gi"}}));
        assert_eq!(p.capacity.milli_cpu, 8000);
        assert_eq!(p.allocatable.milli_cpu, 7820);
        assert_eq!(p.labels[LABEL_INSTANCE_TYPE], "Standard_Z9000");
        assert_eq!(p.vm_size.as_deref(), Some("Standard_Z9000"));
        // Only one of them is not enough.
        let (path, _) = error(json!({"vmSize": "Standard_Z9000", "capacity": {"cpu": 8}}));
        assert_eq!(path, "vmSize");
    }

    #[test]
    fn no_vm_size_needs_capacity_cpu_and_memory() {
        assert_eq!(error(json!({})).0, "capacity.cpu");
        assert_eq!(
            error(json!({"capacity": {"cpu": "2"}})).0,
            "capacity.memory"
        );
        let p = pool(json!({"capacity": {"cpu": "2", "memory": "8Gi", "pods": 50}}));
        assert!(!p.labels.contains_key(LABEL_INSTANCE_TYPE));
        assert_eq!(p.vm_size, None);
        assert_eq!(p.capacity.pods, 50);
        assert_eq!(p.allocatable.pods, 50);
        // 20 × 50 + 50 = 1050 MiB < 2 GiB.
        assert_eq!(p.allocatable.memory, 8 * GIB - (1050 + 100) * MIB);
        // An explicit allocatable stands in for a missing capacity.
        let p = pool(json!({"allocatable": {"cpu": "1500m", "memory": "5Gi"}}));
        assert_eq!(p.capacity.milli_cpu, 1500);
        assert_eq!(p.allocatable.milli_cpu, 1500);
        assert_eq!(p.allocatable.memory, 5 * GIB);
    }

    #[test]
    fn os_labels() {
        let p = pool(json!({"vmSize": "Standard_D2s_v5"}));
        assert_eq!(p.labels[LABEL_OS], "linux");
        assert_eq!(p.labels[LABEL_AGENTPOOL], "gpu");
        assert_eq!(p.labels[LABEL_MODE], "user");
        let p = pool(json!({"vmSize": "Standard_D4s_v5", "osType": "Windows", "mode": "System"}));
        assert_eq!(p.os_type, "Windows");
        assert_eq!(p.labels[LABEL_OS], "windows");
        assert_eq!(p.mode, "System");
        assert_eq!(p.labels[LABEL_MODE], "system");
        // Windows reserves 2 GiB more.
        assert_eq!(p.allocatable.memory, (16384 - 2250 - 100 - 2048) * MIB);
        // System pools are not tainted unless asked.
        assert!(p.taints.is_empty());
        let (path, msg) = error(json!({"vmSize": "Standard_D2s_v5", "osType": "Plan9"}));
        assert_eq!(path, "osType");
        assert!(msg.contains("Plan9"), "{msg}");
        assert_eq!(
            error(json!({"vmSize": "Standard_D2s_v5", "mode": "Both"})).0,
            "mode"
        );
        assert_eq!(
            error(json!({"vmSize": "Standard_D2s_v5", "priority": "Low"})).0,
            "priority"
        );
    }

    #[test]
    fn user_labels_kept_but_derived_labels_win() {
        let p = pool(json!({
            "vmSize": "Standard_D2s_v5",
            "labels": {"workload": "ml", "tier": 1, "kubernetes.io/os": "windows"},
        }));
        assert_eq!(p.labels["workload"], "ml");
        assert_eq!(p.labels["tier"], "1");
        assert_eq!(p.labels[LABEL_OS], "linux");
    }

    #[test]
    fn explicit_allocatable_wins() {
        let p = pool(json!({
            "vmSize": "Standard_D4s_v5",
            "allocatable": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "2"},
        }));
        assert_eq!(p.allocatable.milli_cpu, 3000);
        assert_eq!(p.allocatable.memory, 12 * GIB);
        assert_eq!(p.allocatable.scalar(GPU_RESOURCE), 2);
        // What it does not name is derived.
        assert_eq!(p.allocatable.pods, 110);
        assert_eq!(p.capacity.milli_cpu, 4000);
    }

    #[test]
    fn new_nodes_are_named_labelled_and_spread_over_zones() {
        let p = pool(json!({
            "vmSize": "Standard_NC24ads_A100_v4",
            "labels": {"workload": "ml"},
            "taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}],
            "zones": ["1", "2", 3],
            "minCount": 0,
            "maxCount": 10,
            "costPerHour": 3.67,
        }));
        assert_eq!(p.zones, vec!["1", "2", "3"]);
        assert_eq!(p.max_count, Some(10));
        assert_eq!(p.cost_per_hour, 3.67);
        let n = p.new_node(PoolId(2), 1);
        assert_eq!(n.name, "gpu-new-1");
        assert!(n.is_new);
        assert!(!n.unschedulable);
        assert_eq!(n.pool, Some(PoolId(2)));
        assert_eq!(n.allocatable, p.allocatable);
        assert_eq!(n.taints, p.taints);
        let expected: Labels = [
            ("kubernetes.azure.com/agentpool", "gpu"),
            ("kubernetes.azure.com/mode", "user"),
            ("kubernetes.io/arch", "amd64"),
            ("kubernetes.io/hostname", "gpu-new-1"),
            ("kubernetes.io/os", "linux"),
            (
                "node.kubernetes.io/instance-type",
                "Standard_NC24ads_A100_v4",
            ),
            ("topology.kubernetes.io/zone", "2"),
            ("workload", "ml"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(n.labels, expected);
        let zones: Vec<_> = (0..5)
            .map(|k| p.new_node(PoolId(0), k).labels["topology.kubernetes.io/zone"].clone())
            .collect();
        assert_eq!(zones, ["1", "2", "3", "1", "2"]);
        // Without zones there is no zone label.
        let p = pool(json!({"vmSize": "Standard_D2s_v5"}));
        assert!(!p
            .new_node(PoolId(0), 0)
            .labels
            .contains_key("topology.kubernetes.io/zone"));
    }

    #[test]
    fn region_and_price_origin() {
        let p = pool(json!({"vmSize": "Standard_D2s_v5", "region": "westeurope"}));
        assert_eq!(p.region.as_deref(), Some("westeurope"));
        assert_eq!(p.price_origin, PriceOrigin::Unpriced);
        assert_eq!(p.cost_per_hour, 0.0);
        let p = pool(json!({"vmSize": "Standard_D2s_v5", "costPerHour": 0}));
        assert_eq!(p.price_origin, PriceOrigin::Given);
        assert_eq!(p.region, None);
        assert_eq!(
            error(json!({"vmSize": "Standard_D2s_v5", "region": 1})).0,
            "region"
        );
    }

    #[test]
    fn field_errors() {
        let base = |extra: Value| {
            let mut spec = json!({"vmSize": "Standard_D2s_v5"});
            for (k, v) in extra.as_object().unwrap() {
                spec[k] = v.clone();
            }
            error(spec)
        };
        assert_eq!(base(json!({"minCount": 3, "maxCount": 2})).0, "minCount");
        assert_eq!(base(json!({"minCount": -1})).0, "minCount");
        assert_eq!(base(json!({"maxCount": -1})).0, "maxCount");
        assert_eq!(base(json!({"maxCount": 1.5})).0, "maxCount");
        assert_eq!(base(json!({"maxPods": 0})).0, "maxPods");
        assert_eq!(base(json!({"costPerHour": -1})).0, "costPerHour");
        assert_eq!(base(json!({"costPerHour": "cheap"})).0, "costPerHour");
        assert_eq!(base(json!({"capacity": {"cpu": "-1"}})).0, "capacity.cpu");
        assert_eq!(
            base(json!({"capacity": {"memory": "lots"}})).0,
            "capacity.memory"
        );
        assert_eq!(
            base(json!({"allocatable": {"memory": "-1Gi"}})).0,
            "allocatable.memory"
        );
        assert_eq!(base(json!({"capacity": ["cpu"]})).0, "capacity");
        assert_eq!(
            base(json!({"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "Sometimes"}]})).0,
            "taints[1].effect"
        );
        assert_eq!(
            base(json!({"taints": [{"effect": "NoSchedule"}]})).0,
            "taints[0].key"
        );
        assert_eq!(
            base(json!({"taints": [{"key": "a"}]})).0,
            "taints[0].effect"
        );
        assert_eq!(base(json!({"zones": [""]})).0, "zones[0]");
        assert_eq!(base(json!({"labels": {"a": ["b"]}})).0, "labels.a");
        assert_eq!(base(json!({"osType": 1})).0, "osType");
        assert_eq!(error(json!("nope")).0, "");
        // Equal counts, nulls and unknown fields are fine.
        let p = pool(json!({
            "vmSize": "Standard_D2s_v5", "minCount": 2, "maxCount": 2,
            "zones": null, "labels": null, "managedFields": [{}],
        }));
        assert_eq!((p.min_count, p.max_count), (2, Some(2)));
    }
}
