//! A second, deliberately different family of capacity-planning scenarios
//! for sweeps over many seeds: where the ladder ([`super::generate::ladder`])
//! has one fixed set of pools and workload kinds, every seed here draws
//!
//! - its **pools**: a system pool, one to three general-purpose VM sizes
//!   (D, F or older D v3 series), and each of compute, memory (tainted or
//!   not), GPU, Windows and Spot pools with its own chance; random
//!   `maxCount`s, some pools with a `minCount`;
//! - **existing nodes**, partly used by bound pods, one sometimes cordoned;
//! - **DaemonSets** on every Linux node (one tolerating every taint), and
//!   one on Windows nodes;
//! - **workloads** of random shapes (tiny to 14-CPU pods, memory-heavy,
//!   batch Jobs, GPU, Windows, Spot-tolerant), with a per-scenario share of
//!   required hostname anti-affinity drawn from 0–60%, zone spread (some
//!   with `matchLabelKeys`), required node affinity to pools or zones,
//!   init containers larger than the main one, native sidecars
//!   (`restartPolicy: Always` init containers) and limits-only containers.
//!
//! Written as a Kubernetes `List` with `NodePool` objects, as `kubectl`
//! prints it plus podplan's pool kind. Its random source (a PCG-style
//! generator) and its shapes share nothing with the ladder's, so results
//! measured on it say how `place` does on clusters it was not tuned on.

use super::generate::LadderSize;
use serde_json::{json, Value};

/// The family's random source: a 64-bit LCG with an xorshift output
/// (PCG-XSH-RR-like); the same on every target.
struct Draw(u64);

impl Draw {
    fn new(seed: u64) -> Self {
        let mut d = Draw(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA076_1D64_78BD_642F);
        d.bits();
        d
    }

    fn bits(&mut self) -> u32 {
        let old = self.0;
        self.0 = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    /// A draw in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + ((u64::from(self.bits()) << 32 | u64::from(self.bits())) % span) as i64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        f64::from(self.bits()) / f64::from(u32::MAX) < p
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.int(0, items.len() as i64 - 1) as usize]
    }
}

/// The most CPUs a big pod may request: two less than the largest
/// general-purpose or compute VM of the scenario, so that it fits one.
fn largest_cpu(pools: &[Pool]) -> i64 {
    pools
        .iter()
        .filter(|p| matches!(p.role, Role::General | Role::Compute))
        .map(|p| allocatable_of(p.vm_size).0 / 1000 - 2)
        .max()
        .unwrap_or(2)
        .clamp(2, 14)
}

/// A pool the family may draw: name, VM size, price per hour, what its
/// nodes are for.
#[derive(Debug, Clone)]
struct Pool {
    name: String,
    vm_size: &'static str,
    cost: f64,
    role: Role,
    taint: Option<(&'static str, &'static str)>,
    max_count: u32,
    min_count: u32,
}

/// What a pool's nodes are for: which workloads may go there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    System,
    General,
    Compute,
    Memory,
    Gpu,
    Windows,
    Spot,
}

/// General-purpose sizes with pay-as-you-go Linux prices (eastus).
const GENERAL_SIZES: [(&str, f64); 7] = [
    ("Standard_D4s_v5", 0.192),
    ("Standard_D8s_v5", 0.384),
    ("Standard_D16s_v5", 0.768),
    ("Standard_D32s_v5", 1.536),
    ("Standard_D8s_v3", 0.384),
    ("Standard_D16s_v3", 0.768),
    ("Standard_DS3_v2", 0.293),
];
const COMPUTE_SIZES: [(&str, f64); 3] = [
    ("Standard_F8s_v2", 0.338),
    ("Standard_F16s_v2", 0.677),
    ("Standard_F32s_v2", 1.353),
];
const MEMORY_SIZES: [(&str, f64); 3] = [
    ("Standard_E8s_v5", 0.504),
    ("Standard_E16s_v5", 1.008),
    ("Standard_E32s_v5", 2.016),
];

/// The zones of every pool.
const ZONES: [&str; 3] = ["1", "2", "3"];

/// The AKS Spot label and taint key.
const SPOT_KEY: &str = "kubernetes.azure.com/scalesetpriority";

/// Pods and workloads of each size (the ladder's pod counts).
fn size_shape(size: LadderSize) -> (usize, usize) {
    match size {
        LadderSize::Xs => (40, 6),
        LadderSize::S => (400, 24),
        LadderSize::M => (4_000, 80),
        LadderSize::L => (30_000, 250),
        LadderSize::Xl => (150_000, 500),
    }
}

