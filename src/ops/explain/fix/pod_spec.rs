//! Fixes that change the pending pod's own spec (or its workload's
//! template): tolerations, node selector, node affinity, requests, spread
//! constraints, anti-affinity.

use super::prover::{Context, Edit, Proof, Prover, Rule};
use crate::model::{
    InclusionPolicy, Node, Operator, PodSpec, Requirement, Resources, Taint, TaintEffect,
    Toleration, TolerationOperator, UnsatisfiableAction, WeightedPodAffinityTerm, CPU,
    EPHEMERAL_STORAGE, MEMORY,
};
use crate::report::fix::{pointer_token, Fix, FixKind, PatchOp};
use serde_json::{json, Value};

/// Candidates tried per rule at most: a rule is a search, and the first
/// ones (smallest, closest) are the ones a user wants.
const MAX_CANDIDATES: usize = 12;

/// The hard taints of `node` that `spec` does not tolerate, with their
/// indices in the node's list.
pub(super) fn untolerated<'n>(spec: &PodSpec, node: &'n Node) -> Vec<(usize, &'n Taint)> {
    node.taints
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute))
        .filter(|(_, t)| !spec.tolerations.iter().any(|tol| tol.tolerates(t)))
        .collect()
}

/// The distinct sets of untolerated taints over the snapshot's nodes,
/// fewest taints first, existing nodes' before new ones'.
pub(super) fn taint_sets(prover: &Prover, spec: &PodSpec) -> Vec<Vec<Taint>> {
    let snapshot = prover.snapshot();
    let mut sets: Vec<(bool, Vec<Taint>)> = Vec::new();
    for id in snapshot.node_ids() {
        let node = snapshot.node(id);
        let set: Vec<Taint> = untolerated(spec, node)
            .into_iter()
            .map(|(_, t)| t.clone())
            .collect();
        if !set.is_empty() && !sets.iter().any(|(_, s)| *s == set) {
            sets.push((node.is_new, set));
        }
    }
    sets.sort_by_key(|(is_new, set)| (set.len(), *is_new));
    sets.into_iter()
        .map(|(_, s)| s)
        .take(MAX_CANDIDATES)
        .collect()
}

/// `AddToleration`: tolerate the fewest taints that let the pod fit.
pub(super) struct AddToleration;

impl Rule for AddToleration {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        for set in taint_sets(prover, &pod.spec) {
            let with = |taints: &[Taint]| {
                let mut spec = (*pod.spec).clone();
                spec.tolerations.extend(taints.iter().map(toleration_of));
                Edit::Spec(spec)
            };
            let Some(mut proof) = prover.prove(pod, &with(&set)).filter(|p| cx.helps(p)) else {
                continue;
            };
            // Each toleration kept must be needed.
            let mut needed = set.clone();
            for i in (0..set.len()).rev() {
                let mut fewer = needed.clone();
                fewer.remove(i);
                if let Some(p) = prover.prove(pod, &with(&fewer)).filter(|p| cx.helps(p)) {
                    needed = fewer;
                    proof = p;
                }
            }
            let values: Vec<Value> = needed.iter().map(toleration_json).collect();
            let patch = if pod.spec.tolerations.is_empty() {
                vec![PatchOp::add(
                    cx.subject.path("/tolerations"),
                    Value::Array(values),
                )]
            } else {
                values
                    .into_iter()
                    .map(|v| PatchOp::add(cx.subject.path("/tolerations/-"), v))
                    .collect()
            };
            let names: Vec<String> = needed.iter().map(taint_text).collect();
            let summary = format!("tolerate {}", names.join(", "));
            return vec![proof.fix(
                FixKind::AddToleration,
                summary,
                vec![cx.subject.change(patch)],
            )];
        }
        Vec::new()
    }
}

/// The toleration of exactly `taint`.
fn toleration_of(taint: &Taint) -> Toleration {
    Toleration {
        key: taint.key.clone(),
        operator: TolerationOperator::Equal,
        value: taint.value.clone(),
        effect: Some(taint.effect),
    }
}

fn toleration_json(taint: &Taint) -> Value {
    json!({
        "key": taint.key,
        "operator": "Equal",
        "value": taint.value,
        "effect": taint.effect.as_str(),
    })
}

