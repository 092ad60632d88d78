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
    PoolShape { name: "system", share: 5, cpu_milli: 3860, memory_mi: 14034, gpus: 0, taint: Some(("CriticalAddonsOnly", "true")) },
    PoolShape { name: "general", share: 60, cpu_milli: 7820, memory_mi: 30418, gpus: 0, taint: None },
    PoolShape { name: "highmem", share: 15, cpu_milli: 15740, memory_mi: 128722, gpus: 0, taint: Some(("workload", "highmem")) },
    PoolShape { name: "gpu", share: 5, cpu_milli: 23660, memory_mi: 222920, gpus: 1, taint: Some(("sku", "gpu")) },
    PoolShape { name: "spot", share: 15, cpu_milli: 7820, memory_mi: 30418, gpus: 0, taint: Some(("kubernetes.azure.com/scalesetpriority", "spot")) },
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
                    spec["tolerations"] = json!([{"key": "workload", "value": "highmem", "effect": "NoSchedule"}]);
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
