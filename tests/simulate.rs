//! `simulate`: kube-scheduler's default score plugins on hand-computed
//! cases (one per plugin), queue order, cluster-autoscaler scale-up, and
//! every plan replayed by `validate_plan`.

use podplan::check::validate_plan;
use podplan::model::{
    labels, Cluster, DaemonSet, InclusionPolicy, LabelSelector, Labels, Node, NodeId, NodePool,
    NodeSelectorTerm, Operator, Pod, PodAffinityTerm, PodId, PodOrigin, PodPhase, PodSpec, PoolId,
    PreferredSchedulingTerm, Requirement, Resources, Taint, TaintEffect, Toleration,
    TolerationOperator, TopologySpreadConstraint, UnsatisfiableAction, WeightedPodAffinityTerm,
    Workload, WorkloadId, WorkloadKind,
};
use podplan::predicates::Snapshot;
use podplan::report::place::PlanStatus;
use podplan::scoring::{ScorePlugin, Scorer};
use podplan::{simulate, PlaceOptions, PlaceReport};
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const GI: i64 = 1 << 30;
const MI: i64 = 1 << 20;
const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

fn res(milli_cpu: i64, memory: i64) -> Resources {
    Resources {
        milli_cpu,
        memory,
        pods: 110,
        ..Default::default()
    }
}

/// A pod's requests (no pod count).
fn req(milli_cpu: i64, memory: i64) -> Resources {
    Resources {
        milli_cpu,
        memory,
        ..Default::default()
    }
}

fn node(name: &str, milli_cpu: i64, memory: i64) -> Node {
    Node {
        name: name.into(),
        labels: labels([(HOSTNAME, name)]),
        allocatable: res(milli_cpu, memory),
        ..Default::default()
    }
}

fn with_label(mut n: Node, key: &str, value: &str) -> Node {
    n.labels.insert(key.into(), value.into());
    n
}

fn spec(requests: Resources, f: impl FnOnce(&mut PodSpec)) -> Arc<PodSpec> {
    let mut s = PodSpec {
        requests,
        ..Default::default()
    };
    f(&mut s);
    Arc::new(s)
}

fn pending(name: &str, labels: Labels, spec: &Arc<PodSpec>) -> Pod {
    Pod {
        namespace: "default".into(),
        name: name.into(),
        labels,
        spec: Arc::clone(spec),
        ..Default::default()
    }
}

fn bound(name: &str, labels: Labels, spec: &Arc<PodSpec>, node: u32, node_name: &str) -> Pod {
    Pod {
        node_name: Some(node_name.into()),
        node: Some(NodeId(node)),
        phase: PodPhase::Running,
        ready: true,
        ..pending(name, labels, spec)
    }
}

fn pool(name: &str, milli_cpu: i64, memory: i64, cost: f64, max: Option<u32>) -> NodePool {
    NodePool {
        name: name.into(),
        os_type: "Linux".into(),
        mode: "User".into(),
        allocatable: res(milli_cpu, memory),
        capacity: res(milli_cpu, memory),
        labels: labels([("kubernetes.azure.com/agentpool", name)]),
        max_count: max,
        cost_per_hour: cost,
        ..Default::default()
    }
}

fn anti_affinity_term(app: &str, key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        selector: LabelSelector::from_labels(&labels([("app", app)])),
        namespaces: vec!["default".into()],
        namespace_selector: None,
        topology_key: key.into(),
    }
}

/// Runs simulate and checks the plan with the independent replay.
fn run(cluster: &Cluster) -> PlaceReport {
    let report = simulate(cluster, &PlaceOptions::default()).expect("simulate");
    if let Err(violations) = validate_plan(cluster, &report) {
        panic!("invalid plan {report:#?}: {violations:#?}");
    }
    assert_eq!(report.stats.method, "simulate");
    assert_eq!(report.lower_bound, 0.0);
    report
}

/// The node each pod was assigned to, by pod name.
fn node_of(report: &PlaceReport, pod: &str) -> Option<String> {
    let key = format!("default/{pod}");
    report
        .assignments
        .iter()
        .find(|a| a.pod == key)
        .map(|a| a.node.clone())
}

/// The scores of a pod against every node of the cluster as it is.
fn scores_of(cluster: &Cluster, pod: u32) -> podplan::scoring::NodeScores {
    let snapshot = Snapshot::new(cluster);
    let mut scorer = Scorer::new(&snapshot);
    let nodes: Vec<NodeId> = snapshot.node_ids().collect();
    scorer.score(&snapshot, PodId(pod), &nodes)
}

// ---------------------------------------------------------------------------
// One hand-computed case per score plugin
// ---------------------------------------------------------------------------

/// Node a (4 cpu, 8Gi) already requests 2 cpu / 4Gi; b is empty. A pod of
/// 1 cpu / 1Gi: LeastAllocated a = (25 + 37) / 2 = 31, b = (75 + 87) / 2 =
/// 81; BalancedAllocation 93 on both (std 0.0625); TaintToleration 100 on
/// both. Totals 424 and 474: b.
#[test]
fn least_allocated_prefers_the_emptier_node() {
    let big = spec(req(2000, 4 * GI), |_| {});
    let small = spec(req(1000, GI), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI), node("b", 4000, 8 * GI)],
        pods: vec![
            bound("old", Labels::new(), &big, 0, "a"),
            pending("new", Labels::new(), &small),
        ],
        ..Default::default()
    };
    let scores = scores_of(&cluster, 1);
    assert_eq!(scores.plugin(ScorePlugin::NodeResourcesFit), [31, 81]);
    assert_eq!(
        scores.plugin(ScorePlugin::NodeResourcesBalancedAllocation),
        [93, 93]
    );
    assert_eq!(scores.plugin(ScorePlugin::TaintToleration), [100, 100]);
    assert_eq!(scores.total, [424, 474]);
    let report = run(&cluster);
    assert_eq!(node_of(&report, "new").as_deref(), Some("b"));
    assert_eq!(report.status, PlanStatus::Feasible);
    assert_eq!(report.cost, 0.0);
}