/// `key=value:Effect`, as kubectl prints a taint.
pub(super) fn taint_text(taint: &Taint) -> String {
    if taint.value.is_empty() {
        format!("{}:{}", taint.key, taint.effect.as_str())
    } else {
        format!("{}={}:{}", taint.key, taint.value, taint.effect.as_str())
    }
}

/// The values label `key` takes on the snapshot's nodes, closest to
/// `wanted` first (edit distance, then alphabetical).
fn closest_values(prover: &Prover, key: &str, wanted: &str) -> Vec<String> {
    let snapshot = prover.snapshot();
    let mut values: Vec<String> = snapshot
        .node_ids()
        .filter_map(|n| snapshot.node(n).labels.get(key).cloned())
        .collect();
    values.sort_unstable();
    values.dedup();
    values.sort_by_key(|v| strsim::levenshtein(v, wanted));
    values.truncate(MAX_CANDIDATES);
    values
}

/// `NodeSelector`: a `nodeSelector` entry no node carries, replaced by the
/// closest value nodes do carry, or removed.
pub(super) struct NodeSelectorValue;

impl Rule for NodeSelectorValue {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let missing: Vec<(String, String)> = pod
            .spec
            .node_selector
            .iter()
            .filter(|(k, v)| {
                let s = prover.snapshot();
                !s.node_ids().any(|n| s.node(n).labels.get(*k) == Some(*v))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let path = |k: &str| {
            cx.subject
                .path(&format!("/nodeSelector/{}", pointer_token(k)))
        };
        // One entry wrong: its values by spelling; several: the closest each.
        let mut candidates: Vec<Vec<(String, String, Option<String>)>> = Vec::new();
        if let [(k, v)] = missing.as_slice() {
            for value in closest_values(prover, k, v) {
                candidates.push(vec![(k.clone(), v.clone(), Some(value))]);
            }
        } else {
            let each = missing
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.clone(),
                        closest_values(prover, k, v).into_iter().next(),
                    )
                })
                .collect();
            candidates.push(each);
        }
        candidates.push(
            missing
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), None))
                .collect(),
        );
        for candidate in candidates {
            let mut spec = (*pod.spec).clone();
            let mut patch = Vec::new();
            let mut parts = Vec::new();
            for (key, old, new) in &candidate {
                match new {
                    Some(value) => {
                        spec.node_selector.insert(key.clone(), value.clone());
                        patch.push(PatchOp::replace(path(key), json!(value)));
                        parts.push(format!("{key}: {old} → {value}"));
                    }
                    None => {
                        spec.node_selector.remove(key);
                        patch.push(PatchOp::remove(path(key)));
                        parts.push(format!("remove {key}: {old}"));
                    }
                }
            }
            if let Some(proof) = prover.prove(pod, &Edit::Spec(spec)) {
                let summary = format!("nodeSelector {}", parts.join(", "));
                return vec![proof.fix(
                    FixKind::NodeSelector,
                    summary,
                    vec![cx.subject.change(patch)],
                )];
            }
        }
        Vec::new()
    }
}

/// `NodeAffinity`: in a required term, the expressions no node matches:
/// an `In` expression's values replaced by the closest value nodes carry,
/// or the expressions removed (the term, or the whole requirement, when
/// nothing would be left of it).
pub(super) struct NodeAffinityExpression;

const REQUIRED_TERMS: &str =
    "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution";

impl Rule for NodeAffinityExpression {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let Some(required) = &pod.spec.required_node_affinity else {
            return Vec::new();
        };
        for (i, term) in required.terms.iter().enumerate() {
            let failing: Vec<usize> = (0..term.match_expressions.len())
                .filter(|&j| {
                    let s = prover.snapshot();
                    !s.node_ids()
                        .any(|n| term.match_expressions[j].matches(&s.node(n).labels))
                })
                .collect();
            if failing.is_empty() {
                continue;
            }
            for replace in [true, false] {
                if let Some(fix) = affinity_candidate(cx, prover, i, &failing, replace) {
                    return vec![fix];
                }
            }
        }
        Vec::new()
    }
}

