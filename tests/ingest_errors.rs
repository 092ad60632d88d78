//! Malformed scenarios: each is the right error variant, naming the file,
//! the object and the field.

use podplan::{read_scenario, Error, Input};

fn err(name: &str, text: &str) -> Error {
    match read_scenario(&[Input::new(name, text)]) {
        Ok(c) => panic!("{name}: expected an error, got {} pods", c.pods.len()),
        Err(e) => e,
    }
}

/// Asserts a field error and returns its Display text.
fn field_err(text: &str, object: &str, field: &str, message_part: &str) -> String {
    let e = err("pods.yaml", text);
    match &e {
        Error::Field {
            file,
            object: o,
            field: f,
            message,
        } => {
            assert_eq!(file, "pods.yaml", "{e}");
            assert_eq!(o, object, "{e}");
            assert_eq!(f, field, "{e}");
            assert!(message.contains(message_part), "{e}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    e.to_string()
}

#[test]
fn bad_quantity_names_file_object_and_field() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default}
spec:
  containers:
  - name: c
    resources: {requests: {cpu: 12x}}
"#;
    let shown = field_err(
        text,
        "Pod default/web-1",
        "spec.containers[0].resources.requests.cpu",
        "invalid quantity \"12x\"",
    );
    assert_eq!(
        shown,
        "pods.yaml: Pod default/web-1: spec.containers[0].resources.requests.cpu: invalid quantity \"12x\""
    );
}

#[test]
fn bad_quantity_in_a_list_item_and_in_node_allocatable() {
    let text = r#"{"kind": "PodList", "items": [
        {"metadata": {"name": "ok"}},
        {"metadata": {"name": "bad", "namespace": "shop"},
         "spec": {"initContainers": [{"name": "i", "resources": {"limits": {"memory": "1Qi"}}}]}}
    ]}"#;
    field_err(
        text,
        "Pod shop/bad",
        "spec.initContainers[0].resources.limits.memory",
        "invalid quantity \"1Qi\"",
    );
    let text = r#"{"kind": "Node", "metadata": {"name": "n1"},
        "status": {"allocatable": {"cpu": "two"}}}"#;
    field_err(
        text,
        "Node n1",
        "status.allocatable.cpu",
        "invalid quantity",
    );
}

#[test]
fn negative_quantities_are_rejected() {
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"memory": "-1Gi"}}}]}}"#;
    field_err(
        text,
        "Pod default/p",
        "spec.containers[0].resources.requests.memory",
        "must be greater than or equal to 0",
    );
    let text =
        r#"{"kind": "Node", "metadata": {"name": "n"}, "status": {"capacity": {"cpu": "-2"}}}"#;
    field_err(
        text,
        "Node n",
        "status.capacity.cpu",
        "greater than or equal to 0",
    );
}

#[test]
fn wrong_type_names_the_path() {
    let text = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: three
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c}]}
"#;
    let shown = field_err(text, "Deployment shop/web", "spec.replicas", "invalid type");
    assert!(shown.contains("\"three\""), "{shown}");
    // A whole section of the wrong type.
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "c"}}"#;
    field_err(text, "Pod default/p", "spec.containers", "invalid type");
    let text = r#"{"kind": "Node", "metadata": {"name": "n", "labels": {"zone": 1}}}"#;
    field_err(text, "Node n", "metadata.labels.zone", "invalid type");
    let text = r#"{"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": -1}}"#;
    field_err(
        text,
        "Deployment default/d",
        "spec.replicas",
        "greater than or equal to 0",
    );
}

#[test]
fn missing_name() {
    let text = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Pod
metadata: {namespace: default, labels: {app: x}}
spec: {containers: [{name: c}]}
"#;
    let shown = field_err(text, "Pod #2", "metadata.name", "required");
    assert_eq!(shown, "pods.yaml: Pod #2: metadata.name: is required");
    let text = r#"{"kind": "PriorityClass", "value": 10}"#;
    field_err(text, "PriorityClass #1", "metadata.name", "required");
}

#[test]
fn unknown_operators() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ml}
spec:
  containers: [{name: c}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: gpu, operator: Maybe, values: ["1"]}
"#;
    field_err(
        text,
        "Pod ml/p",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator",
        "unknown operator \"Maybe\"",
    );
    // Gt is not a label selector operator.
    let text = r#"
kind: Deployment
apiVersion: apps/v1
metadata: {name: d}
spec:
  template:
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 10
            podAffinityTerm:
              topologyKey: zone
              labelSelector:
                matchExpressions: [{key: app, operator: Gt, values: ["1"]}]
