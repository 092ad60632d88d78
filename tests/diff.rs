//! `diff`: the three typical uses of issue #12 on the bundled example, the
//! merge rules (replace, add, delete with what depends on it), errors and
//! the CLI's exit codes.

use podplan::report::diff::{ChangeAction, PodChangeKind};
use podplan::{diff, DiffOptions, DiffReport, Error, Input};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/examples/{name}")).unwrap()
}

fn run(base: &str, change: &str, options: &DiffOptions) -> podplan::Result<DiffReport> {
    diff(
        &[Input::new("base.yaml", base)],
        &[Input::new("change.yaml", change)],
        options,
    )
}

fn on_example(change_file: &str) -> DiffReport {
    run(
        &example("aks-multitenant.yaml"),
        &example(change_file),
        &DiffOptions::default(),
    )
    .unwrap()
}

#[test]
fn adding_a_deployment_costs_two_general_nodes() {
    let r = on_example("whatif-add-deployment.yaml");
    assert!(!r.newly_unschedulable);
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].action, ChangeAction::Added);
    assert_eq!(r.changes[0].name, "search");
    // Its six replicas appear, and fit.
    assert_eq!(r.pods.len(), 6);
    assert!(r.pods.iter().all(|p| p.change == PodChangeKind::Appeared
        && p.before.is_none()
        && p.pod.starts_with("shop/search-")));
    // Two more general nodes: three D8s_v5 hold the six (one per node
    // with the existing web replicas' room), at 0.384 each.
    assert_eq!(r.place.before.new_nodes["general"], 1);
    assert_eq!(r.place.after.new_nodes["general"], 3);
    assert!((r.place.cost_delta - 0.768).abs() < 1e-9, "{:?}", r.place);
    assert!(r.place.after.cost > r.place.before.cost);
    // Headroom of the new workload, with no "before".
    assert_eq!(r.headroom.len(), 1);
    assert_eq!(r.headroom[0].workload, "Deployment shop/search");
    assert!(r.headroom[0].before.is_none());
    assert!(r.headroom[0].after.fits > 0);
}

#[test]
fn deleting_the_spot_pool_strands_the_crawlers() {
    let r = on_example("whatif-delete-spot-pool.yaml");
    assert!(r.newly_unschedulable);
    assert_eq!(r.changes[0].action, ChangeAction::Deleted);
    assert_eq!(r.changes[0].kind, "NodePool");
    let stranded: Vec<&str> = r
        .pods
        .iter()
        .filter(|p| p.change == PodChangeKind::Unschedulable)
        .map(|p| p.pod.as_str())
        .collect();
    assert_eq!(
        stranded,
        ["batch/crawler-0", "batch/crawler-1", "batch/crawler-2"]
    );
    let p = &r.pods[0];
    assert!(p.before.as_deref().unwrap().starts_with("1/13 nodes"));
    assert!(p.after.as_deref().unwrap().starts_with("0/12 nodes"));
    assert_eq!(r.place.after.unplaced, 3);
    assert!(!r.place.after.new_nodes.contains_key("spot"));
    assert!(r.place.before.new_nodes.contains_key("spot"));
}

#[test]
fn a_bigger_vm_size_for_general_changes_the_cost() {
    let r = on_example("whatif-d16-general.yaml");
    assert!(!r.newly_unschedulable);
    assert_eq!(r.changes[0].action, ChangeAction::Replaced);
    assert!(r.pods.is_empty());
    // The one general node place adds now costs 0.768 instead of 0.384.
    assert!((r.place.cost_delta - 0.384).abs() < 1e-9, "{:?}", r.place);
    assert_eq!(r.place.before.new_nodes, r.place.after.new_nodes);
}

#[test]
fn a_scenario_against_itself_changes_nothing() {
    let base = example("aks-multitenant.yaml");
    let options = DiffOptions {
        drain_pool: Some("general".into()),
        ..DiffOptions::default()
    };
    let r = run(&base, &base, &options).unwrap();
    assert!(!r.newly_unschedulable);
    assert!(r.pods.is_empty());
    assert!(r.changes.iter().all(|c| c.action == ChangeAction::Replaced));
    assert_eq!(r.place.before, r.place.after);
    assert_eq!(r.place.cost_delta, 0.0);
    assert!(r
        .headroom
        .iter()
        .all(|h| h.before.as_ref() == Some(&h.after)));
    let drain = r.drain.unwrap();
    assert_eq!(drain.before, drain.after);
    // No "defined twice" warning: replacing is the point.
    assert!(
        r.warnings.iter().all(|w| !w.contains("twice")),
        "{:?}",
        r.warnings
    );
}

const SMALL: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: blue}
spec: {vmSize: Standard_D4s_v5, maxCount: 3, costPerHour: 0.2}
---
apiVersion: v1
kind: Node
metadata:
  name: blue-0
  labels: {kubernetes.azure.com/agentpool: blue, kubernetes.io/hostname: blue-0}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata:
  name: red-0
  labels: {kubernetes.io/hostname: red-0, color: red}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: "1"}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5f7-a
  namespace: shop
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5f7, controller: true}]
spec:
  nodeName: blue-0
  containers: [{name: c, resources: {requests: {cpu: "1"}}}]
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
"#;