/// Term `i` with its `failing` expressions replaced (`In` ones by the
/// closest value) or removed, proven.
fn affinity_candidate(
    cx: &Context,
    prover: &mut Prover,
    i: usize,
    failing: &[usize],
    replace: bool,
) -> Option<Fix> {
    let pod = cx.subject.pod;
    let mut spec = (*pod.spec).clone();
    let required = spec.required_node_affinity.as_mut()?;
    let term_path = format!("{REQUIRED_TERMS}/nodeSelectorTerms/{i}");
    let mut patch = Vec::new();
    let mut parts = Vec::new();
    if replace {
        for &j in failing {
            let e = &required.terms[i].match_expressions[j];
            if e.operator != Operator::In {
                return None;
            }
            let value = closest_values(prover, &e.key, e.values.first()?)
                .into_iter()
                .next()?;
            parts.push(format!("{} in ({}) → {value}", e.key, e.values.join(", ")));
            required.terms[i].match_expressions[j].values = vec![value.clone()];
            let path = cx
                .subject
                .path(&format!("{term_path}/matchExpressions/{j}/values"));
            patch.push(PatchOp::replace(path, json!([value])));
        }
    } else {
        let term = &mut required.terms[i];
        for &j in failing.iter().rev() {
            parts.push(format!(
                "remove {}",
                requirement_text(&term.match_expressions[j])
            ));
            term.match_expressions.remove(j);
        }
        if !term.match_expressions.is_empty() || !term.match_fields.is_empty() {
            for &j in failing.iter().rev() {
                let path = cx
                    .subject
                    .path(&format!("{term_path}/matchExpressions/{j}"));
                patch.push(PatchOp::remove(path));
            }
        } else if required.terms.len() > 1 {
            required.terms.remove(i);
            patch.push(PatchOp::remove(cx.subject.path(&term_path)));
        } else {
            spec.required_node_affinity = None;
            patch.push(PatchOp::remove(cx.subject.path(REQUIRED_TERMS)));
        }
    }
    let proof = prover.prove(pod, &Edit::Spec(spec))?;
    let summary = format!("required node affinity: {}", parts.join(", "));
    Some(proof.fix(
        FixKind::NodeAffinity,
        summary,
        vec![cx.subject.change(patch)],
    ))
}

fn requirement_text(r: &Requirement) -> String {
    format!("{} {:?} ({})", r.key, r.operator, r.values.join(", "))
}

/// `ReduceRequests`: the largest requests that fit some node, for a pod
/// whose requests are one container's (otherwise no patch could say which
/// container to change, and no fix is shown).
pub(super) struct ReduceRequests;

impl Rule for ReduceRequests {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let Some(container) = pod.spec.sole_container else {
            return Vec::new();
        };
        // Where the pod fits but for its requests.
        let mut weightless = (*pod.spec).clone();
        weightless.requests = Resources::default();
        let Some(candidates) = prover.prove(pod, &Edit::Spec(weightless)) else {
            return Vec::new();
        };
        let Some(reduced) = best_reduction(prover, &pod.spec.requests, &candidates.nodes) else {
            return Vec::new();
        };
        let mut spec = (*pod.spec).clone();
        let mut values = serde_json::Map::new();
        let mut parts = Vec::new();
        for (name, old, new) in &reduced {
            spec.requests.set(name, *new);
            values.insert(name.clone(), json!(quantity_text(name, *new)));
            parts.push(format!(
                "{name} {} → {}",
                quantity_text(name, *old),
                quantity_text(name, *new)
            ));
        }
        let Some(proof) = prover.prove(pod, &Edit::Spec(spec)) else {
            return Vec::new();
        };
        let base = "/containers/0/resources";
        let patch = if container.has_requests {
            values
                .into_iter()
                .map(|(name, v)| {
                    PatchOp::add(
                        cx.subject
                            .path(&format!("{base}/requests/{}", pointer_token(&name))),
                        v,
                    )
                })
                .collect()
        } else if container.has_limits {
            vec![PatchOp::add(
                cx.subject.path(&format!("{base}/requests")),
                Value::Object(values),
            )]
        } else {
            vec![PatchOp::add(
                cx.subject.path(base),
                json!({ "requests": values }),
            )]
        };
        let summary = format!("requests {}", parts.join(", "));
        vec![proof.fix(
            FixKind::ReduceRequests,
            summary,
            vec![cx.subject.change(patch)],
        )]
    }
}

