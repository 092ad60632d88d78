//! Pod specs, wire → model: the requests kube-scheduler counts, host
//! ports, node and pod affinity, tolerations and topology spread, each
//! field validated with its path (`spec.affinity...`) for errors.

use super::field::{ferr, FieldErr};
use crate::ingest::quantity::Quantity;
use crate::ingest::wire::{self, LabelSelectorW, PodSpecW, PodStatusW, ResourceList};
use crate::model::{
    HostPort, InclusionPolicy, LabelSelector, Labels, NodeSelector, NodeSelectorTerm, Operator,
    PodAffinityTerm, PodSpec, PreferredSchedulingTerm, Requirement, Resources, SoleContainer,
    Toleration, TolerationOperator, TopologySpreadConstraint, WeightedPodAffinityTerm, CPU, MEMORY,
};

/// A pod spec as converted, before priorities are resolved. Two are equal
/// when pods may share one `Arc<PodSpec>`.
#[derive(Debug, PartialEq)]
pub(super) struct StagedSpec {
    /// The spec, its priority still 0.
    pub(super) spec: PodSpec,
    /// `spec.priority` as written (admission already resolved it).
    pub(super) explicit_priority: Option<i32>,
}

/// A resource's value in the model's unit: CPU in millicores, the rest in
/// units (rounded up, as `MilliValue` / `Value`).
fn resource_value(name: &str, q: &Quantity) -> i64 {
    if name == CPU {
        q.milli_value()
    } else {
        q.value()
    }
}

/// A resource list in the model's units.
pub(super) fn to_resources(list: &ResourceList) -> Resources {
    let mut r = Resources::default();
    for (name, q) in &list.0 {
        r.set(name, resource_value(name, q));
    }
    r
}

/// A container's requests after the API server's defaulting: a resource
/// with a limit and no request requests its limit.
fn container_requests(c: &wire::ContainerW) -> Resources {
    let mut r = Resources::default();
    for list in [&c.resources.limits, &c.resources.requests]
        .into_iter()
        .flatten()
    {
        for (name, q) in &list.0 {
            r.set(name, resource_value(name, q));
        }
    }
    r
}

/// `aggregateContainerResourcesByFn`: the sum of the app containers and
/// the sidecars, max'ed with each plain init container plus the sidecars
/// started before it. `get` gives a container's list (`None` = nil).
fn aggregate(
    containers: &[wire::ContainerW],
    init_containers: &[wire::ContainerW],
    get: impl Fn(&wire::ContainerW, bool) -> Option<Resources>,
) -> Resources {
    let mut result = Resources::default();
    for c in containers {
        if let Some(r) = get(c, false) {
            result.add(&r);
        }
    }
    let mut sidecars = Resources::default();
    let mut init_max = Resources::default();
    for c in init_containers {
        let r = get(c, true).unwrap_or_default();
        if is_sidecar(c) {
            result.add(&r);
            sidecars.add(&r);
            init_max.max_with(&sidecars);
        } else {
            let mut combined = r;
            combined.add(&sidecars);
            init_max.max_with(&combined);
        }
    }
    result.max_with(&init_max);
    result
}

/// Whether an init container is a native sidecar (it keeps running).
fn is_sidecar(c: &wire::ContainerW) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// `resourcehelper.PodRequests` as kube-scheduler calls it: container
/// requests (for bound pods, max'ed with what in-place resize allocated and
/// actuated), pod-level requests for CPU, memory and hugepages when set,
/// plus the overhead. Never `pods`.
fn pod_requests(s: &PodSpecW, status: Option<&PodStatusW>) -> Resources {
    let spec = aggregate(&s.containers, &s.init_containers, |c, _| {
        Some(container_requests(c))
    });
    let mut result = match status {
        Some(st)
            if !(st.container_statuses.is_empty() && st.init_container_statuses.is_empty()) =>
        {
            resized_requests(s, st, &spec)
        }
        _ => spec.clone(),
    };
    if let Some(pod_level) = &s.resources {
        apply_pod_level_requests(&mut result, pod_level, &spec);
    }
    if let Some(overhead) = &s.overhead {
        result.add(&to_resources(overhead));
    }
    result.pods = 0;
    result
}

