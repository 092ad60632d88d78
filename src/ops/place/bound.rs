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

use super::cuts_clique;
use super::problem::Problem;
// The LP/MILP backend: pure-Rust microlp (also in wasm), or HiGHS with the
// `highs` feature (native only).
use crate::engine::lp::{backend, IntegerIf, InterruptedBound};
use crate::model::{
    InclusionPolicy, Labels, Node, Pod, TopologySpreadConstraint, UnsatisfiableAction,
};
use crate::predicates::{node_affinity, taint_toleration};
use good_lp::{
    constraint, variable, Constraint, Expression, ProblemVariables, ResolutionError, Solution,
    SolutionStatus, SolverModel, Variable, WithInitialSolution, WithTimeLimit,
};
use std::collections::HashMap;

/// (Class, existing node) pairs beyond which existing nodes with the same
/// compatible classes are merged into one bin (a relaxation: the bound
/// stays valid, the model small). Measured on the family's l scenarios
/// (250 classes, 229 existing nodes, about 50,000 pairs): the LP takes
/// 10 s unmerged and 0.5 s merged, to the same value.
const MERGE_EXISTING_PAIRS_ABOVE: usize = 10_000;

/// How much tighter than the capacity rows a per-node cap on a class must
/// be to get its own row, on models of more than [`CAP_ROWS_ALL_UP_TO`]
/// (class, type) pairs ([`Rows::cap_binds`]).
const CAP_ROW_GAIN: f64 = 1.1;

/// (Class, new-node type) pairs up to which every per-node cap gets its
/// row (the exact search's refutations on small instances want them all).
const CAP_ROWS_ALL_UP_TO: usize = 3_000;

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
    let mut rows = Vec::new();
    for (c, class) in p.classes.iter().enumerate() {
        let pod = p.cluster.pod(class.representative());
        for constraint in &pod.spec.topology_spread {
            if !counts_only_its_class(p, c, pod, constraint) {
                continue;
            }
            let key = &constraint.topology_key;
            let eligible = |node: &Node| counts_domain_of(pod, constraint, node);
            let domains = sure_domains(p, c, key, forced, &eligible);
            if domains.len() < 2 || domains.len() > 16 {
                continue;
            }
            // A merged bin spanning domains voids the rows.
            let Some(bin_domain) = bin_domains(p, bins, key) else {
                continue;
            };
            let type_domain: Vec<Option<&str>> = p
                .types
                .iter()
                .map(|t| t.template.labels.get(key).map(String::as_str))
                .collect();
            let max_skew = f64::from(constraint.max_skew);
            for a in &domains {
                for b in &domains {
                    if a != b {
                        let sign = |d: Option<&str>| match d {
                            Some(d) if d == *a => 1.0,
                            Some(d) if d == *b => -1.0,
                            _ => 0.0,
                        };
                        rows.push(SpreadRow {
                            class: c,
                            existing_bins: nonzero_signs(&bin_domain, sign),
                            types: nonzero_signs(&type_domain, sign),
                            max_skew,
                        });
                    }
                }
            }
        }
    }
    rows
}