/// Pods without requests count 100m / 200Mi for LeastAllocated (at pod
/// level), and skip BalancedAllocation (best effort).
#[test]
fn best_effort_pods_use_non_zero_requests() {
    let none = spec(req(0, 0), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 1000, 1000 * MI), node("b", 2000, 2000 * MI)],
        pods: vec![pending("be", Labels::new(), &none)],
        ..Default::default()
    };
    let scores = scores_of(&cluster, 0);
    // a: cpu 900*100/1000 = 90, memory 800*100/1000 = 80 -> 85;
    // b: 95 and 90 -> 92.
    assert_eq!(scores.plugin(ScorePlugin::NodeResourcesFit), [85, 92]);
    assert_eq!(
        scores.plugin(ScorePlugin::NodeResourcesBalancedAllocation),
        [0, 0]
    );
    assert_eq!(node_of(&run(&cluster), "be").as_deref(), Some("b"));
}

/// Two identical empty nodes, a tainted PreferNoSchedule: the taint costs a
/// 300 points (weight 3 × 100), so the pod goes to b; a pod tolerating it
/// ties and takes the lowest index, a.
#[test]
fn prefer_no_schedule_taint_is_avoided() {
    let mut a = node("a", 4000, 8 * GI);
    a.taints.push(Taint {
        key: "dedicated".into(),
        value: "batch".into(),
        effect: TaintEffect::PreferNoSchedule,
    });
    let plain = spec(req(100, MI), |_| {});
    let tolerant = spec(req(100, MI), |s| {
        s.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::PreferNoSchedule),
        })
    });
    let cluster = Cluster {
        nodes: vec![a, node("b", 4000, 8 * GI)],
        pods: vec![
            pending("plain", Labels::new(), &plain),
            pending("tolerant", Labels::new(), &tolerant),
        ],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&cluster, 0).plugin(ScorePlugin::TaintToleration),
        [0, 100]
    );
    let report = run(&cluster);
    assert_eq!(node_of(&report, "plain").as_deref(), Some("b"));
    // After plain is on b, a is the emptier node anyway; check the tie
    // rule on a fresh cluster with the tolerant pod alone.
    assert_eq!(node_of(&report, "tolerant").as_deref(), Some("a"));
    let alone = Cluster {
        pods: vec![pending("tolerant", Labels::new(), &tolerant)],
        ..cluster.clone()
    };
    let scores = scores_of(&alone, 0);
    assert_eq!(scores.total[0], scores.total[1]);
    assert_eq!(node_of(&run(&alone), "tolerant").as_deref(), Some("a"));
}

/// Preferred node affinity: weight 10 for disk=ssd (node b) and 30 for
/// zone=1 (node c): normalised 33 and 100, weighted × 2; c wins although b
/// and c are otherwise alike.
#[test]
fn preferred_node_affinity_is_honoured() {
    let term = |w, k: &str, v: &str| PreferredSchedulingTerm {
        weight: w,
        term: NodeSelectorTerm {
            match_expressions: vec![Requirement::new(k, Operator::In, &[v])],
            match_fields: vec![],
        },
    };
    let picky = spec(req(100, MI), |s| {
        s.preferred_node_affinity = vec![term(10, "disk", "ssd"), term(30, "zone", "1")];
    });
    let cluster = Cluster {
        nodes: vec![
            node("a", 4000, 8 * GI),
            with_label(node("b", 4000, 8 * GI), "disk", "ssd"),
            with_label(node("c", 4000, 8 * GI), "zone", "1"),
        ],
        pods: vec![pending("picky", Labels::new(), &picky)],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&cluster, 0).plugin(ScorePlugin::NodeAffinity),
        [0, 33, 100]
    );
    assert_eq!(node_of(&run(&cluster), "picky").as_deref(), Some("c"));
}

/// Node a is four times b: LeastAllocated alone packs both web replicas on
/// a. With preferred anti-affinity (weight 100, hostname) the second goes
/// to b: InterPodAffinity a = -100, b = 0, normalised 0 and 100, × 2.
#[test]
fn preferred_anti_affinity_spreads() {
    let nodes = vec![node("a", 16000, 32 * GI), node("b", 4000, 8 * GI)];
    let web = labels([("app", "web")]);
    let plain = spec(req(500, 512 * MI), |_| {});
    let packed = Cluster {
        nodes: nodes.clone(),
        pods: vec![
            pending("w0", web.clone(), &plain),
            pending("w1", web.clone(), &plain),
        ],
        ..Default::default()
    };
    let report = run(&packed);
    assert_eq!(node_of(&report, "w0").as_deref(), Some("a"));
    assert_eq!(node_of(&report, "w1").as_deref(), Some("a"));

    let spreading = spec(req(500, 512 * MI), |s| {
        s.preferred_pod_anti_affinity = vec![WeightedPodAffinityTerm {
            weight: 100,
            term: anti_affinity_term("web", HOSTNAME),
        }];
    });
    let spread = Cluster {
        nodes: nodes.clone(),
        pods: vec![
            bound("w0", web.clone(), &spreading, 0, "a"),
            pending("w1", web.clone(), &spreading),
        ],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&spread, 1).plugin(ScorePlugin::InterPodAffinity),
        [0, 100]
    );
    assert_eq!(node_of(&run(&spread), "w1").as_deref(), Some("b"));
    let both_pending = Cluster {
        nodes,
        pods: vec![
            pending("w0", web.clone(), &spreading),
            pending("w1", web, &spreading),
        ],
        ..Default::default()
    };
    let report = run(&both_pending);
    assert_eq!(node_of(&report, "w0").as_deref(), Some("a"));
    assert_eq!(node_of(&report, "w1").as_deref(), Some("b"));
}