/// A scenario of the family (see the module docs).
pub fn family(size: LadderSize, seed: u64) -> Value {
    let mut draw = Draw::new(seed);
    let (pods, workloads) = size_shape(size);
    let pools = draw_pools(&mut draw, pods);
    let mut items: Vec<Value> = pools.iter().map(node_pool).collect();
    items.extend(daemon_sets());
    let mut existing = existing_nodes(&mut draw, &pools, pods);
    let anti_share = draw.int(0, 60) as f64 / 100.0;
    let mut shapes: Vec<Shape> = (0..workloads)
        .map(|w| Shape::draw(&mut draw, &pools, w, anti_share))
        .collect();
    // The last workload is a plain one without a replica cap, so that the
    // pods always have somewhere to go.
    if let Some(last) = shapes.last_mut() {
        *last = Shape::plain(&mut draw, workloads - 1);
    }
    let counts = replica_counts(&mut draw, &shapes, pods);
    for (w, (shape, &replicas)) in shapes.iter().zip(&counts).enumerate() {
        if replicas > 0 {
            items.push(shape.workload(w, replicas));
        }
    }
    items.extend(bound_pods(&mut draw, &mut existing, &shapes));
    items.extend(existing.into_iter().map(|n| n.object));
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// The pools of one scenario: system, one to three general sizes, and the
/// special pools each with its own chance.
fn draw_pools(draw: &mut Draw, pods: usize) -> Vec<Pool> {
    let big = (pods / 20).max(20) as u32;
    let mut pools = vec![Pool {
        name: "system".into(),
        vm_size: "Standard_D4s_v5",
        cost: 0.192,
        role: Role::System,
        taint: Some(("CriticalAddonsOnly", "true")),
        max_count: 5,
        min_count: 0,
    }];
    let mut generals: Vec<(&str, f64)> = GENERAL_SIZES.to_vec();
    for k in 0..draw.int(1, 3) {
        let (vm, cost) = generals.remove(draw.int(0, generals.len() as i64 - 1) as usize);
        // Some pools have a tight maxCount, never below what a capped
        // workload with anti-affinity needs.
        let max_count = if draw.chance(0.3) {
            (pods / 6) as u32
        } else {
            (pods / 2) as u32
        };
        let min_count = if k == 0 && draw.chance(0.3) {
            draw.int(1, 3) as u32
        } else {
            0
        };
        pools.push(plain_pool(
            format!("general{k}"),
            vm,
            cost,
            Role::General,
            max_count,
            min_count,
        ));
    }
    if draw.chance(0.5) {
        let (vm, cost) = *draw.pick(&COMPUTE_SIZES);
        pools.push(plain_pool(
            "compute".into(),
            vm,
            cost,
            Role::Compute,
            big * 2,
            0,
        ));
    }
    if draw.chance(0.7) {
        let (vm, cost) = *draw.pick(&MEMORY_SIZES);
        let mut p = plain_pool(
            "memory".into(),
            vm,
            cost,
            Role::Memory,
            (big * 2).max(64),
            0,
        );
        if draw.chance(0.6) {
            p.taint = Some(("workload", "memory"));
        }
        pools.push(p);
    }
    special_pools(draw, big, &mut pools);
    pools
}

/// GPU, Windows and Spot pools, each with its own chance.
fn special_pools(draw: &mut Draw, big: u32, pools: &mut Vec<Pool>) {
    if draw.chance(0.5) {
        let (vm, cost) = *draw.pick(&[
            ("Standard_NC24ads_A100_v4", 3.673),
            ("Standard_NC8as_T4_v3", 0.752),
        ]);
        let mut p = plain_pool("gpu".into(), vm, cost, Role::Gpu, (big / 4).max(30), 0);
        p.taint = Some(("sku", "gpu"));
        pools.push(p);
    }
    if draw.chance(0.4) {
        let mut p = plain_pool(
            "win".into(),
            "Standard_D8s_v5",
            0.752,
            Role::Windows,
            big,
            0,
        );
        p.taint = Some(("os", "windows"));
        pools.push(p);
    }
    if draw.chance(0.6) {
        let cost = 0.384 * (0.1 + draw.int(0, 20) as f64 / 100.0);
        let mut p = plain_pool(
            "spot".into(),
            "Standard_D8s_v5",
            round3(cost),
            Role::Spot,
            big,
            0,
        );
        p.taint = Some((SPOT_KEY, "spot"));
        pools.push(p);
    }
}

fn plain_pool(name: String, vm: &'static str, cost: f64, role: Role, max: u32, min: u32) -> Pool {
    Pool {
        name,
        vm_size: vm,
        cost,
        role,
        taint: None,
        // Room for every capped workload's anti-affinity replicas, even
        // with a zone excluded.
        max_count: max.max(64),
        min_count: min,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The NodePool object of a pool.
fn node_pool(p: &Pool) -> Value {
    let mut spec = json!({"vmSize": p.vm_size, "zones": ZONES, "costPerHour": p.cost,
        "maxCount": p.max_count, "labels": {"pool-role": format!("{:?}", p.role).to_lowercase()}});
    if p.min_count > 0 {
        spec["minCount"] = json!(p.min_count);
    }
    if let Some((k, v)) = p.taint {
        spec["taints"] = json!([{"key": k, "value": v, "effect": "NoSchedule"}]);
    }
    match p.role {
        Role::System => spec["mode"] = json!("System"),
        Role::Windows => spec["osType"] = json!("Windows"),
        Role::Spot => spec["priority"] = json!("Spot"),
        _ => {}
    }
    json!({"apiVersion": "podplan.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": p.name}, "spec": spec})
}

/// A log agent on every node (it tolerates every taint), a metrics agent
/// on Linux nodes, a Windows agent on Windows nodes.
fn daemon_sets() -> Vec<Value> {
    let ds = |name: &str, cpu: i64, mem: i64, os: &str, tolerate_all: bool| {
        let mut spec = json!({"containers": [container("agent", Some((cpu, mem)), None)],
            "nodeSelector": {"kubernetes.io/os": os}});
        if tolerate_all {
            spec["tolerations"] = json!([{"operator": "Exists"}]);
        }
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "observability"},
            "spec": {"selector": {"matchLabels": {"ds": name}},
                "template": {"metadata": {"labels": {"ds": name}}, "spec": spec}}})
    };
    vec![
        ds("log-agent", 100, 200, "linux", true),
        ds("metrics-agent", 50, 96, "linux", false),
        ds("win-agent", 200, 300, "windows", true),
    ]
}

