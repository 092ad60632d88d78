//! The three layouts as model transformations: from the scenario, the
//! clusters `place` plans from scratch (docs/reports.md#tenancy).

use crate::error::{Error, Result};
use crate::model::{
    Cluster, NodePool, Pod, PodPhase, PodSpec, PoolId, Taint, TaintEffect, Toleration,
    TolerationOperator,
};
use crate::predicates::{node_affinity, taint_toleration};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The label and taint key of a tenant's dedicated pools.
pub(crate) const TENANT_LABEL: &str = "podplan.dev/tenant";
/// The namespace whose pods are infrastructure, in every cluster.
const INFRASTRUCTURE_NAMESPACE: &str = "kube-system";
/// The label naming a node's pool.
const AGENTPOOL_LABEL: &str = "kubernetes.azure.com/agentpool";

/// How pods are grouped into tenants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TenantBy {
    /// By namespace.
    Namespace,
    /// By the value of a pod label.
    Label(String),
}

impl TenantBy {
    /// `namespace` or `label:KEY`.
    pub(crate) fn parse(text: &str) -> Result<TenantBy> {
        match text.split_once(':') {
            None if text == "namespace" => Ok(TenantBy::Namespace),
            Some(("label", key)) if !key.is_empty() => Ok(TenantBy::Label(key.to_string())),
            _ => Err(Error::Usage(format!(
                "--tenant-by {text:?}: expected namespace or label:KEY"
            ))),
        }
    }
}

/// The scenario from scratch: no nodes, every pod to plan pending, each
/// pod's tenant (`None`: infrastructure).
#[derive(Debug, Clone)]
pub(crate) struct Tenancy {
    /// The cluster without nodes: workload and infrastructure pods
    /// pending, pools from their first node, system pools at least 1.
    pub base: Cluster,
    /// The tenant of each pod of `base` (`None`: infrastructure).
    pub tenant_of: Vec<Option<String>>,
    /// The tenants, sorted.
    pub tenants: Vec<String>,
}

/// A cluster to plan, and which tenant each of its pools belongs to.
#[derive(Debug, Clone)]
pub(crate) struct PlannedCluster {
    /// `shared`, `dedicated-pools`, or the tenant's name.
    pub name: String,
    /// The cluster.
    pub cluster: Cluster,
    /// The tenant each pool is dedicated to (`None`: shared).
    pub owner: Vec<Option<String>>,
    /// The tenant whose cluster it is (`dedicated-clusters`).
    pub tenant: Option<String>,
}

/// Whether a pool is a system pool (mode `System`).
pub(crate) fn is_system(pool: &NodePool) -> bool {
    pool.mode.eq_ignore_ascii_case("system")
}

/// A pod the DaemonSet controller or the kubelet owns: replanned by the
/// snapshot on every new node, or gone with its node.
pub(crate) fn is_node_bound(pod: &Pod) -> bool {
    pod.owner
        .as_ref()
        .is_some_and(|o| o.kind == "DaemonSet" || o.kind == "Node")
        || matches!(pod.origin, crate::model::PodOrigin::DaemonSet(_))
}

/// The pod's tenant: `None` for infrastructure.
fn tenant_of_pod(pod: &Pod, by: &TenantBy) -> Result<Option<String>> {
    if pod.namespace == INFRASTRUCTURE_NAMESPACE {
        return Ok(None);
    }
    match by {
        TenantBy::Namespace => Ok(Some(pod.namespace.clone())),
        TenantBy::Label(key) => match pod.labels.get(key) {
            Some(v) => Ok(Some(v.clone())),
            None => Err(Error::Usage(format!(
                "pod {} has no label {key:?}: every workload pod needs it with \
                 --tenant-by label:{key} (kube-system pods excepted)",
                pod.key()
            ))),
        },
    }
}

/// With `--tenants` and `--tenant-by label:KEY`, a workload pod without
/// the label: not among the tenants, left out (without `--tenants`, an
/// error).
fn unlabelled_outside(pod: &Pod, by: &TenantBy, only: &[String]) -> bool {
    match by {
        TenantBy::Label(key) => {
            !only.is_empty()
                && pod.namespace != INFRASTRUCTURE_NAMESPACE
                && !pod.labels.contains_key(key)
        }
        TenantBy::Namespace => false,
    }
}

