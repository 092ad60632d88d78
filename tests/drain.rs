//! `drain`: every plan replays cleanly through the independent validator
//! (`validate_drain`: PDB statuses recomputed per wave, the eviction API's
//! rules, every filter plugin on each destination); blockers name node,
//! pod and cause; and on small random clusters the planner agrees with a
//! brute-force search over all wave plans: it is feasible exactly when
//! some plan is, and then uses the fewest waves.

use podplan::check::validate_drain;
use podplan::model::Cluster;
use podplan::report::drain::{BlockerReason, DrainOptions, DrainReport, Eviction, Wave};
use podplan::{drain, read_scenario, Input};
use proptest::prelude::*;

fn read(text: &str) -> Cluster {
    read_scenario(&[Input::new("t.yaml", text)]).expect("scenario reads")
}

fn run(cluster: &Cluster, options: &DrainOptions) -> DrainReport {
    let report = drain(cluster, options).expect("drain runs");
    if let Err(problems) = validate_drain(cluster, options, &report) {
        panic!("invalid drain plan: {problems:#?}\n{}", report.to_text());
    }
    report
}

fn nodes(names: &[&str]) -> DrainOptions {
    DrainOptions {
        nodes: names.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// A node of pool `pool` in zone `zone`.
fn node(name: &str, pool: &str, zone: u32, cpu: u32) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.azure.com/agentpool: {pool}, kubernetes.io/hostname: {name}, topology.kubernetes.io/zone: \"{zone}\", kubernetes.io/os: linux}}\nstatus: {{allocatable: {{cpu: \"{cpu}\", memory: 64Gi, pods: \"110\"}}}}\n"
    )
}

/// A running pod of StatefulSet `app` on `node`.
fn pod(app: &str, i: usize, node: &str, cpu: &str, ready: bool, extra: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{i}\n  namespace: ns\n  labels: {{app: {app}}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: {app}, controller: true, uid: \"{app}\"}}]\nspec:\n  nodeName: {node}\n  containers: [{{name: c, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]\n{extra}status: {{phase: Running, conditions: [{{type: Ready, status: \"{}\"}}]}}\n",
        if ready { "True" } else { "False" }
    )
}

fn statefulset(app: &str, replicas: usize) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: {app}, namespace: ns}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      containers: [{{name: c, resources: {{requests: {{cpu: \"1\"}}}}}}]\n"
    )
}

fn pdb(app: &str, rule: &str) -> String {
    format!(
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {app}, namespace: ns}}\nspec:\n  {rule}\n  selector: {{matchLabels: {{app: {app}}}}}\n"
    )
}

fn example() -> Cluster {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/aks-multitenant.yaml"
    ))
    .unwrap();
    read(&text)
}

#[test]
fn bundled_example_pool_drain_is_blocked_by_the_db_pdb_and_the_debug_pod() {
    let cluster = example();
    let options = DrainOptions {
        pool: Some("general".into()),
        surge: 1,
        ..Default::default()
    };
    let report = run(&cluster, &options);
    assert!(!report.feasible);
    let db: Vec<_> = report
        .blockers
        .iter()
        .filter(|b| b.reason == BlockerReason::PodDisruptionBudget)
        .collect();
    assert_eq!(db.len(), 3);
    assert!(db.iter().all(|b| b.pdb.as_deref() == Some("shop/db")));
    assert!(
        db[0].message.contains("needs 3 healthy, has 3"),
        "{}",
        db[0].message
    );
    assert!(report
        .blockers
        .iter()
        .any(|b| b.reason == BlockerReason::UnmanagedPod && b.pod == "shop/debug-shell"));
    let numbers = report.pdbs.iter().find(|p| p.pdb == "shop/db").unwrap();
    assert_eq!(
        (
            numbers.expected_pods,
            numbers.current_healthy,
            numbers.desired_healthy,
            numbers.disruptions_allowed
        ),
        (3, 3, 3, 0)
    );
    assert_eq!(report.surge_nodes, vec!["general-new-0".to_string()]);
}

#[test]
fn relaxed_pdb_drains_one_db_pod_per_wave() {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/aks-multitenant.yaml"
    ))
    .unwrap();
    text.push_str(&pdb("db", "maxUnavailable: 1").replace("namespace: ns", "namespace: shop"));
    let cluster = read(&text);
    let options = DrainOptions {
        pool: Some("general".into()),
        surge: 1,
        force: true,
        ..Default::default()
    };
    let report = run(&cluster, &options);
    assert!(report.feasible, "{}", report.to_text());
    assert_eq!(report.waves.len(), 3);
    assert_eq!(report.wave_lower_bound, 3);
    for wave in &report.waves {
        let db = wave
            .evictions
            .iter()
            .filter(|e| e.pod.starts_with("shop/db-"))
            .count();
        assert_eq!(db, 1);
    }
    let deleted: Vec<&Eviction> = report
        .waves
        .iter()
        .flat_map(|w| &w.evictions)
        .filter(|e| e.to.is_none())
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].pod, "shop/debug-shell");
}