/// A container with requests `(milli cpu, MiB)` and/or limits.
fn container(name: &str, requests: Option<(i64, i64)>, limits: Option<(i64, i64)>) -> Value {
    let q =
        |(cpu, mem): (i64, i64)| json!({"cpu": format!("{cpu}m"), "memory": format!("{mem}Mi")});
    let mut resources = json!({});
    if let Some(r) = requests {
        resources["requests"] = q(r);
    }
    if let Some(l) = limits {
        resources["limits"] = q(l);
    }
    json!({"name": name, "image": "registry.example/app:1", "resources": resources})
}

/// An existing node and what is left of it for bound pods.
struct Existing {
    name: String,
    role: Role,
    free_cpu: i64,
    free_mem: i64,
    object: Value,
}

/// Existing nodes: three system nodes, and a few nodes of some pools
/// (about one per 60 pods in all), one of them sometimes cordoned.
fn existing_nodes(draw: &mut Draw, pools: &[Pool], pods: usize) -> Vec<Existing> {
    let mut nodes = Vec::new();
    let extra = (pods / 60).clamp(1, 400);
    for (i, zone) in ZONES.iter().enumerate() {
        nodes.push(existing_node(&pools[0], i, zone));
    }
    for k in 0..extra {
        let pool = &pools[draw.int(1, pools.len() as i64 - 1) as usize];
        if pool.role == Role::Windows || draw.chance(0.3) {
            continue;
        }
        let node = existing_node(pool, 100 + k, ZONES[k % 3]);
        nodes.push(node);
    }
    if nodes.len() > 3 && draw.chance(0.5) {
        let i = draw.int(3, nodes.len() as i64 - 1) as usize;
        nodes[i].object["spec"]["unschedulable"] = json!(true);
    }
    nodes
}

