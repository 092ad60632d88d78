//! kube-scheduler's own test tables for the six node-local filter plugins,
//! ported case by case (upstream case names kept verbatim), from
//! `kubernetes/kubernetes` `pkg/scheduler/framework/plugins/*/*_test.go` and
//! `staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/`.
//!
//! Every case runs through the plugin's own `filter` and through
//! `predicates::filter` (the whole chain, which must stop at that plugin
//! with the same reasons, or pass).
//!
//! Ported cases per plugin (ported / upstream):
//! - NodeUnschedulable: 3 — TestNodeUnschedulable 3/3.
//! - NodeName: 3 — TestNodeName 3/3.
//! - TaintToleration: 9 — TestTaintTolerationFilter 9/9.
//! - NodeAffinity: 35 — TestNodeAffinity 28/31 (skipped: the 3 cases about
//!   the plugin's `AddedAffinity` args, which podplan has no config for);
//!   PreFilter results checked for the 26 cases upstream runs PreFilter on.
//!   component-helpers TestPodMatchesNodeSelectorAndAffinityTerms 3/27 (the
//!   other 24 repeat TestNodeAffinity cases), TestNodeSelectorMatch 3/4 (the
//!   nil-node case has no equivalent), TestNodeSelectorRequirementsAsSelector
//!   1 (its parse-error case, as a filter verdict).
//! - NodePorts: 13 — TestNodePorts 13/13.
//! - NodeResourcesFit: 43 — TestEnoughRequests 33/35 (skipped: the 2 cases
//!   about `ignoredResources` / `ignoredResourceGroups` args),
//!   TestNotEnoughRequests 4/4, TestStorageRequests 4/4,
//!   TestRestartableInitContainers 2/4 (the 2 with the SidecarContainers
//!   gate disabled do not apply: podplan assumes the GA default, on).
//!
//! Total: 106 upstream cases, plus `upstream_semantics_beyond_the_tables`
//! (edge cases read off upstream's code, not its tables).
//!
//! Pod requests are the effective vector kube-scheduler computes
//! (`resource.PodRequests`: the containers' sum, raised to the largest init
//! container, plus overhead); [`effective`] rebuilds it from the tables'
//! container lists, as ingest does from pod specs.

use podplan::model::{
    labels, HostPort, Labels, Node, NodeId, NodeSelector, NodeSelectorTerm, Operator as Op, Pod,
    PodId, PodPhase, PodSpec, Requirement, Resources, Taint, TaintEffect, Toleration,
    TolerationOperator as TolOp,
};
use podplan::predicates::node_affinity::{self, PreFilter};
use podplan::predicates::{
    self, node_name, node_ports, node_resources_fit, node_unschedulable, taint_toleration, Plugin,
    PodState, Rejection, Snapshot, Verdict,
};
use std::collections::BTreeSet;
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// One upstream case: the pod to place, the node, the pods already on the
/// node, and the plugin's reasons (empty: the node fits).
struct Case {
    name: &'static str,
    pod: Pod,
    node: Node,
    on_node: Vec<Pod>,
    want: &'static [&'static str],
}

/// A case without pods on the node.
fn case(name: &'static str, pod: Pod, node: Node, want: &'static [&'static str]) -> Case {
    Case {
        name,
        pod,
        node,
        on_node: Vec::new(),
        want,
    }
}

/// A case with pods already on the node.
fn case_on(
    name: &'static str,
    pod: Pod,
    node: Node,
    on_node: Vec<Pod>,
    want: &'static [&'static str],
) -> Case {
    Case {
        name,
        pod,
        node,
        on_node,
        want,
    }
}

/// Runs every case through `plugin`'s filter and through the whole chain;
/// returns the number of cases.
fn check(plugin: Plugin, cases: &[Case]) -> usize {
    for c in cases {
        let mut node = c.node.clone();
        if plugin != Plugin::NodeResourcesFit {
            // Upstream tables leave allocatable empty when they test other
            // plugins; the chain's NodeResourcesFit must not trip on it.
            node.allocatable.pods = node.allocatable.pods.max(110);
        }
        assert!(
            c.on_node.is_empty() || !node.name.is_empty(),
            "{}: pods need a named node",
            c.name
        );
        let mut pods: Vec<Pod> = c
            .on_node
            .iter()
            .cloned()
            .map(|mut p| {
                p.node_name = Some(node.name.clone());
                p.node = Some(NodeId(0));
                p.phase = PodPhase::Running;
                p
            })
            .collect();
        pods.push(c.pod.clone());
        let pod_id = PodId(pods.len() as u32 - 1);
        let cluster = podplan::model::Cluster {
            nodes: vec![node],
            pods,
            ..Default::default()
        };
        let snapshot = Snapshot::new(&cluster);
        let id = NodeId(0);
        assert_eq!(snapshot.info(id).pods.len(), c.on_node.len(), "{}", c.name);

        let want: Verdict = if c.want.is_empty() {
            Ok(())
        } else {
            Err(c.want.iter().map(|s| s.to_string()).collect())
        };
        let got = run_plugin(plugin, &snapshot, pod_id, id);
        assert_eq!(got, want, "{:?} {:?}", plugin, c.name);

        let state = PodState::new(&snapshot, pod_id);
        let chain = predicates::filter(&snapshot, &state, id);
        // The framework rejects nodes outside NodeAffinity's PreFilter
        // result before any Filter runs, with the PreFilter's message.
        let want_chain = match state.node_affinity.admits(snapshot.node(id)) {
            Err(reasons) => Err(Rejection {
                plugin: Plugin::NodeAffinity,
                reasons,
            }),
            Ok(()) => want.map_err(|reasons| Rejection { plugin, reasons }),
        };
        assert_eq!(chain, want_chain, "chain {:?} {:?}", plugin, c.name);
    }
    cases.len()
}

