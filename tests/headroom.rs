//! `headroom`: copies of a pod added as kube-scheduler would bind them,
//! checked against an independent brute-force oracle and hand cases.

use podplan::model::{Cluster, NodeId, Pod, PodId, PodOrigin, PodPhase, WorkloadId};
use podplan::predicates::{self, PodState, Snapshot};
use podplan::report::headroom::PodManifest;
use podplan::scoring::Scorer;
use podplan::{headroom, read_scenario, Error, HeadroomOptions, HeadroomReport, Input};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;
use std::sync::Arc;

// ------------------------------------------------------------------ helpers

/// A node in YAML: hostname = name, zone label when given.
fn node(name: &str, zone: Option<&str>, cpu: &str, memory: &str, pods: u32, taint: bool) -> String {
    let zone = zone
        .map(|z| format!(", topology.kubernetes.io/zone: \"{z}\""))
        .unwrap_or_default();
    let taints = if taint {
        "\n  spec: {taints: [{key: dedicated, value: x, effect: NoSchedule}]}"
    } else {
        ""
    };
    format!(
        "- apiVersion: v1\n  kind: Node\n  metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{zone}}}}}{taints}\n  status: {{allocatable: {{cpu: \"{cpu}\", memory: {memory}, pods: \"{pods}\"}}}}\n"
    )
}

/// A bound pod in YAML.
fn bound(name: &str, app: &str, node: &str, cpu: &str) -> String {
    format!(
        "- apiVersion: v1\n  kind: Pod\n  metadata: {{name: {name}, namespace: default, labels: {{app: {app}}}}}\n  spec:\n    nodeName: {node}\n    containers: [{{name: c, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]\n  status: {{phase: Running}}\n"
    )
}

/// A Deployment `default/web` (app=web) with `spec_extra` under the pod spec.
fn deployment(replicas: u32, requests: &str, spec_extra: &str) -> String {
    format!(
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {{name: web, namespace: default}}\n  spec:\n    replicas: {replicas}\n    selector: {{matchLabels: {{app: web}}}}\n    template:\n      metadata: {{labels: {{app: web}}}}\n      spec:\n        containers: [{{name: c, resources: {{requests: {requests}}}}}]\n{spec_extra}"
    )
}

fn list(items: &[String]) -> String {
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in items {
        s.push_str(i);
    }
    s
}

fn cluster(yaml: &str) -> Cluster {
    read_scenario(&[Input::new("scenario.yaml", yaml)]).expect("scenario reads")
}

fn workload_options(key: &str) -> HeadroomOptions {
    HeadroomOptions {
        workload: Some(key.to_string()),
        ..Default::default()
    }
}

fn run(yaml: &str) -> HeadroomReport {
    headroom(&cluster(yaml), &workload_options("default/web")).expect("headroom runs")
}

/// Reason counts as (plugin, message) -> nodes.
fn reasons(report: &HeadroomReport) -> BTreeMap<(String, String), usize> {
    report
        .stopped_by
        .iter()
        .map(|r| ((r.plugin.clone(), r.message.clone()), r.nodes))
        .collect()
}

// ------------------------------------------------------------------- oracle

/// The pod a workload's controller would create, written here
/// independently of the library.
fn workload_pod(cluster: &Cluster, namespace: &str, name: &str) -> Pod {
    let (i, w) = cluster
        .workloads
        .iter()
        .enumerate()
        .find(|(_, w)| w.namespace == namespace && w.name == name)
        .expect("workload exists");
    Pod {
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        labels: w.template_labels.clone(),
        spec: Arc::clone(&w.spec),
        owner: Some(podplan::model::OwnerRef {
            kind: w.kind.as_str().to_string(),
            name: w.name.clone(),
        }),
        origin: PodOrigin::Workload(WorkloadId(i as u32)),
        ..Default::default()
    }
}

