//! The MILP/LP encoding of the aggregated placement problem, used for the
//! proven lower bound (and to size pools): pods of each class are split
//! over existing nodes and new-node types, each bin's capacity holds per
//! resource dimension, a type holds at most `cap` pods of a class per node
//! (so big pods and one-per-node pods count whole nodes), and a pool with
//! `n` new nodes has `ceil((n - z) / Z)` nodes in zone z.
//!
//! With `tight`, each bin's capacity per dimension is cut to the largest
//! sum of its compatible classes' requests that fits (`fillable`): pods of
//! 1, 2 and 4 CPU never use more than 15 of a node's 15.7 CPU.
//!
//! Every valid plan is a feasible point of this model (it ignores only
//! how pods of different classes fragment one node, and the inter-pod
//! constraints), so its optimum — of the LP relaxation, or of the MILP with
//! integer node counts when proven — is a lower bound on any plan's cost.

// Rows and columns of the model are indexed by class, bin and dimension.
#![allow(clippy::needless_range_loop)]

use super::problem::Problem;
// The LP/MILP backend: pure-Rust microlp (also in wasm), or HiGHS with the
// `highs` feature (native only).
use crate::engine::lp::{backend, InterruptedBound};
use good_lp::{
    constraint, variable, Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus,
    SolverModel, Variable, WithInitialSolution, WithTimeLimit,
};
use std::collections::HashMap;

/// Existing nodes beyond which nodes with the same compatible classes are
/// merged into one bin (a relaxation: the bound stays valid, the model small).
const MERGE_EXISTING_ABOVE: usize = 300;

/// Safety margin for floating-point error in the solver's objective.
fn shave(v: f64) -> f64 {
    (v - 1e-6 * (1.0 + v.abs())).max(0.0)
}

/// A solved bound model.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    /// The proven lower bound on the cost of placing the demanded pods.
    pub value: f64,
    /// The model's optimal new nodes per pool (fractional for the LP).
    pub pool_nodes: Vec<f64>,
    /// True when the MILP (integer node counts) was solved to optimality.
    pub integral: bool,
    /// Pods the model leaves unplaced (with a penalty only).
    pub unplaced_pods: f64,
    /// Per class: pods the model puts on each type (index into `types`).
    pub on_types: Vec<HashMap<usize, f64>>,
    /// Existing nodes as the model sees them: bins of indices into `existing`.
    pub bins: Vec<Vec<usize>>,
    /// Per class: pods the model puts in each existing bin.
    pub on_bins: Vec<HashMap<usize, f64>>,
}

/// What to solve.
#[derive(Clone, Copy)]
pub(crate) struct Query<'a> {
    /// Pods per class to place.
    pub demand: &'a [u32],
    /// With a penalty per class, pods may stay unplaced at that cost each.
    pub penalty: Option<&'a [f64]>,
    /// Integer node counts (a MILP).
    pub integer: bool,
    /// New nodes per pool fixed to these counts.
    pub fixed_pool_nodes: Option<&'a [u32]>,
    /// Seconds.
    pub time_limit: f64,
    /// A known plan to start from (MILP).
    pub warm: Option<&'a Warm<'a>>,
    /// Cut capacities to what the classes can fill ([`fillable`]): a
    /// tighter bound, but a worse guide for the packer, which needs the
    /// slack the cut removes to absorb fragmentation.
    pub tight: bool,
}

/// A known plan, as a starting point for the MILP.
pub(crate) struct Warm<'a> {
    /// New nodes per pool.
    pub pool_nodes: &'a [u32],
    /// Per class: pods on each existing node (by index into `existing`).
    pub on_existing: &'a [HashMap<usize, u32>],
    /// Per class: pods on each type.
    pub on_types: &'a [HashMap<usize, u32>],
}

/// One spread row: pods of `class` in domain A (+1) minus domain B (-1).
struct SpreadRow {
    class: usize,
    existing_bins: Vec<(usize, f64)>,
    types: HashMap<usize, f64>,
    max_skew: f64,
}

