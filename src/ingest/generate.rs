//! A seeded generator of multi-tenant AKS-like scenarios at cluster scale,
//! written as a Kubernetes `List` (the same wire format `kubectl` prints),
//! for benchmarks and tests.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
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

const POOLS: [PoolShape; 5] = [
    PoolShape {
        name: "system",
        share: 5,
        cpu_milli: 3860,
        memory_mi: 14034,
        gpus: 0,
        taint: Some(("CriticalAddonsOnly", "true")),
    },
    PoolShape {
        name: "general",
        share: 60,
        cpu_milli: 7820,
        memory_mi: 30418,
        gpus: 0,
        taint: None,
    },
    PoolShape {
        name: "highmem",
        share: 15,
        cpu_milli: 15740,
        memory_mi: 128722,
        gpus: 0,
        taint: Some(("workload", "highmem")),
    },
    PoolShape {
        name: "gpu",
        share: 5,
        cpu_milli: 23660,
        memory_mi: 222920,
        gpus: 1,
        taint: Some(("sku", "gpu")),
    },
    PoolShape {
        name: "spot",
        share: 15,
        cpu_milli: 7820,
        memory_mi: 30418,
        gpus: 0,
        taint: Some(("kubernetes.azure.com/scalesetpriority", "spot")),
    },
];

const ZONES: [&str; 3] = ["1", "2", "3"];

/// Generates a scenario as a Kubernetes `List`.
pub fn generate(options: &GenerateOptions) -> Value {
    let mut rng = Rng(options.seed);
    let mut items = Vec::new();
    // Nodes, pool by share; remember each node's pool and free capacity.
    let mut node_pool = Vec::with_capacity(options.nodes);
    let mut free: Vec<(i64, i64, i64)> = Vec::with_capacity(options.nodes);
    let total_share: usize = POOLS.iter().map(|p| p.share).sum();
    for i in 0..options.nodes {
        let slot = i * total_share / options.nodes.max(1);
        let mut acc = 0;
        let pool = POOLS
            .iter()
            .position(|p| {
                acc += p.share;
                slot < acc
            })
            .unwrap_or(1);
        let p = &POOLS[pool];
        let name = format!("aks-{}-{i}", p.name);
        let mut node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.azure.com/agentpool": p.name,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": ZONES[i % ZONES.len()],
            }},
            "status": {"allocatable": {
                "cpu": format!("{}m", p.cpu_milli),
                "memory": format!("{}Mi", p.memory_mi),
                "pods": "110",
            }},
        });
        if p.gpus > 0 {
            node["status"]["allocatable"]["nvidia.com/gpu"] = json!(p.gpus.to_string());
        }
        if let Some((k, v)) = p.taint {
            node["spec"] = json!({"taints": [{"key": k, "value": v, "effect": "NoSchedule"}]});
        }
        items.push(node);
        node_pool.push(pool);
        free.push((p.cpu_milli, p.memory_mi, 110));
    }
    // Bound pods: workloads of 200 replicas placed round-robin on the
    // general and spot nodes that still have room.
    let hosts: Vec<usize> = (0..options.nodes)
        .filter(|n| matches!(POOLS[node_pool[*n]].name, "general" | "spot"))
        .collect();
    let workloads = options.bound_pods.div_ceil(200).max(1);
    let mut cursor = 0;
    for p in 0..options.bound_pods {
        if hosts.is_empty() {
            break;
        }
        let w = p % workloads;
        let (cpu, mem) = (50 + (w % 5) as i64 * 10, 64 + (w % 4) as i64 * 32);
        let mut host = None;
        for _ in 0..hosts.len() {
            let n = hosts[cursor % hosts.len()];
            cursor += 1;
            let f = &mut free[n];
            if f.0 >= cpu && f.1 >= mem && f.2 >= 1 {
                *f = (f.0 - cpu, f.1 - mem, f.2 - 1);
                host = Some(n);
                break;
            }
        }
        let Some(n) = host else { break };
        let name = format!("wl-{w}-rs-{p}");
        items.push(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": format!("tenant-{}", w % 20),
                "labels": {"app": format!("wl-{w}")},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": format!("wl-{w}-rs"), "controller": true, "uid": format!("rs-{w}")}]},
            "spec": {
                "nodeName": format!("aks-{}-{n}", POOLS[node_pool[n]].name),
                "tolerations": [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists"}],
                "containers": [{"name": "app", "resources": {"requests": {
                    "cpu": format!("{cpu}m"), "memory": format!("{mem}Mi")}}}],
            },
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        }));
    }
    // Pending pods: a third with required hostname anti-affinity, a third
    // with zone spread, a third plain; some share labels with bound workloads.
    let groups = if options.pending_workloads == 0 {
        options.pending_pods
    } else {
        options.pending_workloads
    };
    for g in 0..groups {
        let replicas = if options.pending_workloads == 0 {
            1
        } else {
            options.pending_pods / groups + usize::from(g < options.pending_pods % groups)
        };
        if replicas == 0 {
            continue;
        }
        let reuse_bound_labels = g % 4 == 0;
        let app = if reuse_bound_labels {
            format!("wl-{}", rng.below(workloads))
        } else {
            format!("new-{g}")
        };
        let namespace = if reuse_bound_labels {
            format!("tenant-{}", app[3..].parse::<usize>().unwrap_or(0) % 20)
        } else {
            format!("tenant-{}", g % 20)
        };
        let mut labels = json!({"app": app});
        if options.pending_workloads == 0 {
            labels["pod"] = json!(format!("p-{g}"));
        }
        let cpu = [100, 250, 500, 1000, 2000][rng.below(5)];
        let mem = [128, 512, 1024, 4096][rng.below(4)];
        let mut spec = json!({
            "containers": [{"name": "app", "resources": {"requests": {
                "cpu": format!("{cpu}m"), "memory": format!("{mem}Mi")}}}],
        });
        let selector = json!({"matchLabels": {"app": app}});
        match g % 3 {
            0 => {
                spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}});
            }
            1 => {
                spec["topologySpreadConstraints"] = json!([{"maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector}]);
            }
            _ => {
                if rng.below(3) == 0 {
                    spec["tolerations"] =
                        json!([{"key": "workload", "value": "highmem", "effect": "NoSchedule"}]);
                    spec["nodeSelector"] = json!({"kubernetes.azure.com/agentpool": "highmem"});
                }
            }
        }
        if options.pending_workloads == 0 {
            items.push(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pending-{g}"), "namespace": namespace, "labels": labels},
                "spec": spec,
            }));
        } else {
            items.push(json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("deploy-{g}"), "namespace": namespace},
                "spec": {"replicas": replicas, "selector": {"matchLabels": labels.clone()},
                    "template": {"metadata": {"labels": labels}, "spec": spec}},
            }));
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
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

