//! The configuration LP bound (Gilmore–Gomory), by column generation: a
//! column is one node's *pattern* — how many pods of each class one node
//! of a type (or one existing node) holds within every resource
//! dimension — and the LP covers each class's demand with fractional
//! nodes of patterns at least cost, within each pool's room, the
//! round-robin spread of a pool's new nodes over its zones, and the
//! number of existing nodes of each kind.
//!
//! Unlike the aggregated bound ([`super::bound`]), which pools a type's
//! capacity, this one sees that pods pack into whole nodes: twelve
//! 9-CPU pods on 16-CPU nodes need twelve nodes, not seven (the notes'
//! configuration LP; Gilmore & Gomory 1961, Vanderbeck 1999). Patterns
//! relax the real filters (anti-affinity between different classes,
//! spread and pod affinity are left out; one pod per node of a class that
//! repels itself is kept), so every plan is a combination of patterns and
//! the LP's value bounds every plan's cost.
//!
//! The bound is valid at every iteration, not only at convergence: for
//! the current prices `y` of the demand rows, the Lagrangian
//! `sum_c d_c y_c + min_N sum_b (cost_b - best_b(y)) N_b`, over node
//! counts `N` within the pools' room, the zone rows, the existing nodes
//! and the plan's own cost, bounds every plan ([`lagrangian`]), with
//! `best_b(y)` a proven upper bound on a pattern's worth from the pricing
//! ([`config_pricing`]). When no pattern prices out, it equals the LP.

use super::bound::new_node_rank;
use super::config_pricing::{best_pattern, Item, Priced};
use super::problem::Problem;
use crate::engine::lp::{backend, seconds_until};
use good_lp::{
    constraint, variable, Expression, ProblemVariables, Solution, SolverModel, Variable,
    WithTimeLimit,
};
use std::collections::HashMap;
use web_time::Instant;

/// Starting patterns beyond which column generation is not tried.
const MOST_FIRST_COLUMNS: usize = 1_000;

/// Patterns beyond which no further round is started.
const MOST_COLUMNS: usize = 3 * MOST_FIRST_COLUMNS;

/// Rounds of pricing at most (each adds up to one pattern per bin).
const ROUNDS: usize = 400;

/// The configuration LP's outcome.
#[derive(Debug, Clone)]
pub(crate) struct ConfigBound {
    /// The best Lagrangian bound found (a proven lower bound).
    pub value: f64,
    /// Whether no pattern prices out at the end (the LP is solved).
    pub converged: bool,
    /// Patterns generated.
    pub columns: usize,
    /// Pricing rounds run.
    pub rounds: usize,
    /// The restricted master's value when it converged (for the trace).
    pub master: f64,
    /// Pricings that ran out of search nodes (their bound is fractional).
    pub inexact: usize,
}

/// Where a bin's nodes come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// New nodes of a type: its pool, the pool's zones, and the rank of
    /// its zone in the order new nodes fill them.
    New {
        pool: usize,
        zones: usize,
        rank: usize,
    },
    /// Existing nodes alike in free room and what fits: how many.
    Existing { count: usize },
}

/// A kind of node a pattern goes on.
#[derive(Debug, Clone)]
pub(crate) struct Bin {
    /// Hourly cost of one node (0 for existing ones).
    pub cost: f64,
    /// Where its nodes come from.
    pub source: Source,
    /// Free room per dimension.
    pub free: Vec<f64>,
    /// (class, pods of it one node holds alone).
    pub fits: Vec<(usize, u32)>,
}

/// What makes two nodes alike for the LP: free room (as bits) and the
/// classes that fit, with how many.
type Likeness = (Vec<u64>, Vec<(usize, u32)>);