/// The scenario from scratch ([`Tenancy`]); with `only`, just those
/// tenants' pods (an unknown one is an error).
pub(crate) fn tenancy(cluster: &Cluster, by: &TenantBy, only: &[String]) -> Result<Tenancy> {
    if cluster.pools.is_empty() {
        return Err(Error::Usage(
            "tenancy plans every layout from scratch and needs NodePools".into(),
        ));
    }
    let mut base = cluster.clone();
    base.nodes.clear();
    base.warnings.clear();
    base.pods.clear();
    for pool in &mut base.pools {
        pool.first_new_index = 0;
        if is_system(pool) {
            pool.min_count = pool.min_count.max(1);
        }
    }
    let mut tenant_of = Vec::new();
    let mut found = BTreeSet::new();
    for pod in &cluster.pods {
        if pod.is_terminal() || is_node_bound(pod) {
            continue;
        }
        if unlabelled_outside(pod, by, only) {
            continue;
        }
        let tenant = tenant_of_pod(pod, by)?;
        if let Some(t) = &tenant {
            found.insert(t.clone());
            if !only.is_empty() && !only.contains(t) {
                continue;
            }
        }
        base.pods.push(unbound(pod));
        tenant_of.push(tenant);
    }
    if let Some(missing) = only.iter().find(|t| !found.contains(*t)) {
        return Err(Error::Usage(format!(
            "--tenants: no pod of tenant {missing:?} (tenants: {})",
            found.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let tenants: BTreeSet<String> = tenant_of.iter().flatten().cloned().collect();
    if tenants.is_empty() {
        return Err(Error::Usage("no tenant pods: nothing to compare".into()));
    }
    Ok(Tenancy {
        base,
        tenant_of,
        tenants: tenants.into_iter().collect(),
    })
}

/// The pod as its controller recreates it: pending, on no node.
fn unbound(pod: &Pod) -> Pod {
    let mut pod = pod.clone();
    pod.node_name = None;
    pod.node = None;
    pod.phase = PodPhase::Pending;
    pod.ready = false;
    pod
}

/// Whether a pod with `spec` may run on some node of the pool: its
/// required node affinity and selector match a new node (in some zone)
/// and it tolerates the pool's hard taints. Resources are not checked.
fn can_use(cluster: &Cluster, pool: PoolId, spec: &PodSpec) -> bool {
    let p = &cluster.pools[pool.index()];
    let tolerated =
        taint_toleration::find_untolerated(&p.taints, &spec.tolerations, taint_toleration::is_hard)
            .is_none();
    tolerated
        && (0..p.zones.len().max(1))
            .any(|k| node_affinity::required_matches(spec, &p.new_node(pool, k)))
}

/// The user pools some pod of `tenant` may use (every user pool when
/// none: `place` then says why its pods fit nowhere).
fn pools_of(t: &Tenancy, tenant: &str) -> Vec<usize> {
    let user: Vec<usize> = (0..t.base.pools.len())
        .filter(|&i| !is_system(&t.base.pools[i]))
        .collect();
    let used: Vec<usize> = user
        .iter()
        .copied()
        .filter(|&i| {
            t.base.pods.iter().zip(&t.tenant_of).any(|(pod, owner)| {
                owner.as_deref() == Some(tenant) && can_use(&t.base, PoolId(i as u32), &pod.spec)
            })
        })
        .collect();
    if used.is_empty() {
        user
    } else {
        used
    }
}

/// `shared`: every tenant on the scenario's pools.
pub(crate) fn shared(t: &Tenancy) -> PlannedCluster {
    PlannedCluster {
        name: "shared".into(),
        owner: vec![None; t.base.pools.len()],
        cluster: t.base.clone(),
        tenant: None,
    }
}

/// `shared` as it runs (`--keep-existing`): the scenario's nodes and the
/// pods bound to them stay, the pending pods are planned. A node in no
/// NodePool is an error: its price is unknown.
pub(crate) fn shared_as_running(cluster: &Cluster) -> Result<PlannedCluster> {
    if let Some(node) = cluster.nodes.iter().find(|n| n.pool.is_none()) {
        return Err(Error::Usage(format!(
            "--keep-existing: node {} is in no NodePool (label {AGENTPOOL_LABEL}), \
             so its price is unknown",
            node.name
        )));
    }
    let mut running = cluster.clone();
    running.pods.retain(|p| !p.is_terminal());
    Ok(PlannedCluster {
        name: "shared".into(),
        owner: vec![None; running.pools.len()],
        cluster: running,
        tenant: None,
    })
}

/// A user pool's copy dedicated to `tenant`: named `<pool>-<tenant>`,
/// labelled and tainted `podplan.dev/tenant=<tenant>:NoSchedule`.
fn dedicated_copy(pool: &NodePool, tenant: &str) -> NodePool {
    let mut copy = pool.clone();
    copy.name = format!("{}-{tenant}", pool.name);
    copy.labels.insert(TENANT_LABEL.into(), tenant.into());
    if copy.labels.contains_key(AGENTPOOL_LABEL) {
        copy.labels
            .insert(AGENTPOOL_LABEL.into(), copy.name.clone());
    }
    copy.taints.push(Taint {
        key: TENANT_LABEL.into(),
        value: tenant.into(),
        effect: TaintEffect::NoSchedule,
    });
    copy
}

/// `spec` with the toleration of `tenant`'s taint and its node selector.
fn for_tenant(spec: &PodSpec, tenant: &str) -> PodSpec {
    let mut spec = spec.clone();
    spec.tolerations.push(Toleration {
        key: TENANT_LABEL.into(),
        operator: TolerationOperator::Equal,
        value: tenant.into(),
        effect: Some(TaintEffect::NoSchedule),
    });
    spec.node_selector
        .insert(TENANT_LABEL.into(), tenant.into());
    spec
}

/// `dedicated-pools`: the system pools shared, each user pool a tenant's
/// pods may use copied for that tenant ([`dedicated_copy`]), its pods
/// given the toleration and the node selector ([`for_tenant`]). The
/// original user pools stay, with minCount 0, for infrastructure pods
/// only.
pub(crate) fn dedicated_pools(t: &Tenancy) -> PlannedCluster {
    let mut cluster = t.base.clone();
    let mut owner = vec![None; cluster.pools.len()];
    for pool in &mut cluster.pools {
        if !is_system(pool) {
            pool.min_count = 0;
        }
    }
    for tenant in &t.tenants {
        for i in pools_of(t, tenant) {
            cluster.pools.push(dedicated_copy(&t.base.pools[i], tenant));
            owner.push(Some(tenant.clone()));
        }
    }
    // One new spec per shared spec and tenant, so replicas stay alike.
    let mut specs: HashMap<(*const PodSpec, &str), Arc<PodSpec>> = HashMap::new();
    for (pod, tenant) in cluster.pods.iter_mut().zip(&t.tenant_of) {
        if let Some(tenant) = tenant.as_deref() {
            let key = (Arc::as_ptr(&pod.spec), tenant);
            let spec = specs
                .entry(key)
                .or_insert_with(|| Arc::new(for_tenant(&pod.spec, tenant)));
            pod.spec = Arc::clone(spec);
        }
    }
    PlannedCluster {
        name: "dedicated-pools".into(),
        cluster,
        owner,
        tenant: None,
    }
}

/// `dedicated-clusters`: per tenant, a cluster with the infrastructure
/// pods, the tenant's pods, the system pools (minCount at least 1), the
/// user pools its pods may use, and the DaemonSets.
pub(crate) fn dedicated_clusters(t: &Tenancy) -> Vec<PlannedCluster> {
    t.tenants
        .iter()
        .map(|tenant| {
            let mut cluster = t.base.clone();
            let keep = pools_of(t, tenant);
            cluster.pools = (0..t.base.pools.len())
                .filter(|&i| is_system(&t.base.pools[i]) || keep.contains(&i))
                .map(|i| t.base.pools[i].clone())
                .collect();
            cluster.pods = t
                .base
                .pods
                .iter()
                .zip(&t.tenant_of)
                .filter(|(_, owner)| owner.is_none() || owner.as_deref() == Some(tenant))
                .map(|(pod, _)| pod.clone())
                .collect();
            PlannedCluster {
                name: tenant.clone(),
                owner: vec![Some(tenant.clone()); cluster.pools.len()],
                cluster,
                tenant: Some(tenant.clone()),
            }
        })
        .collect()
}
