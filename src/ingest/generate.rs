//! A seeded generator of multi-tenant AKS-like scenarios at cluster scale,
//! written as a Kubernetes `List` (the same wire format `kubectl` prints),
//! for benchmarks and tests.

pub use super::api_fields::add_api_fields;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

/// What to generate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateOptions {
    /// Existing nodes.
    pub nodes: usize,
    /// Bound pods spread over the nodes (as Pod objects owned by ReplicaSets).
    pub bound_pods: usize,
    /// Pending pods.
    pub pending_pods: usize,
    /// Pending pods as replicas of this many Deployments; 0 writes every
    /// pending pod as its own Pod object with a unique label (no two alike).
    pub pending_workloads: usize,
    /// Random seed.
    pub seed: u64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            nodes: 50,
            bound_pods: 1000,
            pending_pods: 100,
            pending_workloads: 10,
            seed: 1,
        }
    }
}

/// SplitMix64: tiny, seedable, the same on every target.
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A draw in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One of `choices`, uniformly (one draw).
    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.below(choices.len())]
    }
}

/// A pool of the generated cluster: name, share of nodes, cpu (m), memory
/// (Mi), GPUs, taint.
struct PoolShape {
    name: &'static str,
    share: usize,
    cpu_milli: i64,
    memory_mi: i64,
    gpus: i64,
    taint: Option<(&'static str, &'static str)>,
}

/// A [`PoolShape`] (const).
const fn shape(
    name: &'static str,
    share: usize,
    cpu_milli: i64,
    memory_mi: i64,
    gpus: i64,
    taint: Option<(&'static str, &'static str)>,
) -> PoolShape {
    PoolShape {
        name,
        share,
        cpu_milli,
        memory_mi,
        gpus,
        taint,
    }
}

/// The pools of [`generate`].
const POOLS: [PoolShape; 5] = [
    shape(
        "system",
        5,
        3860,
        14034,
        0,
        Some(("CriticalAddonsOnly", "true")),
    ),
    shape("general", 60, 7820, 30418, 0, None),
    shape(
        "highmem",
        15,
        15740,
        128722,
        0,
        Some(("workload", "highmem")),
    ),
    shape("gpu", 5, 23660, 222920, 1, Some(("sku", "gpu"))),
    shape("spot", 15, 7820, 30418, 0, Some((SPOT_KEY, "spot"))),
];

/// The availability zones nodes are spread over, round-robin.
const ZONES: [&str; 3] = ["1", "2", "3"];

/// The taint key (and label) of AKS Spot nodes.
const SPOT_KEY: &str = "kubernetes.azure.com/scalesetpriority";

// ---------------------------------------------------------------------------
// Building blocks shared by the generators
// ---------------------------------------------------------------------------

/// The generated nodes, in order: each one's name and pool (an index into
/// the pool shapes they were generated from).
struct Fleet {
    names: Vec<String>,
    pools: Vec<usize>,
}

impl Fleet {
    /// The nodes whose pool is one of `pool_names`.
    fn nodes_in(&self, shapes: &[PoolShape], pool_names: &[&str]) -> Vec<usize> {
        (0..self.pools.len())
            .filter(|&n| pool_names.contains(&shapes[self.pools[n]].name))
            .collect()
    }
}

/// Room left on a node for pods.
#[derive(Debug, Clone, Copy)]
struct Room {
    cpu_milli: i64,
    memory_mi: i64,
    pods: i64,
}

impl Room {
    /// Takes room for one pod of `cpu_milli` and `memory_mi` when there is
    /// enough; whether it did.
    fn take(&mut self, cpu_milli: i64, memory_mi: i64) -> bool {
        let fits = self.cpu_milli >= cpu_milli && self.memory_mi >= memory_mi && self.pods >= 1;
        if fits {
            self.cpu_milli -= cpu_milli;
            self.memory_mi -= memory_mi;
            self.pods -= 1;
        }
        fits
    }
}

