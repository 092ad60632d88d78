//! Fuzz-style property tests: whatever the input — Kubernetes-shaped JSON
//! with random values, YAML renderings of it, mutilated text, random bytes —
//! `read_scenario` returns `Ok` or `Err`, and never panics.

use podplan::{read_scenario, Input};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Field names Kubernetes objects use, so generated objects reach deep
/// into the reader instead of being skipped at the top.
const KEYS: &[&str] = &[
    "kind",
    "apiVersion",
    "items",
    "metadata",
    "name",
    "namespace",
    "labels",
    "ownerReferences",
    "controller",
    "deletionTimestamp",
    "spec",
    "status",
    "containers",
    "initContainers",
    "resources",
    "requests",
    "limits",
    "cpu",
    "memory",
    "pods",
    "nvidia.com/gpu",
    "hugepages-2Mi",
    "overhead",
    "nodeName",
    "nodeSelector",
    "affinity",
    "nodeAffinity",
    "podAffinity",
    "podAntiAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "preferredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
    "matchExpressions",
    "matchFields",
    "matchLabels",
    "key",
    "operator",
    "values",
    "value",
    "effect",
    "weight",
    "preference",
    "podAffinityTerm",
    "labelSelector",
    "namespaceSelector",
    "namespaces",
    "topologyKey",
    "matchLabelKeys",
    "mismatchLabelKeys",
    "tolerations",
    "taints",
    "topologySpreadConstraints",
    "maxSkew",
    "whenUnsatisfiable",
    "minDomains",
    "nodeAffinityPolicy",
    "nodeTaintsPolicy",
    "ports",
    "hostPort",
    "containerPort",
    "hostIP",
    "protocol",
    "hostNetwork",
    "restartPolicy",
    "priority",
    "priorityClassName",
    "volumes",
    "emptyDir",
    "phase",
    "conditions",
    "type",
    "containerStatuses",
    "allocatedResources",
    "replicas",
    "parallelism",
    "completions",
    "suspend",
    "selector",
    "template",
    "minAvailable",
    "maxUnavailable",
    "unhealthyPodEvictionPolicy",
    "globalDefault",
    "allocatable",
    "capacity",
    "unschedulable",
    "succeeded",
    "vmSize",
    "maxCount",
    "zones",
];

const STRINGS: &[&str] = &[
    "Node",
    "Pod",
    "List",
    "NodeList",
    "PodList",
    "Deployment",
    "DeploymentList",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "PodDisruptionBudget",
    "PriorityClass",
    "Namespace",
    "NodePool",
    "Service",
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "policy/v1beta1",
    "scheduling.k8s.io/v1",
    "podplan.dev/v1alpha1",
    "In",
    "NotIn",
    "Exists",
    "DoesNotExist",
    "Gt",
    "Lt",
    "Equal",
    "NoSchedule",
    "NoExecute",
    "PreferNoSchedule",
    "DoNotSchedule",
    "ScheduleAnyway",
    "Honor",
    "Ignore",
    "Always",
    "Running",
    "Pending",
    "Succeeded",
    "Failed",
    "Ready",
    "True",
    "100m",
    "1Gi",
    "0.5",
    "1e3",
    "12E",
    "-1",
    "12x",
    "50%",
    "150%",
    "",
    "web",
    "default",
    "n1",
    "system-node-critical",
    "ReplicaSet",
    "Standard_D2s_v5",
    "99999999999999999999999Ei",
    "1e-300",
    "TCP",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..5).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..7).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// An object with a readable kind at the top, the rest random.
fn k8s_object() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(STRINGS),
        prop::option::of(prop::sample::select(STRINGS)),
        json_value(),
        json_value(),
        json_value(),
    )
        .prop_map(|(kind, api, metadata, spec, status)| {
            let mut m = Map::new();
            m.insert("kind".into(), kind.into());
            if let Some(a) = api {
                m.insert("apiVersion".into(), a.into());
            }
            m.insert("metadata".into(), metadata);
            m.insert("spec".into(), spec);
            m.insert("status".into(), status);
            Value::Object(m)
        })
}

fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        k8s_object(),
        prop::collection::vec(k8s_object(), 0..4)
            .prop_map(|items| serde_json::json!({"kind": "List", "items": items})),
        json_value(),
    ]
}

fn read(text: &str) {
    // Ok or Err are both fine; a panic fails the test.
    let _ = read_scenario(&[Input::new("fuzz", text)]);
}

proptest! {
    // PODPLAN_FUZZ_CASES raises the count for a long fuzzing run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PODPLAN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    #[test]
    fn json_documents_never_panic(doc in document()) {
        read(&serde_json::to_string(&doc).unwrap());
    }

    #[test]
    fn yaml_documents_never_panic(docs in prop::collection::vec(document(), 1..3)) {
        let text: Vec<String> = docs
            .iter()
            .map(|d| serde_norway::to_string(d).unwrap_or_default())
            .collect();
        read(&text.join("---\n"));
    }

    #[test]
    fn truncated_and_mutated_text_never_panics(doc in k8s_object(), cut in any::<prop::sample::Index>(), byte in any::<u8>(), at in any::<prop::sample::Index>()) {
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let cut = cut.index(text.len() + 1);
        if let Some(prefix) = text.get(..cut) {
            read(prefix);
        }
        let mut bytes = text.into_bytes();
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        read(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_text_never_panics(s in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        read(&s);
        read(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn deep_nesting_never_panics() {
    for depth in [100usize, 1_000, 100_000] {
        read(&"[".repeat(depth));
        read(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        read(&"- ".repeat(depth));
        read(&format!("a: {}", "[".repeat(depth)));
        let nested_lists = format!(
            "{}{{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"p\"}}}}{}",
            "{\"kind\": \"List\", \"items\": [".repeat(depth.min(120)),
            "]}".repeat(depth.min(120))
        );
        read(&nested_lists);
    }
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='z' {
        text.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = c;
    }
    read(&text);
}

#[test]
fn huge_replica_counts_are_errors_not_exhaustion() {
    let text =
        r#"{"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 2147483647}}"#;
    assert!(read_scenario(&[Input::new("big", text)]).is_err());
}