/// The terms of placed pods score the incoming pod too: a placed pod's
/// preferred anti-affinity against app=web repels it, a placed pod's
/// required affinity to app=web attracts it (hardPodAffinityWeight 1).
#[test]
fn placed_pods_terms_score_the_incoming_pod() {
    let nodes = vec![node("a", 16000, 32 * GI), node("b", 4000, 8 * GI)];
    let web = spec(req(500, 512 * MI), |_| {});
    let repelling = spec(req(100, MI), |s| {
        s.preferred_pod_anti_affinity = vec![WeightedPodAffinityTerm {
            weight: 5,
            term: anti_affinity_term("web", HOSTNAME),
        }];
    });
    let attracting = spec(req(100, MI), |s| {
        s.pod_affinity = vec![anti_affinity_term("web", HOSTNAME)];
    });
    let app = labels([("app", "web")]);
    let repelled = Cluster {
        nodes: nodes.clone(),
        pods: vec![
            bound("loner", Labels::new(), &repelling, 0, "a"),
            pending("web", app.clone(), &web),
        ],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&repelled, 1).plugin(ScorePlugin::InterPodAffinity),
        [0, 100]
    );
    assert_eq!(node_of(&run(&repelled), "web").as_deref(), Some("b"));

    let attracted = Cluster {
        nodes: vec![node("a", 4000, 8 * GI), node("b", 16000, 32 * GI)],
        pods: vec![
            bound("fan", Labels::new(), &attracting, 0, "a"),
            pending("web", app, &web),
        ],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&attracted, 1).plugin(ScorePlugin::InterPodAffinity),
        [100, 0]
    );
    assert_eq!(node_of(&run(&attracted), "web").as_deref(), Some("a"));
}

/// ScheduleAnyway zone spread: zone 1 holds two app=web pods, zone 2 none.
/// Two domains: weight ln 4; raw scores round(2 ln 4 + 0) = 3 and 0,
/// normalised 100 × (3 + 0 - s) / 3: 0 and 100. The pod goes to zone 2
/// although its node is smaller (LeastAllocated prefers a).
#[test]
fn schedule_anyway_spread_prefers_the_emptier_zone() {
    let web = labels([("app", "web")]);
    let soft = spec(req(500, 512 * MI), |s| {
        s.topology_spread = vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: ZONE.into(),
            when_unsatisfiable: UnsatisfiableAction::ScheduleAnyway,
            selector: LabelSelector::from_labels(&labels([("app", "web")])),
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
        }];
    });
    let cluster = Cluster {
        nodes: vec![
            with_label(node("a", 16000, 32 * GI), ZONE, "1"),
            with_label(node("b", 4000, 8 * GI), ZONE, "2"),
        ],
        pods: vec![
            bound("w0", web.clone(), &soft, 0, "a"),
            bound("w1", web.clone(), &soft, 0, "a"),
            pending("w2", web, &soft),
        ],
        ..Default::default()
    };
    assert_eq!(
        scores_of(&cluster, 2).plugin(ScorePlugin::PodTopologySpread),
        [0, 100]
    );
    assert_eq!(node_of(&run(&cluster), "w2").as_deref(), Some("b"));
}

/// The system default constraints for a workload replica: hostname maxSkew
/// 3 and zone maxSkew 5 with the workload's selector. Nodes without zone
/// labels are not ignored (the defaults need not every key). With two
/// replicas on a: hostname weight ln 4, a = round(2 ln 4 + 2) = 5, b = 2;
/// normalised 100 × (7 - s) / 5: 40 and 100. A Job's pods get none.
#[test]
fn default_spreading_uses_the_workload_selector() {
    let web = labels([("app", "web")]);
    let template = spec(req(500, 512 * MI), |_| {});
    let workload = |kind| Workload {
        kind,
        namespace: "default".into(),
        name: "web".into(),
        replicas: 3,
        selector: LabelSelector::from_labels(&web),
        template_labels: web.clone(),
        spec: Arc::clone(&template),
        owner: None,
    };
    let replica = |name: &str| Pod {
        origin: PodOrigin::Workload(WorkloadId(0)),
        ..pending(name, web.clone(), &template)
    };
    let mut cluster = Cluster {
        nodes: vec![node("a", 16000, 32 * GI), node("b", 4000, 8 * GI)],
        pods: vec![
            bound("web-old-0", web.clone(), &template, 0, "a"),
            bound("web-old-1", web.clone(), &template, 0, "a"),
            replica("web-0"),
        ],
        workloads: vec![workload(WorkloadKind::Deployment)],
        ..Default::default()
    };
    let scores = scores_of(&cluster, 2);
    assert_eq!(scores.plugin(ScorePlugin::PodTopologySpread), [40, 100]);
    assert_eq!(node_of(&run(&cluster), "web-0").as_deref(), Some("b"));

    cluster.workloads = vec![workload(WorkloadKind::Job)];
    let scores = scores_of(&cluster, 2);
    assert_eq!(scores.plugin(ScorePlugin::PodTopologySpread), [0, 0]);
    assert_eq!(node_of(&run(&cluster), "web-0").as_deref(), Some("a"));
}

// ---------------------------------------------------------------------------
// Queue order, scale-up, unplaced pods, time limit
// ---------------------------------------------------------------------------

