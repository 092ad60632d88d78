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

    /// Whether `labels.NewRequirement` accepts this requirement: a qualified
    /// key; values for `In`/`NotIn`, none for `Exists`/`DoesNotExist`, one
    /// integer for `Gt`/`Lt`; every value a valid label value.
    pub fn is_valid(&self) -> bool {
        let counts_ok = match self.operator {
            Operator::In | Operator::NotIn => !self.values.is_empty(),
            Operator::Exists | Operator::DoesNotExist => self.values.is_empty(),
            Operator::Gt | Operator::Lt => {
                self.values.len() == 1 && self.values[0].parse::<i64>().is_ok()
            }
        };
        counts_ok && is_qualified_name(&self.key) && self.values.iter().all(|v| is_label_value(v))
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

    /// Label pairs one of which every label set the selector matches
    /// carries: those of its first `In` requirement (none for a nil
    /// selector, which matches nothing). None when it has no `In`
    /// requirement: then no short list is necessary.
    pub fn required_pairs(&self) -> Option<Vec<(&str, &str)>> {
        if self.matches_nothing {
            return Some(Vec::new());
        }
        let r = self
            .requirements
            .iter()
            .find(|r| r.operator == Operator::In)?;
        Some(
            r.values
                .iter()
                .map(|v| (r.key.as_str(), v.as_str()))
                .collect(),
        )
    }

    /// True when the selector has no requirement and is not nil.
    pub fn is_empty(&self) -> bool {
        !self.matches_nothing && self.requirements.is_empty()
    }
}

/// A `NodeSelectorTerm`: its expressions and fields are ANDed. A term with
/// neither matches no node, and so does a term that upstream fails to parse
/// (`nodeaffinity.NewLazyErrorNodeSelector` skips such terms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<Requirement>,
    /// Requirements on node fields: `In`/`NotIn` with exactly one value.
    /// Only `metadata.name` has a value; any other field reads as "".
    pub match_fields: Vec<Requirement>,
}

impl NodeSelectorTerm {
    /// Whether the term matches a node with these labels and name
    /// (`nodeSelectorTerm.match` of component-helpers' `nodeaffinity`).
    pub fn matches(&self, node_labels: &Labels, node_name: &str) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        // Upstream only consults the field selector when the node has a
        // field to offer (`extractNodeFields` skips an empty name).
        let matched = self
            .match_expressions
            .iter()
            .all(|r| r.matches(node_labels))
            && (node_name.is_empty()
                || self
                    .match_fields
                    .iter()
                    .all(|r| field_matches(r, node_name)));
        // An unparsable term never matches; checked last because it costs
        // more than a mismatch and cannot turn a mismatch into a match.
        matched
            && self.match_expressions.iter().all(Requirement::is_valid)
            && self.match_fields.iter().all(is_valid_field_requirement)
    }
}

/// `fields.OneTermEqualSelector` / `OneTermNotEqualSelector` over the node's
/// field set, which holds only `metadata.name`.
fn field_matches(r: &Requirement, node_name: &str) -> bool {
    let value = if r.key == "metadata.name" {
        node_name
    } else {
        ""
    };
    let want = r.values.first().map_or("", String::as_str);
    match r.operator {
        Operator::In => value == want,
        Operator::NotIn => value != want,
        _ => false,
    }
}

/// `nodeSelectorRequirementsAsFieldSelector`: only `In` and `NotIn`, each
/// with exactly one value.
fn is_valid_field_requirement(r: &Requirement) -> bool {
    matches!(r.operator, Operator::In | Operator::NotIn) && r.values.len() == 1
}

/// `validation.IsQualifiedName`: an optional DNS-1123 subdomain prefix and
/// `/`, then a name of at most 63 alphanumerics, `-`, `_`, `.`, starting and
/// ending alphanumeric.
fn is_qualified_name(key: &str) -> bool {
    let mut parts = key.split('/');
    let (prefix, name) = match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, _) => (None, name),
        (Some(prefix), Some(name), None) => (Some(prefix), name),
        _ => return false,
    };
    prefix.is_none_or(is_dns1123_subdomain) && !name.is_empty() && is_label_value(name)
}

/// `validation.IsDNS1123Subdomain`: at most 253 characters, dot-separated
/// labels of lowercase alphanumerics and `-`, starting and ending alphanumeric.
fn is_dns1123_subdomain(s: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && alnum(b[0])
                && alnum(b[b.len() - 1])
                && b.iter().all(|&c| alnum(c) || c == b'-')
        })
}

/// `validation.IsValidLabelValue`: empty, or at most 63 alphanumerics, `-`,
/// `_`, `.`, starting and ending alphanumeric.
fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')))
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

    #[test]
    fn requirement_validity_follows_new_requirement() {
        let ok = |k: &str, op, v: &[&str]| Requirement::new(k, op, v).is_valid();
        assert!(ok("a", Operator::In, &["x", ""]));
        assert!(ok("example.com/a-b_c.d", Operator::Exists, &[]));
        assert!(ok("k", Operator::Gt, &["0204"]));
        assert!(!ok("k", Operator::NotIn, &[]));
        assert!(!ok("k", Operator::Exists, &["x"]));
        assert!(!ok("k", Operator::Gt, &["1", "2"]));
        assert!(!ok("k", Operator::Lt, &["x"]));
        assert!(!ok("invalid key", Operator::In, &["x"]));
        assert!(!ok("Example.com/a", Operator::In, &["x"]));
        assert!(!ok("/a", Operator::In, &["x"]));
        assert!(!ok("a/b/c", Operator::In, &["x"]));
        assert!(!ok("k", Operator::NotIn, &["invalid value: ___@#$%^"]));
        assert!(!ok("k", Operator::In, &[&"x".repeat(64)]));
    }

    #[test]
    fn match_fields_follow_the_field_selector() {
        let l = Labels::new();
        let fields = |r: Requirement| NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![r],
        };
        let name_in = fields(Requirement::new("metadata.name", Operator::In, &["n1"]));
        assert!(name_in.matches(&l, "n1"));
        assert!(!name_in.matches(&l, "n2"));
        // A node without a name offers no fields: the field selector is skipped.
        assert!(name_in.matches(&l, ""));
        // Other fields read as "".
        assert!(fields(Requirement::new("spec.x", Operator::NotIn, &["a"])).matches(&l, "n1"));
        assert!(fields(Requirement::new("spec.x", Operator::In, &[""])).matches(&l, "n1"));
        assert!(!fields(Requirement::new("spec.x", Operator::In, &["a"])).matches(&l, "n1"));
        // Not exactly one value, or another operator: a parse error.
        assert!(!fields(Requirement::new(
            "metadata.name",
            Operator::In,
            &["n1", "n2"]
        ))
        .matches(&l, "n1"));
        assert!(
            !fields(Requirement::new("metadata.name", Operator::Exists, &[])).matches(&l, "n1")
        );
    }
}
