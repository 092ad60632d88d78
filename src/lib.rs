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
//! # Layers
//!
//! Data flows one way, and each layer imports only from the layers before
//! it (`tests/layers.rs` enforces it):
//!
//! | layer | what it holds |
//! |---|---|
//! | `parallel` | data parallelism in one place: rayon with the `parallel` feature, a plain loop without (WASM) |
//! | `error`, [`model`], [`report`] | errors; the cluster as plain data; the reports' types and text views |
//! | `ingest` | the wire format (Kubernetes JSON/YAML, NodePool) → [`model`]; the only code that knows it |
//! | [`predicates`] | kube-scheduler's filter plugins, one file each, and its `FitError` message |
//! | [`scoring`] | kube-scheduler's score plugins, and the soft-preference weight |
//! | `engine` | what several operations share: pod classes, plans, scale-up, PDB arithmetic, drainability rules, the LP backend |
//! | [`check`] | independent oracles that replay every plan |
//! | `ops` | the operations: explain, simulate, place, consolidate, drain, headroom, diff, tenancy |
//!
//! The public API is this page's functions and option/report types, plus
//! [`model`], [`report`], [`check`], the scheduler plugins ([`predicates`],
//! [`scoring`]) and the disruption controller's arithmetic
//! ([`disruption`]) that the ported upstream tables test, the VM catalogue
//! ([`catalogue`]) and the scenario generators ([`generate`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Functions stay short (clippy.toml sets the threshold); CI denies warnings.
#![warn(clippy::too_many_lines)]

pub mod check;
mod engine;
pub mod error;
mod ingest;
pub mod model;
mod ops;
mod parallel;
pub mod predicates;
pub mod report;
pub mod scoring;

pub use engine::disruption;
pub use error::{Error, Result};
pub use ingest::families;
pub use ingest::generate;
/// Scenarios from `k8s-openapi` objects (kube-rs), read as files are.
#[cfg(feature = "k8s-openapi")]
pub use ingest::k8s::{read_objects, K8sObject};
pub use ingest::pools as catalogue;
pub use ingest::{read_scenario, read_scenario_with, Input};
pub use model::prices;
pub use model::Limits;
pub use report::diff::{DiffOptions, DiffReport};
pub use report::drain::{DrainOptions, DrainReport};
pub use report::explain::{ExplainOptions, ExplainReport};
pub use report::headroom::{HeadroomOptions, HeadroomReport};
pub use report::place::{PlaceOptions, PlaceReport};
pub use report::sizes::{SizesOptions, SizesReport};
pub use report::tenancy::{TenancyOptions, TenancyReport};

/// Why each pending pod is (un)schedulable: kube-scheduler's filter phase
/// for every pending pod (or `options.pod`), with the other pending pods
/// not yet placed.
pub fn explain(cluster: &model::Cluster, options: &ExplainOptions) -> Result<ExplainReport> {
    ops::explain::explain(cluster, options)
}

/// Which nodes to add, at least cost, with a proven lower bound; with
/// `options.repack`, consolidation: which existing nodes can go.
pub fn place(cluster: &model::Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    ops::place_or_consolidate(cluster, options)
}

/// What kube-scheduler (default profile) and cluster-autoscaler would do
/// with the pending pods: the baseline `place` is compared with.
pub fn simulate(cluster: &model::Cluster, options: &PlaceOptions) -> Result<PlaceReport> {
    ops::simulate::simulate(cluster, options)
}

