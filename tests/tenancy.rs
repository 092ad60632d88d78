//! `tenancy`: on the bundled example the figures add up (layouts are the
//! sum of their parts and runs, tenant rows add up to their layout, causes
//! to the differences, every plan validated); on a generated scenario
//! with five tenants the layouts come in the expected order; a case where
//! they do not; bad options are errors.

use podplan::report::place::PlanStatus;
use podplan::report::tenancy::HOURS_PER_MONTH;
use podplan::{read_scenario, tenancy, Error, Input, TenancyOptions, TenancyReport};
use std::fmt::Write;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn run(yaml: &str, options: &TenancyOptions) -> podplan::Result<TenancyReport> {
    let cluster = read_scenario(&[Input::new("scenario.yaml", yaml)])?;
    tenancy(&cluster, options)
}

fn example() -> String {
    std::fs::read_to_string(format!("{ROOT}/examples/aks-multitenant.yaml")).unwrap()
}

/// The figures of any report add up.
fn assert_adds_up(r: &TenancyReport) {
    assert_eq!(r.layouts.len(), 3);
    for l in &r.layouts {
        let runs: f64 = l.runs.iter().map(|run| run.cost).sum();
        let fee = f64::from(l.clusters) * r.control_plane_cost;
        assert!(
            close(l.cost, runs + fee),
            "{}: {} vs {}",
            l.name,
            l.cost,
            runs + fee
        );
        assert!(close(l.cost, l.parts.total()), "{}", l.name);
        assert!(close(l.parts.control_planes, fee), "{}", l.name);
        assert!(close(l.cost_per_month, l.cost * HOURS_PER_MONTH));
        let bounds: f64 = l.runs.iter().map(|run| run.lower_bound).sum();
        assert!(close(l.lower_bound, bounds + fee));
        assert!(l.lower_bound <= l.cost + 1e-9);
        let tenants: f64 = l.tenants.iter().map(|t| t.cost).sum();
        assert!(close(l.cost, tenants), "{}: tenants {tenants}", l.name);
        assert!(l.runs.iter().all(|run| run.validated));
        let nodes: u32 = l.nodes.values().sum();
        let run_nodes: u32 = l.runs.iter().flat_map(|run| run.nodes.values()).sum();
        assert_eq!(nodes, run_nodes);
    }
    let cost = |name: &str| r.layouts.iter().find(|l| l.name == name).unwrap().cost;
    assert_eq!(r.differences.len(), 3);
    for d in &r.differences {
        assert!(close(d.total, cost(&d.to) - cost(&d.from)));
        let causes = d.control_planes + d.system_pools + d.daemon_sets + d.fragmentation;
        assert!(close(d.total, causes), "{} -> {}", d.from, d.to);
    }
}

#[test]
fn the_bundled_example_adds_up() {
    let r = run(&example(), &TenancyOptions::default()).unwrap();
    assert_eq!(r.tenants, ["analytics", "batch", "legacy", "ml", "shop"]);
    assert_eq!(r.infrastructure_pods, 1);
    assert_adds_up(&r);
    let [shared, pools, clusters] = [&r.layouts[0], &r.layouts[1], &r.layouts[2]];
    assert_eq!(shared.clusters, 1);
    assert_eq!(clusters.clusters, 5);
    assert_eq!(clusters.runs.len(), 5);
    // Every tenant's pods are placed in every layout: 17 tenant pods and
    // coredns, once per cluster.
    for l in &r.layouts {
        assert!(l.runs.iter().all(|run| run.unplaced.is_empty()));
        let pods: usize = l.tenants.iter().map(|t| t.pods).sum();
        assert_eq!(pods, 17);
        assert_eq!(l.pods, 17 + l.clusters as usize);
    }
    // Here each tenant already has pools of its own: dedicating them costs
    // nothing; a cluster each costs 4 more control planes and 4 more
    // system nodes.
    assert!(close(pools.cost, shared.cost));
    let d = &r.differences[1];
    assert!(close(d.control_planes, 0.4));
    assert!(close(d.system_pools, 4.0 * 0.192));
    assert_eq!(pools.nodes.get("general-shop"), Some(&4));
    assert_eq!(clusters.nodes.get("system"), Some(&5));
}

