//! `place` is anytime: whatever the time limit, the report is a valid plan,
//! `infeasible` only when a pod is proven to fit nowhere, and `timeout`
//! (with a message) when the limit stopped the search short of placing
//! every pod; `simulate` likewise reports `timeout` when its limit leaves
//! pods untried.

use podplan::check::validate_plan;
use podplan::families::family;
use podplan::generate::{ladder, LadderSize};
use podplan::model::Cluster;
use podplan::report::place::PlanStatus;
use podplan::{place, read_scenario, simulate, Input, PlaceOptions, PlaceReport};

/// Time limits down to none at all.
const TINY_LIMITS: [f64; 4] = [0.0, 0.01, 0.05, 0.2];

fn read(name: &str, text: &str) -> Cluster {
    read_scenario(&[Input::new(name, text)]).expect("scenario reads")
}

fn options(seconds: f64) -> PlaceOptions {
    PlaceOptions {
        time_limit: seconds,
        repack: false,
    }
}

/// What every report of a feasible scenario must be: a valid plan, never
/// `infeasible`; with pods left unplaced, `timeout` with the time limit
/// hit and its step named, or `feasible`, with a message either way.
fn check_feasible(name: &str, cluster: &Cluster, report: &PlaceReport) {
    if let Err(problems) = validate_plan(cluster, report) {
        panic!("{name}: invalid plan: {problems:#?}");
    }
    assert_ne!(report.status, PlanStatus::Infeasible, "{name}");
    if report.status == PlanStatus::Timeout {
        assert!(report.stats.time_limit_hit, "{name}");
        assert!(report.stats.time_limit_phase.is_some(), "{name}");
        let message = report.message.as_deref().unwrap_or_default();
        assert!(message.contains("time limit"), "{name}: {message}");
    }
    if !report.unplaced.is_empty() {
        assert!(
            report.message.is_some(),
            "{name}: unplaced without a message"
        );
    }
}

#[test]
fn feasible_ladders_are_never_infeasible_at_tiny_limits() {
    for size in [LadderSize::Xs, LadderSize::S, LadderSize::M] {
        let cluster = read(size.name(), &ladder(size, 1).to_string());
        for limit in TINY_LIMITS {
            let report = place(&cluster, &options(limit)).unwrap();
            check_feasible(
                &format!("ladder {} at {limit} s", size.name()),
                &cluster,
                &report,
            );
        }
    }
}

#[test]
fn the_family_is_infeasible_at_tiny_limits_only_when_it_is_at_long_ones() {
    // Most of the family's seeds draw maxCounts too small for every pod:
    // those are proven infeasible; a tiny limit may prove it too, but never
    // claim it of a seed whose long run places every pod.
    for seed in 1..=4 {
        let name = format!("family s seed {seed}");
        let cluster = read(&name, &family(LadderSize::S, seed).to_string());
        let long = place(&cluster, &options(3.0)).unwrap();
        assert!(validate_plan(&cluster, &long).is_ok(), "{name}");
        for limit in TINY_LIMITS {
            let report = place(&cluster, &options(limit)).unwrap();
            let name = format!("{name} at {limit} s");
            if report.status == PlanStatus::Infeasible {
                assert!(!long.unplaced.is_empty(), "{name}: feasible at 3 s");
                assert!(validate_plan(&cluster, &report).is_ok(), "{name}");
            } else if long.unplaced.is_empty() {
                check_feasible(&name, &cluster, &report);
            }
        }
    }
}

#[test]
fn small_scenarios_are_planned_in_full_at_tiny_limits() {
    // The first plan (first-fit decreasing) is fast enough for these.
    let cluster = read("xs", &ladder(LadderSize::Xs, 1).to_string());
    for limit in TINY_LIMITS {
        let report = place(&cluster, &options(limit)).unwrap();
        assert!(
            report.unplaced.is_empty(),
            "{limit} s: {:?}",
            report.message
        );
        assert!(matches!(
            report.status,
            PlanStatus::Optimal | PlanStatus::Feasible
        ));
    }
}

/// One existing node and the only pool, both tainted; the pod tolerates
/// nothing.
const TAINTED_ONLY: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: tainted}
spec:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  taints: [{key: dedicated, value: x, effect: NoSchedule}]
  costPerHour: 0.2
  maxCount: 5
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
spec: {taints: [{key: dedicated, value: x, effect: NoSchedule}]}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: default}
spec: {containers: [{name: c, resources: {requests: {cpu: 100m}}}]}
"#;

#[test]
fn a_pod_no_node_can_take_is_proven_infeasible_with_the_schedulers_message() {
    let cluster = read("tainted.yaml", TAINTED_ONLY);
    for limit in [0.0, 5.0] {
        let report = place(&cluster, &options(limit)).unwrap();
        assert_eq!(report.status, PlanStatus::Infeasible, "{limit} s");
        assert_eq!(report.unplaced.len(), 1);
        let message = &report.unplaced[0].message;
        assert!(message.contains("untolerated taint"), "{message}");
        assert!(validate_plan(&cluster, &report).is_ok());
    }
}

/// Three pods that repel each other per node, and room for two nodes.
const TOO_FEW_NODES: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: small}
spec: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}, costPerHour: 0.2, maxCount: 2}
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
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: web}}
            topologyKey: kubernetes.io/hostname
      containers: [{name: c, resources: {requests: {cpu: 100m}}}]
"#;

#[test]
fn more_one_per_node_pods_than_nodes_is_proven_infeasible() {
    let cluster = read("few.yaml", TOO_FEW_NODES);
    let report = place(&cluster, &options(5.0)).unwrap();
    assert_eq!(report.status, PlanStatus::Infeasible);
    assert_eq!(report.unplaced.len(), 1);
    assert_eq!(report.assignments.len(), 2);
    assert!(validate_plan(&cluster, &report).is_ok());
}

#[test]
fn simulate_cut_by_its_time_limit_is_a_timeout_with_a_message() {
    let cluster = read("s", &ladder(LadderSize::S, 1).to_string());
    let report = simulate(&cluster, &options(0.0)).unwrap();
    assert_eq!(report.status, PlanStatus::Timeout);
    assert!(report.stats.time_limit_hit);
    let message = report.message.as_deref().unwrap_or_default();
    assert!(message.contains("time limit"), "{message}");
    assert!(validate_plan(&cluster, &report).is_ok());
}

#[test]
fn a_timeout_report_says_how_far_it_got() {
    // Whether 0.0 s cuts the first plan short depends on the machine:
    // when it does, the report must say so.
    let cluster = read("m", &ladder(LadderSize::M, 1).to_string());
    let report = place(&cluster, &options(0.0)).unwrap();
    check_feasible("ladder m at 0 s", &cluster, &report);
    if report.status == PlanStatus::Timeout {
        let message = report.message.unwrap_or_default();
        assert!(message.contains("pods placed"), "{message}");
        assert!(message.contains("--time-limit"), "{message}");
    }
}

/// Ladder l and xl at a 2 s limit: every pod placed, a valid plan. Too slow
/// for a debug build: run with `cargo test --release --test anytime --
/// --ignored`.
#[test]
#[ignore]
fn big_ladders_are_planned_in_full_at_two_seconds() {
    for size in [LadderSize::L, LadderSize::Xl] {
        let cluster = read(size.name(), &ladder(size, 1).to_string());
        let report = place(&cluster, &options(2.0)).unwrap();
        assert!(
            report.unplaced.is_empty(),
            "{}: {:?}",
            size.name(),
            report.message
        );
        check_feasible(size.name(), &cluster, &report);
    }
}
