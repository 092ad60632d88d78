//! Reads every real-world dump in `tests/fixtures/realworld` and checks the facts
//! `expect.json` records for it (computed independently by `facts.py`), per
//! file and per scenario (files of one cluster read together).

use podplan::model::{Cluster, PodOrigin, WorkloadKind};
use podplan::{read_scenario, Input};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld")
}

fn expect() -> Value {
    let text = std::fs::read_to_string(dir().join("expect.json")).expect("expect.json");
    serde_json::from_str(&text).expect("expect.json parses")
}

fn read(files: &[&str]) -> Cluster {
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(dir().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f.to_string(), text)
        })
        .collect();
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(n, t)| Input::new(n.clone(), t))
        .collect();
    read_scenario(&inputs).unwrap_or_else(|e| panic!("{files:?}: {e}"))
}

/// The files of one scenario of `expect.json`.
fn files_of(facts: &Value) -> Vec<&str> {
    facts["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("file name"))
        .collect()
}

fn count(v: &Value, key: &str) -> usize {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} missing")) as usize
}

/// Checks one file's or scenario's facts.
fn check(what: &str, cluster: &Cluster, facts: &Value) {
    let input_pods: Vec<_> = cluster
        .pods
        .iter()
        .filter(|p| p.origin == PodOrigin::Input)
        .collect();
    assert_eq!(cluster.nodes.len(), count(facts, "nodes"), "{what}: nodes");
    assert_eq!(input_pods.len(), count(facts, "pods_total"), "{what}: pods");
    let pending = input_pods.iter().filter(|p| p.is_pending()).count();
    let bound = input_pods.iter().filter(|p| p.is_bound()).count();
    let terminal = input_pods.iter().filter(|p| p.is_terminal()).count();
    let bound_phase_pending = input_pods
        .iter()
        .filter(|p| p.is_bound() && p.phase == podplan::model::PodPhase::Pending)
        .count();
    assert_eq!(pending, count(facts, "pods_pending"), "{what}: pending");
    assert_eq!(bound, count(facts, "pods_bound"), "{what}: bound");
    assert_eq!(terminal, count(facts, "pods_terminal"), "{what}: terminal");
    assert_eq!(
        bound_phase_pending,
        count(facts, "pods_bound_phase_pending"),
        "{what}: bound with phase Pending"
    );

    // Objects per kind, where the model keeps them.
    for (kind, n) in facts["kinds"].as_object().expect("kinds") {
        let n = n.as_u64().unwrap() as usize;
        let got = match kind.as_str() {
            "Node" => cluster.nodes.len(),
            "Pod" => input_pods.len(),
            "PodDisruptionBudget" => cluster.pdbs.len(),
            "DaemonSet" => cluster.daemon_sets.len(),
            "Deployment" => workloads(cluster, WorkloadKind::Deployment),
            "ReplicaSet" => workloads(cluster, WorkloadKind::ReplicaSet),
            "StatefulSet" => workloads(cluster, WorkloadKind::StatefulSet),
            "Job" => workloads(cluster, WorkloadKind::Job),
            other => panic!("{what}: no check for kind {other}"),
        };
        assert_eq!(got, n, "{what}: objects of kind {kind}");
    }
    assert!(
        cluster.warnings.is_empty(),
        "{what}: {:?}",
        cluster.warnings
    );

    // Node allocatable, in document order.
    let alloc = facts["node_allocatable"]
        .as_object()
        .expect("node_allocatable");
    let names: Vec<&str> = cluster.nodes.iter().map(|n| n.name.as_str()).collect();
    let expected_names: Vec<&str> = alloc.keys().map(String::as_str).collect();
    assert_eq!(
        names.iter().copied().collect::<BTreeSet<_>>(),
        expected_names.iter().copied().collect::<BTreeSet<_>>(),
        "{what}: node names"
    );
    for node in &cluster.nodes {
        let f = &alloc[&node.name];
        let a = &node.allocatable;
        assert_eq!(
            a.milli_cpu,
            f["cpu_millis"].as_i64().unwrap(),
            "{what}: {} cpu",
            node.name
        );
        assert_eq!(
            a.memory,
            f["memory_bytes"].as_i64().unwrap(),
            "{what}: {} memory",
            node.name
        );
        if let Some(p) = f.get("pods").and_then(Value::as_i64) {
            assert_eq!(a.pods, p, "{what}: {} pods", node.name);
        }
        let gpus = f.get("nvidia.com/gpu").and_then(Value::as_i64).unwrap_or(0);
        assert_eq!(
            a.scalar("nvidia.com/gpu"),
            gpus,
            "{what}: {} gpus",
            node.name
        );
    }
}

