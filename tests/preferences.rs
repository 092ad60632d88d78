//! `place`'s third objective, soft preferences (preferred node affinity,
//! `PreferNoSchedule` taints, preferred pod (anti-)affinity): followed when
//! they cost nothing, never at the price of a node or a placed pod; every
//! plan still validates.

use podplan::check::report_violations;
use podplan::check::validate_plan;
use podplan::model::{
    labels, Cluster, LabelSelector, Labels, Node, NodePool, NodeSelectorTerm, Operator, Pod,
    PodAffinityTerm, PodSpec, PreferredSchedulingTerm, Requirement, Resources, Taint, TaintEffect,
    WeightedPodAffinityTerm,
};
use podplan::{place, read_scenario, simulate, Input, PlaceOptions, PlaceReport};
use proptest::prelude::*;
use std::sync::Arc;

const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

fn read(text: &str) -> Cluster {
    read_scenario(&[Input::new("preferences.yaml", text)]).expect("scenario reads")
}

fn plan(cluster: &Cluster) -> PlaceReport {
    let report = place(
        cluster,
        &PlaceOptions {
            time_limit: 5.0,
            repack: false,
        },
    )
    .unwrap();
    if let Err(problems) = validate_plan(cluster, &report) {
        panic!("invalid plan: {problems:#?}");
    }
    // The reported figure is the plan's, recounted pod by pod.
    assert_eq!(
        report_violations(cluster, &report),
        Some(report.stats.soft_violations)
    );
    report
}

fn node_of<'r>(report: &'r PlaceReport, pod: &str) -> &'r str {
    &report
        .assignments
        .iter()
        .find(|a| a.pod == pod)
        .unwrap_or_else(|| panic!("{pod} unplaced"))
        .node
}

/// Two existing nodes per zone with room for everything: the pods prefer
/// zone 2 and go there, at no cost.
#[test]
fn preferred_node_affinity_picks_the_zone_at_the_same_cost() {
    let mut yaml = String::new();
    for (name, zone) in [("a-0", "1"), ("a-1", "1"), ("b-0", "2"), ("b-1", "2")] {
        yaml += &format!(
            r#"---
apiVersion: v1
kind: Node
metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}, topology.kubernetes.io/zone: "{zone}"}}}}
status: {{allocatable: {{cpu: "4", memory: 16Gi, pods: "110"}}}}
"#
        );
    }
    yaml += r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 10
            preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: ["2"]}]}
      containers: [{name: c, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
"#;
    let cluster = read(&yaml);
    let report = plan(&cluster);
    assert_eq!(report.cost, 0.0);
    assert!(report.unplaced.is_empty());
    assert_eq!(report.assignments.len(), 6);
    for a in &report.assignments {
        assert!(a.node.starts_with("b-"), "{} on {}", a.pod, a.node);
    }
    assert_eq!(report.stats.soft_violations, 0);
    // Without the preference search the baseline spreads them.
    let baseline = simulate(
        &cluster,
        &PlaceOptions {
            time_limit: 5.0,
            repack: false,
        },
    )
    .unwrap();
    assert_eq!(
        report_violations(&cluster, &baseline),
        Some(baseline.stats.soft_violations)
    );
}

/// A `PreferNoSchedule` taint on one of two equal nodes with room: the pod
/// goes to the untainted one; one that tolerates the taint may go either way.
#[test]
fn prefer_no_schedule_taint_is_avoided() {
    let yaml = r#"
apiVersion: v1
kind: Node
metadata: {name: tainted, labels: {kubernetes.io/hostname: tainted}}
spec: {taints: [{key: spot, value: "true", effect: PreferNoSchedule}]}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: clean, labels: {kubernetes.io/hostname: clean}}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default}
spec: {containers: [{name: c, resources: {requests: {cpu: "1"}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default}
spec: {containers: [{name: c, resources: {requests: {cpu: "1"}}}]}
"#;
    let cluster = read(yaml);
    let report = plan(&cluster);
    assert_eq!(report.cost, 0.0);
    assert_eq!(node_of(&report, "default/a"), "clean");
    assert_eq!(node_of(&report, "default/b"), "clean");
    assert_eq!(report.stats.soft_violations, 0);
}

/// When the untainted node is full, the pod stays on the tainted one and
/// the violation is reported (text output included).
#[test]
fn a_violation_that_costs_a_node_to_avoid_is_kept_and_reported() {
    let yaml = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: extra}
spec: {capacity: {cpu: "4", memory: 16Gi, pods: "110"}, allocatable: {cpu: "4", memory: 16Gi, pods: "110"}, costPerHour: 1.0}
---
apiVersion: v1
kind: Node
metadata: {name: tainted, labels: {kubernetes.io/hostname: tainted}}
spec: {taints: [{key: spot, value: "true", effect: PreferNoSchedule}]}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: clean, labels: {kubernetes.io/hostname: clean}}
status: {allocatable: {cpu: "2", memory: 16Gi, pods: "110"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, resources: {requests: {cpu: "1"}}}]}
"#;
    let cluster = read(yaml);
    let report = plan(&cluster);
    assert_eq!(report.cost, 0.0);
    assert!(report.new_nodes.is_empty());
    let on_clean = report
        .assignments
        .iter()
        .filter(|a| a.node == "clean")
        .count();
    assert_eq!(on_clean, 2);
    assert_eq!(report.stats.soft_violations, 1);
    assert!(
        report.to_text().contains("soft-preference violations 1"),
        "{}",
        report.to_text()
    );
}