/// Room for one pod: the higher-priority pod, though second in input,
/// gets it; the other stays pending with the scheduler's message.
#[test]
fn priority_orders_the_queue() {
    let low = spec(req(1500, GI), |s| s.priority = 0);
    let high = spec(req(1500, GI), |s| s.priority = 1000);
    let cluster = Cluster {
        nodes: vec![node("a", 2000, 4 * GI)],
        pods: vec![
            pending("low", Labels::new(), &low),
            pending("high", Labels::new(), &high),
        ],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(node_of(&report, "high").as_deref(), Some("a"));
    assert_eq!(report.status, PlanStatus::Infeasible);
    assert_eq!(report.unplaced.len(), 1);
    assert_eq!(report.unplaced[0].pod, "default/low");
    assert_eq!(
        report.unplaced[0].message,
        "0/1 nodes are available: 1 Insufficient cpu."
    );
    assert_eq!(report.stats.pods, 2);
    assert_eq!(report.stats.pod_classes, 2);
}

/// Equal priorities keep input order: the first pod gets the only room.
#[test]
fn equal_priorities_keep_input_order() {
    let s = spec(req(1500, GI), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 2000, 4 * GI)],
        pods: vec![
            pending("first", Labels::new(), &s),
            pending("second", Labels::new(), &s),
        ],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(node_of(&report, "first").as_deref(), Some("a"));
    assert_eq!(report.unplaced[0].pod, "default/second");
    assert_eq!(report.stats.pod_classes, 1);
}

/// Pools tiny (0.5/h, 1 cpu: too small), small (1/h, 2 cpu, max 1) and big
/// (2/h, 8 cpu). The first 1.5-cpu pod adds small-new-0 (tiny is tried
/// first and not kept); the second no longer fits there and small is at
/// its maxCount: big-new-0.
#[test]
fn scale_up_takes_the_cheapest_fitting_pool_within_max_count() {
    let s = spec(req(1500, GI), |_| {});
    let cluster = Cluster {
        pods: vec![
            pending("p0", Labels::new(), &s),
            pending("p1", Labels::new(), &s),
        ],
        pools: vec![
            pool("big", 8000, 32 * GI, 2.0, None),
            pool("small", 2000, 8 * GI, 1.0, Some(1)),
            pool("tiny", 1000, 4 * GI, 0.5, None),
        ],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(node_of(&report, "p0").as_deref(), Some("small-new-0"));
    assert_eq!(node_of(&report, "p1").as_deref(), Some("big-new-0"));
    assert_eq!(report.new_nodes.get("small"), Some(&1));
    assert_eq!(report.new_nodes.get("big"), Some(&1));
    assert_eq!(report.new_nodes.get("tiny"), None);
    assert!((report.cost - 3.0).abs() < 1e-9);
    assert_eq!(report.status, PlanStatus::Feasible);
    let small = &report.pools["small"];
    assert_eq!((small.nodes, small.new_nodes), (1, 1));
    assert!((small.cpu_utilisation - 0.75).abs() < 1e-9);
    assert!((report.pools["big"].cost - 2.0).abs() < 1e-9);
    assert_eq!(report.pools["tiny"].nodes, 0);
}

/// An existing node of a pool counts towards its maxCount; and a new node
/// is used by later pods before another is added.
#[test]
fn existing_nodes_count_towards_max_count() {
    let s = spec(req(1500, GI), |_| {});
    let small_pod = spec(req(200, MI), |_| {});
    let mut existing = node("small-0", 2000, 8 * GI);
    existing.pool = Some(PoolId(0));
    let cluster = Cluster {
        nodes: vec![existing],
        pods: vec![
            pending("p0", Labels::new(), &s),
            pending("p1", Labels::new(), &s),
            pending("p2", Labels::new(), &small_pod),
        ],
        pools: vec![
            pool("small", 2000, 8 * GI, 1.0, Some(2)),
            pool("big", 8000, 32 * GI, 2.0, None),
        ],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(node_of(&report, "p0").as_deref(), Some("small-0"));
    assert_eq!(node_of(&report, "p1").as_deref(), Some("small-new-0"));
    assert_eq!(report.new_nodes.get("big"), None);
    assert_eq!(report.pools["small"].nodes, 2);
    // p2 fits on both small nodes (0.5 cpu left each): no new node.
    assert!(node_of(&report, "p2").is_some());
    assert_eq!(report.new_nodes.values().sum::<u32>(), 1);

    let capped = Cluster {
        pools: vec![
            pool("small", 2000, 8 * GI, 1.0, Some(1)),
            pool("big", 8000, 32 * GI, 2.0, None),
        ],
        ..cluster
    };
    let report = run(&capped);
    assert_eq!(node_of(&report, "p1").as_deref(), Some("big-new-0"));
    assert_eq!(report.new_nodes.get("small"), None);
}

/// A pool at its maxCount adds no node, its cordoned node counted: the pod
/// that only a new node of it would take stays pending.
#[test]
fn a_pool_at_max_count_adds_no_node() {
    let s = spec(req(1500, GI), |_| {});
    let in_pool = |name: &str, unschedulable: bool| Node {
        pool: Some(PoolId(0)),
        unschedulable,
        ..node(name, 1000, 8 * GI)
    };
    let cluster = Cluster {
        nodes: vec![in_pool("small-0", false), in_pool("small-1", true)],
        pods: vec![pending("p0", Labels::new(), &s)],
        pools: vec![pool("small", 2000, 8 * GI, 1.0, Some(2))],
        ..Default::default()
    };
    let report = run(&cluster);
    assert!(report.new_nodes.is_empty(), "{:?}", report.new_nodes);
    assert_eq!(report.pools["small"].nodes, 2);
    assert_eq!(report.status, PlanStatus::Infeasible);
    assert_eq!(report.unplaced.len(), 1);
    // One more allowed: the pod gets its node.
    let mut room = cluster.clone();
    room.pools[0].max_count = Some(3);
    let report = run(&room);
    assert_eq!(node_of(&report, "p0").as_deref(), Some("small-new-0"));
    assert_eq!(report.new_nodes.get("small"), Some(&1));
}

/// A pod no node and no pool can take stays pending with the message for
/// the nodes of the moment; no pool node is added for it.
#[test]
fn a_pod_that_fits_nowhere_is_unplaced_with_a_message() {
    let huge = spec(req(64000, GI), |_| {});
    let ok = spec(req(100, MI), |_| {});
    let mut tainted = node("b", 4000, 8 * GI);
    tainted.taints.push(Taint {
        key: "sku".into(),
        value: "gpu".into(),
        effect: TaintEffect::NoSchedule,
    });
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI), tainted],
        pods: vec![
            pending("huge", Labels::new(), &huge),
            pending("huge-2", Labels::new(), &huge),
            pending("ok", Labels::new(), &ok),
        ],
        pools: vec![pool("small", 8000, 32 * GI, 1.0, None)],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(report.status, PlanStatus::Infeasible);
    assert!(report.new_nodes.is_empty());
    assert_eq!(report.cost, 0.0);
    let message =
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {sku: gpu}.";
    assert_eq!(report.unplaced.len(), 2);
    for u in &report.unplaced {
        assert_eq!(u.message, message);
    }
    assert_eq!(node_of(&report, "ok").as_deref(), Some("a"));
}