/// Brute force: before every copy, a fresh cluster holding the bound pods
/// and the copies placed so far (as bound pods), a fresh snapshot, the
/// plain `predicates::filter` on every node, a fresh `Scorer`, the best
/// node (lowest index on ties). Pending pods of the scenario are dropped.
fn oracle(base: &Cluster, template: &Pod, max: usize) -> (usize, BTreeMap<String, usize>) {
    let mut placed: Vec<NodeId> = Vec::new();
    while placed.len() < max {
        let mut c = base.clone();
        c.pods.retain(|p| !p.is_pending());
        for (k, n) in placed.iter().enumerate() {
            let mut p = template.clone();
            p.name = format!("copy-{k}");
            p.node_name = Some(c.nodes[n.index()].name.clone());
            p.node = Some(*n);
            p.phase = PodPhase::Running;
            c.pods.push(p);
        }
        let mut probe = template.clone();
        probe.name = "probe".into();
        c.pods.push(probe);
        let probe = PodId(c.pods.len() as u32 - 1);
        let snapshot = Snapshot::new(&c);
        let state = PodState::new(&snapshot, probe);
        let feasible: Vec<NodeId> = snapshot
            .node_ids()
            .filter(|&n| predicates::filter(&snapshot, &state, n).is_ok())
            .collect();
        let best = match feasible.len() {
            0 => break,
            1 => feasible[0],
            _ => Scorer::new(&snapshot)
                .score(&snapshot, probe, &feasible)
                .best()
                .expect("a best node"),
        };
        placed.push(best);
    }
    let mut per_node = BTreeMap::new();
    for n in &placed {
        *per_node
            .entry(base.nodes[n.index()].name.clone())
            .or_insert(0) += 1;
    }
    (placed.len(), per_node)
}

fn check_against_oracle(yaml: &str) -> Result<(), TestCaseError> {
    let c = cluster(yaml);
    let report = headroom(&c, &workload_options("default/web")).expect("headroom runs");
    let (fits, per_node) = oracle(&c, &workload_pod(&c, "default", "web"), 10_000);
    prop_assert_eq!(report.fits, fits, "fits");
    prop_assert_eq!(&report.per_node, &per_node, "perNode");
    prop_assert_eq!(report.per_node.values().sum::<usize>(), report.fits);
    Ok(())
}

// ------------------------------------------------------- random scenarios

#[derive(Debug, Clone)]
struct Shape {
    nodes: Vec<(Option<u8>, u8, u8, bool)>, // zone, cpu (cores), pods, tainted
    bound: Vec<(u8, bool, u8)>,             // node, app db?, cpu (x100m)
    cpu: u8,                                // x250m, 0 = none
    memory: bool,                           // 512Mi
    tolerate: bool,
    anti_host: bool,
    anti_zone: bool,
    spread_zone: bool,
    spread_host: bool,
    affinity_db: bool,
    host_port: bool,
    pending: u8,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::collection::vec(
            (
                prop::option::weighted(0.85, 0u8..3),
                1u8..4,
                1u8..7,
                prop::bool::weighted(0.25),
            ),
            1..5,
        ),
        prop::collection::vec((0u8..4, any::<bool>(), 1u8..8), 0..6),
        (0u8..4, any::<bool>(), any::<bool>()),
        (
            prop::bool::weighted(0.25),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.1),
            0u8..2,
        ),
    )
        .prop_map(
            |(
                nodes,
                bound,
                (cpu, memory, tolerate),
                (anti_host, anti_zone, spread_zone, spread_host, affinity_db, host_port, pending),
            )| Shape {
                nodes,
                bound,
                cpu,
                memory,
                tolerate,
                anti_host,
                anti_zone,
                spread_zone,
                spread_host,
                affinity_db,
                host_port,
                pending,
            },
        )
}

