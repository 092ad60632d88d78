// Runs podplan off the main thread, so that the page stays responsive
// during long solves (place's time limit, drains of big pools).
// Messages: {id, op, scenario, options} in, {id, ok, result | error} out.
import init, * as podplan from '../js/browser.js';

const ready = init();
const OPS = {
  inventory: (s) => podplan.inventory(s),
  explain: (s, o) => podplan.explain(s, o),
  place: (s, o) => podplan.place(s, o),
  simulate: (s, o) => podplan.simulate(s, o),
  drain: (s, o) => podplan.drain(s, o),
  headroom: (s, o) => podplan.headroom(s, o),
};

self.onmessage = async ({ data: { id, op, scenario, options } }) => {
  try {
    await ready;
    if (!OPS[op]) throw new Error(`unknown operation ${op}`);
    const started = performance.now();
    const result = OPS[op](scenario, options);
    self.postMessage({ id, ok: true, result, millis: performance.now() - started });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
