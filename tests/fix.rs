//! `explain --fix`: every fix, applied to the input's objects by this
//! test's own JSON Patch applier (RFC 6902, written here independently of
//! podplan) and read back, makes its pod fit on the nodes the fix names.
//! One scenario per kind of fix, plus random generated clusters.

use podplan::families::family;
use podplan::generate::{generate, GenerateOptions, LadderSize};
use podplan::report::fix::{Change, Fix, FixKind};
use podplan::{explain, read_scenario, ExplainOptions, Input};
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------
// An RFC 6901/6902 applier of the operations podplan emits.

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The parent of `path` and the last token.
fn parent_mut<'v>(doc: &'v mut Value, path: &str) -> Result<(&'v mut Value, String), String> {
    let tokens: Vec<String> = path
        .strip_prefix('/')
        .ok_or(format!("bad pointer {path}"))?
        .split('/')
        .map(unescape)
        .collect();
    let (last, parents) = tokens.split_last().ok_or("empty pointer")?;
    let mut at = doc;
    for t in parents {
        at = match at {
            Value::Object(m) => m.get_mut(t).ok_or(format!("{path}: no member {t}"))?,
            Value::Array(a) => {
                let i: usize = t.parse().map_err(|_| format!("{path}: bad index {t}"))?;
                a.get_mut(i).ok_or(format!("{path}: no element {i}"))?
            }
            _ => return Err(format!("{path}: {t} is not in a container")),
        };
    }
    Ok((at, last.clone()))
}

fn get(doc: &Value, path: &str) -> Result<Value, String> {
    let mut at = doc;
    for t in path
        .strip_prefix('/')
        .ok_or("bad pointer")?
        .split('/')
        .map(unescape)
    {
        at = match at {
            Value::Object(m) => m.get(&t).ok_or(format!("{path}: no member {t}"))?,
            Value::Array(a) => a
                .get(t.parse::<usize>().map_err(|_| "bad index")?)
                .ok_or(format!("{path}: no element"))?,
            _ => return Err(format!("{path}: not a container")),
        };
    }
    Ok(at.clone())
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) if last == "-" => a.push(value),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("{path}: bad index"))?;
            if i > a.len() {
                return Err(format!("{path}: index past the end"));
            }
            a.insert(i, value);
        }
        _ => return Err(format!("{path}: parent is not a container")),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<(), String> {
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => m
            .remove(&last)
            .map(|_| ())
            .ok_or(format!("{path}: no member")),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("{path}: bad index"))?;
            (i < a.len())
                .then(|| a.remove(i))
                .map(|_| ())
                .ok_or(format!("{path}: no element"))
        }
        _ => Err(format!("{path}: parent is not a container")),
    }
}

