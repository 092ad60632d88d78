//! PodTopologySpread filter cases ported from kube-scheduler's
//! `pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go`,
//! data-driven: each case keeps its upstream name, pod, nodes and existing
//! pods, and the expected PreFilter counts or per-node filter verdict with
//! the exact reason string.
//!
//! Ported cases (91):
//! - TestPreFilterState: 32 of 35 (left out: "default constraints and a
//!   service", "... that doesn't match", "default soft constraints and a
//!   service": podplan has no plugin-level default constraints or Services;
//!   the system defaults are ScheduleAnyway only, which never filter).
//! - TestPreFilterStateAddPod: 16 of 16.
//! - TestPreFilterStateRemovePod: 9 of 9.
//! - TestSingleConstraint: 23 of 23.
//! - TestMultipleConstraints: 11 of 11.
//!
//! Feature-gate variants ("... disabled") are ported with the GA behaviour
//! their expectations equal. `matchLabelKeys` is merged into the selector by
//! ingest, so those cases give the merged selector directly. Upstream's
//! `CriticalPaths[i][0]` is checked as the state's minimum domain count.
//! Plus a property test: add_pod/remove_pod over random sequences give the
//! same counts and verdicts as recomputing the state.

use podplan::model::{
    labels, Cluster, InclusionPolicy, LabelSelector, Labels, Node, NodeSelector, NodeSelectorTerm,
    Operator, Pod, PodId, PodPhase, PodSpec, Requirement, Taint, TaintEffect, Toleration,
    TopologySpreadConstraint, UnsatisfiableAction,
};
use podplan::predicates::pod_topology_spread::{
    State, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH,
};
use podplan::predicates::{Snapshot, Verdict};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

use InclusionPolicy::{Honor, Ignore};
use UnsatisfiableAction::{DoNotSchedule as DNS, ScheduleAnyway as SA};

// ---------------------------------------------------------------------------
// Builders (the subset of upstream's `st.MakePod()` / `st.MakeNode()` used).

/// A pod under construction.
#[derive(Clone, Debug)]
struct P {
    pod: Pod,
    spec: PodSpec,
}

fn pod(name: &str) -> P {
    P {
        pod: Pod {
            namespace: "default".into(),
            name: name.into(),
            phase: PodPhase::Running,
            ..Default::default()
        },
        spec: PodSpec::default(),
    }
}

/// A pod with label `foo: ""` on a node (the tables' usual existing pod).
fn foo_on(name: &str, node: &str) -> P {
    pod(name).label("foo", "").on(node)
}

impl P {
    fn ns(mut self, ns: &str) -> Self {
        self.pod.namespace = ns.into();
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        self.pod.labels.insert(k.into(), v.into());
        self
    }
    fn on(mut self, node: &str) -> Self {
        self.pod.node_name = Some(node.into());
        self
    }
    fn terminating(mut self) -> Self {
        self.pod.terminating = true;
        self
    }
    fn node_selector(mut self, k: &str, v: &str) -> Self {
        self.spec.node_selector.insert(k.into(), v.into());
        self
    }
    fn node_affinity(mut self, key: &str, op: Operator, values: &[&str]) -> Self {
        self.spec.required_node_affinity = Some(NodeSelector {
            terms: vec![NodeSelectorTerm {
                match_expressions: vec![Requirement::new(key, op, values)],
                match_fields: vec![],
            }],
        });
        self
    }
    fn toleration(mut self, key: &str) -> Self {
        self.spec.tolerations.push(Toleration {
            key: key.into(),
            ..Default::default()
        });
        self
    }
    /// `SpreadConstraint(maxSkew, key, action, selector, minDomains,
    /// nodeAffinityPolicy, nodeTaintsPolicy)`; a None selector is nil.
    #[allow(clippy::too_many_arguments)]
    fn spread_full(
        mut self,
        max_skew: i32,
        key: &str,
        action: UnsatisfiableAction,
        selector: Option<LabelSelector>,
        min_domains: Option<i32>,
        affinity_policy: Option<InclusionPolicy>,
        taints_policy: Option<InclusionPolicy>,
    ) -> Self {
        self.spec.topology_spread.push(TopologySpreadConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: action,
            selector: selector.unwrap_or_else(LabelSelector::nothing),
            min_domains,
            node_affinity_policy: affinity_policy.unwrap_or(Honor),
            node_taints_policy: taints_policy.unwrap_or(Ignore),
        });
        self
    }
    fn spread(self, max_skew: i32, key: &str, selector: Option<LabelSelector>) -> Self {
        self.spread_full(max_skew, key, DNS, selector, None, None, None)
    }
    fn obj(mut self) -> Pod {
        self.pod.spec = Arc::new(self.spec);
        self.pod
    }
}

fn selector(reqs: Vec<Requirement>) -> Option<LabelSelector> {
    Some(LabelSelector {
        requirements: reqs,
        matches_nothing: false,
    })
}
fn exists(key: &str) -> Requirement {
    Requirement::new(key, Operator::Exists, &[])
}
fn is(key: &str, value: &str) -> Requirement {
    Requirement::new(key, Operator::In, &[value])
}
/// `fooSelector`: `Exists(foo)`.
fn foo() -> Option<LabelSelector> {
    selector(vec![exists("foo")])
}
/// `barSelector`: `Exists(bar)`.
fn bar() -> Option<LabelSelector> {
    selector(vec![exists("bar")])
}

fn node(name: &str, pairs: &[(&str, &str)]) -> Node {
    let labels: Labels = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Node {
        name: name.into(),
        labels,
        ..Default::default()
    }
}
/// A node with `zone` and `node` labels.
fn zn(name: &str, zone: &str) -> Node {
    node(name, &[("zone", zone), ("node", name)])
}
/// Adds upstream's `taints`: `node.kubernetes.io/unschedulable:NoSchedule`.
fn tainted(mut n: Node) -> Node {
    n.taints.push(Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    });
    n
}
fn four_nodes() -> Vec<Node> {
    vec![
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
        zn("node-y", "zone2"),
    ]
}

/// The cluster: nodes, existing pods bound to their nodes, then `extra`
/// unplaced pods; returns the ids of the extra pods.
fn cluster(nodes: Vec<Node>, existing: Vec<P>, extra: Vec<P>) -> (Cluster, Vec<PodId>) {
    let mut c = Cluster {
        nodes,
        ..Default::default()
    };
    for p in existing {
        let mut pod = p.obj();
        pod.node = pod.node_name.as_deref().and_then(|n| c.node_by_name(n));
        c.pods.push(pod);
    }
    let mut ids = Vec::new();
    for p in extra {
        let mut pod = p.obj();
        pod.node_name = None;
        pod.phase = PodPhase::Pending;
        ids.push(PodId(c.pods.len() as u32));
        c.pods.push(pod);
    }
    (c, ids)
}

/// Expected per-constraint domain counts (upstream `TpPairToMatchNum`).
type Counts<'a> = &'a [&'a [(&'a str, i32)]];

fn check_counts(state: &State, want: Counts) -> Result<(), String> {
    if state.constraint_count() != want.len() {
        return Err(format!(
            "{} constraints, want {}",
            state.constraint_count(),
            want.len()
        ));
    }
    for (i, w) in want.iter().enumerate() {
        let want: BTreeMap<String, i32> = w.iter().map(|(v, c)| (v.to_string(), *c)).collect();
        let got = state.domain_counts(i);
        if got != want {
            return Err(format!("constraint {i}: counts {got:?}, want {want:?}"));
        }
        let want_min = want.values().min().copied();
        if state.min_domain_count(i) != want_min {
            return Err(format!(
                "constraint {i}: min {:?}, want {want_min:?}",
                state.min_domain_count(i)
            ));
        }
    }
    Ok(())
}

