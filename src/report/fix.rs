//! The remedies of `explain --fix` (`docs/reports.md#fixes`): per
//! unschedulable pod, the smallest change of each kind that makes it
//! schedulable, proven by re-running the filters, with RFC 6902 JSON Patch
//! operations against the input's objects (`kubectl patch --type=json`).

use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What a fix changes. The order is the ranking of fixes of equal cost:
/// the pod's own spec first, then other objects; `RemoveTaint` last but
/// for `Preempt` (it opens a node to every tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub enum FixKind {
    /// Tolerate the taints of the nodes where the pod would then fit.
    AddToleration,
    /// Replace or remove `nodeSelector` entries no node matches.
    NodeSelector,
    /// Replace or remove required node affinity expressions no node matches.
    NodeAffinity,
    /// The largest requests that fit some node.
    ReduceRequests,
    /// A larger `maxSkew`, `nodeTaintsPolicy: Honor`, or `ScheduleAnyway`.
    RelaxTopologySpread,
    /// Turn a blocking required anti-affinity term into a preferred one.
    RelaxPodAntiAffinity,
    /// Uncordon a node where the pod fits.
    Uncordon,
    /// A new node of a pool (cluster-autoscaler adds it: no object changes).
    ScalePool,
    /// Raise the `maxCount` of a pool at its maximum whose node would fit.
    RaiseMaxCount,
    /// Remove a node's taints: the only way left, it touches every tenant.
    RemoveTaint,
    /// Information: kube-scheduler's preemption would evict these
    /// lower-priority pods to make room (the changes delete them).
    Preempt,
}

/// One proven remedy for one pending pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// What kind of change.
    pub kind: FixKind,
    /// One line a person reads.
    pub summary: String,
    /// The nodes the pod fits on once the change is made (new pool nodes
    /// included, as `<pool>-new-<k>`), in node order.
    pub fits_on: Vec<String>,
    /// Every node in `fits_on` is a new pool node.
    pub needs_new_node: bool,
    /// Cost per hour of the nodes the fix adds (0 when the pod fits on an
    /// existing node).
    pub added_cost_per_hour: f64,
    /// The changes to the input's objects (none for `ScalePool`).
    pub changes: Vec<Change>,
}

/// A change to one object of the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The object, as written in the input.
    pub target: ObjectRef,
    /// JSON Patch operations (`kubectl patch --type=json`); none when the
    /// object is deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<PatchOp>,
    /// The object is deleted (`kubectl delete`) instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete: bool,
}

/// An object of the input by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct ObjectRef {
    /// `Pod`, `Deployment`, `StatefulSet`, `ReplicaSet`, `Job`, `Node` or
    /// `NodePool`.
    pub kind: String,
    /// Namespace; absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(hashmap_as_object, missing_as_null))]
pub struct PatchOp {
    /// `add`, `remove`, `replace` or `copy`.
    pub op: String,
    /// JSON Pointer (RFC 6901) into the object.
    pub path: String,
    /// The value of `add` and `replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(type = "unknown"))]
    pub value: Option<serde_json::Value>,
    /// The source of `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl PatchOp {
    /// `add` of `value` at `path`.
    pub fn add(path: String, value: serde_json::Value) -> Self {
        PatchOp {
            op: "add".into(),
            path,
            value: Some(value),
            from: None,
        }
    }

    /// `replace` of the value at `path`.
    pub fn replace(path: String, value: serde_json::Value) -> Self {
        PatchOp {
            op: "replace".into(),
            path,
            value: Some(value),
            from: None,
        }
    }

    /// `remove` of the value at `path`.
    pub fn remove(path: String) -> Self {
        PatchOp {
            op: "remove".into(),
            path,
            value: None,
            from: None,
        }
    }

    /// `copy` of the value at `from` to `path`.
    pub fn copy(from: String, path: String) -> Self {
        PatchOp {
            op: "copy".into(),
            path,
            value: None,
            from: Some(from),
        }
    }
}

/// `token` escaped for a JSON Pointer (`~` → `~0`, `/` → `~1`).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Fix {
    /// The fix as text lines under its pod: the summary, where the pod
    /// then fits, and each change as a `kubectl patch` command.
    pub fn write_text(&self, out: &mut String) {
        let _ = write!(out, "  fix {:?}: {}", self.kind, self.summary);
        if self.added_cost_per_hour > 0.0 {
            let _ = write!(out, " (+{:.3}/h)", self.added_cost_per_hour);
        }
        out.push('\n');
        let shown: Vec<&str> = self.fits_on.iter().take(4).map(String::as_str).collect();
        let more = self.fits_on.len().saturating_sub(shown.len());
        let _ = write!(out, "      then fits on: {}", shown.join(", "));
        if more > 0 {
            let _ = write!(out, " (+{more} more)");
        }
        out.push('\n');
        for change in &self.changes {
            let _ = writeln!(out, "      {}", change.kubectl());
        }
    }
}

impl Change {
    /// The `kubectl patch` (or `delete`) command that applies this change.
    pub fn kubectl(&self) -> String {
        let t = &self.target;
        let namespace = t
            .namespace
            .as_deref()
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        let kind = match t.kind.as_str() {
            "NodePool" => "nodepools.podplan.dev".to_string(),
            k => k.to_lowercase(),
        };
        if self.delete {
            return format!("kubectl delete {kind} {}{namespace}", t.name);
        }
        let patch = serde_json::to_string(&self.patch).unwrap_or_default();
        format!(
            "kubectl patch {kind} {}{namespace} --type=json -p '{}'",
            t.name,
            patch.replace('\'', "'\\''")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_escape_tilde_then_slash() {
        assert_eq!(pointer_token("nvidia.com/gpu"), "nvidia.com~1gpu");
        assert_eq!(pointer_token("a~/b"), "a~0~1b");
    }

    #[test]
    fn a_change_prints_as_kubectl_patch() {
        let change = Change {
            target: ObjectRef {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "web".into(),
            },
            patch: vec![PatchOp::remove(
                "/spec/template/spec/nodeSelector/it's".into(),
            )],
            delete: false,
        };
        assert_eq!(
            change.kubectl(),
            "kubectl patch deployment web -n shop --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec/template/spec/nodeSelector/it'\\''s\"}]'"
        );
        let delete = Change {
            patch: Vec::new(),
            delete: true,
            ..change
        };
        assert_eq!(delete.kubectl(), "kubectl delete deployment web -n shop");
    }
}