/// Over `nodes`, the reduction that keeps the most of the requests: per
/// resource that does not fit, (name, old, new), new being what the node
/// has free (memory in whole MiB when it is more than one). None when no
/// node can take the pod with positive requests.
fn best_reduction(
    prover: &Prover,
    requests: &Resources,
    nodes: &[crate::model::NodeId],
) -> Option<Reduction> {
    let snapshot = prover.snapshot();
    let mut names: Vec<String> = [CPU, MEMORY, EPHEMERAL_STORAGE].map(String::from).to_vec();
    names.extend(requests.scalars.iter().map(|(n, _)| n.clone()));
    let mut best: Option<(f64, Reduction)> = None;
    for &n in nodes {
        let (node, info) = (snapshot.node(n), snapshot.info(n));
        let mut reduced = Vec::new();
        let mut kept = 1.0f64;
        let mut possible = true;
        for name in &names {
            let old = requests.get(name);
            let free = node.allocatable.get(name) - info.requested.get(name);
            if old <= free {
                continue;
            }
            let new = round_down(name, free);
            if new <= 0 {
                possible = false;
                break;
            }
            kept = kept.min(new as f64 / old as f64);
            reduced.push((name.clone(), old, new));
        }
        if possible && !reduced.is_empty() && best.as_ref().is_none_or(|(k, _)| kept > *k) {
            best = Some((kept, reduced));
        }
    }
    best.map(|(_, r)| r)
}

/// Per resource reduced: its name, the request, the reduced request.
type Reduction = Vec<(String, i64, i64)>;

const MIB: i64 = 1 << 20;

/// Memory and storage in whole MiB when at least one.
fn round_down(name: &str, value: i64) -> i64 {
    if (name == MEMORY || name == EPHEMERAL_STORAGE) && value >= MIB {
        value / MIB * MIB
    } else {
        value
    }
}

/// A request as a Kubernetes quantity: CPU in millicores, memory and
/// storage in MiB when whole, other resources as integers.
fn quantity_text(name: &str, value: i64) -> String {
    match name {
        CPU => format!("{value}m"),
        MEMORY | EPHEMERAL_STORAGE if value % MIB == 0 => format!("{}Mi", value / MIB),
        _ => value.to_string(),
    }
}

/// `RelaxTopologySpread`: per DoNotSchedule constraint, `nodeTaintsPolicy:
/// Honor` when it is Ignore, else the smallest `maxSkew` that lets the pod
/// fit, else `whenUnsatisfiable: ScheduleAnyway`.
pub(super) struct RelaxTopologySpread;

impl Rule for RelaxTopologySpread {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        let mut found = Vec::new();
        for (i, c) in pod.spec.topology_spread.iter().enumerate() {
            if c.when_unsatisfiable != UnsatisfiableAction::DoNotSchedule {
                continue;
            }
            let path = |field: &str| {
                cx.subject
                    .path(&format!("/topologySpreadConstraints/{i}/{field}"))
            };
            let with = |f: &dyn Fn(&mut crate::model::TopologySpreadConstraint)| {
                let mut spec = (*pod.spec).clone();
                f(&mut spec.topology_spread[i]);
                Edit::Spec(spec)
            };
            let key = &c.topology_key;
            if c.node_taints_policy == InclusionPolicy::Ignore {
                let edit = with(&|c| c.node_taints_policy = InclusionPolicy::Honor);
                if let Some(proof) = prover.prove(pod, &edit) {
                    let patch = vec![PatchOp::add(path("nodeTaintsPolicy"), json!("Honor"))];
                    let summary = format!("spread over {key}: nodeTaintsPolicy Ignore → Honor");
                    found.push(proof.fix(
                        FixKind::RelaxTopologySpread,
                        summary,
                        vec![cx.subject.change(patch)],
                    ));
                    continue;
                }
            }
            if let Some((skew, proof)) = smallest_skew(prover, pod, i, c.max_skew) {
                let patch = vec![PatchOp::replace(path("maxSkew"), json!(skew))];
                let summary = format!("spread over {key}: maxSkew {} → {skew}", c.max_skew);
                found.push(proof.fix(
                    FixKind::RelaxTopologySpread,
                    summary,
                    vec![cx.subject.change(patch)],
                ));
                continue;
            }
            let edit = with(&|c| c.when_unsatisfiable = UnsatisfiableAction::ScheduleAnyway);
            if let Some(proof) = prover.prove(pod, &edit) {
                let patch = vec![PatchOp::replace(
                    path("whenUnsatisfiable"),
                    json!("ScheduleAnyway"),
                )];
                let summary =
                    format!("spread over {key}: whenUnsatisfiable DoNotSchedule → ScheduleAnyway");
                found.push(proof.fix(
                    FixKind::RelaxTopologySpread,
                    summary,
                    vec![cx.subject.change(patch)],
                ));
            }
        }
        found
    }
}

