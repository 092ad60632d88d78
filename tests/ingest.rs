//! Reading scenarios: formats, kinds, workload expansion, priorities,
//! selectors, and what depends on several objects.

use podplan::model::{
    labels, Cluster, InclusionPolicy, IntOrPercent, LabelSelector, Operator, PodOrigin, PodPhase,
    Requirement, TaintEffect, TolerationOperator, UnhealthyPodEvictionPolicy, UnsatisfiableAction,
    WorkloadId, WorkloadKind,
};
use podplan::{read_scenario, Input};
use std::sync::Arc;

fn read(text: &str) -> Cluster {
    read_scenario(&[Input::new("test", text)]).unwrap_or_else(|e| panic!("{e}"))
}

fn read_all(texts: &[&str]) -> Cluster {
    let inputs: Vec<Input> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Input::new(format!("in{i}"), t))
        .collect();
    read_scenario(&inputs).unwrap_or_else(|e| panic!("{e}"))
}

fn keys(c: &Cluster) -> Vec<String> {
    c.pods.iter().map(|p| p.key()).collect()
}

#[test]
fn typed_lists_give_their_items_a_kind() {
    let c = read(
        r#"{"kind": "NodeList", "apiVersion": "v1", "items": [
            {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}}},
            {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n2"}, "status": {"capacity": {"cpu": "1500m"}}},
            {"metadata": {"name": "n3"}, "status": {"allocatable": {}, "capacity": {"cpu": 4, "memory": 1e3}}}
        ]}"#,
    );
    let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["n1", "n2", "n3"]);
    assert_eq!(c.nodes[0].allocatable.milli_cpu, 2000);
    assert_eq!(c.nodes[0].allocatable.memory, 4 << 30);
    assert_eq!(c.nodes[0].allocatable.pods, 110);
    // Allocatable falls back to capacity when absent or empty.
    assert_eq!(c.nodes[1].allocatable.milli_cpu, 1500);
    assert_eq!(c.nodes[2].allocatable.milli_cpu, 4000);
    assert_eq!(c.nodes[2].allocatable.memory, 1000);
    // Nodes that allow no pods are worth a warning.
    assert_eq!(
        c.warnings,
        ["2 node(s) without pods in status.allocatable (or capacity): kube-scheduler places no pod there"]
    );

    // A PodList with a Pod whose kind is given, and a generic List of both.
    let c = read(
        r#"{"kind": "List", "items": [
            {"kind": "Node", "metadata": {"name": "n1"}},
            {"kind": "PodList", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}
        ]}"#,
    );
    assert_eq!(c.nodes.len(), 1);
    assert_eq!(keys(&c), ["default/a", "default/b"]);
    // A JSON array of objects, and concatenated JSON documents.
    let c = read(
        r#"[{"kind": "Pod", "metadata": {"name": "a"}}, {"kind": "Pod", "metadata": {"name": "b"}}]"#,
    );
    assert_eq!(keys(&c), ["default/a", "default/b"]);
    let c = read("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"b\"}}");
    assert_eq!(keys(&c), ["default/a", "default/b"]);
    // An empty list is a valid (empty) input.
    let c = read(r#"{"kind": "PodList", "items": []}"#);
    assert!(c.pods.is_empty());
}