fn workloads(cluster: &Cluster, kind: WorkloadKind) -> usize {
    cluster.workloads.iter().filter(|w| w.kind == kind).count()
}

#[test]
fn every_file_matches_its_facts() {
    let expect = expect();
    let files = expect["files"].as_object().expect("files");
    // Every data file of the directory is covered by expect.json.
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(dir()).expect("realworld dir") {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if (name.ends_with(".json") || name.ends_with(".yaml")) && name != "expect.json" {
            on_disk.insert(name);
        }
    }
    let listed: BTreeSet<String> = files.keys().cloned().collect();
    assert_eq!(on_disk, listed, "data files vs expect.json");
    for (file, facts) in files {
        let cluster = read(&[file]);
        check(file, &cluster, facts);
    }
}

#[test]
fn every_scenario_matches_its_facts() {
    let expect = expect();
    for (name, facts) in expect["scenarios"].as_object().expect("scenarios") {
        let cluster = read(&files_of(facts));
        check(name, &cluster, facts);
        // Every bound pod of a scenario is bound to one of its nodes.
        for p in cluster.pods.iter().filter(|p| p.is_bound()) {
            assert!(
                p.node.is_some(),
                "{name}: {} bound to an unknown node",
                p.key()
            );
        }
    }
}

#[test]
fn k3s_bundle_end_to_end() {
    let cluster = read(&[
        "k3s-bundle-nodes.json",
        "k3s-bundle-pods-default.json",
        "k3s-bundle-pods-kube-system.json",
        "k3s-bundle-deployments-default.json",
    ]);
    // All 6 replicas of the 3 Deployments exist as Pods (owned through
    // ReplicaSets that are not in the dump): nothing is added.
    assert!(cluster.pods.iter().all(|p| p.origin == PodOrigin::Input));
    assert_eq!(cluster.workloads.len(), 3);
    let replicas: i32 = cluster.workloads.iter().map(|w| w.replicas).sum();
    assert_eq!(replicas, 6);

    let pending: Vec<String> = cluster
        .pending_pods()
        .map(|id| cluster.pod(id).key())
        .collect();
    assert_eq!(
        pending,
        [
            "default/cpu-intensive-app-7bcfc5d944-hw2vc",
            "default/cpu-intensive-app-7bcfc5d944-n79rt"
        ]
    );
    for id in cluster.pending_pods() {
        assert_eq!(cluster.pod(id).spec.requests.milli_cpu, 800);
        assert_eq!(cluster.pod(id).spec.requests.memory, 100 << 20);
    }
    let node = cluster.node_by_name("c9b7eea91").expect("node");
    assert_eq!(cluster.node(node).allocatable.milli_cpu, 2000);
    let bound: Vec<_> = cluster.bound_pods().map(|id| cluster.pod(id)).collect();
    assert_eq!(bound.len(), 9);
    assert!(bound.iter().all(|p| p.node == Some(node)));
    let cpu: i64 = bound.iter().map(|p| p.spec.requests.milli_cpu).sum();
    assert_eq!(cpu, 1300);
    // The two pending pods of one ReplicaSet share one spec.
    let ids: Vec<_> = cluster.pending_pods().collect();
    assert!(std::sync::Arc::ptr_eq(
        &cluster.pod(ids[0]).spec,
        &cluster.pod(ids[1]).spec
    ));
    // System priority classes resolve to their well-known values.
    let coredns = cluster
        .pods
        .iter()
        .find(|p| p.namespace == "kube-system" && p.name.starts_with("coredns-"))
        .expect("coredns");
    assert_eq!(coredns.spec.priority, 2_000_000_000);
    assert_eq!(coredns.spec.topology_spread.len(), 2);
    // The svclb pod binds host ports 80 and 443.
    let svclb = cluster
        .pods
        .iter()
        .find(|p| p.name.starts_with("svclb-"))
        .expect("svclb");
    let ports: Vec<i32> = svclb.spec.host_ports.iter().map(|p| p.port).collect();
    assert_eq!(ports, [80, 443]);
    assert!(svclb.spec.host_ports.iter().all(|p| p.protocol == "TCP"));
    assert_eq!(
        svclb.owner.as_ref().map(|o| o.kind.as_str()),
        Some("DaemonSet")
    );
}