/// The plugin's own filter.
fn run_plugin(plugin: Plugin, snapshot: &Snapshot, pod: PodId, node: NodeId) -> Verdict {
    let (pod, info, node) = (snapshot.pod(pod), snapshot.info(node), snapshot.node(node));
    match plugin {
        Plugin::NodeUnschedulable => node_unschedulable::filter(pod, node),
        Plugin::NodeName => node_name::filter(pod, node),
        Plugin::TaintToleration => taint_toleration::filter(pod, node),
        Plugin::NodeAffinity => node_affinity::filter(pod, node),
        Plugin::NodePorts => node_ports::filter(pod, info),
        Plugin::NodeResourcesFit => node_resources_fit::filter(pod, node, info),
        other => panic!("{other:?} is not a node-local plugin"),
    }
}

/// A pod with the spec `f` builds.
fn pod(f: impl FnOnce(&mut PodSpec)) -> Pod {
    let mut spec = PodSpec::default();
    f(&mut spec);
    Pod {
        namespace: "default".into(),
        name: "pod".into(),
        spec: Arc::new(spec),
        ..Default::default()
    }
}

/// A node with a name and nothing else.
fn node(name: &str) -> Node {
    Node {
        name: name.into(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// NodeUnschedulable, NodeName
// ---------------------------------------------------------------------------

#[test]
fn node_unschedulable() {
    let cordoned = || Node {
        unschedulable: true,
        ..node("n")
    };
    const REASON: &[&str] = &["node(s) were unschedulable"];
    let cases = [
        case(
            "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
            pod(|_| {}),
            cordoned(),
            REASON,
        ),
        case("Schedule pod to normal node", pod(|_| {}), node("n"), &[]),
        case(
            "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
            pod(|s| {
                s.tolerations = vec![tol(
                    "node.kubernetes.io/unschedulable",
                    TolOp::Equal,
                    "",
                    Some(TaintEffect::NoSchedule),
                )]
            }),
            cordoned(),
            &[],
        ),
    ];
    assert_eq!(check(Plugin::NodeUnschedulable, &cases), 3);
}

#[test]
fn node_name() {
    let on = |name: &str| {
        let mut p = pod(|_| {});
        p.node_name = Some(name.into());
        p
    };
    let cases = [
        case("no host specified", pod(|_| {}), node(""), &[]),
        case("host matches", on("foo"), node("foo"), &[]),
        case(
            "host doesn't match",
            on("bar"),
            node("foo"),
            &["node(s) didn't match the requested node name"],
        ),
    ];
    assert_eq!(check(Plugin::NodeName, &cases), 3);
}

// ---------------------------------------------------------------------------
// TaintToleration
// ---------------------------------------------------------------------------

fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
    Taint {
        key: key.into(),
        value: value.into(),
        effect,
    }
}

fn tol(key: &str, operator: TolOp, value: &str, effect: Option<TaintEffect>) -> Toleration {
    Toleration {
        key: key.into(),
        operator,
        value: value.into(),
        effect,
    }
}

fn tolerating(tolerations: Vec<Toleration>) -> Pod {
    pod(|s| s.tolerations = tolerations)
}

fn tainted(taints: Vec<Taint>) -> Node {
    Node {
        taints,
        ..node("nodeA")
    }
}

#[test]
fn taint_toleration() {
    use TaintEffect::{NoSchedule, PreferNoSchedule};
    let ns = Some(NoSchedule);
    let cases = [
        case(
            "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
            tolerating(vec![]),
            tainted(vec![taint("dedicated", "user1", NoSchedule)]),
            &["node(s) had untolerated taint {dedicated: user1}"],
        ),
        case(
            "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
            tolerating(vec![tol("dedicated", TolOp::Equal, "user1", ns)]),
            tainted(vec![taint("dedicated", "user1", NoSchedule)]),
            &[],
        ),
        case(
            "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
            tolerating(vec![tol("dedicated", TolOp::Equal, "user2", ns)]),
            tainted(vec![taint("dedicated", "user1", NoSchedule)]),
            &["node(s) had untolerated taint {dedicated: user1}"],
        ),
        case(
            "A pod can be scheduled onto the node, with a toleration uses operator Exists that \
             tolerates the taints on the node",
            tolerating(vec![tol("foo", TolOp::Exists, "", ns)]),
            tainted(vec![taint("foo", "bar", NoSchedule)]),
            &[],
        ),
        case(
            "A pod has multiple tolerations, node has multiple taints, all the taints are \
             tolerated, pod can be scheduled onto the node",
            tolerating(vec![
                tol("dedicated", TolOp::Equal, "user2", ns),
                tol("foo", TolOp::Exists, "", ns),
            ]),
            tainted(vec![
                taint("dedicated", "user2", NoSchedule),
                taint("foo", "bar", NoSchedule),
            ]),
            &[],
        ),
        case(
            "A pod has a toleration that keys and values match the taint on the node, but \
             (non-empty) effect doesn't match, can't be scheduled onto the node",
            tolerating(vec![tol("foo", TolOp::Equal, "bar", Some(PreferNoSchedule))]),
            tainted(vec![taint("foo", "bar", NoSchedule)]),
            &["node(s) had untolerated taint {foo: bar}"],
        ),
        case(
            "The pod has a toleration that keys and values match the taint on the node, the \
             effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be \
             scheduled onto the node",
            tolerating(vec![tol("foo", TolOp::Equal, "bar", None)]),
            tainted(vec![taint("foo", "bar", NoSchedule)]),
            &[],
        ),
        case(
            "The pod has a toleration that key and value don't match the taint on the node, but \
             the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
            tolerating(vec![tol("dedicated", TolOp::Equal, "user2", ns)]),
            tainted(vec![taint("dedicated", "user1", PreferNoSchedule)]),
            &[],
        ),
        case(
            "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod \
             can be scheduled onto the node",
            tolerating(vec![]),
            tainted(vec![taint("dedicated", "user1", PreferNoSchedule)]),
            &[],
        ),
    ];
    assert_eq!(check(Plugin::TaintToleration, &cases), 9);
}

// ---------------------------------------------------------------------------
// NodeAffinity
// ---------------------------------------------------------------------------

const NO_MATCH: &[&str] = &["node(s) didn't match Pod's node affinity/selector"];

fn req(key: &str, op: Op, values: &[&str]) -> Requirement {
    Requirement::new(key, op, values)
}

/// `matchFields: metadata.name In [name]`.
fn name_in(name: &str) -> Requirement {
    req("metadata.name", Op::In, &[name])
}

fn term(match_expressions: Vec<Requirement>, match_fields: Vec<Requirement>) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions,
        match_fields,
    }
}