#[test]
fn budget_of_two_takes_ceil_of_evictions_over_budget_waves() {
    let mut text = node("a", "p", 1, 16) + &node("b", "p", 2, 16) + &node("c", "q", 1, 64);
    for i in 0..5 {
        text += &pod("web", i, if i < 3 { "a" } else { "b" }, "1", true, "");
    }
    text += &statefulset("web", 5);
    text += &pdb("web", "maxUnavailable: 2");
    let cluster = read(&text);
    let report = run(&cluster, &nodes(&["a", "b"]));
    assert!(report.feasible);
    assert_eq!(report.waves.len(), 3);
    assert_eq!(report.wave_lower_bound, 3);
    assert_eq!(report.stats.evictions, 5);
    assert!(report
        .waves
        .iter()
        .flat_map(|w| &w.evictions)
        .all(|e| e.to.as_deref() == Some("c")));
}

#[test]
fn max_unavailable_limits_nodes_per_wave() {
    let mut text = node("a", "p", 1, 16) + &node("b", "p", 1, 16) + &node("c", "p", 1, 16);
    text += &node("d", "q", 1, 64);
    for (i, n) in ["a", "b", "c"].iter().enumerate() {
        text += &pod("web", i, n, "1", true, "");
    }
    text += &statefulset("web", 3);
    let cluster = read(&text);
    let options = DrainOptions {
        pool: Some("p".into()),
        max_unavailable: Some(2),
        ..Default::default()
    };
    let report = run(&cluster, &options);
    assert!(report.feasible);
    assert_eq!(report.waves.len(), 2);
    assert_eq!(report.wave_lower_bound, 2);
}

#[test]
fn no_room_elsewhere_is_no_feasible_node_with_the_scheduler_reasons() {
    let mut text = node("a", "p", 1, 4) + &node("b", "q", 1, 2);
    text += &pod("big", 0, "a", "3", true, "");
    text += &statefulset("big", 1);
    let cluster = read(&text);
    let report = run(&cluster, &nodes(&["a"]));
    assert!(!report.feasible);
    assert_eq!(report.blockers.len(), 1);
    let b = &report.blockers[0];
    assert_eq!(b.reason, BlockerReason::NoFeasibleNode);
    assert_eq!((b.node.as_str(), b.pod.as_str()), ("a", "ns/big-0"));
    assert!(b.message.contains("Insufficient cpu"), "{}", b.message);
    assert!(b.message.contains("unschedulable"), "{}", b.message);
    // The same drain with a surge node of the pool goes through.
    let pool = "---\napiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {name: p}\nspec:\n  allocatable: {cpu: \"4\", memory: 16Gi, pods: \"110\"}\n  zones: [\"1\"]\n  maxCount: 5\n  costPerHour: 0.2\n";
    let cluster = read(&(text + pool));
    let options = DrainOptions {
        nodes: vec!["a".into()],
        surge: 1,
        ..Default::default()
    };
    let report = run(&cluster, &options);
    assert!(report.feasible, "{}", report.to_text());
    assert_eq!(report.waves[0].evictions[0].to.as_deref(), Some("p-new-0"));
}

