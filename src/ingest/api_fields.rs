//! The fields the API server and kubelet add to every object, for
//! generated dumps that weigh what `kubectl get -o json` prints: `uid`,
//! `resourceVersion`, `creationTimestamp`, annotations, `managedFields`,
//! and a pod's and node's full status. podplan reads none of them (the
//! reader skips them), so they change no result; they make a reading
//! benchmark measure what a dump costs (about 1.5 KB per pod instead of
//! 0.6 KB; real dumps, with every manager's managedFields, weigh more).

use serde_json::{json, Value};

/// Adds the API server's and kubelet's fields to every object of a
/// generated `List` (`value["items"]`), deterministically.
pub fn add_api_fields(value: &mut Value) {
    let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        let kind = item["kind"].as_str().unwrap_or_default().to_string();
        add_metadata(item, &kind, i);
        match kind.as_str() {
            "Pod" => add_pod_fields(item, i),
            "Node" => add_node_fields(item, i),
            _ => {}
        }
    }
}

/// A fixed timestamp `i` seconds into a day (RFC 3339).
fn timestamp(i: usize) -> String {
    let s = i % 86_400;
    format!(
        "2026-11-{:02}T{:02}:{:02}:{:02}Z",
        1 + i / 86_400 % 28,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A uid-shaped string for object `i`.
fn uid(i: usize) -> String {
    format!(
        "{:08x}-4b1e-4c7d-9a2f-{:012x}",
        i,
        i.wrapping_mul(2_654_435_761)
    )
}

/// uid, resourceVersion, creationTimestamp, an annotation and the
/// managedFields entry of the object's manager.
fn add_metadata(item: &mut Value, kind: &str, i: usize) {
    let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let manager = match kind {
        "Pod" => "kube-controller-manager",
        "Node" => "kubelet",
        _ => "kubectl-client-side-apply",
    };
    meta.insert("uid".into(), json!(uid(i)));
    meta.insert("resourceVersion".into(), json!((1_000_000 + i).to_string()));
    meta.insert("creationTimestamp".into(), json!(timestamp(i)));
    meta.insert(
        "annotations".into(),
        json!({"podplan.dev/generated": "true", "kubernetes.io/change-cause": "rollout"}),
    );
    meta.insert(
        "managedFields".into(),
        json!([{"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": manager,
            "operation": "Update", "time": timestamp(i),
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}, "f:ownerReferences": {".": {}}},
                "f:spec": {"f:containers": {}, "f:dnsPolicy": {}, "f:restartPolicy": {}}}}]),
    );
}

/// What the API server defaults in a pod's spec and the kubelet reports in
/// its status.
fn add_pod_fields(pod: &mut Value, i: usize) {
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        for (k, v) in [
            ("dnsPolicy", json!("ClusterFirst")),
            ("enableServiceLinks", json!(true)),
            ("preemptionPolicy", json!("PreemptLowerPriority")),
            ("restartPolicy", json!("Always")),
            ("schedulerName", json!("default-scheduler")),
            ("securityContext", json!({})),
            ("serviceAccountName", json!("default")),
            ("terminationGracePeriodSeconds", json!(30)),
        ] {
            spec.entry(k).or_insert(v);
        }
        if let Some(containers) = spec.get_mut("containers").and_then(Value::as_array_mut) {
            for c in containers.iter_mut().filter_map(Value::as_object_mut) {
                c.insert("image".into(), json!("registry.example.com/app:1.4.2"));
                c.insert("imagePullPolicy".into(), json!("IfNotPresent"));
            }
        }
    }
    let bound = pod["spec"].get("nodeName").is_some();
    if let Some(status) = pod.get_mut("status").and_then(Value::as_object_mut) {
        if bound {
            add_pod_status(status, i);
            status.insert(
                "hostIP".into(),
                json!(format!("10.224.{}.{}", i / 250 % 250, i % 250)),
            );
            status.insert(
                "podIP".into(),
                json!(format!("10.244.{}.{}", i / 250 % 250, i % 250)),
            );
            status.insert("qosClass".into(), json!("Burstable"));
            status.insert("startTime".into(), json!(timestamp(i)));
        }
    }
}

/// The kubelet's conditions (Ready as generated).
fn add_pod_status(status: &mut serde_json::Map<String, Value>, i: usize) {
    let ready = status
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map_or(json!("True"), |c| c["status"].clone());
    let conditions: Vec<Value> = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    .iter()
    .map(|t| {
        let s = if *t == "Ready" || *t == "ContainersReady" {
            ready.clone()
        } else {
            json!("True")
        };
        json!({"type": t, "status": s, "lastTransitionTime": timestamp(i)})
    })
    .collect();
    status.insert("conditions".into(), json!(conditions));
}

/// A node's addresses, conditions, capacity, images and system info.
fn add_node_fields(node: &mut Value, i: usize) {
    let Some(status) = node.get_mut("status").and_then(Value::as_object_mut) else {
        return;
    };
    let conditions: Vec<Value> = [
        ("MemoryPressure", "False"),
        ("DiskPressure", "False"),
        ("PIDPressure", "False"),
        ("Ready", "True"),
    ]
    .iter()
    .map(|(t, s)| {
        json!({"type": t, "status": s, "lastHeartbeatTime": timestamp(i),
            "lastTransitionTime": timestamp(i), "reason": format!("Kubelet{t}"),
            "message": "kubelet is posting ready status"})
    })
    .collect();
    status.insert("conditions".into(), json!(conditions));
    status.insert(
        "addresses".into(),
        json!([{"type": "InternalIP", "address": format!("10.224.{}.{}", i / 250 % 250, i % 250)}]),
    );
    let images: Vec<Value> = (0..8)
        .map(|k| {
            json!({"names": [format!("mcr.microsoft.com/oss/kubernetes/image-{k}@sha256:{:064x}", k)],
                "sizeBytes": 10_000_000 + k})
        })
        .collect();
    status.insert("images".into(), json!(images));
    status.insert(
        "nodeInfo".into(),
        json!({"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.22",
            "kernelVersion": "5.15.0-1074-azure", "kubeletVersion": "v1.31.2",
            "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS"}),
    );
}
