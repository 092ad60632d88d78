//! The `sizes` report (`docs/reports.md#sizes`): one `place` per candidate
//! VM size of a pool, and one with a mix of the two cheapest, cheapest
//! first.

use super::place::PlanStatus;
use crate::model::prices::PriceTable;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Options of `sizes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct SizesOptions {
    /// The pool whose VM size is varied.
    pub pool: String,
    /// Candidate VM sizes (catalogue names); empty: see `families`.
    pub candidates: Vec<String>,
    /// Candidate families (`Dsv5`, `Esv5`, `Fsv2`, ...): every catalogue
    /// size of each; with neither, the family of the pool's VM size.
    pub families: Vec<String>,
    /// Region prices are looked up in; else the pool's `region`, else
    /// `eastus`.
    pub region: Option<String>,
    /// Wall-clock budget for all the `place` runs together, in seconds.
    pub time_limit: f64,
    /// A price table consulted before the built-in catalogue (`--prices`).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", tsify(type = "null"))]
    pub prices: Option<PriceTable>,
}

impl Default for SizesOptions {
    fn default() -> Self {
        SizesOptions {
            pool: String::new(),
            candidates: Vec::new(),
            families: Vec::new(),
            region: None,
            time_limit: 20.0,
            prices: None,
        }
    }
}

/// One candidate: a VM size, or a mix of two (two pools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SizeRow {
    /// The VM size, or the two sizes of a mix (the pool keeps the first,
    /// a new pool `<pool>-<second>` gets the second).
    pub sizes: Vec<String>,
    /// Hourly price of one node of each size.
    pub prices: Vec<f64>,
    /// Where the prices come from: `catalogue` or `file`.
    pub price_origin: String,
    /// New nodes of the pool (both pools for a mix).
    pub nodes: u32,
    /// Hourly cost of those new nodes.
    pub pool_cost: f64,
    /// Hourly cost of the whole plan (every pool's new nodes).
    pub cost: f64,
    /// The plan's proven lower bound.
    pub lower_bound: f64,
    /// `(cost - lowerBound) / lowerBound` (0 when both are 0).
    pub gap: f64,
    /// The plan's status.
    pub status: PlanStatus,
    /// Pods the plan leaves pending.
    pub unplaced: usize,
    /// Requested / allocatable CPU over the pool's nodes, 0..1.
    pub cpu_utilisation: f64,
    /// Requested / allocatable memory over the pool's nodes, 0..1.
    pub memory_utilisation: f64,
}

/// The `sizes` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SizesReport {
    /// The pool varied.
    pub pool: String,
    /// Its VM size in the scenario.
    pub current_size: Option<String>,
    /// The region prices were looked up in.
    pub region: String,
    /// Whether that region was assumed (neither given nor the pool's).
    pub region_assumed: bool,
    /// The pool's OS (`Linux`, `Windows`) and priority, which prices
    /// depend on.
    pub os: String,
    /// `Regular` or `Spot`.
    pub priority: String,
    /// Candidates, cheapest first: plans leaving fewer pods pending first,
    /// then by cost, then by bound.
    pub rows: Vec<SizeRow>,
    /// Candidates without a price for this region, OS and priority.
    pub unpriced: Vec<String>,
    /// Notes on what was assumed.
    pub warnings: Vec<String>,
}

impl SizesReport {
    /// The cheapest row placing every placeable pod, if any.
    pub fn best(&self) -> Option<&SizeRow> {
        self.rows.first()
    }

    /// A readable table, cheapest first.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "pool {}   current {}   region {}{}   {} {}",
            self.pool,
            self.current_size.as_deref().unwrap_or("-"),
            self.region,
            if self.region_assumed {
                " (assumed)"
            } else {
                ""
            },
            self.os,
            self.priority
        );
        let _ = writeln!(
            out,
            "\n{:<36} {:>9} {:>6} {:>9} {:>9} {:>9} {:>7} {:>5} {:>5}  STATUS",
            "SIZE", "PRICE/H", "NODES", "POOL/H", "COST/H", "BOUND/H", "GAP", "CPU", "MEM"
        );
        for r in &self.rows {
            let prices: Vec<String> = r.prices.iter().map(|p| format!("{p:.3}")).collect();
            let gap = if r.gap.is_finite() {
                format!("{:.2}%", r.gap * 100.0)
            } else {
                "-".into()
            };
            let status = match r.status {
                PlanStatus::Optimal => "optimal".to_string(),
                PlanStatus::Feasible => "feasible".to_string(),
                PlanStatus::Infeasible => format!("infeasible ({} pending)", r.unplaced),
                PlanStatus::Timeout => format!("timeout ({} pending)", r.unplaced),
            };
            let _ = writeln!(
                out,
                "{:<36} {:>9} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>7} {:>4.0}% {:>4.0}%  {}",
                r.sizes.join(" + "),
                prices.join("+"),
                r.nodes,
                r.pool_cost,
                r.cost,
                r.lower_bound,
                gap,
                r.cpu_utilisation * 100.0,
                r.memory_utilisation * 100.0,
                status
            );
        }
        if !self.unpriced.is_empty() {
            let _ = writeln!(out, "\nno price: {}", self.unpriced.join(", "));
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }
}
