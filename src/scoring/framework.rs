//! What the score plugins share: the score range, the plugin list with the
//! default profile's weights, upstream's score normalisation, and the
//! topology domains of nodes (upstream `framework/interface.go`,
//! `plugins/helper/normalize_score.go`).

use crate::model::NodeId;
use crate::predicates::Snapshot;
use std::collections::HashMap;

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;

/// A score plugin of the default profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScorePlugin {
    /// `NodeResourcesFit` with the LeastAllocated strategy.
    NodeResourcesFit,
    /// `NodeResourcesBalancedAllocation`.
    NodeResourcesBalancedAllocation,
    /// `TaintToleration`.
    TaintToleration,
    /// `NodeAffinity`.
    NodeAffinity,
    /// `InterPodAffinity`.
    InterPodAffinity,
    /// `PodTopologySpread`.
    PodTopologySpread,
}

impl ScorePlugin {
    /// All score plugins, in the order [`NodeScores::plugins`] holds them.
    pub const ALL: [ScorePlugin; 6] = [
        ScorePlugin::NodeResourcesFit,
        ScorePlugin::NodeResourcesBalancedAllocation,
        ScorePlugin::TaintToleration,
        ScorePlugin::NodeAffinity,
        ScorePlugin::InterPodAffinity,
        ScorePlugin::PodTopologySpread,
    ];

    /// The plugin's upstream name.
    pub fn name(self) -> &'static str {
        match self {
            ScorePlugin::NodeResourcesFit => "NodeResourcesFit",
            ScorePlugin::NodeResourcesBalancedAllocation => "NodeResourcesBalancedAllocation",
            ScorePlugin::TaintToleration => "TaintToleration",
            ScorePlugin::NodeAffinity => "NodeAffinity",
            ScorePlugin::InterPodAffinity => "InterPodAffinity",
            ScorePlugin::PodTopologySpread => "PodTopologySpread",
        }
    }

    /// The plugin's weight in the default profile.
    pub fn weight(self) -> i64 {
        match self {
            ScorePlugin::NodeResourcesFit => 1,
            ScorePlugin::NodeResourcesBalancedAllocation => 1,
            ScorePlugin::TaintToleration => 3,
            ScorePlugin::NodeAffinity => 2,
            ScorePlugin::InterPodAffinity => 2,
            ScorePlugin::PodTopologySpread => 2,
        }
    }
}

/// Upstream `helper.DefaultNormalizeScore`: scales scores so the largest is
/// `max_priority` (integer division); with `reverse`, subtracts from
/// `max_priority`. When every score is 0 (or less), scores stay as they
/// are, or become `max_priority` with `reverse`.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().fold(0, i64::max);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let scaled = match max_priority.checked_mul(*s) {
            Some(product) => product / max,
            None => (i128::from(max_priority) * i128::from(*s) / i128::from(max)) as i64,
        };
        *s = if reverse {
            max_priority - scaled
        } else {
            scaled
        };
    }
}

/// The scores of one pod's feasible nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScores {
    /// The feasible nodes, in the order given.
    pub nodes: Vec<NodeId>,
    /// Per plugin (in [`ScorePlugin::ALL`] order), the normalised,
    /// unweighted score of each node.
    pub plugins: Vec<(ScorePlugin, Vec<i64>)>,
    /// The weighted sum per node.
    pub total: Vec<i64>,
}

impl NodeScores {
    /// The normalised, unweighted scores of one plugin.
    pub fn plugin(&self, plugin: ScorePlugin) -> &[i64] {
        self.plugins
            .iter()
            .find(|(p, _)| *p == plugin)
            .map_or(&[], |(_, s)| s.as_slice())
    }

    /// upstream `selectHost`: a node with the highest total. Upstream picks
    /// one of the tied nodes at random (reservoir sampling); podplan picks
    /// the one with the lowest node index, so that plans are reproducible.
    pub fn best(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .zip(&self.total)
            .max_by(|(na, ta), (nb, tb)| ta.cmp(tb).then_with(|| nb.cmp(na)))
            .map(|(n, _)| *n)
    }
}

/// Marks a node without the topology key in [`KeyDomains::node`].
pub(crate) const MISSING: u32 = u32::MAX;

/// Each node's value of one topology key, interned.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyDomains {
    /// Per node, the index of its value in `values`, or [`MISSING`].
    pub(crate) node: Vec<u32>,
    /// Distinct values.
    pub(crate) values: Vec<String>,
    index: HashMap<String, u32>,
}

impl KeyDomains {
    /// The index standing for the value "" (what a missing key reads as):
    /// that of a node labelled "", else one past the values.
    pub(crate) fn empty_value(&self) -> u32 {
        self.index
            .get("")
            .copied()
            .unwrap_or(self.values.len() as u32)
    }
}

/// Node domains per topology key, extended as nodes are added.
#[derive(Debug, Clone, Default)]
pub(crate) struct Topology {
    keys: HashMap<String, KeyDomains>,
}

impl Topology {
    /// Makes `key`'s domains cover every node of the snapshot.
    pub(crate) fn ensure(&mut self, snapshot: &Snapshot, key: &str) {
        if !self.keys.contains_key(key) {
            self.keys.insert(key.to_string(), KeyDomains::default());
        }
        let Some(d) = self.keys.get_mut(key) else {
            return;
        };
        for i in d.node.len()..snapshot.node_count() {
            let node = snapshot.node(NodeId(i as u32));
            let v = match node.labels.get(key) {
                None => MISSING,
                Some(value) => match d.index.get(value.as_str()) {
                    Some(&v) => v,
                    None => {
                        let v = d.values.len() as u32;
                        d.values.push(value.clone());
                        d.index.insert(value.clone(), v);
                        v
                    }
                },
            };
            d.node.push(v);
        }
    }

    /// `key`'s domains (empty unless [`Topology::ensure`]d).
    pub(crate) fn get(&self, key: &str) -> &KeyDomains {
        static EMPTY: std::sync::OnceLock<KeyDomains> = std::sync::OnceLock::new();
        self.keys
            .get(key)
            .unwrap_or_else(|| EMPTY.get_or_init(KeyDomains::default))
    }

    /// Forgets nodes from index `nodes` on (they were removed).
    pub(crate) fn truncate(&mut self, nodes: usize) {
        for d in self.keys.values_mut() {
            d.node.truncate(nodes);
        }
    }
}
