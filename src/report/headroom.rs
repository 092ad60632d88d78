//! The `headroom` report (`docs/reports.md#headroom`: how many more of
//! this pod fit) and its text table.

use super::explain::ReasonCount;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Copies placed at most by default: a guard, since every copy must pass
/// NodeResourcesFit's `pods` limit and so the count is bounded anyway.
pub const DEFAULT_MAX_COPIES: usize = 1_000_000;

/// A Pod manifest whose Pod is the template (`--pod FILE`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct PodManifest {
    /// The file's name, for error messages.
    pub file: String,
    /// Its text (YAML or JSON): exactly one Pod object.
    pub text: String,
}

/// Options of `headroom`: exactly one of `workload` and `pod` names the
/// pod whose copies are counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct HeadroomOptions {
    /// A Deployment, StatefulSet, ReplicaSet or Job of the scenario
    /// (`ns/name`) whose pod template is copied.
    pub workload: Option<String>,
    /// A Pod manifest whose Pod is copied.
    pub pod: Option<PodManifest>,
    /// Let pools add nodes (cheapest fitting pool first) up to their
    /// `maxCount`.
    pub with_pools: bool,
    /// Copies placed at most (the report says `capped` when reached).
    pub max_copies: usize,
    /// Wall-clock limit in seconds; reaching it stops adding copies and
    /// sets `capped`.
    pub time_limit: f64,
}

impl Default for HeadroomOptions {
    fn default() -> Self {
        HeadroomOptions {
            workload: None,
            pod: None,
            with_pools: false,
            max_copies: DEFAULT_MAX_COPIES,
            time_limit: 10.0,
        }
    }
}

/// The `headroom` report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct HeadroomReport {
    /// The copied pod (`ns/name`: the workload's, or the manifest Pod's).
    pub pod: String,
    /// How many copies were placed before none fitted.
    pub fits: usize,
    /// Copies per node (nodes without a copy are left out).
    pub per_node: BTreeMap<String, usize>,
    /// What rejects each node once no copy fits: (plugin, reason) and how
    /// many nodes, most frequent first (explain's `--summary` reasons).
    pub stopped_by: Vec<ReasonCount>,
    /// With `--with-pools`: new nodes added, per pool (as `place`'s `newNodes`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub new_nodes: BTreeMap<String, u32>,
    /// The count stopped at `maxCopies` (or at the new-node guard), not
    /// because no node was left: there is at least that much headroom.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub capped: bool,
    /// Things a user should know that are not errors (ignored pending
    /// pods, pools without `maxCount`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl HeadroomReport {
    /// A readable table: the count, copies per node, new nodes per pool,
    /// and what stopped further copies.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        let more = if self.capped { " (capped)" } else { "" };
        let _ = writeln!(
            out,
            "{}: {} more cop{} fit{more}",
            self.pod,
            self.fits,
            if self.fits == 1 { "y" } else { "ies" }
        );
        if !self.per_node.is_empty() {
            let width = self.per_node.keys().map(String::len).max().unwrap_or(0);
            let _ = writeln!(out, "  per node:");
            // `pool-new-10` after `pool-new-9`: names in natural order.
            let mut nodes: Vec<(&String, &usize)> = self.per_node.iter().collect();
            nodes.sort_by_cached_key(|(name, _)| natural_key(name));
            for (node, n) in nodes {
                let _ = writeln!(out, "    {node:<width$}  {n:>6}");
            }
        }
        if !self.new_nodes.is_empty() {
            let _ = writeln!(out, "  new nodes:");
            let width = self.new_nodes.keys().map(String::len).max().unwrap_or(0);
            for (pool, n) in &self.new_nodes {
                let _ = writeln!(out, "    {pool:<width$}  {n:>6}");
            }
        }
        if !self.stopped_by.is_empty() {
            let _ = writeln!(out, "  stopped by:");
            for r in &self.stopped_by {
                let _ = writeln!(
                    out,
                    "    {:>6} node(s)  {:<18} {}",
                    r.nodes, r.plugin, r.message
                );
            }
        }
        out
    }
}

/// A name split into its text and its trailing number, so that `x-9`
/// sorts before `x-10`.
fn natural_key(name: &str) -> (&str, u64, &str) {
    let text = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &name[text.len()..];
    match digits.parse() {
        Ok(n) => (text, n, digits),
        Err(_) => (name, 0, ""),
    }
}