fn apply_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("patch is not an array")? {
        let path = op["path"].as_str().ok_or("op without path")?;
        match op["op"].as_str() {
            Some("add") => add(doc, path, op["value"].clone())?,
            Some("remove") => remove(doc, path)?,
            Some("replace") => {
                get(doc, path)?;
                remove(doc, path)?;
                add(doc, path, op["value"].clone())?;
            }
            Some("copy") => {
                let value = get(doc, op["from"].as_str().ok_or("copy without from")?)?;
                add(doc, path, value)?;
            }
            other => return Err(format!("unexpected op {other:?}")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// The objects of a YAML stream or JSON List, one `Value` each.
fn objects(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v: Value = serde::Deserialize::deserialize(doc).unwrap();
        match v.get("items").and_then(Value::as_array) {
            Some(items) => out.extend(items.iter().cloned()),
            None if v.is_object() => out.push(v),
            None => {}
        }
    }
    out
}

/// `objects` with `change` applied to its target (which must exist).
fn apply(objects: &mut Vec<Value>, change: &Change) {
    let t = &change.target;
    let position = objects
        .iter()
        .position(|o| {
            o["kind"] == t.kind.as_str()
                && o["metadata"]["name"] == t.name.as_str()
                && t.namespace
                    .as_deref()
                    .is_none_or(|ns| o["metadata"]["namespace"].as_str().unwrap_or("default") == ns)
        })
        .unwrap_or_else(|| panic!("no object {t:?} in the input"));
    if change.delete {
        objects.remove(position);
        return;
    }
    let target = &mut objects[position];
    let patch = serde_json::to_value(&change.patch).unwrap();
    apply_patch(target, &patch).unwrap_or_else(|e| panic!("{t:?}: {e}"));
}

/// Explains `objects`, with or without pools.
fn explain_objects(objects: &[Value], with_pools: bool) -> podplan::ExplainReport {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
    let text = list.to_string();
    let cluster = read_scenario(&[Input::new("patched.json", &text)]).expect("patched input reads");
    let options = ExplainOptions {
        with_pools,
        ..ExplainOptions::default()
    };
    explain(&cluster, &options).unwrap()
}

/// Every fix of every pod of `text`: applied alone, its pod is feasible on
/// every node it names. Returns the kinds found per pod.
fn check_every_fix(text: &str, with_pools: bool) -> Vec<(String, Vec<FixKind>)> {
    let cluster = read_scenario(&[Input::new("case.yaml", text)]).unwrap();
    let options = ExplainOptions {
        with_pools,
        fix: true,
        ..ExplainOptions::default()
    };
    let report = explain(&cluster, &options).unwrap();
    let base = objects(text);
    let mut kinds = Vec::new();
    // Replicas share their fixes: each distinct one is checked once.
    let mut checked = std::collections::HashSet::new();
    for pod in &report.pods {
        let Some(fixes) = &pod.fixes else { continue };
        for fix in fixes {
            if checked.insert(serde_json::to_string(fix).unwrap()) {
                check_fix(&base, &pod.pod, fix, with_pools);
            }
        }
        kinds.push((pod.pod.clone(), fixes.iter().map(|f| f.kind).collect()));
    }
    kinds
}

/// `explain --fix` of `text`, without pools.
fn explain_with_fixes(text: &str) -> podplan::ExplainReport {
    let cluster = read_scenario(&[Input::new("case.yaml", text)]).unwrap();
    let options = ExplainOptions {
        fix: true,
        ..ExplainOptions::default()
    };
    explain(&cluster, &options).unwrap()
}

fn check_fix(base: &[Value], pod: &str, fix: &Fix, with_pools: bool) {
    assert!(!fix.fits_on.is_empty(), "{pod}: {fix:?}");
    let mut patched = base.to_vec();
    for change in &fix.changes {
        apply(&mut patched, change);
    }
    let after = explain_objects(&patched, with_pools);
    let entry = after
        .pods
        .iter()
        .find(|p| p.pod == pod)
        .unwrap_or_else(|| panic!("{pod} is no longer pending after {fix:?}"));
    let feasible = after.feasible_nodes(entry);
    for node in &fix.fits_on {
        assert!(
            feasible.contains(node),
            "{pod}: after {:?} ({}), {node} is not feasible: {}",
            fix.kind,
            fix.summary,
            entry.message
        );
    }
}

const NODES: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: general-0
  labels: {kubernetes.azure.com/agentpool: general, topology.kubernetes.io/zone: westeurope-1, kubernetes.io/hostname: general-0}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata:
  name: general-1
  labels: {kubernetes.azure.com/agentpool: general, topology.kubernetes.io/zone: westeurope-2, kubernetes.io/hostname: general-1}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
"#;

fn case(extra: &str) -> String {
    format!("{NODES}---\n{extra}")
}

fn kinds_of(found: &[(String, Vec<FixKind>)], pod_prefix: &str) -> Vec<FixKind> {
    let (_, kinds) = found
        .iter()
        .find(|(p, _)| p.starts_with(pod_prefix))
        .unwrap_or_else(|| panic!("no fixes for {pod_prefix}: {found:?}"));
    kinds.clone()
}

#[test]
fn a_selector_typo_in_a_template_only_deployment_is_respelled() {
    let text = case(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.azure.com/agentpool: gneral}
      containers: [{name: web, resources: {requests: {cpu: 500m}}}]
"#,
    );
    let found = check_every_fix(&text, false);
    assert_eq!(found.len(), 2, "both replicas: {found:?}");
    assert_eq!(kinds_of(&found, "shop/web")[0], FixKind::NodeSelector);
    let report = explain_with_fixes(&text);
    let fix = &report.pods[0].fixes.as_ref().unwrap()[0];
    assert!(fix.summary.contains("gneral → general"), "{}", fix.summary);
    assert_eq!(fix.changes[0].target.kind, "Deployment");
}

#[test]
fn a_zone_that_does_not_exist_becomes_the_closest_one() {
    let text = case(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: data}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: topology.kubernetes.io/zone, operator: In, values: [westeurope-4]}
          - {key: kubernetes.azure.com/agentpool, operator: In, values: [general]}
  containers: [{name: db}]
"#,
    );
    let found = check_every_fix(&text, false);
    assert_eq!(kinds_of(&found, "data/db-0")[0], FixKind::NodeAffinity);
}

