//! `place --repack`: consolidation. Hand cases for what may move and what
//! keeps a node, the validator on every repack plan (and on broken ones),
//! a proptest against a brute-force optimum of the repack objective, and
//! the CLI.

use podplan::check::{validate_plan, validate_repack_plan};
use podplan::model::Cluster;
use podplan::report::place::PlanStatus;
use podplan::{place, read_scenario, Input, PlaceOptions, PlaceReport};
use proptest::prelude::*;
use std::fmt::Write;

fn read(text: &str) -> Cluster {
    read_scenario(&[Input::new("repack.yaml", text)]).expect("scenario reads")
}

fn repack(cluster: &Cluster) -> PlaceReport {
    let report = place(
        cluster,
        &PlaceOptions {
            time_limit: 5.0,
            repack: true,
        },
    )
    .expect("repack plans");
    if let Err(problems) = validate_repack_plan(cluster, &report) {
        panic!("invalid repack plan: {problems:#?}\n{}", report.to_text());
    }
    assert!(report.lower_bound <= report.cost + 1e-9);
    report
}

fn plain(cluster: &Cluster) -> PlaceReport {
    place(
        cluster,
        &PlaceOptions {
            time_limit: 5.0,
            repack: false,
        },
    )
    .expect("place plans")
}

/// A pool of 4-CPU, 16Gi nodes at `cost` per hour.
fn pool(name: &str, cost: f64, max: u32, min: u32) -> String {
    format!(
        "---\napiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {{name: {name}}}\n\
         spec: {{capacity: {{cpu: \"4\", memory: 16Gi, pods: \"110\"}}, \
         allocatable: {{cpu: \"4\", memory: 16Gi, pods: \"110\"}}, \
         zones: [\"1\"], costPerHour: {cost}, maxCount: {max}, minCount: {min}}}\n"
    )
}

/// An existing node of `pool` like the pool's.
fn node(name: &str, pool: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: \
         {{kubernetes.azure.com/agentpool: {pool}, kubernetes.io/hostname: {name}, \
         topology.kubernetes.io/zone: \"1\"}}}}\n\
         status: {{allocatable: {{cpu: \"4\", memory: 16Gi, pods: \"110\"}}}}\n"
    )
}

/// Pool `general` (1/h, at most 5 nodes), existing `nodes` of it, and `pods`.
fn general(nodes: &[&str], pods: &[String]) -> String {
    let mut text = pool("general", 1.0, 5, 0);
    for n in nodes {
        text.push_str(&node(n, "general"));
    }
    text + &pods.concat()
}

/// How a test pod is owned and what else it carries.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// Owned by a ReplicaSet.
    Managed,
    /// No controller.
    Unmanaged,
    /// Owned by a DaemonSet.
    Daemon,
    /// Owned by a ReplicaSet, with an emptyDir volume.
    LocalStorage,
    /// Owned by a ReplicaSet, with required hostname anti-affinity to
    /// its own app label.
    AntiAffine,
}

/// A pod requesting `milli` CPU, bound to `node` (pending when None).
fn pod(name: &str, milli: u32, node: Option<&str>, kind: Kind) -> String {
    let owner = match kind {
        Kind::Unmanaged => String::new(),
        Kind::Daemon => ", ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: ds, \
                         uid: u1, controller: true}]"
            .to_string(),
        _ => ", ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u2, \
              controller: true}]"
            .to_string(),
    };
    let app = if kind == Kind::AntiAffine {
        "spread"
    } else {
        name
    };
    let mut spec = String::new();
    if let Some(n) = node {
        let _ = write!(spec, "nodeName: {n}, ");
    }
    if kind == Kind::LocalStorage {
        spec.push_str("volumes: [{name: scratch, emptyDir: {}}], ");
    }
    if kind == Kind::AntiAffine {
        spec.push_str(
            "affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: \
             [{labelSelector: {matchLabels: {app: spread}}, topologyKey: kubernetes.io/hostname}]}}, ",
        );
    }
    let status = if node.is_some() {
        "\nstatus: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}"
    } else {
        ""
    };
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default, \
         labels: {{app: {app}}}{owner}}}\n\
         spec: {{{spec}containers: [{{name: c, resources: {{requests: {{cpu: {milli}m, memory: 1Gi}}}}}}]}}{status}\n"
    )
}