/// The bins of `p`: one per new-node type, one per group of existing
/// nodes with the same free room and the same classes fitting alike.
pub(crate) fn bins(p: &Problem) -> Vec<Bin> {
    let mut fits_types: Vec<Vec<(usize, u32)>> = vec![Vec::new(); p.types.len()];
    let mut fits_existing: Vec<Vec<(usize, u32)>> = vec![Vec::new(); p.existing.len()];
    for c in 0..p.classes.len() {
        for (t, cap) in &p.compat_types[c] {
            fits_types[*t].push((c, cap.min(f64::from(u32::MAX)) as u32));
        }
        for (e, cap) in &p.compat_existing[c] {
            fits_existing[*e].push((c, cap.min(f64::from(u32::MAX)) as u32));
        }
    }
    let mut out = Vec::new();
    for (t, fits) in fits_types.into_iter().enumerate() {
        let ty = &p.types[t];
        let pool = ty.pool.index();
        // Types nothing fits on stay: their nodes still count in the
        // pool's round-robin over zones.
        if p.pool_room[pool] == 0 {
            continue;
        }
        out.push(Bin {
            cost: p.cluster.pools[pool].cost_per_hour,
            source: Source::New {
                pool,
                zones: p.cluster.pools[pool].zones.len().max(1),
                rank: new_node_rank(p, ty),
            },
            free: p.type_free[t].clone(),
            fits,
        });
    }
    let mut groups: HashMap<Likeness, usize> = HashMap::new();
    let mut order: Vec<Likeness> = Vec::new();
    for (e, fits) in fits_existing.into_iter().enumerate() {
        if fits.is_empty() {
            continue;
        }
        let key = (
            p.existing_free[e].iter().map(|f| f.to_bits()).collect(),
            fits,
        );
        let count = groups.entry(key.clone()).or_insert(0);
        if *count == 0 {
            order.push(key);
        }
        *count += 1;
    }
    for key in order {
        let count = groups[&key];
        out.push(Bin {
            cost: 0.0,
            source: Source::Existing { count },
            free: key.0.iter().map(|b| f64::from_bits(*b)).collect(),
            fits: key.1,
        });
    }
    out
}

/// A pattern of one bin: (class, pods).
#[derive(Debug, Clone, PartialEq)]
struct Column {
    bin: usize,
    pattern: Vec<(usize, u32)>,
}

/// The dual of the restricted master: prices per demand row, and the
/// allowance each bin's patterns may be worth (its cost plus the duals of
/// its room, zone and count rows).
struct Duals {
    prices: Vec<f64>,
    allowance: Vec<f64>,
    /// The restricted master's value.
    value: f64,
}

/// Solves the dual of the restricted master over `columns`: prices `y_c`
/// of the demand rows, `mu` of the pools' room, `a`/`b` of the two zone
/// rows per type (`Z*N_z - n >= -rank`, `Z*N_z - n <= Z-1-rank`), `g` of
/// the existing groups' counts. None when the solver fails.
fn solve_dual(
    p: &Problem,
    bins: &[Bin],
    columns: &[Column],
    demand: &[u32],
    deadline: Instant,
) -> Option<Duals> {
    let mut vars = ProblemVariables::new();
    let y: Vec<Option<Variable>> = demand
        .iter()
        .map(|d| (*d > 0).then(|| vars.add(variable().min(0))))
        .collect();
    let mu: Vec<Variable> = p
        .pool_room
        .iter()
        .map(|_| vars.add(variable().min(0)))
        .collect();
    let zone_duals: Vec<Option<(Variable, Variable)>> = bins
        .iter()
        .map(|b| match b.source {
            Source::New { zones, .. } if zones > 1 => {
                Some((vars.add(variable().min(0)), vars.add(variable().min(0))))
            }
            _ => None,
        })
        .collect();
    let g: Vec<Option<Variable>> = bins
        .iter()
        .map(|b| matches!(b.source, Source::Existing { .. }).then(|| vars.add(variable().min(0))))
        .collect();
    let allowances = allowance_expressions(bins, &mu, &zone_duals, &g);
    let mut objective = Expression::from(0.0);
    for (v, d) in y.iter().zip(demand) {
        if let Some(v) = v {
            objective += f64::from(*d) * *v;
        }
    }
    for (pool, room) in p.pool_room.iter().enumerate() {
        objective -= f64::from(*room) * mu[pool];
    }
    for (b, bin) in bins.iter().enumerate() {
        match (bin.source, zone_duals[b], g[b]) {
            (Source::New { zones, rank, .. }, Some((lo, hi)), _) => {
                objective -= rank as f64 * lo;
                objective -= (zones - 1 - rank) as f64 * hi;
            }
            (Source::Existing { count }, _, Some(g)) => objective -= count as f64 * g,
            _ => {}
        }
    }
    let mut model = vars
        .maximise(objective.clone())
        .using(backend)
        .with_time_limit(seconds_until(deadline));
    for column in columns {
        let mut worth = Expression::from(0.0);
        for (c, k) in &column.pattern {
            if let Some(v) = y[*c] {
                worth += f64::from(*k) * v;
            }
        }
        let allowance = allowances[column.bin].clone();
        model.add_constraint(constraint!(worth <= allowance));
    }
    let solution = model.solve().ok()?;
    let prices = y
        .iter()
        .map(|v| v.map_or(0.0, |v| solution.value(v).max(0.0)))
        .collect();
    let allowance = allowances.iter().map(|e| solution.eval(e)).collect();
    Some(Duals {
        prices,
        allowance,
        value: solution.eval(&objective),
    })
}