/// Writes `count` nodes, the pools taking consecutive runs of them in
/// proportion to their shares, in zones round-robin.
fn write_nodes(shapes: &[PoolShape], count: usize, items: &mut Vec<Value>) -> Fleet {
    let total_share: usize = shapes.iter().map(|p| p.share).sum();
    let mut fleet = Fleet {
        names: Vec::with_capacity(count),
        pools: Vec::with_capacity(count),
    };
    for i in 0..count {
        let slot = i * total_share / count.max(1);
        let mut acc = 0;
        // `slot` is below the total share, so some pool always matches.
        let pool = shapes
            .iter()
            .position(|p| {
                acc += p.share;
                slot < acc
            })
            .unwrap_or(shapes.len() - 1);
        let name = format!("aks-{}-{i}", shapes[pool].name);
        items.push(node_object(&name, &shapes[pool], ZONES[i % ZONES.len()]));
        fleet.names.push(name);
        fleet.pools.push(pool);
    }
    fleet
}

/// A Node of `pool`: AKS labels, the pool's allocatable and taint.
fn node_object(name: &str, pool: &PoolShape, zone: &str) -> Value {
    let mut node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.azure.com/agentpool": pool.name,
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "topology.kubernetes.io/zone": zone,
        }},
        "status": {"allocatable": {
            "cpu": format!("{}m", pool.cpu_milli),
            "memory": format!("{}Mi", pool.memory_mi),
            "pods": "110",
        }},
    });
    if pool.gpus > 0 {
        node["status"]["allocatable"]["nvidia.com/gpu"] = json!(pool.gpus.to_string());
    }
    if let Some((key, value)) = pool.taint {
        node["spec"] = json!({"taints": [no_schedule(key, value)]});
    }
    node
}

/// The taint `key=value:NoSchedule`, or the toleration of exactly it.
fn no_schedule(key: &str, value: &str) -> Value {
    json!({"key": key, "value": value, "effect": "NoSchedule"})
}

/// A container requesting `cpu_milli` and `memory_mi`.
fn container(name: &str, cpu_milli: impl fmt::Display, memory_mi: impl fmt::Display) -> Value {
    json!({"name": name, "resources": {"requests": {
        "cpu": format!("{cpu_milli}m"), "memory": format!("{memory_mi}Mi")}}})
}

/// Required anti-affinity: at most one pod `selector` matches per node.
fn hostname_anti_affinity(selector: &Value) -> Value {
    json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}})
}

/// Zone spread of the pods `selector` matches, skew at most 1.
fn zone_spread(selector: &Value) -> Value {
    json!([{"maxSkew": 1,
        "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector}])
}

/// A DaemonSet whose pods tolerate every taint.
fn daemon_set(namespace: &str, app: &str, container: Value, node_selector: Option<Value>) -> Value {
    let mut spec = json!({"tolerations": [{"operator": "Exists"}], "containers": [container]});
    if let Some(selector) = node_selector {
        spec["nodeSelector"] = selector;
    }
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": app, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": spec}},
    })
}

/// A Running, Ready pod owned by the controller `owner_kind`/`owner_name`.
fn running_pod(
    name: &str,
    namespace: &str,
    labels: &Value,
    (owner_kind, owner_name, owner_uid): (&str, &str, &str),
    spec: Value,
) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                "name": owner_name, "controller": true, "uid": owner_uid}]},
        "spec": spec,
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    })
}

/// A Deployment or StatefulSet of `replicas` pods labelled `labels`
/// (its selector).
fn workload(
    kind: &str,
    name: &str,
    namespace: &str,
    replicas: usize,
    labels: &Value,
    spec: Value,
) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec}},
    })
}

/// A PodDisruptionBudget: `rule` (minAvailable or maxUnavailable) over
/// the pods `selector` matches.
fn pdb(name: &str, namespace: &str, mut rule: Value, selector: &Value) -> Value {
    rule["selector"] = selector.clone();
    json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace}, "spec": rule,
    })
}

/// A `v1` `List` of `items`.
fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

// ---------------------------------------------------------------------------
// The explain-style cluster
// ---------------------------------------------------------------------------

