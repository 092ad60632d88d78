//! WebAssembly bindings of podplan: the operations (docs/reports.md) for
//! JavaScript, returning the same reports as the CLI's `--output json`.
//!
//! A thin shell: [`ReadCluster`] reads the scenario files with
//! [`podplan::read_scenario`], and each of its methods calls one library
//! operation and converts the report to a plain JS object. There is no
//! planning logic here. The one addition, [`inventory`], is a read-only
//! view of the model (nodes, the requests of the pods on them, pools) that
//! the web page draws; it also calls only library code.
//!
//! Errors become JS `Error`s carrying the library's message. A panic (a
//! bug: the library promises none) becomes a JS `Error` too, and the JS
//! wrapper runs the next call on a fresh instance (see [`start`]).
#![warn(missing_docs)]

use js_sys::Uint8Array;
use podplan::model::{Resources, TaintEffect};
use podplan::predicates::state::Snapshot;
use podplan::{
    DiffOptions, DiffReport, DrainOptions, DrainReport, ExplainOptions, ExplainReport,
    HeadroomOptions, HeadroomReport, Input, Limits, PlaceOptions, PlaceReport, SizesOptions,
    SizesReport,
    TenancyOptions, TenancyReport,
};
use serde::{Deserialize, Serialize};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// The global allocator: std's (dlmalloc), growing the WebAssembly memory
/// in large steps.
///
/// dlmalloc asks for just the pages a request lacks, so the memory grows
/// mostly one 64 KiB page at a time, and every `memory.grow` costs V8 a
/// garbage collection (`node --trace-gc` shows one per grow; 2,100 grows
/// of one page take 0.5–1 s). The first read of a 54 MB dump spent 2.4 s
/// of its 3 s there; the same read on the grown memory takes 0.6 s. After
/// a request that grew the memory, this allocator also allocates and frees
/// half the memory's size: dlmalloc keeps the freed block as its top chunk
/// (WebAssembly memory is never given back), the next requests fit in it,
/// and the memory grows geometrically (about 20 grows up to 4 GiB). The
/// pages of the block are not touched until used, so they cost address
/// space, not RAM.
#[cfg(target_arch = "wasm32")]
mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::arch::wasm32::memory_size;

    const PAGE: usize = 64 * 1024;
    /// No reserve below this (small scenarios stay small).
    const MIN_RESERVE: usize = 4 << 20;

    pub struct GrowInSteps;

    impl GrowInSteps {
        /// After `memory.grow`: reserve half the memory's size at once.
        fn reserve(before: usize) {
            let pages = memory_size(0);
            if pages == before {
                return;
            }
            let size = (pages * PAGE / 2).max(MIN_RESERVE);
            if let Ok(layout) = Layout::from_size_align(size, 1) {
                // SAFETY: a non-zero size; the block is freed at once. A
                // failed reservation (memory near 4 GiB) is simply skipped:
                // the requests are served as without it.
                unsafe {
                    let block = System.alloc(layout);
                    if !block.is_null() {
                        System.dealloc(block, layout);
                    }
                }
            }
        }
    }

    // SAFETY: every call is passed on unchanged to `System`, which upholds
    // the `GlobalAlloc` contract; `reserve` only adds an allocation that is
    // freed before returning.
    unsafe impl GlobalAlloc for GrowInSteps {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let before = memory_size(0);
            let p = System.alloc(layout);
            Self::reserve(before);
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let before = memory_size(0);
            let p = System.alloc_zeroed(layout);
            Self::reserve(before);
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            System.dealloc(ptr, layout);
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let before = memory_size(0);
            let p = System.realloc(ptr, layout, new_size);
            Self::reserve(before);
            p
        }
    }

    #[global_allocator]
    static GLOBAL: GrowInSteps = GrowInSteps;
}

/// Installs the panic hook; wasm-bindgen runs it when the module is
/// instantiated.
///
/// With `panic = "abort"` a panic would trap the instance and JS would see
/// a bare `RuntimeError: unreachable`. The hook instead throws a JS `Error`
/// with the panic's message, which unwinds out of the export call before
/// the abort is reached. The instance's state is then abandoned midway
/// (nothing was dropped, the panic count stays raised): the JS wrapper
/// (`js/api.js`) replaces it with a fresh one before the next call.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        wasm_bindgen::throw_str(&format!("{PANIC_PREFIX}{info}"));
    }));
}