/// Per bin, what a pattern on it may be worth in the dual: its cost, plus
/// its pool's room dual, plus its zone rows' duals (a new node of zone
/// `z` counts `Z - 1` in its own rows and `-1` in the other zones'), or
/// its group's count dual.
fn allowance_expressions(
    bins: &[Bin],
    mu: &[Variable],
    zone_duals: &[Option<(Variable, Variable)>],
    g: &[Option<Variable>],
) -> Vec<Expression> {
    let mut out = Vec::with_capacity(bins.len());
    for (b, bin) in bins.iter().enumerate() {
        let mut allowance = Expression::from(bin.cost);
        match bin.source {
            Source::New { pool, zones, .. } => {
                allowance += mu[pool];
                if let Some((lo, hi)) = zone_duals[b] {
                    // Rows of the pool's other types count this node as `n`.
                    for (o, other) in bins.iter().enumerate() {
                        let Source::New { pool: q, .. } = other.source else {
                            continue;
                        };
                        if q != pool || o == b {
                            continue;
                        }
                        if let Some((olo, ohi)) = zone_duals[o] {
                            allowance += olo;
                            allowance -= ohi;
                        }
                    }
                    allowance -= (zones as f64 - 1.0) * lo;
                    allowance += (zones as f64 - 1.0) * hi;
                }
            }
            Source::Existing { .. } => {
                if let Some(g) = g[b] {
                    allowance += g;
                }
            }
        }
        out.push(allowance);
    }
    out
}