/// Node `i` of `pool` in `zone`, with the VM size's allocatable as AKS
/// reserves it (approximated: the catalogue's rules apply to NodePools;
/// existing nodes state theirs).
fn existing_node(pool: &Pool, i: usize, zone: &str) -> Existing {
    let (cpu, mem) = allocatable_of(pool.vm_size);
    let name = format!("aks-{}-{i}", pool.name);
    let mut labels = json!({"kubernetes.azure.com/agentpool": pool.name,
        "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
        "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": pool.vm_size,
        "pool-role": format!("{:?}", pool.role).to_lowercase()});
    let mut spec = json!({});
    if let Some((k, v)) = pool.taint {
        spec["taints"] = json!([{"key": k, "value": v, "effect": "NoSchedule"}]);
    }
    if pool.role == Role::Spot {
        labels[SPOT_KEY] = json!("spot");
    }
    let mut allocatable =
        json!({"cpu": format!("{cpu}m"), "memory": format!("{mem}Mi"), "pods": "110"});
    if pool.role == Role::Gpu {
        allocatable["nvidia.com/gpu"] = json!("1");
    }
    let object = json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels}, "spec": spec,
        "status": {"allocatable": allocatable}});
    Existing {
        name,
        role: pool.role,
        free_cpu: cpu - 350,
        free_mem: mem - 600,
        object,
    }
}

/// Allocatable (milli CPU, MiB) of a VM size: vCPUs less AKS's CPU
/// reservation, memory less about 12% and the eviction threshold.
fn allocatable_of(vm_size: &str) -> (i64, i64) {
    let vcpus: i64 = vm_size
        .trim_start_matches("Standard_")
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap_or(4);
    let gib = if vm_size.contains("_E") {
        vcpus * 8
    } else if vm_size.contains("_F") {
        vcpus * 2
    } else if vm_size.contains("_NC24") {
        220
    } else if vm_size.contains("_NC8") {
        56
    } else if vm_size.contains("DS3") {
        14
    } else {
        vcpus * 4
    };
    let reserved_cpu = 60 + 40 * vcpus.min(16) / 4;
    (vcpus * 1000 - reserved_cpu, gib * 1024 * 88 / 100 - 100)
}

/// Replicas per workload, `pods` in all: random weights, GPU and Windows
/// workloads and those with anti-affinity kept small.
fn replica_counts(draw: &mut Draw, shapes: &[Shape], pods: usize) -> Vec<usize> {
    let weights: Vec<i64> = shapes
        .iter()
        .map(|s| if s.capped() { 0 } else { draw.int(20, 200) })
        .collect();
    let mut counts: Vec<usize> = shapes
        .iter()
        .map(|s| {
            if s.capped() {
                draw.int(1, s.cap() as i64) as usize
            } else {
                0
            }
        })
        .collect();
    // Capped workloads take at most 70% of the pods.
    let budget = pods * 7 / 10;
    let capped: usize = counts.iter().sum();
    if capped > budget {
        for c in counts.iter_mut().filter(|c| **c > 0) {
            *c = (*c * budget / capped).max(1);
        }
    }
    let small: usize = counts.iter().sum::<usize>().min(pods);
    let total: i64 = weights.iter().sum::<i64>().max(1);
    for (c, w) in counts.iter_mut().zip(&weights) {
        if *w > 0 {
            *c = (pods - small) * (*w as usize) / total as usize;
        }
    }
    let assigned: usize = counts.iter().sum();
    if let Some(i) = weights.iter().rposition(|w| *w > 0) {
        counts[i] += pods.saturating_sub(assigned);
    }
    counts
}

/// One workload's pod template and constraints.
#[derive(Debug, Clone)]
struct Shape {
    namespace: String,
    kind: &'static str,
    cpu: i64,
    mem: i64,
    gpu: bool,
    windows: bool,
    spot: bool,
    memory_pool: Option<&'static str>,
    anti_affinity: bool,
    spread: Option<bool>,
    zone_pin: Option<&'static str>,
    pool_pin: Option<String>,
    init: Option<(i64, i64)>,
    sidecar: Option<(i64, i64)>,
    limits_only: bool,
}

impl Shape {
    /// Draws workload `w`'s shape for the scenario's pools.
    fn draw(draw: &mut Draw, pools: &[Pool], w: usize, anti_share: f64) -> Shape {
        let has = |r: Role| pools.iter().any(|p| p.role == r);
        let mut s = Shape::plain(draw, w);
        let roll = draw.int(0, 99);
        if roll < 6 && has(Role::Gpu) {
            s.gpu = true;
            (s.cpu, s.mem) = (draw.int(2, 8) * 1000, draw.int(8, 40) * 1024);
        } else if roll < 12 && has(Role::Windows) {
            s.windows = true;
        } else if roll < 24 && has(Role::Memory) {
            (s.cpu, s.mem) = (draw.int(1, 6) * 500, draw.int(8, 40) * 1024);
            let tainted = pools
                .iter()
                .any(|p| p.role == Role::Memory && p.taint.is_some());
            s.memory_pool = tainted.then_some("memory");
        } else if roll < 32 {
            (s.cpu, s.mem) = (
                draw.int(4, largest_cpu(pools)) * 1000,
                draw.int(4, 28) * 1024,
            );
        } else if roll < 44 && has(Role::Spot) {
            s.spot = true;
            s.kind = "Job";
        }
        s.constrain(draw, pools, anti_share);
        s
    }