/// Whether `constraint` of class `c` (whose representative is `pod`) is
/// one [`spread_rows`] encodes: DoNotSchedule, no minDomains, and a
/// selector that matches the class's own pods, no other class's and no
/// placed pod.
fn counts_only_its_class(
    p: &Problem,
    c: usize,
    pod: &Pod,
    constraint: &TopologySpreadConstraint,
) -> bool {
    if constraint.when_unsatisfiable != UnsatisfiableAction::DoNotSchedule
        || constraint.min_domains.is_some()
    {
        return false;
    }
    let selects = |namespace: &str, labels: &Labels| {
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
    !other_class && !placed && selects(&pod.namespace, &pod.labels)
}

/// Whether `node`'s domain counts for `pod`'s spread `constraint`: it has
/// the topology key and passes the node affinity and taint inclusion
/// policies (as upstream's PodTopologySpread).
fn counts_domain_of(pod: &Pod, constraint: &TopologySpreadConstraint, node: &Node) -> bool {
    node.labels.contains_key(&constraint.topology_key)
        && (constraint.node_affinity_policy == InclusionPolicy::Ignore
            || node_affinity::required_matches(&pod.spec, node))
        && (constraint.node_taints_policy == InclusionPolicy::Ignore
            || taint_toleration::find_untolerated(
                &node.taints,
                &pod.spec.tolerations,
                taint_toleration::is_hard,
            )
            .is_none())
}

/// The `key` domains that exist in every plan's final state, sorted and
/// distinct: those of eligible existing nodes, and with `forced` demand,
/// those the demand of class `c` forces open ([`forced_domains`]).
fn sure_domains<'p>(
    p: &'p Problem,
    c: usize,
    key: &str,
    forced: Option<&[u32]>,
    eligible: &dyn Fn(&Node) -> bool,
) -> Vec<&'p str> {
    let mut domains: Vec<&str> = p
        .existing
        .iter()
        .map(|n| p.base.node(*n))
        .filter(|n| eligible(n))
        .filter_map(|n| n.labels.get(key).map(String::as_str))
        .collect();
    if let Some(demand) = forced {
        domains.extend(forced_domains(p, c, demand[c], key, eligible));
    }
    domains.sort_unstable();
    domains.dedup();
    domains
}

/// The `key` domain of each existing bin (none without the key); none at
/// all when a merged bin spans several domains.
fn bin_domains<'p>(p: &'p Problem, bins: &[Vec<usize>], key: &str) -> Option<Vec<Option<&'p str>>> {
    let mut bin_domain = Vec::with_capacity(bins.len());
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
    (!mixed).then_some(bin_domain)
}

/// (index, sign) of the domains with a nonzero `sign`.
fn nonzero_signs<C: FromIterator<(usize, f64)>>(
    domains: &[Option<&str>],
    sign: impl Fn(Option<&str>) -> f64,
) -> C {
    domains
        .iter()
        .enumerate()
        .map(|(i, d)| (i, sign(*d)))
        .filter(|(_, s)| *s != 0.0)
        .collect()
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
    eligible: &dyn Fn(&Node) -> bool,
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
        .filter(|t| t.pool == pool && (new_node_rank(p, t) as f64) < nodes && eligible(&t.template))
        .filter_map(|t| t.template.labels.get(key).map(String::as_str))
        .collect()
}