fn exprs(match_expressions: Vec<Requirement>) -> NodeSelectorTerm {
    term(match_expressions, vec![])
}

fn fields(match_fields: Vec<Requirement>) -> NodeSelectorTerm {
    term(vec![], match_fields)
}

/// A pod whose required node affinity has these terms.
fn required(terms: Vec<NodeSelectorTerm>) -> Pod {
    pod(|s| s.required_node_affinity = Some(NodeSelector { terms }))
}

/// A pod with this `nodeSelector`.
fn selecting<const N: usize>(pairs: [(&str, &str); N]) -> Pod {
    pod(|s| s.node_selector = labels(pairs))
}

/// Adds a `nodeSelector` to a pod.
fn and_selecting<const N: usize>(mut p: Pod, pairs: [(&str, &str); N]) -> Pod {
    Arc::make_mut(&mut p.spec).node_selector = labels(pairs);
    p
}

fn labelled(name: &str, labels: Labels) -> Node {
    Node {
        labels,
        ..node(name)
    }
}

/// Upstream's expected PreFilter outcome, when the case runs PreFilter.
enum Pre {
    NotRun,
    Skip,
    All,
    Names(&'static [&'static str]),
    Conflict,
}

#[test]
fn node_affinity() {
    let foo_bar = || labels([("foo", "bar")]);
    let gpu = || labels([("GPU", "NVIDIA-GRID-K1")]);
    let gpu_exists = || req("GPU", Op::Exists, &[]);
    // TestNodeAffinity: (case, PreFilter).
    let table =
        vec![
        (
            case(
                "missing labels",
                selecting([("foo", "bar")]),
                labelled("", Labels::new()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "same labels",
                selecting([("foo", "bar")]),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "node labels are superset",
                selecting([("foo", "bar")]),
                labelled("", labels([("foo", "bar"), ("baz", "blah")])),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "node labels are subset",
                selecting([("foo", "bar"), ("baz", "blah")]),
                labelled("", foo_bar()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with matchExpressions using In operator that matches the existing node",
                required(vec![exprs(vec![req("foo", Op::In, &["bar", "value2"])])]),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with matchExpressions using Gt operator that matches the existing node",
                required(vec![exprs(vec![req("kernel-version", Op::Gt, &["0204"])])]),
                labelled("", labels([("kernel-version", "0206")])),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with matchExpressions using NotIn operator that matches the existing node",
                required(vec![exprs(vec![req("mem-type", Op::NotIn, &["DDR", "DDR2"])])]),
                labelled("", labels([("mem-type", "DDR3")])),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with matchExpressions using Exists operator that matches the existing node",
                required(vec![exprs(vec![gpu_exists()])]),
                labelled("", gpu()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with affinity that don't match node's labels won't schedule onto the node",
                required(vec![exprs(vec![req("foo", Op::In, &["value1", "value2"])])]),
                labelled("", foo_bar()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with empty MatchExpressions is not a valid value will match no objects and \
                 won't schedule onto the node",
                required(vec![exprs(vec![])]),
                labelled("", foo_bar()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with no Affinity will schedule onto a node",
                pod(|_| {}),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::Skip,
        ),
        (
            // `affinity.nodeAffinity.required: nil` is no required affinity.
            case(
                "Pod with Affinity but nil NodeSelector will schedule onto a node",
                pod(|s| s.required_node_affinity = None),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::Skip,
        ),
        (
            case(
                "Pod with multiple matchExpressions ANDed that matches the existing node",
                required(vec![exprs(vec![
                    gpu_exists(),
                    req("GPU", Op::NotIn, &["AMD", "INTER"]),
                ])]),
                labelled("", gpu()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
                required(vec![exprs(vec![
                    gpu_exists(),
                    req("GPU", Op::In, &["AMD", "INTER"]),
                ])]),
                labelled("", gpu()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels \
                 and will schedule onto the node",
                required(vec![
                    exprs(vec![req("foo", Op::In, &["bar", "value2"])]),
                    exprs(vec![req("diffkey", Op::In, &["wrong", "value2"])]),
                ]),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are \
                 deprecating) both are satisfied, will schedule onto the node",
                and_selecting(
                    required(vec![exprs(vec![req("foo", Op::Exists, &[])])]),
                    [("foo", "bar")],
                ),
                labelled("", foo_bar()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old \
                 thing that we are deprecating) is not satisfied, won't schedule onto the node",
                and_selecting(
                    required(vec![exprs(vec![req("foo", Op::Exists, &[])])]),
                    [("foo", "bar")],
                ),
                labelled("", labels([("foo", "barrrrrr")])),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with an invalid value in Affinity term won't be scheduled onto the node",
                required(vec![exprs(vec![req(
                    "foo",
                    Op::NotIn,
                    &["invalid value: ___@#$%^"],
                )])]),
                labelled("", foo_bar()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with matchFields using In operator that matches the existing node",
                required(vec![fields(vec![name_in("node1")])]),
                node("node1"),
                &[],
            ),
            Pre::Names(&["node1"]),
        ),
        (
            case(
                "Pod with matchFields using In operator that does not match the existing node",
                required(vec![fields(vec![name_in("node1")])]),
                node("node2"),
                NO_MATCH,
            ),
            Pre::Names(&["node1"]),
        ),
        (
            case(
                "Pod with two terms: matchFields does not match, but matchExpressions matches",
                required(vec![
                    fields(vec![name_in("node1"), name_in("node2")]),
                    exprs(vec![req("foo", Op::In, &["bar"])]),
                ]),
                labelled("node2", foo_bar()),
                &[],
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with one term: matchFields does not match, but matchExpressions matches",
                required(vec![term(
                    vec![req("foo", Op::In, &["bar"])],
                    vec![name_in("node1")],
                )]),
                labelled("node2", foo_bar()),
                NO_MATCH,
            ),
            Pre::Names(&["node1"]),
        ),
        (
            case(
                "Pod with one term: both matchFields and matchExpressions match",
                required(vec![term(
                    vec![req("foo", Op::In, &["bar"])],
                    vec![name_in("node1")],
                )]),
                labelled("node1", foo_bar()),
                &[],
            ),
            Pre::Names(&["node1"]),
        ),
        (
            case(
                "Pod with two terms: both matchFields and matchExpressions do not match",
                required(vec![
                    fields(vec![name_in("node1")]),
                    exprs(vec![req("foo", Op::In, &["not-match-to-bar"])]),
                ]),
                labelled("node2", foo_bar()),
                NO_MATCH,
            ),
            Pre::All,
        ),
        (
            case(
                "Pod with two terms of node.Name affinity",
                required(vec![
                    fields(vec![name_in("node1")]),
                    fields(vec![name_in("node2")]),
                ]),
                node("node2"),
                &[],
            ),
            Pre::Names(&["node1", "node2"]),
        ),
        (
            case(
                "Pod with two conflicting mach field requirements",
                required(vec![fields(vec![name_in("node1"), name_in("node2")])]),
                labelled("node2", foo_bar()),
                NO_MATCH,
            ),
            Pre::Conflict,
        ),
        (
            case(
                "Matches node selector correctly even if PreFilter is not called",
                selecting([("foo", "bar")]),
                labelled("", labels([("foo", "bar"), ("baz", "blah")])),
                &[],
            ),
            Pre::NotRun,
        ),
        (
            case(
                "Matches node affinity correctly even if PreFilter is not called",
                required(vec![exprs(vec![
                    gpu_exists(),
                    req("GPU", Op::NotIn, &["AMD", "INTER"]),
                ])]),
                labelled("", gpu()),
                &[],
            ),
            Pre::NotRun,
        ),
    ];
    let mut pre_filtered = 0;
    for (c, pre) in &table {
        let want = match pre {
            Pre::NotRun => continue,
            Pre::Skip => PreFilter::Skip,
            Pre::All => PreFilter::AllNodes,
            Pre::Names(names) => {
                PreFilter::NodeNames(names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>())
            }
            Pre::Conflict => PreFilter::Conflict,
        };
        assert_eq!(node_affinity::pre_filter(&c.pod.spec), want, "{}", c.name);
        pre_filtered += 1;
    }
    assert_eq!(pre_filtered, 26);
    let cases: Vec<Case> = table.into_iter().map(|(c, _)| c).collect();
    assert_eq!(check(Plugin::NodeAffinity, &cases), 28);

    // component-helpers: TestPodMatchesNodeSelectorAndAffinityTerms (the cases
    // TestNodeAffinity lacks), TestNodeSelectorMatch, and the parse-error case
    // of TestNodeSelectorRequirementsAsSelector as a verdict.
    let host_1 = || labelled("host_1", Labels::new());
    let label_1 = || req("label_1", Op::In, &["label_1_val"]);
    let helpers = [
        case("no selector", pod(|_| {}), labelled("", Labels::new()), &[]),
        case(
            "Pod with a nil []NodeSelectorTerm in affinity, can't match the node's labels and \
             won't schedule onto the node",
            required(vec![]),
            labelled("", foo_bar()),
            NO_MATCH,
        ),
        case(
            "Pod with an empty []NodeSelectorTerm in affinity, can't match the node's labels and \
             won't schedule onto the node",
            required(Vec::new()),
            labelled("", foo_bar()),
            NO_MATCH,
        ),
        case(
            "node matches field selector, but not labels",
            required(vec![term(vec![label_1()], vec![name_in("host_1")])]),
            host_1(),
            NO_MATCH,
        ),
        case(
            "node matches field selector and label selector",
            required(vec![term(vec![label_1()], vec![name_in("host_1")])]),
            labelled("host_1", labels([("label_1", "label_1_val")])),
            &[],
        ),
        case(
            "second term matches",
            required(vec![
                exprs(vec![label_1()]),
                fields(vec![name_in("host_1")]),
            ]),
            host_1(),
            &[],
        ),
        case(
            "values set must be empty for exists and does not exist",
            required(vec![exprs(vec![req("foo", Op::Exists, &["bar", "baz"])])]),
            labelled("", foo_bar()),
            NO_MATCH,
        ),
    ];
    assert_eq!(check(Plugin::NodeAffinity, &helpers), 7);
}

// ---------------------------------------------------------------------------
// NodePorts
// ---------------------------------------------------------------------------

/// Upstream's `newPod(host, "PROTO/IP/PORT"...)`: a pod bound to `host`
/// whose container binds these host ports.
fn port_pod(host: &str, specs: &[&str]) -> Pod {
    let host_ports = specs
        .iter()
        .map(|s| {
            let parts: Vec<&str> = s.split('/').collect();
            HostPort {
                protocol: parts[0].into(),
                host_ip: parts[1].into(),
                port: parts[2].parse().unwrap(),
            }
        })
        .collect();
    let mut p = pod(|s| s.host_ports = host_ports);
    p.node_name = Some(host.into());
    p
}

#[test]
fn node_ports() {
    const CONFLICT: &[&str] = &["node(s) didn't have free ports for the requested pod ports"];
    let m1 = || node("m1");
    let cases = [
        case("skip filter", pod(|_| {}), m1(), &[]),
        case_on(
            "other port",
            port_pod("m1", &["UDP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["UDP/127.0.0.1/9090"])],
            &[],
        ),
        case_on(
            "same udp port",
            port_pod("m1", &["UDP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["UDP/127.0.0.1/8080"])],
            CONFLICT,
        ),
        case_on(
            "same tcp port",
            port_pod("m1", &["TCP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["TCP/127.0.0.1/8080"])],
            CONFLICT,
        ),
        case_on(
            "different host ip",
            port_pod("m1", &["TCP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["TCP/127.0.0.2/8080"])],
            &[],
        ),
        case_on(
            "different protocol",
            port_pod("m1", &["UDP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["TCP/127.0.0.1/8080"])],
            &[],
        ),
        case_on(
            "second udp port conflict",
            port_pod("m1", &["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod("m1", &["UDP/127.0.0.1/8080"])],
            CONFLICT,
        ),
        case_on(
            "first tcp port conflict",
            port_pod("m1", &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"]),
            m1(),
            vec![port_pod(
                "m1",
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
            )],
            CONFLICT,
        ),
        case_on(
            "first tcp port conflict due to 0.0.0.0 hostIP",
            port_pod("m1", &["TCP/0.0.0.0/8001"]),
            m1(),
            vec![port_pod("m1", &["TCP/127.0.0.1/8001"])],
            CONFLICT,
        ),
        case_on(
            "TCP hostPort conflict due to 0.0.0.0 hostIP",
            port_pod("m1", &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"]),
            m1(),
            vec![port_pod("m1", &["TCP/127.0.0.1/8001"])],
            CONFLICT,
        ),
        case_on(
            "second tcp port conflict to 0.0.0.0 hostIP",
            port_pod("m1", &["TCP/127.0.0.1/8001"]),
            m1(),
            vec![port_pod("m1", &["TCP/0.0.0.0/8001"])],
            CONFLICT,
        ),
        case_on(
            "second different protocol",
            port_pod("m1", &["UDP/127.0.0.1/8001"]),
            m1(),
            vec![port_pod("m1", &["TCP/0.0.0.0/8001"])],
            &[],
        ),
        case_on(
            "UDP hostPort conflict due to 0.0.0.0 hostIP",
            port_pod("m1", &["UDP/127.0.0.1/8001"]),
            m1(),
            vec![port_pod("m1", &["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"])],
            CONFLICT,
        ),
    ];
    assert_eq!(check(Plugin::NodePorts, &cases), 13);
}

// ---------------------------------------------------------------------------
// NodeResourcesFit
// ---------------------------------------------------------------------------

const EXT_A: &str = "example.com/aaa";
const EXT_B: &str = "example.com/bbb";
const K8S_IO_A: &str = "kubernetes.io/something";
const K8S_IO_B: &str = "subdomain.kubernetes.io/something";
const HUGE_A: &str = "hugepages-2Mi";

/// `framework.Resource{MilliCPU, Memory}`.
fn r(milli_cpu: i64, memory: i64) -> Resources {
    Resources {
        milli_cpu,
        memory,
        ..Default::default()
    }
}

/// `framework.Resource{MilliCPU, Memory, ScalarResources}`.
fn rx(milli_cpu: i64, memory: i64, scalars: &[(&str, i64)]) -> Resources {
    let mut res = r(milli_cpu, memory);
    for (name, v) in scalars {
        res.set(name, *v);
    }
    res
}

/// `framework.Resource{EphemeralStorage}`.
fn storage(ephemeral_storage: i64) -> Resources {
    Resources {
        ephemeral_storage,
        ..Default::default()
    }
}

/// `resource.PodRequests` for pods without sidecars: the containers' sum,
/// raised component-wise to the largest init container, plus overhead.
fn effective(containers: &[Resources], init: &[Resources], overhead: &Resources) -> Resources {
    let mut sum = Resources::default();
    for c in containers {
        sum.add(c);
    }
    for i in init {
        sum.max_with(i);
    }
    sum.add(overhead);
    sum
}

/// Upstream's `newResourceInitPod(newResourcePod(containers...), init...)`.
fn rpod(containers: &[Resources], init: &[Resources]) -> Pod {
    let requests = effective(containers, init, &Resources::default());
    pod(|s| s.requests = requests)
}

/// Upstream's `newResourceOverheadPod(newResourcePod(containers...), overhead)`.
fn overhead_pod(containers: &[Resources], overhead: Resources) -> Pod {
    let requests = effective(containers, &[], &overhead);
    pod(|s| s.requests = requests)
}

/// Upstream's `makeAllocatableResources(milliCPU, memory, pods, extendedA,
/// storage, hugePageA)` on a node.
fn alloc_node(cpu: i64, memory: i64, pods: i64, ext_a: i64, storage: i64, huge_a: i64) -> Node {
    let mut allocatable = Resources {
        milli_cpu: cpu,
        memory,
        ephemeral_storage: storage,
        pods,
        scalars: Vec::new(),
    };
    allocatable.set(EXT_A, ext_a);
    allocatable.set(HUGE_A, huge_a);
    Node {
        allocatable,
        ..node("node")
    }
}

#[test]
fn node_resources_fit() {
    let n = || alloc_node(10, 20, 32, 5, 20, 5);
    let on = |res: Resources| vec![rpod(&[res], &[])];
    const CPU: &[&str] = &["Insufficient cpu"];
    const MEM: &[&str] = &["Insufficient memory"];
    const A: &[&str] = &["Insufficient example.com/aaa"];
    const B: &[&str] = &["Insufficient example.com/bbb"];
    const HUGE: &[&str] = &["Insufficient hugepages-2Mi"];
    let (a, b, huge) = (EXT_A, EXT_B, HUGE_A);

    // TestEnoughRequests (node: 10m cpu, 20 memory, 32 pods, 5 example.com/aaa,
    // 20 ephemeral-storage, 5 hugepages-2Mi).
    let enough = [
        case_on(
            "no resources requested always fits",
            pod(|_| {}),
            n(),
            on(r(10, 20)),
            &[],
        ),
        case_on(
            "too many resources fails",
            rpod(&[r(1, 1)], &[]),
            n(),
            on(r(10, 20)),
            &["Insufficient cpu", "Insufficient memory"],
        ),
        case_on(
            "too many resources fails due to init container cpu",
            rpod(&[r(1, 1)], &[r(3, 1)]),
            n(),
            on(r(8, 19)),
            CPU,
        ),
        case_on(
            "too many resources fails due to highest init container cpu",
            rpod(&[r(1, 1)], &[r(3, 1), r(2, 1)]),
            n(),
            on(r(8, 19)),
            CPU,
        ),
        case_on(
            "too many resources fails due to init container memory",
            rpod(&[r(1, 1)], &[r(1, 3)]),
            n(),
            on(r(9, 19)),
            MEM,
        ),
        case_on(
            "too many resources fails due to highest init container memory",
            rpod(&[r(1, 1)], &[r(1, 3), r(1, 2)]),
            n(),
            on(r(9, 19)),
            MEM,
        ),
        case_on(
            "init container fits because it's the max, not sum, of containers and init containers",
            rpod(&[r(1, 1)], &[r(1, 1)]),
            n(),
            on(r(9, 19)),
            &[],
        ),
        case_on(
            "multiple init containers fit because it's the max, not sum, of containers and init \
             containers",
            rpod(&[r(1, 1)], &[r(1, 1), r(1, 1)]),
            n(),
            on(r(9, 19)),
            &[],
        ),
        case_on(
            "both resources fit",
            rpod(&[r(1, 1)], &[]),
            n(),
            on(r(5, 5)),
            &[],
        ),
        case_on(
            "one resource memory fits",
            rpod(&[r(2, 1)], &[]),
            n(),
            on(r(9, 5)),
            CPU,
        ),
        case_on(
            "one resource cpu fits",
            rpod(&[r(1, 2)], &[]),
            n(),
            on(r(5, 19)),
            MEM,
        ),
        case_on(
            "equal edge case",
            rpod(&[r(5, 1)], &[]),
            n(),
            on(r(5, 19)),
            &[],
        ),
        case_on(
            "equal edge case for init container",
            rpod(&[r(4, 1)], &[r(5, 1)]),
            n(),
            on(r(5, 19)),
            &[],
        ),
        case_on(
            "extended resource fits",
            rpod(&[rx(0, 0, &[(a, 1)])], &[]),
            n(),
            on(r(0, 0)),
            &[],
        ),
        case_on(
            "extended resource fits for init container",
            rpod(&[r(0, 0)], &[rx(0, 0, &[(a, 1)])]),
            n(),
            on(r(0, 0)),
            &[],
        ),
        case_on(
            "extended resource capacity enforced",
            rpod(&[rx(1, 1, &[(a, 10)])], &[]),
            n(),
            on(rx(0, 0, &[(a, 0)])),
            A,
        ),
        case_on(
            "extended resource capacity enforced for init container",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(a, 10)])]),
            n(),
            on(rx(0, 0, &[(a, 0)])),
            A,
        ),
        case_on(
            "extended resource allocatable enforced",
            rpod(&[rx(1, 1, &[(a, 1)])], &[]),
            n(),
            on(rx(0, 0, &[(a, 5)])),
            A,
        ),
        case_on(
            "extended resource allocatable enforced for init container",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(a, 1)])]),
            n(),
            on(rx(0, 0, &[(a, 5)])),
            A,
        ),
        case_on(
            "extended resource allocatable enforced for multiple containers",
            rpod(&[rx(1, 1, &[(a, 3)]), rx(1, 1, &[(a, 3)])], &[]),
            n(),
            on(rx(0, 0, &[(a, 2)])),
            A,
        ),
        case_on(
            "extended resource allocatable admits multiple init containers",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(a, 3)]), rx(1, 1, &[(a, 3)])]),
            n(),
            on(rx(0, 0, &[(a, 2)])),
            &[],
        ),
        case_on(
            "extended resource allocatable enforced for multiple init containers",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(a, 6)]), rx(1, 1, &[(a, 3)])]),
            n(),
            on(rx(0, 0, &[(a, 2)])),
            A,
        ),
        case_on(
            "extended resource allocatable enforced for unknown resource",
            rpod(&[rx(1, 1, &[(b, 1)])], &[]),
            n(),
            on(r(0, 0)),
            B,
        ),
        case_on(
            "extended resource allocatable enforced for unknown resource for init container",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(b, 1)])]),
            n(),
            on(r(0, 0)),
            B,
        ),
        case_on(
            "kubernetes.io resource capacity enforced",
            rpod(&[rx(1, 1, &[(K8S_IO_A, 10)])], &[]),
            n(),
            on(r(0, 0)),
            &["Insufficient kubernetes.io/something"],
        ),
        case_on(
            "kubernetes.io resource capacity enforced for init container",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(K8S_IO_B, 10)])]),
            n(),
            on(r(0, 0)),
            &["Insufficient subdomain.kubernetes.io/something"],
        ),
        case_on(
            "hugepages resource capacity enforced",
            rpod(&[rx(1, 1, &[(huge, 10)])], &[]),
            n(),
            on(rx(0, 0, &[(huge, 0)])),
            HUGE,
        ),
        case_on(
            "hugepages resource capacity enforced for init container",
            rpod(&[r(0, 0)], &[rx(1, 1, &[(huge, 10)])]),
            n(),
            on(rx(0, 0, &[(huge, 0)])),
            HUGE,
        ),
        case_on(
            "hugepages resource allocatable enforced for multiple containers",
            rpod(&[rx(1, 1, &[(huge, 3)]), rx(1, 1, &[(huge, 3)])], &[]),
            n(),
            on(rx(0, 0, &[(huge, 2)])),
            HUGE,
        ),
        case_on(
            "resources + pod overhead fits",
            overhead_pod(&[r(1, 1)], r(3, 13)),
            n(),
            on(r(5, 5)),
            &[],
        ),
        case_on(
            "requests + overhead does not fit for memory",
            overhead_pod(&[r(1, 1)], r(1, 15)),
            n(),
            on(r(5, 5)),
            MEM,
        ),
        case_on(
            "skip checking extended resource request with quantity zero via resource groups",
            rpod(&[rx(1, 1, &[(a, 0)])], &[]),
            n(),
            on(rx(0, 0, &[(a, 6)])),
            &[],
        ),
        case_on(
            "skip checking resource request with quantity zero",
            rpod(&[rx(0, 0, &[(a, 1)])], &[]),
            n(),
            on(rx(20, 30, &[(a, 1)])),
            &[],
        ),
    ];
    let mut count = check(Plugin::NodeResourcesFit, &enough);
    assert_eq!(count, 33);

    // TestNotEnoughRequests (node: 10m cpu, 20 memory, 1 pod).
    let one_pod = || alloc_node(10, 20, 1, 0, 0, 0);
    const TOO_MANY: &[&str] = &["Too many pods"];
    let not_enough = [
        case_on(
            "even without specified resources, predicate fails when there's no space for \
             additional pod",
            pod(|_| {}),
            one_pod(),
            on(r(10, 20)),
            TOO_MANY,
        ),
        case_on(
            "even if both resources fit, predicate fails when there's no space for additional pod",
            rpod(&[r(1, 1)], &[]),
            one_pod(),
            on(r(5, 5)),
            TOO_MANY,
        ),
        case_on(
            "even for equal edge case, predicate fails when there's no space for additional pod",
            rpod(&[r(5, 1)], &[]),
            one_pod(),
            on(r(5, 19)),
            TOO_MANY,
        ),
        case_on(
            "even for equal edge case, predicate fails when there's no space for additional pod \
             due to init container",
            rpod(&[r(5, 1)], &[r(5, 1)]),
            one_pod(),
            on(r(5, 19)),
            TOO_MANY,
        ),
    ];
    count += check(Plugin::NodeResourcesFit, &not_enough);

    // TestStorageRequests (node as in TestEnoughRequests).
    let storage_cases = [
        case_on(
            "empty storage requested, and pod fits",
            rpod(&[r(1, 1)], &[]),
            n(),
            on(r(2, 10)),
            &[],
        ),
        case_on(
            "storage ephemeral local storage request exceeds allocatable",
            rpod(&[storage(25)], &[]),
            n(),
            on(r(2, 2)),
            &["Insufficient ephemeral-storage"],
        ),
        case_on(
            "ephemeral local storage is sufficient",
            rpod(&[storage(5)], &[]),
            n(),
            on(Resources {
                ephemeral_storage: 10,
                ..r(2, 2)
            }),
            &[],
        ),
        case_on("pod fits", rpod(&[storage(10)], &[]), n(), on(r(2, 2)), &[]),
    ];
    count += check(Plugin::NodeResourcesFit, &storage_cases);

    // TestRestartableInitContainers, SidecarContainers enabled (node: 1 pod,
    // nothing else; the containers request nothing).
    let sidecars = [
        case(
            "allow pod without restartable init containers if sidecar containers is enabled",
            pod(|_| {}),
            alloc_node(0, 0, 1, 0, 0, 0),
            &[],
        ),
        case(
            "allow pod with restartable init containers if sidecar containers is enabled",
            pod(|_| {}),
            alloc_node(0, 0, 1, 0, 0, 0),
            &[],
        ),
    ];
    count += check(Plugin::NodeResourcesFit, &sidecars);
    assert_eq!(count, 43);
}