/// A generated multi-tenant scenario: a system pool (coredns), a general
/// pool, a DaemonSet on every Linux node, and `tenants` tenants whose
/// Deployments have a few medium pods each, of different shapes.
fn generated(tenants: usize, general_max: u32, extra_pools: &str) -> String {
    let mut y = format!(
        r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {{name: system}}
spec:
  vmSize: Standard_D4s_v5
  mode: System
  taints: [{{key: CriticalAddonsOnly, value: "true", effect: NoSchedule}}]
  minCount: 1
  maxCount: 20
  costPerHour: 0.192
---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {{name: general}}
spec:
  vmSize: Standard_D8s_v5
  maxCount: {general_max}
  costPerHour: 0.384
{extra_pools}---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: monitoring}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      tolerations: [{{operator: Exists}}]
      containers: [{{name: a, resources: {{requests: {{cpu: 200m, memory: 256Mi}}}}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: coredns, namespace: kube-system}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: dns}}}}
  template:
    metadata: {{labels: {{app: dns}}}}
    spec:
      tolerations: [{{key: CriticalAddonsOnly, operator: Exists}}]
      containers: [{{name: d, resources: {{requests: {{cpu: 100m, memory: 70Mi}}}}}}]
"#
    );
    for t in 0..tenants {
        let _ = write!(
            y,
            r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app, namespace: tenant-{t}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      containers: [{{name: c, resources: {{requests: {{cpu: {cpu}m, memory: {memory}Mi}}}}}}]
"#,
            replicas = 3 + t,
            cpu = 900 + 400 * t,
            memory = 1536 + 1024 * t,
        );
    }
    y
}

#[test]
fn five_generated_tenants_cost_more_the_more_they_are_isolated() {
    let options = TenancyOptions {
        time_limit: 6.0,
        ..TenancyOptions::default()
    };
    let r = run(&generated(5, 50, ""), &options).unwrap();
    assert_eq!(r.tenants.len(), 5);
    assert_adds_up(&r);
    let [shared, pools, clusters] = [&r.layouts[0], &r.layouts[1], &r.layouts[2]];
    for l in &r.layouts {
        assert!(
            l.runs.iter().all(|run| run.unplaced.is_empty()),
            "{}",
            l.name
        );
    }
    assert!(
        shared.cost <= pools.cost + 1e-9,
        "{} {}",
        shared.cost,
        pools.cost
    );
    assert!(
        pools.cost <= clusters.cost + 1e-9,
        "{} {}",
        pools.cost,
        clusters.cost
    );
    // Each tenant rounds up to whole nodes of its own: some fragmentation
    // (the plans are optimal, so it is real, not the solver's).
    assert!(r
        .layouts
        .iter()
        .flat_map(|l| &l.runs)
        .all(|run| run.status == PlanStatus::Optimal));
    assert!(
        r.differences[0].fragmentation > 0.0,
        "{:?}",
        r.differences[0]
    );
    assert!(close(r.differences[1].control_planes, 0.4));
    // Four more clusters, four more system nodes (their minCount 1).
    assert!(close(r.differences[1].system_pools, 4.0 * 0.192));
}

/// Where the order does not hold: a pool's maxCount is a quota per pool,
/// and each tenant's copy of the pool has its own. With the cheap
/// `general` pool capped at 2 nodes, the shared layout must put what does
/// not fit on them on the pricier `large` pool (E32, memory-optimised), while each tenant's
/// copy of `general` may have 2 nodes of its own: dedicated pools are
/// cheaper than shared ones (and, with the control plane free, so are
/// dedicated clusters). Three tenants: each fits its own two general
/// nodes, together they do not.
#[test]
fn a_max_count_quota_makes_dedicated_pools_cheaper_than_shared() {
    let large = r#"---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: large}
spec:
  vmSize: Standard_E32s_v5
  maxCount: 10
  costPerHour: 2.016
"#;
    let options = TenancyOptions {
        time_limit: 6.0,
        control_plane_cost: 0.0,
        ..TenancyOptions::default()
    };
    let r = run(&generated(3, 2, large), &options).unwrap();
    assert_adds_up(&r);
    let [shared, pools, clusters] = [&r.layouts[0], &r.layouts[1], &r.layouts[2]];
    assert!(
        shared.nodes.get("large").is_some_and(|&n| n > 0),
        "{:?}",
        shared.nodes
    );
    assert!(pools.cost < shared.cost, "{} {}", pools.cost, shared.cost);
    assert!(
        clusters.cost < shared.cost,
        "{} {}",
        clusters.cost,
        shared.cost
    );
    assert!(r.differences[0].fragmentation < 0.0);
}

