// The JavaScript API of podplan, shared by the Node and browser entry
// points: it turns the scenario a caller gives into the list of files the
// WebAssembly exports read, and replaces the WebAssembly instance after a
// panic or a trap, which leave its state undefined.

/**
 * Normalises a scenario into `[{name, text}]`, the files podplan reads in
 * order (as the CLI reads several paths):
 * - a string: one JSON or YAML file;
 * - `{name, text}`: one named file;
 * - any other object: a Kubernetes object or `List` (sent as JSON);
 * - an array of the above: several files, later objects replacing earlier
 *   ones with the same kind, namespace and name.
 */
export function toFiles(scenario) {
  const one = (item, i) => {
    if (typeof item === 'string') return { name: i === undefined ? 'scenario' : `scenario-${i}`, text: item };
    if (item && typeof item === 'object' && typeof item.text === 'string' && !('kind' in item)) {
      return { name: String(item.name ?? (i === undefined ? 'scenario' : `scenario-${i}`)), text: item.text };
    }
    if (item && typeof item === 'object') {
      return { name: i === undefined ? 'scenario.json' : `scenario-${i}.json`, text: JSON.stringify(item) };
    }
    throw new TypeError(`podplan: a scenario is a string, {name, text}, a Kubernetes object, or an array of them; got ${item === null ? 'null' : typeof item}`);
  };
  return Array.isArray(scenario) ? scenario.map(one) : [one(scenario)];
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
    explain: (scenario, options) => call(glue.explain, [toFiles(scenario), options]),
    place: (scenario, options) => call(glue.place, [toFiles(scenario), options]),
    simulate: (scenario, options) => call(glue.simulate, [toFiles(scenario), options]),
    drain: (scenario, options) => call(glue.drain, [toFiles(scenario), options ?? {}]),
    headroom: (scenario, options) => call(glue.headroom, [toFiles(scenario), options ?? {}]),
    inventory: (scenario) => call(glue.inventory, [toFiles(scenario)]),
    // For the tests: a panic inside the module.
    __panicForTest: (message) => call(glue.__panicForTest, [String(message)]),
  };
}