fn render(s: &Shape) -> String {
    let mut items = Vec::new();
    for (i, (zone, cpu, pods, taint)) in s.nodes.iter().enumerate() {
        let zone = zone.map(|z| ["a", "b", "c"][z as usize]);
        items.push(node(
            &format!("n{i}"),
            zone,
            &cpu.to_string(),
            "4Gi",
            u32::from(*pods),
            *taint,
        ));
    }
    for (k, (n, db, cpu)) in s.bound.iter().enumerate() {
        let n = *n as usize % s.nodes.len();
        let app = if *db { "db" } else { "other" };
        items.push(bound(
            &format!("b{k}"),
            app,
            &format!("n{n}"),
            &format!("{}m", u32::from(*cpu) * 100),
        ));
    }
    let mut requests = Vec::new();
    if s.cpu > 0 {
        requests.push(format!("cpu: {}m", u32::from(s.cpu) * 250));
    }
    if s.memory {
        requests.push("memory: 512Mi".to_string());
    }
    let requests = format!("{{{}}}", requests.join(", "));
    let mut extra = String::new();
    let ind = "        ";
    if s.tolerate {
        let _ = writeln!(
            extra,
            "{ind}tolerations: [{{key: dedicated, operator: Exists}}]"
        );
    }
    let sel = "{labelSelector: {matchLabels: {app: web}}";
    let mut anti = Vec::new();
    if s.anti_host {
        anti.push(format!("{sel}, topologyKey: kubernetes.io/hostname}}"));
    }
    if s.anti_zone {
        anti.push(format!("{sel}, topologyKey: topology.kubernetes.io/zone}}"));
    }
    let mut affinity = Vec::new();
    if !anti.is_empty() {
        affinity.push(format!(
            "podAntiAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{}]}}",
            anti.join(", ")
        ));
    }
    if s.affinity_db {
        affinity.push("podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: db}}, topologyKey: topology.kubernetes.io/zone}]}".to_string());
    }
    if !affinity.is_empty() {
        let _ = writeln!(extra, "{ind}affinity: {{{}}}", affinity.join(", "));
    }
    let mut spread = Vec::new();
    if s.spread_zone {
        spread.push("{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}");
    }
    if s.spread_host {
        spread.push("{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}");
    }
    if !spread.is_empty() {
        let _ = writeln!(
            extra,
            "{ind}topologySpreadConstraints: [{}]",
            spread.join(", ")
        );
    }
    let mut template = deployment(u32::from(s.pending), &requests, &extra);
    if s.host_port {
        template = template.replace(
            "resources: {requests:",
            "ports: [{containerPort: 80, hostPort: 8080}], resources: {requests:",
        );
    }
    items.push(template);
    list(&items)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `fits` and `perNode` equal the brute-force scheduler's, whether the
    /// library takes its order-free path or scores every copy.
    #[test]
    fn matches_brute_force_scheduler(s in shape()) {
        check_against_oracle(&render(&s))?;
    }
}

#[test]
fn bundled_example_matches_the_oracle() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/aks-multitenant.yaml"
    ))
    .expect("example exists");
    let c = cluster(&yaml);
    let mut checked = 0;
    for w in c.workloads.iter().filter(|w| w.owner.is_none()) {
        let key = format!("{}/{}", w.namespace, w.name);
        let report = headroom(&c, &workload_options(&key)).expect("headroom runs");
        let (fits, per_node) = oracle(&c, &workload_pod(&c, &w.namespace, &w.name), 2_000);
        assert_eq!(report.fits, fits, "{key}");
        assert_eq!(report.per_node, per_node, "{key}");
        checked += 1;
    }
    assert!(checked >= 3, "the example has workloads");
}

// -------------------------------------------------------------- hand cases

