//! The `drain` report (`docs/reports.md#drain`): waves of evictions,
//! blockers, and every PodDisruptionBudget's numbers; and its text table.

use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What to drain and under which rules (`kubectl drain` flags and AKS
/// upgrade settings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct DrainOptions {
    /// Nodes to drain, by name (`--nodes A,B`).
    pub nodes: Vec<String>,
    /// Drain every node of this pool (`--pool NAME`).
    pub pool: Option<String>,
    /// New nodes of the drained pool that exist from the first wave (AKS
    /// max surge), named like new pool nodes (`<pool>-new-<k>`); clipped,
    /// with a warning, to what the pool's `maxCount` allows.
    pub surge: usize,
    /// At most this many drained nodes have evictions in one wave (AKS
    /// `maxUnavailable` style); `None` is no limit.
    pub max_unavailable: Option<usize>,
    /// `kubectl drain --force`: pods without a controller are deleted
    /// (and not recreated) instead of blocking.
    pub force: bool,
    /// `kubectl drain --delete-emptydir-data`: pods with emptyDir volumes
    /// are evicted (losing the data) instead of blocking.
    pub delete_emptydir_data: bool,
}

/// Why a pod cannot be evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub enum BlockerReason {
    /// Its PodDisruptionBudget allows no disruption now and never will
    /// during this drain.
    PodDisruptionBudget,
    /// No node would accept its replacement.
    NoFeasibleNode,
    /// No controller: it would be deleted, not recreated (needs `--force`).
    UnmanagedPod,
    /// It uses emptyDir (needs `--delete-emptydir-data`).
    LocalStorage,
    /// It is under more than one PDB: the eviction API refuses it.
    #[serde(rename = "MultiplePDBs")]
    MultiplePdbs,
}

impl BlockerReason {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockerReason::PodDisruptionBudget => "PodDisruptionBudget",
            BlockerReason::NoFeasibleNode => "NoFeasibleNode",
            BlockerReason::UnmanagedPod => "UnmanagedPod",
            BlockerReason::LocalStorage => "LocalStorage",
            BlockerReason::MultiplePdbs => "MultiplePDBs",
        }
    }
}

/// A pod that stops the drain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct Blocker {
    /// The node it is on.
    pub node: String,
    /// `ns/name`.
    pub pod: String,
    /// The PDB involved, `ns/name` (PodDisruptionBudget; MultiplePDBs lists
    /// them comma-separated).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pdb: Option<String>,
    /// Why.
    pub reason: BlockerReason,
    /// A sentence with the numbers (or the scheduler's reasons).
    pub message: String,
}

/// One eviction: the pod leaves `from`; its replacement runs on `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct Eviction {
    /// `ns/name`.
    pub pod: String,
    /// The drained node.
    pub from: String,
    /// Where its replacement goes; `null` when the pod is deleted and not
    /// recreated (`--force` on a pod without a controller).
    pub to: Option<String>,
}

/// Evictions that run together; the next wave starts when their pods run
/// again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct Wave {
    /// Drained nodes that are empty (but for DaemonSet and mirror pods)
    /// once this wave is done.
    pub nodes: Vec<String>,
    /// The evictions, in the order their replacements are placed.
    pub evictions: Vec<Eviction>,
}

/// A PDB's status as the disruption controller computes it, before the
/// drain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PdbNumbers {
    /// `ns/name`.
    pub pdb: String,
    /// Pods the budget is computed over.
    pub expected_pods: i32,
    /// Selected pods that are Running and Ready.
    pub current_healthy: i32,
    /// Healthy pods it requires.
    pub desired_healthy: i32,
    /// `max(0, currentHealthy - desiredHealthy)`, or 0 when it cannot be
    /// computed.
    pub disruptions_allowed: i32,
    /// Why the controller fell back to 0 (owner not found, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// Statistics of a drain plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct DrainStats {
    /// Wall-clock time of the planning, parsing excluded.
    pub solve_millis: u64,
    /// Drained nodes.
    pub nodes: usize,
    /// Pods evicted over all waves.
    pub evictions: usize,
    /// DaemonSet and mirror pods left in place (`--ignore-daemonsets`).
    pub ignored_pods: usize,
}