/// The smallest `maxSkew` above `from` with which constraint `i` lets the
/// pod fit, searched up to the pod count (a skew no domain can reach):
/// feasibility only grows with `maxSkew`, so doubling, then bisection.
fn smallest_skew(
    prover: &mut Prover,
    pod: &crate::model::Pod,
    i: usize,
    from: i32,
) -> Option<(i32, Proof)> {
    let limit = i32::try_from(prover.snapshot().pod_count())
        .unwrap_or(i32::MAX)
        .max(from.saturating_add(1));
    let try_skew = |prover: &mut Prover, skew: i32| {
        let mut spec = (*pod.spec).clone();
        spec.topology_spread[i].max_skew = skew;
        prover.prove(pod, &Edit::Spec(spec))
    };
    let (mut low, mut step) = (from, 1i32);
    let (mut high, mut proof) = loop {
        let skew = from.saturating_add(step).min(limit);
        if let Some(p) = try_skew(prover, skew) {
            break (skew, p);
        }
        if skew >= limit {
            return None;
        }
        low = skew;
        step = step.saturating_mul(2);
    };
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        match try_skew(prover, mid) {
            Some(p) => (high, proof) = (mid, p),
            None => low = mid,
        }
    }
    Some((high, proof))
}

/// `RelaxPodAntiAffinity`: one required anti-affinity term made preferred
/// (weight 100), the first that lets the pod fit.
pub(super) struct RelaxPodAntiAffinity;

const ANTI_AFFINITY: &str = "/affinity/podAntiAffinity";
const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";

impl Rule for RelaxPodAntiAffinity {
    fn fixes(&self, cx: &Context, prover: &mut Prover) -> Vec<Fix> {
        let pod = cx.subject.pod;
        for (i, term) in pod.spec.pod_anti_affinity.iter().enumerate() {
            let mut spec = (*pod.spec).clone();
            let moved = spec.pod_anti_affinity.remove(i);
            spec.preferred_pod_anti_affinity
                .push(WeightedPodAffinityTerm {
                    weight: 100,
                    term: moved,
                });
            let Some(proof) = prover.prove(pod, &Edit::Spec(spec)) else {
                continue;
            };
            let base = cx.subject.path(ANTI_AFFINITY);
            let preferred = pod.spec.preferred_pod_anti_affinity.len();
            let mut patch = Vec::new();
            if preferred == 0 {
                patch.push(PatchOp::add(format!("{base}/{PREFERRED}"), json!([])));
            }
            patch.push(PatchOp::add(
                format!("{base}/{PREFERRED}/-"),
                json!({"weight": 100, "podAffinityTerm": {}}),
            ));
            patch.push(PatchOp::copy(
                format!("{base}/{REQUIRED}/{i}"),
                format!("{base}/{PREFERRED}/{preferred}/podAffinityTerm"),
            ));
            patch.push(PatchOp::remove(format!("{base}/{REQUIRED}/{i}")));
            let summary = format!(
                "required anti-affinity over {} made preferred (weight 100)",
                term.topology_key
            );
            return vec![proof.fix(
                FixKind::RelaxPodAntiAffinity,
                summary,
                vec![cx.subject.change(patch)],
            )];
        }
        Vec::new()
    }
}