/// Generates a scenario as a Kubernetes `List`.
pub fn generate(options: &GenerateOptions) -> Value {
    let mut rng = Rng(options.seed);
    let mut items = Vec::new();
    let fleet = write_nodes(&POOLS, options.nodes, &mut items);
    // Bound pods are replicas of workloads of 200.
    let bound_workloads = options.bound_pods.div_ceil(200).max(1);
    write_bound_pods(options.bound_pods, bound_workloads, &fleet, &mut items);
    write_pending_pods(options, bound_workloads, &mut rng, &mut items);
    list(items)
}

/// Writes `count` bound pods, replicas of `workloads` ReplicaSets, placed
/// round-robin on the general and spot nodes that still have room; stops
/// at the first pod no node has room for.
fn write_bound_pods(count: usize, workloads: usize, fleet: &Fleet, items: &mut Vec<Value>) {
    let hosts = fleet.nodes_in(&POOLS, &["general", "spot"]);
    let mut room: Vec<Room> = fleet
        .pools
        .iter()
        .map(|&p| Room {
            cpu_milli: POOLS[p].cpu_milli,
            memory_mi: POOLS[p].memory_mi,
            pods: 110,
        })
        .collect();
    let mut cursor = 0;
    for p in 0..count {
        if hosts.is_empty() {
            break;
        }
        let w = p % workloads;
        let (cpu, mem) = (50 + (w % 5) as i64 * 10, 64 + (w % 4) as i64 * 32);
        let Some(n) = round_robin_host(&hosts, &mut cursor, &mut room, cpu, mem) else {
            break;
        };
        let spec = json!({
            "nodeName": fleet.names[n],
            "tolerations": [{"key": SPOT_KEY, "operator": "Exists"}],
            "containers": [container("app", cpu, mem)],
        });
        let (replica_set, uid) = (format!("wl-{w}-rs"), format!("rs-{w}"));
        let owner = ("ReplicaSet", replica_set.as_str(), uid.as_str());
        let namespace = format!("tenant-{}", w % 20);
        let labels = json!({"app": format!("wl-{w}")});
        let name = format!("wl-{w}-rs-{p}");
        items.push(running_pod(&name, &namespace, &labels, owner, spec));
    }
}

/// The next of `hosts` from `cursor` on with room for the pod (room
/// taken), trying each once.
fn round_robin_host(
    hosts: &[usize],
    cursor: &mut usize,
    room: &mut [Room],
    cpu_milli: i64,
    memory_mi: i64,
) -> Option<usize> {
    for _ in 0..hosts.len() {
        let n = hosts[*cursor % hosts.len()];
        *cursor += 1;
        if room[n].take(cpu_milli, memory_mi) {
            return Some(n);
        }
    }
    None
}

/// Writes the pending pods: a third with required hostname anti-affinity,
/// a third with zone spread, a third plain; some share labels with bound
/// workloads. They are replicas of Deployments, or, without
/// `pending_workloads`, Pod objects no two alike.
fn write_pending_pods(
    options: &GenerateOptions,
    bound_workloads: usize,
    rng: &mut Rng,
    items: &mut Vec<Value>,
) {
    let distinct = options.pending_workloads == 0;
    let groups = if distinct {
        options.pending_pods
    } else {
        options.pending_workloads
    };
    for g in 0..groups {
        let replicas = if distinct {
            1
        } else {
            options.pending_pods / groups + usize::from(g < options.pending_pods % groups)
        };
        if replicas == 0 {
            continue;
        }
        let (app, namespace) = pending_app(g, bound_workloads, rng);
        let mut labels = json!({"app": app});
        if distinct {
            labels["pod"] = json!(format!("p-{g}"));
        }
        let spec = pending_spec(g, &app, rng);
        items.push(if distinct {
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pending-{g}"), "namespace": namespace, "labels": labels},
                "spec": spec,
            })
        } else {
            let name = format!("deploy-{g}");
            workload("Deployment", &name, &namespace, replicas, &labels, spec)
        });
    }
}