/// The answer of `drain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct DrainReport {
    /// No blocker: every drained node empties.
    pub feasible: bool,
    /// The waves, in order.
    pub waves: Vec<Wave>,
    /// A proven lower bound on the number of waves of any plan that
    /// performs these evictions (per PDB, evictions over the most budget
    /// it can ever have; with `maxUnavailable`, nodes over the limit).
    pub wave_lower_bound: usize,
    /// Pods that block the drain.
    pub blockers: Vec<Blocker>,
    /// Every PDB's numbers before the drain.
    pub pdbs: Vec<PdbNumbers>,
    /// Surge nodes added (`<pool>-new-<k>`).
    pub surge_nodes: Vec<String>,
    /// Statistics.
    pub stats: DrainStats,
    /// Things the user should know (skipped pods, assumptions).
    pub warnings: Vec<String>,
}

impl DrainReport {
    /// A readable table: waves, then blockers, then the PDBs involved.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_summary(&mut out);
        self.write_waves(&mut out);
        self.write_blockers(&mut out);
        self.write_pdbs(&mut out);
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }

    /// The verdict line with the counts, and the surge nodes.
    fn write_summary(&self, out: &mut String) {
        let evictions: usize = self.waves.iter().map(|w| w.evictions.len()).sum();
        let _ = writeln!(
            out,
            "{}   {} wave(s) (lower bound {})   {} eviction(s)   {} blocker(s)",
            if self.feasible {
                "drain feasible"
            } else {
                "drain BLOCKED"
            },
            self.waves.len(),
            self.wave_lower_bound,
            evictions,
            self.blockers.len()
        );
        if !self.surge_nodes.is_empty() {
            let _ = writeln!(out, "surge nodes: {}", self.surge_nodes.join(", "));
        }
    }

    /// Each wave: its nodes left empty, then one line per eviction.
    fn write_waves(&self, out: &mut String) {
        for (i, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(
                out,
                "\nwave {}: {} eviction(s){}",
                i + 1,
                wave.evictions.len(),
                if wave.nodes.is_empty() {
                    String::new()
                } else {
                    format!("; then empty: {}", wave.nodes.join(", "))
                }
            );
            for e in &wave.evictions {
                let _ = writeln!(
                    out,
                    "  {:<40} {} -> {}",
                    e.pod,
                    e.from,
                    e.to.as_deref().unwrap_or("(deleted)")
                );
            }
        }
    }

    /// One line per blocker, when there are some.
    fn write_blockers(&self, out: &mut String) {
        if self.blockers.is_empty() {
            return;
        }
        let _ = writeln!(out, "\nblockers:");
        for b in &self.blockers {
            let _ = writeln!(
                out,
                "  {:<40} {:<20} {}: {}",
                b.pod,
                b.node,
                b.reason.as_str(),
                b.message
            );
        }
    }

    /// The numbers of the PDBs a blocker names, when there are some.
    fn write_pdbs(&self, out: &mut String) {
        let involved: Vec<&PdbNumbers> = self
            .pdbs
            .iter()
            .filter(|p| self.blocked_by(&p.pdb))
            .collect();
        if involved.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n{:<32} {:>8} {:>8} {:>8} {:>8}",
            "PDB", "EXPECTED", "HEALTHY", "DESIRED", "ALLOWED"
        );
        for p in involved {
            let _ = writeln!(
                out,
                "{:<32} {:>8} {:>8} {:>8} {:>8}",
                p.pdb, p.expected_pods, p.current_healthy, p.desired_healthy, p.disruptions_allowed
            );
        }
    }

    /// Whether a blocker names the PDB `pdb` (MultiplePDBs lists several,
    /// comma-separated).
    fn blocked_by(&self, pdb: &str) -> bool {
        self.blockers.iter().any(|b| {
            b.pdb
                .as_deref()
                .is_some_and(|n| n.split(',').any(|x| x == pdb))
        })
    }
}
