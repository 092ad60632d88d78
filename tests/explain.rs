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
        assert!(report.feasible_nodes(p).is_empty());
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
        report.feasible_nodes(web),
        ["aks-general-0", "aks-general-1", "aks-general-2"]
    );
    assert_eq!(
        web.message,
        "3/7 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, \
         1 node(s) had untolerated taint {os: windows}, 1 node(s) had untolerated taint {sku: gpu}, \
         1 node(s) had untolerated taint {workload: highmem}."
    );
    let reports = pod(&report, "analytics/reports-0");
    assert!(report.feasible_nodes(reports).is_empty());
    let f = reports.filtered.as_ref().unwrap();
    assert_eq!(f["aks-highmem-0"][0].message, "Insufficient memory");
    assert_eq!(f["aks-general-0"][0].plugin, "NodeAffinity");
    assert_eq!(
        report.feasible_nodes(pod(&report, "ml/train-1")),
        ["aks-gpu-0"]
    );
    assert_eq!(
        report.feasible_nodes(pod(&report, "legacy/legacy-iis-0")),
        ["aks-win-0"]
    );
    let crawler = pod(&report, "batch/crawler-0");
    assert!(report.feasible_nodes(crawler).is_empty());
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
        with_pools.feasible_nodes(pod(&with_pools, "batch/crawler-0")),
        ["spot-new-0"]
    );
    assert_eq!(
        with_pools.feasible_nodes(pod(&with_pools, "analytics/reports-0")),
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
        report.feasible_nodes(pod(&report, "default/big")),
        ["general-new-0"]
    );

    // At maxCount (the cordoned node counts) it is rejected, with why.
    let report = explain(&pool_at_max_count(3), &with_pools).unwrap();
    let big = pod(&report, "default/big");
    assert!(report.feasible_nodes(big).is_empty());
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

/// The bundled example with and without new pool nodes, and generated
/// clusters of replicas and of pods all different.
fn grouping_scenarios() -> Vec<(String, podplan::model::Cluster, bool)> {
    let mut out = Vec::new();
    for with_pools in [false, true] {
        out.push((
            format!("example, with_pools {with_pools}"),
            read(&["examples/aks-multitenant.yaml"]),
            with_pools,
        ));
    }
    for pending_workloads in [0, 7] {
        let text = podplan::generate::generate(&podplan::generate::GenerateOptions {
            nodes: 120,
            bound_pods: 1500,
            pending_pods: 80,
            pending_workloads,
            seed: 3,
        })
        .to_string();
        let cluster = read_scenario(&[Input::new("generated.json", &text)]).unwrap();
        out.push((
            format!("generated, {pending_workloads} workloads"),
            cluster,
            false,
        ));
    }
    out
}

