// Browser (and any ES-module runtime with fetch) entry point: `await
// init()` fetches and instantiates pkg/podplan_wasm_bg.wasm (or the
// module, URL, Response or bytes given), then the functions are usable.
import * as glue from '../pkg/podplan_wasm.js';
import { makeApi } from './api.js';

let initialised = false;

/** Loads the WebAssembly module; resolves when the API is ready. */
export async function init(moduleOrPath) {
  await glue.default(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  initialised = true;
}
export default init;

const api = makeApi(glue, () => initialised);
export { toFiles } from './api.js';
export const { read, explain, place, simulate, drain, headroom, tenancy, sizes, placeWithPoolSizes, inventory, diff, __panicForTest } = api;