#[test]
fn replace_takes_the_change_object_as_a_whole() {
    // Same Deployment, now 5 replicas that want a red node, 3 CPU each.
    let change = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 5
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {color: red}
      containers: [{name: c, resources: {requests: {cpu: "3"}}}]
"#;
    let r = run(SMALL, change, &DiffOptions::default()).unwrap();
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].action, ChangeAction::Replaced);
    // Before: one pending replica (api-0) that fits; after: four, which
    // only red-0 may take, and one at most fits there.
    let kinds: Vec<(&str, PodChangeKind)> =
        r.pods.iter().map(|p| (p.pod.as_str(), p.change)).collect();
    // api-0 fitted and still fits red-0; api-1..3 are new replicas.
    assert_eq!(
        kinds,
        [
            ("shop/api-1", PodChangeKind::Appeared),
            ("shop/api-2", PodChangeKind::Appeared),
            ("shop/api-3", PodChangeKind::Appeared),
        ]
    );
    assert_eq!(r.headroom[0].workload, "Deployment shop/api");
    assert!(r.headroom[0].before.is_some());
    assert_ne!(r.headroom[0].before.as_ref(), Some(&r.headroom[0].after));
    // Every pending replica fits red-0 by itself (the filters see them one
    // at a time) but place can put only one there: the rest stay pending.
    assert_eq!(r.place.after.unplaced, 3);
}

#[test]
fn deleting_a_pool_deletes_its_nodes_and_their_pods_become_pending() {
    let change = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata:
  name: blue
  annotations: {podplan.dev/delete: "true"}
"#;
    let bare = r#"
---
apiVersion: v1
kind: Pod
metadata: {name: shell, namespace: shop}
spec:
  nodeName: blue-0
  containers: [{name: c, resources: {requests: {cpu: "1"}}}]
status: {phase: Running}
"#;
    let base = format!("{SMALL}{bare}");
    let r = run(&base, change, &DiffOptions::default()).unwrap();
    let changes: Vec<(&str, &str, ChangeAction, Option<&str>)> = r
        .changes
        .iter()
        .map(|c| {
            (
                c.kind.as_str(),
                c.name.as_str(),
                c.action,
                c.because_of.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("NodePool", "blue", ChangeAction::Deleted, None),
            (
                "Node",
                "blue-0",
                ChangeAction::Deleted,
                Some("NodePool blue")
            ),
            ("Pod", "shell", ChangeAction::Deleted, Some("Node blue-0")),
        ]
    );
    // The pod without a controller goes with its node; the file named is
    // the one that deleted the pool.
    assert_eq!(r.changes[2].file, "change.yaml");
    assert!(r.pods.iter().all(|p| p.pod != "shop/shell"));
    // The replica that ran on blue-0 is pending now and fits red-0.
    assert!(r
        .pods
        .iter()
        .any(|p| p.pod == "shop/api-5f7-a" && p.change == PodChangeKind::Appeared));
    assert!(!r.newly_unschedulable);
}

#[test]
fn deleting_a_deployment_deletes_its_pods() {
    let change = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations: {podplan.dev/delete: "true"}
"#;
    let r = run(SMALL, change, &DiffOptions::default()).unwrap();
    assert_eq!(r.changes.len(), 2);
    assert_eq!(r.changes[1].name, "api-5f7-a");
    assert_eq!(
        r.changes[1].because_of.as_deref(),
        Some("Deployment shop/api")
    );
    // Its pending replica is gone.
    assert_eq!(r.pods.len(), 1);
    assert_eq!(r.pods[0].pod, "shop/api-0");
    assert_eq!(r.pods[0].change, PodChangeKind::Disappeared);
    assert!(r.headroom.is_empty());
}

#[test]
fn deleting_what_the_base_does_not_have_is_an_error() {
    let change = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nope
  namespace: shop
  annotations: {podplan.dev/delete: "true"}
"#;
    let e = run(SMALL, change, &DiffOptions::default()).unwrap_err();
    match &e {
        Error::Field {
            file,
            object,
            field,
            ..
        } => {
            assert_eq!(file, "change.yaml");
            assert_eq!(object, "Deployment shop/nope");
            assert_eq!(field, "metadata.annotations[podplan.dev/delete]");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("NotFound"), "{e}");
}

#[test]
fn bad_change_objects_are_errors_naming_file_object_and_field() {
    let bad_annotation = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, annotations: {podplan.dev/delete: true}}
"#;
    let e = run(SMALL, bad_annotation, &DiffOptions::default()).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "change.yaml: Deployment shop/api: metadata.annotations[podplan.dev/delete]:"
        ),
        "{e}"
    );
    let bad_field = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: c, resources: {requests: {cpu: "lots"}}}]
"#;
    let e = run(SMALL, bad_field, &DiffOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("change.yaml: Deployment shop/api: spec.template.spec.containers[0]"),
        "{e}"
    );
    let unknown_pool = DiffOptions {
        drain_pool: Some("purple".into()),
        ..DiffOptions::default()
    };
    let e = run(SMALL, SMALL, &unknown_pool).unwrap_err();
    assert!(e.to_string().contains("purple"), "{e}");
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_exit_codes_and_formats() {
    let base = "examples/aks-multitenant.yaml";
    let (code, out, _) = cli(&[
        "diff",
        base,
        "--with",
        "examples/whatif-delete-spot-pool.yaml",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("unschedulable batch/crawler-0 … batch/crawler-2 (3 pods)"),
        "{out}"
    );
    let (code, out, _) = cli(&[
        "diff",
        base,
        "--with",
        "examples/whatif-add-deployment.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["newlyUnschedulable"], false);
    assert_eq!(json["place"]["after"]["newNodes"]["general"], 3);
    // Deterministic: the same twice.
    let (_, again, _) = cli(&[
        "diff",
        base,
        "--with",
        "examples/whatif-add-deployment.yaml",
        "-o",
        "json",
    ]);
    let strip = |s: &str| s.to_string();
    assert_eq!(strip(&out), strip(&again));
    let (code, _, err) = cli(&["diff", base, "--with", "examples/missing.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("examples/missing.yaml"), "{err}");
    let (code, _, _) = cli(&["diff", base]);
    assert_eq!(code, 2, "--with is required");
}