/// Every pool node runs its DaemonSet pods: a 500m daemon on 2-cpu nodes
/// leaves room for one 1-cpu pod per node, so two pods need two nodes; the
/// pool's utilisation counts the daemons.
#[test]
fn daemon_set_overhead_on_new_nodes_is_counted() {
    let daemon = spec(req(500, 256 * MI), |_| {});
    let s = spec(req(1000, GI), |_| {});
    let cluster = Cluster {
        pods: vec![
            pending("p0", Labels::new(), &s),
            pending("p1", Labels::new(), &s),
        ],
        pools: vec![pool("small", 2000, 8 * GI, 1.5, None)],
        daemon_sets: vec![DaemonSet {
            namespace: "kube-system".into(),
            name: "agent".into(),
            template_labels: labels([("app", "agent")]),
            spec: daemon,
        }],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(report.new_nodes.get("small"), Some(&2));
    assert!((report.cost - 3.0).abs() < 1e-9);
    assert_eq!(node_of(&report, "p0").as_deref(), Some("small-new-0"));
    assert_eq!(node_of(&report, "p1").as_deref(), Some("small-new-1"));
    let usage = &report.pools["small"];
    assert!((usage.cpu_utilisation - 0.75).abs() < 1e-9);
    assert!(
        (usage.memory_utilisation - (2.0 * 256.0 + 2.0 * 1024.0) / (16.0 * 1024.0)).abs() < 1e-9
    );
}

/// Required anti-affinity on hostname: one replica per node, so scale-up
/// adds one node per replica beyond the existing node; spread over zones
/// as the pool's zones rotate.
#[test]
fn required_anti_affinity_scales_out_one_node_per_replica() {
    let web = labels([("app", "web")]);
    let s = spec(req(100, MI), |s| {
        s.pod_anti_affinity = vec![anti_affinity_term("web", HOSTNAME)];
    });
    let mut p = pool("small", 4000, 8 * GI, 1.0, Some(3));
    p.zones = vec!["1".into(), "2".into()];
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI)],
        pods: (0..4)
            .map(|i| pending(&format!("w{i}"), web.clone(), &s))
            .collect(),
        pools: vec![p],
        ..Default::default()
    };
    let report = run(&cluster);
    assert_eq!(report.new_nodes.get("small"), Some(&3));
    assert_eq!(report.assignments.len(), 4);
    assert_eq!(report.status, PlanStatus::Feasible);
}

/// A time limit that is already over leaves every pod pending.
#[test]
fn time_limit_leaves_the_rest_pending() {
    let s = spec(req(100, MI), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI)],
        pods: vec![pending("p0", Labels::new(), &s)],
        ..Default::default()
    };
    let options = PlaceOptions {
        time_limit: 0.0,
        ..PlaceOptions::default()
    };
    let report = simulate(&cluster, &options).expect("simulate");
    assert!(report.stats.time_limit_hit);
    assert_eq!(report.unplaced[0].message, "time limit reached");
    assert_eq!(report.status, PlanStatus::Timeout);
    validate_plan(&cluster, &report).expect("valid plan");
}

/// A generated multi-tenant scenario (taints, anti-affinity, spread, pools,
/// DaemonSets): the plan replays cleanly. In debug builds, simulate also
/// checks each pod's feasible nodes against the full filter chain.
#[test]
fn generated_scenarios_replay_cleanly() {
    use podplan::generate::{generate, GenerateOptions};
    for (seed, workloads) in [(1, 10), (2, 0), (3, 4)] {
        let text = generate(&GenerateOptions {
            nodes: 30,
            bound_pods: 300,
            pending_pods: 400,
            pending_workloads: workloads,
            seed,
        })
        .to_string();
        let mut cluster = podplan::read_scenario(&[podplan::Input::new("generated.json", &text)])
            .expect("generated scenario reads");
        let report = run(&cluster);
        assert_eq!(
            report.assignments.len() + report.unplaced.len(),
            cluster.pending_pods().count()
        );
        // The same with a pool per node shape, capped, so that pods scale
        // out, some pools run out and pods stay pending.
        attach_pools(&mut cluster);
        let with_pools = run(&cluster);
        assert!(with_pools.assignments.len() >= report.assignments.len());
        assert!(!with_pools.new_nodes.is_empty());
    }
}

