//! `read_objects` (feature `k8s-openapi`): the bundled example built from
//! k8s-openapi objects gives byte-identical reports to the JSON file; the
//! kinds it lacks (ReplicaSet, PriorityClass) read as their JSON does; a
//! bad object is an error naming the input, object and field.
//!
//! Run with `cargo test --features k8s-openapi --test k8s_openapi`.
#![cfg(feature = "k8s-openapi")]

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use podplan::model::Cluster;
use podplan::{read_objects, read_scenario, Input, K8sObject};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn typed<T: DeserializeOwned + Into<K8sObject>>(item: &Value) -> K8sObject {
    serde_json::from_value::<T>(item.clone()).unwrap().into()
}

/// An item of a List as the k8s-openapi object of its kind (NodePools and
/// unknown kinds as JSON).
fn object(item: &Value) -> K8sObject {
    match item["kind"].as_str().unwrap_or_default() {
        "Node" => typed::<Node>(item),
        "Pod" => typed::<Pod>(item),
        "Deployment" => typed::<Deployment>(item),
        "StatefulSet" => typed::<StatefulSet>(item),
        "DaemonSet" => typed::<DaemonSet>(item),
        "ReplicaSet" => typed::<ReplicaSet>(item),
        "Job" => typed::<Job>(item),
        "PodDisruptionBudget" => typed::<PodDisruptionBudget>(item),
        "PriorityClass" => typed::<PriorityClass>(item),
        _ => K8sObject::Json(item.clone()),
    }
}

/// The reports of every operation on `cluster`, as JSON text without the
/// wall-clock times.
fn reports(cluster: &Cluster) -> Vec<String> {
    fn text<T: serde::Serialize>(report: T) -> String {
        let mut v = serde_json::to_value(report).unwrap();
        strip_timings(&mut v);
        v.to_string()
    }
    let place = podplan::PlaceOptions {
        time_limit: 3.0,
        repack: false,
    };
    let explain = podplan::ExplainOptions {
        fix: true,
        ..Default::default()
    };
    let drain = podplan::DrainOptions {
        pool: Some("general".into()),
        surge: 1,
        ..Default::default()
    };
    let headroom = podplan::HeadroomOptions {
        workload: Some("shop/db".into()),
        ..Default::default()
    };
    vec![
        text(podplan::explain(cluster, &explain).unwrap()),
        text(podplan::place(cluster, &place).unwrap()),
        text(podplan::simulate(cluster, &place).unwrap()),
        text(podplan::drain(cluster, &drain).unwrap()),
        text(podplan::headroom(cluster, &headroom).unwrap()),
        text(podplan::tenancy(cluster, &podplan::TenancyOptions::default()).unwrap()),
    ]
}

fn strip_timings(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("solveMillis");
            map.values_mut().for_each(strip_timings);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

#[test]
fn the_example_from_k8s_openapi_objects_gives_identical_reports() {
    let text = std::fs::read_to_string(format!("{ROOT}/examples/aks-multitenant.json")).unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let objects: Vec<K8sObject> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(object)
        .collect();
    let typed = objects
        .iter()
        .filter(|o| !matches!(o, K8sObject::Json(_)))
        .count();
    assert_eq!(typed, 22, "every Kubernetes object of the example is typed");
    let from_file = read_scenario(&[Input::new("aks-multitenant.json", &text)]).unwrap();
    let from_objects = read_objects("aks-multitenant.json", &objects).unwrap();
    assert_eq!(reports(&from_objects), reports(&from_file));
}

#[test]
fn replica_sets_and_priority_classes_read_as_their_json() {
    let items = vec![
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
               "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}),
        json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"priorityClassName": "high",
                                              "containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}}}]}}}}),
    ];
    let text = json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let objects: Vec<K8sObject> = items.iter().map(object).collect();
    assert!(objects.iter().all(|o| !matches!(o, K8sObject::Json(_))));
    let from_file = read_scenario(&[Input::new("rs.json", &text)]).unwrap();
    let from_objects = read_objects("rs.json", &objects).unwrap();
    let options = podplan::ExplainOptions::default();
    let a = podplan::explain(&from_objects, &options).unwrap();
    let b = podplan::explain(&from_file, &options).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // Three replicas of 2 CPUs on a 4-CPU node: two fit, one is pending.
    assert_eq!(a.pods.len(), 3);
    assert_eq!(
        from_objects
            .pods
            .iter()
            .filter(|p| p.spec.priority == 1000)
            .count(),
        3
    );
}

#[test]
fn a_bad_object_names_the_input_object_and_field() {
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "namespace": "a"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "lots"}}}]}
    }))
    .unwrap();
    let e = read_objects("from kube-rs", &[pod.into()])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "from kube-rs: Pod a/x: spec.containers[0].resources.requests.cpu: invalid quantity \"lots\""
    );
}