#[test]
fn a_cordoned_node_and_a_taint_are_fixed_by_uncordon_toleration_and_untaint() {
    let text = format!(
        "{}---\n{}",
        r#"
apiVersion: v1
kind: Node
metadata: {name: gpu-0, labels: {kubernetes.io/hostname: gpu-0}}
spec:
  unschedulable: true
  taints: [{key: sku, value: gpu, effect: NoSchedule}]
status: {allocatable: {cpu: "8", memory: 64Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu-1, labels: {kubernetes.io/hostname: gpu-1}}
spec:
  taints: [{key: sku, value: gpu, effect: NoSchedule}]
status: {allocatable: {cpu: "8", memory: 64Gi, pods: "110"}}
"#,
        r#"
apiVersion: v1
kind: Pod
metadata: {name: big, namespace: ml}
spec:
  tolerations: [{key: sku, operator: Equal, value: gpu, effect: NoSchedule}]
  containers: [{name: big, resources: {requests: {cpu: "7"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: small, namespace: ml}
spec:
  containers: [{name: small, resources: {requests: {cpu: "3"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: filler, namespace: ml}
spec:
  nodeName: gpu-1
  tolerations: [{operator: Exists}]
  containers: [{name: f, resources: {requests: {cpu: "4"}}}]
"#
    );
    let found = check_every_fix(&text, false);
    assert!(
        kinds_of(&found, "ml/big").contains(&FixKind::Uncordon),
        "{found:?}"
    );
    let small = kinds_of(&found, "ml/small");
    assert!(small.contains(&FixKind::AddToleration), "{small:?}");
    assert!(small.contains(&FixKind::RemoveTaint), "{small:?}");
    assert_eq!(
        small.last(),
        Some(&FixKind::RemoveTaint),
        "RemoveTaint ranks last"
    );
}

#[test]
fn requests_too_large_are_reduced_to_what_a_node_has_free() {
    // Limits only: the requests default to the limits.
    let text = case(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: data}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: cache, resources: {limits: {cpu: "6", memory: 20Gi}}}]
"#,
    );
    let found = check_every_fix(&text, false);
    assert_eq!(kinds_of(&found, "data/cache")[0], FixKind::ReduceRequests);
}

#[test]
fn a_spread_blocked_by_an_empty_tainted_zone_honours_taints() {
    let text = format!(
        "{}---\n{}",
        case(
            r#"
apiVersion: v1
kind: Node
metadata:
  name: tainted-0
  labels: {topology.kubernetes.io/zone: westeurope-3, kubernetes.io/hostname: tainted-0}
spec:
  taints: [{key: dedicated, value: infra, effect: NoSchedule}]
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
"#
        ),
        r#"
apiVersion: v1
kind: Pod
metadata: {name: api-a, namespace: shop, labels: {app: api}}
spec: {nodeName: general-0, containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-b, namespace: shop, labels: {app: api}}
spec: {nodeName: general-1, containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-c, namespace: shop, labels: {app: api}}
spec:
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}
  containers: [{name: a}]
"#
    );
    let found = check_every_fix(&text, false);
    let kinds = kinds_of(&found, "shop/api-c");
    assert!(kinds.contains(&FixKind::RelaxTopologySpread), "{kinds:?}");
    let report = explain_with_fixes(&text);
    let fixes = report.pods[0].fixes.as_ref().unwrap();
    assert!(
        fixes.iter().any(|f| f.summary.contains("Ignore → Honor")),
        "{fixes:?}"
    );
}

#[test]
fn hostname_anti_affinity_with_more_replicas_than_nodes_is_made_preferred() {
    let bound = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: web}}}}\nspec: {{nodeName: {node}, containers: [{{name: w}}]}}\n"
        )
    };
    let text = format!(
        "{}---\n{}---\n{}---\n{}",
        NODES,
        bound("web-a", "general-0"),
        bound("web-b", "general-1"),
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web-c, namespace: shop, labels: {app: web}}
spec:
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}
  containers: [{name: w}]
"#
    );
    let found = check_every_fix(&text, false);
    assert!(kinds_of(&found, "shop/web-c").contains(&FixKind::RelaxPodAntiAffinity));
}

