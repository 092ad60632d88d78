//! Scenarios from `k8s-openapi` objects (cargo feature `k8s-openapi`), for
//! kube-rs users: each object serialised to the JSON `kubectl get -o json`
//! prints (k8s-openapi writes `apiVersion` and `kind`), gathered into one
//! `List` in the order given, and read by [`super::read_scenario`] like a
//! file, so the reports are the ones the JSON path gives.
//!
//! The library enables no `v1_*` version feature of k8s-openapi (its rule
//! for libraries): the application picks the Kubernetes version.

use super::{read_scenario, Input};
use crate::error::{Error, Result};
use crate::model::Cluster;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde_json::{json, Value};

/// One object of a scenario: a Kubernetes kind podplan reads, or any
/// other object as JSON (podplan's `NodePool`, or kinds it skips with a
/// warning, as in files).
#[derive(Debug, Clone)]
pub enum K8sObject {
    /// A Node.
    Node(Box<Node>),
    /// A Pod.
    Pod(Box<Pod>),
    /// A Deployment.
    Deployment(Box<Deployment>),
    /// A StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A DaemonSet.
    DaemonSet(Box<DaemonSet>),
    /// A ReplicaSet.
    ReplicaSet(Box<ReplicaSet>),
    /// A Job.
    Job(Box<Job>),
    /// A PodDisruptionBudget.
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    /// A PriorityClass.
    PriorityClass(Box<PriorityClass>),
    /// Any other object, as its JSON (e.g. a `podplan.dev/v1alpha1` NodePool).
    Json(Value),
}

macro_rules! from_kind {
    ($($kind:ident),*) => {$(
        impl From<$kind> for K8sObject {
            fn from(object: $kind) -> Self {
                K8sObject::$kind(Box::new(object))
            }
        }
    )*};
}
from_kind!(
    Node,
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    PodDisruptionBudget,
    PriorityClass
);

impl From<Value> for K8sObject {
    fn from(object: Value) -> Self {
        K8sObject::Json(object)
    }
}

impl K8sObject {
    /// The object's JSON, with `apiVersion` and `kind`.
    fn to_json(&self) -> std::result::Result<Value, serde_json::Error> {
        match self {
            K8sObject::Node(o) => serde_json::to_value(o),
            K8sObject::Pod(o) => serde_json::to_value(o),
            K8sObject::Deployment(o) => serde_json::to_value(o),
            K8sObject::StatefulSet(o) => serde_json::to_value(o),
            K8sObject::DaemonSet(o) => serde_json::to_value(o),
            K8sObject::ReplicaSet(o) => serde_json::to_value(o),
            K8sObject::Job(o) => serde_json::to_value(o),
            K8sObject::PodDisruptionBudget(o) => serde_json::to_value(o),
            K8sObject::PriorityClass(o) => serde_json::to_value(o),
            K8sObject::Json(v) => Ok(v.clone()),
        }
    }
}

/// The scenario of `objects`, in their order, read as the input `name`
/// (used in error messages, as a file's name is).
pub fn read_objects(name: &str, objects: &[K8sObject]) -> Result<Cluster> {
    let items = objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            o.to_json().map_err(|e| Error::Syntax {
                file: name.to_string(),
                message: format!("object {i} does not serialise: {e}"),
            })
        })
        .collect::<Result<Vec<Value>>>()?;
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    let text = list.to_string();
    read_scenario(&[Input::new(name, &text)])
}
