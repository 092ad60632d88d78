//! A pool with another VM size: the candidates `sizes` compares and the
//! extra pools `place --pool-sizes auto` chooses among. Capacity comes
//! from the VM catalogue, allocatable from the AKS reservation rules,
//! price from a price file or else the built-in catalogue.

use super::pools::{
    aks_allocatable, vm_capacity, vm_size, VmSize, CATALOGUE, LABEL_AGENTPOOL, LABEL_INSTANCE_TYPE,
};
use crate::error::{Error, Result};
use crate::model::prices::{Price, PriceTable, DEFAULT_REGION};
use crate::model::{Cluster, NodePool, PriceOrigin};

/// A VM size's family: the name without `Standard_`, the first run of
/// digits and the underscores (`Standard_D8s_v5` → `Dsv5`,
/// `Standard_DS3_v2` → `DSv2`, `Standard_F16s_v2` → `Fsv2`).
pub fn vm_family(name: &str) -> String {
    let short = name.strip_prefix("Standard_").unwrap_or(name);
    let letters = short
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(short.len());
    let rest = &short[letters..];
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{}{}", &short[..letters], rest).replace('_', "")
}

/// The catalogue sizes of `family` (compared case-insensitively),
/// smallest first.
pub fn family_sizes(family: &str) -> Vec<&'static VmSize> {
    let mut sizes: Vec<&'static VmSize> = CATALOGUE
        .iter()
        .filter(|v| vm_family(v.name).eq_ignore_ascii_case(family))
        .collect();
    sizes.sort_by_key(|v| (v.vcpus, v.memory_mib));
    sizes
}

/// The name of a pool `pool` of VM size `vm` beside it: `<pool>-<size>`,
/// the size lower-cased without `Standard_`, `_` as `-` (a valid node
/// name prefix): `general-d16s-v5`.
pub fn sized_pool_name(pool: &str, vm: &VmSize) -> String {
    let short = vm.name.strip_prefix("Standard_").unwrap_or(vm.name);
    format!("{pool}-{}", short.to_ascii_lowercase().replace('_', "-"))
}

/// `pool` with VM size `vm`: capacity from the catalogue (its maxPods and
/// ephemeral storage kept), allocatable by the AKS rules, the
/// instance-type label and `vmSize` changed; name and price unchanged.
pub fn resize_pool(pool: &NodePool, vm: &VmSize) -> NodePool {
    let max_pods = u32::try_from(pool.capacity.pods.max(1)).unwrap_or(u32::MAX);
    let mut capacity = vm_capacity(vm, max_pods);
    capacity.ephemeral_storage = pool.capacity.ephemeral_storage;
    let windows = pool.os_type.eq_ignore_ascii_case("Windows");
    let allocatable = aks_allocatable(&capacity, windows);
    let mut out = pool.clone();
    out.capacity = capacity;
    out.allocatable = allocatable;
    out.vm_size = Some(vm.name.to_string());
    out.labels
        .insert(LABEL_INSTANCE_TYPE.into(), vm.name.to_string());
    out
}

/// `pool` renamed `name` (its agentpool label too), with no `minCount`.
fn renamed(mut pool: NodePool, name: String) -> NodePool {
    pool.labels.insert(LABEL_AGENTPOOL.into(), name.clone());
    pool.name = name;
    pool.min_count = 0;
    pool.first_new_index = 0;
    pool
}

/// The price of `vm` for `pool`'s OS and priority in `region`: from
/// `file` if it has one, else from the built-in catalogue.
fn price_of(
    pool: &NodePool,
    vm: &VmSize,
    region: &str,
    file: Option<&PriceTable>,
) -> Option<(Price, PriceOrigin)> {
    let look = |t: &PriceTable| {
        t.lookup(vm.name, region, &pool.os_type, pool.priority)
            .cloned()
    };
    file.and_then(look)
        .map(|p| (p, PriceOrigin::File))
        .or_else(|| look(PriceTable::builtin()).map(|p| (p, PriceOrigin::Catalogue)))
}

/// What `sizes` compares for one pool.
#[derive(Debug, Clone)]
pub struct Candidates {
    /// The pool's index in the cluster.
    pub pool: usize,
    /// The region prices were looked up in.
    pub region: String,
    /// Whether it was assumed ([`DEFAULT_REGION`]).
    pub region_assumed: bool,
    /// The pool resized to each priced candidate, priced, in the order
    /// asked.
    pub pools: Vec<NodePool>,
    /// Candidates without a price.
    pub unpriced: Vec<String>,
    /// Notes on what was assumed.
    pub warnings: Vec<String>,
}