/// The Lagrangian bound for demand prices `prices`: `sum_c d_c y_c` plus
/// the least `sum_b (cost_b - worth_b) N_b` over node counts that keep
/// the pools' room, the zone rows and the existing groups' counts, and
/// cost no more than `upper` (a plan's cost: the optimum costs no more).
/// `worth` is an upper bound per bin on a pattern's worth at those prices.
/// Existing nodes cost nothing, so all of a group is taken; only new
/// nodes are left to the LP.
fn lagrangian(
    p: &Problem,
    bins: &[Bin],
    demand: &[u32],
    prices: &[f64],
    worth: &[f64],
    upper: f64,
    deadline: Instant,
) -> Option<f64> {
    let mut value: f64 = demand
        .iter()
        .zip(prices)
        .map(|(d, y)| f64::from(*d) * y)
        .sum();
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::from(0.0);
    let mut spend = Expression::from(0.0);
    let mut per_pool: Vec<Expression> = vec![Expression::from(0.0); p.pool_room.len()];
    let mut new_nodes: Vec<Option<Variable>> = Vec::with_capacity(bins.len());
    for (bin, w) in bins.iter().zip(worth) {
        match bin.source {
            Source::Existing { count } => {
                value -= w.max(0.0) * count as f64;
                new_nodes.push(None);
            }
            Source::New { pool, .. } => {
                let n = vars.add(variable().min(0).max(f64::from(p.pool_room[pool])));
                objective += (bin.cost - w) * n;
                spend += bin.cost * n;
                per_pool[pool] += n;
                new_nodes.push(Some(n));
            }
        }
    }
    let mut model = vars
        .minimise(objective.clone())
        .using(backend)
        .with_time_limit(seconds_until(deadline));
    model.add_constraint(constraint!(spend <= upper));
    for (pool, total) in per_pool.iter().enumerate() {
        model.add_constraint(constraint!(total.clone() <= f64::from(p.pool_room[pool])));
    }
    for (bin, n) in bins.iter().zip(&new_nodes) {
        if let (Source::New { pool, zones, rank }, Some(n)) = (bin.source, n) {
            if zones > 1 {
                let (z, r) = (zones as f64, rank as f64);
                let total = per_pool[pool].clone();
                model.add_constraint(constraint!(z * *n - total.clone() >= -r));
                model.add_constraint(constraint!(z * *n - total <= z - 1.0 - r));
            }
        }
    }
    let solution = model.solve().ok()?;
    Some(value + solution.eval(&objective))
}

/// The starting patterns: per bin and class, as many pods of the class
/// as one node holds alone (so every class with demand is covered), and
/// the empty node of every zoned type (a pool's nodes in a zone may only
/// keep its round-robin).
fn first_columns(bins: &[Bin], demand: &[u32]) -> Vec<Column> {
    let mut columns = Vec::new();
    for (b, bin) in bins.iter().enumerate() {
        if matches!(bin.source, Source::New { zones, .. } if zones > 1) {
            columns.push(Column {
                bin: b,
                pattern: Vec::new(),
            });
        }
        for (c, cap) in &bin.fits {
            let k = (*cap).min(demand[*c]);
            if k > 0 {
                columns.push(Column {
                    bin: b,
                    pattern: vec![(*c, k)],
                });
            }
        }
    }
    columns
}

/// The pricing items of `bin` at `prices`: its classes with demand.
pub(crate) fn items_of(p: &Problem, bin: &Bin, prices: &[f64], demand: &[u32]) -> Vec<Item> {
    bin.fits
        .iter()
        .filter(|(c, _)| demand[*c] > 0)
        .map(|(c, cap)| Item {
            class: *c,
            worth: prices[*c],
            most: (*cap).min(demand[*c]),
            req: p.class_req[*c].clone(),
        })
        .collect()
}