/// A capacity-planning scenario of the ladder: system, general (two
/// sizes), high-memory, GPU, Windows and Spot pools over three zones with
/// AKS prices; three existing system nodes; many small web workloads, some
/// memory-heavy, a few GPU jobs, Windows pods, Spot-tolerant batch; some
/// with required hostname anti-affinity, some with zone spread; a DaemonSet
/// on every Linux node and PDBs.
pub fn ladder(size: LadderSize, seed: u64) -> Value {
    let (pods, workloads) = size.shape();
    let mut rng = Rng(seed ^ 0x5EED);
    let zones = json!(["1", "2", "3"]);
    let pool = |name: &str, vm: &str, cost: f64, extra: Value| {
        let mut spec = json!({"vmSize": vm, "zones": zones, "costPerHour": cost, "maxCount": 1000});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                spec.insert(k.clone(), v.clone());
            }
        }
        json!({"apiVersion": "podplan.dev/v1alpha1", "kind": "NodePool",
               "metadata": {"name": name}, "spec": spec})
    };
    let mut items = vec![
        pool(
            "system",
            "Standard_D4s_v5",
            0.192,
            json!({"mode": "System", "maxCount": 5,
            "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]}),
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
            "taints": [{"key": "workload", "value": "highmem", "effect": "NoSchedule"}]}),
        ),
        pool(
            "gpu",
            "Standard_NC24ads_A100_v4",
            3.673,
            json!({"labels": {"workload": "ml"},
            "taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}], "maxCount": 200}),
        ),
        pool(
            "win",
            "Standard_D4s_v5",
            0.376,
            json!({"osType": "Windows",
            "taints": [{"key": "os", "value": "windows", "effect": "NoSchedule"}]}),
        ),
        pool(
            "spot",
            "Standard_D8s_v5",
            0.077,
            json!({"priority": "Spot", "maxPods": 250}),
        ),
    ];
    for (i, zone) in ZONES.iter().enumerate() {
        let name = format!("aks-system-{i}");
        items.push(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.azure.com/agentpool": "system", "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}},
            "spec": {"taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"cpu": "3860m", "memory": "14034Mi", "pods": "110"}}}));
    }
    items.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "node-exporter", "namespace": "monitoring"},
        "spec": {"selector": {"matchLabels": {"app": "node-exporter"}},
            "template": {"metadata": {"labels": {"app": "node-exporter"}}, "spec": {
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "tolerations": [{"operator": "Exists"}],
                "containers": [{"name": "exporter", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]}}}}));
    // Kinds first; GPU, memory-heavy and Windows workloads stay small, as
    // in real clusters; the other pods are shared among the rest with
    // random weights.
    let kinds: Vec<usize> = (0..workloads)
        .map(|w| {
            if w + 1 == workloads {
                99
            } else {
                rng.below(100)
            }
        })
        .collect();
    let small_cap = |kind: usize| match kind {
        0..=7 => Some(24),
        8..=9 => Some(4),
        10..=14 => Some(24),
        _ => None,
    };
    let mean = (pods / workloads).max(1);
    let mut counts: Vec<usize> = kinds
        .iter()
        .map(|k| small_cap(*k).map_or(0, |cap| (mean / 2 + rng.below(mean)).min(cap)))
        .collect();
    let small: usize = counts.iter().sum::<usize>().min(pods);
    let weights: Vec<usize> = kinds
        .iter()
        .map(|k| {
            if small_cap(*k).is_none() {
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
    for w in 0..workloads {
        let kind = kinds[w];
        let replicas = counts[w];
        if replicas == 0 {
            continue;
        }
        let namespace = format!("tenant-{}", w % 12);
        let name = format!("app-{w}");
        let (cpu, mem, mut spec) = match kind {
            // memory-heavy
            0..=7 => (
                [1000, 2000, 4000][rng.below(3)],
                [8192, 16384, 32768][rng.below(3)],
                json!({"nodeSelector": {"workload": "highmem"},
                       "tolerations": [{"key": "workload", "value": "highmem", "effect": "NoSchedule"}]}),
            ),
            // GPU jobs
            8..=9 => (
                8000,
                65536,
                json!({"nodeSelector": {"workload": "ml"},
                "tolerations": [{"key": "sku", "operator": "Exists", "effect": "NoSchedule"}]}),
            ),
            // Windows
            10..=14 => (
                [250, 500, 1000][rng.below(3)],
                [512, 1024, 2048][rng.below(3)],
                json!({"nodeSelector": {"kubernetes.io/os": "windows"},
                       "tolerations": [{"key": "os", "value": "windows", "effect": "NoSchedule"}]}),
            ),
            // Spot-tolerant batch
            15..=29 => (
                [100, 200, 500][rng.below(3)],
                [128, 256, 512][rng.below(3)],
                json!({"tolerations": [{"key": "kubernetes.azure.com/scalesetpriority",
                    "value": "spot", "effect": "NoSchedule"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"}}),
            ),
            // web
            _ => (
                [50, 100, 100, 200, 250][rng.below(5)],
                [64, 128, 128, 256, 512][rng.below(5)],
                json!({"nodeSelector": {"kubernetes.io/os": "linux"}}),
            ),
        };
        let mut resources =
            json!({"requests": {"cpu": format!("{cpu}m"), "memory": format!("{mem}Mi")}});
        if (8..=9).contains(&kind) {
            resources["limits"] = json!({"nvidia.com/gpu": "1"});
        }
        spec["containers"] = json!([{"name": "main", "resources": resources}]);
        let selector = json!({"matchLabels": {"app": name}});
        let constraint = rng.below(10);
        if constraint < 2 && replicas <= 50 {
            spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}});
        } else if constraint < 5 {
            spec["topologySpreadConstraints"] = json!([{"maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector}]);
        }
        items.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": selector,
                "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}));
        if w % 5 == 0 {
            items.push(
                json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"maxUnavailable": 1, "selector": selector}}),
            );
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
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

/// A running multi-tenant cluster to drain: NodePool objects, nodes in
/// three zones, a DaemonSet, workloads whose running pods fill the `drain`,
/// `general` and `spot` pools to about 40%, every workload guarded by a
/// PDB (maxUnavailable 1, maxUnavailable 10%, minAvailable 80% or
/// minAvailable replicas−2), a tenth of them with required hostname
/// anti-affinity, a tenth StatefulSets. `podplan drain --pool drain` then
/// moves about a fifth of the pods.
pub fn drain_scenario(options: &DrainScenarioOptions) -> Value {
    let mut rng = Rng(options.seed ^ 0xD4A1);
    let mut items = Vec::new();
    let shape = |name, share, cpu_milli, memory_mi, taint| PoolShape {
        name,
        share,
        cpu_milli,
        memory_mi,
        gpus: 0,
        taint,
    };
    let pools: [PoolShape; 5] = [
        shape(
            "system",
            4,
            3860,
            14034,
            Some(("CriticalAddonsOnly", "true")),
        ),
        shape("drain", 20, 7820, 30418, None),
        shape("general", 56, 7820, 30418, None),
        shape(
            "spot",
            12,
            7820,
            30418,
            Some(("kubernetes.azure.com/scalesetpriority", "spot")),
        ),
        shape("highmem", 8, 15740, 128722, Some(("workload", "highmem"))),
    ];
    let vm = [
        "Standard_D4s_v5",
        "Standard_D8s_v5",
        "Standard_D8s_v5",
        "Standard_D8s_v5",
        "Standard_E16s_v5",
    ];
    for (i, pool) in pools.iter().enumerate() {
        let name = pool.name;
        let mut spec =
            json!({"vmSize": vm[i], "zones": ZONES, "maxCount": 10_000, "costPerHour": 0.384});
        if let Some((k, v)) = pool.taint {
            spec["taints"] = json!([{"key": k, "value": v, "effect": "NoSchedule"}]);
        }
        items.push(
            json!({"apiVersion": "podplan.dev/v1alpha1", "kind": "NodePool",
            "metadata": {"name": name}, "spec": spec}),
        );
    }
    let total: usize = pools.iter().map(|p| p.share).sum();
    let mut hosts = Vec::new();
    let mut free: Vec<(i64, i64, i64)> = Vec::new();
    let mut names = Vec::new();
    for i in 0..options.nodes {
        let slot = i * total / options.nodes.max(1);
        let mut acc = 0;
        let p = pools
            .iter()
            .position(|p| {
                acc += p.share;
                slot < acc
            })
            .unwrap_or(2);
        let PoolShape {
            name: pool,
            cpu_milli: cpu,
            memory_mi: mem,
            taint,
            ..
        } = pools[p];
        let name = format!("aks-{pool}-{i}");
        let mut node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.azure.com/agentpool": pool,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": ZONES[i % ZONES.len()],
            }},
            "status": {"allocatable": {"cpu": format!("{cpu}m"), "memory": format!("{mem}Mi"), "pods": "110"}},
        });
        if let Some((k, v)) = taint {
            node["spec"] = json!({"taints": [{"key": k, "value": v, "effect": "NoSchedule"}]});
        }
        items.push(node);
        if matches!(pool, "drain" | "general" | "spot") {
            hosts.push(free.len());
        }
        // The DaemonSet below takes 100m / 128Mi on every node.
        free.push((cpu * 4 / 10 - 100, mem * 4 / 10 - 128, 60));
        names.push(name);
    }
    items.push(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "node-agent", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": "node-agent"}},
            "template": {"metadata": {"labels": {"app": "node-agent"}},
                "spec": {"tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "agent", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}},
    }));
    let workloads = options.workloads.max(1);
    let mut cursor = rng.below(hosts.len().max(1));
    for w in 0..workloads {
        let replicas = options.pods / workloads + usize::from(w < options.pods % workloads);
        if replicas == 0 || hosts.is_empty() {
            continue;
        }
        let namespace = format!("tenant-{}", w % 50);
        let app = format!("app-{w}");
        let stateful = w % 10 == 3;
        let anti = w % 10 == 7;
        let (cpu, mem) = (20 + (w % 7) as i64 * 10, 32 + (w % 5) as i64 * 32);
        let labels = json!({"app": app});
        let mut spec = json!({
            "tolerations": [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists"}],
            "containers": [{"name": "app", "resources": {"requests": {
                "cpu": format!("{cpu}m"), "memory": format!("{mem}Mi")}}}],
        });
        if anti {
            spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]}});
        }
        let (kind, owner_kind, owner_name) = if stateful {
            ("StatefulSet", "StatefulSet", app.clone())
        } else {
            ("Deployment", "ReplicaSet", format!("{app}-5d8f7c"))
        };
        items.push(json!({
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": app, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": spec}},
        }));
        let rule = match w % 4 {
            0 => json!({"maxUnavailable": 1}),
            1 => json!({"maxUnavailable": "10%"}),
            2 => json!({"minAvailable": "80%"}),
            _ => json!({"minAvailable": replicas.saturating_sub(2)}),
        };
        let mut pdb_spec = rule;
        pdb_spec["selector"] = json!({"matchLabels": labels});
        items.push(json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": app, "namespace": namespace}, "spec": pdb_spec,
        }));
        let mut used: Vec<usize> = Vec::new();
        for r in 0..replicas {
            let mut host = None;
            // Random hosts, as the scheduler's default spreading scatters a
            // workload's replicas over the cluster.
            for _ in 0..hosts.len() {
                let n = hosts[(cursor + rng.below(hosts.len())) % hosts.len()];
                cursor += 1;
                let f = &mut free[n];
                if f.0 >= cpu && f.1 >= mem && f.2 >= 1 && !(anti && used.contains(&n)) {
                    *f = (f.0 - cpu, f.1 - mem, f.2 - 1);
                    host = Some(n);
                    break;
                }
            }
            let Some(n) = host else { break };
            if anti {
                used.push(n);
            }
            let name = if stateful {
                format!("{app}-{r}")
            } else {
                format!("{app}-5d8f7c-{r:05x}")
            };
            let mut pod_spec = spec.clone();
            pod_spec["nodeName"] = json!(names[n]);
            items.push(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace, "labels": labels,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                        "name": owner_name, "controller": true, "uid": format!("{kind}-{w}")}]},
                "spec": pod_spec,
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
            }));
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}