/// `sizes`: for one pool, `place` with each candidate VM size (capacity
/// from the VM catalogue, allocatable from the AKS reservation rules,
/// price from `options.prices` or else the built-in price catalogue) and
/// with a mix of the two cheapest, cheapest first.
pub fn sizes(cluster: &model::Cluster, options: &SizesOptions) -> Result<SizesReport> {
    let c = ingest::resize::candidates(
        cluster,
        &options.pool,
        &options.candidates,
        &options.families,
        options.region.as_deref(),
        options.prices.as_ref(),
    )?;
    let base = &cluster.pools[c.pool];
    let header = SizesReport {
        pool: base.name.clone(),
        current_size: base.vm_size.clone(),
        region: c.region,
        region_assumed: c.region_assumed,
        os: base.os_type.clone(),
        priority: format!("{:?}", base.priority),
        rows: Vec::new(),
        unpriced: c.unpriced,
        warnings: c.warnings,
    };
    let name = base.name.clone();
    ops::sizes::sizes(
        cluster,
        c.pool,
        &c.pools,
        |b| ingest::resize::mix_pool(b, &name),
        options.time_limit,
        header,
    )
}

/// `cluster` with, beside each pool whose VM size is in the catalogue, a
/// pool `<pool>-<size>` for every other priced size of its family, for
/// `place --pool-sizes auto`; and a note per pool extended. `prices` is
/// consulted before the built-in price catalogue.
pub fn with_pool_sizes(
    cluster: &model::Cluster,
    prices: Option<&model::prices::PriceTable>,
) -> (model::Cluster, Vec<String>) {
    ingest::resize::with_pool_sizes(cluster, prices)
}

/// Whether the nodes of `options` can be drained without breaking a
/// PodDisruptionBudget, what blocks it, and in what waves.
pub fn drain(cluster: &model::Cluster, options: &DrainOptions) -> Result<DrainReport> {
    ops::drain::drain(cluster, options)
}

/// How many more copies of a pod fit (cluster-capacity). A pod manifest in
/// `options.pod` is read here, with the scenario reader.
pub fn headroom(cluster: &model::Cluster, options: &HeadroomOptions) -> Result<HeadroomReport> {
    let manifest = match (&options.workload, &options.pod) {
        (None, Some(m)) => Some(read_scenario(&[Input::new(m.file.clone(), &m.text)])?),
        _ => None,
    };
    ops::headroom::headroom(cluster, options, manifest.as_ref())
}

/// The price of isolation (`podplan tenancy`): the pods grouped into
/// tenants (by namespace, or a label; kube-system and DaemonSets are
/// infrastructure) and planned with `place` from scratch in three
/// layouts — shared pools, a dedicated copy of each user pool per tenant,
/// a cluster per tenant — each plan validated; per layout and tenant the
/// cost, nodes and utilisation, and the differences between layouts split
/// into causes (docs/reports.md#tenancy).
pub fn tenancy(cluster: &model::Cluster, options: &TenancyOptions) -> Result<TenancyReport> {
    ops::tenancy::tenancy(cluster, options)
}

/// The scenario `base` before and after `change` (`podplan diff`):
/// pending pods that become (un)schedulable, `place` before and after,
/// headroom of the workloads the change adds or replaces, and with
/// `options.drain_pool` that pool's drain.
///
/// The change's objects replace the base's of the same kind, namespace
/// and name, or are added; one annotated `podplan.dev/delete: "true"`
/// deletes the base's, with the nodes of a deleted NodePool and the pods
/// of a deleted workload (docs/input.md#diff). Deleting an object the
/// base does not have is an error naming the change file and the object.
pub fn diff(base: &[Input], change: &[Input], options: &DiffOptions) -> Result<DiffReport> {
    let scenario = ingest::change::read_change(base, change, &options.limits)?;
    let changes = scenario.changes.into_iter().map(object_change).collect();
    ops::diff::diff(&scenario.before, &scenario.after, changes, options)
}

/// A changed object of the reader, as the report shows it.
fn object_change(c: ingest::change::ChangedObject) -> report::diff::ObjectChange {
    use ingest::change::Action;
    use report::diff::ChangeAction;
    report::diff::ObjectChange {
        kind: c.key.kind,
        namespace: c.key.namespace,
        name: c.key.name,
        action: match c.action {
            Action::Added => ChangeAction::Added,
            Action::Replaced => ChangeAction::Replaced,
            Action::Deleted => ChangeAction::Deleted,
        },
        file: c.file,
        because_of: c.cause.map(|k| k.describe()),
    }
}
