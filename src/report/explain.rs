//! The `explain` report (`docs/reports.md#explain`) and its text table.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::hash::{Hash, Hasher};

/// Options of `explain`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase", default)]
pub struct ExplainOptions {
    /// Only this pod (`ns/name`).
    pub pod: Option<String>,
    /// Reason histogram (`reasons`) instead of per-node detail (`filtered`).
    pub summary: bool,
    /// Add one new node per pool (`<pool>-new-0`) to the candidate nodes;
    /// that of a pool at its `maxCount` is rejected by `ClusterAutoscaler`.
    pub with_pools: bool,
    /// For each pod that fits no existing node, the proven remedies
    /// ([`PodExplanation::fixes`]); with `with_pools`, new pool nodes are
    /// remedies too.
    pub fix: bool,
}

/// The `explain` report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ExplainReport {
    /// One entry per pending pod, in input order.
    pub pods: Vec<PodExplanation>,
    /// With `--summary`: the feasible nodes once per group of pods with
    /// the same verdict, which the pods name by index
    /// ([`PodExplanation::feasible_group`]); groups are numbered in order of
    /// first appearance. Replicas repeat thousands of node names otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feasible_groups: Vec<FeasibleGroup>,
    /// Things a user should know that are not errors: pending pods that
    /// could land on nodes of either OS (AKS does not taint Windows pools).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The feasible nodes of a group of pods with the same verdict (`--summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct FeasibleGroup {
    /// Nodes that pass every filter, in node order.
    pub feasible_nodes: Vec<String>,
}

/// One reason a plugin gave for filtering a node out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct FilterReason {
    /// The filter plugin's name (`TaintToleration`, ...), or
    /// `ClusterAutoscaler` for the new node of a pool at its `maxCount`.
    pub plugin: String,
    /// Its reason string, as kube-scheduler prints it.
    pub message: String,
}

/// A reason and how many nodes it filtered out (`--summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct ReasonCount {
    /// The filter plugin's name, or `ClusterAutoscaler` (see
    /// [`FilterReason::plugin`]).
    pub plugin: String,
    /// Its reason string.
    pub message: String,
    /// Number of nodes it filtered out.
    pub nodes: usize,
}

/// Why one pending pod is (un)schedulable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PodExplanation {
    /// `ns/name`.
    pub pod: String,
    /// Nodes that pass every filter, in node order (absent with `--summary`:
    /// see `feasible_group`; [`ExplainReport::feasible_nodes`] reads either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feasible_nodes: Option<Vec<String>>,
    /// How many nodes pass every filter (0: unschedulable).
    #[serde(default)]
    pub feasible_count: usize,
    /// With `--summary`: the index of this pod's entry in
    /// [`ExplainReport::feasible_groups`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feasible_group: Option<usize>,
    /// Per filtered node, the first failing plugin's reasons (absent with `--summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filtered: Option<BTreeMap<String, Vec<FilterReason>>>,
    /// Reason histogram, most frequent first (only with `--summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<ReasonCount>>,
    /// kube-scheduler's summary line (`0/3 nodes are available: ...`).
    pub message: String,
    /// With `fix`, for a pod that fits no existing node: the proven
    /// remedies, cheapest first (`docs/reports.md#fixes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixes: Option<Vec<crate::report::fix::Fix>>,
}

impl ExplainReport {
    /// True when some pending pod fits no node (the CLI exits 1).
    pub fn any_unschedulable(&self) -> bool {
        self.pods.iter().any(|p| p.feasible_count == 0)
    }

    /// The feasible nodes of `pod`, an entry of this report: its own list,
    /// else its group's (`--summary`); empty if neither is there.
    pub fn feasible_nodes<'a>(&'a self, pod: &'a PodExplanation) -> &'a [String] {
        match (&pod.feasible_nodes, pod.feasible_group) {
            (Some(nodes), _) => nodes,
            (None, Some(g)) => self
                .feasible_groups
                .get(g)
                .map_or(&[], |group| &group.feasible_nodes),
            (None, None) => &[],
        }
    }

    /// Moves the pods' feasible nodes into `feasible_groups`, one group per
    /// verdict, numbered in order of first appearance, and points each pod
    /// at its group (what `--summary` reports). Called once, on a report
    /// whose pods all have their own lists.
    pub(crate) fn group_feasible_nodes(&mut self) {
        let groups = verdict_groups(&self.pods);
        for (pod, group) in self.pods.iter_mut().zip(groups) {
            let nodes = pod.feasible_nodes.take().unwrap_or_default();
            // Pods come in input order, so a group is new exactly when its
            // number is the next one.
            if group == self.feasible_groups.len() {
                self.feasible_groups.push(FeasibleGroup {
                    feasible_nodes: nodes,
                });
            }
            pod.feasible_group = Some(group);
        }
    }

