//! The `NodePool` kind (podplan.dev/v1alpha1) with AKS conventions.

use crate::model::NodePool;

/// Converts a NodePool object's `spec` (name from `metadata.name`) to the
/// model. Errors carry the field path below `spec` and a message.
pub(crate) fn convert_node_pool(
    name: &str,
    spec: &serde_json::Value,
) -> Result<NodePool, (String, String)> {
    let _ = spec;
    Err((
        "spec".into(),
        format!("NodePool {name}: not supported yet"),
    ))
}