/// The `app` label and namespace of pending group `g`: every fourth group
/// reuses a random bound workload's.
fn pending_app(g: usize, bound_workloads: usize, rng: &mut Rng) -> (String, String) {
    if g % 4 == 0 {
        let w = rng.below(bound_workloads);
        (format!("wl-{w}"), format!("tenant-{}", w % 20))
    } else {
        (format!("new-{g}"), format!("tenant-{}", g % 20))
    }
}

/// The pod spec of pending group `g`: random requests, then by `g % 3`
/// anti-affinity, zone spread, or (one time in three) the highmem pool.
fn pending_spec(g: usize, app: &str, rng: &mut Rng) -> Value {
    let cpu = rng.pick(&[100, 250, 500, 1000, 2000]);
    let mem = rng.pick(&[128, 512, 1024, 4096]);
    let mut spec = json!({"containers": [container("app", cpu, mem)]});
    let selector = json!({"matchLabels": {"app": app}});
    match g % 3 {
        0 => spec["affinity"] = hostname_anti_affinity(&selector),
        1 => spec["topologySpreadConstraints"] = zone_spread(&selector),
        _ => {
            if rng.below(3) == 0 {
                spec["tolerations"] = json!([no_schedule("workload", "highmem")]);
                spec["nodeSelector"] = json!({"kubernetes.azure.com/agentpool": "highmem"});
            }
        }
    }
    spec
}

/// Sizes of the placement benchmark ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LadderSize {
    /// ~40 pods, 8 workloads.
    Xs,
    /// ~400 pods, 20 workloads.
    S,
    /// ~4,000 pods, 60 workloads.
    M,
    /// ~30,000 pods, 200 workloads.
    L,
    /// ~150,000 pods, 500 workloads.
    Xl,
}

impl LadderSize {
    /// All sizes, smallest first.
    pub const ALL: [LadderSize; 5] = [
        LadderSize::Xs,
        LadderSize::S,
        LadderSize::M,
        LadderSize::L,
        LadderSize::Xl,
    ];

    /// (pods, workloads).
    pub fn shape(self) -> (usize, usize) {
        match self {
            LadderSize::Xs => (40, 8),
            LadderSize::S => (400, 20),
            LadderSize::M => (4_000, 60),
            LadderSize::L => (30_000, 200),
            LadderSize::Xl => (150_000, 500),
        }
    }

    /// The size's name.
    pub fn name(self) -> &'static str {
        match self {
            LadderSize::Xs => "xs",
            LadderSize::S => "s",
            LadderSize::M => "m",
            LadderSize::L => "l",
            LadderSize::Xl => "xl",
        }
    }

    /// Parses a size name.
    pub fn parse(name: &str) -> Option<LadderSize> {
        LadderSize::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What a ladder workload runs, drawn from 0..100: 8 % memory-heavy, 2 %
/// GPU jobs, 5 % Windows, 15 % Spot-tolerant batch, the rest web.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LadderKind {
    MemoryHeavy,
    Gpu,
    Windows,
    SpotBatch,
    Web,
}

impl LadderKind {
    fn from_draw(draw: usize) -> LadderKind {
        match draw {
            0..=7 => LadderKind::MemoryHeavy,
            8..=9 => LadderKind::Gpu,
            10..=14 => LadderKind::Windows,
            15..=29 => LadderKind::SpotBatch,
            _ => LadderKind::Web,
        }
    }

    /// Most replicas: GPU, memory-heavy and Windows workloads stay small,
    /// as in real clusters.
    fn replica_cap(self) -> Option<usize> {
        match self {
            LadderKind::MemoryHeavy | LadderKind::Windows => Some(24),
            LadderKind::Gpu => Some(4),
            LadderKind::SpotBatch | LadderKind::Web => None,
        }
    }

