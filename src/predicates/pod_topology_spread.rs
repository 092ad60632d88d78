//! Placeholder: being written.

use super::{Snapshot, Verdict};
use crate::model::{NodeId, Pod, PodId};

/// Precomputed per-pod state.
#[derive(Debug, Clone, Default)]
pub struct State {}

impl State {
    /// PreFilter.
    pub fn new(snapshot: &Snapshot, pod: PodId) -> Self {
        let _ = (snapshot, pod);
        State {}
    }
    /// AddPod.
    pub fn add_pod(&mut self, snapshot: &Snapshot, pod: PodId, added: PodId, node: NodeId) {
        let _ = (snapshot, pod, added, node);
    }
    /// RemovePod.
    pub fn remove_pod(&mut self, snapshot: &Snapshot, pod: PodId, removed: PodId, node: NodeId) {
        let _ = (snapshot, pod, removed, node);
    }
    /// Filter.
    pub fn filter(&self, snapshot: &Snapshot, pod: &Pod, node: NodeId) -> Verdict {
        let _ = (snapshot, pod, node);
        Ok(())
    }
}