#[test]
fn yaml_multi_document_streams() {
    let c = read(
        r#"
# a comment
---
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {kubernetes.io/hostname: n1, zone: "1"}
spec:
  unschedulable: true
  taints:
  - {key: dedicated, value: gpu, effect: NoSchedule}
  - key: soft
    effect: PreferNoSchedule
status:
  allocatable: {cpu: 2, memory: 8Gi, pods: "110", nvidia.com/gpu: "1", hugepages-2Mi: 0}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: web-0, namespace: shop, labels: {app: web}}
  spec:
    nodeName: n1
    containers:
    - name: c
      resources:
        requests: {cpu: 0.5, memory: 512Mi}
  status:
    phase: Running
    conditions:
    - {type: Ready, status: "True", lastProbeTime: null}
- apiVersion: v1
  kind: Pod
  metadata: {name: done, namespace: shop}
  spec: {containers: [{name: c}]}
  status: {phase: Succeeded}
...
"#,
    );
    let n = &c.nodes[0];
    assert!(n.unschedulable);
    assert_eq!(n.labels["zone"], "1");
    assert_eq!(n.taints.len(), 2);
    assert_eq!(n.taints[0].effect, TaintEffect::NoSchedule);
    assert_eq!(n.taints[1].effect, TaintEffect::PreferNoSchedule);
    assert_eq!(n.taints[1].value, "");
    assert_eq!(n.allocatable.milli_cpu, 2000);
    assert_eq!(n.allocatable.scalar("nvidia.com/gpu"), 1);
    assert_eq!(n.allocatable.scalars.len(), 2);
    assert_eq!(keys(&c), ["shop/web-0", "shop/done"]);
    let web = &c.pods[0];
    assert_eq!(web.spec.requests.milli_cpu, 500);
    assert_eq!(web.spec.requests.memory, 512 << 20);
    assert_eq!(web.phase, PodPhase::Running);
    assert!(web.ready && web.is_bound());
    assert_eq!(web.node, Some(podplan::model::NodeId(0)));
    assert!(c.pods[1].is_terminal());
}

#[test]
fn nulls_and_unknown_fields_are_ignored() {
    let c = read(
        r#"{"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "p", "namespace": null, "labels": null, "ownerReferences": null,
                         "managedFields": [{"f:spec": {}}], "annotations": {"x": "{\"json\": 1}"}},
            "spec": {"nodeName": null, "containers": [null, {"name": "c", "resources": null,
                     "ports": [{"containerPort": 80, "hostPort": null}]}],
                     "initContainers": null, "affinity": null, "tolerations": [null],
                     "topologySpreadConstraints": null, "volumes": [{"name": "v", "emptyDir": null}],
                     "weirdField": {"deep": [1, 2, {"x": null}]}},
            "status": null}"#,
    );
    let p = &c.pods[0];
    assert_eq!(p.namespace, "default");
    assert!(p.labels.is_empty() && p.owner.is_none() && p.node_name.is_none());
    assert!(p.spec.requests.is_zero());
    assert!(p.spec.host_ports.is_empty() && p.spec.tolerations.is_empty());
    assert!(!p.spec.has_local_storage);
    assert_eq!(p.phase, PodPhase::Pending);
    assert!(p.is_pending());
}