/// Replicas preferring not to share a host spread over the existing
/// nodes, though one node holds them all.
#[test]
fn preferred_anti_affinity_spreads_replicas_at_equal_cost() {
    let mut yaml = String::new();
    for i in 0..4 {
        yaml += &format!(
            r#"---
apiVersion: v1
kind: Node
metadata: {{name: n{i}, labels: {{kubernetes.io/hostname: n{i}}}}}
status: {{allocatable: {{cpu: "8", memory: 32Gi, pods: "110"}}}}
"#
        );
    }
    yaml += r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 50
            podAffinityTerm:
              labelSelector: {matchLabels: {app: api}}
              topologyKey: kubernetes.io/hostname
      containers: [{name: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]
"#;
    let cluster = read(&yaml);
    let report = plan(&cluster);
    assert_eq!(report.cost, 0.0);
    let mut nodes: Vec<&str> = report.assignments.iter().map(|a| a.node.as_str()).collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 4, "{:?}", report.assignments);
    assert_eq!(report.stats.soft_violations, 0);
}

/// A preference for an expensive pool is not worth a node: the pods go to
/// the free existing node, and the unmet preference is what is left.
#[test]
fn a_preference_never_adds_cost() {
    let yaml = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: premium}
spec: {capacity: {cpu: "4", memory: 16Gi, pods: "110"}, allocatable: {cpu: "4", memory: 16Gi, pods: "110"}, costPerHour: 3.0, labels: {tier: premium}}
---
apiVersion: v1
kind: Node
metadata: {name: existing, labels: {kubernetes.io/hostname: existing, tier: standard}}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 7
            preference: {matchExpressions: [{key: tier, operator: In, values: [premium]}]}
      containers: [{name: c, resources: {requests: {cpu: "1"}}}]
"#;
    let cluster = read(yaml);
    let report = plan(&cluster);
    assert_eq!(report.cost, 0.0);
    assert!(report.new_nodes.is_empty(), "{:?}", report.new_nodes);
    assert_eq!(report.stats.soft_violations, 14);
}

// --- random scenarios -------------------------------------------------

fn resources(milli_cpu: i64, memory_mi: i64) -> Resources {
    Resources {
        milli_cpu,
        memory: memory_mi << 20,
        pods: 110,
        ..Default::default()
    }
}