    /// A small or medium web/api pod in a tenant namespace.
    fn plain(draw: &mut Draw, w: usize) -> Shape {
        Shape {
            namespace: format!("team-{}", w % 9),
            kind: if draw.chance(0.15) {
                "StatefulSet"
            } else {
                "Deployment"
            },
            cpu: *draw.pick(&[50, 100, 250, 500, 750, 1000, 1500, 2000]),
            mem: *draw.pick(&[64, 128, 256, 512, 1024, 2048, 3072, 4096]),
            gpu: false,
            windows: false,
            spot: false,
            memory_pool: None,
            anti_affinity: false,
            spread: None,
            zone_pin: None,
            pool_pin: None,
            init: None,
            sidecar: None,
            limits_only: false,
        }
    }

    /// Anti-affinity, spread, node affinity and container extras.
    fn constrain(&mut self, draw: &mut Draw, pools: &[Pool], anti_share: f64) {
        let memory_bias = if self.memory_pool.is_some() { 0.3 } else { 0.0 };
        self.anti_affinity = !self.gpu && draw.chance((anti_share + memory_bias).min(0.9));
        if draw.chance(0.3) {
            self.spread = Some(draw.chance(0.5));
        }
        if draw.chance(0.08) {
            self.zone_pin = Some(*draw.pick(&["1", "2", "3"]));
        }
        // Pinned only to a general pool whose nodes hold the pod (with its
        // init container and sidecar) next to the DaemonSets.
        let (cpu, mem) = (self.cpu + 1500, self.mem + 2048);
        let generals: Vec<&Pool> = pools
            .iter()
            .filter(|p| p.role == Role::General)
            .filter(|p| {
                let (c, m) = allocatable_of(p.vm_size);
                c >= cpu && m >= mem
            })
            .collect();
        if !self.special() && generals.len() > 1 && draw.chance(0.15) {
            self.pool_pin = Some(draw.pick(&generals).name.clone());
        }
        if draw.chance(0.2) {
            self.init = Some((self.cpu + draw.int(1, 4) * 250, self.mem / 2 + 128));
        }
        if draw.chance(0.2) {
            self.sidecar = Some((draw.int(1, 4) * 50, draw.int(1, 4) * 64));
        }
        self.limits_only = draw.chance(0.1);
    }

    fn special(&self) -> bool {
        self.gpu || self.windows || self.spot || self.memory_pool.is_some()
    }

    /// Small workloads: GPU, Windows, and those with anti-affinity.
    fn capped(&self) -> bool {
        self.gpu || self.windows || self.anti_affinity
    }

    fn cap(&self) -> usize {
        if self.gpu {
            6
        } else if self.windows {
            12
        } else {
            24
        }
    }

    /// The workload object with `replicas` pods.
    fn workload(&self, w: usize, replicas: usize) -> Value {
        let name = format!("wl-{w}");
        let labels = json!({"app": name});
        let spec = self.pod_spec(&labels);
        let template = json!({"metadata": {"labels": labels}, "spec": spec});
        let selector = json!({"matchLabels": labels});
        let api = if self.kind == "Job" {
            "batch/v1"
        } else {
            "apps/v1"
        };
        let body = if self.kind == "Job" {
            json!({"parallelism": replicas, "completions": replicas, "template": template})
        } else {
            json!({"replicas": replicas, "selector": selector, "template": template})
        };
        json!({"apiVersion": api, "kind": self.kind,
            "metadata": {"name": name, "namespace": self.namespace}, "spec": body})
    }

    /// The pod template's spec.
    fn pod_spec(&self, labels: &Value) -> Value {
        let mut spec = json!({"containers": [self.main_container()]});
        if self.kind == "Job" {
            spec["restartPolicy"] = json!("Never");
        }
        let mut inits = Vec::new();
        if let Some(r) = self.init {
            inits.push(container("setup", Some(r), None));
        }
        if let Some(r) = self.sidecar {
            let mut c = container("proxy", Some(r), None);
            c["restartPolicy"] = json!("Always");
            inits.push(c);
        }
        if !inits.is_empty() {
            spec["initContainers"] = json!(inits);
        }
        self.placement(&mut spec, labels);
        spec
    }