#[test]
fn a_deployment_with_more_replicas_than_nodes_relaxes_its_template() {
    let bound = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: api}}, ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d8f7c, controller: true}}]}}\nspec: {{nodeName: {node}, containers: [{{name: a}}]}}\n"
        )
    };
    let text = format!(
        "{NODES}---\n{}---\n{}---\n{}",
        bound("api-5d8f7c-aaaaa", "general-0"),
        bound("api-5d8f7c-bbbbb", "general-1"),
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: api}}}
      containers: [{name: a}]
"#
    );
    let report = explain_with_fixes(&text);
    assert_eq!(report.pods.len(), 1, "one replica missing");
    let fixes = report.pods[0].fixes.as_ref().expect("it fits no node");
    let relax = fixes
        .iter()
        .find(|f| f.kind == FixKind::RelaxPodAntiAffinity)
        .expect("anti-affinity relaxed");
    assert_eq!(relax.changes[0].target.kind, "Deployment");
    assert!(relax.changes[0].patch[0]
        .path
        .starts_with("/spec/template/spec/affinity"));
    check_every_fix(&text, false);
}

#[test]
fn a_pool_at_max_count_is_raised_and_a_pool_with_room_is_scaled() {
    let pools = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: highmem}
spec: {capacity: {cpu: "8", memory: 64Gi}, maxCount: 0, costPerHour: 1.0}
---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: huge}
spec: {capacity: {cpu: "16", memory: 128Gi}, maxCount: 2, costPerHour: 2.0}
---
apiVersion: v1
kind: Pod
metadata: {name: etl, namespace: data}
spec:
  containers: [{name: etl, resources: {requests: {memory: 40Gi}}}]
"#;
    let found = check_every_fix(&case(pools), true);
    let kinds = kinds_of(&found, "data/etl");
    assert!(kinds.contains(&FixKind::RaiseMaxCount), "{kinds:?}");
    assert!(kinds.contains(&FixKind::ScalePool), "{kinds:?}");
    // The cheaper pool's fix first.
    let raise = kinds
        .iter()
        .position(|k| *k == FixKind::RaiseMaxCount)
        .unwrap();
    let scale = kinds.iter().position(|k| *k == FixKind::ScalePool).unwrap();
    assert!(
        raise < scale,
        "highmem (1.0/h) before huge (2.0/h): {kinds:?}"
    );
}

#[test]
fn a_high_priority_pod_on_a_full_node_names_its_preemption_victims() {
    let filler = |name: &str, node: &str, cpu: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: batch}}\nspec: {{nodeName: {node}, priority: 10, containers: [{{name: c, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]}}\n"
        )
    };
    let text = format!(
        "{NODES}---\n{}---\n{}---\n{}---\n{}",
        filler("low-a", "general-0", "2"),
        filler("low-b", "general-0", "1500m"),
        filler("low-c", "general-1", "3500m"),
        r#"
apiVersion: v1
kind: Pod
metadata: {name: urgent, namespace: prod}
spec:
  priority: 1000
  containers: [{name: u, resources: {requests: {cpu: "2"}}}]
"#
    );
    let found = check_every_fix(&text, false);
    let kinds = kinds_of(&found, "prod/urgent");
    assert!(kinds.contains(&FixKind::Preempt), "{kinds:?}");
    let report = explain_with_fixes(&text);
    let preempt = report.pods[0]
        .fixes
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.kind == FixKind::Preempt)
        .unwrap();
    // On general-0 low-a is reprieved and low-b goes; on general-1 low-c
    // goes: one victim of priority 10 each, so the first node is chosen.
    assert_eq!(preempt.changes.len(), 1, "{preempt:?}");
    assert_eq!(preempt.changes[0].target.name, "low-b");
    assert_eq!(preempt.fits_on, ["general-0"]);
    assert!(preempt.changes.iter().all(|c| c.delete));
}

