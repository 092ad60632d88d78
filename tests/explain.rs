//! explain end to end: the bundled example and the real k3s dump, checked
//! against what kube-scheduler says.

use podplan::{explain, read_scenario, ExplainOptions, ExplainReport, Input};
use std::path::Path;

fn read(paths: &[&str]) -> podplan::model::Cluster {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let texts: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let path = root.join(p);
            (
                p.to_string(),
                std::fs::read_to_string(&path).expect("fixture"),
            )
        })
        .collect();
    let inputs: Vec<Input> = texts.iter().map(|(n, t)| Input::new(n, t)).collect();
    read_scenario(&inputs).expect("scenario reads")
}

fn pod<'a>(report: &'a ExplainReport, key: &str) -> &'a podplan::report::explain::PodExplanation {
    report
        .pods
        .iter()
        .find(|p| p.pod == key)
        .unwrap_or_else(|| panic!("{key} is not in the report"))
}

#[test]
fn k3s_pending_pods_are_insufficient_cpu_as_the_real_scheduler_said() {
    let cluster = read(&[
        "tests/fixtures/realworld/k3s-bundle-nodes.json",
        "tests/fixtures/realworld/k3s-bundle-pods-default.json",
        "tests/fixtures/realworld/k3s-bundle-pods-kube-system.json",
        "tests/fixtures/realworld/k3s-bundle-deployments-default.json",
    ]);
    let report = explain(&cluster, &ExplainOptions::default()).unwrap();
    assert_eq!(report.pods.len(), 2);
    for p in &report.pods {
        assert!(p.pod.starts_with("default/cpu-intensive-app-"), "{}", p.pod);
        assert!(p.feasible_nodes.is_empty());
        // The dump's PodScheduled condition says exactly this (before its
        // preemption part, which podplan does not simulate).
        assert_eq!(p.message, "0/1 nodes are available: 1 Insufficient cpu.");
        let filtered = p.filtered.as_ref().unwrap();
        assert_eq!(filtered["c9b7eea91"][0].plugin, "NodeResourcesFit");
    }
}