    fn main_container(&self) -> Value {
        let mut c = if self.limits_only {
            container("main", None, Some((self.cpu, self.mem)))
        } else {
            container("main", Some((self.cpu, self.mem)), None)
        };
        if self.gpu {
            c["resources"]["limits"]["nvidia.com/gpu"] = json!("1");
        }
        c
    }

    /// Selectors, tolerations, affinity and spread.
    fn placement(&self, spec: &mut Value, labels: &Value) {
        let mut tolerations = Vec::new();
        let mut selector = serde_json::Map::new();
        let os = if self.windows { "windows" } else { "linux" };
        selector.insert("kubernetes.io/os".into(), json!(os));
        if self.gpu {
            tolerations.push(
                json!({"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}),
            );
            selector.insert("pool-role".into(), json!("gpu"));
        }
        if self.windows {
            tolerations.push(json!({"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"}));
        }
        if self.spot {
            tolerations.push(json!({"key": SPOT_KEY, "operator": "Equal", "value": "spot", "effect": "NoSchedule"}));
            selector.insert(SPOT_KEY.into(), json!("spot"));
        }
        if let Some(pool) = self.memory_pool {
            tolerations.push(json!({"key": "workload", "operator": "Equal", "value": pool, "effect": "NoSchedule"}));
            selector.insert("pool-role".into(), json!("memory"));
        }
        if let Some(pool) = &self.pool_pin {
            selector.insert("kubernetes.azure.com/agentpool".into(), json!(pool));
        }
        spec["nodeSelector"] = Value::Object(selector);
        if !tolerations.is_empty() {
            spec["tolerations"] = json!(tolerations);
        }
        self.affinity(spec, labels);
    }

    fn affinity(&self, spec: &mut Value, labels: &Value) {
        let selector = json!({"matchLabels": labels});
        let mut affinity = json!({});
        if self.anti_affinity {
            affinity["podAntiAffinity"] = json!({"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]});
        }
        if let Some(zone) = self.zone_pin {
            affinity["nodeAffinity"] = json!({"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone",
                    "operator": "NotIn", "values": [zone]}]}]}});
        }
        if affinity.as_object().is_some_and(|a| !a.is_empty()) {
            spec["affinity"] = affinity;
        }
        if let Some(with_keys) = self.spread {
            let mut c = json!({"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector});
            if with_keys {
                c["matchLabelKeys"] = json!(["pod-template-hash"]);
            }
            spec["topologySpreadConstraints"] = json!([c]);
        }
    }
}

/// Bound pods on the existing nodes: small pods of non-special workloads,
/// up to about half of each node, as Pods owned by nothing podplan reads
/// (they only take room).
fn bound_pods(draw: &mut Draw, nodes: &mut [Existing], shapes: &[Shape]) -> Vec<Value> {
    let mut pods = Vec::new();
    for node in nodes.iter_mut().filter(|n| n.role != Role::System) {
        let target = draw.int(10, 60);
        let (cpu_budget, mem_budget) = (node.free_cpu * target / 100, node.free_mem * target / 100);
        let (mut cpu, mut mem, mut k) = (0, 0, 0);
        while k < 40 {
            let shape = draw.pick(shapes);
            let (c, m) = (shape.cpu.min(2000), shape.mem.min(4096));
            if cpu + c > cpu_budget || mem + m > mem_budget {
                break;
            }
            (cpu, mem) = (cpu + c, mem + m);
            pods.push(bound_pod(&node.name, k, c, m));
            k += 1;
        }
    }
    pods
}

fn bound_pod(node: &str, k: usize, cpu: i64, mem: i64) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{node}-run-{k}"), "namespace": "running",
            "labels": {"app": "running"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "running-5d8f", "uid": "running", "controller": true}]},
        "spec": {"nodeName": node, "containers": [container("main", Some((cpu, mem)), None)]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{read_scenario, Input};

    /// Every seed of the small sizes reads, with its pods pending and
    /// distinct draws giving distinct scenarios.
    #[test]
    fn scenarios_read_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            let text = family(LadderSize::Xs, seed).to_string();
            let cluster = read_scenario(&[Input::new("family.json", &text)])
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(cluster.pending_pods().count(), 40, "seed {seed}");
            assert!(cluster.pools.len() >= 2, "seed {seed}");
            seen.insert(text);
        }
        assert_eq!(seen.len(), 20);
    }
}