    /// Random requests (millicores, MiB) and the pod spec placing it.
    fn pod_shape(self, rng: &mut Rng) -> (i32, i32, Value) {
        match self {
            LadderKind::MemoryHeavy => (
                rng.pick(&[1000, 2000, 4000]),
                rng.pick(&[8192, 16384, 32768]),
                json!({"nodeSelector": {"workload": "highmem"},
                       "tolerations": [no_schedule("workload", "highmem")]}),
            ),
            LadderKind::Gpu => (
                8000,
                65536,
                json!({"nodeSelector": {"workload": "ml"},
                "tolerations": [{"key": "sku", "operator": "Exists", "effect": "NoSchedule"}]}),
            ),
            LadderKind::Windows => (
                rng.pick(&[250, 500, 1000]),
                rng.pick(&[512, 1024, 2048]),
                json!({"nodeSelector": {"kubernetes.io/os": "windows"},
                       "tolerations": [no_schedule("os", "windows")]}),
            ),
            LadderKind::SpotBatch => (
                rng.pick(&[100, 200, 500]),
                rng.pick(&[128, 256, 512]),
                json!({"tolerations": [no_schedule(SPOT_KEY, "spot")],
                    "nodeSelector": {"kubernetes.io/os": "linux"}}),
            ),
            LadderKind::Web => (
                rng.pick(&[50, 100, 100, 200, 250]),
                rng.pick(&[64, 128, 128, 256, 512]),
                json!({"nodeSelector": {"kubernetes.io/os": "linux"}}),
            ),
        }
    }
}

/// A capacity-planning scenario of the ladder: system, general (two
/// sizes), high-memory, GPU, Windows and Spot pools over three zones with
/// AKS prices; three existing system nodes; many small web workloads, some
/// memory-heavy, a few GPU jobs, Windows pods, Spot-tolerant batch; some
/// with required hostname anti-affinity, some with zone spread; a DaemonSet
/// on every Linux node and PDBs.
pub fn ladder(size: LadderSize, seed: u64) -> Value {
    let (pods, workloads) = size.shape();
    let mut rng = Rng(seed ^ 0x5EED);
    let mut items = ladder_pools();
    items.extend(
        ZONES
            .iter()
            .enumerate()
            .map(|(i, zone)| system_node(i, zone)),
    );
    let exporter = container("exporter", 50, 64);
    let linux = json!({"kubernetes.io/os": "linux"});
    items.push(daemon_set(
        "monitoring",
        "node-exporter",
        exporter,
        Some(linux),
    ));
    // Kinds first, then how many pods each workload has.
    let kinds: Vec<LadderKind> = (0..workloads)
        .map(|w| {
            // The last workload is web, so that the ladder's pods always
            // have a workload without a replica cap to go to.
            let draw = if w + 1 == workloads {
                99
            } else {
                rng.below(100)
            };
            LadderKind::from_draw(draw)
        })
        .collect();
    let counts = replica_counts(&kinds, pods, &mut rng);
    for (w, (&kind, &replicas)) in kinds.iter().zip(&counts).enumerate() {
        if replicas > 0 {
            write_ladder_workload(w, kind, replicas, &mut rng, &mut items);
        }
    }
    list(items)
}

/// The ladder's NodePools, with AKS VM sizes and prices.
fn ladder_pools() -> Vec<Value> {
    let pool = ladder_pool;
    vec![
        pool(
            "system",
            "Standard_D4s_v5",
            0.192,
            json!({"mode": "System", "maxCount": 5,
            "taints": [no_schedule("CriticalAddonsOnly", "true")]}),
        ),
        pool(
            "general8",
            "Standard_D8s_v5",
            0.384,
            json!({"maxPods": 250}),
        ),
        pool(
            "general16",
            "Standard_D16s_v5",
            0.768,
            json!({"maxPods": 250}),
        ),
        pool(
            "highmem",
            "Standard_E16s_v5",
            1.008,
            json!({"labels": {"workload": "highmem"},
            "taints": [no_schedule("workload", "highmem")]}),
        ),
        pool(
            "gpu",
            "Standard_NC24ads_A100_v4",
            3.673,
            json!({"labels": {"workload": "ml"},
            "taints": [no_schedule("sku", "gpu")], "maxCount": 200}),
        ),
        pool(
            "win",
            "Standard_D4s_v5",
            0.376,
            json!({"osType": "Windows", "taints": [no_schedule("os", "windows")]}),
        ),
        pool(
            "spot",
            "Standard_D8s_v5",
            0.077,
            json!({"priority": "Spot", "maxPods": 250}),
        ),
    ]
}

