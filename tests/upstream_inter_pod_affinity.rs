//! InterPodAffinity filter cases ported from kube-scheduler's
//! `pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go`,
//! data-driven: each case keeps its upstream name, pod, nodes and existing
//! pods, and the expected verdict per node with the exact reason string
//! (or the expected PreFilter counts).
//!
//! Ported cases (53):
//! - TestRequiredAffinitySingleNode: 24 of 26 (left out: the two "fails
//!   PreFilter with an invalid ... label syntax" cases: label value
//!   validation belongs to ingest). A PreFilter `Skip` is a pass here.
//! - TestRequiredAffinityMultipleNodes: 18 of 18 (these hold the existing
//!   pods' anti-affinity cases).
//! - TestPreFilterStateAddRemovePod: 3 of 3.
//! - TestGetTPMapMatchingIncomingAffinityAntiAffinity: 8 of 8.
//!
//! Upstream's `namespaces` fixture (subteamN.teamM labelled `team: teamM`)
//! is the cluster's Namespace labels. Plus a property test: add_pod /
//! remove_pod over random sequences give the same counts and verdicts as
//! recomputing the state.

use podplan::model::{
    Cluster, LabelSelector, Labels, Node, NodeId, Operator, Pod, PodAffinityTerm, PodId, PodPhase,
    PodSpec, Requirement,
};
use podplan::predicates::inter_pod_affinity::{
    State, ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
};
use podplan::predicates::{Snapshot, Verdict};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Builders (the subset of upstream's `st.MakePod()` used).

#[derive(Clone, Debug)]
struct P {
    pod: Pod,
    spec: PodSpec,
}

/// Upstream's `defaultNamespace` ("") is "default" here.
fn pod() -> P {
    P {
        pod: Pod {
            namespace: "default".into(),
            name: "p".into(),
            phase: PodPhase::Running,
            ..Default::default()
        },
        spec: PodSpec::default(),
    }
}

fn selector(reqs: Vec<Requirement>) -> LabelSelector {
    LabelSelector {
        requirements: reqs,
        matches_nothing: false,
    }
}

/// A term without namespaces or namespace selector (the pod's own
/// namespace, resolved by `P::obj`).
fn term(reqs: Vec<Requirement>, topology_key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        selector: selector(reqs),
        namespaces: vec![],
        namespace_selector: None,
        topology_key: topology_key.into(),
    }
}
fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
    Requirement::new(key, op, values)
}

impl P {
    fn name(mut self, name: &str) -> Self {
        self.pod.name = name.into();
        self
    }
    fn ns(mut self, ns: &str) -> Self {
        self.pod.namespace = ns.into();
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        self.pod.labels.insert(k.into(), v.into());
        self
    }
    fn labels(mut self, pairs: &[(&str, &str)]) -> Self {
        for (k, v) in pairs {
            self.pod.labels.insert(k.to_string(), v.to_string());
        }
        self
    }
    fn on(mut self, node: &str) -> Self {
        self.pod.node_name = Some(node.into());
        self
    }
    fn affinity(mut self, t: PodAffinityTerm) -> Self {
        self.spec.pod_affinity.push(t);
        self
    }
    fn anti(mut self, t: PodAffinityTerm) -> Self {
        self.spec.pod_anti_affinity.push(t);
        self
    }
    /// `PodAffinityIn(key, topologyKey, values, required)`.
    fn affinity_in(self, key: &str, topology: &str, values: &[&str]) -> Self {
        self.affinity(term(vec![req(key, Operator::In, values)], topology))
    }
    fn affinity_not_in(self, key: &str, topology: &str, values: &[&str]) -> Self {
        self.affinity(term(vec![req(key, Operator::NotIn, values)], topology))
    }
    fn affinity_exists(self, key: &str, topology: &str) -> Self {
        self.affinity(term(vec![req(key, Operator::Exists, &[])], topology))
    }
    fn anti_in(self, key: &str, topology: &str, values: &[&str]) -> Self {
        self.anti(term(vec![req(key, Operator::In, values)], topology))
    }
    fn anti_not_in(self, key: &str, topology: &str, values: &[&str]) -> Self {
        self.anti(term(vec![req(key, Operator::NotIn, values)], topology))
    }
    fn anti_exists(self, key: &str, topology: &str) -> Self {
        self.anti(term(vec![req(key, Operator::Exists, &[])], topology))
    }
    /// The pod, with terms naming neither namespaces nor a namespace
    /// selector resolved to the pod's namespace (as the model requires).
    fn obj(mut self) -> Pod {
        let ns = self.pod.namespace.clone();
        for t in self
            .spec
            .pod_affinity
            .iter_mut()
            .chain(self.spec.pod_anti_affinity.iter_mut())
        {
            if t.namespaces.is_empty() && t.namespace_selector.is_none() {
                t.namespaces.push(ns.clone());
            }
        }
        self.pod.spec = Arc::new(self.spec);
        self.pod
    }
}