fn report(failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} failures in {total} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// TestPreFilterState

struct StateCase {
    name: &'static str,
    pod: P,
    nodes: Vec<Node>,
    existing: Vec<P>,
    want: Counts<'static>,
}

fn run_state_cases(cases: Vec<StateCase>) {
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let (c, ids) = cluster(case.nodes, case.existing, vec![case.pod]);
        let snapshot = Snapshot::new(&c);
        let state = State::new(&snapshot, ids[0]);
        if let Err(e) = check_counts(&state, case.want) {
            failures.push(format!("#{i} {}: {e}", case.name));
        }
    }
    report(failures, total);
}

fn five_foo() -> Vec<P> {
    vec![
        foo_on("p-a1", "node-a"),
        foo_on("p-a2", "node-a"),
        foo_on("p-b1", "node-b"),
        foo_on("p-y1", "node-y"),
        foo_on("p-y2", "node-y"),
    ]
}
fn seven_foo() -> Vec<P> {
    vec![
        foo_on("p-a1", "node-a"),
        foo_on("p-a2", "node-a"),
        foo_on("p-b1", "node-b"),
        foo_on("p-y1", "node-y"),
        foo_on("p-y2", "node-y"),
        foo_on("p-y3", "node-y"),
        foo_on("p-y4", "node-y"),
    ]
}
/// Pods of the node-inclusion cases: p-a, p-b, p-c with `bar`, p-d without.
fn bar_abbc() -> Vec<P> {
    vec![
        pod("p-a").label("bar", "").on("node-a"),
        pod("p-b").label("bar", "").on("node-b"),
        pod("p-c").label("bar", "").on("node-b"),
        pod("p-d").on("node-c"),
    ]
}
fn foo_nodes_abc() -> Vec<Node> {
    vec![
        node("node-a", &[("node", "node-a"), ("foo", "")]),
        node("node-b", &[("node", "node-b"), ("foo", "")]),
        node("node-c", &[("node", "node-c"), ("bar", "")]),
    ]
}
fn taint_nodes_abc() -> Vec<Node> {
    vec![
        node("node-a", &[("node", "node-a")]),
        node("node-b", &[("node", "node-b")]),
        tainted(node("node-c", &[("node", "node-c"), ("bar", "")])),
    ]
}
fn foo_a(zone_labels: &[(&str, &str)]) -> Vec<P> {
    zone_labels
        .iter()
        .map(|(name, n)| foo_on(name, n))
        .collect()
}

