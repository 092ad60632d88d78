// The public API. The report and option types are generated from the Rust
// types (tsify) into pkg/podplan_wasm.d.ts, so that they cannot drift from
// what the library returns.
import type {
  DiffOptions, DiffReport, DrainOptions, DrainReport, ExplainOptions, ExplainReport, HeadroomOptions, HeadroomReport,
  Inventory, Limits, PlaceOptions, PlaceReport, SizesOptions, SizesReport, TenancyOptions, TenancyReport,
} from '../pkg/podplan_wasm.js';

export type * from '../pkg/podplan_wasm.js';

/**
 * One scenario file: its name (used in error messages) and its text (JSON
 * or YAML), as a string or as its UTF-8 bytes (e.g. a Node `Buffer` from
 * `readFileSync`, or a browser `File`'s `arrayBuffer()`: no decoding needed).
 */
export interface InputFile {
  name: string;
  text: string | Uint8Array | ArrayBuffer;
}

/**
 * A scenario: JSON or YAML text (a string or UTF-8 bytes), a named file, a
 * Kubernetes object or `List`, or several of these read in order (later
 * objects with the same kind, namespace and name replace earlier ones).
 */
export type Scenario = string | Uint8Array | ArrayBuffer | InputFile | object
  | Array<string | Uint8Array | ArrayBuffer | InputFile | object>;

/**
 * Loads the WebAssembly module (browsers: fetches `pkg/podplan_wasm_bg.wasm`
 * next to the package, or the module, URL, Response or bytes given). In Node
 * the module is loaded on import and this resolves at once.
 */
export function init(moduleOrPath?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
export default init;

/** The files a scenario stands for, in reading order. */
export function toFiles(scenario: Scenario): InputFile[];

/**
 * A scenario read once, for several operations without reading it again
 * (reading is most of the time of explain on a big dump). The memory goes
 * back at `free()`, or when the object is garbage-collected.
 */
export interface Cluster {
  explain(options?: ExplainOptions): ExplainReport;
  place(options?: PlaceOptions): PlaceReport;
  simulate(options?: PlaceOptions): PlaceReport;
  drain(options: DrainOptions): DrainReport;
  headroom(options: HeadroomOptions): HeadroomReport;
  tenancy(options?: TenancyOptions): TenancyReport;
  sizes(options: SizesOptions): SizesReport;
  placeWithPoolSizes(options?: PlaceOptions): PlaceReport;
  inventory(): Inventory;
  free(): void;
}

/**
 * Reads a scenario (throws on bad input, as every operation does), within
 * `limits` (docs/input.md, "Limits"; the defaults when absent: 1,000,000
 * pods, 1,000,000 replicas per workload, 1,000 nodes per pool, 5,000 nodes).
 * A scenario beyond them throws an error naming the object and the field.
 */
export function read(scenario: Scenario, limits?: Limits): Cluster;

/** Why each pending pod is (un)schedulable (`podplan explain`). */
export function explain(scenario: Scenario, options?: ExplainOptions): ExplainReport;
/** Where the pending pods go and which nodes to add, at least cost (`podplan place`). */
export function place(scenario: Scenario, options?: PlaceOptions): PlaceReport;
/** What kube-scheduler and a cluster-autoscaler-style scale-up would do (`podplan simulate`). */
export function simulate(scenario: Scenario, options?: PlaceOptions): PlaceReport;
/** Whether nodes can be emptied, in which waves, and what blocks them (`podplan drain`). */
export function drain(scenario: Scenario, options: DrainOptions): DrainReport;
/** How many more copies of a pod fit (`podplan headroom`). */
export function headroom(scenario: Scenario, options: HeadroomOptions): HeadroomReport;
/**
 * The price of isolation (`podplan tenancy`): the tenants on shared pools,
 * on dedicated pools and in a cluster each, planned from scratch with
 * `place`, and the differences between the layouts by cause.
 */
export function tenancy(scenario: Scenario, options?: TenancyOptions): TenancyReport;
/**
 * Which VM size for a pool (`podplan sizes`): `place` with each candidate
 * size and with a mix of the two cheapest, cheapest first.
 */
export function sizes(scenario: Scenario, options: SizesOptions): SizesReport;
/**
 * `place` choosing among the VM sizes of each pool's family itself
 * (`podplan place --pool-sizes auto`).
 */
export function placeWithPoolSizes(scenario: Scenario, options?: PlaceOptions): PlaceReport;
/** The scenario's nodes (with the pods on them), pools and pending pods, for drawing. */
export function inventory(scenario: Scenario): Inventory;
/**
 * The scenario before and after a change (`podplan diff`): the change's
 * objects replace or add to the scenario's by kind, namespace and name; one
 * annotated `podplan.dev/delete: "true"` deletes the scenario's.
 */
export function diff(scenario: Scenario, change: Scenario, options?: DiffOptions): DiffReport;