#[derive(Debug, Clone)]
struct Shape {
    cpu: i64,
    app: u8,
    prefers_zone: Option<u8>,
    prefers_alone: bool,
    prefers_with: Option<u8>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1i64..=6,
        0u8..3,
        proptest::option::of(1u8..=2),
        any::<bool>(),
        proptest::option::of(0u8..3),
    )
        .prop_map(|(cpu, app, zone, alone, with)| Shape {
            cpu: cpu * 250,
            app,
            prefers_zone: zone,
            prefers_alone: alone,
            prefers_with: with,
        })
}

/// Two existing nodes (zones 1 and 2, one of them `PreferNoSchedule`
/// tainted when `tainted`), two pools, and the pods; `with_preferences`
/// false strips every preferred term.
fn build(shapes: &[Shape], tainted: bool, with_preferences: bool) -> Cluster {
    let mut cluster = Cluster::default();
    for (i, zone) in ["1", "2"].iter().enumerate() {
        let name = format!("existing-{i}");
        cluster.nodes.push(Node {
            name: name.clone(),
            labels: labels([(HOSTNAME, name.as_str()), (ZONE, zone)]),
            allocatable: resources(2000, 8192),
            taints: if tainted && i == 1 {
                vec![Taint {
                    key: "spot".into(),
                    value: "x".into(),
                    effect: TaintEffect::PreferNoSchedule,
                }]
            } else {
                Vec::new()
            },
            ..Default::default()
        });
    }
    for (i, (cpu, cost)) in [(2000, 0.5), (4000, 0.9)].iter().enumerate() {
        cluster.pools.push(NodePool {
            name: format!("pool{i}"),
            allocatable: resources(*cpu, 16384),
            capacity: resources(*cpu, 16384),
            zones: vec!["1".into(), "2".into()],
            max_count: Some(3),
            cost_per_hour: *cost,
            ..Default::default()
        });
    }
    let app_selector = |app: u8| {
        let l: Labels = labels([("app", format!("app{app}").as_str())]);
        LabelSelector::from_labels(&l)
    };
    for (i, s) in shapes.iter().enumerate() {
        let app = format!("app{}", s.app);
        let mut spec = PodSpec {
            requests: Resources {
                milli_cpu: s.cpu,
                memory: 256 << 20,
                ..Default::default()
            },
            ..Default::default()
        };
        if with_preferences {
            if let Some(zone) = s.prefers_zone {
                spec.preferred_node_affinity = vec![PreferredSchedulingTerm {
                    weight: 5,
                    term: NodeSelectorTerm {
                        match_expressions: vec![Requirement::new(
                            ZONE,
                            Operator::In,
                            &[zone.to_string().as_str()],
                        )],
                        match_fields: vec![],
                    },
                }];
            }
            if s.prefers_alone {
                spec.preferred_pod_anti_affinity = vec![WeightedPodAffinityTerm {
                    weight: 3,
                    term: PodAffinityTerm {
                        selector: app_selector(s.app),
                        namespaces: vec!["default".into()],
                        namespace_selector: None,
                        topology_key: HOSTNAME.into(),
                    },
                }];
            }
            if let Some(other) = s.prefers_with {
                spec.preferred_pod_affinity = vec![WeightedPodAffinityTerm {
                    weight: 2,
                    term: PodAffinityTerm {
                        selector: app_selector(other),
                        namespaces: vec!["default".into()],
                        namespace_selector: None,
                        topology_key: ZONE.into(),
                    },
                }];
            }
        }
        cluster.pods.push(Pod {
            namespace: "default".into(),
            name: format!("p{i}"),
            labels: labels([("app", app.as_str())]),
            spec: Arc::new(spec),
            ..Default::default()
        });
    }
    cluster
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Preferences change neither the cost nor the number of placed pods
    /// of the plan without them, every plan validates, and its reported
    /// violations are its own, recounted.
    #[test]
    fn preferences_never_cost_anything(
        shapes in proptest::collection::vec(shape(), 1..9),
        tainted in any::<bool>(),
    ) {
        let with = build(&shapes, tainted, true);
        let without = build(&shapes, tainted, false);
        let preferred = plan(&with);
        let stripped = plan(&without);
        prop_assert!((preferred.cost - stripped.cost).abs() < 1e-9,
            "cost {} with preferences, {} without", preferred.cost, stripped.cost);
        prop_assert_eq!(preferred.unplaced.len(), stripped.unplaced.len());
        // The plan without preferences is a plan of the scenario with them
        // (preferences add no hard constraint).
        prop_assert!(validate_plan(&with, &stripped).is_ok());
        prop_assert!(!tainted || stripped.stats.soft_violations <= stripped.assignments.len() as u64);
        if !tainted {
            prop_assert_eq!(stripped.stats.soft_violations, 0);
        }
    }
}