/// How the message of an `Error` thrown by a panic starts (js/api.js
/// recognises it).
const PANIC_PREFIX: &str = "podplan panicked: ";

/// Panics with `message`: lets the tests check that a panic surfaces as a
/// JS `Error` and that the instance works afterwards. Not part of the API.
#[wasm_bindgen(js_name = __panicForTest, skip_typescript)]
pub fn panic_for_test(message: &str) {
    panic!("{message}");
}

/// Reads the files into one cluster, as the CLI reads its paths: file
/// `i` is named `names[i]` (in error messages) and holds the UTF-8 bytes
/// `texts[i]` (JSON or YAML).
///
/// The texts come as bytes, not strings: js/api.js encodes a string with
/// `TextEncoder` (or passes a file's bytes as they are), and the bytes are
/// copied into the module's memory in one `set`. wasm-bindgen would copy
/// a `String` argument character by character in a JS loop, about four
/// times slower (0.5 s of CPU for a 200 MB dump, against 0.14 s).
///
/// The scenario is read within `limits` (`podplan::Limits`, the defaults
/// when JS gives none): a scenario asking for more pods or nodes than they
/// allow is an error naming the object, not memory exhausted.
fn read(
    names: &[String],
    texts: &[Uint8Array],
    limits: &Limits,
) -> Result<podplan::model::Cluster, JsError> {
    let texts = decode(names, texts)?;
    podplan::read_scenario_with(&inputs(names, &texts), limits).map_err(js_error)
}

/// The files' texts (see [`read`]), or the CLI's message for one that is
/// not UTF-8.
fn decode(names: &[String], texts: &[Uint8Array]) -> Result<Vec<String>, JsError> {
    if names.len() != texts.len() {
        return Err(JsError::new("podplan: as many file names as texts"));
    }
    names
        .iter()
        .zip(texts)
        // The CLI's message for a file that is not UTF-8.
        .map(|(name, bytes)| {
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                JsError::new(&format!(
                    "{name}: not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ))
            })
        })
        .collect()
}

/// The inputs named `names` with `texts`.
fn inputs<'a>(names: &[String], texts: &'a [String]) -> Vec<Input<'a>> {
    names
        .iter()
        .zip(texts)
        .map(|(name, text)| Input::new(name.clone(), text))
        .collect()
}

/// `podplan diff`: the scenario of the files `names`/`texts` (as
/// [`read`] takes them) before and after the change of the files
/// `change_names`/`change_texts`.
#[wasm_bindgen(js_name = diff, skip_typescript)]
pub fn diff(
    names: Vec<String>,
    texts: Vec<Uint8Array>,
    change_names: Vec<String>,
    change_texts: Vec<Uint8Array>,
    options: Option<Ts<DiffOptions>>,
) -> Result<Ts<DiffReport>, JsError> {
    let base = decode(&names, &texts)?;
    let change = decode(&change_names, &change_texts)?;
    let report = podplan::diff(
        &inputs(&names, &base),
        &inputs(&change_names, &change),
        &self::options(options)?,
    )
    .map_err(js_error)?;
    report.into_ts().map_err(js_error)
}

/// Options given by JS, or the defaults when absent.
fn options<T>(options: Option<Ts<T>>) -> Result<T, JsError>
where
    T: Tsify + serde::de::DeserializeOwned + Default,
    <T as Tsify>::JsType: Clone,
{
    match options {
        Some(o) => o.to_rust().map_err(js_error),
        None => Ok(T::default()),
    }
}

/// A JS `Error` with the message of `e`.
fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A scenario read into podplan's model, for any number of operations:
/// `read(scenario)` in js/api.js (the class `Cluster` there), which the
/// one-shot functions (`explain(scenario)`, ...) use too. A dump is then
/// read once for several operations: the page reads it once for the
/// inventory, explain, place and drain (reading a 54 MB dump takes 0.6 s).
#[wasm_bindgen(skip_typescript)]
pub struct ReadCluster {
    cluster: podplan::model::Cluster,
}

