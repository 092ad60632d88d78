//! The lower bound's relaxation as an LP/MILP model, and its solution
//! (the model is described in the parent module's docs).
//!
//! Variables, in this order: the nodes bought per bin (candidates up to
//! their count, new-node types unbounded), the new nodes per pool (up to
//! `maxCount` less the pool's kept nodes), then the pods of each class per
//! bin. Constraints, in this order: every class placed; per bin and
//! dimension, the room of its nodes; one pod per node for classes that
//! allow only one; per pool, its new nodes spread round-robin over its
//! zones.

use crate::engine::lp::{backend, seconds_until, IntegerIf};
use crate::model::{Cluster, PoolId};
use crate::ops::place::MAX_NODES;
use good_lp::{
    constraint, variable, Expression, ProblemVariables, Solution, SolutionStatus, SolverModel,
    Variable, WithTimeLimit,
};
use web_time::Instant;

/// A bin of the relaxation: existing nodes alike, or a node type.
pub(super) struct Bin {
    /// Nodes in the bin (existing), or None for a new-node type.
    pub(super) count: Option<u32>,
    /// Kept for sure (pinned, or not a candidate).
    pub(super) fixed: bool,
    /// Hourly cost of one node.
    pub(super) cost: f64,
    /// The pool of its nodes.
    pub(super) pool: Option<PoolId>,
    /// Room per dimension of one node.
    pub(super) room: Vec<f64>,
    /// Classes it accepts.
    pub(super) accepts: Vec<usize>,
}

/// The relaxation's data: bins, and pod classes with their demand.
pub(super) struct Relaxation {
    /// Existing bins first, then one per new-node type.
    pub(super) bins: Vec<Bin>,
    /// Per new-node type: its bin and zone index.
    pub(super) type_bins: Vec<(usize, usize)>,
    /// Pods to place per class.
    pub(super) demand: Vec<f64>,
    /// Request per class and dimension.
    pub(super) req: Vec<Vec<f64>>,
    /// Per class: at most one pod per node.
    pub(super) one_per_node: Vec<bool>,
    /// Cost of the nodes kept for sure.
    pub(super) constant: f64,
}

/// Relative shave of a proven value against floating-point error.
const RELATIVE_SHAVE: f64 = 1e-6;
/// Absolute shave of a proven value against floating-point error.
const ABSOLUTE_SHAVE: f64 = 1e-9;

/// The model's variables.
struct Variables {
    /// Nodes bought per bin; None for a bin kept for sure.
    nodes: Vec<Option<Variable>>,
    /// New nodes per pool; None for a pool with no new-node type.
    pool_nodes: Vec<Option<Variable>>,
    /// Per class, its pods per bin.
    by_class: Vec<Vec<Variable>>,
    /// Per bin, its pods per class it accepts.
    by_bin: Vec<Vec<(usize, Variable)>>,
}

impl Relaxation {
    /// Solves the model (LP, or MILP with integer node counts) by `until`:
    /// the proven value, shaved for floating-point error, or None.
    pub(super) fn solve(&self, cluster: &Cluster, integer: bool, until: Instant) -> Option<f64> {
        let mut vars = ProblemVariables::new();
        let (nodes, objective) = self.node_variables(&mut vars, integer);
        let pool_nodes = self.pool_variables(cluster, &mut vars, integer);
        let (by_class, by_bin) = self.placement_variables(&mut vars);
        let v = Variables {
            nodes,
            pool_nodes,
            by_class,
            by_bin,
        };
        let mut model = vars
            .minimise(objective.clone())
            .using(backend)
            .with_time_limit(seconds_until(until));
        self.add_demand(&mut model, &v);
        self.add_room(&mut model, &v);
        self.add_zones(cluster, &mut model, &v);
        let solution = model.solve().ok()?;
        if !matches!(solution.status(), SolutionStatus::Optimal) {
            return None;
        }
        let value = solution.eval(&objective);
        Some(value - RELATIVE_SHAVE * value.abs() - ABSOLUTE_SHAVE)
    }

    /// Nodes bought per bin (candidates 0..count, types unbounded), and
    /// the objective: their cost plus the nodes kept for sure.
    fn node_variables(
        &self,
        vars: &mut ProblemVariables,
        integer: bool,
    ) -> (Vec<Option<Variable>>, Expression) {
        let mut y: Vec<Option<Variable>> = Vec::with_capacity(self.bins.len());
        let mut objective = Expression::from(self.constant);
        for b in &self.bins {
            let v = match (b.count, b.fixed) {
                (Some(_), true) => None,
                (Some(n), false) => {
                    Some(vars.add(variable().integer_if(integer).min(0).max(n as f64)))
                }
                (None, _) => Some(vars.add(variable().integer_if(integer).min(0))),
            };
            if let Some(v) = v {
                objective += b.cost * v;
            }
            y.push(v);
        }
        (y, objective)
    }

