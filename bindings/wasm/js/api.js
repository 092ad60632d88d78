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
  // Bumped when the instance is replaced: clusters read by an earlier one
  // point into a memory that is gone.
  let instance = 0;
  const call = (fn) => {
    if (!ready()) throw new Error('podplan: call `await init()` before using the API in a browser');
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        glue.__wbg_reset_state();
        instance++;
        throw new Error(`podplan aborted: ${e.message}`, { cause: e });
      }
      if (e instanceof Error && e.message.startsWith(PANIC_PREFIX)) {
        glue.__wbg_reset_state();
        instance++;
      }
      throw e;
    }
  };

  /**
   * A scenario read once (`read(scenario)`), for any number of operations;
   * `free()` gives its memory back at once (else it goes when the object
   * is garbage-collected).
   */
  class Cluster {
    #raw;
    #instance;

    constructor(raw) {
      this.#raw = raw;
      this.#instance = instance;
    }

    #run(method, args) {
      if (!this.#raw) throw new Error('podplan: this cluster was freed');
      if (this.#instance !== instance) {
        throw new Error('podplan: this cluster was read before the module was reset (after a panic); read the scenario again');
      }
      return call(() => this.#raw[method](...args));
    }

    explain(options) { return this.#run('explain', [options]); }
    place(options) { return this.#run('place', [options]); }
    simulate(options) { return this.#run('simulate', [options]); }
    drain(options) { return this.#run('drain', [options ?? {}]); }
    headroom(options) { return this.#run('headroom', [options ?? {}]); }
    tenancy(options) { return this.#run('tenancy', [options]); }
    sizes(options) { return this.#run('sizes', [options ?? {}]); }
    placeWithPoolSizes(options) { return this.#run('placeWithPoolSizes', [options]); }
    inventory() { return this.#run('inventory', []); }

    free() {
      // The raw object of a replaced instance must not be freed: its
      // pointer would free memory of the new one.
      if (this.#raw && this.#instance === instance) this.#raw.free();
      this.#raw = undefined;
    }
  }
  if (Symbol.dispose) Cluster.prototype[Symbol.dispose] = Cluster.prototype.free;

  const read = (scenario, limits) => {
    const args = toArgs(toFiles(scenario));
    return new Cluster(call(() => new glue.ReadCluster(...args, limits)));
  };
  /** One operation on a scenario read for it, whose memory is freed at once. */
  const once = (scenario, op) => {
    const cluster = read(scenario);
    try {
      return op(cluster);
    } finally {
      cluster.free();
    }
  };
  return {
    read,
    explain: (scenario, options) => once(scenario, (c) => c.explain(options)),
    place: (scenario, options) => once(scenario, (c) => c.place(options)),
    simulate: (scenario, options) => once(scenario, (c) => c.simulate(options)),
    drain: (scenario, options) => once(scenario, (c) => c.drain(options)),
    headroom: (scenario, options) => once(scenario, (c) => c.headroom(options)),
    tenancy: (scenario, options) => once(scenario, (c) => c.tenancy(options)),
    sizes: (scenario, options) => once(scenario, (c) => c.sizes(options)),
    placeWithPoolSizes: (scenario, options) => once(scenario, (c) => c.placeWithPoolSizes(options)),
    inventory: (scenario) => once(scenario, (c) => c.inventory()),
    diff: (scenario, change, options) => {
      const [names, texts] = toArgs(toFiles(scenario));
      const [changeNames, changeTexts] = toArgs(toFiles(change));
      return call(() => glue.diff(names, texts, changeNames, changeTexts, options));
    },
    // For the tests: a panic inside the module.
    __panicForTest: (message) => call(() => glue.__panicForTest(String(message))),
  };
}