fn node(name: &str, pairs: &[(&str, &str)]) -> Node {
    Node {
        name: name.into(),
        labels: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// Upstream's `namespaces` fixture.
fn namespace_labels() -> BTreeMap<String, Labels> {
    [
        ("subteam1.team1", "team1"),
        ("subteam2.team1", "team1"),
        ("subteam1.team2", "team2"),
        ("subteam2.team2", "team2"),
    ]
    .iter()
    .map(|(ns, team)| (ns.to_string(), podplan::model::labels([("team", *team)])))
    .chain([("NS1".to_string(), Labels::new())])
    .collect()
}

/// The cluster: nodes, existing pods bound to their nodes (pods on unknown
/// nodes stay unplaced, as they are on no node of the snapshot), then
/// `extra` unplaced pods; returns the ids of the extra pods.
fn cluster(nodes: Vec<Node>, existing: Vec<Pod>, extra: Vec<Pod>) -> (Cluster, Vec<PodId>) {
    let mut c = Cluster {
        nodes,
        namespace_labels: namespace_labels(),
        ..Default::default()
    };
    for mut pod in existing {
        pod.node = pod.node_name.as_deref().and_then(|n| c.node_by_name(n));
        c.pods.push(pod);
    }
    let mut ids = Vec::new();
    for mut pod in extra {
        pod.node_name = None;
        pod.phase = PodPhase::Pending;
        ids.push(PodId(c.pods.len() as u32));
        c.pods.push(pod);
    }
    (c, ids)
}

fn objs(pods: Vec<P>) -> Vec<Pod> {
    pods.into_iter().map(P::obj).collect()
}

/// Expected filter outcome.
#[derive(Clone, Copy, Debug)]
enum E {
    /// Success (or PreFilter Skip).
    Pass,
    /// `ErrReasonAffinityRulesNotMatch`.
    Aff,
    /// `ErrReasonAntiAffinityRulesNotMatch`.
    Anti,
    /// `ErrReasonExistingAntiAffinityRulesNotMatch`.
    Exist,
}
use E::{Aff, Anti, Exist, Pass};

fn verdict(e: E) -> Verdict {
    let reason = match e {
        Pass => return Ok(()),
        Aff => ERR_REASON_AFFINITY_RULES_NOT_MATCH,
        Anti => ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
        Exist => ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
    };
    Err(vec![reason.to_string()])
}

struct FilterCase {
    name: &'static str,
    pod: P,
    nodes: Vec<Node>,
    existing: Vec<P>,
    want: Vec<E>,
}

fn fc(name: &'static str, pod: P, existing: Vec<P>, nodes: Vec<Node>, want: &[E]) -> FilterCase {
    FilterCase {
        name,
        pod,
        nodes,
        existing,
        want: want.to_vec(),
    }
}

fn report(failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} failures in {total} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run_filter_cases(cases: Vec<FilterCase>) {
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let (c, ids) = cluster(case.nodes, objs(case.existing), vec![case.pod.obj()]);
        let snapshot = Snapshot::new(&c);
        let state = State::new(&snapshot, ids[0]);
        let pod = c.pod(ids[0]);
        assert_eq!(case.want.len(), c.nodes.len(), "{}", case.name);
        for (n, want) in snapshot.node_ids().zip(&case.want) {
            let got = state.filter(&snapshot, pod, n);
            if got != verdict(*want) {
                failures.push(format!(
                    "#{i} {} [{}]: got {got:?}, want {want:?}",
                    case.name,
                    c.nodes[n.index()].name
                ));
            }
        }
    }
    report(failures, total);
}

// ---------------------------------------------------------------------------
// TestRequiredAffinitySingleNode

#[test]
fn required_affinity_single_node() {
    let pod_label = [("service", "securityscan")];
    let pod_label2 = [("security", "S1")];
    let node1 = || vec![node("node1", &[("region", "r1"), ("zone", "z11")])];
    let existing = || vec![pod().labels(&pod_label).on("node1")];
    let team1 = || Some(selector(vec![req("team", Operator::In, &["team1"])]));
    let service_in = || vec![req("service", Operator::In, &["securityscan", "value2"])];
    let ns_term = |key: &str, ns_selector: Option<LabelSelector>| PodAffinityTerm {
        selector: selector(service_in()),
        namespaces: vec![],
        namespace_selector: ns_selector,
        topology_key: key.into(),
    };
    let in_ns = |ns: &str| vec![pod().ns(ns).labels(&pod_label).on("node1")];
    let cases = vec![
        fc(
            "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
            pod(),
            vec![],
            node1(),
            &[Pass],
        ),
        fc(
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod",
            pod().labels(&pod_label2).affinity_in("service", "region", &["securityscan", "value2"]),
            existing(),
            node1(),
            &[Pass],
        ),
        fc(
            "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod",
            pod().labels(&pod_label2).affinity_not_in("service", "region", &["securityscan3", "value3"]),
            existing(),
            node1(),
            &[Pass],
        ),
        fc(
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            pod().labels(&pod_label2).affinity(PodAffinityTerm {
                selector: selector(service_in()),
                namespaces: vec!["DiffNameSpace".into()],
                namespace_selector: None,
                topology_key: String::new(),
            }),
            vec![pod().ns("ns").label("service", "securityscan").on("node1")],
            node1(),
            &[Aff],
        ),
        fc(
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
            pod().labels(&pod_label).affinity_in("service", "", &["antivirusscan", "value2"]),
            existing(),
            node1(),
            &[Aff],
        ),
        fc(
            "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution ",
            pod()
                .labels(&pod_label2)
                .affinity(term(
                    vec![
                        req("service", Operator::Exists, &[]),
                        req("wrongkey", Operator::DoesNotExist, &[]),
                    ],
                    "region",
                ))
                .affinity(term(
                    vec![
                        req("service", Operator::In, &["securityscan"]),
                        req("service", Operator::NotIn, &["WrongValue"]),
                    ],
                    "region",
                )),
            existing(),
            node1(),
            &[Pass],
        ),
        fc(
            "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.",
            pod()
                .labels(&pod_label2)
                .affinity(term(
                    vec![
                        req("service", Operator::Exists, &[]),
                        req("wrongkey", Operator::DoesNotExist, &[]),
                    ],
                    "region",
                ))
                .affinity(term(
                    vec![
                        req("service", Operator::In, &["securityscan2"]),
                        req("service", Operator::NotIn, &["WrongValue"]),
                    ],
                    "region",
                )),
            existing(),
            node1(),
            &[Aff],
        ),
        fc(
            "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
            pod()
                .labels(&pod_label2)
                .affinity_in("service", "region", &["securityscan", "value2"])
                .anti_in("service", "node", &["antivirusscan", "value2"]),
            existing(),
            node1(),
            &[Pass],
        ),
        fc(
            "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
            pod()
                .labels(&pod_label2)
                .affinity_in("service", "region", &["securityscan", "value2"])
                .anti_in("service", "node", &["antivirusscan", "value2"]),
            vec![pod()
                .on("node1")
                .labels(&pod_label)
                .anti_in("service", "node", &["antivirusscan", "value2"])],
            node1(),
            &[Pass],
        ),
        fc(
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
            pod()
                .labels(&pod_label2)
                .affinity_in("service", "region", &["securityscan", "value2"])
                .anti_in("service", "zone", &["securityscan", "value2"]),
            existing(),
            node1(),
            &[Anti],
        ),
        fc(
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            pod()
                .labels(&pod_label)
                .affinity_in("service", "region", &["securityscan", "value2"])
                .anti_in("service", "node", &["antivirusscan", "value2"]),
            vec![pod()
                .labels(&pod_label)
                .on("node1")
                .anti_in("service", "zone", &["securityscan", "value2"])],
            node1(),
            &[Exist],
        ),
        fc(
            "pod matches its own Label in PodAffinity and that matches the existing pod Labels",
            pod()
                .labels(&pod_label)
                .affinity_not_in("service", "region", &["securityscan", "value2"]),
            vec![pod().label("service", "securityscan").on("node2")],
            node1(),
            &[Aff],
        ),
        fc(
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            pod().labels(&pod_label),
            vec![pod()
                .on("node1")
                .labels(&pod_label)
                .anti_in("service", "zone", &["securityscan", "value2"])],
            node1(),
            &[Exist],
        ),
        fc(
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
            pod().labels(&pod_label),
            vec![pod()
                .on("node1")
                .labels(&pod_label)
                .anti_not_in("service", "zone", &["securityscan", "value2"])],
            node1(),
            &[Pass],
        ),
        fc(
            "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod",
            pod()
                .labels(&pod_label)
                .anti_exists("service", "region")
                .anti_exists("security", "region"),
            vec![pod()
                .on("node1")
                .labels(&pod_label2)
                .anti_exists("security", "zone")],
            node1(),
            &[Anti],
        ),
        fc(
            "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms",
            pod()
                .labels(&pod_label)
                .anti_exists("service", "zone")
                .anti_exists("security", "zone"),
            vec![pod()
                .on("node1")
                .labels(&pod_label2)
                .anti_exists("security", "zone")],
            node1(),
            &[Anti],
        ),
        fc(
            "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms",
            pod().labels(&pod_label2).anti_exists("security", "zone"),
            vec![pod()
                .on("node1")
                .labels(&pod_label)
                .anti_exists("service", "zone")
                .anti_exists("security", "zone")],
            node1(),
            &[Exist],
        ),
        fc(
            "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms",
            pod()
                .labels(&[("abc", ""), ("xyz", "")])
                .anti_exists("abc", "zone")
                .anti_exists("def", "zone"),
            vec![pod()
                .on("node1")
                .labels(&[("def", ""), ("xyz", "")])
                .anti_exists("abc", "zone")
                .anti_exists("def", "zone")],
            node1(),
            &[Anti],
        ),
        fc(
            "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms",
            pod()
                .labels(&[("def", ""), ("xyz", "")])
                .anti_exists("abc", "zone")
                .anti_exists("def", "zone"),
            vec![pod()
                .on("node1")
                .labels(&[("abc", ""), ("xyz", "")])
                .anti_exists("abc", "zone")
                .anti_exists("def", "zone")],
            node1(),
            &[Anti],
        ),
        fc(
            "affinity with NamespaceSelector",
            pod().labels(&pod_label2).affinity(ns_term("region", team1())),
            in_ns("subteam1.team1"),
            node1(),
            &[Pass],
        ),
        fc(
            "affinity with non-matching NamespaceSelector",
            pod().labels(&pod_label2).affinity(ns_term("region", team1())),
            in_ns("subteam1.team2"),
            node1(),
            &[Aff],
        ),
        fc(
            "anti-affinity with matching NamespaceSelector",
            pod()
                .ns("subteam1.team1")
                .labels(&pod_label2)
                .anti(ns_term("zone", team1())),
            in_ns("subteam2.team1"),
            node1(),
            &[Anti],
        ),
        fc(
            "anti-affinity with matching all NamespaceSelector",
            pod()
                .ns("subteam1.team1")
                .labels(&pod_label2)
                .anti(ns_term("zone", Some(selector(vec![])))),
            in_ns("subteam2.team1"),
            node1(),
            &[Anti],
        ),
        fc(
            "anti-affinity with non-matching NamespaceSelector",
            pod()
                .ns("subteam1.team1")
                .labels(&pod_label2)
                .anti(ns_term("zone", team1())),
            in_ns("subteam1.team2"),
            node1(),
            &[Pass],
        ),
    ];
    assert_eq!(cases.len(), 24);
    run_filter_cases(cases);
}

// ---------------------------------------------------------------------------
// TestRequiredAffinityMultipleNodes

#[test]
fn required_affinity_multiple_nodes() {
    let china = || [("region", "China")];
    let china_az1 = || [("region", "China"), ("az", "az1")];
    let india = || [("region", "India")];
    let three = || {
        vec![
            node("nodeA", &china()),
            node("nodeB", &china_az1()),
            node("nodeC", &india()),
        ]
    };
    let rzh = |name: &str, zone: &str| {
        node(
            name,
            &[("region", "r1"), ("zone", zone), ("hostname", name)],
        )
    };
    let ab_same_zone = || vec![rzh("nodeA", "z1"), rzh("nodeB", "z1")];
    let ab = || vec![rzh("nodeA", "z1"), rzh("nodeB", "z2")];
    let cases = vec![
        fc(
            "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules",
            pod().affinity_in("foo", "region", &["bar"]),
            vec![pod().name("p1").on("node1").label("foo", "bar")],
            vec![
                node("node1", &china()),
                node("node2", &china_az1()),
                node("node3", &india()),
            ],
            &[Pass, Pass, Aff],
        ),
        fc(
            "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.",
            pod()
                .labels(&[("foo", "bar"), ("service", "securityscan")])
                .affinity_in("foo", "zone", &["bar"])
                .affinity_in("service", "zone", &["securityscan"]),
            vec![pod().name("p1").on("nodeA").label("foo", "bar")],
            vec![
                node("nodeA", &[("zone", "az1"), ("hostname", "h1")]),
                node("nodeB", &[("zone", "az2"), ("hostname", "h2")]),
            ],
            &[Pass, Pass],
        ),
        fc(
            "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys",
            pod()
                .labels(&[("foo", "bar"), ("service", "securityscan")])
                .affinity_in("foo", "zone", &["bar"])
                .affinity_in("service", "zone", &["securityscan"]),
            vec![pod().name("p1").on("nodeA").label("foo", "bar")],
            vec![
                node("nodeA", &[("zoneLabel", "az1"), ("hostname", "h1")]),
                node("nodeB", &[("zoneLabel", "az2"), ("hostname", "h2")]),
            ],
            &[Aff, Aff],
        ),
        fc(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
            pod().anti_in("foo", "region", &["abc"]),
            vec![pod().on("nodeA").label("foo", "abc")],
            vec![
                node("nodeA", &[("region", "r1"), ("hostname", "nodeA")]),
                node("nodeB", &[("region", "r1"), ("hostname", "nodeB")]),
            ],
            &[Anti, Anti],
        ),
        fc(
            "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
            pod()
                .anti_in("foo", "region", &["abc"])
                .anti_in("service", "zone", &["securityscan"]),
            vec![pod()
                .on("nodeA")
                .labels(&[("foo", "abc"), ("service", "securityscan")])],
            vec![
                node("nodeA", &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")]),
                node("nodeB", &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")]),
            ],
            &[Anti, Anti],
        ),
        fc(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
            pod().anti_in("foo", "region", &["abc"]),
            vec![pod().on("nodeA").label("foo", "abc")],
            three(),
            &[Anti, Anti, Pass],
        ),
        fc(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
            pod()
                .ns("NS1")
                .label("foo", "123")
                .anti_in("foo", "region", &["bar"]),
            vec![
                pod().on("nodeA").ns("NS1").label("foo", "bar"),
                pod().on("nodeC").ns("NS2").anti_in("foo", "region", &["123"]),
            ],
            three(),
            &[Anti, Anti, Pass],
        ),
        fc(
            "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the term is also checked",
            pod().label("foo", ""),
            vec![pod().on("nodeA").anti_exists("foo", "invalid-node-label")],
            ab_same_zone(),
            &[Pass, Pass],
        ),
        fc(
            "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
            pod().anti_exists("foo", "invalid-node-label"),
            vec![pod().on("nodeA").label("foo", "")],
            ab_same_zone(),
            &[Pass, Pass],
        ),
        fc(
            "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each existingPod's terms on all nodes",
            pod().label("foo", "").label("bar", ""),
            vec![
                pod().on("nodeA").anti_exists("foo", "zone"),
                pod().on("nodeA").anti_exists("bar", "region"),
            ],
            ab(),
            &[Exist, Exist],
        ),
        fc(
            "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one anti-affinity rule of existingPod",
            pod().anti_exists("foo", "zone").anti_exists("bar", "region"),
            vec![
                pod().on("nodeA").label("foo", ""),
                pod().on("nodeB").label("bar", ""),
            ],
            ab(),
            &[Anti, Anti],
        ),
        fc(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            pod().label("foo", "").label("bar", ""),
            vec![pod()
                .on("nodeA")
                .anti_exists("foo", "invalid-node-label")
                .anti_exists("bar", "zone")],
            ab(),
            &[Exist, Pass],
        ),
        fc(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            pod()
                .anti_exists("foo", "invalid-node-label")
                .anti_exists("bar", "zone"),
            vec![pod()
                .name("podA")
                .on("nodeA")
                .labels(&[("foo", ""), ("bar", "")])],
            ab(),
            &[Anti, Pass],
        ),
        fc(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            pod().label("foo", "").label("bar", ""),
            vec![pod()
                .on("nodeA")
                .anti_exists("foo", "region")
                .anti_exists("bar", "zone")],
            ab(),
            &[Exist, Exist],
        ),
        fc(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            pod().anti_exists("foo", "region").anti_exists("bar", "zone"),
            vec![pod().on("nodeA").labels(&[("foo", ""), ("bar", "")])],
            ab(),
            &[Anti, Anti],
        ),
        fc(
            "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC",
            pod().label("foo", "").label("bar", ""),
            vec![
                pod()
                    .on("nodeA")
                    .anti_exists("foo", "zone")
                    .anti_exists("labelA", "zone"),
                pod()
                    .on("nodeB")
                    .anti_exists("bar", "zone")
                    .anti_exists("labelB", "zone"),
            ],
            vec![rzh("nodeA", "z1"), rzh("nodeB", "z2"), rzh("nodeC", "z3")],
            &[Exist, Exist, Pass],
        ),
        fc(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match",
            pod().affinity_exists("foo", "region").affinity_exists("bar", "zone"),
            vec![pod()
                .name("pod1")
                .labels(&[("foo", ""), ("bar", "")])
                .on("nodeA")],
            ab_same_zone(),
            &[Pass, Pass],
        ),
        fc(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match, and the match logic should be satisfied on the same pod",
            pod().affinity_exists("foo", "region").affinity_exists("bar", "zone"),
            vec![
                pod().on("nodeA").name("pod1").label("foo", ""),
                pod().on("nodeB").name("pod2").label("bar", ""),
            ],
            ab(),
            &[Aff, Aff],
        ),
    ];
    assert_eq!(cases.len(), 18);
    run_filter_cases(cases);
}

// ---------------------------------------------------------------------------
// TestPreFilterStateAddRemovePod

type CountMap = BTreeMap<(String, String), i64>;

fn counts(pairs: &[(&str, &str, i64)]) -> CountMap {
    pairs
        .iter()
        .map(|(k, v, c)| ((k.to_string(), v.to_string()), *c))
        .collect()
}

/// The state's three count maps: existing anti-affinity, affinity,
/// anti-affinity.
fn maps(s: &State) -> (CountMap, CountMap, CountMap) {
    (
        s.existing_anti_affinity_counts().to_map(),
        s.affinity_counts().to_map(),
        s.anti_affinity_counts().to_map(),
    )
}

#[test]
fn pre_filter_state_add_remove_pod() {
    let nodes = || {
        vec![
            node("nodeA", &[("region", "r1"), ("zone", "z11")]),
            node("nodeB", &[("region", "r1"), ("zone", "z12")]),
            node("nodeC", &[("region", "r2"), ("zone", "z21")]),
        ]
    };
    let foo_bar = || term(vec![req("foo", Operator::In, &["bar"])], "region");
    let complex = || {
        vec![
            term(vec![req("foo", Operator::In, &["bar", "buzz"])], "region"),
            term(
                vec![req(
                    "service",
                    Operator::NotIn,
                    &["bar", "security", "test"],
                )],
                "zone",
            ),
        ]
    };
    let with_anti = |p: P, terms: Vec<PodAffinityTerm>| terms.into_iter().fold(p, P::anti);
    let with_affinity = |p: P, terms: Vec<PodAffinityTerm>| terms.into_iter().fold(p, P::affinity);
    struct Case {
        name: &'static str,
        pending: P,
        existing: Vec<P>,
        added: P,
        anti: CountMap,
        affinity: CountMap,
    }
    let cases = vec![
        Case {
            name: "preFilterState anti-affinity terms are updated correctly after adding and removing a pod",
            pending: pod().name("pending").label("foo", "bar").anti(foo_bar()),
            existing: vec![
                pod().name("p1").label("foo", "bar").on("nodeA"),
                pod().name("p2").on("nodeC").anti(foo_bar()),
            ],
            added: pod()
                .name("addedPod")
                .label("foo", "bar")
                .on("nodeB")
                .anti(foo_bar()),
            anti: counts(&[("region", "r1", 2)]),
            affinity: counts(&[]),
        },
        Case {
            name: "preFilterState anti-affinity terms are updated correctly after adding and removing a pod",
            pending: with_anti(pod().name("pending").label("foo", "bar"), complex()),
            existing: vec![
                pod().name("p1").label("foo", "bar").on("nodeA"),
                pod().name("p2").on("nodeC").anti(foo_bar()),
            ],
            added: with_anti(
                pod().name("addedPod").label("foo", "bar").on("nodeA"),
                complex(),
            ),
            anti: counts(&[("region", "r1", 2), ("zone", "z11", 2), ("zone", "z21", 1)]),
            affinity: counts(&[]),
        },
        Case {
            name: "preFilterState matching pod affinity and anti-affinity are updated correctly after adding and removing a pod",
            pending: with_affinity(pod().name("pending").label("foo", "bar"), complex()),
            existing: vec![
                pod().name("p1").label("foo", "bar").on("nodeA"),
                with_affinity(pod().name("p2").on("nodeC").anti(foo_bar()), complex()),
            ],
            added: with_anti(
                pod().name("addedPod").label("foo", "bar").on("nodeA"),
                complex(),
            ),
            anti: counts(&[]),
            affinity: counts(&[("region", "r1", 2), ("zone", "z11", 2)]),
        },
    ];
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let added_node = case.added.pod.node_name.clone().unwrap();
        let (c, ids) = cluster(
            nodes(),
            objs(case.existing),
            vec![case.pending.obj(), case.added.obj()],
        );
        let (me, added) = (ids[0], ids[1]);
        let node = c.node_by_name(&added_node).unwrap();
        let mut snapshot = Snapshot::new(&c);
        let mut state = State::new(&snapshot, me);
        let original = maps(&state);
        snapshot.assign(added, node);
        state.add_pod(&snapshot, me, added, node);
        let (_, affinity, anti) = maps(&state);
        if anti != case.anti || affinity != case.affinity {
            failures.push(format!(
                "#{i} {}: after add, anti {anti:?} affinity {affinity:?}, want {:?} {:?}",
                case.name, case.anti, case.affinity
            ));
        }
        let all_pods = maps(&State::new(&snapshot, me));
        if maps(&state) != all_pods {
            failures.push(format!(
                "#{i} {}: after add {:?}, recomputed {all_pods:?}",
                case.name,
                maps(&state)
            ));
        }
        snapshot.unassign(added);
        state.remove_pod(&snapshot, me, added, node);
        if maps(&state) != original {
            failures.push(format!(
                "#{i} {}: after remove {:?}, original {original:?}",
                case.name,
                maps(&state)
            ));
        }
    }
    assert_eq!(total, 3);
    report(failures, total);
}

// ---------------------------------------------------------------------------
// TestGetTPMapMatchingIncomingAffinityAntiAffinity

#[test]
fn get_tp_map_matching_incoming_affinity_anti_affinity() {
    let normal = |labels: &[&str]| {
        labels
            .iter()
            .fold(pod().name("normal").on("nodeA"), |p, l| p.label(l, ""))
    };
    let node_a = || vec![node("nodeA", &[("hostname", "nodeA")])];
    let host = |n| counts(&[("hostname", "nodeA", n)]);
    struct Case {
        name: &'static str,
        existing: Vec<P>,
        pod: P,
        affinity: CountMap,
        anti: CountMap,
    }
    let cases = vec![
        Case {
            name: "nil test",
            existing: vec![],
            pod: pod().name("aaa-normal"),
            affinity: counts(&[]),
            anti: counts(&[]),
        },
        Case {
            name: "incoming pod without affinity/anti-affinity causes a no-op",
            existing: vec![normal(&["aaa"])],
            pod: pod().name("aaa-normal"),
            affinity: counts(&[]),
            anti: counts(&[]),
        },
        Case {
            name: "no pod has label that violates incoming pod's affinity and anti-affinity",
            existing: vec![normal(&["bbb"])],
            pod: pod()
                .name("aaa-anti")
                .affinity_exists("aaa", "hostname")
                .anti_exists("aaa", "hostname"),
            affinity: counts(&[]),
            anti: counts(&[]),
        },
        Case {
            name: "existing pod matches incoming pod's affinity and anti-affinity - single term case",
            existing: vec![normal(&["aaa"])],
            pod: pod()
                .name("affi-antiaffi")
                .affinity_exists("aaa", "hostname")
                .anti_exists("aaa", "hostname"),
            affinity: host(1),
            anti: host(1),
        },
        Case {
            name: "existing pod matches incoming pod's affinity and anti-affinity - multiple terms case",
            existing: vec![normal(&["aaa", "bbb"])],
            pod: pod()
                .name("affi-antiaffi")
                .affinity_exists("aaa", "hostname")
                .affinity_exists("bbb", "hostname")
                .anti_exists("aaa", "hostname"),
            affinity: host(2),
            anti: host(1),
        },
        Case {
            name: "existing pod not match incoming pod's affinity but matches anti-affinity",
            existing: vec![normal(&["aaa"])],
            pod: pod()
                .name("affi-antiaffi")
                .affinity_exists("aaa", "hostname")
                .affinity_exists("bbb", "hostname")
                .anti_exists("aaa", "hostname")
                .anti_exists("bbb", "hostname"),
            affinity: counts(&[]),
            anti: host(1),
        },
        Case {
            name: "incoming pod's anti-affinity has more than one term - existing pod violates partial term - case 1",
            existing: vec![normal(&["aaa", "bbb"])],
            pod: pod()
                .name("anaffi-antiaffiti")
                .affinity_exists("aaa", "hostname")
                .affinity_exists("ccc", "hostname")
                .anti_exists("aaa", "hostname")
                .anti_exists("ccc", "hostname"),
            affinity: counts(&[]),
            anti: host(1),
        },
        Case {
            name: "incoming pod's anti-affinity has more than one term - existing pod violates partial term - case 2",
            existing: vec![normal(&["bbb"])],
            pod: pod()
                .name("affi-antiaffi")
                .affinity_exists("aaa", "hostname")
                .affinity_exists("bbb", "hostname")
                .anti_exists("aaa", "hostname")
                .anti_exists("bbb", "hostname"),
            affinity: counts(&[]),
            anti: host(1),
        },
    ];
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let (c, ids) = cluster(node_a(), objs(case.existing), vec![case.pod.obj()]);
        let snapshot = Snapshot::new(&c);
        let (_, affinity, anti) = maps(&State::new(&snapshot, ids[0]));
        if affinity != case.affinity || anti != case.anti {
            failures.push(format!(
                "#{i} {}: affinity {affinity:?} anti {anti:?}, want {:?} {:?}",
                case.name, case.affinity, case.anti
            ));
        }
    }
    assert_eq!(total, 8);
    report(failures, total);
}

// ---------------------------------------------------------------------------
// Incremental updates agree with recomputation.

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMESPACES: [&str; 3] = ["default", "subteam1.team1", "other"];

fn random_term(rng: &mut Rng) -> PodAffinityTerm {
    let reqs = match rng.below(5) {
        0 => vec![req("app", Operator::Exists, &[])],
        1 => vec![req("app", Operator::In, &[rng.pick(&["a", "b"])])],
        2 => vec![req("tier", Operator::NotIn, &["x"])],
        3 => vec![],
        _ => vec![
            req("app", Operator::Exists, &[]),
            req("tier", Operator::Exists, &[]),
        ],
    };
    let mut t = term(
        reqs,
        rng.pick(&["zone", "region", "kubernetes.io/hostname"]),
    );
    if rng.chance(10) {
        t.selector = LabelSelector::nothing();
    }
    match rng.below(4) {
        0 => t.namespaces = vec![rng.pick(&NAMESPACES).to_string()],
        1 => {
            t.namespace_selector = Some(match rng.below(3) {
                0 => selector(vec![]),
                1 => selector(vec![req("team", Operator::In, &["team1"])]),
                _ => LabelSelector::nothing(),
            })
        }
        _ => {}
    }
    t
}

fn random_pod(rng: &mut Rng, name: &str, max_terms: usize) -> P {
    let mut p = pod().name(name).ns(rng.pick(&NAMESPACES));
    if rng.chance(70) {
        p = p.label("app", rng.pick(&["a", "b"]));
    }
    if rng.chance(40) {
        p = p.label("tier", rng.pick(&["x", "y"]));
    }
    if rng.chance(15) {
        p.pod.terminating = true;
    }
    for _ in 0..rng.below(max_terms + 1) {
        p = p.anti(random_term(rng));
    }
    if max_terms > 1 {
        for _ in 0..rng.below(max_terms + 1) {
            p = p.affinity(random_term(rng));
        }
    }
    p
}

/// Nodes, unplaced candidate pods (some sharing a spec) and the incoming
/// pod (last).
fn random_scenario(seed: u64) -> (Vec<Node>, Vec<Pod>) {
    let mut rng = Rng(seed | 1);
    let nodes: Vec<Node> = (0..3 + rng.below(4))
        .map(|i| {
            let name = format!("n{i}");
            let mut pairs = vec![("kubernetes.io/hostname", name.clone())];
            if rng.chance(85) {
                pairs.push(("zone", rng.pick(&["z1", "z2", "z3"]).to_string()));
            }
            if rng.chance(70) {
                pairs.push(("region", rng.pick(&["r1", "r2"]).to_string()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            node(&name, &pairs)
        })
        .collect();
    let mut pods: Vec<Pod> = Vec::new();
    for i in 0..4 + rng.below(8) {
        if !pods.is_empty() && rng.chance(30) {
            // A replica: same spec (Arc), maybe other labels.
            let mut replica = pods[rng.below(pods.len())].clone();
            replica.name = format!("c{i}");
            if rng.chance(50) {
                replica
                    .labels
                    .insert("app".into(), rng.pick(&["a", "b"]).into());
            }
            pods.push(replica);
        } else {
            pods.push(random_pod(&mut rng, &format!("c{i}"), 1).obj());
        }
    }
    pods.push(random_pod(&mut rng, "incoming", 2).obj());
    (nodes, pods)
}

fn compare(snapshot: &Snapshot, incremental: &State, me: PodId) -> Result<(), String> {
    let fresh = State::new(snapshot, me);
    if maps(incremental) != maps(&fresh) {
        return Err(format!(
            "incremental {:?}, fresh {:?}",
            maps(incremental),
            maps(&fresh)
        ));
    }
    let pod = snapshot.pod(me);
    for n in snapshot.node_ids() {
        let (a, b) = (
            incremental.filter(snapshot, pod, n),
            fresh.filter(snapshot, pod, n),
        );
        if a != b {
            return Err(format!("node {n:?}: incremental {a:?}, fresh {b:?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn incremental_updates_match_recompute(
        seed in any::<u64>(),
        ops in proptest::collection::vec((0usize..16, 0usize..8), 1..40),
    ) {
        let (nodes, pods) = random_scenario(seed);
        let (c, ids) = cluster(nodes, vec![], pods);
        let (me, candidates) = ids.split_last().unwrap();
        let mut snapshot = Snapshot::new(&c);
        let mut state = State::new(&snapshot, *me);
        for (p, n) in ops {
            let pod = candidates[p % candidates.len()];
            match snapshot.placement(pod) {
                Some(node) => {
                    snapshot.unassign(pod);
                    state.remove_pod(&snapshot, *me, pod, node);
                }
                None => {
                    let node = NodeId((n % snapshot.node_count()) as u32);
                    snapshot.assign(pod, node);
                    state.add_pod(&snapshot, *me, pod, node);
                }
            }
            if let Err(e) = compare(&snapshot, &state, *me) {
                prop_assert!(false, "seed {seed}: {e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `State::concerns` is sound, so solvers may skip the moves it rules
    /// out: a pod it says does not concern the incoming pod leaves the
    /// counts as they are when added or removed. And such a pod without
    /// anti-affinity of its own carries one of `concerning_labels`.
    #[test]
    fn pods_that_do_not_concern_leave_the_state_alone(
        seed in any::<u64>(),
        ops in proptest::collection::vec((0usize..16, 0usize..8), 1..40),
    ) {
        let (nodes, pods) = random_scenario(seed);
        let (c, ids) = cluster(nodes, vec![], pods);
        let (me, candidates) = ids.split_last().unwrap();
        let mut snapshot = Snapshot::new(&c);
        let mut state = State::new(&snapshot, *me);
        let labels = State::concerning_labels(&c.pods[me.0 as usize]);
        for (p, n) in ops {
            let pod = candidates[p % candidates.len()];
            let (incoming, other) = (&c.pods[me.0 as usize], &c.pods[pod.0 as usize]);
            let concerns = State::concerns(&c, incoming, other);
            if let (true, true, Some(pairs)) =
                (concerns, other.spec.pod_anti_affinity.is_empty(), &labels)
            {
                let carries = pairs
                    .iter()
                    .any(|(k, v)| other.labels.get(*k).is_some_and(|x| x == v));
                prop_assert!(carries, "seed {seed}: {} carries none of {pairs:?}", other.name);
            }
            let before = maps(&state);
            match snapshot.placement(pod) {
                Some(node) => {
                    snapshot.unassign(pod);
                    state.remove_pod(&snapshot, *me, pod, node);
                }
                None => {
                    let node = NodeId((n % snapshot.node_count()) as u32);
                    snapshot.assign(pod, node);
                    state.add_pod(&snapshot, *me, pod, node);
                }
            }
            if !concerns {
                prop_assert_eq!(&before, &maps(&state), "seed {}", seed);
            }
        }
    }
}