#[test]
fn pre_filter_state() {
    let p = || pod("p").label("foo", "");
    let cases = vec![
        StateCase {
            name: "clean cluster with one spreadConstraint",
            pod: p().spread(5, "zone", selector(vec![is("foo", "bar")])),
            nodes: four_nodes(),
            existing: vec![],
            want: &[&[("zone1", 0), ("zone2", 0)]],
        },
        StateCase {
            name: "normal case with one spreadConstraint",
            pod: p().spread(1, "zone", foo()),
            nodes: four_nodes(),
            existing: five_foo(),
            want: &[&[("zone1", 3), ("zone2", 2)]],
        },
        StateCase {
            name: "normal case with null label selector",
            pod: p().spread(1, "zone", None),
            nodes: four_nodes(),
            existing: five_foo(),
            want: &[&[("zone1", 0), ("zone2", 0)]],
        },
        StateCase {
            name: "normal case with one spreadConstraint, on a 3-zone cluster",
            pod: p().spread(1, "zone", foo()),
            nodes: {
                let mut n = four_nodes();
                n.push(zn("node-o", "zone3"));
                n.push(zn("node-p", "zone3"));
                n
            },
            existing: five_foo(),
            want: &[&[("zone1", 3), ("zone2", 2), ("zone3", 0)]],
        },
        StateCase {
            name: "namespace mismatch doesn't count",
            pod: p().spread(1, "zone", foo()),
            nodes: four_nodes(),
            existing: vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a").ns("ns1"),
                foo_on("p-b1", "node-b"),
                foo_on("p-y1", "node-y").ns("ns2"),
                foo_on("p-y2", "node-y"),
            ],
            want: &[&[("zone1", 2), ("zone2", 1)]],
        },
        StateCase {
            name: "normal case with two spreadConstraints",
            pod: p().spread(1, "zone", foo()).spread(1, "node", foo()),
            nodes: four_nodes(),
            existing: seven_foo(),
            want: &[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 2), ("node-b", 1), ("node-x", 0), ("node-y", 4)],
            ],
        },
        StateCase {
            name: "soft spreadConstraints should be bypassed",
            pod: p()
                .spread_full(1, "zone", SA, foo(), None, None, None)
                .spread(1, "zone", foo())
                .spread_full(1, "node", SA, foo(), None, None, None)
                .spread(1, "node", foo()),
            nodes: vec![
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                zn("node-y", "zone2"),
            ],
            existing: seven_foo(),
            want: &[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 2), ("node-b", 1), ("node-y", 4)],
            ],
        },
        StateCase {
            name: "different labelSelectors - simple version",
            pod: p()
                .label("bar", "")
                .spread(1, "zone", foo())
                .spread(1, "node", bar()),
            nodes: vec![
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                zn("node-y", "zone2"),
            ],
            existing: vec![
                foo_on("p-a", "node-a"),
                pod("p-b").label("bar", "").on("node-b"),
            ],
            want: &[
                &[("zone1", 1), ("zone2", 0)],
                &[("node-a", 0), ("node-b", 1), ("node-y", 0)],
            ],
        },
        StateCase {
            name: "different labelSelectors - complex pods",
            pod: p()
                .label("bar", "")
                .spread(1, "zone", foo())
                .spread(1, "node", bar()),
            nodes: vec![
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                zn("node-y", "zone2"),
            ],
            existing: vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a").label("bar", ""),
                foo_on("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                foo_on("p-y2", "node-y").label("bar", ""),
                foo_on("p-y3", "node-y"),
                foo_on("p-y4", "node-y").label("bar", ""),
            ],
            want: &[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 1), ("node-b", 0), ("node-y", 2)],
            ],
        },
        StateCase {
            name: "two spreadConstraints, and with podAffinity",
            pod: p()
                .node_affinity("node", Operator::NotIn, &["node-x"])
                .spread(1, "zone", foo())
                .spread(1, "node", foo()),
            nodes: four_nodes(),
            existing: seven_foo(),
            want: &[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 2), ("node-b", 1), ("node-y", 4)],
            ],
        },
        StateCase {
            name: "default constraints and a service, but pod has constraints",
            pod: pod("p")
                .label("foo", "bar")
                .label("baz", "tar")
                .spread(1, "zone", selector(vec![is("baz", "tar")]))
                .spread_full(
                    2,
                    "planet",
                    SA,
                    selector(vec![is("fot", "rok")]),
                    None,
                    None,
                    None,
                ),
            nodes: vec![],
            existing: vec![],
            want: &[&[]],
        },
        StateCase {
            name: "TpKeyToDomainsNum is calculated when MinDomains is enabled",
            pod: p().spread(1, "zone", foo()).spread(1, "node", foo()),
            nodes: four_nodes(),
            existing: seven_foo(),
            want: &[
                &[("zone1", 3), ("zone2", 4)],
                &[("node-a", 2), ("node-b", 1), ("node-x", 0), ("node-y", 4)],
            ],
        },
        StateCase {
            name: "feature gate disabled with NodeAffinityPolicy",
            pod: p().node_selector("foo", "").spread(1, "node", bar()),
            nodes: foo_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2)]],
        },
        StateCase {
            name: "NodeAffinityPolicy honored with labelSelectors",
            pod: p().node_selector("foo", "").spread(1, "node", bar()),
            nodes: foo_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2)]],
        },
        StateCase {
            name: "NodeAffinityPolicy ignored with labelSelectors",
            pod: p().node_selector("foo", "").spread_full(
                1,
                "node",
                DNS,
                bar(),
                None,
                Some(Ignore),
                None,
            ),
            nodes: foo_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2), ("node-c", 0)]],
        },
        StateCase {
            name: "NodeAffinityPolicy honored with nodeAffinity",
            pod: p()
                .node_affinity("foo", Operator::In, &[""])
                .spread(1, "node", bar()),
            nodes: foo_nodes_abc(),
            existing: vec![
                pod("p-a").label("bar", "").on("node-a"),
                pod("p-c").label("bar", "").on("node-b"),
                pod("p-d").label("bar", "").on("node-b"),
                pod("p-e").on("node-c"),
            ],
            want: &[&[("node-a", 1), ("node-b", 2)]],
        },
        StateCase {
            name: "NodeAffinityPolicy ignored with nodeAffinity",
            pod: p()
                .node_affinity("foo", Operator::In, &[""])
                .spread_full(1, "node", DNS, bar(), None, Some(Ignore), None),
            nodes: foo_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2), ("node-c", 0)]],
        },
        StateCase {
            name: "feature gate disabled with NodeTaintsPolicy",
            pod: p().spread(1, "node", bar()),
            nodes: taint_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2), ("node-c", 0)]],
        },
        StateCase {
            name: "NodeTaintsPolicy ignored",
            pod: p().spread(1, "node", bar()),
            nodes: taint_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2), ("node-c", 0)]],
        },
        StateCase {
            name: "NodeTaintsPolicy honored",
            pod: p().spread_full(1, "node", DNS, bar(), None, None, Some(Honor)),
            nodes: taint_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2)]],
        },
        StateCase {
            name: "NodeTaintsPolicy honored with tolerated taints",
            pod: p()
                .toleration("node.kubernetes.io/unschedulable")
                .spread_full(1, "node", DNS, bar(), None, None, Some(Honor)),
            nodes: taint_nodes_abc(),
            existing: bar_abbc(),
            want: &[&[("node-a", 1), ("node-b", 2), ("node-c", 0)]],
        },
        StateCase {
            name: "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
            pod: p()
                .node_selector("foo", "")
                .spread(1, "zone", foo())
                .spread_full(1, "node", DNS, foo(), None, Some(Ignore), None),
            nodes: vec![
                node(
                    "node-a",
                    &[("zone", "zone1"), ("node", "node-a"), ("foo", "")],
                ),
                node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
            ],
            existing: foo_a(&[("p-b1", "node-b"), ("p-b2", "node-b"), ("p-x1", "node-x")]),
            want: &[
                &[("zone1", 0), ("zone2", 1)],
                &[("node-a", 0), ("node-b", 2), ("node-x", 1)],
            ],
        },
        StateCase {
            name: "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
            pod: p()
                .spread_full(1, "zone", DNS, foo(), None, None, Some(Honor))
                .spread(1, "node", foo()),
            nodes: vec![
                node(
                    "node-a",
                    &[("zone", "zone1"), ("node", "node-a"), ("foo", "")],
                ),
                tainted(node("node-b", &[("zone", "zone1"), ("node", "node-b")])),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
            ],
            existing: foo_a(&[("p-b1", "node-b"), ("p-b2", "node-b"), ("p-x1", "node-x")]),
            want: &[
                &[("zone1", 0), ("zone2", 1)],
                &[("node-a", 0), ("node-b", 2), ("node-x", 1)],
            ],
        },
        StateCase {
            name: "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
            pod: p()
                .node_selector("foo", "")
                .spread(1, "zone", foo())
                .spread(1, "node", foo()),
            nodes: vec![
                zn("node-a", "zone1"),
                tainted(node(
                    "node-b",
                    &[("zone", "zone1"), ("node", "node-b"), ("foo", "")],
                )),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
                zn("node-y", "zone2"),
            ],
            existing: foo_a(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-x1", "node-x"),
                ("p-y1", "node-y"),
            ]),
            want: &[
                &[("zone1", 0), ("zone2", 1)],
                &[("node-b", 0), ("node-x", 1)],
            ],
        },
        StateCase {
            name: "two node inclusion Constraints, zone: ignore/ignore, node: honor/honor",
            pod: p()
                .node_selector("foo", "")
                .spread_full(1, "zone", DNS, foo(), None, Some(Ignore), None)
                .spread_full(1, "node", DNS, foo(), None, None, Some(Honor)),
            nodes: vec![
                zn("node-a", "zone1"),
                tainted(node(
                    "node-b",
                    &[("zone", "zone1"), ("node", "node-b"), ("foo", "")],
                )),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
                node(
                    "node-y",
                    &[("zone", "zone2"), ("node", "node-y"), ("foo", "")],
                ),
            ],
            existing: foo_a(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-x1", "node-x"),
                ("p-x2", "node-x"),
                ("p-y1", "node-y"),
            ]),
            want: &[
                &[("zone1", 2), ("zone2", 3)],
                &[("node-x", 2), ("node-y", 1)],
            ],
        },
        StateCase {
            name: "matchLabelKeys ignored when feature gate disabled",
            pod: p().label("bar", "").spread(1, "zone", foo()),
            nodes: four_nodes(),
            existing: five_foo(),
            want: &[&[("zone1", 3), ("zone2", 2)]],
        },
        StateCase {
            name: "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
            pod: p()
                .label("bar", "a")
                .spread(1, "zone", selector(vec![exists("foo"), is("bar", "a")])),
            nodes: four_nodes(),
            existing: vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a").label("bar", "a"),
                foo_on("p-b1", "node-b"),
                foo_on("p-y1", "node-y").label("bar", "a"),
                pod("p-y2").label("bar", "").on("node-y"),
            ],
            want: &[&[("zone1", 1), ("zone2", 1)]],
        },
        StateCase {
            name: "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
            pod: pod("p")
                .label("foo", "a")
                .spread(1, "zone", selector(vec![is("foo", "a")])),
            nodes: four_nodes(),
            existing: five_foo_a(),
            want: &[&[("zone1", 3), ("zone2", 2)]],
        },
        StateCase {
            name: "key in matchLabelKeys is ignored when LabelSelector is nil when feature gate enabled",
            pod: p().spread(1, "zone", None),
            nodes: four_nodes(),
            existing: five_foo_a(),
            want: &[&[("zone1", 0), ("zone2", 0)]],
        },
        StateCase {
            name: "no pod is matched when LabelSelector is nil when feature gate disabled",
            pod: p().spread(1, "zone", None),
            nodes: four_nodes(),
            existing: five_foo_a(),
            want: &[&[("zone1", 0), ("zone2", 0)]],
        },
        StateCase {
            name: "key in matchLabelKeys is ignored when it isn't exist in pod.labels",
            pod: p().spread(1, "zone", foo()),
            nodes: four_nodes(),
            existing: five_foo_a(),
            want: &[&[("zone1", 3), ("zone2", 2)]],
        },
        StateCase {
            name: "skip if not specified",
            pod: p(),
            nodes: vec![zn("node-a", "zone1")],
            existing: vec![],
            want: &[],
        },
    ];
    assert_eq!(cases.len(), 32);
    run_state_cases(cases);
}