/// One pool per `agentpool` label of the nodes, shaped like its first node
/// (labels, taints, allocatable), three zones, at most 4 more nodes.
fn attach_pools(cluster: &mut Cluster) {
    const AGENTPOOL: &str = "kubernetes.azure.com/agentpool";
    let mut shapes: Vec<(String, Node)> = Vec::new();
    for n in &cluster.nodes {
        if let Some(p) = n.labels.get(AGENTPOOL) {
            if !shapes.iter().any(|(name, _)| name == p) {
                shapes.push((p.clone(), n.clone()));
            }
        }
    }
    for (i, (name, shape)) in shapes.iter().enumerate() {
        let mut labels = shape.labels.clone();
        labels.remove(HOSTNAME);
        labels.remove(ZONE);
        let existing = cluster
            .nodes
            .iter()
            .filter(|n| n.labels.get(AGENTPOOL) == Some(name))
            .count() as u32;
        cluster.pools.push(NodePool {
            name: name.clone(),
            labels,
            taints: shape.taints.clone(),
            zones: vec!["1".into(), "2".into(), "3".into()],
            max_count: Some(existing + 4),
            cost_per_hour: 1.0 + i as f64,
            ..pool(name, 0, 0, 0.0, None)
        });
        let last = cluster.pools.len() - 1;
        cluster.pools[last].allocatable = shape.allocatable.clone();
        for n in cluster.nodes.iter_mut() {
            if n.labels.get(AGENTPOOL) == Some(name) {
                n.pool = Some(PoolId(last as u32));
            }
        }
    }
}

/// `Snapshot::remove_last_node` undoes `add_node`, DaemonSet pods included.
#[test]
fn remove_last_node_undoes_add_node() {
    let daemon = spec(req(500, 256 * MI), |_| {});
    let s = spec(req(100, MI), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI)],
        pods: vec![pending("p", Labels::new(), &s)],
        pools: vec![pool("small", 2000, 8 * GI, 1.0, None)],
        daemon_sets: vec![DaemonSet {
            namespace: "kube-system".into(),
            name: "agent".into(),
            template_labels: labels([("app", "agent")]),
            spec: daemon,
        }],
        ..Default::default()
    };
    let mut snapshot = Snapshot::new(&cluster);
    let (nodes, pods) = (snapshot.node_count(), snapshot.pod_count());
    let id = snapshot.add_node(cluster.pools[0].new_node(PoolId(0), 0));
    assert_eq!(snapshot.info(id).pods.len(), 1);
    assert_eq!(snapshot.pod_count(), pods + 1);
    snapshot.assign(PodId(0), id);
    let removed = snapshot.remove_last_node().expect("a node");
    assert_eq!(removed.name, "small-new-0");
    assert_eq!((snapshot.node_count(), snapshot.pod_count()), (nodes, pods));
    assert_eq!(snapshot.placement(PodId(0)), None);
    assert_eq!(snapshot.info(NodeId(0)).requested.milli_cpu, 500);
}

// ---------------------------------------------------------------------------
// The incremental Scorer against a literal, O(pods) reading of upstream
// ---------------------------------------------------------------------------

mod reference {
    use super::*;
    use podplan::predicates::inter_pod_affinity::term_matches;
    use podplan::predicates::node_affinity::required_matches;
    use podplan::predicates::taint_toleration::{find_untolerated, is_hard};
    use podplan::scoring::pod_topology_spread::soft_constraints;
    use podplan::scoring::{node_resources_fit as fit, MAX_NODE_SCORE};
    use std::collections::HashMap;