#[test]
fn pod_fields() {
    let c = read(
        r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ml
  labels: {app: train, team: a}
  deletionTimestamp: "2024-01-01T00:00:00Z"
  ownerReferences:
  - {kind: Node, name: n0}
  - {kind: StatefulSet, name: train, controller: true}
spec:
  hostNetwork: true
  priority: 7
  priorityClassName: high
  nodeSelector: {disk: ssd}
  tolerations:
  - {operator: Exists}
  - {key: gpu, value: "yes", effect: NoSchedule}
  - {key: spot, operator: Exists, effect: ""}
  volumes: [{name: scratch, emptyDir: {}}]
  initContainers:
  - name: init
    ports: [{containerPort: 9000, hostPort: 9000}]
  - name: sidecar
    restartPolicy: Always
    ports: [{containerPort: 9100, protocol: UDP}]
  containers:
  - name: c
    ports:
    - {containerPort: 8080, hostIP: 10.0.0.1}
    - {containerPort: 8081, hostPort: 18081}
    resources:
      limits: {nvidia.com/gpu: 2, cpu: "1"}
      requests: {cpu: 250m}
  overhead: {memory: 10Mi}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: In, values: ["1", "2"]}
          - {key: cores, operator: Gt, values: ["4"]}
          matchFields:
          - {key: metadata.name, operator: NotIn, values: [bad]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 20
        preference:
          matchExpressions: [{key: disk, operator: Exists}]
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    minDomains: 3
    nodeTaintsPolicy: Honor
    labelSelector: {matchLabels: {app: train}}
  - maxSkew: 2
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
status:
  phase: Pending
  conditions: [{type: Ready, status: "False"}]
"#,
    );
    let p = &c.pods[0];
    assert!(p.terminating);
    assert!(!p.ready);
    let owner = p.owner.as_ref().unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("StatefulSet", "train")
    );
    let s = &p.spec;
    // spec.priority wins over the class name.
    assert_eq!(s.priority, 7);
    assert_eq!(s.priority_class_name.as_deref(), Some("high"));
    assert_eq!(s.node_selector, labels([("disk", "ssd")]));
    assert_eq!(s.tolerations.len(), 3);
    assert_eq!(s.tolerations[0].operator, TolerationOperator::Exists);
    assert_eq!(s.tolerations[0].effect, None);
    assert_eq!(s.tolerations[1].operator, TolerationOperator::Equal);
    assert_eq!(s.tolerations[1].effect, Some(TaintEffect::NoSchedule));
    assert_eq!(s.tolerations[2].effect, None);
    assert!(s.has_local_storage);
    // Host ports: sidecar + containers; hostNetwork defaults hostPort to
    // containerPort; plain init containers do not count.
    let ports: Vec<(String, String, i32)> = s
        .host_ports
        .iter()
        .map(|h| (h.host_ip.clone(), h.protocol.clone(), h.port))
        .collect();
    assert_eq!(
        ports,
        [
            (String::new(), "UDP".to_string(), 9100),
            ("10.0.0.1".to_string(), "TCP".to_string(), 8080),
            (String::new(), "TCP".to_string(), 18081),
        ]
    );
    // Requests: cpu request, gpu from its limit, overhead memory.
    assert_eq!(s.requests.milli_cpu, 250);
    assert_eq!(s.requests.scalar("nvidia.com/gpu"), 2);
    assert_eq!(s.requests.memory, 10 << 20);
    let req = s.required_node_affinity.as_ref().unwrap();
    assert_eq!(req.terms.len(), 1);
    assert_eq!(
        req.terms[0].match_expressions[1],
        Requirement::new("cores", Operator::Gt, &["4"])
    );
    assert_eq!(
        req.terms[0].match_fields[0],
        Requirement::new("metadata.name", Operator::NotIn, &["bad"])
    );
    assert_eq!(s.preferred_node_affinity[0].weight, 20);
    let t = &s.topology_spread;
    assert_eq!(t[0].when_unsatisfiable, UnsatisfiableAction::ScheduleAnyway);
    assert_eq!(t[0].min_domains, Some(3));
    assert_eq!(t[0].node_affinity_policy, InclusionPolicy::Honor);
    assert_eq!(t[0].node_taints_policy, InclusionPolicy::Honor);
    assert!(t[0].selector.matches(&labels([("app", "train")])));
    // A nil labelSelector selects nothing.
    assert_eq!(t[1].selector, LabelSelector::nothing());
    assert_eq!(t[1].node_taints_policy, InclusionPolicy::Ignore);
    assert_eq!(t[1].max_skew, 2);
}

#[test]
fn pod_affinity_terms_and_label_keys() {
    let c = read(
        r#"
kind: Pod
metadata: {name: p, namespace: shop, labels: {app: web, pod-template-hash: abc, tenant: t1}}
spec:
  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: zone
        labelSelector: {matchLabels: {app: db}}
        matchLabelKeys: [tenant, missing]
      - topologyKey: zone
        namespaceSelector: {}
        labelSelector: {matchExpressions: [{key: app, operator: Exists}]}
      - topologyKey: zone
        namespaces: [other]
        matchLabelKeys: [tenant]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector: {}
        mismatchLabelKeys: [tenant]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector: {matchLabels: {app: web}}
          matchLabelKeys: [pod-template-hash]
          namespaceSelector: {matchLabels: {env: prod}}
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: zone
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {app: web}}
    matchLabelKeys: [pod-template-hash, nothere]
"#,
    );
    let s = &c.pods[0].spec;
    let a = &s.pod_affinity;
    assert_eq!(a.len(), 3);
    assert_eq!(
        a[0].selector.requirements,
        [
            Requirement::new("app", Operator::In, &["db"]),
            Requirement::new("tenant", Operator::In, &["t1"]),
        ]
    );
    assert_eq!(a[0].namespaces, ["shop"]);
    assert_eq!(a[0].namespace_selector, None);
    assert_eq!(a[1].namespaces, Vec::<String>::new());
    assert_eq!(a[1].namespace_selector, Some(LabelSelector::everything()));
    // A missing labelSelector is nil: matches nothing, keys do not change it.
    assert_eq!(a[2].selector, LabelSelector::nothing());
    assert_eq!(a[2].namespaces, ["other"]);
    let anti = &s.pod_anti_affinity[0];
    assert_eq!(
        anti.selector.requirements,
        [Requirement::new("tenant", Operator::NotIn, &["t1"])]
    );
    assert!(anti.selector.matches(&labels([("tenant", "t2")])));
    assert!(!anti.selector.matches(&labels([("tenant", "t1")])));
    let pref = &s.preferred_pod_anti_affinity[0];
    assert_eq!(pref.weight, 100);
    assert_eq!(pref.term.selector.requirements.len(), 2);
    assert!(pref.term.namespaces.is_empty());
    assert!(pref
        .term
        .namespace_selector
        .as_ref()
        .unwrap()
        .matches(&labels([("env", "prod")])));
    let spread = &s.topology_spread[0];
    assert_eq!(
        spread.selector.requirements,
        [
            Requirement::new("app", Operator::In, &["web"]),
            Requirement::new("pod-template-hash", Operator::In, &["abc"]),
        ]
    );
    assert_eq!(
        spread.when_unsatisfiable,
        UnsatisfiableAction::DoNotSchedule
    );
}