    /// New nodes per pool that has a new-node type: up to its `maxCount`
    /// less its nodes kept for sure.
    fn pool_variables(
        &self,
        cluster: &Cluster,
        vars: &mut ProblemVariables,
        integer: bool,
    ) -> Vec<Option<Variable>> {
        let mut pool_n: Vec<Option<Variable>> = vec![None; cluster.pools.len()];
        for (pi, pool) in cluster.pools.iter().enumerate() {
            if !self
                .type_bins
                .iter()
                .any(|(b, _)| in_pool(&self.bins[*b], pi))
            {
                continue;
            }
            let fixed_existing = self
                .bins
                .iter()
                .filter(|b| b.fixed && in_pool(b, pi))
                .map(|b| b.count.unwrap_or(0))
                .sum::<u32>();
            let room = pool
                .max_count
                .unwrap_or(MAX_NODES)
                .saturating_sub(fixed_existing);
            pool_n[pi] = Some(vars.add(variable().integer_if(integer).min(0).max(room as f64)));
        }
        pool_n
    }

    /// Pods of each class per bin, listed by class and by bin.
    #[allow(clippy::type_complexity)]
    fn placement_variables(
        &self,
        vars: &mut ProblemVariables,
    ) -> (Vec<Vec<Variable>>, Vec<Vec<(usize, Variable)>>) {
        let mut by_class: Vec<Vec<Variable>> = vec![Vec::new(); self.demand.len()];
        let mut by_bin: Vec<Vec<(usize, Variable)>> = Vec::with_capacity(self.bins.len());
        for b in &self.bins {
            let list: Vec<(usize, Variable)> = b
                .accepts
                .iter()
                .map(|&c| {
                    let v = vars.add(variable().min(0));
                    by_class[c].push(v);
                    (c, v)
                })
                .collect();
            by_bin.push(list);
        }
        (by_class, by_bin)
    }

    /// Every pod of each class placed.
    fn add_demand(&self, model: &mut impl SolverModel, v: &Variables) {
        for (class, demand) in v.by_class.iter().zip(&self.demand) {
            let mut placed = Expression::from(0.0);
            for var in class {
                placed += *var;
            }
            model.add_constraint(constraint!(placed == *demand));
        }
    }

    /// Per bin: the pods fit the room of its nodes, per dimension, and at
    /// most one pod per node of the classes that allow only one.
    fn add_room(&self, model: &mut impl SolverModel, v: &Variables) {
        for (bi, b) in self.bins.iter().enumerate() {
            let nodes: Expression = match (v.nodes[bi], b.count) {
                (Some(var), _) => Expression::from(var),
                (None, n) => Expression::from(f64::from(n.unwrap_or(0))),
            };
            for d in 0..b.room.len() {
                let mut used = Expression::from(0.0);
                let mut any = false;
                for &(c, var) in &v.by_bin[bi] {
                    if self.req[c][d] > 0.0 {
                        used += self.req[c][d] * var;
                        any = true;
                    }
                }
                if any {
                    model.add_constraint(constraint!(used <= b.room[d] * nodes.clone()));
                }
            }
            for &(c, var) in &v.by_bin[bi] {
                if self.one_per_node[c] {
                    model.add_constraint(constraint!(var <= nodes.clone()));
                }
            }
        }
    }

    /// New nodes: per pool, its types' counts add up to the pool's, spread
    /// round-robin over its zones.
    fn add_zones(&self, cluster: &Cluster, model: &mut impl SolverModel, v: &Variables) {
        for (pi, pool) in cluster.pools.iter().enumerate() {
            let Some(n) = v.pool_nodes[pi] else { continue };
            let zones = pool.zones.len().max(1) as f64;
            let mut sum = Expression::from(0.0);
            for &(bi, zone) in &self.type_bins {
                if !in_pool(&self.bins[bi], pi) {
                    continue;
                }
                if let Some(var) = v.nodes[bi] {
                    sum += var;
                    let z = zone as f64;
                    model.add_constraint(constraint!(zones * var <= n + zones - 1.0 - z));
                    model.add_constraint(constraint!(zones * var >= n - z));
                }
            }
            model.add_constraint(constraint!(sum == n));
        }
    }
}

/// Whether the bin's nodes belong to the pool at index `pool`.
fn in_pool(bin: &Bin, pool: usize) -> bool {
    bin.pool.is_some_and(|p| p.index() == pool)
}