    fn placed<'a>(s: &'a Snapshot, node: NodeId) -> impl Iterator<Item = &'a Pod> + 'a {
        s.info(node).pods.iter().map(move |p| s.pod(*p))
    }

    /// NodeResourcesFit, with the node's non-zero requests summed afresh.
    pub fn least_allocated(s: &Snapshot, pod: &Pod, nodes: &[NodeId]) -> Vec<i64> {
        nodes
            .iter()
            .map(|&n| {
                let used = placed(s, n)
                    .map(|q| fit::non_zero_requests(&q.spec.requests))
                    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
                fit::score(
                    fit::non_zero_requests(&pod.spec.requests),
                    &s.node(n).allocatable,
                    used,
                )
            })
            .collect()
    }

    /// InterPodAffinity as `processExistingPod` over every placed pod.
    pub fn inter_pod_affinity(s: &Snapshot, pod: &Pod, nodes: &[NodeId]) -> Vec<i64> {
        let cluster = s.cluster();
        let mut map: HashMap<(String, String), i64> = HashMap::new();
        let mut add = |node: &Node, key: &str, w: i64| {
            if let Some(v) = node.labels.get(key) {
                *map.entry((key.to_string(), v.clone())).or_insert(0) += w;
            }
        };
        for n in s.node_ids() {
            let node = s.node(n);
            for q in placed(s, n) {
                for t in &pod.spec.preferred_pod_affinity {
                    if term_matches(&t.term, cluster, &q.namespace, &q.labels) {
                        add(node, &t.term.topology_key, t.weight.into());
                    }
                }
                for t in &pod.spec.preferred_pod_anti_affinity {
                    if term_matches(&t.term, cluster, &q.namespace, &q.labels) {
                        add(node, &t.term.topology_key, -i64::from(t.weight));
                    }
                }
                for t in &q.spec.pod_affinity {
                    if term_matches(t, cluster, &pod.namespace, &pod.labels) {
                        add(node, &t.topology_key, 1);
                    }
                }
                for t in &q.spec.preferred_pod_affinity {
                    if term_matches(&t.term, cluster, &pod.namespace, &pod.labels) {
                        add(node, &t.term.topology_key, t.weight.into());
                    }
                }
                for t in &q.spec.preferred_pod_anti_affinity {
                    if term_matches(&t.term, cluster, &pod.namespace, &pod.labels) {
                        add(node, &t.term.topology_key, -i64::from(t.weight));
                    }
                }
            }
        }
        let raw: Vec<i64> = nodes
            .iter()
            .map(|&n| {
                map.iter()
                    .filter(|((k, v), _)| s.node(n).labels.get(k) == Some(v))
                    .map(|(_, w)| *w)
                    .sum()
            })
            .collect();
        let (min, max) = (
            raw.iter().copied().min().unwrap_or(0),
            raw.iter().copied().max().unwrap_or(0),
        );
        raw.iter()
            .map(|r| {
                if max > min {
                    (MAX_NODE_SCORE as f64 * ((r - min) as f64 / (max - min) as f64)) as i64
                } else {
                    0
                }
            })
            .collect()
    }

    /// PodTopologySpread as `initPreScoreState` / `PreScore` / `Score` /
    /// `NormalizeScore`, counting pods node by node.
    pub fn pod_topology_spread(s: &Snapshot, pod: &Pod, nodes: &[NodeId]) -> Vec<i64> {
        let cluster = s.cluster();
        let default_selector = match pod.origin {
            PodOrigin::Workload(w) => {
                let w = &cluster.workloads[w.0 as usize];
                (w.kind != WorkloadKind::Job).then_some(&w.selector)
            }
            _ => None,
        };
        let cs = soft_constraints(&pod.spec, default_selector);
        if cs.is_empty() {
            return vec![0; nodes.len()];
        }
        let require_all = !pod.spec.topology_spread.is_empty();
        let has_all = |n: &Node| cs.iter().all(|c| n.labels.contains_key(&c.topology_key));
        let ignored: Vec<bool> = nodes
            .iter()
            .map(|&n| require_all && !has_all(s.node(n)))
            .collect();
        let value = |n: &Node, key: &str| n.labels.get(key).cloned().unwrap_or_default();
        let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); cs.len()];
        for (&n, ign) in nodes.iter().zip(&ignored) {
            if *ign {
                continue;
            }
            for (i, c) in cs.iter().enumerate() {
                if c.topology_key != HOSTNAME {
                    counts[i]
                        .entry(value(s.node(n), &c.topology_key))
                        .or_insert(0);
                }
            }
        }
        let scored = ignored.iter().filter(|i| !**i).count();
        let weights: Vec<f64> = cs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let size = if c.topology_key == HOSTNAME {
                    scored
                } else {
                    counts[i].len()
                };
                ((size + 2) as f64).ln()
            })
            .collect();
        let matching = |n: NodeId, sel: &LabelSelector| -> i64 {
            placed(s, n)
                .filter(|q| {
                    !q.terminating
                        && q.namespace == pod.namespace
                        && !sel.is_empty()
                        && sel.matches(&q.labels)
                })
                .count() as i64
        };
        for n in s.node_ids() {
            let node = s.node(n);
            if require_all && !has_all(node) {
                continue;
            }
            for (i, c) in cs.iter().enumerate() {
                let included = (c.node_affinity_policy == InclusionPolicy::Ignore
                    || required_matches(&pod.spec, node))
                    && (c.node_taints_policy == InclusionPolicy::Ignore
                        || find_untolerated(&node.taints, &pod.spec.tolerations, is_hard)
                            .is_none());
                if !included {
                    continue;
                }
                if let Some(count) = counts[i].get_mut(&value(node, &c.topology_key)) {
                    *count += matching(n, &c.selector);
                }
            }
        }
        let mut raw: Vec<i64> = nodes
            .iter()
            .zip(&ignored)
            .map(|(&n, ign)| {
                if *ign {
                    return 0;
                }
                let node = s.node(n);
                let mut score = 0.0;
                for (i, c) in cs.iter().enumerate() {
                    if let Some(v) = node.labels.get(&c.topology_key) {
                        let count = if c.topology_key == HOSTNAME {
                            matching(n, &c.selector)
                        } else {
                            counts[i][v]
                        };
                        score += count as f64 * weights[i] + f64::from(c.max_skew - 1);
                    }
                }
                score.round() as i64
            })
            .collect();
        let (mut min, mut max) = (i64::MAX, 0);
        for (r, ign) in raw.iter().zip(&ignored) {
            if !ign {
                min = min.min(*r);
                max = max.max(*r);
            }
        }
        for (r, ign) in raw.iter_mut().zip(&ignored) {
            *r = if *ign {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *r) / max
            };
        }
        raw
    }
}

