//! # podplan
//!
//! Plans where Kubernetes pods go, with kube-scheduler's exact filter
//! semantics.
//!
//! ```
//! let yaml = r#"
//! apiVersion: v1
//! kind: Node
//! metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
//! status: {allocatable: {cpu: "2", memory: 4Gi, pods: "110"}}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web, namespace: default}
//! spec:
//!   containers: [{name: c, resources: {requests: {cpu: "3"}}}]
//! "#;
//! let cluster = podplan::read_scenario(&[podplan::Input::new("example.yaml", yaml)]).unwrap();
//! let report = podplan::explain(&cluster, &podplan::ExplainOptions::default()).unwrap();
//! assert_eq!(report.pods[0].message, "0/1 nodes are available: 1 Insufficient cpu.");
//! ```
//!
//! Data flows one way: [`ingest`] (wire format → model) → [`model`] →
//! [`predicates`] (kube-scheduler's filter plugins) → solvers → [`report`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod ingest;
pub mod model;
pub mod predicates;
pub mod report;
pub mod scoring;
pub mod solvers;

pub use error::{Error, Result};
pub use ingest::{read_scenario, Input};
pub use report::drain::{DrainOptions, DrainReport};
pub use report::explain::{ExplainOptions, ExplainReport};
pub use report::headroom::{HeadroomOptions, HeadroomReport};
pub use report::place::{PlaceOptions, PlaceReport};
pub use solvers::drain::drain;
pub use solvers::explain::explain;
pub use solvers::headroom::headroom;
pub use solvers::place::place;
pub use solvers::simulate::simulate;
