//! `explain`: kube-scheduler's filter phase for every pending pod.

use crate::error::Result;
use crate::model::Cluster;
use crate::report::explain::{ExplainOptions, ExplainReport};

/// Explains every pending pod.
pub fn explain(cluster: &Cluster, options: &ExplainOptions) -> Result<ExplainReport> {
    let _ = (cluster, options);
    Ok(ExplainReport::default())
}