    /// A readable table: one block per run of pods with the same verdict
    /// (replicas of one workload usually), with the scheduler's summary
    /// line, the feasible nodes and, per filtered node or per reason, why not.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.pods.is_empty() {
            out.push_str("No pending pods.\n");
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        let mut i = 0;
        while i < self.pods.len() {
            let run = self.pods[i..]
                .iter()
                .take_while(|q| q.same_verdict(&self.pods[i]))
                .count();
            let feasible = self.feasible_nodes(&self.pods[i]);
            write_block(&mut out, &self.pods[i..i + run], feasible);
            i += run;
        }
        out
    }
}

impl PodExplanation {
    /// Same feasible nodes (or group), reasons and message: shown once for
    /// both. The cheap fields first: the node lists may be long.
    fn same_verdict(&self, other: &PodExplanation) -> bool {
        self.feasible_count == other.feasible_count
            && self.feasible_group == other.feasible_group
            && self.message == other.message
            && self.reasons == other.reasons
            && self.filtered == other.filtered
            && self.feasible_nodes == other.feasible_nodes
            && self.fixes == other.fixes
    }
}

/// Each pod's verdict group: pods with the same verdict share one, and
/// groups are numbered in order of first appearance.
fn verdict_groups(pods: &[PodExplanation]) -> Vec<usize> {
    let mut seen: HashMap<Verdict<'_>, usize> = HashMap::new();
    pods.iter()
        .map(|p| {
            let next = seen.len();
            *seen.entry(Verdict(p)).or_insert(next)
        })
        .collect()
}

/// A pod's verdict as a map key: equal when [`PodExplanation::same_verdict`].
struct Verdict<'a>(&'a PodExplanation);

impl PartialEq for Verdict<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_verdict(other.0)
    }
}

impl Eq for Verdict<'_> {}

impl Hash for Verdict<'_> {
    /// The message and count only: cheap, and they tell most verdicts apart;
    /// the node lists, thousands of names, are compared only on a match.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.message.hash(state);
        self.0.feasible_count.hash(state);
    }
}

/// The text block of a run of pods with the same verdict: their names and
/// verdict, the summary line, the feasible nodes, then why not elsewhere.
fn write_block(out: &mut String, run: &[PodExplanation], feasible: &[String]) {
    let p = &run[0];
    let verdict = if p.feasible_count == 0 {
        "UNSCHEDULABLE"
    } else {
        "schedulable"
    };
    let names = match run.len() {
        1 => p.pod.clone(),
        2 => format!("{}, {}", p.pod, run[1].pod),
        n => format!("{} … {} ({n} pods)", p.pod, run[n - 1].pod),
    };
    let _ = writeln!(out, "{names}  [{verdict}]");
    let _ = writeln!(out, "  {}", p.message);
    write_feasible(out, feasible);
    if let Some(filtered) = &p.filtered {
        let width = filtered.keys().map(String::len).max().unwrap_or(0);
        for (node, reasons) in filtered {
            for r in reasons {
                let _ = writeln!(out, "  {node:<width$}  {:<18} {}", r.plugin, r.message);
            }
        }
    }
    if let Some(reasons) = &p.reasons {
        for r in reasons {
            let _ = writeln!(
                out,
                "  {:>6} node(s)  {:<18} {}",
                r.nodes, r.plugin, r.message
            );
        }
    }
    match p.fixes.as_deref() {
        Some([]) => out.push_str("  no fix found (see docs/reports.md#fixes)\n"),
        Some(fixes) => fixes.iter().for_each(|f| f.write_text(out)),
        None => {}
    }
}

/// The first eight feasible nodes and how many more, when there are some.
fn write_feasible(out: &mut String, feasible: &[String]) {
    if feasible.is_empty() {
        return;
    }
    let shown: Vec<&str> = feasible.iter().take(8).map(String::as_str).collect();
    let more = feasible.len().saturating_sub(shown.len());
    let _ = write!(out, "  feasible: {}", shown.join(", "));
    if more > 0 {
        let _ = write!(out, " (+{more} more)");
    }
    out.push('\n');
}

/// A (reason, plugin) -> nodes histogram as `--summary` reports it: most
/// frequent first, then by reason.
pub fn reason_counts<S: AsRef<str>>(
    histogram: &BTreeMap<(S, &'static str), usize>,
) -> Vec<ReasonCount> {
    let mut counts: Vec<ReasonCount> = histogram
        .iter()
        .map(|((message, plugin), nodes)| ReasonCount {
            plugin: plugin.to_string(),
            message: message.as_ref().to_string(),
            nodes: *nodes,
        })
        .collect();
    counts.sort_by(|a, b| {
        b.nodes
            .cmp(&a.nodes)
            .then_with(|| a.message.cmp(&b.message))
    });
    counts
}