/// The candidates of `sizes` for the pool named `pool`: the sizes of
/// `names`, else every size of `families`, else the family of the pool's
/// VM size. Errors on an unknown pool, size or family.
pub fn candidates(
    cluster: &Cluster,
    pool: &str,
    names: &[String],
    families: &[String],
    region: Option<&str>,
    file: Option<&PriceTable>,
) -> Result<Candidates> {
    let index = cluster
        .pools
        .iter()
        .position(|p| p.name == pool)
        .ok_or_else(|| Error::Usage(format!("no NodePool named {pool:?}")))?;
    let base = &cluster.pools[index];
    let sizes = candidate_sizes(base, names, families)?;
    let (region, region_assumed) = match region.or(base.region.as_deref()) {
        Some(r) => (r.to_string(), false),
        None => (DEFAULT_REGION.to_string(), true),
    };
    let mut warnings = Vec::new();
    if region_assumed {
        warnings.push(format!(
            "NodePool {pool} has no region: prices are those of {region}"
        ));
    }
    let mut out = Candidates {
        pool: index,
        region,
        region_assumed,
        pools: Vec::new(),
        unpriced: Vec::new(),
        warnings,
    };
    for vm in sizes {
        match price_of(base, vm, &out.region, file) {
            Some((price, origin)) => {
                let mut p = resize_pool(base, vm);
                p.cost_per_hour = price.price;
                p.price_origin = origin;
                out.pools.push(p);
            }
            None => out.unpriced.push(vm.name.to_string()),
        }
    }
    Ok(out)
}

/// The catalogue sizes named, or of the families named, or of the pool's
/// family; without duplicates.
fn candidate_sizes(
    base: &NodePool,
    names: &[String],
    families: &[String],
) -> Result<Vec<&'static VmSize>> {
    let mut sizes: Vec<&'static VmSize> = Vec::new();
    if !names.is_empty() {
        for n in names {
            sizes.push(vm_size(n).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown VM size {n:?}: not in the built-in catalogue"
                ))
            })?);
        }
    } else {
        let families = if families.is_empty() {
            let current = base.vm_size.as_deref().and_then(vm_size).ok_or_else(|| {
                Error::Usage(format!(
                    "NodePool {} has no catalogue vmSize: name --candidates or --family",
                    base.name
                ))
            })?;
            vec![vm_family(current.name)]
        } else {
            families.to_vec()
        };
        for f in &families {
            let found = family_sizes(f);
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "unknown VM family {f:?}: the catalogue has none of its sizes"
                )));
            }
            sizes.extend(found);
        }
    }
    let mut seen = std::collections::HashSet::new();
    sizes.retain(|v| seen.insert(v.name));
    Ok(sizes)
}

/// The two-pool mix of candidates `a` (keeps the pool's name) and `b`
/// (named `<pool>-<size>`): `b`'s pool to add beside `a`.
pub fn mix_pool(b: &NodePool, pool: &str) -> NodePool {
    let vm = b.vm_size.as_deref().and_then(vm_size);
    let name = match vm {
        Some(vm) => sized_pool_name(pool, vm),
        None => format!("{pool}-mix"),
    };
    renamed(b.clone(), name)
}

/// `cluster` with, beside each pool whose VM size is in the catalogue,
/// a pool `<pool>-<size>` for every other priced size of its family
/// (same labels, taints, zones, maxCount and OS; priced in the pool's
/// region, else [`DEFAULT_REGION`]; no minCount); and notes on what was
/// added.
pub fn with_pool_sizes(cluster: &Cluster, file: Option<&PriceTable>) -> (Cluster, Vec<String>) {
    let mut out = cluster.clone();
    let mut notes = Vec::new();
    for base in &cluster.pools {
        let Some(current) = base.vm_size.as_deref().and_then(vm_size) else {
            continue;
        };
        let region = base.region.as_deref().unwrap_or(DEFAULT_REGION);
        let mut added = Vec::new();
        for vm in family_sizes(&vm_family(current.name)) {
            if vm.name == current.name {
                continue;
            }
            let Some((price, origin)) = price_of(base, vm, region, file) else {
                continue;
            };
            let mut p = renamed(resize_pool(base, vm), sized_pool_name(&base.name, vm));
            if out.pools.iter().any(|q| same_nodes(q, &p)) {
                continue;
            }
            p.cost_per_hour = price.price;
            p.price_origin = origin;
            p.resized_from = Some(base.name.clone());
            added.push(p.name.clone());
            out.pools.push(p);
        }
        if !added.is_empty() {
            notes.push(format!(
                "NodePool {}: candidate pools {} (prices of {region})",
                base.name,
                added.join(", ")
            ));
        }
    }
    (out, notes)
}

/// Whether pools `a` and `b` add the same nodes (names and the
/// agentpool label aside): an extra pool like an existing one adds
/// nothing to choose from.
fn same_nodes(a: &NodePool, b: &NodePool) -> bool {
    let labels = |p: &NodePool| {
        let mut l = p.labels.clone();
        l.remove(LABEL_AGENTPOOL);
        l
    };
    a.vm_size == b.vm_size
        && a.os_type == b.os_type
        && a.priority == b.priority
        && a.allocatable == b.allocatable
        && a.taints == b.taints
        && a.zones == b.zones
        && labels(a) == labels(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(vm_family("Standard_D8s_v5"), "Dsv5");
        assert_eq!(vm_family("Standard_DS3_v2"), "DSv2");
        assert_eq!(vm_family("Standard_F16s_v2"), "Fsv2");
        assert_eq!(vm_family("Standard_E20s_v5"), "Esv5");
        assert_eq!(vm_family("Standard_NC24ads_A100_v4"), "NCadsA100v4");
        assert_eq!(family_sizes("dsv5").len(), 8);
        assert_eq!(family_sizes("Esv5").len(), 9);
        assert_eq!(family_sizes("Fsv2").len(), 8);
        assert!(family_sizes("Zz").is_empty());
        let d16 = vm_size("Standard_D16s_v5").unwrap();
        assert_eq!(sized_pool_name("general", d16), "general-d16s-v5");
    }
}