/// The configuration LP bound for placing `demand` pods per class, given
/// a plan costing `upper`, by the `deadline`. None when it could not
/// solve even the first restricted master (or some class with demand fits
/// no bin: the caller's other bounds decide then).
pub(crate) fn config_lp_bound(
    p: &Problem,
    demand: &[u32],
    upper: f64,
    deadline: Instant,
) -> Option<ConfigBound> {
    let bins = bins(p);
    let mut columns = first_columns(&bins, demand);
    // The restricted master is solved from scratch each round by an LP
    // solver whose time limit is not checked inside a solve: past this
    // size one round would outlast any budget (the caller's subgradient
    // ascent bounds those problems instead).
    if columns.len() > MOST_FIRST_COLUMNS {
        return None;
    }
    let covered: Vec<bool> = {
        let mut seen = vec![false; demand.len()];
        for column in &columns {
            for (c, _) in &column.pattern {
                seen[*c] = true;
            }
        }
        seen
    };
    if demand.iter().zip(&covered).any(|(d, s)| *d > 0 && !s) {
        return None;
    }
    let mut best = ConfigBound {
        value: 0.0,
        converged: false,
        columns: columns.len(),
        rounds: 0,
        master: 0.0,
        inexact: 0,
    };
    let mut found = false;
    for round in 0..ROUNDS {
        // The same solver limit caps the master as it grows: the bound
        // found so far stands (it holds at every round).
        if Instant::now() >= deadline || columns.len() > MOST_COLUMNS {
            break;
        }
        let duals = solve_dual(p, &bins, &columns, demand, deadline)?;
        let (added, worth, inexact) = price_all(p, &bins, &duals, demand, &mut columns);
        best.inexact += inexact;
        if let Some(value) = lagrangian(p, &bins, demand, &duals.prices, &worth, upper, deadline) {
            if !found || value > best.value {
                best.value = value.max(0.0);
                found = true;
            }
        }
        best.rounds = round + 1;
        best.columns = columns.len();
        if added == 0 {
            // Nothing prices out: the restricted master is the LP, and
            // the Lagrangian meets it (up to the pricing's proof).
            best.converged = true;
            best.master = duals.value;
            break;
        }
    }
    found.then_some(best)
}

/// Prices every bin at `duals`: adds each bin's best pattern when it is
/// worth more than the bin's allowance; returns how many were added and,
/// per bin, the proven upper bound on a pattern's worth, and how many
/// pricings were inexact.
fn price_all(
    p: &Problem,
    bins: &[Bin],
    duals: &Duals,
    demand: &[u32],
    columns: &mut Vec<Column>,
) -> (usize, Vec<f64>, usize) {
    let mut added = 0;
    let mut inexact = 0;
    let mut worth = Vec::with_capacity(bins.len());
    // Bins alike in room and classes price alike: price each once.
    let mut priced: HashMap<Likeness, Priced> = HashMap::new();
    for (b, bin) in bins.iter().enumerate() {
        let key = (
            bin.free.iter().map(|f| f.to_bits()).collect(),
            bin.fits.clone(),
        );
        let best = priced.entry(key).or_insert_with(|| {
            let best = best_pattern(&items_of(p, bin, &duals.prices, demand), &bin.free);
            inexact += usize::from(!best.exact);
            best
        });
        worth.push(best.upper);
        let value = best.worth;
        let column = Column {
            bin: b,
            pattern: best.pattern.clone(),
        };
        if value > duals.allowance[b] + 1e-7 * (1.0 + duals.allowance[b].abs())
            && !columns.contains(&column)
        {
            columns.push(column);
            added += 1;
        }
    }
    (added, worth, inexact)
}

/// Twelve 9-CPU pods and twenty 2-CPU pods for 16-CPU nodes at 1 an
/// hour: no two big pods share a node, so twelve nodes are needed, and
/// they hold the small pods beside the big ones (three each).
#[cfg(test)]
pub(crate) const BIG_PODS: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: general}
spec: {allocatable: {cpu: "16", memory: 64Gi, pods: "110"}, maxCount: 40, costPerHour: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: default}
spec:
  replicas: 12
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: "9", memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: small, namespace: default}
spec:
  replicas: 20
  selector: {matchLabels: {app: small}}
  template:
    metadata: {labels: {app: small}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: "2", memory: 1Gi}}}]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_scenario, Input};

    /// [`BIG_PODS`]: the bound is twelve nodes (the pooled capacity says
    /// 9.25).
    #[test]
    fn big_pods_need_a_node_each() {
        let cluster = read_scenario(&[Input::new("big.yaml", BIG_PODS)]).expect("reads");
        let p = Problem::new(&cluster, cluster.pending_pods().collect());
        let demand = p.demand();
        let deadline = Instant::now() + web_time::Duration::from_secs(5);
        let b = config_lp_bound(&p, &demand, 100.0, deadline).expect("solves");
        assert!(b.converged);
        assert!((b.value - 12.0).abs() < 1e-6, "{}", b.value);
    }
}