/// The five pods of the matchLabelKeys cases, labelled `foo: a`.
fn five_foo_a() -> Vec<P> {
    ["p-a1", "p-a2", "p-b1", "p-y1", "p-y2"]
        .iter()
        .zip(["node-a", "node-a", "node-b", "node-y", "node-y"])
        .map(|(name, n)| pod(name).label("foo", "a").on(n))
        .collect()
}

// ---------------------------------------------------------------------------
// TestPreFilterStateAddPod / TestPreFilterStateRemovePod

struct UpdateCase {
    name: &'static str,
    preemptor: P,
    nodes: Vec<Node>,
    existing: Vec<P>,
    /// Added pod, or the removed pod when not one of the existing pods.
    pod: Option<P>,
    /// For removals: index of the removed pod among the existing pods.
    existing_index: Option<usize>,
    /// The node the pod is added to / removed from.
    node_index: usize,
    want: Counts<'static>,
}

fn run_update_cases(cases: Vec<UpdateCase>, add: bool) {
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let mut extra = vec![case.preemptor];
        extra.extend(case.pod);
        let existing_len = case.existing.len();
        let (c, ids) = cluster(case.nodes, case.existing, extra);
        let mut snapshot = Snapshot::new(&c);
        let me = ids[0];
        let mut state = State::new(&snapshot, me);
        let node = podplan::model::NodeId(case.node_index as u32);
        if add {
            snapshot.assign(ids[1], node);
            state.add_pod(&snapshot, me, ids[1], node);
        } else {
            let removed = match case.existing_index {
                Some(i) if i < existing_len => PodId(i as u32),
                _ => ids[1],
            };
            // The framework removes from the snapshot first; upstream's
            // table may name a node the pod is not on: then the snapshot
            // is left alone and only the state is updated, as upstream.
            if snapshot.placement(removed) == Some(node) {
                snapshot.unassign(removed);
            }
            state.remove_pod(&snapshot, me, removed, node);
        }
        if let Err(e) = check_counts(&state, case.want) {
            failures.push(format!("#{i} {}: {e}", case.name));
        }
    }
    report(failures, total);
}

fn two_nodes_ab() -> Vec<Node> {
    vec![zn("node-a", "zone1"), zn("node-b", "zone1")]
}
fn affinity_nodes() -> Vec<Node> {
    vec![
        node(
            "node-a",
            &[("zone", "zone1"), ("node", "node-a"), ("foo", "bar")],
        ),
        node(
            "node-b",
            &[("zone", "zone2"), ("node", "node-b"), ("foo", "")],
        ),
    ]
}
fn zone_foo(name: &str, node: &str, zone: &str) -> P {
    foo_on(name, node).label("zone", zone)
}

#[test]
fn pre_filter_state_add_pod() {
    let node_c = || pod("p").label("foo", "").spread(1, "node", foo());
    let zone_node_c = || {
        pod("p")
            .label("foo", "")
            .spread(1, "zone", foo())
            .spread(1, "node", foo())
    };
    let diff_c = || {
        pod("p")
            .label("foo", "")
            .label("bar", "")
            .spread(1, "zone", foo())
            .spread(1, "node", bar())
    };
    let zone_c = || pod("p").label("foo", "").spread(1, "zone", foo());
    let zone_aff_c = || {
        pod("p")
            .label("foo", "")
            .node_affinity("foo", Operator::NotIn, &["bar"])
            .spread(1, "zone", foo())
    };
    let ax = || vec![zn("node-a", "zone1"), zn("node-x", "zone2")];
    let abx = || {
        vec![
            zn("node-a", "zone1"),
            zn("node-b", "zone1"),
            zn("node-x", "zone2"),
        ]
    };
    let tainted_a = || vec![tainted(zn("node-a", "zone1")), zn("node-b", "zone2")];
    let case = |name, preemptor, nodes, existing, added, node_index, want| UpdateCase {
        name,
        preemptor,
        nodes,
        existing,
        pod: Some(added),
        existing_index: None,
        node_index,
        want,
    };
    let cases = vec![
        case(
            "node a and b both impact current min match",
            node_c(),
            two_nodes_ab(),
            vec![],
            foo_on("p-a1", "node-a"),
            0,
            &[&[("node-a", 1), ("node-b", 0)]],
        ),
        case(
            "only node a impacts current min match",
            node_c(),
            two_nodes_ab(),
            vec![foo_on("p-b1", "node-b")],
            foo_on("p-a1", "node-a"),
            0,
            &[&[("node-a", 1), ("node-b", 1)]],
        ),
        case(
            "add a pod in a different namespace doesn't change topologyKeyToMinPodsMap",
            node_c(),
            two_nodes_ab(),
            vec![foo_on("p-b1", "node-b")],
            foo_on("p-a1", "node-a").ns("ns1"),
            0,
            &[&[("node-a", 0), ("node-b", 1)]],
        ),
        case(
            "add pod on non-critical node won't trigger re-calculation",
            node_c(),
            two_nodes_ab(),
            vec![foo_on("p-b1", "node-b")],
            foo_on("p-b2", "node-b"),
            1,
            &[&[("node-a", 0), ("node-b", 2)]],
        ),
        case(
            "node a and x both impact topologyKeyToMinPodsMap on zone and node",
            zone_node_c(),
            ax(),
            vec![],
            foo_on("p-a1", "node-a"),
            0,
            &[
                &[("zone1", 1), ("zone2", 0)],
                &[("node-a", 1), ("node-x", 0)],
            ],
        ),
        case(
            "only node a impacts topologyKeyToMinPodsMap on zone and node",
            zone_node_c(),
            ax(),
            vec![foo_on("p-x1", "node-x")],
            foo_on("p-a1", "node-a"),
            0,
            &[
                &[("zone1", 1), ("zone2", 1)],
                &[("node-a", 1), ("node-x", 1)],
            ],
        ),
        case(
            "node a impacts topologyKeyToMinPodsMap on node, node x impacts topologyKeyToMinPodsMap on zone",
            zone_node_c(),
            abx(),
            foo_a(&[("p-b1", "node-b"), ("p-b2", "node-b"), ("p-x1", "node-x")]),
            foo_on("p-a1", "node-a"),
            0,
            &[
                &[("zone1", 3), ("zone2", 1)],
                &[("node-a", 1), ("node-b", 2), ("node-x", 1)],
            ],
        ),
        case(
            "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap on zone",
            diff_c(),
            abx(),
            vec![
                foo_on("p-b1", "node-b").label("bar", ""),
                foo_on("p-x1", "node-x").label("bar", ""),
                pod("p-x2").label("bar", "").on("node-x"),
            ],
            foo_on("p-a1", "node-a"),
            0,
            &[
                &[("zone1", 2), ("zone2", 1)],
                &[("node-a", 0), ("node-b", 1), ("node-x", 2)],
            ],
        ),
        case(
            "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap on both zone and node",
            diff_c(),
            abx(),
            vec![
                pod("p-b1").label("bar", "").on("node-b"),
                foo_on("p-x1", "node-x").label("bar", ""),
                pod("p-x2").label("bar", "").on("node-x"),
            ],
            foo_on("p-a1", "node-a").label("bar", ""),
            0,
            &[
                &[("zone1", 1), ("zone2", 1)],
                &[("node-a", 1), ("node-b", 1), ("node-x", 2)],
            ],
        ),
        case(
            "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy disabled",
            zone_aff_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a2", "node-a", "zone1"),
                zone_foo("p-b1", "node-b", "zone2"),
            ],
            zone_foo("p-a1", "node-a", "zone1"),
            0,
            &[&[("zone2", 1)]],
        ),
        case(
            "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled",
            zone_aff_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a2", "node-a", "zone1"),
                zone_foo("p-b1", "node-b", "zone2"),
            ],
            zone_foo("p-a1", "node-a", "zone1"),
            0,
            &[&[("zone2", 1)]],
        ),
        case(
            "add a pod when scheduling node affinity matched pod with NodeInclusionPolicy disabled",
            zone_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            zone_foo("p-b1", "node-b", "zone2"),
            1,
            &[&[("zone1", 1), ("zone2", 2)]],
        ),
        case(
            "add a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled",
            zone_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            zone_foo("p-b1", "node-b", "zone2"),
            1,
            &[&[("zone1", 1), ("zone2", 2)]],
        ),
        case(
            "add a label selector not matched pod when with NodeInclusionPolicy enabled",
            zone_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            pod("p-b1").label("zone", "zone2").on("node-b"),
            1,
            &[&[("zone1", 1), ("zone2", 1)]],
        ),
        case(
            "add a pod when scheduling taint untolerated pod with NodeInclusionPolicy disabled",
            zone_c(),
            tainted_a(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            zone_foo("p-b1", "node-b", "zone2"),
            1,
            &[&[("zone1", 1), ("zone2", 2)]],
        ),
        case(
            "add a pod when scheduling taint tolerated pod with NodeInclusionPolicy enabled",
            zone_c().toleration("node.kubernetes.io/unschedulable"),
            tainted_a(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            zone_foo("p-b1", "node-b", "zone2"),
            1,
            &[&[("zone1", 1), ("zone2", 2)]],
        ),
    ];
    assert_eq!(cases.len(), 16);
    run_update_cases(cases, true);
}