const NODE: &str =
    r#"{"kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "4"}}}"#;

fn deployment(name: &str, replicas: i32) -> String {
    format!(
        r#"{{"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {{"name": "{name}", "namespace": "shop"}},
            "spec": {{"replicas": {replicas}, "selector": {{"matchLabels": {{"app": "{name}"}}}},
                      "template": {{"metadata": {{"labels": {{"app": "{name}"}}, "creationTimestamp": null}},
                                   "spec": {{"containers": [{{"name": "c", "resources": {{"requests": {{"cpu": "100m"}}}}}}]}}}}}}}}"#
    )
}

fn owned_pod(name: &str, app: &str, owner_kind: &str, owner: &str, extra: &str) -> String {
    format!(
        r#"{{"kind": "Pod", "metadata": {{"name": "{name}", "namespace": "shop", "labels": {{"app": "{app}"}},
            "ownerReferences": [{{"kind": "{owner_kind}", "name": "{owner}", "controller": true}}]{extra}}},
            "spec": {{"nodeName": "n1", "containers": [{{"name": "c", "resources": {{"requests": {{"cpu": "100m"}}}}}}]}},
            "status": {{"phase": "Running"}}}}"#
    )
}

#[test]
fn workload_expansion_without_pods() {
    let c = read_all(&[NODE, &deployment("web", 3)]);
    assert_eq!(keys(&c), ["shop/web-0", "shop/web-1", "shop/web-2"]);
    assert!(c.pods.iter().all(|p| p.is_pending()
        && p.origin == PodOrigin::Workload(WorkloadId(0))
        && p.labels == labels([("app", "web")])
        && p.phase == PodPhase::Pending));
    assert!(Arc::ptr_eq(&c.pods[0].spec, &c.pods[2].spec));
    assert!(Arc::ptr_eq(&c.pods[0].spec, &c.workloads[0].spec));
    assert_eq!(c.pods[0].spec.requests.milli_cpu, 100);
    let w = &c.workloads[0];
    assert_eq!((w.kind, w.replicas), (WorkloadKind::Deployment, 3));
    assert!(w.selector.matches(&labels([("app", "web")])));
    // replicas defaults to 1; 0 adds nothing.
    let c =
        read(r#"{"kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {"template": {}}}"#);
    assert_eq!(keys(&c), ["default/db-0"]);
    let c = read(&deployment("web", 0));
    assert!(c.pods.is_empty());
    assert_eq!(c.workloads.len(), 1);
}

#[test]
fn workload_expansion_subtracts_owned_pods() {
    // Two pods owned by a ReplicaSet that is not in the input, with a name
    // unrelated to the Deployment's: the selector and owner kind suffice.
    let c = read_all(&[
        NODE,
        &owned_pod("a", "web", "ReplicaSet", "rs-xyz", ""),
        &owned_pod("b", "web", "ReplicaSet", "rs-xyz", ""),
        // Not counted: another app, an unowned pod, a finished pod.
        &owned_pod("c", "api", "ReplicaSet", "api-1", ""),
        r#"{"kind": "Pod", "metadata": {"name": "d", "namespace": "shop", "labels": {"app": "web"}}}"#,
        &owned_pod("e", "web", "ReplicaSet", "rs-xyz", "").replace("Running", "Succeeded"),
        &deployment("web", 3),
    ]);
    let added: Vec<String> = c
        .pods
        .iter()
        .filter(|p| p.origin != PodOrigin::Input)
        .map(|p| p.key())
        .collect();
    assert_eq!(added, ["shop/web-0"]);
    // Pod objects first, in input order; the shared spec of one owner.
    assert_eq!(
        &keys(&c)[..5],
        ["shop/a", "shop/b", "shop/c", "shop/d", "shop/e"]
    );
    assert!(Arc::ptr_eq(&c.pods[0].spec, &c.pods[1].spec));

    // Enough owned pods: nothing added. A terminating pod does not count
    // for a Deployment (its ReplicaSet replaces it at once)...
    let term = r#", "deletionTimestamp": "2024-01-01T00:00:00Z""#;
    let c = read_all(&[
        &owned_pod("a", "web", "ReplicaSet", "web-5d4f", ""),
        &owned_pod("b", "web", "ReplicaSet", "web-5d4f", term),
        &deployment("web", 2),
    ]);
    assert_eq!(keys(&c), ["shop/a", "shop/b", "shop/web-0"]);
    // ...but does for a StatefulSet (the ordinal is recreated once it is gone).
    let sts = r#"{"kind": "StatefulSet", "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}}}}"#;
    let c = read_all(&[
        &owned_pod("db-0", "db", "StatefulSet", "db", term),
        &owned_pod("db-2", "db", "StatefulSet", "db", ""),
        sts,
    ]);
    // The missing ordinal's name is free; existing names are skipped.
    assert_eq!(keys(&c), ["shop/db-0", "shop/db-2", "shop/db-1"]);
}

#[test]
fn replica_set_of_a_deployment_in_the_input_adds_nothing() {
    let rs = r#"{"kind": "ReplicaSet", "apiVersion": "apps/v1",
        "metadata": {"name": "web-5d4f", "namespace": "shop",
                     "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}}}}"#;
    let c = read_all(&[
        &owned_pod("a", "web", "ReplicaSet", "web-5d4f", ""),
        rs,
        &deployment("web", 3),
    ]);
    assert_eq!(keys(&c), ["shop/a", "shop/web-0", "shop/web-1"]);
    assert!(c.pods[1..]
        .iter()
        .all(|p| p.origin == PodOrigin::Workload(WorkloadId(1))));
    assert_eq!(c.workloads[0].owner.as_ref().unwrap().name, "web");
    // A standalone ReplicaSet creates its own pods and counts only its own.
    let standalone = rs.replace(
        r#""ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]"#,
        r#""labels": {}"#,
    );
    let c = read_all(&[
        &owned_pod("a", "web", "ReplicaSet", "web-5d4f", ""),
        &standalone,
    ]);
    assert_eq!(keys(&c), ["shop/a", "shop/web-5d4f-0", "shop/web-5d4f-1"]);
}

#[test]
fn jobs_run_their_parallelism() {
    let job = |spec: &str, status: &str| {
        format!(
            r#"{{"kind": "Job", "apiVersion": "batch/v1", "metadata": {{"name": "j"}},
                "spec": {{{spec}"template": {{"spec": {{"restartPolicy": "Never"}}}}}}, "status": {{{status}}}}}"#
        )
    };
    assert_eq!(read(&job("", "")).pods.len(), 1);
    assert_eq!(read(&job(r#""parallelism": 4,"#, "")).pods.len(), 4);
    assert_eq!(
        read(&job(
            r#""parallelism": 4, "completions": 6,"#,
            r#""succeeded": 3"#
        ))
        .pods
        .len(),
        3
    );
    assert_eq!(
        read(&job(r#""parallelism": 4, "suspend": true,"#, ""))
            .pods
            .len(),
        0
    );
    let done = r#""conditions": [{"type": "Complete", "status": "True"}]"#;
    assert_eq!(read(&job(r#""parallelism": 4,"#, done)).pods.len(), 0);
    // Running pods of the Job count.
    let c = read_all(&[
        &job(r#""parallelism": 2,"#, ""),
        &owned_pod("j-abc", "x", "Job", "j", "").replace("shop", "default"),
    ]);
    assert_eq!(keys(&c), ["default/j-abc", "default/j-0"]);
}

#[test]
fn priority_resolution() {
    let classes = r#"
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: default-low}
value: 5
globalDefault: true
"#;
    let pods = r#"
kind: Pod
metadata: {name: named}
spec: {priorityClassName: high}
---
kind: Pod
metadata: {name: explicit}
spec: {priorityClassName: high, priority: 3}
---
kind: Pod
metadata: {name: none}
---
kind: Pod
metadata: {name: critical}
spec: {priorityClassName: system-node-critical}
---
kind: Pod
metadata: {name: cluster-critical}
spec: {priorityClassName: system-cluster-critical}
---
kind: Pod
metadata: {name: unknown}
spec: {priorityClassName: nope}
"#;
    // Classes may come after the pods that use them.
    let c = read_all(&[
        pods,
        classes,
        &deployment("web", 1).replace(
            r#""containers""#,
            r#""priorityClassName": "high", "containers""#,
        ),
    ]);
    let prio: Vec<(String, i32)> = c
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.spec.priority))
        .collect();
    assert_eq!(
        prio,
        [
            ("named".to_string(), 1000),
            ("explicit".to_string(), 3),
            ("none".to_string(), 5),
            ("critical".to_string(), 2_000_001_000),
            ("cluster-critical".to_string(), 2_000_000_000),
            ("unknown".to_string(), 0),
            ("web-0".to_string(), 1000),
        ]
    );
    assert_eq!(c.priority_classes["high"], 1000);
    assert!(
        c.warnings.iter().any(|w| w.contains("\"nope\"")),
        "{:?}",
        c.warnings
    );
    // Without a global default, no class means 0; an input may redefine a
    // built-in name.
    let c = read(
        "kind: Pod\nmetadata: {name: a}\n---\nkind: PriorityClass\nmetadata: {name: system-node-critical}\nvalue: 9\n---\nkind: Pod\nmetadata: {name: b}\nspec: {priorityClassName: system-node-critical}\n",
    );
    assert_eq!(c.pods[0].spec.priority, 0);
    assert_eq!(c.pods[1].spec.priority, 9);
}

#[test]
fn unknown_kinds_warn_once_per_kind() {
    let c = read(
        r#"{"kind": "List", "items": [
            {"kind": "Service", "metadata": {"name": "a"}},
            {"kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"x": "y"}},
            {"kind": "Service", "metadata": {"name": "c"}, "spec": {"ports": "garbage"}},
            {"kind": "Service"},
            {"kind": "NodePool", "apiVersion": "karpenter.sh/v1", "metadata": {"name": "k"}},
            {"metadata": {"name": "kindless"}},
            {"kind": "Pod", "metadata": {"name": "p"}}
        ]}"#,
    );
    assert_eq!(
        c.warnings,
        [
            "skipped 3 objects of kind Service",
            "skipped 1 object of kind ConfigMap",
            "skipped 1 object of kind NodePool (karpenter.sh/v1)",
            "skipped 1 object without a kind",
        ]
    );
    assert_eq!(keys(&c), ["default/p"]);
}

#[test]
fn daemon_sets_pdbs_namespaces() {
    let c = read(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      priorityClassName: system-node-critical
      tolerations: [{operator: Exists}]
      containers: [{name: a, resources: {requests: {cpu: 50m, memory: 64Mi}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: all, namespace: shop}
spec: {selector: {}, maxUnavailable: 25%, unhealthyPodEvictionPolicy: AlwaysAllow}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: none, namespace: shop}
spec: {selector: {}, minAvailable: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: nil, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
"#,
    );
    assert!(c.pods.is_empty(), "DaemonSets create no pods at ingest");
    let d = &c.daemon_sets[0];
    assert_eq!(d.template_labels, labels([("app", "agent")]));
    assert_eq!(d.spec.requests.milli_cpu, 50);
    assert_eq!(d.spec.priority, 2_000_001_000);
    let all = &c.pdbs[0];
    assert!(all.selector_empty);
    assert!(all.selector.matches(&labels([("any", "thing")])));
    assert_eq!(all.max_unavailable, Some(IntOrPercent::Percent(25)));
    assert_eq!(
        all.unhealthy_pod_eviction_policy,
        UnhealthyPodEvictionPolicy::AlwaysAllow
    );
    let none = &c.pdbs[1];
    assert!(none.selector_empty);
    assert!(!none.selector.matches(&labels([("any", "thing")])));
    assert_eq!(none.min_available, Some(IntOrPercent::Int(1)));
    assert_eq!(
        none.unhealthy_pod_eviction_policy,
        UnhealthyPodEvictionPolicy::IfHealthyBudget
    );
    assert!(c.pdbs[2].selector_empty && !c.pdbs[2].selector.matches(&labels([])));
    assert_eq!(
        c.namespace_labels["shop"],
        labels([("env", "prod"), ("kubernetes.io/metadata.name", "shop")])
    );
}

#[test]
fn pools_and_node_membership() {
    let c = read_all(&[
        r#"{"kind": "Node", "metadata": {"name": "aks-gpu-0", "labels": {"kubernetes.azure.com/agentpool": "gpu"}}}"#,
        r#"{"kind": "Node", "metadata": {"name": "other", "labels": {"kubernetes.azure.com/agentpool": "nope"}}}"#,
        "apiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {name: gpu}\nspec: {vmSize: Standard_NC24ads_A100_v4, maxCount: 3, costPerHour: 3.67}\n",
    ]);
    assert_eq!(c.pools.len(), 1);
    assert_eq!(c.pools[0].name, "gpu");
    assert_eq!(c.nodes[0].pool, Some(podplan::model::PoolId(0)));
    assert_eq!(c.nodes[1].pool, None);
}

#[test]
fn bound_pods_resolve_their_node_across_inputs() {
    let c = read_all(&[
        &owned_pod("a", "web", "ReplicaSet", "x", ""),
        r#"{"kind": "Pod", "metadata": {"name": "b"}, "spec": {"nodeName": "elsewhere"}}"#,
        NODE,
    ]);
    assert_eq!(c.pods[0].node, Some(podplan::model::NodeId(0)));
    // A pod bound to a node not in the scenario is still bound.
    assert!(c.pods[1].is_bound());
    assert_eq!(c.pods[1].node, None);
}

#[test]
fn bound_pods_hold_allocated_resources() {
    let c = read(
        r#"{"kind": "Pod", "metadata": {"name": "p"},
            "spec": {"nodeName": "n", "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c",
                "allocatedResources": {"cpu": "200m"}, "resources": {"requests": {"cpu": "150m"}}}]}}"#,
    );
    assert_eq!(c.pods[0].spec.requests.milli_cpu, 200);
}

#[test]
fn later_duplicates_win() {
    let c = read_all(&[
        r#"{"kind": "Pod", "metadata": {"name": "a"}, "spec": {"priority": 1}}"#,
        r#"{"kind": "Pod", "metadata": {"name": "b"}}"#,
        r#"{"kind": "Pod", "metadata": {"name": "a"}, "spec": {"priority": 2}}"#,
    ]);
    assert_eq!(keys(&c), ["default/a", "default/b"]);
    assert_eq!(c.pods[0].spec.priority, 2);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
}

#[test]
fn flow_style_yaml_and_bom() {
    let c = read("\u{feff}{kind: Pod, metadata: {name: p}}");
    assert_eq!(keys(&c), ["default/p"]);
}

#[test]
fn yaml_as_kubectl_reads_it() {
    // Merge keys, anchors and aliases, numeric keys, tags.
    let c = read(
        r#"
defaults: &requests {cpu: 250m}
kind: Pod
metadata:
  name: p
  labels: &labels {app: web, 1: one}
spec:
  nodeSelector: *labels
  containers:
  - name: c
    resources:
      requests:
        <<: *requests
        memory: !!str 1Gi
"#,
    );
    let p = &c.pods[0];
    assert_eq!(p.spec.requests.milli_cpu, 250);
    assert_eq!(p.spec.requests.memory, 1 << 30);
    assert_eq!(p.labels, labels([("1", "one"), ("app", "web")]));
    assert_eq!(p.spec.node_selector, p.labels);
}