#[test]
fn bundled_example_verdicts() {
    let cluster = read(&["examples/aks-multitenant.yaml"]);
    let report = explain(&cluster, &ExplainOptions::default()).unwrap();
    let keys: Vec<&str> = report.pods.iter().map(|p| p.pod.as_str()).collect();
    assert_eq!(
        keys,
        [
            "shop/web-0",
            "shop/web-1",
            "shop/web-2",
            "shop/web-3",
            "analytics/reports-0",
            "ml/train-0",
            "ml/train-1",
            "legacy/legacy-iis-0",
            "legacy/legacy-iis-1",
            "batch/crawler-0",
            "batch/crawler-1",
            "batch/crawler-2",
        ]
    );
    let web = pod(&report, "shop/web-0");
    assert_eq!(
        web.feasible_nodes,
        ["aks-general-0", "aks-general-1", "aks-general-2"]
    );
    assert_eq!(
        web.message,
        "3/7 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, \
         1 node(s) had untolerated taint {os: windows}, 1 node(s) had untolerated taint {sku: gpu}, \
         1 node(s) had untolerated taint {workload: highmem}."
    );
    let reports = pod(&report, "analytics/reports-0");
    assert!(reports.feasible_nodes.is_empty());
    let f = reports.filtered.as_ref().unwrap();
    assert_eq!(f["aks-highmem-0"][0].message, "Insufficient memory");
    assert_eq!(f["aks-general-0"][0].plugin, "NodeAffinity");
    assert_eq!(pod(&report, "ml/train-1").feasible_nodes, ["aks-gpu-0"]);
    assert_eq!(
        pod(&report, "legacy/legacy-iis-0").feasible_nodes,
        ["aks-win-0"]
    );
    let crawler = pod(&report, "batch/crawler-0");
    assert!(crawler.feasible_nodes.is_empty());
    assert!(report.any_unschedulable());

    // With one new node per pool, the crawler fits a Spot node and the
    // report job a new high-memory node.
    let with_pools = explain(
        &cluster,
        &ExplainOptions {
            with_pools: true,
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        pod(&with_pools, "batch/crawler-0").feasible_nodes,
        ["spot-new-0"]
    );
    assert_eq!(
        pod(&with_pools, "analytics/reports-0").feasible_nodes,
        ["highmem-new-0"]
    );
}

#[test]
fn summary_replaces_per_node_detail_with_the_histogram() {
    let cluster = read(&["examples/aks-multitenant.yaml"]);
    let report = explain(
        &cluster,
        &ExplainOptions {
            summary: true,
            pod: Some("analytics/reports-0".into()),
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.pods.len(), 1);
    let p = &report.pods[0];
    assert!(p.filtered.is_none());
    let reasons = p.reasons.as_ref().unwrap();
    let total: usize = reasons.iter().map(|r| r.nodes).sum();
    assert_eq!(total, 7);
    assert_eq!(reasons[0].plugin, "NodeAffinity");
    assert_eq!(reasons[0].nodes, 3);
    assert!(p.message.starts_with("0/7 nodes are available: "));
}

#[test]
fn unknown_pod_is_a_usage_error() {
    let cluster = read(&["examples/aks-multitenant.yaml"]);
    let err = explain(
        &cluster,
        &ExplainOptions {
            pod: Some("nope/nope".into()),
            ..ExplainOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("nope/nope"));
}

/// Pool `general` (Standard_D4s_v5: 3860m allocatable) with `maxCount`, and
/// its three existing 2-cpu nodes, one of them cordoned: all count towards
/// `maxCount`. A pending 3-cpu pod fits only a new node of the pool.
fn pool_at_max_count(max_count: u32) -> podplan::model::Cluster {
    let node = |name: &str, cordoned: bool| {
        format!(
            "---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{kubernetes.azure.com/agentpool: general, kubernetes.io/hostname: {name}}}}}\nspec: {{unschedulable: {cordoned}}}\nstatus: {{allocatable: {{cpu: \"2\", memory: 8Gi, pods: \"110\"}}}}\n"
        )
    };
    let yaml = format!(
        "apiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {{name: general}}\nspec: {{vmSize: Standard_D4s_v5, maxCount: {max_count}}}\n{}{}{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: big, namespace: default}}\nspec:\n  containers: [{{name: c, resources: {{requests: {{cpu: \"3\"}}}}}}]\n",
        node("general-0", false),
        node("general-1", false),
        node("general-2", true),
    );
    read_scenario(&[Input::new("pool.yaml", &yaml)]).expect("scenario reads")
}

#[test]
fn a_pool_at_max_count_offers_no_new_node() {
    let with_pools = ExplainOptions {
        with_pools: true,
        ..ExplainOptions::default()
    };
    // Below maxCount the pool's new node takes the pod.
    let report = explain(&pool_at_max_count(4), &with_pools).unwrap();
    assert_eq!(
        pod(&report, "default/big").feasible_nodes,
        ["general-new-0"]
    );

    // At maxCount (the cordoned node counts) it is rejected, with why.
    let report = explain(&pool_at_max_count(3), &with_pools).unwrap();
    let big = pod(&report, "default/big");
    assert!(big.feasible_nodes.is_empty());
    assert!(report.any_unschedulable());
    let filtered = big.filtered.as_ref().unwrap();
    assert_eq!(filtered.len(), 4);
    let refused = &filtered["general-new-0"];
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].plugin, "ClusterAutoscaler");
    assert_eq!(refused[0].message, "pool general is at maxCount 3");
    assert_eq!(
        big.message,
        "0/4 nodes are available: 1 node(s) were unschedulable, \
         1 pool general is at maxCount 3, 2 Insufficient cpu."
    );

    // The histogram counts it too.
    let summary = explain(
        &pool_at_max_count(3),
        &ExplainOptions {
            summary: true,
            ..with_pools
        },
    )
    .unwrap();
    let reasons = summary.pods[0].reasons.as_ref().unwrap();
    assert!(
        reasons.iter().any(|r| r.plugin == "ClusterAutoscaler"
            && r.message == "pool general is at maxCount 3"
            && r.nodes == 1),
        "{reasons:?}"
    );
    assert_eq!(summary.pods[0].message, big.message);
}