#[test]
fn pre_filter_state_remove_pod() {
    let zone_c = || pod("p").label("foo", "").spread(1, "zone", foo());
    let zone_aff_c = || {
        pod("p")
            .label("foo", "")
            .node_affinity("foo", Operator::NotIn, &["bar"])
            .spread(1, "zone", foo())
    };
    let abx = || {
        vec![
            zn("node-a", "zone1"),
            zn("node-b", "zone1"),
            zn("node-x", "zone2"),
        ]
    };
    let abxy_pods = || {
        foo_a(&[
            ("p-a1", "node-a"),
            ("p-b1", "node-b"),
            ("p-x1", "node-x"),
            ("p-y1", "node-y"),
        ])
    };
    let case = |name, preemptor, nodes, existing, removed: Option<P>, index, node_index, want| {
        UpdateCase {
            name,
            preemptor,
            nodes,
            existing,
            pod: removed,
            existing_index: index,
            node_index,
            want,
        }
    };
    let cases = vec![
        case(
            "one spreadConstraint on zone, topologyKeyToMinPodsMap unchanged",
            zone_c(),
            abx(),
            foo_a(&[("p-a1", "node-a"), ("p-b1", "node-b"), ("p-x1", "node-x")]),
            None,
            Some(0),
            0,
            &[&[("zone1", 1), ("zone2", 1)]],
        ),
        case(
            "one spreadConstraint on node, topologyKeyToMinPodsMap changed",
            zone_c(),
            four_nodes(),
            abxy_pods(),
            None,
            Some(0),
            0,
            &[&[("zone1", 1), ("zone2", 2)]],
        ),
        case(
            "delete an irrelevant pod won't help",
            zone_c(),
            four_nodes(),
            {
                let mut p = vec![pod("p-a0").label("bar", "").on("node-a")];
                p.extend(abxy_pods());
                p
            },
            None,
            Some(0),
            0,
            &[&[("zone1", 2), ("zone2", 2)]],
        ),
        case(
            "delete a non-existing pod won't help",
            zone_c(),
            four_nodes(),
            abxy_pods(),
            Some(pod("p-a0").label("bar", "").on("node-a")),
            None,
            0,
            &[&[("zone1", 2), ("zone2", 2)]],
        ),
        case(
            "two spreadConstraints",
            zone_c().spread(1, "node", foo()),
            abx(),
            foo_a(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-x1", "node-x"),
                ("p-x2", "node-x"),
            ]),
            None,
            Some(3),
            2,
            &[
                &[("zone1", 3), ("zone2", 1)],
                &[("node-a", 2), ("node-b", 1), ("node-x", 1)],
            ],
        ),
        case(
            "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy disabled",
            zone_aff_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a2", "node-a", "zone1"),
                zone_foo("p-b1", "node-b", "zone2"),
            ],
            Some(zone_foo("p-a1", "node-a", "zone1")),
            Some(0),
            0,
            &[&[("zone2", 1)]],
        ),
        case(
            "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled",
            zone_aff_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a2", "node-a", "zone1"),
                zone_foo("p-b1", "node-b", "zone2"),
            ],
            Some(zone_foo("p-a1", "node-a", "zone1")),
            Some(0),
            0,
            &[&[("zone2", 1)]],
        ),
        case(
            "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy disabled",
            zone_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            Some(zone_foo("p-b1", "node-b", "zone2")),
            Some(0),
            1,
            &[&[("zone1", 1), ("zone2", 0)]],
        ),
        case(
            "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled",
            zone_c(),
            affinity_nodes(),
            vec![
                zone_foo("p-a1", "node-a", "zone1"),
                zone_foo("p-b2", "node-b", "zone2"),
            ],
            Some(zone_foo("p-b1", "node-b", "zone2")),
            Some(0),
            1,
            &[&[("zone1", 1), ("zone2", 0)]],
        ),
    ];
    assert_eq!(cases.len(), 9);
    run_update_cases(cases, false);
}

// ---------------------------------------------------------------------------
// TestSingleConstraint / TestMultipleConstraints

/// Upstream's status codes and the reasons they carry here.
#[derive(Clone, Copy, Debug)]
enum Code {
    /// Success.
    S,
    /// Unschedulable: `ErrReasonConstraintsNotMatch`.
    U,
    /// UnschedulableAndUnresolvable: `ErrReasonNodeLabelNotMatch`.
    Uu,
}
use Code::{Uu, S, U};

fn verdict(code: Code) -> Verdict {
    match code {
        S => Ok(()),
        U => Err(vec![ERR_REASON_CONSTRAINTS_NOT_MATCH.to_string()]),
        Uu => Err(vec![ERR_REASON_NODE_LABEL_NOT_MATCH.to_string()]),
    }
}

struct FilterCase {
    name: &'static str,
    pod: P,
    nodes: Vec<Node>,
    existing: Vec<P>,
    want: Vec<Code>,
}

fn run_filter_cases(cases: Vec<FilterCase>) {
    let total = cases.len();
    let mut failures = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let (c, ids) = cluster(case.nodes, case.existing, vec![case.pod]);
        let snapshot = Snapshot::new(&c);
        let state = State::new(&snapshot, ids[0]);
        let pod = c.pod(ids[0]);
        assert_eq!(case.want.len(), c.nodes.len(), "{}", case.name);
        for (n, code) in snapshot.node_ids().zip(&case.want) {
            let got = state.filter(&snapshot, pod, n);
            if got != verdict(*code) {
                failures.push(format!(
                    "#{i} {} [{}]: got {got:?}, want {code:?}",
                    case.name,
                    c.nodes[n.index()].name
                ));
            }
        }
    }
    report(failures, total);
}

fn fc(name: &'static str, pod: P, nodes: Vec<Node>, existing: Vec<P>, want: &[Code]) -> FilterCase {
    FilterCase {
        name,
        pod,
        nodes,
        existing,
        want: want.to_vec(),
    }
}