/// Rows `N_a - N_b <= maxSkew` that every valid plan satisfies, for each
/// DoNotSchedule constraint of a class whose selector matches only pods of
/// that class (none placed yet, no other class) and has no minDomains:
/// between two domains that exist in every plan's final state, a pod in
/// `a` passes the filter only if `N_a - N_b` is at most maxSkew (and with
/// no pod in `a` the row holds trivially). Domains that exist in every
/// plan: those of eligible existing nodes, and, with `forced` demand
/// (every pod of `demand` placed), those of the first zones of a pool that
/// must add so many nodes: a class that only one pool's new nodes take,
/// `k` at most to a node, needs `ceil(demand / k)` of them, and new nodes
/// go round-robin over the pool's zones.
fn spread_rows(p: &Problem, bins: &[Vec<usize>], forced: Option<&[u32]>) -> Vec<SpreadRow> {
    use crate::model::InclusionPolicy;
    use crate::predicates::{node_affinity, taint_toleration};
    let mut rows = Vec::new();
    for (c, class) in p.classes.iter().enumerate() {
        let pod = p.cluster.pod(class.representative());
        for constraint in &pod.spec.topology_spread {
            if constraint.when_unsatisfiable != crate::model::UnsatisfiableAction::DoNotSchedule
                || constraint.min_domains.is_some()
            {
                continue;
            }
            let selects = |namespace: &str, labels: &crate::model::Labels| {
                namespace == pod.namespace && constraint.selector.matches(labels)
            };
            let other_class = p.classes.iter().enumerate().any(|(o, other)| {
                let rep = p.cluster.pod(other.representative());
                o != c && selects(&rep.namespace, &rep.labels)
            });
            let placed = p
                .base
                .groups()
                .iter()
                .any(|g| !g.per_node.is_empty() && selects(&g.namespace, &g.labels));
            if other_class || placed || !selects(&pod.namespace, &pod.labels) {
                continue;
            }
            let key = &constraint.topology_key;
            let eligible = |node: &crate::model::Node| {
                node.labels.contains_key(key)
                    && (constraint.node_affinity_policy == InclusionPolicy::Ignore
                        || node_affinity::required_matches(&pod.spec, node))
                    && (constraint.node_taints_policy == InclusionPolicy::Ignore
                        || taint_toleration::find_untolerated(
                            &node.taints,
                            &pod.spec.tolerations,
                            taint_toleration::is_hard,
                        )
                        .is_none())
            };
            let mut domains: Vec<&str> = p
                .existing
                .iter()
                .map(|n| p.base.node(*n))
                .filter(|n| eligible(n))
                .filter_map(|n| n.labels.get(key).map(String::as_str))
                .collect();
            if let Some(demand) = forced {
                domains.extend(forced_domains(p, c, demand[c], key, &eligible));
            }
            domains.sort_unstable();
            domains.dedup();
            if domains.len() < 2 || domains.len() > 16 {
                continue;
            }
            // Domain of each bin; a merged bin spanning domains voids the rows.
            let mut bin_domain: Vec<Option<&str>> = Vec::with_capacity(bins.len());
            let mut mixed = false;
            for members in bins {
                let mut values = members.iter().map(|i| {
                    p.base
                        .node(p.existing[*i])
                        .labels
                        .get(key)
                        .map(String::as_str)
                });
                let first = values.next().flatten();
                if values.any(|v| v != first) {
                    mixed = true;
                }
                bin_domain.push(first);
            }
            if mixed {
                continue;
            }
            let type_domain: Vec<Option<&str>> = p
                .types
                .iter()
                .map(|t| t.template.labels.get(key).map(String::as_str))
                .collect();
            for a in &domains {
                for b in &domains {
                    if a == b {
                        continue;
                    }
                    let sign = |d: Option<&str>| match d {
                        Some(d) if d == *a => 1.0,
                        Some(d) if d == *b => -1.0,
                        _ => 0.0,
                    };
                    rows.push(SpreadRow {
                        class: c,
                        existing_bins: bin_domain
                            .iter()
                            .enumerate()
                            .map(|(i, d)| (i, sign(*d)))
                            .filter(|(_, s)| *s != 0.0)
                            .collect(),
                        types: type_domain
                            .iter()
                            .enumerate()
                            .map(|(i, d)| (i, sign(*d)))
                            .filter(|(_, s)| *s != 0.0)
                            .collect(),
                        max_skew: f64::from(constraint.max_skew),
                    });
                }
            }
        }
    }
    rows
}