/// Surge nodes never take the pool past its maxCount: pool `p` has three
/// nodes (the drained one, a cordoned one and one too small for the pod);
/// the pod fits only a surge node.
#[test]
fn surge_is_clipped_to_the_pools_max_count() {
    let cordoned =
        node("c", "p", 1, 4).replace("\nstatus:", "\nspec: {unschedulable: true}\nstatus:");
    let mut text = node("a", "p", 1, 4) + &node("b", "p", 1, 1) + &cordoned;
    text += &pod("big", 0, "a", "3", true, "");
    text += &statefulset("big", 1);
    let with_max = |max: u32| {
        read(&format!(
            "{text}---\napiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {{name: p}}\nspec:\n  allocatable: {{cpu: \"4\", memory: 16Gi, pods: \"110\"}}\n  maxCount: {max}\n"
        ))
    };
    let surge = |n: usize| DrainOptions {
        nodes: vec!["a".into()],
        surge: n,
        ..Default::default()
    };
    // At maxCount (the cordoned node counts): no surge node, and the pod
    // has nowhere to go.
    let report = run(&with_max(3), &surge(1));
    assert!(report.surge_nodes.is_empty(), "{:?}", report.surge_nodes);
    assert_eq!(
        report.warnings,
        ["--surge 1 clipped to 0 surge node(s): pool p is at maxCount 3"]
    );
    assert!(!report.feasible);
    assert_eq!(report.blockers[0].reason, BlockerReason::NoFeasibleNode);
    // One short of maxCount: one of the two surge nodes.
    let report = run(&with_max(4), &surge(2));
    assert_eq!(report.surge_nodes, ["p-new-0"]);
    assert_eq!(
        report.warnings,
        ["--surge 2 clipped to 1 surge node(s): pool p has room for 1 more node(s) under maxCount 4"]
    );
    assert!(report.feasible, "{}", report.to_text());
    assert_eq!(report.waves[0].evictions[0].to.as_deref(), Some("p-new-0"));
    // Room enough: the surge as asked, no warning.
    let report = run(&with_max(5), &surge(2));
    assert_eq!(report.surge_nodes, ["p-new-0", "p-new-1"]);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn kubectl_filters_block_unmanaged_local_storage_and_two_pdbs() {
    let mut text = node("a", "p", 1, 16) + &node("b", "q", 1, 16);
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: naked, namespace: ns}\nspec:\n  nodeName: a\n  containers: [{name: c}]\nstatus: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}\n";
    text += &pod(
        "cache",
        0,
        "a",
        "1",
        true,
        "  volumes: [{name: scratch, emptyDir: {}}]\n",
    );
    text += &pod("two", 0, "a", "1", true, "");
    text += &statefulset("cache", 1);
    text += &statefulset("two", 1);
    text += &pdb("two", "maxUnavailable: 1");
    text +=
        &pdb("two", "maxUnavailable: 1").replace("name: two, namespace", "name: two-b, namespace");
    // A DaemonSet pod on the node is ignored, not a blocker.
    text += "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: c, resources: {requests: {cpu: 100m}}}]\n";
    let cluster = read(&text);
    let report = run(&cluster, &nodes(&["a"]));
    assert!(!report.feasible);
    let mut reasons: Vec<(String, BlockerReason)> = report
        .blockers
        .iter()
        .map(|b| (b.pod.clone(), b.reason))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            ("ns/cache-0".into(), BlockerReason::LocalStorage),
            ("ns/naked".into(), BlockerReason::UnmanagedPod),
            ("ns/two-0".into(), BlockerReason::MultiplePdbs),
        ]
    );
    assert_eq!(report.stats.ignored_pods, 1);
    // --force and --delete-emptydir-data lift two of them.
    let options = DrainOptions {
        nodes: vec!["a".into()],
        force: true,
        delete_emptydir_data: true,
        ..Default::default()
    };
    let report = run(&cluster, &options);
    let reasons: Vec<BlockerReason> = report.blockers.iter().map(|b| b.reason).collect();
    assert_eq!(reasons, vec![BlockerReason::MultiplePdbs]);
    assert_eq!(report.stats.evictions, 2);
}