/// A NodePool of the ladder in all three zones, at most 1000 nodes,
/// `extra` fields added (or overriding).
fn ladder_pool(name: &str, vm_size: &str, cost_per_hour: f64, extra: Value) -> Value {
    let mut spec = json!({"vmSize": vm_size, "zones": ZONES, "costPerHour": cost_per_hour,
        "maxCount": 1000});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    json!({"apiVersion": "podplan.dev/v1alpha1", "kind": "NodePool",
           "metadata": {"name": name}, "spec": spec})
}

/// Existing system node `i`, in `zone`.
fn system_node(i: usize, zone: &str) -> Value {
    let name = format!("aks-system-{i}");
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.azure.com/agentpool": "system", "kubernetes.io/os": "linux",
            "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}},
        "spec": {"taints": [no_schedule("CriticalAddonsOnly", "true")]},
        "status": {"allocatable": {"cpu": "3860m", "memory": "14034Mi", "pods": "110"}}})
}

/// Replicas per workload, `pods` in all: capped kinds get about half to
/// one and a half times the mean (at most their cap), the others share
/// the rest by random weights, the last workload taking what rounding
/// leaves.
fn replica_counts(kinds: &[LadderKind], pods: usize, rng: &mut Rng) -> Vec<usize> {
    let mean = (pods / kinds.len()).max(1);
    let mut counts: Vec<usize> = kinds
        .iter()
        .map(|k| {
            k.replica_cap()
                .map_or(0, |cap| (mean / 2 + rng.below(mean)).min(cap))
        })
        .collect();
    let small: usize = counts.iter().sum::<usize>().min(pods);
    let weights: Vec<usize> = kinds
        .iter()
        .map(|k| {
            if k.replica_cap().is_none() {
                50 + rng.below(100)
            } else {
                0
            }
        })
        .collect();
    let total_weight: usize = weights.iter().sum::<usize>().max(1);
    for (c, w) in counts.iter_mut().zip(&weights) {
        if *w > 0 {
            *c = (pods - small) * w / total_weight;
        }
    }
    let assigned: usize = counts.iter().sum();
    if let Some(last) = counts.last_mut() {
        *last += pods.saturating_sub(assigned);
    }
    counts
}

/// Writes ladder workload `w`: a Deployment with random requests, one in
/// five with required hostname anti-affinity (when it has at most 50
/// replicas), three in ten with zone spread; every fifth with a PDB.
fn write_ladder_workload(
    w: usize,
    kind: LadderKind,
    replicas: usize,
    rng: &mut Rng,
    items: &mut Vec<Value>,
) {
    let namespace = format!("tenant-{}", w % 12);
    let name = format!("app-{w}");
    let (cpu, mem, mut spec) = kind.pod_shape(rng);
    let mut main = container("main", cpu, mem);
    if kind == LadderKind::Gpu {
        main["resources"]["limits"] = json!({"nvidia.com/gpu": "1"});
    }
    spec["containers"] = json!([main]);
    let labels = json!({"app": name});
    let selector = json!({"matchLabels": labels});
    let constraint = rng.below(10);
    if constraint < 2 && replicas <= 50 {
        spec["affinity"] = hostname_anti_affinity(&selector);
    } else if constraint < 5 {
        spec["topologySpreadConstraints"] = zone_spread(&selector);
    }
    items.push(workload(
        "Deployment",
        &name,
        &namespace,
        replicas,
        &labels,
        spec,
    ));
    if w % 5 == 0 {
        let rule = json!({"maxUnavailable": 1});
        items.push(pdb(&name, &namespace, rule, &selector));
    }
}

/// Shape of a drain scenario ([`drain_scenario`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DrainScenarioOptions {
    /// Existing nodes; a fifth of them form the pool `drain` (the one to
    /// drain), the rest `general`, `spot`, `highmem` and `system`.
    pub nodes: usize,
    /// Running pods, replicas of `workloads` Deployments and StatefulSets.
    pub pods: usize,
    /// Workloads, each with one PodDisruptionBudget.
    pub workloads: usize,
    /// Random seed.
    pub seed: u64,
}

