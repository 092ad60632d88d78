// The JavaScript API of podplan, shared by the Node and browser entry
// points: it turns the scenario a caller gives into the list of files the
// WebAssembly exports read, and replaces the WebAssembly instance after a
// panic or a trap, which leave its state undefined.

/** The UTF-8 bytes of a file given as a Uint8Array (a Node Buffer too) or an ArrayBuffer; else null. */
function bytesOf(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  return null;
}

/**
 * Normalises a scenario into `[{name, text}]`, the files podplan reads in
 * order (as the CLI reads several paths):
 * - a string: one JSON or YAML file;
 * - a Uint8Array (a Node Buffer) or ArrayBuffer: one file's UTF-8 bytes;
 * - `{name, text}`: one named file, `text` a string or bytes as above;
 * - any other object: a Kubernetes object or `List` (sent as JSON);
 * - an array of the above: several files, later objects replacing earlier
 *   ones with the same kind, namespace and name.
 */
export function toFiles(scenario) {
  const one = (item, i) => {
    const name = i === undefined ? 'scenario' : `scenario-${i}`;
    if (typeof item === 'string') return { name, text: item };
    const bytes = bytesOf(item);
    if (bytes) return { name, text: bytes };
    if (item && typeof item === 'object' && (typeof item.text === 'string' || bytesOf(item.text)) && !('kind' in item)) {
      return { name: String(item.name ?? name), text: bytesOf(item.text) ?? item.text };
    }
    if (item && typeof item === 'object') {
      return { name: `${name}.json`, text: JSON.stringify(item) };
    }
    throw new TypeError(`podplan: a scenario is a string, bytes, {name, text}, a Kubernetes object, or an array of them; got ${item === null ? 'null' : typeof item}`);
  };
  return Array.isArray(scenario) ? scenario.map(one) : [one(scenario)];
}

const encoder = new TextEncoder();

/**
 * The module's arguments for `files`: their names, and their texts as
 * UTF-8 bytes (src/lib.rs explains why bytes). TextEncoder runs at native
 * speed; a file given as bytes is passed as it is.
 */
function toArgs(files) {
  return [files.map((f) => f.name), files.map((f) => (typeof f.text === 'string' ? encoder.encode(f.text) : f.text))];
}

/** How the message of an Error thrown by a panic starts (src/lib.rs). */
const PANIC_PREFIX = 'podplan panicked: ';

/**
 * Builds the API over the wasm-bindgen module `glue` (already initialised
 * when a function is called). After a panic, whose hook throws an Error
 * out of the call and abandons the instance's state, and after a trap
 * (stack overflow, out of memory), the instance is replaced by a fresh one.
 */
export function makeApi(glue, ready = () => true) {
  const call = (fn, args) => {
    if (!ready()) throw new Error('podplan: call `await init()` before using the API in a browser');
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        glue.__wbg_reset_state();
        throw new Error(`podplan aborted: ${e.message}`, { cause: e });
      }
      if (e instanceof Error && e.message.startsWith(PANIC_PREFIX)) glue.__wbg_reset_state();
      throw e;
    }
  };
  return {
    explain: (scenario, options) => call(glue.explain, [...toArgs(toFiles(scenario)), options]),
    place: (scenario, options) => call(glue.place, [...toArgs(toFiles(scenario)), options]),
    simulate: (scenario, options) => call(glue.simulate, [...toArgs(toFiles(scenario)), options]),
    drain: (scenario, options) => call(glue.drain, [...toArgs(toFiles(scenario)), options ?? {}]),
    headroom: (scenario, options) => call(glue.headroom, [...toArgs(toFiles(scenario)), options ?? {}]),
    inventory: (scenario) => call(glue.inventory, toArgs(toFiles(scenario))),
    // For the tests: a panic inside the module.
    __panicForTest: (message) => call(glue.__panicForTest, [String(message)]),
    // For test/bench-scale.js: only read the scenario; returns [nodes, pods].
    __readForBench: (scenario) => call(glue.__readForBench, toArgs(toFiles(scenario))),
  };
}