#[test]
fn unready_pods_go_free_but_their_replacements_do_not_refill_the_budget() {
    let mut text = node("a", "p", 1, 16) + &node("b", "q", 1, 64);
    // 4 pods, 2 unready; minAvailable 2 with 2 healthy: budget 0.
    for i in 0..4 {
        text += &pod("web", i, "a", "1", i >= 2, "");
    }
    text += &statefulset("web", 4);
    text += &pdb(
        "web",
        "minAvailable: 2\n  unhealthyPodEvictionPolicy: AlwaysAllow",
    );
    let cluster = read(&text);
    let report = run(&cluster, &nodes(&["a"]));
    // Wave 1 evicts the two unready pods without budget; their
    // replacements are assumed to stay unready (a replacement is as healthy
    // as the pod it replaces), so the budget stays 0 and the healthy pods
    // are blockers.
    assert!(!report.feasible, "{}", report.to_text());
    assert_eq!(report.waves.len(), 1);
    let first: Vec<&str> = report.waves[0]
        .evictions
        .iter()
        .map(|e| e.pod.as_str())
        .collect();
    assert_eq!(first, vec!["ns/web-0", "ns/web-1"]);
    let blocked: Vec<(&str, BlockerReason)> = report
        .blockers
        .iter()
        .map(|b| (b.pod.as_str(), b.reason))
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("ns/web-2", BlockerReason::PodDisruptionBudget),
            ("ns/web-3", BlockerReason::PodDisruptionBudget),
        ]
    );
    assert!(
        report.warnings.iter().any(|w| w.contains("stay unready")),
        "{:?}",
        report.warnings
    );
    // The default policy (IfHealthyBudget) lets unready pods go free only
    // while currentHealthy >= desiredHealthy: the same plan at
    // minAvailable 2, and none at minAvailable 3 (2 healthy < 3).
    let default_policy = text.replace("\n  unhealthyPodEvictionPolicy: AlwaysAllow", "");
    let report = run(&read(&default_policy), &nodes(&["a"]));
    assert!(!report.feasible);
    assert_eq!(report.waves.len(), 1);
    assert_eq!(report.blockers.len(), 2);
    let strict = default_policy.replace("minAvailable: 2", "minAvailable: 3");
    let report = run(&read(&strict), &nodes(&["a"]));
    assert!(!report.feasible);
    assert_eq!(report.blockers.len(), 4);
    assert!(report
        .blockers
        .iter()
        .all(|b| b.reason == BlockerReason::PodDisruptionBudget));
    // At minAvailable 1 the budget is 1 in every wave: the unready pods and
    // one healthy pod, then the other.
    let loose = default_policy.replace("minAvailable: 2", "minAvailable: 1");
    let report = run(&read(&loose), &nodes(&["a"]));
    assert!(report.feasible, "{}", report.to_text());
    assert_eq!(report.waves.len(), 2);
    assert_eq!(report.wave_lower_bound, 2);
}