/// A small deterministic generator of clusters that exercise every score
/// plugin: zones (some nodes without), PreferNoSchedule taints, preferred
/// node affinity, preferred and required pod (anti-)affinity on bound and
/// pending pods, ScheduleAnyway spread, workload replicas with default
/// spreading.
fn random_cluster(seed: u64) -> Cluster {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let apps = ["web", "api", "db"];
    let mut nodes = Vec::new();
    for i in 0..12 {
        let mut n = node(
            &format!("n{i}"),
            2000 + 1000 * rnd(4) as i64,
            (4 + 2 * rnd(4) as i64) * GI,
        );
        if rnd(5) != 0 {
            n = with_label(n, ZONE, ["1", "2", "3"][rnd(3) as usize]);
        }
        if rnd(4) == 0 {
            n = with_label(n, "disk", "ssd");
        }
        if rnd(5) == 0 {
            n.taints.push(Taint {
                key: "soft".into(),
                value: "x".into(),
                effect: TaintEffect::PreferNoSchedule,
            });
        }
        nodes.push(n);
    }
    let mut specs = Vec::new();
    for k in 0..8 {
        let app = apps[k % apps.len()];
        let key = if rnd(2) == 0 { HOSTNAME } else { ZONE };
        let s = spec(
            req(100 * (1 + rnd(5) as i64), (128 + 128 * rnd(4) as i64) * MI),
            |s| {
                match rnd(6) {
                    0 => {
                        s.preferred_pod_anti_affinity = vec![WeightedPodAffinityTerm {
                            weight: 1 + rnd(100) as i32,
                            term: anti_affinity_term(app, key),
                        }]
                    }
                    1 => {
                        s.preferred_pod_affinity = vec![WeightedPodAffinityTerm {
                            weight: 1 + rnd(100) as i32,
                            term: anti_affinity_term(apps[rnd(3) as usize], key),
                        }]
                    }
                    2 => s.pod_affinity = vec![anti_affinity_term(apps[rnd(3) as usize], key)],
                    3 => {
                        s.topology_spread = vec![TopologySpreadConstraint {
                            max_skew: 1 + rnd(3) as i32,
                            topology_key: key.into(),
                            when_unsatisfiable: UnsatisfiableAction::ScheduleAnyway,
                            selector: LabelSelector::from_labels(&labels([("app", app)])),
                            min_domains: None,
                            node_affinity_policy: InclusionPolicy::Honor,
                            node_taints_policy: if rnd(2) == 0 {
                                InclusionPolicy::Honor
                            } else {
                                InclusionPolicy::Ignore
                            },
                        }]
                    }
                    _ => {}
                }
                if rnd(3) == 0 {
                    s.preferred_node_affinity = vec![PreferredSchedulingTerm {
                        weight: 1 + rnd(50) as i32,
                        term: NodeSelectorTerm {
                            match_expressions: vec![Requirement::new(
                                "disk",
                                Operator::In,
                                &["ssd"],
                            )],
                            match_fields: vec![],
                        },
                    }];
                }
                if rnd(3) == 0 {
                    s.tolerations.push(Toleration {
                        key: "soft".into(),
                        operator: TolerationOperator::Exists,
                        ..Default::default()
                    });
                }
            },
        );
        specs.push((app, s));
    }
    let workloads: Vec<Workload> = apps
        .iter()
        .map(|app| Workload {
            kind: WorkloadKind::Deployment,
            namespace: "default".into(),
            name: app.to_string(),
            replicas: 0,
            selector: LabelSelector::from_labels(&labels([("app", app)])),
            template_labels: labels([("app", app)]),
            spec: Arc::clone(&specs[0].1),
            owner: None,
        })
        .collect();
    let mut pods = Vec::new();
    for i in 0..20 {
        let (app, s) = &specs[rnd(specs.len() as u64) as usize];
        let n = rnd(nodes.len() as u64) as u32;
        let name = nodes[n as usize].name.clone();
        pods.push(bound(&format!("b{i}"), labels([("app", app)]), s, n, &name));
    }
    for i in 0..30 {
        let (app, s) = &specs[rnd(specs.len() as u64) as usize];
        let mut p = pending(&format!("p{i}"), labels([("app", app)]), s);
        if rnd(2) == 0 {
            p.origin = PodOrigin::Workload(WorkloadId(
                apps.iter().position(|a| a == app).unwrap() as u32
            ));
        }
        pods.push(p);
    }
    Cluster {
        nodes,
        pods,
        workloads,
        ..Default::default()
    }
}

#[test]
fn scorer_matches_a_literal_reading_of_upstream() {
    use podplan::predicates::{self, PodState};
    // How many comparisons had scores that differ between nodes.
    let mut varied = [0usize; 3];
    for seed in 1..40 {
        let cluster = random_cluster(seed);
        let mut snapshot = Snapshot::new(&cluster);
        let mut scorer = Scorer::new(&snapshot);
        let pending: Vec<PodId> = cluster.pending_pods().collect();
        for id in pending {
            let state = PodState::new(&snapshot, id);
            let feasible: Vec<NodeId> = snapshot
                .node_ids()
                .filter(|&n| predicates::filter(&snapshot, &state, n).is_ok())
                .collect();
            if feasible.is_empty() {
                continue;
            }
            let pod = snapshot.pod(id).clone();
            let scores = scorer.score(&snapshot, id, &feasible);
            let what = format!("seed {seed} pod {}", pod.name);
            assert_eq!(
                scores.plugin(ScorePlugin::NodeResourcesFit),
                reference::least_allocated(&snapshot, &pod, &feasible),
                "{what}"
            );
            assert_eq!(
                scores.plugin(ScorePlugin::InterPodAffinity),
                reference::inter_pod_affinity(&snapshot, &pod, &feasible),
                "{what}"
            );
            assert_eq!(
                scores.plugin(ScorePlugin::PodTopologySpread),
                reference::pod_topology_spread(&snapshot, &pod, &feasible),
                "{what}"
            );
            for (count, plugin) in varied.iter_mut().zip([
                ScorePlugin::NodeResourcesFit,
                ScorePlugin::InterPodAffinity,
                ScorePlugin::PodTopologySpread,
            ]) {
                let s = scores.plugin(plugin);
                *count += usize::from(s.iter().any(|x| *x != s[0]));
            }
            let best = scores.best().expect("a node");
            snapshot.assign(id, best);
            scorer.pod_added(&snapshot, id, best);
        }
        // And simulate's plan on the same cluster replays.
        run(&cluster);
    }
    assert!(varied.iter().all(|v| *v > 100), "{varied:?}");
}

/// A pod whose required affinity names pods that come later in the queue
/// fails at first and is retried once they are bound, as upstream requeues
/// unschedulable pods on cluster events.
#[test]
fn unschedulable_pods_are_retried_after_later_binds() {
    let follower = spec(req(100, MI), |s| {
        s.pod_affinity = vec![anti_affinity_term("db", HOSTNAME)];
        s.priority = 10;
    });
    let db = spec(req(100, MI), |_| {});
    let cluster = Cluster {
        nodes: vec![node("a", 4000, 8 * GI), node("b", 8000, 16 * GI)],
        pods: vec![
            pending("cache", labels([("app", "cache")]), &follower),
            pending("db", labels([("app", "db")]), &db),
        ],
        ..Default::default()
    };
    let report = run(&cluster);
    assert!(report.unplaced.is_empty(), "{:?}", report.unplaced);
    assert_eq!(node_of(&report, "db").as_deref(), Some("b"));
    assert_eq!(node_of(&report, "cache").as_deref(), Some("b"));
}