// ---------------------------------------------------------------------------
// Beyond the tables
// ---------------------------------------------------------------------------

/// Edge cases read off upstream's code rather than its tables.
#[test]
fn upstream_semantics_beyond_the_tables() {
    let n1 = || labelled("n1", labels([("zone", "a")]));
    let affinity = [
        // fields.Set holds only metadata.name: other fields read as "".
        case(
            "matchFields on another field: NotIn a value matches",
            required(vec![fields(vec![req(
                "spec.unschedulable",
                Op::NotIn,
                &["true"],
            )])]),
            n1(),
            &[],
        ),
        case(
            "matchFields on another field: In a value does not match",
            required(vec![fields(vec![req(
                "spec.unschedulable",
                Op::In,
                &["false"],
            )])]),
            n1(),
            NO_MATCH,
        ),
        // nodeSelectorRequirementsAsFieldSelector wants exactly one value.
        case(
            "matchFields metadata.name In two values is a parse error",
            required(vec![fields(vec![req(
                "metadata.name",
                Op::In,
                &["n1", "n2"],
            )])]),
            n1(),
            NO_MATCH,
        ),
        // A parse error sinks its term only; the other terms still count.
        case(
            "an unparsable term next to a matching one",
            required(vec![
                exprs(vec![req("invalid key", Op::Exists, &[])]),
                exprs(vec![req("zone", Op::In, &["a"])]),
            ]),
            n1(),
            &[],
        ),
        case(
            "NotIn without values is a parse error",
            required(vec![exprs(vec![req("zone", Op::NotIn, &[])])]),
            n1(),
            NO_MATCH,
        ),
        case(
            "Lt with a non-integer bound is a parse error",
            required(vec![exprs(vec![req("zone", Op::Lt, &["x"])])]),
            n1(),
            NO_MATCH,
        ),
        case(
            "nodeSelector wants the label present, even with an empty value",
            selecting([("gpu", "")]),
            n1(),
            NO_MATCH,
        ),
    ];
    check(Plugin::NodeAffinity, &affinity);

    // The framework's view of PreFilter: nodes outside the result, or all
    // nodes when the terms conflict.
    let pinned = required(vec![fields(vec![name_in("n2")])]);
    let verdict = node_affinity::pre_filter(&pinned.spec).admits(&n1());
    assert_eq!(
        verdict,
        Err(vec![
            "node(s) didn't satisfy plugin(s) [NodeAffinity]".to_string()
        ])
    );
    let conflict = required(vec![fields(vec![name_in("n1"), name_in("n2")])]);
    let verdict = node_affinity::pre_filter(&conflict.spec).admits(&n1());
    assert_eq!(
        verdict,
        Err(vec!["pod affinity terms conflict".to_string()])
    );

    let ports = [
        // HostPortInfo.sanitize: an empty protocol is TCP, an empty IP 0.0.0.0.
        case_on(
            "empty protocol and IP are TCP on 0.0.0.0",
            port_pod("m1", &["/127.0.0.1/80"]),
            node("m1"),
            vec![port_pod("m1", &["TCP//80"])],
            &["node(s) didn't have free ports for the requested pod ports"],
        ),
        // CheckConflict ignores ports <= 0.
        case_on(
            "port 0 never conflicts",
            port_pod("m1", &["TCP/0.0.0.0/0"]),
            node("m1"),
            vec![port_pod("m1", &["TCP/0.0.0.0/0"])],
            &[],
        ),
    ];
    check(Plugin::NodePorts, &ports);

    let fit = [
        // Scalars are checked whenever non-zero; the node need not list them.
        case(
            "a scalar the node lacks",
            rpod(&[rx(0, 0, &[("nvidia.com/gpu", 1)])], &[]),
            alloc_node(10, 20, 32, 0, 0, 0),
            &["Insufficient nvidia.com/gpu"],
        ),
        // Every insufficient resource is a reason, pods first, scalars last.
        case_on(
            "all reasons in upstream's order",
            rpod(
                &[Resources {
                    ephemeral_storage: 1,
                    ..rx(11, 21, &[(HUGE_A, 6), (EXT_A, 6)])
                }],
                &[],
            ),
            alloc_node(10, 20, 1, 5, 0, 5),
            vec![pod(|_| {})],
            &[
                "Too many pods",
                "Insufficient cpu",
                "Insufficient memory",
                "Insufficient ephemeral-storage",
                "Insufficient example.com/aaa",
                "Insufficient hugepages-2Mi",
            ],
        ),
    ];
    check(Plugin::NodeResourcesFit, &fit);
}
