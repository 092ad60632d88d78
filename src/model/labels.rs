//! Labels, label selectors and node selector requirements, with the
//! matching rules of `k8s.io/apimachinery/pkg/labels` and
//! `k8s.io/component-helpers/scheduling/corev1/nodeaffinity`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A label map (sorted, so equal maps compare and hash equal).
pub type Labels = BTreeMap<String, String>;

/// Builds a label map from pairs; handy in tests and generators.
pub fn labels<const N: usize>(pairs: [(&str, &str); N]) -> Labels {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A selector operator. `=`/`==` are folded into `In`, `!=` into `NotIn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    /// The label's value is one of the values.
    In,
    /// The label is absent or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label's value parses as an integer greater than the single value
    /// (node selectors only).
    Gt,
    /// The label's value parses as an integer less than the single value
    /// (node selectors only).
    Lt,
}

impl Operator {
    /// The operator's Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
            Operator::Gt => "Gt",
            Operator::Lt => "Lt",
        }
    }
}

/// One requirement: `key op values`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Requirement {
    /// The label key (or field name for `matchFields`).
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// Values; one integer for `Gt`/`Lt`, empty for `Exists`/`DoesNotExist`.
    pub values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement.
    pub fn new(key: &str, operator: Operator, values: &[&str]) -> Self {
        Requirement {
            key: key.to_string(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// Whether a label value (None when the key is absent) satisfies this.
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::Gt | Operator::Lt => {
                let (Some(v), Some(bound)) = (value, self.values.first()) else {
                    return false;
                };
                let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else {
                    return false;
                };
                if self.operator == Operator::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }

    /// Whether a label map satisfies this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.key).map(String::as_str))
    }
}

/// A `metav1.LabelSelector` converted to requirements. A nil selector
/// matches nothing; an empty one (no requirements) matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelSelector {
    /// ANDed requirements (matchLabels become `In` with one value).
    pub requirements: Vec<Requirement>,
    /// True for a nil selector, which selects nothing.
    pub matches_nothing: bool,
}

impl LabelSelector {
    /// A selector that matches every label set.
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// A selector that matches no label set (nil selector).
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            matches_nothing: true,
        }
    }

    /// A selector from `matchLabels` pairs.
    pub fn from_labels(pairs: &Labels) -> Self {
        LabelSelector {
            requirements: pairs
                .iter()
                .map(|(k, v)| Requirement::new(k, Operator::In, &[v]))
                .collect(),
            matches_nothing: false,
        }
    }

    /// Whether the selector matches a label set.
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.matches_nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// True when the selector has no requirement and is not nil.
    pub fn is_empty(&self) -> bool {
        !self.matches_nothing && self.requirements.is_empty()
    }
}

/// A `NodeSelectorTerm`: its expressions and fields are ANDed. A term with
/// neither matches no node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<Requirement>,
    /// Requirements on node fields (only `metadata.name` is supported, as upstream).
    pub match_fields: Vec<Requirement>,
}

impl NodeSelectorTerm {
    /// Whether the term matches a node with these labels and name.
    pub fn matches(&self, node_labels: &Labels, node_name: &str) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        self.match_expressions.iter().all(|r| r.matches(node_labels))
            && self.match_fields.iter().all(|r| {
                r.key == "metadata.name" && r.matches_value(Some(node_name))
            })
    }
}

/// A `NodeSelector`: its terms are ORed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeSelector {
    /// ORed terms.
    pub terms: Vec<NodeSelectorTerm>,
}

impl NodeSelector {
    /// Whether any term matches.
    pub fn matches(&self, node_labels: &Labels, node_name: &str) -> bool {
        self.terms.iter().any(|t| t.matches(node_labels, node_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        let l = labels([("a", "1"), ("b", "x")]);
        assert!(Requirement::new("a", Operator::In, &["1", "2"]).matches(&l));
        assert!(!Requirement::new("a", Operator::NotIn, &["1"]).matches(&l));
        assert!(Requirement::new("z", Operator::NotIn, &["1"]).matches(&l));
        assert!(Requirement::new("a", Operator::Gt, &["0"]).matches(&l));
        assert!(!Requirement::new("b", Operator::Gt, &["0"]).matches(&l));
        assert!(Requirement::new("a", Operator::Lt, &["2"]).matches(&l));
        assert!(Requirement::new("z", Operator::DoesNotExist, &[]).matches(&l));
        assert!(!LabelSelector::nothing().matches(&l));
        assert!(LabelSelector::everything().matches(&l));
        assert!(!NodeSelectorTerm::default().matches(&l, "n"));
    }
}