/// The `key` values of the zones a pool must open in every plan placing
/// `demand` pods of class `c`: when only new nodes of one pool take the
/// class (at most `k` pods to a node), the plan adds at least
/// `ceil(demand / k)` of them, round-robin over the pool's zones, so the
/// first that many zones hold a node (eligible for the spread, as the
/// class may run there).
fn forced_domains<'p>(
    p: &'p Problem,
    c: usize,
    demand: u32,
    key: &str,
    eligible: &dyn Fn(&crate::model::Node) -> bool,
) -> Vec<&'p str> {
    let types = &p.compat_types[c];
    if demand == 0 || !p.compat_existing[c].is_empty() || types.is_empty() {
        return Vec::new();
    }
    let pool = p.types[types[0].0].pool;
    if types.iter().any(|(t, _)| p.types[*t].pool != pool) {
        return Vec::new();
    }
    let per_node = types.iter().map(|(_, cap)| *cap).fold(0.0, f64::max);
    if per_node < 1.0 {
        return Vec::new();
    }
    let nodes = (f64::from(demand) / per_node).ceil();
    p.types
        .iter()
        .filter(|t| t.pool == pool && (t.zone as f64) < nodes && eligible(&t.template))
        .filter_map(|t| t.template.labels.get(key).map(String::as_str))
        .collect()
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Largest multiple-of-units count a knapsack of `units` can be filled to
/// with items of the given sizes (unbounded counts), by a bitset DP; only
/// called with `units` small enough to afford it.
fn max_reachable(units: usize, sizes: &[usize]) -> usize {
    let words = units / 64 + 1;
    let mut reach = vec![0u64; words];
    reach[0] = 1;
    let get = |r: &[u64], i: usize| r[i / 64] >> (i % 64) & 1 == 1;
    for i in 0..=units {
        if !get(&reach, i) {
            continue;
        }
        for &s in sizes {
            let j = i + s;
            if s > 0 && j <= units {
                reach[j / 64] |= 1 << (j % 64);
            }
        }
    }
    (0..=units).rev().find(|&i| get(&reach, i)).unwrap_or(0)
}

/// Units beyond which the subset-sum DP is skipped (only the gcd is used).
const SUBSET_SUM_UNITS: usize = 1 << 16;

/// The most of `free` that pods of `classes` can fill in dimension `d`:
/// no sum of their requests lands strictly between this and `free`, so
/// every valid plan meets the capacity row with this right-hand side too.
/// Requests are whole numbers (milli-CPU, bytes, counts), so the loads are
/// multiples of their gcd, and the DP finds the largest reachable sum.
fn fillable(p: &Problem, classes: &[usize], d: usize, free: f64) -> f64 {
    let sizes: Vec<u64> = classes
        .iter()
        .map(|c| p.class_req[*c][d])
        .filter(|r| *r > 0.0 && *r <= free)
        .map(|r| r as u64)
        .collect();
    let g = sizes.iter().fold(0u64, |g, s| gcd(g, *s));
    if g == 0 {
        return free;
    }
    let units = (free / g as f64).floor() as u64;
    let best = if units as usize <= SUBSET_SUM_UNITS && sizes.len() <= 4096 {
        let mut unit_sizes: Vec<usize> = sizes.iter().map(|s| (s / g) as usize).collect();
        unit_sizes.sort_unstable();
        unit_sizes.dedup();
        max_reachable(units as usize, &unit_sizes) as u64
    } else {
        units
    };
    (best * g) as f64
}

/// Existing nodes, merged where there are many: (member indices, summed free).
fn existing_bins(p: &Problem) -> Vec<Vec<usize>> {
    if p.existing.len() <= MERGE_EXISTING_ABOVE {
        return (0..p.existing.len()).map(|i| vec![i]).collect();
    }
    let mut signature: Vec<Vec<usize>> = vec![Vec::new(); p.existing.len()];
    for (c, list) in p.compat_existing.iter().enumerate() {
        for (i, _) in list {
            signature[*i].push(c);
        }
    }
    let mut groups: HashMap<Vec<usize>, Vec<usize>> = HashMap::new();
    for (i, sig) in signature.into_iter().enumerate() {
        if !sig.is_empty() {
            groups.entry(sig).or_default().push(i);
        }
    }
    let mut bins: Vec<Vec<usize>> = groups.into_values().collect();
    bins.sort();
    bins
}

/// Solves the bound model for `demand` pods per class. With `penalty`,
/// pods may stay unplaced at that cost per pod (per class); without, all
/// must be placed. `integer` makes node counts integral (a MILP, given
/// `time_limit` seconds and an optional warm start).
pub(crate) fn solve(p: &Problem, q: &Query) -> Option<Bound> {
    solve_model(p, q, 0.0).ok()
}

