// Runs podplan off the main thread, so that the page stays responsive
// during long solves (place's time limit, drains of big pools).
// Messages: {id, op, files?, options} in, {id, ok, result | error} out.
// A message with files reads them first; the worker keeps what it read
// for the next operations, so that a dump is read once, not once per
// operation (0.6 s per read of a 54 MB dump).
import init, * as podplan from '../js/browser.js';

const ready = init();
const OPS = {
  inventory: (c) => c.inventory(),
  explain: (c, o) => c.explain(o),
  place: (c, o) => c.place(o),
  simulate: (c, o) => c.simulate(o),
  drain: (c, o) => c.drain(o),
  headroom: (c, o) => c.headroom(o),
  tenancy: (c, o) => c.tenancy(o),
  // The scenario read last, before and after a change: {change, options}.
  diff: (c, o) => podplan.diff(scenarioFiles, o.change, o.options),
};

let cluster = null;
// The files of the scenario read last (diff reads them again, with the change).
let scenarioFiles = null;

self.onmessage = async ({ data: { id, op, files, options } }) => {
  try {
    await ready;
    if (!OPS[op]) throw new Error(`unknown operation ${op}`);
    const started = performance.now();
    if (files) {
      cluster?.free();
      cluster = null;
      cluster = podplan.read(files);
      scenarioFiles = files;
    }
    if (!cluster) throw new Error('no scenario read');
    const result = OPS[op](cluster, options);
    self.postMessage({ id, ok: true, result, millis: performance.now() - started });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