#[test]
fn sidecar_pod_requests() {
    let cluster = read(&["kind-sidecar-pod.json"]);
    let pod = &cluster.pods[0];
    assert_eq!(pod.spec.requests.milli_cpu, 333);
    assert_eq!(pod.spec.requests.memory, 333 << 20);
}

#[test]
fn v1beta1_pdb() {
    let cluster = read(&["pdb-v1beta1.json"]);
    let pdb = &cluster.pdbs[0];
    assert_eq!(
        (pdb.namespace.as_str(), pdb.name.as_str()),
        ("default", "fred")
    );
    assert_eq!(
        pdb.min_available,
        Some(podplan::model::IntOrPercent::Int(2))
    );
    assert!(!pdb.selector_empty);
    let nginx = podplan::model::labels([("app", "nginx")]);
    assert!(pdb.selector.matches(&nginx));
    assert!(!pdb
        .selector
        .matches(&podplan::model::labels([("app", "x")])));
}

#[test]
fn aks_and_kind_details() {
    let cluster = read(&["aks-arena-nodes.json", "aks-arena-kube-system-pods.json"]);
    // 2020-era AKS: no kubernetes.azure.com/agentpool label, no pools.
    assert_eq!(cluster.nodes[0].pool, None);
    let critical = cluster
        .pods
        .iter()
        .filter(|p| p.spec.priority == 2_000_001_000)
        .count();
    assert_eq!(critical, 9);

    let cluster = read(&[
        "kind-sonobuoy-nodes.json",
        "kind-sonobuoy-kube-system-pods.json",
    ]);
    let cp = cluster.node(cluster.node_by_name("kind-control-plane").unwrap());
    assert_eq!(cp.taints.len(), 1);
    assert_eq!(cp.taints[0].key, "node-role.kubernetes.io/master");
    assert_eq!(cp.taints[0].value, "");
    // DaemonSet pods pin themselves with matchFields on metadata.name.
    let kube_proxy = cluster
        .pods
        .iter()
        .find(|p| p.name.starts_with("kube-proxy-"))
        .expect("kube-proxy");
    let term = &kube_proxy
        .spec
        .required_node_affinity
        .as_ref()
        .unwrap()
        .terms[0];
    assert_eq!(term.match_fields[0].key, "metadata.name");
    let etcd = cluster
        .pods
        .iter()
        .find(|p| p.name.starts_with("etcd-"))
        .unwrap();
    assert_eq!(etcd.spec.requests.ephemeral_storage, 100 << 20);
    assert_eq!(etcd.owner.as_ref().unwrap().kind, "Node");

    let cluster = read(&["eks-arm64-nodes.json"]);
    assert_eq!(cluster.nodes[0].taints[0].key, "type");
    assert_eq!(
        cluster.nodes[0].allocatable.ephemeral_storage,
        122_601_479_578
    );
    assert_eq!(cluster.nodes[0].allocatable.scalar("hugepages-32Mi"), 0);
    assert_eq!(
        cluster.nodes[0]
            .allocatable
            .scalar("attachable-volumes-aws-ebs"),
        39
    );
}

/// Draining any single node of a real scenario gives a plan the
/// independent validator accepts (kube-system pods without controllers,
/// static pods, DaemonSets and all).
#[test]
fn every_node_of_every_scenario_drains_validly() {
    use podplan::check::validate_drain;
    use podplan::report::drain::DrainOptions;
    let expect = expect();
    let mut drained = 0;
    for (name, facts) in expect["scenarios"].as_object().expect("scenarios") {
        let cluster = read(&files_of(facts));
        for node in &cluster.nodes {
            for force in [false, true] {
                let options = DrainOptions {
                    nodes: vec![node.name.clone()],
                    force,
                    delete_emptydir_data: force,
                    ..Default::default()
                };
                let report = podplan::drain(&cluster, &options)
                    .unwrap_or_else(|e| panic!("{name}: drain {}: {e}", node.name));
                if let Err(problems) = validate_drain(&cluster, &options, &report) {
                    panic!("{name}: drain {}: {problems:#?}", node.name);
                }
                drained += 1;
            }
        }
    }
    assert!(drained >= 6, "{drained}");
}