/// Why a model has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The solver proved that no point meets the rows.
    Infeasible,
    /// Anything else (time limit, numerical trouble): nothing proven.
    Unknown,
}

/// Relative slack on the capacity rows of a refutation: a plan that fills
/// a node exactly must not be refuted by the solver's rounding.
const REFUTE_SLACK: f64 = 1e-7;

/// True when no plan with exactly `counts` new nodes per pool places all
/// `demand` pods: the LP relaxation of the (tight) bound model with node
/// counts fixed is proven infeasible, with capacities loosened by
/// [`REFUTE_SLACK`]. False when it is feasible or the solver gave no proof
/// (time limit), so a refutation can be trusted in a lower bound.
pub(crate) fn refutes(p: &Problem, counts: &[u32], demand: &[u32], time_limit: f64) -> bool {
    let q = Query {
        demand,
        penalty: None,
        integer: false,
        fixed_pool_nodes: Some(counts),
        time_limit,
        warm: None,
        tight: true,
    };
    // A pool no demanded class may use has no variable in the model: nodes
    // of it take nothing, so they cannot make the demand fit either.
    solve_model(p, &q, REFUTE_SLACK).err() == Some(Failure::Infeasible)
}

/// [`solve`], telling a proven infeasibility apart from other failures;
/// `slack` loosens every capacity row by that fraction.
fn solve_model(p: &Problem, q: &Query, slack: f64) -> Result<Bound, Failure> {
    let Query {
        demand,
        penalty,
        integer,
        fixed_pool_nodes,
        time_limit,
        warm,
        tight,
    } = *q;
    let fill = |classes: &[usize], d: usize, free: f64| {
        if tight {
            fillable(p, classes, d, free)
        } else {
            free
        }
    };
    let pools = &p.cluster.pools;
    let bins = existing_bins(p);
    let mut bin_of = vec![usize::MAX; p.existing.len()];
    for (b, members) in bins.iter().enumerate() {
        for &i in members {
            bin_of[i] = b;
        }
    }
    // Scale every dimension to O(1) for the simplex.
    let ndims = p.dims.len();
    let mut scale = vec![1.0f64; ndims];
    for free in p.existing_free.iter().chain(&p.type_free) {
        for d in 0..ndims {
            scale[d] = scale[d].max(free[d]);
        }
    }
    let mut vars = ProblemVariables::new();
    let pool_used: Vec<bool> = (0..pools.len())
        .map(|pi| (0..p.classes.len()).any(|c| demand[c] > 0 && p.pools_for_class(c).contains(&pi)))
        .collect();
    let n: Vec<Option<Variable>> = (0..pools.len())
        .map(|pi| {
            pool_used[pi].then(|| {
                let v = match fixed_pool_nodes {
                    Some(fixed) => variable().min(fixed[pi]).max(fixed[pi]),
                    None => variable().min(0).max(p.pool_room[pi] as f64),
                };
                vars.add(if integer { v.integer() } else { v })
            })
        })
        .collect();
    let y: Vec<Option<Variable>> = p
        .types
        .iter()
        .map(|t| {
            n[t.pool.index()].map(|_| {
                let v = variable().min(0);
                vars.add(if integer { v.integer() } else { v })
            })
        })
        .collect();
    // x[c]: (bin kind, index, var)
    let mut x_existing: Vec<HashMap<usize, Variable>> = vec![HashMap::new(); p.classes.len()];
    let mut x_types: Vec<Vec<(usize, f64, Variable)>> = vec![Vec::new(); p.classes.len()];
    let mut u: Vec<Option<Variable>> = vec![None; p.classes.len()];
    for c in 0..p.classes.len() {
        if demand[c] == 0 {
            continue;
        }
        let mut cap_per_bin: HashMap<usize, f64> = HashMap::new();
        for (i, cap) in &p.compat_existing[c] {
            *cap_per_bin.entry(bin_of[*i]).or_insert(0.0) += cap;
        }
        for (b, cap) in cap_per_bin {
            x_existing[c].insert(b, vars.add(variable().min(0).max(cap)));
        }
        for (t, cap) in &p.compat_types[c] {
            if y[*t].is_some() {
                x_types[c].push((*t, *cap, vars.add(variable().min(0))));
            }
        }
        if penalty.is_some() {
            u[c] = Some(vars.add(variable().min(0).max(demand[c] as f64)));
        }
    }
    let mut objective = Expression::from(0.0);
    for (pi, v) in n.iter().enumerate() {
        if let Some(v) = v {
            objective += pools[pi].cost_per_hour * *v;
        }
    }
    if let Some(pen) = penalty {
        for (c, v) in u.iter().enumerate() {
            if let Some(v) = v {
                objective += pen[c] * *v;
            }
        }
    }
    let mut warm_values: Vec<(Variable, f64)> = Vec::new();
    if let Some(w) = warm {
        for (pi, v) in n.iter().enumerate() {
            if let Some(v) = v {
                warm_values.push((*v, f64::from(w.pool_nodes[pi])));
            }
        }
        for (ti, v) in y.iter().enumerate() {
            if let Some(v) = v {
                let t = &p.types[ti];
                let zones = pools[t.pool.index()].zones.len();
                let count = crate::engine::classes::nodes_in_zone(
                    w.pool_nodes[t.pool.index()],
                    zones,
                    t.zone,
                );
                warm_values.push((*v, f64::from(count)));
            }
        }
        for c in 0..p.classes.len() {
            let mut per_bin: HashMap<usize, u32> = HashMap::new();
            for (i, k) in &w.on_existing[c] {
                *per_bin.entry(bin_of[*i]).or_insert(0) += k;
            }
            for (b, v) in &x_existing[c] {
                warm_values.push((*v, f64::from(per_bin.get(b).copied().unwrap_or(0))));
            }
            for (t, _, v) in &x_types[c] {
                warm_values.push((*v, f64::from(w.on_types[c].get(t).copied().unwrap_or(0))));
            }
            if let Some(v) = u[c] {
                let placed: u32 =
                    w.on_existing[c].values().sum::<u32>() + w.on_types[c].values().sum::<u32>();
                warm_values.push((v, f64::from(demand[c].saturating_sub(placed))));
            }
        }
    }
    let mut model = vars.minimise(objective.clone()).using(backend);
    if !warm_values.is_empty() {
        model = model.with_initial_solution(warm_values);
    }
    model = model.with_time_limit(time_limit.max(0.01));
    // Every pod of the demand is placed (or unplaced at a penalty).
    for c in 0..p.classes.len() {
        if demand[c] == 0 {
            continue;
        }
        let mut placed = Expression::from(0.0);
        for v in x_existing[c].values() {
            placed += *v;
        }
        for (_, _, v) in &x_types[c] {
            placed += *v;
        }
        if let Some(v) = u[c] {
            placed += v;
        }
        model.add_constraint(constraint!(placed == demand[c] as f64));
    }
    // Capacity of merged existing bins (each node's free capacity cut to
    // what its compatible classes can fill).
    let mut classes_of_existing: Vec<Vec<usize>> = vec![Vec::new(); p.existing.len()];
    for c in 0..p.classes.len() {
        if demand[c] > 0 {
            for (i, _) in &p.compat_existing[c] {
                classes_of_existing[*i].push(c);
            }
        }
    }
    for (b, members) in bins.iter().enumerate() {
        for d in 0..ndims {
            let mut load = Expression::from(0.0);
            let mut any = false;
            for c in 0..p.classes.len() {
                if let Some(v) = x_existing[c].get(&b) {
                    let r = p.class_req[c][d] / scale[d];
                    if r > 0.0 {
                        load += r * *v;
                        any = true;
                    }
                }
            }
            if any {
                let free: f64 = members
                    .iter()
                    .map(|i| fill(&classes_of_existing[*i], d, p.existing_free[*i][d]))
                    .sum::<f64>()
                    / scale[d]
                    * (1.0 + slack);
                model.add_constraint(constraint!(load <= free));
            }
        }
    }
    // Capacity of each type, per node and per class.
    let mut classes_of_type: Vec<Vec<usize>> = vec![Vec::new(); p.types.len()];
    for (c, list) in x_types.iter().enumerate() {
        for (t, _, _) in list {
            classes_of_type[*t].push(c);
        }
    }
    for (ti, yv) in y.iter().enumerate() {
        let Some(yv) = yv else { continue };
        for d in 0..ndims {
            let mut load = Expression::from(0.0);
            let mut any = false;
            for c in 0..p.classes.len() {
                for (t, _, v) in &x_types[c] {
                    if *t == ti {
                        let r = p.class_req[c][d] / scale[d];
                        if r > 0.0 {
                            load += r * *v;
                            any = true;
                        }
                    }
                }
            }
            if any {
                let free =
                    fill(&classes_of_type[ti], d, p.type_free[ti][d]) / scale[d] * (1.0 + slack);
                model.add_constraint(constraint!(load <= free * *yv));
            }
        }
    }
    for list in &x_types {
        for (t, cap, v) in list {
            if let Some(yv) = y[*t] {
                model.add_constraint(constraint!(*v <= *cap * yv));
            }
        }
    }
    // Topology spread: N_z - N_z' <= maxSkew between domains that exist
    // whatever the plan (see `spread_rows`).
    // With every pod placed, zones that demand forces open count too.
    let forced = penalty.is_none().then_some(demand);
    for row in spread_rows(p, &bins, forced) {
        let c = row.class;
        let mut diff = Expression::from(0.0);
        for (b, sign) in &row.existing_bins {
            if let Some(v) = x_existing[c].get(b) {
                diff += *sign * *v;
            }
        }
        for (t, _, v) in &x_types[c] {
            if let Some(sign) = row.types.get(t) {
                diff += *sign * *v;
            }
        }
        model.add_constraint(constraint!(diff <= row.max_skew));
    }
    // A pool's new nodes are its nodes over all zones.
    for (pi, nv) in n.iter().enumerate() {
        let Some(nv) = nv else { continue };
        let mut total = Expression::from(0.0);
        for (ti, yv) in y.iter().enumerate() {
            if let (Some(yv), true) = (yv, p.types[ti].pool.index() == pi) {
                total += *yv;
            }
        }
        model.add_constraint(constraint!(total == *nv));
    }
    // Round-robin zones: Z*y_z <= n + Z - 1 - z and Z*y_z >= n - z.
    for (ti, yv) in y.iter().enumerate() {
        let (Some(yv), t) = (yv, &p.types[ti]) else {
            continue;
        };
        let Some(nv) = n[t.pool.index()] else {
            continue;
        };
        let zones = pools[t.pool.index()].zones.len().max(1) as f64;
        let z = t.zone as f64;
        model.add_constraint(constraint!(zones * *yv <= nv + zones - 1.0 - z));
        model.add_constraint(constraint!(zones * *yv >= nv - z));
    }
    let solution = match model.solve() {
        Ok(s) => s,
        Err(ResolutionError::Infeasible) => return Err(Failure::Infeasible),
        Err(_) => return Err(Failure::Unknown),
    };
    let status = solution.status();
    let objective_value = solution.eval(&objective);
    let pool_nodes: Vec<f64> = n
        .iter()
        .map(|v| v.map_or(0.0, |v| solution.value(v)))
        .collect();
    let unplaced: Vec<f64> = u
        .iter()
        .map(|v| v.map_or(0.0, |v| solution.value(v)))
        .collect();
    let on_types: Vec<HashMap<usize, f64>> = x_types
        .iter()
        .map(|list| {
            list.iter()
                .map(|(t, _, v)| (*t, solution.value(*v)))
                .filter(|(_, x)| *x > 1e-9)
                .collect()
        })
        .collect();
    let on_bins: Vec<HashMap<usize, f64>> = x_existing
        .iter()
        .map(|m| {
            m.iter()
                .map(|(b, v)| (*b, solution.value(*v)))
                .filter(|(_, x)| *x > 1e-9)
                .collect()
        })
        .collect();
    let penalty_paid: f64 = match penalty {
        Some(pen) => unplaced.iter().zip(pen).map(|(k, w)| k * w).sum(),
        None => 0.0,
    };
    let (value, integral) = match (integer, status) {
        (false, _) => (objective_value - penalty_paid, false),
        (true, SolutionStatus::Optimal) => (objective_value - penalty_paid, true),
        (true, _) => {
            // Interrupted MILP: only the solver's proven bound counts.
            match (solution.interrupted_bound(), penalty) {
                (Some(b), None) => (b, false),
                _ => return Err(Failure::Unknown),
            }
        }
    };
    Ok(Bound {
        value: shave(value),
        pool_nodes,
        integral,
        unplaced_pods: unplaced.iter().sum(),
        on_types,
        bins,
        on_bins,
    })
}