impl Default for DrainScenarioOptions {
    fn default() -> Self {
        DrainScenarioOptions {
            nodes: 100,
            pods: 3_000,
            workloads: 40,
            seed: 1,
        }
    }
}

/// The pools of the drain scenario, with their VM sizes.
const DRAIN_POOLS: [(PoolShape, &str); 5] = [
    (
        shape(
            "system",
            4,
            3860,
            14034,
            0,
            Some(("CriticalAddonsOnly", "true")),
        ),
        "Standard_D4s_v5",
    ),
    (shape("drain", 20, 7820, 30418, 0, None), "Standard_D8s_v5"),
    (
        shape("general", 56, 7820, 30418, 0, None),
        "Standard_D8s_v5",
    ),
    (
        shape("spot", 12, 7820, 30418, 0, Some((SPOT_KEY, "spot"))),
        "Standard_D8s_v5",
    ),
    (
        shape(
            "highmem",
            8,
            15740,
            128722,
            0,
            Some(("workload", "highmem")),
        ),
        "Standard_E16s_v5",
    ),
];

/// A running multi-tenant cluster to drain: NodePool objects, nodes in
/// three zones, a DaemonSet, workloads whose running pods fill the `drain`,
/// `general` and `spot` pools to about 40%, every workload guarded by a
/// PDB (maxUnavailable 1, maxUnavailable 10%, minAvailable 80% or
/// minAvailable replicas−2), a tenth of them with required hostname
/// anti-affinity, a tenth StatefulSets. `podplan drain --pool drain` then
/// moves about a fifth of the pods.
pub fn drain_scenario(options: &DrainScenarioOptions) -> Value {
    let mut rng = Rng(options.seed ^ 0xD4A1);
    let shapes = DRAIN_POOLS.map(|(shape, _)| shape);
    let mut items: Vec<Value> = DRAIN_POOLS
        .iter()
        .map(|(shape, vm_size)| drain_node_pool(shape, vm_size))
        .collect();
    let fleet = write_nodes(&shapes, options.nodes, &mut items);
    let agent = container("agent", 100, 128);
    items.push(daemon_set("kube-system", "node-agent", agent, None));
    let hosts = fleet.nodes_in(&shapes, &["drain", "general", "spot"]);
    let mut placer = RandomPlacer {
        cursor: rng.below(hosts.len().max(1)),
        hosts,
        // Pods fill 40 % of a node, after the DaemonSet's 100m / 128Mi.
        room: fleet
            .pools
            .iter()
            .map(|&p| Room {
                cpu_milli: shapes[p].cpu_milli * 4 / 10 - 100,
                memory_mi: shapes[p].memory_mi * 4 / 10 - 128,
                pods: 60,
            })
            .collect(),
    };
    let workloads = options.workloads.max(1);
    for w in 0..workloads {
        let replicas = options.pods / workloads + usize::from(w < options.pods % workloads);
        if replicas > 0 && !placer.hosts.is_empty() {
            write_drain_workload(w, replicas, &fleet, &mut placer, &mut rng, &mut items);
        }
    }
    list(items)
}

/// The NodePool object of a drain scenario pool.
fn drain_node_pool(shape: &PoolShape, vm_size: &str) -> Value {
    // More nodes than AKS's 1,000 per pool: the pool says so (nodeLimit).
    let mut spec = json!({"vmSize": vm_size, "zones": ZONES, "maxCount": 10_000,
        "nodeLimit": 10_000, "costPerHour": 0.384});
    if let Some((key, value)) = shape.taint {
        spec["taints"] = json!([no_schedule(key, value)]);
    }
    json!({"apiVersion": "podplan.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": shape.name}, "spec": spec})
}

/// Places running pods on random hosts with room, as the scheduler's
/// default spreading scatters a workload's replicas over the cluster.
struct RandomPlacer {
    hosts: Vec<usize>,
    room: Vec<Room>,
    cursor: usize,
}