/// 2/1/0/3 over node-a/b/x/y.
fn spread_2103() -> Vec<P> {
    foo_a(&[
        ("p-a1", "node-a"),
        ("p-a2", "node-a"),
        ("p-b1", "node-b"),
        ("p-y1", "node-y"),
        ("p-y2", "node-y"),
        ("p-y3", "node-y"),
    ])
}
fn nodes_abc() -> Vec<Node> {
    vec![
        node("node-a", &[("node", "node-a")]),
        node("node-b", &[("node", "node-b")]),
        node("node-c", &[("node", "node-c")]),
    ]
}
fn nodes_foo_abx_y(y: Node) -> Vec<Node> {
    vec![
        node("node-a", &[("node", "node-a"), ("foo", "")]),
        node("node-b", &[("node", "node-b"), ("foo", "")]),
        node("node-x", &[("node", "node-x"), ("foo", "")]),
        y,
    ]
}
fn pods_b1_b2_y1() -> Vec<P> {
    foo_a(&[("p-b1", "node-a"), ("p-b2", "node-b"), ("p-y1", "node-y")])
}

#[test]
fn single_constraint() {
    let p = || pod("p").label("foo", "");
    let zone = || p().spread(1, "zone", foo());
    let by_node = |skew| p().spread(skew, "node", foo());
    let cases = vec![
        fc(
            "no existing pods",
            zone(),
            four_nodes(),
            vec![],
            &[S, S, S, S],
        ),
        fc(
            "no existing pods, incoming pod doesn't match itself",
            p().spread(1, "zone", bar()),
            four_nodes(),
            vec![],
            &[S, S, S, S],
        ),
        fc(
            "existing pods in a different namespace do not count",
            zone(),
            four_nodes(),
            vec![
                foo_on("p-a1", "node-a").ns("ns1"),
                foo_on("p-b1", "node-a").ns("ns2"),
                foo_on("p-x1", "node-x"),
                foo_on("p-y1", "node-y"),
            ],
            &[S, S, U, U],
        ),
        fc(
            "existing pods do not match null selector",
            p().spread(1, "zone", None),
            four_nodes(),
            foo_a(&[("p-x1", "node-x"), ("p-y1", "node-y")]),
            &[S, S, S, S],
        ),
        fc(
            "pods spread across zones as 3/3, all nodes fit",
            zone(),
            four_nodes(),
            spread_2103(),
            &[S, S, S, S],
        ),
        fc(
            "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
            zone(),
            vec![
                zn("node-a", "zone1"),
                node("node-b", &[("zon", "zone1"), ("node", "node-b")]),
                zn("node-x", "zone2"),
                zn("node-y", "zone2"),
            ],
            foo_a(&[
                ("p-a1", "node-a"),
                ("p-b1", "node-b"),
                ("p-x1", "node-x"),
                ("p-y1", "node-y"),
            ]),
            &[S, Uu, U, U],
        ),
        fc(
            "pod cannot be scheduled as all nodes don't have label 'rack'",
            p().spread(1, "rack", foo()),
            vec![zn("node-a", "zone1"), zn("node-x", "zone2")],
            vec![],
            &[Uu, Uu],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, only node-x fits",
            by_node(1),
            four_nodes(),
            spread_2103(),
            &[U, U, S, U],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
            by_node(2),
            four_nodes(),
            spread_2103(),
            &[U, S, S, U],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
            pod("p").label("bar", "").spread(1, "node", foo()),
            four_nodes(),
            spread_2103(),
            &[U, S, S, U],
        ),
        fc(
            "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
            p().node_affinity("node", Operator::In, &["node-a", "node-y"])
                .spread(1, "node", foo()),
            four_nodes(),
            spread_2103(),
            &[S, S, S, U],
        ),
        fc(
            "terminating Pods should be excluded",
            by_node(1),
            vec![
                node("node-a", &[("node", "node-a")]),
                node("node-b", &[("node", "node-b")]),
            ],
            vec![
                foo_on("p-a", "node-a").terminating(),
                foo_on("p-b", "node-b"),
            ],
            &[S, U],
        ),
        fc(
            "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
            p().node_affinity("node", Operator::NotIn, &["node-b"])
                .spread(1, "zone", foo()),
            four_nodes(),
            foo_a(&[("p-b1", "node-b"), ("p-b2", "node-b"), ("p-y1", "node-y")]),
            &[S, S, U, U],
        ),
        fc(
            "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits",
            p().spread_full(2, "node", DNS, foo(), Some(4), None, None),
            nodes_abc(),
            foo_a(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-b2", "node-b"),
                ("p-c1", "node-c"),
            ]),
            &[U, U, S],
        ),
        fc(
            "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit",
            p().spread_full(2, "node", DNS, foo(), Some(2), None, None),
            nodes_abc(),
            foo_a(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-b2", "node-b"),
                ("p-c1", "node-c"),
            ]),
            &[S, S, S],
        ),
        fc(
            "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit",
            p().spread_full(2, "zone", DNS, foo(), Some(3), None, None),
            four_nodes(),
            pods_b1_b2_y1(),
            &[U, U, S, S],
        ),
        fc(
            "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit",
            p().spread_full(2, "zone", DNS, foo(), Some(1), None, None),
            four_nodes(),
            pods_b1_b2_y1(),
            &[S, S, S, S],
        ),
        fc(
            "NodeAffinityPolicy honored with labelSelectors",
            p().node_selector("foo", "").spread(1, "node", foo()),
            nodes_foo_abx_y(node("node-y", &[("node", "node-y")])),
            pods_b1_b2_y1(),
            &[U, U, S, S],
        ),
        fc(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_selector("foo", "")
                .spread_full(1, "node", DNS, foo(), None, Some(Ignore), None),
            nodes_foo_abx_y(node("node-y", &[("node", "node-y")])),
            pods_b1_b2_y1(),
            &[U, U, S, U],
        ),
        fc(
            "NodeAffinityPolicy honored with nodeAffinity",
            p().node_affinity("foo", Operator::In, &[""])
                .spread(1, "node", foo()),
            nodes_foo_abx_y(node("node-y", &[("node", "node-y")])),
            pods_b1_b2_y1(),
            &[U, U, S, S],
        ),
        fc(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_affinity("foo", Operator::In, &[""])
                .spread_full(1, "node", DNS, foo(), None, Some(Ignore), None),
            nodes_foo_abx_y(node("node-y", &[("node", "node-y")])),
            pods_b1_b2_y1(),
            &[U, U, S, U],
        ),
        fc(
            "NodeTaintsPolicy honored",
            p().spread_full(1, "node", DNS, foo(), None, None, Some(Honor)),
            nodes_foo_abx_y(tainted(node("node-y", &[("node", "node-y")]))),
            pods_b1_b2_y1(),
            &[U, U, S, S],
        ),
        fc(
            "NodeTaintsPolicy ignored",
            by_node(1),
            nodes_foo_abx_y(tainted(node("node-y", &[("node", "node-y")]))),
            pods_b1_b2_y1(),
            &[U, U, S, U],
        ),
    ];
    assert_eq!(cases.len(), 23);
    run_filter_cases(cases);
}