/// The configuration LP of one pool's pods over known node patterns
/// (pods per class on one node), in its dual form: prices per class, at
/// most 1 each, of greatest total over `demand`, with no pattern worth
/// more than one node. A pattern worth more prices a new column (column
/// generation). None when the solver fails.
pub(crate) fn pattern_prices(
    patterns: &[Vec<usize>],
    demand: &[usize],
    time_limit: f64,
) -> Option<Vec<f64>> {
    let mut vars = ProblemVariables::new();
    let y: Vec<Variable> = demand
        .iter()
        .map(|_| vars.add(variable().min(0).max(1)))
        .collect();
    let mut objective = Expression::from(0.0);
    for (v, d) in y.iter().zip(demand) {
        objective += *d as f64 * *v;
    }
    let mut model = vars
        .maximise(objective)
        .using(backend)
        .with_time_limit(time_limit.max(0.01));
    for pattern in patterns {
        let mut worth = Expression::from(0.0);
        for (v, k) in y.iter().zip(pattern) {
            if *k > 0 {
                worth += *k as f64 * *v;
            }
        }
        model.add_constraint(constraint!(worth <= 1.0));
    }
    let solution = model.solve().ok()?;
    Some(y.iter().map(|v| solution.value(*v)).collect())
}

/// The configuration LP in its primal form: nodes of each pattern (a
/// fraction) covering `demand` with the fewest nodes. None when the
/// solver fails.
pub(crate) fn pattern_nodes(
    patterns: &[Vec<usize>],
    demand: &[usize],
    time_limit: f64,
) -> Option<Vec<f64>> {
    let mut vars = ProblemVariables::new();
    let x: Vec<Variable> = patterns
        .iter()
        .map(|_| vars.add(variable().min(0)))
        .collect();
    let mut objective = Expression::from(0.0);
    for v in &x {
        objective += *v;
    }
    let mut model = vars
        .minimise(objective)
        .using(backend)
        .with_time_limit(time_limit.max(0.01));
    for (c, d) in demand.iter().enumerate() {
        if *d == 0 {
            continue;
        }
        let mut covered = Expression::from(0.0);
        for (v, pattern) in x.iter().zip(patterns) {
            if pattern[c] > 0 {
                covered += pattern[c] as f64 * *v;
            }
        }
        model.add_constraint(constraint!(covered >= *d as f64));
    }
    let solution = model.solve().ok()?;
    Some(x.iter().map(|v| solution.value(*v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cutting stock with patterns (2 A), (3 B) and (1 A + 1 B) for 4 A
    /// and 3 B: 3 nodes (2 + 1), priced A 1/2 and B 1/3 by the dual.
    #[test]
    fn configuration_lp_and_its_dual() {
        let patterns = vec![vec![2, 0], vec![0, 3], vec![1, 1]];
        let demand = [4, 3];
        let prices = pattern_prices(&patterns, &demand, 5.0).unwrap();
        assert!((prices[0] - 0.5).abs() < 1e-6, "{prices:?}");
        assert!((prices[1] - 1.0 / 3.0).abs() < 1e-6, "{prices:?}");
        let nodes = pattern_nodes(&patterns, &demand, 5.0).unwrap();
        let total: f64 = nodes.iter().sum();
        assert!((total - 3.0).abs() < 1e-6, "{nodes:?}");
        // Both sides agree (LP duality).
        let dual: f64 = prices.iter().zip(demand).map(|(y, d)| y * d as f64).sum();
        assert!((dual - total).abs() < 1e-6);
    }

    #[test]
    fn gcd_of_requests() {
        assert_eq!(gcd(1000, 4000), 1000);
        assert_eq!(gcd(250, 1000), 250);
        assert_eq!(gcd(0, 7), 7);
    }

    #[test]
    fn reachable_sums() {
        // Sizes 4 and 6 in 13 units: 12 is the most (4+4+4 or 6+6).
        assert_eq!(max_reachable(13, &[4, 6]), 12);
        // 5 and 7 in 11 units: 10; in 12: 12.
        assert_eq!(max_reachable(11, &[5, 7]), 10);
        assert_eq!(max_reachable(12, &[5, 7]), 12);
        // Nothing fits.
        assert_eq!(max_reachable(3, &[4]), 0);
        // Brute force over small cases.
        for units in 0..40usize {
            for a in 1..8usize {
                for b in a..10usize {
                    let mut best = 0;
                    for i in 0..=units / a {
                        for j in 0..=units / b {
                            if i * a + j * b <= units {
                                best = best.max(i * a + j * b);
                            }
                        }
                    }
                    assert_eq!(max_reachable(units, &[a, b]), best, "{units} {a} {b}");
                }
            }
        }
    }
}