/// The rank of type `t`'s zone among its pool's zones in the order new
/// nodes take them: the pool's `k`-th new node goes to zone
/// `(first_new_index + k) mod Z` (after the nodes planned in for its
/// minCount), so the type's zone is the `rank`-th one new nodes fill.
pub(crate) fn new_node_rank(p: &Problem, t: &crate::engine::classes::NodeType) -> usize {
    let pool = &p.cluster.pools[t.pool.index()];
    let zones = pool.zones.len().max(1);
    (t.zone + zones - pool.first_new_index % zones) % zones
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
    let pairs: usize = p.compat_existing.iter().map(Vec::len).sum();
    if pairs <= MERGE_EXISTING_PAIRS_ABOVE {
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
/// `slack` loosens every capacity row by that fraction. The columns, the
/// objective and the rows are added in a fixed order: the LP backend's
/// answer (among equally good ones) depends on it.
fn solve_model(p: &Problem, q: &Query, slack: f64) -> Result<Bound, Failure> {
    let bins = existing_bins(p);
    let bin_of = bin_of_existing(p, &bins);
    let mut vars = ProblemVariables::new();
    let columns = Columns::new(&mut vars, p, q, &bin_of);
    let objective = columns.objective(p, q.penalty);
    let warm_values = match q.warm {
        Some(warm) => columns.warm_start(p, q.demand, warm, &bin_of),
        None => Vec::new(),
    };
    let mut model = vars.minimise(objective.clone()).using(backend);
    if !warm_values.is_empty() {
        model = model.with_initial_solution(warm_values);
    }
    model = model.with_time_limit(q.time_limit.max(0.01));
    let rows = Rows {
        p,
        q,
        columns: &columns,
        scale: dimension_scale(p),
        slack,
    };
    let all_rows = [
        rows.demand(),
        rows.existing_capacity(&bins),
        rows.type_capacity(),
        rows.pods_per_node(),
        rows.spread(&bins),
        rows.pool_totals(),
        rows.round_robin_zones(),
        rows.cliques(&bins),
    ];
    for row in all_rows.into_iter().flatten() {
        model.add_constraint(row);
    }
    let solution = match model.solve() {
        Ok(s) => s,
        Err(ResolutionError::Infeasible) => return Err(Failure::Infeasible),
        Err(_) => return Err(Failure::Unknown),
    };
    columns.read_bound(solution, &objective, q, bins)
}

/// Per existing node (index into `existing`), its bin.
fn bin_of_existing(p: &Problem, bins: &[Vec<usize>]) -> Vec<usize> {
    let mut bin_of = vec![usize::MAX; p.existing.len()];
    for (b, members) in bins.iter().enumerate() {
        for &i in members {
            bin_of[i] = b;
        }
    }
    bin_of
}

/// Per dimension, the largest free capacity of any bin: loads and
/// capacities are divided by it, so the simplex sees numbers of order 1.
fn dimension_scale(p: &Problem) -> Vec<f64> {
    let ndims = p.dims.len();
    let mut scale = vec![1.0f64; ndims];
    for free in p.existing_free.iter().chain(&p.type_free) {
        for d in 0..ndims {
            scale[d] = scale[d].max(free[d]);
        }
    }
    scale
}

/// The model's variables, added in this order: new nodes per pool (`n`),
/// per type (`y`), then per class its pods per existing bin and per type
/// (`x`) and its unplaced pods (`u`).
struct Columns {
    /// Per pool, its new nodes; none for a pool no demanded class may use.
    pool_nodes: Vec<Option<Variable>>,
    /// Per type, its new nodes; none where its pool has no variable.
    type_nodes: Vec<Option<Variable>>,
    /// Per class: pods in each existing bin it fits (by bin index).
    on_bins: Vec<HashMap<usize, Variable>>,
    /// Per class: (type, pods of the class one node holds, pods on the type).
    on_types: Vec<Vec<(usize, f64, Variable)>>,
    /// Per class, with a penalty: its pods left unplaced.
    unplaced: Vec<Option<Variable>>,
}

impl Columns {
    /// Adds the variables to `vars` (see [`Columns`]).
    fn new(vars: &mut ProblemVariables, p: &Problem, q: &Query, bin_of: &[usize]) -> Self {
        let pool_nodes = pool_node_columns(vars, p, q);
        let type_nodes: Vec<Option<Variable>> = p
            .types
            .iter()
            .map(|t| {
                pool_nodes[t.pool.index()]
                    .map(|_| vars.add(variable().min(0).integer_if(q.integer)))
            })
            .collect();
        let classes = p.classes.len();
        let mut columns = Columns {
            pool_nodes,
            type_nodes,
            on_bins: vec![HashMap::new(); classes],
            on_types: vec![Vec::new(); classes],
            unplaced: vec![None; classes],
        };
        for c in 0..classes {
            if q.demand[c] > 0 {
                columns.add_class(vars, p, q, c, bin_of);
            }
        }
        columns
    }

    /// Adds class `c`'s pods per existing bin (at most what the bin's
    /// nodes hold of it alone), per type, and unplaced.
    fn add_class(
        &mut self,
        vars: &mut ProblemVariables,
        p: &Problem,
        q: &Query,
        c: usize,
        bin_of: &[usize],
    ) {
        let mut cap_per_bin: HashMap<usize, f64> = HashMap::new();
        for (i, cap) in &p.compat_existing[c] {
            *cap_per_bin.entry(bin_of[*i]).or_insert(0.0) += cap;
        }
        for (b, cap) in cap_per_bin {
            self.on_bins[c].insert(b, vars.add(variable().min(0).max(cap)));
        }
        for (t, cap) in &p.compat_types[c] {
            if self.type_nodes[*t].is_some() {
                self.on_types[c].push((*t, *cap, vars.add(variable().min(0))));
            }
        }
        if q.penalty.is_some() {
            self.unplaced[c] = Some(vars.add(variable().min(0).max(q.demand[c] as f64)));
        }
    }

    /// The cost of the new nodes, plus the penalty of the unplaced pods.
    fn objective(&self, p: &Problem, penalty: Option<&[f64]>) -> Expression {
        let mut objective = Expression::from(0.0);
        for (pi, v) in self.pool_nodes.iter().enumerate() {
            if let Some(v) = v {
                objective += p.cluster.pools[pi].cost_per_hour * *v;
            }
        }
        if let Some(pen) = penalty {
            for (c, v) in self.unplaced.iter().enumerate() {
                if let Some(v) = v {
                    objective += pen[c] * *v;
                }
            }
        }
        objective
    }

    /// The value of every variable in the known plan `warm`.
    fn warm_start(
        &self,
        p: &Problem,
        demand: &[u32],
        warm: &Warm,
        bin_of: &[usize],
    ) -> Vec<(Variable, f64)> {
        let mut values = self.warm_node_counts(p, warm);
        for c in 0..p.classes.len() {
            let mut per_bin: HashMap<usize, u32> = HashMap::new();
            for (i, k) in &warm.on_existing[c] {
                *per_bin.entry(bin_of[*i]).or_insert(0) += k;
            }
            for (b, v) in &self.on_bins[c] {
                values.push((*v, f64::from(per_bin.get(b).copied().unwrap_or(0))));
            }
            for (t, _, v) in &self.on_types[c] {
                let on_type = warm.on_types[c].get(t).copied().unwrap_or(0);
                values.push((*v, f64::from(on_type)));
            }
            if let Some(v) = self.unplaced[c] {
                let placed: u32 = warm.on_existing[c].values().sum::<u32>()
                    + warm.on_types[c].values().sum::<u32>();
                values.push((v, f64::from(demand[c].saturating_sub(placed))));
            }
        }
        values
    }

    /// The new nodes of the known plan `warm`, per pool and per type (its
    /// pool's nodes go round-robin over the zones).
    fn warm_node_counts(&self, p: &Problem, warm: &Warm) -> Vec<(Variable, f64)> {
        let pools = &p.cluster.pools;
        let mut values = Vec::new();
        for (pi, v) in self.pool_nodes.iter().enumerate() {
            if let Some(v) = v {
                values.push((*v, f64::from(warm.pool_nodes[pi])));
            }
        }
        for (ti, v) in self.type_nodes.iter().enumerate() {
            if let Some(v) = v {
                let t = &p.types[ti];
                let zones = pools[t.pool.index()].zones.len();
                let count = crate::engine::classes::nodes_in_zone(
                    warm.pool_nodes[t.pool.index()],
                    zones,
                    new_node_rank(p, t),
                );
                values.push((*v, f64::from(count)));
            }
        }
        values
    }

    /// The bound, node counts and pods per bin of a solved model.
    fn read_bound<S: Solution + InterruptedBound>(
        self,
        solution: S,
        objective: &Expression,
        q: &Query,
        bins: Vec<Vec<usize>>,
    ) -> Result<Bound, Failure> {
        let status = solution.status();
        let objective_value = solution.eval(objective);
        let value_or_zero = |v: &Option<Variable>| v.map_or(0.0, |v| solution.value(v));
        let pool_nodes: Vec<f64> = self.pool_nodes.iter().map(value_or_zero).collect();
        let unplaced: Vec<f64> = self.unplaced.iter().map(value_or_zero).collect();
        let on_types: Vec<HashMap<usize, f64>> = self
            .on_types
            .iter()
            .map(|list| positive_values(&solution, list.iter().map(|(t, _, v)| (*t, *v))))
            .collect();
        let on_bins: Vec<HashMap<usize, f64>> = self
            .on_bins
            .iter()
            .map(|m| positive_values(&solution, m.iter().map(|(b, v)| (*b, *v))))
            .collect();
        let penalty_paid: f64 = match q.penalty {
            Some(pen) => unplaced.iter().zip(pen).map(|(k, w)| k * w).sum(),
            None => 0.0,
        };
        let (value, integral) = match (q.integer, status) {
            (false, _) => (objective_value - penalty_paid, false),
            (true, SolutionStatus::Optimal) => (objective_value - penalty_paid, true),
            (true, _) => {
                // Interrupted MILP: only the solver's proven bound counts.
                match (solution.interrupted_bound(), q.penalty) {
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
}

/// New nodes per pool that some demanded class may use (between 0 and the
/// pool's room, or fixed by the query); none for the other pools.
fn pool_node_columns(vars: &mut ProblemVariables, p: &Problem, q: &Query) -> Vec<Option<Variable>> {
    let pools = p.cluster.pools.len();
    let pool_used: Vec<bool> = (0..pools)
        .map(|pi| {
            (0..p.classes.len()).any(|c| q.demand[c] > 0 && p.pools_for_class(c).contains(&pi))
        })
        .collect();
    (0..pools)
        .map(|pi| {
            pool_used[pi].then(|| {
                let v = match q.fixed_pool_nodes {
                    Some(fixed) => variable().min(fixed[pi]).max(fixed[pi]),
                    None => variable().min(0).max(p.pool_room[pi] as f64),
                };
                vars.add(v.integer_if(q.integer))
            })
        })
        .collect()
}

/// The variables' values in `solution`, by key, where above solver noise.
fn positive_values(
    solution: &impl Solution,
    vars: impl Iterator<Item = (usize, Variable)>,
) -> HashMap<usize, f64> {
    vars.map(|(k, v)| (k, solution.value(v)))
        .filter(|(_, x)| *x > 1e-9)
        .collect()
}

/// The model's rows, each kind built in the order the model adds them.
struct Rows<'a, 'p> {
    p: &'a Problem<'p>,
    q: &'a Query<'a>,
    columns: &'a Columns,
    /// Per dimension, the divisor of loads and capacities ([`dimension_scale`]).
    scale: Vec<f64>,
    /// Fraction by which every capacity row is loosened.
    slack: f64,
}

impl Rows<'_, '_> {
    /// Every pod of the demand is placed (or unplaced at a penalty).
    fn demand(&self) -> Vec<Constraint> {
        let mut rows = Vec::new();
        for c in 0..self.p.classes.len() {
            if self.q.demand[c] == 0 {
                continue;
            }
            let mut placed = Expression::from(0.0);
            for v in self.columns.on_bins[c].values() {
                placed += *v;
            }
            for (_, _, v) in &self.columns.on_types[c] {
                placed += *v;
            }
            if let Some(v) = self.columns.unplaced[c] {
                placed += v;
            }
            rows.push(constraint!(placed == self.q.demand[c] as f64));
        }
        rows
    }

    /// Capacity of each existing bin per dimension: its nodes' free
    /// capacity, each cut (when tight) to what its compatible classes can
    /// fill.
    fn existing_capacity(&self, bins: &[Vec<usize>]) -> Vec<Constraint> {
        let p = self.p;
        let mut classes_of_existing: Vec<Vec<usize>> = vec![Vec::new(); p.existing.len()];
        for c in 0..p.classes.len() {
            if self.q.demand[c] > 0 {
                for (i, _) in &p.compat_existing[c] {
                    classes_of_existing[*i].push(c);
                }
            }
        }
        let mut rows = Vec::new();
        for (b, members) in bins.iter().enumerate() {
            for d in 0..p.dims.len() {
                let on_bin = (0..p.classes.len())
                    .filter_map(|c| self.columns.on_bins[c].get(&b).map(|v| (c, *v)));
                let Some(load) = self.load(d, on_bin) else {
                    continue;
                };
                let free: f64 = members
                    .iter()
                    .map(|i| self.fill(&classes_of_existing[*i], d, p.existing_free[*i][d]))
                    .sum::<f64>()
                    / self.scale[d]
                    * (1.0 + self.slack);
                rows.push(constraint!(load <= free));
            }
        }
        rows
    }

    /// Capacity of each type per dimension: one node's free capacity (cut
    /// when tight) times its new nodes.
    fn type_capacity(&self) -> Vec<Constraint> {
        let p = self.p;
        let on_types = &self.columns.on_types;
        let mut classes_of_type: Vec<Vec<usize>> = vec![Vec::new(); p.types.len()];
        for (c, list) in on_types.iter().enumerate() {
            for (t, _, _) in list {
                classes_of_type[*t].push(c);
            }
        }
        let mut rows = Vec::new();
        for (ti, nodes) in self.columns.type_nodes.iter().enumerate() {
            let Some(nodes) = nodes else { continue };
            for d in 0..p.dims.len() {
                let on_type = (0..p.classes.len()).flat_map(|c| {
                    on_types[c]
                        .iter()
                        .filter(move |(t, _, _)| *t == ti)
                        .map(move |(_, _, v)| (c, *v))
                });
                let Some(load) = self.load(d, on_type) else {
                    continue;
                };
                let free = self.fill(&classes_of_type[ti], d, p.type_free[ti][d]) / self.scale[d]
                    * (1.0 + self.slack);
                rows.push(constraint!(load <= free * *nodes));
            }
        }
        rows
    }

    /// Pods of a class on a type: at most what one node holds of it alone,
    /// per node (so big and one-per-node pods count whole nodes); on big
    /// models only where that binds ([`Rows::cap_binds`]).
    fn pods_per_node(&self) -> Vec<Constraint> {
        let mut rows = Vec::new();
        let pairs: usize = self.columns.on_types.iter().map(Vec::len).sum();
        let prune = pairs > CAP_ROWS_ALL_UP_TO;
        for (c, list) in self.columns.on_types.iter().enumerate() {
            for (t, cap, v) in list {
                if prune && !self.cap_binds(c, *t, *cap) {
                    continue;
                }
                if let Some(nodes) = self.columns.type_nodes[*t] {
                    rows.push(constraint!(*v <= *cap * nodes));
                }
            }
        }
        rows
    }

    /// Whether `x <= cap * nodes` for class `c` on type `t` is worth a
    /// row: the capacity rows already hold the class alone to its
    /// fractional fill `min_d free_d / r_d` per node, so the row only adds
    /// the rounding down to `cap` (whole big pods) or a limit of another
    /// kind (anti-affinity, host ports). Left out when that tightens the
    /// class by under a tenth ([`CAP_ROW_GAIN`]), which keeps the model
    /// small on hundreds of classes; leaving rows out only relaxes it.
    fn cap_binds(&self, c: usize, t: usize, cap: f64) -> bool {
        let p = self.p;
        let fractional = (0..p.dims.len())
            .filter(|&d| p.class_req[c][d] > 0.0)
            .map(|d| p.type_free[t][d] / p.class_req[c][d])
            .fold(f64::INFINITY, f64::min);
        fractional > cap * CAP_ROW_GAIN
    }

    /// Topology spread: `N_a - N_b <= maxSkew` between domains that exist
    /// whatever the plan (see [`spread_rows`]); with every pod placed,
    /// zones that the demand forces open count too.
    fn spread(&self, bins: &[Vec<usize>]) -> Vec<Constraint> {
        let forced = self.q.penalty.is_none().then_some(self.q.demand);
        let mut rows = Vec::new();
        for row in spread_rows(self.p, bins, forced) {
            let c = row.class;
            let mut diff = Expression::from(0.0);
            for (b, sign) in &row.existing_bins {
                if let Some(v) = self.columns.on_bins[c].get(b) {
                    diff += *sign * *v;
                }
            }
            for (t, _, v) in &self.columns.on_types[c] {
                if let Some(sign) = row.types.get(t) {
                    diff += *sign * *v;
                }
            }
            rows.push(constraint!(diff <= row.max_skew));
        }
        rows
    }

    /// A pool's new nodes are its types' new nodes over all zones.
    fn pool_totals(&self) -> Vec<Constraint> {
        let type_nodes = &self.columns.type_nodes;
        let mut rows = Vec::new();
        for (pi, pool_nodes) in self.columns.pool_nodes.iter().enumerate() {
            let Some(pool_nodes) = pool_nodes else {
                continue;
            };
            let mut total = Expression::from(0.0);
            for (ti, nodes) in type_nodes.iter().enumerate() {
                if let (Some(nodes), true) = (nodes, self.p.types[ti].pool.index() == pi) {
                    total += *nodes;
                }
            }
            rows.push(constraint!(total == *pool_nodes));
        }
        rows
    }

    /// Round-robin zones: a pool's `n` new nodes put `y_z` in the zone
    /// they fill `z`-th of `Z` ([`new_node_rank`]), with
    /// `Z*y_z <= n + Z - 1 - z` and `Z*y_z >= n - z`.
    fn round_robin_zones(&self) -> Vec<Constraint> {
        let mut rows = Vec::new();
        for (ti, nodes) in self.columns.type_nodes.iter().enumerate() {
            let (Some(y), t) = (nodes, &self.p.types[ti]) else {
                continue;
            };
            let Some(n) = self.columns.pool_nodes[t.pool.index()] else {
                continue;
            };
            let zones = self.p.cluster.pools[t.pool.index()].zones.len().max(1) as f64;
            let z = new_node_rank(self.p, t) as f64;
            rows.push(constraint!(zones * *y <= n + zones - 1.0 - z));
            rows.push(constraint!(zones * *y >= n - z));
        }
        rows
    }

    /// Clique cuts ([`cuts_clique`]): on every node of a type or an
    /// existing bin, at most one pod of a set of classes no two of which
    /// fit together there.
    fn cliques(&self, bins: &[Vec<usize>]) -> Vec<Constraint> {
        let (p, columns) = (self.p, self.columns);
        let mut rows = Vec::new();
        for (t, cliques) in cuts_clique::type_cliques(p, self.q.demand)
            .iter()
            .enumerate()
        {
            let Some(nodes) = columns.type_nodes[t] else {
                continue;
            };
            for clique in cliques {
                let on_type = clique.iter().flat_map(|c| {
                    columns.on_types[*c]
                        .iter()
                        .filter(|(ti, _, _)| *ti == t)
                        .map(|(_, _, v)| *v)
                });
                let total: Expression = on_type.sum();
                rows.push(constraint!(total <= nodes));
            }
        }
        for (b, cliques) in cuts_clique::bin_cliques(p, self.q.demand, bins)
            .iter()
            .enumerate()
        {
            for clique in cliques {
                let on_bin = clique.iter().filter_map(|c| columns.on_bins[*c].get(&b));
                let total: Expression = on_bin.copied().sum();
                rows.push(constraint!(total <= bins[b].len() as f64));
            }
        }
        rows
    }

    /// The scaled load `sum r_c * x_c` in dimension `d` of the given
    /// (class, variable) pairs, over the classes with a request in `d`;
    /// none when no class has one.
    fn load(
        &self,
        d: usize,
        on_bin: impl Iterator<Item = (usize, Variable)>,
    ) -> Option<Expression> {
        let mut load = Expression::from(0.0);
        let mut any = false;
        for (c, v) in on_bin {
            let r = self.p.class_req[c][d] / self.scale[d];
            if r > 0.0 {
                load += r * v;
                any = true;
            }
        }
        any.then_some(load)
    }

    /// Free capacity `free` in dimension `d`, cut to what `classes` can
    /// fill when the query is tight ([`fillable`]).
    fn fill(&self, classes: &[usize], d: usize, free: f64) -> f64 {
        if self.q.tight {
            fillable(self.p, classes, d, free)
        } else {
            free
        }
    }
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