impl RandomPlacer {
    /// A host with room for the pod (room taken) that is not in
    /// `excluded`, trying as many random hosts as there are hosts.
    fn place(
        &mut self,
        rng: &mut Rng,
        cpu_milli: i64,
        memory_mi: i64,
        excluded: &[usize],
    ) -> Option<usize> {
        let hosts = self.hosts.len();
        for _ in 0..hosts {
            let n = self.hosts[(self.cursor + rng.below(hosts)) % hosts];
            self.cursor += 1;
            if !excluded.contains(&n) && self.room[n].take(cpu_milli, memory_mi) {
                return Some(n);
            }
        }
        None
    }
}

/// Writes drain workload `w`: a Deployment (or, one in ten, a
/// StatefulSet; one in ten with required hostname anti-affinity), its PDB
/// and its running pods, as many of `replicas` as find a host.
fn write_drain_workload(
    w: usize,
    replicas: usize,
    fleet: &Fleet,
    placer: &mut RandomPlacer,
    rng: &mut Rng,
    items: &mut Vec<Value>,
) {
    let namespace = format!("tenant-{}", w % 50);
    let app = format!("app-{w}");
    let stateful = w % 10 == 3;
    let anti = w % 10 == 7;
    let (cpu, mem) = (20 + (w % 7) as i64 * 10, 32 + (w % 5) as i64 * 32);
    let labels = json!({"app": app});
    let selector = json!({"matchLabels": labels});
    let spec = drain_pod_spec(cpu, mem, anti.then_some(&selector));
    let (kind, owner_kind, owner_name) = if stateful {
        ("StatefulSet", "StatefulSet", app.clone())
    } else {
        ("Deployment", "ReplicaSet", format!("{app}-5d8f7c"))
    };
    items.push(workload(
        kind,
        &app,
        &namespace,
        replicas,
        &labels,
        spec.clone(),
    ));
    items.push(pdb(
        &app,
        &namespace,
        drain_pdb_rule(w, replicas),
        &selector,
    ));
    let owner_uid = format!("{kind}-{w}");
    // Anti-affinity: no two replicas on one host.
    let mut used: Vec<usize> = Vec::new();
    for r in 0..replicas {
        let excluded: &[usize] = if anti { &used } else { &[] };
        let Some(n) = placer.place(rng, cpu, mem, excluded) else {
            break;
        };
        if anti {
            used.push(n);
        }
        // Named as the StatefulSet or the ReplicaSet names them.
        let name = if stateful {
            format!("{app}-{r}")
        } else {
            format!("{app}-5d8f7c-{r:05x}")
        };
        let mut pod_spec = spec.clone();
        pod_spec["nodeName"] = json!(fleet.names[n]);
        let owner = (owner_kind, owner_name.as_str(), owner_uid.as_str());
        items.push(running_pod(&name, &namespace, &labels, owner, pod_spec));
    }
}

/// The pod spec of a drain workload: Spot-tolerant, with required hostname
/// anti-affinity to the pods `anti_affinity` selects.
fn drain_pod_spec(cpu_milli: i64, memory_mi: i64, anti_affinity: Option<&Value>) -> Value {
    let mut spec = json!({
        "tolerations": [{"key": SPOT_KEY, "operator": "Exists"}],
        "containers": [container("app", cpu_milli, memory_mi)],
    });
    if let Some(selector) = anti_affinity {
        spec["affinity"] = hostname_anti_affinity(selector);
    }
    spec
}

/// The PDB rule of drain workload `w`, in turn maxUnavailable 1,
/// maxUnavailable 10%, minAvailable 80% and minAvailable replicas−2.
fn drain_pdb_rule(w: usize, replicas: usize) -> Value {
    match w % 4 {
        0 => json!({"maxUnavailable": 1}),
        1 => json!({"maxUnavailable": "10%"}),
        2 => json!({"minAvailable": "80%"}),
        _ => json!({"minAvailable": replicas.saturating_sub(2)}),
    }
}