#[wasm_bindgen]
impl ReadCluster {
    /// Reads the files (see [`read`]) within `limits`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        names: Vec<String>,
        texts: Vec<Uint8Array>,
        limits: Option<Ts<Limits>>,
    ) -> Result<ReadCluster, JsError> {
        Ok(ReadCluster {
            cluster: read(&names, &texts, &options(limits)?)?,
        })
    }

    /// `podplan explain`: why each pending pod is (un)schedulable.
    pub fn explain(
        &self,
        options: Option<Ts<ExplainOptions>>,
    ) -> Result<Ts<ExplainReport>, JsError> {
        let report = podplan::explain(&self.cluster, &self::options(options)?).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan place`: where the pending pods go and which nodes to add,
    /// at least cost, with a proven lower bound.
    pub fn place(&self, options: Option<Ts<PlaceOptions>>) -> Result<Ts<PlaceReport>, JsError> {
        let report = podplan::place(&self.cluster, &self::options(options)?).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan simulate`: what kube-scheduler plus a
    /// cluster-autoscaler-style scale-up would do (the report of `place`).
    pub fn simulate(&self, options: Option<Ts<PlaceOptions>>) -> Result<Ts<PlaceReport>, JsError> {
        let report =
            podplan::simulate(&self.cluster, &self::options(options)?).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan drain`: whether nodes can be emptied, in which waves, and
    /// what blocks them.
    pub fn drain(&self, options: Ts<DrainOptions>) -> Result<Ts<DrainReport>, JsError> {
        let options = options.to_rust().map_err(js_error)?;
        let report = podplan::drain(&self.cluster, &options).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan headroom`: how many more copies of a pod fit.
    pub fn headroom(&self, options: Ts<HeadroomOptions>) -> Result<Ts<HeadroomReport>, JsError> {
        let options = options.to_rust().map_err(js_error)?;
        let report = podplan::headroom(&self.cluster, &options).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan tenancy`: the tenants on shared pools, on dedicated pools
    /// and in a cluster each, planned from scratch, and the differences
    /// between the layouts by cause.
    pub fn tenancy(
        &self,
        options: Option<Ts<TenancyOptions>>,
    ) -> Result<Ts<TenancyReport>, JsError> {
        let report = podplan::tenancy(&self.cluster, &self::options(options)?).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan sizes`: for one pool, `place` with each candidate VM size
    /// and with a mix of the two cheapest, cheapest first (built-in
    /// prices; the CLI's `--prices` file is not available here).
    pub fn sizes(&self, options: Ts<SizesOptions>) -> Result<Ts<SizesReport>, JsError> {
        let options = options.to_rust().map_err(js_error)?;
        let report = podplan::sizes(&self.cluster, &options).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// `podplan place --pool-sizes auto`: `place` choosing among the VM
    /// sizes of each pool's family itself (pools `<pool>-<size>` beside
    /// each pool with a catalogue size, built-in prices).
    #[wasm_bindgen(js_name = placeWithPoolSizes)]
    pub fn place_with_pool_sizes(
        &self,
        options: Option<Ts<PlaceOptions>>,
    ) -> Result<Ts<PlaceReport>, JsError> {
        let (wider, _notes) = podplan::with_pool_sizes(&self.cluster, None);
        let report = podplan::place(&wider, &self::options(options)?).map_err(js_error)?;
        report.into_ts().map_err(js_error)
    }

    /// The scenario as the page draws it (see [`inventory`]).
    pub fn inventory(&self) -> Result<Ts<Inventory>, JsError> {
        inventory(&self.cluster).into_ts().map_err(js_error)
    }
}

/// CPU, memory and pod count of a node or a pod, as JS numbers (memory
/// in bytes can exceed 2^53; a drawing does not need the last byte).
#[derive(Debug, Clone, Default, Serialize, Deserialize, Tsify)]
#[tsify(hashmap_as_object, missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct ResourceView {
    /// CPU in millicores.
    pub cpu_milli: f64,
    /// Memory in bytes.
    pub memory: f64,
    /// Pods (allocatable pod slots, or pods counted).
    pub pods: f64,
}

impl From<&Resources> for ResourceView {
    fn from(r: &Resources) -> Self {
        ResourceView {
            cpu_milli: r.milli_cpu as f64,
            memory: r.memory as f64,
            pods: r.pods as f64,
        }
    }
}

/// A pod as the page draws it.
#[derive(Debug, Clone, Serialize, Deserialize, Tsify)]
#[tsify(hashmap_as_object, missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct PodView {
    /// `ns/name`.
    pub pod: String,
    /// Its requests (`resource.PodRequests`).
    pub requests: ResourceView,
    /// A DaemonSet pod (synthesised where the DaemonSet would run one).
    pub daemon_set: bool,
}

/// An existing node and what runs on it.
#[derive(Debug, Clone, Serialize, Deserialize, Tsify)]
#[tsify(hashmap_as_object, missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    /// Node name.
    pub name: String,
    /// Its pool (`kubernetes.azure.com/agentpool`), if it names a pool of
    /// the scenario.
    pub pool: Option<String>,
    /// `topology.kubernetes.io/zone`, if set.
    pub zone: Option<String>,
    /// Cordoned.
    pub unschedulable: bool,
    /// Taints, as `key=value:Effect`.
    pub taints: Vec<String>,
    /// Allocatable resources.
    pub allocatable: ResourceView,
    /// Sum of the requests of the pods on it (DaemonSet pods included).
    pub requested: ResourceView,
    /// The pods on it, bound ones first, then DaemonSet pods.
    pub pods: Vec<PodView>,
}