#[test]
fn stops_at_allocatable_cpu() {
    let yaml = list(&[
        node("n0", None, "2", "4Gi", 110, false),
        bound("b0", "other", "n0", "500m"),
        deployment(0, "{cpu: 500m}", ""),
    ]);
    let report = run(&yaml);
    assert_eq!(report.fits, 3);
    assert_eq!(report.per_node.get("n0"), Some(&3));
    let r = reasons(&report);
    assert_eq!(
        r.get(&("NodeResourcesFit".into(), "Insufficient cpu".into())),
        Some(&1)
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn pod_requesting_nothing_stops_at_max_pods() {
    let yaml = list(&[
        node("n0", None, "2", "4Gi", 5, false),
        node("n1", None, "2", "4Gi", 3, false),
        bound("b0", "other", "n0", "0"),
        bound("b1", "other", "n0", "0"),
        deployment(0, "{}", ""),
    ]);
    let report = run(&yaml);
    assert_eq!(report.fits, 3 + 3);
    assert_eq!(report.per_node.get("n0"), Some(&3));
    assert_eq!(report.per_node.get("n1"), Some(&3));
    assert_eq!(
        reasons(&report).get(&("NodeResourcesFit".into(), "Too many pods".into())),
        Some(&2)
    );
}

#[test]
fn hostname_anti_affinity_to_itself_puts_one_per_node() {
    let extra = "        affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}]}}\n";
    let yaml = list(&[
        node("n0", Some("a"), "4", "4Gi", 110, false),
        node("n1", Some("a"), "4", "4Gi", 110, false),
        node("n2", Some("b"), "4", "4Gi", 110, false),
        deployment(0, "{cpu: 100m}", extra),
    ]);
    let report = run(&yaml);
    assert_eq!(report.fits, 3);
    assert!(
        report.per_node.values().all(|&n| n == 1),
        "{:?}",
        report.per_node
    );
    assert_eq!(
        reasons(&report).get(&(
            "InterPodAffinity".into(),
            "node(s) didn't match pod anti-affinity rules".into()
        )),
        Some(&3)
    );
}

#[test]
fn zone_spread_max_skew_one_balances_zones() {
    let extra = "        topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]\n";
    // Zone a takes 8 copies by pods, zone b 4: with maxSkew 1, a stops at 5.
    let yaml = list(&[
        node("a0", Some("a"), "8", "8Gi", 4, false),
        node("a1", Some("a"), "8", "8Gi", 4, false),
        node("b0", Some("b"), "8", "8Gi", 4, false),
        deployment(0, "{cpu: 100m}", extra),
    ]);
    let report = run(&yaml);
    let zone_a = report.per_node.get("a0").unwrap_or(&0) + report.per_node.get("a1").unwrap_or(&0);
    assert_eq!(report.per_node.get("b0"), Some(&4));
    assert_eq!(zone_a, 5);
    assert_eq!(report.fits, 9);
    let r = reasons(&report);
    assert_eq!(
        r.get(&(
            "PodTopologySpread".into(),
            "node(s) didn't match pod topology spread constraints".into()
        )),
        Some(&2),
        "{r:?}"
    );
}

#[test]
fn taints_keep_copies_off_unless_tolerated() {
    let nodes = [
        node("n0", None, "1", "4Gi", 110, false),
        node("n1", None, "1", "4Gi", 110, true),
    ];
    let plain = run(&list(&[
        nodes[0].clone(),
        nodes[1].clone(),
        deployment(0, "{cpu: 500m}", ""),
    ]));
    assert_eq!(plain.fits, 2);
    assert_eq!(plain.per_node.get("n1"), None);
    assert_eq!(
        reasons(&plain).get(&(
            "TaintToleration".into(),
            "node(s) had untolerated taint {dedicated: x}".into()
        )),
        Some(&1),
        "{:?}",
        plain.stopped_by
    );
    let tolerating = run(&list(&[
        nodes[0].clone(),
        nodes[1].clone(),
        deployment(
            0,
            "{cpu: 500m}",
            "        tolerations: [{key: dedicated, operator: Exists}]\n",
        ),
    ]));
    assert_eq!(tolerating.fits, 4);
    assert_eq!(tolerating.per_node.get("n1"), Some(&2));
}

const POOL: &str = "apiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {name: general}\nspec:\n  vmSize: Standard_D4s_v5\n  zones: [\"1\", \"2\"]\n  maxCount: 3\n  costPerHour: 0.2\n---\n";

#[test]
fn with_pools_adds_nodes_up_to_max_count() {
    // Standard_D4s_v5: 3860m allocatable, so one 3-core copy per node.
    let yaml = format!(
        "{POOL}{}",
        list(&[
            "- apiVersion: v1\n  kind: Node\n  metadata: {name: general-0, labels: {kubernetes.azure.com/agentpool: general, kubernetes.io/hostname: general-0}}\n  status: {allocatable: {cpu: 3860m, memory: 14Gi, pods: \"110\"}}\n".to_string(),
            deployment(0, "{cpu: \"3\"}", ""),
        ])
    );
    let c = cluster(&yaml);
    let without = headroom(&c, &workload_options("default/web")).expect("runs");
    assert_eq!(without.fits, 1);
    assert!(without.new_nodes.is_empty());
    let with = headroom(
        &c,
        &HeadroomOptions {
            with_pools: true,
            ..workload_options("default/web")
        },
    )
    .expect("runs");
    // maxCount 3 counts the existing node: two new ones.
    assert_eq!(with.fits, 3);
    assert_eq!(with.new_nodes.get("general"), Some(&2));
    assert_eq!(with.per_node.get("general-new-0"), Some(&1));
    assert_eq!(with.per_node.get("general-new-1"), Some(&1));
    assert_eq!(
        reasons(&with).get(&("NodeResourcesFit".into(), "Insufficient cpu".into())),
        Some(&3)
    );
}

/// A pool at its maxCount adds no node: its existing nodes count, the
/// cordoned one included; one more maxCount allows exactly one new node.
#[test]
fn a_pool_at_max_count_adds_no_node() {
    let pool_node = |name: &str, cordoned: bool| {
        format!(
            "- apiVersion: v1\n  kind: Node\n  metadata: {{name: {name}, labels: {{kubernetes.azure.com/agentpool: general, kubernetes.io/hostname: {name}}}}}\n  spec: {{unschedulable: {cordoned}}}\n  status: {{allocatable: {{cpu: 3860m, memory: 14Gi, pods: \"110\"}}}}\n"
        )
    };
    let items = [
        pool_node("general-0", false),
        pool_node("general-1", false),
        pool_node("general-2", true),
        deployment(0, "{cpu: \"3\"}", ""),
    ];
    let with_pools = HeadroomOptions {
        with_pools: true,
        ..workload_options("default/web")
    };
    let at_max = headroom(&cluster(&format!("{POOL}{}", list(&items))), &with_pools).expect("runs");
    assert_eq!(at_max.fits, 2);
    assert!(at_max.new_nodes.is_empty(), "{:?}", at_max.new_nodes);
    assert!(!at_max.capped);
    let one_left = POOL.replace("maxCount: 3", "maxCount: 4");
    let report = headroom(
        &cluster(&format!("{one_left}{}", list(&items))),
        &with_pools,
    )
    .expect("runs");
    assert_eq!(report.fits, 3);
    assert_eq!(report.new_nodes.get("general"), Some(&1));
}

#[test]
fn pools_without_max_count_are_not_scaled() {
    let yaml = format!(
        "{}{}",
        POOL.replace("  maxCount: 3\n", ""),
        list(&[deployment(0, "{cpu: \"3\"}", "")])
    );
    let report = headroom(
        &cluster(&yaml),
        &HeadroomOptions {
            with_pools: true,
            ..workload_options("default/web")
        },
    )
    .expect("runs");
    assert_eq!(report.fits, 0);
    assert!(
        report.warnings.iter().any(|w| w.contains("no maxCount")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn max_copies_caps_the_count() {
    let yaml = list(&[
        node("n0", None, "8", "8Gi", 110, false),
        deployment(0, "{cpu: 100m}", ""),
    ]);
    let report = headroom(
        &cluster(&yaml),
        &HeadroomOptions {
            max_copies: 5,
            ..workload_options("default/web")
        },
    )
    .expect("runs");
    assert_eq!(report.fits, 5);
    assert!(report.capped);
    assert!(report.stopped_by.is_empty(), "n0 still takes copies");
    let uncapped = run(&yaml);
    assert_eq!(uncapped.fits, 80);
    assert!(!uncapped.capped);
}

#[test]
fn pending_pods_are_ignored_with_a_warning() {
    let yaml = list(&[
        node("n0", None, "2", "4Gi", 110, false),
        deployment(3, "{cpu: 500m}", ""),
    ]);
    let report = run(&yaml);
    // The Deployment's own 3 pending replicas do not take room.
    assert_eq!(report.fits, 4);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("3 pending pod(s)")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn pod_manifest_is_the_template() {
    let scenario = list(&[
        node("n0", None, "2", "4Gi", 110, false),
        node("n1", None, "1", "4Gi", 110, false),
    ]);
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop}\nspec:\n  nodeName: n0\n  containers: [{name: c, resources: {requests: {cpu: 400m}}}]\n";
    let options = HeadroomOptions {
        pod: Some(PodManifest {
            file: "pod.yaml".into(),
            text: manifest.into(),
        }),
        ..Default::default()
    };
    let report = headroom(&cluster(&scenario), &options).expect("runs");
    assert_eq!(report.pod, "shop/api");
    // nodeName is dropped: both nodes take copies.
    assert_eq!(report.fits, 5 + 2);
    assert!(report.warnings.iter().any(|w| w.contains("nodeName")));
}

#[test]
fn bad_requests_are_usage_errors() {
    let c = cluster(&list(&[
        node("n0", None, "2", "4Gi", 110, false),
        deployment(0, "{}", ""),
    ]));
    let err = headroom(&c, &workload_options("default/nope")).unwrap_err();
    assert!(
        matches!(err, Error::Usage(ref m) if m.contains("default/nope")),
        "{err}"
    );
    let err = headroom(&c, &workload_options("nope")).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    let err = headroom(&c, &HeadroomOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    let two = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c}]}\n";
    for (text, found) in [
        (two, "found 2"),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            "found 0",
        ),
    ] {
        let options = HeadroomOptions {
            pod: Some(PodManifest {
                file: "pods.yaml".into(),
                text: text.into(),
            }),
            ..Default::default()
        };
        let err = headroom(&c, &options).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("pods.yaml") && message.contains(found),
            "{message}"
        );
    }
    let options = HeadroomOptions {
        pod: Some(PodManifest {
            file: "broken.yaml".into(),
            text: "kind: Pod\nmetadata: [".into(),
        }),
        ..Default::default()
    };
    assert!(headroom(&c, &options)
        .unwrap_err()
        .to_string()
        .contains("broken.yaml"));
}

#[test]
fn report_serialises_in_camel_case() {
    let report = run(&list(&[
        node("n0", None, "1", "4Gi", 110, false),
        deployment(0, "{cpu: 500m}", ""),
    ]));
    let json = serde_json::to_value(&report).expect("serialises");
    assert_eq!(json["pod"], "default/web");
    assert_eq!(json["fits"], 2);
    assert_eq!(json["perNode"]["n0"], 2);
    assert_eq!(json["stoppedBy"][0]["plugin"], "NodeResourcesFit");
    assert_eq!(json["stoppedBy"][0]["nodes"], 1);
    assert!(json.get("capped").is_none() && json.get("newNodes").is_none());
    let text = report.to_text();
    assert!(text.contains("default/web: 2 more copies fit"), "{text}");
    assert!(text.contains("Insufficient cpu"), "{text}");
}

/// The order-free path on a cluster big enough to notice quadratic work.
#[test]
fn many_nodes_are_filled_quickly() {
    let mut items: Vec<String> = (0..300)
        .map(|i| {
            node(
                &format!("n{i}"),
                Some(["a", "b", "c"][i % 3]),
                "4",
                "16Gi",
                110,
                false,
            )
        })
        .collect();
    items.push(deployment(0, "{cpu: 100m, memory: 128Mi}", ""));
    let started = std::time::Instant::now();
    let report = run(&list(&items));
    assert_eq!(report.fits, 300 * 40);
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn text_lists_nodes_in_natural_order() {
    let report = HeadroomReport {
        pod: "a/b".into(),
        fits: 3,
        per_node: [("x-new-10", 1), ("x-new-9", 1), ("x-new-1", 1)]
            .into_iter()
            .map(|(n, c)| (n.to_string(), c))
            .collect(),
        ..Default::default()
    };
    let text = report.to_text();
    let at = |name: &str| text.find(&format!("{name} ")).expect(name);
    assert!(
        at("x-new-1") < at("x-new-9") && at("x-new-9") < at("x-new-10"),
        "{text}"
    );
}

// --------------------------------------------------------------------- CLI

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("podplan-headroom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn cli_prints_json_and_exits_zero() {
    let scenario = write_temp(
        "scenario.yaml",
        &list(&[
            node("n0", None, "2", "4Gi", 110, false),
            deployment(0, "{cpu: 500m}", ""),
        ]),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args([
            "headroom",
            scenario.to_str().expect("path"),
            "--workload",
            "default/web",
            "-o",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["fits"], 4);

    let pod = write_temp(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop}\nspec: {containers: [{name: c, resources: {requests: {cpu: \"1\"}}}]}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args([
            "headroom",
            scenario.to_str().expect("path"),
            "--pod",
            pod.to_str().expect("path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("shop/api: 2 more copies fit"), "{text}");
}

#[test]
fn cli_usage_errors_exit_two() {
    let scenario = write_temp(
        "scenario2.yaml",
        &list(&[node("n0", None, "2", "4Gi", 110, false)]),
    );
    let path = scenario.to_str().expect("path");
    let bin = env!("CARGO_BIN_EXE_podplan");
    let out = Command::new(bin)
        .args(["headroom", path, "--workload", "default/missing"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("default/missing"));
    let out = Command::new(bin)
        .args(["headroom", path, "--pod", "/nonexistent/pod.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/pod.yaml"));
    // Neither --pod nor --workload.
    let out = Command::new(bin)
        .args(["headroom", path])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn time_limit_stops_adding_copies_and_says_so() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/aks-multitenant.yaml"
    ))
    .unwrap();
    let cluster = podplan::read_scenario(&[podplan::Input::new("ex.yaml", &text)]).unwrap();
    let options = podplan::HeadroomOptions {
        workload: Some("shop/db".into()),
        time_limit: 0.0,
        ..Default::default()
    };
    let report = podplan::headroom(&cluster, &options).unwrap();
    assert!(report.capped);
    assert_eq!(report.fits, 0);
    assert!(report.warnings.iter().any(|w| w.contains("time limit")));
}