/// A bound pod's container requests given its container statuses: the
/// larger of what in-place resize actuated and allocated, and of the
/// spec's requests (`spec`) unless the resize is infeasible.
fn resized_requests(s: &PodSpecW, st: &PodStatusW, spec: &Resources) -> Resources {
    let infeasible = st
        .conditions
        .iter()
        .find(|c| c.type_ == "PodResizePending")
        .is_some_and(|c| c.reason == "Infeasible");
    let find = |c: &wire::ContainerW, init: bool| {
        let list = if init {
            &st.init_container_statuses
        } else {
            &st.container_statuses
        };
        list.iter().find(|cs| cs.name == c.name)
    };
    let fallback = |c: &wire::ContainerW| (!infeasible).then(|| container_requests(c));
    let allocated = aggregate(&s.containers, &s.init_containers, |c, init| {
        match find(c, init).and_then(|cs| cs.allocated_resources.as_ref()) {
            Some(a) => Some(to_resources(a)),
            None => fallback(c),
        }
    });
    let actuated = aggregate(&s.containers, &s.init_containers, |c, init| {
        let cs = find(c, init);
        if let Some(r) = cs
            .and_then(|cs| cs.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
        {
            return Some(to_resources(r));
        }
        match cs.and_then(|cs| cs.allocated_resources.as_ref()) {
            Some(a) => Some(to_resources(a)),
            None => fallback(c),
        }
    });
    let mut r = actuated;
    r.max_with(&allocated);
    if !infeasible {
        r.max_with(spec);
    }
    r
}

/// Pod-level requests (`PodLevelResources`) replace the containers' for
/// CPU, memory and hugepages when any of those is set, after the API
/// server's defaulting from pod-level limits; `spec` holds the containers'
/// requests.
fn apply_pod_level_requests(
    result: &mut Resources,
    pod_level: &wire::ResourcesW,
    spec: &Resources,
) {
    let supported = |n: &str| n == CPU || n == MEMORY || n.starts_with("hugepages-");
    let mut reqs: Vec<(String, i64)> = pod_level
        .requests
        .iter()
        .flat_map(|l| l.0.iter())
        .map(|(n, q)| (n.to_string(), resource_value(n, q)))
        .collect();
    // API defaulting (`defaultPodRequests`) when pod-level limits exist.
    if let Some(limits) = pod_level.limits.as_ref().filter(|l| !l.0.is_empty()) {
        for (n, v) in &spec.scalars {
            if n.starts_with("hugepages-") && !reqs.iter().any(|(k, _)| k == n) {
                reqs.push((n.clone(), *v));
            }
        }
        for (n, q) in &limits.0 {
            if supported(n) && !reqs.iter().any(|(k, _)| k == n) {
                reqs.push((n.to_string(), resource_value(n, q)));
            }
        }
    }
    if reqs.iter().any(|(n, _)| supported(n)) {
        for (n, v) in reqs {
            if supported(&n) {
                result.set(&n, v);
            }
        }
    }
}

/// The container whose requests are the pod's, when there is one and
/// nothing else adds to them.
fn sole_container(s: &PodSpecW) -> Option<SoleContainer> {
    let [container] = s.containers.as_slice() else {
        return None;
    };
    (s.init_containers.is_empty() && s.overhead.is_none() && s.resources.is_none()).then(|| {
        SoleContainer {
            has_requests: container.resources.requests.is_some(),
            has_limits: container.resources.limits.is_some(),
        }
    })
}

/// Converts and validates a pod spec: a Pod's (`status` given when it is
/// bound, for in-place resize) or a controller's template, at field path
/// `prefix`. `namespace` and `labels` are the pod's: affinity terms and
/// spread constraints refer to them.
pub(super) fn convert_pod_spec(
    s: PodSpecW,
    status: Option<&PodStatusW>,
    namespace: &str,
    labels: &Labels,
    prefix: &str,
) -> Result<StagedSpec, FieldErr> {
    let requests = pod_requests(&s, status);
    let sole_container = sole_container(&s);
    let host_ports = host_ports(&s);
    let affinity = s.affinity;
    let (required_node_affinity, preferred_node_affinity) = match affinity.node_affinity {
        Some(na) => node_affinity(na, &format!("{prefix}.affinity.nodeAffinity"))?,
        None => (None, Vec::new()),
    };
    // Field paths are only built for terms that are there (they name the
    // field in errors; most pods have no pod affinity).
    let pod_terms = |source: Option<wire::PodAffinityW>, field: &str| match source {
        None => Ok((Vec::new(), Vec::new())),
        Some(a) => {
            let path = format!("{prefix}.affinity.{field}");
            pod_affinity_terms(Some(a), namespace, labels, &path)
        }
    };
    let (pod_affinity, preferred_pod_affinity) = pod_terms(affinity.pod_affinity, "podAffinity")?;
    let (pod_anti_affinity, preferred_pod_anti_affinity) =
        pod_terms(affinity.pod_anti_affinity, "podAntiAffinity")?;
    let tolerations = s.tolerations.into_iter().map(toleration).collect();
    let mut topology_spread = Vec::with_capacity(s.topology_spread_constraints.len());
    for (i, c) in s.topology_spread_constraints.into_iter().enumerate() {
        let path = format!("{prefix}.topologySpreadConstraints[{i}]");
        topology_spread.push(spread_constraint(c, labels, &path)?);
    }
    let spec = PodSpec {
        requests,
        node_selector: s.node_selector,
        required_node_affinity,
        preferred_node_affinity,
        tolerations,
        pod_affinity,
        preferred_pod_affinity,
        pod_anti_affinity,
        preferred_pod_anti_affinity,
        topology_spread,
        host_ports,
        priority: 0,
        priority_class_name: s.priority_class_name.filter(|n| !n.is_empty()),
        has_local_storage: s.volumes.iter().any(|v| v.empty_dir.is_some()),
        sole_container,
    };
    Ok(StagedSpec {
        spec,
        explicit_priority: s.priority,
    })
}

/// The host ports a pod claims: its sidecars' and app containers'
/// (`schedutil.GetHostPorts`), with hostNetwork's defaulting of hostPort
/// to containerPort.
fn host_ports(s: &PodSpecW) -> Vec<HostPort> {
    let mut host_ports = Vec::new();
    let running = s
        .init_containers
        .iter()
        .filter(|c| is_sidecar(c))
        .chain(s.containers.iter());
    for c in running {
        for p in &c.ports {
            let port = if p.host_port == 0 && s.host_network {
                p.container_port
            } else {
                p.host_port
            };
            if port > 0 {
                host_ports.push(HostPort {
                    host_ip: p.host_ip.clone(),
                    protocol: if p.protocol.is_empty() {
                        "TCP".to_string()
                    } else {
                        p.protocol.clone()
                    },
                    port,
                });
            }
        }
    }
    host_ports
}

/// `nodeAffinity` (at `base`): the required node selector and the
/// preferred terms.
fn node_affinity(
    na: wire::NodeAffinityW,
    base: &str,
) -> Result<(Option<NodeSelector>, Vec<PreferredSchedulingTerm>), FieldErr> {
    let mut required = None;
    if let Some(sel) = na.required {
        let mut terms = Vec::with_capacity(sel.node_selector_terms.len());
        for (i, t) in sel.node_selector_terms.into_iter().enumerate() {
            terms.push(node_term(
                t,
                &format!(
                    "{base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]"
                ),
            )?);
        }
        required = Some(NodeSelector { terms });
    }
    let mut preferred = Vec::new();
    for (i, p) in na.preferred.into_iter().enumerate() {
        preferred.push(PreferredSchedulingTerm {
            weight: p.weight,
            term: node_term(
                p.preference,
                &format!("{base}.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference"),
            )?,
        });
    }
    Ok((required, preferred))
}

/// `podAffinity` or `podAntiAffinity` (at `base`): the required terms and
/// the preferred ones.
fn pod_affinity_terms(
    source: Option<wire::PodAffinityW>,
    namespace: &str,
    labels: &Labels,
    base: &str,
) -> Result<(Vec<PodAffinityTerm>, Vec<WeightedPodAffinityTerm>), FieldErr> {
    let mut required = Vec::new();
    let mut preferred = Vec::new();
    let Some(a) = source else {
        return Ok((required, preferred));
    };
    for (i, t) in a.required.into_iter().enumerate() {
        required.push(affinity_term(
            t,
            namespace,
            labels,
            &format!("{base}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
        )?);
    }
    for (i, w) in a.preferred.into_iter().enumerate() {
        preferred.push(WeightedPodAffinityTerm {
            weight: w.weight,
            term: affinity_term(
                w.pod_affinity_term,
                namespace,
                labels,
                &format!(
                    "{base}.preferredDuringSchedulingIgnoredDuringExecution[{i}].podAffinityTerm"
                ),
            )?,
        });
    }
    Ok((required, preferred))
}

/// A toleration, with the API's defaults (operator `Equal`, every effect).
fn toleration(t: wire::TolerationW) -> Toleration {
    Toleration {
        key: t.key,
        operator: t.operator.map_or(TolerationOperator::Equal, |o| o.0),
        value: t.value,
        effect: t.effect.and_then(|e| e.0),
    }
}

/// A topology spread constraint (at `path`), validated as the API server
/// does, `matchLabelKeys` merged into its selector with the pod's
/// `labels`.
fn spread_constraint(
    c: wire::SpreadW,
    labels: &Labels,
    path: &str,
) -> Result<TopologySpreadConstraint, FieldErr> {
    let at = |f: &str| format!("{path}.{f}");
    let max_skew = c
        .max_skew
        .ok_or_else(|| ferr(at("maxSkew"), "is required"))?;
    if max_skew <= 0 {
        return Err(ferr(
            at("maxSkew"),
            format!("{max_skew}: must be greater than zero"),
        ));
    }
    if c.topology_key.is_empty() {
        return Err(ferr(at("topologyKey"), "is required"));
    }
    let when = c
        .when_unsatisfiable
        .ok_or_else(|| ferr(at("whenUnsatisfiable"), "is required"))?;
    if let Some(m) = c.min_domains {
        if m <= 0 {
            return Err(ferr(
                at("minDomains"),
                format!("{m}: must be greater than zero"),
            ));
        }
    }
    let mut selector = match c.label_selector {
        Some(sel) => label_selector(sel, &at("labelSelector"))?,
        None => LabelSelector::nothing(),
    };
    // matchLabelKeys: the pod's own values, merged into the selector
    // (a nil selector stays nil, as `mergeLabelSetWithSelector`).
    if !selector.matches_nothing {
        for key in &c.match_label_keys {
            if let Some(v) = labels.get(key) {
                selector
                    .requirements
                    .push(Requirement::new(key, Operator::In, &[v]));
            }
        }
    }
    Ok(TopologySpreadConstraint {
        max_skew,
        topology_key: c.topology_key,
        when_unsatisfiable: when.0,
        selector,
        min_domains: c.min_domains,
        node_affinity_policy: c
            .node_affinity_policy
            .map_or(InclusionPolicy::Honor, |p| p.0),
        node_taints_policy: c
            .node_taints_policy
            .map_or(InclusionPolicy::Ignore, |p| p.0),
    })
}

/// A node selector term (at `path`); every requirement needs an operator.
fn node_term(t: wire::NodeSelectorTermW, path: &str) -> Result<NodeSelectorTerm, FieldErr> {
    let convert = |reqs: Vec<wire::NodeReqW>, field: &str| {
        reqs.into_iter()
            .enumerate()
            .map(|(j, r)| {
                let operator = r
                    .operator
                    .ok_or_else(|| ferr(format!("{path}.{field}[{j}].operator"), "is required"))?
                    .0;
                Ok(Requirement {
                    key: r.key,
                    operator,
                    values: r.values,
                })
            })
            .collect::<Result<Vec<_>, FieldErr>>()
    };
    Ok(NodeSelectorTerm {
        match_expressions: convert(t.match_expressions, "matchExpressions")?,
        match_fields: convert(t.match_fields, "matchFields")?,
    })
}

/// `metav1.LabelSelectorAsSelector` of a non-nil selector: `matchLabels`
/// become `In` requirements; `{}` matches everything.
pub(super) fn label_selector(s: LabelSelectorW, path: &str) -> Result<LabelSelector, FieldErr> {
    let mut requirements = Vec::with_capacity(s.match_labels.len() + s.match_expressions.len());
    for (k, v) in s.match_labels {
        requirements.push(Requirement {
            key: k,
            operator: Operator::In,
            values: vec![v],
        });
    }
    for (j, r) in s.match_expressions.into_iter().enumerate() {
        let operator = r
            .operator
            .ok_or_else(|| {
                ferr(
                    format!("{path}.matchExpressions[{j}].operator"),
                    "is required",
                )
            })?
            .0;
        requirements.push(Requirement {
            key: r.key,
            operator,
            values: r.values,
        });
    }
    Ok(LabelSelector {
        requirements,
        matches_nothing: false,
    })
}

/// A pod affinity term as the API server stores it: `matchLabelKeys` /
/// `mismatchLabelKeys` merged into the selector with the pod's own values,
/// and the pod's namespace when neither `namespaces` nor
/// `namespaceSelector` is given.
fn affinity_term(
    t: wire::PodAffinityTermW,
    namespace: &str,
    labels: &Labels,
    path: &str,
) -> Result<PodAffinityTerm, FieldErr> {
    let mut selector = match t.label_selector {
        Some(s) => {
            let mut sel = label_selector(s, &format!("{path}.labelSelector"))?;
            for key in &t.match_label_keys {
                if let Some(v) = labels.get(key) {
                    sel.requirements
                        .push(Requirement::new(key, Operator::In, &[v]));
                }
            }
            for key in &t.mismatch_label_keys {
                if let Some(v) = labels.get(key) {
                    sel.requirements
                        .push(Requirement::new(key, Operator::NotIn, &[v]));
                }
            }
            sel
        }
        // A nil selector matches nothing, and label keys do not change it.
        None => LabelSelector::nothing(),
    };
    selector.requirements.shrink_to_fit();
    let namespace_selector = t
        .namespace_selector
        .map(|s| label_selector(s, &format!("{path}.namespaceSelector")))
        .transpose()?;
    let namespaces = if t.namespaces.is_empty() && namespace_selector.is_none() {
        vec![namespace.to_string()]
    } else {
        t.namespaces
    };
    Ok(PodAffinityTerm {
        selector,
        namespaces,
        namespace_selector,
        topology_key: t.topology_key,
    })
}

#[cfg(test)]
mod tests {
    use super::super::field::de;
    use super::*;
    use serde_json::json;
    use serde_json::Value;

    fn spec_of(v: Value) -> PodSpec {
        let s: PodSpecW = de(v).unwrap();
        convert_pod_spec(s, None, "ns", &Labels::new(), "spec")
            .unwrap()
            .spec
    }

    #[test]
    fn requests_follow_pod_requests() {
        // Sidecar KEP example: init 333, sidecar 20, app 30 → max(333, 50).
        let s = spec_of(json!({
            "initContainers": [
                {"name": "i", "resources": {"requests": {"cpu": "333m"}}},
                {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "20m"}}},
                {"name": "i2", "resources": {"requests": {"cpu": "100m"}}}
            ],
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "30m"}, "limits": {"memory": "1Gi"}}}],
            "overhead": {"cpu": "10m"}
        }));
        assert_eq!(s.requests.milli_cpu, 343);
        assert_eq!(s.requests.memory, 1 << 30);
        assert_eq!(s.requests.pods, 0);
    }

    #[test]
    fn status_resources_for_bound_pods() {
        let p: wire::PodW = de(json!({
            "metadata": {"name": "p"},
            "spec": {"nodeName": "n", "containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}]},
            "status": {"containerStatuses": [{"name": "a", "allocatedResources": {"cpu": "300m"}}]}
        }))
        .unwrap();
        let r = pod_requests(&p.spec, Some(&p.status));
        assert_eq!(r.milli_cpu, 300);
        assert_eq!(pod_requests(&p.spec, None).milli_cpu, 100);
    }

    #[test]
    fn pod_level_requests_override() {
        let s = spec_of(json!({
            "resources": {"limits": {"cpu": "2"}},
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "1Mi"}}}]
        }));
        assert_eq!(s.requests.milli_cpu, 2000);
        assert_eq!(s.requests.memory, 1 << 20);
    }
}