/// Issue #11: a PDB minAvailable 13 over 16 pods of which 2 are unready
/// (currentHealthy 14, disruptionsAllowed 1). The unready pods' replacements
/// stay unready, so every wave allows one disruption of it, never the three
/// a recovered budget would.
#[test]
fn an_unready_pods_replacement_is_assumed_unready_in_later_waves() {
    let mut text = node("a", "p", 1, 16) + &node("b", "p", 2, 16);
    text += &(node("c", "q", 1, 64) + &node("d", "q", 2, 64));
    // a: big-0 and big-1 unready, big-2..4 healthy; b: big-5..7 healthy;
    // c: big-8..15 healthy, not drained.
    let on = |i: usize| match i {
        0..=4 => "a",
        5..=7 => "b",
        _ => "c",
    };
    for i in 0..16 {
        text += &pod("big", i, on(i), "1", i >= 2, "");
    }
    text += &statefulset("big", 16);
    text += &pdb("big", "minAvailable: 13");
    let cluster = read(&text);
    for max_unavailable in [None, Some(1)] {
        let options = DrainOptions {
            max_unavailable,
            ..nodes(&["a", "b"])
        };
        // `run` has the validator accept the plan.
        let report = run(&cluster, &options);
        assert!(report.feasible, "{}", report.to_text());
        let numbers = report.pdbs.iter().find(|p| p.pdb == "ns/big").unwrap();
        assert_eq!(
            (
                numbers.expected_pods,
                numbers.current_healthy,
                numbers.desired_healthy,
                numbers.disruptions_allowed
            ),
            (16, 14, 13, 1)
        );
        // Per wave, the healthy pods evicted (each spends one disruption)
        // stay within currentHealthy - desiredHealthy, where currentHealthy
        // counts a replacement only if the pod it replaces was healthy.
        // Every pod is recreated, so that is 14 in every wave.
        let unready = ["ns/big-0", "ns/big-1"];
        let healthy = 14;
        for (w, wave) in report.waves.iter().enumerate() {
            let spent = wave
                .evictions
                .iter()
                .filter(|e| !unready.contains(&e.pod.as_str()))
                .count();
            assert!(
                spent <= healthy - 13,
                "wave {}: {spent} disruptions, {} allowed\n{}",
                w + 1,
                healthy - 13,
                report.to_text()
            );
        }
        let waves = report
            .waves
            .iter()
            .filter(|w| !w.evictions.is_empty())
            .count();
        assert_eq!(waves, 6, "{}", report.to_text());
        assert_eq!(report.wave_lower_bound, 6);
        assert_eq!(report.stats.evictions, 8);
    }
}

#[test]
fn unknown_node_or_pool_is_a_usage_error() {
    let cluster = read(&node("a", "p", 1, 4));
    let err = drain(&cluster, &nodes(&["zz"])).unwrap_err();
    assert!(err.to_string().contains("zz"));
    let options = DrainOptions {
        pool: Some("nope".into()),
        ..Default::default()
    };
    assert!(drain(&cluster, &options)
        .unwrap_err()
        .to_string()
        .contains("nope"));
}

// ---------------------------------------------------------------- brute force

/// A small random cluster: nodes `n0..` (the first `targets` are drained)
/// in pool `p` (first two) or `q`, pods of two StatefulSets with random
/// requests, readiness and hostname anti-affinity, and random PDBs.
#[derive(Debug, Clone)]
struct Small {
    node_cpu: Vec<u32>,
    targets: usize,
    pods: Vec<(usize, u32, bool, usize)>, // (node, cpu, ready, app)
    anti_affinity: bool,
    pdbs: Vec<Option<(bool, i32)>>, // per app: (minAvailable?, value)
    always_allow: bool,
    surge: usize,
}

impl Small {
    fn yaml(&self) -> String {
        let mut text = String::from("---\napiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {name: p}\nspec:\n  allocatable: {cpu: \"3\", memory: 16Gi, pods: \"110\"}\n  zones: [\"1\"]\n  maxCount: 9\n  costPerHour: 0.2\n");
        for (i, cpu) in self.node_cpu.iter().enumerate() {
            text += &node(&format!("n{i}"), if i < 2 { "p" } else { "q" }, 1, *cpu);
        }
        let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: a0}}\n        topologyKey: kubernetes.io/hostname\n";
        let mut count = [0usize; 2];
        for (i, (n, cpu, ready, app)) in self.pods.iter().enumerate() {
            count[*app] += 1;
            let extra = if self.anti_affinity && *app == 0 {
                anti
            } else {
                ""
            };
            text += &pod(
                &format!("a{app}"),
                i,
                &format!("n{n}"),
                &cpu.to_string(),
                *ready,
                extra,
            );
        }
        for (app, c) in count.iter().enumerate() {
            text += &statefulset(&format!("a{app}"), *c);
            if let Some((min, v)) = self.pdbs[app] {
                let rule = if min {
                    format!("minAvailable: {v}")
                } else {
                    format!("maxUnavailable: {v}")
                };
                let policy = if self.always_allow {
                    "\n  unhealthyPodEvictionPolicy: AlwaysAllow"
                } else {
                    ""
                };
                text += &pdb(&format!("a{app}"), &(rule + policy));
            }
        }
        text
    }

    fn options(&self) -> DrainOptions {
        DrainOptions {
            nodes: (0..self.targets).map(|i| format!("n{i}")).collect(),
            surge: self.surge,
            ..Default::default()
        }
    }
}