fn assigned<'r>(report: &'r PlaceReport, pod: &str) -> Option<&'r str> {
    report
        .assignments
        .iter()
        .find(|a| a.pod == pod)
        .map(|a| a.node.as_str())
}

#[test]
fn two_half_empty_nodes_consolidate_into_one() {
    let text = general(
        &["a", "b"],
        &[
            pod("web-a", 1500, Some("a"), Kind::Managed),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let cluster = read(&text);
    let report = repack(&cluster);
    assert_eq!(report.removable_nodes.len(), 1, "{}", report.to_text());
    assert!((report.cost - 1.0).abs() < 1e-9, "{}", report.cost);
    assert_eq!(report.status, PlanStatus::Optimal);
    assert!(report.new_nodes.is_empty());
    // The pod of the removed node moved to the other one.
    let gone = report.removable_nodes[0].as_str();
    let kept = if gone == "a" { "b" } else { "a" };
    assert_eq!(
        assigned(&report, &format!("default/web-{gone}")),
        Some(kept)
    );
    assert!(report.stats.method.contains("saves 1.000/h"));
    // validate_plan recognises a repack plan by its removable nodes.
    assert!(validate_plan(&cluster, &report).is_ok());
}

#[test]
fn daemonset_pods_do_not_block() {
    let text = general(
        &["a", "b"],
        &[
            pod("ds-a", 200, Some("a"), Kind::Daemon),
            pod("ds-b", 200, Some("b"), Kind::Daemon),
            pod("web-a", 1500, Some("a"), Kind::Managed),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let report = repack(&read(&text));
    assert_eq!(report.removable_nodes.len(), 1, "{}", report.to_text());
    // The DaemonSet pod goes with its node: it is not moved.
    assert!(report
        .assignments
        .iter()
        .all(|a| !a.pod.starts_with("default/ds-")));
}

#[test]
fn an_unmanaged_pod_or_emptydir_keeps_its_node() {
    let text = general(
        &["a", "b"],
        &[
            pod("debug", 500, Some("a"), Kind::Unmanaged),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let report = repack(&read(&text));
    assert_eq!(report.removable_nodes, vec!["b".to_string()]);
    assert_eq!(assigned(&report, "default/web-b"), Some("a"));

    for kind in [Kind::Unmanaged, Kind::LocalStorage] {
        let text = general(
            &["a", "b"],
            &[
                pod("x", 500, Some("a"), kind),
                pod("y", 500, Some("b"), kind),
            ],
        );
        let report = repack(&read(&text));
        assert!(report.removable_nodes.is_empty(), "{kind:?}");
        assert!((report.cost - 2.0).abs() < 1e-9);
    }
}

#[test]
fn required_anti_affinity_keeps_the_spread() {
    let text = general(
        &["a", "b", "c"],
        &[
            pod("s-a", 500, Some("a"), Kind::AntiAffine),
            pod("s-b", 500, Some("b"), Kind::AntiAffine),
            pod("w-c", 500, Some("c"), Kind::Managed),
        ],
    );
    let report = repack(&read(&text));
    // One node can go, not two: the anti-affine pods need two nodes.
    assert_eq!(report.removable_nodes.len(), 1, "{}", report.to_text());
    let final_node = |pod: &str, was: &'static str| {
        assigned(&report, &format!("default/{pod}"))
            .unwrap_or(was)
            .to_string()
    };
    let (sa, sb) = (final_node("s-a", "a"), final_node("s-b", "b"));
    assert_ne!(sa, sb);
    assert!(!report.removable_nodes.contains(&sa) && !report.removable_nodes.contains(&sb));
    assert!((report.cost - 2.0).abs() < 1e-9);
    assert_eq!(report.status, PlanStatus::Optimal, "{}", report.to_text());
}

#[test]
fn a_node_whose_pods_fit_nowhere_else_stays() {
    let text = [
        pool("general", 1.0, 2, 0),
        node("a", "general"),
        node("b", "general"),
        pod("big-a", 3000, Some("a"), Kind::Managed),
        pod("big-b", 3000, Some("b"), Kind::Managed),
    ]
    .concat();
    let report = repack(&read(&text));
    assert!(report.removable_nodes.is_empty());
    assert!((report.cost - 2.0).abs() < 1e-9);
    assert_eq!(report.status, PlanStatus::Optimal);
}

#[test]
fn min_count_and_pools_without_cost_keep_nodes() {
    let text = [
        pool("general", 1.0, 5, 2),
        node("a", "general"),
        node("b", "general"),
        pod("web-a", 500, Some("a"), Kind::Managed),
        pod("web-b", 500, Some("b"), Kind::Managed),
    ]
    .concat();
    let report = repack(&read(&text));
    assert!(report.removable_nodes.is_empty(), "minCount 2");
    let text = [
        pool("free", 0.0, 5, 0),
        node("a", "free"),
        node("b", "free"),
        pod("web-a", 500, Some("a"), Kind::Managed),
        pod("web-b", 500, Some("b"), Kind::Managed),
    ]
    .concat();
    let report = repack(&read(&text));
    assert!(report.removable_nodes.is_empty(), "no saving");
}

#[test]
fn an_expensive_node_is_replaced_by_a_cheaper_one() {
    // Karpenter's replace consolidation: the pod of the costly node moves
    // to a new node of the cheap pool.
    let text = [
        pool("costly", 5.0, 5, 0),
        pool("cheap", 1.0, 5, 0),
        node("a", "costly"),
        pod("web-a", 3000, Some("a"), Kind::Managed),
    ]
    .concat();
    let report = repack(&read(&text));
    assert_eq!(report.removable_nodes, vec!["a".to_string()]);
    assert_eq!(report.new_nodes.get("cheap"), Some(&1));
    assert!((report.cost - 1.0).abs() < 1e-9);
    assert_eq!(assigned(&report, "default/web-a"), Some("cheap-new-0"));
}

#[test]
fn pending_pods_are_placed_with_the_moves() {
    let text = general(
        &["a", "b"],
        &[
            pod("web-a", 1000, Some("a"), Kind::Managed),
            pod("web-b", 1000, Some("b"), Kind::Managed),
            pod("new", 1000, None, Kind::Managed),
        ],
    );
    let cluster = read(&text);
    let report = repack(&cluster);
    assert_eq!(report.removable_nodes.len(), 1);
    assert!(assigned(&report, "default/new").is_some());
    assert!(report.unplaced.is_empty());
    // Never worse than the plain plan with every existing node kept.
    assert!(report.cost <= 2.0 + plain(&cluster).cost + 1e-9);
}

#[test]
fn the_validator_catches_broken_repack_plans() {
    let text = general(
        &["a", "b"],
        &[
            pod("debug", 500, Some("a"), Kind::Unmanaged),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let cluster = read(&text);
    let good = repack(&cluster);
    assert_eq!(good.removable_nodes, vec!["b".to_string()]);

    // Removing the node of an unmanaged pod, moving that pod.
    let mut bad = good.clone();
    bad.removable_nodes = vec!["a".into(), "b".into()];
    let err = validate_repack_plan(&cluster, &bad).unwrap_err();
    assert!(err.iter().any(|v| v.pod == "default/debug"), "{err:?}");
    let mut bad = good.clone();
    bad.assignments.push(podplan::report::place::Assignment {
        pod: "default/debug".into(),
        node: "b".into(),
    });
    let err = validate_repack_plan(&cluster, &bad).unwrap_err();
    assert!(
        err.iter()
            .any(|v| v.pod == "default/debug" && v.message.contains("may not move")),
        "{err:?}"
    );
    // A removed node that still holds a movable pod.
    let mut bad = good.clone();
    bad.assignments.clear();
    let err = validate_repack_plan(&cluster, &bad).unwrap_err();
    assert!(
        err.iter()
            .any(|v| v.message.contains("still on removed node")),
        "{err:?}"
    );
    // The cost must count the kept node.
    let mut bad = good.clone();
    bad.cost = 0.0;
    bad.lower_bound = 0.0;
    assert!(validate_repack_plan(&cluster, &bad).is_err());
    // An unknown node.
    let mut bad = good.clone();
    bad.removable_nodes = vec!["nope".into()];
    assert!(validate_repack_plan(&cluster, &bad).is_err());
    // Too much on the node kept: the moved pod no longer fits.
    let mut bad = good;
    bad.assignments = vec![podplan::report::place::Assignment {
        pod: "default/web-b".into(),
        node: "a".into(),
    }];
    let text = general(
        &["a", "b"],
        &[
            pod("debug", 3000, Some("a"), Kind::Unmanaged),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let err = validate_repack_plan(&read(&text), &bad).unwrap_err();
    assert!(
        err.iter().any(|v| v.message.contains("NodeResourcesFit")),
        "{err:?}"
    );
}

#[test]
fn cli_prints_removable_nodes_as_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args(["place", "--repack", "-o", "json"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/aks-multitenant.yaml"
        ))
        .output()
        .expect("podplan runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: PlaceReport = serde_json::from_slice(&out.stdout).expect("json report");
    let cluster = read(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/aks-multitenant.yaml"
        ))
        .unwrap(),
    );
    assert!(validate_repack_plan(&cluster, &report).is_ok());
    assert!(report.stats.method.starts_with("repack:"));
    // Every existing node is kept and paid for: the plain plan's new
    // nodes plus the existing ones.
    let existing: f64 = cluster
        .nodes
        .iter()
        .filter_map(|n| n.pool)
        .map(|p| cluster.pools[p.index()].cost_per_hour)
        .sum();
    assert!(report.cost <= existing + plain(&cluster).cost + 1e-9);
    assert!(report.lower_bound <= report.cost);

    // A consolidation from the command line, on stdin.
    let text = general(
        &["a", "b"],
        &[
            pod("web-a", 1500, Some("a"), Kind::Managed),
            pod("web-b", 1500, Some("b"), Kind::Managed),
        ],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args(["place", "--repack", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("podplan runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("removable nodes: "), "{table}");
}

// ---------------------------------------------------------------------
// Brute force on tiny clusters: one pool, every pod resources only.

#[derive(Debug, Clone)]
struct Tiny {
    nodes: usize,
    /// (cpu in units of 500m, node index or None for pending, managed)
    pods: Vec<(u32, Option<usize>, bool)>,
    min: u32,
}

fn tiny() -> impl Strategy<Value = Tiny> {
    (1usize..=3, 0u32..=1)
        .prop_flat_map(|(nodes, min)| {
            (
                Just(nodes),
                prop::collection::vec(
                    (
                        1u32..=6,
                        prop::option::weighted(0.8, 0..nodes),
                        prop::bool::weighted(0.8),
                    ),
                    1..=5,
                ),
                Just(min),
            )
                .prop_map(|(nodes, pods, min)| Tiny { nodes, pods, min })
        })
        // Nodes as they are hold what they run.
        .prop_filter("no overcommitted node", |t| {
            (0..t.nodes).all(|n| {
                t.pods
                    .iter()
                    .filter(|p| p.1 == Some(n))
                    .map(|p| p.0)
                    .sum::<u32>()
                    <= 8
            })
        })
}

fn tiny_text(t: &Tiny) -> String {
    let mut text = pool("general", 1.0, 5, t.min);
    for n in 0..t.nodes {
        text += &node(&format!("n{n}"), "general");
    }
    for (i, (cpu, node, managed)) in t.pods.iter().enumerate() {
        let kind = if *managed || node.is_none() {
            Kind::Managed
        } else {
            Kind::Unmanaged
        };
        let on = node.map(|n| format!("n{n}"));
        text += &pod(&format!("p{i}"), cpu * 500, on.as_deref(), kind);
    }
    text
}

/// The cheapest repack plan placing `pending_placed` pending pods: over
/// every set of removed nodes (not holding an unmanaged pod, minCount
/// kept) and every count of new nodes, whether the movable and pending
/// pods fit (exhaustively) in the room left. Capacity 8 units per node.
fn brute_force(t: &Tiny, pending_placed: usize) -> Option<f64> {
    const CAP: u32 = 8;
    let mut best: Option<f64> = None;
    for mask in 0u32..(1 << t.nodes) {
        let removed = |n: usize| mask & (1 << n) != 0;
        if t.pods
            .iter()
            .any(|(_, node, managed)| !managed && node.is_some_and(removed))
        {
            continue;
        }
        let kept = (0..t.nodes).filter(|n| !removed(*n)).count() as u32;
        for new in 0..=(5 - kept) {
            if mask != 0 && kept + new < t.min {
                continue;
            }
            // Room on kept nodes after the pods that stay, then new nodes.
            let mut room: Vec<u32> = Vec::new();
            let mut index = vec![usize::MAX; t.nodes];
            for (n, slot) in index.iter_mut().enumerate() {
                if !removed(n) {
                    *slot = room.len();
                    room.push(CAP);
                }
            }
            room.extend(std::iter::repeat_n(CAP, new as usize));
            let mut to_place = Vec::new();
            let mut pending = Vec::new();
            let mut fits = true;
            for (cpu, node, _) in &t.pods {
                match node {
                    Some(n) if !removed(*n) => {
                        // Stays (a move among kept nodes never helps here
                        // except to make room, which the search covers
                        // by placing movable pods too).
                        if room[index[*n]] < *cpu {
                            fits = false;
                        } else {
                            room[index[*n]] -= cpu;
                        }
                    }
                    Some(_) => to_place.push(*cpu),
                    None => pending.push(*cpu),
                }
            }
            if !fits {
                continue;
            }
            // The placed pending pods: any subset of that size.
            let m = pending.len();
            let mut ok = false;
            for pm in 0u32..(1 << m) {
                if pm.count_ones() as usize != pending_placed {
                    continue;
                }
                let mut items = to_place.clone();
                for (i, c) in pending.iter().enumerate() {
                    if pm & (1 << i) != 0 {
                        items.push(*c);
                    }
                }
                if pack(&items, &mut room.clone()) {
                    ok = true;
                    break;
                }
            }
            if ok {
                let cost = f64::from(kept + new);
                best = Some(best.map_or(cost, |b: f64| b.min(cost)));
            }
        }
    }
    best
}

fn pack(items: &[u32], room: &mut [u32]) -> bool {
    let Some((first, rest)) = items.split_first() else {
        return true;
    };
    for b in 0..room.len() {
        if room[b] >= *first {
            room[b] -= first;
            if pack(rest, room) {
                room[b] += first;
                return true;
            }
            room[b] += first;
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn repack_is_valid_bounded_and_optimal_on_tiny_clusters(t in tiny()) {
        let cluster = read(&tiny_text(&t));
        let report = repack(&cluster);
        let base = plain(&cluster);
        // Never worse than keeping every node, never fewer pods placed.
        prop_assert!(report.unplaced.len() <= base.unplaced.len());
        prop_assert!(report.cost <= t.nodes as f64 + base.cost + 1e-9);
        let pending_placed = t.pods.iter().filter(|p| p.1.is_none()).count() - report.unplaced.len();
        let optimum = brute_force(&t, pending_placed).expect("the plan itself is feasible");
        // The bound is proven: at most the true optimum; the plan at least.
        prop_assert!(report.lower_bound <= optimum + 1e-6, "bound {} > optimum {}", report.lower_bound, optimum);
        prop_assert!(report.cost >= optimum - 1e-6);
        prop_assert!((report.cost - optimum).abs() < 1e-6, "cost {} optimum {}\n{}", report.cost, optimum, report.to_text());
    }
}