#[test]
fn multiple_constraints() {
    let zone_node = || {
        pod("p")
            .label("foo", "")
            .spread(1, "zone", foo())
            .spread(1, "node", foo())
    };
    let diff = || {
        pod("p")
            .label("foo", "")
            .label("bar", "")
            .spread(1, "zone", foo())
            .spread(1, "node", bar())
    };
    let abby = || foo_a(&[("p-a1", "node-a"), ("p-b1", "node-b"), ("p-y1", "node-y")]);
    let zn_foo =
        |name: &str, zone: &str| node(name, &[("zone", zone), ("node", name), ("foo", "")]);
    let cases = vec![
        fc(
            "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
            zone_node(),
            four_nodes(),
            spread_2103(),
            &[U, U, S, U],
        ),
        fc(
            "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
            zone_node(),
            four_nodes(),
            {
                let mut p = spread_2103();
                p.push(foo_on("p-y4", "node-y"));
                p
            },
            &[U, U, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
            diff(),
            four_nodes(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-y1").label("bar", "").on("node-y"),
            ],
            &[U, U, S, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
            diff(),
            four_nodes(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-x1").label("bar", "").on("node-x"),
                pod("p-y1").label("bar", "").on("node-y"),
            ],
            &[U, U, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
            diff(),
            four_nodes(),
            vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a").label("bar", ""),
                foo_on("p-y1", "node-y"),
                foo_on("p-y2", "node-y").label("bar", ""),
                foo_on("p-y3", "node-y"),
            ],
            &[U, S, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
            pod("p")
                .label("bar", "")
                .spread(1, "zone", foo())
                .spread(1, "node", bar()),
            four_nodes(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-x1").label("bar", "").on("node-x"),
                pod("p-y1").label("bar", "").on("node-y"),
            ],
            &[S, S, U, U],
        ),
        fc(
            "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
            zone_node(),
            vec![
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                node("node-x", &[("zone", "zone2")]),
                zn("node-y", "zone2"),
            ],
            foo_a(&[("p-a1", "node-a"), ("p-y3", "node-y")]),
            &[U, S, Uu, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
            pod("p")
                .label("foo", "")
                .node_selector("foo", "")
                .spread(1, "zone", foo())
                .spread_full(1, "node", DNS, foo(), None, Some(Ignore), None),
            vec![
                zn_foo("node-a", "zone1"),
                zn_foo("node-b", "zone1"),
                zn_foo("node-x", "zone2"),
                zn("node-y", "zone2"),
            ],
            abby(),
            &[U, U, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
            pod("p")
                .label("foo", "")
                .spread_full(1, "zone", DNS, foo(), None, None, Some(Honor))
                .spread(1, "node", foo()),
            vec![
                zn_foo("node-a", "zone1"),
                zn_foo("node-b", "zone1"),
                zn_foo("node-x", "zone2"),
                tainted(zn("node-y", "zone2")),
            ],
            abby(),
            &[U, U, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
            pod("p")
                .label("foo", "")
                .node_selector("foo", "")
                .spread(1, "zone", foo())
                .spread(1, "node", foo()),
            vec![
                zn_foo("node-a", "zone1"),
                zn("node-b", "zone1"),
                zn_foo("node-x", "zone2"),
                tainted(zn_foo("node-y", "zone2")),
            ],
            abby(),
            &[U, S, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
            pod("p")
                .label("foo", "")
                .node_selector("foo", "")
                .spread_full(1, "zone", DNS, foo(), None, None, Some(Honor))
                .spread_full(1, "node", DNS, foo(), None, Some(Ignore), None),
            vec![
                zn_foo("node-a", "zone1"),
                zn("node-b", "zone1"),
                zn_foo("node-x", "zone2"),
                tainted(zn_foo("node-y", "zone2")),
            ],
            abby(),
            &[U, U, S, U],
        ),
    ];
    assert_eq!(cases.len(), 11);
    run_filter_cases(cases);
}

// ---------------------------------------------------------------------------
// Incremental updates agree with recomputation.

/// A small deterministic generator for the random scenarios.
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

fn random_selector(rng: &mut Rng) -> Option<LabelSelector> {
    match rng.below(6) {
        0 => None,
        1 => selector(vec![]),
        2 => selector(vec![exists("app")]),
        3 => selector(vec![is("app", rng.pick(&["a", "b"]))]),
        4 => selector(vec![Requirement::new("tier", Operator::NotIn, &["x"])]),
        _ => selector(vec![exists("app"), exists("tier")]),
    }
}

fn random_labels(rng: &mut Rng, mut p: P) -> P {
    if rng.chance(70) {
        p = p.label("app", rng.pick(&["a", "b"]));
    }
    if rng.chance(40) {
        p = p.label("tier", rng.pick(&["x", "y"]));
    }
    p
}

/// Nodes, unplaced candidate pods and the incoming pod (last).
fn random_scenario(seed: u64) -> (Vec<Node>, Vec<P>) {
    let mut rng = Rng(seed | 1);
    let nodes: Vec<Node> = (0..3 + rng.below(4))
        .map(|i| {
            let name = format!("n{i}");
            let mut labels = labels([("kubernetes.io/hostname", name.as_str())]);
            if rng.chance(85) {
                labels.insert("zone".into(), rng.pick(&["z1", "z2", "z3"]).into());
            }
            if rng.chance(50) {
                labels.insert("disk".into(), "ssd".into());
            }
            let mut n = Node {
                name,
                labels,
                ..Default::default()
            };
            if rng.chance(25) {
                n = tainted(n);
            }
            n
        })
        .collect();
    let mut pods: Vec<P> = (0..4 + rng.below(8))
        .map(|i| {
            let mut p = random_labels(&mut rng, pod(&format!("c{i}")));
            if rng.chance(20) {
                p = p.ns("other");
            }
            if rng.chance(15) {
                p = p.terminating();
            }
            p
        })
        .collect();
    let mut incoming = random_labels(&mut rng, pod("incoming"));
    if rng.chance(30) {
        incoming = incoming.node_selector("disk", "ssd");
    }
    if rng.chance(30) {
        incoming = incoming.toleration("node.kubernetes.io/unschedulable");
    }
    for _ in 0..1 + rng.below(3) {
        let key = rng.pick(&["zone", "kubernetes.io/hostname"]);
        let action = if rng.chance(80) { DNS } else { SA };
        let min_domains = if rng.chance(30) {
            Some(1 + rng.below(4) as i32)
        } else {
            None
        };
        let policy = |rng: &mut Rng| [None, Some(Honor), Some(Ignore)][rng.below(3)];
        let affinity_policy = policy(&mut rng);
        let taints_policy = policy(&mut rng);
        incoming = incoming.spread_full(
            1 + rng.below(2) as i32,
            key,
            action,
            random_selector(&mut rng),
            min_domains,
            affinity_policy,
            taints_policy,
        );
    }
    pods.push(incoming);
    (nodes, pods)
}

fn compare(snapshot: &Snapshot, incremental: &State, me: PodId) -> Result<(), String> {
    let fresh = State::new(snapshot, me);
    if incremental.constraint_count() != fresh.constraint_count() {
        return Err("constraint count differs".into());
    }
    for i in 0..fresh.constraint_count() {
        if incremental.domain_counts(i) != fresh.domain_counts(i)
            || incremental.min_domain_count(i) != fresh.min_domain_count(i)
        {
            return Err(format!(
                "constraint {i}: incremental {:?} min {:?}, fresh {:?} min {:?}",
                incremental.domain_counts(i),
                incremental.min_domain_count(i),
                fresh.domain_counts(i),
                fresh.min_domain_count(i)
            ));
        }
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
                    let node = podplan::model::NodeId((n % snapshot.node_count()) as u32);
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

    /// AddNode: a node added to the snapshot after the state was computed
    /// (a copy of a random node under a new hostname, zone and taints as
    /// drawn), before and after pods land on it, gives the same counts and
    /// verdicts as a state recomputed with the node in.
    #[test]
    fn added_nodes_match_recompute(
        seed in any::<u64>(),
        before in proptest::collection::vec((0usize..16, 0usize..8), 0..12),
        added in 1usize..4,
        after in proptest::collection::vec(0usize..16, 0..12),
    ) {
        let (nodes, pods) = random_scenario(seed);
        let templates = nodes.clone();
        let (c, ids) = cluster(nodes, vec![], pods);
        let (me, candidates) = ids.split_last().unwrap();
        let mut snapshot = Snapshot::new(&c);
        for (p, n) in before {
            let pod = candidates[p % candidates.len()];
            if snapshot.placement(pod).is_none() {
                let node = podplan::model::NodeId((n % snapshot.node_count()) as u32);
                snapshot.assign(pod, node);
            }
        }
        let mut state = State::new(&snapshot, *me);
        let mut new_nodes = Vec::new();
        for k in 0..added {
            let mut node = templates[(seed as usize + k) % templates.len()].clone();
            node.name = format!("added-{k}");
            node.labels.insert("kubernetes.io/hostname".into(), node.name.clone());
            let id = snapshot.add_node(node);
            state.add_node(&snapshot, *me, id);
            new_nodes.push(id);
            if let Err(e) = compare(&snapshot, &state, *me) {
                prop_assert!(false, "seed {seed}, node {k} added: {e}");
            }
        }
        for p in after {
            let pod = candidates[p % candidates.len()];
            if snapshot.placement(pod).is_some() {
                continue;
            }
            let node = new_nodes[p % new_nodes.len()];
            snapshot.assign(pod, node);
            state.add_pod(&snapshot, *me, pod, node);
            if let Err(e) = compare(&snapshot, &state, *me) {
                prop_assert!(false, "seed {seed}, pod placed on an added node: {e}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scale: 5,000 nodes and 150,000 pods (run with `--ignored --release`).

#[test]
#[ignore = "scale check: cargo test --release --test upstream_pod_topology_spread -- --ignored"]
fn scale_5000_nodes_150000_pods() {
    use podplan::model::PodAffinityTerm;
    use podplan::predicates::inter_pod_affinity;
    use std::time::Instant;

    let nodes: Vec<Node> = (0..5000)
        .map(|i| {
            let name = format!("node-{i}");
            let zone = format!("zone-{}", i % 3);
            node(&name, &[("kubernetes.io/hostname", &name), ("zone", &zone)])
        })
        .collect();
    // 300 workloads of 500 replicas sharing one spec each; a third with
    // hostname anti-affinity against their own replicas.
    let mut c = Cluster {
        nodes,
        ..Default::default()
    };
    for w in 0..300 {
        let ns = format!("ns-{}", w % 10);
        let app = format!("app-{w}");
        let mut spec = PodSpec::default();
        if w % 3 == 0 {
            spec.pod_anti_affinity.push(PodAffinityTerm {
                selector: selector(vec![is("app", &app)]).unwrap(),
                namespaces: vec![ns.clone()],
                namespace_selector: None,
                topology_key: "kubernetes.io/hostname".into(),
            });
        }
        let spec = Arc::new(spec);
        for r in 0..500 {
            let n = (w * 7 + r * 13) % 5000;
            c.pods.push(Pod {
                namespace: ns.clone(),
                name: format!("{app}-{r}"),
                labels: labels([("app", app.as_str())]),
                spec: Arc::clone(&spec),
                node_name: Some(format!("node-{n}")),
                node: Some(podplan::model::NodeId(n as u32)),
                phase: PodPhase::Running,
                ..Default::default()
            });
        }
    }
    let app = "app-3";
    let mut incoming = pod("incoming").ns("ns-3").label("app", app);
    incoming = incoming
        .spread(1, "zone", selector(vec![is("app", app)]))
        .spread(1, "kubernetes.io/hostname", selector(vec![is("app", app)]));
    incoming.spec.pod_anti_affinity.push(PodAffinityTerm {
        selector: selector(vec![is("app", app)]).unwrap(),
        namespaces: vec!["ns-3".into()],
        namespace_selector: None,
        topology_key: "kubernetes.io/hostname".into(),
    });
    incoming.spec.pod_affinity.push(PodAffinityTerm {
        selector: selector(vec![is("app", "app-4")]).unwrap(),
        namespaces: vec!["ns-4".into()],
        namespace_selector: None,
        topology_key: "zone".into(),
    });
    let mut p = incoming.obj();
    p.node_name = None;
    let me = PodId(c.pods.len() as u32);
    c.pods.push(p);

    let t = Instant::now();
    let mut snapshot = Snapshot::new(&c);
    let snapshot_time = t.elapsed();
    let t = Instant::now();
    let mut spread = State::new(&snapshot, me);
    let spread_time = t.elapsed();
    let t = Instant::now();
    let mut affinity = inter_pod_affinity::State::new(&snapshot, me);
    let affinity_time = t.elapsed();
    let pod = c.pod(me);
    let t = Instant::now();
    let mut feasible = 0;
    for n in snapshot.node_ids() {
        if spread.filter(&snapshot, pod, n).is_ok() && affinity.filter(&snapshot, pod, n).is_ok() {
            feasible += 1;
        }
    }
    let filter_time = t.elapsed();
    let t = Instant::now();
    for i in 0..1000 {
        let moved = PodId(i * 150);
        let from = snapshot.placement(moved).unwrap();
        let to = podplan::model::NodeId((from.0 + 1) % 5000);
        snapshot.unassign(moved);
        spread.remove_pod(&snapshot, me, moved, from);
        affinity.remove_pod(&snapshot, me, moved, from);
        snapshot.assign(moved, to);
        spread.add_pod(&snapshot, me, moved, to);
        affinity.add_pod(&snapshot, me, moved, to);
    }
    let update_time = t.elapsed();
    eprintln!(
        "snapshot {snapshot_time:?}; PodTopologySpread::new {spread_time:?}; \
         InterPodAffinity::new {affinity_time:?}; filter x5000 nodes {filter_time:?} \
         ({feasible} feasible); 1000 moves (remove+add, both plugins) {update_time:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `State::concerns` is sound, so solvers may skip the moves it rules
    /// out: a pod it says does not concern the incoming pod leaves the
    /// counts as they are when added or removed, and a pod that concerns it
    /// carries one of `concerning_labels`.
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
        let labels = state.concerning_labels(&c.pods[me.0 as usize]);
        let counts = |s: &State| {
            (0..s.constraint_count())
                .map(|i| s.domain_counts(i))
                .collect::<Vec<_>>()
        };
        for (p, n) in ops {
            let pod = candidates[p % candidates.len()];
            let (incoming, other) = (&c.pods[me.0 as usize], &c.pods[pod.0 as usize]);
            let concerns = state.concerns(incoming, other);
            if let (true, Some(pairs)) = (concerns, &labels) {
                let carries = pairs
                    .iter()
                    .any(|(k, v)| other.labels.get(*k).is_some_and(|x| x == v));
                prop_assert!(carries, "seed {seed}: {} carries none of {pairs:?}", other.name);
            }
            let before = counts(&state);
            match snapshot.placement(pod) {
                Some(node) => {
                    snapshot.unassign(pod);
                    state.remove_pod(&snapshot, *me, pod, node);
                }
                None => {
                    let node = podplan::model::NodeId((n % snapshot.node_count()) as u32);
                    snapshot.assign(pod, node);
                    state.add_pod(&snapshot, *me, pod, node);
                }
            }
            if !concerns {
                prop_assert_eq!(&before, &counts(&state), "seed {}", seed);
            }
        }
    }
}