#[test]
fn label_tenants_and_a_subset() {
    let yaml = example().replace(
        "labels: {run: debug-shell}",
        "labels: {run: debug-shell, app: debug}",
    );
    let options = TenancyOptions {
        tenant_by: "label:app".into(),
        tenants: vec!["web".into(), "db".into()],
        ..TenancyOptions::default()
    };
    let r = run(&yaml, &options).unwrap();
    assert_eq!(r.tenants, ["db", "web"]);
    assert_adds_up(&r);
    let pods: usize = r.layouts[0].tenants.iter().map(|t| t.pods).sum();
    assert_eq!(pods, 7);
}

#[test]
fn bad_options_are_errors() {
    let yaml = example();
    let bad = [
        TenancyOptions {
            tenant_by: "owner".into(),
            ..TenancyOptions::default()
        },
        TenancyOptions {
            tenant_by: "label:".into(),
            ..TenancyOptions::default()
        },
        TenancyOptions {
            tenant_by: "label:team".into(),
            ..TenancyOptions::default()
        },
        TenancyOptions {
            tenants: vec!["shop".into(), "nope".into()],
            ..TenancyOptions::default()
        },
        TenancyOptions {
            control_plane_cost: -0.1,
            ..TenancyOptions::default()
        },
        TenancyOptions {
            control_plane_cost: f64::NAN,
            ..TenancyOptions::default()
        },
        TenancyOptions {
            time_limit: 0.0,
            ..TenancyOptions::default()
        },
    ];
    for options in bad {
        let e = run(&yaml, &options).unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e}");
    }
    // No NodePools: nothing to plan from scratch on.
    let no_pools = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c}]}\n";
    assert!(matches!(
        run(no_pools, &TenancyOptions::default()),
        Err(Error::Usage(_))
    ));
}