fn small() -> impl Strategy<Value = Small> {
    (
        prop::collection::vec(1u32..5, 2..5),
        1usize..3,
        prop::collection::vec(
            (
                prop::bool::weighted(0.85),
                0usize..4,
                1u32..3,
                prop::bool::weighted(0.8),
                0usize..2,
            ),
            1..4,
        ),
        any::<bool>(),
        prop::collection::vec(prop::option::of((any::<bool>(), 0i32..3)), 2),
        any::<bool>(),
        0usize..2,
    )
        .prop_map(
            |(node_cpu, targets, pods, anti_affinity, pdbs, always_allow, surge)| {
                let n = node_cpu.len();
                let targets = targets.min(n - 1).min(2);
                let node = |on_target: bool, i: usize| {
                    if on_target {
                        i % targets
                    } else {
                        targets + i % (n - targets)
                    }
                };
                Small {
                    targets,
                    pods: pods
                        .into_iter()
                        .map(|(t, i, c, r, a)| (node(t, i), c, r, a))
                        .collect(),
                    node_cpu,
                    anti_affinity,
                    pdbs,
                    always_allow,
                    surge,
                }
            },
        )
}

/// The fewest waves of any valid plan, by trying every ordered partition
/// of the pods into waves and every destination of every pod; `None` when
/// no plan is valid.
fn brute_force(cluster: &Cluster, options: &DrainOptions, report: &DrainReport) -> Option<usize> {
    let targets: Vec<&str> = options.nodes.iter().map(String::as_str).collect();
    let pods: Vec<(String, String)> = cluster
        .pods
        .iter()
        .filter(|p| p.node_name.as_deref().is_some_and(|n| targets.contains(&n)))
        .map(|p| (p.key(), p.node_name.clone().unwrap()))
        .collect();
    let mut destinations: Vec<String> = cluster
        .nodes
        .iter()
        .map(|n| n.name.clone())
        .filter(|n| !targets.contains(&n.as_str()))
        .collect();
    destinations.extend(report.surge_nodes.iter().cloned());
    let template = DrainReport {
        feasible: true,
        waves: Vec::new(),
        wave_lower_bound: 0,
        blockers: Vec::new(),
        pdbs: Vec::new(),
        surge_nodes: report.surge_nodes.clone(),
        stats: Default::default(),
        warnings: Vec::new(),
    };
    if pods.is_empty() {
        return Some(0);
    }
    let mut best: Option<usize> = None;
    // Assign each pod a wave index (0..k) and a destination; require every
    // wave 0..k to be used.
    for k in 1..=pods.len() {
        let combos = (k * destinations.len()).pow(pods.len() as u32);
        for mut code in 0..combos {
            let mut waves = vec![Wave::default(); k];
            for (pod, from) in &pods {
                let choice = code % (k * destinations.len());
                code /= k * destinations.len();
                let (w, d) = (choice / destinations.len(), choice % destinations.len());
                waves[w].evictions.push(Eviction {
                    pod: pod.clone(),
                    from: from.clone(),
                    to: Some(destinations[d].clone()),
                });
            }
            if waves.iter().any(|w| w.evictions.is_empty()) {
                continue;
            }
            let plan = DrainReport {
                waves,
                ..template.clone()
            };
            if validate_drain(cluster, options, &plan).is_ok() {
                best = Some(k);
                break;
            }
        }
        if best.is_some() {
            break;
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PODPLAN_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    /// Feasible exactly when a brute-force plan exists, with as few waves.
    #[test]
    fn planner_matches_brute_force(s in small()) {
        let cluster = read(&s.yaml());
        let options = s.options();
        let report = run(&cluster, &options);
        let oracle = brute_force(&cluster, &options, &report);
        prop_assert_eq!(report.feasible, oracle.is_some(), "{}\n{}", s.yaml(), report.to_text());
        if let Some(best) = oracle {
            let waves = report.waves.iter().filter(|w| !w.evictions.is_empty()).count();
            prop_assert_eq!(waves, best, "{}\n{}", s.yaml(), report.to_text());
            prop_assert!(report.wave_lower_bound <= best);
        }
    }
}

#[test]
fn generated_cluster_pool_drain_validates() {
    use podplan::generate::{drain_scenario, DrainScenarioOptions};
    let options = DrainScenarioOptions {
        nodes: 60,
        pods: 1_200,
        workloads: 30,
        seed: 7,
    };
    let text = drain_scenario(&options).to_string();
    let cluster = read_scenario(&[Input::new("drain.json", &text)]).unwrap();
    for max_unavailable in [None, Some(4)] {
        let drain_options = DrainOptions {
            pool: Some("drain".into()),
            max_unavailable,
            surge: 1,
            ..Default::default()
        };
        let report = run(&cluster, &drain_options);
        assert!(report.feasible, "{}", report.to_text());
        assert_eq!(report.stats.nodes, 12);
        assert!(report.stats.evictions > 100, "{}", report.stats.evictions);
        assert!(report.waves.len() >= report.wave_lower_bound);
        if max_unavailable.is_none() {
            assert_eq!(report.waves.len(), report.wave_lower_bound);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PODPLAN_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12),
        ..ProptestConfig::default()
    })]

    /// Generated running clusters (StatefulSets, anti-affinity, PDBs of
    /// every kind): every pool drain validates, and without a node limit
    /// its waves reach the lower bound.
    #[test]
    fn generated_drains_validate(
        seed in 0u64..10_000,
        nodes in 10usize..40,
        pods in 50usize..400,
        workloads in 2usize..15,
        max_unavailable in prop::option::of(1usize..4),
        surge in 0usize..2,
    ) {
        use podplan::generate::{drain_scenario, DrainScenarioOptions};
        let text = drain_scenario(&DrainScenarioOptions { nodes, pods, workloads, seed }).to_string();
        let cluster = read_scenario(&[Input::new("drain.json", &text)]).unwrap();
        let options = DrainOptions {
            pool: Some("drain".into()),
            max_unavailable,
            surge,
            ..Default::default()
        };
        let report = run(&cluster, &options);
        let waves = report.waves.iter().filter(|w| !w.evictions.is_empty()).count();
        prop_assert!(waves >= report.wave_lower_bound);
        if max_unavailable.is_none() {
            prop_assert_eq!(waves, report.wave_lower_bound);
        }
    }
}

#[test]
fn a_ready_pod_that_is_still_pending_goes_free_and_the_bound_knows_it() {
    let mut text = node("a", "p", 1, 16) + &node("b", "q", 1, 16);
    text += &pod("web", 0, "a", "1", true, "");
    // Bound, Ready, but still in phase Pending: the eviction API deletes it
    // without consulting the PDB (canIgnorePDB).
    text += &pod("web", 1, "a", "1", true, "").replace("phase: Running", "phase: Pending");
    text += &statefulset("web", 2);
    text += &pdb("web", "maxUnavailable: 1");
    let report = run(&read(&text), &nodes(&["a"]));
    assert!(report.feasible);
    assert_eq!(report.waves.len(), 1);
    assert_eq!(report.wave_lower_bound, 1);
}