"#;
    field_err(
        text,
        "Deployment default/d",
        "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].operator",
        "unknown operator \"Gt\"",
    );
    // A missing operator.
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"affinity": {"nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchFields": [{"key": "metadata.name"}]}}]}}}}"#;
    field_err(
        text,
        "Pod default/p",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchFields[0].operator",
        "required",
    );
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"tolerations": [{"key": "a", "operator": "Like"}]}}"#;
    field_err(
        text,
        "Pod default/p",
        "spec.tolerations[0].operator",
        "unknown toleration operator",
    );
}

#[test]
fn unknown_taint_effect_and_bad_spread() {
    let text = r#"{"kind": "NodeList", "items": [{"metadata": {"name": "n1"},
        "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "Sometimes"}]}}]}"#;
    field_err(
        text,
        "Node n1",
        "spec.taints[1].effect",
        "unknown taint effect \"Sometimes\"",
    );
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"topologySpreadConstraints": [
        {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}}"#;
    field_err(
        text,
        "Pod default/p",
        "spec.topologySpreadConstraints[0].maxSkew",
        "greater than zero",
    );
    let text = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Sometimes"}]}}"#;
    field_err(
        text,
        "Pod default/p",
        "spec.topologySpreadConstraints[0].whenUnsatisfiable",
        "unknown whenUnsatisfiable",
    );
}

#[test]
fn bad_pdb_values() {
    let text = r#"{"kind": "PodDisruptionBudget", "apiVersion": "policy/v1",
        "metadata": {"name": "db", "namespace": "data"}, "spec": {"minAvailable": "two"}}"#;
    field_err(
        text,
        "PodDisruptionBudget data/db",
        "spec.minAvailable",
        "percentage",
    );
    let text = r#"{"kind": "PodDisruptionBudget", "apiVersion": "policy/v1",
        "metadata": {"name": "db"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}}"#;
    field_err(
        text,
        "PodDisruptionBudget default/db",
        "spec",
        "cannot be both set",
    );
}

#[test]
fn node_pool_errors_are_prefixed_with_spec() {
    let text = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: gpu}
spec: {vmSize: Standard_D2s_v5, minCount: -1}
"#;
    field_err(text, "NodePool gpu", "spec.minCount", "");
}

#[test]
fn truncated_json_is_a_syntax_error() {
    let e = err(
        "nodes.json",
        r#"{"kind": "NodeList", "items": [{"metadata": {"name": "#,
    );
    match &e {
        Error::Syntax { file, message } => {
            assert_eq!(file, "nodes.json");
            assert!(message.contains("line 1"), "{message}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(e.to_string().starts_with("nodes.json: "), "{e}");
}

#[test]
fn invalid_yaml_is_a_syntax_error() {
    let e = err(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n  spec: x\n",
    );
    match &e {
        Error::Syntax { file, message } => {
            assert_eq!(file, "bad.yaml");
            assert!(message.contains("line"), "{message}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let e = err("tabs.yaml", "kind: Pod\n\tmetadata: x\n");
    assert!(matches!(e, Error::Syntax { .. }), "{e:?}");
    // A document that is not an object.
    let e = err("scalar.yaml", "just a sentence\n");
    assert!(matches!(e, Error::Syntax { .. }), "{e:?}");
}

#[test]
fn empty_inputs() {
    for text in ["", "   \n", "# only a comment\n", "---\n---\n", "null"] {
        let e = err("empty.yaml", text);
        match &e {
            Error::Empty { file, message } => {
                assert_eq!(file, "empty.yaml");
                assert_eq!(message, "no Kubernetes objects");
            }
            other => panic!("{text:?}: expected Empty, got {other:?}"),
        }
    }
    // The empty file is named even when other inputs are fine.
    let e = read_scenario(&[
        Input::new("a.yaml", "kind: Node\nmetadata: {name: n}\n"),
        Input::new("b.yaml", ""),
    ])
    .unwrap_err();
    assert_eq!(e.to_string(), "b.yaml: no Kubernetes objects");
}

#[test]
fn non_object_items() {
    let e = err("l.json", r#"{"kind": "List", "items": [1]}"#);
    assert!(
        matches!(e, Error::Field { ref field, .. } if field == "items[0]"),
        "{e:?}"
    );
    let e = err("l.json", r#"{"kind": 7}"#);
    assert!(
        matches!(e, Error::Field { ref field, .. } if field == "kind"),
        "{e:?}"
    );
}