/// A node pool that may add nodes.
#[derive(Debug, Clone, Serialize, Deserialize, Tsify)]
#[tsify(hashmap_as_object, missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct PoolView {
    /// Pool name.
    pub name: String,
    /// VM size, if given.
    pub vm_size: Option<String>,
    /// Hourly cost of one node.
    pub cost_per_hour: f64,
    /// Maximum node count, existing nodes included.
    pub max_count: Option<u32>,
    /// Allocatable resources of a new node.
    pub allocatable: ResourceView,
    /// Requests of the DaemonSet pods a new node would run.
    pub daemon_set_requests: ResourceView,
}

/// The scenario as the page draws it: nodes, pools, pending pods.
#[derive(Debug, Clone, Serialize, Deserialize, Tsify)]
#[tsify(hashmap_as_object, missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// Existing nodes, in input order.
    pub nodes: Vec<NodeView>,
    /// Node pools, in input order.
    pub pools: Vec<PoolView>,
    /// Pending pods, in input order.
    pub pending: Vec<PodView>,
    /// Warnings from reading the input (skipped kinds, duplicates, ...).
    pub warnings: Vec<String>,
}

/// A read-only view of the scenario for drawing: each node with the pods
/// on it (DaemonSet pods included, as kube-scheduler's snapshot counts
/// them), each pool with a new node's capacity, and the pending pods.
fn inventory(cluster: &podplan::model::Cluster) -> Inventory {
    let mut snapshot = Snapshot::new(cluster);
    let pod_view = |snapshot: &Snapshot, id| {
        let pod: &podplan::model::Pod = snapshot.pod(id);
        PodView {
            pod: pod.key(),
            requests: ResourceView::from(&pod.spec.requests),
            daemon_set: matches!(pod.origin, podplan::model::PodOrigin::DaemonSet(_)),
        }
    };
    let nodes = snapshot
        .node_ids()
        .map(|id| {
            let node = snapshot.node(id);
            let info = snapshot.info(id);
            let mut pods: Vec<PodView> =
                info.pods.iter().map(|&p| pod_view(&snapshot, p)).collect();
            pods.sort_by_key(|p| p.daemon_set);
            NodeView {
                name: node.name.clone(),
                pool: node.pool.map(|p| cluster.pools[p.index()].name.clone()),
                zone: node.labels.get("topology.kubernetes.io/zone").cloned(),
                unschedulable: node.unschedulable,
                taints: node
                    .taints
                    .iter()
                    .map(|t| format!("{}={}:{}", t.key, t.value, effect(t.effect)))
                    .collect(),
                allocatable: ResourceView::from(&node.allocatable),
                requested: ResourceView::from(&info.requested),
                pods,
            }
        })
        .collect();
    let mut pools = Vec::with_capacity(cluster.pools.len());
    for (i, pool) in cluster.pools.iter().enumerate() {
        // A new node's DaemonSet pods, as place and simulate count them.
        let id = snapshot.add_node(pool.new_node(podplan::model::PoolId(i as u32), 0));
        let requested = ResourceView::from(&snapshot.info(id).requested);
        snapshot.remove_last_node();
        pools.push(PoolView {
            name: pool.name.clone(),
            vm_size: pool.vm_size.clone(),
            cost_per_hour: pool.cost_per_hour,
            max_count: pool.max_count,
            allocatable: ResourceView::from(&pool.allocatable),
            daemon_set_requests: requested,
        });
    }
    let pending = cluster
        .pending_pods()
        .map(|id| pod_view(&snapshot, id))
        .collect();
    Inventory {
        nodes,
        pools,
        pending,
        warnings: cluster.warnings.clone(),
    }
}

/// A taint effect's Kubernetes name.
fn effect(e: TaintEffect) -> &'static str {
    e.as_str()
}