/// `explain` with `summary` and `with_pools` as given.
fn explain_with(
    cluster: &podplan::model::Cluster,
    summary: bool,
    with_pools: bool,
) -> ExplainReport {
    explain(
        cluster,
        &ExplainOptions {
            summary,
            with_pools,
            ..ExplainOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn summary_feasible_groups_expand_to_each_pods_feasible_nodes() {
    for (name, cluster, with_pools) in grouping_scenarios() {
        let full = explain_with(&cluster, false, with_pools);
        let summary = explain_with(&cluster, true, with_pools);
        assert!(full.feasible_groups.is_empty(), "{name}");
        assert!(!summary.feasible_groups.is_empty(), "{name}");
        assert_eq!(summary.pods.len(), full.pods.len(), "{name}");
        for (s, f) in summary.pods.iter().zip(&full.pods) {
            // Same pods in input order, each with its own nodes back.
            assert_eq!(s.pod, f.pod, "{name}");
            assert!(s.feasible_nodes.is_none(), "{name}: {}", s.pod);
            assert!(f.feasible_group.is_none(), "{name}: {}", f.pod);
            let expanded = &summary.feasible_groups[s.feasible_group.unwrap()].feasible_nodes;
            assert_eq!(
                Some(expanded),
                f.feasible_nodes.as_ref(),
                "{name}: {}",
                s.pod
            );
            assert_eq!(summary.feasible_nodes(s), full.feasible_nodes(f), "{name}");
            assert_eq!(s.feasible_count, expanded.len(), "{name}: {}", s.pod);
            assert_eq!(f.feasible_count, expanded.len(), "{name}: {}", f.pod);
            assert_eq!(s.message, f.message, "{name}: {}", s.pod);
        }
        assert_eq!(
            summary.any_unschedulable(),
            full.any_unschedulable(),
            "{name}"
        );
    }
}

#[test]
fn summary_pods_share_a_group_exactly_when_their_verdicts_are_the_same() {
    for (name, cluster, with_pools) in grouping_scenarios() {
        let summary = explain_with(&cluster, true, with_pools);
        let groups: Vec<usize> = summary
            .pods
            .iter()
            .map(|p| p.feasible_group.unwrap())
            .collect();
        // Numbered in order of first appearance, every one used.
        let mut next = 0;
        for &g in &groups {
            assert!(g <= next, "{name}: group {g} before {next}");
            next = next.max(g + 1);
        }
        assert_eq!(next, summary.feasible_groups.len(), "{name}");
        for (i, a) in summary.pods.iter().enumerate() {
            for b in &summary.pods[i + 1..] {
                let same = summary.feasible_nodes(a) == summary.feasible_nodes(b)
                    && a.reasons == b.reasons
                    && a.message == b.message;
                assert_eq!(
                    a.feasible_group == b.feasible_group,
                    same,
                    "{name}: {} {}",
                    a.pod,
                    b.pod
                );
            }
        }
    }
    // Replicas share one group, other workloads have their own.
    let cluster = read(&["examples/aks-multitenant.yaml"]);
    let summary = explain_with(&cluster, true, true);
    let group = |key: &str| pod(&summary, key).feasible_group.unwrap();
    assert_eq!(group("shop/web-0"), 0);
    assert_eq!(group("shop/web-3"), 0);
    assert_eq!(group("ml/train-0"), group("ml/train-1"));
    assert_eq!(group("batch/crawler-0"), group("batch/crawler-2"));
    assert_ne!(group("ml/train-0"), group("legacy/legacy-iis-0"));
    assert_eq!(summary.feasible_groups.len(), 5);
    assert_eq!(
        summary.feasible_groups[group("batch/crawler-1")].feasible_nodes,
        ["spot-new-0"]
    );
}

#[test]
fn summary_text_is_the_same_as_with_a_node_list_per_pod() {
    for (name, cluster, with_pools) in grouping_scenarios() {
        let summary = explain_with(&cluster, true, with_pools);
        // The report as it was before groups: every pod with its own list.
        let mut ungrouped = summary.clone();
        for p in &mut ungrouped.pods {
            p.feasible_nodes = Some(summary.feasible_nodes(p).to_vec());
            p.feasible_group = None;
        }
        ungrouped.feasible_groups.clear();
        assert_eq!(summary.to_text(), ungrouped.to_text(), "{name}");
    }
    let cluster = read(&["examples/aks-multitenant.yaml"]);
    let text = explain_with(&cluster, true, true).to_text();
    assert!(
        text.starts_with(
            "shop/web-0 … shop/web-3 (4 pods)  [schedulable]\n  4/13 nodes are available: "
        ),
        "{text}"
    );
    assert!(
        text.contains("\n  feasible: aks-general-0, aks-general-1, aks-general-2, general-new-0\n"),
        "{text}"
    );
    assert!(
        text.contains("\nml/train-0, ml/train-1  [schedulable]\n"),
        "{text}"
    );
    assert!(text.contains("\n  feasible: spot-new-0\n"), "{text}");
    let text = explain_with(&cluster, true, false).to_text();
    assert!(text.contains("\nbatch/crawler-0 … batch/crawler-2 (3 pods)  [UNSCHEDULABLE]\n  0/7 nodes are available: "), "{text}");
}