/// A pool whose existing nodes already exceed its maxCount: raising it by
/// one would leave it full; the fix raises it past them.
#[test]
fn raise_max_count_counts_existing_nodes_over_the_maximum() {
    let small = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{kubernetes.azure.com/agentpool: highmem}}}}\nstatus: {{allocatable: {{cpu: '1', memory: 2Gi, pods: '110'}}}}\n"
        )
    };
    let text = case(&format!(
        "{}---\n{}---\n{}",
        small("highmem-a"),
        small("highmem-b"),
        r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: highmem}
spec: {capacity: {cpu: "8", memory: 64Gi}, maxCount: 1, costPerHour: 1.0}
---
apiVersion: v1
kind: Pod
metadata: {name: etl, namespace: data}
spec:
  containers: [{name: etl, resources: {requests: {memory: 40Gi}}}]
"#
    ));
    let found = check_every_fix(&text, true);
    assert!(
        kinds_of(&found, "data/etl").contains(&FixKind::RaiseMaxCount),
        "{found:?}"
    );
}

/// ScalePool sizes the scale-up for all the pending pods like this one:
/// 7 replicas of 40 GiB on nodes of 128 GiB take 3 nodes (3 per node); with
/// `maxCount: 2` the pool takes 6 of them on 2 nodes.
#[test]
fn scale_pool_counts_the_nodes_all_replicas_need() {
    let scenario = |max: &str| {
        case(&format!(
            r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {{name: huge}}
spec: {{capacity: {{cpu: "16", memory: 128Gi}}, allocatable: {{cpu: "16", memory: 128Gi, pods: "110"}}, costPerHour: 2.0{max}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: etl, namespace: data}}
spec:
  replicas: 7
  selector: {{matchLabels: {{app: etl}}}}
  template:
    metadata: {{labels: {{app: etl}}}}
    spec:
      containers: [{{name: etl, resources: {{requests: {{memory: 40Gi}}}}}}]
"#
        ))
    };
    for (max, nodes, text) in [
        ("", 3, "for the 7 pending pod(s)"),
        (", maxCount: 2", 2, "(6 of them"),
    ] {
        let cluster = read_scenario(&[Input::new("c.yaml", &scenario(max))]).unwrap();
        let options = ExplainOptions {
            with_pools: true,
            fix: true,
            ..ExplainOptions::default()
        };
        let report = explain(&cluster, &options).unwrap();
        assert_eq!(report.pods.len(), 7);
        let fixes = report.pods[0].fixes.as_ref().unwrap();
        let scale = fixes.iter().find(|f| f.kind == FixKind::ScalePool).unwrap();
        assert!(
            scale
                .summary
                .contains(&format!("add {nodes} node(s) of pool huge")),
            "{}",
            scale.summary
        );
        assert!(scale.summary.contains(text), "{}", scale.summary);
        assert_eq!(scale.added_cost_per_hour, 2.0 * nodes as f64);
    }
}

#[test]
fn the_bundled_example_gets_a_fix_for_every_unschedulable_pod() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aks-multitenant.yaml"),
    )
    .unwrap();
    for with_pools in [false, true] {
        let found = check_every_fix(&text, with_pools);
        assert!(!found.is_empty());
        for (pod, kinds) in &found {
            assert!(
                !kinds.is_empty(),
                "{pod} (with pools: {with_pools}) has no fix"
            );
        }
    }
}

/// The random clusters below do exercise fixes: over ten seeds of the
/// scenario family (pools, taints, cordoned nodes, anti-affinity, spread,
/// init containers), every kind of fix but `RemoveTaint` appears, many
/// times.
#[test]
fn random_clusters_have_unschedulable_pods_with_fixes() {
    let mut seen = std::collections::BTreeMap::new();
    for seed in 0..10 {
        let text = family(LadderSize::Xs, seed).to_string();
        for (_, kinds) in check_every_fix(&text, seed % 2 == 0) {
            for k in kinds {
                *seen.entry(k).or_insert(0) += 1;
            }
        }
    }
    let total: usize = seen.values().sum();
    eprintln!("fix kinds over ten family clusters: {seen:?}");
    assert!(total >= 20, "only {total} fixes: {seen:?}");
    assert!(seen.len() >= 3, "few kinds: {seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Random clusters: every fix podplan reports, applied by this test's
    /// applier and read back, lands its pod where the fix says.
    #[test]
    fn every_fix_on_random_clusters_is_proven(seed in 0u64..10_000, family_size: bool, with_pools: bool) {
        let text = if family_size {
            family(LadderSize::Xs, seed).to_string()
        } else {
            generate(&GenerateOptions {
                nodes: 12,
                bound_pods: 90,
                pending_pods: 10,
                pending_workloads: (seed % 4) as usize,
                seed,
            })
            .to_string()
        };
        check_every_fix(&text, with_pools);
    }
}