/// Scale: the ladder's `m` scenario with preferences added to every
/// workload (hostname anti-affinity to its own replicas, zone 1 preferred):
/// the plan's cost is the one without them, and it validates. Release
/// build only (`cargo test --release --test preferences -- --ignored`).
#[test]
#[ignore]
fn ladder_m_with_preferences_costs_the_same() {
    use podplan::generate::{ladder, LadderSize};
    use std::collections::HashMap;
    let text = ladder(LadderSize::M, 1).to_string();
    let mut cluster = read_scenario(&[Input::new("ladder.json", &text)]).unwrap();
    let without = cluster.clone();
    let mut specs: HashMap<usize, Arc<PodSpec>> = HashMap::new();
    for pod in cluster.pods.iter_mut().filter(|p| p.is_pending()) {
        let selector = LabelSelector::from_labels(&pod.labels);
        let namespace = pod.namespace.clone();
        let spec = specs
            .entry(Arc::as_ptr(&pod.spec) as usize)
            .or_insert_with(|| {
                let mut spec = (*pod.spec).clone();
                spec.preferred_pod_anti_affinity = vec![WeightedPodAffinityTerm {
                    weight: 10,
                    term: PodAffinityTerm {
                        selector,
                        namespaces: vec![namespace],
                        namespace_selector: None,
                        topology_key: HOSTNAME.into(),
                    },
                }];
                spec.preferred_node_affinity = vec![PreferredSchedulingTerm {
                    weight: 1,
                    term: NodeSelectorTerm {
                        match_expressions: vec![Requirement::new(ZONE, Operator::In, &["1"])],
                        match_fields: vec![],
                    },
                }];
                Arc::new(spec)
            });
        pod.spec = Arc::clone(spec);
    }
    let options = PlaceOptions {
        time_limit: 5.0,
        repack: false,
    };
    let started = std::time::Instant::now();
    let with = place(&cluster, &options).unwrap();
    let took = started.elapsed();
    let plain = place(&without, &options).unwrap();
    let baseline = simulate(&cluster, &options).unwrap();
    eprintln!(
        "m with preferences: cost {:.3} (without {:.3}), violations {} (simulate {} at cost {:.3}), {} ms",
        with.cost,
        plain.cost,
        with.stats.soft_violations,
        baseline.stats.soft_violations,
        baseline.cost,
        took.as_millis()
    );
    assert!(validate_plan(&cluster, &with).is_ok());
    assert!(took.as_secs_f64() <= 5.5);
    assert!(with.cost <= plain.cost + 1e-9 || with.unplaced.len() < plain.unplaced.len());
}

/// A pool's minCount nodes are part of every plan: preferences choose
/// among them too.
#[test]
fn preferences_choose_among_min_count_nodes() {
    let yaml = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: base}
spec: {capacity: {cpu: "4", memory: 16Gi, pods: "110"}, allocatable: {cpu: "4", memory: 16Gi, pods: "110"}, costPerHour: 1.0, minCount: 2, zones: ["1", "2"]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 3
            preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: ["2"]}]}
      containers: [{name: c, resources: {requests: {cpu: "1"}}}]
"#;
    let cluster = read(yaml);
    let report = plan(&cluster);
    assert!((report.cost - 2.0).abs() < 1e-9, "{}", report.cost);
    assert_eq!(report.new_nodes.get("base"), Some(&2));
    for a in &report.assignments {
        assert_eq!(a.node, "base-new-1", "{}", a.pod);
    }
    assert_eq!(report.stats.soft_violations, 0);
}