#[test]
fn the_cli_prints_json_and_exits_2_on_bad_options() {
    let podplan = env!("CARGO_BIN_EXE_podplan");
    let example = format!("{ROOT}/examples/aks-multitenant.yaml");
    let out = std::process::Command::new(podplan)
        .args([
            "tenancy",
            &example,
            "-o",
            "json",
            "--control-plane-cost",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: TenancyReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_adds_up(&report);
    assert_eq!(report.layouts[2].parts.control_planes, 0.0);
    let out = std::process::Command::new(podplan)
        .args(["tenancy", &example, "--tenant-by", "owner"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tenant-by \"owner\""), "{stderr}");
}

/// A pod that fits no pool: every layout reports it unplaced (with
/// kube-scheduler's reason) and the figures still add up.
#[test]
fn a_pod_that_fits_nowhere_is_reported_in_every_layout() {
    let yaml = format!(
        "{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: giant, namespace: tenant-9}}\nspec: {{containers: [{{name: c, resources: {{requests: {{cpu: \"100\"}}}}}}]}}\n",
        generated(2, 10, "")
    );
    let options = TenancyOptions {
        time_limit: 3.0,
        ..TenancyOptions::default()
    };
    let r = run(&yaml, &options).unwrap();
    assert_adds_up(&r);
    for l in &r.layouts {
        let unplaced: Vec<&String> = l.runs.iter().flat_map(|run| &run.unplaced).collect();
        assert_eq!(unplaced.len(), 1, "{}", l.name);
        assert!(
            unplaced[0].starts_with("tenant-9/giant: "),
            "{}",
            unplaced[0]
        );
    }
}

/// An extra, empty node of pool `general`, and a node of no pool.
const IDLE_GENERAL_NODE: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: aks-general-9
  labels: {kubernetes.azure.com/agentpool: general, kubernetes.azure.com/mode: user, kubernetes.io/os: linux, kubernetes.io/hostname: aks-general-9, topology.kubernetes.io/zone: "1", node.kubernetes.io/instance-type: Standard_D8s_v5}
status: {allocatable: {cpu: 7820m, memory: 30418Mi, pods: "110"}}
"#;
const NODE_OF_NO_POOL: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: byo-0, labels: {kubernetes.io/os: linux, kubernetes.io/hostname: byo-0}}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
"#;

/// `--keep-existing`: `shared` is the cluster as it runs. Its cost is its
/// nodes' prices plus `place`'s new nodes on that cluster (and the control
/// plane); every pod is counted, kept or placed; an idle node is paid for;
/// it costs no less than from scratch; the dedicated layouts are
/// unchanged, and the figures still add up.
#[test]
fn keep_existing_plans_shared_as_it_runs() {
    let example = example();
    let inputs = [
        Input::new("aks-multitenant.yaml", &example),
        Input::new("idle.yaml", IDLE_GENERAL_NODE),
    ];
    let cluster = read_scenario(&inputs).unwrap();
    let keep = TenancyOptions {
        keep_existing: true,
        time_limit: 6.0,
        ..TenancyOptions::default()
    };
    let kept = tenancy(&cluster, &keep).unwrap();
    assert!(kept.keep_existing);
    assert_adds_up(&kept);
    let scratch = tenancy(
        &cluster,
        &TenancyOptions {
            time_limit: 6.0,
            ..TenancyOptions::default()
        },
    )
    .unwrap();
    assert!(!scratch.keep_existing);
    // The nodes as they run, each at its pool's price.
    let price = |pool: &str| {
        cluster
            .pools
            .iter()
            .find(|p| p.name == pool)
            .unwrap()
            .cost_per_hour
    };
    let running: f64 = cluster
        .nodes
        .iter()
        .map(|n| price(&n.labels["kubernetes.azure.com/agentpool"]))
        .sum();
    let plan = podplan::place(&cluster, &podplan::PlaceOptions::default()).unwrap();
    assert_eq!(plan.status, PlanStatus::Optimal);
    let shared = &kept.layouts[0];
    assert_eq!(shared.runs[0].status, PlanStatus::Optimal);
    assert!(
        close(shared.cost, running + plan.cost + kept.control_plane_cost),
        "{} vs {running} + {} + fee",
        shared.cost,
        plan.cost
    );
    // Every pod of the from-scratch layout is there, kept or placed.
    assert_eq!(shared.pods, scratch.layouts[0].pods);
    // Every node as it runs is paid for, the idle one too; the running
    // cluster is one packing of the from-scratch problem, whose optimum
    // it cannot beat.
    let general = cluster
        .nodes
        .iter()
        .filter(|n| n.name.starts_with("aks-general"))
        .count();
    assert!(shared.nodes["general"] as usize >= general);
    assert_eq!(scratch.layouts[0].runs[0].status, PlanStatus::Optimal);
    assert!(shared.cost >= scratch.layouts[0].cost - 1e-9);
    for (a, b) in kept.layouts[1..].iter().zip(&scratch.layouts[1..]) {
        assert_eq!(a.nodes, b.nodes, "{}", a.name);
        assert!(close(a.cost, b.cost), "{}", a.name);
    }
    assert!(kept.to_text().contains("shared: the cluster as it runs"));
    let json = serde_json::to_value(&kept).unwrap();
    assert_eq!(json["keepExisting"], true);
    assert!(serde_json::to_value(&scratch)
        .unwrap()
        .get("keepExisting")
        .is_none());
}

/// `--keep-existing` with a node in no NodePool (its price unknown), or
/// with `--tenants`: errors that say so.
#[test]
fn keep_existing_needs_priced_nodes_and_every_tenant() {
    let example = example();
    let inputs = [
        Input::new("aks-multitenant.yaml", &example),
        Input::new("byo.yaml", NODE_OF_NO_POOL),
    ];
    let cluster = read_scenario(&inputs).unwrap();
    let keep = TenancyOptions {
        keep_existing: true,
        ..TenancyOptions::default()
    };
    let e = tenancy(&cluster, &keep).unwrap_err().to_string();
    assert!(e.contains("node byo-0 is in no NodePool"), "{e}");
    let subset = TenancyOptions {
        tenants: vec!["shop".into()],
        ..keep
    };
    let e = run(&example, &subset).unwrap_err().to_string();
    assert!(
        e.contains("--keep-existing") && e.contains("--tenants"),
        "{e}"
    );
}
